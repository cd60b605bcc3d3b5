#!/usr/bin/env bash
# make fuzz [FUZZ_SECONDS=N] [SEED=N] [MODELS="max noxsave"] [FLAVOR=debug]:
# run the KVM_SET_XSAVE fuzzer (selftests/fuzz) inside the patched kernel
# (build/patched-debug with FLAVOR=debug: KASAN, UBSAN, KFENCE, lockdep) for
# N seconds per CPU model, then the differential check: a quirk-disabled
# corpus recorded on the unpatched kernel is replayed on the patched one,
# which must decide every input identically.  A kernel splat (WARNING, BUG,
# KASAN, UBSAN, lockdep) in any of these VMs is a finding.  Ends with
# "fuzz: <inputs> inputs, <findings> findings, <seconds> s" and
# "fuzz: N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need gcc make
SECONDS_BUDGET=${FUZZ_SECONDS:-60}
[ "$SECONDS_BUDGET" -ge 5 ] || die "FUZZ_SECONDS=$SECONDS_BUDGET: want at least 5"
SEED=${SEED:-$(date +%s)}
ITERS=${DIFF_ITERS:-3000}
MODELS_F=${MODELS:-max epyc-rome noxsave}
FLAVOR=${FLAVOR:-}
pimg=$BUILD/patched${FLAVOR:+-$FLAVOR}/bzImage
[ -f "$pimg" ] || die "no $pimg; run 'make kernel KERNEL=patched${FLAVOR:+ FLAVOR=$FLAVOR}'"
[ -f "$BUILD/base/bzImage" ] || die "no $BUILD/base/bzImage; run 'make kernels'"
slow=$(flavor_slowdown "$FLAVOR")
out=$BUILD/fuzz${FLAVOR:+-$FLAVOR}
rm -rf "$out"
mkdir -p "$out" "$BUILD/guest-bin"
make -s -C "$TOP/selftests" O="$BUILD/guest-bin" xsave_fuzz
"$TOP/scripts/mkinitramfs.sh"
pass=0 fail=0 inputs=0 findings=0 secs=0
splat() { # splat DIR: the guest kernel reported a WARNING/BUG/KASAN/UBSAN
	if tap_splat "$1/tap.log"; then
		echo "fuzz: FINDING: kernel splat in $1 (see $1/tap.log, $1/console.log):"
		grep '^# dmesg: ' "$1/tap.log" | head -20 | sed 's/^# dmesg: /    /'
		return 0
	fi
	return 1
}
for m in $MODELS_F; do
	cpu=$(cpu_of "$m")
	[ -n "$cpu" ] || die "unknown model $m"
	# --mxcsr-fix: model the series' MXCSR fixes; every MXCSR difference
	# after a guest run is a finding (x86/xsave_mxcsr_test reproduces the
	# one v7.3 has).
	echo "xsave_fuzz $((SECONDS_BUDGET + 60)) /t/xsave_fuzz --seed $SEED --seconds $SECONDS_BUDGET --mxcsr-fix" >"$out/list"
	log "fuzz: patched${FLAVOR:+-$FLAVOR} kernel on $m, seed $SEED, ${SECONDS_BUDGET}s"
	"$TOP/scripts/boot.sh" "$pimg" "$cpu" "$out/list" "$out/$m" $((SECONDS_BUDGET + 240 * slow)) >/dev/null ||
		die "fuzz VM on $m failed, see $out/$m/console.log"
	line=$(sed -n 's/^# \(fuzz: [0-9]* inputs, [0-9]* findings, [0-9]* s\)$/\1/p' "$out/$m/tap.log" | tail -n1)
	[ -n "$line" ] || { echo "fuzz: $m: no result line (see $out/$m/tap.log)"; fail=$((fail + 1)); continue; }
	echo "  $m: $line"
	sed -n 's/^# \(runs: .*\)/    \1/p' "$out/$m/tap.log"
	grep '^# FINDING' "$out/$m/tap.log" | head -5 | sed 's/^# /    /' || true
	read -r _ n_in _ n_find _ n_secs _ <<<"$line"
	inputs=$((inputs + n_in)) findings=$((findings + n_find)) secs=$((secs + n_secs))
	[ "$n_secs" = 0 ] || echo "  $m: $((n_in / n_secs)) inputs/s"
	ks=0
	if splat "$out/$m"; then findings=$((findings + 1)) ks=1; fi
	if [ "$n_find" = 0 ] && [ "$ks" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi

	# Differential: record on base (quirk off), replay on patched.
	echo "fuzz-record 600 /bin/fuzz-record $SEED $ITERS" >"$out/list"
	"$TOP/scripts/boot.sh" "$BUILD/base/bzImage" "$cpu" "$out/list" "$out/$m-record" 900 >/dev/null ||
		die "record VM on $m failed, see $out/$m-record/console.log"
	tap_block "$out/$m-record/tap.log" CORPUS >"$out/corpus.b64"
	[ -s "$out/corpus.b64" ] || { echo "fuzz: $m: no corpus recorded"; fail=$((fail + 1)); continue; }
	cp "$out/corpus.b64" "$out/$m-corpus.b64"
	echo "fuzz-replay 600 /bin/fuzz-replay" >"$out/list"
	VM_FILES="$out/corpus.b64" "$TOP/scripts/boot.sh" "$pimg" "$cpu" "$out/list" "$out/$m-replay" $((900 * slow)) >/dev/null ||
		die "replay VM on $m failed, see $out/$m-replay/console.log"
	r=$(sed -n 's/^# \(replay: [0-9]* inputs, [0-9]* differences\)$/\1/p' "$out/$m-replay/tap.log" | tail -n1)
	echo "  $m: differential base->patched${FLAVOR:+-$FLAVOR} (quirk off): ${r:-no result}"
	ks=0
	for d in "$out/$m-record" "$out/$m-replay"; do
		if splat "$d"; then findings=$((findings + 1)) ks=1; fi
	done
	if grep -q ' 0 differences$' <<<"$r" && [ "$ks" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "fuzz: $inputs inputs, $findings findings, $secs s"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
