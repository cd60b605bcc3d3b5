#!/usr/bin/env bash
# make demo: reproduce the migration failure end to end and show the fix.
# A source host kernel that over-saves XSAVE state like v5.16 (v7.3 plus the
# reproducer in selftests/repro, NOT part of the series) saves a running VM
# with a minimal raw-KVM VMM (selftests/xsave-migrate); the state file is
# carried to destination hosts (other CPU models, unpatched and patched
# kernels, quirk on and off) that restore it and resume the guest, which
# checks its own registers.  Then the same with real QEMU inside the booted
# kernels (scripts/qemu-demo.sh, -accel kvm, migration to a file and
# -incoming): bookworm's QEMU 7.2, trixie's QEMU 10, and trixie's source with
# patches/qemu/.  Every table is one file of selftests/demo/ in one format
# (selftests/demo/README.md); its client line says who migrates: "vmm"
# tables run here, "qemu V" tables in scripts/qemu-demo.sh.  Prints all
# tables and "demo: N passed, N failed" over all rows.
# DEMO_MATRIX="TABLE..." (default selftests/demo/vmm, qemu-7.2, qemu-10,
# qemu-fix, qemu-control; scripts/check.sh runs the stable lines' tables this way);
# DEMO_QEMU=0 skips the QEMU tables.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=$TOP/scripts
out=$BUILD/demo
rm -rf "$out"
mkdir -p "$out" "$BUILD/guest-bin"

# On a fresh clone: packages, the Linux tree and the series first.
"$S/deps.sh"
need gcc make
"$S/get-tree.sh"
git -C "$TREE" rev-parse -q --verify series >/dev/null || "$S/apply.sh"
log "demo: building the VMM, the kernels and the initramfs"
make -s -C "$TOP/selftests" O="$BUILD/guest-bin" xsave_migrate
"$S/repro-tree.sh"
KERNEL=repro "$S/build-kernel.sh"
KERNEL=base "$S/build-kernel.sh"
KERNEL=patched "$S/build-kernel.sh"
[ -d "$BUILD/selftests/x86" ] || "$S/build-selftests.sh"
"$S/mkinitramfs.sh"

# KVM modules of Debian's 5.10 and their dependencies, in load order (the
# guest's demo-save loads every /*.ko listed in /modules.order).
DEB510_MODULES="virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko drivers/char/hw_random/rng-core.ko drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm-amd.ko"
# Debian bullseye's 5.10 kernel as a second, real (non-over-saving) source:
# its vmlinuz plus the KVM modules, from the archive (cached).
deb510() {
	local d=$BUILD/bullseye c=$CACHE/bullseye deb
	[ -f "$d/vmlinuz" ] && return 0
	mkdir -p "$c" "$d"
	deb=$(find "$c" -maxdepth 1 -name 'linux-image-5.10.*-amd64-unsigned_*.deb' | sort -V | tail -n1)
	if [ -z "$deb" ]; then
		pkg=$(apt_suite bullseye -qq --print-uris download linux-image-5.10.0-32-amd64-unsigned 2>/dev/null |
			awk '{print $2}' | head -n1)
		[ -n "$pkg" ] || die "linux-image-5.10.0-32-amd64-unsigned not found in bullseye"
		(cd "$c" && apt_suite bullseye -qq download linux-image-5.10.0-32-amd64-unsigned >&2) ||
			die "download of Debian's 5.10 kernel failed"
		deb=$(find "$c" -maxdepth 1 -name 'linux-image-5.10.*-amd64-unsigned_*.deb' | sort -V | tail -n1)
	fi
	rm -rf "$d/x" && dpkg-deb -x "$deb" "$d/x"
	for m in $DEB510_MODULES; do echo "/${m##*/}"; done >"$d/modules.order"
	cp "$d"/x/boot/vmlinuz-* "$d/vmlinuz"
	for m in $DEB510_MODULES; do
		cp "$d"/x/lib/modules/*/kernel/"$m" "$d/"
	done
	basename "$deb" >"$d/package"
	rm -rf "$d/x"
}
kimage() { # kimage KERNEL: the bzImage to boot
	case $1 in
	deb510) echo "$BUILD/bullseye/vmlinuz" ;;
	*) echo "$BUILD/$1/bzImage" ;;
	esac
}
kfiles() { # kfiles KERNEL: extra files for the guest's /
	case $1 in
	deb510) for m in $DEB510_MODULES; do printf '%s ' "$BUILD/bullseye/${m##*/}"; done
		echo "$BUILD/bullseye/modules.order" ;;
	esac
}
D=$TOP/selftests/demo
vmm_tables='' qemu_tables=''
for m in ${DEMO_MATRIX:-$D/vmm $D/qemu-7.2 $D/qemu-10 $D/qemu-fix $D/qemu-control}; do
	[ -f "$m" ] || die "no demo table $m"
	table_rows "$m" >/dev/null
	case $(table_client "$m") in
	vmm) vmm_tables="$vmm_tables $m" ;;
	"qemu "*) qemu_tables="$qemu_tables $m" ;;
	*) die "$m: no client line (vmm or qemu V; selftests/demo/README.md)" ;;
	esac
done
# shellcheck disable=SC2086
if [ -n "$vmm_tables" ] && grep -qhE '^source +[^ ]+ +deb510 ' $vmm_tables; then deb510; fi

# Rows that share a kernel and a CPU model run in one boot, sources and
# destinations apart, one after the other (group_for, group_add and
# boot_groups in scripts/lib/demo.sh); every row of a boot has that boot's
# status.
# boot_group GROUP KERNEL CPU ROWS: one boot of a group (boot_groups), 120 s
# for each row and 180 s for the boot.
boot_group() {
	VM_FILES="$(kfiles "$2") $(group_files "$1")" \
		"$S/boot.sh" "$(kimage "$2")" "$3" "$1/list" "$1" $((180 + 120 * $4)) >/dev/null
}

# shellcheck disable=SC2086
while read -r kind a b c d e; do
	[ "$kind" = source ] || continue
	name=$a kernel=$b cpu=$c xcr0=$d
	# All sources run before any destination: one name, one source.
	[ ! -e "$out/src-$name" ] || die "source $name twice in$vmm_tables (source names are unique across the tables of one run)"
	group_for "$out" src "$kernel" "$cpu"
	group_add "$G" "$out/src-$name" "demo-save 120 /bin/demo-save $xcr0"
	echo "--- source $name: $kernel kernel on -cpu $cpu, guest XCR0 $xcr0" >&2
done < <(table_rows $vmm_tables)
boot_groups boot_group
# shellcheck disable=SC2086
while read -r kind a b c d e; do
	case $kind in
	source)
		name=$a
		dir=$out/src-$name
		[ "$(group_rc "$dir")" = 0 ] || die "source $name: VM failed, see $dir/console.log"
		tap_block "$dir/tap.log" STATE >"$dir/state.b64"
		[ -s "$dir/state.b64" ] || die "source $name: no state saved, see $dir/tap.log"
		sed -n 's/^# \(save: .*\)/\1/p' "$dir/tap.log" | sed "s/^/    $name /" >&2
		;;
	dest)
		src=$a kernel=$b cpu=$c quirk=$d want=$e
		[ -s "$out/src-$src/state.b64" ] || die "destination of source '$src' before (or without) its source line"
		dir=$(new_row_dir "$out/dst-$src-$kernel-${cpu//[,+]/_}-$quirk")
		flag=
		[ "$quirk" = on ] || flag=--disable-quirk
		group_for "$out" dst "$kernel" "$cpu"
		cp "$out/src-$src/state.b64" "$G/files/$src.b64"
		group_add "$G" "$dir" "demo-load 120 /bin/demo-load /$src.b64 $flag"
		echo "$dir $src $kernel $cpu $quirk $want" >>"$out/dests"
		echo "--- destination: $kernel kernel on -cpu $cpu, quirk $quirk, state of $src" >&2
		;;
	esac
done < <(table_rows $vmm_tables)
boot_groups boot_group
table=$out/table
: >"$table"
pass=0 fail=0
if [ -f "$out/dests" ]; then
	while read -r dir src kernel cpu quirk want; do
		res=$(demo_verdict "$want" "$(group_rc "$dir")" "$dir/tap.log")
		read -r v setx g note <<<"$res"
		[ "$v" = PASS ] && pass=$((pass + 1)) || fail=$((fail + 1))
		demo_row "$src" "$kernel" "$cpu" "$quirk" "$setx" "$g" "$want" "$v" "$note" >>"$table"
	done <"$out/dests"
fi

if [ -n "$vmm_tables" ]; then
	echo
	echo "==== Raw-ioctl VMM:$(for m in $vmm_tables; do printf ' %s' "${m#"$TOP"/}"; done) ===="
	echo "Source hosts (repro = v7.3 + over-saving reproducer, see selftests/repro, NOT the series;"
	echo "deb510 = Debian bullseye's $(cat "$BUILD/bullseye/package" 2>/dev/null || echo 5.10 kernel)):"
	for d in "$out"/src-*; do demo_source "$d"; done
	echo
	demo_header dest-cpu
	cat "$table"
	echo
	echo "logs: $out"
	echo "demo (raw-ioctl VMM): $pass passed, $fail failed"
fi

if [ "${DEMO_QEMU:-1}" = 1 ] && [ -n "$qemu_tables" ]; then
	echo
	echo "==== Real QEMU: Debian's qemu-system-x86_64 -accel kvm inside the booted kernels ===="
	qrc=0
	# shellcheck disable=SC2086
	"$S/qemu-demo.sh" $qemu_tables | tee "$out/qemu-demo.log" || qrc=$?
	l=$(grep -E '^qemu-demo: [0-9]+ passed, [0-9]+ failed' "$out/qemu-demo.log" | tail -n1)
	if [ -n "$l" ]; then
		read -r _ qp _ qf _ <<<"$l"
		pass=$((pass + qp)) fail=$((fail + qf))
	else
		fail=$((fail + 1))
		echo "demo: the QEMU part did not finish (rc=$qrc), see $out/qemu-demo.log"
	fi
	# Every table must have run (each prints its own count line).
	for m in $qemu_tables; do
		if [ -n "$l" ] && ! grep -qE "^qemu-demo table ${m##*/} \(QEMU [^)]*\): [0-9]+ passed, [0-9]+ failed" "$out/qemu-demo.log"; then
			fail=$((fail + 1))
			echo "demo: no result of table ${m##*/} in $out/qemu-demo.log"
		fi
	done
fi
echo
echo "demo: $pass passed, $fail failed"
[ "$fail" = 0 ]
