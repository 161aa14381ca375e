#!/usr/bin/env python3
"""Writer conformance: has each .msg written by `imsg create` read by independent readers.

    run.py WORKDIR SPEC.json...      (each SPEC's file is WORKDIR/<spec name>.msg)

Readers: extract-msg (strict), olefile (every stream), aspose-email-foss (strict),
msgconvert (Debian libemail-outlook-message-perl, to MIME), @kenjiuno/msgreader (Node).
Prints per reader: files, accepted, and each refusal or mismatch with its reason. A
failure listed in allowlist.txt (`reader<TAB>file<TAB>substring of the reason<TAB>why`,
the reader is at fault) or in beyond-spec.txt (same columns: the file is one the test
writes beyond a limit of [MS-OXMSG] on purpose, and the reader enforces that limit) is
accepted and printed; any other makes the exit status 1.
"""
import base64, email, email.policy, email.utils, hashlib, json, os, subprocess, sys, traceback

HERE = os.path.dirname(os.path.abspath(__file__))
# msgconvert's run time grows with the square of the recipients (see allowlist.txt): the
# 2048-recipient file takes about 16 s, the 10,000-recipient one would take about 6 minutes.
MSGCONVERT_TIMEOUT = 60
NODE_PREFIX = os.environ.get("WC_NODE_PREFIX", os.path.join(HERE, "..", "..", "target", "conformance-node"))


# ---------------------------------------------------------------- what the spec says
def _str(props, pid, cp):
    e = props.get("0x%04X001F" % pid)
    if e is not None:
        return e.get("value")
    e = props.get("0x%04X001E" % pid)
    if e is not None:
        return bytes.fromhex(e["hex"]).decode(cp) if "hex" in e else e.get("value")
    return None


def expected(spec_path):
    spec = json.load(open(spec_path, encoding="utf-8"))
    m = spec.get("message", spec)
    return _expected_msg(m, os.path.dirname(spec_path))


def _expected_msg(m, base):
    props = m["properties"]
    cpv = props.get("0x3FFD0003", {}).get("value", 1252)
    cp = "cp%d" % cpv
    out = {"subject": _str(props, 0x0037, cp), "body": _str(props, 0x1000, cp), "codepage": cpv,
           "unicode": "0x0037001F" in props, "recipients": [], "attachments": []}
    # A message written with "rtf"/"rtf_sync" says what its bodies must be after RTFSync:
    # "body" (PR_BODY derived from the RTF), "html" (de-encapsulated from the RTF), "rtf" (a
    # piece the decompressed RTF must contain).
    expect = m.get("expect", {})
    if "body" in expect:
        out["body"] = expect["body"]
    for k in ("html", "rtf"):
        if k in expect:
            out[k] = expect[k]
    for r in m.get("recipients", []):
        rp = r["properties"]
        out["recipients"].append({"name": _str(rp, 0x3001, cp), "email": _str(rp, 0x3003, cp),
                                  "type": rp.get("0x0C150003", {}).get("value", 1)})
    for a in m.get("attachments", []):
        ap = a["properties"]
        method = ap.get("0x37050003", {}).get("value", 1)
        name = _str(ap, 0x3707, cp) or _str(ap, 0x3704, cp) or _str(ap, 0x3001, cp)
        att = {"name": name, "kind": {5: "embedded", 6: "ole"}.get(method, "value"), "data": None}
        d = ap.get("0x37010102")
        if d is not None:
            att["data"] = bytes.fromhex(d["hex"]) if "hex" in d else open(os.path.join(base, d["file"]), "rb").read()
        if "embedded_message" in a:
            att["embedded"] = _expected_msg(a["embedded_message"], base)
            att["display_name"] = _str(ap, 0x3001, cp)
        out["attachments"].append(att)
    return out


# ---------------------------------------------------------------- comparison
def short(v, n=60):
    r = repr(v)
    return r if len(r) <= n else r[:n] + "...(%d chars)" % len(v if isinstance(v, (str, bytes)) else r)


def nl(s):
    """Line ends normalised and trailing white space dropped (MIME transport changes both)."""
    return None if s is None else s.replace("\r\n", "\n").rstrip()


def compare(exp, got, *, body_norm=False, check_types=True, names_of_embedded=True, recipients_names=True,
            with_bcc=True):
    """Mismatches between what the spec says and what a reader saw, as text. `with_bcc`
    False: the reader makes a MIME message, with To: then Cc: and no header for Bcc."""
    bad = []
    if not with_bcc:
        mime_order = sorted((r for r in exp["recipients"] if r["type"] != 3), key=lambda r: r["type"])
        exp = dict(exp, recipients=mime_order)
    if (got.get("subject") or "") != (exp["subject"] or ""):
        bad.append("subject %s != %s" % (short(got.get("subject")), short(exp["subject"])))
    gb, eb = got.get("body") or "", exp["body"] or ""
    if body_norm:
        gb, eb = nl(gb), nl(eb)
    if gb != eb:
        bad.append("body %s != %s" % (short(gb), short(eb)))
    if exp.get("html") is not None and "html" in got:
        gh = (got["html"] or b"").decode("utf-8", "replace").strip() if isinstance(got["html"], bytes) else (got["html"] or "")
        if gh.strip() != exp["html"]:
            bad.append("htmlBody %s != %s" % (short(gh), short(exp["html"])))
    if exp.get("rtf") is not None and "rtf" in got:
        gr_ = got["rtf"] or b""
        if exp["rtf"].encode("latin-1") not in gr_ or not gr_.startswith(b"{\\rtf1"):
            bad.append("rtfBody %s lacks %s" % (short(gr_), short(exp["rtf"])))
    gr = got.get("recipients", [])
    if len(gr) != len(exp["recipients"]):
        bad.append("%d recipients != %d" % (len(gr), len(exp["recipients"])))
    else:
        for i, (g, e) in enumerate(zip(gr, exp["recipients"])):
            if (g.get("email") or "") != (e["email"] or ""):
                bad.append("recipient %d email %s != %s" % (i, short(g.get("email")), short(e["email"])))
            if recipients_names and (g.get("name") or "") != (e["name"] or ""):
                bad.append("recipient %d name %s != %s" % (i, short(g.get("name")), short(e["name"])))
            if check_types and "type" in g and g["type"] != e["type"]:
                bad.append("recipient %d type %s != %s" % (i, g["type"], e["type"]))
            if len(bad) > 5:
                break
    ga = got.get("attachments", [])
    if len(ga) != len(exp["attachments"]):
        bad.append("%d attachments != %d: %s" % (len(ga), len(exp["attachments"]), [a.get("name") for a in ga]))
    else:
        for i, (g, e) in enumerate(zip(ga, exp["attachments"])):
            if e["kind"] != "embedded" or names_of_embedded:
                if (g.get("name") or "") != (e["name"] or ""):
                    bad.append("attachment %d name %s != %s" % (i, short(g.get("name")), short(e["name"])))
            if e["kind"] == "value" and g.get("data") is not None and g["data"] != e["data"]:
                bad.append("attachment %d data: %d bytes sha256 %s != %d bytes sha256 %s" % (
                    i, len(g["data"]), hashlib.sha256(g["data"]).hexdigest()[:12],
                    len(e["data"]), hashlib.sha256(e["data"]).hexdigest()[:12]))
            if e["kind"] == "value" and g.get("data") is None and g.get("data_checked", True):
                bad.append("attachment %d: no data read" % i)
            if e["kind"] == "embedded" and "embedded" in g:
                for b in compare(e["embedded"], g["embedded"], body_norm=body_norm, check_types=check_types,
                                 names_of_embedded=names_of_embedded, recipients_names=recipients_names,
                                 with_bcc=with_bcc):
                    bad.append("attachment %d (embedded): %s" % (i, b))
    return bad


# ---------------------------------------------------------------- readers
def read_extract_msg(path, exp):
    import extract_msg
    from extract_msg.enums import ErrorBehavior

    def conv(m):
        # namedProperties forces the name map to be parsed too.
        _ = m.namedProperties
        out = {"subject": m.subject, "body": m.body, "recipients": [], "attachments": []}
        for r in m.recipients:
            out["recipients"].append({"name": r.name, "email": r.email, "type": int(r.type)})
        for a in m.attachments:
            d = a.data
            g = {"name": getattr(a, "longFilename", None) or getattr(a, "shortFilename", None) or getattr(a, "name", None)}
            if isinstance(d, (bytes, bytearray)):
                g["data"] = bytes(d)
            elif d is not None and hasattr(d, "subject"):
                g["embedded"] = conv(d)
                g["name"] = getattr(a, "longFilename", None) or getattr(a, "shortFilename", None) or getattr(d, "subject", None)
            out["attachments"].append(g)
        return out

    m = extract_msg.openMsg(path, strict=True, errorBehavior=ErrorBehavior.THROW)
    try:
        got = conv(m)
        # The RTF (decompressed by PyPI compressed-rtf) and the HTML de-encapsulated from it
        # (by rtfde), for the messages written with RTF.
        if exp.get("rtf") is not None or exp.get("html") is not None:
            got["rtf"] = m.rtfBody
        if exp.get("html") is not None:
            got["html"] = m.htmlBody
        return got
    finally:
        m.close()


def read_olefile(path, exp):
    import olefile
    # raise_defects=DEFECT_INCORRECT: refuse files with defects olefile classes as incorrect
    # (the default only refuses fatal ones).
    ole = olefile.OleFileIO(path, raise_defects=olefile.DEFECT_INCORRECT)
    try:
        n = 0
        for entry in ole.listdir(streams=True, storages=False):
            size = ole.get_size(entry)
            data = ole.openstream(entry).read()
            if len(data) != size:
                raise ValueError("stream %s: read %d bytes of %d" % ("/".join(entry), len(data), size))
            n += 1
        if ole.parsing_issues:
            raise ValueError("parsing issues: %s" % ole.parsing_issues)
        return {"streams": n}
    finally:
        ole.close()


def read_aspose(path, exp):
    from aspose.email_foss.msg.mapi_message import MapiMessage
    from aspose.email_foss.msg.writer import MsgDocument

    # Strict load of the storage layout, plus the writer-side validation of that layout.
    MsgDocument.from_file(path, strict=True).to_cfb_document()
    m = MapiMessage.from_file(path, strict=True)
    if m.validation_issues:
        raise ValueError("validation issues: %s" % (m.validation_issues,))

    def conv(m):
        out = {"subject": m.subject, "body": m.body, "recipients": [], "attachments": []}
        for r in m.recipients:
            out["recipients"].append({"name": r.display_name, "email": r.email_address, "type": r.recipient_type})
        for a in m.attachments:
            g = {"name": a.filename}
            if a.embedded_message is not None:
                g["embedded"] = conv(a.embedded_message)
                g["name"] = a.filename or a.embedded_message.subject
            elif not a.is_storage_attachment:
                g["data"] = bytes(a.data)
            out["attachments"].append(g)
        return out
    try:
        return conv(m)
    finally:
        m.close()


def read_msgconvert(path, exp):
    eml = path + ".eml"
    r = subprocess.run(["msgconvert", "--outfile", eml, path], capture_output=True, text=True, timeout=MSGCONVERT_TIMEOUT)
    if r.returncode != 0 or not os.path.exists(eml):
        raise RuntimeError("msgconvert exit %d: %s" % (r.returncode, (r.stderr or r.stdout).strip()[-400:]))
    noise = r.stderr.strip()
    msg = email.message_from_binary_file(open(eml, "rb"), policy=email.policy.default)
    out = {"subject": str(msg["Subject"] or ""), "recipients": [], "attachments": []}
    b = msg.get_body(("plain",))
    out["body"] = b.get_content() if b is not None else ""
    for hdr, t in (("To", 1), ("Cc", 2)):
        for name, addr in email.utils.getaddresses([str(v) for v in msg.get_all(hdr, [])]):
            out["recipients"].append({"name": name, "email": addr, "type": t})
    for part in msg.iter_attachments():
        g = {"name": part.get_filename()}
        if part.get_content_type() == "message/rfc822":
            g["embedded_rfc822"] = True
        else:
            g["data"] = part.get_payload(decode=True)
        out["attachments"].append(g)
    if noise:
        out["stderr"] = noise[-300:]
    os.unlink(eml)
    return out


def node_batch(paths):
    env = dict(os.environ, NODE_PATH=os.path.join(NODE_PREFIX, "node_modules"))
    r = subprocess.run(["node", os.path.join(HERE, "read_msgreader.js")] + paths,
                       capture_output=True, text=True, env=env, timeout=1800)
    res = {}
    for line in r.stdout.splitlines():
        d = json.loads(line)
        res[d["file"]] = d
    if r.returncode != 0:
        for p in paths:
            res.setdefault(p, {"ok": False, "error": "node exit %d: %s" % (r.returncode, r.stderr[-400:])})
    return res


# ---------------------------------------------------------------- main
def load_allowlist(file_name, label):
    allow = []
    for line in open(os.path.join(HERE, file_name), encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            sys.exit("%s: needs reader<TAB>file<TAB>reason substring<TAB>why: %r" % (file_name, line))
        allow.append(parts + [label])
    return allow


def main():
    work = sys.argv[1]
    specs = sys.argv[2:]
    allow = load_allowlist("allowlist.txt", "allowed") + load_allowlist("beyond-spec.txt", "beyond")
    used = set()
    cases = []
    for s in specs:
        name = os.path.splitext(os.path.basename(s))[0]
        cases.append((name, os.path.join(work, name + ".msg"), expected(s)))

    def allowed(reader, name, reason):
        for i, (r, f, sub, why, label) in enumerate(allow):
            if r == reader and f in (name, "*") and sub in reason:
                used.add(i)
                return label, why
        return None

    readers = [
        ("extract-msg", read_extract_msg, dict(check_types=True)),
        ("olefile", read_olefile, None),
        ("aspose-email-foss", read_aspose, dict(check_types=True)),
        ("msgconvert", read_msgconvert, dict(body_norm=True, check_types=True, names_of_embedded=False,
                                              with_bcc=False)),
        ("msgreader", None, dict(check_types=False)),
    ]
    node = node_batch([c[1] for c in cases])
    unexplained = 0
    summary = []
    for rname, fn, opts in readers:
        print("\n=== reader %s" % rname)
        accepted = 0
        for name, path, exp in cases:
            problems = []
            try:
                if rname == "msgreader":
                    d = node.get(path, {"ok": False, "error": "no output"})
                    if not d.get("ok"):
                        raise RuntimeError(d.get("error"))
                    rt = {"to": 1, "cc": 2, "bcc": 3}
                    got = {"subject": d["subject"], "body": d["body"],
                           "recipients": [dict(r, type=rt.get(r.get("type"), r.get("type"))) for r in d["recipients"]],
                           "attachments": [{"name": a["name"],
                                            "data": base64.b64decode(a["data_b64"]) if a["data_b64"] is not None else None,
                                            **({"embedded": None} if a["kind"] == "embedded" else {})}
                                           for a in d["attachments"]]}
                    for a in got["attachments"]:
                        if a.get("embedded", 1) is None:
                            del a["embedded"]
                else:
                    got = fn(path, exp)
                if opts is not None:
                    problems = ["mismatch: " + p for p in compare(exp, got, **opts)]
            except Exception as e:
                tb = traceback.extract_tb(e.__traceback__)
                where = "%s:%d" % (os.path.basename(tb[-1].filename), tb[-1].lineno) if tb else ""
                problems = ["refused: %s: %s (at %s)" % (type(e).__name__, str(e)[:400], where)]
            if not problems:
                accepted += 1
                print("  ok       %s" % name)
                continue
            for p in problems:
                hit = allowed(rname, name, p)
                if hit:
                    label, why = hit
                    print("  %-8s %s: %s\n           (%s)" % (label, name, p, why))
                else:
                    unexplained += 1
                    print("  FAIL     %s: %s" % (name, p))
        summary.append((rname, len(cases), accepted))
    print("\n=== summary (files written: %d)" % len(cases))
    for rname, n, acc in summary:
        print("  %-18s written %3d  accepted %3d  not accepted %3d" % (rname, n, acc, n - acc))
    names = {c[0] for c in cases}
    for i, (r, f, sub, why, label) in enumerate(allow):
        if i not in used and f in names | {"*"}:
            print("  note: allowlist line not used: %s %s %s" % (r, f, sub))
    if unexplained:
        print("\n%d unexplained failure(s)" % unexplained)
        sys.exit(1)
    print("\nwriter conformance: no unexplained failures")


if __name__ == "__main__":
    main()
