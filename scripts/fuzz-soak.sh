#!/usr/bin/env bash
# make fuzz-soak [MIN_INPUTS=1000000] [ROUND_SECONDS=200]: the KVM_SET_XSAVE
# fuzzer (scripts/fuzz.sh) on the debug kernel (KASAN, UBSAN, KFENCE,
# lockdep), in rounds with a new seed each, on CPU models with and without
# AVX and XSAVE, until at least MIN_INPUTS inputs have been checked.  Not part
# of make check.  Ends with "fuzz-soak: <inputs> inputs, <findings> findings,
# <seconds> s" and fails on any finding.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
MIN_INPUTS=${MIN_INPUTS:-1000000}
ROUND=${ROUND_SECONDS:-200}
MODELS_S=${MODELS:-max max-noavx noxsave}
[ -f "$BUILD/patched-debug/bzImage" ] || die "no debug kernel; run 'make kernel KERNEL=patched FLAVOR=debug'"
mkdir -p "$BUILD/logs"
inputs=0 findings=0 fails=0 round=0 t0=$(date +%s)
seed=${SEED:-$(date +%s)}
while [ "$inputs" -lt "$MIN_INPUTS" ]; do
	round=$((round + 1))
	lg=$BUILD/logs/fuzz-soak-$round.log
	rc=0
	env FLAVOR=debug FUZZ_SECONDS="$ROUND" SEED=$((seed + round)) MODELS="$MODELS_S" \
		"$TOP/scripts/fuzz.sh" >"$lg" 2>&1 || rc=$?
	l=$(grep -E '^fuzz: [0-9]+ inputs, [0-9]+ findings' "$lg" | tail -n1)
	[ -n "$l" ] || die "round $round: no result line, see $lg"
	i=$(echo "$l" | awk '{print $2}') f=$(echo "$l" | awk '{print $4}')
	inputs=$((inputs + i)) findings=$((findings + f))
	[ "$rc" = 0 ] || fails=$((fails + 1))
	echo "fuzz-soak: round $round (seed $((seed + round))): $i inputs, $f findings, rc=$rc; total $inputs inputs (log: $lg)"
done
echo "fuzz-soak: $inputs inputs, $findings findings, $(($(date +%s) - t0)) s (debug kernel, models: $MODELS_S)"
[ "$findings" = 0 ] && [ "$fails" = 0 ]
