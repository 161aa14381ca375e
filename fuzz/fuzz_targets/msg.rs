//! Bytes as a `.msg`, opened read-only through the model and read whole:
//! `cargo +nightly fuzz run msg`.
//! The checks live in `msg_check.rs`, which `tests/fuzz_regressions.rs` also runs on the
//! saved reproducers under `tests/fuzz_regressions/msg/` (on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "msg_check.rs"]
mod msg_check;

fuzz_target!(|data: &[u8]| msg_check::check(data));
