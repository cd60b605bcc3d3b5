#!/usr/bin/env bash
# Stage: lint the series.
#  1. checkpatch.pl --strict on every patch of patches/series: zero errors,
#     warnings and checks, except the type+file exceptions documented in
#     config/checkpatch.ignore (scripts/checkpatch-filter.py).
#  2. sparse (C=2) and W=1 on every object the series touches, on the base
#     and the patched kernel: no warning that base does not have.
#  3. scripts/kernel-doc on every touched C file and header: no new warning.
#  4. shellcheck (.shellcheckrc) on every shell script of the repository:
#     no finding at all.
#  5. every environment knob a host script of scripts/ or selftests/bochs/
#     reads with a default (NAME:-default) is listed in config/knobs, which
#     make help prints.
#  6. QEMU's scripts/checkpatch.pl on patches/qemu/ (its source as
#     scripts/qemu-fix-cpio.sh unpacked it; said and not counted without).
# STABLE=V lints the backport (patches/stable/V, the kernels stable-V-base
# and stable-V) with steps 1-3; steps 4-6 are about the repository and run
# on mainline only.
# Prints one "lint: <item> ok|FAILED" line per check; exit 1 if any failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need perl make gcc shellcheck flock
"$TOP/scripts/get-sparse.sh"
sparse=$BUILD/tools/bin/sparse
out=$BUILD/lint${STABLE:+-$STABLE}
pdir=$TOP/$(kernel_field "$LINE" 6)
kbase=base kpatched=patched
[ -z "${STABLE:-}" ] || kbase=stable-$STABLE-base kpatched=stable-$STABLE
rm -rf "$out"
mkdir -p "$out"
fail=0
ok() { echo "lint: $1 ok"; }
bad() { echo "lint: $1 FAILED${2:+ ($2)}"; fail=1; }

# 1. checkpatch
while read -r p; do
	case $p in '' | '#'*) continue ;; esac
	log=$out/checkpatch-${p%.patch}.log
	if checkpatch_clean "$pdir/$p" "$log"; then
		ok "checkpatch $p$(grep -qE '^(ERROR|WARNING|CHECK):' "$log.raw" && echo " (documented exceptions only)")"
	else
		bad "checkpatch $p" "see $log"
		sed 's/^/    /' "$log" | head -30 || true
	fi
done <"$pdir/series"

# Files the series touches.
files=$(git -C "$TREE" diff --name-only "$BASE_TAG" series)
# The base side of steps 2 and 3 reads the line's build worktree (shared
# with the base kernel's build and the bisect): at the base, for the rest
# of this script.
kernel_dirs "$kbase"
worktree_lock "$KSRC"
worktree_at "$KSRC" "$BASE_TAG"
objs=$(echo "$files" | grep -E '^(arch|kernel|virt|mm|drivers)/.*\.c$' | sed 's/\.c$/.o/' || true)

# Compiler and sparse diagnostics only ("warning:"/"error:"), not make's
# progress lines (objtool has an object called str_error_r.o).
normalize() { sed -E 's#^.*/linux/##; s#^\.\./linux/##; s/:[0-9]+(:[0-9]+)?:/:/' | grep -E '(warning|error):' | sort -u; }

# 2. sparse + W=1 on touched objects, base vs patched, each in an object
# directory of its own (build/lint-extra/<kernel>; the kernels' own object
# directories are left alone, so that lint can run while other stages use
# them) whose configuration is the kernel's plus config/lint-extra.config,
# which also builds the objects that the tested configuration leaves out
# (e.g. arch/x86/kvm/svm/sev.o, which needs the AMD PSP driver).
if [ -n "$objs" ]; then
	for k in "$kbase" "$kpatched"; do
		kernel_dirs "$k"
		src=$KSRC obj=$KOBJ
		[ -f "$obj/.config" ] || die "no $obj/.config; run 'make kernels' first"
		: >"$out/warn-$k.raw"
		xobj=$BUILD/lint-extra/$k
		mkdir -p "$xobj"
		cat "$obj/.config" "$TOP/config/lint-extra.config" >"$xobj/.config"
		make -C "$src" O="$xobj" ARCH=x86_64 -s olddefconfig >>"$out/warn-$k.raw" 2>&1 ||
			die "lint: olddefconfig of $xobj failed"
		while read -r l; do
			grep -qx "$l" "$xobj/.config" || die "lint: $l of config/lint-extra.config did not survive olddefconfig"
		done < <(grep -E '^CONFIG_[A-Z0-9_]+=y' "$TOP/config/lint-extra.config")
		# Force the touched objects to be rebuilt and checked.
		for o in $objs; do rm -f "$xobj/$o"; done
		# shellcheck disable=SC2086
		make -C "$src" O="$xobj" ARCH=x86_64 -j"$JOBS" W=1 C=2 CHECK="$sparse" "${KERNEL_CC[@]}" $objs \
			>>"$out/warn-$k.raw" 2>&1 || { tail -20 "$out/warn-$k.raw"; die "lint build ($k) failed"; }
		normalize <"$out/warn-$k.raw" >"$out/warn-$k.txt" || true
	done
	comm -13 "$out/warn-$kbase.txt" "$out/warn-$kpatched.txt" >"$out/warn-new.txt"
	if [ -s "$out/warn-new.txt" ]; then
		bad "sparse+W=1 on $(echo "$objs" | tr '\n' ' ')" "new warnings: $out/warn-new.txt"
		sed 's/^/    /' "$out/warn-new.txt" | head -20 || true
	else
		ok "sparse+W=1 on $(echo "$objs" | tr '\n' ' ')($(wc -l <"$out/warn-$kpatched.txt") warnings on patched, all also on base)"
	fi
fi

# 3. kernel-doc on touched kernel C files and headers.
kd_files=$(echo "$files" | grep -E '^(arch|kernel|include|virt)/.*\.[ch]$' || true)
if [ -n "$kd_files" ]; then
	for k in "$kbase" "$kpatched"; do
		kernel_dirs "$k"
		src=$KSRC
		: >"$out/kdoc-$k.raw"
		for f in $kd_files; do
			[ -f "$src/$f" ] || continue
			(cd "$src" && perl scripts/kernel-doc -none -Wall "$f") >>"$out/kdoc-$k.raw" 2>&1 || true
		done
		sed -E 's/:[0-9]+([: ])/:\1/' "$out/kdoc-$k.raw" | sort -u >"$out/kdoc-$k.txt"
	done
	comm -13 "$out/kdoc-$kbase.txt" "$out/kdoc-$kpatched.txt" >"$out/kdoc-new.txt"
	if [ -s "$out/kdoc-new.txt" ]; then
		bad "kernel-doc" "see $out/kdoc-new.txt"
		sed 's/^/    /' "$out/kdoc-new.txt" | head -20 || true
	else
		ok "kernel-doc on $(echo "$kd_files" | wc -w) files"
	fi
fi
[ -z "${STABLE:-}" ] || exit $fail

# repo_files PATHSPEC...: the repository's files that match, as they are in
# the working tree (new ones too, deleted ones not).
repo_files() {
	(cd "$TOP" && git ls-files --cached --others --exclude-standard "$@" |
		sort -u | while read -r f; do [ ! -f "$f" ] || echo "$f"; done)
}

# 4. shellcheck: bash scripts, the guest's busybox scripts, CI's entry point.
# (The repository's files as they are in the working tree, new ones too.)
mapfile -t sh_files < <(repo_files '*.sh' .ci/run selftests/guest selftests/kselftest/run)
if (cd "$TOP" && shellcheck -x "${sh_files[@]}") >"$out/shellcheck.txt" 2>&1; then
	ok "shellcheck on ${#sh_files[@]} scripts"
else
	bad "shellcheck" "$(grep -c '^In ' "$out/shellcheck.txt") findings, see $out/shellcheck.txt"
	head -30 "$out/shellcheck.txt" | sed 's/^/    /'
fi

# 5. knobs: what the scripts read from the environment, and config/knobs.
listed=$(strip_comments "$TOP/config/knobs" | awk '{for (i = 1; i <= NF && $i ~ /^[A-Z][A-Z0-9_]*$/; i++) print $i}' | sort -u)
used=$(repo_files 'scripts/*.sh' 'selftests/bochs/*.sh' | (cd "$TOP" && xargs grep -ohE '\$\{[A-Z][A-Z0-9_]*:[-=?]') | sed -E 's/^\$\{//; s/:.$//' | sort -u)
missing=$(comm -23 <(echo "$used") <(echo "$listed") | tr '\n' ' ')
if [ -z "${missing// /}" ]; then ok "knobs: the $(echo "$used" | wc -l) environment variables the scripts read are in config/knobs"; else bad "knobs" "not in config/knobs: $missing"; fi

# 6. QEMU's own checkpatch on the userspace half (patches/qemu/), in the
# QEMU source that scripts/qemu-fix-cpio.sh unpacked and patched (make
# check builds it before lint).
qsrc=$BUILD/qemu-fix/src/qemu
if ls "$TOP"/patches/qemu/[0-9]*.patch >/dev/null 2>&1; then
	if [ ! -x "$qsrc/scripts/checkpatch.pl" ]; then
		echo "lint: QEMU checkpatch not run: no QEMU source in $qsrc (scripts/qemu-fix-cpio.sh unpacks it)"
	else
		for p in "$TOP"/patches/qemu/[0-9]*.patch; do
			if (cd "$qsrc" && perl scripts/checkpatch.pl "$p") >"$out/qemu-checkpatch-${p##*/}.log" 2>&1; then
				ok "QEMU checkpatch ${p##*/} ($(tail -n1 "$out/qemu-checkpatch-${p##*/}.log"))"
			else
				bad "QEMU checkpatch ${p##*/}" "see $out/qemu-checkpatch-${p##*/}.log"
				head -30 "$out/qemu-checkpatch-${p##*/}.log" | sed 's/^/    /'
			fi
		done
	fi
fi
exit $fail
