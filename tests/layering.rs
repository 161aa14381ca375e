//! The layer rule of DESIGN.md, kept by a test: a file of `src/` imports only from its own
//! layer or the layers below it, in the order capi > com > model > codec > types > storage.
//! Test modules (`#[cfg(test)] mod tests` to the end of a file, and files only compiled for
//! tests) may reach anywhere; comments are not code.

use std::fs;
use std::path::{Path, PathBuf};

const LAYERS: [&str; 6] = ["storage", "types", "codec", "model", "com", "capi"];

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its test module and comments.
fn library_code(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..end]
        .lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every top-level module a `crate::` path in `code` names (`crate::a::x`, and each
/// member of `crate::{a, b::c}`).
fn crate_modules(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `mycrate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            // Members at depth 0 of the braces.
            let mut depth = 0;
            let mut start = 0;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.push(ident(&group[start..k]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(ident(&group[start..k]));
                        start = k + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest));
        }
    }
    found
}

#[test]
fn imports_only_look_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut checked = 0;
    let mut up = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let Some(own) = rank(&top) else {
            continue; // lib.rs, consts.rs, error.rs, platform.rs, bin/: outside the layers
        };
        let name = rel.file_name().unwrap().to_string_lossy();
        if name.ends_with("_tests.rs") {
            continue; // compiled only as a test module
        }
        checked += 1;
        let code = library_code(&fs::read_to_string(path).unwrap());
        for module in crate_modules(&code) {
            if let Some(target) = rank(&module)
                && target > own
            {
                up.push(format!("{} -> crate::{module}", rel.display()));
            }
        }
    }
    up.sort();
    up.dedup();
    assert!(checked > 50, "only {checked} files found under src/");
    assert!(
        up.is_empty(),
        "imports that go up a layer (order: capi > com > model > codec > types > storage):\n  {}",
        up.join("\n  ")
    );
}

#[test]
fn the_scanner_sees_grouped_and_plain_paths() {
    let code = library_code(
        "use crate::codec::values;\nuse crate::{model::name_map, com};\n// crate::capi\nlet x = crate::storage::Blob::default();\n#[cfg(test)]\nmod tests {\n use crate::capi;\n}",
    );
    assert_eq!(
        crate_modules(&code),
        ["codec", "model", "com", "storage"].map(String::from)
    );
}
