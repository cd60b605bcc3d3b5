# shellcheck shell=bash
# Debian archive access and source packages.  Sourced by scripts/lib.sh.

# Archive address of the Debian mirror this machine is configured for.
debian_archive_uri() {
	local f uri=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / (bookworm|trixie|sid)( |$)/ {print u; exit}' "$f")
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $3 ~ /^(bookworm|trixie|sid)/ {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; exit}}' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "cannot find the Debian archive address in the apt configuration"
	echo "$uri"
}

# Archive address of SUITE in the apt configuration (a security suite has an
# address of its own); the main archive's address if SUITE is not there.
debian_suite_uri() {
	local f uri=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk -v s="$1" 'BEGIN {RS = ""} {u = ""; ok = 0
			n = split($0, l, "\n")
			for (i = 1; i <= n; i++) {
				if (l[i] ~ /^URIs:/) { split(l[i], a, " "); u = a[2] }
				if (l[i] ~ /^Suites:/) { m = split(l[i], b, " "); for (j = 2; j <= m; j++) if (b[j] == s) ok = 1 }
			}
			if (ok && u != "") { print u; exit } }' "$f")
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
		uri=$(awk -v s="$1" '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {if ($(i + 1) == s) {print $i; exit}; break}}' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || uri=$(debian_archive_uri)
	echo "$uri"
}

# apt-get with a private source list for a newer suite.
# Usage: apt_suite SUITE apt-get-args...
apt_suite() {
	local suite=$1 d
	shift
	d=$BUILD/apt-$suite
	mkdir -p "$d/lists/partial" "$d/archives/partial"
	local line
	line="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_suite_uri "$suite") $suite main"
	if [ "$(cat "$d/sources.list" 2>/dev/null)" != "$line" ]; then
		echo "$line" >"$d/sources.list"
		rm -f "$d/.updated"
	fi
	local opts=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache::Archives=$d/archives"
		-o "Dir::Cache::pkgcache=$d/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$d/srcpkgcache.bin"
		-o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root)
	# One user of a suite's state at a time (make check fetches the kernel
	# lines' sources in both of its lanes).
	(
		flock 9
		if [ ! -f "$d/.updated" ] || [ -n "$(find "$d/.updated" -mmin +720)" ]; then
			apt-get "${opts[@]}" -qq update >&2 || die "apt-get update for $suite failed"
			touch "$d/.updated"
		fi
		apt-get "${opts[@]}" "$@"
	) 9>"$d/lock"
}

# import_source DEB DIR VERSION PACKAGE TAG: unpack the linux-source tarball
# of DEB into DIR (replaced) as a git repository whose single commit, tagged
# TAG, is the pristine source; .git/debian-version records VERSION.
import_source() {
	local deb=$1 dir=$2 ver=$3 pkg=$4 tag=$5 unpack tarball
	unpack=$(mktemp -d "$BUILD/unpack.XXXXXX")
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg-deb -x "$deb" "$unpack"
	local tarballs=("$unpack"/usr/src/linux-source-*.tar.*)
	tarball=${tarballs[0]}
	[ -f "$tarball" ] || die "no source tarball in $deb"
	tar -xf "$tarball" -C "$dir" --strip-components=1
	rm -rf "$unpack"
	(
		cd "$dir" || exit 1
		git init -q -b base
		# Commits in the disposable tree use the project's git identity; a
		# CI clone without one gets a neutral placeholder (only the base
		# commit and git am's committer fields use it; authorship comes
		# from the patches).
		git config user.name "$(git -C "$TOP" config user.name || echo "linux-source import")"
		git config user.email "$(git -C "$TOP" config user.email || echo "noreply@localhost")"
		git config core.abbrev 12
		# Keep the commits' notes (a backport's changes from mainline)
		# through rebases and amends.
		git config notes.rewriteRef refs/notes/commits
		# No automatic repacking of the disposable tree: the git gc
		# --auto that the import triggers repacks all of it in the
		# background, beside the kernel build.
		git config gc.auto 0
		git add -A -f .
		git commit -q --no-verify -m "Linux $ver (Debian $pkg)"
		git tag -f "$tag"
		echo "$ver" >.git/debian-version
	)
	log "tree ready: $(git -C "$dir" log --oneline -1)"
}
