#!/bin/sh
# Builds libimessage.so, compiles examples/hello_msg.c against it, and runs it: the program
# writes a .msg file and reads it back. Usage: sh examples/run-hello.sh [OUT.msg]
set -eu
cd "$(dirname "$0")/.."
cargo build --release --lib --quiet
lib="$PWD/target/release"
gcc -std=c11 -Wall -Wextra -Werror -Iinclude examples/hello_msg.c \
    -L"$lib" -Wl,-rpath,"$lib" -limessage -o "$lib/hello_msg"
"$lib/hello_msg" "${1:-$lib/hello.msg}"
