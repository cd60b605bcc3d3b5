#!/usr/bin/env bash
# make fuzz [SECONDS=N] [SEED=N] [FUZZ_MODELS="max noxsave"]: run the
# KVM_SET_XSAVE fuzzer (selftests/fuzz) inside the patched kernel for N
# seconds per CPU model, then the differential check: a quirk-disabled corpus
# recorded on the unpatched kernel is replayed on the patched one, which must
# decide every input identically.  Ends with
# "fuzz: <inputs> inputs, <findings> findings, <seconds> s" and
# "fuzz: N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need gcc
SECONDS_BUDGET=${SECONDS:-60}
SEED=${SEED:-$(date +%s)}
ITERS=${DIFF_ITERS:-3000}
MODELS_F=${FUZZ_MODELS:-max epyc-rome noxsave}
out=$BUILD/fuzz
rm -rf "$out"
mkdir -p "$out" "$BUILD/guest-bin"
gcc -O2 -static -Wall -Wextra -o "$BUILD/guest-bin/xsave_fuzz" "$TOP/selftests/fuzz/xsave_fuzz.c"
"$TOP/scripts/mkinitramfs.sh"
pass=0 fail=0 inputs=0 findings=0 secs=0
cpu_of() { awk -v m="$1" '$1 == m {print $2}' "$TOP/selftests/cpu-models"; }
for m in $MODELS_F; do
	cpu=$(cpu_of "$m")
	[ -n "$cpu" ] || die "unknown model $m"
	echo "xsave_fuzz $((SECONDS_BUDGET + 60)) /t/xsave_fuzz --seed $SEED --seconds $SECONDS_BUDGET" >"$out/list"
	log "fuzz: patched kernel on $m, seed $SEED, ${SECONDS_BUDGET}s"
	"$TOP/scripts/boot.sh" "$BUILD/patched/bzImage" "$cpu" "$out/list" "$out/$m" $((SECONDS_BUDGET + 240)) >/dev/null ||
		die "fuzz VM on $m failed, see $out/$m/console.log"
	line=$(sed -n 's/^# \(fuzz: [0-9]* inputs, [0-9]* findings, [0-9]* s\)$/\1/p' "$out/$m/tap.log" | tail -n1)
	[ -n "$line" ] || { echo "fuzz: $m: no result line (see $out/$m/tap.log)"; fail=$((fail + 1)); continue; }
	echo "  $m: $line"
	grep '^# FINDING' "$out/$m/tap.log" | head -5 | sed 's/^# /    /' || true
	set -- $line
	inputs=$((inputs + $2)) findings=$((findings + $4)) secs=$((secs + $6))
	if [ "$4" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi

	# Differential: record on base (quirk off), replay on patched.
	echo "fuzz-record 600 /bin/fuzz-record $SEED $ITERS" >"$out/list"
	"$TOP/scripts/boot.sh" "$BUILD/base/bzImage" "$cpu" "$out/list" "$out/$m-record" 900 >/dev/null ||
		die "record VM on $m failed, see $out/$m-record/console.log"
	tap_block "$out/$m-record/tap.log" CORPUS >"$out/corpus.b64"
	[ -s "$out/corpus.b64" ] || { echo "fuzz: $m: no corpus recorded"; fail=$((fail + 1)); continue; }
	cp "$out/corpus.b64" "$out/$m-corpus.b64"
	echo "fuzz-replay 600 /bin/fuzz-replay" >"$out/list"
	VM_FILES="$out/corpus.b64" "$TOP/scripts/boot.sh" "$BUILD/patched/bzImage" "$cpu" "$out/list" "$out/$m-replay" 900 >/dev/null ||
		die "replay VM on $m failed, see $out/$m-replay/console.log"
	r=$(sed -n 's/^# \(replay: [0-9]* inputs, [0-9]* differences\)$/\1/p' "$out/$m-replay/tap.log" | tail -n1)
	echo "  $m: differential base->patched (quirk off): ${r:-no result}"
	if echo "$r" | grep -q ' 0 differences$'; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "fuzz: $inputs inputs, $findings findings, $secs s"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
