#!/usr/bin/env bash
# Stage: build the kernel after every patch of the series, incrementally, in
# the line's build worktree (build/base/linux, objects in build/base/obj, the
# base kernel's: the configuration is the same, so the first patch rebuilds
# only what it changes; a patch that changes only tools/ leaves the kernel as
# it was), plus
# the KVM selftests after every patch that touches tools/ (only the tests it
# changes when it changes nothing else; and the x86 selftests after one that
# touches tools/testing/selftests/x86).  Fails naming the
# first patch that breaks the build.  STABLE=V: the backport of
# patches/stable/V (build/stable/V/base; only the KVM selftests of
# config/tests for V, as build-selftests.sh builds them there).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need make gcc ccache git flock lz4
base=$BASE_TAG
fragments=("$TOP/config/kvm.config")
targets=()
if [ -n "${STABLE:-}" ]; then
	[ ! -f "$TOP/config/stable-$STABLE.config" ] || fragments+=("$TOP/config/stable-$STABLE.config")
fi
# stable_targets: the line's KVM tests of config/tests that exist at the
# checked-out commit, as make targets.
stable_targets() {
	targets=()
	[ -n "${STABLE:-}" ] || return 0
	for t in $(tests_rows | awk '$2 == "kvm" {print $1}'); do
		[ ! -f "$src/tools/testing/selftests/kvm/x86_64/$t.c" ] || targets+=("$obj-selftests/x86_64/$t")
	done
}
kernel_dirs "${STABLE:+stable-$STABLE-}base"
src=$KSRC obj=$KOBJ
[ -d "$TREE/.git" ] || die "no tree at $TREE; run 'make tree' first"
worktree_lock "$src"
commits=$(git -C "$TREE" rev-list --reverse "$base"..series)
[ -n "$commits" ] || { log "bisect: series is empty"; exit 0; }
mkdir -p "$BUILD/logs"
log=$BUILD/logs/bisect${STABLE:+-$STABLE}.log
: >"$log"
i=0
total=$(echo "$commits" | wc -l)
for c in $commits; do
	i=$((i + 1))
	subj=$(git -C "$TREE" log -1 --format=%s "$c")
	worktree_at "$src" "$c"
	t0=$(date +%s)
	cfgsum=$(cat "${fragments[@]}" | sha256sum | cut -c1-16)
	if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.cfgsum" 2>/dev/null)" != "$cfgsum" ]; then
		mkdir -p "$obj"
		(cd "$src" && KCONFIG_CONFIG="$obj/.config" scripts/kconfig/merge_config.sh -n -O "$obj" \
			kernel/configs/tiny.config arch/x86/configs/tiny.config "${fragments[@]}") >>"$log" 2>&1 ||
			die "bisect: configuration failed, see $log"
		echo "$cfgsum" >"$obj/.cfgsum"
	fi
	# A patch that changes nothing outside tools/ leaves the kernel as it
	# was after the patch before (built there, or at the first patch that
	# touches the kernel): no kernel build for it.
	what=kernel
	if [ -f "$obj/arch/x86/boot/bzImage" ] && git -C "$src" diff --quiet "$c~1" "$c" -- . ':!tools'; then
		what="kernel unchanged"
	elif ! make -C "$src" O="$obj" ARCH=x86_64 -j"$JOBS" "${KERNEL_CC[@]}" bzImage >>"$log" 2>&1; then
		grep -E 'error:' "$log" | head -5 >&2
		die "bisect: patch $i/$total does not build: $subj (log: $log)"
	fi
	if git -C "$src" diff --quiet "$c~1" "$c" -- tools/; then :; else
		make -C "$src" O="$obj-hdr" ARCH=x86_64 -s headers >>"$log" 2>&1 ||
			die "bisect: patch $i/$total: headers failed: $subj (log: $log)"
		stable_targets
		# A patch that changes only test programs can break only those:
		# build them alone (and the library they link).  Anything else
		# (library, headers, Makefiles) rebuilds every test.
		changed=$(git -C "$src" diff --name-only "$c~1" "$c" -- tools/testing/selftests/kvm)
		if [ -n "$changed" ] && ! grep -qvE '^tools/testing/selftests/kvm/x86(_64)?/[a-z0-9_]+\.c$' <<<"$changed"; then
			targets=()
			for f in $changed; do
				[ ! -f "$src/$f" ] || targets+=("$obj-selftests/${f#tools/testing/selftests/kvm/}")
			done
			targets=("${targets[@]%.c}")
		fi
		if ! make -C "$src/tools/testing/selftests/kvm" -j"$JOBS" OUTPUT="$obj-selftests" ARCH=x86_64 \
			KHDR_INCLUDES="-isystem $obj-hdr/usr/include" "${targets[@]}" >>"$log" 2>&1; then
			grep -E 'error:' "$log" | head -5 >&2
			die "bisect: patch $i/$total breaks the KVM selftests build: $subj (log: $log)"
		fi
		if [ ${#targets[@]} -gt 0 ]; then what="$what, selftests (${targets[*]##*/})"; else what="$what, selftests (all)"; fi
		if ! git -C "$src" diff --quiet "$c~1" "$c" -- tools/testing/selftests/x86; then
			mkdir -p "$obj-selftests-x86"
			if ! make -C "$src/tools/testing/selftests/x86" -j"$JOBS" OUTPUT="$obj-selftests-x86" \
				KHDR_INCLUDES="-isystem $obj-hdr/usr/include" >>"$log" 2>&1; then
				grep -E 'error:' "$log" | head -5 >&2
				die "bisect: patch $i/$total breaks the x86 selftests build: $subj (log: $log)"
			fi
			what="$what, x86 selftests"
		fi
	fi
	printf '    bisect %d/%d ok (%s, %ds): %s\n' "$i" "$total" "$what" "$(($(date +%s) - t0))" "$subj" >&2
done
log "bisect: all $total patches build"
