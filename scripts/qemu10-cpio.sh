#!/usr/bin/env bash
# Debian trixie's QEMU 10 for the migration demo (scripts/qemu-demo.sh), as
# an extra cpio archive for boot.sh (VM_CPIO), next to the host's QEMU 7.2
# of build/qemu.cpio (scripts/qemu-cpio.sh, which also carries the L2 guest,
# the ioctl shim and the guest scripts):
#   - the packages of selftests/qemu-migrate/qemu10-packages, downloaded
#     from trixie into build/cache/trixie-qemu (only the missing ones; a
#     second run downloads nothing) and unpacked with dpkg-deb -x;
#   - in the archive, everything under /qemu10 so that nothing clashes with
#     QEMU 7.2's files at /usr/...: the binary, trixie's dynamic loader and
#     the libraries of the binary's DT_NEEDED closure, resolved (objdump -p)
#     in the unpacked trixie tree, never on the host; the data file
#     kvmvapic.bin; /qemu10/VERSIONS (package versions);
#   - /qemu10/bin/qemu-system-x86_64, the wrapper that runs it with trixie's
#     loader (the layout and the wrapper of scripts/qemu-pack.sh).
# Usage: qemu10-cpio.sh [OUT.cpio]   (default build/qemu10.cpio)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu-pack.sh"
need apt-get dpkg-deb objdump readelf cpio
out=${1:-$BUILD/qemu10.cpio}
list=$TOP/selftests/qemu-migrate/qemu10-packages
[ -f "$list" ] || die "no package list $list"
cache=$CACHE/trixie-qemu
obj=$BUILD/qemu10
P=/qemu10                       # prefix inside the guest
LIBDIR=$QEMU_LIBDIR             # trixie is merged-/usr: libc and the loader live here
mkdir -p "$cache"

pkgs=$(strip_comments "$list" | awk '{print $1}')
[ -n "$pkgs" ] || die "$list lists no packages"
# deb PKG: the cached .deb of PKG (the newest download if there are several).
deb() { { ls -t "$cache/$1"_*.deb 2>/dev/null || true; } | head -n1; }
missing=
for p in $pkgs; do
	[ -n "$(deb "$p")" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "qemu10-cpio: downloading from trixie:$missing"
	# shellcheck disable=SC2086
	(cd "$cache" && apt_suite trixie -qq download $missing >&2) ||
		die "apt-get download from trixie failed for:$missing"
	for p in $missing; do
		[ -n "$(deb "$p")" ] || die "trixie package $p was not downloaded into $cache"
	done
fi

# Up to date: nothing newer than the archive.
if [ -f "$out" ] && [ -f "$obj/VERSIONS" ]; then
	stale=
	for f in "$0" "$list" $(for p in $pkgs; do deb "$p"; done); do
		[ "$f" -nt "$out" ] && stale=1
	done
	if [ -z "$stale" ]; then
		log "qemu10-cpio: $out is up to date ($(sed -n 's/^qemu-system-x86 //p' "$obj/VERSIONS"))"
		exit 0
	fi
fi

rm -rf "$obj"
mkdir -p "$obj/tree" "$obj/root$P"
: >"$obj/VERSIONS"
for p in $pkgs; do
	d=$(deb "$p")
	dpkg-deb -x "$d" "$obj/tree" || die "dpkg-deb -x $d failed"
	echo "$(dpkg-deb -f "$d" Package) $(dpkg-deb -f "$d" Version)" >>"$obj/VERSIONS"
	# which package each file came from, for the report below
	dpkg-deb -c "$d" | awk -v p="$p" '{print substr($6, 2), p}' >>"$obj/owners"
done
tree=$(readlink -f "$obj/tree")
bin=usr/bin/qemu-system-x86_64
[ -f "$tree/$bin" ] || die "qemu-system-x86 has no /$bin"
grep -qE 'Machine: +Advanced Micro Devices X86-64' < <(readelf -h "$tree/$bin" 2>/dev/null) ||
	die "/$bin is not an x86-64 ELF"
interp=$(readelf -l "$tree/$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
[ "$interp" = /lib64/ld-linux-x86-64.so.2 ] || die "unexpected PT_INTERP '$interp' of /$bin"
ldso=$tree/$LIBDIR/ld-linux-x86-64.so.2
[ -f "$ldso" ] || die "trixie's libc6 has no /$LIBDIR/ld-linux-x86-64.so.2"

# The DT_NEEDED closure, looked up only in the trixie tree (no RUNPATH in
# Debian's binaries; checked).  resolve SONAME: path in the tree.
resolve() {
	local d
	for d in $LIBDIR lib/x86_64-linux-gnu; do
		[ -e "$tree/$d/$1" ] && { readlink -f "$tree/$d/$1"; return 0; }
	done
	return 1
}
declare -A have=()
queue=("$tree/$bin")
nlib=0
while [ ${#queue[@]} -gt 0 ]; do
	f=${queue[0]}
	queue=("${queue[@]:1}")
	grep -qE '^ +(RPATH|RUNPATH) ' < <(objdump -p "$f") && die "${f#"$tree"} has an RPATH/RUNPATH; not handled"
	for so in $(objdump -p "$f" | awk '$1 == "NEEDED" {print $2}'); do
		[ -n "${have[$so]:-}" ] && continue
		real=$(resolve "$so") ||
			die "${f#"$tree"} needs $so, which none of the packages of $list has; add the trixie package that holds it"
		case $real in "$tree"/*) ;; *) die "$so resolves outside the trixie tree: $real" ;; esac
		have[$so]=$real
		queue+=("$real")
		mkdir -p "$obj/root$P/$LIBDIR"
		cp "$real" "$obj/root$P/$LIBDIR/$so"
		nlib=$((nlib + 1))
	done
done
# The loader under its own name (libc.so.6 etc. need it as a DT_NEEDED too).
cp "$(readlink -f "$ldso")" "$obj/root$P/$LIBDIR/ld-linux-x86-64.so.2"
mkdir -p "$obj/root$P/usr/bin" "$obj/root$P/usr/share/qemu" "$obj/root$P/bin"
cp "$tree/$bin" "$obj/root$P/$bin"
QEMU10_DATA_FILES=${QEMU10_DATA_FILES:-kvmvapic.bin}
for f in $QEMU10_DATA_FILES; do
	[ -f "$tree/usr/share/qemu/$f" ] || die "qemu-system-data has no /usr/share/qemu/$f"
	cp "$tree/usr/share/qemu/$f" "$obj/root$P/usr/share/qemu/"
done
# No modules: trixie's QEMU has TCG and KVM built in (qemu-system-common
# ships no accel-* module; checked here), and "-M pc -nodefaults" loads none
# (strace on the host); the directory is empty.
[ -d "$tree/$LIBDIR/qemu" ] || die "qemu-system-common has no /$LIBDIR/qemu"
for f in "$tree/$LIBDIR/qemu"/accel-*; do
	[ -e "$f" ] && die "trixie's QEMU now has accel modules (${f##*/}); pack the one -accel kvm needs"
done
mkdir -p "$obj/root$P/$LIBDIR/qemu"

# Packages that contributed nothing (a stale list).
used=$( { for so in "${!have[@]}"; do echo "${have[$so]#"$tree"/}"; done
	echo "$bin"; echo "$LIBDIR/$(readlink "$ldso" || echo ld-linux-x86-64.so.2)"
	for f in $QEMU10_DATA_FILES; do echo "usr/share/qemu/$f"; done; } |
	sed 's|^\./||; s|^lib/|usr/lib/|' | sort -u)
for p in $pkgs; do
	case $p in qemu-system-common) continue ;; esac
	if ! grep -qxF -f <(awk -v p="$p" '$2 == p {print $1}' "$obj/owners" | sed 's|^/||') <<<"$used"; then
		log "qemu10-cpio: WARNING: package $p of $list is not needed (no library of the closure is in it)"
	fi
done

prefix_qemu_wrapper "$obj/root" "$P" \
	"Debian trixie's QEMU ($(sed -n 's/^qemu-system-x86 //p' "$obj/VERSIONS")) with trixie's own loader and libraries (scripts/qemu10-cpio.sh)."
cp "$obj/VERSIONS" "$obj/root$P/VERSIONS"
v=$(prefix_qemu_check "$obj/root" "$P" 10) || exit 1
pack_cpio "$obj/root" "$out"
rm -rf "$tree"
log "qemu10-cpio: $out: ${v#QEMU emulator version }, $nlib libraries + loader, $(du -m "$out" | cut -f1) MiB;" \
	"$(wc -l <"$obj/VERSIONS") trixie packages (build/qemu10/VERSIONS)"
