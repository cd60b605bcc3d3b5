#!/usr/bin/env bash
# Stage: the series' tests on the Bochs hosts of config/hosts: Intel VMX,
# the compacted XSAVE format (XSAVEC/XSAVES) and AVX-512, which QEMU/TCG
# does not have.
#  1. builds each Bochs build of config/bochs-builds that a selected host
#     needs, once, into build/bochs/<build>: its tarball from THIRD_PARTY
#     (sha256 checked against the row), its patch, its configure arguments;
#     rebuilt only when one of those or the compiler changes (the key in
#     build/bochs/<build>/key);
#  2. boots build/base/bzImage and build/patched/bzImage on each selected
#     host, one Bochs at a time (scripts/bochs-run.sh, each run bounded by
#     BOCHS_TIMEOUT seconds), and runs the series' tests of config/tests
#     (kinds fail-on-base and skip-on-base, flag changed) and those flagged
#     bochs: the KVM ones from build/selftests/x86, the x86 ones from
#     build/selftests-x86;
#  3. checks each run (it reached its end: no panic, triple fault, timeout or
#     kernel splat; the XSAVE format and XCR0 config/hosts gives; /dev/kvm
#     and the host's VMX/SVM flag) and each test as its kind in config/tests
#     says (skip-on-base: SKIP on base, PASS on patched; fail-on-base: FAIL
#     on base, PASS on patched, or SKIP on both on a host without XSAVE;
#     any other kind: the same result on both kernels);
#  4. runs the migration rows of selftests/demo/vmm-bochs: its own sources
#     saved on a Bochs host (the over-saving repro kernel on tigerlake, the
#     compacted format, restored on haswell, the standard one) and make
#     demo's state files (build/demo/src-<name>/state.b64), restored on
#     these hosts by make demo's VMM (build/guest-bin/xsave_migrate), one
#     boot per host and kernel with rows, each row's verdict that of make
#     demo (demo_verdict, scripts/lib/demo.sh); a SKIP ("run make demo
#     first") without them.
# Hosts: the bochs rows of config/hosts marked "yes"; MODELS="a b" picks
# hosts by name instead (rows marked "no" too, to reproduce their problem).
# Without the pinned tarball the stage prints "bochs: SKIP (<reason>)" and
# "bochs: 0 passed, 0 failed" and exits 0: nothing ran.
# BOCHS_PHASE=build: step 1 only (no emulator runs).
# Ends with "bochs: N passed, N failed"; exits 1 on any failure.
# Logs: build/bochs/<build>/*.log, build/bochs/runs/<host>-<kernel>/
# (console.txt, results.txt, summary.txt, bochs.log) and .log, the same for
# the migration boots in build/bochs/runs/demo-<host>-<kernel>/ (and each
# row's output, <source>-<quirk>.log) and src-<source>/, build/bochs/summary.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
THIRD_PARTY=${THIRD_PARTY:-$TOP/../shared/third-party}
BOCHS_PHASE=${BOCHS_PHASE:-all}
BOCHS_TIMEOUT=${BOCHS_TIMEOUT:-300}
case $BOCHS_PHASE in build | all) ;; *) die "BOCHS_PHASE=$BOCHS_PHASE: build or all" ;; esac
need tar xz sha256sum patch make gcc g++ timeout file flock
bx=$BUILD/bochs
mkdir -p "$bx/runs"
t_start=$(date +%s)
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "bochs: FAILED: $*"; }
finish() {
	echo "bochs: $(($(date +%s) - t_start)) s in all"
	echo "bochs: $pass passed, $fail failed"
	[ "$fail" = 0 ] || exit 1
	exit 0
}
skip() { echo "bochs: SKIP ($*)"; echo "bochs: 0 passed, 0 failed"; exit 0; }

# The selected hosts, "name cpu build format xcr0 virt" each.
hosts=$(strip_comments "$TOP/config/hosts" | awk -v m=" ${MODELS:-} " '
	$2 != "bochs" {next}
	(m ~ /^ *$/ ? $9 == "yes" : index(m, " " $1 " ") > 0) {
		if ($8 != "series") {print "bad-tests", $1, $8; next}
		print $1, $3, $4, $5, $6, $7
	}')
! grep -q '^bad-tests' <<<"$hosts" || die "config/hosts: the bochs hosts run the list \"series\": $(grep '^bad-tests' <<<"$hosts")"
[ -n "$hosts" ] || skip "MODELS='${MODELS:-}' names no Bochs host of config/hosts"
# The Bochs hosts make check does not run: a reported SKIP with the reason
# that their row's comment gives.
if [ -z "${MODELS:-}" ]; then
	grep -E '^[a-z0-9_-]+ +bochs ' "$TOP/config/hosts" | awk '$9 == "no"' | while read -r h _; do
		echo "bochs: SKIP host $h: $(grep -E "^$h " "$TOP/config/hosts" | sed 's/^[^#]*# *//')"
	done
fi
builds=$(awk '{print $3}' <<<"$hosts" | sort -u)

# build_row BUILD: its row of config/bochs-builds.
build_row() {
	local r
	r=$(strip_comments "$TOP/config/bochs-builds" | awk -v b="$1" '$1 == b')
	[ -n "$r" ] || die "no Bochs build '$1' in config/bochs-builds (config/hosts names it)"
	echo "$r"
}
for b in $builds; do
	row=$(build_row "$b")
	read -r _ tarball _ <<<"$row"
	[ -f "$THIRD_PARTY/$tarball" ] || skip "no $THIRD_PARTY/$tarball: the pinned Bochs source is not on this machine; set THIRD_PARTY"
done

# build BUILD: build/bochs/BUILD/bochs/bochs, built unless its key matches;
# one at a time per build name (a background BOCHS_PHASE=build and a
# foreground run may overlap: the second waits, then finds it built).
build() {
	local lock rc=0
	exec {lock}>"$bx/$1.lock"
	flock "$lock"
	build_locked "$1" || rc=$?
	exec {lock}>&-
	return $rc
}
build_locked() {
	local name=$1 row tarball sha patchf args got psha key dir t0 pf patches
	row=$(build_row "$name")
	read -r _ tarball sha patchf args <<<"$row"
	dir=$bx/$name
	got=$(sha256sum "$THIRD_PARTY/$tarball" | cut -d' ' -f1)
	if [ "$got" != "$sha" ]; then
		bad "build $name: $THIRD_PARTY/$tarball has sha256 $got, config/bochs-builds says $sha"
		return 1
	fi
	# patchf: "-" or comma-separated patches, applied in order.
	psha=- patches=()
	if [ "$patchf" != - ]; then
		IFS=, read -r -a patches <<<"$patchf"
		psha=$(cd "$TOP" && cat "${patches[@]}" | sha256sum | cut -d' ' -f1)
	fi
	key=$(printf '%s\n' "tarball $sha" "patch $psha" "configure $args" \
		"cc $(gcc --version | head -n1)" "cxx $(g++ --version | head -n1)" | sha256sum | cut -d' ' -f1)
	if [ -x "$dir/bochs/bochs" ] && [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ]; then
		echo "bochs: build $name: cached ($dir, key ${key:0:12})"
		ok
		return 0
	fi
	t0=$(date +%s)
	log "building Bochs '$name' from $tarball (logs: $dir/*.log)"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	# The tarball holds <prefix>/bochs/: the tree lands in $dir.tmp/bochs.
	tar -xJf "$THIRD_PARTY/$tarball" -C "$dir.tmp" --strip-components=1
	[ -x "$dir.tmp/bochs/configure" ] || { bad "build $name: no bochs/configure in $tarball"; return 1; }
	for pf in "${patches[@]}"; do
		if ! patch -p0 --batch --forward -d "$dir.tmp/bochs" <"$TOP/$pf" >>"$dir.tmp/patch.log" 2>&1; then
			bad "build $name: $pf does not apply (see $dir.tmp/patch.log)"
			return 1
		fi
	done
	# shellcheck disable=SC2086 # the configure arguments are words
	if ! (cd "$dir.tmp/bochs" && ./configure $args) >"$dir.tmp/configure.log" 2>&1; then
		tail -n 20 "$dir.tmp/configure.log"
		bad "build $name: configure failed (see $dir.tmp/configure.log)"
		return 1
	fi
	if ! make -C "$dir.tmp/bochs" -j"$JOBS" >"$dir.tmp/make.log" 2>&1; then
		grep -E 'error|Error' "$dir.tmp/make.log" | head -n 20
		bad "build $name: make failed (see $dir.tmp/make.log)"
		return 1
	fi
	[ -x "$dir.tmp/bochs/bochs" ] || { bad "build $name: no bochs binary after make"; return 1; }
	printf '%s\n' "tarball $tarball $sha" "patch $patchf $psha" "configure $args" >"$dir.tmp/key.txt"
	echo "$key" >"$dir.tmp/key"
	mv "$dir.tmp" "$dir"
	echo "bochs: build $name: built in $(($(date +%s) - t0)) s ($dir, key ${key:0:12})"
	ok
}
for b in $builds; do
	build "$b" || finish
done
[ "$BOCHS_PHASE" = all ] || finish

# --- the runs -----------------------------------------------------------------
# The kernels and tests are copied once into build/bochs/inputs, so every
# run boots the same files even if another stage rebuilds them meanwhile.
inputs=$bx/inputs
rm -rf "$inputs"
mkdir -p "$inputs/t"
for k in base patched; do
	[ -f "$BUILD/$k/bzImage" ] || die "no $BUILD/$k/bzImage; run 'make kernels'"
	cp "$BUILD/$k/bzImage" "$inputs/$k.bzImage"
done
# field TEST N: test_field without its exit status: its awk stops at the
# match, so under pipefail the reader of config/tests may die of SIGPIPE
# after the field was printed.
field() { test_field "$@" || true; }
# The tests, in config/tests' order: names in $list, paths in tpaths.
list=$bx/tests.list
tpaths=()
{ tests_of fail-on-base skip-on-base; tests_flagged changed; tests_flagged bochs; } | awk '!seen[$1]++' >"$list"
[ -s "$list" ] || die "config/tests names no test for Bochs"
while read -r t; do
	suite=$(field "$t" 2)
	case $suite in
	kvm) f=$BUILD/selftests/x86/$t ;;
	x86) f=$BUILD/selftests-x86/$t ;;
	*) die "config/tests: unknown suite '$suite' of $t (kvm or x86)" ;;
	esac
	[ -x "$f" ] || die "no $f; run 'make selftests'"
	cp "$f" "$inputs/t/$t"
	tpaths+=("$inputs/t/$t")
done <"$list"

# totals RUN: "<test> pass:N fail:N skip:N" from the kselftest totals each
# test printed before its result line ("-" for tests without totals).
totals() {
	awk '/^# # Totals:/ {t = $4 " " $5 " " $8}
		/^(ok|not ok) [0-9]+ / {n = ($1 == "ok") ? $3 : $4; print n, (t == "" ? "-" : t); t = ""}' "$1/results.txt"
}
summary=$bx/summary
{
	echo "# scripts/bochs.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	for k in base patched; do
		echo "# $k: $BUILD/$k/bzImage, sha256 $(sha256sum "$inputs/$k.bzImage" | cut -c1-12), $(file -b "$inputs/$k.bzImage" | sed -n 's/.*, version \([^,]*\),.*/\1/p')"
	done
	echo "# run: bochs-run.sh's wall time (initramfs, ISO, Bochs); bochs: Bochs' own; boot: Bochs start to /init (2 s polling)"
	printf '%-16s %-8s %-12s %-10s %-7s %-8s %5s %5s %5s  %s\n' host kernel status format xcr0 /dev/kvm run bochs boot verdict
} >"$summary"
# bochs_boot LABEL HOST CPU BUILD FMT XCR0 VIRT KERNEL RUN [TEST...]: one run of
# scripts/bochs-run.sh (its options in the array bopts) and its check (it
# reached its end: no panic, triple fault, timeout or kernel splat; the XSAVE
# format, XCR0, /dev/kvm and VMX/SVM flag of config/hosts), a line of the
# table of runs; brc is bochs-run.sh's exit status.
bopts=()
bochs_boot() {
	local label=$1 host=$2 cpu=$3 build=$4 fmt=$5 xcr0=$6 virt=$7 k=$8 run=$9 t0 t1 status wall boot hfmt hxcr0 flags hkvm why v
	shift 9
	rm -rf "$run" "$run.log"
	log "$k on $host (Bochs '$build', cpu $cpu; at most ${BOCHS_TIMEOUT}s; log: $run.log)"
	brc=0 t0=$(date +%s)
	"$TOP/scripts/bochs-run.sh" -t "$BOCHS_TIMEOUT" "${bopts[@]}" "$bx/$build/bochs/bochs" "$cpu" \
		"$inputs/$k.bzImage" "$run" "$@" </dev/null >"$run.log" 2>&1 || brc=$?
	t1=$(($(date +%s) - t0))
	touch "$run/results.txt" "$run/results.tap" "$run/summary.txt"
	status=$(sed -n 's/^status: //p' "$run/summary.txt")
	wall=$(sed -n 's/^wall-seconds: \([0-9]*\).*/\1/p' "$run/summary.txt")
	boot=$(sed -n 's/.*boot to init: \([0-9?]*\) s.*/\1/p' "$run/summary.txt")
	hfmt=$(sed -n 's/^# host-format: //p' "$run/results.txt" | head -n1)
	hxcr0=$(sed -n 's/^# host-xcr0: //p' "$run/results.txt" | head -n1)
	flags=" $(sed -n 's/^# cpuinfo-flags://p' "$run/results.txt" | head -n1) "
	hkvm=$(sed -n 's/^# \/dev\/kvm: //p' "$run/results.txt" | head -n1)
	why=
	if [ "$brc" != 0 ] || [ "${status:-}" != DONE ]; then why="$why did not finish (${status:-no status}, bochs-run rc=$brc)"; fi
	! grep -q '^# kernel splat' "$run/results.txt" || why="$why kernel splat"
	[ "${hfmt:-?}" = "$fmt" ] || why="$why format ${hfmt:-?} (config/hosts: $fmt)"
	[ "${hxcr0:-?}" = "$xcr0" ] || why="$why xcr0 ${hxcr0:-?} (config/hosts: $xcr0)"
	[ "$hkvm" = present ] || why="$why no /dev/kvm"
	[[ $flags == *" $virt "* ]] || why="$why no $virt flag"
	if [ -z "$why" ]; then ok; v=ok; else bad "run $k on $label:$why (see $run/summary.txt, $run/console.txt)"; v=FAILED; fi
	printf '%-16s %-8s %-12s %-10s %-7s %-8s %4ss %4ss %4ss  %s\n' "$label" "$k" "${status:-?}" \
		"${hfmt:-?}" "${hxcr0:-?}" "${hkvm:-?}" "$t1" "${wall:-?}" "${boot:-?}" "$v" | tee -a "$summary"
}
while read -r host cpu build fmt xcr0 virt; do
	for k in base patched; do
		run=$bx/runs/$host-$k
		bochs_boot "$host" "$host" "$cpu" "$build" "$fmt" "$xcr0" "$virt" "$k" "$run" "${tpaths[@]}"
		# "<test> PASS|FAIL|SKIP", or "none" where the run never reached it.
		tap_results "$list" "$run/results.tap" | while read -r t r; do
			grep -qE "^(ok|not ok) [0-9]+ $t( |\$)" "$run/results.tap" || r=none
			echo "$t $r"
		done >"$run/results"
		totals "$run" >"$run/totals"
	done
done <<<"$hosts"

# The tests: base against patched on each host.
{
	echo
	printf '%-16s %-16s %-5s %-7s %-12s %-14s %-23s %s\n' test host base patched expected verdict "base cases" "patched cases"
} | tee -a "$summary"
while read -r host _ _ fmt _; do
	B=$bx/runs/$host-base P=$bx/runs/$host-patched
	while read -r t rp; do
		rb=$(awk -v t="$t" '$1 == t {print $2}' "$B/results")
		mode=$(field "$t" 3)
		exp=$mode
		case $mode in
		skip-on-base) want="SKIP PASS" ;;
		fail-on-base) if [ "$fmt" = none ]; then want="SKIP SKIP"; else want="FAIL PASS"; fi ;;
		*) want='' exp=same ;;
		esac
		if [ "${rb:-none}" = none ] || [ "$rp" = none ]; then
			bad "$t on $host: not run (base ${rb:-none}, patched $rp)"; v="NOT RUN"
		elif [ -n "$want" ]; then
			if [ "$rb $rp" = "$want" ]; then ok; v=ok; else bad "$t on $host: base $rb, patched $rp (expected ${want/ /, })"; v=WRONG; fi
		else
			if [ "$rb" = "$rp" ]; then ok; v=ok; else bad "$t on $host: base $rb, patched $rp (expected the same)"; v=REGRESSION; fi
			[ "$v $rp" != "ok FAIL" ] || v="ok (FAIL on both)"
		fi
		printf '%-16s %-16s %-5s %-7s %-12s %-14s %-23s %s\n' "$t" "$host" "$rb" "$rp" "$exp" "$v" \
			"$(awk -v t="$t" '$1 == t {$1 = ""; print substr($0, 2)}' "$B/totals")" \
			"$(awk -v t="$t" '$1 == t {$1 = ""; print substr($0, 2)}' "$P/totals")" |
			tee -a "$summary"
	done <"$P/results"
done <<<"$hosts"

# --- the migration rows -------------------------------------------------------
# selftests/demo/vmm-bochs: raw-VMM rows with the destination on a Bochs
# host.  A source row of the table runs on a Bochs host (the over-saving
# repro kernel on tigerlake, the compacted format): xsave_migrate
# (build/guest-bin) saves the state in the booted kernel
# (selftests/guest/demo-save), a run check as above; the sources the table
# does not define are make demo's (build/demo/src-<name>/state.b64).  Then one boot per host and kernel with rows, each row a test
# of it (selftests/guest/demo-load), its verdict that of make demo.  Rows
# whose state file or VMM is missing are a SKIP ("run make demo first").
dmatrix=$TOP/selftests/demo/vmm-bochs
dname=${dmatrix#"$TOP"/}
demo=$BUILD/demo
[ "$(table_client "$dmatrix")" = vmm ] || die "$dname: not a vmm table (selftests/demo/README.md)"
drows=$(table_rows "$dmatrix" | awk '
	$1 == "source" && NF == 5 {if (src[$2]++) print "dup", $0; else print; next}
	$1 != "dest" || NF != 6 {print "bad", $0; next}
	seen[$2 " " $3 " " $4 " " $5]++ {print "dup", $0; next}
	{print}')
! grep -qE '^(bad|dup) ' <<<"$drows" || die "$dname: a bad row, or one twice: $(grep -E '^(bad|dup) ' <<<"$drows" | head -n1)"
bhosts=" $(strip_comments "$TOP/config/hosts" | awk '$2 == "bochs" {printf "%s ", $1}')"
selected=" $(awk '{printf "%s ", $1}' <<<"$hosts")"
rm -rf "$bx/runs/src-"*
mkdir -p "$inputs/demo"
if [ -x "$BUILD/guest-bin/xsave_migrate" ]; then cp "$BUILD/guest-bin/xsave_migrate" "$inputs/demo/"; fi
# The table's own sources, each saved on its Bochs host.
while read -r _ src kernel host gxcr0; do
	[[ $bhosts == *" $host "* ]] || die "$dname: $host is not a Bochs host of config/hosts"
	[[ $selected == *" $host "* ]] || continue
	case $kernel in repro | base | patched) ;; *) die "$dname: source kernel $kernel (repro, base or patched)" ;; esac
	if [ ! -f "$BUILD/$kernel/bzImage" ] || [ ! -x "$inputs/demo/xsave_migrate" ]; then
		echo "bochs: SKIP (migration source $src: no build/$kernel/bzImage or build/guest-bin/xsave_migrate: run make demo first)"
		continue
	fi
	cp "$BUILD/$kernel/bzImage" "$inputs/$kernel.bzImage"
	read -r _ cpu build fmt xcr0 virt < <(awk -v h="$host" '$1 == h' <<<"$hosts")
	run=$bx/runs/src-$src
	bopts=(-x "$inputs/demo/xsave_migrate" -f "$TOP/selftests/guest/demo-save" -c "$src /demo-save $gxcr0")
	bochs_boot "$host/src-$src" "$host" "$cpu" "$build" "$fmt" "$xcr0" "$virt" "$kernel" "$run"
	tap_block "$run/results.txt" STATE >"$inputs/demo/$src.b64"
	if [ -s "$inputs/demo/$src.b64" ]; then
		ok
		# For demo_source: the run's lines as its TAP log.
		cp "$run/results.txt" "$run/tap.log"
		echo "$src $run" >>"$inputs/demo/sources"
	else
		rm -f "$inputs/demo/$src.b64"
		bad "migration source $src on $host ($kernel): no state saved (see $run/results.txt)"
	fi
done < <(grep '^source ' <<<"$drows")
# srcdir SOURCE: the directory of a source's run (the table's, or make demo's).
srcdir() { awk -v s="$1" '$1 == s {print $2; f = 1} END {exit !f}' "$inputs/demo/sources" 2>/dev/null || echo "$demo/src-$1"; }
missing=() nofile=() unselected=0
while read -r _ src kernel host quirk want; do
	[[ $bhosts == *" $host "* ]] || die "$dname: $host is not a Bochs host of config/hosts"
	[[ $selected == *" $host "* ]] || { unselected=$((unselected + 1)); continue; }
	case $kernel in base | patched) ;; *) die "$dname: kernel $kernel (base or patched)" ;; esac
	case $quirk in on | off) ;; *) die "$dname: quirk $quirk (on or off)" ;; esac
	demo_verdict "$want" 0 /dev/null >/dev/null
	if [ ! -s "$inputs/demo/$src.b64" ] && [ -s "$demo/src-$src/state.b64" ]; then
		cp "$demo/src-$src/state.b64" "$inputs/demo/$src.b64"
	fi
	if [ -s "$inputs/demo/$src.b64" ] && [ -x "$inputs/demo/xsave_migrate" ]; then
		echo "$src $kernel $host $quirk $want"
	else
		missing+=("$src $kernel $host $quirk $want")
		for f in "$demo/src-$src/state.b64" "$BUILD/guest-bin/xsave_migrate"; do
			[ -s "$f" ] || [[ " ${nofile[*]} " == *" ${f#"$TOP"/} "* ]] || nofile+=("${f#"$TOP"/}")
		done
	fi
done < <(grep '^dest ' <<<"$drows") >"$inputs/demo/rows"
[ "$unselected" = 0 ] || echo "bochs: $unselected migration rows of $dname are on hosts not selected, not run"
if [ ${#missing[@]} -gt 0 ]; then
	echo "bochs: SKIP (migration rows: no ${nofile[*]}: run make demo first; ${#missing[@]} of $dname not run)"
	printf '    %s\n' "${missing[@]}"
fi
if [ -s "$inputs/demo/rows" ]; then
	dtable=$bx/demo-table
	: >"$dtable"
	{
		echo
		echo "Migration rows ($dname): state files restored on the Bochs hosts; sources (saved by make demo, or on a Bochs host by this table):"
		awk '{print $1}' "$inputs/demo/rows" | sort -u | while read -r src; do demo_source "$(srcdir "$src")"; done
		printf '%-16s %-8s %-12s %-10s %-7s %-8s %5s %5s %5s  %s\n' host kernel status format xcr0 /dev/kvm run bochs boot verdict
	} | tee -a "$summary"
	while read -r host cpu build fmt xcr0 virt; do
		for k in base patched; do
			awk -v h="$host" -v k="$k" '$3 == h && $2 == k' "$inputs/demo/rows" >"$inputs/demo/run"
			[ -s "$inputs/demo/run" ] || continue
			bopts=(-x "$inputs/demo/xsave_migrate" -f "$TOP/selftests/guest/demo-load")
			while read -r src; do bopts+=(-f "$inputs/demo/$src.b64"); done < <(awk '{print $1}' "$inputs/demo/run" | sort -u)
			while read -r src _ _ quirk _; do
				flag=
				[ "$quirk" = on ] || flag=--disable-quirk
				bopts+=(-c "$src-$quirk /demo-load /$src.b64 $flag")
			done <"$inputs/demo/run"
			run=$bx/runs/demo-$host-$k
			bochs_boot "$host/demo" "$host" "$cpu" "$build" "$fmt" "$xcr0" "$virt" "$k" "$run"
			while read -r src _ _ quirk want; do
				# The row's output: the lines after the previous result line.
				awk -v n="$src-$quirk" '/^1\.\./ {b = ""; next}
					/^(ok|not ok) [0-9]+ / {if ((($1 == "ok") ? $3 : $4) == n) {printf "%s", b; exit} b = ""; next}
					{b = b $0 "\n"}' "$run/results.txt" >"$run/$src-$quirk.log"
				res=$(demo_verdict "$want" "$brc" "$run/$src-$quirk.log")
				read -r v setx g note <<<"$res"
				if [ "$v" = PASS ]; then ok; else bad "migration row $src $k $host quirk $quirk: $setx, guest $g (expected $want; see $run/$src-$quirk.log)"; fi
				demo_row "$src" "$k" "$host" "$quirk" "$setx" "$g" "$want" "$v" "$note" >>"$dtable"
			done <"$inputs/demo/run"
		done
	done <<<"$hosts"
	{ echo; demo_header dest-host; cat "$dtable"; } | tee -a "$summary"
fi
finish
