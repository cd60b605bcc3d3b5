#!/usr/bin/env bash
# The migration failure and its fix with real QEMU: Debian's
# qemu-system-x86_64 7.2 (the host's binary and libraries, scripts/qemu-cpio.sh)
# runs inside the booted test kernel with -accel kvm (nested KVM on QEMU/TCG
# with nested SVM), runs a tiny L2 guest (selftests/qemu-migrate/guest.S),
# and migrates it to a file on a source host kernel that over-saves XSAVE
# state (repro); each destination host (selftests/qemu-migrate/matrix)
# loads the file with "qemu -incoming" and resumes the guest, which checks
# its own FCW/FTW/MXCSR/x87/XMM state and reports on the debugcon port.
# Prints one table and "qemu-demo: N passed, N failed".
# Env: QEMU_DEMO_MATRIX=FILE (default selftests/qemu-migrate/matrix),
#      VM_TIMEOUT=seconds per boot (default 420), LOAD_SECONDS (default 10).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
need qemu-system-x86_64 cpio gzip base64
matrix=${QEMU_DEMO_MATRIX:-$TOP/selftests/qemu-migrate/matrix}
[ -f "$matrix" ] || die "no matrix file $matrix"
tmo=${VM_TIMEOUT:-420}
load_s=${LOAD_SECONDS:-10}
out=$BUILD/qemu-demo
rm -rf "$out"
mkdir -p "$out"
times=$out/times
: >"$times"
T0=$(date +%s)
tstart() { TS=$(date +%s); }
tend() { echo "$1 $(( $(date +%s) - TS ))" >>"$times"; log "[$1] $(( $(date +%s) - TS )) s"; }

# 1. QEMU, libraries, guest image, shim, guest scripts.
tstart
"$S/qemu-cpio.sh" "$BUILD/qemu.cpio"
# A minimal base initramfs (busybox and the harness's init; QEMU comes in
# VM_CPIO), so this demo does not depend on the selftests.
MINIMAL=1 "$S/mkinitramfs.sh" "$out/initramfs.cpio"
tend build

# 2. Kernels: base and patched must exist; repro is (re)built when missing
# or older than config/kvm.config or the reproducer patch.
kernels=$(strip_comments "$matrix" | awk '$1 == "source" {print $3} $1 == "dest" {print $3}' | sort -u)
for k in $kernels; do
	img=$BUILD/$k/bzImage
	if [ "$k" != repro ]; then
		[ -f "$img" ] || die "no $img; build it first (KERNEL=$k scripts/build-kernel.sh)"
		[ "$TOP/config/kvm.config" -nt "$img" ] && log "WARNING: $img is older than config/kvm.config"
		continue
	fi
	why=
	[ -f "$img" ] || why="missing"
	for f in "$TOP/config/kvm.config" "$TOP"/selftests/repro/*.patch; do
		[ -z "$why" ] && [ "$f" -nt "$img" ] && why="older than ${f#"$TOP"/}"
	done
	[ -n "$why" ] || continue
	tstart
	log "qemu-demo: building the reproducer kernel (v7.3 + selftests/repro): $img $why"
	"$S/repro-tree.sh"
	KERNEL=repro "$S/build-kernel.sh"
	tend kernel-repro
done

boot() { # boot KERNEL CPU LIST DIR [FILES]: one VM, returns boot.sh's status
	local rc=0 kimg=$BUILD/$1/bzImage qcpio=$BUILD/qemu.cpio
	VM_INITRAMFS=$out/initramfs.cpio VM_CPIO="$qcpio" VM_FILES="${5:-}" \
		"$S/boot.sh" "$kimg" "$2" "$3" "$4" "$tmo" >/dev/null || rc=$?
	return $rc
}
tapval() { sed -n "s/^# $2//p" "$1" | head -n1; }

table=$out/table
: >"$table"
pass=0 fail=0
while read -r kind a b c d e; do
	case $kind in
	source)
		name=$a kernel=$b cpu=$c
		dir=$out/src-$name
		echo "qemu-save $((tmo - 30)) /bin/qemu-save" >"$out/list"
		echo "--- source $name: $kernel kernel on -cpu $cpu" >&2
		tstart
		vrc=0
		boot "$kernel" "$cpu" "$out/list" "$dir" || vrc=$?
		tend "boot-src-$name"
		[ "$vrc" = 0 ] || die "source $name: VM failed (boot.sh rc=$vrc), see $dir/console.log and $dir/tap.log"
		tap_block "$dir/tap.log" STATE >"$dir/qemu-state.b64"
		if [ ! -s "$dir/qemu-state.b64" ]; then
			sed -n 's/^# //p' "$dir/tap.log" | grep -v '^[A-Za-z0-9+/=]*$' | tail -n 40 >&2
			die "source $name: no state saved, see $dir/tap.log"
		fi
		grep -E '^# (time|state file|monitor|qemu-shim: KVM_GET_XSAVE)' "$dir/tap.log" | tail -n 12 |
			sed "s/^# /    $name: /" >&2
		echo "$name $kernel $cpu $(tapval "$dir/tap.log" 'host-xfeatures: ')" >>"$out/sources"
		;;
	dest)
		src=$a kernel=$b cpu=$c quirk=$d want=$e
		dir=$out/dst-$src-$kernel-${cpu//[,+]/_}-$quirk
		case $quirk in
		on) flag= ;;
		off) flag=--disable-quirk ;;
		on-noshim) flag=--no-shim ;;
		*) die "bad quirk '$quirk' in $matrix (on, off or on-noshim)" ;;
		esac
		machine=$(tapval "$out/src-$src/tap.log" 'qemu-machine: ')
		echo "qemu-load $((tmo - 30)) /bin/qemu-load $flag --machine ${machine:-pc} $load_s" >"$out/list"
		echo "--- destination: $kernel kernel on -cpu $cpu, quirk $quirk, state of $src" >&2
		mkdir -p "$dir"
		cp "$out/src-$src/qemu-state.b64" "$out/qemu-state.b64"
		tstart
		vrc=0
		boot "$kernel" "$cpu" "$out/list" "$dir" "$out/qemu-state.b64" || vrc=$?
		tend "boot-dst-$kernel-$cpu-$quirk"
		t=$dir/tap.log
		verdict=$(sed -n 's/^# qemu-guest: //p' "$t" | head -n1)
		case $verdict in
		verified*) g=verified ;;
		FAILED*) g=FAILED ;;
		*) g=not-run verdict="no verdict (boot.sh rc=$vrc)" ;;
		esac
		setx=$(sed -n 's/^# incoming: qemu-shim: KVM_SET_XSAVE xstate_bv=\([^:]*\): \(.*\)/\2 (bv \1)/p' "$t" | tail -n1)
		[ "$quirk" = on-noshim ] && setx="n/a (no shim)"
		qmsg=$(sed -n 's/^# qemu: //p' "$t" | { grep -v '^(empty)$' || true; } | head -n1)
		trim=$(sed -n 's/^# trace: .*kvm_xsave_trim: //p' "$t" | head -n1)
		qok=yes
		if [ "$quirk" = off ] && ! grep -q '^# qemu-shim: KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2.*: 0 ' "$t"; then
			qok=no
		fi
		# ok: the guest verified its state after the resume (and, with the
		# shim, KVM_SET_XSAVE of the incoming state returned 0).  fail: the
		# guest itself reported a FAIL (not a QEMU crash or a silent guest)
		# and, with the shim, KVM_SET_XSAVE returned -EINVAL.
		case $quirk in on-noshim) sx= ;; *) sx=$setx ;; esac
		v=FAIL
		if [ "$vrc" = 0 ] && [ "$qok" = yes ]; then
			case $want in
			ok) [ "$g" = verified ] && case $sx in ""|"0 "*) v=PASS ;; esac ;;
			fail) [ "$g" = FAILED ] && case $verdict in *"(FAIL "*)
				case $sx in ""|-EINVAL*) v=PASS ;; esac ;; esac ;;
			esac
		fi
		[ "$v" = PASS ] && pass=$((pass + 1)) || fail=$((fail + 1))
		printf '%-7s %-19s %-9s %-19s %-9s %-6s %-4s %s\n' "$kernel" "$cpu" "$quirk" "${setx:-?}" \
			"$g" "$want" "$v" "qemu: ${qmsg:-(nothing)}; guest: $verdict${trim:+; trace: $trim}" >>"$table"
		echo "    $v: $kernel $cpu quirk $quirk: KVM_SET_XSAVE ${setx:-?}; qemu-guest: $verdict" >&2
		;;
	*) die "bad line in $matrix: $kind $a $b $c $d $e" ;;
	esac
done < <(strip_comments "$matrix")
rm -f "$out/list" "$out/qemu-state.b64"

echo
echo "Source hosts (L1 kernel, L1 CPU model, L1 host xfeatures; the L2 guest is qemu64,+xsave under QEMU 7.2 -accel kvm):"
while read -r n k c x; do
	bv=$(sed -n 's/^# qemu-shim: KVM_GET_XSAVE2\{0,1\} xstate_bv=//p' "$out/src-$n/tap.log" | tail -n1)
	sz=$(tapval "$out/src-$n/tap.log" 'state file: ')
	printf '  %-3s %-8s %-12s xfeatures %-6s saved XSTATE_BV %s; state file %s\n' "$n" "$k" "$c" "$x" "${bv:-?}" "$sz"
done <"$out/sources"
echo
printf '%-7s %-19s %-9s %-19s %-9s %-6s %-4s %s\n' dest-k dest-cpu qrk KVM_SET_XSAVE guest expect res "details"
cat "$table"
if grep -h '^# note: ' "$out"/*/tap.log >/dev/null 2>&1; then
	echo
	echo "Notes from the VMs:"
	grep -h '^# note: ' "$out"/*/tap.log | sed 's/^# note: /  /' | sort | uniq -c
fi
echo
echo "Times (s):"
sed 's/^/  /' "$times"
for d in "$out"/src-* "$out"/dst-*; do
	[ -f "$d/tap.log" ] || continue
	printf '  %-40s %s\n' "${d##*/}" "$(sed -n 's/^# time: //p' "$d/tap.log" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
done
echo "  total $(( $(date +%s) - T0 ))"
echo
echo "logs: $out"
echo "qemu-demo: $pass passed, $fail failed"
[ "$fail" = 0 ]
