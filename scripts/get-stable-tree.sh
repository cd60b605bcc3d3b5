#!/usr/bin/env bash
# Stage: get the stable kernel STABLE=V (config/stable-kernels) from Debian's
# linux-source-V package, unpack it into build/stable/V/linux as a git
# repository whose base commit is the pristine source (tag vV-debian), and
# apply patches/stable/V/series with git am (scripts/apply.sh) on branch
# "series".  Cached: a second run downloads and unpacks nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need apt-get dpkg-deb sha256sum git tar
v=${STABLE:?set STABLE to a version of config/stable-kernels}
pkg=$(stable_field "$v" 2) suite=$(stable_field "$v" 3)
tested_ver=$(stable_field "$v" 4) tested_sha=$(stable_field "$v" 5)
dir=$(stable_dir "$v")
tree=$dir/linux
cache=$CACHE/stable
mkdir -p "$cache" "$dir"

deb=$(ls "$cache"/"${pkg}"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$deb" ]; then
	log "downloading $pkg from $suite"
	(cd "$cache" && apt_suite "$suite" -qq download "$pkg") || die "apt-get download $pkg ($suite) failed"
	deb=$(ls "$cache"/"${pkg}"_*.deb | sort -V | tail -n1)
fi
ver=$(dpkg-deb -f "$deb" Version)
sha=$(sha256sum "$deb" | awk '{print $1}')
if [ "$ver" = "$tested_ver" ] && [ "$sha" != "$tested_sha" ]; then
	die "$deb: SHA-256 $sha does not match the tested $tested_sha"
fi
if [ "$ver" != "$tested_ver" ]; then
	echo "WARNING: the archive has $pkg $ver; the backport was tested with $tested_ver." >&2
	echo "WARNING: the archive keeps only the newest. Using $ver; patches/stable/$v must still apply." >&2
fi
echo "$pkg $ver sha256 $sha" >"$dir/source.used"
log "$pkg $ver sha256 $sha"

if [ -d "$tree/.git" ] && [ "$(cat "$tree/.git/debian-version" 2>/dev/null)" = "$ver" ]; then
	log "tree $tree exists (base $ver)"
else
	rm -rf "$dir/base" "$dir/bisect"
	import_source "$deb" "$tree" "$ver" "$pkg" "v$v-debian"
fi
STABLE=$v "$TOP/scripts/apply.sh"
