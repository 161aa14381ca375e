//! Messages and their properties: reading a message from its storage, answering property
//! calls, and saving changes back (DESIGN decision 8).
//!
//! Everything reachable from one top-level message (its recipients, attachments and
//! embedded messages, at any depth) is one [`MsgFile`]: one lock, one string width, one
//! named-property map. COM objects hold the file plus the [`NodeId`] of their object.
//!
//! Lock: a re-entrant mutex around the file's state. It is held across calls into the
//! message's storage (so a caller's own `IStorage` may call back into the message on the same
//! thread), never across calls to allocators or release callbacks, which the COM layer makes
//! after this module returns.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::ReentrantMutex;

use super::bag::{DEFAULT_FLAGS, PropBag, Slot, Stored};
use super::prop::{
    PropValue, change_type, is_known_type, is_stream_type, prop_id, prop_type, tags::*,
};
use super::strings;
use crate::codec::{self, Counters, Entry, EntryBody, HeaderKind, values};
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

/// `PR_STORE_SUPPORT_MASK` as Outlook writes it for Unicode messages.
const UNICODE_SUPPORT_MASK: u32 = 0x0004_0E79;

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

/// A message: the top-level one or one embedded in an attachment.
pub struct MessageNode {
    pub kind: HeaderKind,
    pub storage: Option<Arc<dyn Storage>>,
    pub writable: bool,
    pub props: PropBag,
    pub counters: Counters,
    /// Deviations from the format seen while reading.
    pub warnings: Vec<String>,
}

pub enum Object {
    Message(MessageNode),
}

pub struct FileState {
    /// Set by `CloseIMsgSession`: every later call fails with `MAPI_E_OBJECT_DELETED`.
    pub closed: bool,
    /// Whether strings are stored as `PT_UNICODE` (else `PT_STRING8`).
    pub unicode: bool,
    pub no_istg_commit: bool,
    nodes: Vec<Option<Object>>,
}

/// The shared state of one `.msg` tree.
pub struct MsgFile {
    state: ReentrantMutex<RefCell<FileState>>,
}

impl FileState {
    pub fn message(&self, id: NodeId) -> Result<&MessageNode> {
        match self.nodes.get(id) {
            Some(Some(Object::Message(m))) => Ok(m),
            _ => err(ErrorKind::ObjectDeleted, "the message no longer exists"),
        }
    }

    pub fn message_mut(&mut self, id: NodeId) -> Result<&mut MessageNode> {
        match self.nodes.get_mut(id) {
            Some(Some(Object::Message(m))) => Ok(m),
            _ => err(ErrorKind::ObjectDeleted, "the message no longer exists"),
        }
    }

    fn add(&mut self, object: Object) -> NodeId {
        self.nodes.push(Some(object));
        self.nodes.len() - 1
    }

    /// The code page of a message's 8-bit strings (`spec/msg-format.md` §6):
    /// `PR_MESSAGE_CODEPAGE`, else `PR_INTERNET_CPID` when it is a Windows ANSI page, else
    /// the ANSI page of `PR_MESSAGE_LOCALE_ID`, else 1252.
    pub fn codepage(&self, node: NodeId) -> u32 {
        let Ok(m) = self.message(node) else {
            return strings::DEFAULT_CODEPAGE;
        };
        codepage_of(&m.props)
    }
}

fn codepage_of(props: &PropBag) -> u32 {
    let long = |tag| props.long(tag).map(|v| v as u32);
    if let Some(cp) = long(PR_MESSAGE_CODEPAGE).filter(|&cp| strings::is_supported(cp)) {
        return cp;
    }
    // The Internet code page describes the body as it came over the wire; real files
    // declare UTF-8 or ISO-2022-JP over Windows-page bytes (nonUnicodeCP932.msg).
    if let Some(cp) =
        long(PR_INTERNET_CPID).filter(|&cp| strings::is_ansi_page(cp) && strings::is_supported(cp))
    {
        return cp;
    }
    long(PR_MESSAGE_LOCALE_ID)
        .and_then(strings::codepage_of_locale)
        .unwrap_or(strings::DEFAULT_CODEPAGE)
}

/// What `OpenProperty(..., IID_IStream, ...)` starts from.
pub struct PropStreamStart {
    pub content: Blob,
    pub writable: bool,
}

impl MsgFile {
    /// Opens the message held by `storage` (a new, empty storage gives a new message).
    pub fn open(
        storage: Arc<dyn Storage>,
        unicode: bool,
        no_istg_commit: bool,
    ) -> Result<(Arc<MsgFile>, NodeId)> {
        let writable = storage.writable();
        let mut state = FileState {
            closed: false,
            unicode,
            no_istg_commit,
            nodes: Vec::new(),
        };
        let node = read_message(&storage, HeaderKind::TopLevel, writable)?;
        if let Some(detected) = detect_unicode(&node.props) {
            state.unicode = detected;
        }
        let root = state.add(Object::Message(node));
        Ok((
            Arc::new(MsgFile {
                state: ReentrantMutex::new(RefCell::new(state)),
            }),
            root,
        ))
    }

    /// Runs `f` on the state, refusing when the file was closed.
    pub fn with<R>(&self, f: impl FnOnce(&mut FileState) -> Result<R>) -> Result<R> {
        let guard = self.state.lock();
        let mut state = guard.borrow_mut();
        if state.closed {
            return err(
                ErrorKind::ObjectDeleted,
                "the message was closed by CloseIMsgSession",
            );
        }
        f(&mut state)
    }

    pub fn is_closed(&self) -> bool {
        self.state.lock().borrow().closed
    }

    /// Closes the file: discards unsaved changes and gives back the storages to release
    /// (the caller drops them after returning, outside the lock).
    pub fn close(&self) -> Vec<Arc<dyn Storage>> {
        let guard = self.state.lock();
        let mut state = guard.borrow_mut();
        state.closed = true;
        let mut storages = Vec::new();
        for node in state.nodes.drain(..).flatten() {
            match node {
                Object::Message(m) => storages.extend(m.storage),
            }
        }
        storages
    }

    pub fn is_unicode(&self) -> bool {
        self.state.lock().borrow().unicode
    }

    // ===== properties =====

    pub fn get_props(
        &self,
        node: NodeId,
        tags: Option<&[u32]>,
        unicode: bool,
    ) -> Result<Vec<PropOut>> {
        self.with(|st| {
            let computed = computed_props(st, node)?;
            let m = st.message(node)?;
            let cp = st.codepage(node);
            let mut out = Vec::new();
            match tags {
                Some(tags) => {
                    for &tag in tags {
                        out.push(get_one(m, &computed, tag, unicode, cp));
                    }
                }
                None => {
                    let mut all: BTreeMap<u16, u32> = m
                        .props
                        .iter()
                        .filter(|e| prop_type(e.tag) != PT_OBJECT)
                        .map(|e| (prop_id(e.tag), e.tag))
                        .collect();
                    for c in &computed {
                        all.insert(prop_id(c.tag), c.tag);
                    }
                    for tag in all.into_values() {
                        let open = open_width(tag, unicode);
                        out.push(get_one(m, &computed, open, unicode, cp));
                    }
                }
            }
            Ok(out)
        })
    }

    pub fn get_prop_list(&self, node: NodeId, unicode: bool) -> Result<Vec<u32>> {
        self.with(|st| {
            let computed = computed_props(st, node)?;
            let m = st.message(node)?;
            let mut all: BTreeMap<u16, u32> =
                m.props.iter().map(|e| (prop_id(e.tag), e.tag)).collect();
            for c in &computed {
                all.insert(prop_id(c.tag), c.tag);
            }
            Ok(all
                .into_values()
                .map(|tag| change_type(tag, adjust_width(prop_type(tag), unicode)))
                .collect())
        })
    }

    pub fn set_props(&self, node: NodeId, values: Vec<(u32, PropValue)>) -> Result<Vec<Problem>> {
        self.with(|st| {
            let unicode = st.unicode;
            let cp = st.codepage(node);
            let kind = st.message(node)?.kind;
            let m = st.message_mut(node)?;
            if !m.writable {
                return err(ErrorKind::NoAccess, "the message was opened read-only");
            }
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
                if let Some(e) = m.props.get(prop_id(tag))
                    && e.flags & PROPATTR_WRITEABLE == 0
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
                let value = if tag == PR_MESSAGE_FLAGS {
                    message_flags_on_set(m, value)
                } else {
                    value
                };
                m.props.set(tag, Slot::Value(value));
            }
            Ok(problems)
        })
    }

    pub fn delete_props(&self, node: NodeId, tags: &[u32]) -> Result<Vec<Problem>> {
        self.with(|st| {
            let m = st.message_mut(node)?;
            if !m.writable {
                return err(ErrorKind::NoAccess, "the message was opened read-only");
            }
            let mut problems = Vec::new();
            for (index, &tag) in tags.iter().enumerate() {
                let problem = |kind| Problem {
                    index: index as u32,
                    tag,
                    kind,
                };
                if is_computed(m.kind, tag) {
                    problems.push(problem(ErrorKind::Computed));
                    continue;
                }
                let id = prop_id(tag);
                match m.props.get(id) {
                    None => {}
                    Some(e)
                        if e.flags & PROPATTR_WRITEABLE == 0
                            || e.flags & PROPATTR_MANDATORY != 0 =>
                    {
                        problems.push(problem(ErrorKind::NoAccess))
                    }
                    Some(_) => {
                        m.props.remove(id);
                    }
                }
            }
            Ok(problems)
        })
    }

    /// `GetAttribIMsgOnIStg`: the `PROPATTR_*` flags of each tag.
    pub fn get_attribs(&self, node: NodeId, tags: &[u32]) -> Result<Vec<u32>> {
        self.with(|st| {
            let computed = computed_props(st, node)?;
            let m = st.message(node)?;
            Ok(tags
                .iter()
                .map(|&tag| {
                    let id = prop_id(tag);
                    if let Some(c) = computed
                        .iter()
                        .find(|c| prop_id(c.tag) == id && c.overrides)
                    {
                        return c.flags;
                    }
                    match m.props.get(id) {
                        Some(e) => e.flags,
                        None => computed
                            .iter()
                            .find(|c| prop_id(c.tag) == id)
                            .map_or(PROPATTR_NOT_PRESENT, |c| c.flags),
                    }
                })
                .collect())
        })
    }

    /// `SetAttribIMsgOnIStg`: changes the flags of existing properties.
    pub fn set_attribs(&self, node: NodeId, tags: &[u32], attribs: &[u32]) -> Result<Vec<Problem>> {
        self.with(|st| {
            let m = st.message_mut(node)?;
            if !m.writable {
                return err(ErrorKind::NoAccess, "the message was opened read-only");
            }
            let mut problems = Vec::new();
            for (index, (&tag, &flags)) in tags.iter().zip(attribs).enumerate() {
                let problem = |kind| Problem {
                    index: index as u32,
                    tag,
                    kind,
                };
                if flags & !(PROPATTR_MANDATORY | PROPATTR_READABLE | PROPATTR_WRITEABLE) != 0 {
                    problems.push(problem(ErrorKind::InvalidParameter));
                } else if is_computed(m.kind, tag) {
                    problems.push(problem(ErrorKind::Computed));
                } else if m.props.get(prop_id(tag)).is_none() {
                    problems.push(problem(ErrorKind::NotFound));
                } else {
                    m.props.set_flags(prop_id(tag), flags);
                }
            }
            Ok(problems)
        })
    }

    // ===== property streams =====

    /// Starts an `OpenProperty(tag, IID_IStream)`: the current content, converted to the
    /// requested string width.
    pub fn open_prop_stream(
        &self,
        node: NodeId,
        tag: u32,
        modify: bool,
        create: bool,
    ) -> Result<PropStreamStart> {
        self.with(|st| {
            let cp = st.codepage(node);
            let m = st.message(node)?;
            let ty = prop_type(tag);
            if !matches!(ty, PT_BINARY | PT_STRING8 | PT_UNICODE) {
                return err(
                    ErrorKind::InterfaceNotSupported,
                    format!("property 0x{tag:08X} cannot be opened as a stream (binary or string types only)"),
                );
            }
            if modify && !m.writable {
                return err(ErrorKind::NoAccess, "the message was opened read-only");
            }
            if modify && is_computed(m.kind, tag) {
                return err(ErrorKind::Computed, format!("property 0x{tag:08X} is computed"));
            }
            let content = if create {
                Blob::default()
            } else {
                let entry = m
                    .props
                    .get(prop_id(tag))
                    .filter(|e| stream_compatible(prop_type(e.tag), ty))
                    .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("property 0x{tag:08X} is not set")))?;
                if modify && entry.flags & PROPATTR_WRITEABLE == 0 {
                    return err(ErrorKind::NoAccess, format!("property 0x{tag:08X} is read-only"));
                }
                let bytes = match &entry.slot {
                    Slot::Large(blob) => blob.clone(),
                    Slot::Value(v) => Blob::from_vec(value_bytes(v)),
                    Slot::Object { .. } => return err(ErrorKind::NoSupport, "object properties are opened as IMessage or IStorage"),
                };
                convert_stream(bytes, prop_type(entry.tag), ty, cp)?
            };
            Ok(PropStreamStart {
                content,
                writable: modify,
            })
        })
    }

    /// Stores what was written through a property stream as the property's value.
    pub fn set_from_stream(&self, node: NodeId, tag: u32, content: Blob) -> Result<()> {
        self.with(|st| {
            let unicode = st.unicode;
            let cp = st.codepage(node);
            let m = st.message_mut(node)?;
            if !m.writable {
                return err(ErrorKind::NoAccess, "the message was opened read-only");
            }
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
            m.props.set(stored_tag, slot);
            Ok(())
        })
    }

    // ===== saving =====

    /// `SaveChanges` on a message.
    pub fn save_message(&self, node: NodeId) -> Result<()> {
        self.with(|st| {
            let unicode = st.unicode;
            let no_commit = st.no_istg_commit;
            let m = st.message_mut(node)?;
            if !m.writable {
                return err(ErrorKind::NoAccess, "the message was opened read-only");
            }
            let storage = m.storage.clone().ok_or_else(|| {
                Error::new(ErrorKind::ObjectDeleted, "the message has no storage")
            })?;
            prepare_for_save(m, unicode);
            let counters = m.counters;
            write_bag(storage.as_ref(), &mut m.props, m.kind, &counters)?;
            if m.kind == HeaderKind::TopLevel {
                if storage.stat()?.clsid == [0; 16] {
                    storage.set_class(CLSID_MAIL_MESSAGE)?;
                }
                if !no_commit {
                    storage.commit(STGC_DEFAULT)?;
                }
            }
            Ok(())
        })
    }
}

// ===== reading =====

/// Reads a message's properties from its storage (none yet: a new message).
fn read_message(
    storage: &Arc<dyn Storage>,
    kind: HeaderKind,
    writable: bool,
) -> Result<MessageNode> {
    let mut node = MessageNode {
        kind,
        storage: Some(storage.clone()),
        writable,
        props: PropBag::default(),
        counters: Counters::default(),
        warnings: Vec::new(),
    };
    let elements = storage.elements()?;
    let has = |name: &str| elements.iter().any(|e| e.name.eq_ignore_ascii_case(name));
    if !has(codec::PROPERTIES_STREAM) {
        return Ok(node);
    }
    let bytes = storage.read_stream(codec::PROPERTIES_STREAM, 64 * 1024 * 1024)?;
    let parsed = codec::parse_properties(&bytes, kind);
    node.counters = parsed.counters;
    node.warnings = parsed.warnings;
    read_bag(
        storage.as_ref(),
        &parsed.entries,
        &elements,
        &mut node.props,
        &mut node.warnings,
        EAGER_BUDGET,
    )?;
    Ok(node)
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
fn read_bag(
    storage: &dyn Storage,
    entries: &[Entry],
    elements: &[crate::storage::ElementStat],
    bag: &mut PropBag,
    warnings: &mut Vec<String>,
    budget: u64,
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
        budget,
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

/// A message's string width as its properties show it: `PR_STORE_SUPPORT_MASK`, else the
/// type of its string properties; `None` when nothing tells.
fn detect_unicode(bag: &PropBag) -> Option<bool> {
    if let Some(mask) = bag.long(PR_STORE_SUPPORT_MASK) {
        return Some(mask as u32 & STORE_UNICODE_OK != 0);
    }
    bag.iter().find_map(|e| match prop_type(e.tag) & !MV_FLAG {
        PT_UNICODE => Some(true),
        PT_STRING8 => Some(false),
        _ => None,
    })
}

// ===== computed properties =====

/// A property computed from the object's state rather than stored.
struct Computed {
    tag: u32,
    value: PropValue,
    flags: u32,
    /// Replaces a stored value of the same id (otherwise only fills in when absent).
    overrides: bool,
}

fn computed_props(st: &FileState, node: NodeId) -> Result<Vec<Computed>> {
    let m = st.message(node)?;
    let access = if m.writable {
        MAPI_ACCESS_MODIFY | MAPI_ACCESS_READ | MAPI_ACCESS_DELETE
    } else {
        MAPI_ACCESS_READ
    };
    let ro = PROPATTR_READABLE;
    let mut out = vec![
        Computed {
            tag: PR_OBJECT_TYPE,
            value: PropValue::Long(MAPI_MESSAGE as i32),
            flags: ro,
            overrides: true,
        },
        Computed {
            tag: PR_ACCESS,
            value: PropValue::Long(access as i32),
            flags: ro,
            overrides: true,
        },
        Computed {
            tag: PR_ACCESS_LEVEL,
            value: PropValue::Long(i32::from(m.writable)),
            flags: ro,
            overrides: true,
        },
        Computed {
            tag: PR_STORE_SUPPORT_MASK,
            value: PropValue::Long(support_mask(st.unicode) as i32),
            flags: ro,
            overrides: false,
        },
    ];
    if m.kind == HeaderKind::TopLevel || m.props.get(prop_id(PR_MESSAGE_FLAGS)).is_none() {
        out.push(Computed {
            tag: PR_MESSAGE_FLAGS,
            value: PropValue::Long(MSGFLAG_UNSENT as i32),
            flags: DEFAULT_FLAGS,
            overrides: false,
        });
    }
    Ok(out)
}

fn support_mask(unicode: bool) -> u32 {
    if unicode {
        UNICODE_SUPPORT_MASK
    } else {
        UNICODE_SUPPORT_MASK & !STORE_UNICODE_OK
    }
}

/// Properties a caller may not set or delete on this kind of object.
fn is_computed(_kind: HeaderKind, tag: u32) -> bool {
    [
        PR_OBJECT_TYPE,
        PR_ACCESS,
        PR_ACCESS_LEVEL,
        PR_STORE_SUPPORT_MASK,
        PR_HASATTACH,
        PR_MESSAGE_RECIPIENTS,
        PR_MESSAGE_ATTACHMENTS,
    ]
    .iter()
    .any(|&t| prop_id(t) == prop_id(tag))
}

/// Bits of `PR_MESSAGE_FLAGS` the library computes; a caller's value keeps the others.
fn message_flags_on_set(m: &MessageNode, value: PropValue) -> PropValue {
    match value {
        PropValue::Long(v) => {
            let old = m.props.long(PR_MESSAGE_FLAGS).unwrap_or(0) as u32;
            let computed = MSGFLAG_HASATTACH;
            PropValue::Long(((v as u32 & !computed) | (old & computed)) as i32)
        }
        other => other,
    }
}

/// Before a save: properties the file must carry that nobody set.
fn prepare_for_save(m: &mut MessageNode, unicode: bool) {
    let ro = PROPATTR_READABLE;
    if unicode && m.props.get(prop_id(PR_STORE_SUPPORT_MASK)).is_none() {
        m.props.set_with_flags(
            PR_STORE_SUPPORT_MASK,
            ro,
            Slot::Value(PropValue::Long(support_mask(true) as i32)),
        );
    }
    if m.kind == HeaderKind::TopLevel && m.props.get(prop_id(PR_MESSAGE_FLAGS)).is_none() {
        m.props.set(
            PR_MESSAGE_FLAGS,
            Slot::Value(PropValue::Long(MSGFLAG_UNSENT as i32)),
        );
    }
}

// ===== answering GetProps =====

/// The type a `PT_UNSPECIFIED`-style request gets for a stored type: strings follow the
/// caller's `MAPI_UNICODE`.
fn adjust_width(ty: u32, unicode: bool) -> u32 {
    match ty {
        PT_STRING8 | PT_UNICODE => {
            if unicode {
                PT_UNICODE
            } else {
                PT_STRING8
            }
        }
        PT_MV_STRING8 | PT_MV_UNICODE => {
            if unicode {
                PT_MV_UNICODE
            } else {
                PT_MV_STRING8
            }
        }
        other => other,
    }
}

/// For `GetProps(NULL)`: the request that leaves the type open.
fn open_width(tag: u32, unicode: bool) -> u32 {
    change_type(tag, adjust_width(prop_type(tag), unicode))
}

fn get_one(m: &MessageNode, computed: &[Computed], tag: u32, unicode: bool, cp: u32) -> PropOut {
    let id = prop_id(tag);
    let want = prop_type(tag);
    let error = |kind| PropOut::Error(change_type(tag, PT_ERROR), kind);
    let matches = |have: u32| {
        want == PT_UNSPECIFIED
            || want == have
            || (is_string(want) && is_string(have) && (want & MV_FLAG) == (have & MV_FLAG))
    };
    let answer = |have_tag: u32, value: &PropValue| -> PropOut {
        if !matches(prop_type(have_tag)) {
            return error(ErrorKind::NotFound);
        }
        let out_ty = if want == PT_UNSPECIFIED {
            adjust_width(prop_type(have_tag), unicode)
        } else {
            want
        };
        match convert_value(value.clone(), out_ty, cp) {
            Ok(v) if v.byte_size() > GETPROPS_LIMIT => error(ErrorKind::NotEnoughMemory),
            Ok(v) => PropOut::Value(change_type(tag, v.prop_type()), v),
            Err(e) => error(e.kind),
        }
    };
    if let Some(c) = computed
        .iter()
        .find(|c| prop_id(c.tag) == id && c.overrides)
    {
        return answer(c.tag, &c.value);
    }
    match m.props.get(id) {
        Some(e) => match &e.slot {
            Slot::Value(v) => answer(e.tag, v),
            Slot::Large(blob) => {
                if !matches(prop_type(e.tag)) {
                    return error(ErrorKind::NotFound);
                }
                let factor = if is_string(want) && want != prop_type(e.tag) {
                    2
                } else {
                    1
                };
                if blob.len().saturating_mul(factor) > GETPROPS_LIMIT {
                    return error(ErrorKind::NotEnoughMemory);
                }
                match blob.to_vec() {
                    Ok(bytes) => {
                        let value = values::decode_single(prop_type(e.tag), &bytes)
                            .expect("string or binary");
                        answer(e.tag, &value)
                    }
                    Err(err) => error(err.kind),
                }
            }
            Slot::Object { .. } => error(ErrorKind::NoSupport),
        },
        None => match computed.iter().find(|c| prop_id(c.tag) == id) {
            Some(c) => answer(c.tag, &c.value),
            None => error(ErrorKind::NotFound),
        },
    }
}

fn is_string(ty: u32) -> bool {
    matches!(ty & !MV_FLAG, PT_STRING8 | PT_UNICODE)
}

/// Converts a string value (single or multi-valued) to the type `ty`; other values pass.
pub(crate) fn convert_value(value: PropValue, ty: u32, cp: u32) -> Result<PropValue> {
    use PropValue::*;
    Ok(match (value, ty) {
        (String8(s), PT_UNICODE) => Unicode(strings::decode(cp, &s)?),
        (Unicode(s), PT_STRING8) => String8(strings::encode(cp, &s)?),
        (MvString8(v), PT_MV_UNICODE) => MvUnicode(
            v.iter()
                .map(|s| strings::decode(cp, s))
                .collect::<Result<_>>()?,
        ),
        (MvUnicode(v), PT_MV_STRING8) => MvString8(
            v.iter()
                .map(|s| strings::encode(cp, s))
                .collect::<Result<_>>()?,
        ),
        (v, _) => v,
    })
}

/// Converts a value a caller sets to the message's string width.
fn to_width(tag: u32, value: PropValue, unicode: bool, cp: u32) -> Result<(u32, PropValue)> {
    if value.prop_type() != prop_type(tag) {
        return err(
            ErrorKind::InvalidType,
            format!("value does not match type of tag 0x{tag:08X}"),
        );
    }
    let ty = adjust_width(prop_type(tag), unicode);
    let value = convert_value(value, ty, cp)?;
    Ok((change_type(tag, ty), value))
}

/// The stream bytes of a string or binary value (strings without terminator).
fn value_bytes(value: &PropValue) -> Vec<u8> {
    match value {
        PropValue::String8(s) | PropValue::Binary(s) => s.clone(),
        PropValue::Unicode(s) => values::utf16_to_bytes(s),
        _ => Vec::new(),
    }
}

fn stream_compatible(have: u32, want: u32) -> bool {
    have == want || (is_string(have) && is_string(want) && have & MV_FLAG == 0)
}

/// Converts stream content between string widths (in memory, up to [`CONVERT_LIMIT`]).
fn convert_stream(content: Blob, from: u32, to: u32, cp: u32) -> Result<Blob> {
    if from == to || !is_string(from) || !is_string(to) {
        return Ok(content);
    }
    if content.len() > CONVERT_LIMIT {
        return err(
            ErrorKind::NotEnoughMemory,
            "string too large to convert between widths",
        );
    }
    let bytes = content.to_vec()?;
    let value = values::decode_single(from, &bytes).expect("string type");
    let converted = convert_value(value, to, cp)?;
    Ok(Blob::from_vec(value_bytes(&converted)))
}

// ===== writing =====

/// Writes a bag into `storage`: removes streams of deleted or replaced values, writes
/// changed values, then the property stream.
fn write_bag(
    storage: &dyn Storage,
    bag: &mut PropBag,
    kind: HeaderKind,
    counters: &Counters,
) -> Result<()> {
    for stale in bag.stale_streams() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::docfile::create_file;

    const RW: u32 = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;

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
            932
        );
        // ASCII_UTF-8_CP1252_LCID1031.msg: 1252 bytes under a declared UTF-8.
        assert_eq!(
            codepage_of(&bag_with(&[
                (PR_INTERNET_CPID, 65001),
                (PR_MESSAGE_LOCALE_ID, 1031)
            ])),
            1252
        );
        assert_eq!(codepage_of(&bag_with(&[(PR_INTERNET_CPID, 28591)])), 1252);
        assert_eq!(codepage_of(&bag_with(&[(PR_INTERNET_CPID, 1251)])), 1251);
        assert_eq!(
            codepage_of(&bag_with(&[
                (PR_MESSAGE_CODEPAGE, 1250),
                (PR_INTERNET_CPID, 1251)
            ])),
            1250
        );
    }

    fn write(storage: &dyn Storage, name: &str, bytes: &[u8]) {
        storage
            .write_stream(name, &Blob::from_vec(bytes.to_vec()))
            .unwrap();
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
        let root = create_file(
            &dir.path().join("a.msg"),
            RW | STGM_CREATE | STGM_TRANSACTED,
            cfb::Version::V3,
        )
        .unwrap();
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

        let (file, node) = MsgFile::open(root, true, true).unwrap();
        file.with(|st| {
            let m = st.message(node)?;
            match m.props.value(prop_id(many), PT_MV_UNICODE) {
                Some(PropValue::MvUnicode(v)) => assert_eq!(v.len(), 17_500),
                other => panic!("{other:?}"),
            }
            assert!(m.props.get(prop_id(too_many)).is_none());
            assert!(m.props.get(prop_id(subject)).is_some());
            // One warning per missing value stream, kept to a bounded number.
            assert_eq!(m.warnings.len(), MAX_WARNINGS + 1, "{:?}", &m.warnings[..3]);
            assert!(m.warnings.last().unwrap().contains("more warnings"));
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn loading_stops_at_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let root = create_file(
            &dir.path().join("a.msg"),
            RW | STGM_CREATE | STGM_TRANSACTED,
            cfb::Version::V3,
        )
        .unwrap();
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
            100,
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
            EAGER_BUDGET,
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
