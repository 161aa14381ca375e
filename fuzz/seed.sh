#!/bin/sh
# Seeds the .msg fuzzers' corpora (fuzz/corpus/<target>/, not committed) from the shared
# sample files (IMESSAGE_CORPUS, default ../shared/corpus/msg beside the checkout's parent)
# and from the regressions already kept under tests/fuzz_regressions/.
set -eu
cd "$(dirname "$0")"
SRC=${IMESSAGE_CORPUS:-/work/shared/corpus}/msg
[ -d "$SRC" ] || { echo "fuzz/seed.sh: no sample files at $SRC (set IMESSAGE_CORPUS)" >&2; exit 1; }
for t in read_msg modify_msg storage roundtrip; do
    mkdir -p "corpus/$t"
    cp "$SRC"/*.msg "corpus/$t/"
    if [ -d "../tests/fuzz_regressions/$t" ]; then
        find ../tests/fuzz_regressions/"$t" -type f -exec cp {} "corpus/$t/" \;
    fi
    echo "corpus/$t: $(ls "corpus/$t" | wc -l) files"
done
# The parsers' target starts from its regressions (the .msg files' streams are reached
# through the other targets).
mkdir -p corpus/codec
find ../tests/fuzz_regressions/codec -type f -exec cp {} corpus/codec/ \;
