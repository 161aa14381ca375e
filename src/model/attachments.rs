//! A message's attachments, the attachment objects opened from them, and what they carry
//! (data, an embedded message, an OLE storage).
//!
//! An attachment has three versions: the one its open `IAttach` edits (`AttachNode`), the
//! one its last `SaveChanges` published to the message (`AttachSlot::committed`, what the
//! message's `SaveChanges` writes), and the one the attachment table shows
//! (`AttachSlot::table`, as of the message's last `SaveChanges`) — as MAPI documents: a new
//! attachment appears only after both saves.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use super::bag::PropBag;
use super::message::{MessageState, NodeId};
use crate::storage::Storage;

/// What `PR_ATTACH_DATA_OBJ` holds.
#[derive(Clone, Debug, Default)]
pub enum AttachObject {
    #[default]
    None,
    /// The `__substg1.0_3701000D` storage exists and was not changed through this object
    /// (an embedded message not edited, or an OLE storage, edited in place).
    Stored,
    /// An embedded message created or changed here, to be written at the next save.
    Message(Box<MessageState>),
}

/// An attachment's properties and object.
#[derive(Clone, Debug, Default)]
pub struct AttachState {
    pub props: PropBag,
    pub object: AttachObject,
}

/// Storage handles of an attachment, opened once and shared (elements open exclusively).
#[derive(Clone, Default)]
pub struct AttachHandles {
    /// `__attach_version1.0_#N`.
    pub storage: Option<Arc<dyn Storage>>,
    /// Its `__substg1.0_3701000D`.
    pub object: Option<Arc<dyn Storage>>,
}

impl std::fmt::Debug for AttachHandles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachHandles")
            .field("storage", &self.storage.is_some())
            .field("object", &self.object.is_some())
            .finish()
    }
}

/// One attachment of a message, by `PR_ATTACH_NUM`.
#[derive(Clone, Debug, Default)]
pub struct AttachSlot {
    /// `__attach_version1.0_#N` (N = the attachment number) exists in the message's storage.
    pub in_storage: bool,
    /// The version the message's next `SaveChanges` writes; `None` until the attachment's
    /// first `SaveChanges`.
    pub committed: Option<AttachState>,
    /// `committed` is not yet written.
    pub dirty: bool,
    /// What the attachment table shows: the version of the message's last save.
    pub table: Option<PropBag>,
    /// `DeleteAttach` was called; the message's next `SaveChanges` removes it.
    pub deleted: bool,
    /// The node of the open `IAttach`, if any.
    pub open: Option<NodeId>,
    pub handles: AttachHandles,
}

/// The attachments of one message.
#[derive(Clone, Debug, Default)]
pub struct Attachments {
    pub slots: BTreeMap<u32, AttachSlot>,
    pub next_num: u32,
    /// Changed since the message was opened (`PR_HASATTACH` is then computed).
    pub touched: bool,
    /// Changed since the last save.
    pub changed: bool,
    /// Bumped whenever the attachment table's rows change.
    pub version: u64,
}

impl Attachments {
    /// Attachments the table shows (saved and not removed).
    pub fn visible(&self) -> impl Iterator<Item = (u32, &PropBag)> {
        self.slots
            .iter()
            .filter_map(|(n, s)| s.table.as_ref().map(|t| (*n, t)))
    }
}

/// The storage `OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage)` handed out for writing.
/// It is transacted; the attachment's `SaveChanges` commits it, so what the caller wrote
/// before that save is saved whether or not the caller committed it, and it goes with the
/// attachment, which discards what was not saved.
#[derive(Clone, Default)]
pub struct ObjectStorage(pub Option<Arc<dyn Storage>>);

impl std::fmt::Debug for ObjectStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjectStorage({})", self.0.is_some())
    }
}

/// An open attachment (`IAttach`).
#[derive(Debug)]
pub struct AttachNode {
    /// The message it belongs to.
    pub message: NodeId,
    pub num: u32,
    pub writable: bool,
    pub working: AttachState,
    /// The node of the open embedded message, if any.
    pub embedded: Option<NodeId>,
    pub object_storage: ObjectStorage,
}
