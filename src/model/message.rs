//! Messages and their parts: reading a message from its storage, answering property calls
//! on messages and attachments, recipients, attachments, embedded messages, and saving
//! changes back (DESIGN decision 8).
//!
//! Everything reachable from one top-level message (its recipients, attachments and
//! embedded messages, at any depth) is one [`MsgFile`]: one lock, one named-property map.
//! String width is per message ([`MessageState::unicode`]): an embedded message may store
//! 8-bit strings inside a Unicode message, or the reverse (`spec/msg-format.md` §6).
//! Each open message or attachment is a node of the file; COM objects hold the file plus
//! the [`NodeId`] of their node, and close it on their last `Release`.
//!
//! Lock: a re-entrant mutex around the file's state. It is held across calls into the
//! message's storage (so a caller's own `IStorage` may call back into the message on the same
//! thread), never across calls to allocators or release callbacks, which the COM layer makes
//! after this module returns.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::ReentrantMutex;

use super::attachments::{AttachNode, AttachObject, AttachState, Attachments};
use super::bag::{DEFAULT_FLAGS, PropBag, Slot};
use super::load::{EAGER_BUDGET, detect_unicode, read_message_state, read_name_map};
use super::names::{IdsFromNames, Name, NameFilter, NameMap};
use super::prop::{PropValue, change_type, is_known_type, prop_id, prop_type, tags::*};
pub(crate) use super::props::convert_value;
use super::props::{
    Computed, ObjKind, access_props, adjust_width, convert_stream, default_message_flags, get_one,
    is_computed, message_flags_on_set, open_width, stream_compatible, support_mask, to_width,
    value_bytes,
};
use super::propstream::{OpenStream, OpenStreams};
use super::recipients::{Modify, Recipients};
use super::save::{write_message_state, write_name_map};
use super::strings;
use super::table::{Rows, TableKind, TableRow};
use crate::codec::{self, Counters, HeaderKind, values};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};
use crate::storage::{Blob, Storage};

/// Value streams up to this size are read when a message is opened; larger values stay in
/// the storage until asked for.
pub const EAGER_LIMIT: u64 = 64 * 1024;

/// `GetProps` returns string and binary values up to this size; larger ones come back as
/// `MAPI_E_NOT_ENOUGH_MEMORY` and are read with `OpenProperty(..., IID_IStream)`.
pub const GETPROPS_LIMIT: u64 = 1024 * 1024;

/// Conversions between string widths of a streamed property are done in memory up to this.
pub const CONVERT_LIMIT: u64 = 64 * 1024 * 1024;

/// `CLSID_MailMessage`, stamped on a root storage whose class is still null (decision 12).
pub const CLSID_MAIL_MESSAGE: [u8; 16] = [
    0x0B, 0x0D, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

pub type NodeId = usize;

/// One property in a `GetProps` answer.
#[derive(Clone, Debug, PartialEq)]
pub enum PropOut {
    Value(u32, PropValue),
    Error(u32, ErrorKind),
}

/// One entry of a problem array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub index: u32,
    pub tag: u32,
    pub kind: ErrorKind,
}

/// Everything of a message that is saved: properties, recipients, attachments.
#[derive(Clone, Debug, Default)]
pub struct MessageState {
    /// Whether the message stores strings as `PT_UNICODE` (else `PT_STRING8` in its code
    /// page). Fixed when the message is made: read from what it stores, or for a new one
    /// from `MAPI_UNICODE` (see [`MsgFile::open_embedded`]); strings of the other width
    /// are converted into it when set. Its recipients and attachments share it.
    pub unicode: bool,
    pub props: PropBag,
    pub counters: Counters,
    pub recipients: Recipients,
    pub attachments: Attachments,
}

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
    tables: [Option<Arc<Rows>>; 2],
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
    nodes: Vec<Option<Box<Object>>>,
    /// Content of the open property streams: part of their objects (model/propstream.rs).
    pub(crate) streams: OpenStreams,
}

/// The shared state of one `.msg` tree.
pub struct MsgFile {
    state: ReentrantMutex<RefCell<FileState>>,
}

fn gone() -> Error {
    Error::new(ErrorKind::ObjectDeleted, "the object was closed")
}

fn read_only(what: &str) -> Error {
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

    fn add(&mut self, object: Object) -> NodeId {
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
        strings::DEFAULT_CODEPAGE
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
    fn bag(&self, node: NodeId) -> Result<(&PropBag, ObjKind, bool)> {
        match self.nodes.get(node).and_then(|n| n.as_deref()) {
            Some(Object::Message(m)) => Ok((&m.state.props, ObjKind::Message, m.writable)),
            Some(Object::Attach(a)) => Ok((&a.working.props, ObjKind::Attachment, a.writable)),
            None => Err(gone()),
        }
    }

    fn bag_mut(&mut self, node: NodeId) -> Result<(&mut PropBag, ObjKind)> {
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
    fn computed(&self, node: NodeId) -> Result<Vec<Computed>> {
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
    fn message_computed(&self, node: NodeId, m: &MessageNode) -> Result<Vec<Computed>> {
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
                PropValue::String8(strings::encode(cp, &list).unwrap_or_default())
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
fn has_attachments(attachments: &Attachments) -> bool {
    attachments
        .slots
        .values()
        .any(|s| s.committed.is_some() && !s.deleted)
}

/// Defaults of an attachment's own properties when the attachment does not store them.
fn attach_defaults(unicode: bool) -> [Computed; 3] {
    let mrw = PROPATTR_MANDATORY | PROPATTR_READABLE | PROPATTR_WRITEABLE;
    [
        Computed::default(PR_ATTACH_METHOD, PropValue::Long(NO_ATTACHMENT as i32), mrw),
        Computed::default(PR_RENDERING_POSITION, PropValue::Long(-1), mrw),
        Computed::default(
            PR_STORE_SUPPORT_MASK,
            PropValue::Long(support_mask(unicode) as i32),
            PROPATTR_READABLE,
        ),
    ]
}

/// `PR_ATTACH_SIZE`: the bytes of the attachment's property values, its data included
/// (an embedded message still in the storage is not counted).
fn attach_size(props: &PropBag) -> u64 {
    props
        .iter()
        .map(|e| match &e.slot {
            Slot::Value(v) => v.byte_size(),
            Slot::Large(blob) => blob.len(),
            Slot::Object { .. } => 0,
        })
        .sum::<u64>()
        .min(i32::MAX as u64)
}

/// The code page a message's properties name: `PR_MESSAGE_CODEPAGE`, else
/// `PR_INTERNET_CPID` when it is a Windows ANSI page, else the ANSI page of
/// `PR_MESSAGE_LOCALE_ID`; `None` when they name none.
fn codepage_of(props: &PropBag) -> Option<u32> {
    let long = |tag| props.long(tag).map(|v| v as u32);
    if let Some(cp) = long(PR_MESSAGE_CODEPAGE).filter(|&cp| strings::is_supported(cp)) {
        return Some(cp);
    }
    // The Internet code page describes the body as it came over the wire; real files
    // declare UTF-8 or ISO-2022-JP over Windows-page bytes (nonUnicodeCP932.msg).
    if let Some(cp) =
        long(PR_INTERNET_CPID).filter(|&cp| strings::is_ansi_page(cp) && strings::is_supported(cp))
    {
        return Some(cp);
    }
    long(PR_MESSAGE_LOCALE_ID).and_then(strings::codepage_of_locale)
}

/// A 16-byte key unique to this process and moment, for `PR_RECORD_KEY`.
fn new_record_key() -> Vec<u8> {
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

impl MsgFile {
    /// Opens the message held by `storage` (a new, empty storage gives a new message).
    pub fn open(
        storage: Arc<dyn Storage>,
        unicode: bool,
        no_istg_commit: bool,
    ) -> Result<(Arc<MsgFile>, NodeId)> {
        let writable = storage.writable();
        let mut warnings = Vec::new();
        let state = read_message_state(
            &storage,
            HeaderKind::TopLevel,
            &mut EAGER_BUDGET.clone(),
            &mut warnings,
        )?;
        let state = MessageState {
            unicode: detect_unicode(&state.props).unwrap_or(unicode),
            ..state
        };
        let names = read_name_map(storage.as_ref(), &mut warnings);
        let mut file = FileState {
            closed: false,
            no_istg_commit,
            names,
            nodes: Vec::new(),
            streams: OpenStreams::default(),
        };
        let root = file.add(Object::Message(MessageNode {
            kind: HeaderKind::TopLevel,
            storage: Some(storage),
            writable,
            state,
            parent: None,
            warnings,
            tables: Default::default(),
        }));
        Ok((
            Arc::new(MsgFile {
                state: ReentrantMutex::new(RefCell::new(file)),
            }),
            root,
        ))
    }

    /// Runs `f` on the state, refusing when the file was closed.
    ///
    /// A call made on the same thread from inside a call into the message's storage (a
    /// caller's own `IStorage` calling back into the message) gets `MAPI_E_BUSY`.
    pub fn with<R>(&self, f: impl FnOnce(&mut FileState) -> Result<R>) -> Result<R> {
        let guard = self.state.lock();
        let Ok(mut state) = guard.try_borrow_mut() else {
            return err(
                ErrorKind::Busy,
                "the message is busy: called back from inside a call into its storage",
            );
        };
        if state.closed {
            return err(
                ErrorKind::ObjectDeleted,
                "the message was closed by CloseIMsgSession",
            );
        }
        f(&mut state)
    }

    /// [`with`](Self::with), after applying what the open property streams of `node` hold
    /// to it: reads and saves of an object see what was written through its streams.
    fn with_node<R>(&self, node: NodeId, f: impl FnOnce(&mut FileState) -> Result<R>) -> Result<R> {
        self.with(|st| {
            st.apply_streams(node)?;
            f(st)
        })
    }

    pub fn is_closed(&self) -> bool {
        // Inside a call into the storage (a re-entrant call) the file is open.
        self.state.lock().try_borrow().is_ok_and(|s| s.closed)
    }

    /// Closes the file: discards unsaved changes. Returns what held storages, for the
    /// caller to drop after returning (outside the lock).
    pub fn close(&self) -> (Vec<Option<Box<Object>>>, Vec<OpenStream>) {
        let guard = self.state.lock();
        let mut state = guard.borrow_mut();
        state.closed = true;
        (std::mem::take(&mut state.nodes), state.streams.take_all())
    }

    /// Whether the message or attachment `node` stores strings as `PT_UNICODE` (false for
    /// a closed node).
    pub fn is_unicode(&self, node: NodeId) -> bool {
        self.state
            .lock()
            .try_borrow()
            .is_ok_and(|st| st.unicode(node).unwrap_or(false))
    }

    /// Forgets a node whose COM object was released: an attachment's unsaved changes, an
    /// embedded message's unsaved changes (with what its streams held).
    pub fn close_node(&self, node: NodeId) -> Option<(Box<Object>, Vec<OpenStream>)> {
        let guard = self.state.lock();
        let mut st = guard.borrow_mut();
        let object = st.nodes.get_mut(node)?.take()?;
        let streams = st.streams.remove_node(node);
        match object.as_ref() {
            Object::Attach(a) => {
                if let Ok(m) = st.message_mut(a.message) {
                    let slots = &mut m.state.attachments.slots;
                    if let Some(slot) = slots.get_mut(&a.num).filter(|s| s.open == Some(node)) {
                        slot.open = None;
                        // Created and never saved: it never existed.
                        if slot.committed.is_none() && !slot.in_storage {
                            slots.remove(&a.num);
                        }
                    }
                }
            }
            Object::Message(m) => {
                if let Some(parent) = m.parent
                    && let Ok(a) = st.attach_mut(parent)
                    && a.embedded == Some(node)
                {
                    a.embedded = None;
                }
            }
        }
        Some((object, streams))
    }

    // ===== properties =====

    pub fn get_props(
        &self,
        node: NodeId,
        tags: Option<&[u32]>,
        unicode: bool,
    ) -> Result<Vec<PropOut>> {
        self.with_node(node, |st| {
            let computed = st.computed(node)?;
            let cp = st.codepage(node);
            let (bag, _, _) = st.bag(node)?;
            Ok(match tags {
                Some(tags) => tags
                    .iter()
                    .map(|&tag| get_one(bag, &computed, tag, unicode, cp))
                    .collect(),
                None => all_tags(bag, &computed)
                    .into_iter()
                    .map(|tag| get_one(bag, &computed, open_width(tag, unicode), unicode, cp))
                    .collect(),
            })
        })
    }

    pub fn get_prop_list(&self, node: NodeId, unicode: bool) -> Result<Vec<u32>> {
        self.with_node(node, |st| {
            let computed = st.computed(node)?;
            let (bag, _, _) = st.bag(node)?;
            Ok(all_tags(bag, &computed)
                .into_iter()
                .map(|tag| change_type(tag, adjust_width(prop_type(tag), unicode)))
                .collect())
        })
    }

    pub fn set_props(&self, node: NodeId, values: Vec<(u32, PropValue)>) -> Result<Vec<Problem>> {
        self.with_node(node, |st| {
            let unicode = st.unicode(node)?;
            let cp = st.codepage(node);
            let (bag, kind) = st.bag_mut(node)?;
            let mut problems = Vec::new();
            for (index, (tag, value)) in values.into_iter().enumerate() {
                let problem = |kind| Problem {
                    index: index as u32,
                    tag,
                    kind,
                };
                let ty = prop_type(tag);
                if tag == PR_NULL || ty == PT_ERROR {
                    continue;
                }
                if !is_known_type(ty) || ty == PT_OBJECT {
                    problems.push(problem(ErrorKind::InvalidType));
                    continue;
                }
                if is_computed(kind, tag) {
                    problems.push(problem(ErrorKind::Computed));
                    continue;
                }
                if bag
                    .get(prop_id(tag))
                    .is_some_and(|e| e.flags & PROPATTR_WRITEABLE == 0)
                {
                    problems.push(problem(ErrorKind::NoAccess));
                    continue;
                }
                let (tag, value) = match to_width(tag, value, unicode, cp) {
                    Ok(v) => v,
                    Err(e) => {
                        problems.push(problem(e.kind));
                        continue;
                    }
                };
                let value = if kind == ObjKind::Message && prop_id(tag) == prop_id(PR_MESSAGE_FLAGS)
                {
                    message_flags_on_set(bag.long(PR_MESSAGE_FLAGS), value)
                } else {
                    value
                };
                bag.set(tag, Slot::Value(value));
            }
            Ok(problems)
        })
    }

    pub fn delete_props(&self, node: NodeId, tags: &[u32]) -> Result<Vec<Problem>> {
        self.with_node(node, |st| {
            let (bag, kind) = st.bag_mut(node)?;
            let mut problems = Vec::new();
            for (index, &tag) in tags.iter().enumerate() {
                let problem = |kind| Problem {
                    index: index as u32,
                    tag,
                    kind,
                };
                if is_computed(kind, tag) {
                    problems.push(problem(ErrorKind::Computed));
                    continue;
                }
                let id = prop_id(tag);
                match bag.get(id) {
                    None => {}
                    Some(e)
                        if e.flags & PROPATTR_WRITEABLE == 0
                            || e.flags & PROPATTR_MANDATORY != 0 =>
                    {
                        problems.push(problem(ErrorKind::NoAccess))
                    }
                    Some(_) => {
                        bag.remove(id);
                    }
                }
            }
            Ok(problems)
        })
    }

    /// `GetAttribIMsgOnIStg`: the `PROPATTR_*` flags of each tag.
    pub fn get_attribs(&self, node: NodeId, tags: &[u32]) -> Result<Vec<u32>> {
        self.with_node(node, |st| {
            let computed = st.computed(node)?;
            let (bag, _, _) = st.bag(node)?;
            Ok(tags
                .iter()
                .map(|&tag| {
                    let id = prop_id(tag);
                    let find = |overrides: bool| {
                        computed
                            .iter()
                            .find(|c| prop_id(c.tag) == id && (c.overrides || !overrides))
                    };
                    match (find(true), bag.get(id), find(false)) {
                        (Some(c), _, _) => c.flags,
                        (None, Some(e), _) => e.flags,
                        (None, None, Some(c)) => c.flags,
                        (None, None, None) => PROPATTR_NOT_PRESENT,
                    }
                })
                .collect())
        })
    }

    /// `SetAttribIMsgOnIStg`: changes the flags of existing properties.
    pub fn set_attribs(&self, node: NodeId, tags: &[u32], attribs: &[u32]) -> Result<Vec<Problem>> {
        self.with_node(node, |st| {
            let (bag, kind) = st.bag_mut(node)?;
            let mut problems = Vec::new();
            for (index, (&tag, &flags)) in tags.iter().zip(attribs).enumerate() {
                let problem = |kind| Problem {
                    index: index as u32,
                    tag,
                    kind,
                };
                if flags & !(PROPATTR_MANDATORY | PROPATTR_READABLE | PROPATTR_WRITEABLE) != 0 {
                    problems.push(problem(ErrorKind::InvalidParameter));
                } else if is_computed(kind, tag) {
                    problems.push(problem(ErrorKind::Computed));
                } else if bag.get(prop_id(tag)).is_none() {
                    problems.push(problem(ErrorKind::NotFound));
                } else {
                    bag.set_flags(prop_id(tag), flags);
                }
            }
            Ok(problems)
        })
    }

    // ===== property streams =====

    /// Starts an `OpenProperty(tag, IID_IStream)`: an entry in the table of open streams
    /// holding the current content, converted to the requested string width (a stream
    /// already open on the same tag is shared). Returns the entry's id.
    pub fn open_prop_stream(
        &self,
        node: NodeId,
        tag: u32,
        modify: bool,
        create: bool,
    ) -> Result<u64> {
        self.with_node(node, |st| {
            let shared = st.streams.find(node, tag);
            let cp = st.codepage(node);
            let (bag, kind, writable) = st.bag(node)?;
            let ty = prop_type(tag);
            if !matches!(ty, PT_BINARY | PT_STRING8 | PT_UNICODE) {
                return err(
                    ErrorKind::InterfaceNotSupported,
                    format!("property 0x{tag:08X} cannot be opened as a stream (binary or string types only)"),
                );
            }
            if modify && !writable {
                return Err(read_only("object"));
            }
            if modify && is_computed(kind, tag) {
                return err(ErrorKind::Computed, format!("property 0x{tag:08X} is computed"));
            }
            let content = if create {
                Blob::default()
            } else {
                let entry = bag
                    .get(prop_id(tag))
                    .filter(|e| stream_compatible(prop_type(e.tag), ty))
                    .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("property 0x{tag:08X} is not set")))?;
                if modify && entry.flags & PROPATTR_WRITEABLE == 0 {
                    return err(ErrorKind::NoAccess, format!("property 0x{tag:08X} is read-only"));
                }
                if let Some(id) = shared {
                    return Ok(st.streams.share(id, false));
                }
                let bytes = match &entry.slot {
                    Slot::Large(blob) => blob.clone(),
                    Slot::Value(v) => Blob::from_vec(value_bytes(v)),
                    Slot::Object { .. } => {
                        return err(ErrorKind::NoSupport, "object properties are opened as IMessage or IStorage");
                    }
                };
                convert_stream(bytes, prop_type(entry.tag), ty, cp)?
            };
            Ok(match shared {
                Some(id) => st.streams.share(id, create),
                // A created property exists (empty) even if nothing is written.
                None => st.streams.insert(node, tag, content, create),
            })
        })
    }

    // ===== saving =====

    /// `SaveChanges` on a message or an attachment.
    pub fn save(&self, node: NodeId) -> Result<()> {
        self.with_node(node, |st| {
            match st.nodes.get(node).and_then(|n| n.as_deref()) {
                Some(Object::Attach(_)) => save_attachment(st, node),
                Some(Object::Message(m)) if m.kind == HeaderKind::Embedded => {
                    save_embedded(st, node)
                }
                Some(Object::Message(_)) => save_top_level(st, node),
                None => Err(gone()),
            }
        })
    }

    // ===== recipients =====

    /// `ModifyRecipients`. Entries are recipients' whole property lists, as given.
    pub fn modify_recipients(
        &self,
        node: NodeId,
        flags: u32,
        entries: Vec<Vec<(u32, PropValue)>>,
    ) -> Result<()> {
        let how = match flags {
            0 => Modify::Replace,
            MODRECIP_ADD => Modify::Add,
            MODRECIP_MODIFY => Modify::Modify,
            MODRECIP_REMOVE => Modify::Remove,
            f if f & !(MODRECIP_ADD | MODRECIP_MODIFY | MODRECIP_REMOVE) != 0 => {
                return err(
                    ErrorKind::UnknownFlags,
                    format!("unknown ModifyRecipients flags 0x{f:08X}"),
                );
            }
            _ => {
                return err(
                    ErrorKind::InvalidParameter,
                    "ModifyRecipients takes one mode at a time",
                );
            }
        };
        self.with(|st| {
            let unicode = st.unicode(node)?;
            let cp = st.codepage(node);
            let m = st.message_mut(node)?;
            if !m.writable {
                return Err(read_only("message"));
            }
            let mut rows = Vec::with_capacity(entries.len());
            for entry in entries {
                let mut row = Vec::with_capacity(entry.len());
                for (tag, value) in entry {
                    match prop_type(tag) {
                        PT_NULL => {
                            return err(
                                ErrorKind::InvalidParameter,
                                "PT_NULL is not a recipient property type",
                            );
                        }
                        PT_ERROR => continue,
                        PT_OBJECT => {
                            return err(
                                ErrorKind::InvalidParameter,
                                "PT_OBJECT is not a recipient property type",
                            );
                        }
                        _ => row.push(to_width(tag, value, unicode, cp)?),
                    }
                }
                rows.push(row);
            }
            m.state.recipients.modify(how, rows)
        })
    }

    // ===== tables =====

    /// The rows of a message's recipient or attachment table, shared until they change.
    pub fn table_rows(&self, node: NodeId, kind: TableKind) -> Result<Arc<Rows>> {
        self.with(|st| {
            let cp = st.codepage(node);
            let m = st.message_mut(node)?;
            let unicode = m.state.unicode;
            let (index, version) = match kind {
                TableKind::Recipients => (0, m.state.recipients.version),
                TableKind::Attachments => (1, m.state.attachments.version),
            };
            if let Some(rows) = &m.tables[index]
                && rows.version == version
            {
                return Ok(rows.clone());
            }
            let rows = Arc::new(match kind {
                TableKind::Recipients => recipient_rows(&m.state.recipients, version, cp),
                TableKind::Attachments => {
                    attachment_rows(&m.state.attachments, version, cp, unicode)
                }
            });
            m.tables[index] = Some(rows.clone());
            Ok(rows)
        })
    }

    // ===== attachments =====

    /// `CreateAttach`: a new attachment, open for writing. Returns its number and node.
    pub fn create_attach(&self, node: NodeId) -> Result<(u32, NodeId)> {
        self.with(|st| {
            let m = st.message_mut(node)?;
            if !m.writable {
                return Err(read_only("message"));
            }
            let attachments = &mut m.state.attachments;
            let num = attachments.next_num;
            attachments.next_num = num
                .checked_add(1)
                .ok_or_else(|| Error::new(ErrorKind::TooBig, "no attachment numbers left"))?;
            let mrw = PROPATTR_MANDATORY | PROPATTR_READABLE | PROPATTR_WRITEABLE;
            let mut props = PropBag::default();
            props.set_with_flags(
                PR_ATTACH_METHOD,
                mrw,
                Slot::Value(PropValue::Long(NO_ATTACHMENT as i32)),
            );
            props.set_with_flags(PR_RENDERING_POSITION, mrw, Slot::Value(PropValue::Long(-1)));
            props.set_with_flags(
                PR_RECORD_KEY,
                PROPATTR_READABLE,
                Slot::Value(PropValue::Binary(new_record_key())),
            );
            attachments.slots.insert(num, Default::default());
            let id = st.add(Object::Attach(AttachNode {
                message: node,
                num,
                writable: true,
                working: AttachState {
                    props,
                    object: AttachObject::None,
                },
                embedded: None,
                object_storage: Default::default(),
            }));
            st.message_mut(node)?
                .state
                .attachments
                .slots
                .get_mut(&num)
                .expect("inserted")
                .open = Some(id);
            Ok((num, id))
        })
    }

    /// `OpenAttach`: opens an existing attachment. (The COM layer answers a second open
    /// with the object already open; a new node is made only when none is.)
    pub fn open_attach(
        &self,
        node: NodeId,
        num: u32,
        modify: bool,
        best_access: bool,
    ) -> Result<NodeId> {
        self.with(|st| {
            let m = st.message(node)?;
            let slot = m
                .state
                .attachments
                .slots
                .get(&num)
                .filter(|s| !s.deleted && s.committed.is_some())
                .ok_or_else(|| {
                    Error::new(ErrorKind::NotFound, format!("no attachment number {num}"))
                })?;
            if modify && !m.writable {
                return Err(read_only("message"));
            }
            let working = slot.committed.clone().expect("filtered above");
            let writable = modify || (best_access && m.writable);
            let id = st.add(Object::Attach(AttachNode {
                message: node,
                num,
                writable,
                working,
                embedded: None,
                object_storage: Default::default(),
            }));
            let slot = st
                .message_mut(node)?
                .state
                .attachments
                .slots
                .get_mut(&num)
                .expect("found above");
            slot.open = Some(id);
            Ok(id)
        })
    }

    /// `DeleteAttach`: the attachment goes at the message's next `SaveChanges`.
    pub fn delete_attach(&self, node: NodeId, num: u32) -> Result<()> {
        self.with(|st| {
            let m = st.message_mut(node)?;
            if !m.writable {
                return Err(read_only("message"));
            }
            let attachments = &mut m.state.attachments;
            let slot = attachments
                .slots
                .get_mut(&num)
                .filter(|s| !s.deleted && (s.committed.is_some() || s.open.is_some()))
                .ok_or_else(|| {
                    Error::new(ErrorKind::NotFound, format!("no attachment number {num}"))
                })?;
            slot.deleted = true;
            attachments.touched = true;
            attachments.changed = true;
            Ok(())
        })
    }

    /// Opens (or with `create`, creates) the message embedded in an attachment.
    ///
    /// Its string width: an existing message keeps the one it stores (else its parent's);
    /// a new one is Unicode with `unicode` (`MAPI_UNICODE` given to `OpenProperty`), else
    /// takes its parent's.
    pub fn open_embedded(
        &self,
        attach: NodeId,
        create: bool,
        modify: bool,
        unicode: bool,
    ) -> Result<NodeId> {
        self.with(|st| {
            let a = st.attach(attach)?;
            if (create || modify) && !a.writable {
                return Err(read_only("attachment"));
            }
            if a.object_storage.0.is_some() {
                return err(
                    ErrorKind::NoAccess,
                    "the attachment's object storage is open for writing",
                );
            }
            let (message, num) = (a.message, a.num);
            let parent_unicode = st.message(message)?.state.unicode;
            // Deviations seen while reading it (an embedded message read from its storage).
            let mut warnings = Vec::new();
            let (state, storage) = if create {
                // It replaces what the attachment held: its storage is made afresh at save,
                // so nothing of the old message (streams, recipients, attachments) stays.
                if let Some(slot) = st
                    .message_mut(message)?
                    .state
                    .attachments
                    .slots
                    .get_mut(&num)
                {
                    slot.handles.object = None;
                }
                let state = MessageState {
                    unicode: unicode || parent_unicode,
                    ..MessageState::default()
                };
                (state, None)
            } else {
                match &a.working.object {
                    AttachObject::Message(state) => {
                        let handle = st
                            .message(message)?
                            .state
                            .attachments
                            .slots
                            .get(&num)
                            .and_then(|s| s.handles.object.clone());
                        ((**state).clone(), handle)
                    }
                    AttachObject::Stored if is_embedded_message(&a.working.props) => {
                        let handle = object_storage(st, message, num, false)?;
                        let mut state = read_message_state(
                            &handle,
                            HeaderKind::Embedded,
                            &mut EAGER_BUDGET.clone(),
                            &mut warnings,
                        )?;
                        state.unicode = detect_unicode(&state.props).unwrap_or(parent_unicode);
                        (state, Some(handle))
                    }
                    _ => {
                        return err(
                            ErrorKind::NotFound,
                            "the attachment holds no embedded message",
                        );
                    }
                }
            };
            let writable = modify || create;
            let id = st.add(Object::Message(MessageNode {
                kind: HeaderKind::Embedded,
                storage,
                writable,
                state,
                parent: Some(attach),
                warnings,
                tables: Default::default(),
            }));
            let a = st.attach_mut(attach)?;
            a.embedded = Some(id);
            if create {
                a.working.object = AttachObject::Message(Box::default());
                a.working
                    .props
                    .set(PR_ATTACH_DATA_OBJ, Slot::Object { reserved: 1 });
            }
            Ok(id)
        })
    }

    /// `OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage)`: the attachment's object storage
    /// (an OLE object's), opened transacted: its `Commit`, or else the attachment's
    /// `SaveChanges`, publishes into the message's storage, written at the message's next
    /// save. One opened for writing stays with the attachment (a second open returns it).
    pub fn open_object_storage(
        &self,
        attach: NodeId,
        create: bool,
        modify: bool,
    ) -> Result<Arc<dyn Storage>> {
        self.with(|st| {
            let a = st.attach(attach)?;
            if (create || modify) && !a.writable {
                return Err(read_only("attachment"));
            }
            if a.embedded.is_some() {
                return err(
                    ErrorKind::NoAccess,
                    "the attachment's embedded message is open",
                );
            }
            if let Some(open) = &a.object_storage.0 {
                return Ok(open.clone());
            }
            let has_object = a.working.props.get(prop_id(PR_ATTACH_DATA_OBJ)).is_some();
            if !create && !has_object {
                return err(
                    ErrorKind::NotFound,
                    "the attachment holds no object storage",
                );
            }
            let (message, num) = (a.message, a.num);
            let parent = attach_storage(st, message, num, create || modify)?;
            let slot = st
                .message_mut(message)?
                .state
                .attachments
                .slots
                .get_mut(&num)
                .expect("attachment is open");
            // Any handle we hold on it must go: the caller's storage is exclusive.
            slot.handles.object = None;
            let mode = if create || modify {
                STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE
            } else {
                STGM_READ | STGM_SHARE_EXCLUSIVE
            };
            let storage = if create {
                parent.create_storage(codec::ATTACH_OBJECT_STORAGE, mode | STGM_CREATE)?
            } else {
                parent.open_storage(codec::ATTACH_OBJECT_STORAGE, mode)?
            };
            let a = st.attach_mut(attach)?;
            if create {
                a.working.object = AttachObject::Stored;
                a.working
                    .props
                    .set(PR_ATTACH_DATA_OBJ, Slot::Object { reserved: 4 });
            }
            if create || modify {
                a.object_storage.0 = Some(storage.clone());
            }
            Ok(storage)
        })
    }

    // ===== named properties =====

    /// `GetIDsFromNames`: the tag (`PT_UNSPECIFIED`) of each name, creating missing ones
    /// when `create`; on a read-only object, a name that would have to be created is
    /// refused with `MAPI_E_NO_ACCESS`.
    pub fn ids_from_names(
        &self,
        node: NodeId,
        names: &[Option<Name>],
        create: bool,
    ) -> Result<IdsFromNames> {
        self.with(|st| {
            let (_, kind, writable) = st.bag(node)?;
            if writable || !create {
                return st.names.ids_from_names(names, create);
            }
            // Read-only: refused only when a name would really be created (a name that can
            // never be mapped stays a PT_ERROR slot, as on a writable object).
            let mut trial = st.names.clone();
            trial.ids_from_names(names, true)?;
            if trial.len() != st.names.len() {
                return Err(read_only(kind.name()));
            }
            st.names.ids_from_names(names, false)
        })
    }

    /// `GetIDsFromNames` with no names: every named property's tag.
    pub fn all_name_tags(&self, node: NodeId) -> Result<Vec<u32>> {
        self.with(|st| {
            st.bag(node)?;
            Ok(st.names.all_tags())
        })
    }

    /// `GetNamesFromIDs` for a tag array: the name of each (None where there is none).
    pub fn names_from_tags(&self, node: NodeId, tags: &[u32]) -> Result<(Vec<Option<Name>>, bool)> {
        self.with(|st| {
            st.bag(node)?;
            Ok(st.names.names_from_tags(tags))
        })
    }

    /// `GetNamesFromIDs` without a tag array: every name passing `filter`, with its tag.
    pub fn enumerate_names(&self, node: NodeId, filter: &NameFilter) -> Result<Vec<(u32, Name)>> {
        self.with(|st| {
            st.bag(node)?;
            Ok(st.names.enumerate(filter))
        })
    }

    // ===== read flag =====

    /// `SetReadFlag`: sets or clears `MSGFLAG_READ` (and the receipt-pending bits) in
    /// `PR_MESSAGE_FLAGS`, then saves the message as the documentation says `SetReadFlag`
    /// does (`spec/mapi-abi.md` §10.3). There is no transport, so no receipt is sent.
    pub fn set_read_flag(&self, node: NodeId, flags: u32) -> Result<()> {
        let known = SUPPRESS_RECEIPT
            | CLEAR_READ_FLAG
            | MAPI_DEFERRED_ERRORS
            | GENERATE_RECEIPT_ONLY
            | CLEAR_RN_PENDING
            | CLEAR_NRN_PENDING;
        if flags & !known != 0 {
            return err(
                ErrorKind::UnknownFlags,
                format!("unknown SetReadFlag flags 0x{:08X}", flags & !known),
            );
        }
        let has = |pair: ULONG| flags & pair == pair;
        if has(SUPPRESS_RECEIPT | CLEAR_READ_FLAG) || has(CLEAR_READ_FLAG | GENERATE_RECEIPT_ONLY) {
            return err(
                ErrorKind::InvalidParameter,
                "SetReadFlag: these flags cannot be combined",
            );
        }
        self.with(|st| {
            let m = st.message_mut(node)?;
            if !m.writable {
                return Err(read_only("message"));
            }
            let old = m
                .state
                .props
                .long(PR_MESSAGE_FLAGS)
                .unwrap_or(MSGFLAG_UNSENT as i32) as u32;
            let mut new = old;
            if flags & CLEAR_READ_FLAG != 0 {
                new &= !MSGFLAG_READ;
            } else if flags & GENERATE_RECEIPT_ONLY == 0 {
                new |= MSGFLAG_READ;
            }
            if flags & CLEAR_RN_PENDING != 0 {
                new &= !MSGFLAG_RN_PENDING;
            }
            if flags & CLEAR_NRN_PENDING != 0 {
                new &= !MSGFLAG_NRN_PENDING;
            }
            if new != old || m.state.props.get(prop_id(PR_MESSAGE_FLAGS)).is_none() {
                m.state
                    .props
                    .set(PR_MESSAGE_FLAGS, Slot::Value(PropValue::Long(new as i32)));
            }
            Ok(())
        })?;
        self.save(node)
    }
}

/// Every tag of a bag and its computed properties, ordered by id (one per id).
fn all_tags(bag: &PropBag, computed: &[Computed]) -> Vec<u32> {
    let mut all: BTreeMap<u16, u32> = bag.iter().map(|e| (prop_id(e.tag), e.tag)).collect();
    for c in computed {
        if c.overrides || !all.contains_key(&prop_id(c.tag)) {
            all.insert(prop_id(c.tag), c.tag);
        }
    }
    all.into_values().collect()
}

fn is_embedded_message(props: &PropBag) -> bool {
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
fn attach_storage(
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
fn object_storage(
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

/// Properties the file must carry that the message computes: set before it is written.
fn materialize_message_props(st: &mut FileState, node: NodeId) -> Result<()> {
    let computed = {
        let m = st.message(node)?;
        st.message_computed(node, m)?
    };
    let m = st.message_mut(node)?;
    let props = &mut m.state.props;
    for c in computed {
        let stored = props.get(prop_id(c.tag));
        let needed = match stored {
            None => prop_id(c.tag) == prop_id(PR_MESSAGE_FLAGS) || c.overrides,
            Some(e) => {
                c.overrides && !matches!(&e.slot, Slot::Value(v) if *v == c.value && e.tag == c.tag)
            }
        };
        if needed {
            let flags = if prop_id(c.tag) == prop_id(PR_MESSAGE_FLAGS) {
                DEFAULT_FLAGS
            } else {
                c.flags
            };
            props.set_with_flags(c.tag, flags, Slot::Value(c.value));
        }
    }
    Ok(())
}

fn save_top_level(st: &mut FileState, node: NodeId) -> Result<()> {
    let no_commit = st.no_istg_commit;
    if !st.message(node)?.writable {
        return Err(read_only("message"));
    }
    materialize_message_props(st, node)?;
    let m = st.message_mut(node)?;
    let storage = m.storage.clone().ok_or_else(gone)?;
    write_message_state(&mut m.state, &storage, HeaderKind::TopLevel)?;
    m.state.recipients.touched = false;
    m.state.attachments.touched = false;
    write_name_map(storage.as_ref(), &st.names)?;
    if storage.stat()?.clsid == [0; 16] {
        storage.set_class(CLSID_MAIL_MESSAGE)?;
    }
    if !no_commit {
        storage.commit(STGC_DEFAULT)?;
    }
    st.names.mark_clean();
    Ok(())
}

/// An embedded message's `SaveChanges` publishes it to its attachment (saved with the
/// attachment's `SaveChanges`, then the message's).
fn save_embedded(st: &mut FileState, node: NodeId) -> Result<()> {
    if !st.message(node)?.writable {
        return Err(read_only("message"));
    }
    materialize_message_props(st, node)?;
    let m = st.message(node)?;
    let parent = m.parent.ok_or_else(gone)?;
    let state = m.state.clone();
    let a = st.attach_mut(parent)?;
    a.working.object = AttachObject::Message(Box::new(state));
    if a.working.props.get(prop_id(PR_ATTACH_DATA_OBJ)).is_none() {
        a.working
            .props
            .set(PR_ATTACH_DATA_OBJ, Slot::Object { reserved: 1 });
    }
    Ok(())
}

/// An attachment's `SaveChanges` publishes it to its message (written at the message's
/// `SaveChanges`).
fn save_attachment(st: &mut FileState, node: NodeId) -> Result<()> {
    let a = st.attach_mut(node)?;
    if !a.writable {
        return Err(read_only("attachment"));
    }
    // What the caller wrote into the object storage is saved, committed or not.
    if let Some(storage) = &a.object_storage.0 {
        storage.commit(STGC_DEFAULT)?;
    }
    let ro = PROPATTR_READABLE;
    let num = a.num;
    if a.working.props.long(PR_ATTACH_NUM) != Some(num as i32) {
        a.working
            .props
            .set_with_flags(PR_ATTACH_NUM, ro, Slot::Value(PropValue::Long(num as i32)));
    }
    if a.working.props.get(prop_id(PR_OBJECT_TYPE)).is_none() {
        a.working.props.set_with_flags(
            PR_OBJECT_TYPE,
            ro,
            Slot::Value(PropValue::Long(MAPI_ATTACH as i32)),
        );
    }
    let (message, working) = (a.message, a.working.clone());
    let attachments = &mut st.message_mut(message)?.state.attachments;
    let slot = attachments.slots.get_mut(&num).ok_or_else(gone)?;
    if slot.deleted {
        return err(ErrorKind::ObjectDeleted, "the attachment was deleted");
    }
    slot.committed = Some(working);
    slot.dirty = true;
    attachments.touched = true;
    attachments.changed = true;
    Ok(())
}

// ===== table rows =====

/// A row's properties: large streamed values are left out (read them through the object).
/// Values still in the storage are read while `budget` (bytes, for the whole table) lasts:
/// a table of many attachments would otherwise hold all their data, and a damaged file's
/// data streams can all claim the same sectors.
fn row_props(bag: &PropBag, budget: &mut u64) -> Vec<(u32, PropValue)> {
    bag.iter()
        .filter(|e| prop_type(e.tag) != PT_OBJECT)
        .filter_map(|e| {
            let value = match &e.slot {
                Slot::Value(v) => v.clone(),
                Slot::Large(blob) if blob.len() <= GETPROPS_LIMIT && blob.len() <= *budget => {
                    *budget -= blob.len();
                    values::decode_single(prop_type(e.tag), &blob.to_vec().ok()?)?
                }
                _ => return None,
            };
            Some((e.tag, value))
        })
        .collect()
}

/// Puts `(tag, value)` in a row unless its id is there (or replaces it when `replace`).
fn put(props: &mut Vec<(u32, PropValue)>, tag: u32, value: PropValue, replace: bool) {
    match props.iter_mut().find(|(t, _)| prop_id(*t) == prop_id(tag)) {
        Some(slot) if replace => *slot = (tag, value),
        Some(_) => {}
        None => props.push((tag, value)),
    }
}

fn columns(rows: &[TableRow], first: &[u32], skip: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut out: Vec<u32> = first.to_vec();
    for row in rows {
        for (tag, _) in &row.props {
            if !skip(*tag) && !out.iter().any(|t| prop_id(*t) == prop_id(*tag)) {
                out.push(*tag);
            }
        }
    }
    out
}

fn recipient_rows(recipients: &Recipients, version: u64, cp: u32) -> Rows {
    let mut budget = EAGER_BUDGET;
    let rows: Vec<TableRow> = recipients
        .rows
        .iter()
        .zip(recipients.instance_keys())
        .map(|(r, key)| {
            let mut props = row_props(&r.props, &mut budget);
            put(&mut props, PR_ROWID, PropValue::Long(r.row_id as i32), true);
            // Unique among the rows: a stored key only when no other row has it.
            put(&mut props, PR_INSTANCE_KEY, PropValue::Binary(key), true);
            put(
                &mut props,
                PR_OBJECT_TYPE,
                PropValue::Long(MAPI_MAILUSER as i32),
                false,
            );
            TableRow {
                key: r.row_id,
                props,
            }
        })
        .collect();
    let all = columns(&rows, &[PR_ROWID], |_| false);
    Rows {
        version,
        default_columns: Arc::new(all.clone()),
        all_columns: Arc::new(all),
        rows: Arc::new(rows),
        codepage: cp,
    }
}

fn attachment_rows(attachments: &Attachments, version: u64, cp: u32, unicode: bool) -> Rows {
    let mut budget = EAGER_BUDGET;
    let rows: Vec<TableRow> = attachments
        .visible()
        .map(|(num, bag)| {
            let mut props = row_props(bag, &mut budget);
            put(&mut props, PR_ATTACH_NUM, PropValue::Long(num as i32), true);
            put(
                &mut props,
                PR_INSTANCE_KEY,
                PropValue::Binary(num.to_le_bytes().to_vec()),
                true,
            );
            put(
                &mut props,
                PR_RECORD_KEY,
                PropValue::Binary(num.to_le_bytes().to_vec()),
                false,
            );
            put(
                &mut props,
                PR_OBJECT_TYPE,
                PropValue::Long(MAPI_ATTACH as i32),
                false,
            );
            for c in attach_defaults(unicode) {
                put(&mut props, c.tag, c.value, false);
            }
            put(
                &mut props,
                PR_ATTACH_SIZE,
                PropValue::Long(attach_size(bag) as i32),
                true,
            );
            TableRow { key: num, props }
        })
        .collect();
    let first = [
        PR_ATTACH_NUM,
        PR_INSTANCE_KEY,
        PR_RECORD_KEY,
        PR_RENDERING_POSITION,
    ];
    let all = columns(&rows, &first, |_| false);
    let default = columns(&rows, &first, |tag| {
        prop_id(tag) == prop_id(PR_ATTACH_DATA_BIN)
    });
    Rows {
        version,
        default_columns: Arc::new(default),
        all_columns: Arc::new(all),
        rows: Arc::new(rows),
        codepage: cp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag_with(values: &[(u32, i32)]) -> PropBag {
        let mut bag = PropBag::default();
        for &(tag, v) in values {
            bag.set(tag, Slot::Value(PropValue::Long(v)));
        }
        bag
    }

    #[test]
    fn internet_code_page_counts_only_when_it_is_a_windows_ansi_page() {
        // nonUnicodeCP932.msg: Shift-JIS bytes, PR_INTERNET_CPID 50220 (ISO-2022-JP),
        // locale 1041. Reading its subject as PT_UNICODE used to give U+FFFD soup.
        assert_eq!(
            codepage_of(&bag_with(&[
                (PR_INTERNET_CPID, 50220),
                (PR_MESSAGE_LOCALE_ID, 1041)
            ])),
            Some(932)
        );
        // ASCII_UTF-8_CP1252_LCID1031.msg: 1252 bytes under a declared UTF-8.
        assert_eq!(
            codepage_of(&bag_with(&[
                (PR_INTERNET_CPID, 65001),
                (PR_MESSAGE_LOCALE_ID, 1031)
            ])),
            Some(1252)
        );
        assert_eq!(codepage_of(&bag_with(&[(PR_INTERNET_CPID, 28591)])), None);
        assert_eq!(
            codepage_of(&bag_with(&[(PR_INTERNET_CPID, 1251)])),
            Some(1251)
        );
        assert_eq!(
            codepage_of(&bag_with(&[
                (PR_MESSAGE_CODEPAGE, 1250),
                (PR_INTERNET_CPID, 1251)
            ])),
            Some(1250)
        );
    }

    fn unicode(text: &str) -> PropValue {
        PropValue::Unicode(text.encode_utf16().collect())
    }

    fn text(file: &MsgFile, node: NodeId, tag: u32) -> String {
        match &file.get_props(node, Some(&[tag]), true).unwrap()[0] {
            PropOut::Value(_, PropValue::Unicode(u)) => String::from_utf16(u).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    fn long(file: &MsgFile, node: NodeId, tag: u32) -> Option<i32> {
        match &file.get_props(node, Some(&[tag]), true).unwrap()[0] {
            PropOut::Value(_, PropValue::Long(v)) => Some(*v),
            _ => None,
        }
    }

    /// Recipients, an attachment by value and an embedded message holding another, saved
    /// inner first, then read back after reopening.
    #[test]
    fn recipients_attachments_and_nested_embedded_messages_round_trip() {
        use crate::storage::docfile::{create_file, open_file};
        const SUBJECT: u32 = 0x0037_001F;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tree.msg");
        let rw = STGM_READWRITE | STGM_TRANSACTED;
        let root = create_file(&path, rw | STGM_CREATE, crate::storage::Version::V3).unwrap();
        let (file, top) = MsgFile::open(root, true, false).unwrap();
        file.set_props(top, vec![(SUBJECT, unicode("outer"))])
            .unwrap();
        let name = |n: &str, kind: u32| {
            vec![
                (PR_DISPLAY_NAME_W, unicode(n)),
                (PR_RECIPIENT_TYPE, PropValue::Long(kind as i32)),
            ]
        };
        file.modify_recipients(
            top,
            MODRECIP_ADD,
            vec![
                name("Ann", MAPI_TO),
                name("Bob", MAPI_CC),
                name("Cy", MAPI_TO),
            ],
        )
        .unwrap();
        file.modify_recipients(
            top,
            MODRECIP_REMOVE,
            vec![vec![(PR_ROWID, PropValue::Long(1))]],
        )
        .unwrap();

        let (n0, a0) = file.create_attach(top).unwrap();
        file.set_props(
            a0,
            vec![
                (PR_ATTACH_METHOD, PropValue::Long(ATTACH_BY_VALUE as i32)),
                (PR_ATTACH_DATA_BIN, PropValue::Binary(vec![1, 2, 3])),
            ],
        )
        .unwrap();
        file.save(a0).unwrap();
        let (n1, a1) = file.create_attach(top).unwrap();
        file.set_props(
            a1,
            vec![(
                PR_ATTACH_METHOD,
                PropValue::Long(ATTACH_EMBEDDED_MSG as i32),
            )],
        )
        .unwrap();
        let e1 = file.open_embedded(a1, true, true, false).unwrap();
        file.set_props(e1, vec![(SUBJECT, unicode("middle"))])
            .unwrap();
        file.modify_recipients(e1, 0, vec![name("Dee", MAPI_BCC)])
            .unwrap();
        let (_, a2) = file.create_attach(e1).unwrap();
        file.set_props(
            a2,
            vec![(
                PR_ATTACH_METHOD,
                PropValue::Long(ATTACH_EMBEDDED_MSG as i32),
            )],
        )
        .unwrap();
        let e2 = file.open_embedded(a2, true, true, false).unwrap();
        file.set_props(e2, vec![(SUBJECT, unicode("inner"))])
            .unwrap();
        for node in [e2, a2, e1, a1] {
            file.save(node).unwrap();
        }
        // Not visible in the table before the message's own save.
        assert_eq!(
            file.table_rows(top, TableKind::Attachments)
                .unwrap()
                .rows
                .len(),
            0
        );
        file.save(top).unwrap();
        assert_eq!(
            file.table_rows(top, TableKind::Attachments)
                .unwrap()
                .rows
                .len(),
            2
        );
        assert_eq!(text(&file, top, PR_DISPLAY_TO_W), "Ann; Cy");
        drop(file.close());

        let root = open_file(&path, STGM_READ | STGM_TRANSACTED).unwrap();
        let (file, top) = MsgFile::open(root, false, false).unwrap();
        assert_eq!(text(&file, top, SUBJECT), "outer");
        assert_eq!(text(&file, top, PR_DISPLAY_CC_W), "");
        let rows = file.table_rows(top, TableKind::Recipients).unwrap();
        let names: Vec<_> = rows
            .rows
            .iter()
            .map(|r| {
                r.props
                    .iter()
                    .find(|(t, _)| *t == PR_DISPLAY_NAME_W)
                    .unwrap()
                    .1
                    .clone()
            })
            .collect();
        assert_eq!(names, vec![unicode("Ann"), unicode("Cy")]);
        let a0 = file.open_attach(top, n0, false, false).unwrap();
        assert_eq!(
            file.get_props(a0, Some(&[PR_ATTACH_DATA_BIN]), true)
                .unwrap()[0],
            PropOut::Value(PR_ATTACH_DATA_BIN, PropValue::Binary(vec![1, 2, 3]))
        );
        assert_eq!(long(&file, a0, PR_ATTACH_NUM), Some(n0 as i32));
        let a1 = file.open_attach(top, n1, false, false).unwrap();
        let e1 = file.open_embedded(a1, false, false, false).unwrap();
        assert_eq!(text(&file, e1, SUBJECT), "middle");
        assert_eq!(text(&file, e1, PR_DISPLAY_BCC_W), "Dee");
        let inner_rows = file.table_rows(e1, TableKind::Attachments).unwrap();
        assert_eq!(inner_rows.rows.len(), 1);
        let a2 = file
            .open_attach(e1, inner_rows.rows[0].key, false, false)
            .unwrap();
        let e2 = file.open_embedded(a2, false, false, false).unwrap();
        assert_eq!(text(&file, e2, SUBJECT), "inner");
        assert_eq!(
            long(&file, top, PR_MESSAGE_FLAGS).map(|f| f as u32 & MSGFLAG_HASATTACH),
            Some(MSGFLAG_HASATTACH)
        );
    }
    /// What was seen reading an embedded message stays with it (it used to be dropped).
    #[test]
    fn an_embedded_message_keeps_its_reading_warnings() {
        use crate::storage::docfile::{create_file, open_file};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("embedded.msg");
        let rw = STGM_READWRITE | STGM_TRANSACTED;
        let root = create_file(&path, rw | STGM_CREATE, crate::storage::Version::V3).unwrap();
        let (file, top) = MsgFile::open(root, true, false).unwrap();
        let (num, a) = file.create_attach(top).unwrap();
        file.set_props(
            a,
            vec![(
                PR_ATTACH_METHOD,
                PropValue::Long(ATTACH_EMBEDDED_MSG as i32),
            )],
        )
        .unwrap();
        let e = file.open_embedded(a, true, true, false).unwrap();
        file.set_props(e, vec![(PR_SUBJECT_W, unicode("inner"))])
            .unwrap();
        for node in [e, a, top] {
            file.save(node).unwrap();
        }
        drop(file.close());
        // Five stray bytes after the embedded message's property entries.
        {
            let root = open_file(&path, rw).unwrap();
            let mode = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;
            let attach = root
                .open_storage(&codec::attachment_storage_name(num), mode)
                .unwrap();
            let object = attach
                .open_storage(codec::ATTACH_OBJECT_STORAGE, mode)
                .unwrap();
            let mut bytes = object
                .read_stream(codec::PROPERTIES_STREAM, 1 << 20)
                .unwrap();
            bytes.extend_from_slice(&[1, 2, 3, 4, 5]);
            object
                .write_stream(codec::PROPERTIES_STREAM, &Blob::from_vec(bytes))
                .unwrap();
            object.commit(STGC_DEFAULT).unwrap();
            attach.commit(STGC_DEFAULT).unwrap();
            root.commit(STGC_DEFAULT).unwrap();
        }
        let root = open_file(&path, STGM_READ | STGM_TRANSACTED).unwrap();
        let (file, top) = MsgFile::open(root, false, false).unwrap();
        let a = file.open_attach(top, num, false, false).unwrap();
        let e = file.open_embedded(a, false, false, false).unwrap();
        assert_eq!(text(&file, e, PR_SUBJECT_W), "inner");
        let warnings = file.with(|st| Ok(st.message(e)?.warnings.clone())).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("trailing bytes ignored"),
            "{warnings:?}"
        );
    }

    /// Recipients that store one `PR_INSTANCE_KEY` between them (MSGReader's
    /// `EmailWithAttachments.msg`) still have distinct keys in the table.
    #[test]
    fn recipient_rows_have_distinct_instance_keys() {
        use super::super::recipients::RecipientRow;
        let row = |row_id: u32| {
            let mut props = PropBag::default();
            props.set(
                PR_INSTANCE_KEY,
                Slot::Value(PropValue::Binary(vec![0xBC, 0xC3, 0xFF, 0x3F])),
            );
            RecipientRow {
                row_id,
                storage: Some(row_id),
                props,
            }
        };
        let recipients = Recipients {
            rows: vec![row(0), row(1), row(2)],
            ..Recipients::default()
        };
        let rows = recipient_rows(&recipients, 0, 1252);
        let keys: Vec<&PropValue> = rows
            .rows
            .iter()
            .map(|r| {
                &r.props
                    .iter()
                    .find(|(t, _)| *t == PR_INSTANCE_KEY)
                    .unwrap()
                    .1
            })
            .collect();
        assert_eq!(
            keys,
            [0u32, 1, 2]
                .map(|n| PropValue::Binary(n.to_le_bytes().to_vec()))
                .iter()
                .collect::<Vec<_>>()
        );
    }

    /// Values left in the storage go into table rows only while the table's budget lasts.
    #[test]
    fn table_rows_read_stored_values_within_a_budget() {
        let mut bag = PropBag::default();
        bag.set(PR_ATTACH_DATA_BIN, Slot::Large(Blob::from_vec(vec![1; 60])));
        bag.set(0x3707_0102, Slot::Large(Blob::from_vec(vec![2; 60])));
        bag.set(PR_ATTACH_METHOD, Slot::Value(PropValue::Long(1)));
        let mut budget = 100;
        let first = row_props(&bag, &mut budget);
        assert_eq!(budget, 40);
        assert_eq!(first.len(), 2, "{first:?}");
        assert!(first.iter().any(|(t, _)| *t == PR_ATTACH_METHOD));
        // Spent: in-memory values still come, stored ones are left out.
        let second = row_props(&bag, &mut budget);
        assert_eq!(second, [(PR_ATTACH_METHOD, PropValue::Long(1))]);
    }
}
