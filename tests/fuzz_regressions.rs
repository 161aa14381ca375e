//! Replays the fuzzers' saved inputs on stable: every file under
//! `tests/fuzz_regressions/<target>/` goes through the same checks as `fuzz/fuzz_targets/`.

#[path = "../fuzz/fuzz_targets/roundtrip_check.rs"]
mod roundtrip_check;
#[path = "../fuzz/fuzz_targets/storage_check.rs"]
mod storage_check;
// The `msg` checks come with the round trip's, which reads through them.
use roundtrip_check::msg_check;
#[path = "../fuzz/fuzz_targets/rtf_check.rs"]
mod rtf_check;
#[path = "../fuzz/fuzz_targets/tnef_check.rs"]
mod tnef_check;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_regressions")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            check(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n > 0, "no reproducers in {}", dir.display());
    println!("{target}: {n} inputs replayed");
}

#[test]
fn rtf_reproducers() {
    replay("rtf", rtf_check::check);
}

#[test]
fn tnef_reproducers() {
    replay("tnef", tnef_check::check);
}

#[test]
fn msg_reproducers() {
    replay("msg", msg_check::check);
}

#[test]
fn storage_reproducers() {
    replay("storage", storage_check::check);
}

#[test]
fn roundtrip_reproducers() {
    replay("roundtrip", roundtrip_check::check);
}
