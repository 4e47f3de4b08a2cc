#!/usr/bin/env bash
# The drive connector's tests: the same cases (drive.mjs, through the TypeScript client) on
# the local backend over stdio and HTTP, and on the WebDAV backend against a real Apache
# mod_dav that apache.sh starts on 127.0.0.1; then the libraries a local drive maps, a
# library that cannot be used, crash safety of writes, read-only mode, profiles, a WebDAV
# server that fails or hangs, and the generic conformance scenarios.
#
#   tests/drive/run.sh BUILD
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
B=${1:?usage: tests/drive/run.sh BUILD-DIR}
. tests/lib/http-server.sh
DRIVE=$PWD/$B/bin/mcp-drive
NODE=$PWD/tests/npm/node_modules/.bin/node
[ -x "$NODE" ] || { echo "not ok - Node 22 missing: run scripts/npm-deps.sh"; echo "0 passed, 1 failed"; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
apache_up=
cleanup() {
    stop_http_server
    [ -n "$apache_up" ] && tests/drive/apache.sh stop "$work/apache" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

# Runs a Node test script (drive.mjs unless SCRIPT= says otherwise) and adds its counts.
cases() {
    local name=$1
    shift
    local out=$work/cases.out
    "$NODE" "${SCRIPT:-tests/drive/drive.mjs}" "$@" >"$out" 2>&1
    sed "s/^/  [$name] /" "$out" | grep -v '^  \[[^]]*\] ok - '
    if ! add_counts "$out"; then
        not_ok "$name: the case runner ended without a summary"
        return
    fi
    echo "$name: $summary"
}

# --- local backend, stdio and HTTP
mkdir -p "$work/local/Files"
cases "local stdio" --data "$work/local/Files" --root-name Files --local \
    --server "$DRIVE --root $work/local/Files"
rm -rf "$work/local/Files" && mkdir -p "$work/local/Files"
if start_http_server "$work/drive-http.log" "$DRIVE" --root "$work/local/Files"; then
    cases "local http" --data "$work/local/Files" --root-name Files --local \
        --transport http --url "http://127.0.0.1:$PORT/mcp"
    stop_http_server || not_ok "mcp-drive over HTTP exited uncleanly: $(tail -n 5 "$work/drive-http.log")"
else
    not_ok "mcp-drive did not start over HTTP"
fi

# --- one call over stdio: drive_call "ARGS" '{"name":...,"arguments":...}' prints the answer
INIT='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"run.sh","version":"1"}}}'
drive_call() {
    local args=$1 params=$2
    printf '%s\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n%s\n' "$INIT" \
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$3\",\"params\":$params}" |
        $DRIVE $args 2>&1 | grep '"id":1'
}
expect() { # expect NAME OUTPUT PATTERN
    case "$2" in
    *$3*) ok "$1" ;;
    *) not_ok "$1: ${2:0:300}" ;;
    esac
}

# --- libraries: a drive of local folders starts without libcurl, libxml2 and libcrypto (they
# were two thirds of its cold start), and loads libxml2 when it first reads a document's XML.
mkdir -p "$work/libs/Files/docs"
"$NODE" tests/drive/documents.mjs docx "$work/libs/Files/docs/letter.docx" \
    'Dear team,' 'the rollout starts Monday.'
coproc LIBS { exec "$DRIVE" --root "$work/libs/Files" 2>"$work/libs.err"; }
libs_to=${LIBS[1]} libs_from=${LIBS[0]} libs_pid=$LIBS_PID
libs_mapped() { grep -oE 'lib(curl|xml2|crypto)[^/ ]*' "/proc/$libs_pid/maps" | sort -u | tr '\n' ' '; }
printf '%s\n' "$INIT" >&"$libs_to"
if IFS= read -r -t 10 line <&"$libs_from" && [[ $line == *'"id":0,"result"'* ]]; then
    mapped=$(libs_mapped)
    if [ -z "$mapped" ]; then
        ok "after initialize, a --root drive maps none of libcurl, libxml2, libcrypto"
    else
        not_ok "after initialize, a --root drive maps $mapped"
    fi
    printf '%s\n%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"Files/docs/letter.docx"}}}' >&"$libs_to"
    IFS= read -r -t 30 line <&"$libs_from"
    mapped=$(libs_mapped)
    case "$line|$mapped" in
    *'Dear team,\nthe rollout starts Monday.'*'|'*libxml2*)
        ok "the first document read loads libxml2 and extracts the text ($mapped)" ;;
    *) not_ok "the docx read with libxml2 loaded on first use: ${line:0:300} (mapped: $mapped)" ;;
    esac
    case "$mapped" in
    *libcurl*) not_ok "extracting a document mapped libcurl: $mapped" ;;
    *) ok "a local drive never maps libcurl" ;;
    esac
else
    not_ok "initialize was not answered (libraries)" "$(cat "$work/libs.err")"
fi
exec {libs_to}>&-
wait "$libs_pid" || not_ok "the --root drive exited with $?" "$(cat "$work/libs.err")"

# A library that is there but is not the one mcp-drive was built for (here: empty libraries
# of the same names, found first through LD_LIBRARY_PATH) is a clean error, not a crash: a
# WebDAV drive is refused at start, and a local drive fails only the document read.
mkdir -p "$work/stubs"
for soname in libcurl.so.4 libxml2.so.2; do
    cc -shared -fPIC -Wl,-soname,$soname -o "$work/stubs/$soname" -x c /dev/null ||
        not_ok "could not build a stub $soname"
done
LD_LIBRARY_PATH=$work/stubs "$DRIVE" --webdav-url http://127.0.0.1:1/ </dev/null \
    >"$work/stub.out" 2>"$work/stub.err"
rc=$?
if [ "$rc" -ne 0 ] && grep -q 'libcurl.so.4 lacks' "$work/stub.err"; then
    ok "without a usable libcurl, --webdav-url is refused at start (exit $rc)"
else
    not_ok "--webdav-url with a stub libcurl: exit $rc, $(head -c 300 "$work/stub.err")"
fi
echo plain >"$work/libs/Files/docs/plain.txt"
out=$(printf '%s\n%s\n%s\n%s\n' "$INIT" '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"Files/docs/letter.docx"}}}' \
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"Files/docs/plain.txt"}}}' |
    LD_LIBRARY_PATH=$work/stubs "$DRIVE" --root "$work/libs/Files" 2>&1)
case "$out" in
*'"id":1,"result"'*'libxml2.so.2 lacks'*'"isError":true'*) ok "without a usable libxml2, a document read fails with the reason" ;;
*) not_ok "a docx read with a stub libxml2: ${out:0:400}" ;;
esac
case "$out" in
*'"id":2,"result"'*'"text":"plain\n"'*) ok "... and the next plain read in the same session works" ;;
*) not_ok "a plain read after the failed document read: ${out:0:400}" ;;
esac

F=$work/profiled/Files # fresh: the case runs above wrote into local/
mkdir -p "$F/docs" "$F/private"
echo original >"$F/docs/keep.txt"
echo secret >"$F/private/secret.txt"

out=$(drive_call "--root $F --read-only" '{"name":"write_file","arguments":{"path":"Files/docs/keep.txt","content":"x","overwrite":true}}' tools/call)
expect "--read-only refuses writes" "$out" 'read-only'
[ "$(cat "$F/docs/keep.txt")" = original ] && ok "--read-only left the file alone" || not_ok "--read-only changed the file"

# A profile: read allowed, writes need consent, delete blocked, only Files/docs reachable.
cat >"$work/profile.json" <<JSON
{"name":"test","connectors":{"drive":{"default":"blocked",
  "scopes":{"drive.read":"allow","drive.write":"ask"},"tools":{"delete":"blocked"},
  "data":{"roots":["$F/docs"],"read_only":false}}}}
JSON
out=$(drive_call "--root $F --profile $work/profile.json" '{}' tools/list)
case "$out" in
*'"name":"delete"'*) not_ok "a blocked tool is listed: ${out:0:200}" ;;
*'"name":"read_file"'*) ok "under the profile, blocked tools are not listed" ;;
*) not_ok "tools/list under the profile: ${out:0:300}" ;;
esac
expect "write tools that need consent carry requiresUserInteraction" "$out" 'requiresUserInteraction'
out=$(drive_call "--root $F --profile $work/profile.json" '{"name":"delete","arguments":{"path":"Files/docs/keep.txt"}}' tools/call)
expect "a blocked tool is refused when called" "$out" 'not granted'
out=$(drive_call "--root $F --profile $work/profile.json" '{"name":"read_file","arguments":{"path":"Files/private/secret.txt"}}' tools/call)
expect "the profile's roots confine reads" "$out" 'outside what this profile allows'
out=$(drive_call "--root $F --profile $work/profile.json" '{"name":"read_file","arguments":{"path":"Files/docs/keep.txt"}}' tools/call)
expect "inside the profile's roots, reads work" "$out" 'original'
out=$(drive_call "--root $F --profile $work/profile.json" '{"name":"write_file","arguments":{"path":"Files/docs/new.txt","content":"x"}}' tools/call)
expect "an ask tool without a client that can ask is refused, nothing written" "$out" '"isError":true'
[ ! -e "$F/docs/new.txt" ] || not_ok "the ask tool wrote without consent"

# The shipped cowork profile through the official clients: consent by elicitation (legacy)
# and by input_required (2026-07-28), accepted and declined.
mkdir -p "$work/consent/Documents"
SCRIPT=tests/drive/consent.mjs cases "consent under cowork.json" \
    --drive "$DRIVE" --data "$work/consent/Documents"

# --- crash safety: kill the server at random points of an 8 MB replace; the file must be
# the old content or the new, never a mix.
head -c 4000000 /dev/zero | tr '\0' o >"$F/docs/victim.txt"
old_sum=$(sha256sum <"$F/docs/victim.txt")
new_content=$(head -c 8000000 /dev/zero | tr '\0' n)
new_sum=$(printf '%s' "$new_content" | sha256sum)
mixed=0
for delay in 0.01 0.03 0.06 0.1 0.2 0.4; do
    rm -f "$work/in"
    mkfifo "$work/in"
    $DRIVE --root "$F" <"$work/in" >/dev/null 2>&1 &
    pid=$!
    exec 3>"$work/in"
    printf '%s\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n' "$INIT" >&3
    # A subshell in the background would run the EXIT trap (and remove $work) as it ends.
    (
        trap - EXIT
        printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_file","arguments":{"path":"Files/docs/victim.txt","overwrite":true,"content":"%s"}}}\n' "$new_content" >&3
    ) &
    writer=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    kill "$writer" 2>/dev/null
    wait "$writer" 2>/dev/null
    exec 3>&-
    sum=$(sha256sum <"$F/docs/victim.txt")
    [ "$sum" = "$old_sum" ] || [ "$sum" = "$new_sum" ] || mixed=$((mixed + 1))
done
[ "$mixed" -eq 0 ] && ok "a write killed mid-way leaves the old file or the new, never a mix" \
    || not_ok "$mixed killed writes left a mixed file"

# --- the generic conformance scenarios, against mcp-drive over HTTP
deep=$F/deep
for i in $(seq 1 63); do deep=$deep/d$i; done
mkdir -p "$deep" && echo found >"$deep/needle.txt"
if start_http_server "$work/drive-conf.log" "$DRIVE" --root "$F"; then
    # A 2026-07-28 call runs on the connection's own thread: a search 64 folders deep needs
    # the stack a pool worker has.
    meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'
    out=$(curl -s --max-time 30 -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2026-07-28' \
        -H 'Mcp-Method: tools/call' -H 'Mcp-Name: search_files' \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"search_files\",\"arguments\":{\"glob\":\"needle*\"},$meta}}" \
        "http://127.0.0.1:$PORT/mcp")
    expect "a 2026-07-28 search 64 folders deep over HTTP" "$out" 'd63/needle.txt'
    NM=tests/npm/node_modules
    for sc in server-initialize ping tools-list resources-list logging-set-level \
        server-sse-multiple-streams dns-rebinding-protection; do
        if timeout 120 "$NODE" "$NM/conformance-0116/dist/index.js" server --scenario "$sc" \
            --url "http://127.0.0.1:$PORT/mcp" >"$work/conf.out" 2>&1; then
            ok "conformance $sc against mcp-drive"
        else
            not_ok "conformance $sc against mcp-drive: $(grep -E 'FAIL|✗|Error' "$work/conf.out" | head -n 3)"
        fi
    done
    stop_http_server || not_ok "mcp-drive over HTTP exited uncleanly"
else
    not_ok "mcp-drive did not start over HTTP for the conformance scenarios"
fi

# --- WebDAV backend against Apache mod_dav
if env_out=$(tests/drive/apache.sh start "$work/apache" 2>"$work/apache.err"); then
    apache_up=1
    eval "$(echo "$env_out" | grep -E "^(DAV_URL|BROKEN_URL|FAILING_URL|STALLING_URL)=")"
    cases "webdav stdio" --data "$work/apache/data" --root-name dav \
        --server "$DRIVE --webdav-url $DAV_URL --webdav-timeout-ms 5000"
    # A server that answers 500, and one that never answers: clear errors, within the timeout.
    out=$("$DRIVE" --webdav-url "$BROKEN_URL" </dev/null 2>&1)
    case "$out" in
    *500*) ok "a WebDAV server answering 500 is refused at start with its status: ${out:0:120}" ;;
    *) not_ok "a WebDAV server answering 500: got '$out'" ;;
    esac
    # Opened fine, then failing or stalling on every operation: clear tool errors, in time.
    out=$(drive_call "--webdav-url $FAILING_URL" '{"name":"write_file","arguments":{"path":"failing/x.txt","content":"x"}}' tools/call)
    expect "a WebDAV server answering 500 gives a tool error naming it" "$out" '500 Internal Server Error'
    start=$(date +%s)
    out=$(timeout 60 bash -c "$(declare -f drive_call); INIT='$INIT' DRIVE='$DRIVE'; drive_call '--webdav-url $STALLING_URL --webdav-timeout-ms 1500' '{\"name\":\"read_file\",\"arguments\":{\"path\":\"stalling/x.txt\"}}' tools/call")
    took=$(($(date +%s) - start))
    expect "a hanging WebDAV server gives a tool error within its timeout (${took}s)" "$out" '"isError":true'
    [ "$took" -lt 20 ] || not_ok "a hanging WebDAV server took ${took}s"
    if hang_out=$(tests/drive/apache.sh hang-url "$work/apache" 2>&1); then
        HANG_URL=$(echo "$hang_out" | sed -n 's/^HANG_URL=//p')
        start=$(date +%s)
        out=$(timeout 30 "$DRIVE" --webdav-url "$HANG_URL" --webdav-timeout-ms 1500 </dev/null 2>&1)
        took=$(($(date +%s) - start))
        expect "a server that never answers is refused at start within its timeout (${took}s)" \
            "$out" 'WebDAV'
    else
        not_ok "could not start the hanging listener: $hang_out"
    fi
else
    not_ok "Apache mod_dav did not start: $(tail -n 5 "$work/apache.err")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
