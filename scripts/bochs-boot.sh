#!/usr/bin/env bash
# boot.sh's twin for a Bochs host of config/hosts: boot one kernel in Bochs
# and run one run list ("<name> <seconds> <command...>" per line, as
# boot.sh takes it).
# Usage: bochs-boot.sh BZIMAGE HOST RUN-LIST OUTDIR [TIMEOUT-SECONDS]
# VM_CPIO (extra cpio archives) and VM_FILES (files for the guest's /) as
# for boot.sh.  scripts/bochs-run.sh does the run (each entry a -c test, its
# per-test bound the largest of the list); OUTDIR/tap.log gets its results
# (TAP with each test's output) and a "# host-xfeatures:" line as boot.sh's
# guest prints it.  The host's Bochs build must exist (BOCHS_PHASE=build
# scripts/bochs.sh).  Exit 0 when the run reached its end (whatever the
# test results), 2 when it did not (details in OUTDIR/summary.txt).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -ge 4 ] || die "usage: bochs-boot.sh BZIMAGE HOST RUN-LIST OUTDIR [TIMEOUT]"
kernel=$1 host=$2 list=$3 out=$4 tmo=${5:-600}
read -r cpu build < <(bochs_host "$host") || die "$host is not a Bochs host of config/hosts"
bochs=$BUILD/bochs/$build/bochs/bochs
[ -x "$bochs" ] || die "no Bochs build '$build' ($bochs); run 'BOCHS_PHASE=build MODELS=$host scripts/bochs.sh'"
opts=() maxt=0
for c in ${VM_CPIO:-}; do opts+=(-C "$c"); done
for f in ${VM_FILES:-}; do opts+=(-f "$f"); done
while read -r n t cmd; do
	opts+=(-c "$n $cmd")
	[ "$t" -le "$maxt" ] || maxt=$t
done <"$list"
rc=0
"$TOP/scripts/bochs-run.sh" -t "$tmo" -T "$maxt" "${opts[@]}" "$bochs" "$cpu" "$kernel" "$out" \
	</dev/null >"$out.bochs-run.log" 2>&1 || rc=2
{ cat "$out/results.txt"; sed -n 's/^# host-xcr0: /# host-xfeatures: /p' "$out/results.txt"; } >"$out/tap.log" 2>/dev/null || true
exit $rc
