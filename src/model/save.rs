//! Writing messages, recipients and attachments into their storages. Only what changed is
//! written: unchanged values, recipients and attachments stay as they are in the storage.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use super::bag::{PropBag, Slot, Stored};
use super::name_map::NameMap;
use super::props::support_mask;
use super::recipients::Recipients;
use super::state::MessageState;
use super::state::{AttachObject, Attachments};
use crate::codec::{self, Counters, Entry, EntryBody, HeaderKind, nameid, values};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::{Blob, Storage};
use crate::types::prop_value::{PropValue, is_stream_type, prop_id, prop_type, tags::*};

/// Mode child storages are opened and created with for writing.
const WRITE_CHILD: u32 = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;

/// Flags Outlook gives the properties it computes and stores.
const READ_ONLY: u32 = PROPATTR_READABLE;

fn ignore_missing(r: Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind == ErrorKind::StgFileNotFound => Ok(()),
        other => other,
    }
}

/// Writes a message into `storage` (the root for the top-level message, an attachment's
/// `__substg1.0_3701000D` for an embedded one): its recipients, its attachments (embedded
/// messages first, at any depth), then its property stream with the header's counters.
/// Each message is written in its own width (`state.unicode`): the bag holds its strings
/// in that width, and a Unicode message (and each of its attachments) gets
/// `STORE_UNICODE_OK` in `PR_STORE_SUPPORT_MASK`, as Outlook writes it.
pub(crate) fn write_message_state(
    state: &mut MessageState,
    storage: &Arc<dyn Storage>,
    kind: HeaderKind,
) -> Result<()> {
    let unicode = state.unicode;
    if unicode && state.props.get(prop_id(PR_STORE_SUPPORT_MASK)).is_none() {
        let mask = PropValue::Long(support_mask(true) as i32);
        state
            .props
            .set_with_flags(PR_STORE_SUPPORT_MASK, READ_ONLY, Slot::Value(mask));
    }
    write_recipients(&mut state.recipients, storage.as_ref())?;
    write_attachments(&mut state.attachments, storage, unicode)?;
    let counters = Counters {
        next_recipient_id: state.recipients.rows.len() as u32,
        next_attachment_id: state.attachments.next_num,
        recipient_count: state.recipients.rows.len() as u32,
        attachment_count: state
            .attachments
            .slots
            .values()
            .filter(|s| s.in_storage)
            .count() as u32,
    };
    if counters != state.counters {
        state.counters = counters;
        state.props.touch();
    }
    if state.props.changed() || !has_properties(storage.as_ref())? {
        write_bag(storage.as_ref(), &mut state.props, kind, &counters)?;
    }
    Ok(())
}

fn has_properties(storage: &dyn Storage) -> Result<bool> {
    Ok(storage
        .elements()?
        .iter()
        .any(|e| e.name.eq_ignore_ascii_case(codec::PROPERTIES_STREAM)))
}

/// Recipients are saved as `__recip_version1.0_#0 .. #n-1`, in row order. Rows keep their
/// storage when they can: a row whose number changes is renamed (ascending, so no name is
/// taken twice), and only new or changed rows are rewritten. New rows' storages are created
/// after that, in [`balanced_order`].
fn write_recipients(recipients: &mut Recipients, storage: &dyn Storage) -> Result<()> {
    if !recipients.changed {
        return Ok(());
    }
    for number in recipients.removed.drain(..) {
        ignore_missing(storage.destroy_element(&codec::recipient_storage_name(number)))?;
    }
    let (stored, new): (Vec<usize>, Vec<usize>) =
        (0..recipients.rows.len()).partition(|&i| recipients.rows[i].storage.is_some());
    let order = stored
        .into_iter()
        .chain(balanced_order(new.len()).into_iter().map(|k| new[k]));
    for index in order {
        let row = &mut recipients.rows[index];
        let number = index as u32;
        let name = codec::recipient_storage_name(number);
        let child = match row.storage {
            Some(old) if old == number => storage.open_storage(&name, WRITE_CHILD)?,
            Some(old) => {
                storage.rename_element(&codec::recipient_storage_name(old), &name)?;
                storage.open_storage(&name, WRITE_CHILD)?
            }
            None => storage.create_storage(&name, WRITE_CHILD | STGM_CREATE)?,
        };
        // The stored row id is the storage number, as Outlook writes it.
        if row.props.long(PR_ROWID) != Some(number as i32) {
            row.props
                .set(PR_ROWID, Slot::Value(PropValue::Long(number as i32)));
        }
        if row.props.changed() || !has_properties(child.as_ref())? {
            write_bag(
                child.as_ref(),
                &mut row.props,
                HeaderKind::Child,
                &Counters::default(),
            )?;
        }
        child.commit(STGC_DEFAULT)?;
        row.storage = Some(number);
    }
    recipients.changed = false;
    Ok(())
}

/// Positions `0..n` in the order that builds a balanced binary search tree when inserted one
/// by one: a range's middle, then its two halves. A storage that keeps sibling names in a
/// plain search tree (Wine's ole32 does) stays about log2(n) deep that way, where names
/// created in sorted order make a chain n deep: 10,000 recipients overflowed Wine's stack.
fn balanced_order(n: usize) -> Vec<usize> {
    let mut order = Vec::with_capacity(n);
    let mut ranges = vec![(0, n)];
    while let Some((low, high)) = ranges.pop() {
        if low < high {
            let middle = low + (high - low) / 2;
            order.push(middle);
            ranges.push((middle + 1, high));
            ranges.push((low, middle));
        }
    }
    order
}

/// Attachments are saved as `__attach_version1.0_#N`, N their attachment number, visited
/// in [`balanced_order`] so that the storages they create keep a plain tree shallow.
/// `unicode` is the width of the message holding them; an embedded message has its own.
fn write_attachments(
    attachments: &mut Attachments,
    storage: &Arc<dyn Storage>,
    unicode: bool,
) -> Result<()> {
    if !attachments.changed {
        return Ok(());
    }
    let numbers: Vec<u32> = attachments.slots.keys().copied().collect();
    for num in balanced_order(numbers.len())
        .into_iter()
        .map(|k| numbers[k])
    {
        let slot = attachments.slots.get_mut(&num).expect("listed above");
        let name = codec::attachment_storage_name(num);
        let unsaved = slot.committed.is_none();
        if slot.deleted || unsaved {
            // Removed, or never saved (its storage may exist for an OLE object).
            slot.handles = Default::default();
            if slot.in_storage {
                ignore_missing(storage.destroy_element(&name))?;
                slot.in_storage = false;
            }
            if slot.deleted {
                attachments.slots.remove(&num);
            }
            continue;
        }
        if !slot.dirty {
            continue;
        }
        let child = match &slot.handles.storage {
            Some(h) => h.clone(),
            None if slot.in_storage => storage.open_storage(&name, WRITE_CHILD)?,
            None => storage.create_storage(&name, WRITE_CHILD | STGM_CREATE)?,
        };
        slot.handles.storage = Some(child.clone());
        slot.in_storage = true;
        let committed = slot.committed.as_mut().expect("checked above");
        if let AttachObject::Message(message) = &mut committed.object {
            let object = match &slot.handles.object {
                Some(h) => h.clone(),
                None => {
                    child.create_storage(codec::ATTACH_OBJECT_STORAGE, WRITE_CHILD | STGM_CREATE)?
                }
            };
            slot.handles.object = Some(object.clone());
            write_message_state(message, &object, HeaderKind::Embedded)?;
            object.commit(STGC_DEFAULT)?;
        }
        if unicode
            && committed
                .props
                .get(prop_id(PR_STORE_SUPPORT_MASK))
                .is_none()
        {
            let mask = PropValue::Long(support_mask(true) as i32);
            committed
                .props
                .set_with_flags(PR_STORE_SUPPORT_MASK, READ_ONLY, Slot::Value(mask));
        }
        write_bag(
            child.as_ref(),
            &mut committed.props,
            HeaderKind::Child,
            &Counters::default(),
        )?;
        child.commit(STGC_DEFAULT)?;
        slot.table = Some(committed.props.clone());
        slot.dirty = false;
    }
    attachments.changed = false;
    attachments.version += 1;
    Ok(())
}

/// Writes a bag into `storage`: removes streams of deleted or replaced values, writes
/// changed values, then the property stream.
pub(crate) fn write_bag(
    storage: &dyn Storage,
    bag: &mut PropBag,
    kind: HeaderKind,
    counters: &Counters,
) -> Result<()> {
    for stale in bag.stale_streams() {
        // An object property set again (a new embedded message or OLE object) keeps its
        // storage: write_attachments has just written it.
        let object_kept = prop_type(stale.tag) == PT_OBJECT
            && bag
                .get(prop_id(stale.tag))
                .is_some_and(|e| matches!(e.slot, Slot::Object { .. }));
        if object_kept {
            continue;
        }
        for name in values::stream_names(stale.tag, stale.indexed) {
            match storage.destroy_element(&name) {
                Ok(()) => {}
                Err(e) if e.kind == ErrorKind::StgFileNotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    let mut entries = Vec::with_capacity(bag.len());
    let mut stored = BTreeMap::new();
    for e in bag.iter() {
        let tag = e.tag;
        let ty = prop_type(tag);
        let (body, indexed) = match &e.slot {
            Slot::Value(v) if !is_stream_type(ty) => (EntryBody::Inline(v.clone()), 0),
            Slot::Value(v) => {
                let enc = values::encode(tag, v).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidType,
                        format!("cannot store property 0x{tag:08X}"),
                    )
                })?;
                if e.dirty {
                    storage
                        .write_stream(&codec::value_stream_name(tag), &Blob::from_vec(enc.main))?;
                    for (name, bytes) in &enc.indexed {
                        storage.write_stream(name, &Blob::from_vec(bytes.clone()))?;
                    }
                }
                (EntryBody::Stream { size: enc.size }, enc.indexed.len())
            }
            Slot::Large(blob) => {
                if e.dirty {
                    storage.write_stream(&codec::value_stream_name(tag), blob)?;
                }
                let terminator = match ty {
                    PT_UNICODE => 2,
                    PT_STRING8 => 1,
                    _ => 0,
                };
                (
                    EntryBody::Stream {
                        size: u32::try_from(blob.len() + terminator).unwrap_or(u32::MAX),
                    },
                    0,
                )
            }
            Slot::Object { reserved } => (
                EntryBody::Object {
                    reserved: *reserved,
                },
                0,
            ),
        };
        entries.push(Entry {
            tag,
            flags: e.flags,
            body,
        });
        stored.insert(prop_id(tag), Stored { tag, indexed });
    }
    let bytes = codec::write_properties(kind, counters, &entries);
    storage.write_stream(codec::PROPERTIES_STREAM, &Blob::from_vec(bytes))?;
    bag.mark_saved(stored);
    Ok(())
}

/// Writes the file's named-property map into the root's `__nameid_version1.0` storage when
/// it changed or the storage is missing (its three streams are mandatory, even empty);
/// an unchanged map keeps the file's own bytes.
pub(crate) fn write_name_map(root: &dyn Storage, map: &NameMap) -> Result<()> {
    let exists = root.open_storage(codec::NAMEID_STORAGE, STGM_READ | STGM_SHARE_EXCLUSIVE);
    if !map.is_dirty() && exists.is_ok() {
        return Ok(());
    }
    drop(exists);
    let streams = nameid::build(&map.to_entries());
    let storage = match root.open_storage(codec::NAMEID_STORAGE, WRITE_CHILD) {
        Ok(s) => s,
        Err(e) if e.kind == ErrorKind::StgFileNotFound => {
            root.create_storage(codec::NAMEID_STORAGE, WRITE_CHILD | STGM_CREATE)?
        }
        Err(e) => return Err(e),
    };
    // Bucket streams the new map does not have go.
    for element in storage.elements()? {
        let stale = nameid::bucket_of_stream(&element.name).is_some()
            && !streams
                .buckets
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case(&element.name));
        if stale {
            storage.destroy_element(&element.name)?;
        }
    }
    let fixed = [
        (nameid::GUID_STREAM, &streams.guids),
        (nameid::ENTRY_STREAM, &streams.entries),
        (nameid::STRING_STREAM, &streams.strings),
    ];
    let buckets = streams
        .buckets
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes));
    for (name, bytes) in fixed.into_iter().chain(buckets) {
        storage.write_stream(name, &Blob::from_vec(bytes.clone()))?;
    }
    storage.commit(STGC_DEFAULT)
}

#[cfg(test)]
mod tests {
    use super::balanced_order;

    /// Depth of the plain binary search tree that inserting `keys` in turn builds.
    fn naive_tree_depth(keys: &[usize]) -> usize {
        let mut children: std::collections::HashMap<usize, [Option<usize>; 2]> = Default::default();
        let mut depth = 0;
        for &key in keys {
            let mut level = 1;
            if let Some(&root) = keys.first().filter(|&&r| r != key) {
                let mut at = root;
                loop {
                    level += 1;
                    let side = usize::from(key > at);
                    match children.entry(at).or_default()[side] {
                        Some(next) => at = next,
                        None => {
                            children.get_mut(&at).unwrap()[side] = Some(key);
                            break;
                        }
                    }
                }
            }
            depth = depth.max(level);
        }
        depth
    }

    #[test]
    fn balanced_order_is_a_permutation_that_keeps_a_naive_tree_shallow() {
        for n in [0, 1, 2, 3, 7, 8, 1000, 10_000] {
            let order = balanced_order(n);
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>());
            let bound = (usize::BITS - n.leading_zeros()) as usize; // ceil(log2(n + 1))
            assert!(naive_tree_depth(&order) <= bound, "n = {n}");
        }
        let sorted: Vec<usize> = (0..1000).collect();
        assert_eq!(naive_tree_depth(&sorted), 1000);
    }
}
