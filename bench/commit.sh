#!/bin/sh
# Commit cost and large-stream throughput of our compound files (bench/commit.c).
#
#   sh bench/commit.sh [MAX_FILE_MiB] [STREAM_MiB] [REPEAT]     defaults: 256 512 3
#
# Builds the release library and bench/commit.c, runs it in a new directory on disk (not
# tmpfs: there a file is memory, and fsync costs nothing), with TMPDIR pointing there too
# (the library's scratch file for large streams), and removes the directory afterwards.
# BENCH_DIR=path chooses where the directory is made.
set -eu
cd "$(dirname "$0")/.."
root=$PWD
max=${1:-256}
stream=${2:-512}
repeat=${3:-3}

cargo build --release --lib
lib=$root/target/release
if [ -n "${CARGO_TARGET_DIR:-}" ]; then lib=$CARGO_TARGET_DIR/release; fi
bin=$root/target/bench
mkdir -p "$bin"
gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$root/include" "$root/bench/commit.c" \
    -L"$lib" -Wl,-rpath,"$lib" -limessage -o "$bin/commit"

fs_type() { stat -f -c %T "$1" 2>/dev/null || echo unknown; }
base=${BENCH_DIR:-/tmp}
case $(fs_type "$base") in tmpfs | ramfs) base=$root/target ;; esac
mkdir -p "$base"
tmp=$(mktemp -d "$base/imessage-commit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
export TMPDIR="$tmp"
echo "files in $tmp ($(fs_type "$tmp")); $(nproc) CPUs"
"$bin/commit" "$tmp" "$max" "$stream" "$repeat"
