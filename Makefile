# Entry points.  Every stage is one script under scripts/; see README.md.
# "make help" lists the targets (from the "## " comments below) and the
# environment knobs (config/knobs).
SHELL := /bin/bash
S := scripts
KERNEL ?= patched
export KERNEL FLAVOR MODELS LIST

.PHONY: all help deps tree apply kernel kernels selftests initramfs vmtest \
	compare bisect lint export check check-debug check-stable demo demo-qemu-fix send fuzz repro-tree harness-test mutate postings fuzz-soak bench kselftest fuzz-model bochs kvm-unit-tests clean

all: check

help: ## this list
	@echo "Targets:"
	@awk -F':.*## ' '/^[a-z][a-z0-9-]*:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo; echo "Knobs (environment; config/knobs):"
	@sed 's/#.*//; /^[[:space:]]*$$/d' config/knobs | awk '{printf "  %s\n", $$0}'

deps: ## install the Debian packages the scripts need
	@$(S)/deps.sh

tree: deps ## build/linux from linux-source-7.3 with patches/series applied (branch series)
	@$(S)/get-tree.sh
	@$(S)/apply.sh

apply: ## re-apply patches/series to build/linux (FORCE=1 to overwrite the branch)
	@$(S)/apply.sh

kernel: ## build one kernel (KERNEL=, FLAVOR=)
	@$(S)/build-kernel.sh

kernels: ## build the base and the patched kernel
	@KERNEL=base $(S)/build-kernel.sh
	@KERNEL=patched $(S)/build-kernel.sh

selftests: ## build the KVM and x86 selftests and the test initramfs
	@$(S)/build-selftests.sh
	@$(S)/mkinitramfs.sh

initramfs: ## pack the test initramfs
	@$(S)/mkinitramfs.sh

vmtest: ## run the selftests in VMs on every CPU model (KERNEL=, LIST=, MODELS=)
	@$(S)/vmtest.sh

compare: ## compare base and patched vmtest results (OLD=, NEW=)
	@$(S)/compare.sh

bisect: ## build after every patch of the series
	@$(S)/bisect.sh

lint: ## checkpatch --strict, sparse and W=1, kernel-doc, shellcheck
	@$(S)/lint.sh

export: ## patches/ from branch series (STABLE=V: patches/stable/V)
	@$(S)/export.sh

repro-tree: ## branch repro: the over-saving reproducer kernel (not the series)
	@$(S)/repro-tree.sh

harness-test: ## the harness's own tests
	@$(S)/harness-test.sh

mutate: ## deliberate bugs in the series must each fail a named test case
	@$(S)/mutate.sh

check: ## everything, every kernel line (what .ci/run runs)
	@$(S)/check.sh

check-debug: ## make check plus the debug kernel (KASAN, UBSAN, KFENCE, lockdep) over the matrix, and the fuzz run on it
	@CHECK_DEBUG=1 $(S)/check.sh

check-stable: ## make check of the stable lines only (the rows of config/kernels after mainline)
	@CHECK_LINES="$$(sed 's/#.*//; /^[[:space:]]*$$/d' config/kernels | awk 'NR > 1 {print $$1}')" $(S)/check.sh

demo: ## the main job: reproduce the migration failure and show the fix
	@$(S)/demo.sh

# The userspace half: QEMU with patches/qemu/ (built from source) loading the
# over-saved images on unpatched kernels (make demo runs these rows too).
demo-qemu-fix: ## QEMU with patches/qemu/ (built from source) on unpatched kernels
	@$(S)/qemu-demo.sh $(CURDIR)/selftests/demo/qemu-fix

postings: ## each posting applies alone and passes checkpatch; one mbox each
	@$(S)/postings.sh

send: ## b4 dry run of each posting (nothing is sent)
	@$(S)/send.sh

fuzz: ## KVM_SET_XSAVE fuzzer and differential replay (FUZZ_SECONDS=, SEED=, MODELS=)
	@$(S)/fuzz.sh

fuzz-model: ## the fuzzer's ABI model against design.md's decision table (build host, no VM)
	@$(S)/fuzz-model-test.sh

fuzz-soak: ## fuzz rounds until MIN_INPUTS inputs
	@$(S)/fuzz-soak.sh

bochs: ## the series' tests on the Bochs hosts of config/hosts (MODELS=, BOCHS_PHASE=)
	@$(S)/bochs.sh

kvm-unit-tests: ## KVM-unit-tests (pinned source) in L2 guests on base and patched
	@$(S)/kvm-unit-tests.sh

kselftest: ## the kvm collection through run_kselftest.sh
	@$(S)/kselftest.sh

bench: ## KVM_SET_XSAVE latency, base vs patched
	@$(S)/bench.sh

clean: ## remove the kernel and test build output (keeps downloads, trees, ccache)
	rm -rf build/base build/patched build/repro build/vmtest build/selftests build/initramfs*
