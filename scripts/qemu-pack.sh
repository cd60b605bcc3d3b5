# shellcheck shell=bash
# Packing QEMU into a guest's initramfs.  Sourced (after lib.sh) by the
# scripts that run QEMU inside a test VM: scripts/qemu-cpio.sh (the
# migration demo's QEMU 7.2), qemu10-cpio.sh and qemu-fix-cpio.sh (QEMUs
# under a prefix) and kvm-unit-tests.sh.  Never executed.

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
	grep -q 'not found' < <(ldd "$1") && die "ldd $1: a library is missing: $(ldd "$1" | grep 'not found')"
	return 0
}

# pack_cpio ROOT OUT: the tree ROOT as a newc cpio archive OUT (files owned
# by root, sorted), written atomically.
pack_cpio() {
	mkdir -p "$(dirname "$2")"
	(cd "$1" && find . ! -name . | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0) >"$2.tmp"
	mv "$2.tmp" "$2"
}

# A QEMU packed under a prefix P (/qemu10, /qemu-fix; scripts/qemu10-cpio.sh
# and qemu-fix-cpio.sh) so that nothing clashes with the host's QEMU 7.2 at
# /usr: P/usr/bin/qemu-system-x86_64, its loader and libraries in
# P/$QEMU_LIBDIR, its data files in P/usr/share/qemu, no modules (an empty
# P/$QEMU_LIBDIR/qemu), and P/bin/qemu-system-x86_64, the wrapper that runs
# it.
QEMU_LIBDIR=usr/lib/x86_64-linux-gnu

# prefix_qemu_wrapper ROOT P WHAT [NAME]: the wrapper ROOT/P/bin/NAME (default
# qemu-system-x86_64): P's binary P/usr/bin/NAME under P's loader (--library-path, so that children such as the
# "exec:" migration's shell do not inherit the library path), -L for the
# data directory (QEMU's own lookup goes via /proc/self/exe, which is the
# loader here) and QEMU_MODULE_DIR in P (QEMU 7.2's modules are never looked
# at).  WHAT: its comment, which QEMU this is.
prefix_qemu_wrapper() {
	local root=$1 p=$2 l=$QEMU_LIBDIR n=${4:-qemu-system-x86_64}
	mkdir -p "$root$p/bin" "$root$p/$l/qemu"
	cat >"$root$p/bin/$n" <<W
#!/bin/sh
# $3
# LD_PRELOAD from the caller applies.
QEMU_MODULE_DIR=$p/$l/qemu exec $p/$l/ld-linux-x86-64.so.2 \\
	--library-path $p/$l $p/usr/bin/$n -L $p/usr/share/qemu "\$@"
W
	chmod +x "$root$p/bin/$n"
}

# prefix_qemu_check ROOT P MAJOR [NAME]: on the host, the packed QEMU (NAME,
# default qemu-system-x86_64) runs from its own loader and libraries only
# (the same command at ROOT/P, which the host sees instead of P) and is
# version MAJOR.x; prints its version line.  Call as v=$(prefix_qemu_check
# ...) || exit 1.
prefix_qemu_check() {
	local d=$1$2 l=$QEMU_LIBDIR v list n=${4:-qemu-system-x86_64}
	v=$("$d/$l/ld-linux-x86-64.so.2" --library-path "$d/$l" "$d/usr/bin/$n" --version 2>&1 |
		head -n1) || die "the packed QEMU does not run: $v"
	case $v in "QEMU emulator version $3."*) ;; *) die "the packed QEMU says '$v', expected version $3.x" ;; esac
	list=$(env -i "$d/$l/ld-linux-x86-64.so.2" --list --library-path "$d/$l" "$d/usr/bin/$n" 2>&1) ||
		die "ld.so --list of the packed QEMU failed: $list"
	! grep -q 'not found' <<<"$list" || die "packed QEMU: $(grep 'not found' <<<"$list")"
	if awk '$2 == "=>" && $3 ~ /^\// {print $3}' <<<"$list" | grep -v "^$d/" >&2; then
		die "packed QEMU: the libraries above resolve outside $d"
	fi
	echo "$v"
}
