#!/bin/bash
# Run the guest blob under QEMU TCG (no KVM) with optional clobbers injected
# between the "saved" OUT and the checks (XM_TEST_HOOK), and check the status.
set -u
cd "$(dirname "$0")"
CPU=${CPU:-max}
pass=0; fail=0
run() {	# name xcr0 flags expect hook
	local name=$1 xcr0=$2 flags=$3 expect=$4 hook=$5
	gcc -O2 -static -Wall -Wextra -Werror -DXM_TEST_HOOK="\"$hook\\n\\t\"" \
		-o vmm.t ../xsave_migrate.c || exit 3
	# the decoder must see the same blob layout as the guest
	gcc -O0 -Wall -Wextra -DXM_TEST_HOOK="\"$hook\\n\\t\"" -o decode decode.c || exit 3
	sh extract_blob.sh vmm.t blob.bin >/dev/null
	as --32 --defsym XCR0=$xcr0 --defsym FLAGS=$flags mbstub.S -o mb.o &&
	ld -m elf_i386 --no-warn-rwx-segments -N -Ttext=0x100000 -e _start mb.o -o mb.elf || exit 3
	rm -f mem.bin
	out=$( (sleep ${WAIT:-4}; echo "pmemsave 0 0x200000 mem.bin"; echo "info registers"; sleep 1; echo quit) |
		timeout 60 qemu-system-x86_64 -accel tcg -cpu $CPU -m 16 -display none \
		-nodefaults -kernel mb.elf -monitor stdio 2>&1)
	st=$(echo "$out" | grep -o 'EAX=[0-9a-f]*' | head -1 | cut -d= -f2)
	eip=$(echo "$out" | grep -o 'EIP=[0-9a-f]*' | head -1 | cut -d= -f2)
	halted=$(echo "$out" | grep -o 'HLT=[01]' | head -1)
	stv=$(( 0x${st:-ffff} & 0xff ))
	msg=$(./decode mem.bin $stv)
	if [ "$stv" = "$expect" ] && [ "$halted" = "HLT=1" ]; then
		r=PASS; pass=$((pass+1)); else r=FAIL; fail=$((fail+1)); fi
	printf '%-5s %-14s xcr0=%s flags=%s status=%s want=%s eip=%s %s | %s\n' \
		$r "$name" $xcr0 $flags $stv $expect "$eip" "$halted" "$msg"
}
run clean          7 3 0 ""
run clean-sse      3 1 0 ""
run clean-noxsave  3 0 0 ""
run xcr0-param     7 3 1 "xorl \$4, 0x2000"
run fcw            7 3 2 "fninit"
run mxcsr          7 3 3 "ldmxcsr 0x2008"
run st0            7 3 4 "fchs"
run xmm3           7 3 5 "pxor %xmm3, %xmm3"
run ymm6-hi        7 3 6 "vinsertf128 \$1, %xmm0, %ymm6, %ymm6"
run ymm-unchecked  3 1 0 ""
run xmm7-sse       3 1 5 "pcmpeqb %xmm7, %xmm7"
echo "pass=$pass fail=$fail"
[ $fail = 0 ]
