/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzzer's model of KVM_SET_XSAVE and KVM_GET_XSAVE with
 * KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED (Documentation/design.md): pure
 * functions of the host's capabilities (struct xf_host), the input (struct
 * input: image header, MXCSR, guest CPUID and whether it was set, quirk) and
 * what the model knows of the vCPU (struct vstate).  No globals, no KVM:
 * xsave_fuzz checks a kernel against it, fuzz_model_test checks it against
 * the decision table on the build host.
 */
#ifndef FUZZ_MODEL_H
#define FUZZ_MODEL_H

#include <stdint.h>
#include <string.h>
#include "xsave_abi.h"

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;

#define XSZ		KVM_XSAVE_REGION_SIZE
#define RSV_LEN		XSAVE_HDR_RESERVED_LEN

/* How the guest CPUID was set (KVM_SET_CPUID2) before the input. */
enum { CM_NONE, CM_NENT0, CM_FULL, CM_NO_D, CM_NO_D0, CM_ONLY_D0, CM_MAX };
extern const char *const cm_name[CM_MAX];
/* vcpu->arch.cpuid_nent != 0 */
static inline int cm_cpuid_set(int cm) { return cm >= CM_FULL; }
/* a 0xD.0 entry carrying G exists */
static inline int cm_has_d0(int cm) { return cm == CM_FULL || cm == CM_ONLY_D0; }

static inline u64 get64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }
static inline u32 get32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static inline void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }
static inline void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }

/* What the model knows about the host (probed by kvm.c, or a profile). */
struct xf_host {
	int xsave;		/* kernel uses XSAVE (CPUID.1:ECX XSAVE && OSXSAVE) */
	int compacted;		/* kernel buffers compacted (XSAVEC or XSAVES) */
	int pku;		/* KVM supports PKU (CR4.PKE) */
	int mxcsr_fix;		/* kernel has the x86/fpu posting's MXCSR fixes (--mxcsr-fix) */
	u64 xcr0;		/* host XCR0 (the kernel's xfeatures) */
	u64 s;			/* S: kvm_caps.supported_xcr0 */
	u64 L, K;		/* derived from the above: model_host_derive() */
	u64 unc;		/* bits whose support is uncertain (S from the CPUID fallback) */
	u32 mxcsr_mask;
	u32 off[64], size[64];	/* standard-format offset/size of xfeature i, 0 = unknown */
	u8 swres[XSAVE_SW_RESERVED_LEN];	/* sw_reserved of KVM_GET_XSAVE, once seen */
	int swres_known;
	/* probed, not used by the model */
	u64 s_cpuid;		/* KVM_GET_SUPPORTED_CPUID 0xD.0 */
	int s_known;		/* S from KVM_X86_XCOMP_GUEST_SUPP */
	u64 quirks;		/* KVM_CHECK_EXTENSION(KVM_CAP_DISABLE_QUIRKS2) */
	int quirk_ok;		/* the quirk exists */
};

/* One KVM_SET_XSAVE input, as generated and as recorded in a corpus. */
struct input {
	u64 bv, xcomp, G, dseed;
	u8 rsv[RSV_LEN];
	u32 mxcsr;
	int cm, quirk;
};

/* The model's decision for one input. */
struct expect {
	int err;		/* 0 or EINVAL */
	u64 trim, bvp;		/* bits trimmed by the quirk; bv' = XSTATE_BV as loaded */
	int uncertain;		/* touches H.unc: not checked */
};

/* What the model knows of one vCPU's guest FPU state. */
struct vstate {
	int valid;		/* an accepted input is known: KVM_GET_XSAVE is predictable */
	u64 bv;			/* bv' of the last accepted input */
	u8 img[XSZ];		/* the last accepted image */
	struct input in;	/* the last accepted input */
	u64 trim;		/* what it trimmed */
	u32 pkru;		/* vcpu->arch.pkru */
	int pkru_known;
	u32 kmxcsr;		/* the MXCSR in KVM's fpstate buffer */
	int kmxcsr_known;
	u32 mxcsr_before_set;	/* kmxcsr before the last accepted input */
	int mxcsr_before_known;
};

/* L and K of @h from xsave, xcr0 and s. */
void model_host_derive(struct xf_host *h);
/* Standard-format off[]/size[] for the user xfeatures of h->xcr0. */
void model_host_std_layout(struct xf_host *h);
/*
 * A QEMU host of config/hosts as the model sees it (Documentation/testing.md),
 * or "amx": a host with AVX-512, PKU and AMX.  0 if @name is unknown.
 */
int model_host_profile(const char *name, int mxcsr_fix, struct xf_host *h);

/* gs = guest CPUID.0xD.0 & S */
u64 model_gs(const struct xf_host *h, int cm, u64 G);
/* The decision for one KVM_SET_XSAVE. */
struct expect model(const struct xf_host *h, const struct input *in);
/* @m after KVM_SET_XSAVE accepted @in (image @img) as @e predicted. */
void model_accept(const struct xf_host *h, struct vstate *m, const struct input *in,
		  const u8 *img, const struct expect *e);
/*
 * With --mxcsr-fix: 1 and *mxcsr when KVM_GET_XSAVE reports SSE set with
 * that MXCSR although bv' has no (reported) SSE, 0 when not, -1 when the
 * kernel's MXCSR is not known to the model.
 */
int model_mxcsr_forced(const struct xf_host *h, const struct vstate *m, u64 gs, u32 *mxcsr);
/* Expected KVM_GET_XSAVE (@exp, where @care is 1) from the last loaded image. */
void model_predict(const struct xf_host *h, const struct vstate *m, u64 gs,
		   u8 *exp, u8 *care, int strict);
/* Does this KVM_GET_XSAVE show the MXCSR in KVM's fpstate? */
int model_shows_kmxcsr(const struct xf_host *h, const u8 *act);

#endif /* FUZZ_MODEL_H */
