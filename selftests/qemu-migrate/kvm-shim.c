// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for the QEMU migration demo (scripts/qemu-demo.sh).
 * QEMU 7.2 has no option for KVM quirks, so this wraps ioctl():
 *
 *  - QEMU_SHIM_DISABLE_QUIRK=1: right after a successful KVM_CREATE_VM,
 *    KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2, KVM_X86_QUIRK_XSAVE_TRIM_UNSUPPORTED)
 *    on the new VM fd, and one line saying so with the result.
 *  - Always (read only): one line per KVM_GET_XSAVE{,2} / KVM_SET_XSAVE with
 *    the XSTATE_BV of the buffer and the ioctl's result (and, after a
 *    successful one, XSTATE_BV of KVM_GET_XSAVE), and every failed
 *    KVM_SET_SREGS{,2} and KVM_SET_XCRS, so the logs show
 *    what the source saved and what the destination's KVM said (QEMU 7.2
 *    ignores a failing KVM_SET_XSAVE silently).
 *
 * Lines go to the file named by QEMU_SHIM_LOG (appended), else to stderr.
 * Build: make -C selftests O=DIR kvm-shim.so   (-shared -fPIC, -Wall -Wextra)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/ioctl.h>
#include "xsave_abi.h"	/* QUIRK_XSAVE_TRIM_UNSUPPORTED, KVM_CAP_DISABLE_QUIRKS2, XSAVE_OFF_XSTATE_BV */

/* Numbers from include/uapi/linux/kvm.h (v7.3); no <linux/kvm.h> here. */
#define KVMIO				0xAE
struct shim_kvm_enable_cap {
	uint32_t cap;
	uint32_t flags;
	uint64_t args[4];
	uint8_t pad[64];
};
#define SHIM_KVM_CREATE_VM		_IO(KVMIO, 0x01)
#define SHIM_KVM_ENABLE_CAP		_IOW(KVMIO, 0xa3, struct shim_kvm_enable_cap)
#define SHIM_KVM_GET_XSAVE		_IOR(KVMIO, 0xa4, struct { uint32_t region[1024]; })
#define SHIM_KVM_SET_XSAVE		_IOW(KVMIO, 0xa5, struct { uint32_t region[1024]; })
#define SHIM_KVM_GET_XSAVE2		_IOR(KVMIO, 0xcf, struct { uint32_t region[1024]; })

_Static_assert(sizeof(struct shim_kvm_enable_cap) == 104, "struct kvm_enable_cap");
_Static_assert(SHIM_KVM_ENABLE_CAP == 0x4068aea3, "KVM_ENABLE_CAP");
_Static_assert(SHIM_KVM_GET_XSAVE == 0x9000aea4, "KVM_GET_XSAVE");
_Static_assert(SHIM_KVM_SET_XSAVE == 0x5000aea5, "KVM_SET_XSAVE");
_Static_assert(SHIM_KVM_GET_XSAVE2 == 0x9000aecf, "KVM_GET_XSAVE2");
_Static_assert(KVM_XSAVE_REGION_SIZE == 4 * 1024, "struct kvm_xsave");

static int log_fd = -1;
static int logged;
static int trace = -1;

static void shim_log(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (logged++ > 400)
		return;
	if (log_fd < 0) {
		const char *p = getenv("QEMU_SHIM_LOG");

		log_fd = p ? open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
		if (log_fd < 0)
			log_fd = 2;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		write(log_fd, buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1);
}

static const char *err_name(int e)
{
	switch (e) {
	case EINVAL: return "-EINVAL";
	case EFAULT: return "-EFAULT";
	case ENOMEM: return "-ENOMEM";
	case EPERM: return "-EPERM";
	case ENXIO: return "-ENXIO";
	default: return "-E?";
	}
}

/* XSTATE_BV of the (non-compacted) XSAVE image. */
static uint64_t xstate_bv(const void *p)
{
	uint64_t v;

	memcpy(&v, (const char *)p + XSAVE_OFF_XSTATE_BV, sizeof(v));
	return v;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	long r;
	int e;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	r = syscall(SYS_ioctl, fd, req, arg);
	e = errno;
	/*
	 * QEMU passes the request as an int: _IOR() numbers with bit 31 set
	 * (KVM_GET_XSAVE{,2}) arrive sign-extended; the kernel uses 32 bits.
	 */
	req = (unsigned int)req;

	if (req == SHIM_KVM_CREATE_VM && r >= 0) {
		const char *d = getenv("QEMU_SHIM_DISABLE_QUIRK");

		if (d && *d == '1') {
			struct shim_kvm_enable_cap cap = {
				.cap = KVM_CAP_DISABLE_QUIRKS2,
				.args = { QUIRK_XSAVE_TRIM_UNSUPPORTED },
			};
			long c = syscall(SYS_ioctl, (int)r, SHIM_KVM_ENABLE_CAP, &cap);

			if (c == 0)
				shim_log("qemu-shim: KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2=213, args[0]=0x%llx) on vm fd %ld: 0 (quirk XSAVE_TRIM_UNSUPPORTED disabled)\n",
					 (unsigned long long)QUIRK_XSAVE_TRIM_UNSUPPORTED, r);
			else
				shim_log("qemu-shim: KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2=213, args[0]=0x%llx) on vm fd %ld: FAILED %s (%s)\n",
					 (unsigned long long)QUIRK_XSAVE_TRIM_UNSUPPORTED, r, err_name(errno), strerror(errno));
		}
	} else if (req == SHIM_KVM_SET_XSAVE) {
		if (r == 0) {
			/* What KVM loaded: XSTATE_BV of KVM_GET_XSAVE right after. */
			static unsigned char after[KVM_XSAVE_REGION_SIZE] __attribute__((aligned(64)));
			long g = syscall(SYS_ioctl, fd, SHIM_KVM_GET_XSAVE, after);

			if (g == 0)
				shim_log("qemu-shim: KVM_SET_XSAVE xstate_bv=0x%llx: 0 after=0x%llx\n",
					 (unsigned long long)xstate_bv(arg),
					 (unsigned long long)xstate_bv(after));
			else
				shim_log("qemu-shim: KVM_SET_XSAVE xstate_bv=0x%llx: 0\n",
					 (unsigned long long)xstate_bv(arg));
		} else
			shim_log("qemu-shim: KVM_SET_XSAVE xstate_bv=0x%llx: %s\n",
				 (unsigned long long)xstate_bv(arg), err_name(e));
	} else if (_IOC_TYPE(req) == KVMIO && _IOC_DIR(req) == _IOC_WRITE && r < 0 &&
		   (_IOC_NR(req) == 0x84 || _IOC_NR(req) == 0xcd || _IOC_NR(req) == 0xa7)) {
		/* A failed KVM_SET_SREGS, KVM_SET_SREGS2 or KVM_SET_XCRS. */
		shim_log("qemu-shim: %s: %s\n", _IOC_NR(req) == 0x84 ? "KVM_SET_SREGS" :
			 _IOC_NR(req) == 0xcd ? "KVM_SET_SREGS2" : "KVM_SET_XCRS", err_name(e));
	} else if ((req == SHIM_KVM_GET_XSAVE || req == SHIM_KVM_GET_XSAVE2) && r == 0) {
		shim_log("qemu-shim: %s xstate_bv=0x%llx\n",
			 req == SHIM_KVM_GET_XSAVE ? "KVM_GET_XSAVE" : "KVM_GET_XSAVE2",
			 (unsigned long long)xstate_bv(arg));
	}
	if (trace < 0) {
		const char *t = getenv("QEMU_SHIM_TRACE");

		trace = t && *t == '1';
	}
	if (trace && _IOC_TYPE(req) == KVMIO && req != _IO(KVMIO, 0x80))	/* not KVM_RUN */
		shim_log("qemu-shim: trace ioctl(%d, 0x%lx) = %ld%s\n", fd, req, r, r < 0 ? err_name(e) : "");
	errno = e;
	return (int)r;
}
