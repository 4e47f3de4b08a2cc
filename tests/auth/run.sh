#!/usr/bin/env bash
# Authentication over Streamable HTTP, end to end: the conformance fixture served with a token
# digest file and a JWKS (RS256 + ES256 keys made here, thrown away after), probed with curl.
# Needs only bash, curl, coreutils and the openssl CLI (no python), as on a fresh Debian 12.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
B=${1:?usage: tests/auth/run.sh BUILD-DIR}
FIXTURE=$B/bin/mcp-conformance-fixture

. tests/lib/http-server.sh

work=$(mktemp -d)
trap 'stop_http_server; rm -rf "$work"' EXIT

expect() { # expect NAME CONDITION-COMMAND...
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# --- Keys, JWKS and tokens.

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
b64url_str() { printf '%s' "$1" | b64url; }
hex_to_bin() { # even-length hex on stdin -> bytes on stdout
    local hex
    hex=$(tr -d ' \n:')
    printf "$(printf '%s' "$hex" | sed 's/../\\x&/g')"
}

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ec.pem" 2>/dev/null
if [ ! -s "$work/rsa.pem" ] || [ ! -s "$work/ec.pem" ]; then
    echo "not ok - openssl could not make the test keys"
    echo "0 passed, 1 failed"
    exit 1
fi
# The public parts from the SubjectPublicKeyInfo DER: for RSA-2048 with e=65537 it ends with
# the 256 modulus bytes then 02 03 01 00 01; for P-256 with the point 04||X||Y.
openssl pkey -in "$work/rsa.pem" -pubout -outform DER -out "$work/rsa.der" 2>/dev/null
openssl pkey -in "$work/ec.pem" -pubout -outform DER -out "$work/ec.der" 2>/dev/null
N=$(tail -c 261 "$work/rsa.der" | head -c 256 | b64url)
X=$(tail -c 64 "$work/ec.der" | head -c 32 | b64url)
Y=$(tail -c 32 "$work/ec.der" | b64url)
cat >"$work/jwks.json" <<EOF
{"keys":[
 {"kty":"RSA","use":"sig","alg":"RS256","kid":"rsa-1","n":"$N","e":"AQAB"},
 {"kty":"EC","crv":"P-256","kid":"ec-1","x":"$X","y":"$Y"}
]}
EOF

ISSUER=https://auth.example.test

# jwt ALG KID CLAIMS-JSON: a signed JWT (ES256 signatures converted from DER to r||s).
jwt() {
    local alg=$1 kid=$2 claims=$3 input sig
    input="$(b64url_str "{\"alg\":\"$alg\",\"typ\":\"at+jwt\",\"kid\":\"$kid\"}").$(b64url_str "$claims")"
    printf '%s' "$input" >"$work/input"
    case $alg in
    RS256)
        sig=$(openssl dgst -sha256 -sign "$work/rsa.pem" "$work/input" | b64url)
        ;;
    ES256)
        openssl dgst -sha256 -sign "$work/ec.pem" -out "$work/sig.der" "$work/input"
        sig=$(openssl asn1parse -inform DER -in "$work/sig.der" |
            sed -n 's/.*INTEGER *://p' |
            while read -r int; do
                while [ ${#int} -gt 64 ]; do int=${int#??}; done # a leading 00
                while [ ${#int} -lt 64 ]; do int=0$int; done
                printf '%s' "$int"
            done | hex_to_bin | b64url)
        ;;
    *)
        sig=
        ;;
    esac
    printf '%s.%s' "$input" "$sig"
}

# Opaque tokens: only their digests go in the file.
GOOD=opaque-$(openssl rand -hex 16)
NARROW=opaque-$(openssl rand -hex 16)
digest() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
{
    echo "# test tokens"
    echo "$(digest "$GOOD")  alice mcp"
    echo "$(digest "$NARROW")  bob other"
} >"$work/tokens"

# --- The server, on a free port (the resource URL names the port, so pick it here).

LOG=$work/server.log
if ! start_http_server "$LOG" "$FIXTURE" --auth-tokens "$work/tokens" \
    --auth-jwks "$work/jwks.json" --auth-issuer "$ISSUER" \
    --auth-resource "http://127.0.0.1:@PORT@/mcp" --auth-scope mcp; then
    echo "not ok - fixture did not start with auth on"
    tail -n 20 "$LOG"
    echo "0 passed, 1 failed"
    exit 1
fi
RESOURCE=http://127.0.0.1:$PORT/mcp
URL=$RESOURCE
META_URL=http://127.0.0.1:$PORT/.well-known/oauth-protected-resource/mcp

# req NAME [curl args...]: POSTs to the endpoint; body in $work/NAME.body, headers in
# $work/NAME.head, status printed.
req() {
    local name=$1
    shift
    curl -s -o "$work/$name.body" -D "$work/$name.head" -w '%{http_code}' --max-time 20 \
        -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
        "$@" "$URL"
}
has() { grep -qiF -- "$2" "$work/$1"; }

MODERN=(-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list')
LIST='{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'

# Metadata (RFC 9728), at the path-suffixed and the bare well-known URL.
status=$(curl -s -o "$work/meta.body" -w '%{http_code}' "$META_URL")
expect "metadata document served at $META_URL" [ "$status" = 200 ]
expect "metadata names the resource" has meta.body "\"resource\":\"$RESOURCE\""
expect "metadata names the authorization server" \
    has meta.body "\"authorization_servers\":[\"$ISSUER\"]"
expect "metadata lists scopes_supported" has meta.body '"scopes_supported":["mcp"]'
expect "metadata says bearer tokens go in the header" \
    has meta.body '"bearer_methods_supported":["header"]'
status=$(curl -s -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$PORT/.well-known/oauth-protected-resource")
expect "metadata also at the bare well-known path" [ "$status" = 200 ]

# No token.
status=$(req none -d "$LIST" "${MODERN[@]}")
expect "no token: 401" [ "$status" = 401 ]
expect "no token: WWW-Authenticate links the metadata" \
    has none.head "WWW-Authenticate: Bearer resource_metadata=\"$META_URL\""
expect "no token: challenge names the scope" has none.head 'scope="mcp"'
expect "no token: no error code (RFC 6750 3.1)" bash -c "! grep -qi 'error=' '$work/none.head'"
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: text/event-stream' \
    -H 'Mcp-Session-Id: x' "$URL")
expect "no token on GET: 401" [ "$status" = 401 ]

# Bad tokens.
status=$(req bad -d "$LIST" "${MODERN[@]}" -H 'Authorization: Bearer not-a-token')
expect "unknown token: 401" [ "$status" = 401 ]
expect "unknown token: error=\"invalid_token\"" has bad.head 'error="invalid_token"'
expect "unknown token: still links the metadata" has bad.head "resource_metadata=\"$META_URL\""
NOW=$(date +%s)
EXPIRED=$(jwt RS256 rsa-1 "{\"iss\":\"$ISSUER\",\"aud\":\"$RESOURCE\",\"sub\":\"u\",\"exp\":$((NOW - 600)),\"scope\":\"mcp\"}")
status=$(req expired -d "$LIST" "${MODERN[@]}" -H "Authorization: Bearer $EXPIRED")
expect "expired JWT: 401 invalid_token" has expired.head 'error="invalid_token"'
expect "expired JWT: says it expired" has expired.head 'The access token expired'
FOREIGN=$(jwt RS256 rsa-1 "{\"iss\":\"$ISSUER\",\"aud\":\"https://other.test/mcp\",\"sub\":\"u\",\"exp\":$((NOW + 600)),\"scope\":\"mcp\"}")
status=$(req foreign -d "$LIST" "${MODERN[@]}" -H "Authorization: Bearer $FOREIGN")
expect "JWT for another audience: 401" [ "$status" = 401 ]
EVIL=$(jwt RS256 rsa-1 "{\"iss\":\"https://evil.test\",\"aud\":\"$RESOURCE\",\"sub\":\"u\",\"exp\":$((NOW + 600)),\"scope\":\"mcp\"}")
status=$(req evil -d "$LIST" "${MODERN[@]}" -H "Authorization: Bearer $EVIL")
expect "JWT from another issuer: 401" [ "$status" = 401 ]
NONE=$(jwt none rsa-1 "{\"iss\":\"$ISSUER\",\"aud\":\"$RESOURCE\",\"sub\":\"u\",\"exp\":$((NOW + 600)),\"scope\":\"mcp\"}")
status=$(req algnone -d "$LIST" "${MODERN[@]}" -H "Authorization: Bearer $NONE")
expect "JWT with alg none: 401" [ "$status" = 401 ]
RS=$(jwt RS256 rsa-1 "{\"iss\":\"$ISSUER\",\"aud\":\"$RESOURCE\",\"sub\":\"u\",\"exp\":$((NOW + 600)),\"scope\":\"mcp\"}")
status=$(req tampered -d "$LIST" "${MODERN[@]}" -H "Authorization: Bearer ${RS%?????}AAAAA")
expect "JWT with a tampered signature: 401" [ "$status" = 401 ]

# Good tokens: an opaque one through a legacy session, JWTs through 2026-07-28 requests.
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"auth-test","version":"1"}}}'
status=$(req init -d "$INIT" -H "Authorization: Bearer $GOOD")
expect "opaque token: initialize 200" [ "$status" = 200 ]
SID=$(sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: *\([^[:space:]]*\).*/\1/p' "$work/init.head")
status=$(req list -d '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' \
    -H "Authorization: Bearer $GOOD" -H "Mcp-Session-Id: $SID" \
    -H 'MCP-Protocol-Version: 2025-06-18')
expect "opaque token: tools/list 200" [ "$status" = 200 ]
expect "opaque token: tools/list lists tools" has list.body '"tools":[{'
status=$(req hijack -d '{"jsonrpc":"2.0","id":3,"method":"tools/list"}' \
    -H "Authorization: Bearer $RS" -H "Mcp-Session-Id: $SID" \
    -H 'MCP-Protocol-Version: 2025-06-18')
expect "another principal's token cannot use the session: 404" [ "$status" = 404 ]
status=$(req rs -d "$LIST" "${MODERN[@]}" -H "Authorization: Bearer $RS")
expect "RS256 JWT: tools/list 200" [ "$status" = 200 ]
expect "RS256 JWT: tools/list lists tools" has rs.body '"tools":[{'
ES=$(jwt ES256 ec-1 "{\"iss\":\"$ISSUER\",\"aud\":[\"$RESOURCE\"],\"sub\":\"u\",\"exp\":$((NOW + 600)),\"scp\":[\"mcp\"]}")
status=$(req es -d "$LIST" "${MODERN[@]}" -H "Authorization: Bearer $ES")
expect "ES256 JWT: tools/list 200" [ "$status" = 200 ]
expect "ES256 JWT: tools/list lists tools" has es.body '"tools":[{'

# Valid tokens without the required scope.
status=$(req narrow -d "$LIST" "${MODERN[@]}" -H "Authorization: Bearer $NARROW")
expect "opaque token lacking the scope: 403" [ "$status" = 403 ]
expect "lacking the scope: error=\"insufficient_scope\"" \
    has narrow.head 'WWW-Authenticate: Bearer error="insufficient_scope"'
expect "lacking the scope: names the scope" has narrow.head 'scope="mcp"'
UNSCOPED=$(jwt ES256 ec-1 "{\"iss\":\"$ISSUER\",\"aud\":\"$RESOURCE\",\"sub\":\"u\",\"exp\":$((NOW + 600)),\"scope\":\"openid\"}")
status=$(req unscoped -d "$LIST" "${MODERN[@]}" -H "Authorization: Bearer $UNSCOPED")
expect "JWT lacking the scope: 403" [ "$status" = 403 ]

# Tokens never reach the log.
leaked=
for t in "$GOOD" "$NARROW" "$RS" "$ES" "$EXPIRED"; do
    grep -qF -- "$t" "$LOG" && leaked=1
done
expect "no token appears in the server's log" [ -z "$leaked" ]

if stop_http_server; then
    ok "fixture exits cleanly"
else
    not_ok "fixture exits cleanly"
    tail -n 30 "$LOG"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
