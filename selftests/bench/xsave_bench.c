// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_SET_XSAVE latency with KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED enabled
 * and disabled, for an image as KVM_GET_XSAVE returns it and for the same
 * image with XSTATE_BV bits of user xfeatures that KVM does not support
 * (trimmed with the quirk, -EINVAL without it).  One VM per quirk setting,
 * both with the vCPU's CPUID set; the four cases are measured in
 * interleaved batches of single calls (CLOCK_MONOTONIC), and the median of
 * each is printed.  Prints numbers only, asserts nothing about time.
 *
 * Usage: xsave_bench [CALLS]   (default 20000 per case)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "xsave_abi.h"

/*
 * The user xfeatures KVM can save (x87..AVX-512, PKRU, AMX): the quirk drops
 * those the host lacks.  APX is refused, quirk or not (design.md).
 */
#define USER_XFEATURES	KVM_SUPPORTED_XCR0_MASK
#define BATCH		100

#ifdef KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED
_Static_assert(KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED == QUIRK_XSAVE_TRIM_UNSUPPORTED,
	       "xsave_abi.h and the uapi header disagree on the quirk bit");
#endif

static int kvm;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int new_vcpu(int disable_quirk)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_DISABLE_QUIRKS2,
		.args[0] = QUIRK_XSAVE_TRIM_UNSUPPORTED,
	};
	struct kvm_cpuid2 *cpuid;
	int vm, vcpu, n = 256;

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	if (disable_quirk && ioctl(vm, KVM_ENABLE_CAP, &cap))
		die("KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2)");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
	cpuid->nent = n;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) || ioctl(vcpu, KVM_SET_CPUID2, cpuid))
		die("KVM_SET_CPUID2");
	free(cpuid);
	return vcpu;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char *argv[])
{
	static const char *const name[4] = {
		"quirk on,  plain image  ", "quirk off, plain image  ",
		"quirk on,  trimmed bits ", "quirk off, trimmed bits ",
	};
	long calls = argc > 1 ? atol(argv[1]) : 20000;
	struct kvm_device_attr attr = { .group = 0, .attr = KVM_X86_XCOMP_GUEST_SUPP };
	struct kvm_xsave plain, trim;
	uint64_t supp = 0, extra, med[4], *t[4];
	int vcpu[2], c, expect_err[4];
	long i, j;

	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		die("/dev/kvm");
	if (!(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DISABLE_QUIRKS2) &
	      QUIRK_XSAVE_TRIM_UNSUPPORTED)) {
		printf("bench: SKIP: KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED not supported\n");
		return 4;
	}
	attr.addr = (uint64_t)(unsigned long)&supp;
	if (ioctl(kvm, KVM_GET_DEVICE_ATTR, &attr))
		supp = 0;
	extra = USER_XFEATURES & ~(supp | XFEATURE_MASK_FPSSE);
	vcpu[0] = new_vcpu(0);
	vcpu[1] = new_vcpu(1);
	if (ioctl(vcpu[0], KVM_GET_XSAVE, &plain))
		die("KVM_GET_XSAVE");
	trim = plain;
	((uint64_t *)trim.region)[XSAVE_OFF_XSTATE_BV / 8] |= extra;
	expect_err[0] = expect_err[1] = expect_err[2] = 0;
	expect_err[3] = 1;
	for (c = 0; c < 4; c++)
		t[c] = calloc(calls, sizeof(uint64_t));
	for (i = 0; i < calls; i += BATCH) {
		for (c = 0; c < 4; c++) {
			for (j = i; j < i + BATCH && j < calls; j++) {
				uint64_t t0 = now_ns();
				int r = ioctl(vcpu[c & 1], KVM_SET_XSAVE, c < 2 ? &plain : &trim);

				t[c][j] = now_ns() - t0;
				if (!!r != expect_err[c] || (r && errno != EINVAL)) {
					fprintf(stderr, "bench: %s: KVM_SET_XSAVE returned %d (errno %d)\n",
						name[c], r, errno);
					return 1;
				}
			}
		}
	}
	printf("bench: %ld calls per case, trimmed bits 0x%llx, KVM_X86_XCOMP_GUEST_SUPP 0x%llx\n",
	       calls, (unsigned long long)extra, (unsigned long long)supp);
	for (c = 0; c < 4; c++) {
		qsort(t[c], calls, sizeof(uint64_t), cmp);
		med[c] = t[c][calls / 2];
		printf("bench: %s median %llu ns, p10 %llu ns, p90 %llu ns\n", name[c],
		       (unsigned long long)med[c], (unsigned long long)t[c][calls / 10],
		       (unsigned long long)t[c][calls * 9 / 10]);
	}
	printf("bench: trimmed/plain with the quirk on %.2f\n", (double)med[2] / med[0]);
	printf("bench: KVM_SET_XSAVE quirk on/off ratio %.2f\n", (double)med[0] / med[1]);
	return 0;
}
