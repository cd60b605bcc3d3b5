#!/usr/bin/env bash
# Stage: build the KVM selftests and the x86 selftests (tools/testing/
# selftests/x86, 32- and 64-bit) of the patched tree (branch "series") as
# static binaries into build/selftests and build/selftests-x86, so the test
# VM needs no libc.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need make gcc strip
out=$BUILD/selftests
hdr=$BUILD/selftests-headers
mkdir -p "$out" "$hdr" "$BUILD/logs"
log=$BUILD/logs/selftests.log
[ -d "$TREE/.git" ] || die "no tree at $TREE; run 'make tree' first"

log "building KVM selftests from $(git -C "$TREE" log --oneline -1 | cut -c1-60) (log: $log)"
make -C "$TREE" O="$hdr" ARCH=x86_64 -s headers >"$log" 2>&1 ||
	{ tail -20 "$log"; die "headers failed, see $log"; }
make -C "$TREE/tools/testing/selftests/kvm" -j"$JOBS" OUTPUT="$out" ARCH=x86_64 \
	KHDR_INCLUDES="-isystem $hdr/usr/include" EXTRA_CFLAGS=-static >>"$log" 2>&1 ||
	{ grep -E "error|Error" "$log" | head -20; die "selftests build failed, see $log"; }
n=$(find "$out/x86" -maxdepth 1 -type f -perm -u+x | wc -l)
[ "$n" -gt 0 ] || die "no x86 selftest binaries in $out/x86"
log "built $n x86 KVM selftests into $out/x86"

# The x86 selftests (32- and 64-bit) for selftests/x86-fpu-tests and the
# series' own x86 selftest.
x86=$BUILD/selftests-x86
mkdir -p "$x86"
log "building x86 selftests (log: $log)"
make -C "$TREE/tools/testing/selftests/x86" -j"$JOBS" OUTPUT="$x86" \
	KHDR_INCLUDES="-isystem $hdr/usr/include" EXTRA_CFLAGS=-static >>"$log" 2>&1 ||
	{ grep -E "error|Error" "$log" | head -20; die "x86 selftests build failed, see $log"; }
for t in $(strip_comments "$TOP/selftests/x86-fpu-tests") xstate_mxcsr_64; do
	[ -x "$x86/$t" ] || die "x86 selftest $t was not built (32-bit ones need gcc-multilib; see $log)"
done
log "built $(find "$x86" -maxdepth 1 -type f -perm -u+x | wc -l) x86 selftests into $x86"
