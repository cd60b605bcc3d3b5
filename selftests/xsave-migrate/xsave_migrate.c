// SPDX-License-Identifier: GPL-2.0
/*
 * xsave_migrate - minimal raw-KVM VMM that saves a vCPU (with x87/SSE/AVX
 * state in the guest) to a file and restores it in a new VM, possibly on
 * another host kernel.  Demonstrates KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED.
 *
 *   xsave_migrate save FILE [--guest-xcr0 MASK]
 *   xsave_migrate load FILE [--disable-quirk]
 *
 * Build: make -C selftests O=DIR xsave_migrate   (static, -Wall -Wextra)
 *
 * Only ioctls present in Linux 5.10 are used (KVM_CAP_DISABLE_QUIRKS2 is
 * probed with KVM_CHECK_EXTENSION and skipped when absent).
 *
 * Guest: 32-bit flat protected mode, no paging, no irqchip.  The guest
 * code is assembled by gcc from the top-level asm below and copied to
 * GUEST_CODE.  Port 0xE1 = "state is set, save me now"; port 0xE0 = result
 * of the self check after restore (0 = ok).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "xsave_abi.h"	/* QUIRK_XSAVE_TRIM_UNSUPPORTED, XFEATURE_MASK_*, XSAVE_OFF_* */

/* ---------------------------------------------------------------- layout */
#define GUEST_MEM_SIZE	0x200000	/* 2 MiB at GPA 0 */
#define GUEST_GDT	0x1000
#define GUEST_STACK	0x20000
#ifndef GUEST_PARAM			/* overridable for a user-space test */
#define GUEST_PARAM	0x2000		/* +0 xcr0 lo, +4 xcr0 hi, +8 flags */
#define GUEST_CODE	0x8000
#define GUEST_SCR	0x10000		/* guest stores its registers here */
#endif

#define PF_XSAVE	1		/* guest CPUID has XSAVE: set OSXSAVE, XSETBV */
#define PF_YMM		2		/* YMM (AVX) in the guest XCR0 */
#define PF_PKU		4		/* PKRU in the guest XCR0: set CR4.PKE, WRPKRU */

/* offsets inside GUEST_SCR */
#define SCR_XCR0	0
#define SCR_FCW		8
#define SCR_MXCSR	12
#define SCR_X87		16		/* 8 x 10 bytes */
#define SCR_XMM		128		/* 8 x 16 bytes */
#define SCR_YMMH	256		/* 8 x 16 bytes (upper halves) */
#define SCR_PKRU	384		/* 4 bytes */

#define PORT_STATUS	0xE0
#define PORT_SAVED	0xE1

#define XSTR_(x) #x
#define XSTR(x) XSTR_(x)
/* absolute guest address of a label inside the guest blob */
#define GA(l) XSTR(GUEST_CODE) "+" #l "-xm_guest_start"
#define SCR(off) XSTR(GUEST_SCR) "+" XSTR(off)
#define PRM(off) XSTR(GUEST_PARAM) "+" #off

/* test builds only: code run between "saved" and the checks (e.g. a clobber) */
#ifndef XM_TEST_HOOK
#define XM_TEST_HOOK ""
#endif

#define X8(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7)
#define LD_X87(i)  "fldt " GA(xm_x87_pat) "+10*" #i "\n\t"
#define LD_XMM(i)  "movdqu " GA(xm_xmm_pat) "+16*" #i ", %xmm" #i "\n\t"
#define LD_YMMH(i) "vinsertf128 $1, " GA(xm_ymmh_pat) "+16*" #i ", %ymm" #i ", %ymm" #i "\n\t"
/* ST0 is the last pattern loaded: pop in reverse into pattern order */
#define ST_X87(i)  "fstpt " SCR(SCR_X87) "+10*(7-" #i ")\n\t"
#define ST_XMM(i)  "movdqu %xmm" #i ", " SCR(SCR_XMM) "+16*" #i "\n\t"
#define ST_YMMH(i) "vextractf128 $1, %ymm" #i ", " SCR(SCR_YMMH) "+16*" #i "\n\t"
#define CMP_BLOCK(pat, off, len, code) \
	"mov $" GA(pat) ", %esi\n\t" \
	"mov $" SCR(off) ", %edi\n\t" \
	"mov $" #len ", %ecx\n\t" \
	"repe cmpsb\n\t" \
	"mov $" #code ", %al\n\t" \
	"jne 9f\n\t"

__asm__(
	".pushsection .rodata.xm_guest,\"a\",@progbits\n\t"
	".balign 16\n\t"
	".code32\n"
	"xm_guest_start:\n\t"
	/* CR4: OSFXSR | OSXMMEXCPT, plus OSXSAVE when the guest has XSAVE */
	"mov %cr4, %eax\n\t"
	"or $0x600, %eax\n\t"
	"testl $" XSTR(PF_XSAVE) ", " PRM(8) "\n\t"
	"jz 1f\n\t"
	"or $0x40000, %eax\n"
	"1:\n\t"
	"testl $" XSTR(PF_PKU) ", " PRM(8) "\n\t"
	"jz 10f\n\t"
	"or $0x400000, %eax\n"
	"10:\n\t"
	"mov %eax, %cr4\n\t"
	"testl $" XSTR(PF_XSAVE) ", " PRM(8) "\n\t"
	"jz 2f\n\t"
	"mov " PRM(0) ", %eax\n\t"
	"mov " PRM(4) ", %edx\n\t"
	"xor %ecx, %ecx\n\t"
	"xsetbv\n"
	"2:\n\t"
	"testl $" XSTR(PF_PKU) ", " PRM(8) "\n\t"
	"jz 11f\n\t"
	"mov " GA(xm_pkru_pat) ", %eax\n\t"
	"xor %ecx, %ecx\n\t"
	"xor %edx, %edx\n\t"
	"wrpkru\n"
	"11:\n\t"
	"fninit\n\t"
	"fldcw " GA(xm_fcw_pat) "\n\t"
	"ldmxcsr " GA(xm_mxcsr_pat) "\n\t"
	X8(LD_X87)
	X8(LD_XMM)
	"testl $" XSTR(PF_YMM) ", " PRM(8) "\n\t"
	"jz 3f\n\t"
	X8(LD_YMMH)
	"3:\n\t"
	"mov $0x5a, %al\n\t"
	"out %al, $" XSTR(PORT_SAVED) "\n"
	/* ---- execution resumes here after KVM_SET_* on the destination ---- */
	"xm_guest_resume:\n\t"
	XM_TEST_HOOK
	"cld\n\t"
	"testl $" XSTR(PF_XSAVE) ", " PRM(8) "\n\t"
	"jz 4f\n\t"
	"xor %ecx, %ecx\n\t"
	"xgetbv\n\t"
	"mov %eax, " SCR(SCR_XCR0) "\n\t"
	"mov %edx, " SCR(SCR_XCR0) "+4\n\t"
	"4:\n\t"
	"fnstcw " SCR(SCR_FCW) "\n\t"
	"stmxcsr " SCR(SCR_MXCSR) "\n\t"
	X8(ST_X87)
	X8(ST_XMM)
	"testl $" XSTR(PF_YMM) ", " PRM(8) "\n\t"
	"jz 5f\n\t"
	X8(ST_YMMH)
	"5:\n\t"
	/* 1: XCR0 */
	"mov $1, %al\n\t"
	"testl $" XSTR(PF_XSAVE) ", " PRM(8) "\n\t"
	"jz 6f\n\t"
	"mov " SCR(SCR_XCR0) ", %edx\n\t"
	"cmp " PRM(0) ", %edx\n\t"
	"jne 9f\n\t"
	"mov " SCR(SCR_XCR0) "+4, %edx\n\t"
	"cmp " PRM(4) ", %edx\n\t"
	"jne 9f\n"
	"6:\n\t"
	/* 2: FCW */
	"mov $2, %al\n\t"
	"movzwl " SCR(SCR_FCW) ", %edx\n\t"
	"cmpw " GA(xm_fcw_pat) ", %dx\n\t"
	"jne 9f\n\t"
	/* 3: MXCSR */
	"mov $3, %al\n\t"
	"mov " SCR(SCR_MXCSR) ", %edx\n\t"
	"cmp " GA(xm_mxcsr_pat) ", %edx\n\t"
	"jne 9f\n\t"
	/* 4: ST0-7, 5: XMM0-7, 6: YMM0-7 upper halves */
	CMP_BLOCK(xm_x87_pat, SCR_X87, 80, 4)
	CMP_BLOCK(xm_xmm_pat, SCR_XMM, 128, 5)
	"testl $" XSTR(PF_YMM) ", " PRM(8) "\n\t"
	"jz 8f\n\t"
	CMP_BLOCK(xm_ymmh_pat, SCR_YMMH, 128, 6)
	"8:\n\t"
	/* 7: PKRU */
	"testl $" XSTR(PF_PKU) ", " PRM(8) "\n\t"
	"jz 12f\n\t"
	"xor %ecx, %ecx\n\t"
	"rdpkru\n\t"
	"mov %eax, " SCR(SCR_PKRU) "\n\t"
	"cmp " GA(xm_pkru_pat) ", %eax\n\t"
	"mov $7, %al\n\t"
	"jne 9f\n"
	"12:\n\t"
	"xor %eax, %eax\n"
	"9:\n\t"
	"out %al, $" XSTR(PORT_STATUS) "\n"
	"7:\n\t"
	"hlt\n\t"
	"jmp 7b\n\t"
	/* ---- data ---- */
	".balign 16\n"
	"xm_fcw_pat:\n\t"
	".word 0x0f7f\n\t"		/* RC=truncate, PC=64 bit, all masked */
	".balign 4\n"
	"xm_mxcsr_pat:\n\t"
	".long 0x7f80\n\t"		/* RC=truncate, all masked */
	"xm_pkru_pat:\n\t"
	".long 0x55555554\n\t"	/* access-disable keys 1-15 */
	".balign 16\n"
	"xm_x87_pat:\n\t"		/* normal 80-bit values (J bit set) */
	".quad 0x8123456789abcdef\n\t.word 0x3fff\n\t"
	".quad 0x9a5a5a5a5a5a5a5a\n\t.word 0xc000\n\t"
	".quad 0xa1b2c3d4e5f60718\n\t.word 0x4001\n\t"
	".quad 0xb0b1b2b3b4b5b6b7\n\t.word 0xbffe\n\t"
	".quad 0xc3c3c3c3c3c3c3c3\n\t.word 0x4010\n\t"
	".quad 0xd00dfeedcafef00d\n\t.word 0xc020\n\t"
	".quad 0xe7e6e5e4e3e2e1e0\n\t.word 0x3f00\n\t"
	".quad 0xffeeddccbbaa9988\n\t.word 0x4100\n\t"
	".balign 16\n"
	"xm_xmm_pat:\n\t"
	".irp i,0,1,2,3,4,5,6,7\n\t"
	".quad 0x1011121314151600+\\i, 0x2021222324252600+\\i\n\t"
	".endr\n"
	"xm_ymmh_pat:\n\t"
	".irp i,0,1,2,3,4,5,6,7\n\t"
	".quad 0x3031323334353600+\\i, 0x4041424344454600+\\i\n\t"
	".endr\n"
	"xm_guest_end:\n\t"
	".code64\n\t"
	".popsection\n");

extern const unsigned char xm_guest_start[], xm_guest_end[], xm_guest_resume[];
extern const unsigned char xm_x87_pat[], xm_xmm_pat[], xm_ymmh_pat[];
extern const unsigned char xm_fcw_pat[], xm_mxcsr_pat[], xm_pkru_pat[];

#define GOFF(sym) ((uint32_t)((const unsigned char *)(sym) - xm_guest_start))

/* ------------------------------------------------------------ file format */
#define FILE_MAGIC "XSVMIG\r\n"
#define FILE_VERSION 1
#define MAX_MSRS 32

struct file_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;
	uint64_t xcr0_mask;		/* guest XCR0 / CPUID.0xD.0 mask */
	uint64_t xstate_bv;		/* XSTATE_BV as returned by KVM_GET_XSAVE */
	uint32_t guest_flags;		/* PF_* */
	uint32_t ncpuid;
	uint32_t nmsrs;
	uint32_t mem_size;
	uint32_t sz_cpuid_entry, sz_regs, sz_sregs, sz_xcrs;
	uint32_t sz_xsave, sz_events, sz_mp_state, sz_msr_entry;
};
/* followed by: cpuid entries, regs, sregs, xcrs, xsave, vcpu_events,
 * mp_state, msr entries, guest memory */

/* ------------------------------------------------------------- helpers */
static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static void die(const char *what)
{
	fprintf(stderr, "xsave_migrate: %s: %s (%s)\n", what, strerror(errno),
		errname(errno));
	exit(3);
}

struct vm {
	int kvm, vm, vcpu;
	uint8_t *mem;
	struct kvm_run *run;
};

static void vm_create(struct vm *v)
{
	struct kvm_userspace_memory_region r;

	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		die("open /dev/kvm");
	if (ioctl(v->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "xsave_migrate: bad KVM API version\n");
		exit(3);
	}
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		die("KVM_CREATE_VM");
	/* Only needed by VMX for real mode; harmless elsewhere. */
	(void)ioctl(v->vm, KVM_SET_TSS_ADDR, 0xfffbd000UL);

	v->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->mem == MAP_FAILED)
		die("mmap guest memory");
	memset(&r, 0, sizeof(r));
	r.slot = 0;
	r.guest_phys_addr = 0;
	r.memory_size = GUEST_MEM_SIZE;
	r.userspace_addr = (uintptr_t)v->mem;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
}

static void vcpu_create(struct vm *v)
{
	int sz;

	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		die("KVM_CREATE_VCPU");
	sz = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	v->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run");
}

static struct kvm_cpuid2 *cpuid_alloc(uint32_t n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	if (!c)
		die("calloc");
	c->nent = n;
	return c;
}

static struct kvm_cpuid2 *get_supported_cpuid(int kvm)
{
	uint32_t n;

	for (n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = cpuid_alloc(n);

		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			die("KVM_GET_SUPPORTED_CPUID");
	}
	errno = E2BIG;
	die("KVM_GET_SUPPORTED_CPUID");
	return NULL;
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn,
					   uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static void clr(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx, int reg,
		uint32_t bits)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, fn, idx);

	if (!e)
		return;
	switch (reg) {
	case 0: e->eax &= ~bits; break;
	case 1: e->ebx &= ~bits; break;
	case 2: e->ecx &= ~bits; break;
	default: e->edx &= ~bits; break;
	}
}
enum { EAX, EBX, ECX, EDX };
#define B(n) (1U << (n))

/*
 * Guest CPUID = KVM_GET_SUPPORTED_CPUID minus every xfeature not in @mask,
 * and minus the CPUID feature flags that depend on those xfeatures.
 */
static void cpuid_restrict(struct kvm_cpuid2 *c, uint64_t mask)
{
	struct kvm_cpuid_entry2 *d0 = cpuid_find(c, 0xd, 0);
	uint32_t ecx = XSAVE_OFF_EXT;	/* legacy region + header */

	if (!(mask & XFEATURE_MASK_YMM)) {
		clr(c, 1, 0, ECX, B(12) | B(28) | B(29));	/* FMA AVX F16C */
		clr(c, 7, 0, EBX, B(5));			/* AVX2 */
		clr(c, 7, 0, ECX, B(9) | B(10));		/* VAES VPCLMULQDQ */
		clr(c, 7, 1, EAX, B(4) | B(23));		/* AVX-VNNI AVX-IFMA */
		clr(c, 7, 1, EDX, B(4) | B(5) | B(10));		/* AVX-VNNI-INT8/NE-CONVERT/INT16 */
		clr(c, 0x80000001, 0, ECX, B(11) | B(16));	/* XOP FMA4 */
	}
	if ((mask & XFEATURE_MASK_MPX) != XFEATURE_MASK_MPX)
		clr(c, 7, 0, EBX, B(14));
	if ((mask & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512) {
		clr(c, 7, 0, EBX, B(16) | B(17) | B(21) | B(26) | B(27) |
				   B(28) | B(30) | B(31));
		clr(c, 7, 0, ECX, B(1) | B(6) | B(11) | B(12) | B(14));
		clr(c, 7, 0, EDX, B(2) | B(3) | B(8) | B(23));
		clr(c, 7, 1, EAX, B(5));			/* AVX512_BF16 */
	}
	if (!(mask & XFEATURE_MASK_PKRU))
		clr(c, 7, 0, ECX, B(3) | B(4));			/* PKU OSPKE */
	if ((mask & XFEATURE_MASK_AMX) != XFEATURE_MASK_AMX) {
		clr(c, 7, 0, EDX, B(22) | B(24) | B(25));
		clr(c, 7, 1, EAX, B(21));			/* AMX-FP16 */
	}
	if (!(mask & XFEATURE_MASK_APX))
		clr(c, 7, 1, EDX, B(21));
	clr(c, 1, 0, ECX, B(27));	/* OSXSAVE: runtime bit owned by KVM */

	if (!d0)
		return;
	for (uint32_t i = 2; i < 64; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_find(c, 0xd, i);

		/* ECX[0] = 1: supervisor (IA32_XSS) component, left alone */
		if (!e || (e->ecx & 1))
			continue;
		if (!(mask & (1ULL << i))) {
			e->eax = e->ebx = e->ecx = e->edx = 0;
			continue;
		}
		/* user (XCR0) component: EAX = size, EBX = offset */
		if (e->eax + e->ebx > ecx)
			ecx = e->eax + e->ebx;
	}
	d0->eax = (uint32_t)mask & d0->eax;
	d0->edx = (uint32_t)(mask >> 32) & d0->edx;
	d0->ecx = ecx;
	/* EBX (size for current XCR0) is recomputed by KVM at runtime */
}

static int set_cpuid(struct vm *v, struct kvm_cpuid2 *c)
{
	return ioctl(v->vcpu, KVM_SET_CPUID2, c);
}

static uint64_t xsave_bv(const struct kvm_xsave *x)
{
	uint64_t bv;

	memcpy(&bv, (const uint8_t *)x->region + XSAVE_OFF_XSTATE_BV, sizeof(bv));
	return bv;
}

/* MSRs a real VMM migrates, besides EFER (in sregs) */
static const uint32_t wanted_msrs[] = {
	0x00000010,	/* IA32_TSC */
	0x00000174,	/* SYSENTER_CS */
	0x00000175,	/* SYSENTER_ESP */
	0x00000176,	/* SYSENTER_EIP */
	0xc0000081,	/* STAR */
	0xc0000082,	/* LSTAR */
	0xc0000083,	/* CSTAR */
	0xc0000084,	/* FMASK */
	0xc0000102,	/* KERNEL_GS_BASE */
	0x00000277,	/* PAT */
	0x000001a0,	/* MISC_ENABLE */
};
#define N_WANTED (sizeof(wanted_msrs) / sizeof(wanted_msrs[0]))

struct msrs {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[MAX_MSRS];
};

static int msr_in_list(const struct kvm_msr_list *l, uint32_t idx)
{
	for (uint32_t i = 0; l && i < l->nmsrs; i++)
		if (l->indices[i] == idx)
			return 1;
	return 0;
}

/* Read the wanted MSRs that KVM lists (or, failing that, can read). */
static uint32_t get_msrs(struct vm *v, struct kvm_msr_entry *out)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l = NULL;
	uint32_t n = 0;

	if (ioctl(v->kvm, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno == E2BIG) {
		l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(uint32_t));
		if (!l)
			die("calloc");
		l->nmsrs = probe.nmsrs;
		if (ioctl(v->kvm, KVM_GET_MSR_INDEX_LIST, l) < 0)
			die("KVM_GET_MSR_INDEX_LIST");
	}
	for (uint32_t i = 0; i < N_WANTED; i++) {
		struct msrs m;
		int listed = msr_in_list(l, wanted_msrs[i]);

		memset(&m, 0, sizeof(m));
		m.hdr.nmsrs = 1;
		m.e[0].index = wanted_msrs[i];
		if (ioctl(v->vcpu, KVM_GET_MSRS, &m) != 1) {
			fprintf(stderr, "xsave_migrate: MSR 0x%x %s, not saved\n",
				wanted_msrs[i], listed ? "listed but unreadable" : "not available");
			continue;
		}
		if (!listed)
			fprintf(stderr, "xsave_migrate: MSR 0x%x not in KVM_GET_MSR_INDEX_LIST but readable, saved\n",
				wanted_msrs[i]);
		out[n++] = m.e[0];
	}
	free(l);
	return n;
}

/* ---------------------------------------------------------------- save */
static void setup_guest(struct vm *v, uint64_t xcr0, uint32_t flags)
{
	/* GDT: null, 0x08 flat 32-bit code, 0x10 flat data */
	static const uint64_t gdt[3] = {
		0, 0x00cf9b000000ffffULL, 0x00cf93000000ffffULL,
	};
	struct kvm_segment cs, ds;
	struct kvm_sregs s;
	struct kvm_regs r;
	uint32_t p[3] = { (uint32_t)xcr0, (uint32_t)(xcr0 >> 32), flags };

	memcpy(v->mem + GUEST_GDT, gdt, sizeof(gdt));
	memcpy(v->mem + GUEST_PARAM, p, sizeof(p));
	memcpy(v->mem + GUEST_CODE, xm_guest_start, xm_guest_end - xm_guest_start);

	if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_SREGS");
	memset(&cs, 0, sizeof(cs));
	cs.base = 0;
	cs.limit = 0xffffffff;
	cs.selector = 0x08;
	cs.type = 0xb;		/* execute/read, accessed */
	cs.present = 1;
	cs.db = 1;
	cs.s = 1;
	cs.g = 1;
	ds = cs;
	ds.selector = 0x10;
	ds.type = 0x3;		/* read/write, accessed */
	s.cs = cs;
	s.ds = s.es = s.fs = s.gs = s.ss = ds;
	s.gdt.base = GUEST_GDT;
	s.gdt.limit = sizeof(gdt) - 1;
	s.cr0 = 0x33;		/* PE | MP | ET | NE; cache enabled */
	s.cr4 = 0;		/* guest sets OSFXSR/OSXMMEXCPT/OSXSAVE */
	s.efer = 0;
	if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0)
		die("KVM_SET_SREGS");

	memset(&r, 0, sizeof(r));
	r.rip = GUEST_CODE;
	r.rsp = GUEST_STACK;
	r.rflags = 0x2;
	if (ioctl(v->vcpu, KVM_SET_REGS, &r) < 0)
		die("KVM_SET_REGS");

	/*
	 * Also establish CR4 and XCR0 from the host, as a VMM restoring a
	 * running guest would: under QEMU/TCG with nested SVM, a guest
	 * XSETBV was observed not to reach KVM (KVM_GET_XCRS kept
	 * returning 1), which would save an XCR0 that does not match the
	 * state the guest is using.  The guest's own MOV CR4/XSETBV then
	 * write the same values.
	 */
	if (flags & PF_XSAVE) {
		struct kvm_xcrs x;

		if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0)
			die("KVM_GET_SREGS");
		s.cr4 = 0x600 | 0x40000;	/* OSFXSR, OSXMMEXCPT, OSXSAVE */
		if (flags & PF_PKU)
			s.cr4 |= 0x400000;	/* PKE */
		if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0)
			die("KVM_SET_SREGS(cr4)");
		memset(&x, 0, sizeof(x));
		x.nr_xcrs = 1;
		x.xcrs[0].xcr = 0;
		x.xcrs[0].value = xcr0;
		if (ioctl(v->vcpu, KVM_SET_XCRS, &x) < 0)
			die("KVM_SET_XCRS");
	}
}

static void wfile(FILE *f, const void *p, size_t n)
{
	if (fwrite(p, 1, n, f) != n)
		die("write");
}

static int do_save(const char *file, int have_mask, uint64_t mask)
{
	struct kvm_cpuid_entry2 *l1, *d0;
	struct kvm_msr_entry msrs[MAX_MSRS];
	struct kvm_vcpu_events ev;
	struct kvm_mp_state mp;
	struct kvm_cpuid2 *c;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_xcrs xcrs;
	struct kvm_xsave xs;
	struct file_hdr h;
	uint64_t supported = XFEATURE_MASK_FP | XFEATURE_MASK_SSE, xcr0 = 0;
	uint32_t flags = 0, nmsrs;
	struct vm v;
	FILE *f;

	vm_create(&v);
	c = get_supported_cpuid(v.kvm);
	l1 = cpuid_find(c, 1, 0);
	d0 = cpuid_find(c, 0xd, 0);
	if (l1 && (l1->ecx & B(26)) && d0) {
		flags |= PF_XSAVE;
		supported |= d0->eax | ((uint64_t)d0->edx << 32);
	}
	if (!have_mask)
		mask = XFEATURE_MASK_FP | XFEATURE_MASK_SSE | XFEATURE_MASK_YMM;
	mask = (mask | XFEATURE_MASK_FP) & supported;
	if (((mask & XFEATURE_MASK_YMM) && !(mask & XFEATURE_MASK_SSE)) ||
	    ((mask & XFEATURE_MASK_AVX512) &&
	     (mask & (XFEATURE_MASK_AVX512 | XFEATURE_MASK_YMM)) != (XFEATURE_MASK_AVX512 | XFEATURE_MASK_YMM)) ||
	    ((mask & XFEATURE_MASK_MPX) && (mask & XFEATURE_MASK_MPX) != XFEATURE_MASK_MPX) ||
	    ((mask & XFEATURE_MASK_AMX) && (mask & XFEATURE_MASK_AMX) != XFEATURE_MASK_AMX)) {
		fprintf(stderr, "xsave_migrate: invalid XCR0 mask 0x%" PRIx64
			" (host supports 0x%" PRIx64 ")\n", mask, supported);
		return 3;
	}
	if (mask & XFEATURE_MASK_YMM)
		flags |= PF_YMM;
	if (mask & XFEATURE_MASK_PKRU)
		flags |= PF_PKU;
	cpuid_restrict(c, mask);
	fprintf(stderr, "xsave_migrate: host xfeatures 0x%" PRIx64
		", guest XCR0 mask 0x%" PRIx64 ", guest flags 0x%x\n",
		supported, mask, flags);

	vcpu_create(&v);
	if (set_cpuid(&v, c) < 0)
		die("KVM_SET_CPUID2");
	setup_guest(&v, mask, flags);

	for (;;) {
		if (ioctl(v.vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN");
		}
		if (v.run->exit_reason == KVM_EXIT_IO &&
		    v.run->io.direction == KVM_EXIT_IO_OUT &&
		    v.run->io.port == PORT_SAVED)
			break;
		fprintf(stderr, "xsave_migrate: unexpected exit %u (port 0x%x) before \"saved\"\n",
			v.run->exit_reason,
			v.run->exit_reason == KVM_EXIT_IO ? v.run->io.port : 0);
		return 3;
	}
	/*
	 * The OUT is not complete (RIP still points at it) until KVM_RUN is
	 * re-entered.  Complete it without running further guest code, as
	 * QEMU does before migrating (Documentation/virt/kvm/api.rst).
	 */
	v.run->immediate_exit = 1;
	if (ioctl(v.vcpu, KVM_RUN, 0) == 0 || errno != EINTR)
		die("KVM_RUN(immediate_exit)");
	v.run->immediate_exit = 0;

	if (ioctl(v.vcpu, KVM_GET_REGS, &regs) < 0)
		die("KVM_GET_REGS");
	if (regs.rip != GUEST_CODE + GOFF(xm_guest_resume)) {
		fprintf(stderr, "xsave_migrate: RIP 0x%llx after OUT, expected 0x%x\n",
			(unsigned long long)regs.rip, GUEST_CODE + GOFF(xm_guest_resume));
		return 3;
	}
	if (ioctl(v.vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	memset(&xcrs, 0, sizeof(xcrs));
	if (ioctl(v.vcpu, KVM_GET_XCRS, &xcrs) < 0)
		die("KVM_GET_XCRS");
	for (uint32_t i = 0; i < xcrs.nr_xcrs; i++)
		if (xcrs.xcrs[i].xcr == 0)
			xcr0 = xcrs.xcrs[i].value;
	memset(&xs, 0, sizeof(xs));
	if (ioctl(v.vcpu, KVM_GET_XSAVE, &xs) < 0)
		die("KVM_GET_XSAVE");
	if (ioctl(v.vcpu, KVM_GET_VCPU_EVENTS, &ev) < 0)
		die("KVM_GET_VCPU_EVENTS");
	if (ioctl(v.vcpu, KVM_GET_MP_STATE, &mp) < 0)
		die("KVM_GET_MP_STATE");
	nmsrs = get_msrs(&v, msrs);

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, FILE_MAGIC, sizeof(h.magic));
	h.version = FILE_VERSION;
	h.hdr_size = sizeof(h);
	h.xcr0_mask = mask;
	h.xstate_bv = xsave_bv(&xs);
	h.guest_flags = flags;
	h.ncpuid = c->nent;
	h.nmsrs = nmsrs;
	h.mem_size = GUEST_MEM_SIZE;
	h.sz_cpuid_entry = sizeof(c->entries[0]);
	h.sz_regs = sizeof(regs);
	h.sz_sregs = sizeof(sregs);
	h.sz_xcrs = sizeof(xcrs);
	h.sz_xsave = sizeof(xs);
	h.sz_events = sizeof(ev);
	h.sz_mp_state = sizeof(mp);
	h.sz_msr_entry = sizeof(msrs[0]);

	f = fopen(file, "wb");
	if (!f)
		die(file);
	wfile(f, &h, sizeof(h));
	wfile(f, c->entries, c->nent * sizeof(c->entries[0]));
	wfile(f, &regs, sizeof(regs));
	wfile(f, &sregs, sizeof(sregs));
	wfile(f, &xcrs, sizeof(xcrs));
	wfile(f, &xs, sizeof(xs));
	wfile(f, &ev, sizeof(ev));
	wfile(f, &mp, sizeof(mp));
	wfile(f, msrs, nmsrs * sizeof(msrs[0]));
	wfile(f, v.mem, GUEST_MEM_SIZE);
	if (fflush(f) || fsync(fileno(f)) || fclose(f))
		die(file);

	printf("save: xcr0=0x%" PRIx64 " xstate_bv=0x%" PRIx64 " file=%s\n",
	       xcr0, h.xstate_bv, file);
	return 0;
}

/* ---------------------------------------------------------------- load */
static void rfile(FILE *f, void *p, size_t n, const char *file)
{
	if (fread(p, 1, n, f) != n) {
		fprintf(stderr, "xsave_migrate: %s: short read\n", file);
		exit(3);
	}
}

static void report(const char *name, int r)
{
	if (r < 0)
		printf("load: %s=-%s\n", name, errname(errno));
	else
		printf("load: %s=%d\n", name, r);
	fflush(stdout);
}

static void hexdump(char *buf, size_t bufsz, const uint8_t *p, size_t n)
{
	size_t o = 0;

	/* little-endian value: most significant byte first */
	for (size_t i = n; i-- > 0 && o + 3 < bufsz;)
		o += snprintf(buf + o, bufsz - o, "%02x", p[i]);
}

/* Explain a failed guest check from what the guest stored in GUEST_SCR. */
static void mismatch(struct vm *v, unsigned int code)
{
	const uint8_t *scr = v->mem + GUEST_SCR, *g = v->mem + GUEST_CODE;
	static const char *const what[] = {
		"ok", "xcr0", "fcw", "mxcsr", "st", "xmm", "ymm_hi", "pkru",
	};
	uint32_t off_pat = 0, off_scr = 0, sz = 0;
	char got[64] = "", want[64] = "";
	int reg = -1;

	switch (code) {
	case 1:
		hexdump(got, sizeof(got), scr + SCR_XCR0, 8);
		hexdump(want, sizeof(want), v->mem + GUEST_PARAM, 8);
		break;
	case 2:
		hexdump(got, sizeof(got), scr + SCR_FCW, 2);
		hexdump(want, sizeof(want), g + GOFF(xm_fcw_pat), 2);
		break;
	case 3:
		hexdump(got, sizeof(got), scr + SCR_MXCSR, 4);
		hexdump(want, sizeof(want), g + GOFF(xm_mxcsr_pat), 4);
		break;
	case 7:
		hexdump(got, sizeof(got), scr + SCR_PKRU, 4);
		hexdump(want, sizeof(want), g + GOFF(xm_pkru_pat), 4);
		break;
	case 4: off_pat = GOFF(xm_x87_pat); off_scr = SCR_X87; sz = 10; break;
	case 5: off_pat = GOFF(xm_xmm_pat); off_scr = SCR_XMM; sz = 16; break;
	case 6: off_pat = GOFF(xm_ymmh_pat); off_scr = SCR_YMMH; sz = 16; break;
	}
	for (int i = 0; sz && i < 8; i++) {
		if (memcmp(g + off_pat + i * sz, scr + off_scr + i * sz, sz)) {
			reg = i;
			hexdump(got, sizeof(got), scr + off_scr + i * sz, sz);
			hexdump(want, sizeof(want), g + off_pat + i * sz, sz);
			break;
		}
	}
	if (code < sizeof(what) / sizeof(what[0]) && reg >= 0)
		printf("guest: MISMATCH check=%u %s%d got=0x%s want=0x%s\n",
		       code, what[code], reg, got, want);
	else if (code < sizeof(what) / sizeof(what[0]))
		printf("guest: MISMATCH check=%u %s got=0x%s want=0x%s\n",
		       code, what[code], got, want);
	else
		printf("guest: MISMATCH check=%u(unknown)\n", code);
}

static int do_load(const char *file, int disable_quirk)
{
	struct kvm_msr_entry msrs[MAX_MSRS];
	struct kvm_vcpu_events ev;
	struct kvm_mp_state mp;
	struct kvm_cpuid2 *c;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_xcrs xcrs;
	struct kvm_xsave xs, after;
	struct file_hdr h;
	uint32_t msr_ok = 0;
	struct vm v;
	int r, refused;
	FILE *f;

	f = fopen(file, "rb");
	if (!f)
		die(file);
	rfile(f, &h, sizeof(h), file);
	if (memcmp(h.magic, FILE_MAGIC, sizeof(h.magic)) || h.version != FILE_VERSION ||
	    h.hdr_size != sizeof(h) || h.mem_size != GUEST_MEM_SIZE ||
	    h.nmsrs > MAX_MSRS || h.ncpuid > 4096 ||
	    h.sz_cpuid_entry != sizeof(c->entries[0]) || h.sz_regs != sizeof(regs) ||
	    h.sz_sregs != sizeof(sregs) || h.sz_xcrs != sizeof(xcrs) ||
	    h.sz_xsave != sizeof(xs) || h.sz_events != sizeof(ev) ||
	    h.sz_mp_state != sizeof(mp) || h.sz_msr_entry != sizeof(msrs[0])) {
		fprintf(stderr, "xsave_migrate: %s: not a version %d image\n",
			file, FILE_VERSION);
		return 3;
	}
	c = cpuid_alloc(h.ncpuid);
	rfile(f, c->entries, h.ncpuid * sizeof(c->entries[0]), file);
	rfile(f, &regs, sizeof(regs), file);
	rfile(f, &sregs, sizeof(sregs), file);
	rfile(f, &xcrs, sizeof(xcrs), file);
	rfile(f, &xs, sizeof(xs), file);
	rfile(f, &ev, sizeof(ev), file);
	rfile(f, &mp, sizeof(mp), file);
	rfile(f, msrs, h.nmsrs * sizeof(msrs[0]), file);

	vm_create(&v);
	rfile(f, v.mem, GUEST_MEM_SIZE, file);
	fclose(f);
	if (memcmp(v.mem + GUEST_CODE, xm_guest_start, xm_guest_end - xm_guest_start))
		fprintf(stderr, "xsave_migrate: image saved by a different build, mismatch details may be off\n");
	printf("load: file=%s xcr0_mask=0x%" PRIx64 " xstate_bv=0x%" PRIx64 "\n",
	       file, h.xcr0_mask, h.xstate_bv);

	if (disable_quirk) {
		int q = ioctl(v.kvm, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);

		if (q <= 0) {
			printf("load: KVM_CAP_DISABLE_QUIRKS2 not supported, continuing\n");
		} else if (!((uint64_t)q & QUIRK_XSAVE_TRIM_UNSUPPORTED)) {
			printf("load: quirk 0x%llx not in supported quirks 0x%x, continuing\n",
			       (unsigned long long)QUIRK_XSAVE_TRIM_UNSUPPORTED, q);
		} else {
			struct kvm_enable_cap cap;

			memset(&cap, 0, sizeof(cap));
			cap.cap = KVM_CAP_DISABLE_QUIRKS2;
			cap.args[0] = QUIRK_XSAVE_TRIM_UNSUPPORTED;
			r = ioctl(v.vm, KVM_ENABLE_CAP, &cap);
			report("KVM_ENABLE_CAP(DISABLE_QUIRKS2,0x1000)", r);
			if (r < 0)
				return 3;
		}
	}

	vcpu_create(&v);
	r = set_cpuid(&v, c);
	report("KVM_SET_CPUID2", r);
	if (r < 0)
		return 3;

	/* QEMU's kvm_arch_put_registers() order */
	r = ioctl(v.vcpu, KVM_SET_REGS, &regs);
	report("KVM_SET_REGS", r);
	if (r < 0)
		return 3;

	r = ioctl(v.vcpu, KVM_SET_XSAVE, &xs);
	if (r < 0) {
		printf("load: KVM_SET_XSAVE=-%s\n", errname(errno));
		return 2;
	}
	memset(&after, 0, sizeof(after));
	if (ioctl(v.vcpu, KVM_GET_XSAVE, &after) < 0)
		die("KVM_GET_XSAVE");
	printf("load: KVM_SET_XSAVE=%d xstate_bv_after=0x%" PRIx64 "\n", r,
	       xsave_bv(&after));

	/* Both are tried, so that the log shows every ioctl that refuses. */
	refused = 0;
	if (xcrs.nr_xcrs) {
		r = ioctl(v.vcpu, KVM_SET_XCRS, &xcrs);
		report("KVM_SET_XCRS", r);
		refused |= r < 0;
	} else {
		printf("load: KVM_SET_XCRS skipped (no XCRs saved)\n");
	}

	r = ioctl(v.vcpu, KVM_SET_SREGS, &sregs);
	report("KVM_SET_SREGS", r);
	if (refused || r < 0)
		return 3;

	for (uint32_t i = 0; i < h.nmsrs; i++) {
		struct msrs m;

		memset(&m, 0, sizeof(m));
		m.hdr.nmsrs = 1;
		m.e[0] = msrs[i];
		if (ioctl(v.vcpu, KVM_SET_MSRS, &m) == 1)
			msr_ok++;
		else
			fprintf(stderr, "xsave_migrate: KVM_SET_MSRS 0x%x failed\n",
				msrs[i].index);
	}
	printf("load: KVM_SET_MSRS=%u/%u\n", msr_ok, h.nmsrs);

	r = ioctl(v.vcpu, KVM_SET_VCPU_EVENTS, &ev);
	report("KVM_SET_VCPU_EVENTS", r);
	if (r < 0)
		return 3;

	r = ioctl(v.vcpu, KVM_SET_MP_STATE, &mp);
	report("KVM_SET_MP_STATE", r);
	if (r < 0)
		return 3;

	for (;;) {
		if (ioctl(v.vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN");
		}
		if (v.run->exit_reason == KVM_EXIT_IO &&
		    v.run->io.direction == KVM_EXIT_IO_OUT &&
		    v.run->io.port == PORT_STATUS && v.run->io.size == 1) {
			uint8_t st = *((uint8_t *)v.run + v.run->io.data_offset);

			if (st == 0) {
				printf("guest: verified\n");
				return 0;
			}
			mismatch(&v, st);
			return 1;
		}
		if (v.run->exit_reason == KVM_EXIT_IO)
			printf("guest: MISMATCH unexpected I/O port 0x%x\n",
			       v.run->io.port);
		else
			printf("guest: MISMATCH unexpected exit_reason=%u\n",
			       v.run->exit_reason);
		return 1;
	}
}

/* ---------------------------------------------------------------- main */
static void usage(void)
{
	fprintf(stderr,
		"usage: xsave_migrate save FILE [--guest-xcr0 MASK]\n"
		"       xsave_migrate load FILE [--disable-quirk]\n");
	exit(3);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "save")) {
		uint64_t mask = 0;
		int have = 0;

		if (argc == 5 && !strcmp(argv[3], "--guest-xcr0")) {
			char *end;

			errno = 0;
			mask = strtoull(argv[4], &end, 0);
			if (errno || *end || end == argv[4])
				usage();
			have = 1;
		} else if (argc != 3) {
			usage();
		}
		return do_save(argv[2], have, mask);
	}
	if (!strcmp(argv[1], "load")) {
		int dq = 0;

		if (argc == 4 && !strcmp(argv[3], "--disable-quirk"))
			dq = 1;
		else if (argc != 3)
			usage();
		return do_load(argv[2], dq);
	}
	usage();
	return 3;
}
