#!/usr/bin/env bash
# Prints the host configuration for both kinds of host for the drive server running at URL,
# from the registry: Claude Code (consent-restricted: everything, the person approves what
# deletes or replaces data) and Cowork (capability-restricted: reads without prompting, no
# deleting). make run calls it through scripts/run.sh.
#
#   registry/print-host-config.sh BUILD URL [ROOT]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:?usage: registry/print-host-config.sh BUILD URL [ROOT]}
URL=${2:?usage: registry/print-host-config.sh BUILD URL [ROOT]}
ROOT=${3:-}
REG=$B/bin/mcp-registry

cat <<TXT
== Claude Code (consent-restricted, profile registry/profiles/code.json)
Add it to a project (.mcp.json), or run: claude mcp add --transport http drive $URL
TXT
"$REG" export claude-code drive --url "$URL"
cat <<TXT

Or, as an administrator, pin it for everyone (managed-mcp.json and managed-settings.json in
/etc/claude-code/): only this server, and the profile's allow/ask/deny for each tool.
TXT
"$REG" export claude-code-managed drive --url "$URL"
cat <<TXT

To have the server itself enforce the same grants, start it with
  $B/bin/mcp-drive --root ${ROOT:-DIR} --profile registry/profiles/code.json --http HOST:PORT

== Cowork (capability-restricted, profile registry/profiles/cowork.json)
The managedMcpServers value for the Claude desktop app's managed configuration:
TXT
"$REG" export cowork drive --url "$URL" 2>&1
cat <<TXT

Start the server with --profile registry/profiles/cowork.json for Cowork, so blocked tools are
neither listed nor callable and writes wait for the person's consent.
TXT
