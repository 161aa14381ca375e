//! The TNEF codec from the command line, for the oracle tier (`tests/tnef-conformance.sh`)
//! and the benchmark (`bench/tnef.sh`):
//!
//! ```text
//! tnef_tool dump FILE                 what a decoder sees, as JSON
//! tnef_tool reencode MODE IN OUT      decode, encode in MODE (pure|compat|best), write OUT
//! tnef_tool roundtrip MODE FILE...    decode, encode, decode: every property compared
//! tnef_tool bench SECONDS FILE...     decode and encode throughput per file
//! ```

#[path = "tnef_common.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use imessage::codec::tnef::{Tnef, read};
use imessage::codec::tnef_legacy::tag::*;
use imessage::codec::tnef_write::write;
use serde_json::json;
use sha2::{Digest, Sha256};

fn load(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| die(&format!("{path}: {e}")))
}

fn die(msg: &str) -> ! {
    eprintln!("tnef_tool: {msg}");
    std::process::exit(2)
}

fn decode(bytes: &[u8], path: &str) -> Tnef {
    read(bytes).unwrap_or_else(|e| die(&format!("{path}: {}", e.message)))
}

fn dump(path: &str) -> serde_json::Value {
    let t = decode(&load(path), path);
    let m = to_message(&t);
    let attachments: Vec<_> = m
        .attachments
        .iter()
        .map(|a| {
            let data = attachment_data(a);
            // tnefparse drops a binary value's trailing NULs; this lets the tier see that.
            let stripped = data.as_ref().map(|d| {
                let end = d.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                format!("{:x}", Sha256::digest(&d[..end]))
            });
            json!({
                "name": attachment_name(&t, a),
                "size": data.as_ref().map(Vec::len),
                "sha256": data.map(|d| format!("{:x}", Sha256::digest(&d))),
                "sha256_nul_stripped": stripped,
            })
        })
        .collect();
    json!({
        "key": t.key,
        "codepage": t.codepage(),
        "subject": text(&t, &m.props, PR_SUBJECT),
        "body": text(&t, &m.props, PR_BODY),
        "sender_name": text(&t, &m.props, PR_SENDER_NAME),
        "sender_email": text(&t, &m.props, PR_SENDER_EMAIL_ADDRESS),
        "message_class": text(&t, &m.props, PR_MESSAGE_CLASS),
        "date_sent": systime(&m.props, PR_CLIENT_SUBMIT_TIME).map(iso),
        "date_received": systime(&m.props, PR_MESSAGE_DELIVERY_TIME).map(iso),
        "properties": m.props.len(),
        "recipients": m.recipients.len(),
        "attachments": attachments,
        "problems": t.problems.iter().map(|p| format!("{:?}: {}", p.kind, p.detail)).collect::<Vec<_>>(),
    })
}

/// Runs `f` until `budget` has passed (at least 3 times); the fastest run.
fn fastest(budget: Duration, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut best = Duration::MAX;
    let mut n = 0;
    while n < 3 || start.elapsed() < budget {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        n += 1;
    }
    best
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = |s: &str| mode_named(s).unwrap_or_else(|| die(&format!("unknown mode {s}")));
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["dump", path] => println!("{}", dump(path)),
        ["reencode", m, input, output] => {
            let t = decode(&load(input), input);
            std::fs::write(output, reencode(&t, mode(m)))
                .unwrap_or_else(|e| die(&format!("{output}: {e}")));
        }
        ["roundtrip", m, files @ ..] => {
            for path in files {
                let r = round_trip(&load(path), mode(m)).unwrap_or_else(|e| die(&e));
                println!(
                    "{}",
                    json!({"file": path, "compared": r.compared, "equal": r.equal(),
                           "missing": r.missing, "different": r.different})
                );
            }
        }
        ["bench", secs, files @ ..] => {
            let budget = Duration::from_secs_f64(secs.parse().unwrap_or(1.0));
            for path in files {
                let bytes = load(path);
                let t = decode(&bytes, path);
                let dec = fastest(budget, || {
                    std::hint::black_box(read(std::hint::black_box(&bytes)).ok());
                });
                let enc = fastest(budget, || {
                    std::hint::black_box(write(std::hint::black_box(&t)));
                });
                println!(
                    "{}",
                    json!({"file": path, "bytes": bytes.len(),
                           "decode_s": dec.as_secs_f64(), "encode_s": enc.as_secs_f64()})
                );
            }
        }
        _ => die("usage: see the comment at the top of bench/tnef_tool.rs"),
    }
}
