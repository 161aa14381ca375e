"""TNEF decode and encode throughput: ours (bench/tnef_tool.rs, release build) against
tnefparse (pure Python, in process) and ytnef's library libytnef (C, in process through
ctypes), on the same files in the same run. Neither tool encodes TNEF, so the encode
column is ours alone. Each figure is the fastest of repeated runs over at least BUDGET
seconds. Usage: tnef_bench.py TOOL BUDGET FILE...
"""
import ctypes
import json
import os
import subprocess
import sys
import time

from tnefparse import TNEF

TOOL, BUDGET, FILES = sys.argv[1], float(sys.argv[2]), sys.argv[3:]


def fastest(f):
    best, start, n = float("inf"), time.perf_counter(), 0
    while n < 3 or time.perf_counter() - start < BUDGET:
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
        n += 1
    return best


ytnef = ctypes.CDLL("libytnef.so.0")
ytnef.TNEFParseMemory.argtypes = [ctypes.c_char_p, ctypes.c_long, ctypes.c_void_p]


def ytnef_decode(data):
    # TNEFStruct's layout is libytnef's own; a zeroed buffer far larger than it is enough.
    st = ctypes.create_string_buffer(1 << 20)
    ytnef.TNEFInitialize(st)
    rc = ytnef.TNEFParseMemory(data, len(data), st)
    ytnef.TNEFFree(st)
    return rc


def mbps(size, secs):
    return size / secs / 1e6 if secs else float("nan")


out = subprocess.run([TOOL, "bench", str(BUDGET), *FILES], capture_output=True, check=True)
ours = {r["file"]: r for r in map(json.loads, out.stdout.decode().splitlines())}
rows = []
for path in FILES:
    data = open(path, "rb").read()
    tp = fastest(lambda: TNEF(data, do_checksum=False))
    yt_rc = ytnef_decode(data)
    yt = fastest(lambda: ytnef_decode(data))
    o = ours[path]
    rows.append((os.path.basename(path), len(data), o["decode_s"], o["encode_s"], tp, yt, yt_rc))

print(f"{'file':30} {'KiB':>7} {'ours dec':>9} {'ours enc':>9} {'tnefparse':>9} "
      f"{'ytnef':>9} {'vs tnefparse':>12} {'vs ytnef':>9}   (MB/s; ratio = our decode speed / theirs)")
tot = [0, 0.0, 0.0, 0.0, 0.0]
# ytnef stops at the first error, so files it fails on are also left out of a second total.
tot_ok = [0, 0.0, 0.0, 0.0, 0.0]
for name, size, dec, enc, tp, yt, rc in rows:
    note = "" if rc == 0 else f"  (ytnef returned {rc})"
    print(f"{name:30} {size / 1024:7.1f} {mbps(size, dec):9.1f} {mbps(size, enc):9.1f} "
          f"{mbps(size, tp):9.1f} {mbps(size, yt):9.1f} {tp / dec:11.1f}x {yt / dec:8.1f}x{note}")
    for i, v in enumerate((size, dec, enc, tp, yt)):
        tot[i] += v
        if rc == 0:
            tot_ok[i] += v
for label, (size, dec, enc, tp, yt) in (("all files", tot), ("files ytnef reads", tot_ok)):
    print(f"{label:30} {size / 1024:7.1f} {mbps(size, dec):9.1f} {mbps(size, enc):9.1f} "
          f"{mbps(size, tp):9.1f} {mbps(size, yt):9.1f} {tp / dec:11.1f}x {yt / dec:8.1f}x")
