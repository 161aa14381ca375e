//! What `ITnef` (`com::tnef`) works through: the scratch message of ours that both
//! directions pass through, and the caller's objects read through their vtables (values,
//! table rows, attachment numbers) as owned values.

use std::sync::Arc;

use super::copy_to;
use super::foreign::ComRef;
use super::mapimem::Allocators;
use super::object::ComObject;
use super::shells::MessageShell;
use super::types::*;
use super::vtbl::{IMAPIPropVtbl, IMAPITableVtbl, IMessageVtbl};
use crate::consts::*;
use crate::error::Result;
use crate::model::message::{MsgFile, NodeId};
use crate::storage::byte_arrays::VecLockBytes;
use crate::storage::{Version, docfile};
use crate::types::prop_value::{PropValue, tags::*};

/// The code page written when the message names none.
const DEFAULT_CODEPAGE: u32 = 1252;

/// The code page of a message's 8-bit strings, as the message converts them (its
/// `PR_INTERNET_CPID`, `PR_MESSAGE_CODEPAGE` or locale), else 1252.
pub(super) fn codepage_of(file: &MsgFile, node: NodeId) -> u32 {
    file.with(|st| Ok(st.codepage(node)))
        .ok()
        .filter(|&cp| crate::types::codepage::is_supported(cp))
        .unwrap_or(DEFAULT_CODEPAGE)
}

/// A message of ours in memory, for the copy on its way in or out.
pub(super) struct Scratch {
    pub(super) file: Arc<MsgFile>,
    pub(super) node: NodeId,
    pub(super) obj: ComRef,
}

impl Scratch {
    pub(super) fn new(unicode: bool) -> Result<Scratch> {
        let storage = docfile::create_bytes(
            Arc::new(VecLockBytes::new(Vec::new())),
            STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_TRANSACTED,
            Version::V3,
        )?;
        let (file, node) = MsgFile::open(storage, unicode, true)?;
        let shell = MessageShell::new(file.clone(), node, Allocators::ours(), None, None);
        let ptr = ComObject::into_raw(shell);
        // SAFETY: a new object whose one reference is ours.
        let obj = unsafe { ComRef::from_raw(ptr) }.expect("a new object");
        Ok(Scratch { file, node, obj })
    }
}

/// Whether a message stores Unicode strings (`STORE_UNICODE_OK` in its
/// `PR_STORE_SUPPORT_MASK`).
///
/// # Safety
/// `msg` must be a live `IMAPIProp`.
pub(super) unsafe fn is_unicode(msg: *mut std::ffi::c_void) -> bool {
    // SAFETY: forwarded.
    let values = unsafe { get_props(msg, &[PR_STORE_SUPPORT_MASK], 0) };
    matches!(values.first(), Some((_, PropValue::Long(m))) if *m as u32 & STORE_UNICODE_OK != 0)
}

/// `GetProps` through the vtable, as owned values (errors left out).
///
/// # Safety
/// `obj` must be a live `IMAPIProp`.
pub(super) unsafe fn get_props(
    obj: *mut std::ffi::c_void,
    tags: &[u32],
    flags: ULONG,
) -> Vec<(u32, PropValue)> {
    let alloc = Allocators::ours();
    let Ok(arr) = super::marshal::tags_out(&alloc, tags) else {
        return Vec::new();
    };
    let mut count: ULONG = 0;
    let mut values: *mut SPropValue = std::ptr::null_mut();
    // SAFETY: `obj` is live; the out-parameters are ours.
    let hr = unsafe {
        (super::copy_to::vtbl::<IMAPIPropVtbl>(obj).GetProps)(
            obj,
            arr,
            flags,
            &mut count,
            &mut values,
        )
    };
    alloc.free(arr.cast());
    let mut out = Vec::new();
    if hr >= 0 && !values.is_null() {
        for i in 0..count as usize {
            // SAFETY: the answer holds `count` values.
            let v = unsafe { &*values.add(i) };
            // SAFETY: a value the object built.
            if let Ok(pv) = unsafe { super::marshal::value_in(v) }
                && !matches!(pv, PropValue::Error(_))
            {
                out.push((v.ulPropTag, pv));
            }
        }
    }
    // SAFETY: whatever GetProps returned is ours to free (MAPI's one allocator family).
    alloc.free(values.cast());
    out
}

/// One 8-bit or binary property's bytes (`Ok(None)`: not set).
///
/// # Safety
/// `obj` must be a live `IMAPIProp`.
pub(super) unsafe fn one_binary(obj: *mut std::ffi::c_void, tag: u32) -> Result<Option<Vec<u8>>> {
    // SAFETY: forwarded.
    let v = unsafe { get_props(obj, &[tag], 0) };
    Ok(v.into_iter().find_map(|(_, v)| match v {
        PropValue::String8(s) | PropValue::Binary(s) => Some(s),
        _ => None,
    }))
}

/// Every row of a table, as owned values.
///
/// # Safety
/// `table` must be a live `IMAPITable`.
pub(super) unsafe fn all_rows(table: &ComRef) -> Result<Vec<Vec<(u32, PropValue)>>> {
    let alloc = Allocators::ours();
    let mut out = Vec::new();
    // SAFETY: `table` is live; the out-parameters are ours; each answer is a row set whose
    // rows are freed after reading.
    unsafe {
        let v = table.vtbl::<IMAPITableVtbl>();
        let hr = (v.SeekRow)(table.as_ptr(), BOOKMARK_BEGINNING, 0, std::ptr::null_mut());
        copy_to::check(hr, "IMAPITable::SeekRow")?;
        loop {
            let mut set: *mut SRowSet = std::ptr::null_mut();
            copy_to::check(
                (v.QueryRows)(table.as_ptr(), 1024, 0, &mut set),
                "IMAPITable::QueryRows",
            )?;
            if set.is_null() {
                break;
            }
            let n = (*set).cRows as usize;
            let first = std::ptr::addr_of!((*set).aRow).cast::<SRow>();
            for r in std::slice::from_raw_parts(first, n) {
                let mut row = Vec::with_capacity(r.cValues as usize);
                for i in 0..r.cValues as usize {
                    let pv = &*r.lpProps.add(i);
                    if let Ok(value) = super::marshal::value_in(pv)
                        && !matches!(value, PropValue::Error(_))
                    {
                        row.push((pv.ulPropTag, value));
                    }
                }
                out.push(row);
                alloc.free(r.lpProps.cast());
            }
            alloc.free(set.cast());
            if n == 0 {
                break;
            }
        }
    }
    Ok(out)
}

/// The rows of a message's attachment table.
///
/// # Safety
/// `msg` must be a live `IMessage`.
pub(super) unsafe fn attachment_rows(
    msg: *mut std::ffi::c_void,
) -> Result<Vec<Vec<(u32, PropValue)>>> {
    let mut t = std::ptr::null_mut();
    // SAFETY: `msg` is live; the out-parameter is ours.
    unsafe {
        copy_to::check(
            (copy_to::vtbl::<IMessageVtbl>(msg).GetAttachmentTable)(msg, 0, &mut t),
            "GetAttachmentTable",
        )?;
        let table = copy_to::took(t, "GetAttachmentTable")?;
        all_rows(&table)
    }
}

/// A message's attachment numbers in its table's order.
///
/// # Safety
/// `msg` must be a live `IMessage`.
pub(super) unsafe fn attachment_numbers(msg: *mut std::ffi::c_void) -> Result<Vec<ULONG>> {
    // SAFETY: forwarded.
    let rows = unsafe { attachment_rows(msg)? };
    Ok(rows
        .iter()
        .filter_map(|r| {
            r.iter().find_map(|(t, v)| match (t == &PR_ATTACH_NUM, v) {
                (true, PropValue::Long(n)) => Some(*n as ULONG),
                _ => None,
            })
        })
        .collect())
}
