#!/bin/sh
# Benchmarks for issue 3 (large attachments, many recipients and attachments).
# Builds the release library and the C benchmark programs, runs them, and prints a summary.
#
#   sh bench/run.sh [MiB]        attachment size for attach_1gib (default 1024)
#
# Environment: BENCH_REPEAT (runs per count in recipients_scale, default 3),
# BENCH_RSS_LIMIT_MIB (the resident-memory target for the attachment phases, default 64),
# BENCH_DIR (where the files go; default: a new directory under /tmp when /tmp is on disk
# and has room, else under target/).
# Exits non-zero when a program fails or an attachment phase exceeds the memory target.
set -eu
cd "$(dirname "$0")/.."
root=$PWD
mib=${1:-1024}
limit=${BENCH_RSS_LIMIT_MIB:-64}
case $mib in '' | *[!0-9]*) echo "usage: sh bench/run.sh [MiB]" >&2; exit 2 ;; esac

echo "== building"
cargo build --release --lib
lib=$root/target/release
bin=$root/target/bench
mkdir -p "$bin"
for prog in attach_1gib recipients_scale; do
    gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$root/include" "$root/bench/$prog.c" \
        -L"$lib" -Wl,-rpath,"$lib" -limessage -o "$bin/$prog"
done
echo "built $bin/attach_1gib and $bin/recipients_scale against $lib/libimessage.so"

# ----- where the files go -----
# The .msg file, the library's scratch file ($TMPDIR) and the plain-file baseline need
# about 3x the attachment size. A RAM-backed directory (tmpfs) would make those bytes
# count as memory and the timings meaningless, so it is avoided.
fs_type() { stat -f -c %T "$1" 2>/dev/null || echo unknown; }
avail_mib() { df -P -k "$1" | awk 'NR == 2 { print int($4 / 1024) }'; }
need=$((mib * 3 + 256))
suitable() {
    case $(fs_type "$1") in tmpfs | ramfs) return 1 ;; esac
    [ "$(avail_mib "$1")" -ge "$need" ]
}
if [ -n "${BENCH_DIR:-}" ]; then
    mkdir -p "$BENCH_DIR"
    tmp=$(mktemp -d "$BENCH_DIR/imessage-bench.XXXXXX")
elif suitable /tmp; then
    tmp=$(mktemp -d /tmp/imessage-bench.XXXXXX)
else
    echo "note: /tmp is $(fs_type /tmp) with $(avail_mib /tmp) MiB free (need $need MiB on disk); using target/"
    tmp=$(mktemp -d "$root/target/imessage-bench.XXXXXX")
fi
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
echo "files in $tmp: $(fs_type "$tmp") filesystem, $(avail_mib "$tmp") MiB free"
if ! suitable "$tmp"; then
    echo "warning: $tmp is RAM-backed or short of space; results will not be meaningful" >&2
fi
export TMPDIR="$tmp" # the library's scratch file for large streams goes there too

# ----- attachment -----
timer=
if [ -x /usr/bin/time ]; then timer=/usr/bin/time; fi

# Runs attach_1gib MODE under /usr/bin/time -v when there is one; prints its output and
# keeps it in $tmp/MODE.out, and the peak RSS (KiB) in $tmp/MODE.rss.
run_attach() {
    mode=$1
    if [ -n "$timer" ]; then
        if ! $timer -v "$bin/attach_1gib" "$mode" "$mib" "$tmp" >"$tmp/$mode.out" 2>"$tmp/$mode.time"; then
            cat "$tmp/$mode.out" "$tmp/$mode.time"
            echo "FAILED: attach_1gib $mode" >&2
            exit 1
        fi
        sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): *//p' "$tmp/$mode.time" >"$tmp/$mode.rss"
    else
        "$bin/attach_1gib" "$mode" "$mib" "$tmp" >"$tmp/$mode.out"
        : >"$tmp/$mode.rss"
    fi
    cat "$tmp/$mode.out"
}
# result KEY FIELD: a field of a "RESULT KEY ..." line in the outputs.
result() {
    cat "$tmp"/*.out | awk -v key="$1" -v field="$2" '
        $1 == "RESULT" && $2 == key { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == field) print kv[2] } }'
}

# The first gigabyte written after a while can take several times longer than the next
# one (on a virtual machine, the host backs the page cache's fresh memory then), which
# would land on whichever run comes first; one unmeasured library write takes it.
echo
echo "== warming up: one unmeasured library write of $mib MiB"
"$bin/attach_1gib" write "$mib" "$tmp" >"$tmp/warmup.log" || { cat "$tmp/warmup.log"; exit 1; }
rm -f "$tmp/attach_bench.msg" "$tmp/warmup.log"

echo
echo "== attachment of $mib MiB: plain-file baseline (write() + fsync, read())"
run_attach baseline
echo
echo "== attachment of $mib MiB: library write (separate process${timer:+, under $timer -v})"
run_attach write
echo
echo "== attachment of $mib MiB: library read (separate process${timer:+, under $timer -v})"
run_attach read

echo
echo "== recipients and attachments: growth with their number"
"$bin/recipients_scale" "$tmp"

# ----- summary -----
echo
echo "== summary: attachment of $mib MiB in 64 KiB calls (files on $(fs_type "$tmp"), $tmp)"
fail=0
summary_line() {
    what=$1 lib_key=$2 base_key=$3 rss_file=$4
    lib_s=$(result "$lib_key" seconds)
    base_s=$(result "$base_key" seconds)
    hwm=$(result "$lib_key" peak_rss_mib)
    rss_kib=$(cat "$rss_file")
    if [ -n "$rss_kib" ]; then
        rss=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
        source="/usr/bin/time -v"
    else
        rss=$hwm
        source="VmHWM"
    fi
    verdict=$(awk -v r="$rss" -v l="$limit" 'BEGIN { print (r < l) ? "PASS" : "FAIL" }')
    [ "$verdict" = PASS ] || fail=1
    awk -v w="$what" -v a="$lib_s" -v b="$base_s" -v r="$rss" -v s="$source" -v l="$limit" -v v="$verdict" -v m="$mib" 'BEGIN {
        printf "  %-5s library %8.3f s (%7.1f MiB/s)   plain file %8.3f s   ratio %5.2fx   max RSS %6.1f MiB (%s)   < %d MiB: %s\n",
            w, a, m / a, b, a / b, r, s, l, v }'
}
summary_line write lib_write baseline_write "$tmp/write.rss"
summary_line read lib_read baseline_read "$tmp/read.rss"
echo "  (the recipient and attachment tables above give per-item costs and their growth)"
if [ "$fail" -ne 0 ]; then
    echo "FAILED: an attachment phase used $limit MiB of resident memory or more" >&2
    exit 1
fi
echo "OK"
