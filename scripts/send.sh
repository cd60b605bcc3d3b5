#!/usr/bin/env bash
# make send: a dry run of sending every posting of patches/postings with b4
# (nothing is sent).  scripts/postings.sh first writes the mboxes signed by
# the sender's git identity, and refuses a missing or placeholder identity.
# Then, per posting, its signed branch is enrolled as a b4 prep branch with
# its cover letter, To/Cc are computed by b4 with scripts/get_maintainer.pl
# on the tree, and `b4 send -o build/send/<posting>` writes the mails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need b4 git perl
rc=0
"$TOP/scripts/postings.sh" || rc=$?
[ "$rc" = 0 ] || die "no sendable postings (postings.sh exit $rc)"
work=$BUILD/postings/.git-work
out=$BUILD/send
rm -rf "$out"
mkdir -p "$out" "$BUILD/logs"
# get_maintainer.pl runs in the tree (it needs a full checkout); b4 pipes
# each patch to it.
gm=$BUILD/get_maintainer
printf '#!/bin/sh\ncd %s && exec perl scripts/get_maintainer.pl %s "$@"\n' "$TREE" "$GET_MAINTAINER_OPTS" >"$gm"
chmod +x "$gm"
while read -r name _ _ prefix; do
	b=$BUILD/b4-$name
	rm -rf "$b"
	git clone -q --shared --no-checkout "$work" "$b"
	(
		cd "$b"
		git config user.name "$(git -C "$work" config user.name)"
		git config user.email "$(git -C "$work" config user.email)"
		git config b4.send-auto-to-cmd "$gm --nol --nor"
		git config b4.send-auto-cc-cmd "$gm --nom"
		git config b4.prep-cover-strategy commit
		# An SMTP configuration keeps b4 off its web endpoint; -o never connects.
		git config sendemail.smtpServer localhost.invalid
		# Only the top-level files are checked out: b4 works on commits.
		git sparse-checkout set --cone >/dev/null
		git checkout -q -B "$name" "origin/$name"
		base=$(git -C "$TREE" rev-parse "$BASE_TAG")
		n=$(git rev-list --count "$base..HEAD")
		lg=$BUILD/logs/b4-$name.log
		b4 prep -e "$base" >"$lg" 2>&1 || { cat "$lg"; exit 1; }
		ed=$(mktemp)
		# A one-patch posting has no cover letter; b4 puts the text of its
		# "cover" below the patch's ---: patches/notes-<name>.txt.
		# shellcheck disable=SC2016 # "$1" belongs to the generated editor script
		if [ -f "$TOP/patches/cover-$name.txt" ]; then
			printf '#!/bin/sh\ncat %s > "$1"\n' "$TOP/patches/cover-$name.txt" >"$ed"
		else
			printf '#!/bin/sh\n{ echo "%s"; echo; cat %s; } > "$1"\n' "$name" "$TOP/patches/notes-$name.txt" >"$ed"
		fi
		chmod +x "$ed"
		EDITOR=$ed b4 prep --edit-cover >>"$lg" 2>&1 || { cat "$lg"; exit 1; }
		rm -f "$ed"
		# Extra subject prefixes (patches/postings: "RFC PATCH" -> RFC).
		extra=${prefix%PATCH}
		# shellcheck disable=SC2086
		[ -z "${extra// /}" ] || b4 prep --set-prefixes $extra >>"$lg" 2>&1 || { cat "$lg"; exit 1; }
		b4 prep --auto-to-cc >>"$lg" 2>&1 || { cat "$lg"; exit 1; }
		b4 send --no-sign -o "$out/$name" >>"$lg" 2>&1 || { cat "$lg"; exit 1; }
		m=$(find "$out/$name" -mindepth 1 -maxdepth 1 | wc -l)
		# b4 sends a single patch without its cover letter.
		want=$((n + 1))
		[ "$n" != 1 ] || want=1
		[ "$m" = "$want" ] || { echo "b4 wrote $m mails for $name, expected $want"; exit 1; }
		echo "send: $name: $m mails (dry run, nothing sent) in $out/$name"
		first=("$out/$name"/*.eml)
		sed -n '1,/^$/p' "${first[0]}" | grep -E '^(From|Subject|To|Cc):' -A2 |
			grep -vE '^(Date|Message-Id|MIME|Content|X-)' | sed 's/^/    /' | head -12 || true
	) || rc=1
done < <(strip_comments "$TOP/patches/postings")
[ "$rc" = 0 ] || die "b4 dry run failed"
log "b4 wrote the postings to $out; nothing was sent"
