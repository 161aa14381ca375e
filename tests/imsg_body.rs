//! `imsg body` (over `ImsgGetBestBody`) and `imsg create`'s "rtf" / "rtf_sync" (over
//! `WrapCompressedRTFStream` and `RTFSync`), on the writer tier's RTF specs.

#[path = "support/imsg_bin.rs"]
mod imsg_bin;
use imsg_bin::imsg_exe;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn imsg<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(imsg_exe())
        .args(args)
        .output()
        .expect("imsg runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn spec(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/writer_conformance/specs")
        .join(format!("{name}.json"))
}

fn create(spec: &Path, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.msg"));
    let o = imsg(&[Path::new("create"), spec, &out]);
    assert!(o.status.success(), "create: {}", stderr(&o));
    out
}

/// Runs `imsg body ARGS FILE`; its stdout and the kind it reported.
fn body(args: &[&str], file: &Path) -> (Vec<u8>, String) {
    let mut all: Vec<&std::ffi::OsStr> = vec!["body".as_ref()];
    all.extend(args.iter().map(|a| std::ffi::OsStr::new(*a)));
    all.push(file.as_os_str());
    let o = imsg(&all);
    assert!(o.status.success(), "body {args:?}: {}", stderr(&o));
    let kind = stderr(&o).trim().to_string();
    (o.stdout, kind)
}

#[test]
fn body_of_html_encapsulated_in_rtf() {
    let dir = tempfile::tempdir().unwrap();
    let file = create(&spec("rtf_sync_html"), dir.path(), "html");
    let want_html = "<html><body><p>Café in HTML <b>bold</b></p></body></html>";
    let (out, kind) = body(&[], &file);
    assert_eq!(kind, "imsg: html");
    assert_eq!(String::from_utf8(out).unwrap(), want_html);
    let (out, kind) = body(&["--text"], &file);
    assert_eq!(kind, "imsg: text");
    assert_eq!(String::from_utf8(out).unwrap(), "Café in HTML bold");
    let (out, _) = body(&["--text", "--codepage", "1252"], &file);
    assert_eq!(out, b"Caf\xe9 in HTML bold");
    let (out, kind) = body(&["--rtf"], &file);
    assert_eq!(kind, "imsg: rtf");
    assert!(out.starts_with(b"{\\rtf1") && out.windows(9).any(|w| w == b"fromhtml1"));

    // `dump` shows what is stored: the PR_BODY RTFSync derived, the sync values, the RTF.
    let o = imsg(&[Path::new("dump"), &file]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = &d["message"]["properties"];
    assert_eq!(p["0x1000001F"]["value"], "Café in HTML bold");
    assert_eq!(p["0x0E1F000B"]["value"], true);
    assert_eq!(p["0x10070003"]["value"], 14); // "CAFÉINHTMLBOLD"
    assert!(p.get("0x10090102").is_some());
}

#[test]
fn body_of_text_made_into_rtf() {
    let dir = tempfile::tempdir().unwrap();
    let file = create(&spec("rtf_sync_body"), dir.path(), "text");
    let want = "Hello from RTFSync.\r\nSecond line: ünïcödé ✓ {braces} \\ back\r\n";
    let (out, kind) = body(&[], &file);
    assert_eq!(kind, "imsg: text");
    assert_eq!(String::from_utf8(out).unwrap(), want);
    let (out, kind) = body(&["--html"], &file);
    assert_eq!(kind, "imsg: html");
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("Hello from RTFSync.<br>\r\nSecond line: ünïcödé ✓ {braces} \\ back<br>")
    );
    let (out, _) = body(&["--text", "--codepage", "1200"], &file);
    let units: Vec<u16> = out
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(String::from_utf16(&units).unwrap(), want);
}

#[test]
fn body_usage_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = create(&spec("rtf_sync_body"), dir.path(), "text");
    let o = imsg(&[
        Path::new("body"),
        Path::new("--html"),
        Path::new("--rtf"),
        &file,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = imsg(&["body", "--codepage", "x", "f.msg"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = imsg(&["body", "--help"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("PR_RTF_IN_SYNC"));
    // A message without any body.
    let bare = dir.path().join("none.json");
    std::fs::write(
        &bare,
        r#"{"message": {"properties": {"0x001A001F": {"value": "IPM.Note"}}}}"#,
    )
    .unwrap();
    let none = create(&bare, dir.path(), "none");
    let o = imsg(&[Path::new("body"), &none]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("MAPI_E_NOT_FOUND"), "{}", stderr(&o));
    // An unsupported code page.
    let o = imsg(&[Path::new("body"), Path::new("--codepage=1"), &file]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}
