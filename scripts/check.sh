#!/usr/bin/env bash
# make check: every kernel line.  Mainline: deps, tree, kernels, selftests,
# then the VM stages (postings, vmtest on base and patched over the whole
# CPU-model matrix, base/patched comparison, the kselftest runner path, the
# harness's own tests, the demo) while a background lane builds the debug
# kernel, lints, bisects and builds the stable lines; then mutation, the
# debug kernel (KASAN, UBSAN, KFENCE, lockdep) over the matrix, a bounded
# KVM_SET_XSAVE fuzz run on it with the differential replay, and the stable
# lines' VM stages (scripts/check-stable.sh).  Ends with "N passed, N failed".
# CHECK_STABLE=0 leaves the stable lines out, CHECK_DEMO=0 the mainline demo.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
mkdir -p "$BUILD/logs"
: >"$BUILD/stage-times"
P=0 F=0
summary=$BUILD/check-summary
: >"$summary"
# check NAME CMD...: a stage whose success counts as one check.
check() {
	local name=$1 rc=0
	shift
	stage "$name" "$@" 2>&1 | tee "$BUILD/logs/check-$name.log" || rc=${PIPESTATUS[0]}
	tally_rc "$name" "$rc" "$BUILD/logs/check-$name.log" >/dev/null
}
# fatal NAME CMD...: a prerequisite; stop everything if it fails.
fatal() {
	local name=$1
	shift
	stage "$name" "$@" || { echo "FAILED: $name: cannot continue"; echo "0 passed, 1 failed"; exit 1; }
}

T0=$(date +%s)
fatal deps "$S/deps.sh"
# The fuzzer's ABI model against design.md's decision table (build host).
stage fuzz-model "$S/fuzz-model-test.sh" 2>&1 | tee "$BUILD/logs/check-fuzz-model.log" | tail -n 3 || true
tally "$BUILD/logs/check-fuzz-model.log" 'fuzz-model: '
fatal tree "$S/get-tree.sh"
fatal apply "$S/apply.sh"
fatal kernel-base env KERNEL=base "$S/build-kernel.sh"
fatal kernel-patched env KERNEL=patched "$S/build-kernel.sh"
fatal selftests "$S/build-selftests.sh"
fatal initramfs "$S/mkinitramfs.sh"

# The background lane: stages that need no VM run while the VM stages below
# keep one of the two CPUs busy (QEMU/TCG runs one vCPU), at nice 10 so that
# the VMs keep their CPU.  Nothing in the foreground edits build/linux or
# build/patched before "wait" (mutation does, and runs after it).  Each
# background stage writes "<name> <rc>" to $bgres and its log as usual.
bgres=$BUILD/check-background
: >"$bgres"
bg_stage() { # bg_stage NAME CMD...
	local name=$1 rc=0
	shift
	stage "$name" "$@" >"$BUILD/logs/check-$name.log" 2>&1 || rc=$?
	echo "$name $rc" >>"$bgres"
	echo "==> [$name] (background) done, rc=$rc" >&2
}
(
	# Bochs first: the foreground's bochs stage waits for its build.
	bg_stage bochs-build env BOCHS_PHASE=build "$S/bochs.sh"
	# QEMU with patches/qemu/ for the demo's userspace-half rows.
	bg_stage qemu-fix-build "$S/qemu-fix-cpio.sh"
	bg_stage kernel-patched-debug env KERNEL=patched FLAVOR=debug "$S/build-kernel.sh"
	bg_stage lint "$S/lint.sh"
	bg_stage bisect "$S/bisect.sh"
	# The stable lines' trees, kernels, bisect and checkpatch.
	if [ "${CHECK_STABLE:-1}" = 1 ]; then
		bg_stage stable-build env STABLE_PHASE=build "$S/check-stable.sh"
	fi
) </dev/null &
bgpid=$!
log "background lane started (pid $bgpid): debug kernel, lint, bisect, stable lines' builds; logs: $BUILD/logs/check-<stage>.log"

# The postings as they would be sent, signed by a test identity (the
# repository keeps a placeholder, which postings.sh refuses; harness-test
# checks that): each applies alone onto the base and passes checkpatch, and
# b4 writes the mails of each (dry run).
sender=(env GIT_AUTHOR_NAME="Check Sender" GIT_AUTHOR_EMAIL=check.sender@example.org)
stage postings "${sender[@]}" "$S/postings.sh" 2>&1 | tee "$BUILD/logs/check-postings.log" || true
tally "$BUILD/logs/check-postings.log"
check send "${sender[@]}" "$S/send.sh"

check vmtest-base env KERNEL=base "$S/vmtest.sh"
check vmtest-patched env KERNEL=patched "$S/vmtest.sh"
stage compare "$S/compare.sh" 2>&1 | tee "$BUILD/logs/check-compare.log" || true
tally "$BUILD/logs/check-compare.log"
grep -E '^compare: (REGRESSION|WRONG|not reproduced)|missing' "$BUILD/logs/check-compare.log" >>"$summary" || true
# The kselftest runner path (the selftests' install target, which make
# kselftest-install runs, and run_kselftest.sh in the guest): the series'
# tests and the kvm collection on patched, the series' tests on base.
stage kselftest "$S/kselftest.sh" 2>&1 | tee "$BUILD/logs/check-kselftest.log" || true
tally "$BUILD/logs/check-kselftest.log"
grep -E '^FAIL: ' "$BUILD/logs/check-kselftest.log" | sed 's/^/kselftest: /' >>"$summary" || true
# KVM-unit-tests (pinned source) in L2 guests on both kernels: the same
# result on both, as selftests/kvm-unit-tests expects; an honest SKIP
# without the pinned sources.
stage kvm-unit-tests "$S/kvm-unit-tests.sh" 2>&1 | tee "$BUILD/logs/check-kvm-unit-tests.log" || true
tally "$BUILD/logs/check-kvm-unit-tests.log" '^kvm-unit-tests: '
grep -E '^kvm-unit-tests: SKIP' "$BUILD/logs/check-kvm-unit-tests.log" >>"$summary" || true
stage harness-test "$S/harness-test.sh" 2>&1 | tee "$BUILD/logs/check-harness.log" || true
tally "$BUILD/logs/check-harness.log"
grep -E 'FAILED' "$BUILD/logs/check-harness.log" >>"$summary" || true
if [ -x "$S/demo.sh" ] && [ "${CHECK_DEMO:-1}" = 1 ]; then
	stage demo "$S/demo.sh" 2>&1 | tee "$BUILD/logs/check-demo.log" || true
	tally "$BUILD/logs/check-demo.log"
fi
# The series' tests on the Bochs hosts of config/hosts (VMX, the compacted
# XSAVE format, AVX-512); an honest SKIP without the pinned sources.
stage bochs "$S/bochs.sh" 2>&1 | tee "$BUILD/logs/check-bochs.log" || true
tally "$BUILD/logs/check-bochs.log" '^bochs: '
grep -E '^bochs: (FAILED|SKIP)' "$BUILD/logs/check-bochs.log" >>"$summary" || true

t0=$(date +%s)
log "waiting for the background lane"
wait "$bgpid" || true
echo "bg-wait $(($(date +%s) - t0))" >>"$BUILD/stage-times"
bg_rc() { awk -v n="$1" '$1 == n {print $2}' "$bgres"; }
for n in kernel-patched-debug bisect; do
	tally_rc "$n" "$(bg_rc "$n")" "$BUILD/logs/check-$n.log"
done
# lint: one check per line it prints.
cat "$BUILD/logs/check-lint.log"
tally_lint "$BUILD/logs/check-lint.log"

# Deliberate bugs in the series' kernel code must each fail a named case of
# the series' tests (the new tests skip on base, so this is their proof).
stage mutation "$S/mutate.sh" 2>&1 | tee "$BUILD/logs/check-mutation.log" || true
if grep -q '^mutation: ' "$BUILD/logs/check-mutation.log"; then
	mk=$(sed -n 's/^mutation: \([0-9]*\) of \([0-9]*\) .*/\1 \2/p' "$BUILD/logs/check-mutation.log")
	P=$((P + ${mk% *}))
	F=$((F + ${mk#* } - ${mk% *}))
	awk 'NR > 1 && $3 != "killed" {print "mutant not killed: " $0}' "$BUILD/mutation/table" >>"$summary"
else
	F=$((F + 1)); echo "FAILED: mutation did not run (log: $BUILD/logs/check-mutation.log)" >>"$summary"
fi
# The debug kernel over the matrix (regression list): no splat, no hang, and
# the same result as the non-debug patched kernel for every test and model.
if [ -f "$BUILD/patched-debug/bzImage" ]; then
	check vmtest-debug env KERNEL=patched FLAVOR=debug LIST=regression "$S/vmtest.sh"
	stage compare-debug env OLD=patched NEW=patched-debug "$S/compare.sh" 2>&1 |
		tee "$BUILD/logs/check-compare-debug.log" || true
	tally "$BUILD/logs/check-compare-debug.log"
	grep -E '^compare: (REGRESSION|WRONG|not reproduced)|missing' "$BUILD/logs/check-compare-debug.log" >>"$summary" || true
fi
# Bounded fuzz with a fixed seed (deterministic inputs) on the debug kernel,
# + differential replay (recorded on base, replayed on the debug kernel).
stage fuzz env FLAVOR=debug FUZZ_SECONDS=20 SEED=20261122 DIFF_ITERS=1000 MODELS="max max-noavx noxsave" "$S/fuzz.sh" 2>&1 |
	tee "$BUILD/logs/check-fuzz.log" || true
tally "$BUILD/logs/check-fuzz.log"
grep -E 'FINDING|differences|no result' "$BUILD/logs/check-fuzz.log" | grep -v ' 0 differences' >>"$summary" || true

# The stable lines (config/kernels): their build phase ran in the
# background; now their VM stages and migration rows.
if [ "${CHECK_STABLE:-1}" = 1 ]; then
	cat "$BUILD/logs/check-stable-build.log"
	stage stable-test env STABLE_PHASE=test "$S/check-stable.sh" 2>&1 | tee "$BUILD/logs/check-stable-test.log" || true
	# Each phase's result line, its failures (check-stable.sh's own
	# summary file) and its stage times.
	for ph in build test; do
		tally "$BUILD/logs/check-stable-$ph.log"
		[ ! -f "$BUILD/check-stable-summary-$ph" ] || cat "$BUILD/check-stable-summary-$ph" >>"$summary"
		[ ! -f "$BUILD/stage-times-stable-$ph" ] || sed 's/^/  stable:/' "$BUILD/stage-times-stable-$ph" >>"$BUILD/stage-times"
	done
else
	echo "note: CHECK_STABLE=0: the stable lines were not checked" | tee -a "$summary"
fi

echo
echo "==== stage times (s) ===="
column -t "$BUILD/stage-times" 2>/dev/null || cat "$BUILD/stage-times"
echo "total $(($(date +%s) - T0)) s"
disk_report
echo "==== vmtest ===="
cat "$BUILD"/vmtest/base/summary "$BUILD"/vmtest/patched/summary "$BUILD"/vmtest/patched-debug/summary 2>/dev/null || true
if [ -s "$summary" ]; then echo "==== failures and reported skips ===="; cat "$summary"; fi
echo "$P passed, $F failed"
[ "$F" = 0 ]
