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

use super::tnef::{
    Attribute, LVL_ATTACHMENT, LVL_MESSAGE, TNEF_SIGNATURE, TNEF_VERSION, Tnef, att, checksum,
};
use super::tnef_props::{write_list, write_rows};

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
