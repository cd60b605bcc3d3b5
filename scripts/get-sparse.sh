#!/usr/bin/env bash
# Fetch sparse 0.6.5 (sid) with trixie's libc into build/tools and create
# build/tools/bin/sparse, which runs it through that libc's loader.
# Bookworm's sparse 0.6.4 cannot parse v7.3 (__typeof_unqual__).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need apt-get dpkg-deb
root=$BUILD/tools/sparse
wrapper=$BUILD/tools/bin/sparse
if [ -x "$wrapper" ] && "$wrapper" --version >/dev/null 2>&1; then
	log "sparse: $("$wrapper" --version)"
	exit 0
fi
rm -rf "$root"
mkdir -p "$root" "$BUILD/tools/bin" "$CACHE/sparse"
(cd "$CACHE/sparse" && ls sparse_*.deb >/dev/null 2>&1 || apt_suite sid -qq download sparse) ||
	die "cannot download sparse from sid"
(cd "$CACHE/sparse" && ls libc6_*.deb >/dev/null 2>&1 || apt_suite trixie -qq download libc6) ||
	die "cannot download libc6 from trixie"
for d in "$CACHE"/sparse/*.deb; do dpkg-deb -x "$d" "$root"; done
cat >"$wrapper" <<EOW
#!/bin/sh
exec "$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" "$root/usr/bin/sparse" "\$@"
EOW
chmod +x "$wrapper"
"$wrapper" --version >/dev/null 2>&1 || die "sparse wrapper does not run: $wrapper"
log "sparse: $("$wrapper" --version)"
