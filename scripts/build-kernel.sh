#!/usr/bin/env bash
# Stage: build one kernel out of tree.
#   KERNEL=base     pristine v7.3 (tag v7.3-debian)      -> build/base/bzImage
#   KERNEL=patched  v7.3 + patches/series (branch series) -> build/patched/bzImage
#   KERNEL=repro    v7.3 + the over-saving reproducer (branch repro, not part of
#                   the series)                          -> build/repro/bzImage
#   KERNEL=stable-V       Debian's V (config/kernels) + patches/stable/V
#                         (branch series of build/stable/V/linux) -> build/stable-V/bzImage
#   KERNEL=stable-V-base  Debian's V, unpatched (tag vV-debian)  -> build/stable-V-base/bzImage
# FLAVOR=debug adds config/debug.config -> build/<kernel>-debug/bzImage.
# base and repro build in the line's build worktree (build/base/linux, one
# object directory for both; stable-V-base in build/stable/V/base/linux);
# patched builds whatever build/linux has checked out (stable-V likewise in
# build/stable/V/linux).  A kernel built at a commit (base, repro,
# stable-V-base) is not built again while its source tree, configuration
# fragments and compiler are the same (build/<kernel>/stamp).  A stable kernel adds
# config/stable-V.config if there is one; options of the fragments that V's
# Kconfig does not define are skipped with a note.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need make gcc ccache flex bison bc git flock lz4

KERNEL=${KERNEL:-patched}
FLAVOR=${FLAVOR:-}
kernel_dirs "$KERNEL" "$FLAVOR"
src=$KSRC obj=$KOBJ
sv=$(stable_version "$KERNEL")
case $KERNEL in
base) ref=$BASE_TAG ;;
patched) ref= ;;
repro) ref=repro ;;
stable-*-base) ref=v$sv-debian TREE=$(stable_dir "$sv")/linux ;;
stable-*) ref="" TREE=$(stable_dir "$sv")/linux ;;
esac
image_dir=$BUILD/$KERNEL${FLAVOR:+-$FLAVOR}
fragments=("$TOP/config/kvm.config")
[ -z "$FLAVOR" ] || fragments+=("$TOP/config/$FLAVOR.config")
[ -z "$sv" ] || [ ! -f "$TOP/config/stable-$sv.config" ] || fragments+=("$TOP/config/stable-$sv.config")
for f in "${fragments[@]}"; do [ -f "$f" ] || die "missing config fragment $f"; done
[ -d "$TREE/.git" ] || die "no tree at $TREE; run 'make tree' first"
cfgsum=$(cat "${fragments[@]}" | sha256sum | cut -c1-16)

if [ -n "$ref" ]; then
	stamp="tree $(git -C "$TREE" rev-parse "$ref^{tree}") config $cfgsum gcc $(gcc -dumpfullversion)"
	if [ -f "$image_dir/bzImage" ] && [ "$(cat "$image_dir/stamp" 2>/dev/null)" = "$stamp" ]; then
		log "$KERNEL${FLAVOR:+ ($FLAVOR)} kernel is up to date: $image_dir/bzImage ($stamp)"
		exit 0
	fi
	worktree_lock "$src"
	worktree_at "$src" "$ref"
else
	stamp=
	b=$(git -C "$TREE" symbolic-ref -q --short HEAD || echo "(detached)")
	[ "$b" = series ] || echo "WARNING: $TREE is on '$b', not 'series'" >&2
	[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
		echo "WARNING: building uncommitted changes in $TREE (not in patches/ until committed and exported)" >&2
fi
out=$obj
mkdir -p "$out" "$BUILD/logs"
log="$BUILD/logs/kernel-$KERNEL${FLAVOR:+-$FLAVOR}.log"
mk=(make -C "$src" O="$out" ARCH=x86_64 -j"$JOBS" "${KERNEL_CC[@]}")

# (Re)configure when the fragments changed.
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.cfgsum" 2>/dev/null)" != "$cfgsum" ]; then
	log "configuring $out (tinyconfig + ${fragments[*]##*/})"
	(cd "$src" && KCONFIG_CONFIG="$out/.config" scripts/kconfig/merge_config.sh -n -O "$out" \
		kernel/configs/tiny.config arch/x86/configs/tiny.config "${fragments[@]}") >"$log" 2>&1 ||
		{ tail -20 "$log"; die "configuration failed, see $log"; }
	# Every =y/=m line of our fragments must have survived, except (stable
	# kernels) options that this kernel's Kconfig does not define.
	bad=$(cat "${fragments[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=[ym]' | while read -r l; do
		grep -qx "$l" "$out/.config" && continue
		sym=${l%%=*}
		if [ -n "$sv" ] && ! grep -rqE --include='Kconfig*' "^[[:space:]]*(menu)?config ${sym#CONFIG_}\$" "$src"; then
			echo "note: $sym is not in Linux $sv, skipped" >&2
			continue
		fi
		echo "$l"; done)
	[ -z "$bad" ] || die "config options did not stick (missing dependency?): $bad"
	echo "$cfgsum" >"$out/.cfgsum"
fi

log "building $KERNEL${FLAVOR:+ ($FLAVOR)} kernel at $(git -C "$src" log --oneline -1 | cut -c1-70) -> $out (log: $log)"
t0=$(date +%s)
set +e
"${mk[@]}" bzImage 2>&1 | tee -a "$log" |
	awk -v t0="$t0" '/ CC | AR | LD /{n++} n && n % 250 == 0 && !seen[n]++ {printf "    ... %d objects, %d s\n", n, systime() - t0; fflush()}
	/error:|Error [0-9]/ {print; fflush()}'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || die "kernel build ($KERNEL) failed, see $log"
mkdir -p "$image_dir"
cp "$out/arch/x86/boot/bzImage" "$image_dir/bzImage.tmp"
mv "$image_dir/bzImage.tmp" "$image_dir/bzImage"
if [ -n "$stamp" ]; then echo "$stamp" >"$image_dir/stamp"; else rm -f "$image_dir/stamp"; fi
log "built $image_dir/bzImage in $(( $(date +%s) - t0 )) s"
