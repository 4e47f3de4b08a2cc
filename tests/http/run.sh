#!/usr/bin/env bash
# The Streamable HTTP transport's limits and security defaults, against the fixture:
# 200 concurrent sessions with calls in flight (load.mjs), deleted and expired sessions,
# the session cap, body size, DNS-rebinding (Host/Origin), Accept, and the 2026-07-28 rules.
#
#   tests/http/run.sh BUILD
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
B=${1:?usage: tests/http/run.sh BUILD-DIR}
. tests/lib/http-server.sh
FIXTURE=$B/bin/mcp-conformance-fixture
NODE=tests/npm/node_modules/.bin/node
work=$(mktemp -d)
trap 'stop_http_server; rm -rf "$work"' EXIT
# check NAME WANT-STATUS CURL-ARGS...: the status, and the body kept in $work/body
check() {
    local name=$1 want=$2
    shift 2
    local got
    got=$(curl -s -o "$work/body" -D "$work/head" -w '%{http_code}' --max-time 20 "$@" "$URL")
    if [ "$got" = "$want" ]; then ok "$name ($got)"; else not_ok "$name: HTTP $got, want $want: $(head -c 200 "$work/body")"; fi
}
has() { grep -q -- "$2" "$work/$1" && ok "$3" || not_ok "$3: $(head -c 200 "$work/$1")"; }

JSON=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"http-test","version":"1"}}}'
session_of() { sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: *\([^[:space:]]*\).*/\1/p' "$work/head"; }

# --- the load test, on a server with the default session life: a slow machine (or a
# sanitizer) may take seconds to set 200 sessions up, and none may expire meanwhile
start_http_server "$work/load-server.log" "$FIXTURE" --max-sessions 300 ||
    { echo "0 passed, 1 failed"; exit 1; }
URL=http://127.0.0.1:$PORT/mcp
"$NODE" tests/http/load.mjs "$URL" 200 >"$work/load.out" 2>&1
cat "$work/load.out"
add_counts "$work/load.out" || not_ok "load.mjs ended without a summary"
stop_http_server || not_ok "the fixture did not exit cleanly after the load"

# --- the single checks, on a server with a short session life
start_http_server "$work/server.log" "$FIXTURE" --session-ttl 2 ||
    { echo "$pass passed, $((fail + 1)) failed"; exit 1; }
URL=http://127.0.0.1:$PORT/mcp

check "initialize opens a session" 200 "${JSON[@]}" -d "$INIT"
SID=$(session_of)
[ -n "$SID" ] && ok "the session id is in Mcp-Session-Id" || not_ok "no Mcp-Session-Id"
[ "${#SID}" -ge 32 ] && ok "the session id is long and random (${#SID} characters)" || not_ok "short session id '$SID'"
S=(-H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25')
check "a call in the session" 200 "${JSON[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
check "a session id nobody was given" 404 "${JSON[@]}" -H 'Mcp-Session-Id: 00ff' -d '{"jsonrpc":"2.0","id":3,"method":"ping"}'
check "any supported version inside a session" 200 "${JSON[@]}" -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-03-26' -d '{"jsonrpc":"2.0","id":4,"method":"ping"}'
check "an unsupported MCP-Protocol-Version" 400 "${JSON[@]}" -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 1999-01-01' -d '{"jsonrpc":"2.0","id":5,"method":"ping"}'
sleep 3.5
check "a session idle past --session-ttl has expired" 404 "${JSON[@]}" "${S[@]}" -d '{"jsonrpc":"2.0","id":6,"method":"ping"}'

check "a 10 MB body is refused" 413 "${JSON[@]}" --data-binary @<(head -c 10485760 /dev/zero | tr '\0' ' ')
check "a 40 KB header is refused" 431 "${JSON[@]}" -H "X-Padding: $(head -c 40000 /dev/zero | tr '\0' a)" -d "$INIT"
check "malformed JSON" 400 "${JSON[@]}" -d '{"jsonrpc":'
has body '"code":-32700' "malformed JSON gets -32700 in the body"
check "a foreign Origin (DNS rebinding)" 403 "${JSON[@]}" -H 'Origin: http://evil.example.com' -d "$INIT"
check "a foreign Host (DNS rebinding)" 403 "${JSON[@]}" -H 'Host: evil.example.com' -d "$INIT"
check "a local Origin is fine" 200 "${JSON[@]}" -H "Origin: http://localhost:$PORT" -d "$INIT"
check "Accept without text/event-stream" 406 -H 'Content-Type: application/json' -H 'Accept: text/html' -d "$INIT"
check "POST without a session that is not initialize" 400 "${JSON[@]}" -d '{"jsonrpc":"2.0","id":7,"method":"tools/list"}'
got=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/elsewhere")
[ "$got" = 404 ] && ok "other paths are 404" || not_ok "other paths: HTTP $got"

M=(-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: test_simple_text')
META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'
check "2026-07-28: a stateless call" 200 "${JSON[@]}" "${M[@]}" -d "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"test_simple_text\",$META}}"
has body '"resultType":"complete"' "2026-07-28: results carry resultType"
check "2026-07-28: Mcp-Name must match the body" 400 "${JSON[@]}" "${M[@]}" -d "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"test_error_handling\",$META}}"
has body '"code":-32020' "2026-07-28: a header mismatch is -32020"
check "2026-07-28: GET is not part of it" 405 -X GET -H 'MCP-Protocol-Version: 2026-07-28' -H 'Accept: text/event-stream'
check "2026-07-28: missing _meta" 400 "${JSON[@]}" -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list' -d '{"jsonrpc":"2.0","id":10,"method":"tools/list","params":{}}'
has body '"code":-32602' "2026-07-28: missing _meta is -32602"
stop_http_server || not_ok "the fixture did not exit cleanly after the single checks"

# --- --allow-host: one more name accepted, the loopback names still, others still refused
start_http_server "$work/server3.log" "$FIXTURE" --allow-host mcp.example.test ||
    { echo "0 passed, 1 failed"; exit 1; }
URL=http://127.0.0.1:$PORT/mcp
check "--allow-host: the named Host is served" 200 "${JSON[@]}" -H 'Host: mcp.example.test' -d "$INIT"
check "--allow-host: its Origin too" 200 "${JSON[@]}" -H 'Origin: https://mcp.example.test' -d "$INIT"
check "--allow-host: localhost still" 200 "${JSON[@]}" -H "Host: localhost:$PORT" -d "$INIT"
check "--allow-host: any other name still refused" 403 "${JSON[@]}" -H 'Host: evil.example.com' -d "$INIT"
stop_http_server || not_ok "the fixture did not exit cleanly"

# --- 2026-07-28 calls whose response is their only message run on the connection's thread:
# they must still stop when the client hangs up, and a call that asked for progress must still
# stream it while it runs.
start_http_server "$work/server4.log" "$FIXTURE" --audit "$work/audit.log" ||
    { echo "0 passed, 1 failed"; exit 1; }
URL=http://127.0.0.1:$PORT/mcp
SLOW=(-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: test_slow')
curl -s -o /dev/null --max-time 0.5 "${JSON[@]}" "${SLOW[@]}" \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"test_slow\",\"arguments\":{\"ms\":20000},$META}}" "$URL"
for i in $(seq 1 50); do grep -q '"name":"test_slow"' "$work/audit.log" 2>/dev/null && break; sleep 0.1; done
line=$(grep '"name":"test_slow"' "$work/audit.log" 2>/dev/null | head -n 1)
ms=$(printf '%s' "$line" | sed -n 's/.*"duration_ms":\([0-9]*\).*/\1/p')
case "$line" in
*'"outcome":"cancelled"'*) [ "${ms:-99999}" -lt 5000 ] &&
    ok "2026-07-28: a client that hangs up cancels its call (after ${ms} ms of 20000)" ||
    not_ok "2026-07-28: the call was cancelled only after ${ms} ms" ;;
*) not_ok "2026-07-28: a client that hung up did not cancel its call within 5 s: ${line:-no audit line}" ;;
esac
# A client that half-closes after its request (and reads on) still gets the answer.
"$NODE" -e '
const net = require("net");
const [port, meta] = process.argv.slice(1);
const body = `{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{${meta}}}`;
const s = net.connect({ port: +port, host: "127.0.0.1", allowHalfOpen: true }, () => {
    s.end("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
        "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\n" +
        `Mcp-Method: tools/list\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` + body);
});
let got = "";
s.on("data", (d) => { got += d; });
s.on("end", () => {
    process.stdout.write(got.split("\r\n")[0] + " " + (got.includes("test_slow") ? "tools" : "no tools"));
    process.exit(0);
});
setTimeout(() => { process.stdout.write("timeout " + got.slice(0, 80)); process.exit(0); }, 5000);
' "$PORT" "$META" >"$work/halfclose.out" 2>&1
case "$(cat "$work/halfclose.out")" in
"HTTP/1.1 200 OK tools") ok "2026-07-28: a client that half-closes after its request gets the answer" ;;
*) not_ok "2026-07-28: half-closed client: $(cat "$work/halfclose.out")" ;;
esac
PROGRESS_META='"_meta":{"progressToken":"p1","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'
curl -s -N -o "$work/body" --max-time 2 "${JSON[@]}" "${SLOW[@]}" \
    -d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"test_slow\",\"arguments\":{\"ms\":6000},$PROGRESS_META}}" "$URL"
if grep -q 'notifications/progress' "$work/body" && ! grep -q '"result"' "$work/body"; then
    ok "2026-07-28: progress streams while the call runs"
else
    not_ok "2026-07-28: no progress within 2 s of a 6 s call: $(head -c 200 "$work/body")"
fi
stop_http_server || not_ok "the fixture did not exit cleanly"

# --- the session cap: the next session is refused, not an old one silently dropped mid-call
start_http_server "$work/server2.log" "$FIXTURE" --max-sessions 2 || { echo "0 passed, 1 failed"; exit 1; }
URL=http://127.0.0.1:$PORT/mcp
for n in 1 2; do
    curl -s -o /dev/null "${JSON[@]}" -d "$INIT" "$URL"
done
# Two sessions idle, none in flight: the oldest idle one makes room.
check "at the cap, an idle session makes room" 200 "${JSON[@]}" -d "$INIT"
stop_http_server || not_ok "the fixture did not exit cleanly"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
