#!/usr/bin/env bash
# make check-stable: the checks of the series, for each stable backport of
# config/kernels (STABLE_VERSIONS="6.12" restricts them): Debian's
# source + patches/stable/V with git am, the unpatched and patched kernels,
# the build after every patch, scripts/lint.sh (checkpatch --strict with the
# tree's own checkpatch, sparse and W=1, kernel-doc), the tests of config/tests for the line on every
# CPU model (scripts/vmtest.sh and compare.sh: the backported test SKIPs
# unpatched and PASSes patched, the XSAVE-related tests give the same result
# on both), the mutants of selftests/mutants/stable-V, then the migration demo rows of
# selftests/demo-matrix-stable and selftests/qemu-migrate/matrix-stable.
# Per-stage times; ends with "N passed, N failed".
# CHECK_STABLE_DEMO=0 skips the demo stage (the migration rows) and says so;
# it runs in build/demo, which the mainline demo shares, so skip it while
# another make demo may be running.  Default 1: the demo runs.
# STABLE_PHASE=build runs only the stages that need no VM (tree, kernels,
# bisect, checkpatch, selftests, initramfs; make check runs them in the
# background while the mainline VMs run), STABLE_PHASE=test only the rest
# (vmtest, mutation, demo) of the lines whose build phase succeeded
# (build/stable/V/built); default: both.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
mkdir -p "$BUILD/logs"
PHASE=${STABLE_PHASE:-all}
case $PHASE in build | test | all) ;; *) die "STABLE_PHASE=$PHASE: want build, test or all" ;; esac
times=$BUILD/stage-times-stable${STABLE_PHASE:+-$PHASE}
: >"$times"
P=0 F=0
summary=$BUILD/check-stable-summary${STABLE_PHASE:+-$PHASE}
: >"$summary"
export STAGE_TIMES=$times
# run NAME CMD...: a stage, timed, logged to build/logs/check-stable-NAME.log.
run() {
	local name=$1
	shift
	stage "$name" "$@" >"$BUILD/logs/check-stable-$name.log" 2>&1
}
# check NAME CMD...: a stage whose success counts as one check.
check() {
	local rc=0
	run "$@" || rc=$?
	tally_rc "$1" "$rc" "$BUILD/logs/check-stable-$1.log"
}
# count NAME REGEX: add the "N passed, N failed" of the stage's result line.
count() {
	grep -E "$2" "$BUILD/logs/check-stable-$1.log" | tail -n1 | sed 's/^/    /' || true
	tally "$BUILD/logs/check-stable-$1.log" "$2"
}
T0=$(date +%s)
versions=${STABLE_VERSIONS:-$(stable_versions)}
for v in $versions; do
	export STABLE=$v
	[ "$PHASE" != test ] || continue
	rm -f "$(stable_dir "$v")/built"
	run "$v-tree" "$S/get-tree.sh" || { F=$((F + 1)); echo "FAILED: $v: git am of patches/stable/$v" | tee -a "$summary"; continue; }
	P=$((P + 1))
	if ! run "$v-kernel-base" env KERNEL="stable-$v-base" "$S/build-kernel.sh" ||
		! run "$v-kernel-patched" env KERNEL="stable-$v" "$S/build-kernel.sh"; then
		F=$((F + 1)); echo "FAILED: $v: kernel build" | tee -a "$summary"
		# The end of the failed build's log, so that a run whose build
		# directory is gone still says why.
		tail -n 20 "$BUILD/logs/check-stable-$v-kernel-base.log" "$BUILD/logs/check-stable-$v-kernel-patched.log" \
			"$BUILD/logs/kernel-stable-$v-base.log" "$BUILD/logs/kernel-stable-$v.log" 2>/dev/null | sed 's/^/    /' || true
		disk_report | sed 's/^/    /'
		continue
	fi
	P=$((P + 1))
	check "$v-bisect" "$S/bisect.sh"
	# checkpatch --strict, sparse and W=1, kernel-doc: one check per line.
	run "$v-lint" "$S/lint.sh" || true
	grep '^lint: ' "$BUILD/logs/check-stable-$v-lint.log" | sed 's/^/    /' || true
	tally_lint "$BUILD/logs/check-stable-$v-lint.log" "$v: "
	if ! run "$v-selftests" "$S/build-selftests.sh" || ! run "$v-initramfs" "$S/mkinitramfs.sh"; then
		F=$((F + 1)); echo "FAILED: $v: selftests build" | tee -a "$summary"; continue
	fi
	touch "$(stable_dir "$v")/built"
done
for v in $versions; do
	export STABLE=$v
	[ "$PHASE" != build ] || continue
	[ -f "$(stable_dir "$v")/built" ] || { F=$((F + 1)); echo "FAILED: $v: not built (its build phase failed or did not run)" | tee -a "$summary"; continue; }
	check "$v-vmtest-base" env KERNEL=base "$S/vmtest.sh"
	check "$v-vmtest-patched" env KERNEL=patched "$S/vmtest.sh"
	run "$v-compare" "$S/compare.sh" || true
	count "$v-compare" '^compare: [0-9]+ passed, [0-9]+ failed'
	grep -E '^compare: (REGRESSION|WRONG|not reproduced)|missing' "$BUILD/logs/check-stable-$v-compare.log" |
		sed "s/^/$v: /" >>"$summary" || true
	run "$v-mutation" "$S/mutate.sh" || true
	l=$(sed -n 's/^mutation ([^)]*): \([0-9]*\) of \([0-9]*\) .*/\1 \2/p' "$BUILD/logs/check-stable-$v-mutation.log")
	if [ -n "$l" ]; then
		read -r killed total <<<"$l"
		P=$((P + killed)) F=$((F + total - killed))
		grep '^mutation' "$BUILD/logs/check-stable-$v-mutation.log" | sed 's/^/    /'
		[ "$killed" = "$total" ] || echo "FAILED: $v: $((total - killed)) mutants survived" >>"$summary"
	else
		F=$((F + 1)); echo "FAILED: $v: mutation did not run" | tee -a "$summary"
	fi
done
unset STABLE
# The migration rows (both stable kernels, raw VMM and QEMU) in one demo run.
if [ "$PHASE" = build ]; then
	:
elif [ "${CHECK_STABLE_DEMO:-1}" = 0 ]; then
	echo "==> [demo] SKIPPED (CHECK_STABLE_DEMO=0): the migration rows were not run" >&2
	demo_skipped=1
else
	run demo env DEMO_MATRIX="$TOP/selftests/demo-matrix-stable" \
		QEMU_DEMO_MATRIX="$TOP/selftests/qemu-migrate/matrix-stable $TOP/selftests/qemu-migrate/matrix-stable-qemu10 $TOP/selftests/qemu-migrate/matrix-stable-qemu-fix" "$S/demo.sh" || true
	count demo '^demo: [0-9]+ passed, [0-9]+ failed'
fi

echo
echo "==== stage times (s) ===="
column -t "$times" 2>/dev/null || cat "$times"
echo "total $(($(date +%s) - T0)) s"
if [ -s "$summary" ]; then echo "==== failures ===="; cat "$summary"; fi
[ -z "${demo_skipped:-}" ] || echo "note: demo stage skipped (CHECK_STABLE_DEMO=0), the migration rows are not counted"
echo "$P passed, $F failed"
[ "$F" = 0 ]
