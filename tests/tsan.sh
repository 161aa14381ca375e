#!/bin/sh
# c-tests/threads.c under ThreadSanitizer with both sides instrumented: the library and Rust's
# standard library built with nightly's -Zsanitizer=thread (-Zbuild-std), the C program
# compiled with gcc -fsanitize=thread and linked to LLVM's TSan runtime as nightly ships it
# (gcc 12's libtsan lacks the __tsan_memcpy/memset/memmove the Rust code calls).
# Instrumenting the C side alone reports races inside the library that are not (its
# parking_lot locks and atomics are invisible to TSan then): 172 on this test.
# Run by tests/all.sh (about 1.5 minutes from a cold target directory: 1m17s measured on
# this 2-core machine). Needs nightly with rust-src.
#   sh tests/tsan.sh            (IMSG_THREADS_ROUNDS=N for a longer run)
set -eu
cd "$(dirname "$0")/.."
TARGET=x86_64-unknown-linux-gnu
DIR=${CARGO_TARGET_DIR:-target}/tsan
RUSTFLAGS="-Zsanitizer=thread" cargo +nightly build --quiet --lib -Zbuild-std --target $TARGET \
    --target-dir "$DIR"
LIB=$(cd "$DIR/$TARGET/debug" && pwd)
RT=$(rustc +nightly --print sysroot)/lib/rustlib/$TARGET/lib/librustc-nightly_rt.tsan.a
test -f "$RT" || { echo "tests/tsan.sh: no $RT" >&2; exit 1; }
gcc -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=thread -I include -I c-tests \
    -c c-tests/threads.c -o "$LIB/threads_tsan.o"
g++ -o "$LIB/threads_tsan" "$LIB/threads_tsan.o" -Wl,--whole-archive "$RT" -Wl,--no-whole-archive \
    -L "$LIB" -Wl,-rpath,"$LIB" -limessage -lpthread -ldl -lm -lrt
# exitcode=66: any report fails the run, after all of them are printed.
TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
    "$LIB/threads_tsan"
echo "tests/tsan.sh: threads.c ran under ThreadSanitizer with no report"
