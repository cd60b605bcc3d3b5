#!/usr/bin/env bash
# Stage 0: install the Debian packages the pipeline needs, when missing.
# Bookworm packages only (-t bookworm where newer suites are configured).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pkgs=(build-essential bc bison flex libelf-dev libssl-dev dwarves ccache cpio
	xz-utils zstd lz4 qemu-system-x86 busybox-static git python3 perl file b4 gcc-multilib rsync python3-ply python3-git
	ninja-build pkgconf python3-venv libglib2.0-dev libfdt-dev zlib1g-dev dpkg-dev
	patch genisoimage isolinux syslinux-common vgabios seabios procps)
missing=()
for p in "${pkgs[@]}"; do
	grep -q "install ok installed" < <(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
	log "installing: ${missing[*]}"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm --no-install-recommends \
		"${missing[@]}" >&2 || die "apt-get install failed"
fi
log "dependencies present"
