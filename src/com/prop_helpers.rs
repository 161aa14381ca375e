//! The object-level mapiutil helpers (`HrGetOneProp`, `HrSetOneProp`, `FPropExists`,
//! `HrQueryAllRows`, `FreeProws`): engines that drive any `IMAPIProp` or `IMAPITable`, ours
//! or the caller's, through its vtable only (`spec/mapi-abi.md` §11).
//!
//! What they hand back was allocated by that object; what they free themselves (a refused
//! value, a problem array, an intermediate row set) is freed with `MAPIFreeBuffer`, as
//! MAPI's own helpers do, so objects built on other allocators leak such blocks rather
//! than corrupt memory (`MAPIFreeBuffer` refuses blocks it did not give).

use std::ffi::c_void;
use std::mem::{offset_of, size_of};

use super::mapimem::{mapi_allocate_buffer, mapi_free_buffer};
use super::types::*;
use super::vtbl::{IMAPIProp, IMAPITable, IMAPITableVtbl};
use crate::consts::*;

fn prop_type(tag: ULONG) -> ULONG {
    tag & PROP_TYPE_MASK
}

fn prop_id(tag: ULONG) -> ULONG {
    tag >> 16
}

fn failed(hr: HRESULT) -> bool {
    hr < 0
}

fn is_string(ty: ULONG) -> bool {
    matches!(ty & !MV_FLAG, PT_STRING8 | PT_UNICODE)
}

/// Frees a block we were handed and do not return.
///
/// # Safety
/// `p` must be NULL or a block the caller may free with `MAPIFreeBuffer`.
unsafe fn free<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: forwarded from the caller; a foreign block is refused, not freed.
        unsafe { mapi_free_buffer(p.cast()) };
    }
}

/// `HrGetOneProp`: `GetProps` for `tag` alone; the value (free it with `MAPIFreeBuffer`),
/// or the error the object gave for the property, never a warning.
///
/// # Safety
/// `object` must be an `IMAPIProp` the caller holds.
pub unsafe fn get_one(object: *mut IMAPIProp, tag: ULONG) -> Result<*mut SPropValue, HRESULT> {
    let mut tags = SPropTagArray {
        cValues: 1,
        aulPropTag: [tag],
    };
    let mut count: ULONG = 0;
    let mut values: *mut SPropValue = std::ptr::null_mut();
    // SAFETY: `object` is an IMAPIProp; the arguments are valid for GetProps.
    let hr = unsafe {
        ((*(*object).lpVtbl).GetProps)(object.cast(), &mut tags, 0, &mut count, &mut values)
    };
    if failed(hr) || values.is_null() || count != 1 {
        // SAFETY: whatever GetProps returned is ours to free.
        unsafe { free(values) };
        return Err(if failed(hr) { hr } else { MAPI_E_NOT_FOUND });
    }
    // SAFETY: GetProps returned one value.
    let value = unsafe { &*values };
    if prop_type(value.ulPropTag) == PT_ERROR {
        // SAFETY: a PT_ERROR value holds its SCODE in `err`.
        let sc = unsafe { value.Value.err };
        // SAFETY: the array is ours to free.
        unsafe { free(values) };
        return Err(if failed(sc) { sc } else { MAPI_E_NOT_FOUND });
    }
    Ok(values)
}

/// `HrSetOneProp`: `SetProps` with `value` alone; a property the object refuses is an error
/// (its problem's SCODE), not a problem array; never a warning.
///
/// # Safety
/// `object` must be an `IMAPIProp` the caller holds, `value` one valid value.
pub unsafe fn set_one(object: *mut IMAPIProp, value: *mut SPropValue) -> HRESULT {
    let mut problems: *mut SPropProblemArray = std::ptr::null_mut();
    // SAFETY: forwarded from the caller.
    let hr = unsafe { ((*(*object).lpVtbl).SetProps)(object.cast(), 1, value, &mut problems) };
    let mut result = if failed(hr) { hr } else { S_OK };
    if !problems.is_null() {
        // SAFETY: SetProps returned a problem array of `cProblem` entries.
        unsafe {
            let count = (*problems).cProblem;
            let first = std::ptr::addr_of!((*problems).aProblem) as *const SPropProblem;
            if !failed(hr) && count > 0 && failed((*first).scode) {
                result = (*first).scode;
            }
            free(problems);
        }
    }
    result
}

/// Whether two tags name the same property for `FPropExists`: the same tag; any type for
/// a `PT_UNSPECIFIED` tag; either string width for a string tag (an object lists its
/// strings in one width but gives them in both).
fn same_property(have: ULONG, want: ULONG) -> bool {
    if have == want {
        return true;
    }
    if prop_id(have) != prop_id(want) {
        return false;
    }
    let (h, w) = (prop_type(have), prop_type(want));
    w == PT_UNSPECIFIED || (is_string(h) && is_string(w) && (h & MV_FLAG) == (w & MV_FLAG))
}

/// `FPropExists`: whether the object's `GetPropList` names the property.
///
/// # Safety
/// `object` must be an `IMAPIProp` the caller holds.
pub unsafe fn exists(object: *mut IMAPIProp, tag: ULONG) -> bool {
    let mut list: *mut SPropTagArray = std::ptr::null_mut();
    for flags in [MAPI_UNICODE, 0] {
        // SAFETY: `object` is an IMAPIProp the caller holds.
        let hr = unsafe { ((*(*object).lpVtbl).GetPropList)(object.cast(), flags, &mut list) };
        if !failed(hr) && !list.is_null() {
            break;
        }
        // SAFETY: a failed call's output, if any, is ours to free.
        unsafe { free(list) };
        list = std::ptr::null_mut();
    }
    if list.is_null() {
        return false;
    }
    // SAFETY: GetPropList returned an array of `cValues` tags.
    let found = unsafe {
        let first = std::ptr::addr_of!((*list).aulPropTag) as *const ULONG;
        std::slice::from_raw_parts(first, (*list).cValues as usize)
            .iter()
            .any(|&t| same_property(t, tag))
    };
    // SAFETY: the list is ours to free.
    unsafe { free(list) };
    found
}

// ===== row sets =====

/// `FreeProws`: each row's property array, then the set, with `MAPIFreeBuffer`.
///
/// # Safety
/// `rows` must be NULL or a row set whose rows' arrays are separate MAPI blocks.
pub unsafe fn free_rows(rows: *mut SRowSet) {
    if rows.is_null() {
        return;
    }
    // SAFETY: a row set holds `cRows` rows.
    unsafe {
        let first = std::ptr::addr_of!((*rows).aRow) as *const SRow;
        for i in 0..(*rows).cRows as usize {
            free((*first.add(i)).lpProps);
        }
        free(rows);
    }
}

/// `HrQueryAllRows`: sets the columns, restriction and sort order given (NULL leaves the
/// table's own), then reads every row from the first into one set. `max` 0 reads any
/// number of rows; otherwise more rows are `MAPI_E_TABLE_TOO_BIG`.
///
/// # Safety
/// `table` must be an `IMAPITable` the caller holds; the other pointers NULL or valid for
/// the slots they are given to.
pub unsafe fn query_all_rows(
    table: *mut IMAPITable,
    tags: *mut SPropTagArray,
    restriction: *mut SRestriction,
    sort: *mut SSortOrderSet,
    max: LONG,
) -> Result<*mut SRowSet, HRESULT> {
    let check = |hr: HRESULT| if failed(hr) { Err(hr) } else { Ok(()) };
    // SAFETY: every call below passes arguments its slot accepts.
    unsafe {
        let this = table.cast::<c_void>();
        let vt = &*(*table).lpVtbl;
        if !tags.is_null() {
            check((vt.SetColumns)(this, tags, TBL_BATCH))?;
        }
        if !restriction.is_null() {
            check((vt.Restrict)(this, restriction, TBL_BATCH))?;
        }
        if !sort.is_null() {
            check((vt.SortTable)(this, sort, TBL_BATCH))?;
        }
        check((vt.SeekRow)(
            this,
            BOOKMARK_BEGINNING,
            0,
            std::ptr::null_mut(),
        ))?;
        read_all_rows(this, vt, max)
    }
}

/// `QueryRows` until the table has no more rows, merged into one set.
///
/// # Safety
/// `vt` must be the vtable of the table `this` the caller holds.
unsafe fn read_all_rows(
    this: *mut c_void,
    vt: &IMAPITableVtbl,
    crows_max: LONG,
) -> Result<*mut SRowSet, HRESULT> {
    // Asking for one row more than allowed tells a table that is too big in one call.
    let chunk = if crows_max > 0 {
        crows_max.saturating_add(1)
    } else {
        LONG::MAX
    };
    let mut sets: Vec<*mut SRowSet> = Vec::new();
    let mut total: u64 = 0;
    let result = loop {
        let mut set: *mut SRowSet = std::ptr::null_mut();
        // SAFETY: forwarded from the caller.
        let hr = unsafe { (vt.QueryRows)(this, chunk, 0, &mut set) };
        if failed(hr) {
            // SAFETY: a failed call's output, if any, is ours to free.
            unsafe { free_rows(set) };
            break Err(hr);
        }
        if set.is_null() {
            break Err(MAPI_E_CALL_FAILED);
        }
        // SAFETY: QueryRows returned a row set.
        let rows = unsafe { (*set).cRows };
        if rows == 0 {
            // SAFETY: the empty set is ours to free.
            unsafe { free(set) };
            break Ok(());
        }
        sets.push(set);
        total += u64::from(rows);
        if crows_max > 0 && total > crows_max as u64 {
            break Err(MAPI_E_TABLE_TOO_BIG);
        }
    };
    let free_all = |sets: Vec<*mut SRowSet>| {
        for set in sets {
            // SAFETY: each set came from QueryRows and is ours to free.
            unsafe { free_rows(set) };
        }
    };
    if let Err(hr) = result {
        free_all(sets);
        return Err(hr);
    }
    if sets.len() == 1 {
        return Ok(sets[0]);
    }
    // Several sets (or none): one new set holding every row; the rows' arrays move over and
    // the old sets' own blocks are freed.
    let size = offset_of!(SRowSet, aRow) + total as usize * size_of::<SRow>();
    let mut block: *mut c_void = std::ptr::null_mut();
    let sc = match ULONG::try_from(size) {
        // SAFETY: `block` is a valid out-parameter.
        Ok(cb) => unsafe { mapi_allocate_buffer(cb, &mut block) },
        Err(_) => MAPI_E_NOT_ENOUGH_MEMORY,
    };
    if failed(sc) {
        free_all(sets);
        return Err(sc);
    }
    let merged = block.cast::<SRowSet>();
    // SAFETY: `merged` holds `total` rows; each source set holds `cRows` rows.
    unsafe {
        let out = std::ptr::addr_of_mut!((*merged).aRow) as *mut SRow;
        let mut n = 0usize;
        for set in &sets {
            let first = std::ptr::addr_of!((**set).aRow) as *const SRow;
            for i in 0..(**set).cRows as usize {
                out.add(n).write(*first.add(i));
                n += 1;
            }
        }
        std::ptr::addr_of_mut!((*merged).cRows).write(n as ULONG);
        for set in sets {
            free(set);
        }
    }
    Ok(merged)
}
