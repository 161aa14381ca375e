//! What must hold for any input bytes opened as a `.msg` (panics say which property broke):
//! opening never panics; whatever opens can be read whole — every property in both string
//! widths and through streams, both tables through a table view, every attachment and its
//! object storage, embedded messages recursively, the named-property map both ways — with
//! no panic and no read larger than the input justifies. `observe` is shared with the
//! `roundtrip` check.
#![allow(dead_code)]

use std::sync::Arc;

use imessage::consts::*;
use imessage::model::message::{MsgFile, NodeId};
use imessage::model::name_map::NameFilter;
use imessage::model::propstream::PropertyStream;
use imessage::model::table::{Table, TableKind};
use imessage::storage::byte_arrays::VecLockBytes;
use imessage::storage::docfile::open_bytes;
use imessage::storage::{Storage, Stream};
use imessage::types::prop_name::Name;
use imessage::types::prop_value::prop_type;
use imessage::types::prop_value::tags::PR_ATTACH_DATA_OBJ;

/// Embedded messages deeper than this are not opened (each level costs a copy of its state).
pub const MAX_DEPTH: usize = 8;
const CHUNK: usize = 64 * 1024;

/// One stream may give at most this many bytes: what the file holds, twice over for an
/// 8-bit string widened to UTF-16, plus room for values kept in the property stream.
pub fn stream_limit(input_len: usize) -> u64 {
    4 * input_len as u64 + 4096
}

/// What reading a message tree saw, as text (so NaN values compare equal), in an order
/// that does not depend on how the file was laid out.
#[derive(Debug, Default, PartialEq)]
pub struct Observed {
    pub lines: Vec<String>,
}

impl Observed {
    fn push(&mut self, depth: usize, what: impl AsRef<str>) {
        self.lines
            .push(format!("{}{}", "  ".repeat(depth), what.as_ref()));
    }
}

pub fn check(data: &[u8]) {
    let lb = Arc::new(VecLockBytes::new(data.to_vec()));
    let Ok(storage) = open_bytes(lb, STGM_READ | STGM_SHARE_DENY_WRITE) else {
        return;
    };
    let storage: Arc<dyn Storage> = storage;
    let Ok((file, root)) = MsgFile::open(storage, false, false) else {
        return;
    };
    let mut seen = Observed::default();
    observe_message(&file, root, 0, data.len(), &mut seen, None);
    observe_names(&file, root, &mut seen);
    drop(file.close_node(root));
}

/// Reads one whole message: properties, tables, attachments (recursively), names.
/// `skip` is a tag left out of what is recorded (the one the round trip changed).
pub fn observe_message(
    file: &Arc<MsgFile>,
    node: NodeId,
    depth: usize,
    input_len: usize,
    seen: &mut Observed,
    skip: Option<u32>,
) {
    seen.push(depth, "message");
    observe_props(file, node, depth, input_len, seen, skip);
    for kind in [TableKind::Recipients, TableKind::Attachments] {
        let rows = match file.table_rows(node, kind) {
            Ok(rows) => rows,
            Err(e) => {
                seen.push(depth, format!("{kind:?} table: {:?}", e.kind));
                continue;
            }
        };
        seen.push(depth, format!("{kind:?}: {} rows", rows.rows.len()));
        for row in rows.rows.iter() {
            seen.push(depth + 1, format!("row {}: {:?}", row.key, row.props));
        }
        // The table view over the rows, as QueryRows with every column gives them.
        let mut table = Table::new(true, false);
        let all = table.query_columns(&rows, true);
        if !all.is_empty() {
            table.set_columns(&all).expect("columns the rows give");
        }
        let count = table.row_count(&rows);
        assert_eq!(count as usize, rows.rows.len(), "a table shows every row");
        let got = table.query_rows(&rows, i32::MAX, false).expect("QueryRows");
        assert_eq!(got.len(), rows.rows.len(), "QueryRows gives every row");
        if kind == TableKind::Attachments {
            let numbers: Vec<u32> = rows.rows.iter().map(|r| r.key).collect();
            for num in numbers {
                observe_attachment(file, node, num, depth + 1, input_len, seen);
            }
        }
    }
}

fn observe_attachment(
    file: &Arc<MsgFile>,
    message: NodeId,
    num: u32,
    depth: usize,
    input_len: usize,
    seen: &mut Observed,
) {
    let node = match file.open_attach(message, num, false, false) {
        Ok(node) => node,
        Err(e) => {
            seen.push(depth, format!("attachment {num}: {:?}", e.kind));
            return;
        }
    };
    seen.push(depth, format!("attachment {num}"));
    let listed = observe_props(file, node, depth, input_len, seen, None);
    // An embedded message, or else whatever storage the attachment's object is.
    if listed.contains(&PR_ATTACH_DATA_OBJ) && depth / 2 < MAX_DEPTH {
        match file.open_embedded(node, false, false, false) {
            Ok(inner) => {
                observe_message(file, inner, depth + 1, input_len, seen, None);
                drop(file.close_node(inner));
            }
            Err(e) => {
                seen.push(depth, format!("embedded: {:?}", e.kind));
                match file.open_object_storage(node, false, false) {
                    Ok(storage) => walk_storage(storage.as_ref(), depth + 1, input_len, seen),
                    Err(e) => seen.push(depth, format!("object storage: {:?}", e.kind)),
                }
            }
        }
    }
    drop(file.close_node(node));
}

/// Properties of a message or attachment: the list in both widths, the values in both,
/// string and binary values again through streams, attributes. Returns the listed tags.
fn observe_props(
    file: &Arc<MsgFile>,
    node: NodeId,
    depth: usize,
    input_len: usize,
    seen: &mut Observed,
    skip: Option<u32>,
) -> Vec<u32> {
    let unicode = file.is_unicode(node);
    let skipped = |tag: u32| skip.is_some_and(|s| s >> 16 == tag >> 16);
    let listed = match file.get_prop_list(node, unicode) {
        Ok(listed) => listed,
        Err(e) => {
            seen.push(depth, format!("GetPropList: {:?}", e.kind));
            return Vec::new();
        }
    };
    let mut sorted = listed.clone();
    sorted.retain(|&t| !skipped(t));
    sorted.sort_unstable();
    seen.push(depth, format!("unicode {unicode}, tags {sorted:08X?}"));
    let _ = file.get_prop_list(node, !unicode);
    let _ = file.get_props(node, None, !unicode);
    match file.get_props(node, Some(&sorted), unicode) {
        Ok(values) => {
            for value in values {
                seen.push(depth + 1, format!("{value:?}"));
            }
        }
        Err(e) => seen.push(depth, format!("GetProps: {:?}", e.kind)),
    }
    if let Ok(attribs) = file.get_attribs(node, &sorted) {
        assert_eq!(attribs.len(), sorted.len(), "one attribute per tag");
        seen.push(depth, format!("attributes {attribs:X?}"));
    }
    for &tag in &sorted {
        if matches!(prop_type(tag), PT_BINARY | PT_STRING8 | PT_UNICODE) {
            let outcome = read_prop_stream(file, node, tag, input_len);
            seen.push(depth + 1, format!("stream {tag:08X}: {outcome}"));
        }
    }
    listed
}

/// Reads a property through a stream in chunks; says how many bytes it gave.
fn read_prop_stream(file: &Arc<MsgFile>, node: NodeId, tag: u32, input_len: usize) -> String {
    let mut stream = match PropertyStream::open(file.clone(), node, tag, false, false) {
        Ok(s) => s,
        Err(e) => return format!("{:?}", e.kind),
    };
    match read_all(&mut stream, input_len) {
        Ok(n) => format!("{n} bytes"),
        Err(e) => format!("{:?} while reading", e.kind),
    }
}

/// Reads a stream to its end; its size and what it gave must agree and stay bounded.
fn read_all(stream: &mut dyn Stream, input_len: usize) -> imessage::error::Result<u64> {
    let size = stream.size()?;
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        assert!(
            total <= stream_limit(input_len),
            "a stream gives {total} bytes from a {input_len}-byte input"
        );
    }
    assert!(total <= size, "read {total} bytes of a {size}-byte stream");
    Ok(total)
}

/// Every element of a storage, recursively, every stream read whole.
pub fn walk_storage(storage: &dyn Storage, depth: usize, input_len: usize, seen: &mut Observed) {
    if depth > 64 {
        return;
    }
    let elements = match storage.elements() {
        Ok(e) => e,
        Err(e) => {
            seen.push(depth, format!("elements: {:?}", e.kind));
            return;
        }
    };
    for element in elements {
        let name = &element.name;
        match element.kind {
            imessage::storage::ElementKind::Stream => {
                let outcome = storage
                    .open_stream(name, STGM_READ | STGM_SHARE_EXCLUSIVE)
                    .and_then(|mut s| read_all(s.as_mut(), input_len));
                seen.push(depth, format!("stream {name:?}: {outcome:?}"));
            }
            imessage::storage::ElementKind::Storage => {
                seen.push(depth, format!("storage {name:?}"));
                if let Ok(sub) = storage.open_storage(name, STGM_READ | STGM_SHARE_EXCLUSIVE) {
                    walk_storage(sub.as_ref(), depth + 1, input_len, seen);
                }
            }
        }
    }
}

/// The file's named-property map, enumerated and looked up again both ways.
pub fn observe_names(file: &Arc<MsgFile>, node: NodeId, seen: &mut Observed) {
    let Ok(names) = file.enumerate_names(node, &NameFilter::default()) else {
        return;
    };
    seen.push(0, format!("{} names", names.len()));
    for (tag, name) in &names {
        seen.push(1, format!("{tag:08X} {name:?}"));
    }
    let tags: Vec<u32> = names.iter().map(|(t, _)| *t).collect();
    let all = file.all_name_tags(node).expect("all names");
    assert_eq!(all.len(), names.len(), "every name is enumerated");
    let (back, _) = file.names_from_tags(node, &tags).expect("names of ids");
    let wanted: Vec<Option<Name>> = names.iter().map(|(_, n)| Some(n.clone())).collect();
    for ((tag, name), got) in names.iter().zip(&back) {
        assert_eq!(got.as_ref(), Some(name), "the name of 0x{tag:08X}");
    }
    let ids = file
        .ids_from_names(node, &wanted, false)
        .expect("ids of names");
    for (name, got) in wanted.iter().zip(&ids.tags) {
        // Two entries with one name (a damaged map, or header names differing in case)
        // answer one of their ids.
        assert!(
            tags.contains(got),
            "the id 0x{got:08X} of {name:?} is enumerated"
        );
    }
}
