#!/usr/bin/env bash
# Branch "repro" of build/linux: pristine v7.3 plus the over-saving
# reproducer patch(es) in selftests/repro/ (NOT part of the series), for the
# demo's source host.  Made from the patch files every time, in a scratch
# index (no checkout is touched): the branch moves only when the resulting
# source tree differs, so an unchanged reproducer is not built again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need git
[ -d "$TREE/.git" ] || die "no tree at $TREE; run 'make tree' first"
GIT_INDEX_FILE=$(mktemp "$BUILD/repro-index.XXXXXX")
export GIT_INDEX_FILE
trap 'rm -f "$GIT_INDEX_FILE"' EXIT
git -C "$TREE" read-tree "$BASE_TAG"
subjects=
for p in "$TOP"/selftests/repro/*.patch; do
	git -C "$TREE" apply --cached "$p" || die "reproducer patch does not apply: $p"
	subjects="$subjects$(git mailinfo /dev/null /dev/null <"$p" | sed -n 's/^Subject: //p')
"
done
tree=$(git -C "$TREE" write-tree)
if [ "$(git -C "$TREE" rev-parse -q --verify "repro^{tree}" 2>/dev/null)" != "$tree" ] ||
	[ "$(git -C "$TREE" rev-parse -q --verify "repro~1" 2>/dev/null)" != "$(git -C "$TREE" rev-parse "$BASE_TAG^{commit}")" ]; then
	c=$(printf '%s\n%s\n' "${subjects%
}" "Made by scripts/repro-tree.sh from selftests/repro/; not part of the series." |
		git -C "$TREE" commit-tree "$tree" -p "$BASE_TAG")
	git -C "$TREE" branch -f repro "$c"
fi
log "repro: $(git -C "$TREE" log --oneline -1 repro | cut -c1-80)"
