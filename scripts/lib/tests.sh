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
test_field() { tests_rows | awk -v t="$1" -v n="$2" '$1 == t {print $n; exit}'; }
test_note() { tests_rows | awk -v t="$1" '$1 == t {for (i = 1; i <= 6; i++) $i = ""; sub(/^ +/, ""); print; exit}'; }

# cpu_of MODEL: the QEMU -cpu argument of a model of selftests/cpu-models
# (empty if there is no such model).
cpu_of() { awk -v m="$1" '$1 == m {print $2}' "$TOP/selftests/cpu-models"; }
# first_model DEFAULT: the first model of MODELS, the one knob that chooses
# CPU models for every stage (a stage that runs one model takes the first).
first_model() { local m; read -r m _ <<<"${MODELS:-}"; echo "${m:-$1}"; }
