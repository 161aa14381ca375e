#!/bin/sh
# Every test of the project, as CI runs them (.ci/run installs what they need first):
#   formatting and lints, the Rust tests (which compile and run the C/C++ programs of
#   c-tests/), then the C/C++ programs again under valgrind and under gcc's sanitizers,
#   c-tests/threads.c under ThreadSanitizer with the library instrumented (nightly), then the
#   downstream check (the library installed with cargo-c and used from the install),
#   the writer-conformance tier (other people's .msg readers) and the Windows tier
#   (imessage.dll under Wine) when their tools are installed. .ci/run installs them and sets
#   IMSG_REQUIRE_ALL_TIERS=1, which makes a missing tool a failure instead of a skip.
set -eu
cd "$(dirname "$0")/.."

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "tests/all.sh: '$1' is needed (sh .ci/run installs everything the tests need)" >&2
        exit 1
    }
}
need cargo
need gcc
need g++
need valgrind

step() { printf '\n=== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings

step "cargo test (Rust tests, C and C++ programs, header, corpus)"
cargo test --quiet

step "C and C++ programs under valgrind"
# stream_matrix.c's 2 MiB cells would cost valgrind about a minute; they run above.
IMSG_MATRIX_MAX_BYTES=102400 \
IMSG_CTEST_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --suppressions=$PWD/c-tests/valgrind.supp" \
    cargo test --quiet --test c_tests

# -fno-sanitize=vptr: UBSan's vptr check reads C++ type information in front of a vtable;
# COM objects made outside C++ (ours, Rust's) have none, as everywhere COM is used.
step "C and C++ programs with AddressSanitizer and UndefinedBehaviorSanitizer"
IMSG_CTEST_CFLAGS="-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
ASAN_OPTIONS="detect_leaks=1" \
    cargo test --quiet --test c_tests

skip() {
    if [ "${IMSG_REQUIRE_ALL_TIERS:-0}" = 1 ]; then
        echo "tests/all.sh: $* (IMSG_REQUIRE_ALL_TIERS=1)" >&2
        exit 1
    fi
    step "SKIPPED: $*"
}

# The library and Rust's standard library instrumented too (nightly); about 1.5 minutes.
if rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
    step "c-tests/threads.c with ThreadSanitizer, the library and std instrumented"
    sh tests/tsan.sh
else
    skip "ThreadSanitizer run: nightly with rust-src missing (sh .ci/run installs it)"
fi

if command -v cargo-cinstall >/dev/null 2>&1 && command -v pkg-config >/dev/null 2>&1; then
    step "Downstream: cargo cinstall into a temporary prefix, programs built from it with pkg-config and CMake"
    sh tests/downstream.sh
else
    skip "downstream check: cargo-c or pkg-config missing (sh .ci/run installs them)"
fi

if [ -x target/conformance-venv/bin/python ] && [ -d target/conformance-node/node_modules ] &&
    command -v msgconvert >/dev/null 2>&1; then
    step "Writer conformance: our files read by extract-msg, olefile, aspose-email-foss, msgconvert, msgreader"
    sh tests/writer-conformance.sh
else
    skip "writer-conformance tier: readers not installed (sh tests/writer-conformance-setup.sh installs them)"
fi

if [ -x target/tnef-venv/bin/python ] && [ -f target/tnef-samples/one-file.tnef ] &&
    command -v tnef >/dev/null 2>&1 && command -v ytnef >/dev/null 2>&1; then
    step "TNEF oracles: our decoder and encoder against tnefparse, tnef and ytnef"
    sh tests/tnef-conformance.sh
else
    skip "TNEF oracle tier: tools or samples not installed (sh tests/tnef-setup.sh installs them)"
fi

if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 && command -v wine >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -q x86_64-pc-windows-gnu; then
    step "Windows tier: imessage.dll and the C tests under Wine, over Wine's own ole32"
    sh tests/windows-tier.sh
else
    skip "Windows tier: mingw-w64, wine or the Rust target missing (sh .ci/run installs them)"
fi

step "all tests passed"
