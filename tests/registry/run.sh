#!/usr/bin/env bash
# The registry's tests: validate (the shipped files, and one clear error for each kind of
# bad input), verify against the real servers over stdio and HTTP (and that it catches a
# manifest that disagrees with its server), the cowork profile enforced by mcp-drive, every
# export checked against its format's rules, MCPB bundles, and audit verify on a log written
# by a real server run.
#
#   tests/registry/run.sh BUILD
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
B=${1:?usage: tests/registry/run.sh BUILD-DIR}
case $B in /*) ;; *) B=$PWD/$B ;; esac
R=$B/bin/mcp-registry
DRIVE=$B/bin/mcp-drive
REG=$PWD/registry
NODE=$PWD/tests/npm/node_modules/.bin/node
[ -x "$NODE" ] || NODE=$(command -v node || true)
MCPB=${MCPB:-$PWD/tests/npm/node_modules/.bin/mcpb}

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# check DESC CMD...: the command succeeds.
check() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}
# refuses DESC TEXT CMD...: the command fails, and its one line on stderr says TEXT.
refuses() {
    local desc=$1 text=$2 out status lines
    shift 2
    out=$("$@" 2>&1 >/dev/null)
    status=$?
    lines=$(grep -c . <<<"$out")
    if [ "$status" -ne 0 ] && [ "$lines" -eq 1 ] && grep -qF -- "$text" <<<"$out"; then
        ok "$desc"
    else
        not_ok "$desc (exit $status, want one line saying: $text)" "$out"
    fi
}
# edit IN OUT JS: a copy of a JSON file changed by the JavaScript statement (m is the document).
edit() {
    "$NODE" -e 'const fs = require("fs"); const m = JSON.parse(fs.readFileSync(process.argv[1]));
        new Function("m", process.argv[3])(m);
        fs.writeFileSync(process.argv[2], JSON.stringify(m, null, 2));' "$1" "$2" "$3"
}

if [ -z "$NODE" ] || [ ! -x "$R" ]; then
    echo "not ok - need $R and Node (scripts/npm-deps.sh)"
    echo "0 passed, 1 failed"
    exit 1
fi

# --- validate: the shipped registry
check "validate passes for every shipped manifest, profile and the index" "$R" validate
check "validate passes for named files" "$R" validate "$REG/manifests/drive.json" \
    "$REG/profiles/cowork.json" "$REG/index.json"

# --- validate: one clear error for each kind of bad input
M=$REG/manifests/drive.json
P=$REG/profiles/cowork.json
edit "$M" "$T/type.json" 'm.tools[0].scope = 5'
refuses "a wrong type in a manifest" "'tools[0].scope' must be a string, not a number" \
    "$R" validate "$T/type.json"
edit "$M" "$T/dup.json" 'm.tools[1].name = m.tools[0].name'
refuses "a duplicate tool" "duplicate tool 'search_files'" "$R" validate "$T/dup.json"
edit "$M" "$T/noscope.json" 'delete m.tools[3].scope'
refuses "a tool without a scope" "tool 'read_file' names no \"scope\"" \
    "$R" validate "$T/noscope.json"
edit "$M" "$T/range.json" 'm.version = "^1.2"'
refuses "a version range in a manifest" "'version' must match the pattern" \
    "$R" validate "$T/range.json"
edit "$M" "$T/badschema.json" 'm.tools[0].inputSchema.properties.glob.pattern = "(?=x)"'
refuses "an inputSchema libmcp cannot enforce" "inputSchema cannot be enforced" \
    "$R" validate "$T/badschema.json"
edit "$P" "$T/unkscope.json" 'm.connectors.drive.scopes["drive.admin"] = "allow"'
refuses "an unknown scope in a profile" "unknown scope 'drive.admin' for connector 'drive'" \
    "$R" validate "$T/unkscope.json"
edit "$P" "$T/unktool.json" 'm.connectors.drive.tools = {shred: "allow"}'
refuses "an unknown tool in a profile" "unknown tool 'shred' for connector 'drive'" \
    "$R" validate "$T/unktool.json"
edit "$P" "$T/grant.json" 'm.connectors.drive.default = "yes"'
refuses "an unknown grant" "'connectors.drive.default' must be one of \"allow\", \"ask\", \"blocked\"" \
    "$R" validate "$T/grant.json"
edit "$P" "$T/limit.json" 'm.connectors.drive.limits.calls_per_minute = "lots"'
refuses "a wrong type in a profile" "'connectors.drive.limits.calls_per_minute' must be an integer, not a string" \
    "$R" validate "$T/limit.json"
edit "$P" "$T/conn.json" 'm.connectors.slack = {default: "allow"}'
refuses "an unknown connector in a profile" "unknown connector 'slack'" \
    "$R" validate "$T/conn.json"
refuses "a missing file" "$T/nothere.json: cannot be read: No such file or directory" \
    "$R" validate "$T/nothere.json"
printf '{"name": "x",\n' >"$T/broken.json"
refuses "a file that is not JSON" "broken.json: is not valid JSON" "$R" validate "$T/broken.json"
mkdir -p "$T/reg/manifests"
cp -r "$REG/schema" "$T/reg/"
edit "$REG/index.json" "$T/reg/index.json" 'm.connectors[0].manifest = "manifests/gone.json"'
refuses "an index naming a missing manifest" "connector 'drive': manifest" \
    "$R" validate "$T/reg/index.json"
# A profile the validator refuses is one the server refuses to start with.
if "$DRIVE" --root "$T" --profile "$T/unkscope.json" </dev/null >/dev/null 2>"$T/err"; then
    not_ok "mcp-drive started with a profile naming an unknown scope"
else
    ok "mcp-drive does not start with that profile: $(head -c 100 "$T/err")"
fi

# --- verify: the real servers agree with their manifests, over stdio and HTTP
check "verify passes for drive and the conformance fixture (stdio, HTTP, every profile)" \
    "$R" verify
# verify_fails DESC TEXT MANIFEST: verify of drive against MANIFEST fails and says TEXT.
verify_fails() {
    local out status
    out=$("$R" verify drive --manifest "$3" 2>&1)
    status=$?
    if [ "$status" -eq 1 ] && grep -qF -- "$2" <<<"$out"; then
        ok "verify fails: $1"
    else
        not_ok "verify should fail: $1 (exit $status; want: $2)" "$out"
    fi
}
edit "$M" "$T/missing.json" 'm.tools = m.tools.filter((t) => t.name !== "copy")'
verify_fails "a tool missing from the manifest" \
    "drive [stdio]: the server lists tool 'copy' that the manifest lacks" "$T/missing.json"
edit "$M" "$T/extra.json" 'm.tools.push({name: "shred", scope: "drive.delete",
    description: "Shreds.", inputSchema: {type: "object"}})'
verify_fails "a tool the server lacks" \
    "drive [http]: tool 'shred' is in the manifest but the server does not list it" "$T/extra.json"
edit "$M" "$T/schema.json" \
    'm.tools.find((t) => t.name === "read_file").inputSchema.properties.length.maximum = 65536'
verify_fails "a changed schema" \
    "tool 'read_file': inputSchema differs at /properties/length/maximum: manifest 65536, server 4194304" \
    "$T/schema.json"
edit "$M" "$T/ann.json" 'm.tools.find((t) => t.name === "delete").annotations.destructiveHint = false'
verify_fails "a wrong annotation" \
    "tool 'delete': annotations differs at /destructiveHint: manifest false, server true" \
    "$T/ann.json"
edit "$M" "$T/desc.json" 'm.tools[2].description = "Something else."'
verify_fails "a changed description" "tool 'get_file_info': description: manifest" "$T/desc.json"

# --- the cowork profile, enforced by mcp-drive itself
check "verify under cowork.json: only allowed and ask tools listed, blocked ones refused" \
    "$R" verify drive --profile "$P"
mkdir -p "$T/ws/Documents" "$T/ws/Other"
echo "inside" >"$T/ws/Documents/in.txt"
echo "outside" >"$T/ws/Other/out.txt"
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
inited='{"jsonrpc":"2.0","method":"notifications/initialized"}'
call() { printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"%s","arguments":%s}}' "$1" "$2" "$3"; }
# session ARGS...: one stdio session of mcp-drive over the workspace with the given lines.
session() {
    local args=("$@")
    { printf '%s\n%s\n' "$init" "$inited"; cat; sleep 1; } |
        timeout 30 "$DRIVE" --root "$T/ws/Documents" --root "$T/ws/Other" "${args[@]}" 2>&1
}
out=$({
    call 2 read_file '{"path":"Documents/in.txt"}'; echo
    call 3 read_file '{"path":"Other/out.txt"}'; echo
    call 4 delete '{"path":"Documents/in.txt"}'; echo
    printf '{"jsonrpc":"2.0","id":5,"method":"tools/list"}\n'
} | session --profile "$P")
line() { grep "\"id\":$1[,}]" <<<"$out"; }
# expect DESC ID PATTERN [absent]: the answer to request ID matches PATTERN (or does not).
expect() {
    local answer
    answer=$(line "$2")
    if grep -q -- "$3" <<<"$answer"; then
        [ -z "${4:-}" ] && ok "$1" || not_ok "$1" "$answer"
    else
        [ -n "${4:-}" ] && [ -n "$answer" ] && ok "$1" || not_ok "$1" "$answer"
    fi
}
expect "cowork: reading inside the granted root works" 2 '"isError":true' absent
expect "cowork: a path outside the granted roots is refused" 3 'outside what this profile allows'
expect "cowork: delete is refused when called by name" 4 '"error".*not granted'
expect "cowork: delete is not listed" 5 '"name":"delete"' absent
if [ -f "$T/ws/Documents/in.txt" ]; then
    ok "cowork: the file is still there"
else
    not_ok "cowork: the file was deleted"
fi

# --- exports, each checked against its format's rules
exports() {
    local format=$1 profile=$2
    shift 2
    local dir=$T/export-$format
    if ! out=$("$R" export "$format" "$@" --out "$dir" 2>&1); then
        not_ok "export $format $*" "$out"
        return
    fi
    if out=$("$NODE" tests/registry/check-exports.mjs "$format" "$dir" "$REG" "$profile" \
        "$T/bundles" 2>&1); then
        ok "export $format $*: $(grep -c '^ok' <<<"$out") format rules hold"
    else
        not_ok "export $format $* breaks its format's rules" "$(grep -v '^ok' <<<"$out")"
    fi
}
exports claude-code - drive mcp-conformance-fixture --set ROOT=/srv/files
exports claude-code - drive --url http://127.0.0.1:8741/mcp
exports claude-code-managed "$REG/profiles/code.json" drive mcp-conformance-fixture
exports claude-code-managed "$P" drive --profile "$P" --url http://127.0.0.1:8741/mcp
exports cowork "$P" drive --url https://drive.example.com/mcp
exports claude-desktop - drive --set ROOT=/srv/files
exports mcpb - drive
if [ -x "$MCPB" ]; then
    check "mcpb validate accepts the exported manifest.json" "$MCPB" validate "$T/export-mcpb/manifest.json"
    "$R" export mcpb mcp-conformance-fixture --out "$T/mcpb-fixture" 2>/dev/null
    check "mcpb validate accepts the fixture's manifest.json" "$MCPB" validate "$T/mcpb-fixture/manifest.json"
else
    ok "mcpb validate # skip: tests/npm/node_modules/.bin/mcpb is not installed"
fi
if command -v zip >/dev/null 2>&1; then
    check "registry/mcpb.sh packs every connector" registry/mcpb.sh "$B" "$T/bundles"
    listing=$(unzip -l "$T/bundles/drive-0.1.0.mcpb" 2>&1)
    if grep -q 'server/mcp-drive' <<<"$listing" && grep -q ' manifest.json' <<<"$listing"; then
        ok "the drive bundle holds manifest.json and server/mcp-drive"
    else
        not_ok "the drive bundle lacks manifest.json or server/mcp-drive"
    fi
    exports server-json - drive --mcpb "$T/bundles"
    rm -rf "$T/export-server-json"
    exports server-json - mcp-conformance-fixture --mcpb "$T/bundles" --url https://fx.example.com/mcp
else
    ok "registry/mcpb.sh and server-json # skip: zip is not installed (scripts/deps.sh zip)"
fi
refuses "server-json without the bundle" "server-json needs --mcpb FILE|DIR" \
    "$R" export server-json drive
cp "$M" "$T/range-manifest.json"
sed -i 's/"version": "0.1.0"/"version": "1.x"/' "$T/range-manifest.json"
refuses "server-json refuses a version range" "version '1.x' is a range" \
    "$R" export server-json drive --manifest "$T/range-manifest.json" --mcpb "$M"
edit "$REG/manifests/conformance-fixture.json" "$T/big.json" \
    'for (let i = 0; i < 60; i++) m.tools.push({...m.tools[0], name: "padding_tool_number_" + i})'
refuses "server-json keeps the publisher metadata under 4 KB" "the registry keeps at most 4096" \
    "$R" export server-json mcp-conformance-fixture --manifest "$T/big.json" --mcpb "$M"

# --- audit verify on a log written by a real server run
log=$T/audit.log
{
    call 2 list_folder '{"path":""}'; echo
    call 3 read_file '{"path":"Documents/in.txt"}'; echo
    call 4 get_file_info '{"path":"Other/out.txt"}'; echo
    call 5 search_files '{"name_contains":"t"}'; echo
    call 6 read_file '{"path":"Documents/none.txt"}'; echo
} | session --audit "$log" >/dev/null
n=$(wc -l <"$log" 2>/dev/null || echo 0)
[ "$n" -ge 5 ] && ok "the server wrote $n audit lines" || not_ok "the server wrote $n audit lines, want 5"
check "audit verify passes on the server's log" "$R" audit verify "$log"
# tampered NAME: a copy of the log to change.
tampered() { cp "$log" "$T/$1.log"; echo "$T/$1.log"; }
f=$(tampered flipped)
byte=$(head -n 1 "$log" | wc -c)
byte=$((byte + 40)) # inside line 2
orig=$(dd if="$f" bs=1 skip="$byte" count=1 2>/dev/null)
[ "$orig" = "0" ] && new=1 || new=0
printf '%s' "$new" | dd of="$f" bs=1 seek="$byte" conv=notrunc 2>/dev/null
refuses "audit verify catches a flipped byte" "line 2" "$R" audit verify "$f"
f=$(tampered deleted)
sed -i '3d' "$f"
refuses "audit verify catches a deleted line" "line 3" "$R" audit verify "$f"
f=$(tampered swapped)
awk 'NR == 2 { held = $0; next } NR == 3 { print; print held; next } { print }' "$log" >"$f"
refuses "audit verify catches a swapped pair" "line 2" "$R" audit verify "$f"
refuses "audit verify names a missing log" "cannot be read" "$R" audit verify "$T/none.log"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
