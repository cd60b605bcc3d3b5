/*
 * Tiny L2 guest for the QEMU migration demo (scripts/qemu-demo.sh): a flat
 * 64 KiB BIOS image for "qemu-system-x86_64 -bios guest.bin".  QEMU maps it
 * at 0xF0000 and at the top of 4 GiB; the CPU starts at 0xFFFFFFF0.
 *
 * Real mode throughout.  The guest installs an IVT whose handlers print
 * "FAIL exception N" on the debugcon port (0xe9) and halt, enables SSE (and
 * with XSETBV=1 also XSAVE with XCR0 = x87|SSE when CPUID has it), loads
 * distinct patterns into FCW, MXCSR, the eight x87 registers and XMM0-7,
 * prints "READY", and then loops forever: FXSAVE, compare every field with
 * the pattern, print "FAIL <field> got <hex>" and halt on a mismatch; every
 * 2^TICK_SHIFT verified iterations also check CR4 (and XCR0) and print "V".
 *
 * A migrated guest whose FPU state was not restored (QEMU 7.2 ignores a
 * failing KVM_SET_XSAVE: GPRs and segment/control registers are loaded,
 * XSAVE, XCRs and everything after are not) runs on with the reset FPU state
 * (FCW 0x37f, MXCSR 0x1f80, empty x87 stack, zero XMM) and XCR0 = 1: the
 * first check after the resume prints FAIL, never a "V".
 *
 * With PKU=1 the guest also sets CR4.PKE and PKRU = 0x55555554 and checks
 * both every tick: a guest that really uses a feature the destination may
 * lack.
 *
 * Build: as --64 (+ --defsym TICK_SHIFT=N, XSETBV=0/1, PKU=0/1), ld -Ttext 0,
 * objcopy -O binary.  See scripts/qemu-cpio.sh.
 */
	.code16

	.ifndef TICK_SHIFT
	.set TICK_SHIFT, 16
	.endif
	.ifndef XSETBV
	.set XSETBV, 0
	.endif
	.ifndef PKU
	.set PKU, 0
	.endif

	.set DBG, 0xe9			/* QEMU debugcon (isa-debugcon iobase) */
	.set SCRATCH, 0x8000		/* FXSAVE area in RAM (ES = 0) */
	.set FLAGS, 0x7f00		/* RAM: bit 0 = XSAVE enabled */
	.set CR4_WANT, (1 << 9) | (1 << 10)	/* OSFXSR | OSXMMEXCPT */
	.set CR4_OSXSAVE, 1 << 18
	.set CR4_PKE, 1 << 22
	.set PKRU_WANT, 0x55555554	/* access-disable keys 1-15 */

	.text
	.globl _start
_start:					/* F000:0000 */
	cli
	cld
	xorw %ax, %ax
	movw %ax, %es
	movw %ax, %ss
	movw $0x7000, %sp
	movw $0xf000, %ax
	movw %ax, %ds			/* DS = this image (strings, patterns) */
	movw $0, %es:FLAGS

	/* IVT at 0:0: vectors 0-31 -> numbered stubs, 32-255 -> stub 255. */
	xorw %di, %di
	xorw %bx, %bx
1:	movw $exc_other, %ax
	cmpw $32, %bx
	jae 2f
	movw %bx, %ax
	shlw $3, %ax
	addw $exc_stubs, %ax
2:	stosw				/* offset */
	movw $0xf000, %ax
	stosw				/* segment */
	incw %bx
	cmpw $256, %bx
	jb 1b

	movw $msg_boot, %si
	call puts

	/* SSE: CR0.EM = 0, TS = 0, CD = NW = 0, MP = 1, NE = 1. */
	movl %cr0, %eax
	andl $~((1 << 2) | (1 << 3) | (1 << 29) | (1 << 30)), %eax
	orl $(1 << 1) | (1 << 5), %eax
	movl %eax, %cr0
	movl %cr4, %eax
	orl $CR4_WANT, %eax
	movl %eax, %cr4

	/*
	 * XSAVE: CR4.OSXSAVE, XCR0 = x87 | SSE, only with XSETBV=1: under
	 * nested SVM emulated by QEMU 7.2's TCG the L2 guest's XSETBV is not
	 * intercepted, so it never reaches L1 KVM, whose vCPU keeps XCR0 = 1
	 * and reloads that on the next VM entry (see qemu-demo.sh).
	 */
	.if XSETBV
	movl $1, %eax
	xorl %ecx, %ecx
	cpuid
	testl $(1 << 26), %ecx
	jz 3f
	movl %cr4, %eax
	orl $CR4_OSXSAVE, %eax
	movl %eax, %cr4
	xorl %ecx, %ecx
	xorl %edx, %edx
	movl $3, %eax
	xsetbv
	xorl %ecx, %ecx
	xgetbv				/* before any VM exit */
	movl %eax, %edx
	orw $1, %es:FLAGS
	movw $msg_xsave, %si
	call puts
	call puthex32
	movb $'\n', %al
	outb %al, $DBG
3:
	.endif
	/*
	 * PKU=1: a guest that uses protection keys (CR4.PKE, WRPKRU; no XCR0
	 * change, see above), so its saved state has PKRU in use.  Fails if
	 * CPUID has no PKU: such a guest must not silently become another.
	 */
	.if PKU
	movl $7, %eax
	xorl %ecx, %ecx
	cpuid
	movl %ecx, %eax			/* shown by fail_reg */
	testl $(1 << 3), %ecx
	movw $name_pku, %si
	jz fail_reg
	movl %cr4, %eax
	orl $CR4_PKE, %eax
	movl %eax, %cr4
	movl $PKRU_WANT, %eax
	xorl %ecx, %ecx
	xorl %edx, %edx
	wrpkru
	orw $2, %es:FLAGS
	movw $msg_pku, %si
	call puts
	.endif
	/* Patterns. */
	fninit
	fldcw exp
	ldmxcsr exp + 24
	.irp i, 7, 6, 5, 4, 3, 2, 1, 0
	fldt exp + 32 + 16 * \i		/* ST(i) after the last push */
	.endr
	.irp i, 0, 1, 2, 3, 4, 5, 6, 7
	movdqu exp + 160 + 16 * \i, %xmm\i
	.endr

	movw $msg_ready, %si
	call puts
	xorl %ebp, %ebp			/* verified iterations */

verify:
	fxsave %es:SCRATCH
	movw $fields, %bx
4:	movw 2(%bx), %cx		/* length; 0 ends the table */
	jcxz 5f
	movw (%bx), %si
	movw %si, %di
	addw $exp, %si
	addw $SCRATCH, %di
	repe cmpsb
	jne fail_field
	addw $6, %bx
	jmp 4b
5:
	incl %ebp
	testl $((1 << TICK_SHIFT) - 1), %ebp
	jnz verify
	/* Every 2^TICK_SHIFT iterations: control registers (CR4 reads exit to KVM), then a tick. */
	movl %cr4, %eax
	andl $CR4_WANT, %eax
	cmpl $CR4_WANT, %eax
	movw $name_cr4, %si
	jne fail_reg
	testw $1, %es:FLAGS
	jz 6f
	movl %cr4, %eax
	testl $CR4_OSXSAVE, %eax
	movw $name_cr4, %si
	jz fail_reg
	xorl %ecx, %ecx
	xgetbv
	cmpl $3, %eax
	movw $name_xcr0, %si
	jne fail_reg
6:
	testw $2, %es:FLAGS
	jz 10f
	movl %cr4, %eax
	testl $CR4_PKE, %eax
	movw $name_cr4, %si
	jz fail_reg
	xorl %ecx, %ecx
	rdpkru
	cmpl $PKRU_WANT, %eax
	movw $name_pkru, %si
	jne fail_reg
10:
	movb $'V', %al
	outb %al, $DBG
	jmp verify

	/* Field at (%bx) differs: "FAIL <name> got <observed bytes, hex>". */
fail_field:
	movw $msg_fail, %si
	call puts
	movw 4(%bx), %si
	call puts
	movw $msg_got, %si
	call puts
	movw (%bx), %di
	addw $SCRATCH, %di
	movw 2(%bx), %cx
7:	movb %es:(%di), %al
	call puthex8
	incw %di
	loop 7b
	jmp fail_end

	/* Register named at %si differs; %eax holds what it was. */
fail_reg:
	movl %eax, %edx
	pushw %si
	movw $msg_fail, %si
	call puts
	popw %si
	call puts
	movw $msg_got, %si
	call puts
	call puthex32
	jmp fail_end

	/* Exception stubs: push the vector, then the common handler. */
	.balign 8
exc_stubs:
	.set vec, 0
	.rept 32
	.balign 8
	pushw $vec
	jmp exc_common
	.set vec, vec + 1
	.endr
exc_other:
	pushw $255
exc_common:
	movw $0xf000, %ax
	movw %ax, %ds
	movw $msg_exc, %si
	call puts
	popw %ax
	call putdec
fail_end:
	movb $'\n', %al
	outb %al, $DBG
9:	cli
	hlt
	jmp 9b

	/* puts: print the NUL-terminated string at DS:SI. */
puts:
	lodsb
	testb %al, %al
	jz 1f
	outb %al, $DBG
	jmp puts
1:	ret

	/* putdec: print AX in decimal. */
putdec:
	movw $10, %cx
	xorw %bx, %bx
1:	xorw %dx, %dx
	divw %cx
	pushw %dx
	incw %bx
	testw %ax, %ax
	jnz 1b
2:	popw %ax
	addb $'0', %al
	outb %al, $DBG
	decw %bx
	jnz 2b
	ret

	/* puthex32: print EDX as 8 hex digits, high byte first (clobbers AX, CX, EDX). */
puthex32:
	movw $4, %cx
1:	roll $8, %edx
	movb %dl, %al
	call puthex8
	loop 1b
	ret

	/* puthex8: print AL as two hex digits (clobbers AX). */
puthex8:
	pushw %ax
	shrb $4, %al
	call 1f
	popw %ax
1:	andb $0xf, %al
	addb $'0', %al
	cmpb $'9', %al
	jbe 2f
	addb $'a' - '9' - 1, %al
2:	outb %al, $DBG
	ret

msg_boot:	.asciz "guest: boot\n"
msg_xsave:	.asciz "guest: xsave enabled, xsetbv 0x3, xgetbv: "
msg_ready:	.asciz "READY\n"
msg_pku:	.asciz "guest: pku enabled, pkru 0x55555554\n"
msg_fail:	.asciz "\nFAIL "
msg_got:	.asciz " got "
msg_exc:	.asciz "\nFAIL exception "
name_cr4:	.asciz "cr4"
name_xcr0:	.asciz "xcr0"
name_pku:	.asciz "cpuid7.ecx (no pku)"
name_pkru:	.asciz "pkru"
name_fcw:	.asciz "fcw"
name_ftw:	.asciz "ftw"
name_mxcsr:	.asciz "mxcsr"
	.irp i, 0, 1, 2, 3, 4, 5, 6, 7
name_st\i:	.asciz "st\i"
name_xmm\i:	.asciz "xmm\i"
	.endr

	/* Compared fields of the FXSAVE image: offset, length, name. */
	.balign 2
fields:
	.word 0, 2, name_fcw
	.word 4, 1, name_ftw		/* abridged tag word: all valid */
	.word 24, 4, name_mxcsr
	.irp i, 0, 1, 2, 3, 4, 5, 6, 7
	.word 32 + 16 * \i, 10, name_st\i
	.endr
	.irp i, 0, 1, 2, 3, 4, 5, 6, 7
	.word 160 + 16 * \i, 16, name_xmm\i
	.endr
	.word 0, 0, 0

	/* The expected FXSAVE image (patterns are loaded from here too). */
	.balign 16
exp:
	.word 0x0e7f			/* FCW: all masked, PC=double, RC=chop */
	.word 0				/* FSW (not compared) */
	.byte 0xff			/* FTW (abridged): 8 valid registers */
	.fill 19, 1, 0
	.long 0x7f80			/* MXCSR: all masked, RC=chop */
	.long 0				/* MXCSR_MASK (not compared) */
	.irp i, 0, 1, 2, 3, 4, 5, 6, 7
	.quad 0xc0de0000f00d5a00 + \i * 0x0001000100010011	/* significand, J=1 */
	.word 0x3ff0 + \i * 3		/* positive, normal exponent */
	.fill 6, 1, 0
	.endr
	.irp i, 0, 1, 2, 3, 4, 5, 6, 7
	.quad 0x0123456789abcdef ^ (\i * 0x1111111111111111)
	.quad 0xfedcba9876543210 ^ (\i * 0x0101010101010101) ^ 0x5a5a
	.endr

	/* Reset vector at 0xFFFFFFF0 (image offset 0xFFF0). */
	.org 0xfff0
	ljmp $0xf000, $_start
	.org 0x10000
