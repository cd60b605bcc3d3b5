# shellcheck shell=bash
# The test table (config/tests) and the CPU models.  Sourced by scripts/lib.sh.

# The test table (config/tests): <test> <suite> <kind> <lines> <models>
# <flags> <note>.  tests_of KIND... : the tests of these kinds on this
# kernel line (LINE); tests_flagged FLAG: the tests with that flag on this
# line; test_field TEST N: field N of TEST's row (empty if none);
# test_note TEST: its note.
TESTS=$TOP/config/tests
tests_rows() { sed 's/^[[:space:]]*#.*//; /^[[:space:]]*$/d' "$TESTS" | awk -v l="$LINE" '$4 == "all" || index("," $4 ",", "," l ",")'; }
tests_of() { tests_rows | awk -v k=" $* " 'index(k, " " $3 " ") {print $1}'; }
tests_flagged() { tests_rows | awk -v f="$1" 'index("," $6 ",", "," f ",") {print $1}'; }
# (No "exit" in these awk programs: under pipefail an early exit would be a
# SIGPIPE failure of the pipeline.)
test_field() { tests_rows | awk -v t="$1" -v n="$2" '$1 == t && !d {print $n; d = 1}'; }
test_note() { tests_rows | awk -v t="$1" '$1 == t && !d {for (i = 1; i <= 6; i++) $i = ""; sub(/^ +/, ""); print; d = 1}'; }

# The host models (config/hosts).  qemu_models: "<name> <-cpu argument>
# <xcr0> <tests>" of the QEMU/TCG hosts make check runs, the matrix of the VM
# stages; cpu_of MODEL: the QEMU -cpu argument of a QEMU host (empty if there
# is no such host).
HOSTS=$TOP/config/hosts
qemu_models() { strip_comments "$HOSTS" | awk '$2 == "qemu-tcg" && $9 == "yes" {print $1, $3, $6, $8}'; }
cpu_of() { strip_comments "$HOSTS" | awk -v m="$1" '$1 == m && $2 == "qemu-tcg" {print $3}'; }
# bochs_models: the Bochs hosts make check runs; bochs_host HOST: "<Bochs
# cpu model> <Bochs build>" of a Bochs host (empty if there is no such host).
bochs_models() { strip_comments "$HOSTS" | awk '$2 == "bochs" && $9 == "yes" {print $1}'; }
bochs_host() { strip_comments "$HOSTS" | awk -v h="$1" '$1 == h && $2 == "bochs" {print $3, $4}'; }
# first_model DEFAULT: the first model of MODELS, the one knob that chooses
# CPU models for every stage (a stage that runs one model takes the first).
first_model() { local m; read -r m _ <<<"${MODELS:-}"; echo "${m:-$1}"; }
