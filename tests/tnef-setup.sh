#!/bin/sh
# Installs what the TNEF oracle tier (tests/tnef-conformance.sh) uses: Debian's tnef and
# ytnef decoders, PyPI tnefparse 1.4.0 (and extract-msg, olefile) in target/tnef-venv, and the 19 .tnef files that
# tnefparse's source distribution ships (tests/examples/), unpacked into target/tnef-samples.
# The samples are fetched, not committed: they are other people's messages, shipped under
# tnefparse's LGPL-3.0 with no word on their own terms. Idempotent; needs root for apt.
set -eu
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v tnef >/dev/null 2>&1 || ! command -v ytnef >/dev/null 2>&1 ||
    ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends tnef ytnef-tools
    python3 -c 'import venv, ensurepip' 2>/dev/null || as_root apt-get install -y --no-install-recommends python3-venv
fi
if [ ! -x target/tnef-venv/bin/python ]; then
    python3 -m venv target/tnef-venv
fi
# Pinned: the figures in the tier's output are for this version.
target/tnef-venv/bin/python -c 'import tnefparse' 2>/dev/null ||
    target/tnef-venv/bin/pip install --quiet tnefparse==1.4.0
# The writer tier's .msg readers (tests/writer-conformance-setup.sh), at its pins, for the
# .msg files imsg tnef-to-msg writes.
target/tnef-venv/bin/python -c 'import extract_msg, olefile' 2>/dev/null ||
    target/tnef-venv/bin/pip install --quiet extract-msg==0.57.0 olefile==0.47
if [ ! -f target/tnef-samples/one-file.tnef ]; then
    dl=$(mktemp -d "${TMPDIR:-/tmp}/tnef-setup.XXXXXX")
    target/tnef-venv/bin/pip download --quiet --no-deps --no-binary :all: tnefparse==1.4.0 -d "$dl"
    mkdir -p target/tnef-samples
    tar -xzf "$dl"/tnefparse-1.4.0.tar.gz -C "$dl"
    cp "$dl"/tnefparse-1.4.0/tests/examples/*.tnef target/tnef-samples/
    rm -rf "$dl"
fi
echo "tnef-setup: $(ls target/tnef-samples/*.tnef | wc -l) samples in target/tnef-samples"
