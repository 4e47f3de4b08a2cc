#!/usr/bin/env bash
# search_files by name over a 20,000-file tree: our mcp-drive side by side with the reference
# @modelcontextprotocol/server-filesystem (the version bench/peers/package-lock.json pins), both
# over stdio, driven by the official TypeScript client (SDK v1). Prints one table: the median
# wall time of a whole search (all pages) on each, the ratio, and each server's peak RSS. The
# timed searches alternate between the servers, and the ratio is the median of the rounds'
# ratios. Issue 5 asks for ours to be at least 30x faster. See docs/performance.md.
#
#   bench/drive-search.sh BUILD        e.g. bench/drive-search.sh build/release
#
# Environment: DRIVE_BENCH_RUNS (rounds of timed searches, 9), DRIVE_BENCH_KEEP (1: keep the
# tree and print where it is), DRIVE_BENCH_ENFORCE (1: exit 2 when the ratio is under 30x).
#
# The tree, the same on every run: 4 departments x 5 years x 10 projects = 200 folders, three
# levels deep, with 100 files each = 20,000 files and 224 folders. Every 10th file has "report"
# in its name (2,000 matches); every 10th other has "Report" (capital R, which neither server's
# case-sensitive glob matches); no folder name matches.
set -euo pipefail

build=${1:?usage: bench/drive-search.sh BUILD (e.g. build/release)}
root=$(cd "$(dirname "$0")/.." && pwd)
drive=$build/bin/mcp-drive
[ -x "$drive" ] || { echo "drive-search: $drive missing: make VARIANT=release all" >&2; exit 1; }
drive=$(cd "$(dirname "$drive")" && pwd)/$(basename "$drive")

# --- Node 22 and the peers, at the versions the lock files pin.
node=$root/tests/npm/node_modules/.bin/node
peers=$root/bench/peers
"$root/scripts/npm-deps.sh"
"$root/scripts/npm-deps.sh" "$peers"
fsserver=$peers/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js
[ -f "$fsserver" ] || { echo "drive-search: $fsserver missing" >&2; exit 1; }

# --- The tree.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/drive-search.XXXXXX")
if [ "${DRIVE_BENCH_KEEP:-0}" = 1 ]; then
    echo "drive-search: tree kept in $tmp/drive-tree" >&2
else
    trap 'rm -rf "$tmp"' EXIT
fi
tree=$tmp/drive-tree
echo "drive-search: creating 20,000 files in $tree" >&2
kinds=(txt md pdf docx csv)
for dept in finance legal sales research; do
    for year in 2021 2022 2023 2024 2025; do
        for proj in $(seq -w 1 10); do
            dir=$tree/$dept/$year/project-$proj
            mkdir -p "$dir"
            (
                cd "$dir"
                for i in $(seq -w 0 99); do
                    k=${kinds[$((10#$i % 5))]}
                    case $((10#$i % 10)) in
                    3) name=q$((10#$i % 4 + 1))-report-$dept-$i.$k ;;
                    7) name=Report-draft-$i.$k ;;
                    *) name=notes-$proj-$i.$k ;;
                    esac
                    printf '%s %s %s %s\n' "$dept" "$year" "$proj" "$i" >"$name"
                done
            )
        done
    done
done
[ "$(find "$tree" -type f | wc -l)" = 20000 ] || { echo "drive-search: tree has the wrong size" >&2; exit 1; }

"$node" "$root/bench/drive-search.mjs" --tree "$tree" --drive "$drive" \
    --peer "$fsserver" --runs "${DRIVE_BENCH_RUNS:-9}" \
    --peer-version "$("$node" -p "require('$peers/node_modules/@modelcontextprotocol/server-filesystem/package.json').version")"
