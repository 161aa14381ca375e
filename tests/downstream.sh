#!/bin/sh
# The library as another project gets it: installed by cargo-c's `cargo cinstall` into a
# temporary prefix, then used from there only. Checks the installed files, the soname, that
# the exported symbols are exactly the header's declarations, and builds and runs the
# examples out of tree with pkg-config (shared and static) and, when cmake is installed,
# with CMake's pkg_check_modules (tests/downstream/CMakeLists.txt).
# Needs cargo-c: cargo install cargo-c --version 0.10.24 --locked
set -eu
cd "$(dirname "$0")/.."
root=$PWD

fail() {
    echo "downstream: $*" >&2
    exit 1
}
command -v cargo-cinstall >/dev/null 2>&1 ||
    fail "cargo-c is needed: cargo install cargo-c --version 0.10.24 --locked"
for tool in pkg-config readelf nm gcc g++; do
    command -v "$tool" >/dev/null 2>&1 || fail "'$tool' is needed"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/downstream.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

# The version every package of the workspace takes ([workspace.package]).
version=$(sed -n 's/^version = "\([0-9.]*\)"$/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
soname=libimessage.so.$major

echo "downstream: cargo cinstall --release --prefix=$prefix"
cargo cinstall --release --package imessage --prefix="$prefix" >"$work/cinstall.log" 2>&1 || {
    cat "$work/cinstall.log" >&2
    fail "cargo cinstall failed"
}

# Where the library went ($prefix/lib, or lib/<multiarch> on Debian).
pcfile=$(find "$prefix" -name imessage.pc)
[ -n "$pcfile" ] || fail "no imessage.pc installed"
libdir=$(dirname "$(dirname "$pcfile")")
rel=${libdir#"$prefix"/}

# Exactly these files: the library three ways, its pkg-config file, the headers.
{
    for f in libimessage.a libimessage.so "$soname" "libimessage.so.$version" pkgconfig/imessage.pc; do
        echo "$rel/$f"
    done
    for h in include/*.h; do
        echo "include/imessage/${h#include/}"
    done
} | sort >"$work/expected-files"
(cd "$prefix" && find . ! -type d | sed 's|^\./||' | sort) >"$work/installed-files"
diff -u "$work/expected-files" "$work/installed-files" || fail "the installed files differ from the expected ones (above)"
for h in include/*.h; do
    cmp -s "$h" "$prefix/include/imessage/${h#include/}" || fail "installed $h differs from the source tree's"
done
[ "$(readlink "$libdir/$soname")" = "libimessage.so.$version" ] || fail "$soname does not link to libimessage.so.$version"
[ "$(readlink "$libdir/libimessage.so")" = "libimessage.so.$version" ] ||
    [ "$(readlink "$libdir/libimessage.so")" = "$soname" ] || fail "libimessage.so is not a link to the library"

# The soname.
lib=$libdir/libimessage.so.$version
got=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$got" = "$soname" ] || fail "SONAME of $lib is '$got', expected $soname"
echo "downstream: SONAME $got"

# Exported symbols = the installed header's declarations (what Linux compiles of them:
# `#if !defined(_WIN32)` blocks in, `#if defined(_WIN32)` out, IMSG_NO_EXTRA_GUIDS undefined).
awk '
    /^extern "C" \{/ { on = 1; next }
    !on { next }
    /^#ifdef __cplusplus/ || /^}/ { exit } # the end of the extern "C" block
    /^#if !defined\(_WIN32\)/ || /^#if !defined\(IMSG_NO_EXTRA_GUIDS\)/ { skip[++d] = 0; next }
    /^#if defined\(_WIN32\)/ { skip[++d] = 1; next }
    /^#if/ { print "downstream: unknown condition in imessage.h: " $0 > "/dev/stderr"; exit 1 }
    /^#endif/ { if (d > 0) d--; next }
    /^[A-Za-z_]/ {
        for (i = 1; i <= d; i++) if (skip[i]) next
        s = $0; sub(/\(.*/, "", s); sub(/;.*/, "", s)
        n = split(s, w, /[^A-Za-z0-9_]+/)
        print w[n]
    }
' "$prefix/include/imessage/imessage.h" >"$work/names" || fail "cannot read imessage.h's declarations"
sort "$work/names" >"$work/declared"
nm -D --defined-only "$lib" | awk '{ print $NF }' | sort >"$work/exported"
[ "$(wc -l <"$work/declared")" -gt 100 ] || fail "only $(wc -l <"$work/declared") declarations read from imessage.h"
diff -u "$work/declared" "$work/exported" ||
    fail "exported symbols (+) and imessage.h's declarations (-) differ"
echo "downstream: $(wc -l <"$work/exported") exported symbols, each declared in imessage.h, and no other"

# Out of tree, with pkg-config only.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion imessage)" = "$version" ] || fail "pkg-config --modversion imessage is not $version"
cflags=$(pkg-config --cflags imessage)
libs=$(pkg-config --libs imessage)
echo "downstream: pkg-config --cflags --libs imessage: $(pkg-config --cflags --libs imessage)"
app=$work/app
mkdir "$app"
cp examples/hello_msg.c examples/legacy_mapi.cpp tests/downstream/CMakeLists.txt "$app/"
cd "$app"
unset LD_LIBRARY_PATH

needs_soname() { # EXE: linked to the soname, not to the unversioned file
    readelf -d "$1" | grep -q "(NEEDED).*\[$soname\]" || fail "$1 does not need $soname"
}
expect() { # FILE TEXT
    grep -qF "$2" "$1" || {
        cat "$1" >&2
        fail "'$2' missing from the output above"
    }
}

# shellcheck disable=SC2086
gcc -std=c11 -Wall -Wextra -Werror $cflags hello_msg.c $libs -o hello
needs_soname hello
LD_LIBRARY_PATH=$libdir ./hello hello.msg >hello.out
expect hello.out "wrote hello.msg"
expect hello.out "read back"
echo "downstream: hello_msg (C, pkg-config) ran"

# shellcheck disable=SC2086
g++ -std=c++17 -fshort-wchar -Wall -Wextra -Werror $cflags legacy_mapi.cpp $libs -o legacy
needs_soname legacy
LD_LIBRARY_PATH=$libdir ./legacy legacy.msg >legacy.out
expect legacy.out "subject: Quarterly report"
expect legacy.out "attachment: figures.csv, 30 bytes:"
echo "downstream: legacy_mapi (C++, <mapix.h>, pkg-config) ran"

# Statically: libimessage.a and the system libraries the .pc lists for it (Libs.private).
static_libs=$(pkg-config --static --libs imessage | sed 's/-limessage\b/-l:libimessage.a/')
# shellcheck disable=SC2086
gcc -std=c11 $cflags hello_msg.c $static_libs -o hello_static
if readelf -d hello_static | grep -q "NEEDED.*libimessage"; then
    fail "hello_static links libimessage dynamically"
fi
./hello_static static.msg >static.out
expect static.out "read back"
echo "downstream: hello_msg linked with libimessage.a ran"

if command -v cmake >/dev/null 2>&1; then
    # pkg_check_modules finds imessage.pc through CMAKE_PREFIX_PATH alone.
    (
        unset PKG_CONFIG_PATH
        cmake -S "$app" -B "$app/cmake" -DCMAKE_PREFIX_PATH="$prefix" >cmake.log 2>&1 ||
            { cat cmake.log >&2; fail "cmake configure failed"; }
        cmake --build "$app/cmake" >>cmake.log 2>&1 || { cat cmake.log >&2; fail "cmake build failed"; }
    )
    needs_soname cmake/hello_msg
    # CMake's build tree RPATH points at the library it found: no LD_LIBRARY_PATH.
    cmake/hello_msg cmake.msg >cmake-hello.out
    expect cmake-hello.out "read back"
    cmake/legacy_mapi cmake-legacy.msg >cmake-legacy.out
    expect cmake-legacy.out "subject: Quarterly report"
    echo "downstream: the CMake project (pkg_check_modules) built both and ran them"
elif [ "${IMSG_REQUIRE_ALL_TIERS:-0}" = 1 ]; then
    fail "cmake is missing (IMSG_REQUIRE_ALL_TIERS=1)"
else
    echo "downstream: SKIPPED the CMake project: cmake is not installed"
fi
cd "$root"
echo "downstream: all checks passed"
