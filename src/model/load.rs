//! Reading messages, recipients and attachments from their storages, tolerantly: damage
//! becomes warnings, and no more is loaded than the input justifies.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::attachments::{AttachObject, AttachSlot, AttachState, Attachments};
use super::bag::{PropBag, Slot, Stored};
use super::message::{EAGER_LIMIT, GETPROPS_LIMIT, MessageState};
use super::prop::{prop_type, tags::*};
use super::recipients::{RecipientRow, Recipients};
use crate::codec::nameid;
use crate::codec::{self, Entry, EntryBody, HeaderKind, values};
use crate::consts::*;
use crate::error::{ErrorKind, Result};

use super::names::NameMap;
use crate::storage::{ElementKind, ElementStat, Storage};

/// Mode child storages are opened with for reading.
const READ_CHILD: u32 = STGM_READ | STGM_SHARE_EXCLUSIVE;

/// The most bytes one stream of the name map may hold (32767 entries of 8 bytes need
/// 256 KiB; names need at most a few MiB).
const NAME_MAP_LIMIT: u64 = 16 << 20;

/// Reads a message (properties, recipients, attachments; not the content of embedded
/// messages, read when opened) from its storage. A storage without a property stream is a
/// new message. `budget` bounds the bytes loaded into memory for the whole tree.
pub(crate) fn read_message_state(
    storage: &Arc<dyn Storage>,
    kind: HeaderKind,
    budget: &mut u64,
    warnings: &mut Vec<String>,
) -> Result<MessageState> {
    let mut state = MessageState::default();
    let elements = storage.elements()?;
    let has = |name: &str| elements.iter().any(|e| e.name.eq_ignore_ascii_case(name));
    if has(codec::PROPERTIES_STREAM) {
        let bytes = storage.read_stream(codec::PROPERTIES_STREAM, 64 * 1024 * 1024)?;
        let parsed = codec::parse_properties(&bytes, kind);
        state.counters = parsed.counters;
        warnings.extend(parsed.warnings);
        read_bag(
            storage.as_ref(),
            &parsed.entries,
            &elements,
            &mut state.props,
            warnings,
            budget,
        )?;
    }
    let mut children = CHILD_PROPERTIES_LIMIT;
    let mut reader = ChildReader {
        storage: storage.as_ref(),
        budget,
        children: &mut children,
        warnings,
    };
    state.recipients = read_recipients(&mut reader, &elements);
    state.attachments = read_attachments(&mut reader, &elements);
    state.recipients.next_row_id = state
        .recipients
        .next_row_id
        .max(state.counters.next_recipient_id);
    state.attachments.next_num = state
        .attachments
        .next_num
        .max(state.counters.next_attachment_id);
    Ok(state)
}

/// Child storages named `prefix` + 8 hex digits, by number (gaps after deletions are fine).
fn numbered(elements: &[ElementStat], prefix: &str) -> BTreeMap<u32, String> {
    elements
        .iter()
        .filter(|e| e.kind == ElementKind::Storage)
        .filter_map(|e| codec::storage_number(&e.name, prefix).map(|n| (n, e.name.clone())))
        .collect()
}

/// Bytes of property streams the recipients and attachments of one message may have
/// between them. Outlook's take a few hundred bytes each (at most 2048 recipients and 2048
/// attachments); a damaged file's directory entries can all claim the same sectors, and
/// each 16-byte entry becomes a property held in memory.
pub const CHILD_PROPERTIES_LIMIT: u64 = 16 * 1024 * 1024;

/// Reads the recipient and attachment storages of one message.
struct ChildReader<'a> {
    storage: &'a dyn Storage,
    /// Value bytes the tree may still load (see [`EAGER_BUDGET`]).
    budget: &'a mut u64,
    /// Property-stream bytes the message's recipients and attachments may still take.
    children: &'a mut u64,
    warnings: &'a mut Vec<String>,
}

/// Reads the property stream of a recipient or attachment storage into a bag.
fn read_child_bag(
    child: &dyn Storage,
    budget: &mut u64,
    children: &mut u64,
    warnings: &mut Vec<String>,
) -> Result<(PropBag, Vec<ElementStat>)> {
    let elements = child.elements()?;
    let mut bag = PropBag::default();
    if let Some(stream) = elements
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(codec::PROPERTIES_STREAM))
    {
        *children = children.checked_sub(stream.size).ok_or_else(|| {
            crate::error::Error::new(
                crate::error::ErrorKind::NotEnoughMemory,
                format!(
                    "its property stream of {} bytes passes what the recipients and \
                     attachments of one message may take ({CHILD_PROPERTIES_LIMIT} bytes)",
                    stream.size
                ),
            )
        })?;
        let bytes = child.read_stream(codec::PROPERTIES_STREAM, 64 * 1024 * 1024)?;
        let parsed = codec::parse_properties(&bytes, HeaderKind::Child);
        warnings.extend(parsed.warnings);
        read_bag(
            child,
            &parsed.entries,
            &elements,
            &mut bag,
            warnings,
            budget,
        )?;
    }
    Ok((bag, elements))
}

/// Opens a recipient or attachment storage and reads its property stream into a bag; its
/// warnings are prefixed with its name. `None`, with a warning, when the storage or its
/// property stream cannot be read (a damaged directory entry, a broken sector chain): that
/// object is left out and the rest of the message is still read.
fn read_child(r: &mut ChildReader, name: &str) -> Option<(PropBag, Vec<ElementStat>)> {
    let warnings = &mut *r.warnings;
    let mut own = Vec::new();
    let read = r
        .storage
        .open_storage(name, READ_CHILD)
        .and_then(|child| read_child_bag(child.as_ref(), r.budget, r.children, &mut own));
    // Warnings stay bounded for the whole message, not per object.
    let room = MAX_WARNINGS.saturating_sub(warnings.len());
    let dropped = own.len().saturating_sub(room);
    warnings.extend(own.into_iter().take(room).map(|w| format!("{name}: {w}")));
    if dropped > 0 {
        warnings.push(format!("{name}: ... and {dropped} more warning lines"));
    }
    match read {
        Ok(read) => Some(read),
        Err(e) => {
            warnings.push(format!(
                "{name}: left out: it cannot be read: {}",
                e.message
            ));
            None
        }
    }
}

fn read_recipients(r: &mut ChildReader, elements: &[ElementStat]) -> Recipients {
    let mut recipients = Recipients::default();
    for (number, name) in numbered(elements, codec::RECIP_PREFIX) {
        recipients.next_row_id = number.saturating_add(1);
        let Some((props, _)) = read_child(r, &name) else {
            // Not in the table; a save that rewrites the recipients removes it, so the
            // file keeps the recipients the caller saw.
            recipients.removed.push(number);
            continue;
        };
        recipients.rows.push(RecipientRow {
            row_id: number,
            storage: Some(number),
            props,
        });
    }
    recipients
}

fn read_attachments(r: &mut ChildReader, elements: &[ElementStat]) -> Attachments {
    let mut attachments = Attachments::default();
    for (number, name) in numbered(elements, codec::ATTACH_PREFIX) {
        // New attachments never take its number, even when it cannot be read (its
        // storage stays as it is).
        attachments.next_num = number.saturating_add(1);
        let Some((props, child_elements)) = read_child(r, &name) else {
            continue;
        };
        let has_object = child_elements.iter().any(|e| {
            e.kind == ElementKind::Storage
                && e.name.eq_ignore_ascii_case(codec::ATTACH_OBJECT_STORAGE)
        });
        let object = if has_object {
            AttachObject::Stored
        } else {
            AttachObject::None
        };
        attachments.slots.insert(
            number,
            AttachSlot {
                in_storage: true,
                table: Some(props.clone()),
                committed: Some(AttachState { props, object }),
                ..AttachSlot::default()
            },
        );
    }
    attachments
}

/// Value-stream bytes one object loads into memory while it is opened. Beyond this,
/// strings and binaries stay in the storage (read when asked for) and other values are
/// left out with a warning: directory entries of a damaged file can all claim the same
/// sectors, so the sizes the storage reports are not bounded by the file's size.
pub const EAGER_BUDGET: u64 = 64 * 1024 * 1024;

/// Warnings kept per object; the rest are counted.
const MAX_WARNINGS: usize = 256;

/// State of one [`read_bag`]: the object's streams by name, what may still be loaded, and
/// the warnings.
struct BagReader<'a> {
    storage: &'a dyn Storage,
    /// Sizes of the object's streams by upper-cased name (names compare case-insensitively).
    sizes: HashMap<String, u64>,
    budget: u64,
    warnings: &'a mut Vec<String>,
    dropped: usize,
}

impl BagReader<'_> {
    fn size_of(&self, name: &str) -> Option<u64> {
        self.sizes.get(&name.to_ascii_uppercase()).copied()
    }

    fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message);
        } else {
            self.dropped += 1;
        }
    }

    /// Takes `len` bytes from the budget; `false` (and nothing taken) when they do not fit.
    fn charge(&mut self, len: u64) -> bool {
        match self.budget.checked_sub(len) {
            Some(left) => {
                self.budget = left;
                true
            }
            None => false,
        }
    }
}

/// Fills a bag from property-stream entries, reading value streams that are small.
/// Tolerant: a value that cannot be read becomes a warning and is left out.
pub(crate) fn read_bag(
    storage: &dyn Storage,
    entries: &[Entry],
    elements: &[crate::storage::ElementStat],
    bag: &mut PropBag,
    warnings: &mut Vec<String>,
    budget: &mut u64,
) -> Result<()> {
    let mut sizes = HashMap::with_capacity(elements.len());
    for e in elements
        .iter()
        .filter(|e| e.kind == crate::storage::ElementKind::Stream)
    {
        // A name that appears twice (damaged files): the first wins, as in the storage.
        sizes.entry(e.name.to_ascii_uppercase()).or_insert(e.size);
    }
    let mut reader = BagReader {
        storage,
        sizes,
        budget: *budget,
        warnings,
        dropped: 0,
    };
    for entry in entries {
        let tag = entry.tag;
        let ty = prop_type(tag);
        match &entry.body {
            EntryBody::Inline(v) => bag.load(
                tag,
                entry.flags,
                Slot::Value(v.clone()),
                Stored { tag, indexed: 0 },
            ),
            EntryBody::Object { reserved } => bag.load(
                tag,
                entry.flags,
                Slot::Object {
                    reserved: *reserved,
                },
                Stored { tag, indexed: 0 },
            ),
            EntryBody::Stream { .. } => {
                let name = codec::value_stream_name(tag);
                let Some(len) = reader.size_of(&name) else {
                    reader.warn(format!("no value stream {name} for property 0x{tag:08X}"));
                    continue;
                };
                match read_value(&mut reader, tag, &name, len) {
                    Ok(Some(slot)) => {
                        let indexed = match &slot {
                            Slot::Value(v)
                                if matches!(ty, PT_MV_BINARY | PT_MV_STRING8 | PT_MV_UNICODE) =>
                            {
                                v.mv_count().unwrap_or(0)
                            }
                            _ => 0,
                        };
                        bag.load(tag, entry.flags, slot, Stored { tag, indexed });
                    }
                    Ok(None) => {}
                    Err(e) => reader.warn(format!(
                        "property 0x{tag:08X} left out: its value cannot be read: {}",
                        e.message
                    )),
                }
            }
        }
    }
    if reader.dropped > 0 {
        let dropped = reader.dropped;
        reader
            .warnings
            .push(format!("... and {dropped} more warnings"));
    }
    *budget = reader.budget;
    Ok(())
}

fn read_value(r: &mut BagReader, tag: u32, name: &str, len: u64) -> Result<Option<Slot>> {
    let ty = prop_type(tag);
    if matches!(ty, PT_STRING8 | PT_UNICODE | PT_BINARY) {
        // Large values, and any once the budget is spent, are read when asked for.
        if len > EAGER_LIMIT || !r.charge(len) {
            return Ok(Some(Slot::Large(r.storage.stream_blob(name)?)));
        }
        let bytes = r.storage.read_stream(name, EAGER_LIMIT)?;
        return Ok(values::decode_single(ty, &bytes).map(Slot::Value));
    }
    let too_large =
        |what: &str| format!("property 0x{tag:08X} left out: {what} is too large to load");
    if matches!(ty, PT_MV_BINARY | PT_MV_STRING8 | PT_MV_UNICODE) {
        // 4 or 8 bytes per value: up to a quarter of a million values.
        if len > GETPROPS_LIMIT || !r.charge(len) {
            r.warn(too_large(&format!("length stream {name}")));
            return Ok(None);
        }
        let lengths = r.storage.read_stream(name, GETPROPS_LIMIT)?;
        let count = values::mv_count(ty, &lengths);
        let mut items = Vec::with_capacity(count);
        for i in 0..count {
            let item = codec::mv_value_stream_name(tag, i as u32);
            match r.size_of(&item) {
                Some(n) if n <= GETPROPS_LIMIT => {
                    if !r.charge(n) {
                        r.warn(too_large("the sum of its values"));
                        return Ok(None);
                    }
                    items.push(Some(r.storage.read_stream(&item, GETPROPS_LIMIT)?))
                }
                Some(_) => {
                    r.warn(format!("value stream {item} is too large to load"));
                    items.push(None);
                }
                None => {
                    r.warn(format!("missing value stream {item}"));
                    items.push(None);
                }
            }
        }
        return Ok(values::decode_mv(ty, items).map(Slot::Value));
    }
    if len > GETPROPS_LIMIT || !r.charge(len) {
        r.warn(too_large(&format!("value stream {name}")));
        return Ok(None);
    }
    let bytes = r.storage.read_stream(name, GETPROPS_LIMIT)?;
    Ok(values::decode_single(ty, &bytes).map(Slot::Value))
}

/// The file's named-property map from the root's `__nameid_version1.0` storage; a missing
/// or damaged map reads as what could be recovered, with warnings.
pub(crate) fn read_name_map(root: &dyn Storage, warnings: &mut Vec<String>) -> NameMap {
    let Ok(storage) = root.open_storage(codec::NAMEID_STORAGE, READ_CHILD) else {
        return NameMap::new();
    };
    // A stream that is absent or larger than any real map reads as empty.
    let read =
        |name: &str, warnings: &mut Vec<String>| match storage.read_stream(name, NAME_MAP_LIMIT) {
            Ok(bytes) => bytes,
            Err(e) if e.kind == ErrorKind::StgFileNotFound => Vec::new(),
            Err(e) => {
                warnings.push(format!("{}/{name}: {}", codec::NAMEID_STORAGE, e.message));
                Vec::new()
            }
        };
    let guids = read(nameid::GUID_STREAM, warnings);
    let entries = read(nameid::ENTRY_STREAM, warnings);
    let strings = read(nameid::STRING_STREAM, warnings);
    let (parsed, parse_warnings) = nameid::parse(&guids, &entries, &strings);
    let (map, map_warnings) = NameMap::from_entries(&parsed);
    warnings.extend(parse_warnings.into_iter().chain(map_warnings));
    map
}

/// A message's string width as its properties show it: `PR_STORE_SUPPORT_MASK`, else the
/// type of its string properties; `None` when nothing tells.
pub(crate) fn detect_unicode(bag: &PropBag) -> Option<bool> {
    if let Some(mask) = bag.long(PR_STORE_SUPPORT_MASK) {
        return Some(mask as u32 & STORE_UNICODE_OK != 0);
    }
    bag.iter().find_map(|e| match prop_type(e.tag) & !MV_FLAG {
        PT_UNICODE => Some(true),
        PT_STRING8 => Some(false),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Counters;
    use crate::model::bag::DEFAULT_FLAGS;
    use crate::model::prop::PropValue;
    use crate::model::prop::prop_id;
    use crate::storage::Blob;
    use crate::storage::docfile::create_file;

    const RW: u32 = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;

    fn write(storage: &dyn Storage, name: &str, bytes: &[u8]) {
        storage
            .write_stream(name, &Blob::from_vec(bytes.to_vec()))
            .unwrap();
    }

    /// A transacted compound file `a.msg` in `dir`.
    fn new_file(dir: &std::path::Path) -> Arc<crate::storage::docfile::DocStorage> {
        create_file(
            &dir.join("a.msg"),
            RW | STGM_CREATE | STGM_TRANSACTED,
            crate::storage::Version::V3,
        )
        .unwrap()
    }

    /// Recipient storages `#0 .. #count-1`, each with a property stream of `entries`.
    fn add_recipients(root: &dyn Storage, entries: &[Entry], count: u32) {
        let bytes = codec::write_properties(HeaderKind::Child, &Counters::default(), entries);
        for number in 0..count {
            let child = root
                .create_storage(&codec::recipient_storage_name(number), RW | STGM_CREATE)
                .unwrap();
            write(child.as_ref(), codec::PROPERTIES_STREAM, &bytes);
            child.commit(STGC_DEFAULT).unwrap();
        }
    }

    fn entry(tag: u32, size: u32) -> Entry {
        Entry {
            tag,
            flags: DEFAULT_FLAGS,
            body: EntryBody::Stream { size },
        }
    }

    #[test]
    fn values_that_cannot_be_loaded_are_warnings_not_a_failed_open() {
        let dir = tempfile::tempdir().unwrap();
        let root = new_file(dir.path());
        // 17,500 values: a length stream over 64 KB made the whole open fail.
        let many = 0x8001_101F;
        // Over 1 MB of lengths: left out, the rest of the message still opens.
        let too_many = 0x8002_1102;
        let subject = 0x0037_001F;
        let entries = vec![
            entry(many, 70_000),
            entry(too_many, 1_100_000),
            entry(subject, 6),
        ];
        write(root.as_ref(), &codec::value_stream_name(many), &[2; 70_000]);
        write(
            root.as_ref(),
            &codec::value_stream_name(too_many),
            &vec![0; 1_100_000],
        );
        write(root.as_ref(), &codec::value_stream_name(subject), b"h\0i\0");
        let bytes = codec::write_properties(HeaderKind::TopLevel, &Counters::default(), &entries);
        write(root.as_ref(), codec::PROPERTIES_STREAM, &bytes);

        let root: Arc<dyn Storage> = root;
        let mut warnings = Vec::new();
        let state = read_message_state(
            &root,
            HeaderKind::TopLevel,
            &mut EAGER_BUDGET.clone(),
            &mut warnings,
        )
        .unwrap();
        match state.props.value(prop_id(many), PT_MV_UNICODE) {
            Some(PropValue::MvUnicode(v)) => assert_eq!(v.len(), 17_500),
            other => panic!("{other:?}"),
        }
        assert!(state.props.get(prop_id(too_many)).is_none());
        assert!(state.props.get(prop_id(subject)).is_some());
        // One warning per missing value stream, kept to a bounded number.
        assert_eq!(warnings.len(), MAX_WARNINGS + 1, "{:?}", &warnings[..3]);
        assert!(warnings.last().unwrap().contains("more warnings"));
    }

    #[test]
    fn a_recipient_or_attachment_that_cannot_be_read_is_a_warning_not_a_failed_open() {
        let dir = tempfile::tempdir().unwrap();
        let root = new_file(dir.path());
        let name = 0x3001_001F;
        let child = |storage_name: &str, damaged: bool| {
            let child = root.create_storage(storage_name, RW | STGM_CREATE).unwrap();
            if damaged {
                // A storage where the property stream should be: it cannot be read.
                child
                    .create_storage(codec::PROPERTIES_STREAM, RW | STGM_CREATE)
                    .unwrap()
                    .commit(STGC_DEFAULT)
                    .unwrap();
            } else {
                let entries = [entry(name, 4)];
                let bytes =
                    codec::write_properties(HeaderKind::Child, &Counters::default(), &entries);
                write(child.as_ref(), codec::PROPERTIES_STREAM, &bytes);
                write(child.as_ref(), &codec::value_stream_name(name), b"a\0");
            }
            child.commit(STGC_DEFAULT).unwrap();
        };
        for (number, damaged) in [(0, false), (1, true), (2, false)] {
            child(&codec::recipient_storage_name(number), damaged);
        }
        for (number, damaged) in [(0, true), (1, false)] {
            child(&codec::attachment_storage_name(number), damaged);
        }
        let bytes = codec::write_properties(HeaderKind::TopLevel, &Counters::default(), &[]);
        write(root.as_ref(), codec::PROPERTIES_STREAM, &bytes);

        let root: Arc<dyn Storage> = root;
        let mut warnings = Vec::new();
        let state = read_message_state(
            &root,
            HeaderKind::TopLevel,
            &mut EAGER_BUDGET.clone(),
            &mut warnings,
        )
        .unwrap();
        let rows: Vec<u32> = state.recipients.rows.iter().map(|r| r.row_id).collect();
        assert_eq!(rows, [0, 2]);
        assert!(state.recipients.rows[1].props.get(prop_id(name)).is_some());
        // A save that rewrites the recipients removes the unreadable one.
        assert_eq!(state.recipients.removed, [1]);
        assert_eq!(state.recipients.next_row_id, 3);
        assert_eq!(
            state.attachments.slots.keys().copied().collect::<Vec<_>>(),
            [1]
        );
        // A new attachment does not take the unreadable one's number.
        assert_eq!(state.attachments.next_num, 2);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with("__recip_version1.0_#00000001: left out"),
            "{warnings:?}"
        );
        assert!(
            warnings[1].starts_with("__attach_version1.0_#00000000: left out"),
            "{warnings:?}"
        );
    }

    #[test]
    fn the_property_streams_of_recipients_and_attachments_have_an_allowance() {
        let dir = tempfile::tempdir().unwrap();
        let root = new_file(dir.path());
        // 8 + 16 bytes each: one inline property.
        let entries = [Entry {
            tag: 0x0C15_0003,
            flags: DEFAULT_FLAGS,
            body: EntryBody::Inline(PropValue::Long(1)),
        }];
        add_recipients(root.as_ref(), &entries, 3);
        let elements = root.elements().unwrap();
        let mut warnings = Vec::new();
        // Room for two of them: the third is left out, with a warning.
        let mut children = 50;
        let mut reader = ChildReader {
            storage: root.as_ref(),
            budget: &mut EAGER_BUDGET.clone(),
            children: &mut children,
            warnings: &mut warnings,
        };
        let recipients = read_recipients(&mut reader, &elements);
        assert_eq!(recipients.rows.len(), 2);
        assert_eq!(children, 2);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("__recip_version1.0_#00000002: left out"),
            "{warnings:?}"
        );
    }

    #[test]
    fn warnings_of_recipients_and_attachments_name_them_and_stay_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let root = new_file(dir.path());
        // Each recipient names 300 value streams that do not exist.
        let entries: Vec<Entry> = (0..300u32)
            .map(|i| entry(0x8000_001F + (i << 16), 4))
            .collect();
        add_recipients(root.as_ref(), &entries, 3);
        let root: Arc<dyn Storage> = root;
        let mut warnings = Vec::new();
        let state = read_message_state(
            &root,
            HeaderKind::TopLevel,
            &mut EAGER_BUDGET.clone(),
            &mut warnings,
        )
        .unwrap();
        assert_eq!(state.recipients.rows.len(), 3);
        assert!(
            warnings[0].starts_with("__recip_version1.0_#00000000: no value stream"),
            "{:?}",
            &warnings[..2]
        );
        // The cap holds for the message, plus one count per object beyond it.
        assert_eq!(
            warnings.len(),
            MAX_WARNINGS + 3,
            "{:?}",
            &warnings[MAX_WARNINGS..]
        );
        assert!(warnings[MAX_WARNINGS].starts_with("__recip_version1.0_#00000000: ... and"));
    }

    #[test]
    fn loading_stops_at_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let root = new_file(dir.path());
        let body = 0x1000_001F;
        let guid = 0x8003_0048;
        let longs = 0x8004_1003;
        let entries = vec![entry(body, 402), entry(guid, 16), entry(longs, 400)];
        write(root.as_ref(), &codec::value_stream_name(body), &[0x41; 400]);
        write(root.as_ref(), &codec::value_stream_name(guid), &[9; 16]);
        write(root.as_ref(), &codec::value_stream_name(longs), &[1; 400]);
        let elements = root.elements().unwrap();
        let mut bag = PropBag::default();
        let mut warnings = Vec::new();
        // Room for the GUID only: the string stays in the storage (still readable), the
        // multi-valued property is left out.
        read_bag(
            root.as_ref(),
            &entries,
            &elements,
            &mut bag,
            &mut warnings,
            &mut 100,
        )
        .unwrap();
        assert!(matches!(
            bag.get(prop_id(body)).unwrap().slot,
            Slot::Large(_)
        ));
        assert_eq!(
            bag.value(prop_id(guid), PT_CLSID),
            Some(&PropValue::Clsid([9; 16]))
        );
        assert!(bag.get(prop_id(longs)).is_none());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        // With the full budget everything is in memory.
        let mut bag = PropBag::default();
        read_bag(
            root.as_ref(),
            &entries,
            &elements,
            &mut bag,
            &mut Vec::new(),
            &mut EAGER_BUDGET.clone(),
        )
        .unwrap();
        assert!(matches!(
            bag.get(prop_id(body)).unwrap().slot,
            Slot::Value(_)
        ));
        assert_eq!(
            bag.value(prop_id(longs), PT_MV_LONG),
            Some(&PropValue::MvLong(vec![0x0101_0101; 100]))
        );
    }
}
