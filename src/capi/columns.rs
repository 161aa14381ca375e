//! `HrAddColumns` and `HrAddColumnsEx` (`mapiutil.h`); the merge is `com::add_columns`'s.

use std::ffi::c_void;

use crate::com::add_columns::{self, FilterColumns};
use crate::com::object::guard;
use crate::com::types::*;
use crate::com::vtbl::IMAPITable;
use crate::consts::*;

/// Moves or adds the columns of `lpproptagColumnsNew` to the front of the table's current
/// columns (each current column not among them follows, in its order) with one
/// `SetColumns`. The current columns are read with `QueryColumns` and freed with
/// `lpFreeBuffer`; the new column set is allocated with `lpAllocateBuffer`.
/// `MAPI_E_INVALID_PARAMETER` for a NULL table, column array or function; the table's own
/// error when it refuses.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrAddColumns(
    lptbl: *mut IMAPITable,
    lpproptagColumnsNew: *mut SPropTagArray,
    lpAllocateBuffer: Option<
        unsafe extern "system" fn(cbSize: ULONG, lppBuffer: *mut *mut c_void) -> SCODE,
    >,
    lpFreeBuffer: Option<unsafe extern "system" fn(lpBuffer: *mut c_void) -> ULONG>,
) -> HRESULT {
    // SAFETY: forwarded from the caller.
    unsafe {
        HrAddColumnsEx(
            lptbl,
            lpproptagColumnsNew,
            lpAllocateBuffer,
            lpFreeBuffer,
            None,
        )
    }
}

/// [`HrAddColumns`], after calling `lpfnFilterColumns` (when not NULL) with the table's
/// current columns: it may change their tags in place before the merge.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrAddColumnsEx(
    lptbl: *mut IMAPITable,
    lpproptagColumnsNew: *mut SPropTagArray,
    lpAllocateBuffer: Option<
        unsafe extern "system" fn(cbSize: ULONG, lppBuffer: *mut *mut c_void) -> SCODE,
    >,
    lpFreeBuffer: Option<unsafe extern "system" fn(lpBuffer: *mut c_void) -> ULONG>,
    // The SDK gives the filter no calling convention: it is the C default (cdecl on x86).
    lpfnFilterColumns: Option<unsafe extern "C" fn(ptaga: *mut SPropTagArray)>,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        let (Some(alloc), Some(free)) = (lpAllocateBuffer, lpFreeBuffer) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        if lptbl.is_null() || lpproptagColumnsNew.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        let filter: Option<FilterColumns> = lpfnFilterColumns;
        // SAFETY: the caller's table and column array, checked non-NULL; the allocators
        // are the caller's pair.
        unsafe { add_columns::add_columns(lptbl, lpproptagColumnsNew, alloc, free, filter) }
    })
}
