//! The property bag of one object (message, recipient, attachment): values keyed by
//! property id, their `PROPATTR_*` flags, what is stored in the object's storage, and
//! what changed since the last save.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use crate::consts::*;
use crate::storage::Blob;
use crate::types::prop_value::{PropValue, prop_id, prop_type};

/// Flags of a property a caller creates: readable and writable.
pub const DEFAULT_FLAGS: u32 = PROPATTR_READABLE | PROPATTR_WRITEABLE;

/// A property's value as the bag holds it.
#[derive(Clone, Debug)]
pub enum Slot {
    Value(PropValue),
    /// A string or binary value left in (or staged beside) the storage: the stream's bytes
    /// (strings without their terminator). Read when asked for.
    Large(Blob),
    /// `PT_OBJECT`: a sub-storage (embedded message, OLE object); `reserved` is the entry's
    /// reserved field (1 embedded message, 4 storage).
    Object {
        reserved: u32,
    },
}

/// What the object's storage currently holds for a property id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    pub tag: u32,
    /// Number of indexed value streams (variable-length multi-valued types).
    pub indexed: usize,
}

#[derive(Clone, Debug)]
pub struct PropEntry {
    pub tag: u32,
    pub flags: u32,
    pub slot: Slot,
    /// Changed since the last save: its streams must be rewritten.
    pub dirty: bool,
}

/// The properties of one object.
#[derive(Clone, Debug, Default)]
pub struct PropBag {
    entries: BTreeMap<u16, PropEntry>,
    /// What the storage holds, by id (to remove stale streams at save).
    stored: BTreeMap<u16, Stored>,
    /// Any change since the last save (including deletions).
    changed: bool,
}

impl PropBag {
    pub fn get(&self, id: u16) -> Option<&PropEntry> {
        self.entries.get(&id)
    }

    pub fn get_mut(&mut self, id: u16) -> Option<&mut PropEntry> {
        self.entries.get_mut(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &PropEntry> {
        self.entries.values()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of a fixed-size or in-memory property of exactly type `ty`.
    pub fn value(&self, id: u16, ty: u32) -> Option<&PropValue> {
        match self.entries.get(&id) {
            Some(PropEntry {
                tag,
                slot: Slot::Value(v),
                ..
            }) if prop_type(*tag) == ty => Some(v),
            _ => None,
        }
    }

    pub fn long(&self, tag: u32) -> Option<i32> {
        match self.value(prop_id(tag), PT_LONG) {
            Some(PropValue::Long(v)) => Some(*v),
            _ => None,
        }
    }

    /// Loads a property as read from storage (not dirty).
    pub fn load(&mut self, tag: u32, flags: u32, slot: Slot, stored: Stored) {
        let id = prop_id(tag);
        self.stored.insert(id, stored);
        self.entries.insert(
            id,
            PropEntry {
                tag,
                flags,
                slot,
                dirty: false,
            },
        );
    }

    /// Sets a property, replacing any value of the same id; keeps existing flags.
    pub fn set(&mut self, tag: u32, slot: Slot) {
        let id = prop_id(tag);
        let flags = self.entries.get(&id).map_or(DEFAULT_FLAGS, |e| e.flags);
        self.set_with_flags(tag, flags, slot);
    }

    pub fn set_with_flags(&mut self, tag: u32, flags: u32, slot: Slot) {
        self.entries.insert(
            prop_id(tag),
            PropEntry {
                tag,
                flags,
                slot,
                dirty: true,
            },
        );
        self.changed = true;
    }

    pub fn remove(&mut self, id: u16) -> Option<PropEntry> {
        let removed = self.entries.remove(&id);
        if removed.is_some() {
            self.changed = true;
        }
        removed
    }

    pub fn set_flags(&mut self, id: u16, flags: u32) {
        if let Some(e) = self.entries.get_mut(&id)
            && e.flags != flags
        {
            e.flags = flags;
            self.changed = true;
        }
    }

    pub fn changed(&self) -> bool {
        self.changed
    }

    /// Marks the bag changed (its property stream must be rewritten).
    pub fn touch(&mut self) {
        self.changed = true;
    }

    /// Stored streams that no current value of the same tag reuses: delete them at save.
    pub fn stale_streams(&self) -> Vec<Stored> {
        self.stored
            .iter()
            .filter(|(id, stored)| match self.entries.get(id) {
                None => true,
                Some(e) => e.dirty || e.tag != stored.tag,
            })
            .map(|(_, s)| *s)
            .collect()
    }

    /// Records a completed save: everything is now as stored.
    pub fn mark_saved(&mut self, stored: BTreeMap<u16, Stored>) {
        self.stored = stored;
        for e in self.entries.values_mut() {
            e.dirty = false;
        }
        self.changed = false;
    }

    /// What the storage holds for an id.
    pub fn stored(&self, id: u16) -> Option<Stored> {
        self.stored.get(&id).copied()
    }

    /// Takes over what the storage holds for `old`, the bag this one replaces, so that the
    /// next save removes the streams of values this one does not have.
    pub fn take_stored_from(&mut self, old: &PropBag) {
        self.stored = old.stored.clone();
        self.changed = true;
    }

    /// Forgets what the storage holds: the next save writes every value (a copy to a new
    /// storage).
    pub fn mark_all_dirty(&mut self) {
        self.stored.clear();
        for e in self.entries.values_mut() {
            e.dirty = true;
        }
        self.changed = true;
    }
}
