#!/bin/sh
# Long fuzzing runs, outside CI: each target given (default: all) runs for SECONDS
# (default 600) on nightly with libFuzzer, seeded by fuzz/seed.sh, with the limits the
# library promises: no input may take more than 10 s or 2 GiB.
#   sh fuzz/run.sh [SECONDS] [TARGET...]
# FUZZ_ARGS adds libFuzzer options (e.g. FUZZ_ARGS=-max_len=65536: smaller inputs, more
# executions per second; the .msg samples are up to 1 MiB).
# Crashes land in fuzz/artifacts/<target>/; each one fixed becomes a regression:
#   cp fuzz/artifacts/<target>/crash-... tests/fuzz_regressions/<target>/
# (replayed on stable by `cargo test --test fuzz_regressions`).
set -eu
cd "$(dirname "$0")"
SECONDS_EACH=${1:-600}
[ $# -gt 0 ] && shift
TARGETS=${*:-read_msg modify_msg storage roundtrip codec rtf tnef}
[ -d corpus/modify_msg ] || sh seed.sh
for t in $TARGETS; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "=== $t: ${SECONDS_EACH}s"
    # -timeout: an input taking 10 s is a hang; -rss_limit_mb/-malloc_limit_mb: 2 GiB total,
    # and no single allocation past it, are out-of-memory failures.
    cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 ${FUZZ_ARGS:-} 2>&1 | tee "$t.log" |
        grep -E '^#[0-9]+ *(DONE|INITED)|^stat::|^==[0-9]+==|^SUMMARY|panicked|artifact' || true
done
