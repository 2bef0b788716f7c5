#!/usr/bin/env bash
# What shared mode ([shared], issue 13) costs on the request path, against an instant junction-sim and a local
# redis-server. Four daemons in turn, two alternations: "alone" (no [shared]), "shared" ([shared] on, nothing that
# needs a round trip: reads are local), "local-limits" (a provider rpm limit and a budget without [shared]: the
# same work decided locally) and "limits" (the same with [shared]: every request makes the fleet's rate check and
# budget reservation, and sends its settlement). After each run
# the daemon's own counters give Redis operations per request, operations per round trip (pipelining depth) and
# the commands Redis ran (items of one round trip with the same keys are one script call); Redis's INFO gives its
# CPU per request.
# Usage: scripts/bench-shared.sh [BIN_DIR] (default .build/release)
bin=${1:-.build/release}; simport=38097; redisport=38098
d=$(mktemp -d)
$bin/junction-sim --port $simport > $d/sim.out 2>&1 & sim=$!
redis-server --port $redisport --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning \
    > $d/redis.out 2>&1 & redis=$!
sleep 0.5
base() {
    cat <<TOML
[providers.sim]
kind = "openai-compatible"
base_url = "http://127.0.0.1:$simport/v1"
[[providers.sim.models]]
id = "bench-model"
[ledger]
enabled = false
TOML
}
base > $d/alone.toml
{ base; printf '[shared]\nredis = "redis://127.0.0.1:%s/0"\nprefix = "bench:"\n' $redisport; } > $d/shared.toml
limits() { printf '[providers.sim.limits]\nrpm = 100000000\n[budgets.all]\ndaily_requests = 100000000\n'; }
{ base; limits; } > $d/local-limits.toml
{ cat $d/shared.toml; limits; } > $d/limits.toml
redis_cpu() { redis-cli -p $redisport INFO cpu | awk -F: '/used_cpu_(sys|user):/ {s += $2} END {printf "%.6f", s}'; }
run() { # label config args...
    local label=$1 config=$2; shift 2
    rm -f $d/b.sock; $bin/junctiond --config $config --socket $d/b.sock 2>/dev/null & local p=$!
    for i in $(seq 100); do [ -S $d/b.sock ] && break; sleep 0.05; done
    sleep 0.3
    local before; before=$(redis_cpu)
    echo "== $label $*"
    nice -n -5 $bin/junction-bench --socket $d/b.sock --model sim:bench-model --pid $p "$@" 2>&1 \
        | grep -E "latency|CPU|requests"
    local after; after=$(redis_cpu)
    $bin/junctionctl --socket $d/b.sock status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["shared"]
if s["state"] != "disabled":
    print("   shared: %s, %d operations in %d round trips (largest %d) as %d commands, %d failures, %d timeouts"
          % (s["state"], s["operations"], s["round_trips"], s["largest_pipeline"], s["commands"], s["failures"],
             s["timeouts"]))'
    echo "   redis CPU during the run: $(python3 -c "print('%.3f s' % ($after - $before))")"
    kill $p; wait $p 2>/dev/null
}
for round in 1 2; do
    echo "== direct unary"; nice -n -5 $bin/junction-bench --direct http://127.0.0.1:$simport/v1 --requests 20000 2>&1 \
        | grep -E "latency|requests"
    run alone-c1 $d/alone.toml --requests 20000
    run shared-c1 $d/shared.toml --requests 20000
    run local-limits-c1 $d/local-limits.toml --requests 20000
    run limits-c1 $d/limits.toml --requests 20000
    run alone-c64 $d/alone.toml --requests 40000 --concurrency 64 --connections 8
    run shared-c64 $d/shared.toml --requests 40000 --concurrency 64 --connections 8
    run local-limits-c64 $d/local-limits.toml --requests 40000 --concurrency 64 --connections 8
    run limits-c64 $d/limits.toml --requests 40000 --concurrency 64 --connections 8
done
kill $sim $redis; wait 2>/dev/null; rm -rf $d
