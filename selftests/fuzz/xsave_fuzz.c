// SPDX-License-Identifier: GPL-2.0
/*
 * xsave_fuzz - userspace model-based fuzzer for KVM_SET_XSAVE, including
 * KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED (Documentation/design.md).
 *
 * Build:  gcc -O2 -static -Wall -Wextra -o xsave_fuzz xsave_fuzz.c
 * Usage:  xsave_fuzz [--seed N] [--seconds S] [--iters N] [--vm-iters N]
 *                    [--quirk-off-only] [--corpus-out FILE] [--corpus-in FILE]
 *                    [--strict-init] [--max-print N] [--verbose]
 *                    [--run-every N] [--mxcsr-known] [--mxcsr-fix]
 *
 * Raw KVM ioctls, libc only.  Until a vCPU runs, KVM_SET_CPUID2 can be
 * repeated on it and its guest FPU state only changes through KVM_SET_XSAVE:
 * every byte KVM_GET_XSAVE returns is then predictable from the last
 * successful KVM_SET_XSAVE input and the current guest CPUID.
 *
 * Guest runs (--run-every N, default 8, 0 = never; never in the corpus
 * record/replay modes, which must stay deterministic): after about one in N
 * successful KVM_SET_XSAVE calls (and now and then on their own) the vCPU
 * runs a real-mode guest at GPA 0 ("out %al,$0x80; hlt; jmp 0", entered at
 * the OUT or the HLT; no in-kernel irqchip, so every run ends in
 * KVM_EXIT_IO port 0x80 or KVM_EXIT_HLT).  Each KVM_RUN XRSTORs the guest
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
 *   bv' has no SSE (compacted format) (mxcsr_forced()).  Chang S. Bae analysed the inconsistency in
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
 * Observation (KVM_GET_XSAVE, XSAVE host), gs = guest CPUID.0xD.0 & S:
 *   XSTATE_BV = bv'(last success) & (gs | FP|SSE), XCOMP_BV/reserved = 0,
 *   legacy x87 / MXCSR / XMM / components = bytes of that input for the
 *   reported features, zero for absent extended features, padding zero,
 *   sw_reserved constant; PKRU = 4 bytes of the input + 4 zero bytes.
 * Failed KVM_SET_XSAVE: KVM_GET_XSAVE byte-identical to before.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef KVM_CAP_DISABLE_QUIRKS2
#define KVM_CAP_DISABLE_QUIRKS2 213
#endif
#ifndef KVM_X86_GRP_SYSTEM
#define KVM_X86_GRP_SYSTEM 0
#endif
#ifndef KVM_X86_XCOMP_GUEST_SUPP
#define KVM_X86_XCOMP_GUEST_SUPP 0
#endif
#ifndef KVM_CPUID_FLAG_SIGNIFCANT_INDEX
#define KVM_CPUID_FLAG_SIGNIFCANT_INDEX 1
#endif

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;

#define QUIRK_TRIM	(1ULL << 12)	/* KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED */
#define XSZ		4096
#define OFF_MXCSR	24
#define OFF_XMM		160
#define OFF_PAD		416
#define OFF_SWRES	464
#define OFF_BV		512
#define OFF_XCOMP	520
#define OFF_RSV		528
#define RSV_LEN		48
#define OFF_EXT		576
#define FPSSE		0x3ULL
#define FPSSEYMM	0x7ULL
#define USER_MASK	0x602ffULL	/* KVM_SUPPORTED_XCR0: 0-7, 9, 17-18 */
#define B_PKRU		9
#define B_XTCFG		17
#define B_XTDATA	18
#define MAX_VCPUS	16

enum { CM_NONE, CM_NENT0, CM_FULL, CM_NO_D, CM_NO_D0, CM_ONLY_D0, CM_MAX };
static const char *const cm_name[CM_MAX] = {
	"none", "nent0", "full", "no-0xd", "no-0xd.0", "only-0xd.0"
};
/* vcpu->arch.cpuid_nent != 0 */
static int cm_cpuid_set(int cm) { return cm >= CM_FULL; }
/* a 0xD.0 entry carrying G exists */
static int cm_has_d0(int cm) { return cm == CM_FULL || cm == CM_ONLY_D0; }

/* ------------------------------------------------------------------ */
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
static u64 rnd(void) { return rnext(&R); }
static u32 rn(u32 n) { return (u32)(rnd() % n); }
static int chance(u32 num, u32 den) { return rn(den) < num; }

/* ------------------------------------------------------------------ */
static struct {
	int kvm;
	int xsave;		/* kernel uses XSAVE (CPUID.1:ECX XSAVE && OSXSAVE) */
	int compacted;		/* kernel buffers compacted (XSAVEC or XSAVES) */
	u64 xcr0;
	u64 s_cpuid, s, L, K, unc;
	int pku;		/* KVM supports PKU (CR4.PKE) */
	int s_known;
	u32 mxcsr_mask;
	u64 quirks;
	int quirk_ok;
	u32 off[64], size[64];
	struct kvm_cpuid2 *sup;
	u8 swres[48];
	int swres_known;
} H;

static struct {
	u64 seed, iters, vm_iters, max_print;
	double seconds;
	int quirk_off_only, strict_init, verbose, mxcsr_known, mxcsr_fix;
	u64 run_every;
	const char *corpus_out, *corpus_in;
} O;

static u64 n_findings, n_printed, n_unchecked, n_notes;
static u64 n_runs, n_kvm_runs, n_mxcsr;
static u8 *guest_mem;		/* GPA 0, 4 KiB: the real-mode guest */
static int run_size;		/* KVM_GET_VCPU_MMAP_SIZE */
static FILE *corpus;
static const char *cur_tag = "seed";
static u64 cur_tagval;
struct vcpu;
static const struct vcpu *cur_vcpu;	/* for findings without an input */
static int cur_quirk;

struct input {
	u64 bv, xcomp, G, dseed;
	u8 rsv[RSV_LEN];
	u32 mxcsr;
	int cm, quirk;
};

struct expect {
	int err;
	u64 trim, bvp;
	int uncertain;
};

struct vcpu {
	int fd, cm;
	u64 G;
	int shadow_valid;
	u64 shadow_bv;
	u8 shadow[XSZ];
	u8 cur[XSZ];
	/* guest runs */
	struct kvm_run *run;
	int ran;		/* KVM_RUN done (CPUID frozen) */
	int ran_since_set;	/* state is post-run, not byte-predictable */
	int run_bad;		/* post-run invariant already reported for last_in */
	int sregs_set;
	u32 pkru;		/* model of vcpu->arch.pkru */
	int pkru_known;
	u32 kmxcsr;		/* model of the MXCSR in KVM's fpstate buffer */
	int kmxcsr_known;
	u32 mxcsr_before_set;	/* kmxcsr before the last accepted input */
	int mxcsr_before_known;
	struct input last_in;	/* the last accepted input (bv' in shadow_bv) */
	struct kvm_cpuid2 *cpuid;	/* the last CPUID set successfully */
	u64 last_trim;
};

struct vmctx {
	int vm, quirk, nvcpu, tainted, runs;
	u64 iters;
	struct vcpu v[2];	/* fuzz: v[0]; replay: v[0] pristine, v[1] configured */
};

/* ------------------------------------------------------------------ */
static u64 get64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }
static u32 get32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }
static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *errstr(int e)
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

static void die(const char *what)
{
	fprintf(stderr, "xsave_fuzz: fatal: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? errno : 0;
}

static void note(const char *fmt, ...)
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
					len ? "," : "", OFF_RSV + i, rsv[i]);
}

static void finding(const struct input *in, const struct expect *e, int actual,
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
		       H.s, H.L, cur_vcpu->shadow_valid ? "" : "(unknown) ", cur_vcpu->shadow_bv);
	}
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* Host probing */

static struct kvm_cpuid2 *get_supported_cpuid(void)
{
	int n;

	for (n = 64; n <= 8192; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));
		int e;

		if (!c)
			die("calloc");
		c->nent = n;
		e = xioctl(H.kvm, KVM_GET_SUPPORTED_CPUID, c);
		if (!e)
			return c;
		free(c);
		if (e != E2BIG) {
			errno = e;
			die("KVM_GET_SUPPORTED_CPUID");
		}
	}
	errno = E2BIG;
	die("KVM_GET_SUPPORTED_CPUID");
	return NULL;
}

static u32 hw_mxcsr_mask(void)
{
	struct { u8 b[512]; } __attribute__((aligned(16))) fx;

	memset(&fx, 0, sizeof(fx));
	__asm__ volatile("fxsave64 %0" : "+m"(fx));
	return get32(fx.b + 28);
}

static void host_probe(void)
{
	u32 a, b, c, d, i, maxleaf;
	struct kvm_device_attr attr;
	u64 val = 0;
	int r;

	H.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (H.kvm < 0)
		die("open /dev/kvm");
	r = ioctl(H.kvm, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		fprintf(stderr, "xsave_fuzz: fatal: KVM API version %d\n", r);
		exit(2);
	}
	if (ioctl(H.kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) <= 0) {
		fprintf(stderr, "xsave_fuzz: fatal: no KVM_CAP_XSAVE\n");
		exit(2);
	}

	maxleaf = __get_cpuid_max(0, NULL);
	__cpuid(1, a, b, c, d);
	/* bit 26 = XSAVE, bit 27 = OSXSAVE (CR4.OSXSAVE, i.e. the kernel uses it) */
	H.xsave = (c >> 26 & 1) && (c >> 27 & 1);
	if ((c >> 26 & 1) && !(c >> 27 & 1))
		note("CPU has XSAVE but OSXSAVE is clear: modelling a no-XSAVE kernel");
	if (H.xsave) {
		__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
		H.xcr0 = a | (u64)d << 32;
		if (maxleaf >= 0xd) {
			/* CPUID.(0xD,1):EAX bit 1 XSAVEC, bit 3 XSAVES */
			__cpuid_count(0xd, 1, a, b, c, d);
			H.compacted = (a >> 1 & 1) || (a >> 3 & 1);
		}
		if (maxleaf >= 0xd)
			for (i = 2; i < 64; i++) {
				__cpuid_count(0xd, i, a, b, c, d);
				if (a && b && !(c & 1) && b < XSZ) {
					H.size[i] = a;
					H.off[i] = b;
				}
			}
	}

	H.mxcsr_mask = hw_mxcsr_mask();
	if (!H.mxcsr_mask)
		H.mxcsr_mask = 0xffbf;

	r = ioctl(H.kvm, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);
	H.quirks = r > 0 ? (u64)r : 0;
	H.quirk_ok = !!(H.quirks & QUIRK_TRIM);

	H.sup = get_supported_cpuid();
	for (i = 0; i < H.sup->nent; i++) {
		struct kvm_cpuid_entry2 *e = &H.sup->entries[i];

		if (e->function == 0xd && e->index == 0)
			H.s_cpuid = e->eax | (u64)e->edx << 32;
		if (e->function == 7 && e->index == 0)
			H.pku = e->ecx >> 3 & 1;
	}

	memset(&attr, 0, sizeof(attr));
	attr.group = KVM_X86_GRP_SYSTEM;
	attr.attr = KVM_X86_XCOMP_GUEST_SUPP;
	attr.addr = (u64)(uintptr_t)&val;
	if (!xioctl(H.kvm, KVM_GET_DEVICE_ATTR, &attr)) {
		H.s = val;
		H.s_known = 1;
	} else {
		/*
		 * Fallback: the supported CPUID hides XTILE_CFG (and XTILE_DATA)
		 * when the process has no AMX guest permission, while KVM can
		 * still load XTILE_CFG; treat that bit as uncertain.
		 */
		H.s = H.s_cpuid;
		if ((H.xcr0 >> B_XTCFG & 1) && !(H.s_cpuid >> B_XTCFG & 1))
			H.unc |= 1ULL << B_XTCFG;
		note("KVM_X86_XCOMP_GUEST_SUPP unavailable, S from KVM_GET_SUPPORTED_CPUID");
	}
	if (H.xsave) {
		u64 uxf = H.xcr0 & USER_MASK & ~(1ULL << B_XTDATA);

		H.L = (H.s & uxf) | FPSSE;
		H.K = H.s | FPSSE;
		if ((H.s_cpuid & ~H.s) || ((H.s & ~H.s_cpuid) & ~(3ULL << B_XTCFG)))
			note("supported CPUID 0xD.0 (0x%" PRIx64 ") and KVM supported XCR0 (0x%" PRIx64 ") differ unexpectedly",
			     H.s_cpuid, H.s);
	} else {
		H.L = FPSSE;
		H.K = FPSSE;
		if (H.s)
			note("no XSAVE but KVM supported XCR0 = 0x%" PRIx64, H.s);
	}
}

/* ------------------------------------------------------------------ */
/* VM / vCPU plumbing */

static int get_xsave(int fd, u8 *out)
{
	struct kvm_xsave xs;
	int e;

	memset(&xs, 0x5a, sizeof(xs));
	e = xioctl(fd, KVM_GET_XSAVE, &xs);
	if (!e)
		memcpy(out, &xs, XSZ);
	return e;
}

static int set_xsave(int fd, const u8 *img)
{
	struct kvm_xsave xs;

	memcpy(&xs, img, XSZ);
	return xioctl(fd, KVM_SET_XSAVE, &xs);
}

static int disable_quirk(int vm)
{
	struct kvm_enable_cap cap;

	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_DISABLE_QUIRKS2;
	cap.args[0] = QUIRK_TRIM;
	return xioctl(vm, KVM_ENABLE_CAP, &cap);
}

static u64 gs_of(const struct vcpu *v)
{
	return (cm_has_d0(v->cm) ? v->G : 0) & H.s;
}

static void check_header_only(const u8 *act, u64 gs, const char *ctx)
{
	u64 bv = get64(act + OFF_BV);
	int i;

	if (H.xsave && (bv & ~(gs | FPSSE)))
		finding(NULL, NULL, 0, "%s: KVM_GET_XSAVE XSTATE_BV 0x%" PRIx64
			" has bits outside (G&S)|FP|SSE = 0x%" PRIx64, ctx, bv, gs | FPSSE);
	if (!H.xsave && bv != FPSSE)
		finding(NULL, NULL, 0, "%s: no-XSAVE KVM_GET_XSAVE XSTATE_BV 0x%" PRIx64 " != 0x3", ctx, bv);
	for (i = OFF_XCOMP; i < OFF_EXT; i++)
		if (act[i]) {
			finding(NULL, NULL, 0, "%s: KVM_GET_XSAVE header byte %d = 0x%02x (XCOMP_BV/reserved must be 0)",
				ctx, i, act[i]);
			break;
		}
}

/* Expected KVM_GET_XSAVE output from the last loaded image. */
/*
 * With --mxcsr-fix (the series' MXCSR patches), KVM_SET_XSAVE loads, and
 * validates, the MXCSR of every buffer, and KVM_GET_XSAVE reports an MXCSR
 * that is not 0x1f80 with SSE set in XSTATE_BV, the XMM registers in init
 * state if bv' had no SSE.  Standard format: the reported bits of bv'
 * (those in (G&S)|FP|SSE) have no SSE and the kernel's MXCSR (the input's)
 * is not 0x1f80.  Compacted format: bv' has no SSE and the input's MXCSR is
 * not 0x1f80.  1 and *m when SSE is reported that
 * way, 0 when not, -1 when the kernel's MXCSR is not known to the model.
 */
static int mxcsr_forced(const struct vcpu *v, u32 *m)
{
	u64 b = v->shadow_bv;

	if (!O.mxcsr_fix || !H.xsave)
		return 0;
	if (H.compacted) {
		if ((b & 2) || get32(v->shadow + OFF_MXCSR) == 0x1f80)
			return 0;
		*m = get32(v->shadow + OFF_MXCSR);
		return 1;
	}
	if (b & (gs_of(v) | FPSSE) & 2)	/* reported with SSE */
		return 0;
	if (!v->kmxcsr_known)
		return -1;
	*m = v->kmxcsr;
	return *m != 0x1f80;
}

static void predict(const struct vcpu *v, const u8 *sh, u64 shbv, u64 gs, u8 *exp, u8 *care, int strict)
{
	u64 ob = shbv & (gs | FPSSE);
	u32 fm = 0;
	int i, forced = v ? mxcsr_forced(v, &fm) : 0;

	memset(exp, 0, XSZ);
	memset(care, 1, XSZ);
	if (!H.xsave) {
		memcpy(exp, sh, 512);
		put64(exp + OFF_BV, FPSSE);
		return;
	}
	if (ob & 1) {
		memcpy(exp, sh, OFF_MXCSR);
		memcpy(exp + 32, sh + 32, OFF_XMM - 32);
	} else {
		/* init_fpstate: FCW 0x37f, everything else 0 */
		exp[0] = 0x7f;
		exp[1] = 0x03;
		if (!strict) {
			memset(care, 0, OFF_MXCSR);
			memset(care + 32, 0, OFF_XMM - 32);
		}
	}
	if (ob & 6) {
		memcpy(exp + OFF_MXCSR, sh + OFF_MXCSR, 8);
	} else {
		memset(care + OFF_MXCSR, 0, 8);	/* init MXCSR + MXCSR_MASK */
		if (strict) {
			put32(exp + OFF_MXCSR, 0x1f80);
			memset(care + OFF_MXCSR, 1, 4);
		}
	}
	if (ob & 2)
		memcpy(exp + OFF_XMM, sh + OFF_XMM, 256);
	else if (!strict)
		memset(care + OFF_XMM, 0, 256);
	if (H.swres_known)
		memcpy(exp + OFF_SWRES, H.swres, 48);
	else
		memset(care + OFF_SWRES, 0, 48);
	put64(exp + OFF_BV, ob);
	if (forced) {
		/* MXCSR_MASK: the input's or the previous one, not modelled */
		memset(care + OFF_MXCSR, 0, 8);
		memset(exp + OFF_XMM, 0, 256);
		memset(care + OFF_XMM, forced > 0, 256);
		if (forced > 0) {
			put32(exp + OFF_MXCSR, fm);
			memset(care + OFF_MXCSR, 1, 4);
			put64(exp + OFF_BV, ob | 2);
		} else {
			care[OFF_BV] = 0;	/* SSE reported or not */
		}
	}
	for (i = 2; i < 64; i++) {
		u32 off = H.off[i], n;

		if (!(ob >> i & 1))
			continue;
		if (!H.size[i]) {	/* unknown layout: cannot predict */
			memset(care + OFF_EXT, 0, XSZ - OFF_EXT);
			continue;
		}
		n = off + H.size[i] > XSZ ? XSZ - off : H.size[i];
		memcpy(exp + off, sh + off, n);
		if (i == B_PKRU && n > 4)
			memset(exp + off + 4, 0, n - 4);	/* struct pkru_state.pad */
	}
}

static const char *region(int off)
{
	static char b[32];
	int i;

	if (off < OFF_MXCSR || (off >= 32 && off < OFF_XMM))
		return "x87 legacy";
	if (off < 32)
		return "MXCSR/MXCSR_MASK";
	if (off < OFF_PAD)
		return "XMM";
	if (off < OFF_SWRES)
		return "FXSAVE padding";
	if (off < OFF_BV)
		return "sw_reserved";
	if (off < OFF_XCOMP)
		return "XSTATE_BV";
	if (off < OFF_EXT)
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

	predict(v, v->shadow, v->shadow_bv, gs_of(v), exp, care, O.strict_init);
	for (i = 0; i < XSZ; i++)
		if (care[i] && exp[i] != act[i])
			break;
	if (i == XSZ)
		return 0;
	if (i >= OFF_BV && i < OFF_XCOMP)
		finding(in, e, in ? e->err : 0, "%s: KVM_GET_XSAVE XSTATE_BV 0x%" PRIx64
			", expected 0x%" PRIx64 " (loaded bv' 0x%" PRIx64 " & ((G&S)|3), G&S=0x%" PRIx64 ")",
			ctx, get64(act + OFF_BV), get64(exp + OFF_BV), v->shadow_bv, gs_of(v));
	else
		finding(in, e, in ? e->err : 0, "%s: KVM_GET_XSAVE byte %d (%s) = 0x%02x, expected 0x%02x"
			" (loaded bv' 0x%" PRIx64 ", reported XSTATE_BV 0x%" PRIx64 ")",
			ctx, i, region(i), act[i], exp[i], v->shadow_bv, get64(act + OFF_BV));
	return 1;
}

/*
 * KVM_GET_XSAVE after a guest run: the post-run invariant of the header,
 * relative to the last accepted input.  1 on a violation.
 */
static const char *mxcsr_kind(const struct vcpu *v, u32 am)
{
	u64 b = v->shadow_bv;

	if (!(b & FPSSEYMM) && v->mxcsr_before_known && am == v->mxcsr_before_set)
		return "stale, the MXCSR from before the last KVM_SET_XSAVE (copy_uabi_to_xstate()"
		       " keeps the buffer's MXCSR without FP/SSE/AVX, XRSTOR loads it)";
	if ((b & 1) && !(b & 6) && am == get32(v->shadow + OFF_MXCSR))
		return "the MXCSR of the FP area loaded without SSE/AVX (XRSTOR loads it,"
		       " KVM_GET_XSAVE reports init)";
	if ((b & 4) && !(b & 2) && am == 0x1f80)
		return "init although AVX was loaded without SSE (compacted XRSTORS initializes it)";
	return NULL;
}

#define FCW_MASK	0x1f3f	/* FCW bits 6, 7, 13-15 are reserved: CPUs normalize them */
#define FSW_MASK	0x7f7f	/* FSW.ES and FSW.B are derived from the flags and FCW */
static int check_after_run(const struct vcpu *v, const u8 *act, const char *ctx)
{
	static u8 exp[XSZ], care[XSZ];
	u64 gs = gs_of(v), bv = get64(act + OFF_BV), bad;
	const struct input *in = &v->last_in;
	u32 m, am = get32(act + OFF_MXCSR);
	u16 ew, aw;
	int i, r;

	predict(v, v->shadow, v->shadow_bv, gs, exp, care, 1);
	/* FCW/FSW: compared below without their reserved/derived bits */
	memset(care, 0, 4);
	/* x87 control fields XSAVE may rewrite; the 6 reserved bytes of each ST */
	memset(care + 5, 0, 19);		/* FTW high byte, FOP, FIP, FDP */
	memset(care + 28, 0, 4);		/* MXCSR_MASK */
	for (r = 0; r < 8; r++)
		memset(care + 32 + 16 * r + 10, 0, 6);
	if (!H.xsave) {
		memset(care + OFF_PAD, 0, OFF_SWRES - OFF_PAD);
	} else {
		memset(care + OFF_BV, 0, 8);	/* XSTATE_BV: checked here */
		bad = bv & ~(gs | FPSSE);
		if (bad || (bv & v->last_trim)) {
			finding(in, NULL, 0, "%s: KVM_GET_XSAVE XSTATE_BV 0x%" PRIx64 " has bits 0x%" PRIx64
				" outside (G&S)|FP|SSE = 0x%" PRIx64 " or trimmed 0x%" PRIx64 " (last bv' 0x%" PRIx64 ")",
				ctx, bv, bad | (bv & v->last_trim), gs | FPSSE, v->last_trim, v->shadow_bv);
			return 1;
		}
		/*
		 * MXCSR: what KVM_GET_XSAVE reported before the run, i.e. the
		 * input's when bv' has SSE or AVX, else init.  The hardware
		 * disagrees (mxcsr_kind()), a known kernel inconsistency that
		 * --mxcsr-known counts instead of reporting.
		 */
		memset(care + OFF_MXCSR, 0, 4);
		m = (v->shadow_bv & 6) ? get32(v->shadow + OFF_MXCSR) : 0x1f80;
		r = mxcsr_forced(v, &m);
		if (r >= 0 && am != m) {
			const char *kind = mxcsr_kind(v, am);

			n_mxcsr++;
			if (!(kind && O.mxcsr_known)) {
				finding(in, NULL, 0, "%s: guest MXCSR 0x%08x, but KVM_GET_XSAVE reported 0x%08x"
					" before the run (loaded bv' 0x%" PRIx64 ", input MXCSR 0x%08x, reported"
					" XSTATE_BV 0x%" PRIx64 "): %s", ctx, am, m, v->shadow_bv,
					get32(v->shadow + OFF_MXCSR), bv, kind ? kind : "unexplained");
				return 1;
			}
		}
		/*
		 * PKRU when reported: vcpu->arch.pkru, even if its bit was
		 * clear (the XSAVE on exit saved the host's PKRU register);
		 * zero when not reported.
		 */
		if (H.size[B_PKRU] && (gs >> B_PKRU & 1)) {
			put32(exp + H.off[B_PKRU], (bv >> B_PKRU & 1) ? v->pkru : 0);
			if (!v->pkru_known)
				memset(care + H.off[B_PKRU], 0, 4);
		}
	}
	for (r = 0; r < 2; r++) {
		u16 mask = r ? FSW_MASK : FCW_MASK;

		ew = exp[2 * r] | exp[2 * r + 1] << 8;
		aw = act[2 * r] | act[2 * r + 1] << 8;
		if ((ew ^ aw) & mask) {
			finding(in, NULL, 0, "%s: KVM_GET_XSAVE %s 0x%04x, expected 0x%04x (mask 0x%04x; loaded bv' 0x%"
				PRIx64 ", reported XSTATE_BV 0x%" PRIx64 ")", ctx, r ? "FSW" : "FCW", aw, ew, mask,
				v->shadow_bv, bv);
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
		", PKRU model %s0x%08x)", ctx, i, region(i), act[i], exp[i], v->shadow[i], v->shadow_bv, gs, bv,
		v->pkru_known ? "" : "(unknown) ", v->pkru);
	return 1;
}

/*
 * Does this KVM_GET_XSAVE show the MXCSR in KVM's fpstate?  Yes without
 * XSAVE, with SSE or AVX reported, and with --mxcsr-fix on a standard-format
 * kernel (it then reports 0x1f80 only when that is the kernel's MXCSR).
 */
static int shows_kmxcsr(const u8 *act)
{
	return !H.xsave || (get64(act + OFF_BV) & 6) || (O.mxcsr_fix && !H.compacted);
}

/* Refresh v->cur after something that must not change the FPU state. */
static void resync(struct vcpu *v, const char *ctx, int must_equal_cur)
{
	static u8 act[XSZ];
	int e = get_xsave(v->fd, act);

	if (e) {
		finding(NULL, NULL, 0, "%s: KVM_GET_XSAVE failed: %s", ctx, errstr(e));
		return;
	}
	if (H.xsave && !H.swres_known) {
		memcpy(H.swres, act + OFF_SWRES, 48);
		H.swres_known = 1;
	}
	check_header_only(act, gs_of(v), ctx);
	if (v->shadow_valid && v->ran_since_set) {
		/* each violation once per accepted input */
		if (!v->run_bad && check_after_run(v, act, ctx))
			v->run_bad = 1;
		else if (must_equal_cur && memcmp(act, v->cur, XSZ)) {
			int i;

			for (i = 0; i < XSZ && act[i] == v->cur[i]; i++)
				;
			finding(&v->last_in, NULL, 0, "%s: KVM_GET_XSAVE after a guest run changed without"
				" KVM_SET_XSAVE: byte %d (%s) 0x%02x -> 0x%02x",
				ctx, i, region(i), v->cur[i], act[i]);
		}
	} else if (v->shadow_valid) {
		compare_pred(v, act, ctx, NULL, NULL);
	} else if (must_equal_cur && memcmp(act, v->cur, XSZ)) {
		finding(NULL, NULL, 0, "%s: KVM_GET_XSAVE changed although nothing was loaded", ctx);
	}
	if (shows_kmxcsr(act)) {
		v->kmxcsr = get32(act + OFF_MXCSR);
		v->kmxcsr_known = 1;
	}
	memcpy(v->cur, act, XSZ);
}

static int vcpu_create(struct vmctx *c, struct vcpu *v)
{
	int fd = ioctl(c->vm, KVM_CREATE_VCPU, c->nvcpu);

	if (fd < 0)
		die("KVM_CREATE_VCPU");
	c->nvcpu++;
	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->cm = CM_NONE;
	v->pkru_known = 1;	/* vcpu->arch.pkru starts at 0 */
	if (c->runs) {
		void *p = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED)
			die("mmap vCPU");
		v->run = p;
	}
	resync(v, "fresh vCPU", 0);
	{
		static int checked;
		u32 m = get32(v->cur + 28);

		if (!checked++ && m && m != H.mxcsr_mask)
			note("MXCSR_MASK in KVM_GET_XSAVE of a fresh vCPU is 0x%08x, FXSAVE says 0x%08x (model uses the latter)",
			     m, H.mxcsr_mask);
	}
	return fd;
}

static void vcpu_close(struct vcpu *v)
{
	free(v->cpuid);
	v->cpuid = NULL;
	if (v->run)
		munmap(v->run, run_size);
	v->run = NULL;
	if (v->fd > 0)
		close(v->fd);
	v->fd = -1;
}

static void vm_destroy(struct vmctx *c)
{
	int i;

	for (i = 0; i < 2; i++)
		vcpu_close(&c->v[i]);
	if (c->vm > 0)
		close(c->vm);
	memset(c, 0, sizeof(*c));
	c->vm = -1;
}

/* quirk_on: wanted state; late: disable after vCPU creation */
static void vm_create(struct vmctx *c, int quirk_on, int late, int nv)
{
	int i, e;

	vm_destroy(c);
	do {
		c->vm = ioctl(H.kvm, KVM_CREATE_VM, 0);
	} while (c->vm < 0 && errno == EINTR);
	if (c->vm < 0)
		die("KVM_CREATE_VM");
	if (guest_mem) {
		struct kvm_userspace_memory_region mr;

		memset(&mr, 0, sizeof(mr));
		mr.slot = 0;
		mr.guest_phys_addr = 0;
		mr.memory_size = 4096;
		mr.userspace_addr = (u64)(uintptr_t)guest_mem;
		e = xioctl(c->vm, KVM_SET_USER_MEMORY_REGION, &mr);
		if (e) {
			errno = e;
			die("KVM_SET_USER_MEMORY_REGION");
		}
		c->runs = 1;
	}
	c->quirk = H.quirk_ok;
	if (!quirk_on && H.quirk_ok && !late) {
		e = disable_quirk(c->vm);
		if (e) {
			errno = e;
			die("KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2)");
		}
		c->quirk = 0;
	}
	for (i = 0; i < nv; i++)
		vcpu_create(c, &c->v[i]);
	if (!quirk_on && H.quirk_ok && late) {
		e = disable_quirk(c->vm);
		if (e) {
			errno = e;
			die("KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2)");
		}
		c->quirk = 0;
	}
}

/* Returns the errno of KVM_SET_CPUID2; updates v->cm/v->G on success. */
static int set_cpuid(struct vmctx *c, struct vcpu *v, int cm, u64 G)
{
	struct kvm_cpuid2 *cp;
	struct kvm_cpuid_entry2 d0;
	u32 i, n = 0;
	int e, have_d0 = 0, exp, same;

	memset(&d0, 0, sizeof(d0));
	d0.function = 0xd;
	d0.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	d0.eax = (u32)G;
	d0.edx = (u32)(G >> 32);

	cp = calloc(1, sizeof(*cp) + (H.sup->nent + 1) * sizeof(struct kvm_cpuid_entry2));
	if (!cp)
		die("calloc");
	if (cm == CM_ONLY_D0) {
		cp->entries[n++] = d0;
	} else if (cm != CM_NENT0) {
		for (i = 0; i < H.sup->nent; i++) {
			struct kvm_cpuid_entry2 en = H.sup->entries[i];

			if (en.function == 0xd) {
				if (cm == CM_NO_D)
					continue;
				en.flags |= KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
				if (en.index == 0) {
					if (cm == CM_NO_D0)
						continue;
					en.eax = d0.eax;
					en.edx = d0.edx;
					have_d0 = 1;
				}
			}
			cp->entries[n++] = en;
		}
		if (cm == CM_FULL && !have_d0)
			cp->entries[n++] = d0;
	}
	cp->nent = n;
	e = xioctl(v->fd, KVM_SET_CPUID2, cp);
	/* the CPUID KVM holds: none (nent 0) until a KVM_SET_CPUID2 succeeds */
	same = v->cpuid ? (v->cpuid->nent == n &&
			   !memcmp(v->cpuid->entries, cp->entries, n * sizeof(cp->entries[0]))) : !n;
	if (!e) {
		free(v->cpuid);
		v->cpuid = cp;
	} else {
		free(cp);
	}

	/* Dynamic xfeatures (XTILE_DATA) need ARCH_REQ_XCOMP_GUEST_PERM. */
	exp = (cm_has_d0(cm) && (G >> B_XTDATA & 1)) ? EPERM : 0;
	/* After KVM_RUN only an identical CPUID is accepted (a no-op). */
	if (v->ran && !same)
		exp = EINVAL;
	if (e != exp) {
		note("KVM_SET_CPUID2(%s, G=0x%" PRIx64 ")%s returned %s, expected %s",
		     cm_name[cm], G, v->ran ? (same ? " after KVM_RUN, identical," :
					       " after KVM_RUN, different,") : "",
		     errstr(e), errstr(exp));
		if (!e && exp)
			c->tainted = 1;	/* guest fpstate grew: model no longer valid */
	}
	if (!e) {
		v->cm = cm;
		v->G = G;
	}
	return e;
}

/* ------------------------------------------------------------------ */
/* The model */

static struct expect model(const struct input *in)
{
	struct expect e;
	int i, rsv = 0;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < RSV_LEN; i++)
		rsv |= in->rsv[i];
	/* Independent of the guest CPUID and of whether it was set. */
	e.trim = in->quirk ? in->bv & USER_MASK & ~H.K : 0;
	if (H.pku)
		e.trim &= ~(1ULL << B_PKRU);
	/* Never on a bad header; never YMM when it alone carries MXCSR. */
	if (e.trim && (in->xcomp || rsv || ((e.trim & 4) && !(in->bv & FPSSE)))) {
		e.trim = 0;
		e.err = EINVAL;
	}
	e.bvp = in->bv & ~e.trim;
	if (e.err) {
		/* refused by the quirk itself */
	} else if (H.xsave) {
		if ((e.bvp & ~H.L) || in->xcomp || rsv ||
		    ((O.mxcsr_fix || (e.bvp & FPSSEYMM)) && (in->mxcsr & ~H.mxcsr_mask)))
			e.err = EINVAL;
	} else {
		if ((e.bvp & ~FPSSE) || (in->mxcsr & ~H.mxcsr_mask))
			e.err = EINVAL;
	}
	e.uncertain = !!(in->bv & H.unc);
	return e;
}

/* ------------------------------------------------------------------ */
/* Input generation */

static const u64 groups[] = {
	1ULL << 2, 3ULL << 3, 7ULL << 5, 1ULL << 9, 1ULL << 17, 1ULL << 18, 1ULL << 19
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

static u64 gen_G(void)
{
	u32 r = rn(100);
	u64 G;

	if (r < 65) {
		G = chance(9, 10) ? FPSSE : rand_subset(FPSSE);
		G |= group_subset(USER_MASK & ~(1ULL << B_XTDATA) & ~FPSSE);
		if (chance(1, 40))
			G |= 3ULL << B_XTCFG;
	} else if (r < 80) {
		G = FPSSE | group_subset(H.s);		/* "faithful" guest */
	} else if (r < 90) {
		G = rand_subset(USER_MASK & ~(1ULL << B_XTDATA));
	} else if (r < 97) {
		G = (FPSSE | group_subset(USER_MASK)) | (rnd() & ~USER_MASK & rnd());
		G &= ~(1ULL << B_XTDATA);
	} else {
		G = rnd();
	}
	return G & ~H.unc;
}

static int gen_cm(void)
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
	u64 unl = USER_MASK & ~H.L, bv;
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
		bv = rand_subset(USER_MASK);
	} else {
		static const u64 fixed[] = { 0, 1, 2, 3, 4, 7 };

		bv = chance(1, 2) ? base_bv : fixed[rn(6)];
	}
	/* mostly keep x87/SSE set, as real images do */
	if (r < 86 && chance(3, 4))
		bv |= chance(7, 10) ? FPSSE : rand_subset(FPSSE);
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
		in->mxcsr = 0x1f80;
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
	memcpy(save, img + OFF_MXCSR, 4);
	if (rnext(&r) & 1)
		fill(&r, img, OFF_MXCSR);
	if (rnext(&r) & 1)
		fill(&r, img + 32, OFF_XMM - 32);
	if (!(rnext(&r) & 3))
		fill(&r, img + 28, 4);			/* MXCSR_MASK: not validated */
	if (rnext(&r) & 1)
		fill(&r, img + OFF_XMM, 256);
	if (!(rnext(&r) & 7))
		fill(&r, img + OFF_PAD, OFF_BV - OFF_PAD);
	for (i = 2; i < 64; i++)
		if (H.size[i] && (rnext(&r) & 1)) {
			u32 n = H.off[i] + H.size[i] > XSZ ? XSZ - H.off[i] : H.size[i];

			fill(&r, img + H.off[i], n);
		}
	if (!(rnext(&r) & 7)) {
		int k = 1 + (int)(rnext(&r) % 16);

		while (k--)
			img[OFF_EXT + rnext(&r) % (XSZ - OFF_EXT)] = (u8)rnext(&r);
	}
	memcpy(img + OFF_MXCSR, save, 4);
}

static void canonical_base(u8 *img)
{
	memset(img, 0, XSZ);
	img[0] = 0x7f;
	img[1] = 0x03;
	put32(img + 28, H.mxcsr_mask);
}

static void build_image(u8 *img, const struct input *in)
{
	gen_data(img, in->dseed);
	put32(img + OFF_MXCSR, in->mxcsr);
	put64(img + OFF_BV, in->bv);
	put64(img + OFF_XCOMP, in->xcomp);
	memcpy(img + OFF_RSV, in->rsv, RSV_LEN);
}

/* ------------------------------------------------------------------ */
/* One KVM_SET_XSAVE plus all invariant checks; returns the errno. */

static int run_input(struct vcpu *v, const struct input *in, const u8 *img)
{
	static u8 act[XSZ];
	struct expect e = model(in);
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
		memcpy(v->shadow, img, XSZ);
		v->shadow_bv = e.bvp;
		v->shadow_valid = 1;
		v->ran_since_set = 0;
		v->run_bad = 0;
		v->last_in = *in;
		v->last_trim = e.trim;
		if (H.size[B_PKRU] && (e.bvp >> B_PKRU & 1))
			v->pkru = get32(img + H.off[B_PKRU]);
		v->mxcsr_before_set = v->kmxcsr;
		v->mxcsr_before_known = v->kmxcsr_known;
		if (!H.xsave || O.mxcsr_fix || (e.bvp & FPSSEYMM)) {
			v->kmxcsr = in->mxcsr;
			v->kmxcsr_known = 1;
		}
		compare_pred(v, act, "after successful KVM_SET_XSAVE", in, &e);
	} else {
		v->shadow_valid = 0;	/* loaded something the model did not expect */
		v->pkru_known = 0;
		v->kmxcsr_known = 0;
	}
	memcpy(v->cur, act, XSZ);
	return err;
}

static void corpus_write(const struct input *in, int err, const struct expect *e)
{
	char hex[RSV_LEN * 2 + 1];
	int i;

	if (!corpus)
		return;
	for (i = 0; i < RSV_LEN; i++)
		sprintf(hex + 2 * i, "%02x", in->rsv[i]);
	fprintf(corpus, "bv=0x%016" PRIx64 " xcomp=0x%016" PRIx64 " rsv=%s mxcsr=0x%08x"
		" G=0x%016" PRIx64 " cm=%d quirk=%d dseed=0x%016" PRIx64 " res=%d exp=%d\n",
		in->bv, in->xcomp, hex, in->mxcsr, in->G, in->cm, in->quirk, in->dseed,
		err, e->uncertain ? -1 : e->err);
}

static void host_line(FILE *f)
{
	struct utsname u;

	if (uname(&u))
		strcpy(u.release, "?");
	fprintf(f, "#host kernel=%s S=0x%" PRIx64 " L=0x%" PRIx64 " xsave=%d mxcsr_mask=0x%08x"
		" quirk_supported=%d\n", u.release, H.s, H.L, H.xsave, H.mxcsr_mask, H.quirk_ok);
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

static const char *exit_name(u32 r)
{
	static char b[16];

	switch (r) {
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	case KVM_EXIT_MMIO: return "MMIO";
	}
	snprintf(b, sizeof(b), "%u", r);
	return b;
}

/*
 * Run the real-mode guest (entered at the OUT: IO then HLT exit, or at the
 * HLT), then check KVM_GET_XSAVE against the post-run invariant.
 */
static void guest_run(struct vmctx *c, struct vcpu *v)
{
	static u8 act[XSZ];
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	int e, k, at_out = chance(1, 2);

	if (!v->sregs_set) {
		e = xioctl(v->fd, KVM_GET_SREGS, &sregs);
		if (!e) {
			sregs.cs.base = 0;
			sregs.cs.selector = 0;
			e = xioctl(v->fd, KVM_SET_SREGS, &sregs);
		}
		if (e) {
			finding(&v->last_in, NULL, 0, "KVM_GET/SET_SREGS before the guest run failed: %s", errstr(e));
			c->tainted = 1;
			return;
		}
		v->sregs_set = 1;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rip = at_out ? 0 : 2;
	regs.rflags = 2;
	e = xioctl(v->fd, KVM_SET_REGS, &regs);
	if (e) {
		finding(&v->last_in, NULL, 0, "KVM_SET_REGS before the guest run failed: %s", errstr(e));
		c->tainted = 1;
		return;
	}
	for (k = at_out ? 0 : 1; k < 2; k++) {
		struct kvm_run *run = v->run;
		u32 want = k ? KVM_EXIT_HLT : KVM_EXIT_IO;

		e = xioctl(v->fd, KVM_RUN, NULL);
		n_kvm_runs++;
		v->ran = 1;
		v->ran_since_set = 1;
		if (e) {
			finding(&v->last_in, NULL, 0, "KVM_RUN (guest at %s) failed: %s",
				at_out ? "out" : "hlt", errstr(e));
			c->tainted = 1;
			return;
		}
		if (run->exit_reason != want ||
		    (want == KVM_EXIT_IO && (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != 0x80 ||
					     run->io.size != 1 || run->io.count != 1))) {
			finding(&v->last_in, NULL, 0, "KVM_RUN (guest at %s): exit reason %s, expected %s"
				" (io: dir %u port 0x%x size %u count %u; fail_entry 0x%llx; internal suberror %u)",
				at_out ? "out" : "hlt", exit_name(run->exit_reason), exit_name(want),
				run->io.direction, run->io.port, run->io.size, run->io.count,
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				run->internal.suberror);
			c->tainted = 1;
			return;
		}
	}
	n_runs++;
	e = get_xsave(v->fd, act);
	if (e) {
		finding(&v->last_in, NULL, 0, "KVM_GET_XSAVE after a guest run failed: %s", errstr(e));
		c->tainted = 1;
		return;
	}
	check_header_only(act, gs_of(v), "after a guest run");
	if (!v->run_bad && check_after_run(v, act, "after a guest run"))
		v->run_bad = 1;
	/* XSAVE wrote the actual MXCSR, unknown unless KVM_GET_XSAVE shows it */
	v->kmxcsr = get32(act + OFF_MXCSR);
	v->kmxcsr_known = shows_kmxcsr(act);
	memcpy(v->cur, act, XSZ);
}

static void fuzz_reconfig(struct vmctx *c, struct vcpu *v)
{
	int cm = gen_cm();
	u64 G = gen_G();

	if (chance(1, 32))
		G |= 1ULL << B_XTDATA;	/* KVM_SET_CPUID2 must fail, CPUID unchanged */
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
			} else if (r < 215 && c.runs && v->shadow_valid) {
				guest_run(&c, v);	/* run again without KVM_SET_XSAVE */
			}
		}
		if (c.tainted)
			continue;	/* recreate the VM before the next input */
		cur_quirk = c.quirk;

		memset(&in, 0, sizeof(in));
		in.G = v->G;
		in.cm = v->cm;
		in.quirk = c.quirk;
		in.dseed = rnd();
		if (chance(3, 4))
			memcpy(img, v->cur, XSZ);
		else
			canonical_base(img);
		gen_header(&in, get64(img + OFF_BV));
		build_image(img, &in);
		e = model(&in);
		if (O.verbose)
			printf("input %" PRIu64 ": cm=%s G=0x%" PRIx64 " quirk=%d bv=0x%" PRIx64
			       " xcomp=0x%" PRIx64 " mxcsr=0x%08x expect=%s\n", inputs,
			       cm_name[in.cm], in.G, in.quirk, in.bv, in.xcomp, in.mxcsr, errstr(e.err));
		err = run_input(v, &in, img);
		corpus_write(&in, err, &e);
		inputs++;
		c.iters++;
		if (!err && c.runs && v->shadow_valid && !c.tainted && chance(1, (u32)O.run_every))
			guest_run(&c, v);
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

static int parse_hex(const char *s, u8 *out, int n)
{
	int i;

	if ((int)strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (u8)b;
	}
	return 0;
}

static int replay(void)
{
	static struct vmctx c;
	static u8 img[XSZ];
	char line[1024], hex[128];
	u64 n = 0, diffs = 0, skipped = 0, bad = 0, lineno = 0, n_abi = 0;
	FILE *f = fopen(O.corpus_in, "r");

	if (!f)
		die(O.corpus_in);
	c.vm = -1;
	cur_tag = "replay";
	while (fgets(line, sizeof(line), f)) {
		struct input in;
		struct expect e;
		struct vcpu *v;
		int res, expr, err;

		lineno++;
		cur_tagval = lineno;
		if (line[0] == '#') {
			u64 s, l;
			int xs;
			unsigned int m;
			char *p = strstr(line, " S=");

			if (!strncmp(line, "#host", 5) && p &&
			    sscanf(p, " S=%" SCNx64 " L=%" SCNx64 " xsave=%d mxcsr_mask=%x", &s, &l, &xs, &m) == 4 &&
			    (s != H.s || l != H.L || xs != H.xsave || m != H.mxcsr_mask))
				note("corpus recorded on a different host model (S=0x%" PRIx64 " L=0x%" PRIx64
				     " xsave=%d mxcsr_mask=0x%x): differences are expected", s, l, xs, m);
			continue;
		}
		memset(&in, 0, sizeof(in));
		if (sscanf(line, "bv=%" SCNx64 " xcomp=%" SCNx64 " rsv=%120s mxcsr=%" SCNx32
			   " G=%" SCNx64 " cm=%d quirk=%d dseed=%" SCNx64 " res=%d exp=%d",
			   &in.bv, &in.xcomp, hex, &in.mxcsr, &in.G, &in.cm, &in.quirk,
			   &in.dseed, &res, &expr) < 9 ||
		    parse_hex(hex, in.rsv, RSV_LEN) || in.cm < 0 || in.cm >= CM_MAX) {
			bad++;
			continue;
		}
		in.quirk = !!in.quirk;
		if ((in.quirk && !H.quirk_ok) || (in.quirk && O.quirk_off_only)) {
			skipped++;
			continue;
		}
		if (c.vm < 0 || c.quirk != in.quirk || c.tainted)
			vm_create(&c, in.quirk, 0, 2);
		v = &c.v[in.cm == CM_NONE ? 0 : 1];
		cur_vcpu = v;
		cur_quirk = c.quirk;
		if (in.cm != CM_NONE && (v->cm != in.cm || v->G != in.G)) {
			int se = reconfig(&c, v, in.cm, in.G);

			if (se || c.tainted) {
				diffs++;
				printf("DIFF line=%" PRIu64 ": KVM_SET_CPUID2(%s, G=0x%" PRIx64 ") failed: %s\n",
				       lineno, cm_name[in.cm], in.G, errstr(se));
				continue;
			}
		}
		canonical_base(img);
		build_image(img, &in);
		e = model(&in);
		err = run_input(v, &in, img);
		n++;
		/*
		 * The x86/fpu series' one ABI change (--mxcsr-fix): a buffer
		 * with none of FP, SSE and YMM now has its MXCSR validated, so
		 * reserved bits give EINVAL where base loaded nothing.
		 */
		if (O.mxcsr_fix && H.xsave && res == 0 && err == EINVAL && e.err == EINVAL &&
		    !(in.bv & FPSSEYMM) && (in.mxcsr & ~H.mxcsr_mask)) {
			n_abi++;
			continue;
		}
		if (err != res) {
			diffs++;
			printf("DIFF line=%" PRIu64 ": recorded %s, observed %s (cm=%s G=0x%" PRIx64
			       " quirk=%d bv=0x%" PRIx64 " xcomp=0x%" PRIx64 " mxcsr=0x%08x model=%s)\n",
			       lineno, errstr(res), errstr(err), cm_name[in.cm], in.G, in.quirk,
			       in.bv, in.xcomp, in.mxcsr, e.uncertain ? "uncertain" : errstr(e.err));
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

static void usage(void)
{
	fprintf(stderr,
		"usage: xsave_fuzz [--seed N] [--seconds S] [--iters N] [--vm-iters N]\n"
		"                  [--quirk-off-only] [--corpus-out FILE] [--corpus-in FILE]\n"
		"                  [--strict-init] [--max-print N] [--verbose]\n"
		"                  [--run-every N]   (guest runs: ~1 per N successful inputs, 0 = none)\n"
		"                  [--mxcsr-known]   (count the known post-run MXCSR inconsistency, no finding)\n"
		"                  [--mxcsr-fix]     (model the series' MXCSR fixes: KVM_GET_XSAVE reports the\n"
		"                                     MXCSR XRSTOR loads, with SSE set if bv' has none)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int i, have_seed = 0;

	O.vm_iters = 400;
	O.max_print = 200;
	O.run_every = 8;
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
	printf("seed: %" PRIu64 "\n", O.seed);
	rseed(&R, O.seed);

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
	if (O.run_every) {
		static const u8 code[] = { 0xe6, 0x80, 0xf4, 0xeb, 0xfb };	/* out %al,$0x80; hlt; jmp 0 */

		run_size = ioctl(H.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
		if (run_size < (int)sizeof(struct kvm_run))
			die("KVM_GET_VCPU_MMAP_SIZE");
		guest_mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (guest_mem == MAP_FAILED)
			die("mmap guest memory");
		memcpy(guest_mem, code, sizeof(code));
	}

	if (O.corpus_in)
		return replay();

	if (O.corpus_out) {
		corpus = fopen(O.corpus_out, "w");
		if (!corpus)
			die(O.corpus_out);
		fprintf(corpus, "# xsave_fuzz corpus seed=%" PRIu64 "%s\n", O.seed,
			O.quirk_off_only ? " quirk-off-only" : "");
		host_line(corpus);
	}
	fuzz();
	if (corpus && fclose(corpus))
		die(O.corpus_out);
	return n_findings ? 1 : 0;
}
