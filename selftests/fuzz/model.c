// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI model of xsave_fuzz (Documentation/design.md, decision table):
 * pure functions, no globals.  Checked on the build host by
 * fuzz_model_test.c (scripts/fuzz-model-test.sh).
 *
 * Model (read from arch/x86/kvm/x86.c, arch/x86/kernel/fpu/{core,xstate}.c):
 *   S     = kvm_caps.supported_xcr0 (KVM_GET_DEVICE_ATTR KVM_X86_XCOMP_GUEST_SUPP
 *           on /dev/kvm; KVM_GET_SUPPORTED_CPUID hides XTILE_CFG without AMX
 *           permission although KVM can load it)
 *   L     = loadable = FP|SSE | (S & guest fpstate user_xfeatures), and
 *           user_xfeatures = host XCR0 & USER & ~XTILE_DATA (no
 *           ARCH_REQ_XCOMP_GUEST_PERM is requested); L = FP|SSE without XSAVE
 *   K     = FP|SSE | S with XSAVE, FP|SSE without (what KVM supports; a
 *           supported but unloadable XTILE_DATA is never trimmed)
 *   P     = PKRU if KVM supports PKU (CPUID.7.0:ECX[3] in
 *           KVM_GET_SUPPORTED_CPUID; CR4.PKE reaches PKRU), else 0
 *   T     = quirk ? XSTATE_BV & USER & ~K & ~P : 0 (the guest CPUID, and
 *           whether it was set, play no part)
 *   quirk: EINVAL if T && (XCOMP_BV || reserved[48] != 0 ||
 *          (T has YMM && XSTATE_BV has neither FP nor SSE))
 *   bv'   = XSTATE_BV & ~T
 *   XSAVE host:    EINVAL if bv' & ~L, XCOMP_BV, reserved[48] != 0,
 *                  or (bv' & (FP|SSE|YMM)) && (MXCSR & ~mxcsr_mask)
 *   no XSAVE host: EINVAL if bv' & ~(FP|SSE), or MXCSR & ~mxcsr_mask
 *   XFD is 0 on a vCPU that never ran and never had MSR_IA32_XFD written.
 *   (USER = KVM_SUPPORTED_XCR0_MASK of xsave_abi.h.)
 * Observation (KVM_GET_XSAVE, XSAVE host), gs = guest CPUID.0xD.0 & S:
 *   XSTATE_BV = bv'(last success) & (gs | FP|SSE), XCOMP_BV/reserved = 0,
 *   legacy x87 / MXCSR / XMM / components = bytes of that input for the
 *   reported features, zero for absent extended features, padding zero,
 *   sw_reserved constant; PKRU = 4 bytes of the input + 4 zero bytes.
 * With --mxcsr-fix (the x86-fpu posting) KVM_SET_XSAVE also validates the
 * MXCSR of a buffer with none of FP, SSE and YMM, and KVM_GET_XSAVE reports
 * SSE for an MXCSR that is not 0x1f80 (model_mxcsr_forced()).
 */
#include <errno.h>
#include "model.h"

const char *const cm_name[CM_MAX] = {
	"none", "nent0", "full", "no-0xd", "no-0xd.0", "only-0xd.0"
};

void model_host_derive(struct xf_host *h)
{
	if (h->xsave) {
		u64 uxf = h->xcr0 & KVM_SUPPORTED_XCR0_MASK & ~XFEATURE_MASK_XTILE_DATA;

		h->L = (h->s & uxf) | XFEATURE_MASK_FPSSE;
		h->K = h->s | XFEATURE_MASK_FPSSE;
	} else {
		h->L = XFEATURE_MASK_FPSSE;
		h->K = XFEATURE_MASK_FPSSE;
	}
}

void model_host_std_layout(struct xf_host *h)
{
	static const struct { int bit; u32 off, size; } std[] = {
		{ XFEATURE_YMM, XSAVE_STD_OFF_YMM, XSAVE_STD_SIZE_YMM },
		{ XFEATURE_BNDREGS, XSAVE_STD_OFF_BNDREGS, XSAVE_STD_SIZE_BNDREGS },
		{ XFEATURE_BNDCSR, XSAVE_STD_OFF_BNDCSR, XSAVE_STD_SIZE_BNDCSR },
		{ XFEATURE_OPMASK, XSAVE_STD_OFF_OPMASK, XSAVE_STD_SIZE_OPMASK },
		{ XFEATURE_ZMM_Hi256, XSAVE_STD_OFF_ZMM_Hi256, XSAVE_STD_SIZE_ZMM_Hi256 },
		{ XFEATURE_Hi16_ZMM, XSAVE_STD_OFF_Hi16_ZMM, XSAVE_STD_SIZE_Hi16_ZMM },
		{ XFEATURE_PKRU, XSAVE_STD_OFF_PKRU, XSAVE_STD_SIZE_PKRU },
		{ XFEATURE_XTILE_CFG, XSAVE_STD_OFF_XTILE_CFG, XSAVE_STD_SIZE_XTILE_CFG },
		{ XFEATURE_XTILE_DATA, XSAVE_STD_OFF_XTILE_DATA, XSAVE_STD_SIZE_XTILE_DATA },
	};
	size_t i;

	memset(h->off, 0, sizeof(h->off));
	memset(h->size, 0, sizeof(h->size));
	if (!h->xsave)
		return;
	for (i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if (h->xcr0 >> std[i].bit & 1) {
			h->off[std[i].bit] = std[i].off;
			h->size[std[i].bit] = std[i].size;
		}
}

int model_host_profile(const char *name, int mxcsr_fix, struct xf_host *h)
{
	/* host xfeatures as the booted kernel reports them, S as KVM on AMD has it */
	static const struct {
		const char *name;
		int xsave, pku;
		u64 xcr0, s;
	} p[] = {
		{ "max", 1, 1, 0x21f, 0x207 },		/* KVM on AMD never supports MPX */
		{ "max-nopku", 1, 0, 0x1f, 0x7 },
		{ "epyc-rome", 1, 0, 0x7, 0x7 },
		{ "max-noavx", 1, 1, 0x21b, 0x203 },
		{ "noxsave", 0, 1, 0, 0 },		/* KVM PKU support without XSAVE */
		{ "amx", 1, 1, 0x602e7, 0x602e7 },	/* AVX-512, PKRU, AMX; no MPX */
	};
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		if (strcmp(name, p[i].name))
			continue;
		memset(h, 0, sizeof(*h));
		h->xsave = p[i].xsave;
		h->pku = p[i].pku;
		h->xcr0 = p[i].xcr0;
		h->s = h->s_cpuid = p[i].s;
		h->s_known = 1;
		h->mxcsr_fix = mxcsr_fix;
		h->mxcsr_mask = 0xffff;		/* what QEMU TCG reports */
		h->quirk_ok = 1;
		model_host_derive(h);
		model_host_std_layout(h);
		return 1;
	}
	return 0;
}

u64 model_gs(const struct xf_host *h, int cm, u64 G)
{
	return (cm_has_d0(cm) ? G : 0) & h->s;
}

struct expect model(const struct xf_host *h, const struct input *in)
{
	struct expect e;
	int i, rsv = 0;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < RSV_LEN; i++)
		rsv |= in->rsv[i];
	/* Independent of the guest CPUID and of whether it was set. */
	e.trim = in->quirk ? in->bv & KVM_SUPPORTED_XCR0_MASK & ~h->K : 0;
	if (h->pku)
		e.trim &= ~XFEATURE_MASK_PKRU;
	/* Never on a bad header; never YMM when it alone carries MXCSR. */
	if (e.trim && (in->xcomp || rsv ||
		       ((e.trim & XFEATURE_MASK_YMM) && !(in->bv & XFEATURE_MASK_FPSSE)))) {
		e.trim = 0;
		e.err = EINVAL;
	}
	e.bvp = in->bv & ~e.trim;
	if (e.err) {
		/* refused by the quirk itself */
	} else if (h->xsave) {
		if ((e.bvp & ~h->L) || in->xcomp || rsv ||
		    ((h->mxcsr_fix || (e.bvp & XFEATURE_MASK_FPSSEYMM)) && (in->mxcsr & ~h->mxcsr_mask)))
			e.err = EINVAL;
	} else {
		if ((e.bvp & ~XFEATURE_MASK_FPSSE) || (in->mxcsr & ~h->mxcsr_mask))
			e.err = EINVAL;
	}
	e.uncertain = !!(in->bv & h->unc);
	return e;
}

void model_accept(const struct xf_host *h, struct vstate *m, const struct input *in,
		  const u8 *img, const struct expect *e)
{
	memcpy(m->img, img, XSZ);
	m->bv = e->bvp;
	m->valid = 1;
	m->in = *in;
	m->trim = e->trim;
	/* KVM's ABI: a clear PKRU bit leaves vcpu->arch.pkru unchanged */
	if (h->size[XFEATURE_PKRU] && (e->bvp & XFEATURE_MASK_PKRU))
		m->pkru = get32(img + h->off[XFEATURE_PKRU]);
	m->mxcsr_before_set = m->kmxcsr;
	m->mxcsr_before_known = m->kmxcsr_known;
	if (!h->xsave || h->mxcsr_fix || (e->bvp & XFEATURE_MASK_FPSSEYMM)) {
		m->kmxcsr = in->mxcsr;
		m->kmxcsr_known = 1;
	}
}

/*
 * With --mxcsr-fix (the series' MXCSR patches), KVM_SET_XSAVE loads, and
 * validates, the MXCSR of every buffer, and KVM_GET_XSAVE reports an MXCSR
 * that is not 0x1f80 with SSE set in XSTATE_BV, the XMM registers in init
 * state if bv' had no SSE.  Standard format: the reported bits of bv'
 * (those in (G&S)|FP|SSE) have no SSE and the kernel's MXCSR (the input's)
 * is not 0x1f80.  Compacted format: bv' has no SSE and the input's MXCSR is
 * not 0x1f80.  1 and *mxcsr when SSE is reported that
 * way, 0 when not, -1 when the kernel's MXCSR is not known to the model.
 */
int model_mxcsr_forced(const struct xf_host *h, const struct vstate *m, u64 gs, u32 *mxcsr)
{
	u64 b = m->bv;

	if (!h->mxcsr_fix || !h->xsave)
		return 0;
	if (h->compacted) {
		if ((b & XFEATURE_MASK_SSE) || get32(m->img + XSAVE_OFF_MXCSR) == MXCSR_DEFAULT)
			return 0;
		*mxcsr = get32(m->img + XSAVE_OFF_MXCSR);
		return 1;
	}
	if (b & (gs | XFEATURE_MASK_FPSSE) & XFEATURE_MASK_SSE)	/* reported with SSE */
		return 0;
	if (!m->kmxcsr_known)
		return -1;
	*mxcsr = m->kmxcsr;
	return *mxcsr != MXCSR_DEFAULT;
}

/* Expected KVM_GET_XSAVE output from the last loaded image. */
void model_predict(const struct xf_host *h, const struct vstate *m, u64 gs,
		   u8 *exp, u8 *care, int strict)
{
	const u8 *sh = m->img;
	u64 ob = m->bv & (gs | XFEATURE_MASK_FPSSE);
	u32 fm = 0;
	int i, forced = model_mxcsr_forced(h, m, gs, &fm);

	memset(exp, 0, XSZ);
	memset(care, 1, XSZ);
	if (!h->xsave) {
		memcpy(exp, sh, XSAVE_LEGACY_SIZE);
		put64(exp + XSAVE_OFF_XSTATE_BV, XFEATURE_MASK_FPSSE);
		return;
	}
	if (ob & XFEATURE_MASK_FP) {
		memcpy(exp, sh, XSAVE_OFF_MXCSR);
		memcpy(exp + XSAVE_OFF_ST, sh + XSAVE_OFF_ST, XSAVE_OFF_XMM - XSAVE_OFF_ST);
	} else {
		/* init_fpstate: FCW 0x37f, everything else 0 */
		exp[XSAVE_OFF_FCW] = FCW_DEFAULT & 0xff;
		exp[XSAVE_OFF_FCW + 1] = FCW_DEFAULT >> 8;
		if (!strict) {
			memset(care, 0, XSAVE_OFF_MXCSR);
			memset(care + XSAVE_OFF_ST, 0, XSAVE_OFF_XMM - XSAVE_OFF_ST);
		}
	}
	if (ob & (XFEATURE_MASK_SSE | XFEATURE_MASK_YMM)) {
		memcpy(exp + XSAVE_OFF_MXCSR, sh + XSAVE_OFF_MXCSR, 8);
	} else {
		memset(care + XSAVE_OFF_MXCSR, 0, 8);	/* init MXCSR + MXCSR_MASK */
		if (strict) {
			put32(exp + XSAVE_OFF_MXCSR, MXCSR_DEFAULT);
			memset(care + XSAVE_OFF_MXCSR, 1, 4);
		}
	}
	if (ob & XFEATURE_MASK_SSE)
		memcpy(exp + XSAVE_OFF_XMM, sh + XSAVE_OFF_XMM, 256);
	else if (!strict)
		memset(care + XSAVE_OFF_XMM, 0, 256);
	if (h->swres_known)
		memcpy(exp + XSAVE_OFF_SW_RESERVED, h->swres, XSAVE_SW_RESERVED_LEN);
	else
		memset(care + XSAVE_OFF_SW_RESERVED, 0, XSAVE_SW_RESERVED_LEN);
	put64(exp + XSAVE_OFF_XSTATE_BV, ob);
	if (forced) {
		/* MXCSR_MASK: the input's or the previous one, not modelled */
		memset(care + XSAVE_OFF_MXCSR, 0, 8);
		memset(exp + XSAVE_OFF_XMM, 0, 256);
		memset(care + XSAVE_OFF_XMM, forced > 0, 256);
		if (forced > 0) {
			put32(exp + XSAVE_OFF_MXCSR, fm);
			memset(care + XSAVE_OFF_MXCSR, 1, 4);
			put64(exp + XSAVE_OFF_XSTATE_BV, ob | XFEATURE_MASK_SSE);
		} else {
			care[XSAVE_OFF_XSTATE_BV] = 0;	/* SSE reported or not */
		}
	}
	for (i = 2; i < 64; i++) {
		u32 off = h->off[i], n;

		if (!(ob >> i & 1))
			continue;
		if (!h->size[i]) {	/* unknown layout: cannot predict */
			memset(care + XSAVE_OFF_EXT, 0, XSZ - XSAVE_OFF_EXT);
			continue;
		}
		n = off + h->size[i] > XSZ ? XSZ - off : h->size[i];
		memcpy(exp + off, sh + off, n);
		if (i == XFEATURE_PKRU && n > 4)
			memset(exp + off + 4, 0, n - 4);	/* struct pkru_state.pad */
	}
}

/*
 * Yes without XSAVE, with SSE or AVX reported, and with --mxcsr-fix on a
 * standard-format kernel (it then reports 0x1f80 only when that is the
 * kernel's MXCSR).
 */
int model_shows_kmxcsr(const struct xf_host *h, const u8 *act)
{
	return !h->xsave || (get64(act + XSAVE_OFF_XSTATE_BV) & (XFEATURE_MASK_SSE | XFEATURE_MASK_YMM)) ||
	       (h->mxcsr_fix && !h->compacted);
}
