#!/bin/sh
# TNEF oracle tier: our TNEF decoder and encoder against tnefparse, tnef and ytnef on the
# samples tnefparse ships, and through imsg tnef-to-msg / msg-to-tnef: each sample as a
# .msg read by extract-msg and olefile, each corpus .msg (../shared/corpus, or
# $IMESSAGE_CORPUS; skipped, saying so, when absent) as TNEF read by the tools and by us
# (tests/tnef_conformance/compare.py says what is compared).
# Install the tools and samples first: sh tests/tnef-setup.sh
set -eu
cd "$(dirname "$0")/.."
py=target/tnef-venv/bin/python
[ -x "$py" ] && [ -f target/tnef-samples/one-file.tnef ] ||
    { echo "tnef-conformance: run sh tests/tnef-setup.sh first" >&2; exit 1; }
"$py" -c 'import extract_msg, olefile' 2>/dev/null ||
    { echo "tnef-conformance: run sh tests/tnef-setup.sh (extract-msg, olefile)" >&2; exit 1; }
corpus=${IMESSAGE_CORPUS:-../shared/corpus}/msg
[ -d "$corpus" ] || { echo "tnef-conformance: no corpus at $corpus: its part is skipped"; corpus=; }
cargo build --quiet --example tnef_tool -p imessage
cargo build --quiet -p imsg
bin=${CARGO_TARGET_DIR:-target}/debug
"$py" tests/tnef_conformance/compare.py "$bin/examples/tnef_tool" "$bin/imsg" "$corpus" \
    target/tnef-samples/*.tnef
