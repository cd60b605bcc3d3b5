# shellcheck shell=bash
# The migration tables (selftests/demo/README.md): their client, and one
# verdict function per client.  The raw-VMM rows (selftests/xsave-migrate's
# "load" on a destination host): verdict and table layout for
# scripts/demo.sh (QEMU/TCG destinations) and scripts/bochs.sh (Bochs
# destinations); the QEMU rows' verdict for scripts/qemu-demo.sh; and how
# both scripts run the rows that share a kernel and a CPU model in one boot.
# Sourced by scripts/lib.sh.

# table_client TABLE: its client line without "client" ("vmm", "qemu 10").
table_client() { strip_comments "$1" | awk '$1 == "client" {$1 = ""; print substr($0, 2); exit}'; }
# table_rows TABLE...: the source and dest rows of the tables, in order;
# dies on any other line.
table_rows() {
	local m
	for m in "$@"; do
		strip_comments "$m" | awk -v m="$m" '$1 == "client" {next} $1 == "source" || $1 == "dest" {print; next}
			{print "bad line in " m ": " $0 > "/dev/stderr"; exit 1}' || die "$m: see selftests/demo/README.md"
	done
}

# Several rows in one boot (scripts/demo.sh, scripts/qemu-demo.sh): a
# group directory holds the guest's run.list ("list") and the row directory
# of each of its lines ("rows"), in the same order.
# group_for DIR KIND KERNEL CPU: G = the group of the rows of KIND (src,
# dst) on KERNEL and CPU, DIR/boot-KIND-KERNEL-CPU, made on first use
# (BOOT_GROUPS: every group, in that order; BOOT_GROUP_OF: by key).
declare -A BOOT_GROUP_OF=()
BOOT_GROUPS=()
group_for() {
	local k="$2 $3 $4"
	if [ -z "${BOOT_GROUP_OF[$k]:-}" ]; then
		BOOT_GROUP_OF[$k]=$1/boot-$2-$3-${4//[,+]/_}
		mkdir -p "${BOOT_GROUP_OF[$k]}/files"
		echo "$3 $4" >"${BOOT_GROUP_OF[$k]}/host"
		BOOT_GROUPS+=("${BOOT_GROUP_OF[$k]}")
	fi
	# shellcheck disable=SC2034 # for the caller
	G=${BOOT_GROUP_OF[$k]}
}
# group_add GROUP ROWDIR LISTLINE: one more row in GROUP.
group_add() {
	mkdir -p "$1" "$2"
	echo "$2" >>"$1/rows"
	echo "$3" >>"$1/list"
	echo "$1" >"$2/group"
}
# boot_groups BOOT: boot every group not booted yet with "BOOT GROUP
# KERNEL CPU ROWS" (which boots GROUP/list into GROUP), split its TAP log
# (group_split) and keep BOOT's status in GROUP/rc.
boot_groups() {
	local g kernel cpu n vrc
	for g in "${BOOT_GROUPS[@]}"; do
		[ ! -f "$g/rc" ] || continue
		read -r kernel cpu <"$g/host"
		n=$(wc -l <"$g/rows")
		echo "--- boot ${g##*/}: $kernel kernel on -cpu $cpu, $n rows" >&2
		vrc=0
		"$1" "$g" "$kernel" "$cpu" "$n" || vrc=$?
		group_split "$g"
		echo "$vrc" >"$g/rc"
	done
}
# group_files GROUP: the files its rows need in the guest's / (GROUP/files).
group_files() { find "$1/files" -type f | sort | tr '\n' ' '; }
# group_rc ROWDIR: the status of the boot that ran the row (GROUP/rc).
group_rc() { cat "$(cat "$1/group")/rc"; }
# group_split GROUP: after the boot of GROUP/list into GROUP, give every
# row directory its own TAP log (tap_test in scripts/lib/tap.sh) and a link
# to the boot's console.
group_split() {
	local i=0 rd
	[ -f "$1/tap.log" ] || : >"$1/tap.log"
	while read -r rd; do
		i=$((i + 1))
		tap_test "$1/tap.log" "$i" >"$rd/tap.log"
		ln -sfn "$1/console.log" "$rd/console.log"
	done <"$1/rows"
}

# new_row_dir DIR: DIR, or DIR-2, DIR-3, ... if taken (the same row twice
# in a run keeps both logs).
new_row_dir() {
	local d=$1 n=2
	while [ -e "$d" ]; do d=$1-$n n=$((n + 1)); done
	echo "$d"
}

# demo_verdict WANT RC LOG: "PASS|FAIL SET_XSAVE GUEST NOTE" for one
# destination run: WANT is the row's expectation (ok, EINVAL, refused), RC
# the exit status of the VM that ran it (0: it reached its end), LOG the
# "# load: " and "# guest: " lines xsave_migrate printed (TAP comments).
#   ok       KVM_SET_XSAVE succeeds and the resumed guest verifies its registers
#   EINVAL   KVM_SET_XSAVE fails with EINVAL, the guest is not resumed
#   refused  KVM_SET_XSAVE succeeds, but the guest used what the host lacks:
#            KVM_SET_XCRS or KVM_SET_SREGS refuses it before it runs
# NOTE says what KVM dropped (XSTATE_BV of the image -> of KVM_GET_XSAVE
# after the restore, which also leaves out what the guest lacks) and which
# later ioctls refused.
demo_verdict() {
	local want=$1 rc=$2 log=$3 setx g bv bva later note v=FAIL
	setx=$(sed -n 's/^# load: KVM_SET_XSAVE=\([^ ]*\).*/\1/p' "$log" | head -n1)
	if grep -q '^# guest: verified' "$log"; then g=verified
	elif grep -q '^# guest: MISMATCH' "$log"; then g=MISMATCH
	else g=not-run; fi
	bv=$(sed -n 's/^# load: file=.* xstate_bv=\(0x[0-9a-f]*\).*/\1/p' "$log" | head -n1)
	bva=$(sed -n 's/^# load: KVM_SET_XSAVE=0 xstate_bv_after=\(0x[0-9a-f]*\).*/\1/p' "$log" | head -n1)
	later=$(sed -n 's/^# load: \(KVM_SET_\(XCRS\|SREGS\)=-E[A-Z]*\).*/\1/p' "$log" | paste -sd' ' -)
	note=${bva:+bv $bv->$bva}${later:+; $later}
	case $want in
	ok) [ "$rc" = 0 ] && [ "$setx" = 0 ] && [ "$g" = verified ] && v=PASS ;;
	EINVAL) [ "$rc" = 0 ] && [ "$setx" = -EINVAL ] && [ "$g" = not-run ] && v=PASS ;;
	refused) [ "$rc" = 0 ] && [ "$setx" = 0 ] && [ -n "$later" ] && [ "$g" = not-run ] && v=PASS ;;
	*) die "demo matrix: unknown expectation '$want'" ;;
	esac
	echo "$v ${setx:-?} $g $note"
}

# demo_row SOURCE KERNEL HOST QUIRK SET_XSAVE GUEST EXPECT RESULT [NOTE]:
# one line of the table; demo_row with the column names is its header.
demo_row() {
	printf '%-6s %-8s %-20s %-4s %-10s %-9s %-7s %-4s %s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "${9:-}"
}
# demo_header DEST: the header, DEST the title of the destination's column.
demo_header() {
	demo_row source dest-kern "$1" quirk SET_XSAVE guest expect res note
}

# demo_source DIR: one line on the source of DIR (build/demo/src-<name>):
# its name, its kernel and what it saved.
demo_source() {
	printf '  %-6s %-40s %s\n' "${1##*/src-}" "$(sed -n 's/^# source kernel: //p' "$1/tap.log" | head -n1)" \
		"$(sed -n 's/^# \(save: .*\)/\1/p' "$1/tap.log" | head -n1)"
}

# The QEMU rows (scripts/qemu-demo.sh: QEMU -incoming in the booted kernel).
# What QEMU 10 prints when the incoming state's KVM_SET_XSAVE fails, and
# exits with (expectation "refused" of a matrix row).
REFUSED_MSG='Putting registers after init: Failed to set XSAVE: Invalid argument'
REFUSED_RC=1
# ... and when KVM_SET_SREGS{,2} fails (expectation "refused-sregs").
REFUSED_SREGS_MSG='Putting registers after init: Failed to set special registers: Invalid argument'

# qemu_refused MESSAGE: the row's QEMU exited by itself with status
# $REFUSED_RC during the incoming migration after printing MESSAGE, was never
# resumed, and the guest never ran on the destination (qemu_verdict's g,
# qexit, resumed, dbg and t of the row).
qemu_refused() {
	[ "$g" = FAILED ] && [ "$qexit" = "exited by itself, exit status $REFUSED_RC" ] &&
		[ "$resumed" = no ] && [ "$dbg" = empty ] &&
		grep -qF -- "$1" < <(sed -n 's/^# qemu: //p' "$t")
}

# qemu_verdict WANT QUIRK RC LOG: the verdict of one QEMU destination row
# (selftests/demo/README.md): WANT its expectation, QUIRK its quirk column,
# RC the exit status of the VM that ran it, LOG its TAP log (the lines of
# selftests/qemu-migrate/qemu-load).  Prints, tab-separated: PASS or FAIL,
# the guest (verified, FAILED, not-run), the guest's own line, KVM_SET_XSAVE
# as the shim logged it, QEMU's exit, whether it was resumed, QEMU's messages.
qemu_verdict() {
	local want=$1 quirk=$2 rc=$3 t=$4 verdict g setx qmsg qexit resumed dbg qok sx sregs_failed v
	verdict=$(sed -n 's/^# qemu-guest: //p' "$t" | head -n1)
	case $verdict in
	verified*) g=verified ;;
	FAILED*) g=FAILED ;;
	*) g=not-run verdict="no verdict (boot.sh rc=$rc)" ;;
	esac
	setx=$(sed -n 's/^# incoming: qemu-shim: KVM_SET_XSAVE xstate_bv=\([^:]*\): \(.*\)/\2 (bv \1)/p' "$t" | tail -n1)
	[ "$quirk" = on-noshim ] && setx="n/a (no shim)"
	qmsg=$(sed -n 's/^# qemu: //p' "$t" | { grep -v '^(empty)$' || true; } | head -n3 | sed ':a;N;$!ba;s/\n/ | /g')
	qexit=$(sed -n 's/^# qemu-exit: //p' "$t" | head -n1)
	resumed=no
	grep -q '^# resume: cont sent' "$t" && resumed=yes
	# The destination's debugcon: empty = the guest never ran there.
	dbg=ran
	grep -q '^# debugcon: (empty)$' "$t" && dbg=empty
	qok=yes
	if [ "$quirk" = off ] && ! grep -q '^# qemu-shim: KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2.*: 0 ' "$t"; then
		qok=no
	fi
	# ok: the guest verified its state after the resume (and, with the
	# shim, KVM_SET_XSAVE of the incoming state returned 0).  fail: the
	# guest itself reported a FAIL (not a QEMU crash or a silent guest)
	# and, with the shim, KVM_SET_XSAVE returned -EINVAL.  refused:
	# QEMU exited by itself with status $REFUSED_RC and printed
	# $REFUSED_MSG during the incoming migration, was never resumed,
	# the guest never ran on the destination (empty debugcon), and,
	# with the shim, KVM_SET_XSAVE returned -EINVAL.  fail-sregs and
	# refused-sregs: the same, but it is KVM_SET_SREGS{,2} that
	# failed (with the shim: logged as failed, and KVM_SET_XSAVE
	# did not fail), QEMU 10 printing $REFUSED_SREGS_MSG.
	case $quirk in on-noshim) sx= ;; *) sx=$setx ;; esac
	sregs_failed=yes
	[ "$quirk" = on-noshim ] || grep -qE '^# (incoming: )?qemu-shim: KVM_SET_SREGS2?: -EINVAL' "$t" || sregs_failed=no
	v=FAIL
	if [ "$rc" = 0 ] && [ "$qok" = yes ]; then
		case $want in
		ok) [ "$g" = verified ] && case $sx in ""|"0 "*) v=PASS ;; esac ;;
		fail) [ "$g" = FAILED ] && case $verdict in *"(FAIL "*)
			case $sx in ""|-EINVAL*) v=PASS ;; esac ;; esac ;;
		refused)
			if qemu_refused "$REFUSED_MSG"; then
				case $sx in ""|-EINVAL*) v=PASS ;; esac
			fi ;;
		fail-sregs) [ "$g" = FAILED ] && [ "$sregs_failed" = yes ] && case $verdict in *"(FAIL "*)
			case $sx in -EINVAL*) ;; *) v=PASS ;; esac ;; esac ;;
		refused-sregs)
			if [ "$sregs_failed" = yes ] && qemu_refused "$REFUSED_SREGS_MSG"; then
				case $sx in -EINVAL*) ;; *) v=PASS ;; esac
			fi ;;
		esac
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$g" "$verdict" "${setx:-?}" "${qexit:-?}" "$resumed" "${qmsg:-(nothing)}"
}
