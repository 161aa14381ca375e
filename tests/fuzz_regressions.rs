//! Replays the fuzzers' saved inputs on stable: every file under
//! `tests/fuzz_regressions/<target>/` goes through the same checks as `fuzz/fuzz_targets/`.

#[path = "../fuzz/fuzz_targets/codec_check.rs"]
mod codec_check;
#[path = "../fuzz/fuzz_targets/modify_msg_check.rs"]
mod modify_msg_check;
#[path = "../fuzz/fuzz_targets/read_msg_check.rs"]
mod read_msg_check;
#[path = "../fuzz/fuzz_targets/roundtrip_check.rs"]
mod roundtrip_check;
#[path = "../fuzz/fuzz_targets/rtf_check.rs"]
mod rtf_check;
#[path = "../fuzz/fuzz_targets/storage_check.rs"]
mod storage_check;
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
fn read_msg_reproducers() {
    replay("read_msg", read_msg_check::check);
}

#[test]
fn storage_reproducers() {
    replay("storage", storage_check::check);
}

#[test]
fn roundtrip_reproducers() {
    replay("roundtrip", roundtrip_check::check);
}

#[test]
fn modify_msg_reproducers() {
    replay("modify_msg", modify_msg_check::check);
}

#[test]
fn codec_reproducers() {
    replay("codec", codec_check::check);
}

/// The fuzzers' seeds: every sample `.msg` of the shared corpus (`IMESSAGE_CORPUS` overrides
/// `../shared/corpus`) through the read, round-trip and modify checks, the last with a
/// fixed sequence of operations appended.
#[test]
fn seed_corpus() {
    let dir = match std::env::var_os("IMESSAGE_CORPUS") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
    .join("msg");
    let Ok(listing) = std::fs::read_dir(&dir) else {
        println!("no sample files at {}: skipped", dir.display());
        return;
    };
    let ops = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz_regressions/modify_msg/new-message-every-op"),
    )
    .unwrap();
    let mut n = 0;
    for entry in listing {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        read_msg_check::check(&bytes);
        roundtrip_check::check(&bytes);
        modify_msg_check::check(&[bytes, ops.clone()].concat());
        n += 1;
    }
    assert!(n >= 100, "{n} sample files");
    println!("{n} sample files checked");
}
