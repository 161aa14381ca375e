//! Bytes as a compound file: walked whole, copied with `CopyTo`, reopened:
//! `cargo +nightly fuzz run storage`.
//! The checks live in `storage_check.rs`, which `tests/fuzz_regressions.rs` also runs on the
//! saved reproducers under `tests/fuzz_regressions/storage/` (on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "storage_check.rs"]
mod storage_check;

fuzz_target!(|data: &[u8]| storage_check::check(data));
