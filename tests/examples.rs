//! The README's examples build and run as documented: `examples/run-hello.sh` (C) and
//! `examples/run-legacy.sh` (classic Windows MAPI C++, compiled unchanged).

use std::path::Path;
use std::process::Command;

fn run_script(script: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("sh")
        .arg(root.join("examples").join(script))
        .arg(dir.path().join("out.msg"))
        .output()
        .expect("running sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "{script} failed:\n{text}");
    assert!(
        dir.path().join("out.msg").exists(),
        "{script} wrote no file"
    );
    text
}

#[test]
fn legacy_mapi_example_saves_and_reads_back() {
    let text = run_script("run-legacy.sh");
    for line in [
        "subject: Quarterly report",
        "recipient: Alice Example (To)",
        "recipient: Bob Example (Cc)",
        "attachment: figures.csv, 30 bytes:",
        "Q2,120",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}
