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

/// Names the generated header declares: functions and data symbols.
fn header_symbols() -> std::collections::BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("include/imessage.h")).unwrap();
    let mut names = std::collections::BTreeSet::new();
    for line in text.lines() {
        let starts_declaration = line.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if !starts_declaration || line.starts_with("#") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("extern const GUID ") {
            names.insert(rest.trim_end_matches(';').to_string());
        } else if let Some(open) = line.find('(') {
            let name = line[..open].rsplit([' ', '*']).next().unwrap();
            names.insert(name.to_string());
        }
    }
    names
}

/// The `.so` exports exactly what the header declares: no Rust internals leak, nothing
/// declared is missing.
#[test]
fn exported_symbols_match_the_header() {
    let lib = library_dir().join("libimessage.so");
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("running nm");
    assert!(out.status.success());
    let exported: std::collections::BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
        .collect();
    let declared = header_symbols();
    assert!(
        declared.len() > 50,
        "header parsing found only {declared:?}"
    );
    let extra: Vec<_> = exported.difference(&declared).collect();
    let missing: Vec<_> = declared.difference(&exported).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "exported but not declared: {extra:?}\ndeclared but not exported: {missing:?}"
    );
    println!(
        "{} symbols exported, all declared in include/imessage.h",
        exported.len()
    );
}

#[test]
fn api_errors_c() {
    compile_and_run("api_errors.c");
}

#[test]
fn abi_layout_c() {
    compile_and_run("abi_layout.c");
}

#[test]
fn abi_layout_cpp() {
    compile_and_run("abi_layout.cpp");
}

#[test]
fn api_errors_cpp() {
    compile_and_run("api_errors_cpp.cpp");
}

#[test]
fn abi_subclass_cpp() {
    compile_and_run("abi_subclass.cpp");
}

#[test]
fn recipients_c() {
    compile_and_run("recipients.c");
}

#[test]
fn attachments_c() {
    compile_and_run("attachments.c");
}

#[test]
fn tables_cpp() {
    compile_and_run("tables_cpp.cpp");
}

#[test]
fn named_c() {
    compile_and_run("named.c");
}

#[test]
fn named_cpp() {
    compile_and_run("named_cpp.cpp");
}

#[test]
fn foreign_storage_cpp() {
    compile_and_run("foreign_storage_cpp.cpp");
}

#[test]
fn mapiutil_c() {
    compile_and_run("mapiutil.c");
}

#[test]
fn mapiutil_packed_c() {
    compile_and_run("mapiutil_packed.c");
}

#[test]
fn mapiutil_cpp() {
    compile_and_run("mapiutil_cpp.cpp");
}

#[test]
fn lockbytes_c() {
    compile_and_run("lockbytes.c");
}

#[test]
fn storage_ex_c() {
    compile_and_run("storage_ex.c");
}

#[test]
fn storage_methods_c() {
    compile_and_run("storage_methods.c");
}

#[test]
fn copy_cpp() {
    compile_and_run("copy_cpp.cpp");
}

#[test]
fn copy_progress_cpp() {
    compile_and_run("copy_progress_cpp.cpp");
}

#[test]
fn lockbytes_cpp() {
    compile_and_run("lockbytes_cpp.cpp");
}

#[test]
fn stream_matrix_c() {
    compile_and_run("stream_matrix.c");
}

#[test]
fn widths_c() {
    compile_and_run("widths.c");
}

#[test]
fn threads_c() {
    compile_and_run("threads.c");
}
