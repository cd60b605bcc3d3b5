#!/usr/bin/env bash
# Stage: run the selftests in VMs, one per QEMU host model of config/hosts,
# on KERNEL=base|patched of this kernel line.
#   mainline: build/$KERNEL/bzImage with build/initramfs.cpio; the tests of
#     config/tests of kinds regression, fpu, fail-on-base and skip-on-base
#     (LIST=full, or a model whose list is "full": every x86 KVM selftest
#     too);
#   STABLE=V: build/stable-V-base (KERNEL=base) or build/stable-V (patched)
#     with build/stable/V/initramfs.cpio; the tests of config/tests whose
#     lines name V.
# Results: build/vmtest/<kernel>/<model>/{tap.log,console.log,results} and a
# summary line per model.  MODELS="a b" restricts the matrix.  FLAVOR=debug
# runs the debug build (KASAN, UBSAN, KFENCE, lockdep) with longer timeouts.
# A VM that hangs or crashes, a kernel splat, a host whose XSAVE features
# differ from config/hosts, a test binary the initramfs lacks, or (debug)
# missing checkers fail the run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KERNEL=${KERNEL:-patched}
FLAVOR=${FLAVOR:-}
kname=$KERNEL
if [ -n "${STABLE:-}" ]; then
	case $KERNEL in
	base) kname=stable-$STABLE-base ;;
	patched) kname=stable-$STABLE ;;
	esac
fi
VM_INITRAMFS=$(line_initramfs)
export VM_INITRAMFS
kdir=$BUILD/$kname${FLAVOR:+-$FLAVOR}
img=$kdir/bzImage
[ -f "$img" ] || die "no $img; run 'KERNEL=$kname scripts/build-kernel.sh'"
[ -f "$VM_INITRAMFS" ] || die "no $VM_INITRAMFS; run '${STABLE:+STABLE=$STABLE }scripts/mkinitramfs.sh'"
# The binaries the initramfs holds.
have=$(cpio -it --quiet <"$VM_INITRAMFS" | sed -n 's#^t/##p')
outroot=$BUILD/vmtest/$kname${FLAVOR:+-$FLAVOR}
mkdir -p "$outroot"
: >"$outroot/summary"
slow=$(flavor_slowdown "$FLAVOR")
TEST_TIMEOUT=${TEST_TIMEOUT:-$((180 * slow))}
flaky=$(tests_flagged flaky)
rc_all=0
while read -r model cpu xf list; do
	if [ -n "${MODELS:-}" ] && ! grep -q " $model " <<<" $MODELS "; then continue; fi
	[ -z "${LIST:-}" ] || list=$LIST
	[ -z "${STABLE:-}" ] || list=regression
	out=$outroot/$model
	mkdir -p "$out"
	runlist=$out/run.list
	: >"$runlist"
	missing=
	names=$(tests_of regression fpu fail-on-base skip-on-base)
	if [ "$list" = full ]; then
		# The whole x86 KVM suite: every binary built from x86/.
		names="$names $(cd "$BUILD/selftests/x86" && find . -maxdepth 1 -type f -perm -u+x -printf '%f\n' | LC_ALL=C sort)"
	fi
	for t in $names; do
		if ! grep -qx "$t" <<<"$have"; then
			echo "vmtest: $t is not in $VM_INITRAMFS: it fails as missing" >&2
			echo "$t 1 false # missing" >>"$runlist"
			missing="$missing $t"
			continue
		fi
		grep -q "^$t " "$runlist" && continue
		if grep -qx "$t" <<<"$flaky"; then
			echo "$t $((5 * TEST_TIMEOUT + 30)) /bin/retry 5 $TEST_TIMEOUT /t/$t" >>"$runlist"
		else
			echo "$t $TEST_TIMEOUT /t/$t" >>"$runlist"
		fi
	done
	n=$(wc -l <"$runlist")
	vmtmo=$(((60 + n * 30) * slow))
	[ "$vmtmo" -le $((1500 * slow)) ] || vmtmo=$((1500 * slow))
	echo "--- $kname${FLAVOR:+-$FLAVOR} on $model (-cpu $cpu): $n tests ($list), VM timeout ${vmtmo}s" >&2
	t0=$(date +%s)
	vrc=0
	"$TOP/scripts/boot.sh" "$img" "$cpu" "$runlist" "$out" "$vmtmo" || vrc=$?
	# results: "<test> PASS|FAIL|SKIP"; tests that never reported are FAIL.
	tap_results "$runlist" "$out/tap.log" >"$out/results"
	hxf=$(sed -n 's/^# host-xfeatures: //p' "$out/tap.log" 2>/dev/null | head -n1)
	p=$(grep -c ' PASS$' "$out/results" || true)
	f=$(grep -c ' FAIL$' "$out/results" || true)
	s=$(grep -c ' SKIP$' "$out/results" || true)
	note=
	case $vrc in 0) ;; 2) note=" VM-HANG"; rc_all=1 ;; *) note=" VM-CRASH"; rc_all=1 ;; esac
	if tap_splat "$out/tap.log"; then note="$note KERNEL-SPLAT"; rc_all=1; fi
	if [ -n "$missing" ]; then note="$note MISSING(${missing# })"; rc_all=1; fi
	if [ "$xf" != "${hxf:-?}" ]; then note="$note XFEATURES-MISMATCH(expected $xf)"; rc_all=1; fi
	# A debug kernel must really run its checkers (config/debug.config).
	chk=$(sed -n 's/^# checkers: //p' "$out/tap.log" 2>/dev/null | head -n1)
	if [ "$FLAVOR" = debug ] && [ "$chk" != "kasan kfence lockdep" ]; then
		note="$note CHECKERS-MISSING(have: ${chk:-?})"
		rc_all=1
	fi
	printf '%-8s %-10s xfeatures=%-6s pass=%-3d fail=%-3d skip=%-3d %4ds%s%s  (%s)\n' \
		"$kname${FLAVOR:+-$FLAVOR}" "$model" "${hxf:-?}" "$p" "$f" "$s" "$(($(date +%s) - t0))" \
		"${FLAVOR:+ checkers=${chk// /,}}" "$note" "$out" |
		tee -a "$outroot/summary"
done < <(qemu_models)
exit $rc_all
