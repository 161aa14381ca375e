//! MAPI's utility functions (`mapiutil.h`): one-property get and set, whole-table reads,
//! freeing row sets, finding, copying, sizing and comparing property values, comparing
//! names (`spec/mapi-abi.md` §11).
//!
//! The object-level helpers (`HrGetOneProp`, `HrSetOneProp`, `FPropExists`,
//! `HrQueryAllRows`) work on any `IMAPIProp` or `IMAPITable`, ours or the caller's: they go
//! through the object's vtable only. What they hand back was allocated by that object; what
//! they free themselves (a refused value, a problem array, an intermediate row set) is freed
//! with `MAPIFreeBuffer`, as MAPI's own helpers do, so objects built on other allocators
//! leak such blocks rather than corrupt memory.
//!
//! Sizes and copies (`UlPropSize`, `ScCountProps`, `ScCopyProps`, `ScDupPropset`,
//! `ScRelocProps`, `PropCopyMore`) are `com::packed_props`': exact sizes, each value's data
//! packed right after the array as native mapi32 packs it.
//!
//! Comparisons use the table engine's (`model::table`): values of the same type compare as
//! restrictions compare them, strings like `lstrcmp` (8-bit strings read in code page
//! 1252).

use std::ffi::{c_int, c_void};
use std::mem::{offset_of, size_of};

use super::memory::{MAPIAllocateBuffer, MAPIFreeBuffer};
use crate::com::marshal::{self, c_len};
use crate::com::object::guard;
use crate::com::packed_props;
use crate::com::types::*;
use crate::com::vtbl::{IMAPIProp, IMAPITable, IUnknown};
use crate::consts::*;
use crate::model::prop::PropValue;
use crate::model::table::{Restriction, TableRow};

/// The code page 8-bit strings are read in for comparisons (Windows' Western default).
const COMPARE_CODEPAGE: u32 = 1252;

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
        unsafe { MAPIFreeBuffer(p.cast()) };
    }
}

// ===== IMAPIProp helpers =====

/// Reads one property: `IMAPIProp::GetProps` for `ulPropTag` alone.
///
/// Returns `S_OK` with `*lppProp` set (free it with `MAPIFreeBuffer`), or the error the
/// object gave for the property (`MAPI_E_NOT_FOUND` when it has none,
/// `MAPI_E_NOT_ENOUGH_MEMORY` when the value is too large for `GetProps` and must be read
/// with `OpenProperty`), with `*lppProp` NULL. Never a warning.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrGetOneProp(
    lpMapiProp: *mut IMAPIProp,
    ulPropTag: ULONG,
    lppProp: *mut *mut SPropValue,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppProp` is NULL or the caller's out-parameter.
        if !unsafe { super::clear_out(lppProp) } || lpMapiProp.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        let mut tags = SPropTagArray {
            cValues: 1,
            aulPropTag: [ulPropTag],
        };
        let mut count: ULONG = 0;
        let mut values: *mut SPropValue = std::ptr::null_mut();
        // SAFETY: `lpMapiProp` is an IMAPIProp the caller holds; the arguments are valid
        // for GetProps.
        let hr = unsafe {
            ((*(*lpMapiProp).lpVtbl).GetProps)(
                lpMapiProp.cast(),
                &mut tags,
                0,
                &mut count,
                &mut values,
            )
        };
        if failed(hr) || values.is_null() || count != 1 {
            // SAFETY: whatever GetProps returned is ours to free.
            unsafe { free(values) };
            return if failed(hr) { hr } else { MAPI_E_NOT_FOUND };
        }
        // SAFETY: GetProps returned one value.
        let value = unsafe { &*values };
        if prop_type(value.ulPropTag) == PT_ERROR {
            // SAFETY: a PT_ERROR value holds its SCODE in `err`.
            let sc = unsafe { value.Value.err };
            // SAFETY: the array is ours to free.
            unsafe { free(values) };
            return if failed(sc) { sc } else { MAPI_E_NOT_FOUND };
        }
        // SAFETY: checked non-NULL above.
        unsafe { *lppProp = values };
        S_OK
    })
}

/// Sets one property: `IMAPIProp::SetProps` with `lpProp` alone. A property the object
/// refuses is an error here (its problem's SCODE), not a problem array; never a warning.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrSetOneProp(
    lpMapiProp: *mut IMAPIProp,
    lpProp: *mut SPropValue,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        if lpMapiProp.is_null() || lpProp.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        let mut problems: *mut SPropProblemArray = std::ptr::null_mut();
        // SAFETY: `lpMapiProp` is an IMAPIProp the caller holds and `lpProp` one value.
        let hr = unsafe {
            ((*(*lpMapiProp).lpVtbl).SetProps)(lpMapiProp.cast(), 1, lpProp, &mut problems)
        };
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
    })
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

/// TRUE when the object has the property (`IMAPIProp::GetPropList`). A `PT_UNSPECIFIED`
/// tag matches any type, and a string tag either width.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FPropExists(lpMapiProp: *mut IMAPIProp, ulPropTag: ULONG) -> BOOL {
    guard(0, || {
        if lpMapiProp.is_null() {
            return 0;
        }
        let mut list: *mut SPropTagArray = std::ptr::null_mut();
        for flags in [MAPI_UNICODE, 0] {
            // SAFETY: `lpMapiProp` is an IMAPIProp the caller holds.
            let hr = unsafe {
                ((*(*lpMapiProp).lpVtbl).GetPropList)(lpMapiProp.cast(), flags, &mut list)
            };
            if !failed(hr) && !list.is_null() {
                break;
            }
            // SAFETY: a failed call's output, if any, is ours to free.
            unsafe { free(list) };
            list = std::ptr::null_mut();
        }
        if list.is_null() {
            return 0;
        }
        // SAFETY: GetPropList returned an array of `cValues` tags.
        let found = unsafe {
            let first = std::ptr::addr_of!((*list).aulPropTag) as *const ULONG;
            std::slice::from_raw_parts(first, (*list).cValues as usize)
                .iter()
                .any(|&t| same_property(t, ulPropTag))
        };
        // SAFETY: the list is ours to free.
        unsafe { free(list) };
        BOOL::from(found)
    })
}

// ===== tables =====

/// Frees a row set: each row's property array, then the set, with `MAPIFreeBuffer`. NULL is
/// ignored.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FreeProws(lpRows: *mut SRowSet) {
    guard((), || {
        if lpRows.is_null() {
            return;
        }
        // SAFETY: a row set holds `cRows` rows whose arrays are separate MAPI blocks.
        unsafe {
            let first = std::ptr::addr_of!((*lpRows).aRow) as *const SRow;
            for i in 0..(*lpRows).cRows as usize {
                free((*first.add(i)).lpProps);
            }
            free(lpRows);
        }
    })
}

/// Frees an address list as [`FreeProws`] frees a row set (the two are laid out alike).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FreePadrlist(lpAdrlist: *mut ADRLIST) {
    // SAFETY: ADRLIST is SRowSet; forwarded from the caller.
    unsafe { FreeProws(lpAdrlist) }
}

/// Reads every row of a table into one row set (free it with `FreeProws`).
///
/// Columns, restriction and sort order are set first when given (NULL leaves the table's
/// own), then the table is read from its first row. `crowsMax` 0 reads any number of rows;
/// otherwise a table with more rows fails with `MAPI_E_TABLE_TOO_BIG`. Values come back
/// as the table's `QueryRows` gives them (`PT_ERROR` for columns a row lacks).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrQueryAllRows(
    lpTable: *mut IMAPITable,
    lpPropTags: *mut SPropTagArray,
    lpRestriction: *mut SRestriction,
    lpSortOrderSet: *mut SSortOrderSet,
    crowsMax: LONG,
    lppRows: *mut *mut SRowSet,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppRows` is NULL or the caller's out-parameter.
        if !unsafe { super::clear_out(lppRows) } || lpTable.is_null() || crowsMax < 0 {
            return MAPI_E_INVALID_PARAMETER;
        }
        // SAFETY: `lpTable` is an IMAPITable the caller holds; every call below passes
        // arguments its slot accepts.
        unsafe {
            let this = lpTable.cast::<c_void>();
            let vt = &*(*lpTable).lpVtbl;
            if !lpPropTags.is_null() {
                let hr = (vt.SetColumns)(this, lpPropTags, TBL_BATCH);
                if failed(hr) {
                    return hr;
                }
            }
            if !lpRestriction.is_null() {
                let hr = (vt.Restrict)(this, lpRestriction, TBL_BATCH);
                if failed(hr) {
                    return hr;
                }
            }
            if !lpSortOrderSet.is_null() {
                let hr = (vt.SortTable)(this, lpSortOrderSet, TBL_BATCH);
                if failed(hr) {
                    return hr;
                }
            }
            let hr = (vt.SeekRow)(this, BOOKMARK_BEGINNING, 0, std::ptr::null_mut());
            if failed(hr) {
                return hr;
            }
            match read_all_rows(this, vt, crowsMax) {
                Ok(set) => {
                    *lppRows = set;
                    S_OK
                }
                Err(hr) => hr,
            }
        }
    })
}

/// `QueryRows` until the table has no more rows, merged into one set.
///
/// # Safety
/// `vt` must be the vtable of the table `this` the caller holds.
unsafe fn read_all_rows(
    this: *mut c_void,
    vt: &crate::com::vtbl::IMAPITableVtbl,
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
            unsafe { FreeProws(set) };
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
    if let Err(hr) = result {
        for set in sets {
            // SAFETY: each set came from QueryRows and is ours to free.
            unsafe { FreeProws(set) };
        }
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
        Ok(cb) => unsafe { MAPIAllocateBuffer(cb, &mut block) },
        Err(_) => MAPI_E_NOT_ENOUGH_MEMORY,
    };
    if failed(sc) {
        for set in sets {
            // SAFETY: as above.
            unsafe { FreeProws(set) };
        }
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

// ===== finding =====

/// The value in `lpPropArray` whose tag is `ulPropTag`; for a `PT_UNSPECIFIED` tag, the
/// first with its property id. NULL when there is none.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn PpropFindProp(
    lpPropArray: *mut SPropValue,
    cValues: ULONG,
    ulPropTag: ULONG,
) -> *mut SPropValue {
    guard(std::ptr::null_mut(), || {
        let by_id = prop_type(ulPropTag) == PT_UNSPECIFIED;
        // SAFETY: the caller's array holds `cValues` values.
        unsafe {
            find(lpPropArray, cValues, |t| {
                t == ulPropTag || (by_id && prop_id(t) == prop_id(ulPropTag))
            })
        }
    })
}

/// The first value in `lpPropArray` with the property id of `ulPropTag`, whatever its type;
/// NULL when there is none.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn LpValFindProp(
    ulPropTag: ULONG,
    cValues: ULONG,
    lpPropArray: *mut SPropValue,
) -> *mut SPropValue {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's array holds `cValues` values.
        unsafe { find(lpPropArray, cValues, |t| prop_id(t) == prop_id(ulPropTag)) }
    })
}

/// # Safety
/// `array` must be NULL or hold `count` values.
unsafe fn find(
    array: *mut SPropValue,
    count: ULONG,
    wanted: impl Fn(ULONG) -> bool,
) -> *mut SPropValue {
    if array.is_null() {
        return std::ptr::null_mut();
    }
    for i in 0..count as usize {
        // SAFETY: forwarded from the caller.
        let p = unsafe { array.add(i) };
        // SAFETY: as above.
        if wanted(unsafe { (*p).ulPropTag }) {
            return p;
        }
    }
    std::ptr::null_mut()
}

// ===== sizes and copies (com::packed_props) =====

fn size_out(size: usize) -> Result<ULONG, SCODE> {
    ULONG::try_from(size).map_err(|_| MAPI_E_NOT_ENOUGH_MEMORY)
}

/// Writes `*lpcb` when the caller gave it.
///
/// # Safety
/// `lpcb` must be NULL or writable.
unsafe fn set_count(lpcb: *mut ULONG, size: ULONG) {
    if !lpcb.is_null() {
        // SAFETY: checked non-NULL; the caller's out-parameter.
        unsafe { lpcb.write_unaligned(size) };
    }
}

/// A block of `size` bytes from an allocator callback, as `Result`.
fn allocated(sc: SCODE, block: *mut c_void) -> Result<*mut u8, SCODE> {
    match (failed(sc), block.is_null()) {
        (true, _) => Err(sc),
        (false, true) => Err(MAPI_E_NOT_ENOUGH_MEMORY),
        (false, false) => Ok(block.cast()),
    }
}

/// Validates an array of values and sets `*lpcb` (when given) to the bytes `ScCopyProps`
/// needs for it: `sizeof(SPropValue)` per value plus each value's data, packed.
///
/// `MAPI_E_INVALID_PARAMETER`, `*lpcb` untouched, for a negative count, a NULL array with
/// values, a type MAPI does not define for values (`PT_UNSPECIFIED`, `PT_NULL`, `PT_PTR`,
/// any `MV_INSTANCE` type, unknown types), an id of `PROP_ID_NULL` or `PROP_ID_INVALID`, a
/// multi-valued property without values, or a NULL pointer where data is due.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScCountProps(
    cValues: c_int,
    lpPropArray: *mut SPropValue,
    lpcb: *mut ULONG,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        let size = packed_props::Values::new(cValues, lpPropArray)
            // SAFETY: the caller's array holds `cValues` values with valid data.
            .and_then(|values| unsafe { packed_props::count_here(&values) })
            .and_then(size_out);
        match size {
            Ok(n) => {
                // SAFETY: the caller's out-parameter, if any.
                unsafe { set_count(lpcb, n) };
                S_OK
            }
            Err(sc) => sc,
        }
    })
}

/// Copies an array of values and their data into `lpvDst` (any alignment), which must hold
/// the size `ScCountProps` gives: the values first, then each one's data, packed. The
/// copy's pointers point into `lpvDst`; `*lpcb`, when given, receives the bytes written.
/// Refuses what `ScCountProps` refuses, and a NULL `lpvDst`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScCopyProps(
    cValues: c_int,
    lpPropArray: *mut SPropValue,
    lpvDst: *mut c_void,
    lpcb: *mut ULONG,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        if lpvDst.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        // SAFETY: the caller's array holds `cValues` values with valid data, and `lpvDst`
        // the size counted here.
        let written = unsafe {
            packed_props::Values::new(cValues, lpPropArray).and_then(|values| {
                let size = packed_props::count_here(&values)?;
                packed_props::copy(&values, lpvDst.cast(), size)
            })
        };
        match written.and_then(size_out) {
            Ok(n) => {
                // SAFETY: the caller's out-parameter, if any.
                unsafe { set_count(lpcb, n) };
                S_OK
            }
            Err(sc) => sc,
        }
    })
}

/// Copies an array of values and their data into one new block from `lpAllocateBuffer`,
/// packed as `ScCopyProps` packs them (free it with the matching free function,
/// `MAPIFreeBuffer` for MAPI's). Refuses what `ScCountProps` refuses.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScDupPropset(
    cValues: c_int,
    lpPropArray: *mut SPropValue,
    lpAllocateBuffer: Option<
        unsafe extern "system" fn(cbSize: ULONG, lppBuffer: *mut *mut c_void) -> SCODE,
    >,
    lppPropArray: *mut *mut SPropValue,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppPropArray` is NULL or the caller's out-parameter.
        let (true, Some(allocate)) = (unsafe { super::clear_out(lppPropArray) }, lpAllocateBuffer)
        else {
            return MAPI_E_INVALID_PARAMETER;
        };
        // SAFETY: the caller's array holds `cValues` values with valid data; the block
        // holds the size counted here.
        let copy = unsafe {
            packed_props::Values::new(cValues, lpPropArray).and_then(|values| {
                let size = packed_props::count_here(&values)?;
                let mut block: *mut c_void = std::ptr::null_mut();
                let block = allocated(allocate(size_out(size)?, &mut block), block)?;
                match packed_props::copy(&values, block, size) {
                    Ok(_) => Ok(block),
                    Err(sc) => {
                        free(block);
                        Err(sc)
                    }
                }
            })
        };
        match copy {
            Ok(block) => {
                // SAFETY: checked non-NULL above.
                unsafe { *lppPropArray = block.cast() };
                S_OK
            }
            Err(sc) => sc,
        }
    })
}

/// Adjusts the pointers of an array that `ScCopyProps` packed at `lpvBaseOld` and that is
/// now at `lpPropArray` (moved, or about to be written out), to point as if the block
/// started at `lpvBaseNew`. The data is always read where `lpPropArray` is, so either base
/// may be a placeholder such as NULL. `*lpcb`, when given, receives the block's size, as
/// `ScCountProps` gives it. Refuses what `ScCountProps` refuses, changing nothing.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScRelocProps(
    cValues: c_int,
    lpPropArray: *mut SPropValue,
    lpvBaseOld: *mut c_void,
    lpvBaseNew: *mut c_void,
    lpcb: *mut ULONG,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: the caller's array holds `cValues` values whose data lies in the same
        // block, at the same offsets from `lpPropArray` as from `lpvBaseOld`.
        let size = unsafe {
            packed_props::Values::new(cValues, lpPropArray).and_then(|values| {
                packed_props::relocate(&values, lpvBaseOld as usize, lpvBaseNew as usize)
            })
        };
        match size.and_then(size_out) {
            Ok(n) => {
                // SAFETY: the caller's out-parameter, if any.
                unsafe { set_count(lpcb, n) };
                S_OK
            }
            Err(sc) => sc,
        }
    })
}

/// Copies one value into `lpSPropValueDest`, its data (if it has any) into one block from
/// `lpfAllocMore` linked to `lpvObject` (freed with that object). Every type MAPI defines
/// for values is copied, `PT_NULL` and `PT_OBJECT` included; others, and `MV_INSTANCE`
/// types, are `MAPI_E_INVALID_PARAMETER`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn PropCopyMore(
    lpSPropValueDest: *mut SPropValue,
    lpSPropValueSrc: *mut SPropValue,
    lpfAllocMore: Option<
        unsafe extern "system" fn(
            cbSize: ULONG,
            lpObject: *mut c_void,
            lppBuffer: *mut *mut c_void,
        ) -> SCODE,
    >,
    lpvObject: *mut c_void,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        let Some(more) = lpfAllocMore else {
            return MAPI_E_INVALID_PARAMETER;
        };
        if lpSPropValueDest.is_null() || lpSPropValueSrc.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        // SAFETY: the caller's source value is valid and the destination writable; the
        // allocator gives blocks of the size asked for.
        let copied = unsafe {
            let src = lpSPropValueSrc.read_unaligned();
            packed_props::copy_one(&src, lpSPropValueDest, |size| {
                let mut block: *mut c_void = std::ptr::null_mut();
                allocated(more(size_out(size)?, lpvObject, &mut block), block)
            })
        };
        match copied {
            Ok(()) => S_OK,
            Err(sc) => sc,
        }
    })
}

/// The size in bytes of a value's data: 2 for `PT_I2` and `PT_BOOLEAN`, 4 for `PT_LONG`,
/// `PT_R4` and `PT_ERROR`, 8 for the 64-bit types, 16 for `PT_CLSID`, strings with their
/// terminator, binaries' `cb`; `cValues` times the element for a multi-valued fixed-size
/// property (its array is not read), the sum over the values of a multi-valued string or
/// binary; 0 for `PT_NULL`, `PT_OBJECT`, `PT_PTR`, unknown and `MV_INSTANCE` types, and NULL.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn UlPropSize(lpSPropValue: *mut SPropValue) -> ULONG {
    guard(0, || {
        if lpSPropValue.is_null() {
            return 0;
        }
        // SAFETY: the caller's value is valid.
        let n = unsafe { packed_props::data_size(&lpSPropValue.read_unaligned()) };
        ULONG::try_from(n).unwrap_or(ULONG::MAX)
    })
}

// ===== comparisons =====

/// A caller's value as the model's, with `MV_INSTANCE` dropped from its tag; `None` for
/// what cannot be read (unknown types, NULL pointers).
///
/// # Safety
/// The value's pointers must be valid for its type.
unsafe fn model_value(p: &SPropValue) -> Option<(ULONG, PropValue)> {
    let mut v = *p;
    v.ulPropTag &= !MV_INSTANCE;
    // SAFETY: forwarded from the caller.
    unsafe { marshal::value_in(&v) }
        .ok()
        .map(|value| (v.ulPropTag, value))
}

/// Whether `left <relop> right` for two values of the same type, as a property restriction
/// decides it.
fn restriction_holds(tag: ULONG, left: PropValue, relop: ULONG, right: PropValue) -> bool {
    let row = TableRow {
        key: 0,
        props: vec![(tag, left)],
    };
    Restriction::Property {
        relop,
        tag,
        value: right,
    }
    .matches(&row, COMPARE_CODEPAGE)
}

fn relop_of(ord: std::cmp::Ordering, relop: ULONG) -> bool {
    use std::cmp::Ordering::*;
    match relop {
        RELOP_LT => ord == Less,
        RELOP_LE => ord != Greater,
        RELOP_GT => ord == Greater,
        RELOP_GE => ord != Less,
        RELOP_EQ => ord == Equal,
        RELOP_NE => ord != Equal,
        _ => false,
    }
}

/// The order of two values of one type that restrictions do not order: errors by their
/// SCODE, `PT_NULL` and `PT_OBJECT` by the LONG they carry, anything else by its bits.
///
/// # Safety
/// Both values must be readable.
unsafe fn plain_order(a: &SPropValue, b: &SPropValue) -> std::cmp::Ordering {
    // SAFETY: every member of the union is plain data; reading `l` and `li` of any value is
    // defined.
    unsafe {
        match prop_type(a.ulPropTag) {
            PT_ERROR | PT_NULL | PT_OBJECT => a.Value.l.cmp(&b.Value.l),
            _ => a.Value.li.cmp(&b.Value.li),
        }
    }
}

/// Whether two values satisfy `lpSPropValue1 <ulRelOp> lpSPropValue2`. Values of different
/// types, `RELOP_RE` and unknown operators give FALSE.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FPropCompareProp(
    lpSPropValue1: *mut SPropValue,
    ulRelOp: ULONG,
    lpSPropValue2: *mut SPropValue,
) -> BOOL {
    guard(0, || {
        if lpSPropValue1.is_null() || lpSPropValue2.is_null() || ulRelOp > RELOP_NE {
            return 0;
        }
        // SAFETY: the caller's values are valid (at any alignment).
        let (a, b) = unsafe {
            (
                &lpSPropValue1.read_unaligned(),
                &lpSPropValue2.read_unaligned(),
            )
        };
        let ty = prop_type(a.ulPropTag) & !MV_INSTANCE;
        if ty != prop_type(b.ulPropTag) & !MV_INSTANCE {
            return 0;
        }
        if matches!(ty, PT_ERROR | PT_NULL | PT_OBJECT) {
            // SAFETY: both values are readable.
            return BOOL::from(relop_of(unsafe { plain_order(a, b) }, ulRelOp));
        }
        // SAFETY: the caller's values are valid.
        match unsafe { (model_value(a), model_value(b)) } {
            (Some((tag, left)), Some((_, right))) => {
                BOOL::from(restriction_holds(tag, left, ulRelOp, right))
            }
            // SAFETY: both values are readable.
            _ => BOOL::from(relop_of(unsafe { plain_order(a, b) }, ulRelOp)),
        }
    })
}

/// Compares two values: less than zero, zero or more than zero as the first is less than,
/// equal to or greater than the second. Values of different types order by type; values
/// without an order (booleans, errors) give a consistent non-zero result when unequal.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn LPropCompareProp(
    lpSPropValueA: *mut SPropValue,
    lpSPropValueB: *mut SPropValue,
) -> LONG {
    guard(0, || {
        match (lpSPropValueA.is_null(), lpSPropValueB.is_null()) {
            (true, true) => return 0,
            (true, false) => return -1,
            (false, true) => return 1,
            (false, false) => {}
        }
        // SAFETY: the caller's values are valid (at any alignment).
        let (a, b) = unsafe {
            (
                &lpSPropValueA.read_unaligned(),
                &lpSPropValueB.read_unaligned(),
            )
        };
        let (ta, tb) = (
            prop_type(a.ulPropTag) & !MV_INSTANCE,
            prop_type(b.ulPropTag) & !MV_INSTANCE,
        );
        if ta != tb {
            return if ta < tb { -1 } else { 1 };
        }
        let sign = |o: std::cmp::Ordering| o as LONG;
        if matches!(ta, PT_ERROR | PT_NULL | PT_OBJECT) {
            // SAFETY: both values are readable.
            return sign(unsafe { plain_order(a, b) });
        }
        // SAFETY: the caller's values are valid.
        match unsafe { (model_value(a), model_value(b)) } {
            (Some((tag, left)), Some((_, right))) => {
                if restriction_holds(tag, left.clone(), RELOP_LT, right.clone()) {
                    -1
                } else if restriction_holds(tag, left, RELOP_EQ, right) {
                    0
                } else {
                    1
                }
            }
            // SAFETY: both values are readable.
            _ => sign(unsafe { plain_order(a, b) }),
        }
    })
}

/// Whether `lpSPropValueDst` contains `lpSPropValueSrc` as `ulFuzzyLevel` says
/// (`FL_FULLSTRING`, `FL_SUBSTRING` or `FL_PREFIX`, with `FL_IGNORECASE`,
/// `FL_IGNORENONSPACE` or `FL_LOOSE` for strings). Both must be `PT_STRING8`, `PT_UNICODE`
/// or `PT_BINARY`, of the same type; anything else is FALSE.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FPropContainsProp(
    lpSPropValueDst: *mut SPropValue,
    lpSPropValueSrc: *mut SPropValue,
    ulFuzzyLevel: ULONG,
) -> BOOL {
    guard(0, || {
        if lpSPropValueDst.is_null() || lpSPropValueSrc.is_null() {
            return 0;
        }
        // SAFETY: the caller's values are valid (at any alignment).
        let (dst, src) = unsafe {
            (
                &lpSPropValueDst.read_unaligned(),
                &lpSPropValueSrc.read_unaligned(),
            )
        };
        let ty = prop_type(dst.ulPropTag);
        if ty != prop_type(src.ulPropTag) || !matches!(ty, PT_STRING8 | PT_UNICODE | PT_BINARY) {
            return 0;
        }
        // SAFETY: the caller's values are valid.
        let (Some((tag, haystack)), Some((_, needle))) =
            (unsafe { model_value(dst) }, unsafe { model_value(src) })
        else {
            return 0;
        };
        let row = TableRow {
            key: 0,
            props: vec![(tag, haystack)],
        };
        let r = Restriction::Content {
            fuzzy: ulFuzzyLevel,
            tag,
            value: needle,
        };
        BOOL::from(r.matches(&row, COMPARE_CODEPAGE))
    })
}

/// Whether two named-property names are the same: equal GUIDs (both NULL counts as
/// equal), the same kind, and the same id or the same string (case-sensitive).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FEqualNames(
    lpName1: *mut MAPINAMEID,
    lpName2: *mut MAPINAMEID,
) -> BOOL {
    guard(0, || {
        if lpName1.is_null() || lpName2.is_null() {
            return 0;
        }
        // SAFETY: the caller's names are valid MAPINAMEIDs.
        let (a, b) = unsafe { (&*lpName1, &*lpName2) };
        // SAFETY: non-NULL GUID pointers of valid names are readable.
        let same_guid = match (a.lpguid.is_null(), b.lpguid.is_null()) {
            (true, true) => true,
            (false, false) => unsafe { a.lpguid.read_unaligned() == b.lpguid.read_unaligned() },
            _ => false,
        };
        if !same_guid || a.ulKind != b.ulKind {
            return 0;
        }
        // SAFETY: the kind selects the union member; string names are terminated UTF-16.
        let same = unsafe {
            match a.ulKind {
                MNID_ID => a.Kind.lID == b.Kind.lID,
                MNID_STRING => {
                    let (x, y) = (a.Kind.lpwstrName, b.Kind.lpwstrName);
                    match (x.is_null(), y.is_null()) {
                        (true, true) => true,
                        (false, false) => {
                            let (lx, ly) = (c_len(x), c_len(y));
                            lx == ly
                                && (0..lx)
                                    .all(|i| x.add(i).read_unaligned() == y.add(i).read_unaligned())
                        }
                        _ => false,
                    }
                }
                _ => false,
            }
        };
        BOOL::from(same)
    })
}

// ===== reference counts and initialization =====

/// `lpUnk->AddRef()`, or 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn UlAddRef(lpUnk: *mut c_void) -> ULONG {
    guard(0, || {
        let unk = lpUnk as *mut IUnknown;
        if unk.is_null() {
            return 0;
        }
        // SAFETY: a non-NULL argument is a COM object the caller holds.
        unsafe { ((*(*unk).lpVtbl).AddRef)(lpUnk) }
    })
}

/// `lpUnk->Release()`, or 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn UlRelease(lpUnk: *mut c_void) -> ULONG {
    guard(0, || {
        let unk = lpUnk as *mut IUnknown;
        if unk.is_null() {
            return 0;
        }
        // SAFETY: a non-NULL argument is a COM object the caller holds.
        unsafe { ((*(*unk).lpVtbl).Release)(lpUnk) }
    })
}

/// Succeeds: the helpers need no initialization. Kept for programs that call it.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScInitMapiUtil(ulFlags: ULONG) -> SCODE {
    let _ = ulFlags;
    S_OK
}

/// Does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn DeinitMapiUtil() {}
