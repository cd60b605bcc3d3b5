#!/usr/bin/env bash
# make send: produce the exact mails of the series with b4 (nothing is sent).
# Enrolls a clone of branch "series" as a b4 prep branch, puts
# patches/cover-letter.txt into its cover letter, computes To/Cc with
# get_maintainer.pl over MAINTAINERS-snippet, and writes the mails with
# `b4 send -o build/send`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need b4 git perl
out=$BUILD/send
mkdir -p "$BUILD/logs"
work=$BUILD/b4
rm -rf "$work" "$out"
git clone -q --shared --no-checkout "$TREE" "$work"
cd "$work"
git config user.name "$(git -C "$TOP" config user.name)"
git config user.email "$(git -C "$TOP" config user.email)"
git tag -f v7.3-debian "$(git -C "$TREE" rev-parse v7.3-debian)" >/dev/null
git checkout -q -b xsave-trim "$(git -C "$TREE" rev-parse series)"
gm="perl scripts/get_maintainer.pl --nogit --nogit-fallback --nogit-chief-penguins --norolestats --mpath $TOP/MAINTAINERS-snippet"
git config b4.send-auto-to-cmd "$gm --nol"
git config b4.send-auto-cc-cmd "$gm --nom"
git config b4.prep-cover-strategy commit
# An SMTP configuration keeps b4 off its web endpoint; -o never connects.
git config sendemail.smtpServer localhost.invalid
b4 prep -e v7.3-debian >"$BUILD/logs/b4.log" 2>&1 || { cat "$BUILD/logs/b4.log"; die "b4 prep --enroll failed"; }
# Non-interactive cover letter: EDITOR replaces b4's template with ours.
ed=$(mktemp)
printf '#!/bin/sh\ncat %s > "$1"\n' "$TOP/patches/cover-letter.txt" >"$ed"
chmod +x "$ed"
EDITOR=$ed b4 prep --edit-cover >>"$BUILD/logs/b4.log" 2>&1 || { cat "$BUILD/logs/b4.log"; die "b4 prep --edit-cover failed"; }
rm -f "$ed"
b4 prep --auto-to-cc >>"$BUILD/logs/b4.log" 2>&1 || { cat "$BUILD/logs/b4.log"; die "b4 prep --auto-to-cc failed"; }
b4 send --no-sign -o "$out" >>"$BUILD/logs/b4.log" 2>&1 || { cat "$BUILD/logs/b4.log"; die "b4 send -o failed"; }
n=$(ls "$out" | wc -l)
[ "$n" -gt 1 ] || die "b4 wrote no mails"
log "b4 wrote $n mails to $out (nothing was sent); cover letter headers:"
sed -n '1,/^$/p' "$out"/0000-*.eml | grep -E '^(Subject|To|Cc):' -A3 | grep -vE '^(From|Date|Message-Id|MIME|Content|X-)' | head -20
