#!/usr/bin/env bash
# Stage: boot one kernel under QEMU/TCG with nested SVM and run one test list.
# Usage: boot.sh BZIMAGE CPU-ARG RUN-LIST OUTDIR [TIMEOUT-SECONDS] [EXTRA QEMU ARGS...]
# Writes OUTDIR/console.log (serial console) and OUTDIR/tap.log (TAP from the
# guest's ttyS1).  Exit 0 when the guest finished the list (whatever the test
# results), 2 on a hang (timeout), 3 on a crash or early power-off.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need qemu-system-x86_64 cpio timeout
[ $# -ge 4 ] || die "usage: boot.sh BZIMAGE CPU-ARG RUN-LIST OUTDIR [TIMEOUT] [QEMU ARGS...]"
kernel=$1 cpu=$2 list=$3 out=$4 tmo=${5:-600}
shift 4; [ $# -eq 0 ] || shift
[ -f "$kernel" ] || die "no kernel image $kernel"
# VM_INITRAMFS: the base archive (default build/initramfs.cpio).
initramfs=${VM_INITRAMFS:-$BUILD/initramfs.cpio}
[ -f "$initramfs" ] || die "no initramfs $initramfs; run 'make initramfs'"
mkdir -p "$out"
rm -f "$out/console.log" "$out/tap.log"

# Second cpio archive carrying the test list, appended to the main one.
stage=$(mktemp -d)
cp "$list" "$stage/run.list"
# VM_FILES: extra files to put in the guest's / (e.g. a saved state).
for f in ${VM_FILES:-}; do cp "$f" "$stage/"; done
(cd "$stage" && find . -mindepth 1 ! -name list.cpio | LC_ALL=C sort | cpio -o -H newc --quiet) >"$stage/list.cpio"
# VM_CPIO: further cpio archives to append (e.g. QEMU and its libraries).
# shellcheck disable=SC2086
cat "$initramfs" ${VM_CPIO:-} "$stage/list.cpio" >"$out/initrd.cpio"
rm -rf "$stage"

khz=$(host_tsc_khz)
append="console=ttyS0 panic=-1 oops=panic tsc_early_khz=$khz nokaslr loglevel=6 ${VM_APPEND:-}"
timeout -s KILL "$tmo" qemu-system-x86_64 -accel tcg -cpu "$cpu" -smp "${VM_SMP:-1}" -m "${VM_MEM:-2048}" \
	-machine q35 -nographic -no-reboot -nodefaults -display none \
	-kernel "$kernel" -initrd "$out/initrd.cpio" -append "$append" \
	-serial "file:$out/console.log" -serial "file:$out/tap.log" "$@" >"$out/qemu.log" 2>&1 &
qpid=$!
# Progress: echo each result line as the guest writes it.
seen=0
while kill -0 "$qpid" 2>/dev/null; do
	sleep 0.5
	if [ -f "$out/tap.log" ]; then
		n=$(grep -cE '^(ok|not ok) ' "$out/tap.log" || true)
		if [ "$n" -gt "$seen" ]; then
			grep -E '^(ok|not ok) ' "$out/tap.log" | sed -n "$((seen + 1)),${n}p" | sed 's/^/      /'
			seen=$n
		fi
	fi
done
rc=0
wait "$qpid" || rc=$?
rm -f "$out/initrd.cpio"
sed -i "s/\r\$//" "$out/tap.log" "$out/console.log" 2>/dev/null || true
if [ "$rc" = 137 ]; then
	echo "VM HANG: no power-off within ${tmo}s; console log: $out/console.log" >&2
	exit 2
fi
if ! grep -q '^# vmtest: done' "$out/tap.log" 2>/dev/null; then
	grep -m1 -E 'Kernel panic|BUG:|Oops' "$out/console.log" >&2 || true
	echo "VM CRASH: guest stopped before finishing its list (qemu rc=$rc); console log: $out/console.log" >&2
	exit 3
fi
exit 0
