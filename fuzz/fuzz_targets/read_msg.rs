//! Bytes as a `.msg`, opened read-only through the model and read whole:
//! `cargo +nightly fuzz run read_msg`.
//! The checks live in `read_msg_check.rs`, which `tests/fuzz_regressions.rs` also runs on the
//! saved reproducers under `tests/fuzz_regressions/read_msg/` (on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "read_msg_check.rs"]
mod read_msg_check;

fuzz_target!(|data: &[u8]| read_msg_check::check(data));
