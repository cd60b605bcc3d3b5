#!/usr/bin/env bash
# Kept for one release: scripts/get-tree.sh with STABLE=V does this.
set -euo pipefail
: "${STABLE:?set STABLE to a stable line of config/kernels}"
exec "$(dirname "$0")/get-tree.sh"
