# shellcheck shell=dash disable=SC2034
# Guest-side helpers for qemu-save / qemu-load (busybox sh, sourced).
# QEMU (the host's Debian qemu-system-x86_64 7.2 and its libraries, packed by
# scripts/qemu-cpio.sh, or Debian trixie's QEMU 10 under /qemu10, packed by
# scripts/qemu10-cpio.sh) runs inside the booted test kernel with -accel kvm,
# its HMP monitor on the fifos /tmp/mon.in and /tmp/mon.out.
D=${QEMU_MIGRATE_DIR:-/usr/share/qemu-migrate}
QEMU=${QEMU:-/usr/bin/qemu-system-x86_64}
MACHINE=pc

# l2_args VARIANT: the QEMU arguments of the L2 guest: "plain" (guest.bin,
# -cpu qemu64,+xsave), "pku" (guest-pku.bin, which uses protection keys,
# -cpu qemu64,+xsave,+pku) or "noxsave" (guest.bin, -cpu qemu64,-xsave).
l2_args() {
	local cpu=qemu64,+xsave bios=guest.bin
	case $1 in
	plain) ;;
	pku) cpu=$cpu,+pku bios=guest-pku.bin ;;
	noxsave) cpu=qemu64,-xsave ;;
	*) echo "unknown L2 guest '$1' (plain, pku or noxsave)"; exit 1 ;;
	esac
	QEMU_ARGS="-accel ${QEMU_ACCEL:-kvm} -nodefaults -no-user-config -display none -m 16 -cpu $cpu -bios $D/$bios -serial none -parallel none"
}
l2_args plain

# qemu_opt "$@": handle a leading "--qemu PATH" (the QEMU binary or wrapper
# to run; default /usr/bin/qemu-system-x86_64) and then "--l2 VARIANT" (the
# L2 guest, see l2_args); sets SHIFT to the number of arguments used.
qemu_opt() {
	SHIFT=0
	if [ "${1:-}" = --qemu ]; then
		[ -x "${2:-}" ] || { echo "no QEMU at '${2:-}'"; exit 1; }
		QEMU=$2
		SHIFT=2
		shift 2
	fi
	if [ "${1:-}" = --l2 ]; then
		l2_args "${2:-}"
		echo "l2-guest: ${2:-}"
		SHIFT=$((SHIFT + 2))
	fi
}

# machine_type: what "-M pc" is an alias of in this QEMU (pc-i440fx-X.Y).
machine_type() {
	$QEMU -M help 2>/dev/null | sed -n 's/^pc  .*(alias of \([^)]*\)).*/\1/p' | head -n1
}

# now: seconds since boot, two decimals.
now() { cut -d' ' -f1 /proc/uptime; }
# since T0: seconds elapsed since T0 (from now).
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# mon_start: create the monitor fifos and a reader copying everything QEMU
# prints on the monitor into /tmp/mon.log.
mon_start() {
	rm -f /tmp/mon.in /tmp/mon.out /tmp/mon.log
	mkfifo /tmp/mon.in /tmp/mon.out
	: >/tmp/mon.log
}
mon_reader() { cat /tmp/mon.out >>/tmp/mon.log & READER=$!; }

# mon CMD: send one HMP command.  In a child with a time limit: when QEMU
# exits (QEMU 10 does on a failed incoming migration) between alive() and the
# write, the write raises SIGPIPE, and an open of the fifo without a reader
# blocks; either must not take this script with it.
mon() {
	# shellcheck disable=SC2016
	timeout 10 sh -c 'echo "$1" >/tmp/mon.in' mon "$*" 2>/dev/null ||
		echo "monitor: command '$*' not delivered (QEMU gone)"
}

# alive: QEMU still running.
alive() { kill -0 "$QPID" 2>/dev/null; }

# wait_for FILE PATTERN SECONDS: poll until grep -q finds PATTERN in FILE
# (0), QEMU died (1) or the time is up (2).
wait_for() {
	local i=0
	while [ "$i" -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		alive || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 2
}

# mon_query CMD PATTERN SECONDS: send CMD, wait for PATTERN in new output;
# the new output of the command is left in /tmp/mon.reply.
mon_query() {
	local n
	n=$(wc -c </tmp/mon.log)
	mon "$1"
	local i=0
	while [ "$i" -lt $(($3 * 10)) ]; do
		tail -c +$((n + 1)) /tmp/mon.log >/tmp/mon.reply
		grep -q "$2" /tmp/mon.reply && return 0
		alive || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 2
}

# ticks FILE: number of "V" ticks the guest printed on debugcon.
ticks() { tr -cd V <"$1" | wc -c; }  # the guest prints no other capital V

# squeeze FILE: the debugcon output, "debugcon: " before each line, runs
# of "V" ticks written as [N x V].
squeeze() {
	[ -s "$1" ] || { echo "debugcon: (empty)"; return; }
	awk '{ o = ""; while (match($0, /VV+/)) { o = o substr($0, 1, RSTART - 1) "[" RLENGTH " x V]"; $0 = substr($0, RSTART + RLENGTH) } print "debugcon: " o $0 }' "$1"
}

# show TAG FILE: print FILE with every line prefixed by TAG (a last line
# without a newline, such as a monitor prompt, gets one).
show() { [ -s "$2" ] && awk -v t="$1" '{ print t $0 }' "$2" || echo "${1}(empty)"; }

# start_qemu DEBUGCON-FILE [QEMU ARGS...]: start QEMU in the background
# (QPID) with the monitor on the fifos, stdout+stderr in /tmp/qemu.out and
# the shim preloaded (QEMU_SHIM_* from the environment; not with NO_SHIM=1),
# and wait until its
# monitor is up.  "-M pc" wants KVM's in-kernel PIC/IOAPIC/PIT
# (KVM_CREATE_IRQCHIP, CONFIG_KVM_IOAPIC); a kernel without them makes QEMU
# exit with "Create kernel irqchip failed": then say so and retry once with
# kernel-irqchip=split (local APIC in KVM, the rest in QEMU), which needs no
# kernel option.  Returns 1 if QEMU did not come up.
start_qemu() {
	local dbg=$1 try=0 pre
	shift
	while :; do
		mon_start
		rm -f "$dbg" /tmp/qemu.out
		pre=$D/kvm-shim.so
		[ -n "${NO_SHIM:-}" ] && pre=
		# shellcheck disable=SC2086
		LD_PRELOAD=$pre QEMU_SHIM_LOG=/tmp/shim.log \
			$QEMU $QEMU_ARGS -M "$MACHINE" -debugcon "file:$dbg" -monitor pipe:/tmp/mon \
			"$@" >/tmp/qemu.out 2>&1 </dev/null &
		QPID=$!
		mon_reader
		wait_for /tmp/mon.log '(qemu)' 120 && return 0
		kill "$READER" 2>/dev/null
		if [ $try = 0 ] && grep -q 'Create kernel irqchip failed' /tmp/qemu.out; then
			echo "note: QEMU -M $MACHINE: $(head -n1 /tmp/qemu.out)"
			echo "note: KVM_CREATE_IRQCHIP is not there: kernel built without CONFIG_KVM_IOAPIC; retrying with kernel-irqchip=split"
			MACHINE=pc,kernel-irqchip=split
			try=1
			continue
		fi
		return 1
	done
}
