#!/usr/bin/env bash
# Build the pieces of the QEMU migration demo (scripts/qemu-demo.sh) and pack
# them into build/qemu.cpio, an extra cpio archive for boot.sh (VM_CPIO):
#   - the host's own Debian qemu-system-x86_64, every library ldd lists (at
#     the same paths), the dynamic loader, QEMU's accel-tcg module and the
#     one data file it loads with "-M pc -nodefaults -bios" (kvmvapic.bin);
#   - the L2 guest, a flat 64 KiB BIOS image (selftests/qemu-migrate/guest.S);
#   - the LD_PRELOAD ioctl shim (selftests/qemu-migrate/kvm-shim.c);
#   - the guest-side scripts qemu-save, qemu-load and qemu-lib.sh.
# Usage: qemu-cpio.sh [OUT.cpio]   (TICK_SHIFT=N: guest prints a tick every 2^N checks)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need gcc as ld objcopy ldd cpio qemu-system-x86_64
out=${1:-$BUILD/qemu.cpio}
src=$TOP/selftests/qemu-migrate
obj=$BUILD/qemu-migrate
TICK_SHIFT=${TICK_SHIFT:-16}
XSETBV=${XSETBV:-0}
QEMU_BIN=$(readlink -f "$(command -v qemu-system-x86_64)")
[ "$QEMU_BIN" = /usr/bin/qemu-system-x86_64 ] ||
	die "expected the Debian QEMU at /usr/bin/qemu-system-x86_64, found $QEMU_BIN"
QEMU_DATA=/usr/share/qemu
QEMU_MODS=/usr/lib/x86_64-linux-gnu/qemu

rm -rf "$obj"
mkdir -p "$obj"

# The L2 guest: flat BIOS image, must be 64 KiB (QEMU maps it below 1 MiB
# and below 4 GiB; reset vector at offset 0xfff0).
# guest.bin, and guest-pku.bin (PKU=1: the guest also uses protection keys).
for g in guest:0 guest-pku:1; do
	n=${g%:*}
	as --64 --defsym TICK_SHIFT="$TICK_SHIFT" --defsym XSETBV="$XSETBV" --defsym PKU="${g#*:}" \
		-o "$obj/$n.o" "$src/guest.S" || die "assembling $src/guest.S (PKU=${g#*:}) failed"
	ld -m elf_x86_64 -Ttext 0 -e _start -o "$obj/$n.elf" "$obj/$n.o" || die "linking $n.elf failed"
	objcopy -O binary "$obj/$n.elf" "$obj/$n.bin"
	sz=$(stat -c %s "$obj/$n.bin")
	[ "$sz" = 65536 ] || die "$n.bin is $sz bytes, expected 65536"
	[ "$(od -An -tx1 -j 65520 -N 5 "$obj/$n.bin" | tr -d ' \n')" = ea000000f0 ] ||
		die "$n.bin has no 'ljmp f000:0000' reset vector at 0xfff0"
done

# The ioctl shim (quirk off, XSAVE ioctl log).
gcc -O2 -Wall -Wextra -shared -fPIC -o "$obj/kvm-shim.so" "$src/kvm-shim.c" ||
	die "building the ioctl shim failed"

root=$obj/root
mkdir -p "$root"/{bin,usr/bin,usr/share/qemu,usr/share/qemu-migrate,lib64}
cp "$QEMU_BIN" "$root/usr/bin/qemu-system-x86_64"
# Libraries at the paths ldd resolves them to, plus the dynamic loader
# (PT_INTERP /lib64/ld-linux-x86-64.so.2).  The initramfs has no /lib
# symlink, so /lib/... and /usr/lib/... are both real directories there.
libs() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
	ldd "$1" | grep -q 'not found' && die "ldd $1: a library is missing: $(ldd "$1" | grep 'not found')"
	return 0
}
mods=$(ls "$QEMU_MODS"/accel-tcg-x86_64.so 2>/dev/null || true)
nlib=0
for l in $( { libs "$QEMU_BIN"; for m in $mods; do libs "$m"; done; } | sort -u); do
	mkdir -p "$root$(dirname "$l")"
	cp -L "$l" "$root$l"
	nlib=$((nlib + 1))
done
[ -f "$root/lib64/ld-linux-x86-64.so.2" ] || die "the dynamic loader was not among ldd's output"
for m in $mods; do
	mkdir -p "$root$QEMU_MODS"
	cp "$m" "$root$QEMU_MODS/"
done
# Data files: "-M pc -nodefaults -bios FILE" loads only the vapic option ROM
# (checked with strace -e openat on the host).
QEMU_DATA_FILES=${QEMU_DATA_FILES:-kvmvapic.bin}
for f in $QEMU_DATA_FILES; do
	[ -f "$QEMU_DATA/$f" ] || die "QEMU data file $QEMU_DATA/$f missing"
	cp "$QEMU_DATA/$f" "$root/usr/share/qemu/"
done
cp "$obj/guest.bin" "$obj/guest-pku.bin" "$obj/kvm-shim.so" "$src/qemu-lib.sh" "$root/usr/share/qemu-migrate/"
cp "$src/qemu-save" "$src/qemu-load" "$root/bin/"
chmod +x "$root/bin/qemu-save" "$root/bin/qemu-load"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . ! -name . | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0) >"$out.tmp"
mv "$out.tmp" "$out"
log "qemu-cpio: $out: $("$QEMU_BIN" --version | head -n1 | sed 's/^QEMU emulator //'), $nlib libraries," \
	"$(du -m "$out" | cut -f1) MiB; guest.bin TICK_SHIFT=$TICK_SHIFT XSETBV=$XSETBV"
