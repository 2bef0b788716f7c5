#!/usr/bin/env python3
"""Defect 5 measurement: N distinct caller-chosen model names -> daemon RSS delta and providers.health size.
usage: measure.py BIN_DIR N"""
import json, os, socket, subprocess, sys, time, tempfile
bindir, n = sys.argv[1], int(sys.argv[2])
tmp = tempfile.mkdtemp()
sim = subprocess.Popen([bindir + "/junction-sim", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
port = sim.stdout.readline().decode().strip().split(":")[-1]
cfg = tmp + "/j.toml"
open(cfg, "w").write(f'''[server]
socket = "{tmp}/j.sock"
log_level = "warning"
[providers.openai]
base_url = "http://127.0.0.1:{port}/v1"
api_key_env = "K"
[[providers.openai.models]]
id = "gpt-4o-mini"
''')
env = dict(os.environ, K="sk-test")
d = subprocess.Popen([bindir + "/junctiond", "--config", cfg], env=env, stderr=open(tmp + "/d.log", "w"))
while not os.path.exists(tmp + "/j.sock"): time.sleep(0.05)
time.sleep(0.3)
def rss(): return int([l for l in open(f"/proc/{d.pid}/status") if l.startswith("VmRSS")][0].split()[1])
s = socket.socket(socket.AF_UNIX); s.connect(tmp + "/j.sock"); f = s.makefile("rb")
def call(i, method, params):
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}) + "\n").encode())
    return f.readline()
call(0, "generate", {"prompt": "hi", "model": "openai:gpt-4o-mini"})
before = rss(); h0 = len(call(1, "providers.health", {}))
window, sent, got = 64, 0, 0
while got < n:
    while sent < n and sent - got < window:
        s.sendall((json.dumps({"jsonrpc": "2.0", "id": 10 + sent, "method": "generate",
                               "params": {"prompt": "hi", "model": f"openai:name-{sent}", "max_tokens": 2}}) + "\n").encode())
        sent += 1
    f.readline(); got += 1
after = rss(); h1 = call(2, "providers.health", {})
targets = len(json.loads(h1)["result"]["providers"][0]["targets"])
print(f"names={n} rss_before_kb={before} rss_after_kb={after} delta_mb={(after-before)/1024:.1f} "
      f"health_bytes_before={h0} health_bytes_after={len(h1)} targets_listed={targets}")
d.terminate(); sim.terminate(); d.wait(); sim.wait()
