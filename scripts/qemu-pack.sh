# shellcheck shell=bash
# Packing the host's QEMU into a guest's initramfs.  Sourced (after lib.sh)
# by the scripts that run QEMU inside a test VM: scripts/qemu-cpio.sh (the
# migration demo) and scripts/kvm-unit-tests.sh.  Never executed.

# pack_host_qemu ROOT [FILE...]: the host's own Debian qemu-system-x86_64
# into the tree ROOT at the paths it has on the host: the binary, its
# accel-tcg module, every library ldd lists for the two (at the paths ldd
# resolves them to) and the dynamic loader (PT_INTERP
# /lib64/ld-linux-x86-64.so.2).  The initramfs has no /lib symlink, so
# /lib/... and /usr/lib/... are both real directories there.  FILEs (data
# files such as firmware images, absolute host paths) are copied,
# dereferenced, to the same paths.  Sets PACKED_LIBS to the number of
# libraries.
pack_host_qemu() {
	local root=$1 bin mods libs l m f
	shift
	bin=$(readlink -f "$(command -v qemu-system-x86_64)")
	[ "$bin" = /usr/bin/qemu-system-x86_64 ] ||
		die "expected the Debian QEMU at /usr/bin/qemu-system-x86_64, found $bin"
	mods=$(ls /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so 2>/dev/null || true)
	mkdir -p "$root/usr/bin" "$root/lib64"
	cp "$bin" "$root/usr/bin/qemu-system-x86_64"
	libs=$( { _qemu_libs "$bin"; for m in $mods; do _qemu_libs "$m"; done; } | sort -u) ||
		die "cannot list the libraries of $bin"
	PACKED_LIBS=0
	for l in $libs; do
		mkdir -p "$root$(dirname "$l")"
		cp -L "$l" "$root$l"
		PACKED_LIBS=$((PACKED_LIBS + 1))
	done
	[ -f "$root/lib64/ld-linux-x86-64.so.2" ] || die "the dynamic loader was not among ldd's output"
	for m in $mods; do
		mkdir -p "$root$(dirname "$m")"
		cp "$m" "$root$m"
	done
	for f in "$@"; do
		[ -f "$f" ] || die "QEMU data file $f missing"
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
}

# _qemu_libs ELF: the libraries ldd lists for ELF, and the loader; dies if
# one is missing.
_qemu_libs() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
	ldd "$1" | grep -q 'not found' && die "ldd $1: a library is missing: $(ldd "$1" | grep 'not found')"
	return 0
}

# pack_cpio ROOT OUT: the tree ROOT as a newc cpio archive OUT (files owned
# by root, sorted), written atomically.
pack_cpio() {
	mkdir -p "$(dirname "$2")"
	(cd "$1" && find . ! -name . | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0) >"$2.tmp"
	mv "$2.tmp" "$2"
}
