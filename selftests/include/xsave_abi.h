/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XSAVE and KVM ABI constants shared by the C tools under selftests/
 * (fuzz/, xsave-migrate/, qemu-migrate/kvm-shim.c, bench/), built by
 * selftests/Makefile with -I selftests/include.
 *
 * Values from the SDM (XSAVE area, standard format), from
 * include/uapi/linux/kvm.h and arch/x86/include/uapi/asm/kvm.h of v7.3 plus
 * the series, and from arch/x86/kvm/x86.c (KVM_SUPPORTED_XCR0).  Macros only,
 * no includes: the LD_PRELOAD shim uses it without <linux/kvm.h>.
 */
#ifndef XSAVE_ABI_H
#define XSAVE_ABI_H

/* ---- KVM ---------------------------------------------------------- */

/*
 * KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED, the series' quirk (a bit of
 * KVM_CAP_DISABLE_QUIRKS2).  Bit 12 is allocated only when the series is
 * merged upstream: re-sync it with mainline before relying on it.  The
 * uapi header spells it (1 << 12); tools built against the series' headers
 * check that the two agree.
 */
#define QUIRK_XSAVE_TRIM_UNSUPPORTED	(1ULL << 12)

/* For headers older than v5.16 (and for the shim, which has none). */
#ifndef KVM_CAP_DISABLE_QUIRKS2
#define KVM_CAP_DISABLE_QUIRKS2		213
#endif

/* struct kvm_xsave: the standard-format XSAVE image KVM_{GET,SET}_XSAVE use */
#define KVM_XSAVE_REGION_SIZE		4096

/* ---- xfeatures (XCR0 / XSTATE_BV bit numbers) --------------------- */

#define XFEATURE_FP			0
#define XFEATURE_SSE			1
#define XFEATURE_YMM			2
#define XFEATURE_BNDREGS		3
#define XFEATURE_BNDCSR			4
#define XFEATURE_OPMASK			5
#define XFEATURE_ZMM_Hi256		6
#define XFEATURE_Hi16_ZMM		7
#define XFEATURE_PT			8	/* supervisor (IA32_XSS) */
#define XFEATURE_PKRU			9
#define XFEATURE_XTILE_CFG		17
#define XFEATURE_XTILE_DATA		18	/* dynamic: needs ARCH_REQ_XCOMP_GUEST_PERM */
#define XFEATURE_APX			19

#define XFEATURE_MASK_FP		(1ULL << XFEATURE_FP)
#define XFEATURE_MASK_SSE		(1ULL << XFEATURE_SSE)
#define XFEATURE_MASK_YMM		(1ULL << XFEATURE_YMM)
#define XFEATURE_MASK_FPSSE		(XFEATURE_MASK_FP | XFEATURE_MASK_SSE)
/* the xfeatures that carry MXCSR for XRSTOR (standard format) */
#define XFEATURE_MASK_FPSSEYMM		(XFEATURE_MASK_FPSSE | XFEATURE_MASK_YMM)
#define XFEATURE_MASK_MPX		((1ULL << XFEATURE_BNDREGS) | (1ULL << XFEATURE_BNDCSR))
#define XFEATURE_MASK_AVX512		((1ULL << XFEATURE_OPMASK) | (1ULL << XFEATURE_ZMM_Hi256) | \
					 (1ULL << XFEATURE_Hi16_ZMM))
#define XFEATURE_MASK_PT		(1ULL << XFEATURE_PT)
#define XFEATURE_MASK_PKRU		(1ULL << XFEATURE_PKRU)
#define XFEATURE_MASK_XTILE_CFG		(1ULL << XFEATURE_XTILE_CFG)
#define XFEATURE_MASK_XTILE_DATA	(1ULL << XFEATURE_XTILE_DATA)
#define XFEATURE_MASK_AMX		(XFEATURE_MASK_XTILE_CFG | XFEATURE_MASK_XTILE_DATA)
#define XFEATURE_MASK_APX		(1ULL << XFEATURE_APX)

/*
 * KVM_SUPPORTED_XCR0 (arch/x86/kvm/x86.c): the user xfeatures KVM manages
 * through XCR0, 0x602ff (0-7, 9, 17-18): what some KVM could have saved, so
 * the quirk's candidates.  APX, PT and every other bit are not in it.
 */
#define KVM_SUPPORTED_XCR0_MASK		(XFEATURE_MASK_FPSSEYMM | XFEATURE_MASK_MPX | \
					 XFEATURE_MASK_AVX512 | XFEATURE_MASK_PKRU | \
					 XFEATURE_MASK_AMX)

/* ---- XSAVE area, standard (non-compacted) format ------------------ */

/* legacy region (FXSAVE layout), bytes 0-511 */
#define XSAVE_OFF_FCW			0
#define XSAVE_OFF_FSW			2
#define XSAVE_OFF_FTW			4	/* abridged tag byte; byte 5 reserved */
#define XSAVE_OFF_MXCSR			24
#define XSAVE_OFF_MXCSR_MASK		28
#define XSAVE_OFF_ST			32	/* ST0-7/MM0-7, 16 bytes each (10 used) */
#define XSAVE_OFF_XMM			160	/* XMM0-15, 16 bytes each */
#define XSAVE_OFF_PAD			416	/* bytes 416-463: reserved */
#define XSAVE_OFF_SW_RESERVED		464	/* bytes 464-511: software (fx_sw_bytes) */
#define XSAVE_SW_RESERVED_LEN		48
#define XSAVE_LEGACY_SIZE		512

/* XSAVE header, bytes 512-575 */
#define XSAVE_OFF_XSTATE_BV		512
#define XSAVE_OFF_XCOMP_BV		520
#define XSAVE_OFF_HDR_RESERVED		528
#define XSAVE_HDR_RESERVED_LEN		48
#define XSAVE_OFF_EXT			576	/* legacy region + header: first extended byte */

/*
 * Offsets and sizes of user components in the standard format, as CPUID
 * 0xD.n enumerates them on every CPU that has them (the tools probe CPUID;
 * these are for hosts that are only modelled).
 */
#define XSAVE_STD_OFF_YMM		576
#define XSAVE_STD_SIZE_YMM		256
#define XSAVE_STD_OFF_BNDREGS		960
#define XSAVE_STD_SIZE_BNDREGS		64
#define XSAVE_STD_OFF_BNDCSR		1024
#define XSAVE_STD_SIZE_BNDCSR		64
#define XSAVE_STD_OFF_OPMASK		1088
#define XSAVE_STD_SIZE_OPMASK		64
#define XSAVE_STD_OFF_ZMM_Hi256		1152
#define XSAVE_STD_SIZE_ZMM_Hi256	512
#define XSAVE_STD_OFF_Hi16_ZMM		1664
#define XSAVE_STD_SIZE_Hi16_ZMM		1024
#define XSAVE_STD_OFF_PKRU		2688
#define XSAVE_STD_SIZE_PKRU		8
#define XSAVE_STD_OFF_XTILE_CFG		2752
#define XSAVE_STD_SIZE_XTILE_CFG	64
#define XSAVE_STD_OFF_XTILE_DATA	2816
#define XSAVE_STD_SIZE_XTILE_DATA	8192

/* ---- register defaults -------------------------------------------- */

#define FCW_DEFAULT			0x037f	/* FNINIT / init_fpstate */
#define MXCSR_DEFAULT			0x1f80	/* init MXCSR */
#define MXCSR_MASK_DEFAULT		0xffbf	/* when FXSAVE reports MXCSR_MASK 0 */

#endif /* XSAVE_ABI_H */
