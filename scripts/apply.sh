#!/usr/bin/env bash
# Stage: apply patches/series to the pristine tree with `git am` (the path
# users take) on branch "series".  A patch that does not apply stops the run
# naming it.  An existing "series" branch with commits that differ from
# patches/ is kept (it holds unexported work) unless FORCE=1.
# STABLE=V: patches/stable/V/series onto tag vV-debian of build/stable/V/linux.
# Notes below a patch's "---" (a backport's changes from mainline) become
# the commit's git note again, so that export.sh writes them back.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need git
SERIES=${SERIES:-$TOP/patches/series}
BRANCH=${BRANCH:-series}
[ -z "${STABLE:-}" ] || SERIES=$TOP/patches/stable/$STABLE/series
[ -d "$TREE/.git" ] || die "no tree at $TREE; run 'make tree' first"
[ -f "$SERIES" ] || die "no $SERIES"
mkdir -p "$BUILD/logs"
cd "$TREE"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes; commit or stash them first"
# A backport's notes follow its commits through amends and rebases
# (notes.rewriteRef, set by import_source), but git's default rewrite mode
# "concatenate" appends the old note to a note the rewritten commit already
# has: "git commit --amend" during "git rebase -i" copies the note, "git
# notes edit" updates it, and "git rebase --continue" appends the stale one
# again.  Keep the note the new commit has ("ignore"); a commit without one
# still gets its predecessor's.
[ -z "${STABLE:-}" ] || git config notes.rewriteMode ignore
git am --abort >/dev/null 2>&1 || true
cur=$(git symbolic-ref -q --short HEAD || git rev-parse HEAD)
[ "$cur" != am-check ] || cur=$BRANCH
git checkout -q -B am-check "$BASE_TAG"
n=0
# shellcheck disable=SC2094 # dirname "$SERIES" only names the directory
while read -r p; do
	case $p in '' | '#'*) continue ;; esac
	f=$(dirname "$SERIES")/$p
	[ -f "$f" ] || die "patches/series names $p, which does not exist"
	if ! git am -q --whitespace=error-all "$f" >"$BUILD/logs/am.log" 2>&1; then
		sed 's/^/    /' "$BUILD/logs/am.log" >&2
		git am --abort >/dev/null 2>&1 || true
		git checkout -q "$cur" 2>/dev/null || git checkout -q "$BASE_TAG"
		git branch -D -q am-check
		die "patch does not apply: $p"
	fi
	notes=$(awk '/^---$/ {d = 1; next} d && /^Notes:$/ {n = 1; next}
		n && /^    / {sub(/^    /, ""); print; next} n {exit} /^diff --git / {exit}' "$f")
	if [ "$(printf '%s\n' "$notes" | grep -c '^Changes from the mainline patch:$')" -gt 1 ]; then
		git checkout -q "$cur" 2>/dev/null || git checkout -q "$BASE_TAG"
		git branch -D -q am-check
		die "$p has more than one \"Changes from the mainline patch:\" block below its ---"
	fi
	[ -z "$notes" ] || git notes add -f -m "$notes" HEAD
	n=$((n + 1))
done <"$SERIES"
if git rev-parse -q --verify "$BRANCH" >/dev/null &&
	[ "$(git rev-parse "$BRANCH")" != "$(git rev-parse am-check)" ]; then
	# Same content and messages as patches/ -> nothing to do.
	if [ "$(git diff "$BRANCH" am-check | wc -c)" = 0 ] &&
		[ "$(git log --format=%B%N "$BASE_TAG".."$BRANCH")" = "$(git log --format=%B%N "$BASE_TAG"..am-check)" ]; then
		git checkout -q "$cur"
		git branch -D -q am-check
		log "branch $BRANCH already matches patches/ ($n patches)"
		exit 0
	fi
	if [ "${FORCE:-0}" != 1 ]; then
		git checkout -q "$cur"
		git branch -D -q am-check
		die "branch $BRANCH in $TREE differs from patches/ (unexported work?): run 'make export' or FORCE=1 make apply"
	fi
fi
git branch -f -q "$BRANCH" am-check
git checkout -q "$BRANCH"
git branch -D -q am-check
log "applied $n patches on $BRANCH: $(git log --oneline -1 | cut -c1-70)"
