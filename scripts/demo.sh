#!/usr/bin/env bash
# `make demo`: start the provider simulator and junctiond on a temporary socket, talk to it with junctionctl
# (including streamed completions and a failover), stop both. No API keys needed.
set -euo pipefail
bin="${1:-.build/debug}"
workdir=$(mktemp -d /tmp/junction-demo.XXXXXX)
socket="$workdir/junction.sock"
config="$workdir/junction.toml"
cleanup() {
    if [[ -n "${daemon_pid:-}" ]] && kill -0 "$daemon_pid" 2>/dev/null; then kill -TERM "$daemon_pid"; fi
    for pid in ${fleet_pids:-} ${redis_pid:-}; do kill -KILL "$pid" 2>/dev/null || true; done
    if [[ -n "${sim_pid:-}" ]] && kill -0 "$sim_pid" 2>/dev/null; then kill -TERM "$sim_pid"; fi
    rm -rf "$workdir"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# The simulator impersonates OpenAI, Anthropic and Gemini on a loopback port, 30 ms per token.
"$bin/junction-sim" --port 0 --token-delay-ms 30 > "$workdir/sim.out" 2> "$workdir/sim.log" &
sim_pid=$!
for _ in $(seq 1 100); do grep -q listening "$workdir/sim.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$workdir/sim.out")
[[ -n "$port" ]] || { echo "junction-sim did not start"; cat "$workdir/sim.log"; exit 1; }
sim="http://127.0.0.1:$port"

cat > "$config" <<TOML
[server]
socket_mode = "0600"
drain_timeout = "2s"

[providers.openai]
base_url = "$sim/v1"
api_key_env = "DEMO_OPENAI_KEY"
[[providers.openai.models]]
id = "gpt-4o-mini"

[providers.anthropic]
base_url = "$sim"
api_key_env = "DEMO_ANTHROPIC_KEY"
[[providers.anthropic.models]]
id = "claude-3-5-haiku-latest"

[providers.gemini]
base_url = "$sim/v1beta"
api_key_env = "DEMO_GEMINI_KEY"

[routes.default]
targets = ["openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest"]

# The primary cuts its stream after 4 tokens; Junction restarts the answer on the fallback.
[routes.flaky]
targets = ["openai:sim-cut-4", "gemini:gemini-2.0-flash"]

# The operators' HTTP listener: /healthz, /readyz, /metrics, /api/stats and the dashboard (port 0: a free one).
[http]
listen = ["127.0.0.1:0"]

# Every request is recorded with its cost; here in the demo's own directory.
[ledger]
path = "$workdir/ledger.sqlite"

# A budget for the client label "batch": a tenth of a cent a day, so that the demo runs into it.
[budgets.batch]
match = { client = "batch" }
daily_usd = 0.001
max_tokens_per_request = 64
alert_at = [0.5, 1.0]
TOML
chmod 600 "$config"
export DEMO_OPENAI_KEY=sk-demo-0123456789 DEMO_ANTHROPIC_KEY=sk-ant-demo-0123456789 DEMO_GEMINI_KEY=demo-gemini-0123456789

step "$bin/junctiond --config $config --socket $socket &"
"$bin/junctiond" --config "$config" --socket "$socket" 2> "$workdir/junctiond.log" &
daemon_pid=$!
for _ in $(seq 1 100); do [[ -S "$socket" ]] && break; sleep 0.05; done
[[ -S "$socket" ]] || { echo "junctiond did not start:"; cat "$workdir/junctiond.log"; exit 1; }

export JUNCTION_SOCKET="$socket"
step "junctionctl status";            "$bin/junctionctl" status
step "junctionctl ping";              "$bin/junctionctl" ping
step "junctionctl schema | head -20"; "$bin/junctionctl" schema | head -20 || true
step "junctionctl providers";         "$bin/junctionctl" providers
step "junctionctl generate --stream 'Say hello'"
"$bin/junctionctl" generate --stream "Say hello"
step "junctionctl generate --model anthropic:claude-3-5-haiku-latest 'Say hello'"
"$bin/junctionctl" generate --model anthropic:claude-3-5-haiku-latest "Say hello"
step "junctionctl generate --stream --route flaky 'Say hello'   # primary cuts its stream mid-answer"
"$bin/junctionctl" generate --stream --route flaky "Say hello"
step "junctionctl health   # status, breakers, latency and errors per provider and target"
"$bin/junctionctl" health
step "junctionctl provider disable openai && junctionctl plan   # where would a request go now, and why not elsewhere?"
"$bin/junctionctl" provider disable openai
"$bin/junctionctl" plan
"$bin/junctionctl" provider enable openai
step "junctionctl call tokens.count '{\"text\": \"How many tokens is this?\", \"model\": \"anthropic:claude-3-5-haiku-latest\"}'"
"$bin/junctionctl" call tokens.count '{"text": "How many tokens is this?", "model": "anthropic:claude-3-5-haiku-latest"}'
step "junctionctl prices --provider anthropic   # the built-in, dated price table (USD per 1M tokens)"
"$bin/junctionctl" prices --provider anthropic | head -12
step "curl $sim/_sim/usage ...; junctionctl generate --model anthropic:claude-3-5-haiku-latest   # cache reads and writes, priced"
curl -s -d '{"model": "claude-3-5-haiku-latest", "usage": {"prompt": 12000, "cached": 8000, "cache_write": 3000, "completion": 400}}' \
    "$sim/_sim/usage" > /dev/null
"$bin/junctionctl" generate --model anthropic:claude-3-5-haiku-latest "Summarise our policy"
curl -s -d '{"model": "claude-3-5-haiku-latest", "usage": {"prompt": 40000, "completion": 2000}}' "$sim/_sim/usage" > /dev/null
step "junctionctl generate --client batch ... (x3)   # a budget of \$0.001 a day: reserved before sending, then refused"
for _ in 1 2 3; do
    "$bin/junctionctl" generate --client batch --model anthropic:claude-3-5-haiku-latest "Summarise" \
        || echo "(exit status $?: -32003, refused before anything was sent)"
done
step "junctionctl quota --client batch"; "$bin/junctionctl" quota --client batch
step "junctionctl call generate '{..., \"temperature\": 0}' (x2)   # the second is answered from the cache"
for _ in 1 2; do
    "$bin/junctionctl" --json call generate '{"prompt": "What is a gateway?", "model": "openai:gpt-4o-mini", "temperature": 0}' \
        | grep -o '"text":"[^"]*"\|"cached":[a-z"]*\|"cost_usd":[0-9.e-]*' | tr '\n' ' '
    echo
done
step "junctionctl cache stats"; "$bin/junctionctl" cache stats
step "structured output: the simulator answers invalid JSON first; Junction validates, repairs, returns json"
curl -s -d '{"model": "sim-city", "answers": ["{\"city\": \"Paris\", \"population\": \"lots\"}", "{\"city\": \"Paris\", \"population\": 2100000}"]}' \
    "$sim/_sim/answers" > /dev/null
"$bin/junctionctl" --json call generate '{"prompt": "Which city?", "model": "openai:sim-city", "response_format": {"type": "json_schema",
    "json_schema": {"name": "city", "schema": {"type": "object", "required": ["city", "population"],
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}}}}}}' \
    | grep -o '"json":{[^}]*}\|"reason":"invalid_structured_output"\|"error":"the answer[^"]*"'
# The ledger writes every 250 ms: wait until nothing is queued.
for _ in $(seq 100); do "$bin/junctionctl" --json status | grep -q '"queued":0' && break; sleep 0.05; done
step "junctionctl usage --since 1h --by provider,model"; "$bin/junctionctl" usage --since 1h --by provider,model
step "junctionctl usage export --since 1h --format csv | cut -d, -f1-12 | head -4"
"$bin/junctionctl" usage export --since 1h --format csv | cut -d, -f1-12 | head -4
step "monitoring: the [http] listener (GET /healthz, /readyz, /metrics, /api/stats, and the dashboard at /)"
http=$(grep -o 'http listening address=127.0.0.1:[0-9]*' "$workdir/junctiond.log" | head -1 | cut -d= -f2)
echo "dashboard: http://$http/"
curl -s "http://$http/healthz"; curl -s "http://$http/readyz"
step "curl -s http://$http/metrics | grep '^junction_requests_total'"
curl -s "http://$http/metrics" | grep '^junction_requests_total' | head -6
request=$("$bin/junctionctl" usage export --since 1h --format jsonl | grep -o '"request_id":"[^"]*"' | head -1 | cut -d'"' -f4)
step "junctionctl feedback $request 0.9 --comment 'good answer'   # rate an answer: per provider in usage and stats"
"$bin/junctionctl" feedback "$request" 0.9 --comment 'good answer'
step "junctionctl top --once   # the live view (junctionctl top) as one frame"
"$bin/junctionctl" top --once
step "junctionctl call nope";         "$bin/junctionctl" call nope || echo "(exit status $?: the daemon answered with an error)"
step "echo '{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}' | socat - UNIX-CONNECT:\$JUNCTION_SOCKET"
if command -v socat >/dev/null; then
    echo '{"jsonrpc":"2.0","method":"ping","id":1}' | socat - "UNIX-CONNECT:$socket"
else
    echo "(socat is not installed)"
fi

step "junctionctl generate --model openai:sim-echo 'hi'   # an upstream that echoes the API key: it never reaches you"
"$bin/junctionctl" generate --model openai:sim-echo 'hi' || echo "(exit status $?: the upstream's 400, key redacted)"
step "a batch beyond max_batch_size, and an object past max_json_keys, are refused whole (-32600)"
if command -v socat >/dev/null; then
    python3 -c 'import json; print(json.dumps([{"jsonrpc": "2.0", "method": "ping", "id": i} for i in range(1001)]))' \
        | socat - "UNIX-CONNECT:$socket" | cut -c1-200
    python3 -c 'import json; print(json.dumps({"jsonrpc": "2.0", "method": "ping", "id": 1,
        "params": {"x": {"k%d" % i: 0 for i in range(10001)}}}))' | socat - "UNIX-CONNECT:$socket" | cut -c1-200
else
    echo "(socat is not installed)"
fi

step "a fleet: two more daemons share one Redis ([shared]): one budget of 3 requests a day for both of them"
if command -v redis-server >/dev/null; then
    redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning \
        > "$workdir/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    fleet_pids=""
    for host in a b; do
        cat > "$workdir/fleet-$host.toml" <<TOML
[providers.openai]
base_url = "$sim/v1"
api_key_env = "DEMO_OPENAI_KEY"
[[providers.openai.models]]
id = "gpt-4o-mini"
[ledger]
path = "$workdir/fleet-$host.sqlite"
[budgets.fleet]
daily_requests = 3
[shared]
redis = "redis://127.0.0.1:$redis_port/0"
prefix = "demo:"
TOML
        "$bin/junctiond" --config "$workdir/fleet-$host.toml" --socket "$workdir/fleet-$host.sock" \
            2> "$workdir/fleet-$host.log" &
        fleet_pids="$fleet_pids $!"
    done
    for host in a b; do
        for _ in $(seq 1 100); do [[ -S "$workdir/fleet-$host.sock" ]] && break; sleep 0.05; done
    done
    sleep 0.3
    for host in a b a b a; do
        printf 'daemon %s: ' "$host"
        # The answer's summary line, or the refusal's first line.
        "$bin/junctionctl" --socket "$workdir/fleet-$host.sock" generate --model openai:gpt-4o-mini 'hi' 2>&1 \
            | awk 'NR == 1 { first = $0 } { last = $0 } END { print (last ~ /^—/ ? last : first) }' | cut -c1-120 \
            || true
    done
    step "junctionctl status | grep shared   # on daemon a"
    "$bin/junctionctl" --socket "$workdir/fleet-a.sock" status | grep shared
    step "kill -KILL redis-server; junctionctl generate ...   # Redis gone: the daemon answers on its own state"
    kill -KILL "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=
    "$bin/junctionctl" --socket "$workdir/fleet-a.sock" status --json >/dev/null
    "$bin/junctionctl" --socket "$workdir/fleet-a.sock" generate --model openai:gpt-4o-mini --client other 'hi' \
        2>&1 | tail -1 | cut -c1-110 || true
    sleep 0.6
    "$bin/junctionctl" --socket "$workdir/fleet-a.sock" status | grep shared
    for pid in $fleet_pids; do kill -TERM "$pid" 2>/dev/null || true; done
    fleet_pids=""
else
    echo "(redis-server is not installed: make deps installs it)"
fi

step "kill -TERM junctiond"
kill -TERM "$daemon_pid"
wait "$daemon_pid" && echo "junctiond exited with status $?"
daemon_pid=
echo; echo "daemon log:"; sed 's/^/  /' "$workdir/junctiond.log"
