//! Bytes as a compound file: walked whole, copied with `CopyTo`, reopened:
//! `cargo +nightly fuzz run cfb`.
//! The checks live in `cfb_check.rs`, which `tests/fuzz_regressions.rs` also runs on the
//! saved reproducers under `tests/fuzz_regressions/cfb/` (on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "cfb_check.rs"]
mod cfb_check;

fuzz_target!(|data: &[u8]| cfb_check::check(data));
