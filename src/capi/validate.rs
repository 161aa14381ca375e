//! The `mapival.h` validation functions (`FBadProp`, `FBadRow`, `FBadRestriction`, ...):
//! TRUE (1) when the structure is malformed, FALSE (0) when it is usable. The walks are in
//! `com::validate`, which says what is checked. A panic inside answers TRUE.

use std::ffi::c_char;

use crate::com::object::guard;
use crate::com::types::*;
use crate::com::validate;

/// A list of entry identifiers (`SBinaryArray`).
pub type ENTRYLIST = MvArray<SBinary>;

/// 1 for bad, 0 for good: the SDK declares some of these `ULONG`, others `BOOL`.
fn verdict<T: From<u8>>(bad: bool) -> T {
    T::from(u8::from(bad))
}

/// Whether a property value is invalid: an undefined type, a Boolean other than 0 or 1,
/// a NULL string, GUID or array, a binary with bytes but no pointer.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadProp(lpprop: *mut SPropValue) -> ULONG {
    // SAFETY: `lpprop` is NULL or the caller's value.
    guard(1, || verdict(unsafe { validate::bad_prop(lpprop) }))
}

/// Whether a property tag is invalid: a type MAPI does not define (`MV_INSTANCE` only on a
/// multi-valued type), or the identifier 0xFFFF.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadPropTag(ulPropTag: ULONG) -> ULONG {
    guard(1, || verdict(validate::bad_prop_tag(ulPropTag)))
}

/// Whether a row is invalid: NULL, values missing for its count, or a bad value.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadRow(lprow: *mut SRow) -> ULONG {
    // SAFETY: `lprow` is NULL or the caller's row.
    guard(1, || verdict(unsafe { validate::bad_row(lprow) }))
}

/// Whether a row set is invalid: NULL, or any of its rows bad.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadRowSet(lpRowSet: *mut SRowSet) -> BOOL {
    // SAFETY: `lpRowSet` is NULL or the caller's row set.
    guard(1, || verdict(unsafe { validate::bad_row_set(lpRowSet) }))
}

/// Whether a column set is invalid: NULL, a bad tag, or a `PT_ERROR` column (`PT_NULL`
/// columns are valid).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadColumnSet(lpptaCols: *mut SPropTagArray) -> ULONG {
    // SAFETY: `lpptaCols` is NULL or the caller's tag array.
    guard(1, || {
        verdict(unsafe { validate::bad_column_set(lpptaCols) })
    })
}

/// Whether a sort order set is invalid: NULL, more categories than keys or more expanded
/// categories than categories, a bad tag or an unknown order.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadSortOrderSet(lpsos: *mut SSortOrderSet) -> ULONG {
    // SAFETY: `lpsos` is NULL or the caller's sort order set.
    guard(1, || {
        verdict(unsafe { validate::bad_sort_order_set(lpsos) })
    })
}

/// Whether a restriction, or any restriction under it, is invalid: an unknown kind,
/// operator or fuzzy level, a bad tag or value, a value whose type differs from its tag's,
/// a missing sub-restriction, nesting deeper than 256.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadRestriction(lpres: *mut SRestriction) -> ULONG {
    // SAFETY: `lpres` is NULL or the caller's restriction.
    guard(1, || verdict(unsafe { validate::bad_restriction(lpres) }))
}

/// Whether an entry list is invalid: NULL, or an entry identifier NULL or shorter than its
/// 4 flag bytes.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadEntryList(lpEntryList: *mut ENTRYLIST) -> BOOL {
    // SAFETY: `lpEntryList` is NULL or the caller's entry list.
    guard(1, || {
        verdict(unsafe { validate::bad_entry_list(lpEntryList) })
    })
}

/// Whether an array of `cStrings` 8-bit strings is invalid: NULL with a count, or a NULL
/// string.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadRglpszA(lppszA: *mut *mut c_char, cStrings: ULONG) -> BOOL {
    // SAFETY: `lppszA` is NULL or the caller's array of `cStrings` pointers.
    guard(1, || {
        verdict(unsafe { validate::bad_strings_a(lppszA.cast(), cStrings) })
    })
}

/// Whether an array of `cStrings` Unicode strings is invalid: NULL with a count, or a NULL
/// string.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadRglpszW(lppszW: *mut *mut WCHAR, cStrings: ULONG) -> BOOL {
    // SAFETY: `lppszW` is NULL or the caller's array of `cStrings` pointers.
    guard(1, || {
        verdict(unsafe { validate::bad_strings(lppszW.cast::<*const WCHAR>(), cStrings) })
    })
}

/// Whether an array of `cNames` named-property names is invalid: NULL with a count, a NULL
/// name or GUID, an unknown kind, or a string name without its string.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBadRglpNameID(
    lppNameId: *mut *mut MAPINAMEID,
    cNames: ULONG,
) -> BOOL {
    // SAFETY: `lppNameId` is NULL or the caller's array of `cNames` pointers.
    guard(1, || {
        verdict(unsafe { validate::bad_name_ids(lppNameId.cast(), cNames) })
    })
}
