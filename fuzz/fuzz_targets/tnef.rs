//! The TNEF decoder (and our writer on what it reads) on arbitrary bytes: `cargo +nightly
//! fuzz run tnef`. The checks live in `tnef_check.rs`, which `tests/fuzz_regressions.rs`
//! also runs on the saved reproducers under `tests/fuzz_regressions/tnef/` (on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "tnef_check.rs"]
mod tnef_check;

fuzz_target!(|data: &[u8]| tnef_check::check(data));
