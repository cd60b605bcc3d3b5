// SPDX-License-Identifier: GPL-2.0
/*
 * Host and KVM plumbing of xsave_fuzz: probing the host (H), VM and vCPU
 * setup, the ioctls, guest runs.  Raw KVM ioctls, libc only.
 *
 * Guest runs (--run-every N, default 8, 0 = never; never in the corpus
 * record/replay modes, which must stay deterministic): after about one in N
 * successful KVM_SET_XSAVE calls (and now and then on their own) the vCPU
 * runs a real-mode guest at GPA 0 ("out %al,$0x80; hlt; jmp 0", entered at
 * the OUT or the HLT; no in-kernel irqchip, so every run ends in
 * KVM_EXIT_IO port 0x80 or KVM_EXIT_HLT).  What KVM_GET_XSAVE must show
 * after a run: oracle.c.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"

#ifndef KVM_X86_GRP_SYSTEM
#define KVM_X86_GRP_SYSTEM 0
#endif
#ifndef KVM_X86_XCOMP_GUEST_SUPP
#define KVM_X86_XCOMP_GUEST_SUPP 0
#endif
#ifndef KVM_CPUID_FLAG_SIGNIFCANT_INDEX
#define KVM_CPUID_FLAG_SIGNIFCANT_INDEX 1
#endif

u64 n_runs, n_kvm_runs;
static int kvm_fd;		/* /dev/kvm */
static struct kvm_cpuid2 *sup;	/* KVM_GET_SUPPORTED_CPUID */
static u8 *guest_mem;		/* GPA 0, 4 KiB: the real-mode guest */
static int run_size;		/* KVM_GET_VCPU_MMAP_SIZE */

void die(const char *what)
{
	fprintf(stderr, "xsave_fuzz: fatal: %s: %s\n", what, strerror(errno));
	exit(2);
}

int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? errno : 0;
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
		e = xioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
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
	struct { u8 b[XSAVE_LEGACY_SIZE]; } __attribute__((aligned(16))) fx;

	memset(&fx, 0, sizeof(fx));
	__asm__ volatile("fxsave64 %0" : "+m"(fx));
	return get32(fx.b + XSAVE_OFF_MXCSR_MASK);
}

void host_probe(void)
{
	u32 a, b, c, d, i, maxleaf;
	struct kvm_device_attr attr;
	u64 val = 0;
	int r;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("open /dev/kvm");
	r = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		fprintf(stderr, "xsave_fuzz: fatal: KVM API version %d\n", r);
		exit(2);
	}
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) <= 0) {
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
		H.mxcsr_mask = MXCSR_MASK_DEFAULT;

	r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2);
	H.quirks = r > 0 ? (u64)r : 0;
	H.quirk_ok = !!(H.quirks & QUIRK_XSAVE_TRIM_UNSUPPORTED);

	sup = get_supported_cpuid();
	for (i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 *e = &sup->entries[i];

		if (e->function == 0xd && e->index == 0)
			H.s_cpuid = e->eax | (u64)e->edx << 32;
		if (e->function == 7 && e->index == 0)
			H.pku = e->ecx >> 3 & 1;
	}

	memset(&attr, 0, sizeof(attr));
	attr.group = KVM_X86_GRP_SYSTEM;
	attr.attr = KVM_X86_XCOMP_GUEST_SUPP;
	attr.addr = (u64)(uintptr_t)&val;
	if (!xioctl(kvm_fd, KVM_GET_DEVICE_ATTR, &attr)) {
		H.s = val;
		H.s_known = 1;
	} else {
		/*
		 * Fallback: the supported CPUID hides XTILE_CFG (and XTILE_DATA)
		 * when the process has no AMX guest permission, while KVM can
		 * still load XTILE_CFG; treat that bit as uncertain.
		 */
		H.s = H.s_cpuid;
		if ((H.xcr0 & XFEATURE_MASK_XTILE_CFG) && !(H.s_cpuid & XFEATURE_MASK_XTILE_CFG))
			H.unc |= XFEATURE_MASK_XTILE_CFG;
		note("KVM_X86_XCOMP_GUEST_SUPP unavailable, S from KVM_GET_SUPPORTED_CPUID");
	}
	model_host_derive(&H);
	if (H.xsave) {
		if ((H.s_cpuid & ~H.s) || ((H.s & ~H.s_cpuid) & ~XFEATURE_MASK_AMX))
			note("supported CPUID 0xD.0 (0x%" PRIx64 ") and KVM supported XCR0 (0x%" PRIx64 ") differ unexpectedly",
			     H.s_cpuid, H.s);
	} else {
		if (H.s)
			note("no XSAVE but KVM supported XCR0 = 0x%" PRIx64, H.s);
	}
}

/* The real-mode guest of the runs: "out %al,$0x80; hlt; jmp 0" at GPA 0. */
void guest_setup(void)
{
	static const u8 code[] = { 0xe6, 0x80, 0xf4, 0xeb, 0xfb };	/* out %al,$0x80; hlt; jmp 0 */

	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	guest_mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guest_mem == MAP_FAILED)
		die("mmap guest memory");
	memcpy(guest_mem, code, sizeof(code));
}

/* ------------------------------------------------------------------ */
/* VM / vCPU plumbing */

int get_xsave(int fd, u8 *out)
{
	struct kvm_xsave xs;
	int e;

	memset(&xs, 0x5a, sizeof(xs));
	e = xioctl(fd, KVM_GET_XSAVE, &xs);
	if (!e)
		memcpy(out, &xs, XSZ);
	return e;
}

int set_xsave(int fd, const u8 *img)
{
	struct kvm_xsave xs;

	memcpy(&xs, img, XSZ);
	return xioctl(fd, KVM_SET_XSAVE, &xs);
}

int disable_quirk(int vm)
{
	struct kvm_enable_cap cap;

	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_DISABLE_QUIRKS2;
	cap.args[0] = QUIRK_XSAVE_TRIM_UNSUPPORTED;
	return xioctl(vm, KVM_ENABLE_CAP, &cap);
}

int vcpu_create(struct vmctx *c, struct vcpu *v)
{
	int fd = ioctl(c->vm, KVM_CREATE_VCPU, c->nvcpu);

	if (fd < 0)
		die("KVM_CREATE_VCPU");
	c->nvcpu++;
	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->cm = CM_NONE;
	v->m.pkru_known = 1;	/* vcpu->arch.pkru starts at 0 */
	if (c->runs) {
		void *p = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED)
			die("mmap vCPU");
		v->run = p;
	}
	resync(v, "fresh vCPU", 0);
	{
		static int checked;
		u32 m = get32(v->cur + XSAVE_OFF_MXCSR_MASK);

		if (!checked++ && m && m != H.mxcsr_mask)
			note("MXCSR_MASK in KVM_GET_XSAVE of a fresh vCPU is 0x%08x, FXSAVE says 0x%08x (model uses the latter)",
			     m, H.mxcsr_mask);
	}
	return fd;
}

void vcpu_close(struct vcpu *v)
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

void vm_destroy(struct vmctx *c)
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
void vm_create(struct vmctx *c, int quirk_on, int late, int nv)
{
	int i, e;

	vm_destroy(c);
	do {
		c->vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
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
int set_cpuid(struct vmctx *c, struct vcpu *v, int cm, u64 G)
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

	cp = calloc(1, sizeof(*cp) + (sup->nent + 1) * sizeof(struct kvm_cpuid_entry2));
	if (!cp)
		die("calloc");
	if (cm == CM_ONLY_D0) {
		cp->entries[n++] = d0;
	} else if (cm != CM_NENT0) {
		for (i = 0; i < sup->nent; i++) {
			struct kvm_cpuid_entry2 en = sup->entries[i];

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
	exp = (cm_has_d0(cm) && (G & XFEATURE_MASK_XTILE_DATA)) ? EPERM : 0;
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
/* Guest runs */

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
void guest_run(struct vmctx *c, struct vcpu *v, int at_out)
{
	static u8 act[XSZ];
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	int e, k;

	if (!v->sregs_set) {
		e = xioctl(v->fd, KVM_GET_SREGS, &sregs);
		if (!e) {
			sregs.cs.base = 0;
			sregs.cs.selector = 0;
			e = xioctl(v->fd, KVM_SET_SREGS, &sregs);
		}
		if (e) {
			finding(&v->m.in, NULL, 0, "KVM_GET/SET_SREGS before the guest run failed: %s", errstr(e));
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
		finding(&v->m.in, NULL, 0, "KVM_SET_REGS before the guest run failed: %s", errstr(e));
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
			finding(&v->m.in, NULL, 0, "KVM_RUN (guest at %s) failed: %s",
				at_out ? "out" : "hlt", errstr(e));
			c->tainted = 1;
			return;
		}
		if (run->exit_reason != want ||
		    (want == KVM_EXIT_IO && (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != 0x80 ||
					     run->io.size != 1 || run->io.count != 1))) {
			finding(&v->m.in, NULL, 0, "KVM_RUN (guest at %s): exit reason %s, expected %s"
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
		finding(&v->m.in, NULL, 0, "KVM_GET_XSAVE after a guest run failed: %s", errstr(e));
		c->tainted = 1;
		return;
	}
	check_header_only(act, gs_of(v), "after a guest run");
	if (!v->run_bad && check_after_run(v, act, "after a guest run"))
		v->run_bad = 1;
	/* XSAVE wrote the actual MXCSR, unknown unless KVM_GET_XSAVE shows it */
	v->m.kmxcsr = get32(act + XSAVE_OFF_MXCSR);
	v->m.kmxcsr_known = model_shows_kmxcsr(&H, act);
	memcpy(v->cur, act, XSZ);
}
