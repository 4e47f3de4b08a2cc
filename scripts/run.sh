#!/usr/bin/env bash
# The main job (make run): serve a sample workspace with mcp-drive over Streamable HTTP on
# 127.0.0.1 and print what a host needs to connect, for both kinds of host.
#
#   scripts/run.sh BUILD        e.g. build/release (make run builds it first)
#
# MCP_WORKSPACE (default build/sample-workspace) and MCP_PORT (default 8741) override the
# folder and the port. Ctrl-C stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:?usage: scripts/run.sh BUILD-DIR}
WORKSPACE=${MCP_WORKSPACE:-$PWD/build/sample-workspace}
PORT=${MCP_PORT:-8741}
URL=http://127.0.0.1:$PORT/mcp

# A small workspace to try the tools on; existing files are kept as they are.
sample() {
    local rel=$1
    [ -e "$WORKSPACE/$rel" ] && return
    mkdir -p "$(dirname "$WORKSPACE/$rel")"
    cat >"$WORKSPACE/$rel"
}
mkdir -p "$WORKSPACE"
sample README.md <<'TXT'
# Sample workspace

Served by mcp-drive. Ask your agent to list this folder, search for "budget", read the
meeting notes, or draft a summary into notes/summary.md. Deleted files go to a trash that
`restore` brings back.
TXT
sample notes/2026-11-20-planning.md <<'TXT'
# Planning meeting, 20 November

- Ship the drive connector first; mail and calendar follow.
- Budget review moves to December.
- Action: Ana writes the rollout plan (projects/rollout/plan.txt).
TXT
sample projects/rollout/plan.txt <<'TXT'
Rollout plan
1. Pilot with the design team (week 1).
2. Everyone in the company (week 3).
Risks: the budget, and the WebDAV server's quotas.
TXT
sample reports/budget-2026.csv <<'TXT'
quarter,planned,spent
Q1,12000,11800
Q2,15000,16250
Q3,15000,14100
TXT

if [ ! -x "$B/bin/mcp-drive" ]; then
    echo "run.sh: $B/bin/mcp-drive is missing; run 'make run' (it builds first)" >&2
    exit 1
fi

cat <<TXT

mcp-drive serves $WORKSPACE
  URL: $URL   (Streamable HTTP, 127.0.0.1 only; Ctrl-C stops it)

TXT
if [ -x "$B/bin/mcp-registry" ] && [ -x registry/print-host-config.sh ]; then
    registry/print-host-config.sh "$B" "$URL" "$WORKSPACE"
else
    cat <<TXT
Claude Code (.mcp.json in your project, or: claude mcp add --transport http drive $URL):
{"mcpServers": {"drive": {"type": "http", "url": "$URL"}}}
TXT
fi
echo
exec "$B/bin/mcp-drive" --root "$WORKSPACE" --http "127.0.0.1:$PORT"
