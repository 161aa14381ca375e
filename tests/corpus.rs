//! Corpus tier: every public sample `.msg` file of `../shared/corpus/msg/` is opened read-only
//! the way a MAPI caller opens it (`StgOpenStorage(STGM_READ | STGM_SHARE_DENY_WRITE)` then
//! `OpenIMsgOnIStg`), and the top-level message's properties — `GetPropList`, `GetProps`
//! with each expected tag as stored (so no string-width conversion happens) and
//! `GetAttribIMsgOnIStg` — are compared with an independent reader's dump in
//! `../shared/corpus/expected/` (format: `../shared/corpus/README.md`).
//!
//! Differences that have a documented reason are listed, one line per file and tag (or per
//! rule), in `tests/corpus-allowlist.txt`; a line that no file uses fails the test, so the
//! list stays honest. The three fuzzer-damaged files must be refused with an error or read
//! as far as they are readable, never panic or hang; what happened is reported.
//!
//! When the corpus is absent (`IMESSAGE_CORPUS` overrides its location) the test says it
//! skips and passes.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use imessage::consts::*;
use imessage::error::ErrorKind;
use imessage::model::message::{MsgFile, PropOut};
use imessage::model::prop::{PropValue, prop_id, prop_type};
use imessage::model::strings;
use imessage::storage::Storage;
use imessage::storage::docfile::open_file;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How long one file may take to open and read before it counts as a hang.
const TIME_BOUND: Duration = Duration::from_secs(60);

const PR_OBJECT_TYPE: u32 = 0x0FFE_0003;
const PR_ACCESS: u32 = 0x0FF4_0003;
const PR_ACCESS_LEVEL: u32 = 0x0FF7_0003;
const PR_STORE_SUPPORT_MASK: u32 = 0x340D_0003;
const PR_MESSAGE_FLAGS: u32 = 0x0E07_0003;

fn corpus_dir() -> PathBuf {
    match std::env::var_os("IMESSAGE_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

fn is_fuzzer_file(name: &str) -> bool {
    name.starts_with("poi--clusterfuzz-testcase-minimized-")
}

// ===== what our IMessage answers =====

/// What the top-level message of one file answers.
struct Observed {
    unicode: bool,
    /// `GetPropList` (with the file's own string width).
    listed: Vec<u32>,
    /// `GetProps` by requested tag: the value, or the error kind.
    values: BTreeMap<u32, Result<PropValue, String>>,
    /// `GetAttribIMsgOnIStg` by requested tag.
    attribs: BTreeMap<u32, u32>,
    /// Deviations the reader noted.
    warnings: Vec<String>,
    /// The code page the message's 8-bit strings are read in.
    codepage: u32,
    /// 8-bit string properties asked for as `PT_UNICODE` (what a `MAPI_UNICODE` caller
    /// gets), by their stored tag.
    as_unicode: BTreeMap<u32, Result<PropValue, String>>,
    /// Where `GetProps(NULL)` (every property, the file's string width) disagrees with
    /// `GetPropList` and the per-tag answers.
    all_props_disagree: Vec<String>,
}

fn describe(kind: ErrorKind, message: &str) -> String {
    format!("{kind:?}: {message}")
}

/// Opens `path` read-only and reads the top-level message: the listed properties and every
/// tag of `wanted`, each asked for with its exact type.
fn observe(path: &Path, wanted: &[u32]) -> Result<Observed, String> {
    let storage = open_file(path, STGM_READ | STGM_SHARE_DENY_WRITE)
        .map_err(|e| describe(e.kind, &e.message))?;
    let storage: Arc<dyn Storage> = storage;
    let (file, root) =
        MsgFile::open(storage, false, false).map_err(|e| describe(e.kind, &e.message))?;
    let unicode = file.is_unicode();
    let listed = file
        .get_prop_list(root, unicode)
        .map_err(|e| describe(e.kind, &e.message))?;
    let mut request: Vec<u32> = wanted.to_vec();
    request.extend(listed.iter().copied().filter(|t| !wanted.contains(t)));
    let answers = file
        .get_props(root, Some(&request), unicode)
        .map_err(|e| describe(e.kind, &e.message))?;
    assert_eq!(answers.len(), request.len(), "GetProps answers every tag");
    let mut values = BTreeMap::new();
    for (&tag, answer) in request.iter().zip(answers) {
        let value = match answer {
            PropOut::Value(got, v) if got == tag => Ok(v),
            PropOut::Value(got, _) => Err(format!("answered with tag 0x{got:08X}")),
            // Large strings and binaries come through OpenProperty(IID_IStream), as a MAPI
            // caller reads them.
            PropOut::Error(_, ErrorKind::NotEnoughMemory)
                if matches!(prop_type(tag), PT_BINARY | PT_STRING8 | PT_UNICODE) =>
            {
                read_through_stream(&file, root, tag)
            }
            PropOut::Error(_, kind) => Err(format!("{kind:?}")),
        };
        values.insert(tag, value);
    }
    let mut all_props_disagree = Vec::new();
    let all = file
        .get_props(root, None, unicode)
        .map_err(|e| describe(e.kind, &e.message))?;
    let mut seen = BTreeSet::new();
    for answer in all {
        let (tag, got) = match answer {
            PropOut::Value(tag, v) => (tag, Ok(v)),
            PropOut::Error(tag, kind) => (tag, Err(format!("{kind:?}"))),
        };
        let key = listed.iter().copied().find(|&t| prop_id(t) == prop_id(tag));
        match key {
            None => all_props_disagree.push(format!("GetProps(NULL) answers unlisted 0x{tag:08X}")),
            Some(key) => {
                seen.insert(key);
                match (&got, values.get(&key)) {
                    (Ok(v), Some(Ok(w))) if tag == key && v == w => {}
                    // Too large for GetProps: both calls say so.
                    (Err(e), _) if e == "NotEnoughMemory" => {}
                    (got, per_tag) => all_props_disagree.push(format!(
                        "GetProps(NULL) answers 0x{tag:08X} = {}, GetProps(0x{key:08X}) = {}",
                        short(&format!("{got:?}")),
                        short(&format!("{per_tag:?}"))
                    )),
                }
            }
        }
    }
    for &tag in listed
        .iter()
        .filter(|t| !seen.contains(t) && prop_type(**t) != PT_OBJECT)
    {
        all_props_disagree.push(format!("GetProps(NULL) leaves out listed 0x{tag:08X}"));
    }
    let string8: Vec<u32> = request
        .iter()
        .copied()
        .filter(|&t| matches!(prop_type(t), PT_STRING8 | PT_MV_STRING8))
        .collect();
    let widened: Vec<u32> = string8
        .iter()
        .map(|&t| (t & 0xFFFF_0000) | (prop_type(t) & MV_FLAG) | PT_UNICODE)
        .collect();
    let answers = file
        .get_props(root, Some(&widened), true)
        .map_err(|e| describe(e.kind, &e.message))?;
    let as_unicode = string8
        .iter()
        .zip(answers)
        .map(|(&tag, answer)| {
            (
                tag,
                match answer {
                    PropOut::Value(_, v) => Ok(v),
                    PropOut::Error(_, kind) => Err(format!("{kind:?}")),
                },
            )
        })
        .collect();
    let codepage = file
        .with(|st| Ok(st.codepage(root)))
        .map_err(|e| describe(e.kind, &e.message))?;
    let flags = file
        .get_attribs(root, &request)
        .map_err(|e| describe(e.kind, &e.message))?;
    let attribs = request.iter().copied().zip(flags).collect();
    let warnings = file
        .with(|st| Ok(st.message(root)?.warnings.clone()))
        .map_err(|e| describe(e.kind, &e.message))?;
    Ok(Observed {
        unicode,
        listed,
        values,
        attribs,
        warnings,
        codepage,
        as_unicode,
        all_props_disagree,
    })
}

fn read_through_stream(file: &MsgFile, root: usize, tag: u32) -> Result<PropValue, String> {
    let start = file
        .open_prop_stream(root, tag, false, false)
        .map_err(|e| describe(e.kind, &e.message))?;
    let bytes = start
        .content
        .to_vec()
        .map_err(|e| describe(e.kind, &e.message))?;
    Ok(match prop_type(tag) {
        PT_BINARY => PropValue::Binary(bytes),
        PT_STRING8 => PropValue::String8(bytes),
        _ => PropValue::Unicode(
            bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        ),
    })
}

enum Outcome {
    Read(Box<Observed>),
    Refused(String),
    Panicked(String),
    TimedOut,
}

/// Runs [`observe`] on its own thread under `catch_unwind`, giving up after [`TIME_BOUND`].
fn observe_bounded(path: &Path, wanted: &[u32]) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let path = path.to_path_buf();
    let wanted = wanted.to_vec();
    std::thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(|| observe(&path, &wanted)));
        let _ = tx.send(result);
    });
    match rx.recv_timeout(TIME_BOUND) {
        Ok(Ok(Ok(observed))) => Outcome::Read(Box::new(observed)),
        Ok(Ok(Err(message))) => Outcome::Refused(message),
        Ok(Err(panic)) => Outcome::Panicked(
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".into()),
        ),
        // A hung thread is left behind; the test fails, which ends the process.
        Err(_) => Outcome::TimedOut,
    }
}

// ===== the expected dumps =====

/// Code points `U+10D800..=U+10DFFF` (private use, plane 16) stand for lone UTF-16
/// surrogates `D800..=DFFF` while the JSON goes through `serde_json`, which refuses them.
const SURROGATE_MARK: u32 = 0x10_0000;

/// Rewrites lone surrogates of a JSON text — escaped (`\udc80`) or raw WTF-8 bytes — as
/// the marker code points, so that `serde_json` accepts the text and [`utf16_of`] gives
/// back the exact code units.
fn protect_lone_surrogates(bytes: &[u8]) -> String {
    let mark = |unit: u32| char::from_u32(SURROGATE_MARK | unit).expect("plane-16 code point");
    let in_mark_range = |c: u32| (SURROGATE_MARK | 0xD800..=SURROGATE_MARK | 0xDFFF).contains(&c);
    // Raw surrogates (WTF-8: ED A0..BF 80..BF, never part of valid UTF-8) first.
    let mut text = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        let at = rest.windows(3).position(|w| {
            w[0] == 0xED && (0xA0..=0xBF).contains(&w[1]) && (0x80..=0xBF).contains(&w[2])
        });
        let head = &rest[..at.unwrap_or(rest.len())];
        match std::str::from_utf8(head) {
            Ok(s) => {
                assert!(
                    !s.chars().any(|c| in_mark_range(c as u32)),
                    "the dump itself uses U+10D800..U+10DFFF; choose another surrogate marker"
                );
                text.push_str(s);
            }
            Err(e) => panic!("expected dump is neither UTF-8 nor WTF-8: {e}"),
        }
        let Some(at) = at else { break };
        let w = &rest[at..at + 3];
        text.push(mark(
            0xD000 | (u32::from(w[1] & 0x3F) << 6) | u32::from(w[2] & 0x3F),
        ));
        rest = &rest[at + 3..];
    }
    // Then escapes: a `\uXXXX` surrogate not paired with its partner.
    let hex4 = |s: &str| u32::from_str_radix(s, 16).ok();
    let chars: Vec<char> = text.chars().collect();
    let escape_at = |j: usize| -> Option<u32> {
        if j + 6 <= chars.len() && chars[j] == '\\' && chars[j + 1] == 'u' {
            hex4(&chars[j + 2..j + 6].iter().collect::<String>())
        } else {
            None
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut j = 0;
    while j < chars.len() {
        if chars[j] != '\\' {
            out.push(chars[j]);
            j += 1;
            continue;
        }
        match escape_at(j) {
            Some(hi @ 0xD800..=0xDBFF) => match escape_at(j + 6) {
                Some(lo @ 0xDC00..=0xDFFF) => {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    assert!(
                        !in_mark_range(c),
                        "the dump itself uses U+10D800..U+10DFFF; choose another surrogate marker"
                    );
                    out.extend(&chars[j..j + 12]);
                    j += 12;
                }
                _ => {
                    out.push(mark(hi));
                    j += 6;
                }
            },
            Some(lo @ 0xDC00..=0xDFFF) => {
                out.push(mark(lo));
                j += 6;
            }
            _ => {
                // Any other escape: copy the backslash and the escaped character.
                out.extend(&chars[j..(j + 2).min(chars.len())]);
                j += 2;
            }
        }
    }
    out
}

fn load_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&protect_lone_surrogates(&bytes))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The UTF-16 code units of an expected string (lone surrogates restored).
fn utf16_of(s: &str) -> Vec<u16> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let c32 = c as u32;
        if (SURROGATE_MARK | 0xD800..=SURROGATE_MARK | 0xDFFF).contains(&c32) {
            out.push((c32 & 0xFFFF) as u16);
        } else {
            let mut buf = [0u16; 2];
            out.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    out
}

fn parse_tag(s: &str) -> Option<u32> {
    u32::from_str_radix(s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?, 16).ok()
}

fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("bad hex: {e}")))
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn short(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

/// One expected property entry.
struct Expected<'a> {
    tag: u32,
    entry: &'a serde_json::Map<String, Value>,
}

impl Expected<'_> {
    fn flag(&self, key: &str) -> bool {
        self.entry.get(key).and_then(Value::as_bool) == Some(true)
    }

    fn type_name(&self) -> &str {
        self.entry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("?")
    }

    /// The rule of the allowlist this entry falls under, if any.
    fn rules(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.flag("orphan_stream") {
            out.push("orphan_stream");
        }
        if self.entry.contains_key("raw") {
            out.push("raw");
        }
        if self.flag("missing_stream") {
            out.push("missing_stream");
        }
        out
    }
}

// ===== comparing values =====

/// Floats compare equal when at most one unit in the last place apart: the dump writes
/// the shortest decimal that round-trips, and `serde_json`'s default parser may round the
/// last bit differently.
fn float_eq(ours: f64, expected: &Value) -> Result<(), String> {
    let theirs = match expected {
        Value::Number(n) => n.as_f64().ok_or("not a float")?,
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "nan" => f64::NAN,
            "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
            "-inf" | "-infinity" => f64::NEG_INFINITY,
            other => return Err(format!("unknown float text {other:?}")),
        },
        other => return Err(format!("unexpected float {other}")),
    };
    let same = (ours.is_nan() && theirs.is_nan())
        || ours == theirs
        || (ours.is_finite()
            && theirs.is_finite()
            && ours.signum() == theirs.signum()
            && ours.to_bits().abs_diff(theirs.to_bits()) <= 1);
    if same {
        Ok(())
    } else {
        Err(format!("{ours:?} ≠ {theirs:?}"))
    }
}

fn int_eq(ours: i128, expected: &Value) -> Result<(), String> {
    let theirs = expected
        .as_i64()
        .map(i128::from)
        .or_else(|| expected.as_u64().map(i128::from))
        .ok_or_else(|| format!("expected integer, dump has {expected}"))?;
    if ours == theirs {
        Ok(())
    } else {
        Err(format!("{ours} ≠ {theirs}"))
    }
}

fn guid_text(g: &[u8; 16]) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{}-{}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        to_hex(&g[8..10]),
        to_hex(&g[10..16])
    )
}

fn units_eq(ours: &[u16], theirs: &[u16]) -> Result<(), String> {
    if ours == theirs {
        return Ok(());
    }
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    Err(format!(
        "UTF-16 differs at unit {at} (ours {} units {:?}, dump {} units {:?})",
        ours.len(),
        short(&String::from_utf16_lossy(ours)),
        theirs.len(),
        short(&String::from_utf16_lossy(theirs))
    ))
}

fn bytes_eq(ours: &[u8], theirs: &[u8]) -> Result<(), String> {
    if ours == theirs {
        Ok(())
    } else {
        Err(format!(
            "bytes differ (ours {} bytes {}, dump {} bytes {})",
            ours.len(),
            short(&to_hex(ours)),
            theirs.len(),
            short(&to_hex(theirs))
        ))
    }
}

/// A binary against `hex` when the dump has it, else `sha256` + `len`.
fn binary_eq(ours: &[u8], expected: &Value) -> Result<(), String> {
    if let Some(hex) = expected.get("hex").and_then(Value::as_str) {
        return bytes_eq(ours, &hex_bytes(hex)?);
    }
    if let Some(hex) = expected.as_str() {
        return bytes_eq(ours, &hex_bytes(hex)?);
    }
    let sha = expected
        .get("sha256")
        .and_then(Value::as_str)
        .ok_or("dump has neither hex nor sha256")?;
    let len = expected
        .get("len")
        .and_then(Value::as_u64)
        .ok_or("dump has no len")?;
    let ours_sha = to_hex(&Sha256::digest(ours));
    if ours.len() as u64 == len && ours_sha == sha {
        Ok(())
    } else {
        Err(format!(
            "ours {} bytes sha256 {ours_sha}, dump {len} bytes sha256 {sha}",
            ours.len()
        ))
    }
}

/// The scalar of one multi-valued element: the element itself, or its `value` /
/// `filetime` field when the dump writes elements as objects.
fn element<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(v)
}

fn each<T>(
    ours: &[T],
    values: &[Value],
    f: impl Fn(&T, &Value) -> Result<(), String>,
) -> Result<(), String> {
    if ours.len() != values.len() {
        return Err(format!("{} values, dump has {}", ours.len(), values.len()));
    }
    for (i, (a, b)) in ours.iter().zip(values).enumerate() {
        f(a, b).map_err(|e| format!("value {i}: {e}"))?;
    }
    Ok(())
}

/// Compares one value with its dump entry. `codepage` is the dump's `string8_codepage`,
/// which its multi-valued 8-bit strings are decoded with.
fn value_eq(ours: &PropValue, exp: &Expected, codepage: u32) -> Result<(), String> {
    use PropValue::*;
    let e = exp.entry;
    let value = || {
        e.get("value")
            .ok_or_else(|| "dump has no value".to_string())
    };
    let values = || {
        e.get("values")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .ok_or_else(|| "dump has no values".to_string())
    };
    let string8_text = |bytes: &[u8], v: &Value| -> Result<(), String> {
        if let Some(hex) = v.get("hex").and_then(Value::as_str) {
            return bytes_eq(bytes, &hex_bytes(hex)?);
        }
        let text = v.as_str().ok_or("expected a string")?;
        let decoded = strings::decode(codepage, bytes).map_err(|e| e.message)?;
        units_eq(&decoded, &utf16_of(text))
    };
    match ours {
        I2(x) => int_eq(i128::from(*x), value()?),
        Long(x) => int_eq(i128::from(*x), value()?),
        I8(x) | Currency(x) => int_eq(i128::from(*x), value()?),
        R4(x) => float_eq(f64::from(*x), value()?),
        Double(x) | AppTime(x) => float_eq(*x, value()?),
        Boolean(b) => match value()?.as_bool() {
            Some(t) if t == *b => Ok(()),
            Some(t) => Err(format!("{b} ≠ {t}")),
            None => Err("dump value is not a boolean".into()),
        },
        Error(x) => {
            let text = value()?.as_str().ok_or("dump value is not hex text")?;
            match parse_tag(text) {
                Some(t) if t == *x as u32 => Ok(()),
                _ => Err(format!("0x{:08X} ≠ {text}", *x as u32)),
            }
        }
        SysTime(ft) => {
            let theirs = e
                .get("filetime")
                .ok_or_else(|| "dump has no filetime".to_string())?;
            int_eq(i128::from(*ft), theirs)
        }
        Clsid(g) => {
            let theirs = value()?.as_str().ok_or("dump value is not text")?;
            if guid_text(g) == theirs {
                Ok(())
            } else {
                Err(format!("{} ≠ {theirs}", guid_text(g)))
            }
        }
        Unicode(s) => units_eq(s, &utf16_of(value()?.as_str().ok_or("not text")?)),
        String8(s) => {
            let hex = e
                .get("hex")
                .and_then(Value::as_str)
                .ok_or("dump has no hex")?;
            bytes_eq(s, &hex_bytes(hex)?)
        }
        Binary(b) => binary_eq(b, &Value::Object(e.clone())),
        MvI2(v) => each(v, values()?, |a, b| {
            int_eq(i128::from(*a), element(b, "value"))
        }),
        MvLong(v) => each(v, values()?, |a, b| {
            int_eq(i128::from(*a), element(b, "value"))
        }),
        MvI8(v) | MvCurrency(v) => each(v, values()?, |a, b| {
            int_eq(i128::from(*a), element(b, "value"))
        }),
        MvR4(v) => each(v, values()?, |a, b| {
            float_eq(f64::from(*a), element(b, "value"))
        }),
        MvDouble(v) | MvAppTime(v) => each(v, values()?, |a, b| float_eq(*a, element(b, "value"))),
        MvSysTime(v) => each(v, values()?, |a, b| {
            int_eq(i128::from(*a), element(b, "filetime"))
        }),
        MvClsid(v) => each(v, values()?, |a, b| {
            let theirs = element(b, "value").as_str().ok_or("not text")?;
            if guid_text(a) == theirs {
                Ok(())
            } else {
                Err(format!("{} ≠ {theirs}", guid_text(a)))
            }
        }),
        MvUnicode(v) => each(v, values()?, |a, b| {
            units_eq(
                a,
                &utf16_of(element(b, "value").as_str().ok_or("not text")?),
            )
        }),
        MvString8(v) => each(v, values()?, |a, b| string8_text(a, b)),
        MvBinary(v) => each(v, values()?, |a, b| binary_eq(a, b)),
        Null | Object => Err(format!("unexpected value {ours:?}")),
    }
}

// ===== the allowlist =====

struct AllowLine {
    line: usize,
    file: String,
    what: String,
    reason: String,
    used: Vec<String>,
}

const RULES: [&str; 3] = ["orphan_stream", "raw", "missing_stream"];

fn load_allowlist(path: &Path) -> Vec<AllowLine> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = trimmed.splitn(3, '|').map(str::trim).collect();
        assert!(
            parts.len() == 3 && parts.iter().all(|p| !p.is_empty()),
            "corpus-allowlist.txt:{line_no}: want `file | tag or rule | reason`"
        );
        let (file, what, reason) = (parts[0], parts[1], parts[2]);
        let is_rule = RULES.contains(&what);
        let is_tag = parse_tag(what.strip_suffix("/unicode").unwrap_or(what)).is_some();
        assert!(
            is_rule || what == "open" || is_tag,
            "corpus-allowlist.txt:{line_no}: {what:?} is neither a tag (0xXXXXXXXX or \
             0xXXXXXXXX/unicode), `open`, nor a rule {RULES:?}"
        );
        assert!(
            file != "*" || is_rule,
            "corpus-allowlist.txt:{line_no}: only a rule may apply to every file"
        );
        out.push(AllowLine {
            line: line_no,
            file: file.to_string(),
            what: what.to_string(),
            reason: reason.to_string(),
            used: Vec::new(),
        });
    }
    out
}

/// What a difference concerns.
#[derive(Clone, Copy)]
enum Target {
    /// The file cannot be opened.
    Open,
    /// A property (`0xXXXXXXXX` in the allowlist).
    Tag(u32),
    /// An 8-bit string property read as `PT_UNICODE` (`0xXXXXXXXX/unicode`).
    Unicode(u32),
}

impl Target {
    fn text(self) -> String {
        match self {
            Target::Open => "open".into(),
            Target::Tag(t) => format!("0x{t:08X}"),
            Target::Unicode(t) => format!("0x{t:08X}/unicode"),
        }
    }

    fn matches(self, what: &str) -> bool {
        match self {
            Target::Open => what == "open",
            Target::Tag(t) => parse_tag(what) == Some(t),
            Target::Unicode(t) => what.strip_suffix("/unicode").and_then(parse_tag) == Some(t),
        }
    }
}

/// Finds the allowlist line explaining a difference of `file` (by its exact target, or by
/// a rule the dump entry falls under), marks it used, and returns its reason.
fn allow(
    list: &mut [AllowLine],
    file: &str,
    target: Target,
    rules: &[&str],
    what_happened: &str,
) -> Option<String> {
    let line = list.iter_mut().find(|l| {
        (l.file == file || l.file == "*")
            && (target.matches(&l.what) || rules.contains(&l.what.as_str()))
    })?;
    line.used
        .push(format!("{file} {}: {what_happened}", target.text()));
    Some(format!("allowlist line {}: {}", line.line, line.reason))
}

/// Records a difference: allowed when the allowlist explains it, else unexplained.
fn note(
    list: &mut [AllowLine],
    report: &mut FileReport,
    file: &str,
    target: Target,
    rules: &[&str],
    what: String,
) {
    match allow(list, file, target, rules, &what) {
        Some(reason) => report
            .allowed
            .push(format!("{}: {what} ({reason})", target.text())),
        None => report.diffs.push(format!("{}: {what}", target.text())),
    }
}

// ===== one file =====

#[derive(Default)]
struct FileReport {
    /// Differences nobody explained.
    diffs: Vec<String>,
    /// Differences the allowlist explains.
    allowed: Vec<String>,
    /// Expected properties whose value and flags were compared equal.
    compared: usize,
    /// 8-bit strings whose `PT_UNICODE` reading equals the dump's decoded text.
    converted: usize,
    /// Computed properties we add that the file does not store.
    computed_extras: Vec<u32>,
}

/// Computed properties the library adds when the file does not store them (see the
/// crate's `computed_props`): `PR_OBJECT_TYPE`, `PR_ACCESS` and `PR_ACCESS_LEVEL` always
/// come from how the file is opened; `PR_STORE_SUPPORT_MASK` and `PR_MESSAGE_FLAGS` are
/// computed only when absent. These are expected extras, allowed by rule rather than per
/// file; their values are still checked against the read-only open.
fn check_computed_extra(
    tag: u32,
    value: &Result<PropValue, String>,
    unicode: bool,
) -> Option<Result<(), String>> {
    let want = match tag {
        PR_OBJECT_TYPE => Some(MAPI_MESSAGE as i32),
        PR_ACCESS => Some(MAPI_ACCESS_READ as i32),
        PR_ACCESS_LEVEL => Some(0),
        PR_STORE_SUPPORT_MASK | PR_MESSAGE_FLAGS => None,
        _ => return None,
    };
    Some(match (value, want) {
        (Ok(PropValue::Long(v)), Some(w)) if *v == w => Ok(()),
        (Ok(PropValue::Long(v)), None) if tag == PR_STORE_SUPPORT_MASK => {
            if (*v as u32 & STORE_UNICODE_OK != 0) == unicode {
                Ok(())
            } else {
                Err(format!(
                    "computed PR_STORE_SUPPORT_MASK 0x{v:08X} disagrees with the string width"
                ))
            }
        }
        (Ok(PropValue::Long(_)), None) => Ok(()),
        (other, _) => Err(format!("computed property answers {other:?}")),
    })
}

fn compare_file(
    name: &str,
    expected: &[Expected],
    codepage: u32,
    observed: &Observed,
    allowlist: &mut [AllowLine],
) -> FileReport {
    let mut report = FileReport::default();
    report
        .diffs
        .extend(observed.all_props_disagree.iter().cloned());
    let listed: BTreeSet<u32> = observed.listed.iter().copied().collect();
    let expected_tags: BTreeSet<u32> = expected.iter().map(|e| e.tag).collect();
    for exp in expected {
        let tag = exp.tag;
        let rules = exp.rules();
        let value = observed.values.get(&tag);
        let problem = if !listed.contains(&tag) {
            let got = match value {
                Some(Ok(_)) => " (though GetProps answers it)".to_string(),
                Some(Err(e)) => format!(" (GetProps: {e})"),
                None => String::new(),
            };
            Some(format!(
                "{} {}not exposed{got}",
                exp.type_name(),
                if rules.is_empty() {
                    String::new()
                } else {
                    format!("[{}] ", rules.join(","))
                }
            ))
        } else if prop_type(tag) == PT_OBJECT {
            None
        } else {
            match value {
                Some(Ok(v)) => value_eq(v, exp, codepage)
                    .err()
                    .map(|e| format!("{} value: {e}", exp.type_name())),
                Some(Err(e)) => Some(format!("listed but GetProps fails: {e}")),
                None => Some("not requested".into()),
            }
        };
        let flags_problem = match (
            exp.entry.get("flags").and_then(Value::as_u64),
            observed.attribs.get(&tag),
        ) {
            (Some(want), Some(&have)) if listed.contains(&tag) && u64::from(have) != want => {
                Some(format!("flags {have} ≠ {want}"))
            }
            _ => None,
        };
        match (problem, flags_problem) {
            (None, None) => report.compared += 1,
            (p, f) => {
                let what = [p, f].into_iter().flatten().collect::<Vec<_>>().join("; ");
                note(allowlist, &mut report, name, Target::Tag(tag), &rules, what);
                continue;
            }
        }
        // An 8-bit string whose bytes are equal is also read as PT_UNICODE, as a
        // MAPI_UNICODE caller reads it: our code page must give the dump's decoded text.
        if let Some(got) = observed.as_unicode.get(&tag) {
            let check = match got {
                Ok(PropValue::Unicode(u)) => exp
                    .entry
                    .get("value")
                    .and_then(Value::as_str)
                    .ok_or_else(|| "dump has no value".to_string())
                    .and_then(|text| units_eq(u, &utf16_of(text))),
                Ok(PropValue::MvUnicode(v)) => exp
                    .entry
                    .get("values")
                    .and_then(Value::as_array)
                    .ok_or_else(|| "dump has no values".to_string())
                    .and_then(|values| {
                        each(v, values, |a, b| {
                            units_eq(
                                a,
                                &utf16_of(element(b, "value").as_str().ok_or("not text")?),
                            )
                        })
                    }),
                Ok(other) => Err(format!("answers {other:?}")),
                Err(e) => Err(e.clone()),
            };
            match check {
                Ok(()) => report.converted += 1,
                Err(e) => {
                    let what = format!(
                        "as PT_UNICODE (our code page {}, the dump's {codepage}): {e}",
                        observed.codepage
                    );
                    note(
                        allowlist,
                        &mut report,
                        name,
                        Target::Unicode(tag),
                        &[],
                        what,
                    );
                }
            }
        }
    }
    for &tag in observed
        .listed
        .iter()
        .filter(|t| !expected_tags.contains(t))
    {
        let value = observed
            .values
            .get(&tag)
            .cloned()
            .unwrap_or(Err("not requested".into()));
        // Same id stored with another type: not a computed extra.
        let same_id_expected = expected_tags.iter().any(|&t| prop_id(t) == prop_id(tag));
        match check_computed_extra(tag, &value, observed.unicode) {
            Some(Ok(())) if !same_id_expected => report.computed_extras.push(tag),
            Some(Err(e)) => note(
                allowlist,
                &mut report,
                name,
                Target::Tag(tag),
                &[],
                format!("computed extra: {e}"),
            ),
            _ => note(
                allowlist,
                &mut report,
                name,
                Target::Tag(tag),
                &[],
                format!(
                    "exposed but not in the dump: {}",
                    match &value {
                        Ok(v) => short(&format!("{v:?}")),
                        Err(e) => e.clone(),
                    }
                ),
            ),
        }
    }
    report
}

// ===== the test =====

#[test]
fn corpus_matches_independent_reader() {
    let dir = corpus_dir();
    if !dir.join("msg").is_dir() {
        println!(
            "corpus: {} is absent; skipping the corpus tier",
            dir.display()
        );
        return;
    }
    let allowlist_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus-allowlist.txt");
    let mut allowlist = load_allowlist(&allowlist_path);
    let mut files: Vec<String> = std::fs::read_dir(dir.join("msg"))
        .expect("corpus msg folder")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.to_ascii_lowercase().ends_with(".msg"))
        .collect();
    files.sort();
    for line in &allowlist {
        assert!(
            line.file == "*" || files.contains(&line.file),
            "corpus-allowlist.txt:{}: no corpus file {:?}",
            line.line,
            line.file
        );
    }

    let (mut exact, mut allowed_files, mut failing, mut not_opened) = (0, 0, 0, 0);
    let mut compared_total = 0;
    let mut converted_total = 0;
    let mut extras: BTreeMap<u32, usize> = BTreeMap::new();
    let mut fuzz_lines = Vec::new();
    let mut fuzz_failures = Vec::new();
    let started = Instant::now();
    for name in &files {
        let stem = name.strip_suffix(".msg").unwrap_or(name);
        let json_path = dir.join("expected").join(format!("{stem}.json"));
        let json = load_json(&json_path);
        let props = json["message"]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{}: no message.properties", json_path.display()));
        let expected: Vec<Expected> = props
            .iter()
            .map(|(k, v)| Expected {
                tag: parse_tag(k).unwrap_or_else(|| panic!("{name}: bad tag {k}")),
                entry: v
                    .as_object()
                    .unwrap_or_else(|| panic!("{name}: {k} is not an object")),
            })
            .collect();
        let codepage = json["message"]["string8_codepage"]["codepage"]
            .as_u64()
            .map_or(strings::DEFAULT_CODEPAGE, |c| c as u32);
        let wanted: Vec<u32> = expected.iter().map(|e| e.tag).collect();
        let path = dir.join("msg").join(name);
        let fuzz = is_fuzzer_file(name);
        let t0 = Instant::now();
        let outcome = observe_bounded(&path, &wanted);
        let took = t0.elapsed();

        match outcome {
            Outcome::Read(observed) => {
                let report = compare_file(name, &expected, codepage, &observed, &mut allowlist);

                if fuzz {
                    fuzz_lines.push(format!(
                        "{name}: read its readable part in {took:.2?}: {} properties listed, {} of {} dump entries equal, {} allowlisted, {} unexplained differences; {} reader warnings",
                        observed.listed.len(),
                        report.compared,
                        expected.len(),
                        report.allowed.len(),
                        report.diffs.len(),
                        observed.warnings.len()
                    ));
                    for d in report.diffs.iter() {
                        fuzz_lines.push(format!("    differs: {d}"));
                    }
                    for w in observed.warnings.iter() {
                        fuzz_lines.push(format!("    warning: {w}"));
                    }
                    continue;
                }
                compared_total += report.compared;
                converted_total += report.converted;
                for &tag in &report.computed_extras {
                    *extras.entry(tag).or_default() += 1;
                }
                if !report.diffs.is_empty() {
                    failing += 1;
                    println!("FAIL {name} ({} compared equal):", report.compared);
                    for d in &report.diffs {
                        println!("    {d}");
                    }
                    for a in &report.allowed {
                        println!("    allowed {a}");
                    }
                } else if !report.allowed.is_empty() {
                    allowed_files += 1;
                    println!(
                        "ok (allowlisted) {name}: {} compared equal",
                        report.compared
                    );
                    for a in &report.allowed {
                        println!("    allowed {a}");
                    }
                } else {
                    exact += 1;
                }
            }
            Outcome::Refused(message) if fuzz => {
                fuzz_lines.push(format!(
                    "{name}: refused with an error in {took:.2?}: {message}"
                ));
            }
            Outcome::Refused(message) => {
                match allow(&mut allowlist, name, Target::Open, &[], &message) {
                    Some(reason) => {
                        not_opened += 1;
                        println!("not opened (allowlisted) {name}: {message} ({reason})");
                    }
                    None => {
                        failing += 1;
                        println!("FAIL {name}: cannot be read: {message}");
                    }
                }
            }
            Outcome::Panicked(message) => {
                let line = format!("{name}: PANICKED: {message}");
                println!("FAIL {line}");
                if fuzz {
                    fuzz_failures.push(line);
                } else {
                    failing += 1;
                }
            }
            Outcome::TimedOut => {
                let line = format!("{name}: did not finish within {TIME_BOUND:?}");
                println!("FAIL {line}");
                if fuzz {
                    fuzz_failures.push(line);
                } else {
                    failing += 1;
                }
            }
        }
    }

    println!("\nfuzzer-damaged files:");
    for line in &fuzz_lines {
        println!("  {line}");
    }
    for line in &fuzz_failures {
        println!("  {line}");
    }

    println!("\nallowlist entries used:");
    let mut unused = Vec::new();
    for line in &allowlist {
        if line.used.is_empty() {
            unused.push(format!(
                "corpus-allowlist.txt:{}: `{} | {}` was not used",
                line.line, line.file, line.what
            ));
            continue;
        }
        println!(
            "  line {} `{} | {}` ({}), used {} time(s):",
            line.line,
            line.file,
            line.what,
            line.reason,
            line.used.len()
        );
        for u in line.used.iter().take(8) {
            println!("      {}", short(u));
        }
        if line.used.len() > 8 {
            println!("      … and {} more", line.used.len() - 8);
        }
    }

    let extras_text: Vec<String> = extras
        .iter()
        .map(|(tag, n)| format!("0x{tag:08X} in {n} files"))
        .collect();
    println!(
        "\ncomputed properties added where the file stores none (allowed by rule): {}",
        if extras_text.is_empty() {
            "none".to_string()
        } else {
            extras_text.join(", ")
        }
    );

    let fuzz_count = files.iter().filter(|n| is_fuzzer_file(n)).count();
    println!(
        "\ncorpus summary: {exact} files matched exactly, {allowed_files} matched with allowlisted differences, \
         {failing} failing, {not_opened} not opened (allowlisted), {fuzz_count} fuzzer-damaged (reported above); \
         {} files in total; in the {} other files {compared_total} properties compared equal \
         (value and flags) and {converted_total} 8-bit strings also equal as PT_UNICODE; {:.1?}",
        files.len(),
        files.len() - fuzz_count,
        started.elapsed()
    );
    assert!(
        unused.is_empty(),
        "stale allowlist lines:\n{}",
        unused.join("\n")
    );
    assert!(
        fuzz_failures.is_empty(),
        "fuzzer files crashed or hung:\n{}",
        fuzz_failures.join("\n")
    );
    assert_eq!(
        failing, 0,
        "{failing} corpus files have unexplained differences (see above)"
    );
}

#[test]
fn lone_surrogates_survive_the_json_reader() {
    // Escaped lone high and low surrogates, a proper pair, and a raw WTF-8 surrogate.
    let mut raw = br#"{"a": "x\ud800y\udc01z\ud83d\ude00", "b": "\\ud800", "c": ""#.to_vec();
    raw.extend_from_slice(&[0xED, 0xB0, 0x80]);
    raw.extend_from_slice(br#""}"#);
    let v: Value = serde_json::from_str(&protect_lone_surrogates(&raw)).unwrap();
    assert_eq!(
        utf16_of(v["a"].as_str().unwrap()),
        vec![0x78, 0xD800, 0x79, 0xDC01, 0x7A, 0xD83D, 0xDE00]
    );
    assert_eq!(utf16_of(v["b"].as_str().unwrap()), utf16_of("\\ud800"));
    assert_eq!(utf16_of(v["c"].as_str().unwrap()), vec![0xDC00]);
    assert_eq!(
        guid_text(&[
            0x0B, 0x0D, 0x02, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46
        ]),
        "00020d0b-0000-0000-c000-000000000046"
    );
}

#[test]
fn value_comparison_sees_differences() {
    let dump = |text: &str| -> serde_json::Map<String, Value> {
        serde_json::from_str::<Value>(text)
            .unwrap()
            .as_object()
            .unwrap()
            .clone()
    };
    let check = |tag: u32, entry: &str, value: PropValue| {
        let entry = dump(entry);
        value_eq(&value, &Expected { tag, entry: &entry }, 1252)
    };
    let w = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
    let s = r#"{"type": "PtypString", "value": "ab"}"#;
    assert!(check(0x0037_001F, s, PropValue::Unicode(w("ab"))).is_ok());
    assert!(check(0x0037_001F, s, PropValue::Unicode(w("ab\u{0}"))).is_err());
    let s8 = r#"{"type": "PtypString8", "hex": "e9", "value": "é"}"#;
    assert!(check(0x0037_001E, s8, PropValue::String8(vec![0xE9])).is_ok());
    assert!(check(0x0037_001E, s8, PropValue::String8(vec![0xC3, 0xA9])).is_err());
    let bin = r#"{"type": "PtypBinary", "len": 3, "sha256": "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"}"#;
    assert!(check(0x1009_0102, bin, PropValue::Binary(vec![1, 2, 3])).is_ok());
    assert!(check(0x1009_0102, bin, PropValue::Binary(vec![1, 2, 4])).is_err());
    let time = r#"{"type": "PtypTime", "filetime": 128262877735000000, "value": "2007-06-14T09:42:53.5Z"}"#;
    assert!(
        check(
            0x0039_0040,
            time,
            PropValue::SysTime(128_262_877_735_000_000)
        )
        .is_ok()
    );
    assert!(
        check(
            0x0039_0040,
            time,
            PropValue::SysTime(128_262_877_735_000_001)
        )
        .is_err()
    );
    let guid = r#"{"type": "PtypGuid", "value": "00020d0b-0000-0000-c000-000000000046"}"#;
    let mut g = [0u8; 16];
    g[..4].copy_from_slice(&0x0002_0D0Bu32.to_le_bytes());
    g[8] = 0xC0;
    g[15] = 0x46;
    assert!(check(0x8000_0048, guid, PropValue::Clsid(g)).is_ok());
    g[15] = 0x47;
    assert!(check(0x8000_0048, guid, PropValue::Clsid(g)).is_err());
    let b = r#"{"type": "PtypBoolean", "value": true}"#;
    assert!(check(0x0E1B_000B, b, PropValue::Boolean(true)).is_ok());
    assert!(check(0x0E1B_000B, b, PropValue::Boolean(false)).is_err());
    let e = r#"{"type": "PtypErrorCode", "value": "0x8004010F"}"#;
    assert!(check(0x8000_000A, e, PropValue::Error(0x8004_010F_u32 as i32)).is_ok());
    assert!(check(0x8000_000A, e, PropValue::Error(0)).is_err());
    let nan = r#"{"type": "PtypFloating64", "value": "NaN"}"#;
    assert!(check(0x8000_0005, nan, PropValue::Double(f64::NAN)).is_ok());
    assert!(check(0x8000_0005, nan, PropValue::Double(0.0)).is_err());
    let mv = r#"{"type": "PtypMultipleInteger32", "values": [0, 3]}"#;
    assert!(check(0x8016_1003, mv, PropValue::MvLong(vec![0, 3])).is_ok());
    assert!(check(0x8016_1003, mv, PropValue::MvLong(vec![0, 3, 4])).is_err());
    let mvs8 = r#"{"type": "PtypMultipleString8", "values": ["é", "b"]}"#;
    assert!(
        check(
            0x800A_101E,
            mvs8,
            PropValue::MvString8(vec![vec![0xE9], b"b".to_vec()])
        )
        .is_ok()
    );
    assert!(
        check(
            0x800A_101E,
            mvs8,
            PropValue::MvString8(vec![b"e".to_vec(), b"b".to_vec()])
        )
        .is_err()
    );
}
