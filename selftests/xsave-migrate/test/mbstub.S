/* Multiboot (v1) stub for QEMU -kernel: QEMU enters in flat 32-bit protected
 * mode without paging, exactly the environment xsave_migrate gives its guest.
 * Writes the parameter block, copies the guest blob to 0x8000 and jumps there.
 * as --32 --defsym XCR0=7 --defsym FLAGS=3 mbstub.S */
	.text
	.code32
	.globl _start
	.balign 4
mbh:	.long 0x1badb002, 0, -0x1badb002
_start:
	cli
	movl $XCR0, 0x2000
	movl $0, 0x2004
	movl $FLAGS, 0x2008
	cld
	mov $blob, %esi
	mov $0x8000, %edi
	mov $(blob_end - blob), %ecx
	rep movsb
	mov $0x20000, %esp
	mov $0x8000, %eax
	jmp *%eax
	.balign 16
blob:	.incbin "blob.bin"
blob_end:
