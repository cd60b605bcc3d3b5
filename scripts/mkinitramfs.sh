#!/usr/bin/env bash
# Stage: pack busybox-static, the static KVM selftests (stripped) and the
# guest init into build/initramfs.cpio.  The per-run test list is appended
# later as a second cpio archive (the kernel unpacks concatenated archives).
# MINIMAL=1 mkinitramfs.sh OUT: busybox, init and the guest scripts only, into
# OUT (for VMs that bring their own programs, e.g. the QEMU demo).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need cpio strip
BUSYBOX=/bin/busybox
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" ||
	die "busybox-static not installed; run 'make deps'"
MINIMAL=${MINIMAL:-0}
out=${1:-$BUILD/initramfs.cpio}
src=$BUILD/selftests
[ "$MINIMAL" = 1 ] || [ -d "$src/x86" ] || die "no selftests in $src; run 'make selftests'"
root=$BUILD/initramfs
[ "$MINIMAL" = 0 ] || root=$(mktemp -d "$BUILD/initramfs-minimal.XXXXXX")
rm -rf "$root"
mkdir -p "$root"/{bin,t,proc,sys,dev,tmp,mnt,sys/kernel/tracing}
cp "$BUSYBOX" "$root/bin/busybox"
cp "$TOP/selftests/guest/init" "$root/init"
cp "$TOP"/selftests/guest/{demo-save,demo-load,fuzz-record,fuzz-replay,retry} "$root/bin/"
chmod +x "$root/init" "$root"/bin/{demo-save,demo-load,fuzz-record,fuzz-replay,retry}
if [ "$MINIMAL" = 1 ]; then
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out"
	rm -rf "$root"
	log "initramfs (minimal): $out, $(du -k "$out" | cut -f1) KiB"
	exit 0
fi
for f in "$src"/* "$src"/x86/* "$BUILD"/selftests-x86/*; do
	if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
	strip -o "$root/t/${f##*/}" "$f"
done
# Extra static binaries built by the harness (demo VMM, fuzzer).
if [ -d "$BUILD/guest-bin" ]; then
	cp "$BUILD"/guest-bin/* "$root/t/" 2>/dev/null || true
fi
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out"
log "initramfs: $(find "$root/t" -mindepth 1 -maxdepth 1 | wc -l) binaries, $(du -m "$out" | cut -f1) MiB"
