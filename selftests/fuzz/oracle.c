// SPDX-License-Identifier: GPL-2.0
/*
 * The oracle of xsave_fuzz: compares every KVM_SET_XSAVE result and every
 * KVM_GET_XSAVE with the model (model.c) and reports findings.
 *
 * Until a vCPU runs, KVM_SET_CPUID2 can be repeated on it and its guest FPU
 * state only changes through KVM_SET_XSAVE: every byte KVM_GET_XSAVE
 * returns is then predictable from the last successful KVM_SET_XSAVE input
 * and the current guest CPUID (model_predict()).
 *
 * After a guest run (kvm.c, guest_run()), each KVM_RUN XRSTORs the guest
 * fpstate and XSAVEs it back on the way out: XSAVE may set XSTATE_BV bits of
 * components in their init state (QEMU/TCG reports every requested one),
 * rewrite FOP/FIP/FDP, the reserved FTW byte and MXCSR_MASK.  The guest
 * does not touch the FPU, so relative to the last accepted input (bv' as
 * loaded, gs = guest CPUID.0xD.0 & S, now read-only: KVM_SET_CPUID2 after
 * KVM_RUN fails with EINVAL unless the CPUID is identical) every
 * KVM_GET_XSAVE after a run must show:
 *   XSTATE_BV within gs|FP|SSE (no trimmed bit), XCOMP_BV/reserved = 0,
 *   FXSAVE padding zero, sw_reserved constant, gaps and unreported
 *   components zero;
 *   component in bv' (reported): its register data bit for bit: FCW (but
 *   the reserved bits 6, 7, 13-15, which CPUs normalize), FSW (but ES and
 *   B, derived from the flags), FTW, ST0-7 (80 bits each), XMM0-15,
 *   YMM_Hi128, BND*, ...;
 *   component not in bv': init (FCW 0x37f, FSW/FTW/ST/XMM/extended 0),
 *   whatever XSTATE_BV says;
 *   MXCSR = what KVM_GET_XSAVE reported before the run.  Unpatched v7.3
 *   breaks this (found by this fuzzer): it reports the input's MXCSR when
 *   bv' has SSE or AVX, else 0x1f80, but copy_uabi_to_xstate() copies
 *   MXCSR with FP (bytes 0-159) and keeps the previous MXCSR without
 *   FP/SSE/AVX, and standard-form XRSTOR loads MXCSR whenever RFBM has SSE
 *   or AVX, so the guest got the FP area's or a stale MXCSR while
 *   KVM_GET_XSAVE said 0x1f80; compacted XRSTORS instead initializes it
 *   when XSTATE_BV.SSE is clear, losing the MXCSR of an AVX-without-SSE
 *   image.  On such a kernel these are findings, or, with --mxcsr-known,
 *   counted in a note (an unexplained MXCSR stays a finding).  The series
 *   fixes it ("x86/fpu: Report the MXCSR that a task runs with in UABI
 *   buffers", "x86/fpu: Load the MXCSR of every UABI buffer"); --mxcsr-fix
 *   models that: KVM_SET_XSAVE loads and validates MXCSR whatever XSTATE_BV
 *   says, and KVM_GET_XSAVE reports, with SSE set and the XMM registers zero,
 *   the kernel's MXCSR when it is not 0x1f80 and the reported part of bv' has
 *   no SSE (standard format), or the input's MXCSR when it is not 0x1f80 and
 *   bv' has no SSE (compacted format) (model_mxcsr_forced()).  Chang S. Bae analysed the inconsistency in
 *   https://lore.kernel.org/all/20221005215357.1808-2-chang.seok.bae@intel.com/
 *   PKRU, when reported, = vcpu->arch.pkru: the last PKRU loaded by a
 *   KVM_SET_XSAVE with the PKRU bit (0 on a fresh vCPU), as a real-mode
 *   guest has neither XCR0.PKRU nor CR4.PKE;
 *   no-XSAVE host: bytes 0-511 of the input except FOP/FIP/FDP, MXCSR_MASK
 *   and bytes 416-463 (FCW/FSW as above), XSTATE_BV 3, the rest zero.
 * Every later KVM_GET_XSAVE without a KVM_SET_XSAVE must be byte-identical
 * to the first one after the run, a failed KVM_SET_XSAVE still changes
 * nothing, and a successful one is again exactly predicted as above:
 * copy_uabi_to_xstate() leaves the stale data of clear components in the
 * kernel buffer, but rewrites the user bits of its XSTATE_BV, so
 * KVM_GET_XSAVE reports init values for them and the run leaves no trace.
 * Failed KVM_SET_XSAVE: KVM_GET_XSAVE byte-identical to before.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "fuzz.h"

#define FCW_MASK	0x1f3f	/* FCW bits 6, 7, 13-15 are reserved: CPUs normalize them */
#define FSW_MASK	0x7f7f	/* FSW.ES and FSW.B are derived from the flags and FCW */

u64 n_findings, n_printed, n_unchecked, n_notes, n_mxcsr;
const char *cur_tag = "seed";
u64 cur_tagval;
const struct vcpu *cur_vcpu;
int cur_quirk;

const char *errstr(int e)
{
	static char b[4][32];
	static int i;

	i = (i + 1) % 4;
	if (!e)
		return "0";
	if (e == EINVAL)
		return "EINVAL";
	if (e == EPERM)
		return "EPERM";
	snprintf(b[i], sizeof(b[i]), "errno %d (%s)", e, strerror(e));
	return b[i];
}

void note(const char *fmt, ...)
{
	va_list ap;

	n_notes++;
	printf("note: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void rsv_str(const u8 *rsv, char *out, size_t n)
{
	size_t len = 0;
	int i;

	out[0] = 0;
	for (i = 0; i < RSV_LEN && len + 16 < n; i++)
		if (rsv[i])
			len += snprintf(out + len, n - len, "%s%d:0x%02x",
					len ? "," : "", XSAVE_OFF_HDR_RESERVED + i, rsv[i]);
}

void finding(const struct input *in, const struct expect *e, int actual,
	     const char *fmt, ...)
{
	char rs[400];
	va_list ap;

	n_findings++;
	if (n_printed >= O.max_print) {
		if (n_printed == O.max_print)
			printf("note: further findings not printed (--max-print)\n");
		n_printed++;
		return;
	}
	n_printed++;
	printf("FINDING seed=%" PRIu64 " iter=%" PRIu64 ": ", O.seed, cur_tagval);
	if (strcmp(cur_tag, "seed"))
		printf("[%s] ", cur_tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (in) {
		rsv_str(in->rsv, rs, sizeof(rs));
		printf("  repro: G=0x%" PRIx64 " cpuid=%s cpuid_set=%d quirk=%d "
		       "XSTATE_BV=0x%" PRIx64 " XCOMP_BV=0x%" PRIx64
		       " reserved={%s} MXCSR=0x%08x dseed=0x%" PRIx64 "\n",
		       in->G, cm_name[in->cm], cm_cpuid_set(in->cm), in->quirk,
		       in->bv, in->xcomp, rs, in->mxcsr, in->dseed);
		if (e)
			printf("  model: S=0x%" PRIx64 " L=0x%" PRIx64
			       " mxcsr_mask=0x%08x xsave=%d trimmed=0x%" PRIx64
			       " bv'=0x%" PRIx64 " expected=%s actual=%s\n",
			       H.s, H.L, H.mxcsr_mask, H.xsave, e->trim, e->bvp,
			       errstr(e->err), errstr(actual));
	} else if (cur_vcpu) {
		printf("  state: G=0x%" PRIx64 " cpuid=%s cpuid_set=%d quirk=%d S=0x%" PRIx64
		       " L=0x%" PRIx64 " last loaded bv'=%s0x%" PRIx64 "\n",
		       cur_vcpu->G, cm_name[cur_vcpu->cm], cm_cpuid_set(cur_vcpu->cm), cur_quirk,
		       H.s, H.L, cur_vcpu->m.valid ? "" : "(unknown) ", cur_vcpu->m.bv);
	}
	fflush(stdout);
}

void check_header_only(const u8 *act, u64 gs, const char *ctx)
{
	u64 bv = get64(act + XSAVE_OFF_XSTATE_BV);
	int i;

	if (H.xsave && (bv & ~(gs | XFEATURE_MASK_FPSSE)))
		finding(NULL, NULL, 0, "%s: KVM_GET_XSAVE XSTATE_BV 0x%" PRIx64
			" has bits outside (G&S)|FP|SSE = 0x%" PRIx64, ctx, bv, gs | XFEATURE_MASK_FPSSE);
	if (!H.xsave && bv != XFEATURE_MASK_FPSSE)
		finding(NULL, NULL, 0, "%s: no-XSAVE KVM_GET_XSAVE XSTATE_BV 0x%" PRIx64 " != 0x3", ctx, bv);
	for (i = XSAVE_OFF_XCOMP_BV; i < XSAVE_OFF_EXT; i++)
		if (act[i]) {
			finding(NULL, NULL, 0, "%s: KVM_GET_XSAVE header byte %d = 0x%02x (XCOMP_BV/reserved must be 0)",
				ctx, i, act[i]);
			break;
		}
}

static const char *region(int off)
{
	static char b[32];
	int i;

	if (off < XSAVE_OFF_MXCSR || (off >= XSAVE_OFF_ST && off < XSAVE_OFF_XMM))
		return "x87 legacy";
	if (off < XSAVE_OFF_ST)
		return "MXCSR/MXCSR_MASK";
	if (off < XSAVE_OFF_PAD)
		return "XMM";
	if (off < XSAVE_OFF_SW_RESERVED)
		return "FXSAVE padding";
	if (off < XSAVE_OFF_XSTATE_BV)
		return "sw_reserved";
	if (off < XSAVE_OFF_XCOMP_BV)
		return "XSTATE_BV";
	if (off < XSAVE_OFF_EXT)
		return "XSAVE header";
	for (i = 2; i < 64; i++)
		if (H.size[i] && (u32)off >= H.off[i] && (u32)off < H.off[i] + H.size[i]) {
			snprintf(b, sizeof(b), "xfeature %d", i);
			return b;
		}
	return "extended gap";
}

/* Compare an observed KVM_GET_XSAVE with the prediction; 1 on mismatch. */
static int compare_pred(const struct vcpu *v, const u8 *act, const char *ctx,
			const struct input *in, const struct expect *e)
{
	static u8 exp[XSZ], care[XSZ];
	int i;

	model_predict(&H, &v->m, gs_of(v), exp, care, O.strict_init);
	for (i = 0; i < XSZ; i++)
		if (care[i] && exp[i] != act[i])
			break;
	if (i == XSZ)
		return 0;
	if (i >= XSAVE_OFF_XSTATE_BV && i < XSAVE_OFF_XCOMP_BV)
		finding(in, e, in ? e->err : 0, "%s: KVM_GET_XSAVE XSTATE_BV 0x%" PRIx64
			", expected 0x%" PRIx64 " (loaded bv' 0x%" PRIx64 " & ((G&S)|3), G&S=0x%" PRIx64 ")",
			ctx, get64(act + XSAVE_OFF_XSTATE_BV), get64(exp + XSAVE_OFF_XSTATE_BV), v->m.bv, gs_of(v));
	else
		finding(in, e, in ? e->err : 0, "%s: KVM_GET_XSAVE byte %d (%s) = 0x%02x, expected 0x%02x"
			" (loaded bv' 0x%" PRIx64 ", reported XSTATE_BV 0x%" PRIx64 ")",
			ctx, i, region(i), act[i], exp[i], v->m.bv, get64(act + XSAVE_OFF_XSTATE_BV));
	return 1;
}

/*
 * KVM_GET_XSAVE after a guest run: the post-run invariant of the header,
 * relative to the last accepted input.  1 on a violation.
 */
static const char *mxcsr_kind(const struct vcpu *v, u32 am)
{
	u64 b = v->m.bv;

	if (!(b & XFEATURE_MASK_FPSSEYMM) && v->m.mxcsr_before_known && am == v->m.mxcsr_before_set)
		return "stale, the MXCSR from before the last KVM_SET_XSAVE (copy_uabi_to_xstate()"
		       " keeps the buffer's MXCSR without FP/SSE/AVX, XRSTOR loads it)";
	if ((b & XFEATURE_MASK_FP) && !(b & (XFEATURE_MASK_SSE | XFEATURE_MASK_YMM)) &&
	    am == get32(v->m.img + XSAVE_OFF_MXCSR))
		return "the MXCSR of the FP area loaded without SSE/AVX (XRSTOR loads it,"
		       " KVM_GET_XSAVE reports init)";
	if ((b & XFEATURE_MASK_YMM) && !(b & XFEATURE_MASK_SSE) && am == MXCSR_DEFAULT)
		return "init although AVX was loaded without SSE (compacted XRSTORS initializes it)";
	return NULL;
}

int check_after_run(const struct vcpu *v, const u8 *act, const char *ctx)
{
	static u8 exp[XSZ], care[XSZ];
	u64 gs = gs_of(v), bv = get64(act + XSAVE_OFF_XSTATE_BV), bad;
	const struct input *in = &v->m.in;
	u32 m, am = get32(act + XSAVE_OFF_MXCSR);
	u16 ew, aw;
	int i, r;

	model_predict(&H, &v->m, gs, exp, care, 1);
	/* FCW/FSW: compared below without their reserved/derived bits */
	memset(care, 0, 4);
	/* x87 control fields XSAVE may rewrite; the 6 reserved bytes of each ST */
	memset(care + 5, 0, 19);		/* FTW high byte, FOP, FIP, FDP */
	memset(care + XSAVE_OFF_MXCSR_MASK, 0, 4);	/* MXCSR_MASK */
	for (r = 0; r < 8; r++)
		memset(care + XSAVE_OFF_ST + 16 * r + 10, 0, 6);
	if (!H.xsave) {
		memset(care + XSAVE_OFF_PAD, 0, XSAVE_OFF_SW_RESERVED - XSAVE_OFF_PAD);
	} else {
		memset(care + XSAVE_OFF_XSTATE_BV, 0, 8);	/* XSTATE_BV: checked here */
		bad = bv & ~(gs | XFEATURE_MASK_FPSSE);
		if (bad || (bv & v->m.trim)) {
			finding(in, NULL, 0, "%s: KVM_GET_XSAVE XSTATE_BV 0x%" PRIx64 " has bits 0x%" PRIx64
				" outside (G&S)|FP|SSE = 0x%" PRIx64 " or trimmed 0x%" PRIx64 " (last bv' 0x%" PRIx64 ")",
				ctx, bv, bad | (bv & v->m.trim), gs | XFEATURE_MASK_FPSSE, v->m.trim, v->m.bv);
			return 1;
		}
		/*
		 * MXCSR: what KVM_GET_XSAVE reported before the run, i.e. the
		 * input's when bv' has SSE or AVX, else init.  The hardware
		 * disagrees (mxcsr_kind()), a known kernel inconsistency that
		 * --mxcsr-known counts instead of reporting.
		 */
		memset(care + XSAVE_OFF_MXCSR, 0, 4);
		m = (v->m.bv & (XFEATURE_MASK_SSE | XFEATURE_MASK_YMM)) ?
			get32(v->m.img + XSAVE_OFF_MXCSR) : MXCSR_DEFAULT;
		r = model_mxcsr_forced(&H, &v->m, gs, &m);
		if (r >= 0 && am != m) {
			const char *kind = mxcsr_kind(v, am);

			n_mxcsr++;
			if (!(kind && O.mxcsr_known)) {
				finding(in, NULL, 0, "%s: guest MXCSR 0x%08x, but KVM_GET_XSAVE reported 0x%08x"
					" before the run (loaded bv' 0x%" PRIx64 ", input MXCSR 0x%08x, reported"
					" XSTATE_BV 0x%" PRIx64 "): %s", ctx, am, m, v->m.bv,
					get32(v->m.img + XSAVE_OFF_MXCSR), bv, kind ? kind : "unexplained");
				return 1;
			}
		}
		/*
		 * PKRU when reported: vcpu->arch.pkru, even if its bit was
		 * clear (the XSAVE on exit saved the host's PKRU register);
		 * zero when not reported.
		 */
		if (H.size[XFEATURE_PKRU] && (gs & XFEATURE_MASK_PKRU)) {
			put32(exp + H.off[XFEATURE_PKRU], (bv & XFEATURE_MASK_PKRU) ? v->m.pkru : 0);
			if (!v->m.pkru_known)
				memset(care + H.off[XFEATURE_PKRU], 0, 4);
		}
	}
	for (r = 0; r < 2; r++) {
		u16 mask = r ? FSW_MASK : FCW_MASK;

		ew = exp[2 * r] | exp[2 * r + 1] << 8;
		aw = act[2 * r] | act[2 * r + 1] << 8;
		if ((ew ^ aw) & mask) {
			finding(in, NULL, 0, "%s: KVM_GET_XSAVE %s 0x%04x, expected 0x%04x (mask 0x%04x; loaded bv' 0x%"
				PRIx64 ", reported XSTATE_BV 0x%" PRIx64 ")", ctx, r ? "FSW" : "FCW", aw, ew, mask,
				v->m.bv, bv);
			return 1;
		}
	}
	for (i = 0; i < XSZ; i++)
		if (care[i] && exp[i] != act[i])
			break;
	if (i == XSZ)
		return 0;
	finding(in, NULL, 0, "%s: KVM_GET_XSAVE byte %d (%s) = 0x%02x, expected 0x%02x"
		" (input byte 0x%02x, loaded bv' 0x%" PRIx64 ", G&S 0x%" PRIx64 ", reported XSTATE_BV 0x%" PRIx64
		", PKRU model %s0x%08x)", ctx, i, region(i), act[i], exp[i], v->m.img[i], v->m.bv, gs, bv,
		v->m.pkru_known ? "" : "(unknown) ", v->m.pkru);
	return 1;
}

/* Refresh v->cur after something that must not change the FPU state. */
void resync(struct vcpu *v, const char *ctx, int must_equal_cur)
{
	static u8 act[XSZ];
	int e = get_xsave(v->fd, act);

	if (e) {
		finding(NULL, NULL, 0, "%s: KVM_GET_XSAVE failed: %s", ctx, errstr(e));
		return;
	}
	if (H.xsave && !H.swres_known) {
		memcpy(H.swres, act + XSAVE_OFF_SW_RESERVED, XSAVE_SW_RESERVED_LEN);
		H.swres_known = 1;
	}
	check_header_only(act, gs_of(v), ctx);
	if (v->m.valid && v->ran_since_set) {
		/* each violation once per accepted input */
		if (!v->run_bad && check_after_run(v, act, ctx))
			v->run_bad = 1;
		else if (must_equal_cur && memcmp(act, v->cur, XSZ)) {
			int i;

			for (i = 0; i < XSZ && act[i] == v->cur[i]; i++)
				;
			finding(&v->m.in, NULL, 0, "%s: KVM_GET_XSAVE after a guest run changed without"
				" KVM_SET_XSAVE: byte %d (%s) 0x%02x -> 0x%02x",
				ctx, i, region(i), v->cur[i], act[i]);
		}
	} else if (v->m.valid) {
		compare_pred(v, act, ctx, NULL, NULL);
	} else if (must_equal_cur && memcmp(act, v->cur, XSZ)) {
		finding(NULL, NULL, 0, "%s: KVM_GET_XSAVE changed although nothing was loaded", ctx);
	}
	if (model_shows_kmxcsr(&H, act)) {
		v->m.kmxcsr = get32(act + XSAVE_OFF_MXCSR);
		v->m.kmxcsr_known = 1;
	}
	memcpy(v->cur, act, XSZ);
}

/* One KVM_SET_XSAVE plus all invariant checks; returns the errno. */
int run_input(struct vcpu *v, const struct input *in, const u8 *img)
{
	static u8 act[XSZ];
	struct expect e = model(&H, in);
	int err, ge;

	err = set_xsave(v->fd, img);
	if (e.uncertain) {
		n_unchecked++;
	} else if (err != e.err) {
		if (!err)
			finding(in, &e, err, "KVM_SET_XSAVE succeeded, model expects %s", errstr(e.err));
		else
			finding(in, &e, err, "KVM_SET_XSAVE failed with %s, model expects %s",
				errstr(err), errstr(e.err));
	}

	ge = get_xsave(v->fd, act);
	if (ge) {
		finding(in, &e, err, "KVM_GET_XSAVE after KVM_SET_XSAVE failed: %s", errstr(ge));
		return err;
	}
	check_header_only(act, gs_of(v), "after KVM_SET_XSAVE");

	if (err) {
		if (memcmp(act, v->cur, XSZ)) {
			int i;

			for (i = 0; i < XSZ && act[i] == v->cur[i]; i++)
				;
			finding(in, &e, err, "failed KVM_SET_XSAVE changed vCPU state: byte %d (%s) 0x%02x -> 0x%02x",
				i, region(i), v->cur[i], act[i]);
		}
	} else if (!e.err && !e.uncertain) {
		model_accept(&H, &v->m, in, img, &e);
		v->ran_since_set = 0;
		v->run_bad = 0;
		compare_pred(v, act, "after successful KVM_SET_XSAVE", in, &e);
	} else {
		v->m.valid = 0;	/* loaded something the model did not expect */
		v->m.pkru_known = 0;
		v->m.kmxcsr_known = 0;
	}
	memcpy(v->cur, act, XSZ);
	return err;
}
