# shellcheck shell=bash
# The raw-VMM migration rows (selftests/xsave-migrate's "load" on a
# destination host): one verdict and one table layout for scripts/demo.sh
# (QEMU/TCG destinations) and scripts/bochs.sh (Bochs destinations).
# Sourced by scripts/lib.sh.

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
