#!/usr/bin/env bash
# Benchmarks libmcp side by side with the reference TypeScript SDK, v1 and v2, and with the
# floor (the least a C program can do to answer), in one run on this machine, and prints one
# table: each measure, the four figures, and ours against each; under it, what the floor does
# over stdio when it parses each request with cJSON as libmcp does. See docs/performance.md.
#
#   bench/run.sh BUILD          e.g. bench/run.sh build/release (after make VARIANT=release)
#
# Environment: BENCH_SECONDS (measured seconds per figure, 3), BENCH_WARMUP (seconds before
# each, 1: the SDK's JIT warms up), BENCH_COLD_RUNS (20), BENCH_CONNS (HTTP connections, 16),
# BENCH_PORT (first of four ports, 29411: below the ephemeral range, where a port with no
# listener can be taken by a client socket), BENCH_PIN (1: the server on CPUs 0..n-2, the load
# generator on the last one; 0: let the scheduler place them).
# The raw lines from the load generator are kept in BUILD/bench/results.txt. A server that
# fails or answers wrongly leaves "-" in its column and makes the script exit 1 at the end.
set -euo pipefail

build=${1:?usage: bench/run.sh BUILD (e.g. build/release)}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/bench
lg=$bin/loadgen
for p in loadgen echo floor_stdio floor_cjson floor_http; do
    [ -x "$bin/$p" ] || { echo "bench: $bin/$p missing: make VARIANT=release all" >&2; exit 1; }
done

# --- The peers: Node 22 from the test peers, the SDKs at the versions the lock file pins.
node=$root/tests/npm/node_modules/.bin/node
peers=$root/bench/peers
"$root/scripts/npm-deps.sh"
"$root/scripts/npm-deps.sh" "$peers"
version() { "$node" -p "require('$peers/node_modules/$1/package.json').version"; }

secs=${BENCH_SECONDS:-3}
warm=${BENCH_WARMUP:-1}
runs=${BENCH_COLD_RUNS:-20}
conns=${BENCH_CONNS:-16}
port=${BENCH_PORT:-29411}
pin=()
ncpu=$(nproc)
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$ncpu" -ge 2 ]; then
    pin=(-a "0-$((ncpu - 2))" -A "$((ncpu - 1))")
fi

results=$build/bench/results.txt
: >"$results"
status=0

# run LABEL PORT MODES JSON-FLAG STDIO-COMMAND... -- HTTP-COMMAND... : every measure of one
# server. The HTTP command gets "--http 127.0.0.1:PORT" appended, and JSON-FLAG (if not
# empty) for the JSON figures: the SDKs choose JSON or SSE per transport, not per request.
run() {
    local label=$1 p=$2 modes=$3 json=$4
    shift 4
    local stdio=() http=()
    while [ "$1" != -- ]; do stdio+=("$1"); shift; done
    shift
    http=("$@")
    echo "bench: $label" >&2
    local addr=(--http "127.0.0.1:$p")
    # One failing figure must not cost the others: note it and go on.
    "$lg" cold-stdio -l "$label" -r "$runs" -- "${stdio[@]}" >>"$results" || status=1
    "$lg" cold-http -l "$label" -r "$runs" -p "$p" -- "${http[@]}" "${addr[@]}" \
        >>"$results" || status=1
    "$lg" stdio -l "$label" "${pin[@]}" -d "$secs" -W "$warm" -w 1,16 -- "${stdio[@]}" \
        >>"$results" || status=1
    "$lg" http -l "$label" "${pin[@]}" -d "$secs" -W "$warm" -c "$conns" -p "$p" -m "$modes" \
        -- "${http[@]}" "${addr[@]}" ${json:+"$json"} >>"$results" || status=1
    "$lg" http -l "$label" "${pin[@]}" -d "$secs" -W "$warm" -c "$conns" -p "$p" -m "$modes" \
        --sse -- "${http[@]}" "${addr[@]}" >>"$results" || status=1
}

# libmcp and the floors answer JSON unless the tool streams: no flag.
run ours $port sessions,stateless "" "$bin/echo" -- "$bin/echo"
# v1 knows no 2026-07-28: its stateless mode is 2025-11-25 requests without a session.
run v1 $((port + 1)) sessions,stateless-legacy --json \
    "$node" "$peers/echo-v1.mjs" -- "$node" "$peers/echo-v1.mjs"
run v2 $((port + 2)) sessions,stateless --json \
    "$node" "$peers/echo-v2.mjs" -- "$node" "$peers/echo-v2.mjs"
run floor $((port + 3)) sessions,stateless "" "$bin/floor_stdio" -- "$bin/floor_http"
# The floor with cJSON's parse and free of each request: the most any server built on cJSON can
# reach, so what a ratio could be at best (printed under the table).
echo "bench: floor_cjson" >&2
"$lg" stdio -l floor_cjson "${pin[@]}" -d "$secs" -W "$warm" -w 1,16 -- "$bin/floor_cjson" \
    >>"$results" || status=1

# --- The table.
echo
echo "libmcp $(sed -n 's/^#define MCP_LIBRARY_VERSION "\(.*\)"/\1/p' \
    "$root/libmcp/include/mcp/mcp.h") vs @modelcontextprotocol/sdk $(version @modelcontextprotocol/sdk)" \
    "(v1), @modelcontextprotocol/server $(version @modelcontextprotocol/server)" \
    "+ node $(version @modelcontextprotocol/node) (v2)," \
    "Node $("$node" --version); $ncpu CPUs: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "pinning: ${pin[*]:-none}; ${secs}s per figure after ${warm}s warm-up; HTTP: $conns keep-alive connections"
echo
awk '
$1 == "bench" {
    label = ""; measure = ""
    for (i = 2; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "label") label = kv[2]
        if (kv[1] == "measure") measure = kv[2]
    }
    sub(/stateless-legacy/, "stateless", measure) # v1: the stateless mode it has
    for (i = 2; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] != "label" && kv[1] != "measure") v[label, measure, kv[1]] = kv[2]
    }
    # Peak RSS over HTTP: the larger of the JSON and the SSE server processes.
    if (measure ~ /^rss_http_/ && v[label, measure, "vmhwm_kib"] + 0 > v[label, "rss_http", "vmhwm_kib"] + 0)
        v[label, "rss_http", "vmhwm_kib"] = v[label, measure, "vmhwm_kib"]
}
# row NAME MEASURE KEY SCALE FORMAT HIGHER_IS_BETTER SDK_TARGET FLOOR_TARGET
# SDK_TARGET is a ratio both SDKs must be beaten by, or "v1:RATIO" where issue 4 names v1 alone.
function row(name, m, key, scale, fmt, higher, sdk, floor,   i, s, x, o, r, ok, line, t, v1only) {
    line = sprintf("%-40s", name)
    for (i = 1; i <= 4; i++) {
        s = servers[i]
        x = v[s, m, key]
        line = line sprintf("%11s", x == "" ? "-" : sprintf(fmt, x / scale))
    }
    for (i = 2; i <= 4; i++) {
        s = servers[i]
        x = v[s, m, key]; o = v["ours", m, key]
        if (x == "" || o == "" || x + 0 == 0 || o + 0 == 0) { line = line sprintf("%9s", "-"); r[s] = ""; continue }
        r[s] = higher ? o / x : x / o
        line = line sprintf("%8.2fx", r[s])
    }
    t = ""
    if (sdk != "") {
        v1only = sub(/^v1:/, "", sdk)
        sdk += 0 # a number again: awk compares a number with a string as text
        ok = r["v1"] != "" && r["v1"] >= sdk && (v1only || (r["v2"] != "" && r["v2"] >= sdk))
        t = sprintf(">=%gx %s %s", sdk, v1only ? "v1" : "SDK", ok ? "met" : "MISSED")
    }
    if (floor != "") {
        ok = r["floor"] != "" && r["floor"] >= floor
        t = t (t == "" ? "" : "; ") sprintf(">=%gx floor %s", floor, ok ? "met" : "MISSED")
    }
    print line (t == "" ? "" : "  " t)
}
END {
    servers[1] = "ours"; servers[2] = "v1"; servers[3] = "v2"; servers[4] = "floor"
    printf "%-40s%11s%11s%11s%11s%9s%9s%9s  %s\n", "measure", "ours", "v1", "v2", "floor",
        "vs v1", "vs v2", "vs floor", "target (vs: >1 = ours better)"
    row("cold start stdio, ms (median)", "cold_stdio", "median_ms", 1, "%.1f", 0, "v1:100", "")
    row("cold start HTTP, ms (median)", "cold_http", "median_ms", 1, "%.1f", 0, "v1:100", "")
    split("stdio_w1 stdio_w16 http_sessions_json http_stateless_json http_sessions_sse http_stateless_sse", ms, " ")
    split("stdio W=1|stdio W=16|HTTP sessions JSON|HTTP stateless JSON|HTTP sessions SSE|HTTP stateless SSE", names, "|")
    for (j = 1; j <= 6; j++) {
        sdk = ms[j] ~ /^stdio/ ? 10 : 20
        row(names[j] ", calls/s", ms[j], "calls_per_s", 1, "%.0f", 1, sdk, 0.5)
        row(names[j] ", p50 us", ms[j], "p50_us", 1, "%.0f", 0, "", "")
        row(names[j] ", p99 us", ms[j], "p99_us", 1, "%.0f", 0, "", "")
        row(names[j] ", server CPU us/call", ms[j], "cpu_us_per_call", 1, "%.1f", 0, "", "")
    }
    row("peak RSS stdio, MiB (VmHWM)", "rss_stdio", "vmhwm_kib", 1024, "%.1f", 0, 25, "")
    row("peak RSS HTTP, MiB (VmHWM)", "rss_http", "vmhwm_kib", 1024, "%.1f", 0, 25, "")
    for (j = 1; j <= 2; j++) {
        m = j == 1 ? "stdio_w1" : "stdio_w16"
        c = v["floor_cjson", m, "calls_per_s"]; o = v["ours", m, "calls_per_s"]
        a = v["v1", m, "calls_per_s"]; b = v["v2", m, "calls_per_s"]
        if (c + 0 && o + 0 && a + 0 && b + 0)
            printf "%s, the floor parsing with cJSON: %.0f calls/s, %.2fx v1, %.2fx v2; ours %.2fx of it\n",
                j == 1 ? "stdio W=1" : "stdio W=16", c, c / a, c / b, o / c
    }
    print ""
    print "v1 has no 2026-07-28: its stateless figures are 2025-11-25 requests without a session."
    print "SSE: the call asks for progress, the tool reports one step, then answers (a 2-event stream)."
}' "$results"

# A wrong answer anywhere fails the run: a fast server that does not echo must not win.
if [ "$status" != 0 ] || grep -q ' errors=[1-9]' "$results"; then
    echo "bench: a server failed or answered wrongly (see above and $results)" >&2
    exit 1
fi
