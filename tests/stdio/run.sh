#!/usr/bin/env bash
# The stdio transport's threads, against the fixture: the thread that reads serves what it
# reads, and a second one takes the input over when a call runs long. Checks that a long call
# neither holds up other requests nor becomes deaf to its cancellation (also after an idle
# second, when the stand-by sleeps), and that the answer to an ask still reaches a call that
# waits for it. Last, that a stdio server starts without
# libcrypto and libmicrohttpd and loads libcrypto when a call first needs it, and that answers
# held to leave together are not held behind a long call.
#
#   tests/stdio/run.sh BUILD
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
B=${1:?usage: tests/stdio/run.sh BUILD-DIR}
FIXTURE=$B/bin/mcp-conformance-fixture
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

INIT='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"stdio-test","version":"1"}}}'
INITIALIZED='{"jsonrpc":"2.0","method":"notifications/initialized"}'
slow() { echo "{\"jsonrpc\":\"2.0\",\"id\":$1,\"method\":\"tools/call\",\"params\":{\"name\":\"test_slow\",\"arguments\":{\"ms\":$2}}}"; }

# The server being talked to: $to is its input, $from its output.
send() { printf '%s\n' "$1" >&"$to"; }
# expect PATTERN SECONDS: reads server lines until one matches (kept in $got) or time is up.
expect() {
    local deadline=$((SECONDS + $2))
    got=
    while [ "$SECONDS" -lt "$deadline" ]; do
        IFS= read -r -t 1 got <&"$from" || continue
        case "$got" in $1) return 0 ;; esac
    done
    return 1
}

coproc SRV { exec timeout 60 "$FIXTURE" --audit "$work/audit.log" 2>"$work/stderr"; }
to=${SRV[1]} from=${SRV[0]}
send "$INIT"
expect '*"id":0,"result"*' 10 || not_ok "initialize was not answered" "$(cat "$work/stderr")"
send "$INITIALIZED"

# 1. A long call, then a ping: the ping is answered while the call runs.
send "$(slow 1 20000)"
send '{"jsonrpc":"2.0","id":2,"method":"ping"}'
if expect '*"id":2,"result"*' 3; then
    ok "a ping behind a 20 s call is answered while the call runs"
else
    not_ok "a ping behind a 20 s call was not answered within 3 s"
fi

# 2. The long call is cancelled while it runs; so is a second one the stand-by read.
send "$(slow 3 20000)"
send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}'
send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}'

# 3. An ask: the call waits for the answer, which only the input can bring.
send '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"test_elicitation","arguments":{"message":"Who?"}}}'
if expect '*"method":"elicitation/create"*' 5; then
    ask_id=$(printf '%s' "$got" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
    send "{\"jsonrpc\":\"2.0\",\"id\":$ask_id,\"result\":{\"action\":\"accept\",\"content\":{\"username\":\"ada\",\"email\":\"ada@example.com\"}}}"
    if expect '*"id":4,"result"*' 5; then
        ok "the answer to an ask reaches the call waiting for it"
    else
        not_ok "the call that asked got no answer within 5 s"
    fi
else
    not_ok "no elicitation/create within 5 s"
fi

# 4. After a second without requests the stand-by sleeps until the reader wakes it: a long
# call then still has the input taken over, and a ping behind it is answered.
sleep 1.5
send "$(slow 8 20000)"
send '{"jsonrpc":"2.0","id":9,"method":"ping"}'
if expect '*"id":9,"result"*' 3; then
    ok "after an idle second, a ping behind a 20 s call is answered while the call runs"
else
    not_ok "after an idle second, a ping behind a 20 s call was not answered within 3 s"
fi
send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":8}}'

# End of input: the server drains, exits, and its audit log says how the calls ended.
exec {SRV[1]}>&-
wait "$SRV_PID" && ok "the server exits with 0 at the end of input" ||
    not_ok "the server exited with $?" "$(cat "$work/stderr")"
for id in 1 3; do
    # Audit lines are in the order calls ended; both slow calls are cancelled ones.
    line=$(grep '"name":"test_slow"' "$work/audit.log" | sed -n "$(( id == 1 ? 1 : 2 ))p")
    ms=$(printf '%s' "$line" | sed -n 's/.*"duration_ms":\([0-9]*\).*/\1/p')
    case "$line" in
    *'"outcome":"cancelled"'*)
        if [ "${ms:-99999}" -lt 4000 ]; then
            ok "slow call $id stopped on its cancellation (after $ms ms of 20000)"
        else
            not_ok "slow call $id stopped only after $ms ms, at the end of input's drain"
        fi ;;
    *) not_ok "slow call $id: ${line:-no audit line}" ;;
    esac
done

# 5. Libraries: a stdio server maps neither libcrypto nor libmicrohttpd (a third of its cold
# start went to mapping them), and loads libcrypto when a call first needs it (base64).
coproc LIB { exec "$FIXTURE" 2>"$work/stderr"; }
to=${LIB[1]} from=${LIB[0]}
send "$INIT"
if expect '*"id":0,"result"*' 10; then
    mapped=$(grep -oE 'lib(crypto|microhttpd)[^/ ]*' "/proc/$LIB_PID/maps" | sort -u | tr '\n' ' ')
    if [ -z "$mapped" ]; then
        ok "after initialize, neither libcrypto nor libmicrohttpd is mapped"
    else
        not_ok "after initialize these are mapped: $mapped"
    fi
    send "$INITIALIZED"
    send '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"test_image_content","arguments":{}}}'
    if expect '*"id":5,"result"*"data":"iVBORw0KGgo*' 10 &&
        grep -q 'libcrypto' "/proc/$LIB_PID/maps"; then
        ok "libcrypto is loaded when a call first needs it, and encodes the image"
    else
        not_ok "the image call: ${got:-no answer}" "$(cat "$work/stderr")"
    fi
else
    not_ok "initialize was not answered (libraries)" "$(cat "$work/stderr")"
fi

# 6. Answers to pipelined requests may wait to leave together, but not behind a long call:
# a ping, a 20 s call and a notification in one write, the ping's answer within 2 s.
send "$(printf '%s\n%s\n%s' '{"jsonrpc":"2.0","id":6,"method":"ping"}' "$(slow 7 20000)" \
    '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}}')"
if expect '*"id":6,"result"*' 2; then
    ok "an answer read together with a long call leaves while the call runs"
else
    not_ok "the ping written with a 20 s call was not answered within 2 s"
fi
send '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}'
exec {LIB[1]}>&-
wait "$LIB_PID" || not_ok "the server exited with $?" "$(cat "$work/stderr")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
