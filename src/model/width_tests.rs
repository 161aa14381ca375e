//! String width per message: an embedded message keeps the width it stores, a new one takes
//! `MAPI_UNICODE` or its parent's, and each is saved in its own (the streams on disk).

use std::path::Path;
use std::sync::Arc;

use super::bag::DEFAULT_FLAGS;
use super::message::{MsgFile, NodeId, PropOut};
use super::prop::{PropValue, tags::*};
use super::table::TableKind;
use crate::codec::{self, Counters, Entry, EntryBody, HeaderKind, values};
use crate::consts::*;
use crate::storage::docfile::{create_file, open_file};
use crate::storage::{Blob, Storage};

const RW: u32 = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;
const SUBJECT_A: u32 = 0x0037_001E;
const SUBJECT_W: u32 = 0x0037_001F;
const NAME_A: u32 = 0x3001_001E;
const NAME_W: u32 = 0x3001_001F;

fn unicode(text: &str) -> PropValue {
    PropValue::Unicode(text.encode_utf16().collect())
}

fn cp1251(text: &str) -> Vec<u8> {
    super::strings::encode(1251, &text.encode_utf16().collect::<Vec<_>>()).unwrap()
}

fn new_file(path: &Path, unicode: bool) -> (Arc<MsgFile>, NodeId) {
    let root = create_file(
        path,
        STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE,
        crate::storage::Version::V3,
    )
    .unwrap();
    MsgFile::open(root, unicode, false).unwrap()
}

fn reopen(path: &Path, writable: bool) -> (Arc<MsgFile>, NodeId) {
    let mode = if writable { STGM_READWRITE } else { STGM_READ };
    let root = open_file(path, mode | STGM_TRANSACTED).unwrap();
    // The flag asks for Unicode; an existing file keeps what it stores.
    MsgFile::open(root, true, false).unwrap()
}

fn get(file: &MsgFile, node: NodeId, tag: u32) -> PropValue {
    match &file.get_props(node, Some(&[tag]), false).unwrap()[0] {
        PropOut::Value(t, v) if *t == tag => v.clone(),
        other => panic!("0x{tag:08X}: {other:?}"),
    }
}

fn mask_says_unicode(file: &MsgFile, node: NodeId) -> bool {
    match get(file, node, PR_STORE_SUPPORT_MASK) {
        PropValue::Long(mask) => mask as u32 & STORE_UNICODE_OK != 0,
        other => panic!("{other:?}"),
    }
}

fn embedded_attachment(file: &MsgFile, message: NodeId, unicode: bool) -> (NodeId, NodeId) {
    let (_, a) = file.create_attach(message).unwrap();
    file.set_props(
        a,
        vec![(
            PR_ATTACH_METHOD,
            PropValue::Long(ATTACH_EMBEDDED_MSG as i32),
        )],
    )
    .unwrap();
    let e = file.open_embedded(a, true, true, unicode).unwrap();
    (a, e)
}

fn save(file: &MsgFile, nodes: &[NodeId]) {
    for &node in nodes {
        file.save(node).unwrap();
    }
}

/// A storage of the saved file: its path from the root, each name opened in turn.
fn storage_at(root: &Arc<dyn Storage>, path: &[&str]) -> Arc<dyn Storage> {
    let mut at = root.clone();
    for name in path {
        at = at
            .open_storage(name, STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
    }
    at
}

fn stream(storage: &dyn Storage, name: &str) -> Option<Vec<u8>> {
    storage.read_stream(name, 1 << 20).ok()
}

/// The tags a storage's property stream lists.
fn listed(storage: &dyn Storage, kind: HeaderKind) -> Vec<u32> {
    let bytes = stream(storage, codec::PROPERTIES_STREAM).unwrap();
    codec::parse_properties(&bytes, kind)
        .entries
        .iter()
        .map(|e| e.tag)
        .collect()
}

fn utf16le(text: &str) -> Vec<u8> {
    values::utf16_to_bytes(&text.encode_utf16().collect::<Vec<_>>())
}

const OBJECT: &str = codec::ATTACH_OBJECT_STORAGE;

/// An 8-bit message (code page 1251): an embedded message made with `MAPI_UNICODE` is
/// Unicode, one made without takes its parent's width; each is written in its own width,
/// read back so, and one made again with `MAPI_CREATE` takes the width asked for then.
#[test]
fn new_embedded_messages_take_the_flag_or_their_parents_width() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("8bit.msg");
    let (file, top) = new_file(&path, false);
    file.set_props(top, vec![(PR_MESSAGE_CODEPAGE, PropValue::Long(1251))])
        .unwrap();
    file.set_props(top, vec![(SUBJECT_W, unicode("Ящик"))])
        .unwrap();
    let (a0, wide) = embedded_attachment(&file, top, true);
    let (a1, narrow) = embedded_attachment(&file, top, false);
    assert!(!file.is_unicode(top) && !file.is_unicode(a0));
    assert!(file.is_unicode(wide) && mask_says_unicode(&file, wide));
    assert!(!file.is_unicode(narrow) && !mask_says_unicode(&file, narrow));
    // Strings of the other width are converted into the message's own, through the code
    // page it inherits from its parent.
    file.set_props(
        wide,
        vec![(SUBJECT_A, PropValue::String8(cp1251("Жора ✓")))],
    )
    .unwrap();
    file.set_props(narrow, vec![(SUBJECT_W, unicode("Щука"))])
        .unwrap();
    file.modify_recipients(
        wide,
        0,
        vec![vec![
            (NAME_A, PropValue::String8(cp1251("Иван"))),
            (PR_RECIPIENT_TYPE, PropValue::Long(MAPI_TO as i32)),
        ]],
    )
    .unwrap();
    assert_eq!(get(&file, wide, SUBJECT_W), unicode("Жора ?"));
    assert_eq!(
        get(&file, narrow, SUBJECT_A),
        PropValue::String8(cp1251("Щука"))
    );
    // The rows of the Unicode message's recipient table hold what it stores.
    let rows = file.table_rows(wide, TableKind::Recipients).unwrap();
    assert!(rows.rows[0].props.contains(&(NAME_W, unicode("Иван"))));
    save(&file, &[wide, a0, narrow, a1, top]);
    drop(file.close());

    let root: Arc<dyn Storage> = open_file(&path, STGM_READ | STGM_TRANSACTED).unwrap();
    assert_eq!(
        stream(root.as_ref(), "__substg1.0_0037001E"),
        Some(cp1251("Ящик"))
    );
    assert!(!listed(root.as_ref(), HeaderKind::TopLevel).contains(&SUBJECT_W));
    let wide_stg = storage_at(&root, &["__attach_version1.0_#00000000", OBJECT]);
    assert_eq!(
        stream(wide_stg.as_ref(), "__substg1.0_0037001F"),
        Some(utf16le("Жора ?"))
    );
    assert_eq!(stream(wide_stg.as_ref(), "__substg1.0_0037001E"), None);
    let wide_tags = listed(wide_stg.as_ref(), HeaderKind::Embedded);
    assert!(wide_tags.contains(&SUBJECT_W) && wide_tags.contains(&PR_STORE_SUPPORT_MASK));
    let recipient = storage_at(&wide_stg, &["__recip_version1.0_#00000000"]);
    assert_eq!(
        stream(recipient.as_ref(), "__substg1.0_3001001F"),
        Some(utf16le("Иван"))
    );
    let narrow_stg = storage_at(&root, &["__attach_version1.0_#00000001", OBJECT]);
    assert_eq!(
        stream(narrow_stg.as_ref(), "__substg1.0_0037001E"),
        Some(cp1251("Щука"))
    );
    let narrow_tags = listed(narrow_stg.as_ref(), HeaderKind::Embedded);
    assert!(narrow_tags.contains(&SUBJECT_A) && !narrow_tags.contains(&PR_STORE_SUPPORT_MASK));
    drop((wide_stg, narrow_stg, recipient, root));

    let (file, top) = reopen(&path, true);
    assert!(!file.is_unicode(top));
    let a0 = file.open_attach(top, 0, true, false).unwrap();
    let wide = file.open_embedded(a0, false, true, false).unwrap();
    assert!(file.is_unicode(wide));
    assert_eq!(
        get(&file, wide, SUBJECT_A),
        PropValue::String8(cp1251("Жора ?"))
    );
    let a1 = file.open_attach(top, 1, true, false).unwrap();
    let narrow = file.open_embedded(a1, false, false, false).unwrap();
    assert!(!file.is_unicode(narrow));
    assert_eq!(get(&file, narrow, SUBJECT_W), unicode("Щука"));
    drop(file.close_node(narrow));
    // Made again, with MAPI_UNICODE: the attachment now holds a Unicode message.
    let remade = file.open_embedded(a1, true, true, true).unwrap();
    assert!(file.is_unicode(remade));
    file.set_props(remade, vec![(SUBJECT_W, unicode("новый"))])
        .unwrap();
    save(&file, &[remade, a1, top]);
    drop(file.close());
    let root: Arc<dyn Storage> = open_file(&path, STGM_READ | STGM_TRANSACTED).unwrap();
    let remade = storage_at(&root, &["__attach_version1.0_#00000001", OBJECT]);
    assert_eq!(
        stream(remade.as_ref(), "__substg1.0_0037001F"),
        Some(utf16le("новый"))
    );
    assert_eq!(stream(remade.as_ref(), "__substg1.0_0037001E"), None);
}

/// Writes `entries` (and their value streams) as the property stream of `storage`.
fn write_bag(
    storage: &dyn Storage,
    kind: HeaderKind,
    counters: &Counters,
    props: &[(u32, PropValue)],
) {
    let mut entries = Vec::new();
    for (tag, value) in props {
        let body = match value {
            PropValue::String8(bytes) => {
                storage
                    .write_stream(
                        &codec::value_stream_name(*tag),
                        &Blob::from_vec(bytes.clone()),
                    )
                    .unwrap();
                EntryBody::Stream {
                    size: bytes.len() as u32 + 1,
                }
            }
            v => EntryBody::Inline(v.clone()),
        };
        entries.push(Entry {
            tag: *tag,
            flags: DEFAULT_FLAGS,
            body,
        });
    }
    let bytes = codec::write_properties(kind, counters, &entries);
    storage
        .write_stream(codec::PROPERTIES_STREAM, &Blob::from_vec(bytes))
        .unwrap();
}

/// A Unicode message holding an 8-bit embedded message in code page 1251, as other writers
/// make them (no `PR_STORE_SUPPORT_MASK`): read in its own width and code page, saved 8-bit
/// after Unicode values are set on it, and left as it is by a save of the outer message.
#[test]
fn an_8bit_embedded_message_in_a_unicode_file_stays_8bit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unicode.msg");
    let (file, top) = new_file(&path, true);
    file.set_props(top, vec![(SUBJECT_W, unicode("outer"))])
        .unwrap();
    let (a, e) = embedded_attachment(&file, top, false);
    // Without MAPI_UNICODE: its parent's width.
    assert!(file.is_unicode(e));
    save(&file, &[e, a, top]);
    drop(file.close());
    {
        let root = open_file(&path, STGM_READWRITE | STGM_TRANSACTED).unwrap();
        let attach = root
            .open_storage(&codec::attachment_storage_name(0), RW)
            .unwrap();
        attach.destroy_element(OBJECT).unwrap();
        let object = attach.create_storage(OBJECT, RW | STGM_CREATE).unwrap();
        let counters = Counters {
            next_recipient_id: 1,
            recipient_count: 1,
            ..Counters::default()
        };
        write_bag(
            object.as_ref(),
            HeaderKind::Embedded,
            &counters,
            &[
                (SUBJECT_A, PropValue::String8(cp1251("Привет"))),
                (PR_MESSAGE_CODEPAGE, PropValue::Long(1251)),
            ],
        );
        let recipient = object
            .create_storage(&codec::recipient_storage_name(0), RW | STGM_CREATE)
            .unwrap();
        write_bag(
            recipient.as_ref(),
            HeaderKind::Child,
            &Counters::default(),
            &[
                (NAME_A, PropValue::String8(cp1251("Иван"))),
                (PR_RECIPIENT_TYPE, PropValue::Long(MAPI_TO as i32)),
                (PR_ROWID, PropValue::Long(0)),
            ],
        );
        for s in [recipient, object, attach] {
            s.commit(STGC_DEFAULT).unwrap();
        }
        root.commit(STGC_DEFAULT).unwrap();
    }

    let (file, top) = reopen(&path, true);
    assert!(file.is_unicode(top));
    let a = file.open_attach(top, 0, true, false).unwrap();
    assert!(file.is_unicode(a));
    // An existing message keeps its width, whatever the flag.
    let e = file.open_embedded(a, false, true, true).unwrap();
    assert!(!file.is_unicode(e) && !mask_says_unicode(&file, e));
    // In its own width, the stored types; in the other, converted through code page 1251.
    let list = file.get_prop_list(e, false).unwrap();
    assert!(
        list.contains(&SUBJECT_A) && list.contains(&0x0E04_001E),
        "{list:?}"
    );
    assert_eq!(get(&file, e, SUBJECT_W), unicode("Привет"));
    assert_eq!(get(&file, e, PR_DISPLAY_TO_W), unicode("Иван"));
    let rows = file.table_rows(e, TableKind::Recipients).unwrap();
    assert!(
        rows.rows[0]
            .props
            .contains(&(NAME_A, PropValue::String8(cp1251("Иван"))))
    );
    // A save of the outer message alone leaves the embedded message's streams as they are.
    file.set_props(top, vec![(SUBJECT_W, unicode("outer 2"))])
        .unwrap();
    file.save(top).unwrap();
    // Unicode values set on it are kept 8-bit.
    file.set_props(e, vec![(SUBJECT_W, unicode("Пока"))])
        .unwrap();
    file.modify_recipients(
        e,
        MODRECIP_ADD,
        vec![vec![
            (NAME_W, unicode("Пётр")),
            (PR_RECIPIENT_TYPE, PropValue::Long(MAPI_CC as i32)),
        ]],
    )
    .unwrap();
    assert_eq!(get(&file, e, SUBJECT_A), PropValue::String8(cp1251("Пока")));
    save(&file, &[e, a, top]);
    drop(file.close());

    let root: Arc<dyn Storage> = open_file(&path, STGM_READ | STGM_TRANSACTED).unwrap();
    assert_eq!(
        stream(root.as_ref(), "__substg1.0_0037001F"),
        Some(utf16le("outer 2"))
    );
    let object = storage_at(&root, &["__attach_version1.0_#00000000", OBJECT]);
    assert_eq!(
        stream(object.as_ref(), "__substg1.0_0037001E"),
        Some(cp1251("Пока"))
    );
    assert_eq!(stream(object.as_ref(), "__substg1.0_0037001F"), None);
    let tags = listed(object.as_ref(), HeaderKind::Embedded);
    assert!(
        tags.contains(&SUBJECT_A) && !tags.contains(&SUBJECT_W),
        "{tags:?}"
    );
    assert!(!tags.contains(&PR_STORE_SUPPORT_MASK));
    for (n, name) in [(0, "Иван"), (1, "Пётр")] {
        let recipient = storage_at(&object, &[&codec::recipient_storage_name(n)]);
        assert_eq!(
            stream(recipient.as_ref(), "__substg1.0_3001001E"),
            Some(cp1251(name))
        );
        assert_eq!(stream(recipient.as_ref(), "__substg1.0_3001001F"), None);
    }
}
