#!/usr/bin/env bash
# What the ledger costs on the request path: junctiond's CPU per request and throughput at concurrency 64 with
# the ledger on and off (alternating, ROUNDS times), against an instant junction-sim; after each "on" run, the
# ledger's written and dropped rows from daemon.status (every request must be written, none dropped).
# Usage: scripts/bench-ledger-cost.sh [BIN_DIR (.build/release)] [REQUESTS (20000)] [ROUNDS (3)]
set -euo pipefail
bin=${1:-.build/release}; requests=${2:-20000}; rounds=${3:-3}; port=38190
d=$(mktemp -d)
trap 'kill $sim 2>/dev/null; rm -rf $d' EXIT
$bin/junction-sim --port $port > $d/sim.out 2>&1 & sim=$!
sleep 0.5
for mode in on off; do
    cat > $d/$mode.toml <<TOML
[providers.sim]
kind = "openai-compatible"
base_url = "http://127.0.0.1:$port/v1"
[[providers.sim.models]]
id = "bench-model"
input_usd_per_mtok = 0.15
output_usd_per_mtok = 0.60
[ledger]
enabled = $([ $mode = on ] && echo true || echo false)
path = "$d/ledger-$mode.sqlite"
TOML
done
run() { # mode
    local mode=$1
    rm -f $d/b.sock $d/ledger-$mode.sqlite*
    $bin/junctiond --config $d/$mode.toml --socket $d/b.sock 2>/dev/null & local p=$!
    for _ in $(seq 100); do [ -S $d/b.sock ] && break; sleep 0.05; done
    sleep 0.3
    echo "== ledger $mode: --requests $requests --concurrency 64 --connections 8"
    nice -n -5 $bin/junction-bench --socket $d/b.sock --model sim:bench-model --pid $p --requests $requests \
        --concurrency 64 --connections 8 2>&1 | grep -E "requests|CPU"
    if [ $mode = on ]; then
        sleep 0.5  # one flush interval and then some
        $bin/junctionctl --socket $d/b.sock --json status | python3 -c '
import json, sys
l = json.load(sys.stdin)["ledger"]
print("   ledger: state %s, written_rows %d, dropped_rows %d, queued %d" % (l["state"], l["written_rows"], l["dropped_rows"], l["queued"]))'
    fi
    kill $p; wait $p 2>/dev/null || true
}
for _ in $(seq $rounds); do run on; run off; done
