#!/usr/bin/env bash
# Stage: KVM-unit-tests (the upstream KVM test suite) in L2 guests.
#   1. the pinned source, $THIRD_PARTY/kvm-unit-tests-1da1819e.tar.xz
#      (sha256 checked), unpacked and built on the host (./configure && make)
#      in build/kvm-unit-tests/src, rebuilt only when the tarball or the
#      compiler changes;
#   2. the tests of selftests/kvm-unit-tests (KUT_LIST), each with the
#      arguments of its section of the suite's x86/unittests.cfg (file, smp,
#      test_args, qemu_params, check, timeout), turned into the QEMU command
#      line the suite's x86/run builds, with -machine accel=kvm;
#   3. an extra cpio archive (boot.sh VM_CPIO): the host's QEMU 7.2 with its
#      libraries (scripts/qemu-pack.sh, as the migration demo packs it), the
#      firmware the suite's multiboot images need (SeaBIOS, the multiboot
#      and vapic option ROMs), the .flat files of the listed tests, their
#      command lines and the guest runner selftests/guest/kvm-unit-test;
#   4. for each host model of the list (config/hosts; MODELS restricts
#      them), one VM per kernel (build/base, then build/patched) that runs
#      the model's tests one after the other, QEMU inside the VM with
#      -accel kvm, each bounded in time: a QEMU/TCG host (scripts/boot.sh,
#      nested SVM) or a Bochs host (scripts/bochs-boot.sh with the same
#      archive, nested VMX; the Bochs build of scripts/bochs.sh).
# Criterion, per test and model: the same result on base and patched, that
# result is the list's expectation (a SKIP for a feature the model lacks is
# expected as such), and unless the expectation is FAIL the same numbers of
# passed, failed and skipped checks.  A VM that hangs or crashes, or a
# kernel splat, fails too.  Logs: build/kvm-unit-tests/<kernel>/<model>/ (console.log,
# tap.log with each test's output, results).  Prints a table and ends with
# "kvm-unit-tests: N passed, N failed"; exits non-zero on any failure.
# Without the tarball: "kvm-unit-tests: SKIP (reason)", 0 passed, 0 failed,
# exit 0; a Bochs host without the pinned Bochs source is a reported SKIP.
# Env: THIRD_PARTY (directory of the pinned third-party sources, default
# ../shared/third-party next to the repository), KUT_LIST (the test list),
# MODELS (restricts the host models).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu-pack.sh"
THIRD_PARTY=${THIRD_PARTY:-$TOP/../shared/third-party}
KUT_LIST=${KUT_LIST:-$TOP/selftests/kvm-unit-tests}
KUT=kvm-unit-tests-1da1819e
KUT_SHA256=b04a46156f2bfb9305dae3365147d07590d9855cb0ed7e0da5873d8447576fcb
tarball=$THIRD_PARTY/$KUT.tar.xz
out=$BUILD/kvm-unit-tests
# A test's bound in the guest: its cfg timeout (90 s when it has none)
# times this factor (three levels of virtualization under TCG), at least
# MIN_BOUND seconds.
SCALE=3 MIN_BOUND=120

if [ ! -f "$tarball" ]; then
	echo "kvm-unit-tests: SKIP (no $tarball; THIRD_PARTY names the directory of the pinned third-party sources)"
	echo "kvm-unit-tests: 0 passed, 0 failed"
	exit 0
fi
need tar xz sha256sum make gcc ld ar objcopy ldd cpio qemu-system-x86_64 timeout
[ -f "$KUT_LIST" ] || die "no test list $KUT_LIST"
for k in base patched; do
	[ -f "$BUILD/$k/bzImage" ] || die "no $BUILD/$k/bzImage; run 'make kernels'"
done

pass=0 fail=0 done_line=
# Any early exit still ends with the result line (one more failure).
trap '[ -n "$done_line" ] || echo "kvm-unit-tests: $pass passed, $((fail + 1)) failed"' EXIT
mkdir -p "$out"
T0=$(date +%s)

# 1. The suite, built on the host.
src=$out/src/kvm-unit-tests
sum=$(sha256sum "$tarball" | cut -d' ' -f1)
[ "$sum" = "$KUT_SHA256" ] || die "$tarball: sha256 $sum, expected $KUT_SHA256"
stamp="$sum $(gcc -dumpfullversion) $(ld --version | head -n1)"
if [ "$(cat "$out/src/.built" 2>/dev/null)" != "$stamp" ]; then
	t0=$(date +%s)
	rm -rf "$out/src"
	mkdir -p "$out/src"
	tar -xJf "$tarball" -C "$out/src"
	[ -f "$src/x86/unittests.cfg" ] || die "$tarball has no kvm-unit-tests/x86/unittests.cfg"
	(cd "$src" && ./configure && make -j"$JOBS") >"$out/build.log" 2>&1 ||
		die "the KVM-unit-tests build failed, see $out/build.log"
	echo "$stamp" >"$out/src/.built"
	log "kvm-unit-tests: built $KUT in $(($(date +%s) - t0)) s ($(find "$src/x86" -name '*.flat' | wc -l) x86 tests)"
else
	log "kvm-unit-tests: $KUT already built ($out/src)"
fi
cfg=$src/x86/unittests.cfg

# cfg_get TEST KEY: KEY of TEST's section of unittests.cfg (empty if unset;
# qemu_params also as its older name extra_params).
cfg_get() {
	awk -v t="[$1]" -v k="$2" '
		/^\[/ { in_t = ($0 == t); if (in_t) found = 1; next }
		in_t && /^[a-z_]+[ \t]*=/ {
			key = $0; sub(/[ \t]*=.*/, "", key)
			if (key == "extra_params") key = "qemu_params"
			if (key != k) next
			v = $0; sub(/^[a-z_]+[ \t]*=[ \t]*/, "", v); print v
		}
		END { exit !found }' "$cfg"
}
# seconds DURATION: a cfg timeout (90, 90s, 2m) in seconds.
seconds() {
	case $1 in
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}

# 2. The list: "<test> <models> <expected> [model=RESULT...]"; models are
# the QEMU/TCG hosts of config/hosts that make check runs ("all": every one)
# and its Bochs hosts.
all_models=$(qemu_models | awk '{print $1}')
bochs_models=$(bochs_models)
declare -A bound=() tmodels=() texpect=()
tests=()
root=$out/root
rm -rf "$root"
mkdir -p "$root/kut/x86" "$root/kut/tests" "$root/bin"
while read -r t ms exp rest; do
	case $exp in PASS | SKIP | FAIL) ;; *) die "$KUT_LIST: $t: expected '$exp' (PASS, SKIP or FAIL)" ;; esac
	[ "$ms" != all ] || ms=$(echo "$all_models" | paste -sd,)
	tmodels[$t]=" ${ms//,/ } "
	texpect[$t]=$exp
	for o in $rest; do
		case $o in *=PASS | *=SKIP | *=FAIL) ;; *) die "$KUT_LIST: $t: '$o' is not MODEL=PASS|SKIP|FAIL" ;; esac
		case ${tmodels[$t]} in *" ${o%%=*} "*) ;; *) die "$KUT_LIST: $t: '$o' names a model the test does not run on" ;; esac
		texpect[$t]="${texpect[$t]} $o"
	done
	for m in ${tmodels[$t]}; do
		grep -qx -- "$m" < <(printf '%s\n' "$all_models" "$bochs_models") ||
			die "$KUT_LIST: $t: '$m' is not a QEMU/TCG or Bochs host of config/hosts that make check runs"
	done
	file=$(cfg_get "$t" file) || die "$KUT_LIST: no test [$t] in $KUT's x86/unittests.cfg"
	arch=$(cfg_get "$t" arch)
	[ -z "$arch" ] || [ "$arch" = x86_64 ] || die "$KUT_LIST: $t is an $arch test (the build is x86_64)"
	accel=$(cfg_get "$t" accel)
	[ -z "$accel" ] || [ "$accel" = kvm ] || die "$KUT_LIST: $t needs accel=$accel"
	case $(cfg_get "$t" qemu_params) in *'"""'*) die "$KUT_LIST: $t: multi-line qemu_params are not handled" ;; esac
	[ -f "$src/x86/$file" ] || die "$t: $file was not built (see $out/build.log)"
	cp "$src/x86/$file" "$root/kut/x86/"
	smp=$(cfg_get "$t" smp)
	args=$(cfg_get "$t" test_args)
	# The command line of the suite's x86/run (QEMU 7.2 has pc-testdev and
	# pci-testdev), then "-kernel FILE -smp N [-append ARGS] PARAMS" as
	# scripts/runtime.bash passes them; the guest's sh expands ARGS and
	# PARAMS as the suite's eval does.
	echo "exec /usr/bin/qemu-system-x86_64 --no-reboot -nodefaults -global kvm-pit.lost_tick_policy=discard" \
		"-device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 -display none -serial stdio" \
		"-device pci-testdev -machine accel=kvm -kernel /kut/x86/$file -smp ${smp:-1}" \
		"${args:+-append $args }$(cfg_get "$t" qemu_params)" >"$root/kut/tests/$t"
	chk=$(cfg_get "$t" check)
	[ -z "$chk" ] || echo "$chk" >"$root/kut/tests/$t.check"
	to=$(cfg_get "$t" timeout)
	b=$(($(seconds "${to:-90}") * SCALE))
	[ "$b" -ge "$MIN_BOUND" ] || b=$MIN_BOUND
	bound[$t]=$b
	tests+=("$t")
done < <(strip_comments "$KUT_LIST")
[ ${#tests[@]} -gt 0 ] || die "$KUT_LIST lists no test"
cp "$TOP/selftests/guest/kvm-unit-test" "$TOP/selftests/guest/bounded" "$root/bin/"
chmod +x "$root/bin/kvm-unit-test" "$root/bin/bounded"

# 3. QEMU and the firmware for "-kernel X.flat" (multiboot) on "-M pc": what
# QEMU opens (strace -e openat on the host).
pack_host_qemu "$root" /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
	/usr/share/qemu/multiboot_dma.bin
pack_cpio "$root" "$out/kut.cpio"
MINIMAL=1 "$TOP/scripts/mkinitramfs.sh" "$out/initramfs.cpio"
log "kvm-unit-tests: $out/kut.cpio: ${#tests[@]} tests, QEMU $(qemu-system-x86_64 --version |
	sed -n 's/^QEMU emulator version \([^ ]*\).*/\1/p'), $PACKED_LIBS libraries, $(du -m "$out/kut.cpio" | cut -f1) MiB"
echo "build $(($(date +%s) - T0))" >"$out/times"

# 4. One VM per model and kernel.
# tests_on MODEL: the list's tests on MODEL, in list order.
tests_on() {
	local t
	for t in "${tests[@]}"; do
		case ${tmodels[$t]} in *" $1 "*) echo "$t" ;; esac
	done
}
# expect_of TEST MODEL: what the list expects of TEST on MODEL.
expect_of() {
	local r rest o
	read -r r rest <<<"${texpect[$1]}"
	for o in $rest; do [ "${o%%=*}" != "$2" ] || r=${o#*=}; done
	echo "$r"
}
models=()
for m in $all_models $bochs_models; do
	if [ -n "${MODELS:-}" ] && ! grep -q " $m " <<<" $MODELS "; then continue; fi
	[ -z "$(tests_on "$m")" ] || models+=("$m")
done
[ ${#models[@]} -gt 0 ] || die "no host model to run (MODELS='${MODELS:-}')"
declare -A vmok=() skipped=()
for m in "${models[@]}"; do
	# A QEMU/TCG host: boot.sh with its -cpu; a Bochs host: bochs-boot.sh
	# with its name, after its Bochs build (built once, cached; a reported
	# SKIP without its pinned source).
	boot=boot.sh target=$(cpu_of "$m") vmtmo0=120
	if grep -qx -- "$m" <<<"$bochs_models"; then
		BOCHS_PHASE=build MODELS=$m "$TOP/scripts/bochs.sh" >"$out/bochs-build-$m.log" 2>&1 || true
		if grep -q '^bochs: SKIP' "$out/bochs-build-$m.log"; then
			echo "kvm-unit-tests: SKIP host $m: $(sed -n 's/^bochs: SKIP //p' "$out/bochs-build-$m.log" | head -n1)"
			skipped[$m]=1
			continue
		fi
		boot=bochs-boot.sh target=$m vmtmo0=300
	fi
	for k in base patched; do
		d=$out/$k/$m
		rm -rf "$d"
		mkdir -p "$d"
		: >"$d/run.list"
		vmtmo=$vmtmo0
		for t in $(tests_on "$m"); do
			# The init's bound is a backstop: the runner kills QEMU first.
			echo "$t $((bound[$t] + 30)) /bin/kvm-unit-test $t ${bound[$t]}" >>"$d/run.list"
			vmtmo=$((vmtmo + bound[$t] + 30))
		done
		log "kvm-unit-tests: $k on $m ($boot $target): $(wc -l <"$d/run.list") tests, VM bound ${vmtmo}s"
		t0=$(date +%s)
		vrc=0
		VM_INITRAMFS=$out/initramfs.cpio VM_CPIO=$out/kut.cpio \
			"$TOP/scripts/$boot" "$BUILD/$k/bzImage" "$target" "$d/run.list" "$d" "$vmtmo" >/dev/null || vrc=$?
		echo "$k-$m $(($(date +%s) - t0))" >>"$out/times"
		tap_results "$d/run.list" "$d/tap.log" >"$d/results"
		vmok[$k-$m]=ok
		case $vrc in
		0) ;;
		2) vmok[$k-$m]="VM hang (no end within ${vmtmo}s; see $d)" ;;
		*) vmok[$k-$m]="VM crash ($boot rc=$vrc)" ;;
		esac
		# The kernel splat line of the guest's init (boot.sh) or of
		# bochs-run.sh's init.
		! { tap_splat "$d/tap.log" || grep -q '^# kernel splat' "$d/tap.log"; } || vmok[$k-$m]="kernel splat"
		log "kvm-unit-tests: $k on $m: $(awk '{print $2}' "$d/results" | sort | uniq -c | awk '{printf "%s %s ", $1, $2}')in $(($(date +%s) - t0)) s (${vmok[$k-$m]})"
	done
done

# 5. The comparison.
# checks_of TAPLOG TEST: the checks TEST reported, "passed/failed/skipped"
# (PASS and XPASS, FAIL, KFAIL and XFAIL, SKIP lines of its output), then
# why it skipped or failed: its first SKIP or FAIL line, else the last line
# it printed before its summary (a test that skips without a SKIP check,
# e.g. pku's "PKU not enabled"), else the runner's verdict (e.g. a cfg
# "check" that does not hold).
checks_of() {
	awk -v t="$2" '
		/^(ok|not ok) [0-9]+ / {
			if ($0 ~ "^(ok|not ok) [0-9]+ " t "( |$)") {
				why = first != "" ? first : (last != "" ? last : runner)
				if ($0 ~ /^ok / && $0 !~ /# SKIP/) why = ""
				printf "%d/%d/%d %s\n", p, f, s, substr(why, 1, 110); exit
			}
			p = f = s = summary = inrun = 0; first = last = runner = ""; next
		}
		/^# kvm-unit-test: exec / { inrun = 1; next }
		/^# (PASS|XPASS): / { p++ }
		/^# (FAIL|KFAIL|XFAIL): / { f++ }
		/^# SKIP: / { s++ }
		first == "" && /^# (SKIP|FAIL): / { first = substr($0, 3) }
		/^# kvm-unit-test: (SKIP|FAIL) / { runner = substr($0, 3); next }
		/^# SUMMARY: / { summary = 1; next }
		/^# (kvm-unit-test|stderr): / { next }
		inrun && !summary && /^# ./ { last = substr($0, 3) }' "$1"
}
printf '%-44s %-10s %-6s %-7s %-6s %-9s %s\n' test model base patched expect checks verdict
for m in "${models[@]}"; do
	[ -z "${skipped[$m]:-}" ] || continue
	for k in base patched; do
		if [ "${vmok[$k-$m]}" != ok ]; then
			echo "FAIL: $k on $m: ${vmok[$k-$m]}; see $out/$k/$m/console.log"
			fail=$((fail + 1))
		fi
	done
	for t in $(tests_on "$m"); do
		rb=$(awk -v t="$t" '$1 == t {print $2}' "$out/base/$m/results")
		rp=$(awk -v t="$t" '$1 == t {print $2}' "$out/patched/$m/results")
		chb=$(checks_of "$out/base/$m/tap.log" "$t")
		chp=$(checks_of "$out/patched/$m/tap.log" "$t")
		want=$(expect_of "$t" "$m")
		# The numbers of checks too, unless the test is a known failure
		# (how far a test gets after a failure under TCG can depend on
		# timing: xsave's XCR0 checks on the exits between them).
		if [ "$rb" != "$rp" ]; then
			v="FAIL: results differ"
		elif [ "$want" != FAIL ] && [ "${chb%% *}" != "${chp%% *}" ]; then
			v="FAIL: checks differ (base ${chb%% *})"
		elif [ "$rb" != "$want" ]; then
			v="FAIL: not $want"
		else
			v=ok
		fi
		why=${chp#* }
		printf '%-44s %-10s %-6s %-7s %-6s %-9s %s\n' "$t" "$m" "$rb" "$rp" "$want" "${chp%% *}" "$v${why:+ ($why)}"
		if [ "$v" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
	done
done
echo "kvm-unit-tests: $(($(date +%s) - T0)) s; logs in $out/<kernel>/<model>/"
done_line=1
echo "kvm-unit-tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
