"""TNEF oracle tier: our decoder against tnefparse, tnef and ytnef, and our encoder's output
read by all four. Run by tests/tnef-conformance.sh, which passes the path of
`tnef_tool` (bench/tnef_tool.rs) and the samples.

Decode: each sample is decoded by `tnef_tool dump` (the message a decoder makes: legacy
attributes mapped, encapsulated properties on top) and by each tool; attachment names and
bytes, subject, body, sender and date are compared where the tool gives them.
Encode: each sample is decoded and encoded again by us (best-data mode, then pure); each
tool reads the new stream and what it extracts is compared with our decode of the
original, the same way. Our own reader compares every property (`tnef_tool roundtrip`).

Normalisations (tool conventions, not differences): tnefparse drops the trailing NULs of
binary values, so bytes are also compared with those removed; tnef and tnefparse give an
OLE attachment with its 16-byte IID in front (we give the object's bytes); ytnef writes
spaces in file names as underscores, shows a NUL in a subject as `_`, and writes a
`calendar.ics` of its own for appointments. Differences listed in allowlist.txt (tool,
check, file: the tool's fault, with the reason) are reported but do not fail the tier;
any other difference does.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter

from tnefparse import TNEF
from tnefparse.mapi import decode_mapi

TOOL = sys.argv[1]
FILES = sys.argv[2:]
HERE = os.path.dirname(os.path.abspath(__file__))
PR_SUBJECT, PR_CLIENT_SUBMIT_TIME, PR_SENDER_NAME, PR_BODY = 0x0037, 0x0039, 0x0C1A, 0x1000
ATT_SUBJECT, ATT_DATE_SENT, ATT_BODY, ATT_MSG_PROPS = 0x8004, 0x8005, 0x800C, 0x9003

stats = {}
unexpected = []
allowed_seen = set()


def load_allowlist():
    allow = set()
    for line in open(os.path.join(HERE, "allowlist.txt"), encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            tool, check, name = line.split("\t")[:3]
            allow.add((tool, check, name))
    return allow


ALLOW = load_allowlist()


def count(tool, check, ok, note=""):
    s = stats.setdefault(tool, Counter())
    s[check + " total"] += 1
    s[check + " equal"] += bool(ok)
    if not ok:
        key = (tool, check, CURRENT[0])
        if key in ALLOW:
            allowed_seen.add(key)
            print(f"    allowed: {tool} {check}: {note}")
        else:
            unexpected.append(key)
            print(f"    DIFF {tool} {check}: {note}")


CURRENT = [""]


def sha(b):
    return hashlib.sha256(b).hexdigest()


def same_bytes(theirs, ours_sha, ours_stripped_sha):
    """Equal, or equal once a tool convention (trailing NULs, IID prefix) is undone."""
    for b in (theirs, theirs[16:] if len(theirs) >= 16 else None):
        if b is not None and (sha(b) == ours_sha or sha(b.rstrip(b"\0")) == ours_stripped_sha):
            return True
    return False


def ours(path):
    out = subprocess.run([TOOL, "dump", path], capture_output=True, check=True)
    return json.loads(out.stdout)


def norm_text(s):
    if s is None:
        return None
    if isinstance(s, bytes):
        s = s.decode("latin-1")
    s = s.replace("\r\n", "\n").rstrip("\x00").strip()
    return s or None


# ---- the tools ----

def tnefparse_view(path):
    t = TNEF(open(path, "rb").read(), do_checksum=False)
    subject = next((p.data for p in t.mapiprops if p.name == PR_SUBJECT), None)
    if subject is None:
        subject = next((o.data for o in t.msgprops if o.name == ATT_SUBJECT), None)
    sender = next((p.data for p in t.mapiprops if p.name == PR_SENDER_NAME), None)
    date = next((p.data for p in t.mapiprops if p.name == PR_CLIENT_SUBMIT_TIME), None)
    if date is None:
        date = next((o.data for o in t.msgprops if o.name == ATT_DATE_SENT), None)
    # `.body` also takes PR_PREVIEW (0x3FD9); PR_BODY is read from the list itself.
    body = next((o.data for o in t.objects if o.name == ATT_BODY), None)
    for o in t.objects:
        if o.name == ATT_MSG_PROPS:
            body = next((p.data for p in decode_mapi(o.data, t.codepage) if p.name == PR_BODY),
                        body)
    return {
        "attachments": [(a.long_filename(), a.data) for a in t.attachments],
        "subject": subject,
        "sender": sender,
        "date": date.strftime("%Y-%m-%d %H:%M:%S") if date else None,
        "body": body,
    }


def extracted(directory):
    files = {}
    for root, _, names in os.walk(directory):
        for n in names:
            p = os.path.join(root, n)
            files[os.path.relpath(p, directory)] = open(p, "rb").read()
    return files


def tnef_view(path):
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(["tnef", "--overwrite", "-C", d, path], capture_output=True)
        files = extracted(d)
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["tnef", "--overwrite", "-C", d, "--save-body=tnef-body",
                        "--body-pref=T", path], capture_output=True)
        body = next((b for n, b in extracted(d).items() if n.startswith("tnef-body")), None)
    return {"ok": r.returncode == 0, "files": files, "body": body}


def ytnef_view(path):
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(["ytnef", "-f", d, path], capture_output=True)
        files = extracted(d)
    p = subprocess.run(["ytnefprint", path], capture_output=True)
    subject = None
    for line in p.stdout.decode("latin-1").splitlines():
        if line.startswith("Subject: ") and subject is None:
            subject = line[len("Subject: "):].rstrip("_")
    return {"ok": r.returncode == 0, "files": files, "subject": subject}


# ---- comparisons ----

def compare_files(tool, prefix, mine, files, rename=lambda s: s):
    """Our attachments against the files a tool extracted: bytes matched one to one, names
    as a set (tools write 8-bit names as the stream has them: decoded in its code page)."""
    cp = f"cp{mine['codepage']}"
    got = {rename(os.fsencode(n).decode(cp, "replace")): b for n, b in files.items()}
    names = {rename(a["name"] or "") for a in mine["attachments"]}
    if tool == "ytnef" and "calendar.ics" not in names:
        got.pop("calendar.ics", None)
    left = list(got.values())
    matched = 0
    for a in mine["attachments"]:
        for i, b in enumerate(left):
            if a["sha256"] and same_bytes(b, a["sha256"], a["sha256_nul_stripped"]):
                matched += 1
                del left[i]
                break
    count(tool, prefix + "attachment bytes", matched == len(mine["attachments"]) and not left,
          f"{matched} of ours matched, {len(left)} of theirs left over")
    count(tool, prefix + "attachment names", names == set(got),
          f"ours {sorted(names)} theirs {sorted(got)}")


def tool_checks(path, mine, prefix):
    """What each tool extracts from `path` against our decode `mine`."""
    tp = tnefparse_view(path)
    count("tnefparse", prefix + "attachment count",
          len(tp["attachments"]) == len(mine["attachments"]),
          f"{len(tp['attachments'])} vs {len(mine['attachments'])}")
    for (name, data), a in zip(tp["attachments"], mine["attachments"]):
        count("tnefparse", prefix + "attachment names", norm_text(name) == norm_text(a["name"]),
              f"{name!r} vs {a['name']!r}")
        count("tnefparse", prefix + "attachment bytes",
              a["sha256"] is not None and same_bytes(data, a["sha256"], a["sha256_nul_stripped"]),
              f"{a['name']}: {len(data)} bytes vs {a['size']}")
    for key, theirs in (("subject", tp["subject"]), ("sender_name", tp["sender"]),
                        ("date_sent", tp["date"]), ("body", tp["body"])):
        if theirs is not None or mine[key] is not None:
            count("tnefparse", prefix + key, norm_text(theirs) == norm_text(mine[key]),
                  f"{theirs!r:.60} vs {mine[key]!r:.60}")

    tn = tnef_view(path)
    count("tnef", prefix + "runs", tn["ok"])
    compare_files("tnef", prefix, mine, tn["files"])
    if tn["body"] is not None or mine["body"] is not None:
        count("tnef", prefix + "body", norm_text(tn["body"]) == norm_text(mine["body"]),
              f"{tn['body']!r:.60} vs {mine['body']!r:.60}")

    yt = ytnef_view(path)
    count("ytnef", prefix + "runs", yt["ok"])
    compare_files("ytnef", prefix, mine, yt["files"], lambda n: n.replace(" ", "_"))
    # ytnefprint prints "Subject:" only from attSubject; nothing to compare without one.
    if yt["subject"] is not None:
        count("ytnef", prefix + "subject",
              norm_text(yt["subject"]) == norm_text((mine["subject"] or "").rstrip("\x00")),
              f"{yt['subject']!r} vs {mine['subject']!r}")


def main():
    for path in FILES:
        CURRENT[0] = os.path.basename(path)
        mine = ours(path)
        print(f"  {CURRENT[0]}: {len(mine['attachments'])} attachments, "
              f"{mine['properties']} properties, {len(mine['problems'])} problems")
        tool_checks(path, mine, "")
        for mode in ("best", "pure"):
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "re.tnef")
                subprocess.run([TOOL, "reencode", mode, path, out], check=True)
                tool_checks(out, mine, f"encode-{mode} ")
            r = subprocess.run([TOOL, "roundtrip", mode, path], capture_output=True, check=True)
            res = json.loads(r.stdout)
            count("imessage", f"encode-{mode} decode again: every property", res["equal"],
                  f"missing {res['missing'][:5]}, different {res['different'][:5]}")
            stats["imessage"][f"encode-{mode} properties compared"] += res["compared"]

    print(f"\ntnef-conformance: {len(FILES)} files (equal/compared; allowed differences "
          "in tests/tnef_conformance/allowlist.txt)")
    for tool, s in sorted(stats.items()):
        print(f"  {tool}:")
        checks = sorted({k[:-6] for k in s if k.endswith(" total")})
        for check in checks:
            print(f"    {check:45} {s[check + ' equal']}/{s[check + ' total']}")
        for k in sorted(k for k in s if k.endswith("compared")):
            print(f"    {k:45} {s[k]}")
    stale = ALLOW - allowed_seen
    for key in sorted(stale):
        print(f"  note: allowlist entry no longer needed: {' '.join(key)}")
    if unexpected:
        print(f"tnef-conformance: {len(unexpected)} unexpected differences")
        return 1
    print(f"tnef-conformance: {len(allowed_seen)} allowed differences, none unexpected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
