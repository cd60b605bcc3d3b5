# shellcheck shell=bash
# What the test VMs report (selftests/guest/init) and how long they may
# take.  Sourced by scripts/lib.sh.

# The host's TSC frequency in kHz, for tsc_early_khz= (no ACPI in the guest).
host_tsc_khz() {
	awk -F: '/^cpu MHz/ {printf "%d\n", $2 * 1000; exit}' /proc/cpuinfo
}

# tap_block LOG NAME: the lines a guest printed between "NAME-BEGIN" and
# "NAME-END" (carried as "# " comments in its TAP log), without the markers.
tap_block() {
	sed -n "/^# $2-BEGIN\$/,/^# $2-END\$/p" "$1" | sed '1d;$d;s/^# //'
}

# tap_test LOG I: the TAP log of the I-th test of a guest's list alone:
# the header (up to the plan line "1..N" and the init's notes after it),
# that test's comments and result line (the lines after result I-1, up to
# result I, by the results' own numbers), and the trailer after the last
# result (splat report, "vmtest: done").
tap_test() {
	awk -v i="$2" '
		!plan { print; if (/^1\.\./) { plan = 1; last = substr($0, 4) + 0 } next }
		n == 0 && /^# (checkers:|WARNING: \/dev\/kvm)/ { print; next }
		/^ok [0-9]+ / { n = $2 + 0; if (n == i) print; next }
		/^not ok [0-9]+ / { n = $3 + 0; if (n == i) print; next }
		n == i - 1 || n >= last { print }
	' "$1"
}

# tap_splat LOG: true if the guest's init reported a kernel splat (WARNING,
# BUG, KASAN, UBSAN, lockdep, ...) in its dmesg (selftests/guest/init).
tap_splat() {
	grep -q '^# vmtest: kernel splat' "$1" 2>/dev/null
}

# flavor_slowdown [FLAVOR]: factor for VM timeouts; debug kernels (KASAN,
# lockdep) run several times slower under TCG.
flavor_slowdown() {
	if [ -n "${1:-}" ]; then echo 3; else echo 1; fi
}

# tap_results RUNLIST TAPLOG: "<test> PASS|FAIL|SKIP" for each test of a run
# list (selftests/guest/init numbers them in order); a test that never
# reported is FAIL.
tap_results() {
	local i=0 name line s
	while read -r name _; do
		i=$((i + 1))
		line=$(grep -E "^(ok|not ok) $i $name( |\$)" "$2" 2>/dev/null | head -n1 || true)
		case $line in
		"ok "*"# SKIP"*) s=SKIP ;;
		"ok "*) s=PASS ;;
		*) s=FAIL ;;
		esac
		echo "$name $s"
	done <"$1"
}

# tap_output LOG NAME: what test NAME printed (the "# " lines between the
# previous result line and its own) and its result line, for a report.
# NAME is the result line's description, up to its " #" directive: the
# test of a run list, or "selftests: kvm: TEST" in run_kselftest.sh's KTAP.
tap_output() {
	awk -v t="$2" '/^(ok|not ok) [0-9]+ / {
		d = $0; sub(/^(not )?ok [0-9]+ /, "", d); sub(/ #.*$/, "", d)
		if (d == t) { printf "%s", buf; print; exit }
		buf = ""; next }
	/^# / { buf = buf $0 "\n" }' "$1"
}
