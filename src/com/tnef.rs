//! The engine behind `ITnef` (`OpenTnefStream(Ex)`, `spec/bodies-and-tnef.md` §5); the
//! slots are in `capi::tnef`.
//!
//! Both directions go through a scratch message of ours held in memory, and move
//! properties between it and the caller's `IMessage` (ours or any other, through its
//! vtable) with the one copy engine (`copy_to.rs`): decoding fills the scratch message
//! from the stream (`model::tnef_message::fill`) and copies it into the caller's message
//! (a Unicode message of ours taking everything is filled directly: the scratch message's
//! save and the copy were two thirds of `ExtractProps`' time);
//! encoding copies the caller's message (what `AddProps`/`EncodeRecips` chose) into the
//! scratch message, takes it out as the encoder's input (`model::tnef_message::extract`),
//! applies `SetProps`' overrides and writes the stream (`codec::tnef_legacy::encode`).
//!
//! There is no address book: recipients and senders are written and read as the message
//! holds them (their entry ids are neither resolved nor checked), and the support object
//! and address book given to `OpenTnefStreamEx` are only held for the object's life.
//!
//! Beside this file: `tnef_scratch` (the scratch message, and the caller's objects read
//! through their vtables), `tnef_problems` (problem arrays) and `tnef_tagged`
//! (`OpenTaggedBody`'s text).

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use parking_lot::Mutex;

use super::copy_to::{self, Kind, Request, Select};
use super::foreign::ComRef;
use super::guids::IID_IMessage;
use super::mapimem::Allocators;
use super::object::ComObject;
use super::rtf_stream::{ComStream, OnCommit, from_io};
use super::scode::scode_of;
use super::shells::MessageShell;
use super::tnef_problems::{STnefProblem, copy_problems, owned_by_target, trouble};
use super::tnef_scratch::{Scratch, all_rows, attachment_numbers, codepage_of, is_unicode};
use crate::codec::tnef::{self as codec, Component, ProblemKind, Tnef};
use crate::codec::tnef_legacy::{self as legacy, Mode};
use crate::codec::{tnef_read, tnef_write};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};
use crate::model::tnef_message;
use crate::types::prop_value::{PropValue, prop_id, tags::*};

pub const TNEF_DECODE: ULONG = 0x0000_0000;
pub const TNEF_ENCODE: ULONG = 0x0000_0002;
pub const TNEF_PURE: ULONG = 0x0001_0000;
pub const TNEF_COMPATIBILITY: ULONG = 0x0002_0000;
pub const TNEF_BEST_DATA: ULONG = 0x0004_0000;
pub const TNEF_COMPONENT_ENCODING: ULONG = 0x8000_0000;
pub const TNEF_PROP_INCLUDE: ULONG = 0x0000_0001;
pub const TNEF_PROP_EXCLUDE: ULONG = 0x0000_0002;
pub const TNEF_PROP_CONTAINED: ULONG = 0x0000_0004;
pub const TNEF_PROP_MESSAGE_ONLY: ULONG = 0x0000_0008;
pub const TNEF_PROP_ATTACHMENTS_ONLY: ULONG = 0x0000_0010;
pub const TNEF_PROP_CONTAINED_TNEF: ULONG = 0x0000_0040;
pub const TNEF_COMPONENT_MESSAGE: ULONG = 0x0000_1000;
pub const TNEF_COMPONENT_ATTACHMENT: ULONG = 0x0000_2000;

/// One `AddProps` call.
struct Add {
    flags: ULONG,
    elem: ULONG,
    /// `None`: no list (everything).
    ids: Option<HashSet<u16>>,
    /// `TNEF_PROP_CONTAINED_TNEF`: the embedded message's stream to write instead.
    contained: Option<Tnef>,
}

/// One `SetProps` call (or `FinishComponent`'s custom values).
struct Override {
    elem: ULONG,
    values: Vec<(u32, PropValue)>,
}

#[derive(Default)]
struct Work {
    adds: Vec<Add>,
    overrides: Vec<Override>,
    /// `EncodeRecips` with a table: its rows replace the message's recipients.
    recipients: Option<Vec<Vec<(u32, PropValue)>>>,
    /// The stream as decoded, and where it started in the caller's stream.
    decoded: Option<(Arc<Tnef>, u64)>,
    /// `FinishComponent` wrote the stream's header.
    header_written: bool,
}

/// The state of one `ITnef`.
pub struct TnefEngine {
    stream: ComRef,
    message: ComRef,
    /// Held for the object's life, never called (there is no address book to resolve).
    _support: Option<ComRef>,
    _address_book: Option<ComRef>,
    name: String,
    flags: ULONG,
    key: u16,
    /// Taken out while a call works on it, so that no lock is held while the caller's
    /// objects run; a second thread meanwhile gets `MAPI_E_BUSY`.
    work: Mutex<Option<Work>>,
}

impl TnefEngine {
    /// # Safety
    /// Each pointer must be NULL or a live COM object of the interface its name says.
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn open(
        support: *mut std::ffi::c_void,
        stream: *mut std::ffi::c_void,
        name: String,
        flags: ULONG,
        message: *mut std::ffi::c_void,
        key: u16,
        address_book: *mut std::ffi::c_void,
    ) -> Result<TnefEngine> {
        let known =
            TNEF_ENCODE | TNEF_PURE | TNEF_COMPATIBILITY | TNEF_BEST_DATA | TNEF_COMPONENT_ENCODING;
        if flags & !known != 0 {
            return err(
                ErrorKind::UnknownFlags,
                format!("unknown OpenTnefStream flags 0x{:08X}", flags & !known),
            );
        }
        let modes = [TNEF_PURE, TNEF_COMPATIBILITY, TNEF_BEST_DATA]
            .iter()
            .filter(|&&m| flags & m != 0)
            .count();
        if modes > 1 {
            return err(
                ErrorKind::InvalidParameter,
                "TNEF_PURE, TNEF_COMPATIBILITY and TNEF_BEST_DATA exclude each other",
            );
        }
        if flags & TNEF_ENCODE == 0 && flags & (TNEF_COMPONENT_ENCODING | TNEF_PURE) != 0 {
            return err(
                ErrorKind::InvalidParameter,
                "TNEF_PURE and TNEF_COMPONENT_ENCODING are encoding options",
            );
        }
        if flags & TNEF_ENCODE != 0 && key == 0 {
            return err(ErrorKind::InvalidParameter, "the key must not be 0");
        }
        if flags & TNEF_ENCODE != 0 && (name.len() >= 260 || name.contains(['[', ']', ':'])) {
            return err(
                ErrorKind::InvalidParameter,
                "the stream name holds '[', ']' or ':' or is longer than MAX_PATH",
            );
        }
        // SAFETY: forwarded from the caller.
        let (stream, message) = unsafe { (ComRef::add_ref(stream), ComRef::add_ref(message)) };
        let stream = stream.ok_or_else(|| invalid("NULL stream"))?;
        let message = message.ok_or_else(|| invalid("NULL message"))?;
        Ok(TnefEngine {
            stream,
            message,
            // SAFETY: forwarded from the caller.
            _support: unsafe { ComRef::add_ref(support) },
            // SAFETY: forwarded from the caller.
            _address_book: unsafe { ComRef::add_ref(address_book) },
            name,
            flags,
            key,
            work: Mutex::new(Some(Work::default())),
        })
    }

    pub fn key(&self) -> u16 {
        self.key
    }

    /// The message given at open.
    pub fn message_ptr(&self) -> *mut std::ffi::c_void {
        self.message.as_ptr()
    }

    /// `OpenTaggedBody` for reading: `message`'s body tagged with this object's key and
    /// stream name.
    ///
    /// # Safety
    /// `message` must be a live `IMessage`.
    pub unsafe fn tagged_body(&self, message: *mut std::ffi::c_void) -> Result<Vec<u8>> {
        // SAFETY: forwarded from the caller.
        unsafe { super::tnef_tagged::tagged_body(message, self.key, &self.name) }
    }

    /// `OpenTaggedBody` for writing: what the stream's `Commit` does with the text written
    /// (`tnef_tagged::write_tagged` on `message`, held until the stream goes).
    ///
    /// # Safety
    /// `message` must be a live `IMessage`.
    pub unsafe fn tagged_writer(&self, message: *mut std::ffi::c_void) -> Result<OnCommit> {
        // SAFETY: forwarded from the caller.
        let message = unsafe { ComRef::add_ref(message) }.ok_or_else(|| invalid("NULL message"))?;
        let key = self.key;
        Ok(Box::new(move |text: &[u8]| {
            // SAFETY: the message, held by this closure.
            unsafe { super::tnef_tagged::write_tagged(message.as_ptr(), key, text) }
        }))
    }

    fn encoding(&self) -> bool {
        self.flags & TNEF_ENCODE != 0
    }

    fn mode(&self) -> Mode {
        if self.flags & TNEF_PURE != 0 {
            Mode::Pure
        } else if self.flags & TNEF_COMPATIBILITY != 0 {
            Mode::Compatibility
        } else {
            Mode::BestData
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Work) -> Result<T>) -> Result<T> {
        let mut work = self
            .work
            .lock()
            .take()
            .ok_or_else(|| Error::new(ErrorKind::Busy, "another thread is using this ITnef"))?;
        let r = f(&mut work);
        *self.work.lock() = Some(work);
        r
    }

    fn need(&self, encoding: bool, method: &str) -> Result<()> {
        if self.encoding() != encoding {
            let mode = if encoding {
                "TNEF_ENCODE"
            } else {
                "TNEF_DECODE"
            };
            return err(
                ErrorKind::InvalidParameter,
                format!("{method} needs an object opened with {mode}"),
            );
        }
        Ok(())
    }

    // ===== encoding: queued work =====

    /// `AddProps`. `contained` is the stream `TNEF_PROP_CONTAINED_TNEF` gave, read.
    pub fn add_props(
        &self,
        flags: ULONG,
        elem: ULONG,
        tags: Option<Vec<u32>>,
        contained: Option<ComRef>,
    ) -> Result<()> {
        self.need(true, "AddProps")?;
        let known = TNEF_PROP_INCLUDE
            | TNEF_PROP_EXCLUDE
            | TNEF_PROP_CONTAINED
            | TNEF_PROP_MESSAGE_ONLY
            | TNEF_PROP_ATTACHMENTS_ONLY
            | TNEF_PROP_CONTAINED_TNEF;
        unknown(flags, known)?;
        if flags & TNEF_PROP_INCLUDE != 0 && flags & TNEF_PROP_EXCLUDE != 0 {
            return err(
                ErrorKind::InvalidParameter,
                "TNEF_PROP_INCLUDE and TNEF_PROP_EXCLUDE exclude each other",
            );
        }
        if flags & TNEF_PROP_MESSAGE_ONLY != 0 && flags & TNEF_PROP_ATTACHMENTS_ONLY != 0 {
            return err(
                ErrorKind::InvalidParameter,
                "TNEF_PROP_MESSAGE_ONLY and TNEF_PROP_ATTACHMENTS_ONLY exclude each other",
            );
        }
        if flags & (TNEF_PROP_CONTAINED | TNEF_PROP_CONTAINED_TNEF) != 0 && elem == 0 {
            return err(
                ErrorKind::InvalidParameter,
                "TNEF_PROP_CONTAINED needs the attachment's PR_ATTACH_NUM",
            );
        }
        let contained = match (flags & TNEF_PROP_CONTAINED_TNEF != 0, contained) {
            (true, Some(s)) => {
                let mut bytes = Vec::new();
                ComStream::new(s)
                    .read_to_end(&mut bytes)
                    .map_err(|e| from_io("reading the contained TNEF stream", &e))?;
                Some(tnef_read::read(&bytes)?)
            }
            (true, None) => return Err(invalid("TNEF_PROP_CONTAINED_TNEF without a stream")),
            (false, _) => None,
        };
        let ids = tags.map(|t| t.iter().map(|&t| prop_id(t)).collect());
        self.with(|w| {
            w.adds.push(Add {
                flags,
                elem,
                ids,
                contained,
            });
            Ok(())
        })
    }

    /// `SetProps`: values written instead of the message's (or an attachment's).
    pub fn set_props(
        &self,
        flags: ULONG,
        elem: ULONG,
        values: Vec<(u32, PropValue)>,
    ) -> Result<()> {
        self.need(true, "SetProps")?;
        unknown(flags, TNEF_PROP_CONTAINED)?;
        if flags & TNEF_PROP_CONTAINED == 0 && elem != 0 {
            return err(
                ErrorKind::InvalidParameter,
                "an attachment's values need TNEF_PROP_CONTAINED",
            );
        }
        if values.iter().any(|(t, _)| prop_id(*t) >= 0x8000) {
            return err(
                ErrorKind::InvalidParameter,
                "SetProps takes no named property (its name is not known here)",
            );
        }
        self.with(|w| {
            w.overrides.push(Override { elem, values });
            Ok(())
        })
    }

    /// `EncodeRecips`: the recipients come from `table` (NULL: the message's own).
    ///
    /// # Safety
    /// `table` must be NULL or a live `IMAPITable`.
    pub unsafe fn encode_recips(&self, flags: ULONG, table: *mut std::ffi::c_void) -> Result<()> {
        self.need(true, "EncodeRecips")?;
        unknown(flags, 0)?;
        // SAFETY: forwarded from the caller.
        let rows = match unsafe { ComRef::add_ref(table) } {
            None => None,
            // SAFETY: the caller's table.
            Some(t) => Some(unsafe { all_rows(&t)? }),
        };
        self.with(|w| {
            match rows {
                Some(rows) => w.recipients = Some(rows),
                None => w.adds.push(Add {
                    flags: TNEF_PROP_INCLUDE,
                    elem: 0,
                    ids: Some([prop_id(PR_MESSAGE_RECIPIENTS)].into_iter().collect()),
                    contained: None,
                }),
            }
            Ok(())
        })
    }

    /// `Finish`: encoding writes the stream; decoding leaves the caller's stream at the end
    /// of the TNEF data. Returns the problems.
    pub fn finish(&self, flags: ULONG) -> Result<Vec<STnefProblem>> {
        unknown(flags, 0)?;
        if !self.encoding() {
            let (t, start) = self.decoded()?;
            self.seek(start + t.consumed as u64)?;
            return Ok(Vec::new());
        }
        if self.flags & TNEF_COMPONENT_ENCODING != 0 && self.with(|w| Ok(w.header_written))? {
            return Ok(Vec::new());
        }
        let (t, problems) = self.encode(None)?;
        let bytes = tnef_write::write(&t);
        self.write(&bytes)?;
        Ok(problems)
    }

    /// `FinishComponent`: writes the message's attributes (`TNEF_COMPONENT_MESSAGE`, with the
    /// stream's header) or one attachment's (`TNEF_COMPONENT_ATTACHMENT`, `id` its
    /// `PR_ATTACH_NUM`).
    pub fn finish_component(
        &self,
        flags: ULONG,
        id: ULONG,
        custom: Vec<(u32, PropValue)>,
        tags: Option<Vec<u32>>,
    ) -> Result<Vec<STnefProblem>> {
        self.need(true, "FinishComponent")?;
        if self.flags & TNEF_COMPONENT_ENCODING == 0 {
            return err(
                ErrorKind::InvalidParameter,
                "FinishComponent needs TNEF_COMPONENT_ENCODING at OpenTnefStream",
            );
        }
        unknown(flags, TNEF_COMPONENT_MESSAGE | TNEF_COMPONENT_ATTACHMENT)?;
        let message = match flags {
            TNEF_COMPONENT_MESSAGE if id == 0 => true,
            TNEF_COMPONENT_ATTACHMENT if id != 0 => false,
            _ => {
                return err(
                    ErrorKind::InvalidParameter,
                    "one of TNEF_COMPONENT_MESSAGE (id 0) or TNEF_COMPONENT_ATTACHMENT (its PR_ATTACH_NUM)",
                );
            }
        };
        let elem = if message { 0 } else { id };
        let ids = tags.map(|t| t.iter().map(|&t| prop_id(t)).collect());
        let add = Add {
            flags: if message {
                TNEF_PROP_INCLUDE | TNEF_PROP_MESSAGE_ONLY
            } else {
                TNEF_PROP_CONTAINED
            },
            elem,
            ids,
            contained: None,
        };
        let extra = (!custom.is_empty()).then_some(Override {
            elem,
            values: custom,
        });
        let (mut t, problems) = self.encode(Some((add, extra)))?;
        let bytes = if message {
            t.attachments.clear();
            tnef_write::write(&t)
        } else {
            let a = t.attachments.pop().ok_or_else(|| {
                Error::new(ErrorKind::NotFound, format!("no attachment number {id}"))
            })?;
            let only = Tnef {
                attachments: vec![a],
                ..Tnef::default()
            };
            // The records after the header and attTnefVersion.
            let all = tnef_write::write(&only);
            all[codec::HEADER_LEN + codec::RECORD_OVERHEAD + 4..].to_vec()
        };
        self.write(&bytes)?;
        if message {
            self.with(|w| {
                w.header_written = true;
                Ok(())
            })?;
        }
        Ok(problems)
    }

    fn write(&self, bytes: &[u8]) -> Result<()> {
        let mut s = ComStream::new(self.stream.clone());
        s.write_all(bytes)
            .map_err(|e| from_io("writing the TNEF stream", &e))
    }

    fn seek(&self, to: u64) -> Result<u64> {
        ComStream::new(self.stream.clone())
            .seek(SeekFrom::Start(to))
            .map_err(|e| from_io("seeking the TNEF stream", &e))
    }

    /// Encodes what was asked (`one`: a component's own request instead of the queue).
    fn encode(&self, one: Option<(Add, Option<Override>)>) -> Result<(Tnef, Vec<STnefProblem>)> {
        let (adds, overrides, recipients) = self.with(|w| {
            Ok(match one {
                Some((add, extra)) => (vec![add], extra.into_iter().collect(), None),
                None => (
                    std::mem::take(&mut w.adds),
                    std::mem::take(&mut w.overrides),
                    w.recipients.take(),
                ),
            })
        })?;
        let src = self.message.as_ptr();
        // SAFETY: the message given at open, alive while we hold it.
        let unicode = unsafe { is_unicode(src) };
        let scratch = Scratch::new(unicode)?;
        let mut problems = Vec::new();
        let attachment_adds: Vec<&Add> = adds
            .iter()
            .filter(|a| a.elem != 0 || a.flags & TNEF_PROP_ATTACHMENTS_ONLY != 0)
            .collect();
        if let Some(mut select) = message_select(&adds) {
            let attach = prop_id(PR_MESSAGE_ATTACHMENTS);
            if !attachment_adds.is_empty() {
                match &mut select {
                    Select::Include(ids) => {
                        ids.insert(attach);
                    }
                    Select::Exclude(ids) => {
                        ids.remove(&attach);
                    }
                }
            }
            // SAFETY: both messages are live; the problem array is ours to free.
            let copied = unsafe {
                copy_to::run(Request {
                    src,
                    kind: Kind::Message,
                    alloc: Allocators::ours(),
                    unicode,
                    excluded_iids: Vec::new(),
                    iid: Some(IID_IMessage),
                    dest: scratch.obj.as_ptr(),
                    flags: 0,
                    select,
                    progress: std::ptr::null_mut(),
                })
            }?;
            // SAFETY: NULL or the array the copy built with our allocator.
            problems.extend(unsafe { copy_problems(copied) });
        }
        if let Some(rows) = recipients {
            scratch.file.modify_recipients(scratch.node, 0, rows)?;
        }
        let cp = codepage_of(&scratch.file, scratch.node);
        let (mode, key) = (self.mode(), self.key);
        let nested = |m: &legacy::Message| legacy::encode(m, mode, key, cp);
        let (mut msg, troubles) = tnef_message::extract(&scratch.file, scratch.node, &nested)?;
        // Attachments in the source's order: the copy created them in its table's order.
        let nums = if msg.attachments.is_empty() {
            Vec::new()
        } else {
            // SAFETY: the message is live.
            unsafe { attachment_numbers(src)? }
        };
        problems.extend(
            troubles
                .iter()
                .filter(|t| !owned_by_target(t.tag, scode_of(t.kind)))
                .map(|t| trouble(t, &nums)),
        );
        let all_attachments =
            message_select(&adds).is_some_and(|s| s.wants(prop_id(PR_MESSAGE_ATTACHMENTS)));
        let mut kept = Vec::new();
        for (i, mut props) in std::mem::take(&mut msg.attachments).into_iter().enumerate() {
            let num = nums.get(i).copied().unwrap_or(i as ULONG);
            let mine: Vec<&&Add> = attachment_adds
                .iter()
                .filter(|a| a.elem == num || (a.elem == 0))
                .collect();
            let specific = mine.iter().any(|a| a.elem == num);
            if !all_attachments && !specific && !mine.iter().any(|a| a.elem == 0) {
                continue;
            }
            for a in &mine {
                filter(&mut props, a);
                if let Some(t) = &a.contained {
                    props.retain(|p| prop_id(p.tag) != prop_id(PR_ATTACH_DATA_OBJ));
                    props.push(codec::Prop {
                        tag: PR_ATTACH_DATA_OBJ,
                        name: None,
                        value: codec::Value::Object(codec::Object {
                            iid: codec::IID_IMESSAGE,
                            data: codec::ObjectData::Message(Box::new(t.clone())),
                        }),
                    });
                }
            }
            for o in overrides.iter().filter(|o| o.elem == num && o.elem != 0) {
                apply(&mut props, &o.values);
            }
            kept.push(props);
        }
        msg.attachments = kept;
        for o in overrides.iter().filter(|o| o.elem == 0) {
            apply(&mut msg.props, &o.values);
        }
        Ok((legacy::encode(&msg, mode, key, cp), problems))
    }

    // ===== decoding =====

    /// The stream, read and decoded once (from where it stood at the first call).
    fn decoded(&self) -> Result<(Arc<Tnef>, u64)> {
        if let Some(d) = self.with(|w| Ok(w.decoded.clone()))? {
            return Ok(d);
        }
        let mut s = ComStream::new(self.stream.clone());
        let start = s
            .stream_position()
            .map_err(|e| from_io("reading the TNEF stream", &e))?;
        let mut bytes = Vec::new();
        s.read_to_end(&mut bytes)
            .map_err(|e| from_io("reading the TNEF stream", &e))?;
        let t = Arc::new(tnef_read::read(&bytes)?);
        let d = (t, start);
        self.with(|w| {
            w.decoded = Some(d.clone());
            Ok(())
        })?;
        Ok(d)
    }

    /// `ExtractProps`: puts what the stream holds into the message now (all of it, only
    /// `TNEF_PROP_INCLUDE`'s properties, or all but `TNEF_PROP_EXCLUDE`'s).
    pub fn extract_props(&self, flags: ULONG, tags: Option<Vec<u32>>) -> Result<Vec<STnefProblem>> {
        self.need(false, "ExtractProps")?;
        unknown(flags, TNEF_PROP_INCLUDE | TNEF_PROP_EXCLUDE)?;
        let ids: HashSet<u16> = tags.iter().flatten().map(|&t| prop_id(t)).collect();
        let select = match (
            flags & TNEF_PROP_INCLUDE != 0,
            flags & TNEF_PROP_EXCLUDE != 0,
        ) {
            (true, true) => {
                return err(
                    ErrorKind::InvalidParameter,
                    "TNEF_PROP_INCLUDE and TNEF_PROP_EXCLUDE exclude each other",
                );
            }
            (true, false) if tags.is_some() => Select::Include(ids),
            (false, true) => Select::Exclude(ids),
            _ => Select::all(),
        };
        let (t, _) = self.decoded()?;
        let mut problems: Vec<STnefProblem> = t
            .problems
            .iter()
            .map(|p| STnefProblem {
                ulComponent: match p.component {
                    Component::Message => 0,
                    Component::Attachment(i) => i as ULONG,
                },
                ulAttribute: p.attribute,
                ulPropTag: p.tag,
                scode: match p.kind {
                    ProblemKind::BadChecksum | ProblemKind::TrailingData => MAPI_E_CORRUPT_DATA,
                    ProblemKind::Truncated | ProblemKind::Corrupt | ProblemKind::TooDeep => {
                        MAPI_E_UNABLE_TO_COMPLETE
                    }
                },
            })
            .collect();
        // Into a Unicode message of ours, everything: filled directly, as the scratch
        // message would be (the same model calls its SetProps makes), without the scratch
        // message's save and the copy through the vtables, which cost most of the time.
        // SAFETY: the message given at open, alive while we hold it.
        let ours = unsafe { ComObject::<MessageShell>::this_as(self.message.as_ptr()) }
            .filter(|m| m.inner.file.is_unicode(m.inner.node));
        if let (Some(m), Select::Exclude(ids)) = (ours, &select)
            && ids.is_empty()
        {
            let troubles = tnef_message::fill(&m.inner.file, m.inner.node, &t)?;
            problems.extend(
                troubles
                    .iter()
                    .filter(|t| !owned_by_target(t.tag, scode_of(t.kind)))
                    .map(|t| trouble(t, &[])),
            );
            return Ok(problems);
        }
        let scratch = Scratch::new(true)?;
        let troubles = tnef_message::fill(&scratch.file, scratch.node, &t)?;
        problems.extend(
            troubles
                .iter()
                .filter(|t| !owned_by_target(t.tag, scode_of(t.kind)))
                .map(|t| trouble(t, &[])),
        );
        scratch.file.save(scratch.node)?;
        // SAFETY: both messages are live; the problem array is ours to free.
        let copied = unsafe {
            copy_to::run(Request {
                src: scratch.obj.as_ptr(),
                kind: Kind::Message,
                alloc: Allocators::ours(),
                unicode: true,
                excluded_iids: Vec::new(),
                iid: Some(IID_IMessage),
                dest: self.message.as_ptr(),
                flags: 0,
                select,
                progress: std::ptr::null_mut(),
            })
        }?;
        // SAFETY: NULL or the array the copy built with our allocator.
        problems.extend(unsafe { copy_problems(copied) });
        Ok(problems)
    }
}

fn invalid(what: &str) -> Error {
    Error::new(ErrorKind::InvalidParameter, what.to_string())
}

fn unknown(flags: ULONG, allowed: ULONG) -> Result<()> {
    if flags & !allowed != 0 {
        return err(
            ErrorKind::UnknownFlags,
            format!("unknown flags 0x{:08X}", flags & !allowed),
        );
    }
    Ok(())
}

/// The copy's selection for the message itself (`None`: nothing was asked for it).
fn message_select(adds: &[Add]) -> Option<Select> {
    let own: Vec<&Add> = adds
        .iter()
        .filter(|a| a.elem == 0 && a.flags & TNEF_PROP_ATTACHMENTS_ONLY == 0)
        .collect();
    if own.is_empty() {
        return None;
    }
    let message_only = |a: &Add| a.flags & TNEF_PROP_MESSAGE_ONLY != 0;
    if let Some(ex) = own.iter().find(|a| a.flags & TNEF_PROP_INCLUDE == 0) {
        let mut ids: HashSet<u16> = ex.ids.clone().unwrap_or_default();
        if message_only(ex) {
            ids.insert(prop_id(PR_MESSAGE_ATTACHMENTS));
        }
        return Some(Select::Exclude(ids));
    }
    let mut ids = HashSet::new();
    for a in own {
        match &a.ids {
            Some(list) => ids.extend(list.iter().copied()),
            // INCLUDE without a list: everything.
            None => return Some(Select::all()),
        }
    }
    Some(Select::Include(ids))
}

/// Keeps an attachment's properties as `AddProps` chose.
fn filter(props: &mut Vec<codec::Prop>, a: &Add) {
    let Some(ids) = &a.ids else { return };
    if a.flags & TNEF_PROP_INCLUDE != 0 {
        props.retain(|p| ids.contains(&prop_id(p.tag)));
    } else if a.flags & TNEF_PROP_EXCLUDE != 0 {
        props.retain(|p| !ids.contains(&prop_id(p.tag)));
    }
}

/// Overrides values by id (a value of `PT_ERROR` removes the property).
fn apply(props: &mut Vec<codec::Prop>, values: &[(u32, PropValue)]) {
    for (tag, v) in values {
        props.retain(|p| prop_id(p.tag) != prop_id(*tag));
        if !matches!(v, PropValue::Error(_) | PropValue::Null) {
            props.push(codec::Prop::new(*tag, v.clone()));
        }
    }
}

/// `GetTnefStreamCodepage` over a caller's stream: reads from its position to the end,
/// then puts the position back.
pub fn stream_codepage(stream: ComRef) -> Result<(u32, u32)> {
    let mut s = ComStream::new(stream);
    // A stream that cannot be read is not corrupt data (the export says which is which).
    let disk = |e: std::io::Error| {
        let e = from_io("reading the TNEF stream", &e);
        Error::new(ErrorKind::StgReadFault, e.message)
    };
    let start = s.stream_position().map_err(disk)?;
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).map_err(disk)?;
    s.seek(SeekFrom::Start(start)).map_err(disk)?;
    tnef_read::read_codepage(&bytes)
}
