//! MAPI's utility functions (`mapiutil.h`): one-property get and set, whole-table reads,
//! freeing row sets, finding, copying, sizing and comparing property values, comparing
//! names (`spec/mapi-abi.md` §11). Each export checks and translates its arguments; the
//! work is the COM layer's:
//!
//! - `com::prop_helpers`: the object-level helpers (`HrGetOneProp`, `HrSetOneProp`,
//!   `FPropExists`, `HrQueryAllRows`, `FreeProws`), through any object's vtable;
//! - `com::packed_props`: sizes and copies (`UlPropSize`, `ScCountProps`, `ScCopyProps`,
//!   `ScDupPropset`, `ScRelocProps`, `PropCopyMore`), exact and packed as native mapi32's;
//! - `com::prop_compare`: comparisons (`FPropCompareProp`, `LPropCompareProp`,
//!   `FPropContainsProp`, `FEqualNames`), as the table engine's restrictions compare.

use std::ffi::{c_int, c_void};

use crate::com::object::guard;
use crate::com::types::*;
use crate::com::vtbl::{IMAPIProp, IMAPITable, IUnknown};
use crate::com::{packed_props, prop_compare, prop_helpers};
use crate::consts::*;

fn prop_type(tag: ULONG) -> ULONG {
    tag & PROP_TYPE_MASK
}

fn prop_id(tag: ULONG) -> ULONG {
    tag >> 16
}

// ===== IMAPIProp helpers (com::prop_helpers) =====

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
        // SAFETY: `lpMapiProp` is an IMAPIProp the caller holds; `lppProp` was checked.
        unsafe {
            match prop_helpers::get_one(lpMapiProp, ulPropTag) {
                Ok(value) => {
                    *lppProp = value;
                    S_OK
                }
                Err(hr) => hr,
            }
        }
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
        // SAFETY: `lpMapiProp` is an IMAPIProp the caller holds and `lpProp` one value.
        unsafe { prop_helpers::set_one(lpMapiProp, lpProp) }
    })
}

/// TRUE when the object has the property (`IMAPIProp::GetPropList`). A `PT_UNSPECIFIED`
/// tag matches any type, and a string tag either width.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FPropExists(lpMapiProp: *mut IMAPIProp, ulPropTag: ULONG) -> BOOL {
    guard(0, || {
        if lpMapiProp.is_null() {
            return 0;
        }
        // SAFETY: `lpMapiProp` is an IMAPIProp the caller holds.
        BOOL::from(unsafe { prop_helpers::exists(lpMapiProp, ulPropTag) })
    })
}

// ===== tables =====

/// Frees a row set: each row's property array, then the set, with `MAPIFreeBuffer`. NULL is
/// ignored.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FreeProws(lpRows: *mut SRowSet) {
    // SAFETY: the caller's row set holds `cRows` rows whose arrays are MAPI blocks.
    guard((), || unsafe { prop_helpers::free_rows(lpRows) })
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
        // SAFETY: `lpTable` is an IMAPITable the caller holds, the other pointers NULL or
        // valid; `lppRows` was checked.
        unsafe {
            match prop_helpers::query_all_rows(
                lpTable,
                lpPropTags,
                lpRestriction,
                lpSortOrderSet,
                crowsMax,
            ) {
                Ok(set) => {
                    *lppRows = set;
                    S_OK
                }
                Err(hr) => hr,
            }
        }
    })
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
    match (sc < 0, block.is_null()) {
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
                packed_props::duplicate(&values, |size| {
                    let mut block: *mut c_void = std::ptr::null_mut();
                    allocated(allocate(size_out(size)?, &mut block), block)
                })
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

// ===== comparisons (com::prop_compare) =====

/// Whether two values satisfy `lpSPropValue1 <ulRelOp> lpSPropValue2`. Values of different
/// types, `RELOP_RE` and unknown operators give FALSE.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FPropCompareProp(
    lpSPropValue1: *mut SPropValue,
    ulRelOp: ULONG,
    lpSPropValue2: *mut SPropValue,
) -> BOOL {
    guard(0, || {
        if lpSPropValue1.is_null() || lpSPropValue2.is_null() {
            return 0;
        }
        // SAFETY: the caller's values are valid (at any alignment).
        BOOL::from(unsafe {
            prop_compare::holds(
                &lpSPropValue1.read_unaligned(),
                ulRelOp,
                &lpSPropValue2.read_unaligned(),
            )
        })
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
            (true, true) => 0,
            (true, false) => -1,
            (false, true) => 1,
            // SAFETY: the caller's values are valid (at any alignment).
            (false, false) => unsafe {
                prop_compare::order(
                    &lpSPropValueA.read_unaligned(),
                    &lpSPropValueB.read_unaligned(),
                ) as LONG
            },
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
        BOOL::from(unsafe {
            prop_compare::contains(
                &lpSPropValueDst.read_unaligned(),
                &lpSPropValueSrc.read_unaligned(),
                ulFuzzyLevel,
            )
        })
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
        // SAFETY: the caller's names are valid MAPINAMEIDs (at any alignment).
        BOOL::from(unsafe {
            prop_compare::same_name(&lpName1.read_unaligned(), &lpName2.read_unaligned())
        })
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
