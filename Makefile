# Entry points.  Every stage is one script under scripts/; see README.md.
#   make check   everything: lint, bisect, postings, vmtest on base, patched and debug
#                kernels, mutation, harness tests, fuzz, demo
#   make demo    end-to-end migration reproduction (the main job)
#   make check-stable  the backports to Debian's 6.12 and 6.1 (patches/stable/)
SHELL := /bin/bash
S := scripts
KERNEL ?= patched
export KERNEL FLAVOR MODELS LIST

.PHONY: all deps tree apply kernel kernels selftests initramfs vmtest vmtest-all \
	compare bisect lint export check check-stable demo demo-qemu-fix send fuzz repro-tree harness-test mutate postings fuzz-soak bench kselftest clean

all: check

deps:
	@$(S)/deps.sh

tree: deps
	@$(S)/get-tree.sh
	@$(S)/apply.sh

apply:
	@$(S)/apply.sh

kernel:
	@$(S)/build-kernel.sh

kernels:
	@KERNEL=base $(S)/build-kernel.sh
	@KERNEL=patched $(S)/build-kernel.sh

selftests:
	@$(S)/build-selftests.sh
	@$(S)/mkinitramfs.sh

initramfs:
	@$(S)/mkinitramfs.sh

vmtest:
	@$(S)/vmtest.sh

compare:
	@$(S)/compare.sh

bisect:
	@$(S)/bisect.sh

lint:
	@$(S)/lint.sh

export:
	@$(S)/export.sh

repro-tree:
	@$(S)/repro-tree.sh

harness-test:
	@$(S)/harness-test.sh

mutate:
	@$(S)/mutate.sh

check:
	@$(S)/check.sh

check-stable:
	@$(S)/check-stable.sh

demo:
	@$(S)/demo.sh

# The userspace half: QEMU with patches/qemu/ (built from source) loading the
# over-saved images on unpatched kernels.  Not part of make demo/check yet.
demo-qemu-fix:
	@QEMU_DEMO_MATRIX=$(CURDIR)/selftests/qemu-migrate/matrix-qemu-fix $(S)/qemu-demo.sh

postings:
	@$(S)/postings.sh

send:
	@$(S)/send.sh

fuzz:
	@$(S)/fuzz.sh

fuzz-soak:
	@$(S)/fuzz-soak.sh

kselftest:
	@$(S)/kselftest.sh

bench:
	@$(S)/bench.sh

clean:
	rm -rf build/base build/patched build/repro build/vmtest build/selftests build/initramfs*
