#!/usr/bin/env bash
# Stage 1: get Linux 7.3 from Debian's linux-source-7.3 package, unpack it into
# build/linux as a git repository whose single base commit is the pristine
# source (tag "v7.3-debian"), cached so a second run downloads nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need apt-get dpkg-deb sha256sum git tar

mkdir -p "$CACHE" "$BUILD"
tested_ver=$(awk '$1 == "version" {print $2}' "$LINUX_SRC_TESTED_VERSION_FILE")
tested_sha=$(awk '$1 == "sha256" {print $2}' "$LINUX_SRC_TESTED_VERSION_FILE")

deb=$(ls "$CACHE"/${LINUX_SRC_PKG}_*.deb 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$deb" ]; then
	log "downloading $LINUX_SRC_PKG from $LINUX_SRC_SUITE"
	avail=$(apt_suite "$LINUX_SRC_SUITE" -qq --print-uris download "$LINUX_SRC_PKG" 2>/dev/null |
		awk '{print $2}' | sed -n 's/^[^_]*_\([^_]*\)_.*/\1/p' | sed 's/%3a/:/g' | head -n1)
	[ -n "$avail" ] || die "$LINUX_SRC_PKG not found in $LINUX_SRC_SUITE"
	if [ "$avail" != "$tested_ver" ]; then
		echo "WARNING: the archive has $LINUX_SRC_PKG $avail; the series was tested with $tested_ver." >&2
		echo "WARNING: the archive keeps only the newest 7.3.y. Using $avail; the series must still apply." >&2
	fi
	(cd "$CACHE" && apt_suite "$LINUX_SRC_SUITE" -qq download "$LINUX_SRC_PKG") ||
		die "apt-get download $LINUX_SRC_PKG failed"
	deb=$(ls "$CACHE"/${LINUX_SRC_PKG}_*.deb | sort -V | tail -n1)
fi
ver=$(dpkg-deb -f "$deb" Version)
sha=$(sha256sum "$deb" | awk '{print $1}')
if [ "$ver" = "$tested_ver" ] && [ "$sha" != "$tested_sha" ]; then
	die "$deb: SHA-256 $sha does not match the tested $tested_sha"
fi
[ "$ver" = "$tested_ver" ] || echo "WARNING: using untested $LINUX_SRC_PKG $ver (sha256 $sha)" >&2
echo "$LINUX_SRC_PKG $ver sha256 $sha" >"$BUILD/linux-source.used"
log "$LINUX_SRC_PKG $ver sha256 $sha"

if [ -d "$TREE/.git" ] && [ "$(cat "$TREE/.git/debian-version" 2>/dev/null)" = "$ver" ]; then
	log "tree $TREE exists (base $ver)"
	exit 0
fi

import_source "$deb" "$TREE" "$ver" "$LINUX_SRC_PKG" v7.3-debian
