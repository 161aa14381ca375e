//! TNEF property lists ([MS-OXTNEF] 2.1.3.4, `spec/bodies-and-tnef.md` §5 "Property
//! list"): the data of `attMsgProps`, `attAttachment` and each `attRecipTable` row.
//!
//! A list is a UINT32 count and that many values. Each value is its tag; for ids from
//! 0x8000 the name (GUID, kind, LID or counted UTF-16 string padded to 4); then the data.
//! Fixed-size values take their size rounded up to 4 (`PT_I2` and `PT_BOOLEAN` take 4).
//! Variable-size values (`PT_STRING8`, `PT_UNICODE`, `PT_BINARY`, `PT_OBJECT`) are a UINT32
//! count, then per value a UINT32 size, the bytes and zero padding to 4 that the size does
//! not count. Multi-valued fixed types are a count and the values, each padded to 4 (the
//! one reading Microsoft gave for `PT_MV_I2`; the spec sheet marks it UNCONFIRMED).
#![forbid(unsafe_code)]

use super::tnef::{
    Component, IID_IMESSAGE, MAX_DEPTH, Object, ObjectData, Problem, ProblemKind, Prop, Tnef,
    Value, read_at_depth,
};
use super::tnef_write;
use super::values::{string8_from_bytes, utf16_from_bytes};
use crate::consts::*;
use crate::model::names::{FIRST_NAMED_ID, Name, NameKind};
use crate::model::prop::{Guid, PropValue, prop_id, prop_type};

/// Where a list stopped making sense.
#[derive(Debug)]
struct Stop {
    kind: ProblemKind,
    tag: u32,
    detail: String,
}

type Step<T> = std::result::Result<T, Stop>;

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, tag: u32, what: &str) -> Step<&'a [u8]> {
        if n > self.left() {
            return Err(Stop {
                kind: ProblemKind::Truncated,
                tag,
                detail: format!("{what} needs {n} bytes, {} are left", self.left()),
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u32(&mut self, tag: u32, what: &str) -> Step<u32> {
        let b = self.take(4, tag, what)?;
        Ok(u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    fn guid(&mut self, tag: u32, what: &str) -> Step<Guid> {
        Ok(self.take(16, tag, what)?.try_into().expect("16 bytes"))
    }

    /// Skips zero padding to the next multiple of 4 of `n` (tolerates a missing pad at the
    /// very end of the data).
    fn pad(&mut self, n: usize) {
        let p = (4 - n % 4) % 4;
        self.pos = (self.pos + p).min(self.bytes.len());
    }

    /// A count that at least `min` bytes per item must follow: a claim the remaining bytes
    /// cannot hold is refused before anything is allocated for it.
    fn count(&mut self, min: usize, tag: u32, what: &str) -> Step<usize> {
        let n = self.u32(tag, what)? as usize;
        if n.saturating_mul(min) > self.left() {
            return Err(Stop {
                kind: ProblemKind::Corrupt,
                tag,
                detail: format!(
                    "{what} claims {n} items, more than the {} bytes left can hold",
                    self.left()
                ),
            });
        }
        Ok(n)
    }
}

/// Decodes a property list, appending to `out` the properties read before any damage, and
/// recording the damage in `t.problems`.
pub(crate) fn read_list_into(
    data: &[u8],
    depth: usize,
    t: &mut Tnef,
    comp: Component,
    attribute: u32,
    out: &mut Vec<Prop>,
) {
    let mut c = Cursor {
        bytes: data,
        pos: 0,
    };
    let mut nested = Vec::new();
    let result = read_list(&mut c, depth, out, &mut nested);
    if let Err(stop) = result {
        t.problem(comp, attribute, stop.tag, stop.kind, || stop.detail);
    } else if c.left() > 0 {
        let n = c.left();
        t.problem(comp, attribute, 0, ProblemKind::TrailingData, || {
            format!("{n} bytes after the property list")
        });
    }
    for p in nested {
        t.problem(comp, attribute, p.tag, p.kind, || p.detail);
    }
}

/// Decodes `attRecipTable`: a UINT32 row count, then one property list per row.
pub(crate) fn read_rows(
    data: &[u8],
    depth: usize,
    t: &mut Tnef,
    comp: Component,
    attribute: u32,
) -> Vec<Vec<Prop>> {
    let mut c = Cursor {
        bytes: data,
        pos: 0,
    };
    let mut rows = Vec::new();
    let mut nested = Vec::new();
    let result = (|| -> Step<()> {
        let n = c.count(4, 0, "the recipient table")?;
        for _ in 0..n {
            let mut row = Vec::new();
            let r = read_list(&mut c, depth, &mut row, &mut nested);
            rows.push(row);
            r?;
        }
        Ok(())
    })();
    if let Err(stop) = result {
        t.problem(comp, attribute, stop.tag, stop.kind, || stop.detail);
    }
    for p in nested {
        t.problem(comp, attribute, p.tag, p.kind, || p.detail);
    }
    rows
}

fn read_list(
    c: &mut Cursor,
    depth: usize,
    out: &mut Vec<Prop>,
    nested: &mut Vec<Problem>,
) -> Step<()> {
    // Each property takes at least its tag and 4 bytes of value.
    let n = c.count(8, 0, "the property list")?;
    out.reserve(n);
    for _ in 0..n {
        let tag = c.u32(0, "a property tag")?;
        let name = if prop_id(tag) >= FIRST_NAMED_ID {
            Some(read_name(c, tag)?)
        } else {
            None
        };
        let value = read_value(c, tag, depth, nested)?;
        out.push(Prop { tag, name, value });
    }
    Ok(())
}

fn read_name(c: &mut Cursor, tag: u32) -> Step<Name> {
    let guid = c.guid(tag, "a property name's GUID")?;
    let kind = match c.u32(tag, "a property name's kind")? {
        0 => NameKind::Id(c.u32(tag, "a property name's LID")?),
        1 => {
            let len = c.u32(tag, "a property name's length")? as usize;
            let bytes = c.take(len, tag, "a property name")?;
            c.pad(len);
            NameKind::String(utf16_from_bytes(bytes))
        }
        k => {
            return Err(Stop {
                kind: ProblemKind::Corrupt,
                tag,
                detail: format!("property {tag:#010x}: name kind {k} is neither 0 nor 1"),
            });
        }
    };
    Ok(Name { guid, kind })
}

/// Reads `n` fixed-size values of `size` bytes each, each padded to 4.
fn fixed<T>(
    c: &mut Cursor,
    tag: u32,
    n: usize,
    size: usize,
    f: impl Fn(&[u8]) -> T,
) -> Step<Vec<T>> {
    let step = size.next_multiple_of(4);
    if n.saturating_mul(step) > c.left() {
        return Err(Stop {
            kind: ProblemKind::Truncated,
            tag,
            detail: format!(
                "property {tag:#010x}: {n} values need {} bytes, {} are left",
                n.saturating_mul(step),
                c.left()
            ),
        });
    }
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let b = c.take(step, tag, "a value")?;
        v.push(f(&b[..size]));
    }
    Ok(v)
}

fn le<const N: usize>(b: &[u8]) -> [u8; N] {
    b[..N].try_into().expect("N bytes")
}

fn read_value(c: &mut Cursor, tag: u32, depth: usize, nested: &mut Vec<Problem>) -> Step<Value> {
    let ty = prop_type(tag);
    let one = |c: &mut Cursor, size, f: &dyn Fn(&[u8]) -> PropValue| -> Step<Value> {
        Ok(Value::Plain(fixed(c, tag, 1, size, f)?.remove(0)))
    };
    match ty {
        PT_I2 => one(c, 2, &|b| PropValue::I2(i16::from_le_bytes(le(b)))),
        PT_BOOLEAN => one(c, 2, &|b| {
            PropValue::Boolean(u16::from_le_bytes(le(b)) != 0)
        }),
        PT_LONG => one(c, 4, &|b| PropValue::Long(i32::from_le_bytes(le(b)))),
        PT_ERROR => one(c, 4, &|b| PropValue::Error(i32::from_le_bytes(le(b)))),
        PT_R4 => one(c, 4, &|b| PropValue::R4(f32::from_le_bytes(le(b)))),
        PT_DOUBLE => one(c, 8, &|b| PropValue::Double(f64::from_le_bytes(le(b)))),
        PT_APPTIME => one(c, 8, &|b| PropValue::AppTime(f64::from_le_bytes(le(b)))),
        PT_CURRENCY => one(c, 8, &|b| PropValue::Currency(i64::from_le_bytes(le(b)))),
        PT_I8 => one(c, 8, &|b| PropValue::I8(i64::from_le_bytes(le(b)))),
        PT_SYSTIME => one(c, 8, &|b| PropValue::SysTime(u64::from_le_bytes(le(b)))),
        PT_CLSID => one(c, 16, &|b| PropValue::Clsid(le(b))),
        PT_MV_I2 | PT_MV_LONG | PT_MV_R4 | PT_MV_DOUBLE | PT_MV_APPTIME | PT_MV_CURRENCY
        | PT_MV_I8 | PT_MV_SYSTIME | PT_MV_CLSID => {
            let n = c.count(4, tag, "a multi-valued property")?;
            Ok(Value::Plain(match ty {
                PT_MV_I2 => PropValue::MvI2(fixed(c, tag, n, 2, |b| i16::from_le_bytes(le(b)))?),
                PT_MV_LONG => {
                    PropValue::MvLong(fixed(c, tag, n, 4, |b| i32::from_le_bytes(le(b)))?)
                }
                PT_MV_R4 => PropValue::MvR4(fixed(c, tag, n, 4, |b| f32::from_le_bytes(le(b)))?),
                PT_MV_DOUBLE => {
                    PropValue::MvDouble(fixed(c, tag, n, 8, |b| f64::from_le_bytes(le(b)))?)
                }
                PT_MV_APPTIME => {
                    PropValue::MvAppTime(fixed(c, tag, n, 8, |b| f64::from_le_bytes(le(b)))?)
                }
                PT_MV_CURRENCY => {
                    PropValue::MvCurrency(fixed(c, tag, n, 8, |b| i64::from_le_bytes(le(b)))?)
                }
                PT_MV_I8 => PropValue::MvI8(fixed(c, tag, n, 8, |b| i64::from_le_bytes(le(b)))?),
                PT_MV_SYSTIME => {
                    PropValue::MvSysTime(fixed(c, tag, n, 8, |b| u64::from_le_bytes(le(b)))?)
                }
                _ => PropValue::MvClsid(fixed(c, tag, n, 16, le)?),
            }))
        }
        PT_STRING8 | PT_UNICODE | PT_BINARY | PT_OBJECT | PT_MV_STRING8 | PT_MV_UNICODE
        | PT_MV_BINARY => {
            let n = c.count(4, tag, "a variable-size property")?;
            let mut values = Vec::with_capacity(n);
            for _ in 0..n {
                let size = c.u32(tag, "a value size")? as usize;
                let bytes = c.take(size, tag, "a value")?;
                c.pad(size);
                values.push(bytes);
            }
            let first = || -> Step<&[u8]> {
                values.first().copied().ok_or_else(|| Stop {
                    kind: ProblemKind::Corrupt,
                    tag,
                    detail: format!("property {tag:#010x} has no value"),
                })
            };
            Ok(match ty {
                PT_STRING8 => Value::Plain(PropValue::String8(string8_from_bytes(first()?))),
                PT_UNICODE => Value::Plain(PropValue::Unicode(utf16_from_bytes(first()?))),
                PT_BINARY => Value::Plain(PropValue::Binary(first()?.to_vec())),
                PT_OBJECT => Value::Object(read_object(first()?, tag, depth, nested)?),
                PT_MV_STRING8 => Value::Plain(PropValue::MvString8(
                    values.iter().map(|b| string8_from_bytes(b)).collect(),
                )),
                PT_MV_UNICODE => Value::Plain(PropValue::MvUnicode(
                    values.iter().map(|b| utf16_from_bytes(b)).collect(),
                )),
                _ => Value::Plain(PropValue::MvBinary(
                    values.iter().map(|b| b.to_vec()).collect(),
                )),
            })
        }
        // PT_NULL, PT_UNSPECIFIED, PT_PTR or no type at all: their size is unknown, so
        // nothing after them can be found.
        _ => Err(Stop {
            kind: ProblemKind::Corrupt,
            tag,
            detail: format!("property {tag:#010x} has type {ty:#06x}, which TNEF cannot hold"),
        }),
    }
}

fn read_object(bytes: &[u8], tag: u32, depth: usize, nested: &mut Vec<Problem>) -> Step<Object> {
    let Some((iid, rest)) = bytes.split_first_chunk::<16>() else {
        return Err(Stop {
            kind: ProblemKind::Corrupt,
            tag,
            detail: format!("object property {tag:#010x} is shorter than its IID"),
        });
    };
    let iid = *iid;
    if iid != IID_IMESSAGE {
        return Ok(Object {
            iid,
            data: ObjectData::Bytes(rest.to_vec()),
        });
    }
    let kept = |kind, detail: String, nested: &mut Vec<Problem>| {
        nested.push(Problem {
            component: Component::Message,
            attribute: 0,
            tag,
            kind,
            detail,
        });
        Object {
            iid,
            data: ObjectData::Bytes(rest.to_vec()),
        }
    };
    if depth + 1 > MAX_DEPTH {
        return Ok(kept(
            ProblemKind::TooDeep,
            format!("embedded message deeper than {MAX_DEPTH} levels kept as bytes"),
            nested,
        ));
    }
    match read_at_depth(rest, depth + 1) {
        Ok(inner) => Ok(Object {
            iid,
            data: ObjectData::Message(Box::new(inner)),
        }),
        Err(e) => Ok(kept(
            ProblemKind::Corrupt,
            format!("embedded message kept as bytes: {}", e.message),
            nested,
        )),
    }
}

// ---- writing ----

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn pad_to_4(out: &mut Vec<u8>, n: usize) {
    out.resize(out.len() + (4 - n % 4) % 4, 0);
}

/// Sizes and counts are UINT32 in the format; a value past 4 GiB cannot be written and is
/// refused by the writer before it gets here, so saturating only guards the arithmetic.
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Whether a property can be written: `PT_NULL` and an object without data have no
/// encoding a reader could skip over, so lists leave them out.
pub fn is_writable(p: &Prop) -> bool {
    !matches!(
        p.value,
        Value::Plain(PropValue::Null) | Value::Plain(PropValue::Object)
    )
}

/// Encodes a property list (without the properties [`is_writable`] refuses).
pub fn write_list(props: &[Prop], out: &mut Vec<u8>) {
    put32(out, len32(props.iter().filter(|p| is_writable(p)).count()));
    for p in props.iter().filter(|p| is_writable(p)) {
        write_prop(p, out);
    }
}

/// Encodes `attRecipTable`'s data.
pub fn write_rows(rows: &[Vec<Prop>], out: &mut Vec<u8>) {
    put32(out, len32(rows.len()));
    for row in rows {
        write_list(row, out);
    }
}

/// The tag a value is written with: the value's own type wins over the tag's, so the
/// stream always says what follows.
fn tag_for(p: &Prop) -> u32 {
    let ty = match &p.value {
        Value::Plain(v) => v.prop_type(),
        Value::Object(_) => PT_OBJECT,
    };
    (p.tag & 0xFFFF_0000) | ty
}

fn write_prop(p: &Prop, out: &mut Vec<u8>) {
    let tag = tag_for(p);
    put32(out, tag);
    if prop_id(tag) >= FIRST_NAMED_ID {
        // A named id without a name cannot be written faithfully; PS_PUBLIC_STRINGS LID 0
        // keeps the stream parseable (the API half never passes such a property).
        let name = p
            .name
            .clone()
            .unwrap_or(Name::id(crate::model::names::PS_PUBLIC_STRINGS, 0));
        out.extend_from_slice(&name.guid);
        match &name.kind {
            NameKind::Id(lid) => {
                put32(out, 0);
                put32(out, *lid);
            }
            NameKind::String(s) => {
                put32(out, 1);
                let n = 2 * (s.len() + 1);
                put32(out, len32(n));
                for u in s {
                    out.extend_from_slice(&u.to_le_bytes());
                }
                out.extend_from_slice(&[0, 0]);
                pad_to_4(out, n);
            }
        }
    }
    match &p.value {
        Value::Plain(v) => write_value(v, out),
        Value::Object(o) => {
            put32(out, 1);
            let at = out.len();
            put32(out, 0);
            out.extend_from_slice(&o.iid);
            match &o.data {
                ObjectData::Message(m) => tnef_write::write_into(m, out),
                ObjectData::Bytes(b) => out.extend_from_slice(b),
            }
            let n = out.len() - at - 4;
            out[at..at + 4].copy_from_slice(&len32(n).to_le_bytes());
            pad_to_4(out, n);
        }
    }
}

fn fixed_out<T: Copy, const N: usize>(out: &mut Vec<u8>, v: &[T], f: impl Fn(T) -> [u8; N]) {
    put32(out, len32(v.len()));
    for &x in v {
        out.extend_from_slice(&f(x));
        pad_to_4(out, N);
    }
}

fn counted(out: &mut Vec<u8>, bytes: &[u8], terminator: &[u8]) {
    let n = bytes.len() + terminator.len();
    put32(out, len32(n));
    out.extend_from_slice(bytes);
    out.extend_from_slice(terminator);
    pad_to_4(out, n);
}

fn utf16(s: &[u16]) -> Vec<u8> {
    s.iter().flat_map(|u| u.to_le_bytes()).collect()
}

fn write_value(v: &PropValue, out: &mut Vec<u8>) {
    let mut one = |b: &[u8]| {
        out.extend_from_slice(b);
        pad_to_4(out, b.len());
    };
    match v {
        PropValue::Null | PropValue::Object => unreachable!("filtered by is_writable"),
        PropValue::I2(x) => one(&x.to_le_bytes()),
        PropValue::Boolean(b) => one(&u16::from(*b).to_le_bytes()),
        PropValue::Long(x) | PropValue::Error(x) => one(&x.to_le_bytes()),
        PropValue::R4(x) => one(&x.to_le_bytes()),
        PropValue::Double(x) | PropValue::AppTime(x) => one(&x.to_le_bytes()),
        PropValue::Currency(x) | PropValue::I8(x) => one(&x.to_le_bytes()),
        PropValue::SysTime(x) => one(&x.to_le_bytes()),
        PropValue::Clsid(g) => one(g),
        PropValue::String8(s) => {
            put32(out, 1);
            counted(out, s, &[0]);
        }
        PropValue::Unicode(s) => {
            put32(out, 1);
            counted(out, &utf16(s), &[0, 0]);
        }
        PropValue::Binary(b) => {
            put32(out, 1);
            counted(out, b, &[]);
        }
        PropValue::MvI2(v) => fixed_out(out, v, i16::to_le_bytes),
        PropValue::MvLong(v) => fixed_out(out, v, i32::to_le_bytes),
        PropValue::MvR4(v) => fixed_out(out, v, f32::to_le_bytes),
        PropValue::MvDouble(v) | PropValue::MvAppTime(v) => fixed_out(out, v, f64::to_le_bytes),
        PropValue::MvCurrency(v) | PropValue::MvI8(v) => fixed_out(out, v, i64::to_le_bytes),
        PropValue::MvSysTime(v) => fixed_out(out, v, u64::to_le_bytes),
        PropValue::MvClsid(v) => fixed_out(out, v, |g: Guid| g),
        PropValue::MvString8(v) => {
            put32(out, len32(v.len()));
            for s in v {
                counted(out, s, &[0]);
            }
        }
        PropValue::MvUnicode(v) => {
            put32(out, len32(v.len()));
            for s in v {
                counted(out, &utf16(s), &[0, 0]);
            }
        }
        PropValue::MvBinary(v) => {
            put32(out, len32(v.len()));
            for b in v {
                counted(out, b, &[]);
            }
        }
    }
}
