//! The C and C++ programs of `c-tests/`, compiled against `include/` and linked to the
//! built `libimessage.so`, run as tests.
//!
//! `IMSG_CTEST_WRAPPER` runs each program under a command (CI uses valgrind);
//! `IMSG_CTEST_CFLAGS` adds compiler flags (CI adds the sanitizers).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the shared library with the profile these tests were built with; returns its
/// directory.
fn library_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let release = exe.components().any(|c| c.as_os_str() == "release");
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(root()).args(["build", "--lib", "--quiet"]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo build");
        assert!(status.success(), "cargo build --lib failed");
        // target/<profile>/deps/<test exe> -> target/<profile>
        exe.parent().unwrap().parent().unwrap().to_path_buf()
    })
}

/// Compiles one test program and returns the executable.
fn compile(source: &str) -> PathBuf {
    let lib = library_dir();
    let src = root().join("c-tests").join(source);
    let cpp = source.ends_with(".cpp");
    let out_dir = lib.join("c-tests");
    std::fs::create_dir_all(&out_dir).unwrap();
    let exe = out_dir.join(source.replace('.', "_"));
    let mut cmd = Command::new(if cpp { "g++" } else { "gcc" });
    cmd.arg(if cpp { "-std=c++17" } else { "-std=c11" })
        .args(["-Wall", "-Wextra", "-Werror", "-g", "-O1"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-limessage");
    if let Ok(extra) = std::env::var("IMSG_CTEST_CFLAGS") {
        cmd.args(extra.split_whitespace());
    }
    let out = cmd.output().expect("running the C compiler");
    assert!(
        out.status.success(),
        "compiling {source} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs a compiled test program; it must exit with 0.
fn run(exe: &Path) {
    let mut cmd = match std::env::var("IMSG_CTEST_WRAPPER") {
        Ok(wrapper) if !wrapper.trim().is_empty() => {
            let mut parts = wrapper.split_whitespace();
            let mut cmd = Command::new(parts.next().unwrap());
            cmd.args(parts).arg(exe);
            cmd
        }
        _ => Command::new(exe),
    };
    let out = cmd.output().expect("running a C test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(
        out.status.success(),
        "{} failed ({}):\n{text}",
        exe.display(),
        out.status
    );
}

fn compile_and_run(source: &str) {
    run(&compile(source));
}

#[test]
fn roundtrip_c() {
    compile_and_run("roundtrip.c");
}
