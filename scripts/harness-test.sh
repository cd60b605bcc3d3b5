#!/usr/bin/env bash
# The harness's own tests: prove that the pipeline fails, naming the cause,
# on a patch that does not apply, on a new test that proves nothing, on a
# placeholder or missing sender identity, on a failing selftest, on a hung
# guest and on a kernel splat, on a reproducible base/patched difference,
# and that `git am patches/*.patch` applies the
# series to the pristine tree.
# Ends with "harness: N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
p=0 f=0
res() { if [ "$1" = 0 ]; then echo "harness: $2 ok"; p=$((p + 1)); else echo "harness: $2 FAILED"; f=$((f + 1)); fi; }

# 1. A patch that does not apply stops apply.sh, which names it.
mkdir -p "$tmp/p"
cp "$TOP/patches/series" "$tmp/p/series" 2>/dev/null || : >"$tmp/p/series"
cp "$TOP"/patches/[0-9]*.patch "$tmp/p/" 2>/dev/null || true
cat >"$tmp/p/9999-broken.patch" <<'P'
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Harness <harness@example.invalid>
Subject: [PATCH] broken: does not apply

---
 Makefile | 1 +
 1 file changed, 1 insertion(+)

diff --git a/Makefile b/Makefile
--- a/Makefile
+++ b/Makefile
@@ -1,3 +1,4 @@
 this line is not in the kernel Makefile
+nor is this one
 so the patch cannot apply
P
echo 9999-broken.patch >>"$tmp/p/series"
git clone -q --shared "$TREE" "$tmp/clone"
mkdir -p "$tmp/build/logs"
out=$(TREE="$tmp/clone" BUILD="$tmp/build" SERIES="$tmp/p/series" BRANCH=harness-broken \
	"$TOP/scripts/apply.sh" 2>&1) && rc=0 || rc=$?
[ "$rc" != 0 ] && grep -q "patch does not apply: 9999-broken.patch" <<<"$out"
res $? "a broken patch stops apply.sh naming it"

# 2. git am patches/*.patch on the pristine tree (the clone of 1, which
# apply.sh left clean, back at the base: one checkout less).
if ls "$TOP"/patches/[0-9]*.patch >/dev/null 2>&1; then
	[ -z "$(git -C "$tmp/clone" status --porcelain)" ] && git -C "$tmp/clone" checkout -q --detach "$BASE_TAG" &&
		git -C "$tmp/clone" -c user.name=h -c user.email=h@example.invalid am -q --empty=drop "$TOP"/patches/*.patch &&
		[ -z "$(git -C "$tmp/clone" diff series 2>/dev/null || git -C "$tmp/clone" diff origin/series)" ]
	res $? "git am patches/*.patch reproduces branch series"
fi

# 3. compare.sh: a new fail-on-base test must go from FAIL on base to PASS
# on patched; SKIP on both is accepted on a model, but not on every model.
# A skip-on-base test must SKIP on base and PASS on patched.  Fake results,
# no VM.
fake_compare() {	# $1: base/patched result of test $2 on max
	local m t b=$tmp/cmp/vmtest
	rm -rf "$tmp/cmp"
	for m in $(qemu_models | awk '{print $1}'); do
		mkdir -p "$b/base/$m" "$b/patched/$m"
		for t in $(tests_of fail-on-base skip-on-base); do
			mode=$(test_field "$t" 3)
			if [ "$t" = "$2" ] && [ "$m" = max ]; then
				echo "$t ${1%/*}" >>"$b/base/$m/results"; echo "$t ${1#*/}" >>"$b/patched/$m/results"
			elif [ "$t" = "$2" ] && [ "$mode" = fail-on-base ]; then
				echo "$t SKIP" | tee -a "$b/base/$m/results" >>"$b/patched/$m/results"
			elif [ "$mode" = skip-on-base ]; then
				echo "$t SKIP" >>"$b/base/$m/results"; echo "$t PASS" >>"$b/patched/$m/results"
			else
				echo "$t FAIL" >>"$b/base/$m/results"; echo "$t PASS" >>"$b/patched/$m/results"
			fi
		done
	done
	BUILD=$tmp/cmp "$TOP/scripts/compare.sh" >"$tmp/cmp.out" 2>&1
}
first=$(tests_of fail-on-base | head -n1)
sob=$(tests_of skip-on-base | head -n1)
! fake_compare SKIP/SKIP "$first" && grep -q "^compare: $first never went from FAIL" "$tmp/cmp.out" &&
	! fake_compare PASS/PASS "$first" && grep -q "^$first .*WRONG" "$tmp/cmp.out" &&
	! fake_compare PASS/PASS "$sob" && grep -q "^$sob .*WRONG" "$tmp/cmp.out" &&
	! fake_compare SKIP/SKIP "$sob" && grep -q "^$sob .*WRONG" "$tmp/cmp.out" &&
	fake_compare FAIL/PASS "$first" && grep -q '^compare: [0-9]* passed, 0 failed' "$tmp/cmp.out"
res $? "compare.sh fails a new test that skips everywhere, passes on base, or skips on patched"

# 4. No sendable mbox under the repository's placeholder identity or
# without one; the refusal says how to set it.
ph=(env GIT_AUTHOR_NAME="Seed 37b4717a maintainers" GIT_AUTHOR_EMAIL=maintainers@users.noreply.r-seed-37b4717a.example)
none=(env -u GIT_AUTHOR_NAME -u GIT_AUTHOR_EMAIL HOME="$tmp/nohome" GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 EMAIL=)
rm -rf "$BUILD/postings"
rc1=0 rc2=0 rc3=0
"${ph[@]}" "$TOP/scripts/postings.sh" >"$tmp/ph.out" 2>&1 || rc1=$?
(cd "$tmp" && "${none[@]}" "$TOP/scripts/postings.sh") >"$tmp/none.out" 2>&1 || rc2=$?
"${ph[@]}" "$TOP/scripts/send.sh" >"$tmp/send.out" 2>&1 || rc3=$?
[ "$rc1" = 2 ] && [ "$rc2" = 2 ] && [ "$rc3" != 0 ] && ! ls "$BUILD"/postings/*.mbox >/dev/null 2>&1 &&
	grep -q 'git config user.email' "$tmp/ph.out" && grep -q 'refusing' "$tmp/none.out"
res $? "postings.sh and send.sh refuse the placeholder and a missing identity"

img=$BUILD/patched/bzImage
if [ -f "$img" ] && [ -f "$BUILD/initramfs.cpio" ]; then
	# 5. A failing selftest is reported as "not ok" and FAIL.
	printf 'harness_false 10 /bin/false\nharness_true 10 /bin/true\n' >"$tmp/fail.list"
	"$TOP/scripts/boot.sh" "$img" max,+svm "$tmp/fail.list" "$tmp/vm-fail" 120 >/dev/null 2>&1 && rc=0 || rc=$?
	[ "$rc" = 0 ] && grep -q '^not ok 1 harness_false' "$tmp/vm-fail/tap.log" &&
		grep -q '^ok 2 harness_true' "$tmp/vm-fail/tap.log"
	res $? "a failing test in the guest is reported as not ok"

	# 6. A hung guest is killed at the VM timeout and reported as a hang.
	printf 'harness_hang 1000 /bin/sleep 1000\n' >"$tmp/hang.list"
	out=$("$TOP/scripts/boot.sh" "$img" max,+svm "$tmp/hang.list" "$tmp/vm-hang" 20 2>&1) && rc=0 || rc=$?
	[ "$rc" = 2 ] && grep -q "VM HANG" <<<"$out"
	res $? "a hung guest is killed after its timeout and reported"

	# 7. A kernel splat (here a fake WARNING line written to the kernel log)
	# is reported, so vmtest and fuzz fail on it although the test passed.
	mkdir -p "$tmp/splat"
	echo 'echo "WARNING: harness splat" >/dev/kmsg' >"$tmp/splat/harness-splat.sh"
	printf 'harness_splat 10 /bin/sh /harness-splat.sh\n' >"$tmp/splat.list"
	VM_FILES="$tmp/splat/harness-splat.sh" "$TOP/scripts/boot.sh" "$img" max,+svm "$tmp/splat.list" \
		"$tmp/vm-splat" 120 >/dev/null 2>&1 && rc=0 || rc=$?
	[ "$rc" = 0 ] && grep -q '^ok 1 harness_splat' "$tmp/vm-splat/tap.log" &&
		tap_splat "$tmp/vm-splat/tap.log" &&
		grep -q '^# dmesg: .*WARNING: harness splat' "$tmp/vm-splat/tap.log"
	res $? "a kernel splat in the guest's log is reported"

	# 8. compare.sh reruns an existing test whose result differs between
	# the kernels: a difference that does not reproduce is reported and
	# counted as equal, one that reproduces is a regression.
	if [ -f "$BUILD/base/bzImage" ]; then
		c=$tmp/rerun
		for k in base patched; do
			mkdir -p "$c/$k" "$c/vmtest/$k/max"
			ln -s "$BUILD/$k/bzImage" "$c/$k/bzImage"
			printf 'harness_once 30 /bin/true\nharness_kdep 60 /t/xsave_trim_test\n' >"$c/vmtest/$k/max/run.list"
		done
		ln -s "$BUILD/initramfs.cpio" "$c/initramfs.cpio"
		printf 'harness_once PASS\nharness_kdep SKIP\n' >"$c/vmtest/base/max/results"
		printf 'harness_once FAIL\nharness_kdep PASS\n' >"$c/vmtest/patched/max/results"
		COMPARE_RERUNS=2 BUILD=$c "$TOP/scripts/compare.sh" >"$tmp/rerun.out" 2>&1 || true
		grep -q '^compare: not reproduced: harness_once on max: base=PASS patched=FAIL once, then 2 x PASS' "$tmp/rerun.out" &&
			grep -q '^compare: REGRESSION harness_kdep on max: base=SKIP patched=PASS (reruns base, patched: SKIP SKIP PASS PASS)' "$tmp/rerun.out"
		res $? "compare.sh reruns a differing result: counted equal if it does not reproduce, a regression if it does"
	fi
else
	echo "harness: no patched kernel/initramfs; skipping VM self-tests"
	f=$((f + 1))
fi
echo "harness: $p passed, $f failed"
[ "$f" = 0 ]
