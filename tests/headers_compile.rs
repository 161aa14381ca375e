//! The header-compile matrix: `c-tests/headers_all.c`, which includes every header of
//! `include/` under the names legacy code uses, compiled as C11, C++11 and C++17, each with
//! and without `CINTERFACE`, `UNICODE` and `INITGUID`, with `-Wall -Wextra -Werror`, then
//! linked to `libimessage.so` and run. A few more builds cover `-fshort-wchar` literals,
//! `<initguid.h>`, `USES_<name>` definitions in two translation units (weak definitions
//! must link) and `IMSG_NO_EXTRA_GUIDS`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the shared library with the profile these tests were built with; returns its
/// directory (as `tests/c_tests.rs` does).
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
        assert!(cmd.status().unwrap().success(), "cargo build --lib failed");
        exe.parent().unwrap().parent().unwrap().to_path_buf()
    })
}

#[derive(Clone, Copy, Debug)]
enum Lang {
    C11,
    Cxx11,
    Cxx17,
}

/// One build of the matrix.
#[derive(Clone, Debug)]
struct Variant {
    lang: Lang,
    defines: Vec<&'static str>,
    flags: Vec<&'static str>,
    /// Also compile a second translation unit and link both.
    two_units: bool,
}

impl Variant {
    fn name(&self) -> String {
        let mut name = format!("{:?}", self.lang).to_lowercase();
        for d in self.defines.iter().chain(&self.flags) {
            name.push('_');
            name.push_str(
                &d.trim_start_matches('-')
                    .replace(['=', '-'], "_")
                    .to_lowercase(),
            );
        }
        name
    }
}

fn compiler_args(lang: Lang) -> (&'static str, Vec<&'static str>) {
    match lang {
        Lang::C11 => ("gcc", vec!["-std=c11"]),
        Lang::Cxx11 => ("g++", vec!["-x", "c++", "-std=c++11"]),
        Lang::Cxx17 => ("g++", vec!["-x", "c++", "-std=c++17"]),
    }
}

/// Compiles, links and runs one variant; returns the compiler's or the program's complaint.
fn build_and_run(v: &Variant) -> Result<(), String> {
    let lib = library_dir();
    let out_dir = lib.join("headers-compile");
    std::fs::create_dir_all(&out_dir).unwrap();
    let name = v.name();
    let (cc, lang_args) = compiler_args(v.lang);
    let src = root().join("c-tests/headers_all.c");
    let compile = |extra: &[&str], object: &Path| -> Result<(), String> {
        let mut cmd = Command::new(cc);
        cmd.args(&lang_args)
            .args(["-Wall", "-Wextra", "-Werror", "-c"])
            .arg("-I")
            .arg(root().join("include"))
            .args(v.defines.iter().map(|d| format!("-D{d}")))
            .args(&v.flags)
            .args(extra)
            .arg(&src)
            .arg("-o")
            .arg(object);
        let out = cmd.output().map_err(|e| format!("{cc}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{name}: compiling failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    };
    let first = out_dir.join(format!("{name}.o"));
    compile(&[], &first)?;
    let mut objects = vec![first];
    if v.two_units {
        let second = out_dir.join(format!("{name}-2.o"));
        compile(&["-DIMSG_SECOND_TU"], &second)?;
        objects.push(second);
    }
    let exe = out_dir.join(&name);
    let out = Command::new(cc)
        .args(&objects)
        .args(&v.flags)
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(lib)
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(["-limessage", "-ldl"])
        .output()
        .map_err(|e| format!("{cc}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{name}: linking failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let out = Command::new(&exe)
        .output()
        .map_err(|e| format!("{name}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{name}: the program failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn matrix() -> Vec<Variant> {
    let mut all = Vec::new();
    for lang in [Lang::C11, Lang::Cxx11, Lang::Cxx17] {
        for bits in 0..8 {
            let mut defines = Vec::new();
            if bits & 1 != 0 {
                defines.push("CINTERFACE");
            }
            if bits & 2 != 0 {
                defines.push("UNICODE");
            }
            let initguid = bits & 4 != 0;
            if initguid {
                // INITGUID programs ask for every GUID, in two translation units.
                defines.extend(["INITGUID", "IMSG_TEST_USES"]);
            }
            all.push(Variant {
                lang,
                defines,
                flags: vec![],
                two_units: initguid,
            });
        }
        // L"..." literals as WCHAR strings.
        all.push(Variant {
            lang,
            defines: vec!["UNICODE", "IMSG_TEST_SHORT_WCHAR"],
            flags: vec!["-fshort-wchar"],
            two_units: false,
        });
        // INITGUID switched on part-way through by <initguid.h>.
        all.push(Variant {
            lang,
            defines: vec!["IMSG_TEST_INITGUID_H", "IMSG_TEST_USES"],
            flags: vec![],
            two_units: true,
        });
        // A program that defines CLSID_MailMessage and the property sets its own way.
        all.push(Variant {
            lang,
            defines: vec!["IMSG_NO_EXTRA_GUIDS", "INITGUID", "IMSG_TEST_USES"],
            flags: vec![],
            two_units: false,
        });
    }
    all
}

#[test]
fn every_header_compiles_cleanly_in_every_mode() {
    let variants = matrix();
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = variants
            .chunks(variants.len().div_ceil(4))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|v| build_and_run(v).err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} builds failed:\n{}",
        failures.len(),
        variants.len(),
        failures.join("\n")
    );
    println!(
        "{} header builds compiled without warnings and ran",
        variants.len()
    );
}
