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
. "$(dirname "$0")/qemu-pack.sh"
need gcc make as ld objcopy ldd cpio qemu-system-x86_64
out=${1:-$BUILD/qemu.cpio}
src=$TOP/selftests/qemu-migrate
obj=$BUILD/qemu-migrate
TICK_SHIFT=${TICK_SHIFT:-16}
XSETBV=${XSETBV:-0}
QEMU_DATA=/usr/share/qemu

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
make -s -C "$TOP/selftests" O="$obj" kvm-shim.so ||
	die "building the ioctl shim failed"

root=$obj/root
mkdir -p "$root"/{bin,usr/share/qemu-migrate}
# QEMU, its libraries and its module (scripts/qemu-pack.sh), and the data
# files: "-M pc -nodefaults -bios FILE" loads only the vapic option ROM
# (checked with strace -e openat on the host).
QEMU_DATA_FILES=${QEMU_DATA_FILES:-kvmvapic.bin}
# shellcheck disable=SC2046 # one word per file name
pack_host_qemu "$root" $(for f in $QEMU_DATA_FILES; do echo "$QEMU_DATA/$f"; done)
cp "$obj/guest.bin" "$obj/guest-pku.bin" "$obj/kvm-shim.so" "$src/qemu-lib.sh" "$root/usr/share/qemu-migrate/"
cp "$src/qemu-save" "$src/qemu-load" "$root/bin/"
chmod +x "$root/bin/qemu-save" "$root/bin/qemu-load"

pack_cpio "$root" "$out"
log "qemu-cpio: $out: $(qemu-system-x86_64 --version | head -n1 | sed 's/^QEMU emulator //'), $PACKED_LIBS libraries," \
	"$(du -m "$out" | cut -f1) MiB; guest.bin TICK_SHIFT=$TICK_SHIFT XSETBV=$XSETBV"
