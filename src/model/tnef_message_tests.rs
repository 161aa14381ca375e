//! `tnef_message`: a stream written by the codec's writer fills a message of ours (and is
//! taken out again unchanged); a damaged stream fills what can be read.

use std::sync::Arc;

use super::{Trouble, extract, fill};
use crate::codec::tnef::{IID_IMESSAGE, Object, ObjectData, ProblemKind, Prop, Tnef, Value};
use crate::codec::tnef_legacy::tag::{PR_BODY, PR_IMPORTANCE, PR_SUBJECT};
use crate::codec::tnef_legacy::{self as legacy, Message, Mode};
use crate::codec::{tnef_read, tnef_write};
use crate::consts::*;
use crate::model::message::{MsgFile, NodeId, PropOut};
use crate::storage::byte_arrays::VecLockBytes;
use crate::storage::{Version, docfile};
use crate::types::prop_name::{Name, PS_PUBLIC_STRINGS};
use crate::types::prop_value::{PropValue, prop_id, tags::*};

const SUBJECT_W: u32 = 0x0037_001F;
const DISPLAY_NAME_W: u32 = 0x3001_001F;
const LONG_FILENAME_W: u32 = 0x3707_001F;
/// A named `PT_LONG`: 0x8000 in the stream, whatever id the message's map gives it.
const NAMED_LONG: u32 = 0x8000_0003;

fn u16s(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn keywords() -> Name {
    Name::string(PS_PUBLIC_STRINGS, "Answer")
}

/// An empty Unicode message in memory.
fn scratch() -> (Arc<MsgFile>, NodeId) {
    let storage = docfile::create_bytes(
        Arc::new(VecLockBytes::new(Vec::new())),
        STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_TRANSACTED,
        Version::V3,
    )
    .unwrap();
    MsgFile::open(storage, true, true).unwrap()
}

fn get(file: &MsgFile, node: NodeId, tag: u32) -> Option<PropValue> {
    match &file.get_props(node, Some(&[tag]), true).unwrap()[0] {
        PropOut::Value(t, v) if *t == tag => Some(v.clone()),
        _ => None,
    }
}

/// A mail with an 8-bit subject (cp1252), a named property, two recipients, a file
/// attachment and an embedded message with its own attachment.
fn mail() -> Message {
    let inner = Message {
        props: vec![Prop::new(PR_SUBJECT, PropValue::String8(b"inner".to_vec()))],
        recipients: vec![],
        attachments: vec![vec![
            Prop::new(PR_ATTACH_METHOD, PropValue::Long(ATTACH_BY_VALUE as i32)),
            Prop::new(PR_ATTACH_DATA_BIN, PropValue::Binary(vec![9; 300])),
        ]],
    };
    let nested = legacy::encode(&inner, Mode::BestData, 0x4321, 1252);
    Message {
        props: vec![
            Prop::new(PR_SUBJECT, PropValue::String8(b"Caf\xe9".to_vec())),
            Prop::new(PR_BODY, PropValue::String8(b"Hello".to_vec())),
            Prop::new(PR_IMPORTANCE, PropValue::Long(2)),
            Prop {
                tag: NAMED_LONG,
                name: Some(keywords()),
                value: Value::Plain(PropValue::Long(42)),
            },
        ],
        recipients: vec![
            vec![
                Prop::new(DISPLAY_NAME_W, PropValue::Unicode(u16s("Ann"))),
                Prop::new(PR_RECIPIENT_TYPE, PropValue::Long(MAPI_TO as i32)),
            ],
            vec![
                Prop::new(DISPLAY_NAME_W, PropValue::Unicode(u16s("Bob"))),
                Prop::new(PR_RECIPIENT_TYPE, PropValue::Long(MAPI_CC as i32)),
            ],
        ],
        attachments: vec![
            vec![
                Prop::new(PR_ATTACH_METHOD, PropValue::Long(ATTACH_BY_VALUE as i32)),
                Prop::new(LONG_FILENAME_W, PropValue::Unicode(u16s("a long name.txt"))),
                Prop::new(PR_ATTACH_DATA_BIN, PropValue::Binary(b"file data".to_vec())),
                Prop::new(PR_RENDERING_POSITION, PropValue::Long(-1)),
            ],
            vec![
                Prop::new(
                    PR_ATTACH_METHOD,
                    PropValue::Long(ATTACH_EMBEDDED_MSG as i32),
                ),
                Prop::new(DISPLAY_NAME_W, PropValue::Unicode(u16s("inner"))),
                Prop {
                    tag: PR_ATTACH_DATA_OBJ,
                    name: None,
                    value: Value::Object(Object {
                        iid: IID_IMESSAGE,
                        data: ObjectData::Message(Box::new(nested)),
                    }),
                },
            ],
        ],
    }
}

fn stream(mode: Mode) -> Vec<u8> {
    tnef_write::write(&legacy::encode(&mail(), mode, 0x1234, 1252))
}

fn recipients(file: &MsgFile, node: NodeId) -> Vec<(String, i32)> {
    let rows = file.table_rows(node, super::super::table::TableKind::Recipients);
    rows.unwrap()
        .rows
        .iter()
        .map(|r| {
            let find = |tag| r.props.iter().find(|(t, _)| *t == tag).map(|(_, v)| v);
            let name = match find(DISPLAY_NAME_W) {
                Some(PropValue::Unicode(s)) => String::from_utf16_lossy(s),
                other => panic!("display name {other:?}"),
            };
            let kind = match find(PR_RECIPIENT_TYPE) {
                Some(PropValue::Long(k)) => *k,
                other => panic!("recipient type {other:?}"),
            };
            (name, kind)
        })
        .collect()
}

/// The attachment's data bytes, filename and (if embedded) the inner subject.
fn attachment(file: &MsgFile, node: NodeId, num: u32) -> (Option<PropValue>, Option<String>) {
    let a = file.open_attach(node, num, false, false).unwrap();
    let data = get(file, a, PR_ATTACH_DATA_BIN);
    let inner = match get(file, a, PR_ATTACH_METHOD) {
        Some(PropValue::Long(m)) if m == ATTACH_EMBEDDED_MSG as i32 => {
            let e = file.open_embedded(a, false, false, false).unwrap();
            let s = match get(file, e, SUBJECT_W) {
                Some(PropValue::Unicode(s)) => Some(String::from_utf16_lossy(&s)),
                other => panic!("inner subject {other:?}"),
            };
            // The embedded message's own attachment came through too.
            let inner_data = attachment(file, e, 0).0;
            assert_eq!(inner_data, Some(PropValue::Binary(vec![9; 300])));
            drop(file.close_node(e));
            s
        }
        _ => None,
    };
    drop(file.close_node(a));
    (data, inner)
}

fn named_value(file: &MsgFile, node: NodeId) -> Option<PropValue> {
    let ids = file
        .ids_from_names(node, &[Some(keywords())], false)
        .unwrap();
    let tag = (ids.tags[0] & 0xFFFF_0000) | PT_LONG;
    assert!(prop_id(tag) >= 0x8000);
    get(file, node, tag)
}

fn check_filled(file: &MsgFile, node: NodeId) {
    // 8-bit text came in through the stream's code page (attOemCodepage 1252).
    assert_eq!(
        get(file, node, SUBJECT_W),
        Some(PropValue::Unicode(u16s("Café")))
    );
    assert_eq!(
        get(file, node, 0x1000_001F),
        Some(PropValue::Unicode(u16s("Hello")))
    );
    assert_eq!(get(file, node, PR_IMPORTANCE), Some(PropValue::Long(2)));
    assert_eq!(named_value(file, node), Some(PropValue::Long(42)));
    assert_eq!(
        recipients(file, node),
        [
            ("Ann".to_string(), MAPI_TO as i32),
            ("Bob".to_string(), MAPI_CC as i32)
        ]
    );
    let (data, inner) = attachment(file, node, 0);
    assert_eq!(data, Some(PropValue::Binary(b"file data".to_vec())));
    assert_eq!(inner, None);
    let (_, inner) = attachment(file, node, 1);
    assert_eq!(inner.as_deref(), Some("inner"));
}

#[test]
fn a_stream_fills_the_message_in_every_mode() {
    for mode in [Mode::BestData, Mode::Pure, Mode::Compatibility] {
        let t = tnef_read::read(&stream(mode)).unwrap();
        assert!(t.problems.is_empty(), "{mode:?}: {:?}", t.problems);
        let (file, node) = scratch();
        let troubles = fill(&file, node, &t).unwrap();
        assert_eq!(troubles, Vec::<Trouble>::new(), "{mode:?}");
        file.save(node).unwrap();
        check_filled(&file, node);
    }
}

#[test]
fn the_filled_message_comes_out_as_it_went_in() {
    let (file, node) = scratch();
    let t = tnef_read::read(&stream(Mode::Pure)).unwrap();
    fill(&file, node, &t).unwrap();
    file.save(node).unwrap();
    let nested = |m: &Message| legacy::encode(m, Mode::Pure, 1, 1252);
    let (out, troubles) = extract(&file, node, &nested).unwrap();
    assert!(troubles.is_empty(), "{troubles:?}");
    let find = |props: &[Prop], tag| props.iter().find(|p| p.tag == tag).cloned();
    assert_eq!(
        find(&out.props, SUBJECT_W).map(|p| p.value),
        Some(Value::Plain(PropValue::Unicode(u16s("Café"))))
    );
    // The named property goes out under its name, whatever id the message gave it.
    let named = out
        .props
        .iter()
        .find(|p| p.name == Some(keywords()))
        .unwrap();
    assert_eq!(named.value, Value::Plain(PropValue::Long(42)));
    assert_eq!(out.recipients.len(), 2);
    assert_eq!(out.attachments.len(), 2);
    assert!(
        out.attachments[1]
            .iter()
            .any(|p| matches!(&p.value, Value::Object(o) if o.iid == IID_IMESSAGE)),
        "the embedded message is carried as a nested stream"
    );
    // The new stream decodes into an equal message.
    let again = legacy::encode(&out, Mode::BestData, 2, 1252);
    let t2 = tnef_read::read(&tnef_write::write(&again)).unwrap();
    let (file2, node2) = scratch();
    fill(&file2, node2, &t2).unwrap();
    file2.save(node2).unwrap();
    check_filled(&file2, node2);
}

/// Where each top-level record of `bytes` starts.
fn record_starts(bytes: &[u8]) -> Vec<usize> {
    let mut pos = crate::codec::tnef::HEADER_LEN;
    let mut starts = Vec::new();
    while pos < bytes.len() {
        starts.push(pos);
        let len = u32::from_le_bytes(bytes[pos + 5..pos + 9].try_into().unwrap()) as usize;
        pos += 9 + len + 2;
    }
    starts
}

#[test]
fn a_damaged_stream_fills_the_readable_part() {
    let bytes = stream(Mode::Pure);
    // Cut inside the last record (the second attachment's attAttachment).
    let last = *record_starts(&bytes).last().unwrap();
    let cut = &bytes[..last + 20];
    let t = tnef_read::read(cut).unwrap();
    assert!(
        t.problems.iter().any(|p| p.kind == ProblemKind::Truncated),
        "{:?}",
        t.problems
    );
    let (file, node) = scratch();
    fill(&file, node, &t).unwrap();
    file.save(node).unwrap();
    // The message, its recipients and the first attachment are whole.
    assert_eq!(
        get(&file, node, SUBJECT_W),
        Some(PropValue::Unicode(u16s("Café")))
    );
    assert_eq!(named_value(&file, node), Some(PropValue::Long(42)));
    assert_eq!(recipients(&file, node).len(), 2);
    let (data, _) = attachment(&file, node, 0);
    assert_eq!(data, Some(PropValue::Binary(b"file data".to_vec())));
}

#[test]
fn a_damaged_nested_stream_is_a_trouble_not_a_failure() {
    // The embedded message's stream is not TNEF: the reader keeps its bytes, and filling
    // reports the attachment's object while the rest of the message goes in.
    let mut msg = mail();
    for p in &mut msg.attachments[1] {
        if let Value::Object(o) = &mut p.value {
            o.data = ObjectData::Bytes(b"not a TNEF stream".to_vec());
        }
    }
    let t = legacy::encode(&msg, Mode::Pure, 5, 1252);
    let t: Tnef = tnef_read::read(&tnef_write::write(&t)).unwrap();
    let (file, node) = scratch();
    let troubles = fill(&file, node, &t).unwrap();
    assert!(
        troubles
            .iter()
            .any(|t| t.attachment == Some(1) && t.tag == PR_ATTACH_DATA_OBJ),
        "{troubles:?}"
    );
    file.save(node).unwrap();
    assert_eq!(
        get(&file, node, SUBJECT_W),
        Some(PropValue::Unicode(u16s("Café")))
    );
    let (data, _) = attachment(&file, node, 0);
    assert_eq!(data, Some(PropValue::Binary(b"file data".to_vec())));
}
