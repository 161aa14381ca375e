#!/bin/sh
# Builds libimessage.so, compiles examples/legacy_mapi.cpp (classic Windows MAPI code) against
# the headers in include/ and runs it. Usage: sh examples/run-legacy.sh [OUT.msg]
set -eu
cd "$(dirname "$0")/.."
cargo build --release --lib --quiet
lib="$PWD/target/release"
# -fshort-wchar makes L"..." literals 16-bit, as on Windows.
g++ -std=c++17 -fshort-wchar -Wall -Wextra -Werror -Iinclude examples/legacy_mapi.cpp \
    -L"$lib" -Wl,-rpath,"$lib" -limessage -o "$lib/legacy_mapi"
"$lib/legacy_mapi" "${1:-$lib/legacy.msg}"
