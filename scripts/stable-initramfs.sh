#!/usr/bin/env bash
# Stage: the initramfs for the stable kernel STABLE=V: the minimal one
# (busybox, the guest init and scripts; scripts/mkinitramfs.sh) followed by a
# second cpio archive with the KVM selftests of selftests/stable-tests built
# from build/stable/V/linux (stripped, in /t) -> build/stable/V/initramfs.cpio.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need cpio strip
v=${STABLE:?set STABLE to a version of config/kernels}
dir=$(stable_dir "$v")
src=$dir/selftests/x86_64
[ -d "$src" ] || die "no selftests in $src; run 'STABLE=$v scripts/build-selftests.sh'"
MINIMAL=1 "$TOP/scripts/mkinitramfs.sh" "$dir/initramfs-min.cpio"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/t"
for t in $(strip_comments "$TOP/selftests/stable-tests" | awk '{print $1}'); do
	[ -x "$src/$t" ] || die "$t was not built for $v (see build/logs/selftests-$v.log)"
	strip -o "$stage/t/$t" "$src/$t"
done
(cd "$stage" && find t | LC_ALL=C sort | cpio -o -H newc --quiet) >"$dir/tests.cpio"
cat "$dir/initramfs-min.cpio" "$dir/tests.cpio" >"$dir/initramfs.cpio"
rm -f "$dir/initramfs-min.cpio" "$dir/tests.cpio"
log "initramfs for $v: $dir/initramfs.cpio, $(find "$stage/t" -mindepth 1 -maxdepth 1 | wc -l) tests, $(du -k "$dir/initramfs.cpio" | cut -f1) KiB"
