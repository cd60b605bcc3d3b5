// SPDX-License-Identifier: GPL-2.0
/*
 * Input generation for xsave_fuzz: one xorshift64* stream from the seed
 * (--seed) drives every random decision of the fuzzer, in a fixed order;
 * the data bytes of an image come from a per-input seed (dseed), so that a
 * corpus line reproduces its image.  Reads the host (H), never KVM.
 */
#include "fuzz.h"

struct rng { u64 s; };
static u64 rnext(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}
static void rseed(struct rng *r, u64 s) { r->s = s ? s : 0x9E3779B97F4A7C15ULL; }
static struct rng R;
void gen_seed(u64 seed) { rseed(&R, seed); }
u64 rnd(void) { return rnext(&R); }
u32 rn(u32 n) { return (u32)(rnd() % n); }
int chance(u32 num, u32 den) { return rn(den) < num; }

static const u64 groups[] = {
	XFEATURE_MASK_YMM, XFEATURE_MASK_MPX, XFEATURE_MASK_AVX512, XFEATURE_MASK_PKRU,
	XFEATURE_MASK_XTILE_CFG, XFEATURE_MASK_XTILE_DATA, XFEATURE_MASK_APX
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static u64 rand_subset(u64 m)
{
	return m & rnd();
}

static u64 group_subset(u64 m)
{
	u64 r = 0;
	size_t i;

	for (i = 0; i < NGROUPS; i++)
		if ((groups[i] & m) && chance(1, 2))
			r |= chance(7, 8) ? (groups[i] & m) : rand_subset(groups[i] & m);
	return r;
}

u64 gen_G(void)
{
	const u64 user = KVM_SUPPORTED_XCR0_MASK, fpsse = XFEATURE_MASK_FPSSE;
	u32 r = rn(100);
	u64 G;

	if (r < 65) {
		G = chance(9, 10) ? fpsse : rand_subset(fpsse);
		G |= group_subset(user & ~XFEATURE_MASK_XTILE_DATA & ~fpsse);
		if (chance(1, 40))
			G |= XFEATURE_MASK_AMX;
	} else if (r < 80) {
		G = fpsse | group_subset(H.s);		/* "faithful" guest */
	} else if (r < 90) {
		G = rand_subset(user & ~XFEATURE_MASK_XTILE_DATA);
	} else if (r < 97) {
		G = (fpsse | group_subset(user)) | (rnd() & ~user & rnd());
		G &= ~XFEATURE_MASK_XTILE_DATA;
	} else {
		G = rnd();
	}
	return G & ~H.unc;
}

int gen_cm(void)
{
	u32 r = rn(100);

	if (r < 66)
		return CM_FULL;
	if (r < 76)
		return CM_ONLY_D0;
	if (r < 84)
		return CM_NO_D;
	if (r < 91)
		return CM_NO_D0;
	return CM_NENT0;
}

static u64 gen_bv(u64 G, u64 base_bv)
{
	u64 unl = KVM_SUPPORTED_XCR0_MASK & ~H.L, bv;
	u32 r = rn(100);

	if (r < 22) {
		bv = rand_subset(H.L);
	} else if (r < 55) {
		bv = rand_subset(H.L) | group_subset(unl);	/* trim candidates */
	} else if (r < 68) {
		bv = rand_subset(H.L) | group_subset(unl & G);	/* visible, unloadable */
	} else if (r < 76) {
		bv = rand_subset(G | H.L);
	} else if (r < 86) {
		bv = rand_subset(H.L) | group_subset(unl);
		bv |= 1ULL << rn(64);				/* supervisor / unknown */
	} else if (r < 93) {
		bv = chance(1, 2) ? rnd() : rnd() & rnd();
	} else if (r < 96) {
		bv = rand_subset(KVM_SUPPORTED_XCR0_MASK);
	} else {
		static const u64 fixed[] = { 0, 1, 2, 3, 4, 7 };

		bv = chance(1, 2) ? base_bv : fixed[rn(6)];
	}
	/* mostly keep x87/SSE set, as real images do */
	if (r < 86 && chance(3, 4))
		bv |= chance(7, 10) ? XFEATURE_MASK_FPSSE : rand_subset(XFEATURE_MASK_FPSSE);
	return bv;
}

static void gen_header(struct input *in, u64 base_bv)
{
	u32 r;
	int i, k;

	in->bv = gen_bv(in->G, base_bv);

	r = rn(100);
	if (r < 90)
		in->xcomp = 0;
	else if (r < 93)
		in->xcomp = 1ULL << 63 | in->bv;
	else if (r < 97)
		in->xcomp = 1ULL << rn(64);
	else
		in->xcomp = rnd();

	memset(in->rsv, 0, RSV_LEN);
	if (chance(8, 100)) {
		k = 1 + rn(3);
		for (i = 0; i < k; i++)
			in->rsv[rn(RSV_LEN)] = (u8)(1 + rn(255));
	}

	r = rn(100);
	if (r < 78)
		in->mxcsr = (u32)rnd() & H.mxcsr_mask;
	else if (r < 86)
		in->mxcsr = MXCSR_DEFAULT;
	else if (r < 90)
		in->mxcsr = 0;
	else if (~H.mxcsr_mask) {
		u32 res = ~H.mxcsr_mask, bit;

		do {
			bit = 1U << rn(32);
		} while (!(bit & res));
		in->mxcsr = (((u32)rnd() & H.mxcsr_mask) | bit) | (chance(1, 4) ? ((u32)rnd() & res) : 0);
	} else {
		in->mxcsr = (u32)rnd();
	}
}

static void fill(struct rng *r, u8 *p, u32 n)
{
	u32 mode = rnext(r) % 8, i;

	for (i = 0; i < n; i++)
		p[i] = mode == 0 ? 0 : mode == 1 ? 0xff : (u8)rnext(r);
}

/* Data bytes from the per-input seed; never touches MXCSR or the header. */
static void gen_data(u8 *img, u64 dseed)
{
	struct rng r;
	u8 save[8];
	int i;

	rseed(&r, dseed);
	memcpy(save, img + XSAVE_OFF_MXCSR, 4);
	if (rnext(&r) & 1)
		fill(&r, img, XSAVE_OFF_MXCSR);
	if (rnext(&r) & 1)
		fill(&r, img + XSAVE_OFF_ST, XSAVE_OFF_XMM - XSAVE_OFF_ST);
	if (!(rnext(&r) & 3))
		fill(&r, img + XSAVE_OFF_MXCSR_MASK, 4);	/* MXCSR_MASK: not validated */
	if (rnext(&r) & 1)
		fill(&r, img + XSAVE_OFF_XMM, 256);
	if (!(rnext(&r) & 7))
		fill(&r, img + XSAVE_OFF_PAD, XSAVE_OFF_XSTATE_BV - XSAVE_OFF_PAD);
	for (i = 2; i < 64; i++)
		if (H.size[i] && (rnext(&r) & 1)) {
			u32 n = H.off[i] + H.size[i] > XSZ ? XSZ - H.off[i] : H.size[i];

			fill(&r, img + H.off[i], n);
		}
	if (!(rnext(&r) & 7)) {
		int k = 1 + (int)(rnext(&r) % 16);

		while (k--)
			img[XSAVE_OFF_EXT + rnext(&r) % (XSZ - XSAVE_OFF_EXT)] = (u8)rnext(&r);
	}
	memcpy(img + XSAVE_OFF_MXCSR, save, 4);
}

void canonical_base(u8 *img)
{
	memset(img, 0, XSZ);
	img[XSAVE_OFF_FCW] = FCW_DEFAULT & 0xff;
	img[XSAVE_OFF_FCW + 1] = FCW_DEFAULT >> 8;
	put32(img + XSAVE_OFF_MXCSR_MASK, H.mxcsr_mask);
}

void build_image(u8 *img, const struct input *in)
{
	gen_data(img, in->dseed);
	put32(img + XSAVE_OFF_MXCSR, in->mxcsr);
	put64(img + XSAVE_OFF_XSTATE_BV, in->bv);
	put64(img + XSAVE_OFF_XCOMP_BV, in->xcomp);
	memcpy(img + XSAVE_OFF_HDR_RESERVED, in->rsv, RSV_LEN);
}

/* KVM_SET_CPUID2 arguments for the fuzz loop; XTILE_DATA now and then (EPERM). */
void gen_cpuid(int *cm, u64 *G)
{
	*cm = gen_cm();
	*G = gen_G();
	if (chance(1, 32))
		*G |= XFEATURE_MASK_XTILE_DATA;	/* KVM_SET_CPUID2 must fail, CPUID unchanged */
}

/*
 * One input for a vCPU with guest CPUID (@cm, @G) and quirk state @quirk:
 * header and MXCSR from the stream, data from a fresh dseed over @cur (what
 * KVM_GET_XSAVE returned last) or over a canonical image.  @img gets the
 * image to pass to KVM_SET_XSAVE.
 */
void gen_input(struct input *in, u8 *img, const u8 *cur, int cm, u64 G, int quirk)
{
	memset(in, 0, sizeof(*in));
	in->G = G;
	in->cm = cm;
	in->quirk = quirk;
	in->dseed = rnd();
	if (chance(3, 4))
		memcpy(img, cur, XSZ);
	else
		canonical_base(img);
	gen_header(in, get64(img + XSAVE_OFF_XSTATE_BV));
	build_image(img, in);
}
