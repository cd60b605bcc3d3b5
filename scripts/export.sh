#!/usr/bin/env bash
# Export branch "series" of the build tree back into patches/: one
# `git format-patch` file per commit, a cover letter whose text lives in
# patches/cover-letter.txt (subject on the first line, body after), and the
# quilt series file.  Regenerating is deterministic, so the diff of patches/
# shows only real changes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need git
BRANCH=${BRANCH:-series}
out=$TOP/patches
cover=$out/cover-letter.txt
cd "$TREE"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes; commit them first"
# Debian's linux-source .gitignore ignores every new top-level path ("/*"),
# so a new source file is silently left out unless added with "git add -f".
ignored=$(git status --porcelain --ignored=matching -- arch tools Documentation include kernel virt |
	sed -n 's/^!! //p' | grep -E '\.(c|h|S|sh|rst)$' || true)
[ -z "$ignored" ] || die "source files ignored by Debian's .gitignore, not committed (use git add -f): $ignored"
n=$(git rev-list --count v7.3-debian.."$BRANCH")
[ "$n" -gt 0 ] || die "branch $BRANCH has no commits on top of v7.3-debian"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -c core.abbrev=12 format-patch -q --no-signature --zero-commit --cover-letter \
	--cover-from-description=subject -o "$tmp" v7.3-debian.."$BRANCH" >/dev/null
# Fill the cover letter from patches/cover-letter.txt.
if [ -f "$cover" ]; then
	python3 - "$tmp"/0000-cover-letter.patch "$cover" "$(git log -1 --format=%aD "$BRANCH")" <<'PY'
import re
import sys
p, c, date = sys.argv[1], sys.argv[2], sys.argv[3]
s = open(p).read()
# format-patch dates the cover letter "now"; use the tip's date so that
# re-exporting an unchanged series leaves patches/ unchanged.
s = re.sub(r"^Date: .*$", "Date: " + date, s, count=1, flags=re.M)
text = open(c).read().rstrip("\n")
subject, _, body = text.partition("\n")
s = s.replace("*** SUBJECT HERE ***", subject.strip())
s = s.replace("*** BLURB HERE ***", body.strip("\n"))
open(p, "w").write(s)
PY
fi
rm -f "$out"/[0-9][0-9][0-9][0-9]-*.patch
cp "$tmp"/*.patch "$out/"
(cd "$out" && ls [0-9][0-9][0-9][0-9]-*.patch | grep -v '^0000-cover-letter.patch$') >"$out/series"
log "exported $n patches + cover letter to patches/"
