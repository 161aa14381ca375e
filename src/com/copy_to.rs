//! `CopyTo` and `CopyProps` of messages and attachments (`spec/mapi-abi.md` §10.2): the
//! request's checks and the copy of one object, step by step. The values step is in
//! `copy_values.rs`, the sub-objects (recipients, attachments, an attachment's object) in
//! `copy_children.rs`, the progress object's calls in `progress.rs`.
//!
//! The copy is driven entirely through interface pointers: the source (one of our messages
//! or attachments) is read through its own vtable and the destination written through its
//! vtable, so the same code copies into our messages and into a caller's own `IMessage`.
//! No lock of ours is held while the destination runs: every source call takes and drops
//! the file's lock by itself. Buffers the destination returns (problem arrays, tag arrays)
//! are freed with the source's `lpFreeBuffer`: MAPI code in one process shares one
//! `MAPIAllocateBuffer` family. Each source message is asked in its own string width (an
//! embedded message may store the other width than its parent), so strings come as stored.
//!
//! Problems: a property that cannot be copied, at any depth, is one entry of the problem
//! array with its tag and SCODE, and so is a sub-object that cannot be copied at all (its
//! set's tag: `PR_MESSAGE_RECIPIENTS`, `PR_MESSAGE_ATTACHMENTS`, `PR_ATTACH_DATA_OBJ`); the
//! copy goes on. `ulIndex` says where: for a property of the object the caller called, its
//! position among the properties copied; inside a recipient, the recipient's row in the
//! source's table; inside an attachment of the message (its embedded message included),
//! the attachment's `PR_ATTACH_NUM`; inside the object of an attachment the caller called,
//! 0. Only a failure of the called object's own properties fails the call.

use std::collections::{HashMap, HashSet};
use std::ffi::c_void;

use super::foreign::ComRef;
use super::guids::*;
use super::mapimem::Allocators;
use super::progress::{Progress, Steps};
use super::scode::{kind_of_scode, scode_of};
use super::types::*;
use super::vtbl::{IUnknownVtbl, Interface};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};
use crate::model::prop::prop_id;
use crate::model::prop::tags::*;

/// `hr` as an error saying what failed, of the kind its SCODE means.
pub(super) fn check(hr: HRESULT, what: &str) -> Result<()> {
    if hr < 0 {
        Err(Error::new(
            kind_of_scode(hr),
            format!("{what} failed with 0x{:08X}", hr as u32),
        ))
    } else {
        Ok(())
    }
}

/// An object's vtable, viewed as `V`.
///
/// # Safety
/// `p` must be a live interface pointer whose vtable starts like `V`, alive for `'a`.
pub(super) unsafe fn vtbl<'a, V>(p: *mut c_void) -> &'a V {
    // SAFETY: forwarded from the caller.
    unsafe { &*(*(p as *const Interface<V>)).lpVtbl }
}

/// A reference an out-parameter handed us; NULL after success is the callee's fault.
///
/// # Safety
/// `p` must be NULL or a live COM interface pointer whose reference is ours.
pub(super) unsafe fn took(p: *mut c_void, what: &str) -> Result<ComRef> {
    // SAFETY: forwarded from the caller.
    unsafe { ComRef::from_raw(p) }
        .ok_or_else(|| Error::new(ErrorKind::CallFailed, format!("{what} gave no object")))
}

/// A buffer a call allocated for us, freed with the copy's `lpFreeBuffer` on drop.
pub(super) struct Buffer<T> {
    pub(super) ptr: *mut T,
    alloc: Allocators,
}

impl<T> Buffer<T> {
    pub(super) fn new(alloc: &Allocators) -> Buffer<T> {
        Buffer {
            ptr: std::ptr::null_mut(),
            alloc: *alloc,
        }
    }

    /// Takes over a buffer already allocated.
    pub(super) fn of(alloc: &Allocators, ptr: *mut T) -> Buffer<T> {
        Buffer { ptr, alloc: *alloc }
    }

    /// The out-parameter to hand to the call that fills it.
    pub(super) fn out(&mut self) -> *mut *mut T {
        &mut self.ptr
    }
}

impl<T> Drop for Buffer<T> {
    fn drop(&mut self) {
        self.alloc.free(self.ptr.cast());
    }
}

/// Which properties to copy.
pub enum Select {
    /// Everything but these property ids (`CopyTo`).
    Exclude(HashSet<u16>),
    /// Only these property ids (`CopyProps`).
    Include(HashSet<u16>),
}

impl Select {
    pub(super) fn wants(&self, id: u16) -> bool {
        match self {
            Select::Exclude(ids) => !ids.contains(&id),
            Select::Include(ids) => ids.contains(&id),
        }
    }

    pub(super) fn all() -> Select {
        Select::Exclude(HashSet::new())
    }
}

/// What a copied object is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Message,
    Attachment,
}

/// A `CopyTo`/`CopyProps` call, its arguments translated.
pub struct Request {
    /// The object the call came through.
    pub src: *mut c_void,
    pub kind: Kind,
    pub alloc: Allocators,
    /// The source (or, for an attachment, its message) stores strings as Unicode; each
    /// embedded message is asked in its own width (the copy keeps the stored widths).
    pub unicode: bool,
    pub excluded_iids: Vec<IID>,
    pub iid: Option<IID>,
    pub dest: *mut c_void,
    pub flags: ULONG,
    pub select: Select,
    /// `lpProgress`: NULL or the caller's `IMAPIProgress`.
    pub progress: *mut c_void,
}

/// The copy of one source tree into one destination tree.
pub struct Copier {
    pub(super) alloc: Allocators,
    pub(super) flags: ULONG,
    /// `MAPI_UNICODE` when the source message being copied stores Unicode strings: each
    /// message is asked in its own width, so its strings come as stored.
    pub(super) uflag: ULONG,
    progress: Option<Progress>,
    /// Source named-property id → destination id (`None`: no name, or not mappable). One
    /// map serves the whole tree: a container shares one name map (OXMSG 3.1).
    pub(super) names: HashMap<u16, Option<u16>>,
    problems: Vec<SPropProblem>,
    /// The `ulIndex` of problems inside the sub-object being copied.
    scope: Option<ULONG>,
}

/// Runs a copy; returns the problem array (NULL when there is none).
///
/// # Safety
/// `src` must be the live object the call came through; `dest` NULL or a live COM object;
/// `progress` NULL or a live `IMAPIProgress`.
pub unsafe fn run(req: Request) -> Result<*mut SPropProblemArray> {
    let allowed = MAPI_MOVE | MAPI_NOREPLACE | MAPI_DECLINE_OK | MAPI_DIALOG;
    if req.flags & !allowed != 0 {
        return err(
            ErrorKind::UnknownFlags,
            format!("unknown CopyTo flags 0x{:08X}", req.flags),
        );
    }
    let Some(iid) = req.iid else {
        return err(ErrorKind::InvalidParameter, "NULL interface id");
    };
    if req.dest.is_null() {
        return err(ErrorKind::InvalidParameter, "NULL destination");
    }
    let own = match req.kind {
        Kind::Message => IID_IMessage,
        Kind::Attachment => IID_IAttachment,
    };
    // The interface and its bases; excluding any of them excludes the interface.
    if ![own, IID_IMAPIProp, IID_IUnknown].contains(&iid) {
        return err(
            ErrorKind::InterfaceNotSupported,
            "destination interface not supported",
        );
    }
    if req
        .excluded_iids
        .iter()
        .any(|x| *x == iid || *x == IID_IMAPIProp || *x == IID_IUnknown)
    {
        return err(
            ErrorKind::InterfaceNotSupported,
            "every interface is excluded",
        );
    }
    let full = iid == own;
    let ask = if full { own } else { IID_IMAPIProp };
    let mut typed = std::ptr::null_mut();
    // SAFETY: `dest` is a live COM object; the out-parameter is ours.
    let hr = unsafe { (vtbl::<IUnknownVtbl>(req.dest).QueryInterface)(req.dest, &ask, &mut typed) };
    // SAFETY: on success `typed` is a reference of ours.
    let dest = match (hr >= 0)
        .then(|| unsafe { ComRef::from_raw(typed) })
        .flatten()
    {
        Some(d) => d,
        None => {
            return err(
                ErrorKind::InterfaceNotSupported,
                "the destination lacks the interface",
            );
        }
    };
    if dest.as_ptr() == req.src || req.dest == req.src {
        return err(
            ErrorKind::NoAccess,
            "source and destination are the same object",
        );
    }
    let mut copier = Copier {
        alloc: req.alloc,
        flags: req.flags,
        uflag: if req.unicode { MAPI_UNICODE } else { 0 },
        // `lpProgress` is ignored without MAPI_DIALOG (IMAPIProp::CopyTo).
        progress: if req.flags & MAPI_DIALOG != 0 {
            // SAFETY: forwarded from the caller.
            unsafe { Progress::new(req.progress) }
        } else {
            None
        },
        names: HashMap::new(),
        problems: Vec::new(),
        scope: None,
    };
    // SAFETY: `src` is live; `dest` was checked to implement the interface.
    unsafe { copier.copy_object(req.src, dest.as_ptr(), req.kind, full, &req.select)? };
    super::marshal::problem_array_out(&copier.alloc, &copier.problems)
}

impl Copier {
    /// Whether this is the object the caller called (`MAPI_MOVE` applies to it only).
    pub(super) fn top(&self) -> bool {
        self.scope.is_none()
    }

    /// Records a problem; `index` counts when the problem is the called object's own.
    pub(super) fn problem(&mut self, index: usize, tag: u32, scode: SCODE) {
        self.problems.push(SPropProblem {
            ulIndex: self.scope.unwrap_or(index as ULONG),
            ulPropTag: tag,
            scode,
        });
    }

    /// Runs one sub-object's copy: a failure becomes a problem of `tag` and the copy goes
    /// on. Returns whether it succeeded.
    pub(super) fn guarded(
        &mut self,
        index: usize,
        tag: u32,
        copy: impl FnOnce(&mut Self) -> Result<()>,
    ) -> bool {
        match copy(self) {
            Ok(()) => true,
            Err(e) => {
                self.problem(index, tag, scode_of(e.kind));
                false
            }
        }
    }

    /// Runs `copy` with the problems inside it reported under `index` (an outer sub-object's
    /// index stays).
    pub(super) fn within<R>(&mut self, index: ULONG, copy: impl FnOnce(&mut Self) -> R) -> R {
        let outer = self.scope;
        self.scope = Some(outer.unwrap_or(index));
        let r = copy(self);
        self.scope = outer;
        r
    }

    /// Runs `copy` asking the source for strings in `uflag`'s width (that of the message
    /// being copied).
    pub(super) fn in_width<R>(&mut self, uflag: ULONG, copy: impl FnOnce(&mut Self) -> R) -> R {
        let outer = std::mem::replace(&mut self.uflag, uflag);
        let r = copy(self);
        self.uflag = outer;
        r
    }

    /// Copies the properties and, with `sub_objects` (the destination has the full
    /// interface), the sub-objects of `src` into `dst`, reporting progress per item.
    ///
    /// # Safety
    /// `src` and `dst` must be live pointers to objects of kind `kind`.
    pub(super) unsafe fn copy_object(
        &mut self,
        src: *mut c_void,
        dst: *mut c_void,
        kind: Kind,
        sub_objects: bool,
        select: &Select,
    ) -> Result<()> {
        // SAFETY: both are live (forwarded).
        unsafe {
            let (tags, has_object) = self.source_tags(src, select)?;
            let moving = self.flags & MAPI_MOVE != 0 && self.top();
            // The items, counted before the work for the progress object.
            let recipients = kind == Kind::Message
                && sub_objects
                && select.wants(prop_id(PR_MESSAGE_RECIPIENTS));
            let attachments = if kind == Kind::Message
                && sub_objects
                && select.wants(prop_id(PR_MESSAGE_ATTACHMENTS))
            {
                let mut nums = Vec::new();
                self.guarded(0, PR_MESSAGE_ATTACHMENTS, |c| {
                    nums = c.attachment_numbers(src)?;
                    Ok(())
                });
                nums
            } else {
                Vec::new()
            };
            let object = kind == Kind::Attachment
                && sub_objects
                && has_object
                && select.wants(prop_id(PR_ATTACH_DATA_OBJ));
            let total = 1 + recipients as usize + attachments.len() + object as usize;
            let mut steps = Steps::begin(self.progress, total);
            steps.start(false);
            let method = self.copy_values(src, dst, &tags)?;
            steps.end();
            if recipients {
                steps.start(false);
                let copied =
                    self.guarded(0, PR_MESSAGE_RECIPIENTS, |c| c.copy_recipients(src, dst));
                if copied && moving {
                    self.guarded(0, PR_MESSAGE_RECIPIENTS, |_| clear_recipients(src));
                }
                steps.end();
            }
            for &num in &attachments {
                steps.start(true);
                self.guarded(num as usize, PR_MESSAGE_ATTACHMENTS, |c| {
                    c.within(num, |c| c.copy_attachment(src, dst, num, moving))
                });
                steps.end();
            }
            if object {
                steps.start(method == Some(ATTACH_EMBEDDED_MSG));
                self.guarded(0, PR_ATTACH_DATA_OBJ, |c| {
                    c.within(0, |c| c.copy_attach_object(src, dst, method))
                });
                steps.end();
            }
            Ok(())
        }
    }
}

/// Empties a message's recipient list (`ModifyRecipients` with no entries replaces it).
///
/// # Safety
/// `msg` must be a live `IMessage`.
unsafe fn clear_recipients(msg: *mut c_void) -> Result<()> {
    let mut empty = ADRLIST {
        cRows: 0,
        aRow: [SRow {
            ulAdrEntryPad: 0,
            cValues: 0,
            lpProps: std::ptr::null_mut(),
        }],
    };
    // SAFETY: `msg` is live; the list has no entries.
    unsafe {
        let v = vtbl::<super::vtbl::IMessageVtbl>(msg);
        check(
            (v.ModifyRecipients)(msg, 0, &mut empty),
            "ModifyRecipients on the source",
        )
    }
}
