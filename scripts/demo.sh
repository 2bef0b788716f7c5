#!/usr/bin/env bash
# `make demo`: start junctiond on a temporary socket, talk to it with junctionctl, stop it. No API keys needed.
set -euo pipefail
bin="${1:-.build/debug}"
workdir=$(mktemp -d /tmp/junction-demo.XXXXXX)
socket="$workdir/junction.sock"
config="$workdir/junction.toml"
cat > "$config" <<TOML
[server]
socket_mode = "0600"
drain_timeout = "2s"
TOML

cleanup() {
    if [[ -n "${daemon_pid:-}" ]] && kill -0 "$daemon_pid" 2>/dev/null; then kill -TERM "$daemon_pid"; fi
    rm -rf "$workdir"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step "$bin/junctiond --config $config --socket $socket &"
"$bin/junctiond" --config "$config" --socket "$socket" 2> "$workdir/junctiond.log" &
daemon_pid=$!
for _ in $(seq 1 100); do [[ -S "$socket" ]] && break; sleep 0.05; done
[[ -S "$socket" ]] || { echo "junctiond did not start:"; cat "$workdir/junctiond.log"; exit 1; }

export JUNCTION_SOCKET="$socket"
step "junctionctl status";            "$bin/junctionctl" status
step "junctionctl ping";              "$bin/junctionctl" ping
step "junctionctl schema | head -20"; "$bin/junctionctl" schema | head -20 || true
step "junctionctl call nope";         "$bin/junctionctl" call nope || echo "(exit status $?: the daemon answered with an error)"
step "echo '{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}' | socat - UNIX-CONNECT:\$JUNCTION_SOCKET"
if command -v socat >/dev/null; then
    echo '{"jsonrpc":"2.0","method":"ping","id":1}' | socat - "UNIX-CONNECT:$socket"
else
    echo "(socat is not installed)"
fi

step "kill -TERM junctiond"
kill -TERM "$daemon_pid"
wait "$daemon_pid" && echo "junctiond exited with status $?"
daemon_pid=
echo; echo "daemon log:"; sed 's/^/  /' "$workdir/junctiond.log"
