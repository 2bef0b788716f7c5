#!/usr/bin/env bash
# The metrics' figures against an instant junction-sim (release build in BIN, default .build/release):
#  1. CPU per request at concurrency 64, [metrics] enabled = true vs false, alternated ROUNDS times (default 4):
#     the VM's speed drifts by tens of percent within minutes, so compare neighbours, not a single pair;
#  2. the `metrics` RPC's time on a daemon whose 20 provider:model targets all served traffic: SCRAPES calls
#     (default 200) on one connection, against `ping` round trips on the same connection;
#  3. in process (metrics-bench): the recorder's CPU per request at concurrency 64, on vs off, without the rest of
#     a request around it, and the exposition function's render time for 20 targets.
# Usage: scripts/bench-metrics.sh [BIN]
bin=${1:-.build/release}; port=38093; rounds=${ROUNDS:-4}; requests=${REQUESTS:-20000}; scrapes=${SCRAPES:-200}
d=$(mktemp -d)
$bin/junction-sim --port $port > $d/sim.out 2>&1 & sim=$!
sleep 0.5
provider() { # models
    printf '[providers.sim]\nkind = "openai-compatible"\nbase_url = "http://127.0.0.1:%s/v1"\n' $port
    for m in "$@"; do printf '[[providers.sim.models]]\nid = "%s"\n' $m; done
    printf '[ledger]\nenabled = false\n[cache]\nenabled = false\n'
}
{ provider bench-model; printf '[metrics]\nenabled = true\n'; } > $d/on.toml
{ provider bench-model; printf '[metrics]\nenabled = false\n'; } > $d/off.toml
models=$(for i in $(seq -w 1 20); do echo "model-$i"; done)
{ provider $models; } > $d/twenty.toml
start() { # config
    rm -f $d/b.sock; $bin/junctiond --config $1 --socket $d/b.sock 2>/dev/null & pid=$!
    for i in $(seq 100); do [ -S $d/b.sock ] && break; sleep 0.05; done
    sleep 0.3
}
bench() { nice -n -5 $bin/junction-bench --socket $d/b.sock --pid $pid "$@" 2>&1 | grep -E "latency|CPU|requests"; }
for round in $(seq $rounds); do
    for mode in off on; do
        start $d/$mode.toml
        echo "== round $round, metrics $mode: c64, $requests requests"
        bench --model sim:bench-model --requests $requests --concurrency 64 --connections 8
        kill $pid; wait $pid 2>/dev/null
    done
done

start $d/twenty.toml
for m in $models; do bench --model sim:$m --requests 200 --concurrency 8 --connections 2 > /dev/null; done
python3 - $d/b.sock $scrapes <<'PY'
import json, socket, statistics, sys, time
path, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.connect(path); f = s.makefile("rwb")
def call(method, i):
    f.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method}).encode() + b"\n"); f.flush()
    start = time.perf_counter(); line = f.readline(); took = time.perf_counter() - start
    return took, json.loads(line)["result"]
_, first = call("metrics", 0)
text = first["text"]
series = [l for l in text.splitlines() if l and not l.startswith("#")]
targets = {l.split('model="')[1].split('"')[0] for l in series if l.startswith("junction_requests_total")}
print(f"== scrape: {len(text)} bytes, {len(series)} series, {len(targets)} models with requests")
metrics = sorted(call("metrics", i)[0] * 1000 for i in range(1, count + 1))
pings = sorted(call("ping", i)[0] * 1000 for i in range(1, count + 1))
def q(v, p): return v[min(len(v) - 1, int(p * len(v)))]
print(f"metrics RPC round trip: median {q(metrics, .5):.3f} ms, p95 {q(metrics, .95):.3f} ms, max {metrics[-1]:.3f} ms"
      f" ({count} calls)")
print(f"ping round trip:        median {q(pings, .5):.3f} ms, p95 {q(pings, .95):.3f} ms")
print(f"exposition (median difference): {q(metrics, .5) - q(pings, .5):.3f} ms")
PY
kill $pid; wait $pid 2>/dev/null
kill $sim; rm -rf $d
echo "== in process"
nice -n -5 $bin/metrics-bench --requests 200000 --concurrency 64 --targets 20 --rounds 5 --scrapes 500
