#!/bin/sh
# Installs the independent .msg readers the writer-conformance tier uses
# (tests/writer-conformance.sh): Debian msgconvert, PyPI extract-msg / olefile /
# aspose-email-foss (and the RTF oracles compressed-rtf, rtfde) in target/conformance-venv, npm @kenjiuno/msgreader in
# target/conformance-node. Idempotent; needs root (or sudo) for apt.
set -eu
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# msgconvert needs Email::Address at run time (a Recommends of the package).
if ! command -v msgconvert >/dev/null 2>&1 || ! perl -MEmail::Address -e1 2>/dev/null \
    || ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 \
    || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    as_root apt-get update
    as_root apt-get install -y --no-install-recommends libemail-outlook-message-perl libemail-address-perl
    command -v node >/dev/null 2>&1 || as_root apt-get install -y --no-install-recommends nodejs
    command -v npm >/dev/null 2>&1 || as_root apt-get install -y --no-install-recommends npm
    python3 -c 'import venv, ensurepip' 2>/dev/null || as_root apt-get install -y --no-install-recommends python3-venv
fi
if [ ! -x target/conformance-venv/bin/python ]; then
    python3 -m venv target/conformance-venv
fi
# Pinned: the allowlists name these versions' code. Move them on purpose, with the tier.
target/conformance-venv/bin/python -c 'import extract_msg, olefile, aspose.email_foss' 2>/dev/null ||
    target/conformance-venv/bin/pip install --quiet extract-msg==0.57.0 olefile==0.47 aspose-email-foss==26.3
# The RTF oracles: tests/rtf_oracle/gen_expected.py writes what they make of the corpus's
# compressed RTF into tests/rtf_oracle/expected.tsv, which tests/rtf_corpus.rs compares with.
target/conformance-venv/bin/python -c 'import compressed_rtf, RTFDE' 2>/dev/null ||
    target/conformance-venv/bin/pip install --quiet compressed-rtf==1.0.7 rtfde==0.1.2.2
# Outlook's PR_RTF_SYNC_* values from PyPI tnefparse's sample files (LGPL, so fetched, not
# committed), for tests/rtf_sync.rs.
[ -f target/rtf-sync-samples.tsv ] ||
    target/conformance-venv/bin/python tests/rtf_oracle/tnef_sync_samples.py
[ -d target/conformance-node/node_modules/@kenjiuno/msgreader ] ||
    npm install --silent --no-audit --no-fund --prefix target/conformance-node @kenjiuno/msgreader@1.28.0
