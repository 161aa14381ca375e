//! Reader tier for bodies: `imsg body` (`ImsgGetBestBody` through the C API) over every
//! corpus file, against what PyPI extract-msg 0.57.0 reads (`tests/rtf_oracle/best_body.tsv`,
//! written by `gen_best_body.py`, which says how both sides are normalised):
//! - a body we give as HTML equals extract-msg's `htmlBody` (PR_HTML, or the HTML RTFDE
//!   takes out of the RTF), as text its `body`, as RTF its `rtfBody` (compressed-rtf);
//! - a file we find no body in has none for extract-msg either; a file we cannot open, it
//!   cannot open either.
//!
//! Every difference must be explained by a line of `tests/rtf_oracle/best_body_allowlist.txt`
//! (`file<TAB>kind<TAB>why`, the reader at fault); a line no difference uses fails the test.
//! Without the corpus the test says it skips.

#[path = "support/imsg_bin.rs"]
mod imsg_bin;
use imsg_bin::imsg_exe;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

fn corpus_dir() -> PathBuf {
    match std::env::var_os("IMESSAGE_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

fn digest(b: &[u8]) -> String {
    let hex: String = Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    format!("{hex}:{}", b.len())
}

/// As `gen_best_body.py` normalises extract-msg's values.
fn normalized(bytes: &[u8], html: bool) -> Vec<u8> {
    let mut s = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    if html {
        s = s.replace('\u{A0}', "&nbsp;");
    }
    s.trim().as_bytes().to_vec()
}

#[test]
fn imsg_body_agrees_with_extract_msg() {
    let dir = corpus_dir();
    if !dir.join("msg").is_dir() {
        println!(
            "SKIPPED: no corpus at {} (set IMESSAGE_CORPUS)",
            dir.display()
        );
        return;
    }
    let allow: Vec<(String, String, String)> = include_str!("rtf_oracle/best_body_allowlist.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "allowlist line needs file, kind, why: {l}");
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect();
    let mut used = BTreeSet::new();
    let mut unexplained = Vec::new();
    let mut counts = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for line in include_str!("rtf_oracle/best_body.tsv").lines() {
        if line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let (file, html, body, rtf) = (f[0], f[1], f[2], f[3]);
        // Files extract-msg cannot open (fuzzer-damaged ones) have nothing to compare; what
        // we make of them is counted apart.
        let refused = html.starts_with("error:") && body == "-" && rtf == "-";
        let out = Command::new(imsg_exe())
            .arg("body")
            .arg(dir.join("msg").join(file))
            .output()
            .expect("imsg runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let (kind, agrees) = if out.status.success() {
            let kind = stderr.trim().trim_start_matches("imsg: ").to_string();
            let (want, got) = match kind.as_str() {
                "html" => (html, digest(&normalized(&out.stdout, true))),
                "text" => (body, digest(&normalized(&out.stdout, false))),
                _ => (rtf, digest(&out.stdout)),
            };
            (kind, want == got)
        } else if stderr.contains("MAPI_E_NOT_FOUND") {
            (
                "none".to_string(),
                [html, body, rtf].iter().all(|c| *c == "-"),
            )
        } else {
            ("unreadable".to_string(), refused)
        };
        if refused && kind != "unreadable" {
            println!("extract-msg cannot open {file}; imsg body gives {kind}");
            counts
                .entry(format!("{kind} (extract-msg cannot open)"))
                .or_default()
                .0 += 1;
            continue;
        }
        assert!(
            out.status.code().is_some(),
            "{file}: imsg body was killed ({:?})",
            out.status
        );
        let entry = counts.entry(kind.clone()).or_default();
        entry.0 += 1;
        if agrees {
            entry.1 += 1;
            continue;
        }
        match allow.iter().position(|(f, k, _)| f == file && *k == kind) {
            Some(i) => {
                used.insert(i);
                println!("allowed  {file} ({kind}): {}", allow[i].2);
            }
            None => unexplained.push(format!(
                "{file}: our {kind} body differs from extract-msg's"
            )),
        }
    }
    for (kind, (n, equal)) in &counts {
        println!("imsg body gave {kind}: {n} files, equal to extract-msg {equal}");
    }
    for (i, (file, kind, _)) in allow.iter().enumerate() {
        if !used.contains(&i) {
            unexplained.push(format!("allowlist line for {file} ({kind}) is not used"));
        }
    }
    assert!(unexplained.is_empty(), "{}", unexplained.join("\n"));
}
