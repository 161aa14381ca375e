"""TNEF decode and encode throughput: ours (bench/tnef_tool.rs, release build) against
tnefparse (pure Python, in process) and ytnef's library libytnef (C, in process through
ctypes), on the same files in the same run. Neither tool encodes TNEF, so the encode
column is ours alone. Each figure is the fastest of repeated runs over at least BUDGET
seconds. Usage: tnef_bench.py TOOL BUDGET FILE...

With --api RESULTS BUDGET, the codec's figures are replaced by the public API's
(bench/tnef_api.c over OpenTnefStream: a .msg encoded into a memory stream, the stream
decoded into a new message on an in-memory storage); RESULTS is that program's output,
and tnefparse and ytnef read the streams it wrote.
"""
import ctypes
import json
import os
import subprocess
import sys
import time

from tnefparse import TNEF

API = sys.argv[1] == "--api"
if API:
    RESULTS, BUDGET = sys.argv[2], float(sys.argv[3])
    api_rows = [line.rstrip("\n").split("\t") for line in open(RESULTS) if line.strip()]
    FILES = [r[1] for r in api_rows]
else:
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


if API:
    # Named by the .msg each stream came from.
    ours = {r[1]: {"decode_s": float(r[3]), "encode_s": float(r[4]),
                   "name": os.path.basename(r[0])} for r in api_rows}
else:
    out = subprocess.run([TOOL, "bench", str(BUDGET), *FILES], capture_output=True, check=True)
    ours = {r["file"]: r for r in map(json.loads, out.stdout.decode().splitlines())}
rows = []
# libytnef prints its complaints (thousands of lines on the corpus) to stdout and stderr:
# silenced while timing.
sys.stdout.flush()
sys.stderr.flush()
saved = os.dup(1), os.dup(2)
quiet = os.open(os.devnull, os.O_WRONLY)
os.dup2(quiet, 1)
os.dup2(quiet, 2)
for path in FILES:
    data = open(path, "rb").read()
    try:
        tp = fastest(lambda: TNEF(data, do_checksum=False))
    except Exception:  # noqa: BLE001 - tnefparse raises on some streams; no figure then
        tp = float("nan")
    yt_rc = ytnef_decode(data)
    yt = fastest(lambda: ytnef_decode(data))
    o = ours[path]
    rows.append((o.get("name", os.path.basename(path))[:30], len(data), o["decode_s"], o["encode_s"], tp, yt, yt_rc))
os.dup2(saved[0], 1)
os.dup2(saved[1], 2)

print(f"{'file':30} {'KiB':>7} {'ours dec':>9} {'ours enc':>9} {'tnefparse':>9} "
      f"{'ytnef':>9} {'vs tnefparse':>12} {'vs ytnef':>9}   (MB/s; ratio = our decode speed / theirs)")
tot = [0, 0.0, 0.0, 0.0, 0.0]
# ytnef stops at the first error and tnefparse raises on some streams, so files either
# fails on are left out of a second total.
tot_ok = [0, 0.0, 0.0, 0.0, 0.0]
for name, size, dec, enc, tp, yt, rc in rows:
    note = ("" if rc == 0 else f"  (ytnef returned {rc})") + ("" if tp == tp else "  (tnefparse raised)")
    print(f"{name:30} {size / 1024:7.1f} {mbps(size, dec):9.1f} {mbps(size, enc):9.1f} "
          f"{mbps(size, tp):9.1f} {mbps(size, yt):9.1f} {tp / dec:11.2f}x {yt / dec:8.2f}x{note}")
    for i, v in enumerate((size, dec, enc, tp, yt)):
        tot[i] += v
        if rc == 0 and tp == tp:
            tot_ok[i] += v
for label, (size, dec, enc, tp, yt) in (("all files", tot), ("files both tools read", tot_ok)):
    print(f"{label:30} {size / 1024:7.1f} {mbps(size, dec):9.1f} {mbps(size, enc):9.1f} "
          f"{mbps(size, tp):9.1f} {mbps(size, yt):9.1f} {tp / dec:11.2f}x {yt / dec:8.2f}x")
