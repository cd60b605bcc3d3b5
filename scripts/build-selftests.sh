#!/usr/bin/env bash
# Stage: build the KVM selftests and the x86 selftests (tools/testing/
# selftests/x86, 32- and 64-bit) of the patched tree (branch "series") as
# static binaries into build/selftests and build/selftests-x86, so the test
# VM needs no libc.  STABLE=V: the KVM selftests of build/stable/V/linux
# (Debian's V + patches/stable/V) into build/stable/V/selftests instead.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need make gcc strip
out=$BUILD/selftests
hdr=$BUILD/selftests-headers
if [ -n "${STABLE:-}" ]; then
	out=$(stable_dir "$STABLE")/selftests
	hdr=$(stable_dir "$STABLE")/selftests-headers
fi
mkdir -p "$out" "$hdr" "$BUILD/logs"
log=$BUILD/logs/selftests${STABLE:+-$STABLE}.log
[ -d "$TREE/.git" ] || die "no tree at $TREE; run 'make tree' first"

log "building KVM selftests from $(git -C "$TREE" log --oneline -1 | cut -c1-60) (log: $log)"
make -C "$TREE" O="$hdr" ARCH=x86_64 -s headers >"$log" 2>&1 ||
	{ tail -20 "$log"; die "headers failed, see $log"; }
# A stable tree builds only its tests of config/tests (some of its other
# tests do not build against its own library).
targets=()
which=$(kernel_field "$LINE" 7)
if [ "$which" = listed ]; then
	for t in $(tests_rows | awk '$2 == "kvm" {print $1}'); do
		targets+=("$out/x86_64/$t")
	done
fi
make -C "$TREE/tools/testing/selftests/kvm" -j"$JOBS" OUTPUT="$out" ARCH=x86_64 \
	KHDR_INCLUDES="-isystem $hdr/usr/include" EXTRA_CFLAGS="$SELFTESTS_CFLAGS" "${targets[@]}" >>"$log" 2>&1 ||
	{ grep -E "error|Error" "$log" | head -20; die "selftests build failed, see $log"; }
# The x86 KVM tests are in x86/ (x86_64/ before Linux 6.14).
sub=x86
[ -d "$out/x86" ] || sub=x86_64
n=$(find "$out/$sub" -maxdepth 1 -type f -perm -u+x 2>/dev/null | wc -l)
[ "$n" -gt 0 ] || die "no x86 selftest binaries in $out/$sub"
log "built $n x86 KVM selftests into $out/$sub"
[ "$which" = all ] || exit 0

# The x86 selftests (32- and 64-bit): those of config/tests (the FPU ones
# and the series' own).
x86=$BUILD/selftests-x86
mkdir -p "$x86"
log "building x86 selftests (log: $log)"
make -C "$TREE/tools/testing/selftests/x86" -j"$JOBS" OUTPUT="$x86" \
	KHDR_INCLUDES="-isystem $hdr/usr/include" EXTRA_CFLAGS="$SELFTESTS_CFLAGS" >>"$log" 2>&1 ||
	{ grep -E "error|Error" "$log" | head -20; die "x86 selftests build failed, see $log"; }
for t in $(tests_rows | awk '$2 == "x86" {print $1}'); do
	[ -x "$x86/$t" ] || die "x86 selftest $t was not built (32-bit ones need gcc-multilib; see $log)"
done
log "built $(find "$x86" -maxdepth 1 -type f -perm -u+x | wc -l) x86 selftests into $x86"
