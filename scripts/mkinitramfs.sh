#!/usr/bin/env bash
# Stage: pack busybox-static, the guest init and scripts and the static test
# binaries (stripped, in /t) into the test initramfs: build/initramfs.cpio
# with every KVM and x86 selftest of build/selftests, build/selftests-x86 and
# the harness's binaries (build/guest-bin); STABLE=V: the KVM selftests of
# config/tests for V built from build/stable/V/linux, into
# build/stable/V/initramfs.cpio.  The per-run test list is appended later as
# a second cpio archive (the kernel unpacks concatenated archives).
# MINIMAL=1 mkinitramfs.sh OUT: busybox, init and the guest scripts only, into
# OUT (for VMs that bring their own programs, e.g. the QEMU demo).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need cpio strip
BUSYBOX=/bin/busybox
grep -q "install ok installed" < <(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null) ||
	die "busybox-static not installed; run 'make deps'"
MINIMAL=${MINIMAL:-0}
out=${1:-$(line_initramfs)}
if [ -n "${STABLE:-}" ]; then src=$(stable_dir "$STABLE")/selftests; else src=$BUILD/selftests; fi
root=$(mktemp -d "$BUILD/initramfs.XXXXXX")
trap 'rm -rf "$root" "$out.tmp.$$"' EXIT
mkdir -p "$root"/{bin,t,proc,sys,dev,tmp,mnt,sys/kernel/tracing}
cp "$BUSYBOX" "$root/bin/busybox"
cp "$TOP/selftests/guest/init" "$root/init"
chmod 755 "$root"
cp "$TOP"/selftests/guest/{demo-save,demo-load,fuzz-record,fuzz-replay,retry,bounded} "$root/bin/"
chmod +x "$root/init" "$root"/bin/{demo-save,demo-load,fuzz-record,fuzz-replay,retry,bounded}
if [ "$MINIMAL" = 1 ]; then
	:
elif [ -n "${STABLE:-}" ]; then
	# The x86 KVM tests are in x86/ (x86_64/ before Linux 6.14).
	for t in $(tests_rows | awk '$2 == "kvm" {print $1}'); do
		f=$src/x86_64/$t
		[ -x "$f" ] || f=$src/x86/$t
		[ -x "$f" ] || die "$t was not built for $STABLE (see build/logs/selftests-$STABLE.log)"
		strip -o "$root/t/$t" "$f"
	done
else
	[ -d "$src/x86" ] || die "no selftests in $src; run 'make selftests'"
	for f in "$src"/* "$src"/x86/* "$BUILD"/selftests-x86/*; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
		strip -o "$root/t/${f##*/}" "$f"
	done
	# Extra static binaries built by the harness (demo VMM, fuzzer).
	if [ -d "$BUILD/guest-bin" ]; then
		cp "$BUILD"/guest-bin/* "$root/t/" 2>/dev/null || true
	fi
fi
# Written aside and renamed: a VM of another stage may be reading $out.
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
log "initramfs${STABLE:+ for $STABLE}$([ "$MINIMAL" = 0 ] || echo " (minimal)"): $out, $(find "$root/t" -mindepth 1 -maxdepth 1 | wc -l) binaries, $(du -k "$out" | cut -f1) KiB"
