#!/usr/bin/env bash
# QEMU with the userspace half of the fix (patches/qemu/: XSTATE_BV is
# masked with the CPU model's XCR0 components before KVM_SET_XSAVE) for the
# migration demo (scripts/qemu-demo.sh), as an extra cpio archive for boot.sh
# (VM_CPIO), next to QEMU 7.2 (build/qemu.cpio) and trixie's QEMU 10
# (build/qemu10.cpio):
#   - the source: Debian trixie's qemu source package $QEMU_FIX_SRC_VERSION
#     (apt-get source --download-only through a deb-src list of the machine's
#     Debian archive in a temporary apt state that is removed afterwards),
#     cached in build/cache/qemu-src; unpacked with dpkg-source -x (which
#     applies Debian's patches) into build/qemu-fix/src/qemu, a git
#     repository whose first commit is "Debian qemu VERSION", then
#     "git am" of the patches;
#   - the build: x86_64-softmmu only, KVM only (--disable-tcg: the demo's
#     QEMU runs with -accel kvm only; 1218 compiled objects instead of 1278,
#     among them the slowest, softfloat and the TCG translators), no GUI,
#     docs, tools, plugins or user emulators (--without-default-features
#     already drops slirp, spice, vhost-*, VNC and the image formats beyond
#     raw/qcow2; the rest is mostly hw/ and the generated QAPI and trace
#     code), libfdt from the system, ccache, nice -n 19 and $JOBS
#     jobs, out of tree in build/qemu-fix/obj/x86_64-softmmu; meson >= 1.5
#     is bookworm-backports' (downloaded and unpacked privately) when the
#     machine's is older; kvmvapic.bin (removed from Debian's +ds tarball) is
#     built from the source's pc-bios/optionrom as Debian does;
#   - the cache: the binary and kvmvapic.bin are kept in
#     build/qemu-fix/bin-SUM, SUM = sha256 of the .dsc, the patches and the
#     configure options; a run with the same SUM builds nothing;
#   - the control: the same tree with Debian's target/i386/xsave_helper.c
#     (the patch's functional change left out; its code motion between
#     cpu.c and cpu.h kept) built again in the same object directory (one
#     file compiled), kept as qemu-system-x86_64-unpatched beside the binary;
#   - the archive: everything under /qemu-fix so that nothing clashes with
#     QEMU 7.2's files: the binaries, the host's (bookworm's) dynamic loader and
#     the libraries of the binary's DT_NEEDED closure, kvmvapic.bin,
#     /qemu-fix/VERSIONS, and the wrappers /qemu-fix/bin/qemu-system-x86_64
#     and (the control) /qemu-fix/bin/qemu-system-x86_64-unpatched (the
#     layout and the wrapper of scripts/qemu-pack.sh).
# Needs (scripts/deps.sh): gcc ninja-build pkgconf python3-venv
# libglib2.0-dev libfdt-dev zlib1g-dev dpkg-dev (dpkg-source) git cpio.
# Usage: qemu-fix-cpio.sh [OUT.cpio]   (default build/qemu-fix.cpio)
# Env: QEMU_FIX_SRC_VERSION (Debian version of the qemu source package),
#      QEMU_FIX_PATCHES="FILE..." (default patches/qemu/[0-9]*.patch;
#      "none" builds Debian's QEMU unpatched, for a control row).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu-pack.sh"
need apt-get dpkg-source dpkg-deb git gcc ninja python3 pkg-config objdump readelf cpio ccache sha256sum flock
out=${1:-$BUILD/qemu-fix.cpio}
ver=${QEMU_FIX_SRC_VERSION:-1:10.0.13+ds-0+deb13u1}
suite=trixie
P=/qemu-fix                     # prefix inside the guest
LIBDIR=$QEMU_LIBDIR
top=$BUILD/qemu-fix
srcc=$CACHE/qemu-src
mkdir -p "$top" "$srcc"
# One build at a time (make check builds in its background lane while the
# demo may already ask for the archive): the second waits, then finds the
# cache.
exec 9>"$top/lock"
flock 9
# The control leaves out the patch's change of this file (the rest of
# patches/qemu/ moves a helper and a mask from cpu.c to cpu.h).
CONTROL_FILE=target/i386/xsave_helper.c
# -O1 (after meson's -O2 in every compile): the compiler's part of a cold
# build 444 CPU-s instead of 526 with -O2 (measured 2026-12-03, ninja -j1,
# no ccache); -O0 would save more but this QEMU runs inside the test VM,
# itself emulated by TCG, where slower code costs every row.
CONFIGURE_OPTS=(--cc="ccache gcc" --target-list=x86_64-softmmu --without-default-features
	--enable-kvm --disable-tcg --disable-plugins --enable-fdt=system --disable-download --disable-docs
	--disable-user --disable-tools --disable-werror --disable-debug-info
	--audio-drv-list= --disable-install-blobs --extra-cflags=-O1)

for p in libglib2.0-dev libfdt-dev zlib1g-dev pkgconf python3-venv dpkg-dev; do
	grep -q "install ok installed" < <(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) ||
		die "build dependency $p is not installed (apt-get install $p; scripts/deps.sh)"
done

if [ "${QEMU_FIX_PATCHES:-}" = none ]; then
	patches=()
else
	# shellcheck disable=SC2206
	patches=(${QEMU_FIX_PATCHES:-$(ls "$TOP"/patches/qemu/[0-9]*.patch 2>/dev/null)})
	[ ${#patches[@]} -gt 0 ] || die "no QEMU patches in $TOP/patches/qemu"
fi

# tmp_apt LINE apt-get-args...: apt-get with a one-line source list in a
# temporary state directory, removed afterwards (no archive address is left
# in build/).
tmp_apt() {
	local line=$1 d rc=0
	shift
	d=$(mktemp -d "$BUILD/apt-tmp.XXXXXX")
	mkdir -p "$d/lists/partial" "$d/archives/partial"
	echo "$line" >"$d/sources.list"
	local opts=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache::Archives=$d/archives"
		-o "Dir::Cache::pkgcache=$d/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$d/srcpkgcache.bin"
		-o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root)
	apt-get "${opts[@]}" -qq update >&2 && apt-get "${opts[@]}" "$@" || rc=$?
	rm -rf "$d"
	return $rc
}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# 1. The source package (.dsc, .orig.tar.xz, .debian.tar.xz).
uver=${ver#*:}
dsc=$srcc/qemu_$uver.dsc
if [ ! -f "$dsc" ]; then
	log "qemu-fix-cpio: downloading the qemu $ver source package from $suite"
	(cd "$srcc" && tmp_apt "deb-src [signed-by=$keyring] $(debian_suite_uri $suite) $suite main" \
		source --download-only -qq "qemu=$ver" >&2) ||
		die "apt-get source qemu=$ver failed (the archive keeps only the newest $suite version; set QEMU_FIX_SRC_VERSION)"
	[ -f "$dsc" ] || die "no $dsc after the download"
fi
if [ -f "$BUILD/qemu10/VERSIONS" ]; then
	q10=$(sed -n 's/^qemu-system-x86 //p' "$BUILD/qemu10/VERSIONS")
	[ -z "$q10" ] || [ "$q10" = "$ver" ] ||
		log "qemu-fix-cpio: WARNING: the QEMU 10 rows use trixie's $q10, the fix is built on $ver"
fi

# 2. The cache key; a hit builds nothing.
sum=$( { cat "$dsc"; for p in "${patches[@]}"; do echo "patch ${p##*/}"; cat "$p"; done
	printf '%s\n' "${CONFIGURE_OPTS[@]}"; } | sha256sum | cut -c1-16)
bin=$top/bin-$sum
if [ ! -x "$bin/qemu-system-x86_64" ] || [ ! -f "$bin/kvmvapic.bin" ] ||
	{ [ ${#patches[@]} -gt 0 ] && [ ! -x "$bin/qemu-system-x86_64-unpatched" ]; }; then
	t0=$(date +%s)
	# meson >= 1.5 (QEMU 10.0); bookworm has 1.0.1.
	if ! { command -v meson >/dev/null &&
		python3 -c "import sys; v = tuple(map(int, sys.argv[1].split('.')[:2])); sys.exit(v < (1, 5))" \
			"$(meson --version)"; }; then
		mdir=$top/meson
		if [ ! -d "$mdir/usr/lib/python3/dist-packages/mesonbuild" ]; then
			mkdir -p "$CACHE/meson"
			if [ -z "$(find "$CACHE/meson" -maxdepth 1 -name 'meson_*.deb')" ]; then
				log "qemu-fix-cpio: downloading meson from bookworm-backports (bookworm's is too old for QEMU 10)"
				(cd "$CACHE/meson" && tmp_apt "deb [signed-by=$keyring] $(debian_archive_uri) bookworm-backports main" \
					download -qq meson >&2) || die "apt-get download meson from bookworm-backports failed"
			fi
			rm -rf "$mdir"
			dpkg-deb -x "$(find "$CACHE/meson" -maxdepth 1 -name 'meson_*.deb' | sort -V | tail -n1)" "$mdir"
		fi
		export PYTHONPATH=$mdir/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
		export PATH=$mdir/usr/bin:$PATH
	fi
	log "qemu-fix-cpio: meson $(meson --version)"

	# The tree: Debian's source with Debian's patches, then ours.
	src=$top/src/qemu
	rm -rf "$top/src"
	mkdir -p "$top/src"
	dpkg-source -q -x "$dsc" "$src" >&2 || die "dpkg-source -x $dsc failed"
	(
		cd "$src"
		git init -q -b fix
		git config user.name "$(git -C "$TOP" config user.name || echo "qemu-source import")"
		git config user.email "$(git -C "$TOP" config user.email || echo "noreply@localhost")"
		git config gc.auto 0    # a disposable tree: no repacking
		git add -A -f .
		git commit -q --no-verify -m "Debian qemu $ver"
		git tag debian
		for p in "${patches[@]}"; do
			git am -q "$p" || { git am --abort; exit 1; }
		done
	) || die "git am of ${patches[*]} onto Debian qemu $ver failed"

	# The build (configure runs meson, with a venv that sees the meson above).
	obj=$top/obj/x86_64-softmmu
	rm -rf "$obj"
	mkdir -p "$obj"
	export CCACHE_BASEDIR=$BUILD
	(cd "$obj" && nice -n 19 "$src/configure" "${CONFIGURE_OPTS[@]}") >"$top/configure.log" 2>&1 ||
		die "configure failed, see $top/configure.log"
	nice -n 19 ninja -C "$obj" -j "$JOBS" qemu-system-x86_64 >"$top/build.log" 2>&1 ||
		die "the QEMU build failed, see $top/build.log"
	nice -n 19 make -C "$obj/pc-bios/optionrom" kvmvapic.bin >>"$top/build.log" 2>&1 ||
		die "building kvmvapic.bin failed, see $top/build.log"
	rm -rf "$top"/bin-*
	mkdir -p "$bin"
	cp "$obj/qemu-system-x86_64" "$obj/pc-bios/optionrom/kvmvapic.bin" "$bin/"
	# The control: the same tree, configuration and compiler with Debian's
	# $CONTROL_FILE, i.e. without the patch's functional change; what
	# else the patch changes must be code motion only (checked: the tree
	# then differs from Debian's in cpu.c and cpu.h alone), so that only
	# that file is compiled again.
	if [ ${#patches[@]} -gt 0 ]; then
		git -C "$src" checkout -q debian -- "$CONTROL_FILE"
		other=$(git -C "$src" diff --name-only debian -- . ':!target/i386/cpu.c' ':!target/i386/cpu.h')
		[ -z "$other" ] || die "the control differs from Debian's source in more than code motion: $other"
		nice -n 19 ninja -C "$obj" -j "$JOBS" qemu-system-x86_64 >"$top/build-control.log" 2>&1 ||
			die "the control build failed, see $top/build-control.log"
		git -C "$src" checkout -q fix -- "$CONTROL_FILE"
		cp "$obj/qemu-system-x86_64" "$bin/qemu-system-x86_64-unpatched"
		log "qemu-fix-cpio: the control: $(grep -c 'Compiling' "$top/build-control.log") file(s) compiled again"
	fi
	{ echo "qemu-source $ver"
	  git -C "$src" log --format='patch %h %s' debian..HEAD
	  [ ${#patches[@]} -eq 0 ] || echo "control qemu-system-x86_64-unpatched: Debian's $CONTROL_FILE"
	  echo "meson $(meson --version)"
	  echo "gcc $(gcc -dumpfullversion)"; } >"$bin/VERSIONS"
	log "qemu-fix-cpio: built QEMU $ver + ${#patches[@]} patch(es) in $(( $(date +%s) - t0 )) s"
elif [ -f "$out" ] && [ ! "$bin/qemu-system-x86_64" -nt "$out" ] && [ ! "$0" -nt "$out" ]; then
	log "qemu-fix-cpio: $out is up to date (build $sum)"
	exit 0
fi
grep -q "^QEMU emulator version 10\." < <("$bin/qemu-system-x86_64" --version) ||
	die "$bin/qemu-system-x86_64 does not run or is not QEMU 10"

# 3. The archive: binary, loader, DT_NEEDED closure (the host's libraries:
# the binary was built against them), data file, wrapper.
root=$top/root
rm -rf "$root"
mkdir -p "$root$P/$LIBDIR/qemu" "$root$P/usr/bin" "$root$P/usr/share/qemu" "$root$P/bin"
cp "$bin/qemu-system-x86_64" "$root$P/usr/bin/"
[ ! -f "$bin/qemu-system-x86_64-unpatched" ] || cp "$bin/qemu-system-x86_64-unpatched" "$root$P/usr/bin/"
cp "$bin/kvmvapic.bin" "$root$P/usr/share/qemu/"
cp "$bin/VERSIONS" "$root$P/VERSIONS"
interp=$(readelf -l "$bin/qemu-system-x86_64" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
[ "$interp" = /lib64/ld-linux-x86-64.so.2 ] || die "unexpected PT_INTERP '$interp'"
cp -L "$interp" "$root$P/$LIBDIR/ld-linux-x86-64.so.2"
nlib=0
while read -r so path; do
	cp -L "$path" "$root$P/$LIBDIR/$so"
	nlib=$((nlib + 1))
done < <(ldd "$bin/qemu-system-x86_64" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}')
grep -q 'not found' < <(ldd "$bin/qemu-system-x86_64") && die "ldd: $(ldd "$bin/qemu-system-x86_64" | grep 'not found')"
prefix_qemu_wrapper "$root" "$P" "Debian's QEMU $ver with patches/qemu/ (scripts/qemu-fix-cpio.sh), with bookworm's loader and libraries."
v=$(prefix_qemu_check "$root" "$P" 10) || exit 1
if [ -f "$root$P/usr/bin/qemu-system-x86_64-unpatched" ]; then
	prefix_qemu_wrapper "$root" "$P" "The control: the same build with Debian's $CONTROL_FILE, without the functional change of patches/qemu/ (scripts/qemu-fix-cpio.sh)." \
		qemu-system-x86_64-unpatched
	prefix_qemu_check "$root" "$P" 10 qemu-system-x86_64-unpatched >/dev/null || exit 1
fi
pack_cpio "$root" "$out"
log "qemu-fix-cpio: $out: ${v#QEMU emulator version } + $(grep -c '^patch ' "$bin/VERSIONS") patch(es)" \
	"(build $sum), $nlib libraries + loader, $(du -m "$out" | cut -f1) MiB"
