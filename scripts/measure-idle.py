#!/usr/bin/env python3
"""Startup-to-READY time and idle memory of junctiond, as recorded in BENCHMARKS.md.

Usage: scripts/measure-idle.py [BINARY] [RUNS]
Starts BINARY (default .build/release/junctiond) RUNS times (default 20) with $NOTIFY_SOCKET pointing at a
datagram socket of its own, and times process start -> READY=1. Then, on one daemon: resident memory after
2 s idle, after 10,000 pings over 10 connections, and after 5 more seconds idle.
"""
import os, socket, statistics, subprocess, sys, tempfile, time

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/junctiond"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20


def rss_kib(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def start(workdir):
    notify_path = os.path.join(workdir, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    config = os.path.join(workdir, "junction.toml")
    open(config, "w").close()
    sock = os.path.join(workdir, "junction.sock")
    env = {"PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": notify_path}
    began = time.perf_counter()
    process = subprocess.Popen([binary, "--config", config, "--socket", sock], env=env,
                               stderr=subprocess.DEVNULL)
    notify.settimeout(10)
    while True:
        message = notify.recv(4096).decode()
        if "READY=1" in message:
            break
    elapsed = time.perf_counter() - began
    notify.close()
    return process, sock, elapsed


timings = []
for _ in range(runs):
    with tempfile.TemporaryDirectory() as workdir:
        process, _, elapsed = start(workdir)
        timings.append(elapsed * 1000)
        process.terminate()
        process.wait()
timings.sort()
print(f"startup to READY=1 over {runs} runs: median {statistics.median(timings):.1f} ms, "
      f"min {timings[0]:.1f} ms, max {timings[-1]:.1f} ms")

with tempfile.TemporaryDirectory() as workdir:
    process, sock, _ = start(workdir)
    time.sleep(2)
    print("idle after 2 s: VmRSS %d KiB (peak %d KiB)" % rss_kib(process.pid))
    clients = []
    for _ in range(10):
        client = socket.socket(socket.AF_UNIX)
        client.connect(sock)
        clients.append(client)
    request = b'{"jsonrpc":"2.0","method":"ping","id":1}\n'
    for client in clients:
        client.sendall(request * 1000)
    for client in clients:
        received = b""
        while received.count(b"\n") < 1000:
            received += client.recv(65536)
        client.close()
    print("after 10,000 pings: VmRSS %d KiB (peak %d KiB)" % rss_kib(process.pid))
    time.sleep(5)
    print("idle 5 s later: VmRSS %d KiB (peak %d KiB)" % rss_kib(process.pid))
    process.terminate()
    process.wait()
