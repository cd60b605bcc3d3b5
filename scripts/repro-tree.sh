#!/usr/bin/env bash
# Branch "repro" of build/linux: pristine v7.3 plus the over-saving
# reproducer patch(es) in selftests/repro/ (NOT part of the series), for the
# demo's source host.  Rebuilt from the patch files every time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need git
[ -d "$TREE/.git" ] || die "no tree at $TREE; run 'make tree' first"
src=$BUILD/repro/linux
worktree_at "$src" "$BASE_TAG"
git -C "$src" checkout -q --detach "$BASE_TAG"
for p in "$TOP"/selftests/repro/*.patch; do
	git -C "$src" am -q "$p" || { git -C "$src" am --abort; die "reproducer patch does not apply: $p"; }
done
git -C "$TREE" branch -f repro "$(git -C "$src" rev-parse HEAD)"
log "repro: $(git -C "$src" log --oneline -1 | cut -c1-80)"
