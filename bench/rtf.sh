#!/bin/sh
# Compressed-RTF throughput (issue 16): our decompression and compression of the corpus's
# PR_RTF_COMPRESSED streams, a plain copy of the same bytes, and PyPI compressed-rtf on the
# same streams, in one run. MB/s are of uncompressed RTF (10^6 bytes per second).
#
#   sh bench/rtf.sh [CORPUS_DIR]     (default ../shared/corpus, or IMESSAGE_CORPUS)
#
# About 2 minutes, most of it one pass of PyPI compress. PyPI compressed-rtf comes from the
# conformance venv (tests/writer-conformance-setup.sh); without it that row says so.
set -eu
cd "$(dirname "$0")/.."
corpus=${1:-${IMESSAGE_CORPUS:-../shared/corpus}}
py=target/conformance-venv/bin/python
cargo build --release --example rtf_bench
dir=$(mktemp -d "${TMPDIR:-/tmp}/rtf-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
target/release/examples/rtf_bench "$corpus" "$dir/streams" > "$dir/rust.txt"
if [ -x "$py" ] && "$py" -c 'import compressed_rtf' 2>/dev/null; then
    "$py" - "$dir/streams" >> "$dir/rust.txt" <<'PY'
import glob, os, sys, time
import compressed_rtf
streams = [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(sys.argv[1], "*.lzfu")))]
raws = [compressed_rtf.decompress(s) for s in streams]
raw_bytes = sum(len(r) for r in raws)
def timed(f):
    start, runs = time.perf_counter(), 0
    while runs == 0 or time.perf_counter() - start < 2:
        f(); runs += 1
    return runs * raw_bytes, time.perf_counter() - start
def dec():
    for s in streams: compressed_rtf.decompress(s)
def comp():
    for r in raws: compressed_rtf.compress(r, compressed=True)
print("pypi-decompress %d %f" % timed(dec))
print("pypi-compress %d %f" % timed(comp))
PY
else
    echo "pypi-unavailable 0 0" >> "$dir/rust.txt"
fi
awk '
$1 == "streams" { printf "%d streams, %d bytes of RTF (%d compressed)\n\n", $2, $3, $4;
                  printf "%-22s %10s\n", "", "MB/s"; next }
$1 == "pypi-unavailable" { print "PyPI compressed-rtf: no conformance venv, not measured"; next }
{ printf "%-22s %10.2f\n", $1, $2 / $3 / 1e6 }' "$dir/rust.txt"
