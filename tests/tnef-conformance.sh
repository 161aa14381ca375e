#!/bin/sh
# TNEF oracle tier: our TNEF decoder and encoder against tnefparse, tnef and ytnef on the
# samples tnefparse ships (tests/tnef_conformance/compare.py says what is compared).
# Install the tools and samples first: sh tests/tnef-setup.sh
set -eu
cd "$(dirname "$0")/.."
py=target/tnef-venv/bin/python
[ -x "$py" ] && [ -f target/tnef-samples/one-file.tnef ] ||
    { echo "tnef-conformance: run sh tests/tnef-setup.sh first" >&2; exit 1; }
cargo build --quiet --example tnef_tool
"$py" tests/tnef_conformance/compare.py "${CARGO_TARGET_DIR:-target}/debug/examples/tnef_tool" \
    target/tnef-samples/*.tnef
