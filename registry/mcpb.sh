#!/usr/bin/env bash
# Packs each connector of the registry into an MCP Bundle, OUTDIR/<name>-<version>.mcpb: a zip
# holding manifest.json (from mcp-registry export mcpb) and the server binary under server/.
#
#   registry/mcpb.sh BUILD OUTDIR        e.g. registry/mcpb.sh build/release build/mcpb
#
# MCPB_PROFILE=FILE bundles that profile as profile.json and starts the server with it, so
# the bundle carries its own limits (see docs/registry.md).
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: registry/mcpb.sh BUILD-DIR OUTDIR"
B=${1:?$usage}
OUT=${2:?$usage}
REG=$B/bin/mcp-registry
[ -x "$REG" ] || { echo "mcpb.sh: $REG is missing; run make first" >&2; exit 1; }
command -v zip >/dev/null 2>&1 || scripts/deps.sh zip

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

profile_args=()
[ -n "${MCPB_PROFILE:-}" ] && profile_args=(--profile "$MCPB_PROFILE")

# list prints: NAME VERSION BINARY N tools TITLE
"$REG" list | while read -r name version binary _; do
    dir=$stage/$name
    mkdir -p "$dir/server"
    install -m 755 "$B/bin/$binary" "$dir/server/$binary"
    files=(manifest.json server)
    if [ -n "${MCPB_PROFILE:-}" ]; then
        cp "$MCPB_PROFILE" "$dir/profile.json"
        files+=(profile.json)
    fi
    "$REG" export mcpb "$name" --out "$dir" "${profile_args[@]}" 2>/dev/null
    bundle=$OUT/$name-$version.mcpb
    rm -f "$bundle"
    (cd "$dir" && zip -q -r -X "$bundle" "${files[@]}")
    echo "$bundle"
done
