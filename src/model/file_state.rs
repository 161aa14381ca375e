//! The state of one open `.msg` tree under its lock: the arena of open messages and
//! attachments, the name map, the open property streams; what each object computes rather
//! than stores; and the storages of attachments, opened once.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use super::bag::{DEFAULT_FLAGS, PropBag, Slot};
use super::load::EAGER_LIMIT;
use super::name_map::NameMap;
use super::open_streams::{OpenStream, OpenStreams};
use super::props::{
    Computed, ObjKind, access_props, adjust_width, convert_stream, convert_value,
    default_message_flags, support_mask,
};
use super::props::{attach_defaults, attach_size};
use super::rows::Rows;
use super::state::{AttachNode, Attachments};
use super::state::{MessageState, NodeId};
use crate::codec::{self, HeaderKind, values};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};
use crate::storage::{Blob, Storage};
use crate::types::codepage;
use crate::types::prop_value::{PropValue, change_type, prop_id, prop_type, tags::*};

/// `CLSID_MailMessage`, stamped on a root storage whose class is still null (decision 12).
pub const CLSID_MAIL_MESSAGE: [u8; 16] = [
    0x0B, 0x0D, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

/// An open message: the top-level one or one embedded in an attachment.
pub struct MessageNode {
    pub kind: HeaderKind,
    /// Where the message's saved version lives (`None` for an embedded message that was
    /// never saved).
    pub storage: Option<Arc<dyn Storage>>,
    pub writable: bool,
    pub state: MessageState,
    /// For an embedded message: the attachment node it belongs to.
    pub parent: Option<NodeId>,
    /// Deviations from the format seen while reading.
    pub warnings: Vec<String>,
    /// Table rows built for the current versions of the recipients and attachments.
    pub(crate) tables: [Option<Arc<Rows>>; 2],
}

// Objects live boxed in the arena, so the size difference between variants costs little.
#[allow(clippy::large_enum_variant)]
pub enum Object {
    Message(MessageNode),
    Attach(AttachNode),
}

pub struct FileState {
    /// Set by `CloseIMsgSession`: every later call fails with `MAPI_E_OBJECT_DELETED`.
    pub closed: bool,
    pub no_istg_commit: bool,
    /// The named-property map, one per file, shared by every message and attachment in it.
    pub names: NameMap,
    pub(crate) nodes: Vec<Option<Box<Object>>>,
    /// Content of the open property streams: part of their objects (model/propstream.rs).
    pub(crate) streams: OpenStreams,
}

pub(crate) fn gone() -> Error {
    Error::new(ErrorKind::ObjectDeleted, "the object was closed")
}

pub(crate) fn read_only(what: &str) -> Error {
    Error::new(
        ErrorKind::NoAccess,
        format!("the {what} was opened read-only"),
    )
}

impl FileState {
    pub fn message(&self, id: NodeId) -> Result<&MessageNode> {
        match self.nodes.get(id).and_then(|n| n.as_deref()) {
            Some(Object::Message(m)) => Ok(m),
            _ => Err(gone()),
        }
    }

    pub fn message_mut(&mut self, id: NodeId) -> Result<&mut MessageNode> {
        match self.nodes.get_mut(id).and_then(|n| n.as_deref_mut()) {
            Some(Object::Message(m)) => Ok(m),
            _ => Err(gone()),
        }
    }

    pub fn attach(&self, id: NodeId) -> Result<&AttachNode> {
        match self.nodes.get(id).and_then(|n| n.as_deref()) {
            Some(Object::Attach(a)) => Ok(a),
            _ => Err(gone()),
        }
    }

    pub fn attach_mut(&mut self, id: NodeId) -> Result<&mut AttachNode> {
        match self.nodes.get_mut(id).and_then(|n| n.as_deref_mut()) {
            Some(Object::Attach(a)) => Ok(a),
            _ => Err(gone()),
        }
    }

    pub(crate) fn add(&mut self, object: Object) -> NodeId {
        self.nodes.push(Some(Box::new(object)));
        self.nodes.len() - 1
    }

    /// The code page of the 8-bit strings of a node: its message's (an attachment's is its
    /// message's), else its parent message's, else 1252 (`spec/msg-format.md` §6).
    pub fn codepage(&self, node: NodeId) -> u32 {
        let mut current = Some(node);
        while let Some(id) = current {
            current = match self.nodes.get(id).and_then(|n| n.as_deref()) {
                Some(Object::Attach(a)) => Some(a.message),
                Some(Object::Message(m)) => match codepage_of(&m.state.props) {
                    Some(cp) => return cp,
                    None => m.parent,
                },
                None => None,
            };
        }
        codepage::DEFAULT_CODEPAGE
    }

    /// Whether a node stores strings as `PT_UNICODE`: its message's width (an attachment's
    /// is its message's).
    pub fn unicode(&self, node: NodeId) -> Result<bool> {
        match self.nodes.get(node).and_then(|n| n.as_deref()) {
            Some(Object::Message(m)) => Ok(m.state.unicode),
            Some(Object::Attach(a)) => Ok(self.message(a.message)?.state.unicode),
            None => Err(gone()),
        }
    }

    /// The bag of a message or attachment, with its kind and access.
    pub(crate) fn bag(&self, node: NodeId) -> Result<(&PropBag, ObjKind, bool)> {
        match self.nodes.get(node).and_then(|n| n.as_deref()) {
            Some(Object::Message(m)) => Ok((&m.state.props, ObjKind::Message, m.writable)),
            Some(Object::Attach(a)) => Ok((&a.working.props, ObjKind::Attachment, a.writable)),
            None => Err(gone()),
        }
    }

    pub(crate) fn bag_mut(&mut self, node: NodeId) -> Result<(&mut PropBag, ObjKind)> {
        let (bag, kind, writable) = match self.nodes.get_mut(node).and_then(|n| n.as_deref_mut()) {
            Some(Object::Message(m)) => (&mut m.state.props, ObjKind::Message, m.writable),
            Some(Object::Attach(a)) => (&mut a.working.props, ObjKind::Attachment, a.writable),
            None => return Err(gone()),
        };
        if !writable {
            return Err(read_only(kind.name()));
        }
        Ok((bag, kind))
    }

    /// Stores what was written through a property stream as the property's value.
    pub(crate) fn set_from_stream(&mut self, node: NodeId, tag: u32, content: Blob) -> Result<()> {
        let unicode = self.unicode(node)?;
        let cp = self.codepage(node);
        let (bag, _) = self.bag_mut(node)?;
        let ty = prop_type(tag);
        let stored_ty = adjust_width(ty, unicode);
        let content = convert_stream(content, ty, stored_ty, cp)?;
        let stored_tag = change_type(tag, stored_ty);
        let slot = if content.len() <= EAGER_LIMIT {
            let bytes = content.to_vec()?;
            Slot::Value(values::decode_single(stored_ty, &bytes).expect("string or binary"))
        } else {
            Slot::Large(content)
        };
        bag.set(stored_tag, slot);
        Ok(())
    }

    /// Properties computed for a node.
    pub(crate) fn computed(&self, node: NodeId) -> Result<Vec<Computed>> {
        let unicode = self.unicode(node)?;
        match self.nodes.get(node).and_then(|n| n.as_deref()) {
            Some(Object::Message(m)) => {
                let mut out = vec![Computed::fixed(
                    PR_OBJECT_TYPE,
                    PropValue::Long(MAPI_MESSAGE as i32),
                )];
                out.extend(access_props(m.writable));
                out.push(Computed::default(
                    PR_STORE_SUPPORT_MASK,
                    PropValue::Long(support_mask(unicode) as i32),
                    PROPATTR_READABLE,
                ));
                out.extend(self.message_computed(node, m)?);
                for tag in [PR_MESSAGE_RECIPIENTS, PR_MESSAGE_ATTACHMENTS] {
                    out.push(Computed::default(tag, PropValue::Object, PROPATTR_READABLE));
                }
                Ok(out)
            }
            Some(Object::Attach(a)) => {
                let mut out = vec![
                    Computed::fixed(PR_OBJECT_TYPE, PropValue::Long(MAPI_ATTACH as i32)),
                    Computed::fixed(PR_ATTACH_NUM, PropValue::Long(a.num as i32)),
                    // The key of the attachment's table row, unless the file stores one.
                    Computed::default(
                        PR_INSTANCE_KEY,
                        PropValue::Binary(a.num.to_le_bytes().to_vec()),
                        PROPATTR_READABLE,
                    ),
                    Computed::fixed(
                        PR_ATTACH_SIZE,
                        PropValue::Long(attach_size(&a.working.props) as i32),
                    ),
                ];
                out.extend(access_props(a.writable));
                out.extend(attach_defaults(unicode));
                Ok(out)
            }
            None => Err(gone()),
        }
    }

    /// `PR_MESSAGE_FLAGS`, `PR_HASATTACH` and the display lists, computed from the
    /// recipients and attachments once they changed, else given only when not stored.
    pub(crate) fn message_computed(&self, node: NodeId, m: &MessageNode) -> Result<Vec<Computed>> {
        let mut out = Vec::new();
        let state = &m.state;
        let has_attach = has_attachments(&state.attachments);
        let flags = state.props.long(PR_MESSAGE_FLAGS);
        if state.attachments.touched {
            let base = flags.unwrap_or(MSGFLAG_UNSENT as i32) as u32;
            let value = if has_attach {
                base | MSGFLAG_HASATTACH
            } else {
                base & !MSGFLAG_HASATTACH
            };
            out.push(Computed {
                overrides: true,
                flags: DEFAULT_FLAGS,
                ..Computed::fixed(PR_MESSAGE_FLAGS, PropValue::Long(value as i32))
            });
            out.push(Computed::fixed(
                PR_HASATTACH,
                PropValue::Boolean(has_attach),
            ));
        } else {
            out.push(default_message_flags());
            out.push(Computed::default(
                PR_HASATTACH,
                PropValue::Boolean(has_attach),
                PROPATTR_READABLE,
            ));
        }
        let cp = self.codepage(node);
        let lists =
            state
                .recipients
                .display_lists(|v| match convert_value(v.clone(), PT_UNICODE, cp) {
                    Ok(PropValue::Unicode(u)) => Some(u),
                    _ => None,
                });
        // In the message's own width, as it would store them.
        let ty = if state.unicode {
            PT_UNICODE
        } else {
            PT_STRING8
        };
        for (tag, list) in [PR_DISPLAY_TO_W, PR_DISPLAY_CC_W, PR_DISPLAY_BCC_W]
            .into_iter()
            .zip(lists)
        {
            let tag = change_type(tag, ty);
            let value = if state.unicode {
                PropValue::Unicode(list)
            } else {
                PropValue::String8(codepage::encode(cp, &list).unwrap_or_default())
            };
            out.push(if state.recipients.touched {
                Computed::fixed(tag, value)
            } else {
                Computed::default(tag, value, PROPATTR_READABLE)
            });
        }
        Ok(out)
    }
}

/// Whether a message has attachments that exist for it (saved at least once, not deleted).
pub(crate) fn has_attachments(attachments: &Attachments) -> bool {
    attachments
        .slots
        .values()
        .any(|s| s.committed.is_some() && !s.deleted)
}

/// The code page a message's properties name: `PR_MESSAGE_CODEPAGE`, else
/// `PR_INTERNET_CPID` when it is a Windows ANSI page, else the ANSI page of
/// `PR_MESSAGE_LOCALE_ID`; `None` when they name none.
pub(crate) fn codepage_of(props: &PropBag) -> Option<u32> {
    let long = |tag| props.long(tag).map(|v| v as u32);
    if let Some(cp) = long(PR_MESSAGE_CODEPAGE).filter(|&cp| codepage::is_supported(cp)) {
        return Some(cp);
    }
    // The Internet code page describes the body as it came over the wire; real files
    // declare UTF-8 or ISO-2022-JP over Windows-page bytes (nonUnicodeCP932.msg).
    if let Some(cp) = long(PR_INTERNET_CPID)
        .filter(|&cp| codepage::is_ansi_page(cp) && codepage::is_supported(cp))
    {
        return Some(cp);
    }
    long(PR_MESSAGE_LOCALE_ID).and_then(codepage::codepage_of_locale)
}

/// A 16-byte key unique to this process and moment, for `PR_RECORD_KEY`.
pub(crate) fn new_record_key() -> Vec<u8> {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = std::collections::hash_map::RandomState::new();
    let mut key = Vec::with_capacity(16);
    for part in 0..2u64 {
        let mut h = seed.build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u64(part);
        h.write_u128(crate::storage::filetime_now() as u128);
        key.extend_from_slice(&h.finish().to_le_bytes());
    }
    key
}

/// Every tag of a bag and its computed properties, ordered by id (one per id).
pub(crate) fn all_tags(bag: &PropBag, computed: &[Computed]) -> Vec<u32> {
    let mut all: BTreeMap<u16, u32> = bag.iter().map(|e| (prop_id(e.tag), e.tag)).collect();
    for c in computed {
        if c.overrides || !all.contains_key(&prop_id(c.tag)) {
            all.insert(prop_id(c.tag), c.tag);
        }
    }
    all.into_values().collect()
}

pub(crate) fn is_embedded_message(props: &PropBag) -> bool {
    let method = props.long(PR_ATTACH_METHOD);
    let reserved = match props.get(prop_id(PR_ATTACH_DATA_OBJ)).map(|e| &e.slot) {
        Some(Slot::Object { reserved }) => Some(*reserved),
        _ => None,
    };
    method == Some(ATTACH_EMBEDDED_MSG as i32)
        || (method.is_none() && reserved.is_some_and(|r| r & 0xFF == 1))
}

/// The attachment's storage, opened once and kept in its slot; created when asked for and
/// absent (an OLE object of a new attachment).
pub(crate) fn attach_storage(
    st: &mut FileState,
    message: NodeId,
    num: u32,
    create: bool,
) -> Result<Arc<dyn Storage>> {
    let m = st.message_mut(message)?;
    let storage = m.storage.clone();
    let writable = m.writable;
    let slot = m.state.attachments.slots.get_mut(&num).ok_or_else(gone)?;
    if let Some(h) = &slot.handles.storage {
        return Ok(h.clone());
    }
    let storage = storage.ok_or_else(|| {
        Error::new(
            ErrorKind::NoSupport,
            "the embedded message must be saved before its attachments hold storages",
        )
    })?;
    let mode = if writable { STGM_READWRITE } else { STGM_READ } | STGM_SHARE_EXCLUSIVE;
    let name = codec::attachment_storage_name(num);
    let handle = if slot.in_storage {
        storage.open_storage(&name, mode)?
    } else if create {
        slot.in_storage = true;
        storage.create_storage(&name, mode | STGM_CREATE)?
    } else {
        return err(
            ErrorKind::NotFound,
            format!("attachment {num} has no storage"),
        );
    };
    slot.handles.storage = Some(handle.clone());
    Ok(handle)
}

/// The attachment's `__substg1.0_3701000D`, opened once and kept in its slot.
pub(crate) fn object_storage(
    st: &mut FileState,
    message: NodeId,
    num: u32,
    create: bool,
) -> Result<Arc<dyn Storage>> {
    let parent = attach_storage(st, message, num, create)?;
    let writable = st.message(message)?.writable;
    let slot = st
        .message_mut(message)?
        .state
        .attachments
        .slots
        .get_mut(&num)
        .ok_or_else(gone)?;
    if let Some(h) = &slot.handles.object {
        return Ok(h.clone());
    }
    let mode = if writable { STGM_READWRITE } else { STGM_READ } | STGM_SHARE_EXCLUSIVE;
    let handle = parent.open_storage(codec::ATTACH_OBJECT_STORAGE, mode)?;
    slot.handles.object = Some(handle.clone());
    Ok(handle)
}

impl FileState {
    /// Applies what the open streams of `node` hold to its properties (oldest write
    /// first). An entry whose handles are all gone leaves the table once applied.
    pub(crate) fn apply_streams(&mut self, node: NodeId) -> Result<()> {
        for id in self.streams.pending(node) {
            self.apply_stream(id)?;
        }
        Ok(())
    }

    pub(crate) fn apply_stream(&mut self, id: u64) -> Result<()> {
        let entry = self.streams.entry(id)?;
        if !entry.dirty {
            return Ok(());
        }
        let (node, tag, content) = (entry.node, entry.tag, entry.content.clone());
        self.set_from_stream(node, tag, content)?;
        let entry = self.streams.entry(id)?;
        entry.dirty = false;
        if entry.handles == 0 {
            self.streams.entries.remove(&id);
        }
        Ok(())
    }

    /// One handle of entry `id` is gone. The last one applies the content; if that fails
    /// the entry stays (dirty, without handles) and the object's next read or save tries
    /// again and reports the error. Returns a removed entry, to be dropped after the lock.
    pub(crate) fn release_stream(&mut self, id: u64) -> Option<OpenStream> {
        let entry = self.streams.entries.get_mut(&id)?;
        entry.handles = entry.handles.saturating_sub(1);
        if entry.handles > 0 {
            return None;
        }
        if entry.dirty {
            // On failure the entry stays for the next apply, which reports the error.
            self.apply_stream(id).ok()?;
            return None;
        }
        self.streams.entries.remove(&id)
    }
}
