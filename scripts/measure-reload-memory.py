#!/usr/bin/env python3
"""Defect 14: daemon RSS growth over N admin.reload of config/junction.example.toml.  usage: reload.py BIN_DIR N"""
import json, os, socket, subprocess, sys, time, tempfile
bindir, n = sys.argv[1], int(sys.argv[2])
tmp = tempfile.mkdtemp()
text = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config", "junction.example.toml")).read()
if os.environ.get("OLD_BUILD"):  # a build before issue 8 does not know [resilience]
    text = text.replace("[resilience]\n", "").replace("max_dynamic_targets = 1000\n", "").replace('dynamic_target_idle_expiry = "10m"\n', "")
text = text.replace('log_level = "info"', 'log_level = "warning"')
open(tmp + "/j.toml", "w").write(text)
d = subprocess.Popen([bindir + "/junctiond", "--config", tmp + "/j.toml", "--socket", tmp + "/j.sock"], stderr=open(tmp + "/d.log", "w"))
while not os.path.exists(tmp + "/j.sock"): time.sleep(0.05)
time.sleep(0.3)
def rss(): return int([l for l in open(f"/proc/{d.pid}/status") if l.startswith("VmRSS")][0].split()[1])
s = socket.socket(socket.AF_UNIX); s.connect(tmp + "/j.sock"); f = s.makefile("rb")
def reload(i):
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": i, "method": "admin.reload"}) + "\n").encode()); f.readline()
for i in range(100): reload(i)
warm = rss()
for i in range(n): reload(1000 + i)
print(f"bin={bindir} reloads={n} rss_growth_kb={rss() - warm} per_reload_bytes={(rss() - warm) * 1024 // n}")
d.terminate(); d.wait()
