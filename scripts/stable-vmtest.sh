#!/usr/bin/env bash
# Stage: run the KVM selftests of selftests/stable-tests on the stable kernel
# STABLE=V, unpatched (build/stable-V-base) and patched (build/stable-V), one
# VM per CPU model of selftests/cpu-models, and compare: a "new" test must
# SKIP on the unpatched and PASS on the patched kernel on every model, a
# "regression" test must give the same result on both; the cases of
# selftests/required-cases must pass, not skip, on the patched kernel.
# Results: build/vmtest/stable-V{,-base}/<model>/{tap.log,results}.
# Prints a table and "stable-vmtest V: N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
v=${STABLE:?set STABLE to a version of config/kernels}
initramfs=$(stable_dir "$v")/initramfs.cpio
[ -f "$initramfs" ] || die "no $initramfs; run 'STABLE=$v scripts/stable-initramfs.sh'"
TEST_TIMEOUT=${TEST_TIMEOUT:-180}
tests=$(strip_comments "$TOP/selftests/stable-tests" | awk '{print $1}' | tr '\n' ' ')
mode_of() { strip_comments "$TOP/selftests/stable-tests" | awk -v t="$1" '$1 == t {print $2}'; }
pass=0 fail=0
problem() { echo "stable-vmtest: $*"; fail=$((fail + 1)); }

for k in "stable-$v-base" "stable-$v"; do
	img=$BUILD/$k/bzImage
	[ -f "$img" ] || die "no $img; run 'KERNEL=$k scripts/build-kernel.sh'"
	while read -r model cpu xf _; do
		out=$BUILD/vmtest/$k/$model
		mkdir -p "$out"
		for t in $tests; do echo "$t $TEST_TIMEOUT /t/$t"; done >"$out/run.list"
		echo "--- $k on $model (-cpu $cpu)" >&2
		vrc=0
		VM_INITRAMFS=$initramfs "$TOP/scripts/boot.sh" "$img" "$cpu" "$out/run.list" "$out" 900 || vrc=$?
		[ "$vrc" = 0 ] || problem "$k on $model: VM failed (boot.sh rc=$vrc), see $out/console.log"
		! tap_splat "$out/tap.log" || problem "$k on $model: kernel splat, see $out/tap.log"
		hxf=$(sed -n 's/^# host-xfeatures: //p' "$out/tap.log" 2>/dev/null | head -n1)
		[ "$hxf" = "$xf" ] || problem "$k on $model: host xfeatures ${hxf:-?}, expected $xf"
		tap_results "$out/run.list" "$out/tap.log" >"$out/results"
	done < <(strip_comments "$TOP/selftests/cpu-models")
done

printf '%-18s %-10s %-6s %-6s %s\n' test model base patch verdict
while read -r model _; do
	B=$BUILD/vmtest/stable-$v-base/$model P=$BUILD/vmtest/stable-$v/$model
	for t in $tests; do
		sb=$(awk -v t="$t" '$1 == t {print $2}' "$B/results")
		sp=$(awk -v t="$t" '$1 == t {print $2}' "$P/results")
		case $(mode_of "$t") in
		new) if [ "$sb" = SKIP ] && [ "$sp" = PASS ]; then vd=ok; else vd="WRONG (must SKIP unpatched, PASS patched)"; fi ;;
		*) if [ "$sb" = "$sp" ]; then vd=ok; else vd="REGRESSION"; fi ;;
		esac
		if [ "$vd" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
		printf '%-18s %-10s %-6s %-6s %s\n' "$t" "$model" "$sb" "$sp" "$vd"
	done
done < <(strip_comments "$TOP/selftests/cpu-models")
# The named cases of the backported test that must run and pass.
while read -r model t c; do
	echo " $tests " | grep -q " $t " || continue
	P=$BUILD/vmtest/stable-$v/$model
	if grep -qE "^# ok [0-9]+ [a-z_]*\.?$c\$" "$P/tap.log"; then
		pass=$((pass + 1))
	else
		problem "case $c of $t did not pass on $model: $(grep -E "^# (not )?ok [0-9]+ [a-z_]*\.?$c( |\$)" "$P/tap.log" | head -n1)"
	fi
done < <(strip_comments "$TOP/selftests/required-cases")
echo "stable-vmtest $v: $pass passed, $fail failed"
[ "$fail" = 0 ]
