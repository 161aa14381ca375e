#!/bin/sh
# The Windows test tier: builds imessage.dll for x86_64-pc-windows-gnu, checks its exports,
# compiles c-tests/ programs with mingw-w64 (gcc and g++) against our include/ and against
# mingw-w64's own MAPI headers and runs them under headless Wine over Wine's own ole32
# storage (StgCreateDocfile/StgOpenStorage), runs a -lmapi32 client against imessage.dll
# renamed mapi32.dll, and reads the .msg files written under Wine on the Linux side with
# our library (`imsg dump`) and by the writer-conformance tier's independent readers.
#
# Needs: rustup target add x86_64-pc-windows-gnu;
#        apt-get install --no-install-recommends gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix wine64 wine;
#        sh tests/writer-conformance-setup.sh (the readers). sh .ci/run installs all of it.
# Run:   sh tests/windows-tier.sh           (it also runs the crate's unit tests as Windows
#        programs under Wine; IMSG_WIN_CARGO_TEST=0 leaves them out, for a quicker local run)
# Everything goes under $CARGO_TARGET_DIR (default target/): the DLL, the test programs and
# the Wine prefix (target/windows-tier/prefix, made on first use, about 0.7 GB).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "tests/windows-tier.sh: '$1' is needed: apt-get install --no-install-recommends gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix wine64 wine" >&2
        exit 1
    }
}
need cargo
need x86_64-w64-mingw32-gcc
need x86_64-w64-mingw32-g++
need wine
need wineserver
need python3
rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu || {
    echo "tests/windows-tier.sh: run 'rustup target add x86_64-pc-windows-gnu' first" >&2
    exit 1
}

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac
REL=$TARGET_DIR/x86_64-pc-windows-gnu/release
WORK=$TARGET_DIR/windows-tier
BIN=$WORK/bin
export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$BIN"

step() { printf '\n=== %s\n' "$*"; }
failed=""
fail() {
    echo "FAIL: $*" >&2
    failed="$failed
  $*"
}

step "cargo build --release --target x86_64-pc-windows-gnu --lib"
cargo build --release --target x86_64-pc-windows-gnu --lib --quiet
test -f "$REL/imessage.dll" && test -f "$REL/libimessage.dll.a"
ls -l "$REL/imessage.dll" "$REL/libimessage.dll.a"

step "exports of imessage.dll"
x86_64-w64-mingw32-objdump -p "$REL/imessage.dll" |
    sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | awk 'NF {print $NF}' | sed 1d >"$WORK/exports.txt"
for name in OpenIMsgSession OpenIMsgSession@12 CloseIMsgSession@4 OpenIMsgOnIStg OpenIMsgOnIStg@44 \
    SetAttribIMsgOnIStg@16 GetAttribIMsgOnIStg@12 MapStorageSCode@4 MAPIAllocateBuffer@8 \
    MAPIAllocateMore@12 MAPIFreeBuffer@4 MAPIGetDefaultMalloc@0 HrQueryAllRows@24 FreeProws@4 \
    FreePadrlist@4 HrGetOneProp@12 PropCopyMore@16 ScCopyProps@16 IID_IMessage PS_MAPI \
    WrapCompressedRTFStream@12 WrapCompressedRTFStreamEx@16 RTFSync@12 ImsgGetBestBody@20 \
    CreateIProp@24 CreateTable@36 OpenTnefStream@28 OpenTnefStreamEx@32 GetTnefStreamCodepage@12; do
    grep -qx "$name" "$WORK/exports.txt" || fail "imessage.dll does not export $name"
done
# The system's ole32 provides these on Windows (DESIGN decision 13).
for name in StgCreateDocfile StgOpenStorage StgCreateStorageEx CoTaskMemAlloc CoTaskMemFree \
    CoGetMalloc CreateILockBytesOnHGlobal CreateStreamOnHGlobal WriteClassStg ReadClassStg; do
    if grep -qx "$name" "$WORK/exports.txt"; then fail "imessage.dll exports ole32's $name"; fi
done
echo "$(wc -l <"$WORK/exports.txt") exports checked"

step "Wine prefix $WINEPREFIX"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    wine wineboot -i >/dev/null 2>&1 || true
    wineserver -w
fi
# Test-only: Wine < 8.13 lacks bcryptprimitives.dll (Rust std imports ProcessPrng). Never shipped.
SYS32=$WINEPREFIX/drive_c/windows/system32
x86_64-w64-mingw32-gcc -O2 -shared -o "$SYS32/bcryptprimitives.dll" tests/windows/bcryptprimitives.c -ladvapi32
wine --version

step "c-tests/ compiled with mingw-w64 (gcc and g++) against include/ and against mingw-w64's own headers, run under Wine"
cp "$REL/imessage.dll" "$BIN/"
FLAGS="-Wall -Wextra -Werror -O1 -include $ROOT/tests/windows/compat.h"
# Our headers: include/. mingw-w64's: tests/windows/mingw/imessage.h (found first, it
# includes mingw-w64's mapix.h, mapiutil.h, imessage.h, ... and adds only what they lack).
OURS="-I $ROOT/include -I $ROOT/c-tests"
MINGW="-I $ROOT/tests/windows/mingw -I $ROOT/c-tests"
CFLAGS="$FLAGS $OURS"
# -static: libstdc++, libgcc and winpthread go into the programs, so no mingw runtime DLL
# has to sit beside them; the import library is named by path, so imessage.dll stays a DLL.
LIBS="-static $REL/libimessage.dll.a -lole32 -luuid"
run_exe() { # name args...
    exe=$1
    shift
    # shellcheck disable=SC2086
    # RUN_ENV: the program's settings from c-tests/programs.txt. stdin is not the program's:
    # the loops below read the list from it.
    if (cd "$BIN" && env ${RUN_ENV:-} timeout 300 wine "./$exe.exe" "$@" </dev/null); then
        echo "ok: $exe"
    else
        fail "$exe exited with $?"
    fi
}
# A file written under Wine, read on Linux by our library: `imsg dump` must show what
# tests/windows/cross-check/NAME.json says the program wrote.
read_back() { # FILE NAME
    if [ ! -f "$1" ]; then
        fail "no $1 was written"
    elif ! cargo run --quiet --package imsg -- dump "$1" >"$WORK/$2.dump.json"; then
        fail "imsg dump $1"
    elif ! python3 tests/windows/read_back.py "$WORK/$2.dump.json" "tests/windows/cross-check/$2.json"; then
        fail "$1 does not read back on Linux as written"
    fi
}
build_and_run() { # ours|mingw c-tests/SOURCE
    headers=$1
    src=$2
    exe=$headers-$(echo "$src" | tr . _)
    if [ "$headers" = ours ]; then inc=$OURS; else inc=$MINGW; fi
    case $src in
    *.cpp) set -- x86_64-w64-mingw32-g++ -std=c++17 ;;
    *) set -- x86_64-w64-mingw32-gcc -std=c11 ;;
    esac
    # shellcheck disable=SC2086
    if "$@" $FLAGS $inc "c-tests/$src" -o "$BIN/$exe.exe" $LIBS; then
        run_exe "$exe"
    else
        fail "compiling c-tests/$src against $headers headers"
    fi
}
# Which programs run here, against which headers, with which settings, and why the others
# do not: c-tests/programs.txt (columns wine-ours and wine-mingw, then VAR=value settings).
programs() { # COLUMN: 3 = wine-ours, 4 = wine-mingw; prints "program [VAR=value...]"
    awk -v col="$1" '{ sub(/#.*/, "") } NF >= 4 && $col == "yes" {
        line = $1; for (i = 5; i <= NF; i++) line = line " " $i; print line }' c-tests/programs.txt
}
programs 3 >"$WORK/programs-ours.txt"
programs 4 >"$WORK/programs-mingw.txt"
test -s "$WORK/programs-ours.txt" && test -s "$WORK/programs-mingw.txt"
while read -r src settings; do
    RUN_ENV=$settings
    build_and_run ours "$src"
done <"$WORK/programs-ours.txt"
while read -r src settings; do
    RUN_ENV=$settings
    build_and_run mingw "$src"
done <"$WORK/programs-mingw.txt"
RUN_ENV=

step "a .msg written under Wine over Wine's ole32, read on Linux"
rm -f "$BIN/wine.msg"
# shellcheck disable=SC2086
x86_64-w64-mingw32-gcc -std=c11 $CFLAGS tests/windows/wine_msg.c -o "$BIN/wine_msg.exe" $LIBS
run_exe wine_msg wine.msg
read_back "$BIN/wine.msg" wine

step "imessage.dll as a mapi32.dll stand-in, for a client built with mingw-w64's headers and -lmapi32"
# The documented drop-in: imessage.dll copied to mapi32.dll beside the program. The client
# uses mingw-w64's headers and import library only; WINEDLLOVERRIDES prefers the file
# beside it to Wine's builtin mapi32.
M32=$BIN/mapi32
mkdir -p "$M32"
cp "$REL/imessage.dll" "$M32/mapi32.dll"
rm -f "$M32/mapi32.msg" "$M32/builtin.msg"
if x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -O1 -I "$ROOT/c-tests" tests/windows/mapi32_client.c \
    -o "$M32/mapi32_client.exe" -lmapi32 -lole32 -luuid; then
    if (cd "$M32" && WINEDLLOVERRIDES="mapi32=n,b;mscoree,mshtml=" timeout 300 wine ./mapi32_client.exe mapi32.msg); then
        echo "ok: mapi32_client"
    else
        fail "mapi32_client exited with $?"
    fi
    # The same program over Wine's builtin mapi32 must notice it is not ours (exit code 3).
    rc=0
    (cd "$M32" && WINEDLLOVERRIDES="mapi32=b;mscoree,mshtml=" timeout 300 wine ./mapi32_client.exe builtin.msg) \
        >"$WORK/mapi32-builtin.log" 2>&1 || rc=$?
    if [ "$rc" = 3 ]; then
        echo "ok: mapi32_client tells Wine's builtin mapi32 from ours"
    else
        fail "mapi32_client over Wine's builtin mapi32 exited with $rc, not 3 (see $WORK/mapi32-builtin.log)"
    fi
else
    fail "compiling tests/windows/mapi32_client.c against mingw-w64's headers"
fi
read_back "$M32/mapi32.msg" mapi32

step "the files written under Wine, read by the writer-conformance tier's independent readers"
# tests/windows/cross-check/NAME.json says what NAME.msg holds (what the program wrote).
CROSS=$WORK/cross-check
PY=$ROOT/target/conformance-venv/bin/python
rm -rf "$CROSS"
mkdir -p "$CROSS"
[ -f "$BIN/wine.msg" ] && cp "$BIN/wine.msg" "$CROSS/"
[ -f "$M32/mapi32.msg" ] && cp "$M32/mapi32.msg" "$CROSS/"
if [ -x "$PY" ]; then
    "$PY" tests/writer_conformance/run.py "$CROSS" tests/windows/cross-check/*.json ||
        fail "independent readers on the files written under Wine"
else
    fail "the readers are not installed: sh tests/writer-conformance-setup.sh"
fi

if [ "${IMSG_WIN_CARGO_TEST:-1}" = 1 ]; then
    step "the crate's unit tests as Windows programs under Wine"
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine cargo test --release --target x86_64-pc-windows-gnu --lib ||
        fail "cargo test --target x86_64-pc-windows-gnu --lib"
fi

wineserver -w
if [ -n "$failed" ]; then
    printf '\nwindows tier: FAILED:%s\n' "$failed"
    exit 1
fi
printf '\nwindows tier: all passed\n'
