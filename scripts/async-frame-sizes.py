#!/usr/bin/env python3
"""Prints the async context (frame) size of every async function of junctiond, largest first.

Each Swift async function has an "async function pointer" record (symbol suffix `Tu`): a relative offset and the
size of the context the caller allocates for it. A request that holds a stream keeps one context per function on
its path alive, so these sizes are what a held stream costs in task memory.
Usage: scripts/async-frame-sizes.py [BINARY] [REGEX]   (default .build/release/junctiond, Junction's own functions)
"""
import re
import struct
import subprocess
import sys

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/junctiond"
pattern = re.compile(sys.argv[2]) if len(sys.argv) > 2 else None
symbols = []
for line in subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True).stdout.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[2].endswith("Tu") and "Junction" in parts[2]:
        symbols.append((int(parts[0], 16), parts[2]))
sections = []
for line in subprocess.run(["readelf", "-S", "-W", binary], capture_output=True, text=True).stdout.splitlines():
    match = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
    if match:
        sections.append((int(match.group(2), 16), int(match.group(3), 16), int(match.group(4), 16)))
data = open(binary, "rb").read()


def read(address, count):
    for start, offset, size in sections:
        if start <= address < start + size:
            return data[offset + address - start : offset + address - start + count]
    return None


sizes = []
for address, name in symbols:
    record = read(address, 8)
    if record:
        sizes.append((struct.unpack("<iI", record)[1], name))
names = subprocess.run(
    ["swift-demangle", "--simplified", "--compact"], input="\n".join(n for _, n in sizes), capture_output=True, text=True
).stdout.splitlines()
for (size, _), name in sorted(zip(sizes, names), reverse=True):
    if pattern is None or pattern.search(name):
        print(f"{size:6d}  {name.removeprefix('async function pointer to ')[:110]}")
