//! Reader conformance tier for the `imsg` tool: the built `imsg dump` (which reads through
//! the library's C API) runs over every file of `../shared/corpus/msg/` and its JSON is
//! compared with the independent reader's dump in `../shared/corpus/expected/`.
//!
//! Differences are reported one per object, property and field (see `tests/imsg-allowlist.txt`
//! for the notation). Each must be explained by a line of the allowlist, which the test
//! prints; a line no difference uses fails the test, so the list stays honest. A file with
//! no difference must also be byte-for-byte the expected dump. A crash or a hang is never
//! allowed; a refusal (non-zero exit, with a message) is a difference like the others.
//!
//! The second test checks that `dump` → `create` → `dump` is an identity on every corpus
//! file `imsg dump` reads: the first dump (with `--save-data`, so values given as sha256
//! can be rebuilt) is fed to `imsg create`, the new file is dumped again, and both dumps
//! are compared the same way, against `tests/imsg-identity-allowlist.txt`.
//!
//! The third test runs `imsg attachments` over every corpus file: readable files unpack
//! without a failure, and every embedded message written as a standalone `.msg` reads back.
//!
//! When the corpus is absent (`IMESSAGE_CORPUS` overrides its location) the tests say they
//! skip and pass. `IMSG_CONFORMANCE_VERBOSE=1` lists every difference, allowlisted or not.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "support/imsg_bin.rs"]
mod imsg_bin;
use imsg_bin::imsg_exe;

/// How long one `imsg` run may take before it counts as a hang.
const TIME_BOUND: Duration = Duration::from_secs(120);

fn corpus_dir() -> PathBuf {
    match std::env::var_os("IMESSAGE_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = corpus_dir().join("msg");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "msg"))
        .collect();
    files.sort();
    Some(files)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

// ===== running imsg =====

enum Outcome {
    /// Exit status 0: stdout.
    Ok(Vec<u8>),
    /// A non-zero exit with its message.
    Refused(i32, String),
    /// Killed by a signal (a crash).
    Crashed(String),
    TimedOut,
}

fn run_imsg<S: AsRef<OsStr>>(args: &[S]) -> Outcome {
    let out_file = tempfile::tempfile().expect("temporary file");
    let err_file = tempfile::tempfile().expect("temporary file");
    let mut child = Command::new(imsg_exe())
        .args(args)
        .stdin(Stdio::null())
        .stdout(out_file.try_clone().expect("clone"))
        .stderr(err_file.try_clone().expect("clone"))
        .spawn()
        .expect("imsg starts");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for imsg") {
            break s;
        }
        if start.elapsed() > TIME_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            return Outcome::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let read = |mut f: std::fs::File| {
        use std::io::{Read, Seek};
        let mut v = Vec::new();
        f.rewind().expect("rewind");
        f.read_to_end(&mut v).expect("read");
        v
    };
    let stdout = read(out_file);
    let stderr = String::from_utf8_lossy(&read(err_file)).trim().to_string();
    match status.code() {
        Some(0) => Outcome::Ok(stdout),
        Some(code) => Outcome::Refused(code, stderr),
        None => Outcome::Crashed(format!("{status} {stderr}")),
    }
}

// ===== comparing two dumps =====

/// One difference: where and what (the allowlist's `what`), and the two sides.
#[derive(Clone, Debug)]
struct Diff {
    what: String,
    detail: String,
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 100 {
        s
    } else {
        format!("{}…", s.chars().take(100).collect::<String>())
    }
}

fn push(out: &mut Vec<Diff>, what: String, ours: Option<&Value>, theirs: Option<&Value>) {
    let side = |v: Option<&Value>| v.map_or_else(|| "(none)".to_string(), short);
    out.push(Diff {
        what,
        detail: format!("ours {} | theirs {}", side(ours), side(theirs)),
    });
}

/// The number of a storage name (`__attach_version1.0_#0000000A` → `0000000A`).
fn storage_suffix(object: &Value) -> String {
    object["storage"]
        .as_str()
        .and_then(|s| s.rsplit_once('#'))
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| "?".into())
}

/// Marks an expected entry carries when it is not a property of the object.
fn marks(entry: &Value) -> Vec<&'static str> {
    let mut m = Vec::new();
    if entry.get("orphan_stream").and_then(Value::as_bool) == Some(true) {
        m.push("orphan_stream");
    }
    if entry.get("raw").is_some() {
        m.push("raw");
    }
    if entry.get("missing_stream").and_then(Value::as_bool) == Some(true) {
        m.push("missing_stream");
    }
    m
}

fn compare_props(ours: &Value, theirs: &Value, obj: &str, out: &mut Vec<Diff>) {
    let empty = serde_json::Map::new();
    let o = ours.as_object().unwrap_or(&empty);
    let t = theirs.as_object().unwrap_or(&empty);
    let keys: BTreeSet<&String> = o.keys().chain(t.keys()).collect();
    for key in keys {
        let at = format!("{obj}/{key}");
        let (ov, tv) = (o.get(key), t.get(key));
        // An expected entry that is not a property counts as absent, after saying so.
        let tv = match tv {
            Some(e) if !marks(e).is_empty() => {
                for m in marks(e) {
                    push(out, format!("{at} {m}"), None, Some(e));
                }
                None
            }
            other => other,
        };
        match (ov, tv) {
            (Some(a), None) => push(out, format!("{at} extra"), Some(a), None),
            (None, Some(b)) => push(out, format!("{at} missing"), None, Some(b)),
            (Some(a), Some(b)) if a != b => {
                let fields: BTreeSet<&String> = a
                    .as_object()
                    .into_iter()
                    .chain(b.as_object())
                    .flat_map(|m| m.keys())
                    .collect();
                for f in fields {
                    let (x, y) = (a.get(f), b.get(f));
                    if x != y {
                        push(out, format!("{at} {f}"), x, y);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Children (recipients or attachments) matched by storage number.
fn by_storage(list: &Value) -> BTreeMap<String, &Value> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|v| (storage_suffix(v), v))
        .collect()
}

fn compare_message(ours: &Value, theirs: &Value, obj: &str, out: &mut Vec<Diff>) {
    for key in ["header", "string8_codepage", "unexpected_entries"] {
        if ours.get(key) != theirs.get(key) {
            push(out, format!("{obj}/{key}"), ours.get(key), theirs.get(key));
        }
    }
    let known = [
        "header",
        "string8_codepage",
        "unexpected_entries",
        "properties",
        "recipients",
        "attachments",
    ];
    let other: BTreeSet<&String> = ours
        .as_object()
        .into_iter()
        .chain(theirs.as_object())
        .flat_map(|m| m.keys())
        .filter(|k| !known.contains(&k.as_str()))
        .collect();
    for k in other {
        if ours.get(k) != theirs.get(k) {
            push(out, format!("{obj}/{k}"), ours.get(k), theirs.get(k));
        }
    }
    compare_props(&ours["properties"], &theirs["properties"], obj, out);
    for (list, tag) in [("recipients", "recip"), ("attachments", "attach")] {
        let (o, t) = (by_storage(&ours[list]), by_storage(&theirs[list]));
        let nums: BTreeSet<&String> = o.keys().chain(t.keys()).collect();
        for n in nums {
            let child = format!("{obj}/{tag}#{n}");
            match (o.get(n), t.get(n)) {
                (Some(a), Some(b)) => {
                    compare_props(&a["properties"], &b["properties"], &child, out);
                    if a.get("unexpected_entries") != b.get("unexpected_entries") {
                        push(
                            out,
                            format!("{child}/unexpected_entries"),
                            a.get("unexpected_entries"),
                            b.get("unexpected_entries"),
                        );
                    }
                    let emb = format!("{child}/embedded");
                    match (a.get("embedded_message"), b.get("embedded_message")) {
                        (Some(x), Some(y)) => compare_message(x, y, &emb, out),
                        (None, None) => {}
                        (x, y) => push(
                            out,
                            format!("{emb} row"),
                            x.map(|_| &Value::Bool(true)),
                            y.map(|_| &Value::Bool(true)),
                        ),
                    }
                }
                (a, b) => push(out, format!("{child} row"), a.copied(), b.copied()),
            }
        }
    }
}

fn compare_docs(ours: &Value, theirs: &Value) -> Vec<Diff> {
    let mut out = Vec::new();
    for key in ["format", "warnings"] {
        if ours.get(key) != theirs.get(key) {
            push(&mut out, key.to_string(), ours.get(key), theirs.get(key));
        }
    }
    for key in ["major_version", "sector_size", "root_clsid"] {
        let (a, b) = (ours["cfb"].get(key), theirs["cfb"].get(key));
        if a != b {
            push(&mut out, format!("cfb/{key}"), a, b);
        }
    }
    let (on, tn) = (&ours["named_properties"], &theirs["named_properties"]);
    for key in ["guids", "hash_bucket_streams"] {
        if on.get(key) != tn.get(key) {
            push(
                &mut out,
                format!("named_properties/{key}"),
                on.get(key),
                tn.get(key),
            );
        }
    }
    let entries = |v: &Value| -> BTreeMap<String, Value> {
        v["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| (e["entry"].to_string(), e.clone()))
            .collect()
    };
    let (oe, te) = (entries(on), entries(tn));
    let keys: BTreeSet<&String> = oe.keys().chain(te.keys()).collect();
    for k in keys {
        if oe.get(k) != te.get(k) {
            push(
                &mut out,
                format!("named_properties/entry#{k}"),
                oe.get(k),
                te.get(k),
            );
        }
    }
    compare_message(&ours["message"], &theirs["message"], "", &mut out);
    out
}

// ===== the allowlist =====

struct Rule {
    line: usize,
    file: String,
    what: String,
    reason: String,
    used: Cell<usize>,
}

/// `*` matches any run of characters (including none), everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn load_rules(path: &Path) -> Vec<Rule> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rules = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
        assert!(
            parts.len() == 3 && !parts[2].is_empty(),
            "{}:{}: want `file | what | reason`",
            path.display(),
            i + 1
        );
        rules.push(Rule {
            line: i + 1,
            file: parts[0].to_string(),
            what: parts[1].to_string(),
            reason: parts[2].to_string(),
            used: Cell::new(0),
        });
    }
    rules
}

fn explain<'a>(rules: &'a [Rule], file: &str, d: &Diff) -> Option<&'a Rule> {
    let rule = rules
        .iter()
        .find(|r| glob(&r.file, file) && glob(&r.what, &d.what))?;
    rule.used.set(rule.used.get() + 1);
    Some(rule)
}

fn print_rules(path: &Path, rules: &[Rule]) {
    println!("allowlist {} ({} lines):", path.display(), rules.len());
    for r in rules {
        println!(
            "  line {:>3}  used {:>5}  {} | {} | {}",
            r.line,
            r.used.get(),
            r.file,
            r.what,
            r.reason
        );
    }
}

/// Checks the differences of one file against the rules; returns the unexplained ones.
fn unexplained(rules: &[Rule], file: &str, diffs: &[Diff]) -> Vec<Diff> {
    diffs
        .iter()
        .filter(|d| explain(rules, file, d).is_none())
        .cloned()
        .collect()
}

/// Whether the rules for every file (`*`) explain all of `diffs`.
fn by_rules_alone(rules: &[Rule], diffs: &[Diff]) -> bool {
    diffs.iter().all(|d| {
        rules
            .iter()
            .any(|r| r.file == "*" && glob(&r.what, &d.what))
    })
}

fn verbose() -> bool {
    std::env::var_os("IMSG_CONFORMANCE_VERBOSE").is_some()
}

// ===== the tests =====

#[test]
fn imsg_dump_reads_the_corpus_as_the_independent_reader_does() {
    let Some(files) = corpus_files() else {
        println!(
            "SKIPPED: no corpus at {} (set IMESSAGE_CORPUS to run the imsg reader-conformance tier)",
            corpus_dir().display()
        );
        return;
    };
    let allow = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/imsg-allowlist.txt");
    let rules = load_rules(&allow);
    let (mut identical, mut allowlisted, mut rule_only, mut failures) = (0, 0, 0, Vec::new());
    for path in &files {
        let name = file_name(path);
        let expected_path = corpus_dir()
            .join("expected")
            .join(format!("{}.json", name.trim_end_matches(".msg")));
        let expected_bytes = std::fs::read(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let expected: Value = serde_json::from_slice(&expected_bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let diffs = match run_imsg(&[OsStr::new("dump"), path.as_os_str()]) {
            Outcome::Ok(stdout) => match serde_json::from_slice::<Value>(&stdout) {
                Ok(ours) => {
                    let d = compare_docs(&ours, &expected);
                    if d.is_empty() && stdout != expected_bytes {
                        failures.push(format!(
                            "{name}: same content but not the same bytes as the expected dump"
                        ));
                    }
                    d
                }
                Err(e) => {
                    failures.push(format!("{name}: imsg dump printed invalid JSON: {e}"));
                    continue;
                }
            },
            Outcome::Refused(code, msg) => {
                if msg.is_empty() {
                    failures.push(format!("{name}: exit {code} without a message"));
                }
                vec![Diff {
                    what: "open".into(),
                    detail: format!("exit {code}: {msg}"),
                }]
            }
            Outcome::Crashed(msg) => {
                failures.push(format!("{name}: imsg dump crashed: {msg}"));
                continue;
            }
            Outcome::TimedOut => {
                failures.push(format!("{name}: imsg dump took over {TIME_BOUND:?}"));
                continue;
            }
        };
        let left = unexplained(&rules, &name, &diffs);
        let by_rule_only = by_rules_alone(&rules, &diffs);
        if diffs.is_empty() {
            identical += 1;
            println!("{name}: identical");
        } else if left.is_empty() {
            allowlisted += 1;
            if by_rule_only {
                rule_only += 1;
            }
            println!(
                "{name}: {} differences, all allowlisted{}",
                diffs.len(),
                if by_rule_only {
                    " (by the `*` rules only)"
                } else {
                    ""
                }
            );
        } else {
            for d in &left {
                failures.push(format!("{name}: {} ({})", d.what, d.detail));
            }
        }
        if verbose() {
            for d in &diffs {
                println!("    {} ({})", d.what, d.detail);
            }
        }
    }
    print_rules(&allow, &rules);
    for r in rules.iter().filter(|r| r.used.get() == 0) {
        failures.push(format!(
            "{}:{}: allowlist line used by no difference: {} | {}",
            allow.display(),
            r.line,
            r.file,
            r.what
        ));
    }
    println!(
        "imsg dump over {} corpus files: {identical} identical to the expected dump (byte for byte), {allowlisted} equal but for allowlisted differences ({rule_only} of them by the `*` rules alone), {} problems",
        files.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "imsg reader conformance:\n{}",
        failures.join("\n")
    );
}

#[test]
fn imsg_dump_create_dump_is_an_identity_on_the_corpus() {
    let Some(files) = corpus_files() else {
        println!(
            "SKIPPED: no corpus at {} (set IMESSAGE_CORPUS to run the imsg identity tier)",
            corpus_dir().display()
        );
        return;
    };
    let allow = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/imsg-identity-allowlist.txt");
    let rules = load_rules(&allow);
    let (mut identical, mut allowlisted, mut rule_only, mut skipped, mut failures) =
        (0, 0, 0, 0, Vec::new());
    for path in &files {
        let name = file_name(path);
        let work = tempfile::tempdir().expect("temporary folder");
        let data = work.path().join("data");
        let first = match run_imsg(&[
            OsStr::new("dump"),
            OsStr::new("--save-data"),
            data.as_os_str(),
            path.as_os_str(),
        ]) {
            Outcome::Ok(out) => out,
            Outcome::Refused(..) => {
                // Files imsg cannot read are the reader tier's business.
                skipped += 1;
                println!("{name}: not readable, skipped");
                continue;
            }
            _ => {
                failures.push(format!("{name}: the first dump crashed or hung"));
                continue;
            }
        };
        let spec = work.path().join("spec.json");
        std::fs::write(&spec, &first).expect("write spec");
        let out_msg = work.path().join("out.msg");
        match run_imsg(&[
            OsStr::new("create"),
            OsStr::new("--data"),
            data.as_os_str(),
            spec.as_os_str(),
            out_msg.as_os_str(),
        ]) {
            Outcome::Ok(_) => {}
            Outcome::Refused(code, msg) => {
                failures.push(format!("{name}: imsg create failed (exit {code}): {msg}"));
                continue;
            }
            _ => {
                failures.push(format!("{name}: imsg create crashed or hung"));
                continue;
            }
        }
        let second = match run_imsg(&[OsStr::new("dump"), out_msg.as_os_str()]) {
            Outcome::Ok(out) => out,
            Outcome::Refused(code, msg) => {
                failures.push(format!(
                    "{name}: the created file cannot be dumped (exit {code}): {msg}"
                ));
                continue;
            }
            _ => {
                failures.push(format!("{name}: dumping the created file crashed or hung"));
                continue;
            }
        };
        let a: Value = serde_json::from_slice(&first).expect("first dump is JSON");
        let b: Value = serde_json::from_slice(&second).expect("second dump is JSON");
        let diffs = compare_docs(&b, &a);
        let left = unexplained(&rules, &name, &diffs);
        if diffs.is_empty() {
            if first == second {
                identical += 1;
                println!("{name}: identical");
            } else {
                failures.push(format!("{name}: same content, different bytes"));
            }
        } else if left.is_empty() {
            allowlisted += 1;
            let by_rule_only = by_rules_alone(&rules, &diffs);
            if by_rule_only {
                rule_only += 1;
            }
            println!(
                "{name}: {} differences, all allowlisted{}",
                diffs.len(),
                if by_rule_only {
                    " (by the `*` rules only)"
                } else {
                    ""
                }
            );
        } else {
            for d in &left {
                failures.push(format!("{name}: {} ({})", d.what, d.detail));
            }
        }
        if verbose() {
            for d in &diffs {
                println!("    {} ({})", d.what, d.detail);
            }
        }
    }
    print_rules(&allow, &rules);
    for r in rules.iter().filter(|r| r.used.get() == 0) {
        failures.push(format!(
            "{}:{}: allowlist line used by no difference: {} | {}",
            allow.display(),
            r.line,
            r.file,
            r.what
        ));
    }
    println!(
        "imsg dump → create → dump over {} corpus files: {identical} identical, {allowlisted} equal but for allowlisted differences ({rule_only} of them by the `*` rules alone), {skipped} not readable (skipped), {} problems",
        files.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "imsg identity:\n{}",
        failures.join("\n")
    );
}

#[test]
fn glob_patterns() {
    assert!(glob("*", ""));
    assert!(glob(
        "*/0x0FFE0003 extra",
        "/attach#00000000/0x0FFE0003 extra"
    ));
    assert!(glob("*/0x0FFE0003 extra", "/0x0FFE0003 extra"));
    assert!(!glob("*/0x0FFE0003 extra", "/0x0FFE0003 flags"));
    assert!(glob("poi--clusterfuzz-*", "poi--clusterfuzz-testcase.msg"));
    assert!(glob("a*b*c", "aXXbYYc"));
    assert!(!glob("a*b*c", "aXXbYY"));
}

#[test]
fn imsg_attachments_unpacks_every_readable_corpus_file() {
    let Some(files) = corpus_files() else {
        println!(
            "SKIPPED: no corpus at {} (set IMESSAGE_CORPUS to run the imsg attachments tier)",
            corpus_dir().display()
        );
        return;
    };
    let (mut data, mut messages, mut failures) = (0, 0, Vec::new());
    for path in &files {
        let name = file_name(path);
        let work = tempfile::tempdir().expect("temporary folder");
        let out = work.path().join("out");
        let listing =
            match run_imsg(&[OsStr::new("attachments"), path.as_os_str(), out.as_os_str()]) {
                Outcome::Ok(stdout) => String::from_utf8_lossy(&stdout).into_owned(),
                // Unreadable files are refused, with a message, as `dump` refuses them.
                Outcome::Refused(1, msg) if !msg.is_empty() => continue,
                Outcome::Refused(code, msg) => {
                    failures.push(format!("{name}: exit {code}: {msg}"));
                    continue;
                }
                Outcome::Crashed(msg) => {
                    failures.push(format!("{name}: crashed: {msg}"));
                    continue;
                }
                Outcome::TimedOut => {
                    failures.push(format!("{name}: hung"));
                    continue;
                }
            };
        for line in listing.lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() != 3 || fields[2].starts_with("FAILED") {
                if line.contains("FAILED") {
                    failures.push(format!("{name}: {line}"));
                }
                continue;
            }
            match fields[1] {
                "data" => data += 1,
                "embedded message" => {
                    messages += 1;
                    // The standalone message reads back as a top-level one.
                    match run_imsg(&[OsStr::new("dump"), OsStr::new(fields[2])]) {
                        Outcome::Ok(_) => {}
                        _ => failures.push(format!("{name}: {} does not read back", fields[2])),
                    }
                }
                _ => {}
            }
        }
    }
    println!(
        "imsg attachments over {} corpus files: {data} data attachments and {messages} standalone messages written, {} problems",
        files.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "imsg attachments:\n{}",
        failures.join("\n")
    );
}
