// Minimal reproducer: KVM_SET_XSAVE with XSTATE_BV lacking FP, SSE and AVX
// reports MXCSR 0x1f80 (init) in KVM_GET_XSAVE, but the guest runs with the
// MXCSR of the previous state (copy_uabi_to_xstate() does not touch the
// buffer's MXCSR, and standard-form XRSTOR loads MXCSR whenever RFBM has
// SSE or AVX, whatever XSTATE_BV says).  gcc -O2 -static -o stale_mxcsr stale_mxcsr.c
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

static uint32_t mxcsr(struct kvm_xsave *x) { uint32_t m; memcpy(&m, (char *)x->region + 24, 4); return m; }
static uint64_t bv(struct kvm_xsave *x) { uint64_t b; memcpy(&b, (char *)x->region + 512, 8); return b; }

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR), vm = ioctl(kvm, KVM_CREATE_VM, 0), vcpu;
	uint8_t *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region mr = { .slot = 0, .guest_phys_addr = 0, .memory_size = 4096,
						  .userspace_addr = (uintptr_t)mem };
	struct kvm_xsave xs;
	struct kvm_sregs sr;
	struct kvm_regs r = { .rip = 0, .rflags = 2 };
	struct kvm_run *run;
	uint64_t b;
	uint32_t m;

	mem[0] = 0xf4;					/* hlt */
	ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mr);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ioctl(vcpu, KVM_GET_SREGS, &sr);
	sr.cs.base = 0; sr.cs.selector = 0;
	ioctl(vcpu, KVM_SET_SREGS, &sr);

	/* 1: x87+SSE state with MXCSR 0x1234 */
	memset(&xs, 0, sizeof(xs));
	xs.region[0] = 0x37f;
	m = 0x1234; memcpy((char *)xs.region + 24, &m, 4);
	b = 3; memcpy((char *)xs.region + 512, &b, 8);
	printf("SET XSTATE_BV=0x3 MXCSR=0x1234: %d\n", ioctl(vcpu, KVM_SET_XSAVE, &xs));
	/* 2: everything in its init state: XSTATE_BV = 0 */
	memset(&xs, 0, sizeof(xs));
	printf("SET XSTATE_BV=0x0:               %d\n", ioctl(vcpu, KVM_SET_XSAVE, &xs));
	ioctl(vcpu, KVM_GET_XSAVE, &xs);
	printf("GET before KVM_RUN: XSTATE_BV=0x%llx MXCSR=0x%x\n", (unsigned long long)bv(&xs), mxcsr(&xs));
	ioctl(vcpu, KVM_SET_REGS, &r);
	b = ioctl(vcpu, KVM_RUN, 0);
	printf("KVM_RUN: %d exit_reason %u (KVM_EXIT_HLT=%d)\n", (int)b, run->exit_reason, KVM_EXIT_HLT);
	ioctl(vcpu, KVM_GET_XSAVE, &xs);
	printf("GET after KVM_RUN:  XSTATE_BV=0x%llx MXCSR=0x%x (expected 0x1f80)\n",
	       (unsigned long long)bv(&xs), mxcsr(&xs));
	return mxcsr(&xs) != 0x1f80;
}
