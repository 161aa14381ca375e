//! The byte-format parsers on their own (property streams, the named-property map, value
//! streams): `cargo +nightly fuzz run codec`.
//! The checks live in `codec_check.rs`, which `tests/fuzz_regressions.rs` also runs on the
//! saved reproducers under `tests/fuzz_regressions/codec/` (on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "codec_check.rs"]
mod codec_check;

fuzz_target!(|data: &[u8]| codec_check::check(data));
