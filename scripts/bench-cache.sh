#!/usr/bin/env bash
# The response cache's figures against an instant junction-sim (release build in BIN, default .build/release):
#  1. overhead: a miss workload (temperature 0, a unique prompt per request) at concurrency 64, cache on vs off;
#  2. a hit at concurrency 1, end to end over the socket;
#  3. memory: unique requests through a cache of MAX_BYTES (default 16 MiB), RSS growth vs the cache off.
# Usage: scripts/bench-cache.sh [BIN]
bin=${1:-.build/release}; port=38091; max=${MAX_BYTES:-16777216}
d=$(mktemp -d)
$bin/junction-sim --port $port > $d/sim.out 2>&1 & sim=$!
sleep 0.5
provider() { printf '[providers.sim]\nkind = "openai-compatible"\nbase_url = "http://127.0.0.1:%s/v1"\n[[providers.sim.models]]\nid = "bench-model"\n[ledger]\nenabled = false\n' $port; }
{ provider; printf '[cache]\nenabled = true\nmax_bytes = %s\n' $max; } > $d/on.toml
{ provider; printf '[cache]\nenabled = false\n'; } > $d/off.toml
start() { # config
    rm -f $d/b.sock; $bin/junctiond --config $1 --socket $d/b.sock 2>/dev/null & pid=$!
    for i in $(seq 100); do [ -S $d/b.sock ] && break; sleep 0.05; done
    sleep 0.3
}
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
bench() { nice -n -5 $bin/junction-bench --socket $d/b.sock --model sim:bench-model --pid $pid "$@" 2>&1 | grep -E "latency|CPU|requests"; }
for round in 1 2; do
    for mode in off on; do
        start $d/$mode.toml
        echo "== miss workload c64, cache $mode"
        bench --temperature 0 --unique-prompts --requests 20000 --concurrency 64 --connections 8
        kill $pid; wait $pid 2>/dev/null
    done
done
start $d/on.toml
echo "== hit c1 (the warm-up stores the entry)"
bench --temperature 0 --requests 5000
echo "== miss c1 (for comparison)"
bench --temperature 0 --unique-prompts --requests 5000
kill $pid; wait $pid 2>/dev/null
for mode in off on; do
    start $d/$mode.toml
    bench --temperature 0 --unique-prompts --requests 2000 > /dev/null
    before=$(rss)
    bench --temperature 0 --unique-prompts --requests ${MEMORY_REQUESTS:-100000} --concurrency 16 --connections 4 > /dev/null
    after=$(rss)
    stats=$($bin/junctionctl --socket $d/b.sock --json cache stats)
    echo "== memory, cache $mode: RSS ${before} KiB -> ${after} KiB (+$((after - before)) KiB); stats $stats"
    kill $pid; wait $pid 2>/dev/null
done
echo "max_bytes = $max ($((max / 1024)) KiB)"
kill $sim; rm -rf $d
