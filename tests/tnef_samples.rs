//! The TNEF codec on real streams: the 19 samples tnefparse ships, fetched into
//! target/tnef-samples by `sh tests/tnef-setup.sh` (not committed: see that script). Says
//! SKIPPED when they are absent. Each sample must decode without a damaged property list,
//! give the key and attachment names other decoders give, be written back unchanged, and
//! survive our encode → decode in pure and best-data mode with every property equal.
//! The comparison with the other decoders themselves is tests/tnef-conformance.sh.

#[path = "../bench/tnef_common.rs"]
mod common;

use std::path::PathBuf;

use imessage::codec::tnef::{ProblemKind, read};
use imessage::codec::tnef_legacy::Mode;
use imessage::codec::tnef_write::write;

/// Key and attachment names per sample, as tnefparse 1.4.0's own test lists them.
const EXPECTED: &[(&str, u16, &[&str])] = &[
    ("body.tnef", 0x1125, &[]),
    ("two-files.tnef", 0x237, &["AUTHORS", "README"]),
    (
        "data-before-name.tnef",
        0x0d,
        &["AUTOEXEC.BAT", "CONFIG.SYS", "boot.ini"],
    ),
    ("multi-name-property.tnef", 0xc6c7, &[]),
    (
        "MAPI_ATTACH_DATA_OBJ.tnef",
        0x1af,
        &[
            "VIA_Nytt_1402.doc",
            "VIA_Nytt_1402.pdf",
            "VIA_Nytt_14021.htm",
        ],
    ),
    ("MAPI_OBJECT.tnef", 0x08, &["Untitled_Attachment"]),
    ("garbage-at-end.tnef", 0x415, &[]),
    ("long-filename.tnef", 0x1422, &["allproductsmar2000.dat"]),
    (
        "missing-filenames.tnef",
        0x601,
        &[
            "generpts.src",
            "TechlibDEC99.doc",
            "TechlibDEC99-JAN00.doc",
            "TechlibNOV99.doc",
        ],
    ),
    (
        "multi-value-attribute.tnef",
        0x1512,
        &["208225__5_seconds__Voice_Mail.mp3"],
    ),
    ("one-file.tnef", 0x237, &["AUTHORS"]),
    ("rtf.tnef", 0xc02, &[]),
    ("triples.tnef", 0xea64, &[]),
    (
        "unicode-mapi-attr-name.tnef",
        0x69ec,
        &[
            "spaconsole2.cfg",
            "image001.png",
            "image002.png",
            "image003.png",
        ],
    ),
    ("unicode-mapi-attr.tnef", 0x408f, &["example.dat"]),
    (
        "umlaut.tnef",
        0xa2e,
        &[
            "TBZ PARIV GmbH.jpg",
            "image003.jpg",
            "UmlautAnhang-\u{e4}\u{fc}\u{f6}.txt",
        ],
    ),
    ("bad_checksum.tnef", 0x5784, &["image001.png"]),
    ("IPM-DistList.tnef", 0x1708, &["Untitled Attachment"]),
];

fn samples() -> Option<Vec<PathBuf>> {
    let dir = std::env::var_os("IMSG_TNEF_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tnef-samples"));
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tnef"))
        .collect();
    v.sort();
    (!v.is_empty()).then_some(v)
}

#[test]
fn samples_decode_like_other_decoders_and_round_trip() {
    let Some(files) = samples() else {
        println!(
            "SKIPPED: no samples in target/tnef-samples (sh tests/tnef-setup.sh fetches them)"
        );
        return;
    };
    assert_eq!(files.len(), 19, "tnefparse 1.4.0 ships 19 samples");
    let mut checked = 0;
    let mut identical = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let t = read(&bytes).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        for p in &t.problems {
            assert!(
                matches!(
                    p.kind,
                    ProblemKind::BadChecksum | ProblemKind::Truncated | ProblemKind::TrailingData
                ),
                "{name}: {p:?}"
            );
        }
        if let Some((_, key, names)) = EXPECTED.iter().find(|e| e.0 == name) {
            assert_eq!(t.key, *key, "{name}");
            let m = common::to_message(&t);
            let got: Vec<String> = m
                .attachments
                .iter()
                .map(|a| common::attachment_name(&t, a).unwrap_or_default())
                .collect();
            assert_eq!(got, *names, "{name}");
            checked += 1;
        }
        // Written back as read: the same structure. The bytes are the same too unless the
        // sample has damage or a value stored in a non-canonical form (extra NULs after a
        // string, say); how many are identical is printed.
        let again = write(&t);
        identical += usize::from(again == bytes);
        let t2 = read(&again).unwrap();
        assert_eq!(t2.props, t.props, "{name}");
        assert_eq!(t2.recipients, t.recipients, "{name}");
        assert_eq!(t2.attachments.len(), t.attachments.len(), "{name}");
        for mode in [Mode::Pure, Mode::BestData] {
            let r = common::round_trip(&bytes, mode).unwrap();
            assert!(r.equal(), "{name} {mode:?}: {r:?}");
            assert!(r.compared > 0);
        }
    }
    assert_eq!(checked, EXPECTED.len());
    println!(
        "{} samples; {identical} written back byte for byte",
        files.len()
    );
}
