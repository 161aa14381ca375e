//! Compressed RTF and RTF de-encapsulation on arbitrary bytes: `cargo +nightly fuzz run rtf`.
//! The checks live in `rtf_check.rs`, which `tests/fuzz_regressions.rs` also runs on the
//! saved reproducers under `tests/fuzz_regressions/rtf/` (on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "rtf_check.rs"]
mod rtf_check;

fuzz_target!(|data: &[u8]| rtf_check::check(data));
