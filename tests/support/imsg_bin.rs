//! The `imsg` executable, for the tests that run it. `imsg` is its own package (`imsg/`), and
//! Cargo gives `CARGO_BIN_EXE_*` only to a package's own tests, so it is built here with the
//! profile these tests were built with, as `tests/c_tests.rs` builds the library.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Builds `imsg` (once per test process) and returns its path.
pub fn imsg_exe() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable");
        // target/<profile>/deps/<test exe> -> target/<profile>
        let dir = exe.parent().unwrap().parent().unwrap();
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--quiet",
            "--package",
            "imsg",
            "--bin",
            "imsg",
        ]);
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo build");
        assert!(status.success(), "cargo build --package imsg failed");
        dir.join(format!("imsg{}", std::env::consts::EXE_SUFFIX))
    })
}
