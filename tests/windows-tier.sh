#!/bin/sh
# The Windows test tier: builds imessage.dll for x86_64-pc-windows-gnu, checks its exports,
# compiles c-tests/ programs with mingw-w64 against our include/ and runs them under headless
# Wine over Wine's own ole32 storage (StgCreateDocfile/StgOpenStorage), then reads a .msg
# written under Wine on the Linux side with our library (`imsg dump`).
#
# Needs: rustup target add x86_64-pc-windows-gnu;
#        apt-get install --no-install-recommends gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix wine64 wine
# Run:   sh tests/windows-tier.sh           (IMSG_WIN_CARGO_TEST=1 also runs the crate's
#        unit tests as Windows programs under Wine)
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
    FreePadrlist@4 HrGetOneProp@12 PropCopyMore@16 ScCopyProps@16 IID_IMessage PS_MAPI; do
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

step "c-tests/ compiled with mingw-w64 against include/, run under Wine"
cp "$REL/imessage.dll" "$BIN/"
CFLAGS="-Wall -Wextra -Werror -O1 -include $ROOT/tests/windows/compat.h -I $ROOT/include -I $ROOT/c-tests"
LIBS="-L$REL -limessage -lole32 -luuid"
run_exe() { # name args...
    exe=$1
    shift
    if (cd "$BIN" && timeout 300 wine "./$exe.exe" "$@"); then
        echo "ok: $exe"
    else
        fail "$exe exited with $?"
    fi
}
for t in roundtrip recipients attachments named; do
    # shellcheck disable=SC2086
    if x86_64-w64-mingw32-gcc -std=c11 $CFLAGS "c-tests/$t.c" -o "$BIN/$t.exe" $LIBS; then
        run_exe "$t"
    else
        fail "compiling c-tests/$t.c"
    fi
done

step "a .msg written under Wine over Wine's ole32, read on Linux"
rm -f "$BIN/wine.msg"
# shellcheck disable=SC2086
x86_64-w64-mingw32-gcc -std=c11 $CFLAGS tests/windows/wine_msg.c -o "$BIN/wine_msg.exe" $LIBS
run_exe wine_msg wine.msg
if [ -f "$BIN/wine.msg" ]; then
    cargo run --quiet --bin imsg -- dump "$BIN/wine.msg" >"$WORK/wine.json"
    python3 - "$WORK/wine.json" <<'PY' || fail "the Wine-written .msg does not read back on Linux"
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
m = d["message"]
p = m["properties"]
def val(props, tag):
    return props.get(tag, {}).get("value")
assert not d.get("warnings"), d.get("warnings")
assert val(p, "0x0037001F") == "Hello from Wine ole32"
assert val(p, "0x1000001F") == "Body written under Wine."
named = [v for v in p.values() if v.get("named") == "1e2d3c4b-5a69-4788-96a5-b4c3d2e1f00f:name:WineMood"]
assert len(named) == 1 and named[0]["value"] == "cheerful", named
r = m["recipients"]
assert len(r) == 1 and val(r[0]["properties"], "0x3001001F") == "Wine Recipient"
assert val(r[0]["properties"], "0x3003001F") == "wine@example.org"
a = m["attachments"]
assert len(a) == 2
assert val(a[0]["properties"], "0x3707001F") == "wine.txt"
assert a[0]["properties"]["0x37010102"]["sha256"] == hashlib.sha256(b"attachment bytes from Wine").hexdigest()
e = a[1]["embedded_message"]
assert val(e["properties"], "0x0037001F") == "Embedded under Wine"
print("wine.msg read on Linux: subject, body, named property, recipient, attachment, embedded message ok")
PY
fi

if [ "${IMSG_WIN_CARGO_TEST:-0}" = 1 ]; then
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
