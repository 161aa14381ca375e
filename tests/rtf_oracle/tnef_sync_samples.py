#!/usr/bin/env python3
"""Writes target/rtf-sync-samples.tsv from the sample .tnef files PyPI tnefparse 1.4.0 ships
(tests/examples/ of its source distribution): for each sample whose properties carry the
PR_RTF_SYNC_* values, those values and its decompressed RTF body (hex), for
tests/rtf_sync.rs, which checks our sync values against them. The samples are not ours to
commit (LGPL), so this runs where the conformance venv exists:
    target/conformance-venv/bin/python tests/rtf_oracle/tnef_sync_samples.py
Columns: sample, PR_RTF_SYNC_BODY_CRC (unsigned), _COUNT, _TAG, PREFIX_COUNT,
TRAILING_COUNT, PR_RTF_IN_SYNC (or -), RTF hex.
"""
import glob
import os
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    work = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--no-binary", ":all:", "tnefparse==1.4.0", "-d", work], check=True)
    with tarfile.open(glob.glob(os.path.join(work, "tnefparse-*.tar.gz"))[0]) as t:
        t.extractall(work, filter="data")
    src = glob.glob(os.path.join(work, "tnefparse-*"))
    src = [s for s in src if os.path.isdir(s)][0]
    sys.path.insert(0, src)
    from tnefparse import TNEF
    rows = []
    for path in sorted(glob.glob(os.path.join(src, "tests", "examples", "*.tnef"))):
        t = TNEF(open(path, "rb").read(), do_checksum=False)
        props = {p.name: p.data for p in t.mapiprops}
        if 0x1006 not in props or not t.rtfbody:
            continue
        tag = props.get(0x1008, "")
        if isinstance(tag, bytes):
            tag = tag.decode("cp1252")
        rows.append([os.path.basename(path), str(props[0x1006] & 0xFFFFFFFF), str(props.get(0x1007, "")),
                     tag, str(props.get(0x1010, "")), str(props.get(0x1011, "")),
                     str(props.get(0x0E1F, "-")), t.rtfbody.hex()])
    out = os.path.join(ROOT, "target", "rtf-sync-samples.tsv")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")
    print(f"{len(rows)} samples -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
