#!/usr/bin/env bash
# Interop matrix against the conformance fixture in BUILD:
#   {v1 = @modelcontextprotocol/sdk, v2 = @modelcontextprotocol/client} x {stdio, http}
#   x {eras the client speaks: v1 legacy; v2 legacy and modern (2026-07-28)}
# plus the Inspector CLI listing tools and calling test_simple_text over stdio and http.
#
#   tests/interop/run.sh BUILD [--valgrind]
#
# --valgrind runs every fixture process (stdio children and HTTP servers) under valgrind and
# fails on any error it reports. Ends with one "N passed, M failed" line summing all runs.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
root=$PWD

usage() {
    echo "usage: $0 BUILD-DIR [--valgrind]" >&2
    exit 2
}
build=
use_valgrind=0
for arg in "$@"; do
    case "$arg" in
    --valgrind) use_valgrind=1 ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) [ -z "$build" ] || usage; build=$arg ;;
    esac
done
[ -n "$build" ] || usage

node=$root/tests/npm/node_modules/.bin/node
inspector_dir=$root/tests/npm/node_modules/@modelcontextprotocol/inspector-cli
fixture=$root/$build/bin/mcp-conformance-fixture
case "$build" in /*) fixture=$build/bin/mcp-conformance-fixture ;; esac

fail_setup() {
    echo "interop: $1"
    echo "0 passed, 1 failed"
    exit 1
}
[ -x "$node" ] || fail_setup "$node is missing: install the Node test peers with scripts/npm-deps.sh"
[ -x "$fixture" ] || fail_setup "$fixture is missing: build it with make"
command -v curl >/dev/null || fail_setup "curl is missing (scripts/deps.sh installs it)"

tmp=$(mktemp -d)
srv_pid=
cleanup() {
    if [ -n "$srv_pid" ] && kill -0 "$srv_pid" 2>/dev/null; then
        kill -TERM "$srv_pid" 2>/dev/null
        sleep 0.5
        kill -KILL "$srv_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wrap=()
slow=1 # time multiplier
if [ "$use_valgrind" -eq 1 ]; then
    command -v valgrind >/dev/null || fail_setup "valgrind is missing (scripts/deps.sh installs it)"
    if grep -qa __asan_init "$fixture"; then
        fail_setup "$fixture is built with AddressSanitizer, which valgrind cannot run: use build/debug"
    fi
    # Each process logs to its own file (named by its pid) so errors are seen even from
    # processes whose exit code nobody collects (the Inspector's stdio child).
    wrap=(valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 -q
        "--log-file=$tmp/vg-%p.log")
    slow=10
fi


# Waits for every valgrind-wrapped process to finish and reports what valgrind logged.
check_valgrind() {
    local name=$1 f pid n=0 bad=0 i
    [ "$use_valgrind" -eq 1 ] || return 0
    for f in "$tmp"/vg-*.log; do
        [ -e "$f" ] || continue
        pid=${f##*/vg-}
        pid=${pid%.log}
        for ((i = 0; i < 600; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        n=$((n + 1))
        if [ -s "$f" ]; then
            bad=$((bad + 1))
            sed 's/^/# /' "$f"
        fi
        rm -f "$f"
    done
    if [ "$bad" -gt 0 ]; then
        not_ok "$name: valgrind" "errors in $bad of $n processes (log above)"
    elif [ "$n" -gt 0 ]; then
        ok "$name: valgrind clean ($n processes)"
    else
        not_ok "$name: valgrind" "no valgrind log: the server never ran under valgrind"
    fi
}

# Runs one interop.mjs invocation, shows its lines and adds its summary to the totals.
interop() {
    local name=$1 log=$tmp/run.log status
    shift
    echo "== $name"
    "$node" "$root/tests/interop/interop.mjs" "$@" >"$log" 2>&1
    status=$?
    sed -E "s/^([0-9]+ passed, [0-9]+ failed)\$/-- $(printf '%s' "$name" | sed 's/[\/&]/\\&/g'): \\1/" "$log"
    if ! add_counts "$log"; then
        not_ok "$name" "no summary line (exit $status)"
        return
    fi
    if [ "$status" -ne 0 ] && [ "$summary_failed" -eq 0 ]; then
        not_ok "$name" "exited $status"
    fi
}

free_port() {
    "$node" -e 'const s = require("net").createServer();
        s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Starts the fixture on a free port; sets srv_pid and url. Retries if the port was taken.
start_http() {
    local port attempt i code
    srv_log=$tmp/http-server.log
    for attempt in 1 2 3; do
        port=$(free_port) || return 1
        "${wrap[@]}" "$fixture" --http "127.0.0.1:$port" >"$srv_log" 2>&1 &
        srv_pid=$!
        url=http://127.0.0.1:$port/mcp
        for ((i = 0; i < 100 * slow; i++)); do
            code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null)
            if [ -n "$code" ] && [ "$code" != 000 ]; then
                return 0
            fi
            kill -0 "$srv_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$srv_pid" 2>/dev/null
        wait "$srv_pid" 2>/dev/null
        srv_pid=
    done
    return 1
}

# Stops the HTTP server with SIGTERM and checks it exits with 0 (99 = valgrind errors).
stop_http() {
    local name=$1 i status
    [ -n "$srv_pid" ] || return 0
    kill -TERM "$srv_pid" 2>/dev/null
    for ((i = 0; i < 50 * slow; i++)); do
        kill -0 "$srv_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$srv_pid" 2>/dev/null; then
        kill -KILL "$srv_pid" 2>/dev/null
        wait "$srv_pid" 2>/dev/null
        not_ok "$name: HTTP server stops on SIGTERM" "still running after $((5 * slow)) s"
    else
        wait "$srv_pid"
        status=$?
        if [ "$status" -eq 0 ]; then
            ok "$name: HTTP server exits with 0 on SIGTERM"
        else
            [ "$status" -eq 99 ] && status="$status (valgrind errors)"
            sed 's/^/# /' "$srv_log"
            not_ok "$name: HTTP server exits with 0 on SIGTERM" "exit $status"
        fi
    fi
    srv_pid=
}

# --- the client matrix
wrap_arg=()
[ "${#wrap[@]}" -gt 0 ] && wrap_arg=(--wrap "${wrap[*]}")
runs=("v1 legacy" "v2 legacy" "v2 modern")
for transport in stdio http; do
    for r in "${runs[@]}"; do
        client=${r% *}
        era=${r#* }
        name="$client/$transport/$era"
        if [ "$transport" = stdio ]; then
            interop "$name" --client "$client" --transport stdio --era "$era" \
                --server "$fixture" "${wrap_arg[@]}"
        else
            if ! start_http; then
                sed 's/^/# /' "$srv_log"
                not_ok "$name" "the HTTP server did not start"
                continue
            fi
            interop "$name" --client "$client" --transport http --era "$era" \
                --server "$fixture" --url "$url"
            stop_http "$name"
        fi
        check_valgrind "$name"
    done
done

# --- the Inspector CLI (v1 SDK inside). Its build/index.js imports "../package.json" only
# when that path exists relative to the working directory, so it runs from node_modules;
# its launcher spawns `node` from PATH, so Node 22 goes first there.
inspector() {
    local name=$1 want=$2 out=$tmp/inspector.out status
    shift 2
    (cd "$root/tests/npm/node_modules" &&
        PATH="$root/tests/npm/node_modules/.bin:$PATH" timeout $((60 * slow)) \
            "$node" "$inspector_dir/build/cli.js" --cli "$@") >"$out" 2>&1
    status=$?
    if [ "$status" -eq 0 ] && grep -qF -- "$want" "$out"; then
        ok "$name"
    else
        sed 's/^/# /' "$out"
        not_ok "$name" "exit $status, output lacks $want"
    fi
}
# Valgrind's own options would be taken for the Inspector's: hand it a one-word wrapper.
target=$fixture
if [ "${#wrap[@]}" -gt 0 ]; then
    target=$tmp/fixture-under-valgrind
    printf '#!/bin/sh\nexec %s "$@"\n' "$(printf '%q ' "${wrap[@]}" "$fixture")" >"$target"
    chmod +x "$target"
fi
echo "== inspector-cli/stdio"
inspector "inspector-cli stdio tools/list" '"test_simple_text"' "$target" --method tools/list
inspector "inspector-cli stdio tools/call test_simple_text" \
    'This is a simple text response for testing.' \
    "$target" --method tools/call --tool-name test_simple_text
check_valgrind "inspector-cli/stdio"
echo "== inspector-cli/http"
if start_http; then
    inspector "inspector-cli http tools/list" '"test_simple_text"' \
        "$url" --transport http --method tools/list
    inspector "inspector-cli http tools/call test_simple_text" \
        'This is a simple text response for testing.' \
        "$url" --transport http --method tools/call --tool-name test_simple_text
    stop_http "inspector-cli/http"
else
    sed 's/^/# /' "$srv_log"
    not_ok "inspector-cli/http" "the HTTP server did not start"
fi
check_valgrind "inspector-cli/http"

echo "== interop total"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
