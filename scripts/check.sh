#!/usr/bin/env bash
# make check: the one orchestrator.  The same stages for every kernel line of
# config/kernels (CHECK_LINES, default all; make check-stable: the stable
# lines only): tree (Debian's source + the line's patches), base and patched
# kernel, selftests and initramfs, bisect, lint, vmtest on base and patched
# over the line's CPU models, the base/patched comparison, mutation.  The
# series-level stages run with the mainline line: the ABI model test,
# postings and send, kselftest, KVM-unit-tests, the harness's own tests, the
# migration demo (mainline rows, then the stable lines' rows), the Bochs
# hosts and a bounded KVM_SET_XSAVE fuzz run; with CHECK_DEBUG=1 (make
# check-debug) also the debug kernel (KASAN, UBSAN, KFENCE, lockdep) over
# the matrix, and the fuzz run on it.
# Two lanes: mainline's builds and the VM stages in the foreground
# (QEMU/TCG keeps one CPU busy); the builds that need no VM (Bochs, QEMU
# with patches/qemu/, the debug kernel (CHECK_DEBUG=1), every stable line's
# tree, kernels, selftests and lint, mainline's lint, every line's bisect)
# and the stable lines' mutants in a background lane beside them, from the
# start (not niced: at nice 10 a cold run's 6.12 kernel took 666 s instead
# of 408).  Each lane waits for what it needs of the other: the foreground
# for a background stage (bg_wait), so a stable line's VM stages start as
# soon as its kernels are built; the background's mainline stages for
# mainline's tree and kernels (fg_wait).  Every
# stage is timed (build/stage-times) and logged (build/logs/check-<stage>.log);
# ends with "N passed, N failed".  CHECK_DEMO=0 leaves the demo rows out.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
mkdir -p "$BUILD/logs"
export STAGE_TIMES=$BUILD/stage-times
: >"$STAGE_TIMES"
P=0 F=0
summary=$BUILD/check-summary
: >"$summary"
lines=$(echo "${CHECK_LINES:-$(strip_comments "$KERNELS" | awk '{print $1}')}" | xargs)
for v in $lines; do kernel_field "$v" 1 >/dev/null; done
stable_lines=$(for v in $lines; do [ "$v" = "$MAINLINE" ] || echo "$v"; done)
debug=${CHECK_DEBUG:-0}
case $debug in 0 | 1) ;; *) die "CHECK_DEBUG=$debug: 0 or 1" ;; esac
grep -q " $MAINLINE " <<<" $lines " && series=1 || series=0

# The per-line vocabulary: a stage of line V is named V-<stage> (mainline:
# <stage>) and runs with STABLE=V (mainline: without STABLE).
pfx() { [ "$1" = "$MAINLINE" ] || echo "$1-"; }
lenv() { if [ "$1" = "$MAINLINE" ]; then echo "-u STABLE"; else echo "STABLE=$1"; fi; }
logf() { echo "$BUILD/logs/check-$1.log"; }
# lpfx NAME: "V: " for a stage of stable line V, nothing for mainline's.
lpfx() { case $1 in [0-9]*-*) echo "${1%%-*}: " ;; esac; }

# The foreground's prerequisite stages that passed (fatal), one per line:
# the background lane's mainline stages wait for them (fg_wait).
fgres=$BUILD/check-foreground
: >"$fgres"
fg_wait() {
	until grep -qx "$1" "$fgres"; do sleep 2; done
}
# stop_bg: end the background lane (once started) and what it runs, when
# a prerequisite fails.
bgpid=
kill_tree() {
	local c
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill -TERM "$1" 2>/dev/null || true
}
stop_bg() { [ -z "$bgpid" ] || kill_tree "$bgpid"; }

# check NAME CMD...: a foreground stage whose success is one check.
check() {
	local name=$1 rc=0
	shift
	stage "$name" "$@" 2>&1 | tee "$(logf "$name")" || rc=${PIPESTATUS[0]}
	tally_rc "$name" "$rc" "$(logf "$name")" >/dev/null
	return "$rc"
}
# counted NAME REGEX REPORT CMD...: a foreground stage whose "N passed, N
# failed" line (the last one matching REGEX) counts; its lines matching the
# regular expression REPORT (failures, reported skips) go to the summary.
counted() {
	local name=$1 re=$2 report=$3
	shift 3
	stage "$name" "$@" 2>&1 | tee "$(logf "$name")" || true
	tally "$(logf "$name")" "$re"
	grep -E "$report" "$(logf "$name")" | sed "s/^/$(lpfx "$name")/" >>"$summary" || true
}
CMP_REPORT='^compare: (REGRESSION|WRONG|not reproduced|.*missing)'
# fatal NAME CMD...: a prerequisite of everything after it.
fatal() {
	local name=$1
	shift
	if stage "$name" "$@" >"$(logf "$name")" 2>&1; then
		P=$((P + 1))
		echo "$name" >>"$fgres"
		return
	fi
	tail -n 20 "$(logf "$name")"
	stop_bg
	disk_report
	echo "FAILED: $name: cannot continue (log: $(logf "$name"))"
	echo "$P passed, $((F + 1)) failed"
	exit 1
}
# mutation V: the line's mutants (scripts/mutate.sh) in the foreground;
# mutation_tally V: one check per mutant (from its log and table).
mutation() {
	local name
	name=$(pfx "$1")mutation
	# shellcheck disable=SC2046
	stage "$name" env $(lenv "$1") "$S/mutate.sh" 2>&1 | tee "$(logf "$name")" || true
	mutation_tally "$1"
}
mutation_tally() {
	local v=$1 name l k n
	name=$(pfx "$v")mutation
	l=$(sed -n 's/^mutation\( ([^)]*)\)\?: \([0-9]*\) of \([0-9]*\) .*/\2 \3/p' "$(logf "$name")")
	if [ -z "$l" ]; then F=$((F + 1)); echo "FAILED: $name did not run (log: $(logf "$name"))" >>"$summary"; return; fi
	read -r k n <<<"$l"
	P=$((P + k)) F=$((F + n - k))
	# mutate.sh's table: build/mutation (mainline), build/mutation-V.
	awk -v v="$(lpfx "$name")" 'NR > 1 && $3 != "killed" {print v "mutant not killed: " $0}' \
		"$BUILD/mutation$([ "$v" = "$MAINLINE" ] || echo "-$v")/table" >>"$summary" 2>/dev/null || true
}
# vm_stages V: vmtest on both kernels over the line's models, then compare.
vm_stages() {
	local v=$1 p
	p=$(pfx "$v")
	# shellcheck disable=SC2046
	check "${p}vmtest-base" env $(lenv "$v") KERNEL=base "$S/vmtest.sh" || true
	# shellcheck disable=SC2046
	check "${p}vmtest-patched" env $(lenv "$v") KERNEL=patched "$S/vmtest.sh" || true
	# shellcheck disable=SC2046
	counted "${p}compare" '^compare: [0-9]+ passed' "$CMP_REPORT" env $(lenv "$v") "$S/compare.sh"
}

T0=$(date +%s)
fatal deps "$S/deps.sh"
# The disk: a cold run (no mainline kernel objects in build/ yet) of every
# line filled up to CHECK_DISK_GB (its measured peak, rounded up; README,
# Measured); fail now, with the figures, rather than in the stage that
# fills the disk.  CHECK_DISK_GB=0: no check.
need=${CHECK_DISK_GB:-22}
have=$(free_space | tr -dc 0-9)
if [ ! -d "$BUILD/base/obj" ] && [ "$have" -lt "$need" ]; then
	echo "FAILED: disk: $have GB free on the filesystem of $BUILD; a cold make check needs about $need GB (CHECK_DISK_GB)"
	echo "$P passed, 1 failed"
	exit 1
fi

# The background lane.  Each stage writes "<name> <rc> <kind>" to $bgres
# (kind rc: its exit status is one check; lint: one check per "lint:"
# line; mark: not a check, a line's builds are done: rc 0 when all passed)
# and its log as usual.  The foreground waits for what it needs next
# (bg_wait), not for the whole lane.  Order: what the foreground needs
# first.  A line's mutants edit its tree (mainline's in the foreground,
# the stable lines' in this lane): they run after the line's lint, the
# last stage that reads it (the bisect builds in the line's build
# worktree, the debug kernel is built before mainline's lint).
bgres=$BUILD/check-background
: >"$bgres"
bg_stage() { # bg_stage NAME KIND CMD...
	local name=$1 kind=$2 rc=0
	shift 2
	stage "$name" "$@" >"$(logf "$name")" 2>&1 || rc=$?
	echo "$name $rc $kind" >>"$bgres"
	echo "==> [$name] (background) done, rc=$rc" >&2
	return "$rc"
}
(
	if [ "$series" = 1 ]; then
		# Bochs first: the foreground's bochs stage waits for its build.
		bg_stage bochs-build rc env BOCHS_PHASE=build "$S/bochs.sh" || true
		# QEMU with patches/qemu/ for the demo's userspace-half rows
		# (lint runs QEMU's checkpatch in its source).
		bg_stage qemu-fix-build rc "$S/qemu-fix-cpio.sh" || true
		if [ "$debug" = 1 ]; then
			fg_wait kernel-patched
			bg_stage kernel-patched-debug rc env KERNEL=patched FLAVOR=debug "$S/build-kernel.sh" || true
		fi
	fi
	# The stable lines' builds (their VM stages need them), then every
	# line's lint (the mutants wait for it), then every line's bisect.
	for v in $stable_lines; do
		e=$(lenv "$v")
		# The first failure ends the line's build (its VM stages need all).
		# shellcheck disable=SC2086
		if bg_stage "$v-tree" rc env $e "$S/get-tree.sh" &&
			bg_stage "$v-kernel-base" rc env $e KERNEL="stable-$v-base" "$S/build-kernel.sh" &&
			bg_stage "$v-kernel-patched" rc env $e KERNEL="stable-$v" "$S/build-kernel.sh" &&
			bg_stage "$v-selftests" rc env $e "$S/build-selftests.sh" &&
			bg_stage "$v-initramfs" rc env $e "$S/mkinitramfs.sh"; then
			echo "$v-built 0 mark" >>"$bgres"
		else
			echo "$v-built 1 mark" >>"$bgres"
		fi
	done
	built_lines=$(for v in $stable_lines; do grep -q "^$v-built 0 " "$bgres" && echo "$v"; done)
	for v in $built_lines; do
		# shellcheck disable=SC2046
		bg_stage "$v-lint" lint env $(lenv "$v") "$S/lint.sh" || true
	done
	if [ "$series" = 1 ]; then
		# Mainline's tree and kernels come from the foreground.
		fg_wait initramfs
		bg_stage lint lint "$S/lint.sh" || true
	fi
	# The stable lines' mutants (they edit the line's tree: after its
	# lint) beside the foreground's last stages.
	for v in $built_lines; do
		# shellcheck disable=SC2046
		bg_stage "$v-mutation" mutation env $(lenv "$v") "$S/mutate.sh" || true
	done
	[ "$series" = 0 ] || bg_stage bisect rc "$S/bisect.sh" || true
	for v in $built_lines; do
		# shellcheck disable=SC2046
		bg_stage "$v-bisect" rc env $(lenv "$v") "$S/bisect.sh" || true
	done
) </dev/null &
bgpid=$!
log "background lane started (pid $bgpid); logs: $BUILD/logs/check-<stage>.log"
# bg_wait NAME...: until each of these background stages has finished (or
# the lane has ended); the time waited goes to the stage times.
bg_wait() {
	local n t0
	t0=$(date +%s)
	for n in "$@"; do
		while ! grep -q "^$n " "$bgres" && kill -0 "$bgpid" 2>/dev/null; do sleep 2; done
	done
	echo "bg-wait:$(echo "$*" | tr ' ' ,) $(($(date +%s) - t0))" >>"$STAGE_TIMES"
}

if [ "$series" = 1 ]; then
	# The fuzzer's ABI model against design.md's decision table (build host).
	counted fuzz-model '^fuzz-model: ' 'FAIL' "$S/fuzz-model-test.sh"
	# Mainline's tree, kernels and test initramfs: the VM stages need them.
	fatal tree "$S/get-tree.sh"
	fatal apply "$S/apply.sh"
	fatal kernel-base env KERNEL=base "$S/build-kernel.sh"
	fatal kernel-patched env KERNEL=patched "$S/build-kernel.sh"
	fatal selftests "$S/build-selftests.sh"
	fatal initramfs "$S/mkinitramfs.sh"

	# The postings as they would be sent, signed by a test identity (the
	# repository keeps a placeholder, which postings.sh refuses;
	# harness-test checks that): send.sh runs postings.sh (each posting
	# applies alone onto the base and passes checkpatch; its "postings: N
	# passed, N failed" counts), then b4 writes the mails of each (dry run;
	# its exit status is one more check).
	sender=(env GIT_AUTHOR_NAME="Check Sender" GIT_AUTHOR_EMAIL=check.sender@example.org)
	check send "${sender[@]}" "$S/send.sh" || true
	tally "$(logf send)" '^postings: [0-9]+ passed'
	grep -E '^postings: .* FAILED' "$(logf send)" >>"$summary" || true
	vm_stages "$MAINLINE"
	# The kselftest runner path (the selftests' install target and
	# run_kselftest.sh in the guest).
	counted kselftest '[0-9]+ passed' '^FAIL: ' "$S/kselftest.sh"
	# KVM-unit-tests (pinned source) in L2 guests on both kernels; an
	# honest SKIP without the pinned sources.
	counted kvm-unit-tests '^kvm-unit-tests: ' '^kvm-unit-tests: (SKIP|FAIL)' "$S/kvm-unit-tests.sh"
	counted harness-test '^harness: ' '^harness: .* FAILED' "$S/harness-test.sh"
	if [ "${CHECK_DEMO:-1}" = 1 ]; then
		counted demo '^demo: [0-9]+ passed' '^(demo: (the|no) |qemu-demo: SKIP)' "$S/demo.sh"
	fi
	# The series' tests on the Bochs hosts of config/hosts (VMX, the
	# compacted XSAVE format, AVX-512); an honest SKIP without the sources.
	counted bochs '^bochs: ' '^bochs: (FAILED|SKIP)' "$S/bochs.sh"
fi

# In the order of what the background lane finishes first: the fuzz run
# (it needs nothing from there but, with CHECK_DEBUG=1, the debug kernel),
# the stable lines' VM stages as each line is built and their migration
# rows, mainline's mutants (after its lint, which reads its tree) and the
# debug kernel's runs; the stable lines' mutants and the bisects run in
# the background lane beside them.
if [ "$series" = 1 ]; then
	# Bounded fuzz with a fixed seed (deterministic inputs) on the patched
	# kernel (CHECK_DEBUG=1: the debug kernel) + differential replay
	# (recorded on base, replayed there).
	fl=
	if [ "$debug" = 1 ]; then fl=debug; bg_wait kernel-patched-debug; fi
	counted fuzz '[0-9]+ passed' 'FINDING|[1-9][0-9]* differences|no result' env FLAVOR="$fl" FUZZ_SECONDS=20 SEED=20261122 DIFF_ITERS=1000 \
		MODELS="max max-noavx noxsave" "$S/fuzz.sh"
fi

# The stable lines whose build stages all passed: their VM stages as each
# line is built, then their migration rows in one demo run.
built=
for v in $stable_lines; do
	bg_wait "$v-built"
	if ! grep -q "^$v-built 0 " "$bgres"; then
		F=$((F + 1)); echo "FAILED: $v: not built (see the failed $v- stage below)" | tee -a "$summary"
		continue
	fi
	built="$built $v"
	vm_stages "$v"
done
if [ -n "$built" ] && [ "${CHECK_DEMO:-1}" = 1 ]; then
	d=$TOP/selftests/demo
	counted stable-demo '^demo: [0-9]+ passed' '^(demo: (the|no) |qemu-demo: SKIP)' \
		env DEMO_MATRIX="$d/vmm-stable $d/qemu-7.2-stable $d/qemu-10-stable $d/qemu-fix-stable" "$S/demo.sh"
fi

if [ "$series" = 1 ]; then
	# Deliberate bugs in the series' kernel code must each fail a named
	# case of the series' tests (the new tests skip on base, so this is
	# their proof).
	bg_wait lint
	mutation "$MAINLINE"
	# The debug kernel over the matrix (regression list): no splat, no
	# hang, and the same result as the non-debug patched kernel.
	if [ "$debug" = 1 ] && [ -f "$BUILD/patched-debug/bzImage" ]; then
		check vmtest-debug env KERNEL=patched FLAVOR=debug LIST=regression "$S/vmtest.sh" || true
		counted compare-debug '^compare: [0-9]+ passed' "$CMP_REPORT" env OLD=patched NEW=patched-debug "$S/compare.sh"
	fi
fi

t0=$(date +%s)
log "waiting for the background lane"
wait "$bgpid" || true
echo "bg-wait $(($(date +%s) - t0))" >>"$STAGE_TIMES"
while read -r name rc kind; do
	case $kind in
	lint)
		grep '^lint: ' "$(logf "$name")" | sed "s/^/$(lpfx "$name")/" || true
		tally_lint "$(logf "$name")" "$(lpfx "$name")" ;;
	mark) ;;
	mutation) mutation_tally "${name%-mutation}" ;;
	*) tally_rc "$name" "$rc" "$(logf "$name")" ;;
	esac
done <"$bgres"

[ "${CHECK_DEMO:-1}" = 1 ] || echo "note: CHECK_DEMO=0: the migration rows were not run" | tee -a "$summary"
[ "$debug" = 1 ] || [ "$series" = 0 ] ||
	echo "note: CHECK_DEBUG=0: the debug kernel (KASAN, UBSAN, KFENCE, lockdep) was not built; make check-debug runs it" | tee -a "$summary"
[ "$(echo "$lines" | wc -w)" = "$(strip_comments "$KERNELS" | wc -l)" ] ||
	echo "note: CHECK_LINES=\"$lines\": only these kernel lines were checked" | tee -a "$summary"

echo
echo "==== stage times (s) ===="
column -t "$STAGE_TIMES" 2>/dev/null || cat "$STAGE_TIMES"
echo "total $(($(date +%s) - T0)) s"
disk_report
echo "==== vmtest ===="
cat "$BUILD"/vmtest/*/summary 2>/dev/null || true
if [ -s "$summary" ]; then echo "==== failures and reported skips ===="; cat "$summary"; fi
echo "$P passed, $F failed"
[ "$F" = 0 ]
