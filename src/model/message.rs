//! [`MsgFile`], the one owner of a message's state: opening a message from its storage and
//! the calls on messages and attachments — properties, property streams, recipients,
//! tables, names, saving (DESIGN decision 8). Beside it: `file_state.rs` (the state under
//! the lock), `attach_calls.rs` (attachments and what they carry), `publish.rs` (what each
//! `SaveChanges` does), `rows.rs` (table rows); `load.rs`/`save.rs` read and write
//! [`MessageState`] in the `.msg` format.
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
use std::sync::Arc;

use parking_lot::ReentrantMutex;

use super::bag::Slot;
pub use super::file_state::{CLSID_MAIL_MESSAGE, FileState, MessageNode, Object};
use super::file_state::{all_tags, gone, read_only};
pub use super::load::EAGER_LIMIT;
use super::load::{EAGER_BUDGET, detect_unicode, read_message_state, read_name_map};
use super::name_map::{IdsFromNames, NameFilter};
use super::open_streams::{OpenStream, OpenStreams};
pub use super::props::{CONVERT_LIMIT, GETPROPS_LIMIT, Problem, PropOut};
use super::props::{
    ObjKind, adjust_width, convert_stream, get_one, is_computed, message_flags_on_set, open_width,
    stream_compatible, to_width, value_bytes,
};
use super::publish::{save_attachment, save_embedded, save_top_level};
use super::recipients::Modify;
use super::rows::{Rows, TableKind, attachment_rows, recipient_rows};
pub use super::state::{MessageState, NodeId};
use crate::codec::HeaderKind;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};
use crate::storage::{Blob, Storage};
use crate::types::prop_name::Name;
use crate::types::prop_value::{
    PropValue, change_type, is_known_type, prop_id, prop_type, tags::*,
};

/// The shared state of one `.msg` tree.
pub struct MsgFile {
    state: ReentrantMutex<RefCell<FileState>>,
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
    pub(crate) fn with_node<R>(
        &self,
        node: NodeId,
        f: impl FnOnce(&mut FileState) -> Result<R>,
    ) -> Result<R> {
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
            // Properties of this object with a stream open on them: their new values go to
            // those streams too (kept only for them: a value can be large).
            let streamed = st.streams.open_ids(node);
            let (bag, kind) = st.bag_mut(node)?;
            let mut problems = Vec::new();
            let mut replaced = Vec::new();
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
                if streamed.contains(&prop_id(tag)) {
                    replaced.push((tag, value.clone()));
                }
                bag.set(tag, Slot::Value(value));
            }
            for (tag, value) in replaced {
                st.streams.replaced(node, prop_id(tag), |to| {
                    convert_stream(
                        Blob::from_vec(value_bytes(&value)),
                        prop_type(tag),
                        prop_type(to),
                        cp,
                    )
                })?;
            }
            Ok(problems)
        })
    }

    pub fn delete_props(&self, node: NodeId, tags: &[u32]) -> Result<Vec<Problem>> {
        self.with_node(node, |st| {
            let (bag, kind) = st.bag_mut(node)?;
            let mut problems = Vec::new();
            let mut deleted = Vec::new();
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
                        deleted.push(id);
                    }
                }
            }
            for id in deleted {
                st.streams.replaced(node, id, |_| Ok(Blob::default()))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;
    use crate::model::bag::PropBag;
    use crate::model::file_state::codepage_of;
    use crate::model::recipients::Recipients;
    use crate::model::rows::row_props;

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
