#!/usr/bin/env bash
# Peak resident memory of junctiond holding N concurrent streams against a paced junction-sim (100 ms a token).
# Usage: scripts/bench-held-streams.sh [BIN_DIR] [STREAMS] [PORT]  (release build: swift build -c release)
bin=${1:-.build/release}; n=${2:-1000}; port=${3:-18191}
ulimit -n 8192
d=$(mktemp -d)
"$bin/junction-sim" --port $port --token-delay-ms 100 > $d/sim.out 2>&1 &
sim=$!
cat > $d/c.toml <<TOML
[defaults]
max_connections_per_host = 2000
[providers.sim]
kind = "openai-compatible"
base_url = "http://127.0.0.1:$port/v1"
[[providers.sim.models]]
id = "bench-model"
TOML
"$bin/junctiond" --config $d/c.toml --socket $d/s.sock 2> $d/d.log &
dp=$!
for i in $(seq 100); do [ -S $d/s.sock ] && break; sleep 0.05; done
sleep 0.5
idle=$(grep VmRSS /proc/$dp/status | awk '{print $2}')
"$bin/junction-bench" --socket $d/s.sock --model sim:bench-model --stream --concurrency $n --connections 10 --requests $((n*3)) > $d/bench.out 2>&1 || true
peak=$(grep VmHWM /proc/$dp/status | awk '{print $2}')
echo "idle_kib=$idle peak_kib=$peak per_stream_kib=$(( (peak-idle)/n ))"
tail -5 $d/bench.out
kill -KILL $dp $sim 2>/dev/null; wait 2>/dev/null; rm -rf $d
