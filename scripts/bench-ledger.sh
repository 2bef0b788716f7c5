#!/usr/bin/env bash
# The ledger's cost: how many request rows per second its writer sustains without dropping any, with the
# daemon's default settings (250 ms flushes, batches of 1,000, a queue of 10,000), each rate on a fresh file.
#   scripts/bench-ledger.sh [debug|release] [ledger-bench options, e.g. --seconds 10 --rates 5000,10000]
# Release builds into .build-release-bench so that it does not disturb the debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
mode="${1:-debug}"
[ $# -gt 0 ] && shift
case "$mode" in
    debug)
        swift build --product ledger-bench
        binary=.build/debug/ledger-bench
        ;;
    release)
        swift build -c release --product ledger-bench --scratch-path .build-release-bench
        binary=.build-release-bench/release/ledger-bench
        ;;
    *)
        echo "usage: $0 [debug|release] [ledger-bench options]" >&2
        exit 2
        ;;
esac
directory="$(mktemp -d /tmp/junction-ledger-bench.XXXXXX)"
trap 'rm -rf "$directory"' EXIT
"$binary" --path "$directory/ledger.sqlite" "$@"
