//! Bytes as a `.msg` opened read-write: one property set, `SaveChanges`, reopened, compared:
//! `cargo +nightly fuzz run roundtrip`.
//! The checks live in `roundtrip_check.rs`, which `tests/fuzz_regressions.rs` also runs on the
//! saved reproducers under `tests/fuzz_regressions/roundtrip/` (on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "read_msg_check.rs"]
mod read_msg_check;
#[path = "roundtrip_check.rs"]
mod roundtrip_check;

fuzz_target!(|data: &[u8]| roundtrip_check::check(data));
