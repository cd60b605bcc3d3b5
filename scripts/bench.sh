#!/usr/bin/env bash
# make bench [CALLS=20000] [MODELS=max]: KVM_SET_XSAVE latency on the patched
# kernel in one boot (selftests/bench/xsave_bench.c): quirk enabled and
# disabled, an image as KVM_GET_XSAVE returns it and one with XSTATE_BV bits
# of xfeatures KVM does not support, median of CALLS single calls each.
# Prints numbers and ends with "bench: KVM_SET_XSAVE quirk on/off ratio R";
# it asserts nothing about time.  Not part of make check.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need gcc make qemu-system-x86_64
CALLS=${CALLS:-20000}
MODEL=$(first_model max)
img=$BUILD/patched/bzImage
hdr=$BUILD/selftests-headers/usr/include
[ -f "$img" ] || die "no $img; run 'make kernel KERNEL=patched'"
[ -d "$hdr" ] || die "no installed headers in $hdr; run 'make selftests'"
[ -f "$BUILD/initramfs.cpio" ] || die "no initramfs; run 'make selftests'"
cpu=$(cpu_of "$MODEL")
[ -n "$cpu" ] || die "no QEMU host $MODEL in config/hosts"
out=$BUILD/bench
rm -rf "$out"
mkdir -p "$out"
make -s -C "$TOP/selftests" O="$out" KHDR="$hdr" xsave_bench
echo "xsave_bench 900 /xsave_bench $CALLS" >"$out/run.list"
VM_FILES="$out/xsave_bench" "$TOP/scripts/boot.sh" "$img" "$cpu" "$out/run.list" "$out/vm" 1000 >/dev/null ||
	die "bench VM failed, see $out/vm"
grep -q '^ok 1 xsave_bench' "$out/vm/tap.log" || { grep '^# ' "$out/vm/tap.log" | tail -5; die "xsave_bench failed, see $out/vm/tap.log"; }
echo "bench: patched kernel $(git -C "$TREE" log -1 --format=%h series), QEMU TCG -cpu $cpu, $(date -u +%F)"
sed -n 's/^# bench: /bench: /p' "$out/vm/tap.log"
