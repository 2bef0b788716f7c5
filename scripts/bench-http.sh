#!/usr/bin/env bash
# The HTTP API's figures with wrk against an instant junction-sim (release build in BIN, default .build/release):
# for each concurrency (1 and 64), DURATION seconds (default 10) of non-streamed POST /v1/chat/completions
#  1. straight to junction-sim (the direct floor: wrk, the loopback stack and the simulator), then
#  2. through junctiond's HTTP API to the same simulator,
# alternated ROUNDS times (default 2): the added latency is (2) - (1) at p50 and p99, and junctiond's CPU per
# request is its utime+stime (from /proc) over the requests wrk completed.
# Usage: scripts/bench-http.sh [BIN]
set -u
bin=${1:-.build/release}; port=38095; rounds=${ROUNDS:-2}; duration=${DURATION:-10}
d=$(mktemp -d); trap 'kill $sim $pid 2>/dev/null; rm -rf $d' EXIT
$bin/junction-sim --port $port > $d/sim.out 2>&1 & sim=$!
sleep 0.5
printf 'bench-token-0123456789abcdef\n' > $d/token; chmod 600 $d/token
cat > $d/junction.toml <<TOML
[providers.sim]
kind = "openai-compatible"
base_url = "http://127.0.0.1:$port/v1"
[[providers.sim.models]]
id = "bench-model"
[ledger]
enabled = false
[cache]
enabled = false
[http]
listen = ["127.0.0.1:0"]
max_connections = 512
[http.tokens.bench]
token_file = "$d/token"
TOML
$bin/junctiond --config $d/junction.toml --socket $d/b.sock 2> $d/daemon.log & pid=$!
for i in $(seq 100); do grep -q "http listening address=127.0.0.1:" $d/daemon.log && break; sleep 0.05; done
hport=$(grep -o 'http listening address=127.0.0.1:[0-9]*' $d/daemon.log | head -1 | cut -d: -f2)
[ -n "$hport" ] || { echo "junctiond did not start"; cat $d/daemon.log; exit 1; }
script() { # model
    cat <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-token-0123456789abcdef"
wrk.body = '{"model":"$1","messages":[{"role":"user","content":"hi"}],"max_tokens":16}'
LUA
}
script bench-model > $d/direct.lua; script sim:bench-model > $d/junction.lua
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
# The whole machine's busy and total jiffies (/proc/stat): at c64 it shows whether the cores, not junctiond, are
# the limit.
machine() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat; }
run() { # label url lua concurrency
    local before after requests
    before=$(cpu); read busy0 total0 < <(machine)
    wrk -t1 -c$4 -d${duration}s --latency -s $3 $2 > $d/wrk.out 2>&1
    after=$(cpu); read busy1 total1 < <(machine)
    requests=$(awk '/requests in/ {print $1}' $d/wrk.out)
    p50=$(awk '$1 == "50%" {print $2}' $d/wrk.out); p99=$(awk '$1 == "99%" {print $2}' $d/wrk.out)
    rps=$(awk '/Requests\/sec/ {print $2}' $d/wrk.out)
    non2xx=$(awk '/Non-2xx/ {print $NF}' $d/wrk.out)
    local busy=$(awk -v b=$((busy1 - busy0)) -v t=$((total1 - total0)) 'BEGIN {printf "%.0f", 100 * b / t}')
    local line="$1 c$4: p50 $p50 p99 $p99, $rps req/s, $requests requests${non2xx:+, NON-2xx $non2xx}"
    line+=", machine $busy% busy"
    if [ "$1" = junctiond ]; then
        line+=", junctiond CPU $(awk -v t=$((after - before)) -v n=$requests -v hz=$(getconf CLK_TCK) \
            'BEGIN {printf "%.3f", t / hz * 1000 / n}') ms/request"
    fi
    echo "$line"
}
curl -s -H "Authorization: Bearer bench-token-0123456789abcdef" -d @<(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" $d/junction.lua) \
    http://127.0.0.1:$hport/v1/chat/completions | head -c 200; echo
for round in $(seq $rounds); do
    for c in 1 64; do
        echo "== round $round, concurrency $c, ${duration}s each"
        run direct http://127.0.0.1:$port/v1/chat/completions $d/direct.lua $c
        run junctiond http://127.0.0.1:$hport/v1/chat/completions $d/junction.lua $c
    done
done
