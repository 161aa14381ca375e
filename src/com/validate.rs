//! The `mapival.h` checks (`FBadProp`, `FBadRow`, `FBadRestriction`, ...): walks over
//! structures a caller built, saying whether they are malformed. Each answers `true` for
//! "bad".
//!
//! What is checked is what can be checked without trusting the memory more than the
//! caller's contract does: NULL pointers where data is required (a string, a binary with a
//! byte count, an array with a count), misaligned structure pointers, values a field cannot
//! hold (an unknown property type, relational operator, fuzzy level, sort order, name kind,
//! a Boolean other than 0 or 1), and inconsistent counts (more categories than sort keys).
//! Whether a non-NULL pointer points to readable memory cannot be known on Linux the way
//! Windows' `IsBadReadPtr` guesses it; such pointers are read.

use std::ffi::c_char;

use super::types::*;
use crate::consts::*;
use crate::types::prop_value::is_known_type;

/// Nesting deeper than this makes a restriction bad (a cycle would otherwise never end).
const MAX_DEPTH: usize = 256;

/// `PR_MESSAGE_RECIPIENTS` and `PR_MESSAGE_ATTACHMENTS`: what a sub-restriction may name.
const SUB_OBJECTS: [ULONG; 2] = [0x0E12_0000 | PT_OBJECT, 0x0E13_0000 | PT_OBJECT];

fn misaligned<T>(p: *const T) -> bool {
    !(p as usize).is_multiple_of(std::mem::align_of::<T>())
}

/// NULL or misaligned: a pointer that cannot be read as a `T`.
fn unusable<T>(p: *const T) -> bool {
    p.is_null() || misaligned(p)
}

/// The property type of a tag with `MV_INSTANCE` dropped (it only marks a column that
/// expands a multi-valued property; a value carrying it is single-valued).
fn base_type(tag: ULONG) -> ULONG {
    let ty = tag & PROP_TYPE_MASK;
    if ty & MV_INSTANCE != 0 {
        ty & !MVI_FLAG
    } else {
        ty
    }
}

/// `FBadPropTag`: the type must be one MAPI defines (`MV_INSTANCE` only on a multi-valued
/// type), and the identifier not `PROP_ID_INVALID` (0xFFFF).
pub fn bad_prop_tag(tag: ULONG) -> bool {
    let ty = tag & PROP_TYPE_MASK;
    if ty & MV_INSTANCE != 0 && ty & MV_FLAG == 0 {
        return true;
    }
    let ty = ty & !MV_INSTANCE;
    let known = is_known_type(ty) || ty == PT_NULL || ty == PT_UNSPECIFIED;
    !known || tag >> 16 == 0xFFFF
}

/// Strings of one width compare as either width (an object may store one and be asked
/// the other); other types must be the same.
fn same_kind(a: ULONG, b: ULONG) -> bool {
    let string = |t: ULONG| matches!(t, PT_STRING8 | PT_UNICODE);
    a == b || (string(a) && string(b))
}

/// `n` items at `p`: a count above 0 needs a usable array.
///
/// # Safety
/// A non-NULL, aligned `p` must hold `n` items.
unsafe fn items<'a, T>(p: *const T, n: ULONG) -> Option<&'a [T]> {
    if n == 0 {
        return Some(&[]);
    }
    if unusable(p) {
        return None;
    }
    // SAFETY: forwarded from the caller.
    Some(unsafe { std::slice::from_raw_parts(p, n as usize) })
}

/// `FBadProp`: the tag, and the value as its type needs it.
///
/// # Safety
/// `p` must be NULL or a value whose non-NULL pointers are valid for its type.
pub unsafe fn bad_prop(p: *const SPropValue) -> bool {
    if unusable(p) {
        return true;
    }
    // SAFETY: checked usable; the caller's value.
    let v = unsafe { &*p };
    if bad_prop_tag(v.ulPropTag) {
        return true;
    }
    let val = &v.Value;
    // SAFETY: the type selects the union member; every member is plain data.
    unsafe {
        match base_type(v.ulPropTag) {
            PT_UNSPECIFIED => true,
            PT_BOOLEAN => val.b > 1,
            PT_STRING8 => val.lpszA.is_null(),
            PT_UNICODE => val.lpszW.is_null(),
            PT_CLSID => unusable(val.lpguid),
            PT_BINARY => val.bin.cb > 0 && val.bin.lpb.is_null(),
            PT_MV_STRING8 => {
                items(val.MVszA.lp, val.MVszA.cValues).is_none_or(|s| s.iter().any(|p| p.is_null()))
            }
            PT_MV_UNICODE => {
                items(val.MVszW.lp, val.MVszW.cValues).is_none_or(|s| s.iter().any(|p| p.is_null()))
            }
            PT_MV_BINARY => items(val.MVbin.lp, val.MVbin.cValues)
                .is_none_or(|s| s.iter().any(|b| b.cb > 0 && b.lpb.is_null())),
            ty if ty & MV_FLAG != 0 => {
                // The fixed-size multi-valued types: an array of their values.
                let MvArray { cValues, lp } = val.MVl;
                cValues > 0 && lp.is_null()
            }
            _ => false,
        }
    }
}

/// `FBadRow`: a row's values.
///
/// # Safety
/// `p` must be NULL or a row whose values are valid as [`bad_prop`] says.
pub unsafe fn bad_row(p: *const SRow) -> bool {
    if unusable(p) {
        return true;
    }
    // SAFETY: checked usable; the caller's row and its values.
    unsafe {
        let row = &*p;
        match items(row.lpProps, row.cValues) {
            Some(props) => props.iter().any(|v| bad_prop(v)),
            None => true,
        }
    }
}

/// `FBadRowSet`: every row of the set.
///
/// # Safety
/// `p` must be NULL or a row set of `cRows` rows valid as [`bad_row`] says.
pub unsafe fn bad_row_set(p: *const SRowSet) -> bool {
    if unusable(p) {
        return true;
    }
    // SAFETY: checked usable; the set holds `cRows` rows.
    unsafe {
        let first = std::ptr::addr_of!((*p).aRow) as *const SRow;
        (0..(*p).cRows as usize).any(|i| bad_row(first.add(i)))
    }
}

/// The tags of a tag array, or `None` for NULL.
///
/// # Safety
/// `p` must be NULL or a tag array of `cValues` tags.
unsafe fn tags<'a>(p: *const SPropTagArray) -> Option<&'a [ULONG]> {
    if unusable(p) {
        return None;
    }
    // SAFETY: checked usable; the array holds `cValues` tags.
    unsafe {
        let first = std::ptr::addr_of!((*p).aulPropTag) as *const ULONG;
        Some(std::slice::from_raw_parts(first, (*p).cValues as usize))
    }
}

/// `FBadColumnSet`: every tag valid; `PT_ERROR` columns are bad, `PT_NULL` ones fine.
///
/// # Safety
/// `p` must be NULL or a tag array of `cValues` tags.
pub unsafe fn bad_column_set(p: *const SPropTagArray) -> bool {
    // SAFETY: forwarded from the caller.
    match unsafe { tags(p) } {
        Some(tags) => tags
            .iter()
            .any(|&t| t & PROP_TYPE_MASK == PT_ERROR || bad_prop_tag(t)),
        None => true,
    }
}

/// `FBadSortOrderSet`: counts consistent (categories within the sort keys, expanded
/// categories within the categories), each key a valid tag with a known order.
///
/// # Safety
/// `p` must be NULL or a sort order set of `cSorts` keys.
pub unsafe fn bad_sort_order_set(p: *const SSortOrderSet) -> bool {
    if unusable(p) {
        return true;
    }
    // SAFETY: checked usable; the set holds `cSorts` keys.
    unsafe {
        let set = &*p;
        if set.cCategories > set.cSorts || set.cExpanded > set.cCategories {
            return true;
        }
        let first = std::ptr::addr_of!((*p).aSort) as *const SSortOrder;
        std::slice::from_raw_parts(first, set.cSorts as usize)
            .iter()
            .any(|s| {
                let order_known = matches!(
                    s.ulOrder,
                    TABLE_SORT_ASCEND
                        | TABLE_SORT_DESCEND
                        | TABLE_SORT_COMBINE
                        | TABLE_SORT_CATEG_MAX
                        | TABLE_SORT_CATEG_MIN
                );
                !order_known
                    || s.ulPropTag & PROP_TYPE_MASK == PT_ERROR
                    || bad_prop_tag(s.ulPropTag)
            })
    }
}

/// `FBadEntryList`: every entry identifier present and at least its 4 flag bytes long.
///
/// # Safety
/// `p` must be NULL or an `ENTRYLIST` of `cValues` binaries.
pub unsafe fn bad_entry_list(p: *const MvArray<SBinary>) -> bool {
    if unusable(p) {
        return true;
    }
    // SAFETY: checked usable; the list holds `cValues` entries.
    unsafe {
        let list = &*p;
        items(list.lp, list.cValues)
            .is_none_or(|ids| ids.iter().any(|id| id.cb < 4 || id.lpb.is_null()))
    }
}

/// `FBadRglpszA`/`FBadRglpszW`: `n` strings, none NULL.
///
/// # Safety
/// `p` must be NULL or an array of `n` pointers.
pub unsafe fn bad_strings<T>(p: *const *const T, n: ULONG) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { items(p, n) }.is_none_or(|s| s.iter().any(|s| s.is_null()))
}

/// `FBadRglpszA` over 8-bit strings.
///
/// # Safety
/// As [`bad_strings`].
pub unsafe fn bad_strings_a(p: *const *const c_char, n: ULONG) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { bad_strings(p, n) }
}

/// `FBadRglpNameID`: `n` names, each with a GUID, a known kind and, for a string name, a
/// string.
///
/// # Safety
/// `p` must be NULL or an array of `n` pointers to names.
pub unsafe fn bad_name_ids(p: *const *const MAPINAMEID, n: ULONG) -> bool {
    // SAFETY: forwarded from the caller.
    let Some(names) = (unsafe { items(p, n) }) else {
        return true;
    };
    names.iter().any(|&name| {
        if unusable(name) {
            return true;
        }
        // SAFETY: checked usable; the caller's name, its union selected by `ulKind`.
        unsafe {
            let name = &*name;
            unusable(name.lpguid)
                || match name.ulKind {
                    MNID_ID => false,
                    MNID_STRING => name.Kind.lpwstrName.is_null(),
                    _ => true,
                }
        }
    })
}

/// `FBadRestriction`: the restriction and everything under it.
///
/// # Safety
/// `p` must be NULL or a restriction whose pointers are valid for its kinds.
pub unsafe fn bad_restriction(p: *const SRestriction) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { bad_res(p, 0) }
}

fn bad_relop(relop: ULONG, regex_ok: bool) -> bool {
    relop > RELOP_RE || (relop == RELOP_RE && !regex_ok)
}

/// # Safety
/// As [`bad_restriction`].
unsafe fn bad_res(p: *const SRestriction, depth: usize) -> bool {
    if unusable(p) || depth > MAX_DEPTH {
        return true;
    }
    // SAFETY: checked usable; the kind selects the union member, whose pointers the caller
    // guarantees.
    unsafe {
        let r = &*p;
        let below = |q: *const SRestriction| bad_res(q, depth + 1);
        match r.rt {
            RES_AND | RES_OR => {
                let SSubRestriction { ul: count, lpRes } = r.res.sub;
                items(lpRes, count).is_none_or(|subs| subs.iter().any(|s| below(s)))
            }
            RES_NOT | RES_COUNT => below(r.res.sub.lpRes),
            RES_SUBRESTRICTION => {
                let sub = r.res.sub;
                !SUB_OBJECTS.contains(&sub.ul) || below(sub.lpRes)
            }
            RES_CONTENT => {
                let SPropRestriction {
                    ul1: fuzzy,
                    ulPropTag: tag,
                    lpProp,
                } = r.res.prop;
                let ty = base_type(tag) & !MV_FLAG;
                let level_known =
                    matches!(fuzzy & 0xFFFF, FL_FULLSTRING | FL_SUBSTRING | FL_PREFIX)
                        && fuzzy & 0xFFFF_0000 & !(FL_IGNORECASE | FL_IGNORENONSPACE | FL_LOOSE)
                            == 0;
                !level_known
                    || bad_prop_tag(tag)
                    || !matches!(ty, PT_STRING8 | PT_UNICODE | PT_BINARY)
                    || bad_prop(lpProp)
                    || !same_kind(ty, base_type((*lpProp).ulPropTag))
            }
            RES_PROPERTY => {
                let SPropRestriction {
                    ul1: relop,
                    ulPropTag: tag,
                    lpProp,
                } = r.res.prop;
                bad_relop(relop, true)
                    || bad_prop_tag(tag)
                    || bad_prop(lpProp)
                    || !same_kind(
                        base_type(tag) & !MV_FLAG,
                        base_type((*lpProp).ulPropTag) & !MV_FLAG,
                    )
            }
            RES_COMPAREPROPS => {
                let SThreeULong {
                    ul1: relop,
                    ul2: a,
                    ul3: b,
                } = r.res.three;
                bad_relop(relop, true)
                    || bad_prop_tag(a)
                    || bad_prop_tag(b)
                    || !same_kind(base_type(a), base_type(b))
            }
            RES_BITMASK => {
                let SThreeULong {
                    ul1: rel, ul2: tag, ..
                } = r.res.three;
                !matches!(rel, BMR_EQZ | BMR_NEZ) || bad_prop_tag(tag)
            }
            RES_SIZE => {
                let SThreeULong {
                    ul1: relop,
                    ul2: tag,
                    ..
                } = r.res.three;
                bad_relop(relop, false) || bad_prop_tag(tag)
            }
            RES_EXIST => bad_prop_tag(r.res.three.ul2),
            RES_COMMENT | RES_ANNOTATION => {
                let c = r.res.comment;
                items(c.lpProp, c.cValues).is_none_or(|props| props.iter().any(|v| bad_prop(v)))
                    || (!c.lpRes.is_null() && below(c.lpRes))
            }
            _ => true,
        }
    }
}
