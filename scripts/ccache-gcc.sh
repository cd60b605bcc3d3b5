#!/usr/bin/env bash
# The kernel builds' CC (lib.sh KERNEL_CC): gcc through ccache, except for a
# source that embeds a file with .incbin, which goes to gcc directly.
# ccache's depend mode (lib.sh) hashes a source and what the compiler's
# dependency file lists, and .incbin files are not listed: piggy.o of the
# compressed kernel came back from the cache whenever piggy.S (sizes only)
# matched an earlier build, with that build's kernel inside (the mutants
# booted stale kernels; 2026-12-03).  The default mode refuses such sources
# itself ("unsupported code directive").
set -euo pipefail
for a in "$@"; do
	case $a in
	*.c | *.S | *.s)
		if [ -f "$a" ] && grep -q '\.incbin' "$a"; then exec gcc "$@"; fi ;;
	esac
done
exec ccache gcc "$@"
