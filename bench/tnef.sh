#!/bin/sh
# TNEF decode/encode throughput, ours against tnefparse and ytnef (bench/tnef_bench.py).
#   sh bench/tnef.sh [SECONDS_PER_FIGURE] [FILE...]    (default 0.5 s; the tnefparse samples)
# Needs sh tests/tnef-setup.sh (tnefparse, libytnef, the samples).
set -eu
cd "$(dirname "$0")/.."
budget=${1:-0.5}
[ $# -gt 0 ] && shift
[ -x target/tnef-venv/bin/python ] || { echo "run sh tests/tnef-setup.sh first" >&2; exit 1; }
cargo build --quiet --release --example tnef_tool
if [ $# -eq 0 ]; then set -- target/tnef-samples/*.tnef; fi
target/tnef-venv/bin/python bench/tnef_bench.py target/release/examples/tnef_tool "$budget" "$@"
