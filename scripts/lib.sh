# shellcheck shell=bash
# Common helpers for the pipeline scripts.  Sourced, never executed: the
# paths and knobs, messages, stages and their results here; the rest by
# concern in scripts/lib/ (debian, kernel, tests, tap), sourced at the end.

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
# ccache's depend mode: a miss runs the compiler once (the default mode runs
# the preprocessor on its own first), the key is the compiler's dependency
# file (the kernel's -Wp,-MMD; meson's -MD).  A cold make check misses on
# almost every compile: the kernel's arch/x86/kvm and kernel/sched, built
# cold with -j2 on 2026-12-03, took 85 s of CPU with gcc alone, 116 with
# ccache's default mode and 95 in depend mode; a second object directory
# then hit on 124 of its 125 cacheable compiles.  ccache takes
# CCACHE_DEPEND as true whenever it is set.
if [ "${CCACHE_DEPEND:-1}" = 1 ]; then export CCACHE_DEPEND=1; else unset CCACHE_DEPEND; fi
# The compilers of every kernel build (make "${KERNEL_CC[@]}"): CC leaves
# the sources with .incbin to gcc (depend mode cannot see the embedded
# file; scripts/ccache-gcc.sh).
# shellcheck disable=SC2034 # used by the scripts that source this file
KERNEL_CC=(CC="$TOP/scripts/ccache-gcc.sh" HOSTCC="ccache gcc")
JOBS=${JOBS:-$(nproc)}
# EXTRA_CFLAGS of the KVM and x86 selftests (build-selftests.sh, and the
# kselftest install, which reuses its objects): static (the guest has no
# libc); on the command line EXTRA_CFLAGS replaces x86/Makefile's own
# "+= -DCAN_BUILD_32 -DCAN_BUILD_64", hence those (no kvm source reads them).
# shellcheck disable=SC2034 # used by the scripts that source this file
SELFTESTS_CFLAGS="-static -DCAN_BUILD_32 -DCAN_BUILD_64"


die() { echo "ERROR: $*" >&2; exit 1; }
log() { echo "==> $*" >&2; }

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			die "'$t' not found; run 'make deps' (scripts/deps.sh) first"
	done
}

# stage NAME CMD...: run a command, print its wall time; the stage-times
# line also says the CPU time (user + system, seconds) of the processes it
# waited for and the space left on build/'s filesystem after it.
# child_cpu: this shell's children's CPU time so far, in clock ticks
# (/proc/PID/stat fields 16 and 17; read without a subshell).
child_cpu() {
	local proc_stat
	read -r -a proc_stat </proc/$BASHPID/stat
	CHILD_CPU=$((proc_stat[15] + proc_stat[16]))
}
stage() {
	local name=$1 t0 c0 rc=0
	shift
	t0=$(date +%s)
	child_cpu
	c0=$CHILD_CPU
	log "[$name] start"
	"$@" || rc=$?
	child_cpu
	echo "==> [$name] $(( $(date +%s) - t0 )) s (rc=$rc)" >&2
	echo "$name $(( $(date +%s) - t0 )) cpu=$(( (CHILD_CPU - c0) / $(getconf CLK_TCK) )) $(free_space)-free" >>"${STAGE_TIMES:-$BUILD/stage-times}"
	return $rc
}

# The result contract of the orchestrator (check.sh): every
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

# free_space: the space left on build/'s filesystem (e.g. 41G).
# disk_report: that and build/'s size, for the end of a run and next to a
# failed build (a full disk fails builds).
free_space() { df -BG --output=avail "$BUILD" | tail -n1 | tr -d ' '; }
disk_report() {
	echo "disk: $(df -h --output=avail "$BUILD" | tail -n1 | tr -d ' ') free on the filesystem of $BUILD, which uses $(du -sh "$BUILD" 2>/dev/null | cut -f1)"
}

# strip_comments FILE: the lines of a list file (selftests/*) without
# comments and blank lines.
strip_comments() { sed 's/#.*//; /^[[:space:]]*$/d' "$1"; }

# shellcheck source=lib/debian.sh
. "$TOP/scripts/lib/debian.sh"
# shellcheck source=lib/kernel.sh
. "$TOP/scripts/lib/kernel.sh"
# shellcheck source=lib/tests.sh
. "$TOP/scripts/lib/tests.sh"
# shellcheck source=lib/tap.sh
. "$TOP/scripts/lib/tap.sh"
# shellcheck source=lib/demo.sh
. "$TOP/scripts/lib/demo.sh"
