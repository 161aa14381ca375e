//! A `.msg` opened read-write and changed by a sequence of operations decoded from the input,
//! saved and reopened along the way: `cargo +nightly fuzz run modify_msg`.
//! The checks live in `modify_msg_check.rs`, which `tests/fuzz_regressions.rs` also runs on
//! the saved reproducers under `tests/fuzz_regressions/modify_msg/` (on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "read_msg_check.rs"]
mod read_msg_check;
#[path = "modify_msg_check.rs"]
mod modify_msg_check;

fuzz_target!(|data: &[u8]| modify_msg_check::check(data));
