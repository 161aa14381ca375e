"""TNEF oracle tier: our decoder against tnefparse, tnef and ytnef, and our encoder's output
read by all four. Run by tests/tnef-conformance.sh, which passes the path of
`tnef_tool` (bench/tnef_tool.rs) and the samples.

Decode: each sample is decoded by `tnef_tool dump` (the message a decoder makes: legacy
attributes mapped, encapsulated properties on top) and by each tool; attachment names and
bytes, subject, body, sender and date are compared where the tool gives them.
Encode: each sample is decoded and encoded again by us (best-data mode, then pure); each
tool reads the new stream and what it extracts is compared with our decode of the
original, the same way. Our own reader compares every property (`tnef_tool roundtrip`).

Through .msg (imsg, the public API): each sample is decoded by `imsg tnef-to-msg`, the
.msg is read by the writer tier's readers (olefile: every stream; extract-msg, strict)
and extract-msg's subject and attachments (names and bytes; an embedded message or OLE
object has none of a file) are compared with what the tools extract from the sample.
Each corpus .msg (third argument; "" for none) is encoded by `imsg msg-to-tnef`; the
tools read the stream and are compared with extract-msg's view of the original (subject
from the corpus's independent dump), and `imsg tnef-to-msg` decodes it again: every
property of the original, dumped by `imsg dump`, must come back equal (named properties
by name), but for those the decoding message computes itself (COMPUTED).

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
IMSG = sys.argv[2]
CORPUS = sys.argv[3]  # a folder of .msg files, or "" for none
FILES = sys.argv[4:]
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


def count(tool, check, ok, note="", inherit=None):
    """`inherit`: the check of the direct decode whose allowlist entry also covers this
    one (the .msg holds what our decoder gives, so the tool's fault there is its fault
    here)."""
    s = stats.setdefault(tool, Counter())
    s[check + " total"] += 1
    s[check + " equal"] += bool(ok)
    if not ok:
        key = (tool, check, CURRENT[0])
        if inherit is not None and (tool, inherit, CURRENT[0]) in ALLOW:
            allowed_seen.add((tool, inherit, CURRENT[0]))
            print(f"    allowed (as {inherit!r}): {tool} {check}: {note}")
        elif key in ALLOW:
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
        # Three letters: tnef 1.4 reads three characters of the preference, past the end
        # of a shorter one (valgrind: invalid read after strdup), so "T" alone made it pick
        # an RTF body now and then.
        subprocess.run(["tnef", "--overwrite", "-C", d, "--save-body=tnef-body",
                        "--body-pref=TTT", path], capture_output=True)
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

def compare_files(tool, prefix, mine, files, rename=lambda s: s, inherit=None):
    """Our attachments against the files a tool extracted: bytes matched one to one, names
    as a set (tools write 8-bit names as the stream has them: decoded in its code page).
    An attachment a .msg reader gives as an object (an embedded message, an OLE storage:
    `object`) has no bytes to compare; the tool's file of that name is set aside."""
    cp = f"cp{mine['codepage']}"
    got = {rename(os.fsencode(n).decode(cp, "replace")): b for n, b in files.items()}
    if tool == "ytnef":
        # ytnef's own renderings of appointments and contacts, not attachments.
        ours_names = {rename(a["name"] or "") for a in mine["attachments"]}
        for n in [n for n in got if n == "calendar.ics" or n.endswith(".vcard")]:
            if n not in ours_names:
                got.pop(n)
    # An object (embedded message, OLE storage) is at most one file of the tool's own
    # naming ('tnef-tmp', the nested stream's bytes) or none: it may be left over.
    objects = sum(1 for a in mine["attachments"] if a.get("object"))
    names = {rename(a["name"] or "") for a in mine["attachments"] if not a.get("object")}
    left = list(got.values())
    matched = 0
    with_bytes = [a for a in mine["attachments"] if not a.get("object")]
    for a in with_bytes:
        for i, b in enumerate(left):
            if a["sha256"] and same_bytes(b, a["sha256"], a["sha256_nul_stripped"]):
                matched += 1
                del left[i]
                break
    inh = lambda c: None if inherit is None else inherit + c
    count(tool, prefix + "attachment bytes", matched == len(with_bytes) and len(left) <= objects,
          f"{matched} of ours matched, {len(left)} of theirs left over",
          inh("attachment bytes"))
    extra = set(got) - names
    count(tool, prefix + "attachment names", names <= set(got) and len(extra) <= objects,
          f"ours {sorted(names)} theirs {sorted(got)}", inh("attachment names"))


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


# ---- through .msg: imsg tnef-to-msg and msg-to-tnef ----

def imsg(*args):
    r = subprocess.run([IMSG, *args], capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(f"imsg {args[0]}: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def read_olefile(path):
    """olefile reads every stream whole, with no defect it classes as incorrect."""
    import olefile
    ole = olefile.OleFileIO(path, raise_defects=olefile.DEFECT_INCORRECT)
    try:
        for entry in ole.listdir(streams=True, storages=False):
            if len(ole.openstream(entry).read()) != ole.get_size(entry):
                raise ValueError("short stream " + "/".join(entry))
        if ole.parsing_issues:
            raise ValueError(f"parsing issues: {ole.parsing_issues}")
    finally:
        ole.close()


def read_extract_msg(path, strict=True):
    """Subject and attachments as extract-msg (strict, as the writer tier) gives them."""
    import extract_msg
    from extract_msg.enums import ErrorBehavior
    m = extract_msg.openMsg(path, strict=strict,
                            errorBehavior=ErrorBehavior.THROW if strict else
                            ErrorBehavior.SUPPRESS_ALL)
    try:
        atts = []
        # A file extract-msg cannot take for a message (lenient) has neither.
        for a in getattr(m, "attachments", []):
            d = a.data
            name = getattr(a, "longFilename", None) or getattr(a, "shortFilename", None)
            if isinstance(d, (bytes, bytearray)):
                atts.append({"name": name, "data": bytes(d)})
            else:
                atts.append({"name": name or getattr(d, "subject", None), "data": None})
        return {"subject": getattr(m, "subject", None), "attachments": atts}
    finally:
        m.close()


def as_mine(view, codepage):
    """A reader's view in the shape of our dump, for the tool comparisons."""
    atts = []
    for a in view["attachments"]:
        d = a["data"]
        atts.append({
            "name": a["name"], "object": d is None, "size": None if d is None else len(d),
            "sha256": None if d is None else sha(d),
            "sha256_nul_stripped": None if d is None else sha(d.rstrip(b"\0")),
        })
    return {"codepage": codepage, "subject": view["subject"], "attachments": atts}


def msg_tool_checks(path, mine, prefix, inherit=None):
    """What each tool extracts from `path` against a .msg reader's view `mine`: attachment
    names and bytes, subject. `inherit`: the prefix of the direct checks whose allowlist
    entries also hold here."""
    inh = lambda c: None if inherit is None else inherit + c
    try:
        tp = tnefparse_view(path)
        count("tnefparse", prefix + "runs", True)
    except Exception as e:  # noqa: BLE001 - the tool's refusal is the finding
        count("tnefparse", prefix + "runs", False, f"{type(e).__name__}: {e}"[:200])
        tp = None
    if tp is not None:
        count("tnefparse", prefix + "attachment count",
              len(tp["attachments"]) == len(mine["attachments"]),
              f"{len(tp['attachments'])} vs {len(mine['attachments'])}", inh("attachment count"))
        for (name, data), a in zip(tp["attachments"], mine["attachments"]):
            # An embedded message or OLE object has no file name or bytes of a file.
            if a["object"]:
                continue
            count("tnefparse", prefix + "attachment names",
                  norm_text(name) == norm_text(a["name"]),
                  f"{name!r} vs {a['name']!r}", inh("attachment names"))
            count("tnefparse", prefix + "attachment bytes",
                  same_bytes(data, a["sha256"], a["sha256_nul_stripped"]),
                  f"{a['name']}: {len(data)} bytes vs {a['size']}", inh("attachment bytes"))
        if tp["subject"] is not None or mine["subject"]:
            count("tnefparse", prefix + "subject",
                  norm_text(tp["subject"]) == norm_text(mine["subject"]),
                  f"{tp['subject']!r:.60} vs {mine['subject']!r:.60}", inh("subject"))
    tn = tnef_view(path)
    count("tnef", prefix + "runs", tn["ok"], inherit=inh("runs"))
    compare_files("tnef", prefix, mine, tn["files"], inherit=inherit)
    yt = ytnef_view(path)
    count("ytnef", prefix + "runs", yt["ok"], inherit=inh("runs"))
    compare_files("ytnef", prefix, mine, yt["files"], lambda n: n.replace(" ", "_"), inherit)
    if yt["subject"] is not None:
        theirs = ytnef_subject(yt["subject"], mine["codepage"])
        count("ytnef", prefix + "subject",
              norm_text(theirs) == norm_text((mine["subject"] or "").rstrip("\x00")),
              f"{theirs!r} vs {mine['subject']!r}", inh("subject"))


def ytnef_subject(raw, cp):
    """ytnefprint prints attSubject's 8-bit bytes as they are (read here as latin-1)."""
    try:
        return raw.encode("latin-1").decode(f"cp{cp}")
    except (UnicodeError, LookupError):
        return raw


def readers_check(msg_path, prefix):
    """The writer tier's readers on a .msg we wrote; extract-msg's view (None if refused)."""
    try:
        read_olefile(msg_path)
        count("olefile", prefix + "reads", True)
    except Exception as e:  # noqa: BLE001 - any refusal is the finding
        count("olefile", prefix + "reads", False, str(e)[:200])
    try:
        view = read_extract_msg(msg_path)
        count("extract-msg", prefix + "reads", True)
        return view
    except Exception as e:  # noqa: BLE001
        count("extract-msg", prefix + "reads", False, str(e)[:200])
        return None


def sample_via_msg(path, mine):
    """(a) A sample decoded to .msg by imsg, the .msg read by extract-msg and olefile, and
    what extract-msg sees compared with what the tools extract from the sample."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.msg")
        imsg("tnef-to-msg", path, out)
        view = readers_check(out, "tnef-to-msg .msg ")
    if view is not None:
        msg_tool_checks(path, as_mine(view, mine["codepage"]), "tnef-to-msg ", "")


# Properties the decoding message sets itself, so the round trip cannot give the
# original's value back: the object's own keys (PR_INSTANCE_KEY, PR_RECORD_KEY), what it
# computes from its contents (PR_ATTACH_SIZE, PR_HASATTACH, PR_DISPLAY_TO/CC/BCC,
# PR_STORE_SUPPORT_MASK), and MSGFLAG_HASATTACH (0x10) of PR_MESSAGE_FLAGS.
COMPUTED = {0x0FF6, 0x0FF9, 0x0E20, 0x0E1B, 0x0E02, 0x0E03, 0x0E04, 0x340D}
PS_INTERNET_HEADERS = "00020386-0000-0000-c000-000000000046:name:"


def dump_props(props):
    """A dump's properties keyed by id (named ones by name; internet-header names match
    without regard to case, as MAPI matches them), 8-bit and Unicode strings as text."""
    out = {}
    for k, v in props.items():
        pid = int(k[2:6], 16)
        if pid in COMPUTED:
            continue
        key = v.get("named") or f"0x{pid:04X}"
        if key.startswith(PS_INTERNET_HEADERS):
            key = key.lower()
        val = {x: y for x, y in v.items() if x not in ("flags", "type", "name", "named")}
        if "value" in val:
            val = {"value": val["value"]}
        if pid == 0x0E07:
            val = {"value": val["value"] & ~0x10}
        out[key] = json.dumps(val, sort_keys=True)
    return out


def walk_dump(m, path, acc):
    acc[path] = dump_props(m["properties"])
    for i, r in enumerate(m.get("recipients", [])):
        acc[f"{path}/recipient {i}"] = dump_props(r["properties"])
    for i, a in enumerate(m.get("attachments", [])):
        acc[f"{path}/attachment {i}"] = dump_props(a["properties"])
        if a.get("embedded_message"):
            walk_dump(a["embedded_message"], f"{path}/attachment {i}/message", acc)
    return acc


def corpus_file(path):
    """(b) A corpus .msg encoded by imsg msg-to-tnef: the tools read the stream (names,
    bytes, subject against extract-msg's view of the original), and our decoder gives
    back every property (imsg tnef-to-msg, both dumped by imsg)."""
    with tempfile.TemporaryDirectory() as d:
        tnef = os.path.join(d, "winmail.dat")
        back = os.path.join(d, "back.msg")
        imsg("msg-to-tnef", path, tnef)
        try:
            view = read_extract_msg(path)
        except Exception:  # noqa: BLE001 - a malformed original: read it leniently
            view = read_extract_msg(path, strict=False)
        mine = as_mine(view, ours(tnef)["codepage"])
        # The subject as the corpus's independent reader decodes it (extract-msg reads an
        # 8-bit subject in cp1252 whatever the message's code page).
        expected = os.path.join(os.path.dirname(os.path.dirname(path)), "expected",
                                os.path.basename(path)[:-4] + ".json")
        if os.path.exists(expected):
            props = json.load(open(expected, encoding="utf-8"))["message"]["properties"]
            # An orphan stream (no entry in the property stream) is no property.
            mine["subject"] = next((v.get("value") for k, v in props.items()
                                    if k in ("0x0037001F", "0x0037001E")
                                    and not v.get("orphan_stream")), None)
        msg_tool_checks(tnef, mine, "msg-to-tnef ")
        imsg("tnef-to-msg", tnef, back)
        before = walk_dump(json.loads(imsg("dump", path))["message"], "message", {})
        after = walk_dump(json.loads(imsg("dump", back))["message"], "message", {})
    missing, different, compared = [], [], 0
    for where, props in before.items():
        got = after.get(where, {})
        for k, v in props.items():
            compared += 1
            if k not in got:
                missing.append(f"{where} {k}")
            elif got[k] != v:
                different.append(f"{where} {k}")
    count("imessage", "msg-to-tnef tnef-to-msg: every property", not missing and not different,
          f"missing {missing[:4]}, different {different[:4]}")
    stats["imessage"]["msg-to-tnef tnef-to-msg: properties compared"] += compared


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
        sample_via_msg(path, mine)
    corpus = sorted(os.path.join(CORPUS, n) for n in os.listdir(CORPUS)
                    if n.endswith(".msg")) if CORPUS else []
    for path in corpus:
        CURRENT[0] = os.path.basename(path)
        print(f"  {CURRENT[0]}")
        corpus_file(path)

    print(f"\ntnef-conformance: {len(FILES)} samples, {len(corpus)} corpus files "
          "(equal/compared; allowed differences "
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
