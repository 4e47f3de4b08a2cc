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
total_pass=0
total_fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

suite() {
    local name=$1
    shift
    echo "== $name"
    "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "$name: no result line (exit $status)"
        total_fail=$((total_fail + 1))
        return
    fi
    local p f
    p=${line%% passed*}
    f=${line#*, }
    f=${f%% failed*}
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$name: exited $status"
        total_fail=$((total_fail + 1))
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
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
