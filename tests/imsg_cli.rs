//! The `imsg` command line without the corpus: usage and errors, `create` with every
//! property type read back by `dump`, 8-bit messages, and `attachments` writing data and
//! standalone `.msg` files (checked with the `cfb` crate, independently of the library).

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn imsg<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_imsg"))
        .args(args)
        .output()
        .expect("imsg runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn dump(path: &Path) -> Value {
    let o = imsg(&[Path::new("dump"), path]);
    assert!(
        o.status.success(),
        "dump {}: {}",
        path.display(),
        stderr(&o)
    );
    serde_json::from_slice(&o.stdout).expect("dump prints JSON")
}

fn create(spec: &Value, dir: &Path, name: &str) -> (std::path::PathBuf, String) {
    let spec_path = dir.join(format!("{name}.json"));
    std::fs::write(&spec_path, serde_json::to_vec_pretty(spec).unwrap()).unwrap();
    let out = dir.join(format!("{name}.msg"));
    let o = imsg(&[Path::new("create"), &spec_path, &out]);
    assert!(o.status.success(), "create: {}", stderr(&o));
    (out, stderr(&o))
}

/// Values over 4096 bytes come back as sha256 + len.
fn big_binary(e: &Value) -> bool {
    e["len"].as_u64().is_some_and(|n| n > 4096)
}

/// A binary as the corpus dumps write it: `hex` and `len`, or `sha256` and `len` above 4096
/// bytes (given here as `hex`).
fn assert_binary(want: &Value, got: &Value, at: &str) {
    assert_eq!(got["len"], want["len"], "{at} len");
    if big_binary(want) {
        assert_eq!(
            got["sha256"].as_str().map(str::len),
            Some(64),
            "{at} sha256"
        );
        assert!(got.get("hex").is_none(), "{at}: {got}");
    } else {
        assert_eq!(got, want, "{at}");
    }
}

/// Every entry of `spec` (object with `properties`, `recipients`, `attachments`,
/// `embedded_message`) is in `got` with the same fields (`file`, and `hex` of large
/// values, aside).
fn assert_contains(spec: &Value, got: &Value, at: &str) {
    for (tag, e) in spec["properties"].as_object().into_iter().flatten() {
        let g = &got["properties"][tag];
        assert!(g.is_object(), "{at}/{tag} missing in {got}");
        for (k, v) in e.as_object().unwrap() {
            if k == "values" && v.as_array().is_some_and(|l| l.iter().all(Value::is_object)) {
                // Multi-valued binaries: each value in the shape of a single binary.
                let (want, have) = (v.as_array().unwrap(), g[k].as_array().unwrap());
                assert_eq!(want.len(), have.len(), "{at}/{tag} values");
                for (i, (w, h)) in want.iter().zip(have).enumerate() {
                    assert_binary(w, h, &format!("{at}/{tag} values[{i}]"));
                }
            } else if k != "file" && !(big_binary(e) && k == "hex") {
                assert_eq!(&g[k], v, "{at}/{tag} {k}");
            }
        }
    }
    for list in ["recipients", "attachments"] {
        for (i, s) in spec[list].as_array().into_iter().flatten().enumerate() {
            let g = &got[list][i];
            assert_contains(s, g, &format!("{at}/{list}[{i}]"));
            if let Some(e) = s.get("embedded_message") {
                assert_contains(
                    e,
                    &g["embedded_message"],
                    &format!("{at}/{list}[{i}]/embedded"),
                );
            }
        }
    }
}

#[test]
fn help_usage_and_exit_status() {
    let o = imsg(&["--help"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("imsg dump"));
    for cmd in ["dump", "create", "attachments"] {
        let o = imsg(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd} --help");
        assert!(String::from_utf8_lossy(&o.stdout).starts_with(&format!("Usage: imsg {cmd}")));
        let h = imsg(&["help", cmd]);
        assert_eq!(h.stdout, o.stdout);
    }
    for bad in [
        &[][..],
        &["nonsense"][..],
        &["dump"][..],
        &["dump", "--bogus", "x"][..],
    ] {
        let o = imsg(bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(stderr(&o).starts_with("imsg: "), "{bad:?}");
    }
}

#[test]
fn unreadable_files_give_a_message_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("text.msg");
    std::fs::write(&text, b"not a compound file at all, just some text").unwrap();
    let truncated = dir.path().join("truncated.msg");
    let mut head = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    head.resize(600, 0);
    std::fs::write(&truncated, head).unwrap();
    let missing = dir.path().join("missing.msg");
    for (path, says) in [
        (&text, "not a compound file"),
        (&truncated, "StgOpenStorage failed"),
        (&missing, "No such file"),
        (&dir.path().to_path_buf(), "directory"),
    ] {
        for args in [
            vec![Path::new("dump"), path.as_path()],
            vec![Path::new("attachments"), path.as_path(), dir.path()],
        ] {
            let o = imsg(&args);
            assert_eq!(o.status.code(), Some(1), "{args:?}");
            assert!(o.stdout.is_empty(), "{args:?}");
            assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        }
    }
    let bad_json = dir.path().join("bad.json");
    std::fs::write(&bad_json, b"{ nope").unwrap();
    let o = imsg(&[Path::new("create"), &bad_json, &dir.path().join("x.msg")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not valid JSON"), "{}", stderr(&o));
}

fn every_type_spec() -> Value {
    json!({
        "message": {
            "properties": {
                "0x001A001F": {"type": "PtypString", "value": "IPM.Note"},
                "0x0037001F": {"type": "PtypString", "value": "Every type ✓ 日本語", "flags": 6},
                "0x66000002": {"type": "PtypInteger16", "value": -12},
                "0x66010003": {"type": "PtypInteger32", "value": -123456},
                "0x66020004": {"type": "PtypFloating32", "value": 1.5},
                "0x66030005": {"type": "PtypFloating64", "value": 0.1},
                "0x66040006": {"type": "PtypCurrency", "value": -12345678901i64},
                "0x66050007": {"type": "PtypFloatingTime", "value": 45000.25},
                "0x6607000B": {"type": "PtypBoolean", "value": true},
                "0x66080014": {"type": "PtypInteger64", "value": -9007199254740993i64},
                "0x66090040": {"type": "PtypTime", "value": "2024-02-29T12:34:56.1234567Z"},
                "0x660A0048": {"type": "PtypGuid", "value": "00062008-0000-0000-c000-000000000046"},
                "0x660B0102": {"type": "PtypBinary", "hex": "00ff10", "len": 3},
                "0x660C0102": {"type": "PtypBinary", "hex": "ab".repeat(5000), "len": 5000},
                "0x660D0102": {"type": "PtypBinary", "hex": "", "len": 0},
                "0x660E001F": {"type": "PtypString", "value": ""},
                "0x660F0005": {"type": "PtypFloating64", "value": "nan"},
                "0x66100005": {"type": "PtypFloating64", "value": "-inf"},
                "0x66111002": {"type": "PtypMultipleInteger16", "values": [1, -2]},
                "0x66121003": {"type": "PtypMultipleInteger32", "values": [1, 2, 3]},
                "0x66131004": {"type": "PtypMultipleFloating32", "values": [0.5, -1.25]},
                "0x66141005": {"type": "PtypMultipleFloating64", "values": [1e-05, 1e16]},
                "0x66151006": {"type": "PtypMultipleCurrency", "values": [10000]},
                "0x66161007": {"type": "PtypMultipleFloatingTime", "values": [1.5]},
                "0x66171014": {"type": "PtypMultipleInteger64", "values": [1, -1]},
                "0x6618101F": {"type": "PtypMultipleString", "values": ["a", "", "ü"]},
                "0x66191040": {"type": "PtypMultipleTime", "values": ["2001-01-01T00:00:00Z", "1601-01-01T00:00:00.0000001Z"]},
                "0x661A1048": {"type": "PtypMultipleGuid", "values": ["00020329-0000-0000-c000-000000000046"]},
                "0x661B1102": {"type": "PtypMultipleBinary", "values": [
                    {"hex": "0102", "len": 2}, {"hex": "", "len": 0},
                    {"hex": "cd".repeat(5000), "len": 5000}]},
                "0x8000001F": {"type": "PtypString", "value": "named by id",
                               "named": "00062008-0000-0000-c000-000000000046:id:0x00008520"},
                "0x80010003": {"type": "PtypInteger32", "value": 7,
                               "named": "00020329-0000-0000-c000-000000000046:name:MyName"}
            },
            "recipients": [
                {"storage": "__recip_version1.0_#00000000", "properties": {
                    "0x0C150003": {"type": "PtypInteger32", "value": 1},
                    "0x3001001F": {"type": "PtypString", "value": "Ann"},
                    "0x3003001F": {"type": "PtypString", "value": "ann@example.com"}}},
                {"storage": "__recip_version1.0_#00000001", "properties": {
                    "0x0C150003": {"type": "PtypInteger32", "value": 2},
                    "0x3001001F": {"type": "PtypString", "value": "Bob"}}}
            ],
            "attachments": [
                {"storage": "__attach_version1.0_#00000000", "properties": {
                    "0x37050003": {"type": "PtypInteger32", "value": 1},
                    "0x3707001F": {"type": "PtypString", "value": "data.bin"},
                    "0x37010102": {"type": "PtypBinary", "file": "data.bin"}}},
                {"storage": "__attach_version1.0_#00000001", "properties": {
                    "0x37050003": {"type": "PtypInteger32", "value": 5},
                    "0x3001001F": {"type": "PtypString", "value": "inner"}},
                 "embedded_message": {
                    "properties": {
                        "0x0037001F": {"type": "PtypString", "value": "inner subject"},
                        "0x8000001F": {"type": "PtypString", "value": "inner named"}},
                    "recipients": [{"storage": "__recip_version1.0_#00000000", "properties": {
                        "0x0C150003": {"type": "PtypInteger32", "value": 1},
                        "0x3001001F": {"type": "PtypString", "value": "Carol"}}}],
                    "attachments": [{"storage": "__attach_version1.0_#00000000", "properties": {
                        "0x37050003": {"type": "PtypInteger32", "value": 5}},
                        "embedded_message": {"properties": {
                            "0x0037001F": {"type": "PtypString", "value": "innermost"}}}}]}}
            ]
        },
        "named_properties": {"entries": [
            {"entry": 0, "prop_id": "0x8000", "guid": "00062008-0000-0000-c000-000000000046", "kind": "id", "id": "0x00008520"},
            {"entry": 1, "prop_id": "0x8001", "guid": "00020329-0000-0000-c000-000000000046", "kind": "name", "name": "MyName"}
        ]}
    })
}

#[test]
fn create_takes_every_property_type_and_dump_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(dir.path().join("data.bin"), &data).unwrap();
    let spec = every_type_spec();
    let (msg, notes) = create(&spec, dir.path(), "every");
    assert!(notes.is_empty(), "create notes: {notes}");
    let got = dump(&msg);
    assert_contains(&spec["message"], &got["message"], "");
    // Named properties keep their ids (created in entry order) and names.
    assert_eq!(
        got["named_properties"]["entries"],
        spec["named_properties"]["entries"]
    );
    assert_eq!(
        got["named_properties"]["guids"],
        json!(["00062008-0000-0000-c000-000000000046"])
    );
    // Large values come back as sha256 + len, attachment data always.
    let att = &got["message"]["attachments"][0]["properties"]["0x37010102"];
    assert_eq!(att["len"], 70_000);
    assert_eq!(att["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(got["message"]["properties"]["0x660C0102"]["len"], 5000);
    assert!(
        got["message"]["properties"]["0x660C0102"]
            .get("hex")
            .is_none()
    );
    assert_eq!(
        got["cfb"]["root_clsid"],
        "00020d0b-0000-0000-c000-000000000046"
    );
    // The dump is the shape's text: sorted keys, one-space indent, final newline.
    let text = imsg(&[Path::new("dump"), &msg]).stdout;
    assert!(text.starts_with(b"{\n \"cfb\": {\n  \"major_version\": 3,\n"));
    assert!(text.ends_with(b"\n}\n"));

    // dump --save-data, then create --data, then dump again: the same text.
    let saved = dir.path().join("saved");
    let first = imsg(&[Path::new("dump"), Path::new("--save-data"), &saved, &msg]);
    assert!(first.status.success());
    std::fs::write(dir.path().join("again.json"), &first.stdout).unwrap();
    let again = dir.path().join("again.msg");
    let o = imsg(&[
        Path::new("create"),
        Path::new("--data"),
        &saved,
        &dir.path().join("again.json"),
        &again,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let second = imsg(&[Path::new("dump"), &again]);
    let (a, b): (Value, Value) = (
        serde_json::from_slice(&first.stdout).unwrap(),
        serde_json::from_slice(&second.stdout).unwrap(),
    );
    // Attachments get fresh PR_RECORD_KEYs, which PR_ATTACH_SIZE counts.
    let strip = |mut v: Value| {
        fn walk(m: &mut Value) {
            for a in m["attachments"].as_array_mut().into_iter().flatten() {
                let p = a["properties"].as_object_mut().unwrap();
                p.remove("0x0FF90102");
                p.remove("0x0E200003");
                if let Some(e) = a.get_mut("embedded_message") {
                    walk(e);
                }
            }
        }
        walk(&mut v["message"]);
        v
    };
    assert_eq!(strip(a), strip(b));

    // Without the saved data, a value given by sha256 only is reported, not invented.
    let o = imsg(&[
        Path::new("create"),
        &dir.path().join("again.json"),
        &dir.path().join("nodata.msg"),
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("--data"), "{}", stderr(&o));
}

#[test]
fn eight_bit_messages_keep_their_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // "Grüßå" in code page 1252, and an 8-bit multi-valued string given as text.
    let spec = json!({"message": {"properties": {
        "0x001A001E": {"type": "PtypString8", "hex": "49504d2e4e6f7465"},
        "0x0037001E": {"type": "PtypString8", "hex": "4772fc dfe5".replace(' ', "")},
        "0x3FFD0003": {"type": "PtypInteger32", "value": 1252},
        "0x6600101E": {"type": "PtypMultipleString8", "values": ["één", "two"]}
    }}});
    let (msg, notes) = create(&spec, dir.path(), "ansi");
    assert!(notes.is_empty(), "{notes}");
    let got = dump(&msg);
    let p = &got["message"]["properties"];
    assert_eq!(p["0x0037001E"]["hex"], "4772fcdfe5");
    assert_eq!(p["0x0037001E"]["value"], "Grüßå");
    assert_eq!(p["0x0037001E"]["codepage"], 1252);
    assert_eq!(p["0x6600101E"]["values"], json!(["één", "two"]));
    assert_eq!(
        got["message"]["string8_codepage"],
        json!({"codepage": 1252, "source": "PidTagMessageCodepage"})
    );
    assert!(
        p.get("0x0037001F").is_none(),
        "an 8-bit file lists 8-bit strings"
    );
}

/// The property stream of `stream_path` in a compound file: its length.
fn stream_len(file: &Path, stream_path: &str) -> u64 {
    let comp = cfb::open(file).expect("a compound file");
    comp.entry(stream_path).expect("the stream exists").len()
}

#[test]
fn attachments_writes_data_and_standalone_messages() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 256) as u8).collect();
    std::fs::write(dir.path().join("data.bin"), &data).unwrap();
    let spec = every_type_spec();
    let (msg, _) = create(&spec, dir.path(), "outer");
    let out = dir.path().join("out");
    let o = imsg(&[Path::new("attachments"), &msg, &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listing = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(listing.contains("0\tdata\t"), "{listing}");
    assert!(listing.contains("1\tembedded message\t"), "{listing}");
    assert_eq!(std::fs::read(out.join("data.bin")).unwrap(), data);

    let standalone = out.join("inner.msg");
    // A top-level property stream: 32-byte header, then 16-byte entries; and its own
    // named-property map.
    let len = stream_len(&standalone, "/__properties_version1.0");
    assert_eq!((len - 32) % 16, 0, "root property stream of {len} bytes");
    let nested = stream_len(
        &standalone,
        "/__attach_version1.0_#00000000/__substg1.0_3701000D/__properties_version1.0",
    );
    assert_eq!(
        (nested - 24) % 16,
        0,
        "embedded property stream of {nested} bytes"
    );
    let comp = cfb::open(&standalone).unwrap();
    assert!(comp.is_storage("/__nameid_version1.0"));
    drop(comp);

    let got = dump(&standalone);
    let inner_spec = &spec["message"]["attachments"][1]["embedded_message"];
    assert_contains(inner_spec, &got["message"], "");
    assert_eq!(
        got["message"]["properties"]["0x8000001F"]["named"],
        "00062008-0000-0000-c000-000000000046:id:0x00008520"
    );
    assert_eq!(got["message"]["header"]["attachment_count"], 1);
    assert_eq!(got["message"]["header"]["recipient_count"], 1);
    // Unicode: the new root says so.
    assert_eq!(
        got["message"]["properties"]["0x340D0003"]["value"]
            .as_i64()
            .unwrap()
            & 0x0004_0000,
        0x0004_0000
    );

    // A second run does not overwrite: names are made unique.
    let o = imsg(&[Path::new("attachments"), &msg, &out]);
    assert!(o.status.success());
    assert!(out.join("data (2).bin").exists());
    assert!(out.join("inner (2).msg").exists());
}

#[test]
fn ole_attachments_keep_their_storage() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let contents: Vec<u8> = (0..6000u32).map(|i| (i % 253) as u8).collect();
    let hex: String = contents.iter().map(|b| format!("{b:02x}")).collect();
    let spec = json!({"message": {"properties": {
            "0x001A001F": {"type": "PtypString", "value": "IPM.Note"},
            "0x0037001F": {"type": "PtypString", "value": "with an OLE object"}},
        "attachments": [{"storage": "__attach_version1.0_#00000000",
            "properties": {
                "0x37050003": {"type": "PtypInteger32", "value": 6},
                "0x3707001F": {"type": "PtypString", "value": "object.doc"}},
            "object_storage": {"clsid": "00020906-0000-0000-c000-000000000046", "entries": {
                "CONTENTS": {"hex": hex},
                "\u{1}Ole": {"hex": "0100000200000000"},
                "ObjectPool/": {"clsid": ""},
                "ObjectPool/Item": {"hex": "2a"}}}}]}});
    let (msg, notes) = create(&spec, dir.path(), "ole");
    assert!(notes.is_empty(), "{notes}");
    let got = dump(&msg);
    let obj = &got["message"]["attachments"][0]["object_storage"];
    assert_eq!(obj["clsid"], "00020906-0000-0000-c000-000000000046");
    let sha = |b: &[u8]| -> String {
        Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    };
    assert_eq!(
        obj["entries"]["CONTENTS"],
        json!({"len": 6000, "sha256": sha(&contents)})
    );
    assert_eq!(obj["entries"]["ObjectPool/"], json!({"clsid": ""}));
    assert_eq!(obj["entries"]["ObjectPool/Item"]["len"], 1);

    let out = dir.path().join("out");
    let o = imsg(&[Path::new("attachments"), &msg, &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("0\tOLE object\t"));
    let mut comp = cfb::open(out.join("object.doc")).expect("the OLE object as a compound file");
    assert_eq!(
        comp.root_entry().clsid().to_string().to_lowercase(),
        "00020906-0000-0000-c000-000000000046"
    );
    let mut data = Vec::new();
    use std::io::Read;
    comp.open_stream("/CONTENTS")
        .unwrap()
        .read_to_end(&mut data)
        .unwrap();
    assert_eq!(data, contents);
    assert!(comp.is_storage("/ObjectPool"));
}

#[test]
fn create_warns_of_a_missing_message_class() {
    let dir = tempfile::tempdir().unwrap();
    let without = json!({"message": {"properties": {
        "0x0037001F": {"type": "PtypString", "value": "no class"}}}});
    let (msg, notes) = create(&without, dir.path(), "noclass");
    assert!(notes.contains("PR_MESSAGE_CLASS"), "{notes}");
    assert!(notes.contains("extract-msg"), "{notes}");
    // What the caller set is written, nothing more.
    let got = dump(&msg);
    assert!(
        got["message"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !k.starts_with("0x001A")),
        "{got}"
    );
    // An 8-bit class counts as one.
    let with = json!({"message": {"properties": {
        "0x001A001E": {"type": "PtypString8", "value": "IPM.Note", "hex": "49504d2e4e6f7465"}}}});
    let (_, notes) = create(&with, dir.path(), "class8");
    assert!(notes.is_empty(), "{notes}");
}

#[test]
fn recipients_keep_their_keys_and_new_ones_store_an_instance_key() {
    let dir = tempfile::tempdir().unwrap();
    let spec = json!({"message": {
    "properties": {"0x001A001F": {"type": "PtypString", "value": "IPM.Note"}},
    "recipients": [
        {"properties": {
            "0x0C150003": {"type": "PtypInteger32", "value": 1},
            "0x3001001F": {"type": "PtypString", "value": "Ann"},
            "0x0FF60102": {"type": "PtypBinary", "hex": "3ab72800", "len": 4, "flags": 6},
            "0x0FF90102": {"type": "PtypBinary", "hex": "0102030405", "len": 5, "flags": 6}}},
        {"properties": {
            "0x0C150003": {"type": "PtypInteger32", "value": 2},
            "0x3001001F": {"type": "PtypString", "value": "Bob"}}}
    ]}});
    let (msg, notes) = create(&spec, dir.path(), "keys");
    assert!(notes.is_empty(), "{notes}");
    let got = dump(&msg);
    let rows = got["message"]["recipients"].as_array().unwrap();
    let ann = &rows[0]["properties"];
    assert_eq!(ann["0x0FF60102"]["hex"], "3ab72800");
    assert_eq!(ann["0x0FF60102"]["flags"], 6, "stored: {ann}");
    assert_eq!(ann["0x0FF90102"]["hex"], "0102030405");
    // Bob gave none: his storage holds one, as Outlook's recipients do, and PR_ROWID.
    let bob = &rows[1]["properties"];
    assert_eq!(bob["0x0FF60102"]["flags"], 6, "stored: {bob}");
    assert_eq!(bob["0x0FF60102"]["len"], 4);
    assert_ne!(bob["0x0FF60102"]["hex"], ann["0x0FF60102"]["hex"]);
    assert_eq!(bob["0x30000003"]["flags"], 6);
}
