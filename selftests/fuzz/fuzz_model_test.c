// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_model_test - the fuzzer's model (model.c) against the decision table
 * of Documentation/design.md, on the build host: no VM, no /dev/kvm.
 *
 * Usage: fuzz_model_test [DESIGN.md]
 *
 * Each case gives a host (model_host_profile(): the CPU models of
 * config/hosts (the QEMU ones), and "amx"), the quirk and --mxcsr-fix (or both
 * values), an image header and MXCSR, and the expected result: -EINVAL, or
 * success with bv' (XSTATE_BV as loaded; what the quirk drops is missing).
 * Every case runs under every way of setting the guest CPUID (none, zero
 * entries, 0xD.0 with several masks, no 0xD, ...): the table says the
 * CPUID never matters.  For an accepted image the case also checks what
 * KVM_GET_XSAVE must show (model_predict()): loaded components carry the
 * image's bytes, the others their init state, no dropped bit is reported,
 * and vcpu->arch.pkru changes only when PKRU is loaded.
 *
 * The cases name the table row they represent (T1-T12, in the order of
 * design.md); cases marked X are model behaviour the table does not state.
 * With DESIGN.md, the table rows found there must be exactly those of
 * doc_rows[] below, so a changed table fails here until its cases are
 * updated.  Then come invariants over random inputs.  Output: one TAP-like
 * line per case, and "fuzz-model: N passed, N failed" last; exit 1 on a
 * failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "model.h"

#define ANY	-1
#define NO_RSV	-1
#define MX_OK	0x1f80U			/* MXCSR valid for every profile */
#define MX_BAD	(0xffff0000U | 0x1f80U)	/* reserved bits for mxcsr_mask 0xffff */
#define PKRU_BEFORE 0x12345678U		/* vcpu->arch.pkru before the input */

/* The decision table of Documentation/design.md, row by row (T1-T12). */
static const char *const doc_rows[] = {
	NULL,
	"| clear | - | - | - | component initialized (PKRU: left unchanged), as v7.3 |",
	"| set, FP or SSE | - | always | - | loaded, as v7.3 |",
	"| set, user | yes | yes | - | loaded, as v7.3 (v6.6 ABI) |",
	"| set, user | yes | no (XTILE_DATA, fpstate not expanded) | - | -EINVAL, as v7.3 |",
	"| set, in KVM_SUPPORTED_XCR0, not PKRU | no | no | enabled | **dropped**: bit cleared, component initialized |",
	"| set, PKRU | no | no | enabled, KVM without PKU | **dropped** (vpkru unchanged) |",
	"| set, PKRU | no | no | enabled, KVM with PKU (no XSAVE) | -EINVAL, as v7.3 |",
	"| set, user | no | no | disabled | -EINVAL, as v7.3 |",
	"| set, supervisor, outside KVM_SUPPORTED_XCR0 (e.g. APX) or unknown | - | - | - | -EINVAL, as v7.3 |",
	"| a droppable bit, with XCOMP_BV != 0 or reserved header bytes != 0 | - | - | enabled | -EINVAL, as v7.3 |",
	"| YMM droppable, neither FP nor SSE set | no | no | enabled | -EINVAL, as v7.3 |",
	"| any, invalid MXCSR while FP, SSE or YMM stays set | - | - | - | -EINVAL, as v7.3 |",
};
#define NDOC ((int)(sizeof(doc_rows) / sizeof(doc_rows[0])) - 1)

struct tcase {
	int row;		/* T<row> of doc_rows[], 0: X (not in the table) */
	const char *host;
	int quirk, fix;		/* 0, 1 or ANY */
	u64 bv, xcomp;
	int rsv;		/* index of a non-zero reserved header byte, or NO_RSV */
	u32 mxcsr;
	int err;		/* 0 or EINVAL */
	u64 bvp;		/* bv' when err == 0 */
	const char *what;
};

#define OK(b)	0, (b)
#define INVAL	EINVAL, 0

static const struct tcase cases[] = {
	/* T1: clear -> component initialized, PKRU unchanged */
	{ 1, "max", ANY, ANY, 0x3, 0, NO_RSV, MX_OK, OK(0x3), "YMM and PKRU clear: init YMM, vPKRU kept" },
	{ 1, "max", ANY, ANY, 0x0, 0, NO_RSV, MX_OK, OK(0x0), "nothing set: x87, SSE, YMM init" },
	{ 1, "max-nopku", ANY, ANY, 0x1, 0, NO_RSV, MX_OK, OK(0x1), "SSE and YMM clear" },
	{ 1, "amx", ANY, ANY, 0x3, 0, NO_RSV, MX_OK, OK(0x3), "AVX-512, PKRU, XTILE_CFG clear" },
	/* T2: FP or SSE set -> loaded */
	{ 2, "max", ANY, ANY, 0x3, 0, NO_RSV, MX_OK, OK(0x3), "FP and SSE" },
	{ 2, "max", ANY, ANY, 0x1, 0, NO_RSV, MX_OK, OK(0x1), "FP alone" },
	{ 2, "max-noavx", ANY, ANY, 0x2, 0, NO_RSV, MX_OK, OK(0x2), "SSE alone" },
	{ 2, "epyc-rome", ANY, ANY, 0x3, 0, NO_RSV, MX_OK, OK(0x3), "FP and SSE" },
	{ 2, "noxsave", ANY, ANY, 0x3, 0, NO_RSV, MX_OK, OK(0x3), "FP and SSE without XSAVE" },
	/* T3: user xfeature KVM supports and can load -> loaded */
	{ 3, "max", ANY, ANY, 0x207, 0, NO_RSV, MX_OK, OK(0x207), "YMM and PKRU" },
	{ 3, "max", ANY, ANY, 0x204, 0, NO_RSV, MX_OK, OK(0x204), "YMM and PKRU without FP/SSE" },
	{ 3, "max-noavx", ANY, ANY, 0x203, 0, NO_RSV, MX_OK, OK(0x203), "PKRU" },
	{ 3, "epyc-rome", ANY, ANY, 0x7, 0, NO_RSV, MX_OK, OK(0x7), "YMM" },
	{ 3, "amx", ANY, ANY, 0x202e7, 0, NO_RSV, MX_OK, OK(0x202e7), "AVX-512, PKRU, XTILE_CFG" },
	/* T4: supported but not loadable now (XTILE_DATA) -> -EINVAL */
	{ 4, "amx", ANY, ANY, 0x40003, 0, NO_RSV, MX_OK, INVAL, "XTILE_DATA" },
	{ 4, "amx", ANY, ANY, 0x60007, 0, NO_RSV, MX_OK, INVAL, "XTILE_CFG and XTILE_DATA" },
	/* T5: in KVM_SUPPORTED_XCR0, not PKRU, KVM does not support it, quirk on -> dropped */
	{ 5, "max", 1, ANY, 0x1f, 0, NO_RSV, MX_OK, OK(0x7), "MPX (in host XCR0, not in KVM's)" },
	{ 5, "max", 1, ANY, 0x602e3, 0, NO_RSV, MX_OK, OK(0x203), "AVX-512 and AMX, PKRU kept" },
	{ 5, "max-noavx", 1, ANY, 0x7, 0, NO_RSV, MX_OK, OK(0x3), "YMM" },
	{ 5, "max-noavx", 1, ANY, 0x5, 0, NO_RSV, MX_OK, OK(0x1), "YMM with FP alone" },
	{ 5, "max-noavx", 1, ANY, 0x206, 0, NO_RSV, MX_OK, OK(0x202), "YMM with SSE alone, PKRU kept" },
	{ 5, "epyc-rome", 1, ANY, 0x600e7, 0, NO_RSV, MX_OK, OK(0x7), "AVX-512 and AMX" },
	{ 5, "noxsave", 1, ANY, 0x600ff, 0, NO_RSV, MX_OK, OK(0x3), "every one but PKRU, without XSAVE" },
	/* T6: PKRU, KVM without PKU, quirk on -> dropped, vPKRU unchanged */
	{ 6, "max-nopku", 1, ANY, 0x203, 0, NO_RSV, MX_OK, OK(0x3), "PKRU" },
	{ 6, "epyc-rome", 1, ANY, 0x207, 0, NO_RSV, MX_OK, OK(0x7), "PKRU with YMM" },
	{ 6, "max-nopku", 1, ANY, 0x200, 0, NO_RSV, MX_OK, OK(0x0), "PKRU alone" },
	/* T7: PKRU, KVM with PKU but no XSAVE, quirk on -> -EINVAL */
	{ 7, "noxsave", 1, ANY, 0x203, 0, NO_RSV, MX_OK, INVAL, "PKRU" },
	{ 7, "noxsave", 1, ANY, 0x207, 0, NO_RSV, MX_OK, INVAL, "PKRU with droppable YMM" },
	/* T8: user xfeature KVM does not support, quirk off -> -EINVAL */
	{ 8, "max", 0, ANY, 0x1b, 0, NO_RSV, MX_OK, INVAL, "MPX" },
	{ 8, "max-nopku", 0, ANY, 0x203, 0, NO_RSV, MX_OK, INVAL, "PKRU" },
	{ 8, "max-noavx", 0, ANY, 0x7, 0, NO_RSV, MX_OK, INVAL, "YMM" },
	{ 8, "epyc-rome", 0, ANY, 0x20007, 0, NO_RSV, MX_OK, INVAL, "XTILE_CFG" },
	{ 8, "noxsave", 0, ANY, 0x7, 0, NO_RSV, MX_OK, INVAL, "YMM without XSAVE" },
	/* T9: supervisor, outside KVM_SUPPORTED_XCR0 or unknown -> -EINVAL */
	{ 9, "max", ANY, ANY, 0x80003, 0, NO_RSV, MX_OK, INVAL, "APX" },
	{ 9, "max", ANY, ANY, 0x103, 0, NO_RSV, MX_OK, INVAL, "PT (supervisor)" },
	{ 9, "max", ANY, ANY, 0x803, 0, NO_RSV, MX_OK, INVAL, "CET_U (supervisor)" },
	{ 9, "max", ANY, ANY, 0x8000000000000003ULL, 0, NO_RSV, MX_OK, INVAL, "bit 63" },
	{ 9, "max-nopku", ANY, ANY, 0x80203, 0, NO_RSV, MX_OK, INVAL, "APX with droppable PKRU" },
	{ 9, "amx", ANY, ANY, 0x100003, 0, NO_RSV, MX_OK, INVAL, "bit 20" },
	{ 9, "noxsave", ANY, ANY, 0x80003, 0, NO_RSV, MX_OK, INVAL, "APX without XSAVE" },
	/* T10: a droppable bit with a bad header, quirk on -> -EINVAL */
	{ 10, "max", 1, ANY, 0x1b, 0x800000000000001bULL, NO_RSV, MX_OK, INVAL, "MPX, XCOMP_BV set" },
	{ 10, "max", 1, ANY, 0x1b, 0, 5, MX_OK, INVAL, "MPX, reserved byte 533" },
	{ 10, "max-nopku", 1, ANY, 0x203, 0, 47, MX_OK, INVAL, "PKRU, reserved byte 575" },
	{ 10, "noxsave", 1, ANY, 0x7, 0x8000000000000007ULL, NO_RSV, MX_OK, INVAL,
	  "YMM, XCOMP_BV set, without XSAVE (header otherwise unchecked)" },
	{ 10, "noxsave", 1, ANY, 0x7, 0, 0, MX_OK, INVAL, "YMM, reserved byte 528, without XSAVE" },
	/* T11: droppable YMM without FP and SSE, quirk on -> -EINVAL */
	{ 11, "max-noavx", 1, ANY, 0x4, 0, NO_RSV, MX_OK, INVAL, "YMM alone" },
	{ 11, "max-noavx", 1, ANY, 0x204, 0, NO_RSV, MX_OK, INVAL, "YMM and PKRU" },
	{ 11, "noxsave", 1, ANY, 0x4, 0, NO_RSV, MX_OK, INVAL, "YMM alone without XSAVE" },
	/* T12: invalid MXCSR while FP, SSE or YMM stays set -> -EINVAL */
	{ 12, "max", ANY, ANY, 0x3, 0, NO_RSV, MX_BAD, INVAL, "FP and SSE" },
	{ 12, "max", ANY, ANY, 0x1, 0, NO_RSV, MX_BAD, INVAL, "FP alone" },
	{ 12, "max", ANY, ANY, 0x4, 0, NO_RSV, MX_BAD, INVAL, "YMM alone" },
	{ 12, "max-noavx", 1, ANY, 0x5, 0, NO_RSV, MX_BAD, INVAL, "FP stays, YMM dropped" },
	{ 12, "noxsave", ANY, ANY, 0x3, 0, NO_RSV, MX_BAD, INVAL, "FP and SSE without XSAVE" },
	/* X: not stated by the table */
	{ 0, "max", ANY, 0, 0x200, 0, NO_RSV, MX_BAD, OK(0x200),
	  "invalid MXCSR, none of FP/SSE/YMM: not validated (v7.3)" },
	{ 0, "max", ANY, 1, 0x200, 0, NO_RSV, MX_BAD, INVAL,
	  "invalid MXCSR, none of FP/SSE/YMM: validated with the x86-fpu posting (--mxcsr-fix)" },
	{ 0, "max-noavx", 1, 0, 0x1a, 0, NO_RSV, MX_BAD, INVAL, "invalid MXCSR, MPX dropped, SSE stays" },
	{ 0, "noxsave", ANY, ANY, 0x0, 0, NO_RSV, MX_BAD, INVAL,
	  "no XSAVE: MXCSR validated whatever XSTATE_BV says (v7.3)" },
	{ 0, "noxsave", ANY, ANY, 0x0, 0, NO_RSV, MX_OK, OK(0x0),
	  "no XSAVE: x87/SSE loaded whatever XSTATE_BV says (v7.3)" },
	{ 0, "noxsave", ANY, ANY, 0x3, 0x8000000000000003ULL, 3, MX_OK, OK(0x3),
	  "no XSAVE: header not validated when nothing is dropped (v7.3)" },
	{ 0, "max", ANY, ANY, 0x3, 0x8000000000000003ULL, NO_RSV, MX_OK, INVAL, "XCOMP_BV set, nothing to drop" },
	{ 0, "max", ANY, ANY, 0x207, 0, 20, MX_OK, INVAL, "reserved byte 548, nothing to drop" },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static int n_pass, n_fail, n_test;
static char why[1024];

static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	if (ok)
		n_pass++;
	else
		n_fail++;
	printf("%s %d - ", ok ? "ok" : "not ok", n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		printf("#   %s\n", why);
}

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return 0;
}

static struct xf_host host(const char *name, int fix)
{
	struct xf_host h;

	if (!model_host_profile(name, fix, &h)) {
		fprintf(stderr, "fuzz_model_test: no host profile %s\n", name);
		exit(2);
	}
	return h;
}

/* An image with every data byte non-zero and the case's header and MXCSR. */
static void make_image(u8 *img, const struct input *in)
{
	int i;

	for (i = 0; i < XSZ; i++)
		img[i] = (u8)(i * 7 + 1) | 1;
	put32(img + XSAVE_OFF_MXCSR, in->mxcsr);
	put64(img + XSAVE_OFF_XSTATE_BV, in->bv);
	put64(img + XSAVE_OFF_XCOMP_BV, in->xcomp);
	memcpy(img + XSAVE_OFF_HDR_RESERVED, in->rsv, RSV_LEN);
}

static int bytes_are(const u8 *exp, const u8 *want, int off, int n, const char *what)
{
	int i;

	for (i = off; i < off + n; i++)
		if (exp[i] != (want ? want[i] : 0))
			return fail("predicted KVM_GET_XSAVE byte %d (%s) 0x%02x, want 0x%02x", i, what,
				    exp[i], want ? want[i] : 0);
	return 1;
}

/*
 * What KVM_GET_XSAVE must show after the accepted input (full guest CPUID,
 * so every loaded component is reported), and vcpu->arch.pkru.
 */
static int check_accepted(const struct xf_host *h, const struct input *in, const struct expect *e)
{
	static u8 img[XSZ], exp[XSZ], care[XSZ];
	static struct vstate m;
	u64 gs = model_gs(h, CM_FULL, h->s), ob = e->bvp & (gs | XFEATURE_MASK_FPSSE), pbv;
	int i;

	make_image(img, in);
	memset(&m, 0, sizeof(m));
	m.pkru = PKRU_BEFORE;
	m.pkru_known = 1;
	model_accept(h, &m, in, img, e);
	model_predict(h, &m, gs, exp, care, 1);
	pbv = get64(exp + XSAVE_OFF_XSTATE_BV);
	if (!h->xsave) {
		if (pbv != XFEATURE_MASK_FPSSE)
			return fail("no XSAVE: predicted XSTATE_BV 0x%" PRIx64 ", want 0x3", pbv);
		/* fpu_copy_uabi_to_guest_fpstate() copies the FXSAVE area */
		return bytes_are(exp, img, 0, XSAVE_LEGACY_SIZE, "FXSAVE area");
	}
	if ((pbv & ~XFEATURE_MASK_SSE) != (ob & ~XFEATURE_MASK_SSE) || (pbv & e->trim))
		return fail("predicted XSTATE_BV 0x%" PRIx64 ", want 0x%" PRIx64 " (trimmed 0x%" PRIx64 ")",
			    pbv, ob, e->trim);
	if (ob & XFEATURE_MASK_FP) {
		if (!bytes_are(exp, img, 0, XSAVE_OFF_MXCSR, "x87") ||
		    !bytes_are(exp, img, XSAVE_OFF_ST, XSAVE_OFF_XMM - XSAVE_OFF_ST, "ST0-7"))
			return 0;
	} else {
		/* init: FCW 0x37f, FSW, FTW, FOP, FIP, FDP and ST0-7 zero */
		if (get32(exp) != FCW_DEFAULT)
			return fail("predicted FCW/FSW 0x%08x, want the init 0x%08x", get32(exp), FCW_DEFAULT);
		if (!bytes_are(exp, NULL, 4, XSAVE_OFF_MXCSR - 4, "x87") ||
		    !bytes_are(exp, NULL, XSAVE_OFF_ST, XSAVE_OFF_XMM - XSAVE_OFF_ST, "ST0-7"))
			return 0;
	}
	if (!bytes_are(exp, (ob & XFEATURE_MASK_SSE) ? img : NULL, XSAVE_OFF_XMM, 256, "XMM"))
		return 0;
	for (i = 2; i < 64; i++) {
		u32 n;

		if (!h->size[i])
			continue;
		n = h->off[i] + h->size[i] > XSZ ? XSZ - h->off[i] : h->size[i];
		if (i == XFEATURE_PKRU)
			n = 4;
		if (!bytes_are(exp, (ob >> i & 1) ? img : NULL, h->off[i], n, "component"))
			return fail("xfeature %d: %s", i, why);
	}
	/* loaded with its bit, else unchanged (also where PKRU is dropped) */
	if (m.pkru != ((e->bvp & XFEATURE_MASK_PKRU) ? get32(img + h->off[XFEATURE_PKRU]) : PKRU_BEFORE))
		return fail("vcpu->arch.pkru 0x%08x after the input, was 0x%08x", m.pkru, PKRU_BEFORE);
	return 1;
}

/* The guest CPUID settings every case runs under. */
static const u64 Gs[] = { 0, XFEATURE_MASK_FPSSE, 0x7, 0x207, KVM_SUPPORTED_XCR0_MASK, ~0ULL };

static int run_case(const struct tcase *t, int quirk, int fix)
{
	struct xf_host h = host(t->host, fix);
	struct input in;
	struct expect e, e0;
	size_t g;
	int cm, first = 1;

	memset(&in, 0, sizeof(in));
	in.bv = t->bv;
	in.xcomp = t->xcomp;
	if (t->rsv != NO_RSV)
		in.rsv[t->rsv] = 0x80;
	in.mxcsr = t->mxcsr;
	in.quirk = quirk;
	memset(&e0, 0, sizeof(e0));
	for (cm = 0; cm < CM_MAX; cm++)
		for (g = 0; g < sizeof(Gs) / sizeof(Gs[0]) + 1; g++) {
			in.cm = cm;
			in.G = g < sizeof(Gs) / sizeof(Gs[0]) ? Gs[g] : h.s;
			e = model(&h, &in);
			if (first) {
				e0 = e;
				first = 0;
			} else if (e.err != e0.err || e.bvp != e0.bvp || e.trim != e0.trim) {
				return fail("the guest CPUID changed the decision: cpuid=%s G=0x%" PRIx64
					    " gives %d/0x%" PRIx64 ", cpuid=none G=0 gave %d/0x%" PRIx64,
					    cm_name[cm], in.G, e.err, e.bvp, e0.err, e0.bvp);
			}
		}
	if (e0.uncertain)
		return fail("uncertain");
	if (e0.err != t->err)
		return fail("model says %s, want %s (bv'=0x%" PRIx64 " trim=0x%" PRIx64 ")",
			    e0.err ? "-EINVAL" : "ok", t->err ? "-EINVAL" : "ok", e0.bvp, e0.trim);
	if (e0.err)
		return 1;
	if (e0.bvp != t->bvp || (e0.bvp | e0.trim) != t->bv)
		return fail("bv' 0x%" PRIx64 " (trimmed 0x%" PRIx64 "), want 0x%" PRIx64, e0.bvp, e0.trim, t->bvp);
	in.cm = CM_FULL;
	in.G = h.s;
	return check_accepted(&h, &in, &e0);
}

/* Rows of the decision table in DESIGN.md, as printed there. */
static int doc_table(const char *path, char rows[][400], int max)
{
	char line[400];
	int in_table = 0, n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "## ", 3)) {
			in_table = !strcmp(line, "## Decision table");
			continue;
		}
		if (!in_table || line[0] != '|' || !strncmp(line, "|---", 4) ||
		    !strncmp(line, "| XSTATE_BV bit |", 17))
			continue;
		if (n < max)
			snprintf(rows[n], sizeof(rows[n]), "%s", line);
		n++;
	}
	fclose(f);
	return n;
}

static void check_doc(const char *path)
{
	static char rows[64][400];
	int n = doc_table(path, rows, 64), i, j;

	if (n < 0) {
		snprintf(why, sizeof(why), "cannot read %s", path);
		result(0, "design.md: decision table");
		return;
	}
	for (i = 1; i <= NDOC; i++) {
		for (j = 0; j < n && j < 64; j++)
			if (!strcmp(rows[j], doc_rows[i]))
				break;
		if (j < n && j < 64)
			snprintf(why, sizeof(why), "it is row %d there now", j + 1);
		else
			snprintf(why, sizeof(why), "not in %.100s (changed or removed?): %.400s", path, doc_rows[i]);
		result(j == i - 1, "design.md: table row %d is T%d", i, i);
	}
	for (j = 0; j < n && j < 64; j++) {
		for (i = 1; i <= NDOC; i++)
			if (!strcmp(rows[j], doc_rows[i]))
				break;
		if (i > NDOC) {
			snprintf(why, sizeof(why), "%.400s", rows[j]);
			result(0, "design.md: table row %d has no cases here", j + 1);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Invariants over random inputs */

static u64 rs = 0x9E3779B97F4A7C15ULL;
static u64 rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 0x2545F4914F6CDD1DULL;
}

static void random_input(struct input *in)
{
	static const u64 pick[] = { 0x3, 0x7, 0x1b, 0x203, 0x207, 0x600e0, 0x40000, 0x80000, 0x100, 0x4 };

	memset(in, 0, sizeof(*in));
	switch (rnd() % 4) {
	case 0: in->bv = rnd(); break;
	case 1: in->bv = rnd() & KVM_SUPPORTED_XCR0_MASK; break;
	case 2: in->bv = (rnd() & KVM_SUPPORTED_XCR0_MASK) | pick[rnd() % 10]; break;
	default: in->bv = pick[rnd() % 10] | pick[rnd() % 10]; break;
	}
	in->xcomp = rnd() % 8 ? 0 : rnd();
	if (!(rnd() % 8))
		in->rsv[rnd() % RSV_LEN] = 1;
	in->mxcsr = rnd() % 4 ? (u32)rnd() & 0xffff : (u32)rnd();
	in->cm = rnd() % CM_MAX;
	in->G = rnd() % 2 ? rnd() : rnd() & KVM_SUPPORTED_XCR0_MASK;
}

static const char *const profiles[] = { "max", "max-nopku", "epyc-rome", "max-noavx", "noxsave", "amx" };
#define NPROF (sizeof(profiles) / sizeof(profiles[0]))
#define NRAND 20000

static int inv_quirk_off(const struct xf_host *h, struct input *in)
{
	struct expect e;

	in->quirk = 0;
	e = model(h, in);
	if (e.trim || (!e.err && e.bvp != in->bv))
		return fail("bv 0x%" PRIx64 ": trimmed 0x%" PRIx64 " with the quirk off", in->bv, e.trim);
	return 1;
}

static int inv_only_failures_change(const struct xf_host *h, struct input *in)
{
	struct expect off, on;

	in->quirk = 0;
	off = model(h, in);
	in->quirk = 1;
	on = model(h, in);
	if (!off.err && (on.err || on.bvp != off.bvp))
		return fail("bv 0x%" PRIx64 ": accepted as 0x%" PRIx64 " with the quirk off, %s/0x%" PRIx64 " on",
			    in->bv, off.bvp, on.err ? "-EINVAL" : "ok", on.bvp);
	return 1;
}

static int inv_trim_set(const struct xf_host *h, struct input *in)
{
	struct expect e;
	u64 t;

	in->quirk = 1;
	e = model(h, in);
	t = e.trim;
	if ((t & ~in->bv) || (t & XFEATURE_MASK_FPSSE) || (t & ~KVM_SUPPORTED_XCR0_MASK) ||
	    (h->xsave && (t & h->s)) || (h->pku && (t & XFEATURE_MASK_PKRU)))
		return fail("bv 0x%" PRIx64 ": trimmed 0x%" PRIx64 " (err %d)", in->bv, t, e.err);
	return 1;
}

static int inv_accepted_loadable(const struct xf_host *h, struct input *in)
{
	struct expect e;

	in->quirk = rnd() % 2;
	e = model(h, in);
	if (!e.err && (e.bvp & ~h->L))
		return fail("bv 0x%" PRIx64 ": accepted bv' 0x%" PRIx64 " outside L 0x%" PRIx64, in->bv, e.bvp, h->L);
	if (!e.err && h->xsave && (in->xcomp || ((e.bvp & XFEATURE_MASK_FPSSEYMM) && (in->mxcsr & ~h->mxcsr_mask))))
		return fail("bv 0x%" PRIx64 ": accepted with XCOMP_BV 0x%" PRIx64 " MXCSR 0x%08x",
			    in->bv, in->xcomp, in->mxcsr);
	return 1;
}

static int inv_cpuid(const struct xf_host *h, struct input *in)
{
	struct expect a, b;

	in->quirk = rnd() % 2;
	a = model(h, in);
	in->cm = rnd() % CM_MAX;
	in->G = rnd();
	b = model(h, in);
	if (a.err != b.err || a.bvp != b.bvp)
		return fail("bv 0x%" PRIx64 ": the guest CPUID changed the decision", in->bv);
	return 1;
}

static void invariant(const char *name, int (*f)(const struct xf_host *, struct input *))
{
	size_t p;
	int i, ok = 1, fix;

	for (p = 0; p < NPROF && ok; p++)
		for (fix = 0; fix < 2 && ok; fix++) {
			struct xf_host h = host(profiles[p], fix);

			for (i = 0; i < NRAND && ok; i++) {
				struct input in;

				random_input(&in);
				if (!f(&h, &in)) {
					ok = 0;
					snprintf(why + strlen(why), sizeof(why) - strlen(why), " (host %s%s)",
						 profiles[p], fix ? ", --mxcsr-fix" : "");
				}
			}
		}
	result(ok, "invariant: %s", name);
}

int main(int argc, char **argv)
{
	int covered[NDOC + 1] = { 0 };
	size_t i;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	if (argc > 1)
		check_doc(argv[1]);
	for (i = 0; i < NCASES; i++) {
		const struct tcase *t = &cases[i];
		int q, f;

		for (q = 0; q < 2; q++)
			for (f = 0; f < 2; f++) {
				if ((t->quirk != ANY && t->quirk != q) || (t->fix != ANY && t->fix != f))
					continue;
				char label[8] = "X";

				if (t->row)
					snprintf(label, sizeof(label), "T%d", t->row);
				why[0] = 0;
				result(run_case(t, q, f), "%s %s: %s, quirk %s%s: %s", label, t->host, t->what,
				       q ? "on" : "off", f ? ", --mxcsr-fix" : "", t->err ? "-EINVAL" : "ok");
			}
		covered[t->row] = 1;
	}
	for (r = 1; r <= NDOC; r++)
		if (!covered[r]) {
			snprintf(why, sizeof(why), "%s", doc_rows[r]);
			result(0, "T%d has no cases", r);
		}
	why[0] = 0;
	invariant("quirk off: nothing is trimmed (the v7.3 decision)", inv_quirk_off);
	invariant("the quirk changes no accepted input (only -EINVAL becomes ok)", inv_only_failures_change);
	invariant("trimmed: only set bits of KVM_SUPPORTED_XCR0 that KVM lacks, never FP/SSE, PKRU only without PKU",
		  inv_trim_set);
	invariant("accepted: bv' loadable, header clean, MXCSR valid where loaded", inv_accepted_loadable);
	invariant("the guest CPUID never matters", inv_cpuid);
	printf("fuzz-model: %d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
