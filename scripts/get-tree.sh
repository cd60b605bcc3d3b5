#!/usr/bin/env bash
# Stage: get the source of a kernel line of config/kernels (mainline, or
# STABLE=V) from its Debian linux-source package, unpack it into a git
# repository whose base commit is the pristine source (tag v<line>-debian):
# build/linux for mainline, build/stable/V/linux for V.  Cached: a second
# run downloads and unpacks nothing.  A stable line then gets its patches
# (patches/stable/V/series, scripts/apply.sh; mainline: make tree applies).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need apt-get dpkg-deb sha256sum git tar
pkg=$(kernel_field "$LINE" 2) suite=$(kernel_field "$LINE" 3)
tested_ver=$(kernel_field "$LINE" 4) tested_sha=$(kernel_field "$LINE" 5)
cache=$CACHE${STABLE:+/stable}
if [ -n "${STABLE:-}" ]; then dir=$(stable_dir "$STABLE") used=$dir/source.used; else dir=$BUILD used=$BUILD/linux-source.used; fi
mkdir -p "$cache" "$dir"

deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" 2>/dev/null | sort -V | tail -n1)
if [ -z "$deb" ]; then
	log "downloading $pkg from $suite"
	(cd "$cache" && apt_suite "$suite" -qq download "$pkg") || die "apt-get download $pkg ($suite) failed"
	deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | sort -V | tail -n1)
fi
ver=$(dpkg-deb -f "$deb" Version)
sha=$(sha256sum "$deb" | awk '{print $1}')
if [ "$ver" = "$tested_ver" ] && [ "$sha" != "$tested_sha" ]; then
	die "$deb: SHA-256 $sha does not match the tested $tested_sha (config/kernels)"
fi
if [ "$ver" != "$tested_ver" ]; then
	echo "WARNING: the archive has $pkg $ver; line $LINE was tested with $tested_ver (config/kernels)." >&2
	echo "WARNING: the archive keeps only the newest. Using $ver; $(kernel_field "$LINE" 6) must still apply." >&2
fi
echo "$pkg $ver sha256 $sha" >"$used"
log "$pkg $ver sha256 $sha"

if [ -d "$TREE/.git" ] && [ "$(cat "$TREE/.git/debian-version" 2>/dev/null)" = "$ver" ]; then
	log "tree $TREE exists (base $ver)"
else
	[ -z "${STABLE:-}" ] || rm -rf "$dir/base"
	import_source "$deb" "$TREE" "$ver" "$pkg" "$BASE_TAG"
fi
# Checkouts of an earlier layout (a worktree for each of bisect and repro;
# now one build worktree per line) are 1.6 GB each: removed.
old=("$dir/bisect")
[ -n "${STABLE:-}" ] || old+=("$BUILD/repro/linux" "$BUILD/repro/obj")
for d in "${old[@]}"; do
	[ -d "$d" ] || continue
	log "removing $d (a checkout of an earlier layout)"
	rm -rf "$d"
	git -C "$TREE" worktree prune
done
[ -z "${STABLE:-}" ] || "$TOP/scripts/apply.sh"
