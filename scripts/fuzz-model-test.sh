#!/usr/bin/env bash
# make fuzz-model: the KVM_SET_XSAVE fuzzer's ABI model (selftests/fuzz/model.c)
# against the decision table of Documentation/design.md, on the build host
# (no VM, no /dev/kvm): selftests/fuzz/fuzz_model_test.c, built by
# selftests/Makefile into build/fuzz-model.  Prints one TAP-like line per
# case and ends with "fuzz-model: N passed, N failed"; exits non-zero on a
# failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need gcc make
out=$BUILD/fuzz-model
make -s -C "$TOP/selftests" O="$out" fuzz_model_test
"$out/fuzz_model_test" "$TOP/Documentation/design.md"
