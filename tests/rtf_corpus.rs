//! Compressed RTF and RTF de-encapsulation over the corpus, against independent oracles.
//!
//! Every `PR_RTF_COMPRESSED` stream (`__substg1.0_10090102`, outside `__nameid_version1.0`)
//! of `../shared/corpus/msg/*.msg` (`IMESSAGE_CORPUS` overrides) is read through our storage layer and:
//! - its header and CRC must be valid, and our decompression (whole-buffer, and streamed in
//!   odd-sized reads) must equal PyPI `compressed-rtf` 1.0.7's, byte for byte;
//! - our compression of the RTF (LZFu and MELA) must decompress to the same bytes; the size
//!   of our LZFu against the stored (Outlook's) one is reported;
//! - what we de-encapsulate must be of the kind PyPI `rtfde` 0.1.2.2 says, and equal to its
//!   HTML or text (as UTF-8) after two normalisations of both sides: CRLF becomes LF (rtfde
//!   turns `\par` into LF, [MS-OXRTFEX] 2.2.3.3 says CRLF, which we give), and in HTML U+00A0
//!   becomes `&nbsp;` (rtfde rewrites every one so; in HTML they are the same character).
//!   Where rtfde raises an error the RTF must be
//!   native RTF to us too (it decodes the whole document before it checks the header, and
//!   fails on the `\'hh` of code pages 932 and 950 in Word's font tables).
//!
//! The oracles' answers are in `tests/rtf_oracle/expected.tsv` as SHA-256 digests, written by
//! `tests/rtf_oracle/gen_expected.py` (run it again after the corpus changes), so this test
//! needs no Python. When a value differs, ours is written under
//! `target/rtf-corpus-diff/` for comparison. Without the corpus the test says it skips.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use imessage::codec::compressed_rtf::{self, Decompressor, Format, Header};
use imessage::codec::rtf_encap::{self, Kind};
use imessage::consts::{STGM_READ, STGM_SHARE_DENY_WRITE, STGM_SHARE_EXCLUSIVE};
use imessage::storage::docfile::open_file;
use imessage::storage::{ElementKind, Storage};
use sha2::{Digest, Sha256};

const STREAM: &str = "__substg1.0_10090102";

fn corpus_dir() -> PathBuf {
    match std::env::var_os("IMESSAGE_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Row {
    file: String,
    stream: String,
    len: usize,
    pypi: String,
    raw_sha: String,
    raw_len: usize,
    kind: String,
    out_sha: String,
    out_len: usize,
}

fn expected() -> Vec<Row> {
    let text = include_str!("rtf_oracle/expected.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 9, "bad expected.tsv line: {l}");
            Row {
                file: f[0].into(),
                stream: f[1].into(),
                len: f[2].parse().unwrap(),
                pypi: f[3].into(),
                raw_sha: f[4].into(),
                raw_len: f[5].parse().unwrap(),
                kind: f[6].into(),
                out_sha: f[7].into(),
                out_len: f[8].parse().unwrap(),
            }
        })
        .collect()
}

/// The RTF streams of one file, keyed by their path ("a/b/__substg1.0_10090102"), read
/// through our storage layer (its lenient reader opens the fuzzer-damaged files `cfb` refuses).
fn rtf_streams(path: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(storage: &dyn Storage, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(elements) = storage.elements() else {
            return;
        };
        for e in elements {
            let path = format!("{prefix}{}", e.name);
            match e.kind {
                ElementKind::Storage if !e.name.to_ascii_lowercase().starts_with("__nameid") => {
                    if let Ok(sub) = storage.open_storage(&e.name, STGM_READ | STGM_SHARE_EXCLUSIVE)
                    {
                        walk(&*sub, &format!("{path}/"), out);
                    }
                }
                ElementKind::Stream if e.name.eq_ignore_ascii_case(STREAM) => {
                    if let Ok(data) = storage.read_stream(&e.name, 1 << 30) {
                        out.insert(path, data);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(root) = open_file(path, STGM_READ | STGM_SHARE_DENY_WRITE) {
        walk(&*root, "", &mut out);
    }
    out
}

/// What `gen_expected.py`'s `normalize` does to rtfde's output (see the module comment).
fn normalize(s: &str, kind: Kind) -> String {
    let s = s.replace("\r\n", "\n");
    if kind == Kind::Html {
        s.replace('\u{A0}', "&nbsp;")
    } else {
        s
    }
}

fn keep_for_diff(row: &Row, what: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/rtf-corpus-diff");
    let _ = std::fs::create_dir_all(&dir);
    let name = format!("{}--{}.{what}", row.file, row.stream.replace('/', "_"));
    let _ = std::fs::write(dir.join(name), bytes);
}

#[test]
fn corpus_rtf_against_oracles() {
    let dir = corpus_dir();
    if !dir.join("msg").is_dir() {
        println!(
            "SKIPPED: no corpus at {} (set IMESSAGE_CORPUS)",
            dir.display()
        );
        return;
    }
    let rows = expected();
    let mut failures = Vec::new();
    let mut streams_seen = 0;
    let (mut crc_valid, mut equal_pypi, mut round_trips) = (0, 0, 0);
    let (mut ours_total, mut theirs_total, mut raw_total) = (0usize, 0usize, 0usize);
    let (mut kinds_equal, mut html_equal, mut text_equal, mut native_both) = (0, 0, 0, 0);
    let (mut html_rows, mut text_rows, mut rtfde_errors) = (0, 0, 0);
    let mut unreadable: Vec<String> = Vec::new();
    let mut files: BTreeMap<&str, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    for row in &rows {
        let streams = files
            .entry(&row.file)
            .or_insert_with(|| rtf_streams(&dir.join("msg").join(&row.file)));
        let Some(data) = streams.remove(&row.stream) else {
            // olefile reaches streams of fuzzer-damaged files that our reader refuses.
            if row.file.contains("clusterfuzz") {
                unreadable.push(format!("{} {}", row.file, row.stream));
            } else {
                failures.push(format!("{} {}: stream not found", row.file, row.stream));
            }
            continue;
        };
        streams_seen += 1;
        let at = format!("{} {}", row.file, row.stream);
        if data.len() != row.len {
            failures.push(format!(
                "{at}: {} bytes, oracle read {}",
                data.len(),
                row.len
            ));
        }
        // Header and CRC.
        let crc_ok = Header::parse(&data).is_ok_and(|h| {
            h.format == Format::Uncompressed
                || compressed_rtf::crc32(0, &data[16..(h.comp_size as usize + 4).min(data.len())])
                    == h.crc
        });
        crc_valid += usize::from(crc_ok);
        let raw = match compressed_rtf::decompress(&data) {
            Ok(raw) => raw,
            Err(e) => {
                if row.pypi == "ok" {
                    failures.push(format!("{at}: we refuse ({e}), PyPI decompresses"));
                }
                continue;
            }
        };
        if row.pypi != "ok" {
            failures.push(format!("{at}: we decompress, PyPI says {}", row.pypi));
            continue;
        }
        if sha(&raw) == row.raw_sha && raw.len() == row.raw_len {
            equal_pypi += 1;
        } else {
            keep_for_diff(row, "rtf", &raw);
            failures.push(format!(
                "{at}: decompressed {} bytes differ from PyPI's {}",
                raw.len(),
                row.raw_len
            ));
        }
        let mut streamed = Vec::new();
        let mut reader = Decompressor::new(&data[..]).unwrap();
        let mut buf = [0u8; 997];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            streamed.extend_from_slice(&buf[..n]);
        }
        if streamed != raw {
            failures.push(format!("{at}: streamed decompression differs"));
        }
        // Our compression, both forms.
        let ours = compressed_rtf::compress(&raw, Format::Compressed).unwrap();
        let mela = compressed_rtf::compress(&raw, Format::Uncompressed).unwrap();
        if compressed_rtf::decompress(&ours).as_ref() == Ok(&raw)
            && compressed_rtf::decompress(&mela).as_ref() == Ok(&raw)
        {
            round_trips += 1;
        } else {
            failures.push(format!("{at}: our compression does not round-trip"));
        }
        ours_total += ours.len();
        theirs_total += data.len();
        raw_total += raw.len();
        // De-encapsulation.
        let kind = rtf_encap::detect(&raw);
        if row.kind.starts_with("error") {
            rtfde_errors += 1;
            if kind == Kind::Rtf {
                native_both += 1;
                kinds_equal += 1;
            } else {
                failures.push(format!(
                    "{at}: rtfde fails ({}), we find {kind:?}",
                    row.kind
                ));
            }
            continue;
        }
        let want = match row.kind.as_str() {
            "html" => Kind::Html,
            "text" => Kind::Text,
            other => panic!("unknown kind {other}"),
        };
        if want == Kind::Html {
            html_rows += 1;
        } else {
            text_rows += 1;
        }
        if kind != want {
            failures.push(format!("{at}: we find {kind:?}, rtfde {}", row.kind));
            continue;
        }
        kinds_equal += 1;
        let content = normalize(&rtf_encap::deencapsulate(&raw).unwrap().content, want);
        if sha(content.as_bytes()) == row.out_sha && content.len() == row.out_len {
            if want == Kind::Html {
                html_equal += 1;
            } else {
                text_equal += 1;
            }
        } else {
            keep_for_diff(row, "out", content.as_bytes());
            keep_for_diff(row, "rtf", &raw);
            failures.push(format!(
                "{at}: de-encapsulated {kind:?} ({} bytes) differs from rtfde's ({} bytes)",
                content.len(),
                row.out_len
            ));
        }
    }
    for (file, left) in &files {
        for stream in left.keys() {
            failures.push(format!(
                "{file} {stream}: RTF stream the oracle file does not list"
            ));
        }
    }
    println!(
        "RTF corpus: {streams_seen} streams; CRC valid {crc_valid}; decompressed equal to PyPI \
         compressed-rtf {equal_pypi}; our LZFu and MELA round-trip {round_trips}; sizes: raw \
         {raw_total} B, stored {theirs_total} B, ours {ours_total} B ({:+.2}%)",
        (ours_total as f64 / theirs_total as f64 - 1.0) * 100.0
    );
    println!(
        "de-encapsulation vs rtfde: kind equal {kinds_equal}; HTML equal {html_equal}/{html_rows}; \
         text equal {text_equal}/{text_rows}; rtfde errors {rtfde_errors} (native RTF to us: {native_both})"
    );
    if !unreadable.is_empty() {
        println!(
            "not readable by our storage layer (damaged files): {}",
            unreadable.join(", ")
        );
    }
    assert!(streams_seen > 0, "no RTF stream found");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
