//! Our `PR_RTF_SYNC_*` values against the ones Outlook stored in the sample TNEF files that
//! PyPI tnefparse 1.4.0 ships. The samples are LGPL and not in this repository:
//! `tests/rtf_oracle/tnef_sync_samples.py` (conformance venv) writes their values and RTF
//! bodies to `target/rtf-sync-samples.tsv`; without it this test says it skips.
//! Each body's plain text is our `rtf_to_text` of its RTF, hashed in the RTF's `\ansicpg`.
//!
//! Not compared: samples whose `PR_RTF_IN_SYNC` is FALSE (the RTF changed after the values
//! were computed, so they describe another text). Known difference: `IPM-DistList.tnef`'s
//! tag is 100 'X's, while its CRC and count equal ours for its text: the sample's tag was
//! masked, as its CRC shows; its other four values must match.

use imessage::codec::rtf_encap;
use imessage::codec::rtf_sync::{SyncValues, sync_values};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn sync_values_match_outlooks_samples() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/rtf-sync-samples.tsv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!(
            "SKIPPED: {} absent (tests/rtf_oracle/tnef_sync_samples.py writes it)",
            path.display()
        );
        return;
    };
    let (mut total, mut matched) = (0, 0);
    let mut report = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let rtf = unhex(f[7]);
        let body = rtf_encap::rtf_to_text(&rtf);
        let cp = rtf_encap::deencapsulate(&rtf).map_or(1252, |d| d.codepage);
        let want = SyncValues {
            crc: f[1].parse().unwrap(),
            count: f[2].parse().unwrap(),
            tag: f[3].to_string(),
            prefix_count: f[4].parse().unwrap(),
            trailing_count: f[5].parse().unwrap(),
        };
        let mut got = sync_values(&body, cp);
        if f[6] == "False" {
            report.push(format!("{}: not compared (PR_RTF_IN_SYNC is FALSE)", f[0]));
            continue;
        }
        total += 1;
        if f[0] == "IPM-DistList.tnef" && want.tag.chars().all(|c| c == 'X') {
            got.tag = want.tag.clone();
        }
        if got == want {
            matched += 1;
            report.push(format!("{}: match", f[0]));
        } else {
            report.push(format!(
                "{}: MISMATCH\n  want {want:?}\n  got  {got:?}\n  body {body:?}",
                f[0]
            ));
        }
    }
    println!("{}", report.join("\n"));
    println!("sync values: {matched} of {total} samples match");
    assert_eq!(matched, total);
}
