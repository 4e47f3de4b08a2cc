#!/usr/bin/env bash
# The README's test command: on a fresh Debian 12 machine (root, or a user with sudo),
# installs everything the tests need and runs every test under ASan+UBSan and under TSan,
# and the interop suite under valgrind (make check).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v make >/dev/null 2>&1; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq make
fi
exec make check
