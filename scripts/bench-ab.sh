#!/usr/bin/env bash
# A/B of two release builds against an instant junction-sim; prints the bench summaries, two alternations.
# Usage: scripts/bench-ab.sh BEFORE_BIN_DIR AFTER_BIN_DIR (e.g. a worktree of the old commit built with
# `swift build -c release`, and .build/release). AFTER_EXTRA: TOML appended to the "after" daemon's configuration
# only (keys the old build would refuse), e.g. AFTER_EXTRA=$'[ledger]\npath = "/tmp/ab-ledger.sqlite"'.
base=${1:?before bin dir}; main=${2:-.build/release}; port=38090
d=$(mktemp -d)
$main/junction-sim --port $port > $d/sim.out 2>&1 & sim=$!
sleep 0.5
cat > $d/b.toml <<TOML
[providers.sim]
kind = "openai-compatible"
base_url = "http://127.0.0.1:$port/v1"
[[providers.sim.models]]
id = "bench-model"
TOML
{ cat $d/b.toml; printf '%s\n' "${AFTER_EXTRA:-}"; } > $d/after.toml
bench=$main/junction-bench
run() { # label daemon-bin args...
    local label=$1 bin=$2; shift 2
    local config=$d/b.toml; [ "$bin" = "$main" ] && config=$d/after.toml
    rm -f $d/b.sock; $bin/junctiond --config $config --socket $d/b.sock 2>/dev/null & local p=$!
    for i in $(seq 100); do [ -S $d/b.sock ] && break; sleep 0.05; done
    sleep 0.3
    echo "== $label $*"; nice -n -5 $bench --socket $d/b.sock --model sim:bench-model --pid $p "$@" 2>&1 | grep -E "latency|CPU|requests|first"
    kill $p; wait $p 2>/dev/null
}
for round in 1 2; do
  echo "== direct unary"; nice -n -5 $bench --direct http://127.0.0.1:$port/v1 --requests 20000 2>&1 | grep -E "latency|requests"
  run base-unary $base --requests 20000
  run main-unary $main --requests 20000
  echo "== direct stream"; nice -n -5 $bench --direct http://127.0.0.1:$port/v1 --requests 5000 --stream 2>&1 | grep -E "latency|requests"
  run base-stream $base --requests 5000 --stream
  run main-stream $main --requests 5000 --stream
  run base-c64 $base --requests 20000 --concurrency 64 --connections 8
  run main-c64 $main --requests 20000 --concurrency 64 --connections 8
done
kill $sim; rm -rf $d
