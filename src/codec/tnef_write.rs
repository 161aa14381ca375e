//! Writes a [`Tnef`] structure as a TNEF stream ([MS-OXTNEF] 2.1.3.1, 3.1).
//!
//! The order is the one the format requires, whatever order the structure lists things
//! in: `attTnefVersion` (the structure's, or 0x00010000), `attOemCodepage` when present,
//! the other message attributes in their order, `attRecipTable` when there are
//! recipients, `attMsgProps` last when there are properties; then each attachment:
//! `attAttachRendData` first (the attachment's, or a default one: a file, hidden),
//! its other attributes, `attAttachment` last when it has properties. Every record gets
//! the right checksum; `level` comes from where an attribute is (message or attachment),
//! not from its `level` field.
#![forbid(unsafe_code)]

use std::io::Write;

use super::tnef::*;
use crate::consts::*;
use crate::types::prop_name::{FIRST_NAMED_ID, Name, NameKind};
use crate::types::prop_value::{Guid, PropValue, prop_id};

/// `attAttachRendData` for an attachment that has none: `atyp` file, position 0xFFFFFFFF
/// (not rendered in the body), no size, no flags.
pub const DEFAULT_REND_DATA: [u8; 14] = [1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0];

/// The stream's bytes.
pub fn write(t: &Tnef) -> Vec<u8> {
    let mut out = Vec::new();
    write_into(t, &mut out);
    out
}

/// Writes the stream to `w`.
pub fn write_to(t: &Tnef, mut w: impl Write) -> std::io::Result<()> {
    w.write_all(&write(t))
}

/// Appends the stream to `out` (nested messages are written into their parent's buffer).
pub fn write_into(t: &Tnef, out: &mut Vec<u8>) {
    out.extend_from_slice(&TNEF_SIGNATURE.to_le_bytes());
    out.extend_from_slice(&t.key.to_le_bytes());
    match t.attribute(att::TNEF_VERSION) {
        Some(a) => record(out, LVL_MESSAGE, a.id, &a.data),
        None => record(
            out,
            LVL_MESSAGE,
            att::TNEF_VERSION,
            &TNEF_VERSION.to_le_bytes(),
        ),
    }
    if let Some(a) = t.attribute(att::OEM_CODEPAGE) {
        record(out, LVL_MESSAGE, a.id, &a.data);
    }
    // Only the first attTnefVersion and attOemCodepage have their place; any other copy
    // is written with the other attributes, as it was read.
    let first = |id| t.attributes.iter().position(|a| a.id == id);
    let (version, codepage) = (first(att::TNEF_VERSION), first(att::OEM_CODEPAGE));
    for (i, a) in t.attributes.iter().enumerate() {
        if Some(i) != version && Some(i) != codepage {
            record(out, LVL_MESSAGE, a.id, &a.data);
        }
    }
    if !t.recipients.is_empty() {
        list_record(out, LVL_MESSAGE, att::RECIP_TABLE, |b| {
            write_rows(&t.recipients, b)
        });
    }
    if !t.props.is_empty() {
        list_record(out, LVL_MESSAGE, att::MSG_PROPS, |b| {
            write_list(&t.props, b)
        });
    }
    for a in &t.attachments {
        let rend = a.attribute(att::ATTACH_REND_DATA);
        match rend {
            Some(r) => record(out, LVL_ATTACHMENT, r.id, &r.data),
            None => record(
                out,
                LVL_ATTACHMENT,
                att::ATTACH_REND_DATA,
                &DEFAULT_REND_DATA,
            ),
        }
        let rend_at = a
            .attributes
            .iter()
            .position(|x| x.id == att::ATTACH_REND_DATA);
        for (i, x) in a.attributes.iter().enumerate() {
            if Some(i) != rend_at {
                record(out, LVL_ATTACHMENT, x.id, &x.data);
            }
        }
        if !a.props.is_empty() {
            list_record(out, LVL_ATTACHMENT, att::ATTACHMENT, |b| {
                write_list(&a.props, b)
            });
        }
    }
}

/// Writes one attribute record.
pub fn record(out: &mut Vec<u8>, level: u8, id: u32, data: &[u8]) {
    out.push(level);
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&checksum(data).to_le_bytes());
}

/// Writes a record whose data `fill` appends in place (no copy of a large list).
fn list_record(out: &mut Vec<u8>, level: u8, id: u32, fill: impl FnOnce(&mut Vec<u8>)) {
    out.push(level);
    out.extend_from_slice(&id.to_le_bytes());
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let start = out.len();
    fill(out);
    let n = out.len() - start;
    out[len_at..start].copy_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
    let sum = checksum(&out[start..]);
    out.extend_from_slice(&sum.to_le_bytes());
}

/// A message-level attribute built from data (for callers assembling a structure).
pub fn message_attribute(id: u32, data: Vec<u8>) -> Attribute {
    Attribute::new(LVL_MESSAGE, id, data)
}

/// An attachment-level attribute built from data.
pub fn attachment_attribute(id: u32, data: Vec<u8>) -> Attribute {
    Attribute::new(LVL_ATTACHMENT, id, data)
}

// ---- property lists ([MS-OXTNEF] 2.1.3.4) ----

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
            .unwrap_or(Name::id(crate::types::prop_name::PS_PUBLIC_STRINGS, 0));
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
                ObjectData::Message(m) => write_into(m, out),
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
