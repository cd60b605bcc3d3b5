#!/usr/bin/env bash
# Stage: prove that the series' tests catch a broken kernel.  Each file in
# selftests/mutants/ is a deliberate bug in the series' kernel code (a patch
# against branch "series").  For each: apply it to the tree, rebuild the
# patched kernel incrementally (one object and the link), boot it on the
# CPU model MODELS names (the first; default max-noavx: no AVX, so every case of the
# tests runs), or the model a "# model: <name>" line of the mutant names for
# a bug that only a host of that model can show, and run the tests that the
# mutant must fail.  A mutant is killed only if a named test case reports "not ok"; a
# crash, hang or build failure is not a kill, nor is a run where a C file
# the mutant edits was not recompiled (NOT-REBUILT) or the guest's
# /proc/version is not the version just built (WRONG-KERNEL).  The tree is restored after
# every mutant and on exit.  Prints a table and "mutation: K of N mutants
# killed"; exits non-zero unless every mutant is killed.
# STABLE=V: the mutants of selftests/mutants/stable-V against the backport
# (build/stable/V/linux, build/stable-V), with the stable initramfs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need make gcc ccache git lz4 qemu-system-x86_64
MUTANTS=${MUTANTS:-$TOP/selftests/mutants}
MODEL=$(first_model max-noavx)
TESTS=${MUTANT_TESTS:-xsave_trim_test}
kimg=patched
VM_INITRAMFS=$(line_initramfs)
export VM_INITRAMFS
out=$BUILD/mutation
if [ -n "${STABLE:-}" ]; then
	kimg=stable-$STABLE
	MUTANTS=$TOP/selftests/mutants/stable-$STABLE
	out=$BUILD/mutation-$STABLE
fi
kernel_dirs "$kimg"
obj=$KOBJ
[ -f "$obj/.config" ] || die "no $kimg kernel build in $obj; run 'KERNEL=$kimg scripts/build-kernel.sh'"
[ -f "$VM_INITRAMFS" ] || die "no initramfs $VM_INITRAMFS; run 'make selftests' (stable: STABLE=V scripts/mkinitramfs.sh)"
tree_on_series
ls "$MUTANTS"/*.patch >/dev/null 2>&1 || die "no mutants in $MUTANTS"
# The model a mutant runs on: its "# model:" line, else $MODEL.
model_of() { sed -n 's/^# model: *\([^ ]*\).*/\1/p' "$1" | head -1 | grep . || echo "$MODEL"; }
models=$(for m in "$MUTANTS"/*.patch; do model_of "$m"; done | sort -u)
for mo in $models; do
	[ -n "$(cpu_of "$mo")" ] || die "no QEMU host $mo in config/hosts"
done

restore() { git -C "$TREE" checkout -q -- arch include 2>/dev/null || true; }
# not_rebuilt MUTANT BUILD-LOG: the C files MUTANT edits that the build
# did not compile ("CC <file>.o", or "CC [M]" for a module, in kbuild's output).
not_rebuilt() {
	local f
	for f in $(git -C "$TREE" apply --numstat "$1" | awk '$3 ~ /\.c$/ {print $3}'); do
		grep -qE "^ +CC( \[M\])? +${f%.c}\.o$" "$2" || printf '%s ' "$f"
	done
}
trap restore EXIT
rm -rf "$out"
mkdir -p "$out"
runlist=$out/run.list
for t in $TESTS; do echo "$t 300 /t/$t"; done >"$runlist"
mk=(make -C "$TREE" O="$obj" ARCH=x86_64 -j"$JOBS" "${KERNEL_CC[@]}")

# Baseline: the unmutated series must pass, or every mutant would look killed.
[ -f "$BUILD/$kimg/bzImage" ] || die "no build/$kimg/bzImage; run 'KERNEL=$kimg scripts/build-kernel.sh'"
for mo in $models; do
	b=$out/baseline-$mo
	"$TOP/scripts/boot.sh" "$BUILD/$kimg/bzImage" "$(cpu_of "$mo")" "$runlist" "$b" 600 >"$b.log" 2>&1 ||
		die "baseline run of the series on $mo failed, see $b"
	! grep -qE '^(# )?not ok ' "$b/tap.log" ||
		die "the series itself fails on $mo: $(grep -E '^(# )?not ok ' "$b/tap.log" | head -3 | tr '\n' ' ')"
done

printf '%-22s %-10s %-8s %-50s %s\n' mutant model result "killed by" "time" | tee "$out/table"
n=0 k=0
for m in "$MUTANTS"/*.patch; do
	name=$(basename "$m" .patch)
	mo=$(model_of "$m")
	n=$((n + 1))
	t0=$(date +%s)
	d=$out/$name
	mkdir -p "$d"
	killers="" res=""
	if ! git -C "$TREE" apply "$m" 2>"$d/apply.log"; then
		res="NO-APPLY"
	elif ! "${mk[@]}" bzImage >"$d/build.log" 2>&1; then
		res="NO-BUILD"
	elif stale=$(not_rebuilt "$m" "$d/build.log") && [ -n "$stale" ]; then
		res="NOT-REBUILT"
		echo "    not recompiled: $stale (see $d/build.log)"
	else
		cp "$obj/arch/x86/boot/bzImage" "$d/bzImage"
		built=$(sed -n 's/^#define UTS_VERSION "\(.*\)"$/\1/p' "$obj/include/generated/utsversion.h")
		vrc=0
		"$TOP/scripts/boot.sh" "$d/bzImage" "$(cpu_of "$mo")" "$runlist" "$d" 600 >"$d/boot.log" 2>&1 || vrc=$?
		rm -f "$d/bzImage"
		# Named test cases of the kselftest harness, nested in the TAP log.
		killers=$(sed -n 's/^# not ok [0-9]* \([A-Za-z0-9_.]*\).*/\1/p' "$d/tap.log" 2>/dev/null |
			sort -u | tr '\n' ' ')
		ran=$(sed -n 's/^# kernel: //p' "$d/tap.log" 2>/dev/null | head -1)
		if [ -n "$ran" ] && { [ -z "$built" ] || [ "${ran% "$built"}" = "$ran" ]; }; then
			res="WRONG-KERNEL"
			killers=""
			echo "    built '$built', the guest ran '$ran'"
		elif [ -n "$killers" ]; then
			res=killed
			k=$((k + 1))
		elif [ "$vrc" != 0 ]; then
			res="VM-ERROR($vrc)"
		else
			res=SURVIVED
		fi
	fi
	restore
	printf '%-22s %-10s %-8s %-50s %ss\n' "$name" "$mo" "$res" "${killers:--}" "$(($(date +%s) - t0))" | tee -a "$out/table"
	[ "$res" = killed ] || echo "    $(sed -n '1s/^# //p' "$m") (logs: $d)"
done
# Leave the object directory matching the restored tree.
"${mk[@]}" bzImage >"$out/rebuild.log" 2>&1 || die "rebuilding the patched kernel failed, see $out/rebuild.log"
echo "mutation${STABLE:+ ($STABLE)}: $k of $n mutants killed (models $(echo "$models" | tr '\n' ' ' | sed 's/ $//'), tests: $TESTS)"
[ "$k" = "$n" ]
