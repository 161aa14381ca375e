#!/bin/sh
# TNEF decode/encode throughput, ours against tnefparse and ytnef (bench/tnef_bench.py), in
# two tables: the codec alone (bench/tnef_tool.rs) on the tnefparse samples (or FILE...),
# and the public API (bench/tnef_api.c: OpenTnefStream over IMessage) on the corpus's .msg
# files encoded to TNEF, with tnefparse and ytnef decoding the same streams.
#   sh bench/tnef.sh [SECONDS_PER_FIGURE] [FILE...]    (default 0.5 s)
# Needs sh tests/tnef-setup.sh (tnefparse, libytnef, the samples); the corpus is
# ../shared/corpus or $IMESSAGE_CORPUS (its table is skipped, saying so, when absent).
set -eu
cd "$(dirname "$0")/.."
budget=${1:-0.5}
[ $# -gt 0 ] && shift
[ -x target/tnef-venv/bin/python ] || { echo "run sh tests/tnef-setup.sh first" >&2; exit 1; }
cargo build --quiet --release --example tnef_tool
if [ $# -eq 0 ]; then set -- target/tnef-samples/*.tnef; fi
echo "== the codec (tnef_tool), MB/s of TNEF"
target/tnef-venv/bin/python bench/tnef_bench.py target/release/examples/tnef_tool "$budget" "$@"

corpus=${IMESSAGE_CORPUS:-../shared/corpus}/msg
if [ ! -d "$corpus" ]; then
    echo "no corpus at $corpus: the API table is skipped"
    exit 0
fi
cargo build --quiet --release --lib
lib=$PWD/target/release
mkdir -p target/bench
gcc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude bench/tnef_api.c -L"$lib" -Wl,-rpath,"$lib" \
    -limessage -o target/bench/tnef_api
dir=$(mktemp -d "${TMPDIR:-/tmp}/tnef-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
target/bench/tnef_api "$budget" "$dir" "$corpus"/*.msg > "$dir/api.tsv"
echo
echo "== the API (OpenTnefStream over IMessage; .msg -> TNEF -> new message), MB/s of TNEF"
target/tnef-venv/bin/python bench/tnef_bench.py --api "$dir/api.tsv" "$budget"
