//! The table of open property streams of one file: what each `OpenProperty(..., IID_IStream)`
//! has written, kept under the file's lock as part of its state (see `propstream.rs` for
//! why the content lives in the file and not in the stream handle).
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use super::state::NodeId;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::Blob;

/// The content of one open property stream.
pub struct OpenStream {
    pub node: NodeId,
    /// The tag as opened (its string width may differ from the stored one).
    pub tag: u32,
    pub content: Blob,
    /// Written since it was last applied to the object.
    pub(crate) dirty: bool,
    /// When it was last written (a clock of the table), so that two streams on the same
    /// property apply in the order they were written.
    pub(crate) written: u64,
    /// Open handles (clones and repeated opens share the entry).
    pub(crate) handles: usize,
}

/// The open property streams of one file, by id.
#[derive(Default)]
pub struct OpenStreams {
    pub(crate) entries: BTreeMap<u64, OpenStream>,
    next_id: u64,
    clock: u64,
}

impl OpenStreams {
    /// A new entry with one handle; `dirty` when it must be applied even if never written
    /// (a property created by `MAPI_CREATE` exists, empty).
    pub(crate) fn insert(&mut self, node: NodeId, tag: u32, content: Blob, dirty: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.clock += 1;
        self.entries.insert(
            id,
            OpenStream {
                node,
                tag,
                content,
                dirty,
                written: self.clock,
                handles: 1,
            },
        );
        id
    }

    /// The entry open on exactly `(node, tag)`, if any.
    pub(crate) fn find(&self, node: NodeId, tag: u32) -> Option<u64> {
        self.entries
            .iter()
            .find(|(_, e)| e.node == node && e.tag == tag)
            .map(|(&id, _)| id)
    }

    /// Another handle on entry `id` (from [`find`](Self::find)); with `truncate`
    /// (`MAPI_CREATE`) its content is emptied.
    pub(crate) fn share(&mut self, id: u64, truncate: bool) -> u64 {
        self.clock += 1;
        let clock = self.clock;
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.handles += 1;
            if truncate {
                entry.content = Blob::default();
                entry.dirty = true;
                entry.written = clock;
            }
        }
        id
    }

    pub(crate) fn entry(&mut self, id: u64) -> Result<&mut OpenStream> {
        self.entries.get_mut(&id).ok_or_else(|| {
            Error::new(
                ErrorKind::ObjectDeleted,
                "the object the stream belongs to was closed",
            )
        })
    }

    /// The entry, to be changed: marked written now.
    pub(crate) fn entry_to_write(&mut self, id: u64) -> Result<&mut OpenStream> {
        self.clock += 1;
        let clock = self.clock;
        let entry = self.entry(id)?;
        entry.dirty = true;
        entry.written = clock;
        Ok(entry)
    }

    /// Ids of the entries of `node` written since last applied, oldest write first.
    pub(crate) fn pending(&self, node: NodeId) -> Vec<u64> {
        let mut ids: Vec<(u64, u64)> = self
            .entries
            .iter()
            .filter(|(_, e)| e.node == node && e.dirty)
            .map(|(&id, e)| (e.written, id))
            .collect();
        ids.sort_unstable();
        ids.into_iter().map(|(_, id)| id).collect()
    }

    /// The property ids of `node` that have a stream open on them.
    pub(crate) fn open_ids(&self, node: NodeId) -> Vec<u16> {
        self.entries
            .values()
            .filter(|e| e.node == node)
            .map(|e| crate::types::prop_value::prop_id(e.tag))
            .collect()
    }

    /// `SetProps` or `DeleteProps` replaced property `id` of `node`: the streams open on it
    /// now hold what the object holds (`content(tag)` for the stream's tag: the new value,
    /// or empty), so a later read sees it and a later write goes on from it. The last
    /// change wins, whichever way it came.
    pub(crate) fn replaced(
        &mut self,
        node: NodeId,
        id: u16,
        mut content: impl FnMut(u32) -> Result<Blob>,
    ) -> Result<()> {
        for e in self.entries.values_mut() {
            if e.node == node && crate::types::prop_value::prop_id(e.tag) == id {
                e.content = content(e.tag)?;
                e.dirty = false;
            }
        }
        Ok(())
    }

    /// Takes out every entry of a node that is being closed.
    pub(crate) fn remove_node(&mut self, node: NodeId) -> Vec<OpenStream> {
        let ids: Vec<u64> = self
            .entries
            .iter()
            .filter(|(_, e)| e.node == node)
            .map(|(&id, _)| id)
            .collect();
        ids.iter()
            .filter_map(|id| self.entries.remove(id))
            .collect()
    }

    /// Takes out every entry (the file is closing).
    pub(crate) fn take_all(&mut self) -> Vec<OpenStream> {
        std::mem::take(&mut self.entries).into_values().collect()
    }
}
