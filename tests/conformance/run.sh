#!/usr/bin/env bash
# The official conformance suite against the fixture over Streamable HTTP, in the three runs
# issue 3 names: 0.1.16 --suite all, and 0.2.0-alpha.12 for the 2025-11-25 and 2026-07-28
# requirement sets; then 0.2.0-alpha.12's scenarios of the tasks extension, one by one. A run
# passes when the suite exits 0, which it does only when every scored check passes. Its
# summaries are printed as they are.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=${1:?usage: tests/conformance/run.sh BUILD-DIR}
. tests/lib/http-server.sh

NM=tests/npm/node_modules
NODE=$NM/.bin/node
if [ ! -x "$NODE" ]; then
    echo "not ok - Node 22 missing: run scripts/npm-deps.sh"
    echo "0 passed, 1 failed"
    exit 1
fi
work=$(mktemp -d)
trap 'stop_http_server; rm -rf "$work"' EXIT
start_http_server "$work/server.log" "$B/bin/mcp-conformance-fixture" || {
    echo "0 passed, 1 failed"
    exit 1
}
URL=http://127.0.0.1:$PORT/mcp

pass=0
fail=0
run() {
    local name=$1
    shift
    local out=$work/run.out
    timeout 600 "$NODE" "$@" --url "$URL" >"$out" 2>&1
    local status=$?
    sed -n '/=== SUMMARY ===/,$p' "$out"
    local total
    total=$(grep -E '^Total:' "$out" | tail -n 1)
    # A single scenario ends with "Passed: N/M, F failed, W warnings" instead.
    [ -n "$total" ] || total=$(sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -E '^Passed:' | tail -n 1)
    if [ "$status" -eq 0 ] && [ -n "$total" ]; then
        local unscored
        unscored=$(grep -E '^Not scored' "$out")
        echo "ok - conformance $name: $total${unscored:+ ($unscored)}"
        pass=$((pass + 1))
    else
        grep -E 'FAIL|✗' "$out" | head -n 40
        echo "not ok - conformance $name: exit $status, ${total:-no summary}"
        fail=$((fail + 1))
    fi
}

run "0.1.16 --suite all" "$NM/conformance-0116/dist/index.js" server --suite all
run "0.2.0-alpha.12 --requirements 2025-11-25" "$NM/conformance-0200/dist/index.js" server \
    --requirements 2025-11-25
run "0.2.0-alpha.12 --requirements 2026-07-28" "$NM/conformance-0200/dist/index.js" server \
    --requirements 2026-07-28
# The tasks extension (SEP-2663): unscored extension scenarios, outside every requirement set.
for scenario in tasks-lifecycle tasks-capability-negotiation tasks-wire-fields \
    tasks-request-state-removal tasks-mrtr-input tasks-request-headers \
    tasks-dispatch-and-envelope tasks-required-task-error tasks-mrtr-composition \
    tasks-status-notifications; do
    run "0.2.0-alpha.12 --scenario $scenario" "$NM/conformance-0200/dist/index.js" server \
        --scenario "$scenario"
done

if ! stop_http_server; then
    echo "not ok - fixture did not exit cleanly after the runs (see below)"
    tail -n 30 "$work/server.log"
    fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
