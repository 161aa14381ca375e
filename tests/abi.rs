//! The exported ABI against a snapshot: every function and data symbol `include/imessage.h`
//! declares, recorded in `tests/abi/libimessage.so.<major>.txt` for the soname the crate's
//! version gives (`libimessage.so.<major>`, see README "Versions").
//!
//! Under one soname an export may be added but never changed or removed: programs linked to
//! `libimessage.so.0` must keep running against every later `libimessage.so.0`. So the test
//! fails when a recorded declaration's types (return type, parameter types and their order,
//! the `#if` it sits in) differ from the header's or it is gone, and says to bump the major
//! version instead; that starts a new snapshot. New exports and renamed parameters are
//! recorded with `UPDATE_ABI=1 cargo test --test abi`, which refuses to record a break.
//!
//! Structures and vtables (the hand-written `mapidefs.h`, `imsg_ole.h`) are not covered:
//! `c-tests/abi_layout.c` checks their layout against the SDK's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One exported declaration: its text as the header has it (whitespace collapsed, inside the
/// `#if`s around it) and the same without parameter names, which is what the ABI is.
#[derive(Debug, Clone, PartialEq)]
struct Decl {
    text: String,
    types: String,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The major version, which the soname carries (`[package.metadata.capi.library]`
/// `version_suffix_components = 1` in Cargo.toml).
fn soname() -> String {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    format!("libimessage.so.{major}")
}

fn snapshot_path() -> PathBuf {
    root().join("tests/abi").join(format!("{}.txt", soname()))
}

/// The declarations after `extern "C" {`, keyed by name.
fn header_decls(header: &str) -> BTreeMap<String, Decl> {
    let body = header
        .split_once("extern \"C\" {")
        .expect("the header's extern \"C\" block")
        .1;
    let mut decls = BTreeMap::new();
    let mut conds: Vec<String> = Vec::new();
    let mut pending = String::new();
    let mut in_comment = false;
    for line in body.lines() {
        let t = line.trim();
        if in_comment {
            in_comment = !t.contains("*/");
            continue;
        }
        if t.starts_with("/*") {
            in_comment = !t.contains("*/");
            continue;
        }
        if t.is_empty() || t.starts_with("//") {
            continue;
        }
        if let Some(d) = t.strip_prefix('#') {
            let d = d.trim_start();
            if d.starts_with("if") {
                conds.push(t.to_string());
            } else if d.starts_with("endif") {
                conds.pop();
            } else if !d.starts_with("include") {
                panic!("unexpected directive in imessage.h's exports: {t}");
            }
            continue;
        }
        if t.starts_with('}') {
            break; // the end of the extern "C" block
        }
        pending.push(' ');
        pending.push_str(t);
        if t.ends_with(';') {
            let text = collapse(&pending);
            pending.clear();
            // `#ifdef __cplusplus` closes the block: it is not a condition of the exports.
            let scope: Vec<&str> = conds
                .iter()
                .map(String::as_str)
                .filter(|c| !c.contains("__cplusplus"))
                .collect();
            let prefix = if scope.is_empty() {
                String::new()
            } else {
                format!("[{}] ", scope.join(" "))
            };
            let name = decl_name(&text);
            let decl = Decl {
                types: format!("{prefix}{}", without_names(&text)),
                text: format!("{prefix}{text}"),
            };
            assert!(
                decls.insert(name.clone(), decl).is_none(),
                "{name} declared twice"
            );
        }
    }
    assert!(
        pending.trim().is_empty(),
        "unterminated declaration: {pending}"
    );
    decls
}

fn collapse(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    s.replace("( ", "(").replace(" )", ")")
}

/// `HRESULT Name(...)` -> Name; `extern const GUID Name;` -> Name.
fn decl_name(text: &str) -> String {
    let head = text.split('(').next().unwrap().trim_end_matches(';');
    head.rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| panic!("no name in {text}"))
        .to_string()
}

fn is_ident(tok: &str) -> bool {
    tok.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Splits a C declaration into identifier and punctuation tokens.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() || c == '_' {
            cur.push(c);
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if !c.is_whitespace() {
            out.push(c.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The declaration with its parameter names left out (also inside function-pointer
/// parameters), tokens separated by one space.
fn without_names(text: &str) -> String {
    let toks = tokens(text);
    let Some(open) = toks.iter().position(|t| t == "(") else {
        return toks.join(" "); // a data symbol
    };
    let mut out: Vec<String> = toks[..open].to_vec();
    out.extend(params(&toks[open..]));
    out.join(" ")
}

/// `( p1 , p2 )` followed by anything: each parameter without its name.
fn params(toks: &[String]) -> Vec<String> {
    assert_eq!(toks[0], "(");
    let mut out = vec!["(".to_string()];
    let mut depth = 0usize;
    let mut start = 1;
    let mut i = 1;
    while i < toks.len() {
        match toks[i].as_str() {
            "(" => depth += 1,
            ")" if depth > 0 => depth -= 1,
            "," | ")" if depth == 0 => {
                out.extend(param(&toks[start..i]));
                out.push(toks[i].clone());
                if toks[i] == ")" {
                    out.extend(toks[i + 1..].iter().cloned());
                    return out;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced parameter list: {}", toks.join(" "));
}

/// One parameter without its name: `T *name` -> `T *`; `R (*name)(A a)` -> `R (*)(A)`.
fn param(toks: &[String]) -> Vec<String> {
    if let Some(p) = toks.windows(2).position(|w| w[0] == "(" && w[1] == "*") {
        // A function pointer: `R ( * name ) ( params )`.
        let mut out: Vec<String> = toks[..p + 2].to_vec();
        let close = toks[p..].iter().position(|t| t == ")").unwrap() + p;
        out.extend(toks[p + 2..close].iter().filter(|t| !is_ident(t)).cloned());
        out.push(")".to_string());
        out.extend(params(&toks[close + 1..]));
        return out;
    }
    let mut out = toks.to_vec();
    if out.len() > 1 && out.last().is_some_and(|t| is_ident(t)) {
        out.pop();
    }
    out
}

/// The snapshot: `#` comment lines, then one declaration a line.
fn read_snapshot(text: &str) -> BTreeMap<String, Decl> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let body = l
                .strip_prefix('[')
                .map_or(l, |r| r.split_once("] ").unwrap().1);
            let decl = Decl {
                text: l.to_string(),
                types: match l.split_once("] ") {
                    Some((cond, rest)) if l.starts_with('[') => {
                        format!("{cond}] {}", without_names(rest))
                    }
                    _ => without_names(l),
                },
            };
            (decl_name(body), decl)
        })
        .collect()
}

fn render_snapshot(decls: &BTreeMap<String, Decl>) -> String {
    let mut out = format!(
        "# The exported ABI of {}: every declaration of include/imessage.h's extern \"C\" block,\n\
         # by name. Checked by tests/abi.rs: under this soname a line may be added, never changed\n\
         # or removed (README \"Versions\"). New exports: UPDATE_ABI=1 cargo test --test abi\n",
        soname()
    );
    for d in decls.values() {
        out.push_str(&d.text);
        out.push('\n');
    }
    out
}

#[test]
fn exports_keep_their_signatures_under_one_soname() {
    let header = std::fs::read_to_string(root().join("include/imessage.h")).unwrap();
    let now = header_decls(&header);
    assert!(
        now.len() > 100,
        "only {} declarations parsed from imessage.h",
        now.len()
    );
    let path = snapshot_path();
    let update = std::env::var_os("UPDATE_ABI").is_some();
    let Ok(text) = std::fs::read_to_string(&path) else {
        assert!(
            update,
            "no ABI snapshot for {} ({}): a new major version starts one; \
             record it with UPDATE_ABI=1 cargo test --test abi",
            soname(),
            path.display()
        );
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, render_snapshot(&now)).unwrap();
        return;
    };
    let recorded = read_snapshot(&text);

    let mut breaks = Vec::new();
    for (name, old) in &recorded {
        match now.get(name) {
            None => breaks.push(format!("removed: {}", old.text)),
            Some(new) if new.types != old.types => {
                breaks.push(format!("changed: {}\n     now: {}", old.text, new.text))
            }
            Some(_) => {}
        }
    }
    assert!(
        breaks.is_empty(),
        "exported declarations of {} changed or removed:\n  {}\n\
         Programs built against {} would call them wrongly. Keep the old declaration (add a new \
         function instead), or bump the major version in Cargo.toml (a new soname), say so in \
         CHANGELOG.md and record the new ABI with UPDATE_ABI=1 cargo test --test abi.",
        soname(),
        breaks.join("\n  "),
        soname(),
    );

    let unrecorded: Vec<&str> = now
        .iter()
        .filter(|(name, d)| recorded.get(*name).is_none_or(|old| old.text != d.text))
        .map(|(_, d)| d.text.as_str())
        .collect();
    if update {
        std::fs::write(&path, render_snapshot(&now)).unwrap();
    } else {
        assert!(
            unrecorded.is_empty(),
            "declarations not in {} (new exports, or renamed parameters):\n  {}\nThese keep {} \
             compatible (new exports: bump the minor version when releasing and list them in \
             CHANGELOG.md); record them with UPDATE_ABI=1 cargo test --test abi.",
            path.display(),
            unrecorded.join("\n  "),
            soname(),
        );
    }
}

#[test]
fn parameter_names_are_not_part_of_the_abi() {
    let a = without_names(
        "HRESULT F(SCODE (*lpAlloc)(ULONG cb, void **lpp), const WCHAR *name, ULONG n);",
    );
    let b = without_names("HRESULT F(SCODE (*other)(ULONG x, void **y), const WCHAR *p, ULONG q);");
    assert_eq!(a, b);
    assert_eq!(
        a,
        "HRESULT F ( SCODE ( * ) ( ULONG , void * * ) , const WCHAR * , ULONG ) ;"
    );
    assert_ne!(
        a,
        without_names("HRESULT F(SCODE (*a)(ULONG b, void **c), const WCHAR *d);")
    );
    assert_eq!(without_names("void G(void);"), "void G ( void ) ;");
    assert_eq!(
        without_names("extern const GUID IID_IUnknown;"),
        "extern const GUID IID_IUnknown ;"
    );
    assert_eq!(decl_name("extern const GUID IID_IUnknown;"), "IID_IUnknown");
    assert_eq!(decl_name("void *GlobalLock(HGLOBAL hMem);"), "GlobalLock");
}

#[test]
fn a_changed_signature_is_a_break_and_a_new_one_an_addition() {
    let header = "extern \"C\" {\n#endif\n\
                  /*\n doc\n */\n\
                  HRESULT A(ULONG x);\n\
                  #if !defined(_WIN32)\nBOOL B(void *p,\n       ULONG n);\n#endif\n\
                  #ifdef __cplusplus\n}\n";
    let d = header_decls(header);
    assert_eq!(d.len(), 2);
    assert_eq!(d["A"].text, "HRESULT A(ULONG x);");
    assert_eq!(
        d["B"].text,
        "[#if !defined(_WIN32)] BOOL B(void *p, ULONG n);"
    );
    let snap = read_snapshot(&render_snapshot(&d));
    assert_eq!(snap, d);
    // Moving B out of its #if, or changing A's parameter type, differs in types.
    let changed =
        header_decls("extern \"C\" {\nHRESULT A(LONG x);\nBOOL B(void *p, ULONG n);\n}\n");
    assert_ne!(changed["A"].types, snap["A"].types);
    assert_ne!(changed["B"].types, snap["B"].types);
}
