//! Comparing caller `SPropValue`s and names (`FPropCompareProp`, `LPropCompareProp`,
//! `FPropContainsProp`, `FEqualNames`; `spec/mapi-abi.md` §11).
//!
//! Values of the same type compare as the table engine's restrictions compare them
//! (`model::table`): strings like `lstrcmp`, 8-bit strings read in code page 1252. Values
//! are read at any alignment (`ScCopyProps` packs them anywhere).

use std::cmp::Ordering;

use super::marshal::{self, c_len};
use super::types::*;
use crate::consts::*;
use crate::model::prop::PropValue;
use crate::model::table::{Restriction, TableRow};

/// The code page 8-bit strings are read in for comparisons (Windows' Western default).
const COMPARE_CODEPAGE: u32 = 1252;

/// A value's type without `MV_INSTANCE`, which only names a table column.
fn base_type(tag: ULONG) -> ULONG {
    tag & PROP_TYPE_MASK & !MV_INSTANCE
}

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

/// Whether a row holding only `tag` = `value` matches `restriction`: how the table engine
/// decides a comparison.
fn row_matches(tag: ULONG, value: PropValue, restriction: Restriction) -> bool {
    let row = TableRow {
        key: 0,
        props: vec![(tag, value)],
    };
    restriction.matches(&row, COMPARE_CODEPAGE)
}

/// Whether `left <relop> right` for two values of the same type, as a property restriction
/// decides it.
fn restriction_holds(tag: ULONG, left: PropValue, relop: ULONG, right: PropValue) -> bool {
    let value = right;
    row_matches(tag, left, Restriction::Property { relop, tag, value })
}

fn relop_of(ord: Ordering, relop: ULONG) -> bool {
    use Ordering::*;
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
fn plain_order(a: &SPropValue, b: &SPropValue) -> Ordering {
    // SAFETY: every member of the union is plain data; reading `l` and `li` of any value is
    // defined.
    unsafe {
        match prop_type(a.ulPropTag) {
            PT_ERROR | PT_NULL | PT_OBJECT => a.Value.l.cmp(&b.Value.l),
            _ => a.Value.li.cmp(&b.Value.li),
        }
    }
}

fn prop_type(tag: ULONG) -> ULONG {
    tag & PROP_TYPE_MASK
}

/// `FPropCompareProp`: whether `a <relop> b`. Values of different types, `RELOP_RE` and
/// unknown operators are false.
///
/// # Safety
/// Both values' pointers must be valid for their types (at any alignment).
pub unsafe fn holds(a: &SPropValue, relop: ULONG, b: &SPropValue) -> bool {
    let ty = base_type(a.ulPropTag);
    if relop > RELOP_NE || ty != base_type(b.ulPropTag) {
        return false;
    }
    if matches!(ty, PT_ERROR | PT_NULL | PT_OBJECT) {
        return relop_of(plain_order(a, b), relop);
    }
    // SAFETY: forwarded from the caller.
    match unsafe { (model_value(a), model_value(b)) } {
        (Some((tag, left)), Some((_, right))) => restriction_holds(tag, left, relop, right),
        _ => relop_of(plain_order(a, b), relop),
    }
}

/// `LPropCompareProp`: the order of `a` and `b`. Values of different types order by type;
/// values without an order (booleans, errors) give a consistent non-zero result when
/// unequal.
///
/// # Safety
/// As [`holds`].
pub unsafe fn order(a: &SPropValue, b: &SPropValue) -> Ordering {
    let (ta, tb) = (base_type(a.ulPropTag), base_type(b.ulPropTag));
    if ta != tb {
        return ta.cmp(&tb);
    }
    if matches!(ta, PT_ERROR | PT_NULL | PT_OBJECT) {
        return plain_order(a, b);
    }
    // SAFETY: forwarded from the caller.
    match unsafe { (model_value(a), model_value(b)) } {
        (Some((tag, left)), Some((_, right))) => {
            if restriction_holds(tag, left.clone(), RELOP_LT, right.clone()) {
                Ordering::Less
            } else if restriction_holds(tag, left, RELOP_EQ, right) {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        _ => plain_order(a, b),
    }
}

/// `FPropContainsProp`: whether `haystack` contains `needle` as `fuzzy` says. Both must be
/// `PT_STRING8`, `PT_UNICODE` or `PT_BINARY`, of the same type; anything else is false.
///
/// # Safety
/// As [`holds`].
pub unsafe fn contains(haystack: &SPropValue, needle: &SPropValue, fuzzy: ULONG) -> bool {
    let ty = prop_type(haystack.ulPropTag);
    if ty != prop_type(needle.ulPropTag) || !matches!(ty, PT_STRING8 | PT_UNICODE | PT_BINARY) {
        return false;
    }
    // SAFETY: forwarded from the caller.
    let read = unsafe { (model_value(haystack), model_value(needle)) };
    let (Some((tag, haystack)), Some((_, value))) = read else {
        return false;
    };
    row_matches(tag, haystack, Restriction::Content { fuzzy, tag, value })
}

/// `FEqualNames`: equal GUIDs (both NULL counts as equal), the same kind, and the same id
/// or the same string (case-sensitive).
///
/// # Safety
/// Both names' GUID and string pointers must be NULL or valid (at any alignment).
pub unsafe fn same_name(a: &MAPINAMEID, b: &MAPINAMEID) -> bool {
    // SAFETY: non-NULL GUID pointers of valid names are readable.
    let same_guid = match (a.lpguid.is_null(), b.lpguid.is_null()) {
        (true, true) => true,
        (false, false) => unsafe { a.lpguid.read_unaligned() == b.lpguid.read_unaligned() },
        _ => false,
    };
    if !same_guid || a.ulKind != b.ulKind {
        return false;
    }
    // SAFETY: the kind selects the union member; string names are terminated UTF-16.
    unsafe {
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
    }
}
