#!/usr/bin/env bash
# Stage: compare the vmtest results of build/base and build/patched, per test
# and per CPU model.  Existing tests must give identical results on both
# kernels; the series' new tests (config/tests) must FAIL on base and
# PASS on patched, or SKIP on both where the model lacks what the test needs
# (and then FAIL -> PASS on at least one other model); a test marked
# skip-on-base must SKIP on base and PASS on patched on every model.  The test
# cases of selftests/required-cases must pass, not skip, on the patched
# kernel.  Prints the table of new tests and one line per difference, then
# "compare: N passed, N failed" (one check per test and model, and per
# required case).
# OLD=patched NEW=patched-debug compares two builds of the patched kernel
# instead: every test, the new ones included, must give the same result.
# STABLE=V compares build/vmtest/stable-V-base and stable-V (the tests of
# config/tests for line V).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if [ -n "${STABLE:-}" ]; then
	OLD=${OLD:-stable-$STABLE-base} NEW=${NEW:-stable-$STABLE}
else
	OLD=${OLD:-base} NEW=${NEW:-patched}
fi
# Against the unpatched kernel the series' tests must change result.
case $OLD in base | stable-*-base) vs_base=1 ;; *) vs_base=0 ;; esac
B=$BUILD/vmtest/$OLD P=$BUILD/vmtest/$NEW
new_tests=$(tests_of fail-on-base skip-on-base)
line_tests=$(tests_rows | awk '{print $1}')
mode_of() { test_field "$1" 3; }
known=$(tests_of known-failure)
pass=0 failn=0 proven=
# rerun MODEL TEST: an existing test whose result differs between the two
# kernels runs COMPARE_RERUNS (3) more times on each, in one VM per kernel
# (build/vmtest/rerun/); prints the results, old kernel's first.  A difference
# that does not reproduce (every rerun the same on both kernels) is reported
# and counted as equal; one that does is a regression.
RERUNS=${COMPARE_RERUNS:-3}
rerun() {
	local model=$1 t=$2 k d line tmo i
	for k in "$OLD" "$NEW"; do
		d=$BUILD/vmtest/rerun/$k/$model
		mkdir -p "$d"
		line=$(grep -m1 "^$t " "$BUILD/vmtest/$k/$model/run.list" || true)
		[ -n "$line" ] && [ -f "$BUILD/$k/bzImage" ] || return 0
		tmo=$(echo "$line" | awk '{print $2}')
		: >"$d/run.list"
		for i in $(seq "$RERUNS"); do echo "$line" >>"$d/run.list"; done
		VM_INITRAMFS=$initramfs "$TOP/scripts/boot.sh" "$BUILD/$k/bzImage" "$(cpu_of "$model")" \
			"$d/run.list" "$d" $((120 + RERUNS * tmo)) >"$d/boot.log" 2>&1 </dev/null || true
		tap_results "$d/run.list" "$d/tap.log" | awk '{print $2}'
	done | tr '\n' ' ' | sed 's/ $//'
}
initramfs=$(line_initramfs)
printf '%-28s %-10s %-6s %-6s %s\n' "new test" model "$OLD" "$NEW" verdict
while read -r model _; do
	if [ ! -f "$B/$model/results" ] || [ ! -f "$P/$model/results" ]; then
		echo "compare: $model: missing results (run 'make vmtest' for both kernels)"
		failn=$((failn + 1)); continue
	fi
	while read -r t sp; do
		sb=$(awk -v t="$t" '$1 == t {print $2}' "$B/$model/results")
		if grep -qx "$t" <<<"$new_tests" && [ "$vs_base" = 1 ] && [ "$(mode_of "$t")" = skip-on-base ]; then
			if [ "$sb" = SKIP ] && [ "$sp" = PASS ]; then
				v="ok (requires the series)"; pass=$((pass + 1)); proven="$proven $t"
			else v="WRONG (must SKIP on base, PASS on patched)"; failn=$((failn + 1)); fi
			printf '%-28s %-10s %-6s %-6s %s\n' "$t" "$model" "${sb:-none}" "$sp" "$v"
		elif grep -qx "$t" <<<"$new_tests" && [ "$vs_base" = 1 ]; then
			if [ "$sb" = FAIL ] && [ "$sp" = PASS ]; then
				v=ok; pass=$((pass + 1)); proven="$proven $t"
			elif [ "$sb" = SKIP ] && [ "$sp" = SKIP ]; then
				v="ok (skipped on both: the model lacks what the test needs)"; pass=$((pass + 1))
			else v="WRONG (must FAIL on base, PASS on patched)"; failn=$((failn + 1)); fi
			printf '%-28s %-10s %-6s %-6s %s\n' "$t" "$model" "${sb:-none}" "$sp" "$v"
		elif [ "$sb" = "$sp" ]; then
			pass=$((pass + 1))
			if [ "$sp" = FAIL ] && ! grep -qx "$t" <<<"$known"; then
				echo "compare: note: $t fails on $model on both kernels and is not a known failure of config/tests"
			fi
		else
			# Confirm the difference before calling it a regression.
			r=$(rerun "$model" "$t")
			if [ "$(echo "$r" | wc -w)" = $((2 * RERUNS)) ] && [ "$(echo "$r" | tr ' ' '\n' | sort -u | wc -l)" = 1 ]; then
				echo "compare: not reproduced: $t on $model: $OLD=$sb $NEW=$sp once, then $RERUNS x ${r%% *} on each kernel (counted as equal)"
				pass=$((pass + 1))
			else
				echo "compare: REGRESSION $t on $model: $OLD=$sb $NEW=$sp (reruns $OLD, $NEW: ${r:-none})"
				failn=$((failn + 1))
			fi
			for k in "$B" "$P"; do
				echo "    ${k##*/}, first run:"
				tap_output "$k/$model/tap.log" "$t" 2>/dev/null | tail -n 30 | sed 's/^/      /' || true
			done
		fi
	done <"$P/$model/results"
done < <(qemu_models)
# Required test cases: "ok" without SKIP in the patched kernel's TAP log.
if [ -f "$TOP/selftests/required-cases" ]; then
	while read -r model t c; do
		[ -f "$P/$model/tap.log" ] || continue
		grep -qx "$t" <<<"$line_tests" || continue
		if grep -qE "^# ok [0-9]+ [a-z_]*\.?$c\$" "$P/$model/tap.log"; then
			pass=$((pass + 1))
		else
			echo "compare: WRONG: case $c of $t did not pass on $model ($NEW): $(grep -E "^# (not )?ok [0-9]+ [a-z_]*\.?$c( |\$)" "$P/$model/tap.log" | head -n1)"
			failn=$((failn + 1))
		fi
	done < <(strip_comments "$TOP/selftests/required-cases")
fi
# A new test that skips everywhere proves nothing: it must go from FAIL to
# PASS (or, for skip-on-base, from SKIP to PASS) on at least one model.
if [ "$vs_base" = 1 ]; then
	for t in $new_tests; do
		grep -q " $t " <<<" $proven " && continue
		echo "compare: $t never went from FAIL on $OLD to PASS on $NEW on any model"
		failn=$((failn + 1))
	done
fi
echo "compare: $pass passed, $failn failed"
[ "$failn" = 0 ]
