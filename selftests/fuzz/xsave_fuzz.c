// SPDX-License-Identifier: GPL-2.0
/*
 * xsave_fuzz - userspace model-based fuzzer for KVM_SET_XSAVE, including
 * KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED (Documentation/design.md).
 *
 * Build:  make -C selftests O=DIR xsave_fuzz   (static, -Wall -Wextra)
 * Usage:  xsave_fuzz [--seed N] [--seconds S] [--iters N] [--vm-iters N]
 *                    [--quirk-off-only] [--corpus-out FILE] [--corpus-in FILE]
 *                    [--strict-init] [--max-print N] [--verbose]
 *                    [--run-every N] [--mxcsr-known] [--mxcsr-fix]
 *         xsave_fuzz --dump-inputs N [--host-profile NAME] [--seed N]
 *                    [--quirk-off-only] [--strict-init] [--mxcsr-fix]
 *
 * Every input is a random or mutated KVM_SET_XSAVE image (all 64 XSTATE_BV
 * bits, XCOMP_BV, reserved bytes, MXCSR, data) for a vCPU with a random
 * guest CPUID.0xD.0 (also none, zero entries, no KVM_SET_CPUID2), quirk on
 * or off, interleaved with KVM_GET_XSAVE and guest runs; every result is
 * checked against the model.  The parts:
 *   model.c   the ABI model: pure functions of the host and the input
 *   oracle.c  the checks of what KVM returns against the model, findings
 *   kvm.c     host probing, VM/vCPU setup, ioctls, guest runs
 *   gen.c     input generation from the seed
 *   corpus.c  corpus writer and parser (--corpus-out, --corpus-in)
 *   this file options, the fuzz and replay loops, --dump-inputs
 * The same seed gives the same inputs and decisions against the same
 * kernel on the same host.  --dump-inputs prints the first N inputs the
 * generator makes for a modelled host (model_host_profile()) with the
 * model's decisions, without KVM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fuzz.h"

struct opts O;
struct xf_host H;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Fuzz mode */

static int budget_left(u64 inputs, double t0)
{
	if (O.iters && inputs >= O.iters)
		return 0;
	if (O.seconds > 0 && now() - t0 >= O.seconds)
		return 0;
	return 1;
}

/* KVM_SET_CPUID2 then KVM_GET_XSAVE (output depends on the new G & S). */
static int reconfig(struct vmctx *c, struct vcpu *v, int cm, u64 G)
{
	u64 gs0 = gs_of(v);
	int e = set_cpuid(c, v, cm, G);

	if (!c->tainted)
		resync(v, "after KVM_SET_CPUID2", gs_of(v) == gs0);
	return e;
}

static void fuzz_reconfig(struct vmctx *c, struct vcpu *v)
{
	int cm;
	u64 G;

	gen_cpuid(&cm, &G);
	reconfig(c, v, cm, G);
}

static void fuzz_new_vcpu(struct vmctx *c, int fresh_vm)
{
	struct vcpu *v = &c->v[0];

	if (fresh_vm) {
		int q = O.quirk_off_only ? 0 : chance(1, 2);

		vm_create(c, q, chance(1, 4), 1);
	} else {
		vcpu_close(v);
		vcpu_create(c, v);
	}
	if (chance(17, 20))
		fuzz_reconfig(c, v);
}

static void fuzz(void)
{
	static struct vmctx c;
	static u8 img[XSZ];
	double t0 = now();
	u64 inputs = 0;

	c.vm = -1;
	while (budget_left(inputs, t0)) {
		struct vcpu *v = &c.v[0];
		struct input in;
		struct expect e;
		int err;

		cur_tagval = inputs;
		cur_vcpu = v;
		cur_quirk = c.quirk;
		if (c.vm < 0 || c.iters >= O.vm_iters || c.tainted) {
			fuzz_new_vcpu(&c, 1);
		} else {
			u32 r = rn(1000);

			if (r < 12 && c.nvcpu < MAX_VCPUS)
				fuzz_new_vcpu(&c, 0);
			else if (r < 90 && v->ran && c.nvcpu < MAX_VCPUS && chance(3, 4))
				fuzz_new_vcpu(&c, 0);	/* CPUID is frozen after KVM_RUN */
			else if (r < 90)
				fuzz_reconfig(&c, v);
			else if (r < 93 && c.quirk && !O.quirk_off_only) {
				int e2 = disable_quirk(c.vm);

				if (e2)
					finding(NULL, NULL, 0, "late KVM_ENABLE_CAP(DISABLE_QUIRKS2) failed: %s", errstr(e2));
				else
					c.quirk = 0;
				resync(v, "after disabling the quirk", 1);
			} else if (r < 200) {
				resync(v, "repeated KVM_GET_XSAVE", 1);
			} else if (r < 215 && c.runs && v->m.valid) {
				guest_run(&c, v, chance(1, 2));	/* run again without KVM_SET_XSAVE */
			}
		}
		if (c.tainted)
			continue;	/* recreate the VM before the next input */
		cur_quirk = c.quirk;

		gen_input(&in, img, v->cur, v->cm, v->G, c.quirk);
		e = model(&H, &in);
		if (O.verbose)
			printf("input %" PRIu64 ": cm=%s G=0x%" PRIx64 " quirk=%d bv=0x%" PRIx64
			       " xcomp=0x%" PRIx64 " mxcsr=0x%08x expect=%s\n", inputs,
			       cm_name[in.cm], in.G, in.quirk, in.bv, in.xcomp, in.mxcsr, errstr(e.err));
		err = run_input(v, &in, img);
		corpus_write(&in, err, &e);
		inputs++;
		c.iters++;
		if (!err && c.runs && v->m.valid && !c.tainted && chance(1, (u32)O.run_every))
			guest_run(&c, v, chance(1, 2));
	}
	vm_destroy(&c);
	if (n_unchecked)
		printf("note: %" PRIu64 " inputs touched uncertain bits 0x%" PRIx64 " and were not strictly checked\n",
		       n_unchecked, H.unc);
	if (n_mxcsr)
		printf("note: %" PRIu64 " guest runs changed MXCSR from what KVM_GET_XSAVE reported%s\n",
		       n_mxcsr, O.mxcsr_known ? " (known kernel inconsistency, --mxcsr-known: not counted"
		       " as findings unless unexplained)" : "");
	printf("runs: %" PRIu64 " guest runs, %" PRIu64 " KVM_RUN calls%s\n", n_runs, n_kvm_runs,
	       O.run_every ? "" : " (runs disabled)");
	printf("fuzz: %" PRIu64 " inputs, %" PRIu64 " findings, %.0f s\n", inputs, n_findings, now() - t0);
}

/* ------------------------------------------------------------------ */
/* Replay mode */

static int replay(void)
{
	static struct vmctx c;
	static u8 img[XSZ];
	char line[1024];
	u64 n = 0, diffs = 0, skipped = 0, bad = 0, lineno = 0, n_abi = 0;
	FILE *f = fopen(O.corpus_in, "r");

	if (!f)
		die(O.corpus_in);
	c.vm = -1;
	cur_tag = "replay";
	while (fgets(line, sizeof(line), f)) {
		struct corpus_rec r;
		struct input *in = &r.in;
		struct expect e;
		struct vcpu *v;
		int err;

		lineno++;
		cur_tagval = lineno;
		switch (corpus_parse(line, &r)) {
		case CORPUS_HOST:
			if (r.s != H.s || r.l != H.L || r.xsave != H.xsave || r.mxcsr_mask != H.mxcsr_mask)
				note("corpus recorded on a different host model (S=0x%" PRIx64 " L=0x%" PRIx64
				     " xsave=%d mxcsr_mask=0x%x): differences are expected", r.s, r.l, r.xsave,
				     r.mxcsr_mask);
			continue;
		case CORPUS_COMMENT:
			continue;
		case CORPUS_BAD:
			bad++;
			continue;
		}
		if ((in->quirk && !H.quirk_ok) || (in->quirk && O.quirk_off_only)) {
			skipped++;
			continue;
		}
		if (c.vm < 0 || c.quirk != in->quirk || c.tainted)
			vm_create(&c, in->quirk, 0, 2);
		v = &c.v[in->cm == CM_NONE ? 0 : 1];
		cur_vcpu = v;
		cur_quirk = c.quirk;
		if (in->cm != CM_NONE && (v->cm != in->cm || v->G != in->G)) {
			int se = reconfig(&c, v, in->cm, in->G);

			if (se || c.tainted) {
				diffs++;
				printf("DIFF line=%" PRIu64 ": KVM_SET_CPUID2(%s, G=0x%" PRIx64 ") failed: %s\n",
				       lineno, cm_name[in->cm], in->G, errstr(se));
				continue;
			}
		}
		canonical_base(img);
		build_image(img, in);
		e = model(&H, in);
		err = run_input(v, in, img);
		n++;
		/*
		 * The x86/fpu series' one ABI change (--mxcsr-fix): a buffer
		 * with none of FP, SSE and YMM now has its MXCSR validated, so
		 * reserved bits give EINVAL where base loaded nothing.
		 */
		if (O.mxcsr_fix && H.xsave && r.res == 0 && err == EINVAL && e.err == EINVAL &&
		    !(in->bv & XFEATURE_MASK_FPSSEYMM) && (in->mxcsr & ~H.mxcsr_mask)) {
			n_abi++;
			continue;
		}
		if (err != r.res) {
			diffs++;
			printf("DIFF line=%" PRIu64 ": recorded %s, observed %s (cm=%s G=0x%" PRIx64
			       " quirk=%d bv=0x%" PRIx64 " xcomp=0x%" PRIx64 " mxcsr=0x%08x model=%s)\n",
			       lineno, errstr(r.res), errstr(err), cm_name[in->cm], in->G, in->quirk,
			       in->bv, in->xcomp, in->mxcsr, e.uncertain ? "uncertain" : errstr(e.err));
		}
	}
	fclose(f);
	vm_destroy(&c);
	if (skipped)
		printf("note: %" PRIu64 " quirk-enabled inputs skipped (quirk %s)\n", skipped,
		       H.quirk_ok ? "excluded by --quirk-off-only" : "not supported by this kernel");
	if (bad)
		printf("note: %" PRIu64 " malformed lines ignored\n", bad);
	if (n_findings)
		printf("note: %" PRIu64 " model findings during replay\n", n_findings);
	if (n_abi)
		printf("note: %" PRIu64 " inputs without FP, SSE and YMM and with reserved MXCSR bits: EINVAL now, 0 on the recording kernel (the x86/fpu series' documented ABI change)\n",
		       n_abi);
	printf("replay: %" PRIu64 " inputs, %" PRIu64 " differences\n", n, diffs);
	return diffs || n_findings;
}

/* ------------------------------------------------------------------ */
/* Host-only dump of the generator and the model */

static u64 fnv1a(const u8 *p, size_t n)
{
	u64 h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/*
 * --dump-inputs N: no /dev/kvm.  For the host of --host-profile (default
 * max), the first N inputs as corpus lines whose result is the model's
 * decision, each followed by a line with FNV-1a hashes of the image and of
 * the KVM_GET_XSAVE the model predicts after it (the image of the next
 * input starts from that prediction three times in four, as in the fuzz
 * loop).  Every eighth input or so the guest CPUID and the quirk change.
 */
static int dump_inputs(void)
{
	static u8 img[XSZ], cur[XSZ], exp[XSZ], care[XSZ];
	static struct vstate m;
	int cm = CM_NONE, quirk = !O.quirk_off_only, i;
	u64 G = 0, k;

	if (!model_host_profile(O.host_profile, O.mxcsr_fix, &H)) {
		fprintf(stderr, "xsave_fuzz: unknown host profile %s\n", O.host_profile);
		return 2;
	}
	printf("# xsave_fuzz inputs seed=%" PRIu64 " profile=%s%s%s%s\n", O.seed, O.host_profile,
	       O.quirk_off_only ? " quirk-off-only" : "", O.mxcsr_fix ? " mxcsr-fix" : "",
	       O.strict_init ? " strict-init" : "");
	printf("#host S=0x%" PRIx64 " L=0x%" PRIx64 " K=0x%" PRIx64 " xsave=%d pku=%d mxcsr_mask=0x%08x\n",
	       H.s, H.L, H.K, H.xsave, H.pku, H.mxcsr_mask);
	m.pkru_known = 1;
	canonical_base(cur);
	corpus_attach(stdout);
	for (k = 0; k < O.dump_inputs; k++) {
		struct input in;
		struct expect e;

		if (!rn(8)) {
			gen_cpuid(&cm, &G);
			quirk = O.quirk_off_only ? 0 : chance(1, 2);
		}
		gen_input(&in, img, cur, cm, G, quirk);
		e = model(&H, &in);
		corpus_write(&in, e.err, &e);
		if (!e.err && !e.uncertain) {
			model_accept(&H, &m, &in, img, &e);
			model_predict(&H, &m, model_gs(&H, cm, G), exp, care, O.strict_init);
			for (i = 0; i < XSZ; i++)
				cur[i] = care[i] ? exp[i] : 0;
		}
		printf("# img=%016" PRIx64 " pred=%016" PRIx64 " trim=0x%" PRIx64 " bv'=0x%" PRIx64
		       " pkru=0x%08x kmxcsr=%s0x%08x\n", fnv1a(img, XSZ), fnv1a(cur, XSZ), e.trim, e.bvp,
		       m.pkru, m.kmxcsr_known ? "" : "?", m.kmxcsr);
	}
	corpus_close();
	return 0;
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: xsave_fuzz [--seed N] [--seconds S] [--iters N] [--vm-iters N]\n"
		"                  [--quirk-off-only] [--corpus-out FILE] [--corpus-in FILE]\n"
		"                  [--strict-init] [--max-print N] [--verbose]\n"
		"                  [--run-every N]   (guest runs: ~1 per N successful inputs, 0 = none)\n"
		"                  [--mxcsr-known]   (count the known post-run MXCSR inconsistency, no finding)\n"
		"                  [--mxcsr-fix]     (model the series' MXCSR fixes: KVM_GET_XSAVE reports the\n"
		"                                     MXCSR XRSTOR loads, with SSE set if bv' has none)\n"
		"       xsave_fuzz --dump-inputs N [--host-profile NAME]   (no KVM: generated inputs and\n"
		"                                     the model's decisions for a modelled host)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int i, have_seed = 0;

	O.vm_iters = 400;
	O.max_print = 200;
	O.run_every = 8;
	O.host_profile = "max";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seed") && val) {
			O.seed = strtoull(val, NULL, 0);
			have_seed = 1;
			i++;
		} else if (!strcmp(a, "--seconds") && val) {
			O.seconds = strtod(val, NULL);
			i++;
		} else if (!strcmp(a, "--iters") && val) {
			O.iters = strtoull(val, NULL, 0);
			i++;
		} else if (!strcmp(a, "--vm-iters") && val) {
			O.vm_iters = strtoull(val, NULL, 0);
			i++;
		} else if (!strcmp(a, "--run-every") && val) {
			O.run_every = strtoull(val, NULL, 0);
			i++;
		} else if (!strcmp(a, "--max-print") && val) {
			O.max_print = strtoull(val, NULL, 0);
			i++;
		} else if (!strcmp(a, "--corpus-out") && val) {
			O.corpus_out = val;
			i++;
		} else if (!strcmp(a, "--corpus-in") && val) {
			O.corpus_in = val;
			i++;
		} else if (!strcmp(a, "--dump-inputs") && val) {
			O.dump_inputs = strtoull(val, NULL, 0);
			i++;
		} else if (!strcmp(a, "--host-profile") && val) {
			O.host_profile = val;
			i++;
		} else if (!strcmp(a, "--quirk-off-only")) {
			O.quirk_off_only = 1;
		} else if (!strcmp(a, "--mxcsr-fix")) {
			O.mxcsr_fix = 1;
		} else if (!strcmp(a, "--mxcsr-known")) {
			O.mxcsr_known = 1;
		} else if (!strcmp(a, "--strict-init")) {
			O.strict_init = 1;
		} else if (!strcmp(a, "--verbose")) {
			O.verbose = 1;
		} else {
			usage();
		}
	}
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		O.seed = (u64)ts.tv_sec * 1000003ULL ^ (u64)ts.tv_nsec ^ ((u64)getpid() << 32);
	}
	if (!O.vm_iters)
		O.vm_iters = 1;
	if (!O.iters && O.seconds <= 0)
		O.seconds = 60;
	setvbuf(stdout, NULL, _IOLBF, 0);
	gen_seed(O.seed);
	if (O.dump_inputs)
		return dump_inputs();
	printf("seed: %" PRIu64 "\n", O.seed);

	H.mxcsr_fix = O.mxcsr_fix;
	host_probe();
	printf("host: xsave=%d xcr0=0x%" PRIx64 " S=0x%" PRIx64 " (cpuid 0x%" PRIx64 ") L=0x%" PRIx64
	       " mxcsr_mask=0x%08x quirks2=0x%" PRIx64 " trim_quirk=%s\n",
	       H.xsave, H.xcr0, H.s, H.s_cpuid, H.L, H.mxcsr_mask, H.quirks,
	       H.quirk_ok ? "supported" : "unsupported (modelled as off)");

	/* Corpus record/replay must be deterministic on both kernels: no runs. */
	if (O.corpus_in || O.corpus_out)
		O.run_every = 0;
	if (O.run_every > 0xffffffffULL)
		O.run_every = 0xffffffffULL;
	if (O.run_every)
		guest_setup();

	if (O.corpus_in)
		return replay();

	if (O.corpus_out)
		corpus_open(O.corpus_out);
	fuzz();
	corpus_close();
	return n_findings ? 1 : 0;
}
