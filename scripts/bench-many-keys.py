#!/usr/bin/env python3
"""Many-key JSON objects through the real socket: the time junctiond takes to answer a `ping` whose params hold one
object of N keys (it parses the whole line, then refuses the unknown param with -32602), for N = 10k ... 1M.

Usage: scripts/bench-many-keys.py [BIN_DIR [KEYS...]] (default .build/release; build it with `swift build -c release`).
The daemon runs with max_json_keys = 2,000,000 and max_line_bytes = 64 MiB so that every size is parsed."""
import json, os, socket, subprocess, sys, tempfile, time

bin_dir = sys.argv[1] if len(sys.argv) > 1 else ".build/release"
work = tempfile.mkdtemp()
config = os.path.join(work, "junction.toml")
sock = os.path.join(work, "junction.sock")
with open(config, "w") as f:
    f.write("[server]\nmax_json_keys = 2000000\nmax_line_bytes = 67108864\n")
daemon = subprocess.Popen([os.path.join(bin_dir, "junctiond"), "--config", config, "--socket", sock],
                          stderr=subprocess.DEVNULL)
try:
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    client = socket.socket(socket.AF_UNIX)
    client.connect(sock)
    reader = client.makefile("rb")

    def call(line):
        started = time.perf_counter()
        client.sendall(line)
        answer = json.loads(reader.readline())
        return time.perf_counter() - started, answer

    call(b'{"jsonrpc":"2.0","method":"ping","id":0}\n')  # warm up
    print(f"{'keys':>9} {'bytes':>10} {'answer ms':>10} {'keys/s':>12}")
    for keys in [int(k) for k in sys.argv[2:]] or (10_000, 100_000, 1_000_000):
        body = ",".join(f'"k{i}":0' for i in range(keys))
        line = ('{"jsonrpc":"2.0","method":"ping","id":1,"params":{"x":{' + body + '}}}\n').encode()
        best = min(call(line)[0] for _ in range(3))
        print(f"{keys:>9} {len(line):>10} {best * 1000:>10.1f} {keys / best:>12,.0f}")
finally:
    daemon.kill()
    daemon.wait()
