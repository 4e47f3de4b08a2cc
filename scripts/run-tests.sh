#!/usr/bin/env bash
# Runs every test against the build in $1 (e.g. build/asan) and ends with the total line;
# with suite names after it (unit, protocol, or a directory under tests/ such as http), only
# those. Each suite prints its own "N passed, N failed" line; this script adds them up.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:?usage: run-tests.sh BUILD-DIR [SUITE...]}
shift
only=" $* "
wanted() { [ "$only" = "  " ] || [[ "$only" == *" $1 "* ]]; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
. tests/lib/tap.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# suite NAME COMMAND...: runs one suite, shows its output and adds its summary line.
suite() {
    local name=$1
    shift
    echo "== $name"
    "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    if ! add_counts "$log"; then
        echo "$name: no result line (exit $status)"
        fail=$((fail + 1))
        return
    fi
    if [ "$status" -ne 0 ] && [ "$summary_failed" -eq 0 ]; then
        echo "$name: exited $status"
        fail=$((fail + 1))
    fi
}

if wanted unit; then
    for t in "$B"/tests/test_*; do
        suite "unit $(basename "$t")" "$t"
    done
fi
if wanted protocol; then
    suite "protocol cases (stdio)" "$B/tests/protocol-runner" "$B/bin/mcp-conformance-fixture" \
        tests/protocol/cases/*.case
    suite "protocol cases (http)" "$B/tests/protocol-runner" --http \
        "$B/bin/mcp-conformance-fixture" tests/protocol/cases/*.case
fi
for extra in tests/*/run.sh; do
    name=$(basename "$(dirname "$extra")")
    [ -x "$extra" ] && wanted "$name" && suite "tests/$name" "$extra" "$B"
done

echo "== all suites"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
