#!/usr/bin/env bash
# bochs-run.sh: boot one kernel on one Bochs CPU model and run static test
# programs in it, headless and bounded in time (scripts/bochs.sh runs it for
# each Bochs host of config/hosts; it can also be run by hand).
#
# usage: bochs-run.sh [-t TOTAL_TIMEOUT_S] [-T PER_TEST_TIMEOUT_S] [-a "KERNEL ARGS"]
#                     [-f FILE]... [-x BINARY]... [-C CPIO]... [-c "NAME COMMAND [ARG...]"]...
#                     BOCHS_BIN CPU_MODEL BZIMAGE OUTDIR [TEST_BINARY...]
#   -f FILE    an extra file for the guest's / (by its name, like boot.sh's
#              VM_FILES: a saved state as /state.b64)
#   -x BINARY  an extra static binary in /t (on PATH), not run as a test
#   -C CPIO    an extra cpio archive, unpacked over the guest's / after the
#              initramfs (like boot.sh's VM_CPIO: QEMU and its libraries)
#   -c ENTRY   a test that is a command: NAME (its name in the results), then
#              the command and its arguments (words, no shell syntax; PATH is
#              /bin:/t, and busybox provides the usual tools); run after the
#              TEST_BINARY tests, in the order given
# At least one test: a TEST_BINARY or a -c entry.
#
# Builds a small initramfs (busybox-static + the stripped test binaries + an
# init that runs each test under `timeout` and prints TAP-like results, the
# host XSAVE format/XCR0 and the interesting /proc/cpuinfo flags), packs
# kernel + initramfs into an isolinux ISO (genisoimage), writes a bochsrc
# (display_library: nogui, com1 = kernel console -> OUTDIR/console.txt,
# com2 = results -> OUTDIR/results.txt), boots it, stops Bochs when the end
# marker reaches OUTDIR/results.txt (or on timeout, kernel panic, triple
# fault, early Bochs exit), and writes OUTDIR/results.tap (TAP lines only)
# and OUTDIR/summary.txt.  Bochs runs under `timeout -s KILL` (the total
# timeout plus 30 s) in case this script is stopped before it stops Bochs.
# Exit status: 0 if the run reached the end marker (whatever the test results),
# 2 if it did not (timeout, boot failure, Bochs exit); details in summary.txt.
# Needs: busybox-static, isolinux, syslinux-common, genisoimage, vgabios.
# The guest's clock runs far slower than the wall clock (clock: sync=none):
# the per-test timeout is guest time; the total timeout bounds the run.
# Runs may overlap (each has its own OUTDIR, no network ports).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need genisoimage cpio strip file gzip timeout

total_tmo=900
test_tmo=300
kargs=""
files=() extra=() cmds=() cpios=()
while getopts "t:T:a:f:x:c:C:" o; do
	case $o in
	t) total_tmo=$OPTARG ;;
	T) test_tmo=$OPTARG ;;
	a) kargs=$OPTARG ;;
	f) files+=("$OPTARG") ;;
	x) extra+=("$OPTARG") ;;
	c) cmds+=("$OPTARG") ;;
	C) cpios+=("$OPTARG") ;;
	*) die "usage: see the header of $0" ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -lt 4 ] || [ $(($# - 4 + ${#cmds[@]})) = 0 ]; then
	die "usage: $0 [-t S] [-T S] [-a ARGS] [-f FILE]... [-x BIN]... [-C CPIO]... [-c 'NAME CMD ARG...']... BOCHS_BIN CPU_MODEL BZIMAGE OUTDIR [TEST...]"
fi
bochs=$(readlink -f "$1"); model=$2; kernel=$(readlink -f "$3"); out=$4; shift 4
busybox=/bin/busybox
isolinux=/usr/lib/ISOLINUX/isolinux.bin
ldlinux=/usr/lib/syslinux/modules/bios/ldlinux.c32
for f in "$bochs" "$kernel" "$busybox" "$isolinux" "$ldlinux"; do
	[ -e "$f" ] || die "bochs-run: missing $f (run 'make deps')"
done
grep -q 'statically linked' < <(file "$busybox") || die "bochs-run: $busybox is not static (install busybox-static)"
# BIOS: the one of the Bochs tree the binary was built in, else Debian's bochsbios.
bxdir=$(dirname "$bochs")
rom=$bxdir/bios/BIOS-bochs-latest
[ -f "$rom" ] || rom=/usr/share/bochs/BIOS-bochs-latest
vgarom=/usr/share/vgabios/vgabios.bin   # Debian package vgabios (the snapshot lacks VGABIOS-lgpl-latest.bin)
if [ ! -f "$rom" ] || [ ! -f "$vgarom" ]; then die "bochs-run: BIOS images missing ($rom, $vgarom)"; fi

mkdir -p "$out"
out=$(readlink -f "$out")
rm -rf "$out/root" "$out/iso"
mkdir -p "$out"/root/{bin,t,proc,sys,dev,tmp} "$out"/iso/isolinux
cp "$busybox" "$out/root/bin/busybox"
# static BINARY: strip it into the guest's /t.
static() {
	[ -x "$1" ] || die "bochs-run: $1 missing or not executable"
	grep -q 'statically linked' < <(file -L "$1") || die "bochs-run: $1 is not statically linked"
	strip -o "$out/root/t/${1##*/}" "$1"
}
# tests.list: "<name> <command> [<arg>...]" per test.
entries=()
for t in "$@"; do
	static "$t"
	entries+=("${t##*/} /t/${t##*/}")
done
for b in "${extra[@]}"; do static "$b"; done
for c in "${cmds[@]}"; do
	read -r _ x _ <<<"$c"
	[ -n "$x" ] || die "bochs-run: -c '$c': NAME COMMAND [ARG...]"
	entries+=("$c")
done
printf '%s\n' "${entries[@]}" >"$out/root/tests.list"
cat >"$out/root/init" <<EOF
#!/bin/busybox sh
# PID 1: run /tests.list ("<name> <command> [<arg>...]" each), TAP-like results on /dev/ttyS1 (Bochs com2).
/bin/busybox --install -s /bin
export PATH=/bin:/t
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
# ttyS1 would run at 9600 baud: the backlog would not be drained in time.
stty -F /dev/ttyS1 115200 raw -echo 2>/dev/null
exec 3>/dev/ttyS1
echo "TAP version 13" >&3
echo "# kernel: \$(cat /proc/version)" >&3
echo "# cmdline: \$(cat /proc/cmdline)" >&3
echo "# bochs-model: $model" >&3
fmt=\$(dmesg | sed -n "s/.*x86\/fpu:.*using '\([a-z]*\)' format.*/\1/p" | head -n1)
echo "# host-format: \${fmt:-none}" >&3
dmesg | grep -E "x86/fpu: .*format" | sed 's/^/# dmesg: /' >&3
xcr0=\$(dmesg | sed -n 's/.*Enabled xstate features \(0x[0-9a-f]*\).*/\1/p' | head -n1)
echo "# host-xcr0: \${xcr0:-none}" >&3
dmesg | grep -E "x86/fpu:|XSAVE|xstate" | grep -v "format" | sed 's/^/# dmesg: /' >&3
fl=""
for f in vmx ept xsave xsaveopt xsavec xsaves avx2 avx512f pku ospke amx_bf16 amx_tile amx_int8 shstk ibt; do
	grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -qx "\$f" && fl="\$fl \$f"
done
echo "# cpuinfo-flags:\$fl" >&3
echo "# cpuinfo-model: \$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2-)" >&3
[ -c /dev/kvm ] && echo "# /dev/kvm: present" >&3 || echo "# /dev/kvm: MISSING" >&3
n=\$(grep -c . /tests.list)
echo "1..\$n" >&3
i=0
while read -r name cmd; do
	i=\$((i + 1))
	echo "bochs-run: [\$i/\$n] \$name" >/dev/console
	t0=\$(date +%s)
	timeout -s KILL $test_tmo \$cmd >/tmp/out 2>&1 </dev/null
	rc=\$?
	t=\$((\$(date +%s) - t0))
	# Nothing the test left running goes on into the next test; every
	# output line a comment, the result line on a line of its own
	# (selftests/guest/init does the same).
	kill -9 -1 2>/dev/null
	awk '{ print "# " \$0 }' /tmp/out >&3
	case \$rc in
	0) echo "ok \$i \$name # time=\${t}s" ;;
	4) echo "ok \$i \$name # SKIP exit=4 time=\${t}s" ;;
	137) echo "not ok \$i \$name # TIMEOUT after ${test_tmo}s" ;;
	*) echo "not ok \$i \$name # exit=\$rc time=\${t}s" ;;
	esac >&3
done </tests.list
if dmesg | grep -qE 'WARNING:|BUG:|Oops|general protection|Call Trace'; then
	echo "# kernel splat in dmesg:" >&3
	dmesg | grep -E -A20 'WARNING:|BUG:|Oops|general protection' | sed 's/^/# dmesg: /' | head -80 >&3
fi
echo "# bochs-run: END" >&3
echo "bochs-run: END" >/dev/console
# No ACPI power-off; the UART drains at its emulated rate.  Stay alive: the
# host stops Bochs once the end marker is in the results file.
while :; do sleep 60; done
EOF
chmod +x "$out/root/init"
for f in "${files[@]}"; do
	[ -f "$f" ] || die "bochs-run: file $f missing"
	[ ! -e "$out/root/${f##*/}" ] || die "bochs-run: -f $f: the guest's / has ${f##*/} already"
	cp "$f" "$out/root/"
done
(cd "$out/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out/iso/initrd.gz"
# Concatenated archives: the kernel unpacks each in turn.
for c in "${cpios[@]}"; do
	[ -f "$c" ] || die "bochs-run: -C $c missing"
	gzip -1 -c "$c" >>"$out/iso/initrd.gz"
done
cp "$kernel" "$out/iso/bzImage"
cp "$isolinux" "$ldlinux" "$out/iso/isolinux/"
cat >"$out/iso/isolinux/isolinux.cfg" <<EOF
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /bzImage
  APPEND initrd=/initrd.gz console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 panic=-1 $kargs
EOF
genisoimage -quiet -o "$out/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table -R "$out/iso"
rm -rf "$out/root"
: >"$out/console.txt"
: >"$out/results.txt"
cat >"$out/bochsrc" <<EOF
display_library: nogui
megs: 1024
cpu: model=$model, count=1, ips=100000000, reset_on_triple_fault=0
clock: sync=none, time0=local
romimage: file=$rom
vgaromimage: file=$vgarom
ata0-master: type=cdrom, path=$out/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$out/console.txt
com2: enabled=1, mode=file, dev=$out/results.txt
log: $out/bochs.log
panic: action=fatal
error: action=ignore
info: action=ignore
debug: action=ignore
EOF

t0=$(date +%s)
# timeout (without --foreground) makes itself the leader of a new process
# group, which Bochs joins: $bpid is that group's id.
(cd "$out" && exec timeout -s KILL $((total_tmo + 30)) "$bochs" -q -f "$out/bochsrc" </dev/null >"$out/bochs.stdout" 2>&1) &
bpid=$!
status=TIMEOUT
init_wall=
while :; do
	sleep 2
	now=$(date +%s)
	if [ -z "$init_wall" ] && grep -q 'Run /init as init process' "$out/console.txt" 2>/dev/null; then
		init_wall=$((now - t0))
	fi
	if grep -q '^# bochs-run: END' "$out/results.txt" 2>/dev/null; then
		sleep 2; status=DONE; break
	fi
	if ! kill -0 "$bpid" 2>/dev/null; then status=BOCHS-EXITED; break; fi
	if grep -qE 'Kernel panic|early exception|end Kernel panic' "$out/console.txt" 2>/dev/null; then
		sleep 3; status=KERNEL-PANIC; break
	fi
	# With reset_on_triple_fault=0 Bochs enters shutdown and spins: stop there.
	if grep -q 'exception with no resolution' "$out/bochs.log" 2>/dev/null; then
		sleep 1; status=TRIPLE-FAULT; break
	fi
	[ $((now - t0)) -lt "$total_tmo" ] || break
done
elapsed=$(($(date +%s) - t0))
if kill -0 "$bpid" 2>/dev/null; then
	# The subshell exec'd timeout, which passes the signal on to Bochs.
	kill "$bpid" 2>/dev/null || true
	sleep 1
	kill -9 -- "-$bpid" 2>/dev/null || true
fi
wait "$bpid" 2>/dev/null || true
grep -E '^(ok|not ok|1\.\.)' "$out/results.txt" >"$out/results.tap" || true
# Seconds from power-on to the first line of init (Bochs time, wall clock
# is in "elapsed"); the kernel's printk timestamp of the init start.
boot_s=$(grep -m1 'Run /init as init process' "$out/console.txt" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p' || true)
{
	echo "model: $model"
	echo "kernel: $kernel ($(sha256sum "$kernel" | cut -c1-12))"
	echo "bochs: $bochs"
	echo "status: $status"
	echo "wall-seconds: $elapsed (total); boot to init: ${init_wall:-?} s wall (2 s polling)"
	echo "kernel-time-at-init: ${boot_s:-?}"
	grep -E '^# (host-format|host-xcr0|cpuinfo-flags|/dev/kvm|cpuinfo-model):' "$out/results.txt" || true
	[ "$status" = DONE ] || { echo "# last console lines:"; tail -n 5 "$out/console.txt" | sed 's/^/#   /'; \
		grep -m3 -E 'exception with no resolution|PANIC|FATAL' "$out/bochs.log" | sed 's/^/# bochs.log: /' || true; }
	cat "$out/results.tap"
} >"$out/summary.txt"
cat "$out/summary.txt"
[ "$status" = DONE ] || exit 2
