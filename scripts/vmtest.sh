#!/usr/bin/env bash
# Stage: run the KVM selftests (and the x86 FPU selftests of
# selftests/x86-fpu-tests) in VMs, one per host CPU model of
# selftests/cpu-models, on KERNEL=base|patched (build/$KERNEL/bzImage).
# Results: build/vmtest/$KERNEL/<model>/{tap.log,console.log,results}.
# MODELS="a b" restricts the matrix; LIST=regression forces the short list.
# FLAVOR=debug runs build/$KERNEL-debug (KASAN, UBSAN, KFENCE, lockdep) with
# longer timeouts; a kernel splat fails the run on every flavor.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KERNEL=${KERNEL:-patched}
FLAVOR=${FLAVOR:-}
kdir=$BUILD/$KERNEL${FLAVOR:+-$FLAVOR}
img=$kdir/bzImage
[ -f "$img" ] || die "no $img; run 'make kernels'"
[ -f "$BUILD/initramfs.cpio" ] || die "no initramfs; run 'make initramfs'"
outroot=$BUILD/vmtest/$KERNEL${FLAVOR:+-$FLAVOR}
mkdir -p "$outroot"
: >"$outroot/summary"
slow=$(flavor_slowdown "$FLAVOR")
TEST_TIMEOUT=${TEST_TIMEOUT:-$((180 * slow))}

new_tests=$(strip_comments "$TOP/selftests/new-tests" | awk '{print $1}')
x86_tests=$(strip_comments "$TOP/selftests/x86-fpu-tests")
rc_all=0
while read -r model cpu xf list; do
	if [ -n "${MODELS:-}" ] && ! echo " $MODELS " | grep -q " $model "; then continue; fi
	[ -z "${LIST:-}" ] || list=$LIST
	out=$outroot/$model
	mkdir -p "$out"
	runlist=$out/run.list
	: >"$runlist"
	if [ "$list" = full ]; then
		# The whole x86 KVM suite: every binary built from x86/.
		names=$(cd "$BUILD/selftests/x86" && find . -maxdepth 1 -type f -perm -u+x -printf '%f\n' | LC_ALL=C sort)
	else
		names=$(strip_comments "$TOP/selftests/regression-tests")
	fi
	for t in $names $x86_tests $new_tests; do
		[ -x "$BUILD/initramfs/t/$t" ] || { echo "$t 1 false # missing" >>"$runlist"; continue; }
		grep -q "^$t " "$runlist" && continue
		if strip_comments "$TOP/selftests/flaky-tests" | awk '{print $1}' | grep -qx "$t"; then
			echo "$t $((5 * TEST_TIMEOUT)) /bin/retry 5 /t/$t" >>"$runlist"
		else
			echo "$t $TEST_TIMEOUT /t/$t" >>"$runlist"
		fi
	done
	n=$(wc -l <"$runlist")
	vmtmo=$(((60 + n * 30) * slow))
	[ "$vmtmo" -le $((1500 * slow)) ] || vmtmo=$((1500 * slow))
	echo "--- $KERNEL${FLAVOR:+-$FLAVOR} on $model (-cpu $cpu): $n tests ($list), VM timeout ${vmtmo}s" >&2
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
	if [ "$xf" != "${hxf:-?}" ]; then note="$note XFEATURES-MISMATCH(expected $xf)"; fi
	# A debug kernel must really run its checkers (config/debug.config).
	chk=$(sed -n 's/^# checkers: //p' "$out/tap.log" 2>/dev/null | head -n1)
	if [ "$FLAVOR" = debug ] && [ "$chk" != "kasan kfence lockdep" ]; then
		note="$note CHECKERS-MISSING(have: ${chk:-?})"
		rc_all=1
	fi
	printf '%-8s %-10s xfeatures=%-6s pass=%-3d fail=%-3d skip=%-3d %4ds%s%s  (%s)\n' \
		"$KERNEL${FLAVOR:+-$FLAVOR}" "$model" "${hxf:-?}" "$p" "$f" "$s" "$(($(date +%s) - t0))" \
		"${FLAVOR:+ checkers=${chk// /,}}" "$note" "$out" |
		tee -a "$outroot/summary"
done < <(grep -v '^[[:space:]]*#' "$TOP/selftests/cpu-models" | grep -v '^[[:space:]]*$')
exit $rc_all
