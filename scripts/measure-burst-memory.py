#!/usr/bin/env python3
"""Defect 8 measurement: RSS before, at peak and after 30 s idle, around a burst of junction-bench traffic plus
garbage and large pipelined input on several connections.  usage: burst.py BIN_DIR"""
import json, os, random, socket, subprocess, sys, threading, time, tempfile
bindir = sys.argv[1]
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
d = subprocess.Popen([bindir + "/junctiond", "--config", cfg], env=dict(os.environ, K="sk-test"),
                     stderr=open(tmp + "/d.log", "w"))
sock = tmp + "/j.sock"
while not os.path.exists(sock): time.sleep(0.05)
time.sleep(0.5)
def rss(): return int([l for l in open(f"/proc/{d.pid}/status") if l.startswith("VmRSS")][0].split()[1]) // 1024
subprocess.run([bindir + "/junction-bench", "--socket", sock, "--requests", "50", "--warmup", "10",
                "--model", "openai:gpt-4o-mini"], capture_output=True)
time.sleep(2)
pre = rss(); peak = pre; stop = False
def sampler():
    global peak
    while not stop:
        peak = max(peak, rss()); time.sleep(0.1)
threading.Thread(target=sampler, daemon=True).start()
rng = random.Random(8)
def garbage(conn):
    s = socket.socket(socket.AF_UNIX); s.connect(sock)
    def drain():
        try:
            while s.recv(1 << 20): pass
        except OSError:
            pass
    threading.Thread(target=drain, daemon=True).start()
    for i in range(300):
        kind = i % 5
        if kind == 0: line = "{" + "x" * rng.randint(1000, 200000)
        elif kind == 1: line = json.dumps([{"k%d" % j: j for j in range(200)} for _ in range(20)])
        elif kind == 2: line = json.dumps({"jsonrpc": "2.0", "id": i, "method": "generate",
                                          "params": {"prompt": "p" * 20000, "model": "openai:gpt-4o-mini"}})
        elif kind == 3: line = "[" * 60 + "]" * 60
        else: line = json.dumps([{"jsonrpc": "2.0", "id": f"{conn}-{i}-{j}", "method": "daemon.status"} for j in range(50)])
        s.sendall(line.encode() + b"\n")
    time.sleep(1); s.close()
threads = [threading.Thread(target=garbage, args=(c,)) for c in range(6)]
for t in threads: t.start()
bench = subprocess.run([bindir + "/junction-bench", "--socket", sock, "--connections", "8", "--concurrency", "256",
                        "--requests", "6000", "--warmup", "0", "--stream", "--prompt-size", "8192",
                        "--model", "openai:gpt-4o-mini"], capture_output=True, text=True)
for t in threads: t.join(timeout=60)
end = time.time(); after = {}
while time.time() - end < 30.5:
    elapsed = int(time.time() - end)
    if elapsed in (5, 10, 20, 30) and elapsed not in after: after[elapsed] = rss()
    time.sleep(0.2)
stop = True
print(f"bin={bindir} pre_burst_mb={pre} peak_mb={peak} " + " ".join(f"after_{k}s_mb={v}" for k, v in sorted(after.items())))
print("bench:", (bench.stdout.strip().splitlines() or ["?"])[0])
d.terminate(); sim.terminate(); d.wait(); sim.wait()
