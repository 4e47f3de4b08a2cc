#!/usr/bin/env bash
# Installs the Debian packages that building and testing need. Idempotent: when every package
# is already installed it does not touch apt at all. Runs as root, or through sudo.
set -euo pipefail

packages=(
    build-essential pkg-config git ca-certificates curl
    libcjson-dev libmicrohttpd-dev libcurl4-openssl-dev libical-dev libssl-dev libxml2-dev
    clang-format valgrind poppler-utils unzip
)
# npm fetches the pinned Node 22 runtime and test peers (scripts/npm-deps.sh). A machine that
# already has npm (e.g. from NodeSource, whose nodejs conflicts with Debian's npm) keeps it.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
# Extra packages a caller asks for, e.g. the servers the backend tests start.
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
