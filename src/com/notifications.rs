//! `NOTIFICATION` arrays packed into one block: the sizes of `ScCountNotifications`, the
//! copies of `ScCopyNotifications` and the pointer rewriting of `ScRelocNotifications`.
//!
//! The layout is ours (Microsoft documents none): the notifications, then for each in turn
//! the data its event type points at, each piece starting at a multiple of 8 so that the
//! structures in it (`MAPIERROR`, `SPropTagArray`, `SPropValue` arrays) can be read in
//! place. A notification's property values (a table row, a status object's values) are
//! packed as `ScCopyProps` packs them (`packed_props`). A table notification's inline
//! `propIndex` and `propPrior` values that point at data (a binary instance key, say) keep
//! that data in a packed one-value array whose `SPropValue` the copy does not use; values
//! without data (`PT_NULL`, a `PT_LONG`) take nothing.
//!
//! Strings are those of the event's flags: a `MAPI_UNICODE` error or new-mail notification
//! carries UTF-16 strings, otherwise 8-bit ones.

// The SDK's names for the structures, fields and event types (mapidefs.h declares them for C).
#![allow(non_snake_case, non_camel_case_types, non_upper_case_globals)]

use std::ffi::{c_int, c_void};

use super::packed_props::{self, Values};
use super::types::*;
use crate::consts::*;

pub const fnevCriticalError: ULONG = 0x0000_0001;
pub const fnevNewMail: ULONG = 0x0000_0002;
pub const fnevObjectCreated: ULONG = 0x0000_0004;
pub const fnevObjectDeleted: ULONG = 0x0000_0008;
pub const fnevObjectModified: ULONG = 0x0000_0010;
pub const fnevObjectMoved: ULONG = 0x0000_0020;
pub const fnevObjectCopied: ULONG = 0x0000_0040;
pub const fnevSearchComplete: ULONG = 0x0000_0080;
pub const fnevTableModified: ULONG = 0x0000_0100;
pub const fnevStatusObjectModified: ULONG = 0x0000_0200;
pub const fnevReservedForMapi: ULONG = 0x4000_0000;
pub const fnevExtended: ULONG = 0x8000_0000;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ERROR_NOTIFICATION {
    pub cbEntryID: ULONG,
    pub lpEntryID: *mut u8,
    pub scode: SCODE,
    pub ulFlags: ULONG,
    pub lpMAPIError: *mut MAPIERROR,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct NEWMAIL_NOTIFICATION {
    pub cbEntryID: ULONG,
    pub lpEntryID: *mut u8,
    pub cbParentID: ULONG,
    pub lpParentID: *mut u8,
    pub ulFlags: ULONG,
    pub lpszMessageClass: *mut c_void,
    pub ulMessageFlags: ULONG,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct OBJECT_NOTIFICATION {
    pub cbEntryID: ULONG,
    pub lpEntryID: *mut u8,
    pub ulObjType: ULONG,
    pub cbParentID: ULONG,
    pub lpParentID: *mut u8,
    pub cbOldID: ULONG,
    pub lpOldID: *mut u8,
    pub cbOldParentID: ULONG,
    pub lpOldParentID: *mut u8,
    pub lpPropTagArray: *mut SPropTagArray,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct TABLE_NOTIFICATION {
    pub ulTableEvent: ULONG,
    pub hResult: HRESULT,
    pub propIndex: SPropValue,
    pub propPrior: SPropValue,
    pub row: SRow,
    pub ulPad: ULONG,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct EXTENDED_NOTIFICATION {
    pub ulEvent: ULONG,
    pub cb: ULONG,
    pub pbEventParameters: *mut u8,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct STATUS_OBJECT_NOTIFICATION {
    pub cbEntryID: ULONG,
    pub lpEntryID: *mut u8,
    pub cValues: ULONG,
    pub lpPropVals: *mut SPropValue,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union NOTIFICATION_INFO {
    pub err: ERROR_NOTIFICATION,
    pub newmail: NEWMAIL_NOTIFICATION,
    pub obj: OBJECT_NOTIFICATION,
    pub tab: TABLE_NOTIFICATION,
    pub ext: EXTENDED_NOTIFICATION,
    pub statobj: STATUS_OBJECT_NOTIFICATION,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct NOTIFICATION {
    pub ulEventType: ULONG,
    pub ulAlignPad: ULONG,
    pub info: NOTIFICATION_INFO,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    const P: usize = size_of::<usize>();
    // The SDK's layout on 32- and 64-bit targets (tests/c_tests.rs' abi checks the C side).
    assert!(size_of::<TABLE_NOTIFICATION>() == if P == 8 { 80 } else { 56 });
    assert!(offset_of!(TABLE_NOTIFICATION, row) == 8 + 2 * size_of::<SPropValue>());
    assert!(size_of::<NOTIFICATION>() == 8 + size_of::<TABLE_NOTIFICATION>());
};

const SIZE: usize = size_of::<NOTIFICATION>();
const INVALID: SCODE = MAPI_E_INVALID_PARAMETER;

/// `n` rounded up to the next multiple of 8.
fn align8(n: usize) -> Option<usize> {
    n.checked_add(7).map(|n| n & !7)
}

/// Where the pieces go: counted only, or written from `at` up to `end`.
struct Layout {
    at: usize,
    end: usize,
    write: bool,
}

impl Layout {
    /// Reserves `len` bytes at the next multiple of 8 (from the block's start, which MAPI
    /// allocators align); returns where they start, or NULL when only counting.
    fn reserve(&mut self, len: usize) -> Result<*mut u8, SCODE> {
        let start = align8(self.at).ok_or(MAPI_E_NOT_ENOUGH_MEMORY)?;
        let next = start.checked_add(len).ok_or(MAPI_E_NOT_ENOUGH_MEMORY)?;
        if self.write && next > self.end {
            // The caller's data grew since it was counted: refuse rather than overrun.
            return Err(MAPI_E_CALL_FAILED);
        }
        self.at = next;
        Ok(if self.write {
            start as *mut u8
        } else {
            std::ptr::null_mut()
        })
    }

    /// Copies `len` bytes from `src`; returns the copy (NULL when counting).
    ///
    /// # Safety
    /// `src` must be readable for `len` bytes; when writing, the reserved place is inside
    /// the caller's block.
    unsafe fn bytes(&mut self, src: *const u8, len: usize) -> Result<*mut u8, SCODE> {
        let dst = self.reserve(len)?;
        if self.write {
            // SAFETY: forwarded from the caller; `dst` was reserved for `len` bytes.
            unsafe { std::ptr::copy_nonoverlapping(src, dst, len) };
        }
        Ok(dst)
    }

    /// An entry identifier or other counted bytes: NULL stays NULL when the count is 0.
    ///
    /// # Safety
    /// A non-NULL `p` must hold `cb` bytes.
    unsafe fn counted(&mut self, cb: ULONG, p: *mut u8) -> Result<*mut u8, SCODE> {
        match (cb, p.is_null()) {
            (0, _) => Ok(std::ptr::null_mut()),
            (_, true) => Err(INVALID),
            // SAFETY: forwarded from the caller.
            _ => unsafe { self.bytes(p, cb as usize) },
        }
    }

    /// A terminated string, UTF-16 when `wide`; NULL stays NULL.
    ///
    /// # Safety
    /// A non-NULL `p` must be a terminated string of that width.
    unsafe fn string(&mut self, p: *mut c_void, wide: bool) -> Result<*mut c_void, SCODE> {
        if p.is_null() {
            return Ok(p);
        }
        // SAFETY: forwarded from the caller.
        let len = unsafe {
            if wide {
                2 * (wide_len(p.cast()) + 1)
            } else {
                std::ffi::CStr::from_ptr(p.cast()).to_bytes_with_nul().len()
            }
        };
        // SAFETY: as above.
        Ok(unsafe { self.bytes(p.cast(), len) }?.cast())
    }

    /// A packed copy of `n` property values (`ScCopyProps`' layout); NULL for none.
    ///
    /// # Safety
    /// `p` must hold `n` values valid as `ScCopyProps` needs them.
    unsafe fn values(&mut self, n: ULONG, p: *mut SPropValue) -> Result<*mut SPropValue, SCODE> {
        if n == 0 {
            return Ok(std::ptr::null_mut());
        }
        let values = Values::new(c_int::try_from(n).map_err(|_| INVALID)?, p)?;
        // SAFETY: forwarded from the caller.
        let size = unsafe { packed_props::count_here(&values) }?;
        let dst = self.reserve(size)?;
        if self.write {
            // SAFETY: `dst` was reserved for `size` bytes.
            unsafe { packed_props::copy(&values, dst, size) }?;
        }
        Ok(dst.cast())
    }

    /// An inline single value: its string, GUID or bytes copied, the value pointing at the
    /// copy. Multi-valued inline values are refused (`propIndex` and `propPrior` hold
    /// instance keys).
    ///
    /// # Safety
    /// The value's pointer must be valid for its type.
    unsafe fn inline(&mut self, v: &SPropValue) -> Result<SPropValue, SCODE> {
        let mut out = *v;
        // SAFETY: the type selects the union member; forwarded from the caller.
        unsafe {
            match v.ulPropTag & PROP_TYPE_MASK {
                ty if ty & MV_FLAG != 0 => return Err(INVALID),
                PT_STRING8 | PT_UNICODE if v.Value.lpv.is_null() => return Err(INVALID),
                PT_STRING8 => out.Value.lpv = self.string(v.Value.lpv, false)?,
                PT_UNICODE => out.Value.lpv = self.string(v.Value.lpv, true)?,
                PT_CLSID => {
                    out.Value.lpv = self
                        .counted(size_of::<GUID>() as ULONG, v.Value.lpv.cast())?
                        .cast()
                }
                PT_BINARY => out.Value.bin.lpb = self.counted(v.Value.bin.cb, v.Value.bin.lpb)?,
                _ => {}
            }
        }
        Ok(out)
    }

    /// # Safety
    /// `p` must be NULL or a tag array.
    unsafe fn tags(&mut self, p: *mut SPropTagArray) -> Result<*mut SPropTagArray, SCODE> {
        if p.is_null() {
            return Ok(p);
        }
        // SAFETY: the caller's tag array: a count and that many tags.
        let len = unsafe { 4 + 4 * (*p).cValues as usize };
        // SAFETY: as above.
        Ok(unsafe { self.bytes(p.cast(), len) }?.cast())
    }
}

/// # Safety
/// `p` must be a terminated UTF-16 string.
unsafe fn wide_len(p: *const u16) -> usize {
    let mut n = 0;
    // SAFETY: forwarded from the caller; stops at the terminator.
    while unsafe { p.add(n).read_unaligned() } != 0 {
        n += 1;
    }
    n
}

/// Lays out the data `n` points at and returns `n` as it points at the laid-out data.
///
/// # Safety
/// The pointers of `n`'s event type must be valid for what they claim.
unsafe fn lay_out(n: &NOTIFICATION, out: &mut Layout) -> Result<NOTIFICATION, SCODE> {
    let mut copy = *n;
    // SAFETY: the event type selects the union member; its pointers are the caller's.
    unsafe {
        let i = &mut copy.info;
        match n.ulEventType {
            fnevCriticalError => {
                let e = &mut i.err;
                e.lpEntryID = out.counted(e.cbEntryID, e.lpEntryID)?;
                if !e.lpMAPIError.is_null() {
                    let mut err = e.lpMAPIError.read();
                    let wide = e.ulFlags & MAPI_UNICODE != 0;
                    let place = out.reserve(size_of::<MAPIERROR>())?.cast::<MAPIERROR>();
                    err.lpszError = out.string(err.lpszError, wide)?;
                    err.lpszComponent = out.string(err.lpszComponent, wide)?;
                    if out.write {
                        place.write(err);
                    }
                    e.lpMAPIError = place;
                }
            }
            fnevNewMail => {
                let m = &mut i.newmail;
                m.lpEntryID = out.counted(m.cbEntryID, m.lpEntryID)?;
                m.lpParentID = out.counted(m.cbParentID, m.lpParentID)?;
                m.lpszMessageClass =
                    out.string(m.lpszMessageClass, m.ulFlags & MAPI_UNICODE != 0)?;
            }
            fnevObjectCreated | fnevObjectDeleted | fnevObjectModified | fnevObjectMoved
            | fnevObjectCopied | fnevSearchComplete => {
                let o = &mut i.obj;
                o.lpEntryID = out.counted(o.cbEntryID, o.lpEntryID)?;
                o.lpParentID = out.counted(o.cbParentID, o.lpParentID)?;
                o.lpOldID = out.counted(o.cbOldID, o.lpOldID)?;
                o.lpOldParentID = out.counted(o.cbOldParentID, o.lpOldParentID)?;
                o.lpPropTagArray = out.tags(o.lpPropTagArray)?;
            }
            fnevTableModified => {
                let t = &mut i.tab;
                t.propIndex = out.inline(&t.propIndex)?;
                t.propPrior = out.inline(&t.propPrior)?;
                t.row.lpProps = out.values(t.row.cValues, t.row.lpProps)?;
            }
            fnevStatusObjectModified => {
                let s = &mut i.statobj;
                s.lpEntryID = out.counted(s.cbEntryID, s.lpEntryID)?;
                s.lpPropVals = out.values(s.cValues, s.lpPropVals)?;
            }
            fnevExtended => {
                let x = &mut i.ext;
                x.pbEventParameters = out.counted(x.cb, x.pbEventParameters)?;
            }
            _ => return Err(INVALID),
        }
    }
    Ok(copy)
}

/// The caller's array of `n` notifications, checked.
fn array(n: ULONG, p: *const NOTIFICATION) -> Result<usize, SCODE> {
    if n > 0 && (p.is_null() || !(p as usize).is_multiple_of(align_of::<NOTIFICATION>())) {
        return Err(INVALID);
    }
    (n as usize)
        .checked_mul(SIZE)
        .ok_or(MAPI_E_NOT_ENOUGH_MEMORY)
}

/// `ScCountNotifications`: the bytes a packed copy of the `n` notifications takes.
///
/// # Safety
/// `p` must be NULL or hold `n` notifications whose pointers are valid.
pub unsafe fn count(n: ULONG, p: *const NOTIFICATION) -> Result<usize, SCODE> {
    let mut out = Layout {
        at: array(n, p)?,
        end: 0,
        write: false,
    };
    for k in 0..n as usize {
        // SAFETY: forwarded from the caller; `k < n`.
        unsafe { lay_out(&*p.add(k), &mut out) }?;
    }
    Ok(out.at)
}

/// `ScCopyNotifications`: packs the notifications into `dst`, which holds `size` bytes
/// (what [`count`] gave); returns the bytes used.
///
/// # Safety
/// As [`count`]; `dst` must be writable for `size` bytes and 8-byte aligned.
pub unsafe fn copy(
    n: ULONG,
    p: *const NOTIFICATION,
    dst: *mut u8,
    size: usize,
) -> Result<usize, SCODE> {
    let fixed = array(n, p)?;
    if fixed > size || !(dst as usize).is_multiple_of(8) {
        return Err(if fixed > size {
            MAPI_E_CALL_FAILED
        } else {
            INVALID
        });
    }
    let base = dst as usize;
    let mut out = Layout {
        at: base + fixed,
        end: base + size,
        write: true,
    };
    for k in 0..n as usize {
        // SAFETY: forwarded from the caller; slot `k` lies in the first `fixed` bytes.
        unsafe {
            let packed = lay_out(&*p.add(k), &mut out)?;
            dst.cast::<NOTIFICATION>().add(k).write(packed);
        }
    }
    Ok(out.at - base)
}

/// `ScRelocNotifications`: rewrites, in place, the pointers of notifications packed into a
/// block at `old` and now at `p`, to point as if the block started at `new`; returns the
/// packed size. The data is read where it is now.
///
/// # Safety
/// `p` must be a block [`copy`] wrote (moved as a whole), writable.
pub unsafe fn relocate(
    n: ULONG,
    p: *mut NOTIFICATION,
    old: usize,
    new: usize,
) -> Result<usize, SCODE> {
    let mut r = Relocation {
        base: p as usize,
        old,
        new,
        end: p as usize + array(n, p)?,
    };
    // SAFETY: the event type selects the union member; every pointer read is located in
    // the block, as `copy` wrote it.
    unsafe {
        for k in 0..n as usize {
            let i = &mut (*p.add(k)).info;
            match (*p.add(k)).ulEventType {
                fnevCriticalError => {
                    let e = &mut i.err;
                    e.lpEntryID = r.bytes(e.lpEntryID, e.cbEntryID as usize);
                    if !e.lpMAPIError.is_null() {
                        let wide = e.ulFlags & MAPI_UNICODE != 0;
                        let err = r.now(e.lpMAPIError.cast()).cast::<MAPIERROR>();
                        e.lpMAPIError =
                            r.bytes(e.lpMAPIError.cast(), size_of::<MAPIERROR>()).cast();
                        (*err).lpszError = r.string((*err).lpszError, wide);
                        (*err).lpszComponent = r.string((*err).lpszComponent, wide);
                    }
                }
                fnevNewMail => {
                    let m = &mut i.newmail;
                    m.lpEntryID = r.bytes(m.lpEntryID, m.cbEntryID as usize);
                    m.lpParentID = r.bytes(m.lpParentID, m.cbParentID as usize);
                    m.lpszMessageClass =
                        r.string(m.lpszMessageClass, m.ulFlags & MAPI_UNICODE != 0);
                }
                fnevObjectCreated | fnevObjectDeleted | fnevObjectModified | fnevObjectMoved
                | fnevObjectCopied | fnevSearchComplete => {
                    let o = &mut i.obj;
                    o.lpEntryID = r.bytes(o.lpEntryID, o.cbEntryID as usize);
                    o.lpParentID = r.bytes(o.lpParentID, o.cbParentID as usize);
                    o.lpOldID = r.bytes(o.lpOldID, o.cbOldID as usize);
                    o.lpOldParentID = r.bytes(o.lpOldParentID, o.cbOldParentID as usize);
                    if !o.lpPropTagArray.is_null() {
                        let tags = r.now(o.lpPropTagArray.cast()).cast::<SPropTagArray>();
                        let len = 4 + 4 * (*tags).cValues as usize;
                        o.lpPropTagArray = r.bytes(o.lpPropTagArray.cast(), len).cast();
                    }
                }
                fnevTableModified => {
                    let t = &mut i.tab;
                    for v in [&mut t.propIndex, &mut t.propPrior] {
                        match v.ulPropTag & PROP_TYPE_MASK {
                            PT_STRING8 => v.Value.lpv = r.string(v.Value.lpv, false),
                            PT_UNICODE => v.Value.lpv = r.string(v.Value.lpv, true),
                            PT_CLSID => {
                                v.Value.lpv = r.bytes(v.Value.lpv.cast(), size_of::<GUID>()).cast()
                            }
                            PT_BINARY => {
                                v.Value.bin.lpb = r.bytes(v.Value.bin.lpb, v.Value.bin.cb as usize)
                            }
                            _ => {}
                        }
                    }
                    t.row.lpProps = r.values(t.row.cValues, t.row.lpProps)?;
                }
                fnevStatusObjectModified => {
                    let s = &mut i.statobj;
                    s.lpEntryID = r.bytes(s.lpEntryID, s.cbEntryID as usize);
                    s.lpPropVals = r.values(s.cValues, s.lpPropVals)?;
                }
                fnevExtended => {
                    let x = &mut i.ext;
                    x.pbEventParameters = r.bytes(x.pbEventParameters, x.cb as usize);
                }
                _ => return Err(INVALID),
            }
        }
    }
    Ok(r.end - r.base)
}

/// A block being relocated: now at `base`, written at `old`, to be read at `new`; `end`
/// is how far the pieces seen so far reach.
struct Relocation {
    base: usize,
    old: usize,
    new: usize,
    end: usize,
}

impl Relocation {
    /// Where the data a stored pointer names is now.
    fn now(&self, q: *mut u8) -> *mut u8 {
        (q as usize).wrapping_sub(self.old).wrapping_add(self.base) as *mut u8
    }

    /// A stored pointer to `len` bytes, as it reads from `new`; NULL stays NULL.
    fn bytes(&mut self, q: *mut u8, len: usize) -> *mut u8 {
        if q.is_null() {
            return q;
        }
        self.end = self.end.max(self.now(q) as usize + len);
        (q as usize).wrapping_sub(self.old).wrapping_add(self.new) as *mut u8
    }

    /// A stored pointer to a terminated string.
    ///
    /// # Safety
    /// A non-NULL `q` must name a terminated string of that width in the block.
    unsafe fn string(&mut self, q: *mut c_void, wide: bool) -> *mut c_void {
        if q.is_null() {
            return q;
        }
        let here = self.now(q.cast());
        // SAFETY: forwarded from the caller.
        let len = unsafe {
            if wide {
                2 * (wide_len(here.cast()) + 1)
            } else {
                std::ffi::CStr::from_ptr(here.cast())
                    .to_bytes_with_nul()
                    .len()
            }
        };
        self.bytes(q.cast(), len).cast()
    }

    /// A stored pointer to a packed value array, its own pointers relocated too.
    ///
    /// # Safety
    /// The array and its data must lie in the block, as `copy` wrote them.
    unsafe fn values(&mut self, n: ULONG, q: *mut SPropValue) -> Result<*mut SPropValue, SCODE> {
        if n == 0 || q.is_null() {
            return Ok(q);
        }
        let here = self.now(q.cast()).cast::<SPropValue>();
        let values = Values::new(c_int::try_from(n).map_err(|_| INVALID)?, here)?;
        let was = q as usize;
        let will = was.wrapping_sub(self.old).wrapping_add(self.new);
        // SAFETY: forwarded from the caller: the array's pointers are relative to where the
        // array was (`was`), and become relative to where it will be.
        let size = unsafe { packed_props::relocate(&values, was, will) }?;
        Ok(self.bytes(q.cast(), size).cast())
    }
}
