# shellcheck shell=bash
# Kernel trees, worktrees, object directories, checkpatch.  Sourced by
# scripts/lib.sh.

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

# tree_on_series: refuse to run unless $TREE is on branch series with
# everything committed (stages that build or edit the series in the tree).
tree_on_series() {
	[ "$(git -C "$TREE" symbolic-ref -q --short HEAD)" = series ] || die "$TREE is not on branch series"
	[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
		die "$TREE has uncommitted changes; commit them first"
}

# worktree_at DIR REF: a git worktree of $TREE at DIR, checked out at REF
# (detached), created on first use.
worktree_at() {
	local dir=$1 ref=$2 want
	want=$(git -C "$TREE" rev-parse "$ref^{commit}" 2>/dev/null) ||
		die "$TREE has no '$ref'"
	# A worktree whose administrative files are gone (a run killed while
	# it was being made, then "git worktree prune") is made again.
	if [ -e "$dir/.git" ] && ! git -C "$dir" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		log "worktree $dir is broken (an interrupted run?): making it again"
		rm -rf "$dir"
	fi
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

# build_worktree [V]: the line's second checkout (mainline: build/base/linux,
# stable V: build/stable/V/base/linux), a git worktree of its tree for every
# build at a commit other than the tree's: the base kernel, the reproducer
# kernel, each step of the bisect, and lint's base side.  One checkout per
# line (each is 1.6 GB); worktree_lock serializes its users.
build_worktree() {
	if [ -n "${1:-}" ]; then echo "$(stable_dir "$1")/base/linux"; else echo "$BUILD/base/linux"; fi
}

# worktree_lock DIR: hold DIR's lock (flock on DIR.lock) until the calling
# script exits; a second user of the same worktree waits for it.
worktree_lock() {
	local fd
	mkdir -p "$(dirname "$1")"
	exec {fd}>"$1.lock"
	if ! flock -n "$fd"; then
		log "waiting for $1 (another stage is building in it)"
		flock "$fd"
	fi
}

# kernel_dirs KERNEL [FLAVOR]: set KSRC and KOBJ, the source tree and object
# directory of build/<KERNEL>.  Every source tree is "../linux" from its
# object directory so that ccache (CCACHE_BASEDIR) shares objects.  The base
# and reproducer kernels share the build worktree and one object directory
# (same configuration: a switch between them rebuilds what differs).
# shellcheck disable=SC2034 # KSRC and KOBJ are this function's results
kernel_dirs() {
	local f=${2:+-$2}
	case $1 in
	base | repro) KSRC=$(build_worktree) KOBJ=$BUILD/base/obj$f ;;
	patched) KSRC=$TREE KOBJ=$BUILD/patched$f ;;
	stable-*-base) KSRC=$(build_worktree "$(stable_version "$1")") KOBJ=$(stable_dir "$1")/base/obj$f ;;
	stable-*) KSRC=$(stable_dir "$1")/linux KOBJ=$(stable_dir "$1")/obj$f ;;
	*) die "unknown KERNEL=$1 (base, patched, repro, stable-<v> or stable-<v>-base)" ;;
	esac
}

# line_initramfs: the test initramfs of the line (scripts/mkinitramfs.sh):
# build/initramfs.cpio, with STABLE=V build/stable/V/initramfs.cpio.
line_initramfs() {
	if [ -n "${STABLE:-}" ]; then echo "$(stable_dir "$STABLE")/initramfs.cpio"; else echo "$BUILD/initramfs.cpio"; fi
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

# The options of the tree's scripts/get_maintainer.pl for the postings.
# shellcheck disable=SC2034 # used by the scripts that source this file
GET_MAINTAINER_OPTS="--nogit --nogit-fallback --nogit-chief-penguins --norolestats"
