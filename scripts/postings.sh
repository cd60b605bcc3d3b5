#!/usr/bin/env bash
# Stage: one mbox per posting of patches/postings, into build/postings/,
# as the sender will send it.  The sender is the git identity of this
# repository (git config user.name and user.email, or GIT_AUTHOR_NAME and
# GIT_AUTHOR_EMAIL): it becomes the From: and the Signed-off-by: of every
# patch in place of the identity the repository keeps.  A missing or
# placeholder identity is refused (exit 2) with the commands to set one.
#
# Each posting is applied with git am onto the base, after the postings it
# depends on, in a scratch clone: that is the check that it applies as
# stated.  Its To/Cc come from scripts/get_maintainer.pl run on the tree,
# its cover letter from patches/cover-<name>.txt.  A posting of one patch
# goes out without a cover letter: what a cover letter would say is in
# patches/notes-<name>.txt and goes below the patch's "---".  Every patch of every
# posting must pass checkpatch --strict (documented exceptions only).
# Prints "postings: N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need git perl python3
P=$TOP/patches
out=$BUILD/postings
[ -d "$TREE/.git" ] || die "no tree at $TREE; run 'make tree' first"
[ -f "$P/postings" ] || die "no $P/postings"

# The sender.
ident=$(git -C "$TOP" var GIT_AUTHOR_IDENT 2>/dev/null | sed 's/ [0-9]* [-+][0-9]*$//' || true)
sname=${ident% <*} semail=${ident##*<}
semail=${semail%>}
if [ -z "$ident" ] || [ -z "$sname" ] || [ "$sname" = "$ident" ] ||
	grep -qiE '(noreply|\.example$|\.invalid$|@localhost$|^root@)' <<<"$semail" ||
	grep -qiE '^(seed .*|root|linux-source import)$' <<<"$sname"; then
	cat >&2 <<EOF
ERROR: refusing to write sendable mboxes: the sender identity is ${ident:-unset}.
Patches are sent, and signed off, under your own name.  Set it for this
repository (or globally with --global) and run again:
    git config user.name "Your Name"
    git config user.email "you@example.org"
EOF
	exit 2
fi
sender="$sname <$semail>"
log "sender: $sender"

rm -rf "$out"
mkdir -p "$out"
work=$out/.git-work
git clone -q --shared --no-checkout "$TREE" "$work"
git -C "$work" config user.name "$sname"
git -C "$work" config user.email "$semail"
base=$(git -C "$TREE" rev-parse "$BASE_TAG")
mapfile -t series < <(strip_comments "$P/series")
# patches_of NAME: the patch files of a posting, in series order.
patches_of() {
	local range
	range=$(strip_comments "$P/postings" | awk -v n="$1" '$1 == n {print $2}')
	[ -n "$range" ] || die "no posting '$1' in patches/postings"
	local a=${range%-*} b=${range#*-} i
	for ((i = a; i <= b; i++)); do echo "$P/${series[i - 1]}"; done
}
# Every patch belongs to exactly one posting.
covered=$(strip_comments "$P/postings" | while read -r n _; do patches_of "$n"; done | sort)
[ "$covered" = "$(for s in "${series[@]}"; do echo "$P/$s"; done | sort)" ] ||
	die "patches/postings does not cover every patch of patches/series exactly once"

pass=0 fail=0
res() { if [ "$1" = 0 ]; then echo "postings: $2 ok"; pass=$((pass + 1)); else echo "postings: $2 FAILED"; fail=$((fail + 1)); fi; }
while read -r name range deps prefix; do
	prefix=${prefix:-PATCH}
	cover=$P/cover-$name.txt notes=$P/notes-$name.txt
	single=$([ "$(patches_of "$name" | wc -l)" = 1 ] && echo yes || echo no)
	if [ "$single" = yes ]; then
		[ ! -f "$cover" ] || die "$name is one patch: it has no cover letter ($cover); notes below --- go into $notes"
	else
		[ -f "$cover" ] || die "no cover letter $cover"
	fi
	git -C "$work" checkout -q -B "$name" "$base"
	for d in ${deps//,/ }; do
		[ "$d" = - ] && continue
		# shellcheck disable=SC2046
		git -C "$work" am -q $(patches_of "$d") || die "posting $d (a dependency of $name) does not apply"
	done
	from=$(git -C "$work" rev-parse HEAD)
	# shellcheck disable=SC2046
	if ! git -C "$work" am -q $(patches_of "$name") >"$out/$name.am.log" 2>&1; then
		git -C "$work" am --abort 2>/dev/null || true
		res 1 "$name: git am onto the base${deps:+ after $deps}"
		continue
	fi
	res 0 "$name: git am onto the base$([ "$deps" = - ] || echo " after $deps")"
	# The sender signs: author and Signed-off-by of the repository's identity
	# become the sender's.
	FILTER_BRANCH_SQUELCH_WARNING=1 SENDER="$sender" git -C "$work" filter-branch -f \
		--env-filter "export GIT_AUTHOR_NAME='$sname' GIT_AUTHOR_EMAIL='$semail' GIT_COMMITTER_NAME='$sname' GIT_COMMITTER_EMAIL='$semail'" \
		--msg-filter 'python3 -c "
import os, subprocess, sys
orig = subprocess.run([\"git\", \"log\", \"-1\", \"--format=%an <%ae>\", os.environ[\"GIT_COMMIT\"]],
                      capture_output=True, text=True).stdout.strip()
msg = sys.stdin.read().replace(\"Signed-off-by: \" + orig, \"Signed-off-by: \" + os.environ[\"SENDER\"])
sys.stdout.write(msg)
"' "$from..HEAD" >/dev/null 2>&1 || die "rewriting $name for the sender failed"
	d=$out/$name
	git -C "$work" format-patch -q --stdout "$from..HEAD" >"$out/$name.all"
	# shellcheck disable=SC2086
	to=$(cd "$TREE" && perl scripts/get_maintainer.pl $GET_MAINTAINER_OPTS --nol --nor "$out/$name.all" 2>/dev/null |
		sed 's/^/--to=/')
	# shellcheck disable=SC2086
	cc=$(cd "$TREE" && perl scripts/get_maintainer.pl $GET_MAINTAINER_OPTS --nom "$out/$name.all" 2>/dev/null |
		sed 's/^/--cc=/')
	rm -f "$out/$name.all"
	mapfile -t addr < <(printf '%s\n' "$to" "$cc" | grep -v '^$')
	if [ "$single" = yes ]; then
		git -C "$work" -c core.abbrev=12 format-patch -q --thread=shallow --no-signature \
			--subject-prefix="$prefix" --zero-commit "${addr[@]}" -o "$d" "$from..HEAD" >/dev/null
		[ ! -f "$notes" ] || python3 - "$d"/0001-*.patch "$notes" <<'PY'
import sys
p, n = sys.argv[1], sys.argv[2]
s = open(p).read()
head, sep, tail = s.partition("\n---\n")
assert sep, "no --- line in " + p
open(p, "w").write(head + sep + open(n).read().strip("\n") + "\n\n" + tail)
PY
	else
		git -C "$work" -c core.abbrev=12 format-patch -q --cover-letter --thread=shallow --no-signature \
			--subject-prefix="$prefix" --zero-commit "${addr[@]}" -o "$d" "$from..HEAD" >/dev/null
		python3 - "$d"/0000-cover-letter.patch "$cover" "$(git -C "$work" log -1 --format=%aD HEAD)" <<'PY'
import re
import sys
p, c, date = sys.argv[1], sys.argv[2], sys.argv[3]
s = open(p).read()
s = re.sub(r"^Date: .*$", "Date: " + date, s, count=1, flags=re.M)
text = open(c).read().rstrip("\n")
subject, _, body = text.partition("\n")
s = s.replace("*** SUBJECT HERE ***", subject.strip())
s = s.replace("*** BLURB HERE ***", body.strip("\n"))
open(p, "w").write(s)
PY
	fi
	cat "$d"/*.patch >"$out/$name.mbox"
	# Nothing of the repository's placeholder identity may be left.
	if grep -qiE 'noreply|\.example>|seed [0-9a-f]{8}' "$out/$name.mbox"; then
		res 1 "$name: the placeholder identity is still in $name.mbox"
	else
		res 0 "$name: $(grep -c '^Subject: ' "$out/$name.mbox") mails signed by $sender"
	fi
	# checkpatch --strict on every patch as it will be sent.
	bad=0
	for f in "$d"/0*.patch; do
		case $f in */0000-cover-letter.patch) continue ;; esac
		checkpatch_clean "$f" "$f.checkpatch" || { bad=1; sed 's/^/    /' "$f.checkpatch" | head -20; }
	done
	res "$bad" "$name: checkpatch --strict on every patch"
	if [ "$single" = no ]; then
		n=$(wc -c <"$cover")
		res "$([ "$n" -le 5000 ] && echo 0 || echo 1)" "$name: cover letter $n bytes (at most 5,000)"
	fi
done < <(strip_comments "$P/postings")
log "mboxes: $(cd "$out" && printf '%s ' ./*.mbox)in $out"
echo "postings: $pass passed, $fail failed"
[ "$fail" = 0 ]
