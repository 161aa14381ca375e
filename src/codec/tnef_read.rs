//! Reads a TNEF stream into a [`Tnef`]: its records ([MS-OXTNEF] 2.1.3.1) and property
//! lists ([MS-OXTNEF] 2.1.3.4, `spec/bodies-and-tnef.md` §5 "Property list"): the data of
//! `attMsgProps`, `attAttachment` and each `attRecipTable` row. One file because the format
//! nests: a `PT_OBJECT` value in a list may be a whole TNEF stream (an embedded message).
//!
//! A list is a UINT32 count and that many values. Each value is its tag; for ids from
//! 0x8000 the name (GUID, kind, LID or counted UTF-16 string padded to 4); then the data.
//! Fixed-size values take their size rounded up to 4 (`PT_I2` and `PT_BOOLEAN` take 4).
//! Variable-size values (`PT_STRING8`, `PT_UNICODE`, `PT_BINARY`, `PT_OBJECT`) are a UINT32
//! count, then per value a UINT32 size, the bytes and zero padding to 4 that the size does
//! not count. Multi-valued fixed types are a count and the values, each padded to 4 (the
//! one reading Microsoft gave for `PT_MV_I2`; the spec sheet marks it UNCONFIRMED).
#![forbid(unsafe_code)]

use std::io::Read;

use super::tnef::*;
use super::values::{string8_from_bytes, utf16_from_bytes};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::types::prop_name::{FIRST_NAMED_ID, Name, NameKind};
use crate::types::prop_value::{Guid, PropValue, prop_id, prop_type};

/// Reads a TNEF stream from bytes. Fails only when the input does not start with the TNEF
/// signature and a key; everything after that is read as far as it goes.
pub fn read(bytes: &[u8]) -> Result<Tnef> {
    read_at_depth(bytes, 0)
}

/// Reads a TNEF stream from a reader, to its end. I/O errors are returned as such.
pub fn read_from(mut r: impl Read) -> Result<Tnef> {
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes)
        .map_err(|e| Error::io("reading a TNEF stream", &e))?;
    read(&bytes)
}

/// Just the stream's code page, as `GetTnefStreamCodepage` gives it: `attOemCodepage`'s
/// two values, or (437, 0) when the stream has none. Stops at the first attribute that
/// could carry it.
pub fn read_codepage(bytes: &[u8]) -> Result<(u32, u32)> {
    check_header(bytes)?;
    let mut pos = HEADER_LEN;
    while let Some(rec) = next_record(bytes, pos) {
        let rec = rec.map_err(|_| corrupt("the stream ends inside an attribute"))?;
        if rec.id == att::OEM_CODEPAGE {
            if rec.data.len() < 4 {
                return Err(corrupt("attOemCodepage is shorter than 4 bytes"));
            }
            let v = |i: usize| {
                rec.data
                    .get(i..i + 4)
                    .map_or(0, |b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            };
            return Ok((v(0), v(4)));
        }
        if !matches!(rec.level, LVL_MESSAGE | LVL_ATTACHMENT) {
            return Err(corrupt("an attribute has an unknown level"));
        }
        pos = rec.end;
    }
    Ok((DEFAULT_OEM_CODEPAGE, 0))
}

fn corrupt(what: &str) -> Error {
    Error::new(ErrorKind::CorruptData, format!("not a TNEF stream: {what}"))
}

fn check_header(bytes: &[u8]) -> Result<u16> {
    if bytes.len() < HEADER_LEN {
        return Err(corrupt("shorter than the signature and key"));
    }
    let sig = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
    if sig != TNEF_SIGNATURE {
        return Err(corrupt(&format!("signature {sig:#010x}")));
    }
    Ok(u16::from_le_bytes([bytes[4], bytes[5]]))
}

/// One record in the input, borrowed.
struct Record<'a> {
    level: u8,
    id: u32,
    data: &'a [u8],
    checksum_ok: bool,
    end: usize,
}

/// A record cut short by the end of the input: what was there.
struct Cut<'a> {
    level: u8,
    id: u32,
    data: &'a [u8],
}

/// The record at `pos`, `None` at the end of the input.
fn next_record(bytes: &[u8], pos: usize) -> Option<std::result::Result<Record<'_>, Cut<'_>>> {
    let rest = bytes.get(pos..).filter(|r| !r.is_empty())?;
    if rest.len() < 9 {
        return Some(Err(Cut {
            level: rest[0],
            id: 0,
            data: &[],
        }));
    }
    let level = rest[0];
    let id = u32::from_le_bytes(rest[1..5].try_into().expect("4 bytes"));
    let len = u32::from_le_bytes(rest[5..9].try_into().expect("4 bytes")) as usize;
    let body = &rest[9..];
    if body.len() < len.saturating_add(2) {
        let data = &body[..len.min(body.len())];
        return Some(Err(Cut { level, id, data }));
    }
    let data = &body[..len];
    let stored = u16::from_le_bytes([body[len], body[len + 1]]);
    Some(Ok(Record {
        level,
        id,
        data,
        checksum_ok: stored == checksum(data),
        end: pos + 9 + len + 2,
    }))
}

pub(crate) fn read_at_depth(bytes: &[u8], depth: usize) -> Result<Tnef> {
    let key = check_header(bytes)?;
    let mut t = Tnef {
        key,
        consumed: HEADER_LEN,
        ..Tnef::default()
    };
    let mut pos = HEADER_LEN;
    // The attachment level-2 attributes go to; `None` until the first one.
    let mut current: Option<usize> = None;
    while let Some(rec) = next_record(bytes, pos) {
        let (rec, truncated) = match rec {
            Ok(r) => (r, false),
            Err(cut) if matches!(cut.level, LVL_MESSAGE | LVL_ATTACHMENT) && cut.id != 0 => {
                let len = bytes.len() - pos;
                t.problem(
                    component(cut.level, current),
                    cut.id,
                    0,
                    ProblemKind::Truncated,
                    || {
                        format!(
                            "the stream ends {len} bytes into attribute {:#010x}",
                            cut.id
                        )
                    },
                );
                let rec = Record {
                    level: cut.level,
                    id: cut.id,
                    data: cut.data,
                    checksum_ok: false,
                    end: bytes.len(),
                };
                (rec, true)
            }
            Err(_) => {
                let n = bytes.len() - pos;
                t.problem(Component::Message, 0, 0, ProblemKind::TrailingData, || {
                    format!("{n} bytes after the last attribute are not an attribute")
                });
                break;
            }
        };
        if !matches!(rec.level, LVL_MESSAGE | LVL_ATTACHMENT) {
            let n = bytes.len() - pos;
            t.problem(Component::Message, 0, 0, ProblemKind::TrailingData, || {
                format!(
                    "{n} bytes after the last attribute start with level {} (ignored)",
                    rec.level
                )
            });
            break;
        }
        pos = rec.end;
        t.consumed = pos;
        if rec.level == LVL_ATTACHMENT && (rec.id == att::ATTACH_REND_DATA || current.is_none()) {
            t.attachments.push(Attachment::default());
            current = Some(t.attachments.len() - 1);
        }
        let comp = component(rec.level, current);
        // [TNEF] 2.3.3.4: readers ignore the checksum of message-class attributes (old
        // writers got it wrong); it is still recorded in `checksum_ok`.
        if !rec.checksum_ok
            && !truncated
            && !matches!(rec.id, att::MESSAGE_CLASS | att::ORIGINAL_MESSAGE_CLASS)
        {
            t.problem(comp, rec.id, 0, ProblemKind::BadChecksum, || {
                format!(
                    "attribute {:#010x}: checksum does not match its data",
                    rec.id
                )
            });
        }
        match (rec.level, rec.id) {
            (LVL_MESSAGE, att::MSG_PROPS) => {
                let mut props = std::mem::take(&mut t.props);
                read_list_into(rec.data, depth, &mut t, comp, rec.id, &mut props);
                t.props = props;
            }
            (LVL_MESSAGE, att::RECIP_TABLE) => {
                let rows = read_rows(rec.data, depth, &mut t, comp, rec.id);
                t.recipients.extend(rows);
            }
            (LVL_ATTACHMENT, att::ATTACHMENT) => {
                let i = current.expect("set above for level 2");
                let mut props = std::mem::take(&mut t.attachments[i].props);
                read_list_into(rec.data, depth, &mut t, comp, rec.id, &mut props);
                t.attachments[i].props = props;
            }
            _ => {
                let attr = Attribute {
                    level: rec.level,
                    id: rec.id,
                    data: rec.data.to_vec(),
                    checksum_ok: rec.checksum_ok,
                };
                match (rec.level, current) {
                    (LVL_ATTACHMENT, Some(i)) => t.attachments[i].attributes.push(attr),
                    _ => t.attributes.push(attr),
                }
            }
        }
    }
    Ok(t)
}

fn component(level: u8, current: Option<usize>) -> Component {
    match (level, current) {
        (LVL_ATTACHMENT, Some(i)) => Component::Attachment(i),
        // A level-2 attribute that starts the first attachment.
        (LVL_ATTACHMENT, None) => Component::Attachment(0),
        _ => Component::Message,
    }
}

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
