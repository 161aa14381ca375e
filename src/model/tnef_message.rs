//! A decoded TNEF stream put into a message of ours, and a message of ours taken out as the
//! structure the TNEF encoder writes (`spec/bodies-and-tnef.md` §5). `ITnef` (the COM layer)
//! uses a scratch message of ours on both sides and moves properties between it and the
//! caller's `IMessage` with the one copy engine, so this file knows only our model.
//!
//! Decoding: legacy attributes are mapped and the encapsulated lists put on top
//! (`codec::tnef_legacy`); 8-bit strings are converted from the stream's code page
//! (`attOemCodepage`, else 437) to Unicode, so the scratch message is Unicode; named
//! properties get ids from the message's name map; `attRecipTable` becomes the recipient
//! list; each attachment is created and saved; a nested stream (`PT_OBJECT` with
//! `IID_IMessage`) becomes the attachment's embedded message, an `IID_IStorage` object the
//! attachment's OLE storage, any other object's bytes `PR_ATTACH_DATA_BIN`.
#![forbid(unsafe_code)]

use std::sync::Arc;

use super::bag::Slot;
use super::message::{MsgFile, NodeId};
use crate::codec::tnef::{IID_IMESSAGE, IID_ISTORAGE, Object, ObjectData, Prop, Tnef, Value};
use crate::codec::tnef_legacy::{self as legacy, Message};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::byte_arrays::VecLockBytes;
use crate::storage::element_copy::{Exclusions, copy_to};
use crate::storage::{Storage, Version, docfile};
use crate::types::codepage;
use crate::types::prop_name::{FIRST_NAMED_ID, Name};
use crate::types::prop_value::{PropValue, change_type, prop_id, prop_type, tags::*};

/// Something that could not be put into the message or taken out of it; the rest went on.
#[derive(Clone, Debug, PartialEq)]
pub struct Trouble {
    /// `None` for the message, else the attachment's position (decoding: in the stream;
    /// encoding: in the message's attachment order).
    pub attachment: Option<usize>,
    pub tag: u32,
    pub kind: ErrorKind,
    pub detail: String,
}

/// Ids a copy never carries: a table row's or an attachment's own keys.
fn intrinsic(id: u16) -> bool {
    id == prop_id(PR_ROWID) || id == prop_id(PR_INSTANCE_KEY) || id == prop_id(PR_ATTACH_NUM)
}

// ===== decoding: stream → message =====

/// Fills message `node` (writable, empty) from the decoded stream `t`; returns what could
/// not be set.
pub fn fill(file: &MsgFile, node: NodeId, t: &Tnef) -> Result<Vec<Trouble>> {
    let cp = t.codepage();
    let mut troubles = Vec::new();
    let props = legacy::message_props(t);
    let values = plain_values(file, node, &props, cp, None, &mut troubles)?;
    for p in file.set_props(node, values)? {
        troubles.push(refused(None, p.tag, p.kind));
    }
    if !t.recipients.is_empty() {
        let mut rows = Vec::with_capacity(t.recipients.len());
        for row in &t.recipients {
            let mut values = plain_values(file, node, row, cp, None, &mut troubles)?;
            values.retain(|(tag, _)| !intrinsic(prop_id(*tag)));
            rows.push(values);
        }
        file.modify_recipients(node, 0, rows)?;
    }
    for (i, a) in t.attachments.iter().enumerate() {
        let props = legacy::attachment_props(a);
        if let Err(e) = fill_attachment(file, node, &props, cp, i, &mut troubles) {
            troubles.push(Trouble {
                attachment: Some(i),
                tag: PR_MESSAGE_ATTACHMENTS,
                kind: e.kind,
                detail: e.message,
            });
        }
    }
    Ok(troubles)
}

fn refused(attachment: Option<usize>, tag: u32, kind: ErrorKind) -> Trouble {
    Trouble {
        attachment,
        tag,
        kind,
        detail: format!("property 0x{tag:08X} was refused"),
    }
}

fn fill_attachment(
    file: &MsgFile,
    node: NodeId,
    props: &[Prop],
    cp: u32,
    index: usize,
    troubles: &mut Vec<Trouble>,
) -> Result<()> {
    let (_, a) = file.create_attach(node)?;
    let r = (|| {
        let mut values = plain_values(file, a, props, cp, Some(index), troubles)?;
        values.retain(|(tag, _)| !intrinsic(prop_id(*tag)));
        let object = props.iter().find_map(|p| match &p.value {
            Value::Object(o) if prop_id(p.tag) == prop_id(PR_ATTACH_DATA_OBJ) => Some(o),
            _ => None,
        });
        let method = |m: u32| (PR_ATTACH_METHOD, PropValue::Long(m as i32));
        match object.map(|o| (o.iid, &o.data)) {
            Some((_, ObjectData::Message(_))) => {
                values.retain(|(t, _)| *t != PR_ATTACH_METHOD);
                values.push(method(ATTACH_EMBEDDED_MSG));
            }
            Some((iid, ObjectData::Bytes(b))) if iid != IID_ISTORAGE && iid != IID_IMESSAGE => {
                // An OLE 1 stream (legacy attAttachData of an OLE attachment) or another
                // interface's bytes: kept as the attachment's data.
                values.push((PR_ATTACH_DATA_BIN, PropValue::Binary(b.clone())));
            }
            _ => {}
        }
        for p in file.set_props(a, values)? {
            troubles.push(refused(Some(index), p.tag, p.kind));
        }
        match object {
            Some(Object {
                data: ObjectData::Message(inner),
                ..
            }) => {
                let m = file.open_embedded(a, true, true, true)?;
                let r = fill(file, m, inner).and_then(|mut inner_troubles| {
                    for t in &mut inner_troubles {
                        t.attachment = Some(index);
                    }
                    troubles.extend(inner_troubles);
                    file.save(m)
                });
                drop(file.close_node(m));
                r?;
            }
            Some(Object {
                iid,
                data: ObjectData::Bytes(b),
            }) if *iid == IID_ISTORAGE || *iid == IID_IMESSAGE => {
                // An IStorage object is a compound file; an IID_IMessage object the reader
                // could not decode stays unreadable.
                let stored = if *iid == IID_ISTORAGE {
                    storage_from_bytes(file, a, b)
                } else {
                    Err(Error::new(
                        ErrorKind::CorruptData,
                        "the embedded message's stream is damaged",
                    ))
                };
                if let Err(e) = stored {
                    troubles.push(Trouble {
                        attachment: Some(index),
                        tag: PR_ATTACH_DATA_OBJ,
                        kind: e.kind,
                        detail: e.message,
                    });
                }
            }
            _ => {}
        }
        file.save(a)
    })();
    drop(file.close_node(a));
    r
}

/// An OLE attachment's storage from the compound file the stream carries.
fn storage_from_bytes(file: &MsgFile, a: NodeId, bytes: &[u8]) -> Result<()> {
    let src = docfile::open_bytes(
        Arc::new(VecLockBytes::new(bytes.to_vec())),
        STGM_READ | STGM_SHARE_EXCLUSIVE,
    )?;
    let dst = file.open_object_storage(a, true, true)?;
    copy_to(src.as_ref(), dst.as_ref(), &Exclusions::default())?;
    dst.commit(0)
}

/// The plain values of `props` for object `node`: strings in Unicode, named properties
/// with the file's ids. Objects are left to the caller; a named property without a name
/// cannot be placed and is reported.
fn plain_values(
    file: &MsgFile,
    node: NodeId,
    props: &[Prop],
    cp: u32,
    attachment: Option<usize>,
    troubles: &mut Vec<Trouble>,
) -> Result<Vec<(u32, PropValue)>> {
    let names: Vec<Option<Name>> = props
        .iter()
        .filter(|p| prop_id(p.tag) >= FIRST_NAMED_ID)
        .map(|p| p.name.clone())
        .collect();
    let ids = if names.is_empty() {
        Vec::new()
    } else {
        file.ids_from_names(node, &names, true)?.tags
    };
    let mut ids = ids.into_iter();
    let mut out = Vec::with_capacity(props.len());
    for p in props {
        let mut tag = p.tag;
        if prop_id(tag) >= FIRST_NAMED_ID {
            match ids.next() {
                Some(t) if prop_type(t) != PT_ERROR && p.name.is_some() => {
                    tag = (t & 0xFFFF_0000) | prop_type(tag);
                }
                _ => {
                    troubles.push(Trouble {
                        attachment,
                        tag,
                        kind: ErrorKind::NotFound,
                        detail: format!("named property 0x{tag:08X} has no usable name"),
                    });
                    continue;
                }
            }
        }
        let Value::Plain(v) = &p.value else { continue };
        match to_unicode(v, cp) {
            Some(u) => out.push((change_type(tag, u.prop_type()), u)),
            None => out.push((tag, v.clone())),
        }
    }
    Ok(out)
}

/// An 8-bit string (or list of them) in Unicode, through code page `cp`.
fn to_unicode(v: &PropValue, cp: u32) -> Option<PropValue> {
    let conv = |s: &[u8]| {
        codepage::decode(cp, s).unwrap_or_else(|_| s.iter().map(|&b| u16::from(b)).collect())
    };
    match v {
        PropValue::String8(s) => Some(PropValue::Unicode(conv(s))),
        PropValue::MvString8(v) => Some(PropValue::MvUnicode(v.iter().map(|s| conv(s)).collect())),
        _ => None,
    }
}

// ===== encoding: message → stream structure =====

/// Message `node` as the encoder's input. Each embedded message is handed to `nested`
/// (which encodes it in the caller's mode) and carried as its nested stream. Properties
/// the message only computes are not taken: a decoder recomputes them.
pub fn extract(
    file: &MsgFile,
    node: NodeId,
    nested: &dyn Fn(&Message) -> Tnef,
) -> Result<(Message, Vec<Trouble>)> {
    let mut troubles = Vec::new();
    let props = stored_props(file, node)?;
    let recipients = file.with(|st| {
        let m = st.message(node)?;
        Ok(m.state
            .recipients
            .rows
            .iter()
            .map(|r| entries_of(r.props.iter().map(|e| (e.tag, &e.slot))))
            .collect::<Vec<_>>())
    })?;
    let mut recips = Vec::with_capacity(recipients.len());
    for row in recipients {
        let row = row?;
        recips.push(named(file, node, row)?);
    }
    let nums: Vec<u32> = file.with(|st| {
        Ok(st
            .message(node)?
            .state
            .attachments
            .slots
            .iter()
            .filter(|(_, s)| !s.deleted && s.committed.is_some())
            .map(|(n, _)| *n)
            .collect())
    })?;
    let mut attachments = Vec::with_capacity(nums.len());
    for (i, num) in nums.into_iter().enumerate() {
        match extract_attachment(file, node, num, nested) {
            Ok((props, inner)) => {
                attachments.push(props);
                troubles.extend(inner.into_iter().map(|mut t| {
                    t.attachment = Some(i);
                    t
                }));
            }
            Err(e) => troubles.push(Trouble {
                attachment: Some(i),
                tag: PR_MESSAGE_ATTACHMENTS,
                kind: e.kind,
                detail: e.message,
            }),
        }
    }
    Ok((
        Message {
            props,
            recipients: recips,
            attachments,
        },
        troubles,
    ))
}

fn extract_attachment(
    file: &MsgFile,
    node: NodeId,
    num: u32,
    nested: &dyn Fn(&Message) -> Tnef,
) -> Result<(Vec<Prop>, Vec<Trouble>)> {
    let a = file.open_attach(node, num, false, false)?;
    let r = (|| {
        let mut props = stored_props(file, a)?;
        let mut troubles = Vec::new();
        let object = file.with(|st| {
            let (bag, _, _) = st.bag(a)?;
            Ok(
                match bag.get(prop_id(PR_ATTACH_DATA_OBJ)).map(|e| &e.slot) {
                    Some(Slot::Object { .. }) => Some(bag.long(PR_ATTACH_METHOD)),
                    _ => None,
                },
            )
        })?;
        match object {
            Some(Some(m)) if m == ATTACH_EMBEDDED_MSG as i32 => {
                let e = file.open_embedded(a, false, false, false)?;
                let inner = extract(file, e, nested);
                drop(file.close_node(e));
                let (msg, inner_troubles) = inner?;
                troubles.extend(inner_troubles);
                props.push(object_prop(
                    IID_IMESSAGE,
                    ObjectData::Message(Box::new(nested(&msg))),
                ));
            }
            Some(_) => {
                let bytes = file
                    .open_object_storage(a, false, false)
                    .and_then(|s| storage_to_bytes(s.as_ref()));
                match bytes {
                    Ok(b) => props.push(object_prop(IID_ISTORAGE, ObjectData::Bytes(b))),
                    Err(e) => troubles.push(Trouble {
                        attachment: None,
                        tag: PR_ATTACH_DATA_OBJ,
                        kind: e.kind,
                        detail: e.message,
                    }),
                }
            }
            None => {}
        }
        Ok((props, troubles))
    })();
    drop(file.close_node(a));
    r
}

fn object_prop(iid: crate::types::prop_value::Guid, data: ObjectData) -> Prop {
    Prop {
        tag: PR_ATTACH_DATA_OBJ,
        name: None,
        value: Value::Object(Object { iid, data }),
    }
}

/// A storage as the bytes of a compound file holding it.
fn storage_to_bytes(src: &dyn Storage) -> Result<Vec<u8>> {
    let lb = Arc::new(VecLockBytes::new(Vec::new()));
    let dst = docfile::create_bytes(
        lb.clone(),
        STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_TRANSACTED,
        Version::V3,
    )?;
    copy_to(src, dst.as_ref(), &Exclusions::default())?;
    dst.commit(0)?;
    drop(dst);
    Ok(lb.to_vec())
}

/// The properties an object stores (large values read in), named ones with their names.
fn stored_props(file: &MsgFile, node: NodeId) -> Result<Vec<Prop>> {
    let values = file.with_node(node, |st| {
        let (bag, _, _) = st.bag(node)?;
        Ok(entries_of(bag.iter().map(|e| (e.tag, &e.slot))))
    })??;
    named(file, node, values)
}

/// Plain values of bag entries (objects left out); large ones read into memory.
fn entries_of<'a>(entries: impl Iterator<Item = (u32, &'a Slot)>) -> Result<Vec<(u32, PropValue)>> {
    let mut out = Vec::new();
    for (tag, slot) in entries {
        if intrinsic(prop_id(tag)) {
            continue;
        }
        let value = match slot {
            Slot::Value(v) => v.clone(),
            Slot::Large(blob) => {
                let bytes = blob.to_vec()?;
                match prop_type(tag) {
                    PT_STRING8 => PropValue::String8(bytes),
                    PT_UNICODE => PropValue::Unicode(
                        bytes
                            .chunks_exact(2)
                            .map(|c| u16::from_le_bytes([c[0], c[1]]))
                            .collect(),
                    ),
                    _ => PropValue::Binary(bytes),
                }
            }
            Slot::Object { .. } => continue,
        };
        out.push((tag, value));
    }
    Ok(out)
}

/// Values as a property list, each named property with its name (one the map does not
/// know is left out: it could not be written faithfully).
fn named(file: &MsgFile, node: NodeId, values: Vec<(u32, PropValue)>) -> Result<Vec<Prop>> {
    let tags: Vec<u32> = values
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| prop_id(*t) >= FIRST_NAMED_ID)
        .collect();
    let mut names = if tags.is_empty() {
        Vec::new()
    } else {
        file.names_from_tags(node, &tags)?.0
    }
    .into_iter();
    let mut out = Vec::with_capacity(values.len());
    for (tag, value) in values {
        let name = if prop_id(tag) >= FIRST_NAMED_ID {
            match names.next().flatten() {
                Some(n) => Some(n),
                None => continue,
            }
        } else {
            None
        };
        out.push(Prop {
            tag,
            name,
            value: Value::Plain(value),
        });
    }
    Ok(out)
}

#[cfg(test)]
#[path = "tnef_message_tests.rs"]
mod tests;
