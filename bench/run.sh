#!/bin/sh
# Every benchmark of bench/, each against its baseline in the same run, and one table of
# ratios at the end (see bench/README.md):
#   - read_corpus: every file of the corpus read completely through the C interface, against
#     a raw-cfb walk of every stream of the same files, and `cat` of them;
#   - write_many: N typical messages written into one directory, against a raw-cfb writer of
#     the same streams with the same commit protocol (beside, fsync, rename), N = 1,000 and
#     10,000;
#   - attach_1gib: a 1 GiB attachment written and read, against a plain file;
#   - recipients_scale: growth with the number of recipients and attachments.
#
#   sh bench/run.sh [MiB]        attachment size for attach_1gib (default 1024)
#
# Environment:
#   BENCH_REPEAT       interleaved runs of each comparison, medians reported (default 3)
#   BENCH_ROUNDS       passes over the corpus in one read run (default 10)
#   BENCH_WRITE_COUNTS message counts for write_many (default "1000 10000")
#   IMESSAGE_CORPUS    the corpus (default ../shared/corpus, as tests/corpus.rs); its msg/ is read
#   BENCH_ONLY         a subset: any of "read write attach recipients" (default all)
#   BENCH_RSS_LIMIT_MIB the resident-memory target for the attachment phases (default 64)
#   BENCH_LIB          a directory holding a libimessage.so to measure instead of building
#                      this tree's (before/after comparisons)
#   BENCH_DIR          where the files go (default: a new directory under /tmp when /tmp is
#                      on disk and has room, else under target/)
# Exits non-zero when a program fails or an attachment phase exceeds the memory target.
set -eu
cd "$(dirname "$0")/.."
root=$PWD
mib=${1:-1024}
limit=${BENCH_RSS_LIMIT_MIB:-64}
repeat=${BENCH_REPEAT:-3}
rounds=${BENCH_ROUNDS:-10}
counts=${BENCH_WRITE_COUNTS:-1000 10000}
corpus=${IMESSAGE_CORPUS:-$root/../shared/corpus}/msg
only=${BENCH_ONLY:-read write attach recipients}
case $mib in '' | *[!0-9]*) echo "usage: sh bench/run.sh [MiB]" >&2; exit 2 ;; esac
wants() { case " $only " in *" $1 "*) return 0 ;; esac; return 1; }

echo "== building"
if [ -n "${BENCH_LIB:-}" ]; then
    lib=$BENCH_LIB # a saved build (say, of main) measured in the same conditions
else
    cargo build --release --lib
    lib=$root/target/release
fi
bin=$root/target/bench
mkdir -p "$bin"
for prog in attach_1gib recipients_scale read_corpus write_many; do
    gcc -std=c11 -O2 -Wall -Wextra -Werror -I"$root/include" "$root/bench/$prog.c" \
        -L"$lib" -Wl,-rpath,"$lib" -limessage -o "$bin/$prog"
done
# The raw-cfb baselines: a crate of their own, outside the library's build.
cargo build --release --quiet --manifest-path "$root/bench/cfb_baseline/Cargo.toml" \
    --target-dir "$root/target/bench-cfb"
cfb_baseline=$root/target/bench-cfb/release/cfb_baseline
echo "built the programs in $bin against $lib/libimessage.so, and $cfb_baseline"

# ----- where the files go -----
# The .msg file, the library's scratch file ($TMPDIR) and the plain-file baseline need
# about 3x the attachment size. A RAM-backed directory (tmpfs) would make those bytes
# count as memory and the timings meaningless, so it is avoided.
fs_type() { stat -f -c %T "$1" 2>/dev/null || echo unknown; }
avail_mib() { df -P -k "$1" | awk 'NR == 2 { print int($4 / 1024) }'; }
need=$((mib * 3 + 256))
if wants write; then
    # write_many keeps every run's files until its last run: about 130 KB per message, twice.
    write_need=$(echo "$counts" | awk -v r="$repeat" '{ for (i = 1; i <= NF; i++) s += $i } END { print int(s * r * 2 * 130 / 1024) + 256 }')
    [ "$write_need" -le "$need" ] || need=$write_need
fi
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
machine="$(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), \
$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), files on $(fs_type "$tmp"), \
load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

# result FILE KEY FIELD: a field of a "RESULT KEY ..." line in FILE.
result() {
    awk -v key="$2" -v field="$3" '
        $1 == "RESULT" && $2 == key { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == field) print kv[2] } }' "$1"
}
# median: the median of the numbers on standard input.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
summary=$tmp/summary.txt
: >"$summary"
# row WHAT LIB BASE BASENAME TARGET [LIB_CPU BASE_CPU]: one line of the final table.
row() {
    awk -v w="$1" -v a="$2" -v b="$3" -v n="$4" -v t="$5" -v ac="${6:-}" -v bc="${7:-}" 'BEGIN {
        cpu = (ac != "" && bc != "" && bc > 0) ? sprintf("%6.2fx", ac / bc) : "      -"
        printf "  %-40s %10.3f s  %-10s %10.3f s  %6.2fx  %s  %s\n", w, a, n, b, a / b, cpu, t }' >>"$summary"
}
note() { printf '  %s\n' "$*" >>"$summary"; }
fail=0

# ----- reading the corpus -----
if wants read; then
    echo
    echo "== read_corpus: $corpus, $rounds passes per run, $repeat interleaved runs"
    find "$corpus" -maxdepth 1 -type f -name '*.msg' | sort >"$tmp/corpus.list"
    # Only files both the library and cfb read completely are timed (damaged test files are not).
    "$bin/read_corpus" check "$tmp/corpus.list" >"$tmp/check.out"
    : >"$tmp/both.list"
    while IFS= read -r f; do
        printf '%s\n' "$f" >"$tmp/one.list"
        if grep -qxF "OK $f" "$tmp/check.out" && "$cfb_baseline" walk 1 "$tmp/one.list" >/dev/null 2>&1; then
            printf '%s\n' "$f" >>"$tmp/both.list"
        else
            echo "   left out (not read by both): $f"
        fi
    done <"$tmp/corpus.list"
    nfiles=$(wc -l <"$tmp/both.list")
    if [ "$nfiles" -eq 0 ]; then
        echo "FAILED: no corpus files in $corpus (set IMESSAGE_CORPUS)" >&2
        exit 1
    fi
    mb=$(tr '\n' '\0' <"$tmp/both.list" | xargs -0 cat | wc -c | awk '{ printf "%.1f", $1 / 1048576 }')
    echo "   $nfiles files, $mb MiB"
    : >"$tmp/read.lib"; : >"$tmp/read.libcpu"; : >"$tmp/read.cfb"; : >"$tmp/read.cfbcpu"; : >"$tmp/read.cat"
    i=0
    while [ "$i" -lt "$repeat" ]; do
        i=$((i + 1))
        "$bin/read_corpus" time "$rounds" "$tmp/both.list" >"$tmp/r.out"
        "$cfb_baseline" walk "$rounds" "$tmp/both.list" >"$tmp/c.out"
        t0=$(date +%s.%N)
        r=0
        while [ "$r" -lt "$rounds" ]; do
            tr '\n' '\0' <"$tmp/both.list" | xargs -0 cat >/dev/null
            r=$((r + 1))
        done
        t1=$(date +%s.%N)
        result "$tmp/r.out" lib_read seconds >>"$tmp/read.lib"
        result "$tmp/r.out" lib_read cpu >>"$tmp/read.libcpu"
        result "$tmp/c.out" cfb_walk seconds >>"$tmp/read.cfb"
        result "$tmp/c.out" cfb_walk cpu >>"$tmp/read.cfbcpu"
        echo "$t1 $t0" | awk '{ print $1 - $2 }' >>"$tmp/read.cat"
        echo "   run $i: library $(tail -1 "$tmp/read.lib") s (cpu $(tail -1 "$tmp/read.libcpu") s), cfb walk $(tail -1 "$tmp/read.cfb") s (cpu $(tail -1 "$tmp/read.cfbcpu") s), cat $(tail -1 "$tmp/read.cat") s"
    done
    lib_s=$(median <"$tmp/read.lib"); cfb_s=$(median <"$tmp/read.cfb"); cat_s=$(median <"$tmp/read.cat")
    row "read corpus ($nfiles files x $rounds)" "$lib_s" "$cfb_s" "cfb walk" "<= 1.0x" \
        "$(median <"$tmp/read.libcpu")" "$(median <"$tmp/read.cfbcpu")"
    row "read corpus ($nfiles files x $rounds)" "$lib_s" "$cat_s" "cat" "-"
fi

# ----- writing many messages into one directory -----
if wants write; then
    per_file_first=
    for n in $counts; do
        echo
        echo "== write_many: $n messages into one directory, $repeat interleaved runs"
        : >"$tmp/w.lib"; : >"$tmp/w.libcpu"; : >"$tmp/w.cfb"; : >"$tmp/w.cfbcpu"
        i=0
        while [ "$i" -lt "$repeat" ]; do
            i=$((i + 1))
            # Each run writes into directories of its own, all removed only after the last
            # run: ext4 without a journal passes over every inode freed in the last minutes
            # when it allocates one, so removing a run's files would slow down whichever
            # writer comes next by thousands of inodes per file.
            lib_dir=$tmp/write/lib$n.$i raw_dir=$tmp/write/raw$n.$i
            # The two take turns at going first: whatever the file system still owes to
            # earlier work (files deleted by others too) falls on the first. The cfb
            # writer copies the streams of a file the library wrote in run 1.
            mkdir -p "$lib_dir" "$raw_dir"
            template=$tmp/write/lib$n.1/msg00000.msg
            if [ $((i % 2)) -eq 1 ]; then
                "$bin/write_many" "$lib_dir" "$n" >"$tmp/w.out"
                "$cfb_baseline" write "$template" "$raw_dir" "$n" >"$tmp/c.out"
            else
                "$cfb_baseline" write "$template" "$raw_dir" "$n" >"$tmp/c.out"
                "$bin/write_many" "$lib_dir" "$n" >"$tmp/w.out"
            fi
            result "$tmp/w.out" lib_write seconds >>"$tmp/w.lib"
            result "$tmp/w.out" lib_write cpu >>"$tmp/w.libcpu"
            result "$tmp/c.out" cfb_write seconds >>"$tmp/w.cfb"
            result "$tmp/c.out" cfb_write cpu >>"$tmp/w.cfbcpu"
            echo "   run $i: library $(tail -1 "$tmp/w.lib") s (cpu $(tail -1 "$tmp/w.libcpu") s), cfb writer $(tail -1 "$tmp/w.cfb") s (cpu $(tail -1 "$tmp/w.cfbcpu") s)"
        done
        lib_s=$(median <"$tmp/w.lib")
        row "write $n messages, one directory" "$lib_s" "$(median <"$tmp/w.cfb")" "cfb writer" \
            "<= 1.2x" "$(median <"$tmp/w.libcpu")" "$(median <"$tmp/w.cfbcpu")"
        per_file=$(echo "$lib_s $n" | awk '{ print $1 / $2 }')
        if [ -z "$per_file_first" ]; then
            per_file_first=$per_file first_n=$n
        else
            echo "$per_file $per_file_first" | awk -v n="$n" -v f="$first_n" '{
                printf "  %-40s %9.2f ms  %-10s %9.2f ms  %6.2fx  %7s  %s\n", "write per file at " n " vs at " f, $1 * 1000, "at " f, $2 * 1000, $1 / $2, "-", "<= 1.1x" }' >>"$summary"
        fi
    done
    rm -rf "$tmp/write"
fi

# ----- attachment -----
timer=
if [ -x /usr/bin/time ]; then timer=/usr/bin/time; fi

# Runs attach_1gib MODE SIZE under /usr/bin/time -v when there is one; prints its output and
# keeps it in $tmp/MODE.out, and the peak RSS (KiB) in $tmp/MODE.rss.
run_attach() {
    mode=$1 size=$2
    if [ -n "$timer" ]; then
        if ! $timer -v "$bin/attach_1gib" "$mode" "$size" "$tmp" >"$tmp/$mode.out" 2>"$tmp/$mode.time"; then
            cat "$tmp/$mode.out" "$tmp/$mode.time"
            echo "FAILED: attach_1gib $mode" >&2
            exit 1
        fi
        sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): *//p' "$tmp/$mode.time" >"$tmp/$mode.rss"
    else
        "$bin/attach_1gib" "$mode" "$size" "$tmp" >"$tmp/$mode.out"
        : >"$tmp/$mode.rss"
    fi
    cat "$tmp/$mode.out"
}
# rss_of MODE: the peak RSS in MiB of the last run of MODE (/usr/bin/time -v, else VmHWM).
rss_of() {
    kib=$(cat "$tmp/$1.rss")
    if [ -n "$kib" ]; then
        awk -v k="$kib" 'BEGIN { printf "%.1f\n", k / 1024 }'
    else
        result "$tmp/$1.out" "lib_$1" peak_rss_mib
    fi
}

if wants attach; then
    # The first gigabyte written after a while can take several times longer than the next
    # one (on a virtual machine, the host backs the page cache's fresh memory then), which
    # would land on whichever run comes first; one unmeasured library write takes it.
    echo
    echo "== warming up: one unmeasured library write of $mib MiB"
    "$bin/attach_1gib" write "$mib" "$tmp" >"$tmp/warmup.log" || { cat "$tmp/warmup.log"; exit 1; }
    rm -f "$tmp/attach_bench.msg" "$tmp/warmup.log"
    : >"$tmp/a.bw"; : >"$tmp/a.br"; : >"$tmp/a.lw"; : >"$tmp/a.lr"; : >"$tmp/a.wrss"; : >"$tmp/a.rrss"
    i=0
    while [ "$i" -lt "$repeat" ]; do
        i=$((i + 1))
        echo
        echo "== attachment of $mib MiB, run $i: plain-file baseline (write() + fsync, read())"
        run_attach baseline "$mib"
        echo
        echo "== attachment of $mib MiB, run $i: library write (separate process${timer:+, under $timer -v})"
        run_attach write "$mib"
        echo
        echo "== attachment of $mib MiB, run $i: library read (separate process${timer:+, under $timer -v})"
        run_attach read "$mib"
        result "$tmp/baseline.out" baseline_write seconds >>"$tmp/a.bw"
        result "$tmp/baseline.out" baseline_read seconds >>"$tmp/a.br"
        result "$tmp/write.out" lib_write seconds >>"$tmp/a.lw"
        result "$tmp/read.out" lib_read seconds >>"$tmp/a.lr"
        rss_of write >>"$tmp/a.wrss"
        rss_of read >>"$tmp/a.rrss"
        open_big=$(result "$tmp/read.out" lib_open peak_rss_mib)
    done
    # Opening a small file, for the peak memory of opening (it should not grow with the file).
    "$bin/attach_1gib" write 16 "$tmp" >/dev/null
    "$bin/attach_1gib" read 16 "$tmp" >"$tmp/small.out"
    open_small=$(result "$tmp/small.out" lib_open peak_rss_mib)
    for what in write read; do
        if [ $what = write ]; then l=$tmp/a.lw b=$tmp/a.bw r=$tmp/a.wrss; else l=$tmp/a.lr b=$tmp/a.br r=$tmp/a.rrss; fi
        rss=$(sort -g "$r" | tail -1)
        verdict=$(awk -v r="$rss" -v l="$limit" 'BEGIN { print (r < l) ? "PASS" : "FAIL" }')
        [ "$verdict" = PASS ] || fail=1
        row "attachment $mib MiB $what" "$(median <"$l")" "$(median <"$b")" "plain file" \
            "<= 1.3x; max RSS $rss MiB < $limit: $verdict"
    done
    note "$(printf '%-40s %10s MiB for %s MiB, %s MiB for 16 MiB (independent of the size)' "peak RSS opening the file" "$open_big" "$mib" "$open_small")"
fi

if wants recipients; then
    echo
    echo "== recipients and attachments: growth with their number"
    "$bin/recipients_scale" "$tmp"
    note "recipients and attachments: see the tables above (per-item cost and its growth)"
fi

echo
echo "== summary: medians of $repeat interleaved runs; $machine"
printf '  %-40s %12s  %-10s %12s  %7s  %7s  %s\n' "benchmark" "library" "baseline" "" "ratio" "cpu" "target"
cat "$summary"
echo "  (ratio: wall clock; cpu: user + system CPU time, less disturbed by other processes)"
if [ "$fail" -ne 0 ]; then
    echo "FAILED: an attachment phase used $limit MiB of resident memory or more" >&2
    exit 1
fi
echo "OK"
