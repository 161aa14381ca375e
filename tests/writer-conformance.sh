#!/bin/sh
# Writer conformance: writes messages with `imsg create` (the library's C API) and has
# independent readers read them (tests/writer_conformance/run.py says which and how).
# Install the readers first: sh tests/writer-conformance-setup.sh
set -eu
cd "$(dirname "$0")/.."
dir=tests/writer_conformance
py=target/conformance-venv/bin/python
[ -x "$py" ] || { echo "writer-conformance: run sh tests/writer-conformance-setup.sh first" >&2; exit 1; }

cargo build --quiet --package imsg
imsg="${CARGO_TARGET_DIR:-target}/debug/imsg"

work=$(mktemp -d "${TMPDIR:-/tmp}/writer-conformance.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The small specs are checked in; the large ones (10,000 recipients, 5 MB body,
# 3 MB attachment) are generated here.
"$py" "$dir/gen_specs.py" "$work/large" --large
set --
for spec in "$dir"/specs/*.json "$work"/large/*.json; do
    name=$(basename "$spec" .json)
    "$imsg" create "$spec" "$work/$name.msg"
    set -- "$@" "$spec"
done
echo "writer-conformance: wrote $# files with $imsg"
"$py" "$dir/run.py" "$work" "$@"
