//! `HrAddColumns` and `HrAddColumnsEx` over any `IMAPITable`: the given columns first, then
//! the table's other current columns in their order, set with one `SetColumns`.
//!
//! Microsoft documents the effect ("adds or moves columns to the beginning of an existing
//! table"): a column already in the table and in the new list appears once, where the new
//! list puts it. `HrAddColumnsEx` first shows the current columns to the caller's filter,
//! which may change tags in place (an 8-bit string column into a Unicode one, say) but not
//! add any; the merge sees the filtered tags.

use std::ffi::c_void;

use super::types::*;
use super::vtbl::{IMAPITable, IMAPITableVtbl};
use crate::consts::*;

/// The filter `HrAddColumnsEx` calls with the table's current columns.
pub type FilterColumns = unsafe extern "C" fn(ptaga: *mut SPropTagArray);

/// The new columns, then each current column not among them, in order.
pub fn merged_columns(new: &[ULONG], current: &[ULONG]) -> Vec<ULONG> {
    let mut out = new.to_vec();
    out.extend(current.iter().filter(|t| !new.contains(t)));
    out
}

/// The tags of a tag array the caller or a table gave.
///
/// # Safety
/// `p` must be a valid tag array (non-NULL) alive for `'a`.
unsafe fn tags<'a>(p: *const SPropTagArray) -> &'a [ULONG] {
    // SAFETY: forwarded from the caller; the array holds `cValues` tags after its count.
    unsafe {
        let first = std::ptr::addr_of!((*p).aulPropTag) as *const ULONG;
        std::slice::from_raw_parts(first, (*p).cValues as usize)
    }
}

/// Moves or adds `new` to the front of `table`'s columns. The current columns come from
/// the table's `QueryColumns` and are freed with `free`; the merged array is allocated with
/// `alloc` and freed with `free` after `SetColumns`. Errors are the table's or the
/// allocator's.
///
/// # Safety
/// `table` must be an `IMAPITable` the caller holds, `new` a valid tag array, `alloc` and
/// `free` a matching allocator pair able to free what the table allocates (as documented:
/// `MAPIAllocateBuffer`/`MAPIFreeBuffer`), `filter` a function taking a tag array.
pub unsafe fn add_columns(
    table: *mut IMAPITable,
    new: *const SPropTagArray,
    alloc: LPALLOCATEBUFFER,
    free: LPFREEBUFFER,
    filter: Option<FilterColumns>,
) -> HRESULT {
    // SAFETY: the caller's table and its vtable.
    let (this, vt): (*mut c_void, &IMAPITableVtbl) = unsafe { (table.cast(), &*(*table).lpVtbl) };
    let mut current: *mut SPropTagArray = std::ptr::null_mut();
    // SAFETY: a valid out-parameter for the caller's table.
    let hr = unsafe { (vt.QueryColumns)(this, 0, &mut current) };
    if hr < 0 {
        return hr;
    }
    if current.is_null() {
        return MAPI_E_CALL_FAILED;
    }
    if let Some(filter) = filter {
        // SAFETY: the table's own array, which the filter may change in place.
        unsafe { filter(current) };
    }
    // SAFETY: both arrays are valid (the caller's, the table's).
    let merged = merged_columns(unsafe { tags(new) }, unsafe { tags(current) });
    // SAFETY: the table's array, allocated as `free` frees.
    unsafe { free(current.cast()) };
    let Ok(count) = ULONG::try_from(merged.len()) else {
        return MAPI_E_INVALID_PARAMETER;
    };
    let Some(bytes) = merged
        .len()
        .checked_mul(size_of::<ULONG>())
        .and_then(|n| n.checked_add(size_of::<ULONG>()))
        .and_then(|n| ULONG::try_from(n).ok())
    else {
        return MAPI_E_NOT_ENOUGH_MEMORY;
    };
    let mut block: *mut c_void = std::ptr::null_mut();
    // SAFETY: a valid out-parameter.
    let sc = unsafe { alloc(bytes, &mut block) };
    if sc < 0 {
        return sc;
    }
    if block.is_null() {
        return MAPI_E_NOT_ENOUGH_MEMORY;
    }
    let array = block.cast::<SPropTagArray>();
    // SAFETY: the new block holds the count and `count` tags; MAPI allocators align it.
    unsafe {
        (*array).cValues = count;
        let first = std::ptr::addr_of_mut!((*array).aulPropTag) as *mut ULONG;
        std::ptr::copy_nonoverlapping(merged.as_ptr(), first, merged.len());
    }
    // SAFETY: the caller's table; the array is ours until freed below.
    let hr = unsafe { (vt.SetColumns)(this, array, 0) };
    // SAFETY: allocated by `alloc` above.
    unsafe { free(block) };
    hr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_columns_come_first_and_appear_once() {
        assert_eq!(merged_columns(&[5, 1], &[1, 2, 3]), vec![5, 1, 2, 3]);
        assert_eq!(merged_columns(&[], &[1, 2]), vec![1, 2]);
        assert_eq!(merged_columns(&[3, 2, 1], &[1, 2, 3]), vec![3, 2, 1]);
        assert_eq!(merged_columns(&[7], &[]), vec![7]);
    }
}
