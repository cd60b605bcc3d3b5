/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xsave_fuzz: the parts and what they share.
 *   model.c   the ABI model (model.h): pure, no globals
 *   kvm.c     host probing, VM/vCPU setup, ioctls, guest runs
 *   oracle.c  compares what KVM returns with the model; findings
 *   gen.c     input generation from the seed
 *   corpus.c  corpus writer and parser (differential record/replay)
 *   xsave_fuzz.c  options, the fuzz and replay loops, main()
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <inttypes.h>
#include <stdio.h>
#include <linux/kvm.h>
#include "model.h"

#define MAX_VCPUS	16

struct opts {
	u64 seed, iters, vm_iters, max_print;
	double seconds;
	int quirk_off_only, strict_init, verbose, mxcsr_known, mxcsr_fix;
	u64 run_every;
	const char *corpus_out, *corpus_in;
	u64 dump_inputs;		/* --dump-inputs N: host-only, no KVM */
	const char *host_profile;	/* --host-profile NAME, for --dump-inputs */
};
extern struct opts O;
/* The host as probed (kvm.c) or as a profile (--dump-inputs). */
extern struct xf_host H;

struct vcpu {
	int fd, cm;
	u64 G;
	struct vstate m;	/* the model's view; m.valid: KVM_GET_XSAVE predictable */
	u8 cur[XSZ];		/* the last KVM_GET_XSAVE */
	/* guest runs */
	struct kvm_run *run;
	int ran;		/* KVM_RUN done (CPUID frozen) */
	int ran_since_set;	/* state is post-run, not byte-predictable */
	int run_bad;		/* post-run invariant already reported for m.in */
	int sregs_set;
	struct kvm_cpuid2 *cpuid;	/* the last CPUID set successfully */
};

struct vmctx {
	int vm, quirk, nvcpu, tainted, runs;
	u64 iters;
	struct vcpu v[2];	/* fuzz: v[0]; replay: v[0] pristine, v[1] configured */
};

static inline u64 gs_of(const struct vcpu *v)
{
	return model_gs(&H, v->cm, v->G);
}

/* kvm.c: plumbing */
extern u64 n_runs, n_kvm_runs;
void die(const char *what);
int xioctl(int fd, unsigned long req, void *arg);
void host_probe(void);
void guest_setup(void);
int get_xsave(int fd, u8 *out);
int set_xsave(int fd, const u8 *img);
int disable_quirk(int vm);
int vcpu_create(struct vmctx *c, struct vcpu *v);
void vcpu_close(struct vcpu *v);
void vm_destroy(struct vmctx *c);
void vm_create(struct vmctx *c, int quirk_on, int late, int nv);
int set_cpuid(struct vmctx *c, struct vcpu *v, int cm, u64 G);
void guest_run(struct vmctx *c, struct vcpu *v, int at_out);

/* oracle.c: checks and findings */
extern u64 n_findings, n_printed, n_unchecked, n_notes, n_mxcsr;
extern const char *cur_tag;
extern u64 cur_tagval;
extern const struct vcpu *cur_vcpu;	/* for findings without an input */
extern int cur_quirk;
const char *errstr(int e);
void note(const char *fmt, ...);
void finding(const struct input *in, const struct expect *e, int actual,
	     const char *fmt, ...);
void check_header_only(const u8 *act, u64 gs, const char *ctx);
int check_after_run(const struct vcpu *v, const u8 *act, const char *ctx);
void resync(struct vcpu *v, const char *ctx, int must_equal_cur);
int run_input(struct vcpu *v, const struct input *in, const u8 *img);

/* gen.c: input generation */
void gen_seed(u64 seed);
u64 rnd(void);
u32 rn(u32 n);
int chance(u32 num, u32 den);
u64 gen_G(void);
int gen_cm(void);
void gen_cpuid(int *cm, u64 *G);
void canonical_base(u8 *img);
void build_image(u8 *img, const struct input *in);
void gen_input(struct input *in, u8 *img, const u8 *cur, int cm, u64 G, int quirk);

/* corpus.c: record and replay */
enum { CORPUS_INPUT, CORPUS_COMMENT, CORPUS_HOST, CORPUS_BAD };
struct corpus_rec {
	struct input in;
	int res, exp;			/* recorded errno; model's (-1: uncertain) */
	u64 s, l;			/* CORPUS_HOST: the recording host */
	int xsave;
	unsigned int mxcsr_mask;
};
void corpus_open(const char *path);
void corpus_attach(FILE *f);
void corpus_close(void);
void corpus_write(const struct input *in, int err, const struct expect *e);
void host_line(FILE *f);
int corpus_parse(const char *line, struct corpus_rec *r);

#endif /* FUZZ_H */
