#!/usr/bin/env bash
# Export branch "series" of the build tree back into patches/: one
# `git format-patch` file per commit and the quilt series file.
# Regenerating is deterministic, so the diff of patches/ shows only real
# changes.  Then write the mboxes of the postings (patches/postings, with
# their cover letters patches/cover-*.txt) with scripts/postings.sh, if the
# sender's git identity is set.
# STABLE=V: branch series of build/stable/V/linux into patches/stable/V/,
# subject prefix "RFC PATCH V.y" (stable takes it only after mainline),
# each commit's git note (what the backport changed from mainline) below
# the "---"; no postings.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need git
BRANCH=${BRANCH:-series}
out=$TOP/patches
base=$BASE_TAG
fp=()
if [ -n "${STABLE:-}" ]; then
	out=$TOP/patches/stable/$STABLE
	fp=(--notes --subject-prefix="RFC PATCH $STABLE.y")
	mkdir -p "$out"
fi
cd "$TREE"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes; commit them first"
# Debian's linux-source .gitignore ignores every new top-level path ("/*"),
# so a new source file is silently left out unless added with "git add -f".
ignored=$(git status --porcelain --ignored=matching -- arch tools Documentation include kernel virt |
	sed -n 's/^!! //p' | grep -E '\.(c|h|S|sh|rst)$' || true)
[ -z "$ignored" ] || die "source files ignored by Debian's .gitignore, not committed (use git add -f): $ignored"
n=$(git rev-list --count "$base".."$BRANCH")
[ "$n" -gt 0 ] || die "branch $BRANCH has no commits on top of $base"
# A backport's note is one "Changes from the mainline patch:" block; two mean
# a stale note was concatenated on a rewrite (see apply.sh): fix it with
# "git notes edit" rather than export it.
if [ -n "${STABLE:-}" ]; then
	for c in $(git rev-list "$base".."$BRANCH"); do
		[ "$(git notes show "$c" 2>/dev/null | grep -c '^Changes from the mainline patch:$')" -le 1 ] ||
			die "the note of $(git log --oneline -1 "$c" | cut -c1-60) has more than one \"Changes from the mainline patch:\" block; git notes edit $c"
	done
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -c core.abbrev=12 format-patch -q --no-signature --zero-commit "${fp[@]}" \
	-o "$tmp" "$base".."$BRANCH" >/dev/null
rm -f "$out"/[0-9][0-9][0-9][0-9]-*.patch
cp "$tmp"/*.patch "$out/"
(cd "$out" && ls [0-9][0-9][0-9][0-9]-*.patch) >"$out/series"
log "exported $n patches to ${out#"$TOP"/}/"
[ -z "${STABLE:-}" ] || exit 0

# The postings, signed by the sender, when the sender's identity is set.
rc=0
"$TOP/scripts/postings.sh" || rc=$?
case $rc in
0) ;;
2) log "patches/ is up to date; no sendable mboxes were written (see above)" ;;
*) die "postings.sh failed (exit $rc)" ;;
esac
