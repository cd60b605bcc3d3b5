# shellcheck shell=bash
# Common helpers for the pipeline scripts.  Sourced, never executed.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
# STABLE=V: the scripts work on the backport to V (build/stable/V/linux,
# Debian's V tagged vV-debian) instead of the mainline series.
TREE=${TREE:-$BUILD/${STABLE:+stable/$STABLE/}linux}
# The kernel lines (config/kernels): the first row is mainline.
KERNELS=$TOP/config/kernels
MAINLINE=$(awk '!/^[[:space:]]*#/ && NF {print $1; exit}' "$KERNELS")
LINE=${STABLE:-$MAINLINE}
# shellcheck disable=SC2034 # used by the scripts that source this file
BASE_TAG=v$LINE-debian
CACHE=${CACHE:-$BUILD/cache}
export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
export CCACHE_BASEDIR=$BUILD
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
JOBS=${JOBS:-$(nproc)}


die() { echo "ERROR: $*" >&2; exit 1; }
log() { echo "==> $*" >&2; }

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			die "'$t' not found; run 'make deps' (scripts/deps.sh) first"
	done
}

# stage NAME CMD...: run a command, print its wall time.
stage() {
	local name=$1 t0 rc=0
	shift
	t0=$(date +%s)
	log "[$name] start"
	"$@" || rc=$?
	echo "==> [$name] $(( $(date +%s) - t0 )) s (rc=$rc)" >&2
	echo "$name $(( $(date +%s) - t0 ))" >>"${STAGE_TIMES:-$BUILD/stage-times}"
	return $rc
}

# The result contract of the orchestrators (check.sh, check-stable.sh): every
# stage ends with a line "... N passed, N failed" or counts as one check by
# its exit status; the orchestrator keeps the totals in P and F and the
# failures in the file $summary.
# tally LOG [REGEX]: add LOG's last result line (matching REGEX) to P and F.
tally() {
	local l p f
	l=$(grep -E "${2:-[0-9]+ passed, [0-9]+ failed}" "$1" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n1 || true)
	if [ -z "$l" ]; then F=$((F + 1)); echo "FAILED: no result line in $1" | tee -a "${summary:?}"; return; fi
	p=$(echo "$l" | sed -E 's/.*(^|[^0-9])([0-9]+) passed.*/\2/')
	f=$(echo "$l" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	P=$((P + p)) F=$((F + f))
}
# tally_lint LOG [PREFIX]: one check per "lint: <item> ok|FAILED" line.
tally_lint() {
	local lf
	P=$((P + $(grep -c '^lint: .* ok' "$1" || true)))
	lf=$(grep -c '^lint: .* FAILED' "$1" || true)
	F=$((F + lf))
	[ "$lf" = 0 ] || grep '^lint: .* FAILED' "$1" | sed "s/^/${2:-}/" >>"${summary:?}"
	grep -q '^lint: ' "$1" || { F=$((F + 1)); echo "FAILED: ${2:-}lint did not run (log: $1)" | tee -a "${summary:?}"; }
}
# tally_rc NAME RC LOG: a stage whose exit status is its one check.
tally_rc() {
	if [ "$2" = 0 ]; then P=$((P + 1)); else
		F=$((F + 1))
		echo "FAILED: $1 (rc=$2, log: $3)" | tee -a "${summary:?}"
		tail -n 15 "$3" | sed 's/^/    /'
	fi
}

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
	if [ ! -f "$d/.updated" ] || [ -n "$(find "$d/.updated" -mmin +720)" ]; then
		apt-get "${opts[@]}" -qq update >&2 || die "apt-get update for $suite failed"
		touch "$d/.updated"
	fi
	apt-get "${opts[@]}" "$@"
}

# tree_at REF: check the source tree out at REF for the rest of the calling
# script, refusing to lose uncommitted work, and put it back on exit.
tree_at() {
	local ref=$1 cur
	[ -d "$TREE/.git" ] || die "no tree at $TREE; run 'make tree' first"
	git -C "$TREE" rev-parse -q --verify "$ref^{commit}" >/dev/null ||
		die "$TREE has no '$ref'; run 'make tree'"
	cur=$(git -C "$TREE" symbolic-ref -q --short HEAD || git -C "$TREE" rev-parse HEAD)
	[ "$(git -C "$TREE" rev-parse HEAD)" != "$(git -C "$TREE" rev-parse "$ref^{commit}")" ] || return 0
	if [ -n "$(git -C "$TREE" status --porcelain --untracked-files=no)" ]; then
		die "$TREE has uncommitted changes; commit them (then 'make export') first"
	fi
	git -C "$TREE" checkout -q "$ref"
	TREE_ORIG=$cur
	trap 'git -C "$TREE" checkout -q "$TREE_ORIG"' EXIT
}

# The host's TSC frequency in kHz, for tsc_early_khz= (no ACPI in the guest).
host_tsc_khz() {
	awk -F: '/^cpu MHz/ {printf "%d\n", $2 * 1000; exit}' /proc/cpuinfo
}

# worktree_at DIR REF: a git worktree of $TREE at DIR, checked out at REF
# (detached), created on first use.
worktree_at() {
	local dir=$1 ref=$2 want
	want=$(git -C "$TREE" rev-parse "$ref^{commit}" 2>/dev/null) ||
		die "$TREE has no '$ref'"
	if [ ! -e "$dir/.git" ]; then
		mkdir -p "$(dirname "$dir")"
		git -C "$TREE" worktree prune
		git -C "$TREE" worktree add -q --detach "$dir" "$want"
	fi
	if [ "$(git -C "$dir" rev-parse HEAD)" != "$want" ]; then
		[ -z "$(git -C "$dir" status --porcelain --untracked-files=no)" ] ||
			die "$dir has uncommitted changes"
		git -C "$dir" checkout -q --detach "$want"
	fi
}

# kernel_dirs KERNEL [FLAVOR]: set KSRC and KOBJ, the source tree and object
# directory of build/<KERNEL>.  Every source tree is "../linux" from its
# object directory so that ccache (CCACHE_BASEDIR) shares objects.
# shellcheck disable=SC2034 # KSRC and KOBJ are this function's results
kernel_dirs() {
	local f=${2:+-$2}
	case $1 in
	base) KSRC=$BUILD/base/linux KOBJ=$BUILD/base/obj$f ;;
	patched) KSRC=$TREE KOBJ=$BUILD/patched$f ;;
	repro) KSRC=$BUILD/repro/linux KOBJ=$BUILD/repro/obj$f ;;
	stable-*-base) KSRC=$(stable_dir "$1")/base/linux KOBJ=$(stable_dir "$1")/base/obj$f ;;
	stable-*) KSRC=$(stable_dir "$1")/linux KOBJ=$(stable_dir "$1")/obj$f ;;
	*) die "unknown KERNEL=$1 (base, patched, repro, stable-<v> or stable-<v>-base)" ;;
	esac
}

# kernel_field LINE N: field N of LINE's row of config/kernels (2 package,
# 3 suite, 4 tested version, 5 sha256, 6 patch dir, 7 selftests);
# stable_versions: the lines after mainline.
kernel_field() {
	local l
	l=$(strip_comments "$KERNELS" | awk -v v="$1" '$1 == v')
	[ -n "$l" ] || die "no kernel line $1 in $KERNELS"
	echo "$l" | awk -v n="$2" '{print $n}'
}
stable_versions() { strip_comments "$KERNELS" | awk 'NR > 1 {print $1}'; }
# stable_version KERNEL: V of stable-V or stable-V-base (empty otherwise).
stable_version() {
	case $1 in
	stable-*) local v=${1#stable-}; echo "${v%-base}" ;;
	esac
}
# stable_dir KERNEL|V: build/stable/V, which holds V's tree (linux, a git
# repository: tag v<V>-debian = Debian's source, branch series = with
# patches/stable/V), its base worktree and their object directories.
stable_dir() {
	local v
	v=$(stable_version "$1")
	echo "$BUILD/stable/${v:-$1}"
}

# tap_block LOG NAME: the lines a guest printed between "NAME-BEGIN" and
# "NAME-END" (carried as "# " comments in its TAP log), without the markers.
tap_block() {
	sed -n "/^# $2-BEGIN\$/,/^# $2-END\$/p" "$1" | sed '1d;$d;s/^# //'
}

# strip_comments FILE: the lines of a list file (selftests/*) without
# comments and blank lines.
strip_comments() { sed 's/#.*//; /^[[:space:]]*$/d' "$1"; }

# The test table (config/tests): <test> <suite> <kind> <lines> <models>
# <flags> <note>.  tests_of KIND... : the tests of these kinds on this
# kernel line (LINE); tests_flagged FLAG: the tests with that flag on this
# line; test_field TEST N: field N of TEST's row (empty if none);
# test_note TEST: its note.
TESTS=$TOP/config/tests
tests_rows() { sed 's/^[[:space:]]*#.*//; /^[[:space:]]*$/d' "$TESTS" | awk -v l="$LINE" '$4 == "all" || index("," $4 ",", "," l ",")'; }
tests_of() { tests_rows | awk -v k=" $* " 'index(k, " " $3 " ") {print $1}'; }
tests_flagged() { tests_rows | awk -v f="$1" 'index("," $6 ",", "," f ",") {print $1}'; }
test_field() { tests_rows | awk -v t="$1" -v n="$2" '$1 == t {print $n; exit}'; }
test_note() { tests_rows | awk -v t="$1" '$1 == t {for (i = 1; i <= 6; i++) $i = ""; sub(/^ +/, ""); print; exit}'; }

# tap_splat LOG: true if the guest's init reported a kernel splat (WARNING,
# BUG, KASAN, UBSAN, lockdep, ...) in its dmesg (selftests/guest/init).
tap_splat() {
	grep -q '^# vmtest: kernel splat' "$1" 2>/dev/null
}

# flavor_slowdown [FLAVOR]: factor for VM timeouts; debug kernels (KASAN,
# lockdep) run several times slower under TCG.
flavor_slowdown() {
	if [ -n "${1:-}" ]; then echo 3; else echo 1; fi
}

# checkpatch_clean PATCH LOG: checkpatch.pl --strict of the tree on PATCH,
# filtered by config/checkpatch.ignore into LOG (raw output in LOG.raw);
# true if nothing but documented exceptions remains.  It runs twice: in the
# git tree (SPDX and file checks), and as outside a git repository, the only
# way it checks the style of commit references (GIT_COMMIT_ID) in a tree
# without upstream history.
checkpatch_clean() {
	local p
	p=$(realpath -e "$1") || die "checkpatch_clean: no patch $1"
	# Debian's python3 (with python3-ply) for checkpatch's spdxcheck.py,
	# whatever python3 comes first in PATH.
	(cd "$TREE" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --no-summary --show-types "$p") >"$2.raw" 2>&1 || true
	! grep -q '^Traceback' "$2.raw" || die "checkpatch_clean: a checkpatch helper failed on $p, see $2.raw"
	(cd "$TREE" && echo && GIT_DIR=/nonexistent perl scripts/checkpatch.pl --strict --no-summary --show-types "$p" |
		awk '/^(ERROR|WARNING|CHECK):GIT_COMMIT_ID:/ {p = 1} p {print} /^$/ {p = 0}') >>"$2.raw" 2>&1 || true
	! grep -q 'open failed' "$2.raw" || die "checkpatch_clean: checkpatch could not read $p"
	python3 "$TOP/scripts/checkpatch-filter.py" "$TOP/config/checkpatch.ignore" <"$2.raw" >"$2"
	grep -q '^remaining: 0$' "$2"
}

# cpu_of MODEL: the QEMU -cpu argument of a model of selftests/cpu-models
# (empty if there is no such model).
cpu_of() { awk -v m="$1" '$1 == m {print $2}' "$TOP/selftests/cpu-models"; }
# first_model DEFAULT: the first model of MODELS, the one knob that chooses
# CPU models for every stage (a stage that runs one model takes the first).
first_model() { local m; read -r m _ <<<"${MODELS:-}"; echo "${m:-$1}"; }

# The options of the tree's scripts/get_maintainer.pl for the postings.
# shellcheck disable=SC2034 # used by the scripts that source this file
GET_MAINTAINER_OPTS="--nogit --nogit-fallback --nogit-chief-penguins --norolestats"

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
		git add -A -f .
		git commit -q --no-verify -m "Linux $ver (Debian $pkg)"
		git tag -f "$tag"
		echo "$ver" >.git/debian-version
	)
	log "tree ready: $(git -C "$dir" log --oneline -1)"
}

# tap_results RUNLIST TAPLOG: "<test> PASS|FAIL|SKIP" for each test of a run
# list (selftests/guest/init numbers them in order); a test that never
# reported is FAIL.
tap_results() {
	local i=0 name line s
	while read -r name _; do
		i=$((i + 1))
		line=$(grep -E "^(ok|not ok) $i $name( |\$)" "$2" 2>/dev/null | head -n1 || true)
		case $line in
		"ok "*"# SKIP"*) s=SKIP ;;
		"ok "*) s=PASS ;;
		*) s=FAIL ;;
		esac
		echo "$name $s"
	done <"$1"
}
