#!/usr/bin/env bash
# Stage: the kselftest runner path, as kernel CI farms run selftests.
#  1. builds the series' tests with the selftests' own install target
#     (make -C tools/testing/selftests TARGETS="kvm x86" install) from the
#     tree on branch "series", statically linked, into
#     build/kselftest/install (run_kselftest.sh, kselftest/, kselftest-list.txt);
#     the objects are those of the selftests stage (build-selftests.sh: the
#     same sources, flags and headers), which make brings up to date;
#  2. packs that install into an extra cpio archive (boot.sh VM_CPIO) with
#     what run_kselftest.sh and the tests need beyond busybox and the
#     harness's guest init (selftests/guest/init, unchanged): GNU timeout
#     (runner.sh gives each test a timeout only if /usr/bin/timeout exists;
#     busybox's lacks --foreground and exits 143, not 124), bash and an
#     /etc/passwd for nx_huge_pages_test.sh, the host libraries of both, and
#     the guest wrapper selftests/kselftest/run (/dev/std* links, /dev/shm);
#     run_kselftest.sh and runner.sh themselves run under busybox sh;
#  3. boots build/patched/bzImage on -cpu max,+svm and runs run_kselftest.sh
#     on the series' tests (the whole x86 KVM suite runs on both kernels in
#     vmtest; KSFT_ALL=1: the kvm collection plus x86:xstate_mxcsr_{64,32},
#     less the tests of config/tests flagged slow-tcg; KSFT_ALL=2: the whole
#     collection); parses its KTAP output: a well-formed plan, every series
#     test "ok" and not SKIP, no "not ok" but the known failures of
#     config/tests; any other test not ok on patched gets four more attempts
#     and fails the stage only if it never passes there and passes on base
#     (same result on both kernels);
#  4. boots build/base/bzImage with the same install and runs the series'
#     tests there: each new test must give what its kind in config/tests says
#     (skip-on-base: SKIP, fail-on-base: not ok), state_test must pass, and
#     the known failures flagged "config" must fail there too.
# Ends with "kselftest: N passed, N failed"; exits non-zero on any failure.
# Logs and VM output: build/kselftest/ (kept).
# Environment: MODELS (the first is used; default max), KSFT_ALL=1|2, KSFT_TIMEOUT=S (the
# runner's per-test timeout, -o; default: the collections' settings files).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
t_start=$(date +%s)
need make gcc strip readelf ldd cpio git qemu-system-x86_64 timeout
# The selftests' install rule (tools/testing/selftests/lib.mk) uses rsync.
need rsync
grep -q "install ok installed" < <(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null) ||
	die "busybox-static not installed; run 'make deps'"
[ -d "$TREE/.git" ] || die "no tree at $TREE; run 'make tree' first"
for k in patched base; do
	[ -f "$BUILD/$k/bzImage" ] || die "no $BUILD/$k/bzImage; run 'make kernels'"
done

ks=$BUILD/kselftest
hdr=$BUILD/selftests-headers   # O=: the headers of build-selftests.sh
out=$ks/build          # the Makefile's BUILD: kvm, x86 -> the selftests stage's output
inst=$ks/install       # KSFT_INSTALL_PATH
logs=$ks/logs
mkdir -p "$logs"
# The CPU model (a QEMU host of config/hosts; the first of MODELS, default max).
MODEL=$(first_model max)
CPU=$(cpu_of "$MODEL")
[ -n "$CPU" ] || die "no QEMU host $MODEL in config/hosts"

# The series' tests, as collection:test of kselftest-list.txt.
# The series' tests (its new tests and the upstream tests it changes), as
# collection:test of kselftest-list.txt.
series_tests=$( { tests_of fail-on-base skip-on-base; tests_flagged changed; } | while read -r t; do
	echo "$(test_field "$t" 2):$t"; done | tr '\n' ' ')

# --- 1. build and install --------------------------------------------------
tree_on_series
# A worktree and object directory of an earlier layout (a full second build).
for d in "$ks/linux" "$ks/obj"; do
	[ -e "$d" ] || continue
	log "removing $d (an earlier layout)"
	rm -rf "$d"
	git -C "$TREE" worktree prune
done
t0=$(date +%s)
blog=$logs/build.log
log "building the kvm and x86 selftests of $(git -C "$TREE" log --oneline -1 | cut -c1-60) with 'install' (log: $blog)"
# The selftests' Makefile builds TARGET in BUILD/TARGET (BUILD: O/kselftest
# unless given): here BUILD is a directory whose kvm and x86 link to the
# output directories of the selftests stage, and O its header directory, so
# the compiles are the same commands in the same places and make rebuilds
# only what is older than its sources (nothing, after make selftests).
# Static: the guest has no libc.  EXTRA_CFLAGS reaches both Makefiles (kvm
# adds it to CFLAGS; x86 passes it to every compile and link), but on the
# command line it overrides x86/Makefile's own "EXTRA_CFLAGS +=
# -DCAN_BUILD_32 -DCAN_BUILD_64", so those are passed here, as
# build-selftests.sh does (32-bit builds are checked below; no kvm source
# reads them).  USERLDFLAGS=-static would reach kvm only.
make -C "$TREE" O="$hdr" ARCH=x86_64 -s headers >"$blog" 2>&1 ||
	{ tail -20 "$blog"; die "make headers failed, see $blog"; }
mkdir -p "$out" "$BUILD/selftests" "$BUILD/selftests-x86"
ln -sfn "$BUILD/selftests" "$out/kvm"
ln -sfn "$BUILD/selftests-x86" "$out/x86"
rm -rf "$inst"
make -C "$TREE/tools/testing/selftests" -j"$JOBS" O="$hdr" BUILD="$out" ARCH=x86_64 TARGETS="kvm x86" \
	KSFT_INSTALL_PATH="$inst" EXTRA_CFLAGS="$SELFTESTS_CFLAGS" \
	install >>"$blog" 2>&1 ||
	{ grep -E "error|Error" "$blog" | head -20; die "selftests install failed, see $blog"; }
! grep -q '^Skipping non-existent dir' "$blog" || die "a target was not installed: $(grep '^Skipping non-existent dir' "$blog")"
for f in run_kselftest.sh kselftest/runner.sh kselftest/ktap_helpers.sh kselftest-list.txt; do
	[ -f "$inst/$f" ] || die "$inst/$f missing after install"
done
for t in $series_tests x86:sigreturn_32; do
	grep -qx "$t" "$inst/kselftest-list.txt" || die "$t not in $inst/kselftest-list.txt (32-bit x86 tests need gcc-multilib)"
	[ -x "$inst/${t%%:*}/${t#*:}" ] || die "$inst/${t%%:*}/${t#*:} not installed"
done
dyn=$(find "$inst" -type f -perm -u+x -exec sh -c 'readelf -l "$1" 2>/dev/null | grep -q "program interpreter" && echo "${1#'"$inst"'/}"' _ {} \;)
[ -z "$dyn" ] || die "dynamically linked binaries in the install (the guest has no libc): $dyn"
log "installed $(wc -l <"$inst/kselftest-list.txt") tests ($(grep -c '^kvm:' "$inst/kselftest-list.txt") kvm, $(grep -c '^x86:' "$inst/kselftest-list.txt") x86) into $inst in $(($(date +%s) - t0)) s"

# --- 2. the archives --------------------------------------------------------
# Base archive: busybox and the harness's guest init and scripts only (the
# tests come from the kselftest install, not from build/initramfs.cpio).
MINIMAL=1 "$TOP/scripts/mkinitramfs.sh" "$ks/base.cpio"
root=$ks/root
rm -rf "$root"
# Extra archive: /kselftest = the install (binaries stripped), the runner
# wrapper, GNU timeout and bash with their libraries at the host's paths.
mkdir -p "$root"/{bin,usr/bin}
rsync -a --exclude=kselftest-packages "$inst/" "$root/kselftest/"
find "$root/kselftest" -type f -perm -u+x -exec sh -c 'readelf -h "$1" >/dev/null 2>&1 && strip "$1"' _ {} \;
cp "$TOP/selftests/kselftest/run" "$root/bin/ksft-run"
chmod +x "$root/bin/ksft-run"
cp /usr/bin/timeout "$root/usr/bin/timeout"
cp /bin/bash "$root/bin/bash"
# nx_huge_pages_test.sh asks whoami whether it runs as root.
mkdir -p "$root/etc"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
for l in $( { ldd /usr/bin/timeout; ldd /bin/bash; } | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u); do
	mkdir -p "$root$(dirname "$l")"
	cp -L "$l" "$root$l"
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$ks/kselftest.cpio"
rm -rf "$root"
log "archives: $ks/base.cpio, $ks/kselftest.cpio ($(du -m "$ks/kselftest.cpio" | cut -f1) MiB)"

# --- 3. VM runs ---------------------------------------------------------------
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# vm KERNEL OUT VM-TIMEOUT RUNNER-ARGS...: boot KERNEL with the install and
# run run_kselftest.sh RUNNER-ARGS; OUT/ktap = its KTAP output, OUT/results =
# "collection:test PASS|FAIL|SKIP|XFAIL" in KTAP order.  Returns boot.sh's rc.
vm() {
	local k=$1 out=$2 tmo=$3 rc=0
	shift 3
	mkdir -p "$out"
	echo "kselftest $((tmo - 30)) /bin/ksft-run $*" >"$out/run.list"
	log "$k on -cpu $CPU: run_kselftest.sh $* (VM timeout ${tmo}s; console: $out/console.log)"
	local t0
	t0=$(date +%s)
	VM_INITRAMFS=$ks/base.cpio VM_CPIO=$ks/kselftest.cpio \
		"$TOP/scripts/boot.sh" "$BUILD/$k/bzImage" "$CPU" "$out/run.list" "$out" "$tmo" || rc=$?
	# The end marker carries the runner's exit status: "KSFT-END rc=N".
	sed -n 's/^# KSFT-END rc=//p' "$out/tap.log" >"$out/runner-rc" 2>/dev/null || true
	sed -n '/^# KSFT-BEGIN$/,/^# KSFT-END/p' "$out/tap.log" | sed '1d;$d;s/^# //' >"$out/ktap"
	sed -nE 's/^(ok|not ok) [0-9]+ selftests: ([^:]+): ([^ ]+)( # (.*))?$/\2:\3 \1 \5/p' "$out/ktap" |
		awk '{r = ($2 == "ok") ? (($3 == "SKIP" || $3 == "XFAIL") ? $3 : "PASS") : "FAIL"; print $1, r}' >"$out/results"
	log "$k: $(grep -c ' PASS$' "$out/results" || true) pass, $(grep -c ' FAIL$' "$out/results" || true) fail, $(grep -c ' SKIP$' "$out/results" || true) skip in $(($(date +%s) - t0)) s (boot.sh rc=$rc)"
	return $rc
}

# check_run NAME OUT BOOT-RC: the VM finished, no kernel splat, the KTAP
# output is well formed (one plan 1..N, N results numbered 1..N, totals).
check_run() {
	local name=$1 out=$2 brc=$3 n cnt seq
	if [ "$brc" != 0 ]; then bad "$name: VM did not finish its list (boot.sh rc=$brc; see $out/console.log)"; return; fi
	if tap_splat "$out/tap.log"; then bad "$name: kernel splat (see $out/tap.log)"; else ok; fi
	n=$(grep -cE '^1\.\.[0-9]+$' "$out/ktap" || true)
	if [ "$n" != 1 ]; then bad "$name: $n KTAP plan lines (want 1; see $out/ktap)"; return; fi
	n=$(sed -nE 's/^1\.\.([0-9]+)$/\1/p' "$out/ktap")
	cnt=$(grep -cE '^(ok|not ok) [0-9]+ ' "$out/ktap" || true)
	seq=$(grep -E '^(ok|not ok) [0-9]+ ' "$out/ktap" | awk '{n = ($1 == "ok") ? $2 : $3; if (n != NR) {print "bad"; exit}}')
	if [ "$n" -gt 0 ] && [ "$cnt" = "$n" ] && [ -z "$seq" ] && [ "$(wc -l <"$out/results")" = "$n" ] &&
		grep -q '^# Totals: pass:' "$out/ktap" && [ -s "$out/runner-rc" ]; then
		ok
	else
		bad "$name: malformed KTAP: plan 1..$n, $cnt results, $(wc -l <"$out/results") parsed, numbering ${seq:-ok}, runner rc '$(cat "$out/runner-rc")' (see $out/ktap)"
	fi
}

result_of() { awk -v t="$1" '$1 == t {print $2; exit}' "$2"; }

# why COLL:TEST KTAP: the not-ok cases and assertion lines of TEST's output
# in KTAP (its own result line left out), on one line (for the FAIL line:
# CI shows the summary).
why() {
	tap_output "$2" "selftests: ${1%%:*}: ${1#*:}" | sed '$d' |
		grep -E 'not ok |\.c:[0-9]+:| != |TIMEOUT|[Ee]xpected' | sed 's/^[# ]*//' |
		head -8 | tr '\n' ';' | cut -c1-400
}

# known_failure TEST: a known failure of config/tests for this model.
known_failure() {
	local m
	[ "$(test_field "$1" 3)" = known-failure ] || return 1
	m=$(test_field "$1" 5)
	# shellcheck disable=SC2254
	case $MODEL in $m) return 0 ;; esac
	return 1
}

# Patched: the series' tests (the whole x86 KVM suite already runs on both
# kernels in vmtest and is compared test by test there; this stage is the
# runner's path).  KSFT_ALL=1: the kvm collection less the tests flagged
# slow-tcg, and the series' x86 selftests; KSFT_ALL=2: the whole collection.
ksft_all=${KSFT_ALL:-0}
case $ksft_all in
0)
	args=()
	for t in $series_tests; do args+=(-t "$t"); done
	vmtmo=300 ;;
1|2)
	args=(-c kvm -t x86:xstate_mxcsr_64 -t x86:xstate_mxcsr_32)
	vmtmo=1200
	if [ "$ksft_all" = 1 ]; then
		vmtmo=900
		for t in $(tests_flagged slow-tcg); do
			grep -qx "kvm:$t" "$inst/kselftest-list.txt" || die "config/tests flags $t slow-tcg, not in the kvm collection"
			args+=(-S "kvm:$t")
		done
	fi ;;
*) die "KSFT_ALL=$ksft_all: 0, 1 or 2" ;;
esac
[ -z "${KSFT_TIMEOUT:-}" ] || args+=(-o "$KSFT_TIMEOUT")
out=$ks/patched
brc=0
# Hard bound on the whole run (each test also has the runner's timeout,
# 120 s from kvm/settings); the collection takes about 4 min.
vm patched "$out" "${KSFT_VM_TIMEOUT:-$vmtmo}" "${args[@]}" || brc=$?
check_run patched "$out" "$brc"
res=$out/results
for t in $series_tests; do
	r=$(result_of "$t" "$res")
	echo "patched: $t ${r:-no result}" >&2
	if [ "$r" = PASS ]; then ok; else bad "patched: series test $t: ${r:-no result} (want PASS): $(why "$t" "$out/ktap") (see $out/ktap)"; fi
done
# Other failures: the regression criterion is the same result on both
# kernels, and the collection's timing tests (flagged flaky, but
# also apic_bus_clock_test or xen_shinfo_test on a loaded machine) fail now
# and then under TCG.  A non-series test that is not ok on patched gets four
# more attempts there (one VM per attempt, all such tests at once); one that
# never passes is run up to five times on base: it is a regression only if it
# passes on base.  The series' own tests get no retry (checked above).
retry_until_pass() { # KERNEL TAG TEST...: prints the tests that never passed
	local k=$1 tag=$2 attempt rbrc t fa still
	shift 2
	still=("$@")
	for attempt in 1 2 3 4 5; do
		[ ${#still[@]} -gt 0 ] || break
		[ "$k" = base ] || [ "$attempt" -gt 1 ] || continue   # patched: attempt 1 was the full run
		fa=()
		for t in "${still[@]}"; do fa+=(-t "$t"); done
		log "$k: running ${still[*]} again (attempt $attempt of 5)"
		rbrc=0
		vm "$k" "$ks/$k-$tag$attempt" 600 "${fa[@]}" >&2 || rbrc=$?
		fa=("${still[@]}")
		still=()
		for t in "${fa[@]}"; do
			[ "$rbrc" = 0 ] && [ "$(result_of "$t" "$ks/$k-$tag$attempt/results")" = PASS ] || still+=("$t")
		done
	done
	echo "${still[@]+"${still[@]}"}"
}
unexpected=() failed=()
while read -r t r; do
	[ "$r" = FAIL ] || continue
	n=${t#*:}
	grep -q " $t " <<<" $series_tests " && continue
	if known_failure "$n"; then
		log "patched: $t not ok, a known failure ($(test_note "$n"))"
	else
		failed+=("$t")
	fi
done <"$res"
if [ ${#failed[@]} -gt 0 ]; then
	read -r -a failed <<<"$(retry_until_pass patched retry "${failed[@]}")"
fi
if [ ${#failed[@]} -gt 0 ]; then
	read -r -a onbase <<<"$(retry_until_pass base cmp "${failed[@]}")"
	for t in "${failed[@]}"; do
		if grep -q " $t " <<<" ${onbase[*]-} "; then
			log "patched: $t failed 5 times on patched and 5 times on base: the same result on both kernels, not a regression (logs: $ks/patched-retry*, $ks/base-cmp*)"
		else
			unexpected+=("$t")
		fi
	done
fi
if [ ${#unexpected[@]} -eq 0 ]; then ok; else bad "patched: not ok 5 times and passed on base: ${unexpected[*]} (logs: $ks/patched-retry*, $ks/base-cmp*)"; fi
for t in $(tests_of known-failure); do
	r=$(result_of "kvm:$t" "$res")
	[ "$r" != PASS ] || log "note: kvm:$t, listed as a known failure, passed"
done
echo "patched: $(grep -E '^# Totals:' "$out/ktap" || echo 'no totals')" >&2

# Base: the series' tests with the same install, and the known failures of
# config/tests flagged "config" (which must fail there too).
out=$ks/base
args=()
kf=$(for t in $(tests_of known-failure); do
	[ "$(test_field "$t" 6)" != config ] || echo "kvm:$t"; done)
for t in $series_tests $kf; do args+=(-t "$t"); done
brc=0
vm base "$out" 300 "${args[@]}" || brc=$?
check_run base "$out" "$brc"
for t in $series_tests; do
	mode=$(test_field "${t#*:}" 3)
	case $mode in
	skip-on-base) want=SKIP ;;   # needs the series' quirk
	fail-on-base) want=FAIL ;;   # tests a fix (FAIL on base on max)
	regression) want=PASS ;;     # a changed upstream test: must still pass
	*) die "unexpected kind '$mode' for $t in config/tests" ;;
	esac
	r=$(result_of "$t" "$out/results")
	echo "base: $t ${r:-no result} (want $want${mode:+, $mode})" >&2
	if [ "$r" = "$want" ]; then ok; else bad "base: $t: ${r:-no result} (want $want${mode:+, $mode})"; fi
done
for t in $kf; do
	r=$(result_of "$t" "$out/results")
	if [ "$r" = FAIL ]; then ok; else bad "base: $t: ${r:-no result}; config/tests says it fails on both kernels"; fi
done
echo "base: $(grep -E '^# Totals:' "$out/ktap" || echo 'no totals')" >&2

echo "==> [kselftest] $(($(date +%s) - t_start)) s" >&2
echo "kselftest: $pass passed, $fail failed"
[ "$fail" = 0 ]
