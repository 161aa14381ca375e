//! Build script: declares the configuration names the sources use. The header is not
//! generated here (build scripts must not write into the source tree); see cbindgen.toml.
//!
//! For a Windows target it also exports every C function under its stdcall-decorated name
//! as well (`OpenIMsgOnIStg@44`), as Windows' `mapi32.dll` does and as callers ask
//! `GetProcAddress` for (mapi-abi.md §1.5). The sizes are computed as 32-bit stdcall would:
//! 4 bytes per argument (every exported argument is a pointer or a 32-bit integer), except
//! a `FILETIME` passed by value, which takes 8 (`FtAddFt@16`). The aliases go to the linker
//! in a module-definition file in `OUT_DIR`.
//!
//! And it turns `c-tests/programs.txt`, the one list of the C test programs, into the
//! `#[test]` functions `tests/c_tests.rs` includes (`c_programs.rs` in `OUT_DIR`).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Never set for rustc: cbindgen maps it to `_WIN32` to leave out of the generated header
    // what Windows' own headers define (src/consts.rs).
    println!("cargo::rustc-check-cfg=cfg(imsg_windows_headers)");
    // Never set either: cbindgen maps it to `IMSG_NO_EXTRA_GUIDS` (src/capi/guid_symbols.rs).
    println!("cargo::rustc-check-cfg=cfg(imsg_no_extra_guids)");
    println!("cargo::rerun-if-changed=build.rs");
    c_programs();
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        decorated_exports();
    }
}

/// Writes `c_programs.rs`: for each program of `c-tests/programs.txt` whose `linux` column
/// says `yes`, a test named after its file (`named.c` -> `named_c`, `tables_cpp.cpp` ->
/// `tables_cpp`) that compiles and runs it.
fn c_programs() {
    let list = "c-tests/programs.txt";
    println!("cargo::rerun-if-changed={list}");
    let text = std::fs::read_to_string(list).expect("c-tests/programs.txt");
    let mut out = String::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('#').next().unwrap().split_whitespace().collect();
        let Some(&program) = fields.first() else {
            continue;
        };
        assert!(fields.len() >= 4, "{list}: too few columns for {program}");
        if fields[1] != "yes" {
            continue;
        }
        let (stem, ext) = program.rsplit_once('.').expect("a program file name");
        let suffix = format!("_{ext}");
        let test = if stem.ends_with(&suffix) {
            stem.to_string()
        } else {
            format!("{stem}{suffix}")
        };
        writeln!(
            out,
            "#[test]\nfn {test}() {{\n    compile_and_run({program:?});\n}}"
        )
        .unwrap();
    }
    let dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&dir).join("c_programs.rs"), out).expect("write c_programs.rs");
}

/// Writes `decorated.def` (`"Name@N" = Name` for each exported function of `src/capi/`,
/// leaving out those `#[cfg(not(windows))]` removes) and hands it to the cdylib's linker.
fn decorated_exports() {
    let dir = Path::new("src/capi");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("src/capi")
        .map(|e| e.expect("src/capi entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    let mut exports = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source file");
        exported_functions(&text, &mut exports);
    }
    let mut def = String::from("EXPORTS\n");
    for (name, args) in &exports {
        writeln!(def, "    \"{name}@{args}\" = {name}").unwrap();
    }
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("decorated.def");
    std::fs::write(&out, def).expect("write decorated.def");
    println!("cargo::rustc-cdylib-link-arg={}", out.display());
}

/// Finds `#[unsafe(no_mangle)] pub unsafe extern "system" fn Name(args)` items and counts
/// their arguments.
fn exported_functions(text: &str, exports: &mut Vec<(String, usize)>) {
    const FN: &str = "pub unsafe extern \"system\" fn ";
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() != "#[unsafe(no_mangle)]" {
            continue;
        }
        // The attributes just above and below the marker.
        let mut attrs = Vec::new();
        let mut j = i;
        while j > 0 && lines[j - 1].trim_start().starts_with("#[") {
            j -= 1;
            attrs.push(lines[j].trim());
        }
        let mut k = i + 1;
        while k < lines.len() && lines[k].trim_start().starts_with("#[") {
            attrs.push(lines[k].trim());
            k += 1;
        }
        if attrs.iter().any(|a| a.contains("not(windows)")) {
            continue;
        }
        let rest = &text[offset(text, k)..];
        let Some(sig) = rest.trim_start().strip_prefix(FN) else {
            continue; // a static (GUID data): no decoration
        };
        let open = sig.find('(').expect("argument list");
        let name = sig[..open].trim().to_string();
        exports.push((name, arg_bytes(&sig[open + 1..])));
    }
}

/// Byte offset of line `n` in `text`.
fn offset(text: &str, n: usize) -> usize {
    text.split_inclusive('\n').take(n).map(str::len).sum()
}

/// The stack bytes 32-bit stdcall gives the arguments of a list starting just after its
/// `(`: 4 for each, 8 for a `FILETIME` passed by value.
fn arg_bytes(list: &str) -> usize {
    let (mut depth, mut prev) = (0usize, ' ');
    let mut args: Vec<String> = vec![String::new()];
    for c in list.chars() {
        match c {
            '(' | '<' | '[' => depth += 1,
            ')' if depth == 0 => break,
            ')' | ']' => depth -= 1,
            '>' if prev != '-' => depth -= 1,
            ',' if depth == 0 => {
                args.push(String::new());
                prev = c;
                continue;
            }
            _ => {}
        }
        args.last_mut().expect("one argument at least").push(c);
        prev = c;
    }
    args.iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            let ty = a.split_once(':').map_or("", |(_, t)| t.trim());
            if ty == "FILETIME" { 8 } else { 4 }
        })
        .sum()
}
