#!/usr/bin/env bash
# The migration failure and its fix with real QEMU: Debian's
# qemu-system-x86_64 runs inside the booted test kernel with -accel kvm
# (nested KVM on QEMU/TCG with nested SVM), runs a tiny L2 guest
# (selftests/qemu-migrate/guest.S), and migrates it to a file on a source
# host kernel that over-saves XSAVE state (repro); each destination host
# loads the file with "qemu -incoming" and resumes the guest, which checks
# its own FCW/FTW/MXCSR/x87/XMM state and reports on the debugcon port.
# The QEMUs (the "client qemu V" line of a table, selftests/demo/README.md):
#   7.2  bookworm's, the host's own binary and libraries (scripts/qemu-cpio.sh);
#   10   trixie's, with trixie's loader and libraries under /qemu10
#        (scripts/qemu10-cpio.sh);
#   fix  trixie's source with patches/qemu/ (the userspace half), built by
#        scripts/qemu-fix-cpio.sh (KVM only; a cold build took 7 min on the
#        loaded 2-core machine, make check does it in its background lane);
#   control  the same build without the patch's functional change (its
#        code motion kept), beside it in the same archive.
# Usage: qemu-demo.sh [TABLE...] (default: selftests/demo/qemu-7.2, qemu-10,
# qemu-fix and qemu-control; scripts/demo.sh passes the QEMU tables of
# DEMO_MATRIX).
# A row whose cpu is a Bochs host of config/hosts runs in Bochs instead of
# QEMU/TCG (boot() below).
# Prints the tables, "qemu-demo table NAME (QEMU V): N passed, N failed"
# after each and "qemu-demo: N passed, N failed" over all of them.
# Rows that share a kernel and a CPU model run in one boot (see "One boot
# per group" below).
# Env: VM_TIMEOUT=seconds per row (default 420), LOAD_SECONDS (default 10: at most that long
# a destination runs its guest after the resume; 20 verified ticks or a FAIL
# end it after 2 s).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
need qemu-system-x86_64 cpio gzip base64 timeout
D=$TOP/selftests/demo
matrices=${*:-$D/qemu-7.2 $D/qemu-10 $D/qemu-fix $D/qemu-control}
tmo=${VM_TIMEOUT:-420}
load_s=${LOAD_SECONDS:-10}
out=$BUILD/qemu-demo
rm -rf "$out"
mkdir -p "$out"
times=$out/times
: >"$times"
T0=$(date +%s)
tstart() { TS=$(date +%s); }
tend() { echo "$1 $(( $(date +%s) - TS ))" >>"$times"; log "[$1] $(( $(date +%s) - TS )) s"; }

# The QEMUs: the guest's path of each, and the archive that carries it.
qemu_bin() {
	case $1 in
	7.2) echo /usr/bin/qemu-system-x86_64 ;;
	10) echo /qemu10/bin/qemu-system-x86_64 ;;
	fix) echo /qemu-fix/bin/qemu-system-x86_64 ;;
	control) echo /qemu-fix/bin/qemu-system-x86_64-unpatched ;;
	*) die "unknown QEMU '$1' (7.2, 10, fix or control)" ;;
	esac
}
qemu_cpio() { case $1 in 7.2) echo "$BUILD/qemu.cpio" ;; 10) echo "$BUILD/qemu10.cpio" ;; fix | control) echo "$BUILD/qemu-fix.cpio" ;; esac; }
# table_qemu TABLE: the QEMU of its destinations (its "client qemu V" line).
table_qemu() {
	local c
	c=$(table_client "$1")
	case $c in "qemu "*) echo "${c#qemu }" ;; *) die "$1: client '$c', not qemu (selftests/demo/README.md)" ;; esac
}
# qemus TABLE: every QEMU a table uses (its own, and a source's "saved by").
qemus() {
	{ table_qemu "$1"; strip_comments "$1" | awk '$1 == "source" && NF >= 6 {print $6}'; } | sort -u
}
# table_dir TABLE: the log directory of a table (build/qemu-demo/NAME).
table_dir() { echo "$out/${1##*/}"; }
all_qemus=
for m in $matrices; do
	[ -f "$m" ] || die "no table $m"
	table_rows "$m" >/dev/null
	for q in $(qemus "$m"); do qemu_bin "$q" >/dev/null; all_qemus="$all_qemus $q"; done
done

# 1. QEMU, libraries, guest image, shim, guest scripts.
tstart
"$S/qemu-cpio.sh" "$BUILD/qemu.cpio"
case " $all_qemus " in *" 10 "*) "$S/qemu10-cpio.sh" "$BUILD/qemu10.cpio" ;; esac
case " $all_qemus " in *" fix "* | *" control "*) "$S/qemu-fix-cpio.sh" "$BUILD/qemu-fix.cpio" ;; esac
# A minimal base initramfs (busybox and the harness's init; QEMU comes in
# VM_CPIO), so this demo does not depend on the selftests.
MINIMAL=1 "$S/mkinitramfs.sh" "$out/initramfs.cpio"
tend build

# 2. Kernels: base and patched must exist; repro is (re)built when missing
# or older than config/kvm.config or the reproducer patch.
# shellcheck disable=SC2086
kernels=$(for m in $matrices; do strip_comments "$m"; done |
	awk '$1 == "source" {print $3} $1 == "dest" {print $3}' | sort -u)
for k in $kernels; do
	img=$BUILD/$k/bzImage
	if [ "$k" != repro ]; then
		[ -f "$img" ] || die "no $img; build it first (KERNEL=$k scripts/build-kernel.sh)"
		[ "$TOP/config/kvm.config" -nt "$img" ] && log "WARNING: $img is older than config/kvm.config"
		continue
	fi
	why=
	[ -f "$img" ] || why="missing"
	for f in "$TOP/config/kvm.config" "$TOP"/selftests/repro/*.patch; do
		[ -z "$why" ] && [ "$f" -nt "$img" ] && why="older than ${f#"$TOP"/}"
	done
	[ -n "$why" ] || continue
	tstart
	log "qemu-demo: building the reproducer kernel (v7.3 + selftests/repro): $img $why"
	"$S/repro-tree.sh"
	KERNEL=repro "$S/build-kernel.sh"
	tend kernel-repro
done

# bochs_ready HOST: its Bochs build exists (scripts/bochs.sh builds it once;
# without the pinned source it says why and this fails).
bochs_ready() {
	BOCHS_PHASE=build MODELS=$1 "$S/bochs.sh" >"$out/bochs-build-$1.log" 2>&1 &&
		! grep -q '^bochs: SKIP' "$out/bochs-build-$1.log"
}
# boot KERNEL CPU LIST DIR FILES TIMEOUT: one VM, returns boot.sh's status
# (VM_CPIO: $qcpios); CPU a Bochs host of config/hosts: the same in Bochs
# (scripts/bochs-boot.sh).
boot() {
	local rc=0 b=boot.sh
	[ -z "$(bochs_host "$2")" ] || b=bochs-boot.sh
	VM_INITRAMFS=$out/initramfs.cpio VM_CPIO="$qcpios" VM_FILES="$5" \
		"$S/$b" "$BUILD/$1/bzImage" "$2" "$3" "$4" "$6" >/dev/null || rc=$?
	return $rc
}
tapval() { sed -n "s/^# $2//p" "$1" | head -n1; }

# One boot per group: the rows of all tables that run on the same kernel
# and CPU model, sources and destinations apart (a destination needs its
# source's state), one after the other in one VM (each QEMU a process of
# its own).  A group directory (build/qemu-demo/boot-*) holds the guest's
# list, the console and the whole TAP log; each row's directory gets its
# part (group_split, scripts/lib/demo.sh).  Every row of a group has the
# status of its boot: a crash or hang fails them all.
# group_row ROWDIR LISTLINE QEMU: one more row in group $G (group_for),
# run by QEMU V.
group_row() {
	group_add "$G" "$1" "$2"
	echo "$3" >>"$G/qemus"
}
# boot_group GROUP KERNEL CPU ROWS: one boot of a group (boot_groups).
# The VM gets qemu.cpio (the L2 guest, the shim and the guest scripts) and
# the archive of every other QEMU of its rows, and VM_TIMEOUT for each row.
boot_group() {
	local q rc=0
	qcpios=$(for q in 7.2 $(cat "$1/qemus"); do qemu_cpio "$q"; done | awk '!seen[$0]++' | tr '\n' ' ')
	tstart
	boot "$2" "$3" "$1/list" "$1" "$(group_files "$1")" $((tmo * $4)) || rc=$?
	tend "${1##*/} ($4 rows)"
	return $rc
}

# Tables on Bochs hosts need their Bochs build: without it the table is a
# reported SKIP.
run=
for m in $matrices; do
	skip=
	for h in $(table_rows "$m" | awk '{print $4}' | sort -u); do
		[ -n "$(bochs_host "$h")" ] || continue
		if ! bochs_ready "$h"; then
			echo "qemu-demo: SKIP table ${m##*/}: Bochs host $h: $(sed -n 's/^bochs: SKIP //p' "$out/bochs-build-$h.log" | head -n1)"
			skip=1
			break
		fi
	done
	[ -n "$skip" ] || run="$run $m"
done

# 3. Sources: each saves its L2 guest to a file.
for m in $run; do
	tq=$(table_qemu "$m")
	tdir=$(table_dir "$m")
	mkdir -p "$tdir"
	while read -r kind a b c d e; do
		[ "$kind" = source ] || continue
		name=$a kernel=$b cpu=$c l2=${d:-plain} sq=${e:-$tq}
		group_for "$out" src "$kernel" "$cpu"
		group_row "$tdir/src-$name" "qemu-save $((tmo - 30)) /bin/qemu-save --qemu $(qemu_bin "$sq") --l2 $l2" "$sq"
		echo "--- source $name of ${m##*/}: QEMU $sq on the $kernel kernel on -cpu $cpu, L2 guest $l2" >&2
	done < <(table_rows "$m")
done
boot_groups boot_group
for m in $run; do
	tq=$(table_qemu "$m")
	tdir=$(table_dir "$m")
	: >"$tdir/sources"
	while read -r kind a b c d e; do
		[ "$kind" = source ] || continue
		name=$a kernel=$b cpu=$c l2=${d:-plain} sq=${e:-$tq}
		dir=$tdir/src-$name
		vrc=$(group_rc "$dir")
		[ "$vrc" = 0 ] || die "source $name of ${m##*/}: VM failed (boot.sh rc=$vrc), see $dir/console.log and $dir/tap.log"
		tap_block "$dir/tap.log" STATE >"$dir/qemu-state.b64"
		if [ ! -s "$dir/qemu-state.b64" ]; then
			sed -n 's/^# //p' "$dir/tap.log" | grep -v '^[A-Za-z0-9+/=]*$' | tail -n 40 >&2
			die "source $name of ${m##*/}: no state saved, see $dir/tap.log"
		fi
		grep -E '^# (time|state file|monitor|qemu-shim: KVM_GET_XSAVE)' "$dir/tap.log" | tail -n 12 |
			sed "s/^# /    $name: /" >&2
		echo "$name $kernel $cpu $(tapval "$dir/tap.log" 'host-xfeatures: ') $sq $l2" >>"$tdir/sources"
	done < <(table_rows "$m")
done

# 4. Destinations: each loads a source's state with -incoming.
for m in $run; do
	tq=$(table_qemu "$m")
	tbin=$(qemu_bin "$tq")
	tdir=$(table_dir "$m")
	: >"$tdir/dests"
	while read -r kind a b c d e; do
		[ "$kind" = dest ] || continue
		src=$a kernel=$b cpu=$c quirk=$d want=$e
		sq=$(awk -v n="$src" '$1 == n {print $5}' "$tdir/sources")
		l2=$(awk -v n="$src" '$1 == n {print $6}' "$tdir/sources")
		[ -n "$sq" ] || die "$m: destination of source '$src' before (or without) its source line"
		dir=$(new_row_dir "$tdir/dst-$src-$kernel-${cpu//[,+]/_}-$quirk")
		case $quirk in
		on) flag= ;;
		off) flag=--disable-quirk ;;
		on-noshim) flag=--no-shim ;;
		*) die "bad quirk '$quirk' in $m (on, off or on-noshim)" ;;
		esac
		case $want in
		ok|fail|fail-sregs|refused|refused-sregs) ;;
		*) die "bad expectation '$want' in $m (ok, fail, fail-sregs, refused or refused-sregs)" ;;
		esac
		machine=$(tapval "$tdir/src-$src/tap.log" 'qemu-machine: ')
		machine=${machine:-pc}
		if [ "$sq" != "$tq" ]; then
			# Another QEMU's state: its "pc" is another machine version;
			# load it with the source's versioned machine type.
			mtype=$(tapval "$tdir/src-$src/tap.log" 'qemu-machine-type: ')
			[ -n "$mtype" ] || die "source $src did not say which machine type 'pc' is in QEMU $sq"
			machine=$mtype${machine#pc}
		fi
		group_for "$out" dst "$kernel" "$cpu"
		st=${tdir##*/}-$src.b64
		cp "$tdir/src-$src/qemu-state.b64" "$G/files/$st"
		group_row "$dir" "qemu-load $((tmo - 30)) /bin/qemu-load --qemu $tbin --l2 $l2 $flag --machine $machine --state /$st $load_s" "$tq"
		printf '%s %s %s %s %s %s %s\n' "$dir" "$src" "$kernel" "$cpu" "$quirk" "$want" "$sq $machine" >>"$tdir/dests"
		echo "--- destination of ${m##*/}: QEMU $tq on the $kernel kernel on -cpu $cpu, quirk $quirk, state of $src (QEMU $sq, -M $machine)" >&2
	done < <(table_rows "$m")
done
boot_groups boot_group

# 5. Verdicts, per table in its order.
pass=0 fail=0
for m in $run; do
	tq=$(table_qemu "$m")
	tdir=$(table_dir "$m")
	: >"$tdir/table"
	tpass=0 tfail=0
	while read -r dir src kernel cpu quirk want sq machine; do
		t=$dir/tap.log
		IFS=$'\t' read -r v g verdict setx qexit resumed qmsg < <(qemu_verdict "$want" "$quirk" "$(group_rc "$dir")" "$t")
		if [ "$v" = PASS ]; then
			pass=$((pass + 1)) tpass=$((tpass + 1))
		else
			fail=$((fail + 1)) tfail=$((tfail + 1))
		fi
		extra=
		[ "$sq" != "$tq" ] && extra="state of QEMU $sq, -M $machine; "
		[ "$tq" != 7.2 ] && extra="${extra}exit: ${qexit:-?}; resumed: $resumed; "
		printf '%-4s %-7s %-19s %-9s %-19s %-9s %-7s %-4s %s\n' "$src" "$kernel" "$cpu" "$quirk" "${setx:-?}" \
			"$g" "$want" "$v" "${extra}qemu: ${qmsg:-(nothing)}; guest: $verdict" >>"$tdir/table"
		echo "    $v (${m##*/}): $kernel $cpu quirk $quirk, state of $src: KVM_SET_XSAVE ${setx:-?}; qemu-exit: ${qexit:-?}; qemu-guest: $verdict" >&2
	done <"$tdir/dests"
	echo "$tpass $tfail" >"$tdir/counts"
done

# print_table MATRIX: the table of one matrix.
print_table() {
	local tq tdir n k c x q bv sz ver tpass tfail
	tq=$(table_qemu "$1")
	tdir=$(table_dir "$1")
	ver=$(sed -n 's/^# qemu-version: QEMU emulator version //p' "$tdir"/dst-*/tap.log 2>/dev/null | head -n1)
	echo
	echo "==== QEMU $tq${ver:+ ($ver)} as destination, ${1#"$TOP"/} ===="
	echo "Source hosts (L1 kernel, L1 CPU model, L1 host xfeatures, QEMU; the L2 guest is qemu64,+xsave, -accel kvm):"
	while read -r n k c x q; do
		bv=$(sed -n 's/^# qemu-shim: KVM_GET_XSAVE2\{0,1\} xstate_bv=//p' "$tdir/src-$n/tap.log" | tail -n1)
		sz=$(tapval "$tdir/src-$n/tap.log" 'state file: ')
		ver=$(tapval "$tdir/src-$n/tap.log" 'qemu: QEMU emulator version ')
		printf '  %-3s %-8s %-12s xfeatures %-6s QEMU %s: saved XSTATE_BV %s; state file %s\n' "$n" "$k" "$c" "$x" \
			"${ver:-$q}" "${bv:-?}" "$sz"
	done <"$tdir/sources"
	echo
	printf '%-4s %-7s %-19s %-9s %-19s %-9s %-7s %-4s %s\n' src dest-k dest-cpu qrk KVM_SET_XSAVE guest expect res "details"
	cat "$tdir/table"
	if grep -h '^# note: ' "$tdir"/*/tap.log >/dev/null 2>&1; then
		echo
		echo "Notes from the VMs:"
		grep -h '^# note: ' "$tdir"/*/tap.log | sed 's/^# note: /  /' | sort | uniq -c
	fi
	read -r tpass tfail <"$tdir/counts"
	echo "qemu-demo table ${1##*/} (QEMU $tq): $tpass passed, $tfail failed (logs: $tdir)"
}

for m in $matrices; do
	case " $run " in
	*" $m "*) print_table "$m" ;;
	*) echo "qemu-demo table ${m##*/} (QEMU $(table_qemu "$m")): 0 passed, 0 failed (skipped)" ;;
	esac
done

echo
echo "Times (s):"
sed 's/^/  /' "$times"
for d in "$out"/src-* "$out"/dst-* "$out"/*/src-* "$out"/*/dst-*; do
	[ -f "$d/tap.log" ] || continue
	printf '  %-48s %s\n' "${d#"$out"/}" "$(sed -n 's/^# time: //p' "$d/tap.log" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
done
echo "  total $(( $(date +%s) - T0 ))"
echo
echo "logs: $out"
echo "qemu-demo: $pass passed, $fail failed"
[ "$fail" = 0 ]
