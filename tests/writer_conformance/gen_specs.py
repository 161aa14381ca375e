#!/usr/bin/env python3
"""Writes the writer-conformance specs (the JSON shape `imsg create` reads).

    gen_specs.py OUTDIR [--large]

Without --large: the small specs, checked in as tests/writer_conformance/specs/.
With --large: the two big ones (10,000 recipients; a 5 MB body and a 3 MB attachment),
generated at run time into OUTDIR instead of being checked in.
"""
import json, os, sys

PS_PUBLIC_STRINGS = "00020329-0000-0000-c000-000000000046"
PSETID_COMMON = "00062008-0000-0000-c000-000000000046"


def p(tag, **kw):
    return tag, kw


def props(*items):
    return {t: kw for t, kw in items}


def uni(tag_id, s):
    return p("0x%04X001F" % tag_id, value=s)


def a8(tag_id, s, cp="cp1252"):
    return p("0x%04X001E" % tag_id, hex=s.encode(cp).hex())


def base_message(subject, body, unicode=True, cp="cp1252"):
    s = uni if unicode else (lambda i, v: a8(i, v, cp))
    items = [
        s(0x001A, "IPM.Note"),
        s(0x0037, subject),
        s(0x1000, body),
        s(0x0C1A, "Writer Conformance"),       # PR_SENDER_NAME
        s(0x0C1F, "writer@example.org"),       # PR_SENDER_EMAIL_ADDRESS
        s(0x0C1E, "SMTP"),                     # PR_SENDER_ADDRTYPE
        p("0x0E070003", value=1),              # PR_MESSAGE_FLAGS: read
        p("0x00390040", value="2024-05-01T12:00:00Z"),   # PR_CLIENT_SUBMIT_TIME
        p("0x0E060040", value="2024-05-01T12:00:05Z"),   # PR_MESSAGE_DELIVERY_TIME
    ]
    if not unicode:
        items.append(p("0x3FFD0003", value=1252 if cp == "cp1252" else int(cp[2:])))
        items.append(p("0x340D0003", value=0x00000001))  # PR_STORE_SUPPORT_MASK without STORE_UNICODE_OK
    return props(*items)


def recipient(i, name, email, rtype=1, unicode=True):
    s = uni if unicode else a8
    return {"storage": "__recip_version1.0_#%08X" % i, "properties": props(
        p("0x0C150003", value=rtype), s(0x3001, name), s(0x3003, email), s(0x3002, "SMTP"),
        s(0x39FE, email), s(0x3A20, name))}


def by_value(i, name, data_hex=None, file=None, mime="application/octet-stream", unicode=True):
    s = uni if unicode else a8
    data = {"hex": data_hex} if file is None else {"file": file}
    ext = os.path.splitext(name)[1]
    return {"storage": "__attach_version1.0_#%08X" % i, "properties": props(
        p("0x37050003", value=1), s(0x3707, name), s(0x3704, name[:8] + ext if len(name) > 12 else name),
        s(0x3001, name), s(0x3703, ext), s(0x370E, mime), p("0x37010102", **data),
        p("0x7FFE000B", value=False))}


def embedded(i, name, msg):
    return {"storage": "__attach_version1.0_#%08X" % i, "properties": props(
        p("0x37050003", value=5), uni(0x3001, name), p("0x3701000D")),
        "embedded_message": msg}


def ole(i, name):
    # A minimal OLE1-style embedded object: \x01Ole stream plus a CONTENTS stream.
    ole_stream = bytes.fromhex("0100000200000000000000000000000000000000")
    return {"storage": "__attach_version1.0_#%08X" % i, "properties": props(
        p("0x37050003", value=6), uni(0x3001, name), uni(0x3704, name), uni(0x3707, name),
        p("0x3701000D"), p("0x37020102", hex=""),   # PR_ATTACH_ENCODING: empty
        p("0x37090102", hex="0100090000030000000000000000")),  # PR_ATTACH_RENDERING
        "object_storage": {"clsid": "00020906-0000-0000-c000-000000000046", "entries": {
            "\u0001Ole": {"hex": ole_stream.hex()},
            "CONTENTS": {"hex": b"OLE object payload".hex()},
            "\u0001CompObj": {"hex": bytes(28).hex()}}}}


def msg(properties, recipients=(), attachments=()):
    return {"message": {"properties": properties, "recipients": list(recipients),
                        "attachments": list(attachments)}}


def small():
    out = {}
    # 1. Unicode, plain, one recipient, one attachment.
    m = base_message("Unicode: Grüße, Привет, 你好, 🙂", "Body with ünïcödé ✓\r\nsecond line\r\n")
    out["unicode_basic"] = msg(m, [recipient(0, "Zoë Ünicode", "zoe@example.org")],
                               [by_value(0, "résumé.txt", "héllo wörld\n".encode().hex(), mime="text/plain")])
    # 2. ANSI (cp1252) with 8-bit strings.
    m = base_message("ANSI: café naïve £5 – €", "Body in cp1252: déjà vu, señor\r\n", unicode=False)
    out["ansi_cp1252"] = msg(m, [recipient(0, "José Müller", "jose@example.org", unicode=False),
                                 recipient(1, "Ann Cc", "ann@example.org", rtype=2, unicode=False)],
                             [by_value(0, "naïve.bin", "000102fffe", unicode=False)])
    # 3. Every property type (unicode message).
    m = base_message("Every property type", "All PT_* values on the message.")
    m.update(props(
        p("0x66000002", value=-1234),                     # PT_I2
        p("0x66010003", value=-123456789),                # PT_LONG
        p("0x66020004", value=1.5),                       # PT_R4
        p("0x66030005", value=3.141592653589793),         # PT_DOUBLE
        p("0x66040006", value=123456789012),              # PT_CURRENCY (scaled by 10000)
        p("0x66050007", value=45000.25),                  # PT_APPTIME
        p("0x6606000B", value=True),                      # PT_BOOLEAN
        p("0x66070014", value=-9007199254740993),         # PT_I8
        p("0x6608001E", hex="414e5349"),                  # PT_STRING8
        p("0x6609001F", value="unicode ✓"),               # PT_UNICODE
        p("0x660A0040", value="1999-12-31T23:59:59.1234567Z"),  # PT_SYSTIME
        p("0x660B0048", value="01234567-89ab-cdef-0123-456789abcdef"),  # PT_CLSID
        p("0x660C0102", hex="deadbeef00"),                # PT_BINARY
        p("0x660D1002", values=[1, -2, 3]),               # PT_MV_I2
        p("0x660E1003", values=[10, -20, 30]),            # PT_MV_LONG
        p("0x660F1004", values=[0.5, -0.25]),             # PT_MV_R4
        p("0x66101005", values=[1e300, -2.5]),            # PT_MV_DOUBLE
        p("0x66111006", values=[1, 20000]),               # PT_MV_CURRENCY
        p("0x66121007", values=[1.25, 2.5]),              # PT_MV_APPTIME
        p("0x66131014", values=[1, -1, 2**40]),           # PT_MV_I8
        p("0x6614101F", values=["one", "zwei", "三", ""]),  # PT_MV_UNICODE
        p("0x66151040", values=["2001-01-01T00:00:00Z", "2030-06-15T08:30:00Z"]),  # PT_MV_SYSTIME
        p("0x66161048", values=["00020329-0000-0000-c000-000000000046", "00062008-0000-0000-c000-000000000046"]),
        p("0x66171102", values=["00", "", "0102030405"]),  # PT_MV_BINARY
        p("0x6618101E", values=["ascii one", "ascii two"]),  # PT_MV_STRING8 (set as Unicode by imsg)
        p("0x66190005", value="nan"),
        p("0x661A0005", value="-inf"),
    ))
    out["all_types"] = msg(m, [recipient(0, "Types Reader", "types@example.org")])
    # 4. Named properties: string and numeric names in several property sets.
    m = base_message("Named properties", "Named properties, string and numeric.")
    m.update(props(
        p("0x8000001F", named=PS_PUBLIC_STRINGS + ":name:Keywords-ish", value="kw"),
        p("0x80010003", named=PS_PUBLIC_STRINGS + ":name:X-Custom-Number", value=42),
        p("0x8002000B", named=PSETID_COMMON + ":id:0x00008506", value=False),   # PidLidPrivate
        p("0x8003001F", named=PSETID_COMMON + ":id:0x000085A0", value="common"),
        p("0x80040102", named="11111111-2222-3333-4444-555555555555:name:Ünïcode name", hex="0a0b"),
        p("0x8005101F", named=PS_PUBLIC_STRINGS + ":name:Keywords", values=["red", "green"]),
    ))
    out["named_props"] = msg(m, [recipient(0, "Named Reader", "named@example.org")])
    # 5. Attachments: by value (several, one empty), embedded two levels, OLE.
    inner2 = msg(base_message("Level 2 embedded", "Innermost body."),
                 [recipient(0, "Deep Reader", "deep@example.org")],
                 [by_value(0, "deep.txt", b"deepest data".hex(), mime="text/plain")])["message"]
    inner1 = msg(base_message("Level 1 embedded", "Middle body."),
                 [recipient(0, "Middle Reader", "middle@example.org")],
                 [by_value(0, "middle.bin", "cafebabe"), embedded(1, "Level 2 embedded", inner2)])["message"]
    m = base_message("Attachments of every kind", "By value, embedded (nested), OLE.")
    out["attachments"] = msg(m, [recipient(0, "Attach Reader", "attach@example.org")], [
        by_value(0, "hello.txt", b"Hello, attachment!\r\n".hex(), mime="text/plain"),
        by_value(1, "binary.dat", bytes(range(256)).hex() * 40),   # 10 KiB: stream in big sectors
        by_value(2, "empty.dat", ""),
        embedded(3, "Level 1 embedded", inner1),
        ole(4, "ole-object.doc"),
    ])
    # 6. Empty strings and empty binaries.
    m = base_message("", "")
    m.update(props(p("0x66200102", hex=""), uni(0x6621, ""), p("0x6622001E", hex="")))
    # (Multi-valued properties with no values: the library refuses them in SetProps,
    # MAPI_E_INVALID_PARAMETER, so they are not part of this set.)
    out["empty_values"] = msg(m, [recipient(0, "", "empty@example.org")],
                              [by_value(0, "empty.txt", "", mime="text/plain")])
    # 7. No recipients, no attachments.
    out["bare"] = msg(base_message("Bare message", "No recipients, no attachments."))
    # 8. ANSI in another code page (cp1251).
    m = base_message("Кириллица в cp1251", "Тело письма.\r\n", unicode=False, cp="cp1251")
    out["ansi_cp1251"] = msg(m, [{"storage": "__recip_version1.0_#00000000", "properties": props(
                                     p("0x0C150003", value=1), a8(0x3001, "Иван Петров", "cp1251"),
                                     a8(0x3003, "ivan@example.org", "cp1251"), a8(0x3002, "SMTP"))}])
    # 9. A plain body made into RTF by RTFSync(RTF_SYNC_BODY_CHANGED).
    text = "Hello from RTFSync.\r\nSecond line: \u00fcn\u00efc\u00f6d\u00e9 \u2713 {braces} \\ back\r\n"
    m = msg(base_message("RTFSync from the body", text))
    m["message"]["rtf_sync"] = 2
    m["message"]["expect"] = {"rtf": "\\fromtext"}
    out["rtf_sync_body"] = m
    # 10. HTML encapsulated in RTF, written through WrapCompressedRTFStream(MAPI_MODIFY);
    # RTFSync(RTF_SYNC_RTF_CHANGED) derives PR_BODY from it.
    m = base_message("RTFSync from HTML in RTF", "")
    del m["0x1000001F"]
    m = msg(m)
    m["message"]["rtf"] = (
        "{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}\r\n"
        "{\\*\\htmltag64}{\\*\\htmltag2 <html>}{\\*\\htmltag50 <body>}"
        "{\\*\\htmltag64 <p>}\\htmlrtf {\\htmlrtf0 Caf\\'e9 in HTML \\htmlrtf }\\htmlrtf0 "
        "{\\*\\htmltag84 <b>}\\htmlrtf {\\b\\htmlrtf0 bold\\htmlrtf }\\htmlrtf0 "
        "{\\*\\htmltag92 </b>}{\\*\\htmltag72 </p>}{\\*\\htmltag58 </body>}"
        "{\\*\\htmltag27 </html>}}")
    m["message"]["rtf_sync"] = 1
    m["message"]["expect"] = {"body": "Caf\u00e9 in HTML bold",
                              "html": "<html><body><p>Caf\u00e9 in HTML <b>bold</b></p></body></html>"}
    out["rtf_sync_html"] = m
    return out


def large(outdir):
    out = {}
    m = base_message("Ten thousand recipients", "10,000 recipients.")
    recips = [recipient(i, "Recipient %05d" % i, "r%05d@example.org" % i, rtype=(1, 2, 3)[i % 3])
              for i in range(10000)]
    out["recipients_10000"] = msg(m, recips)
    # [MS-OXMSG] 2.2.1 allows at most 2048 recipient storages: every reader must take these.
    m = base_message("2048 recipients", "The most recipients [MS-OXMSG] allows.")
    out["recipients_2048"] = msg(m, recips[:2048])
    line = "Large body line: the quick brown fox jumps over the lazy dog — ✓ ünï.\r\n"
    body = (line * (5 * 1024 * 1024 // len(line.encode("utf-16-le")) + 1))
    m = base_message("Large body (5 MB as UTF-16)", body)
    blob = os.path.join(outdir, "large_attachment.bin")
    with open(blob, "wb") as f:
        f.write(bytes((i * 7 + (i >> 11)) & 0xFF for i in range(3 * 1024 * 1024)))
    out["large_body"] = msg(m, [recipient(0, "Large Reader", "large@example.org")],
                            [by_value(0, "large_attachment.bin", file="large_attachment.bin")])
    return out


if __name__ == "__main__":
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    specs = large(outdir) if "--large" in sys.argv else small()
    for name, spec in specs.items():
        with open(os.path.join(outdir, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(spec, f, ensure_ascii=False, indent=1 if "--large" not in sys.argv else None, sort_keys=True)
            f.write("\n")
