//! Restrictions (`SRestriction`) as owned data: checking one a caller built and evaluating
//! it on a row (`spec/mapi-abi.md` §5.4).
#![forbid(unsafe_code)]

use std::collections::HashMap;

use super::collate::{apply_relop, base_type, contains, elements, relop_holds};
use super::props::{convert_value, is_string};
use super::rows::TableRow;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::types::prop_value::{PropValue, prop_id, prop_type};

/// The error kind of `MAPI_E_TOO_COMPLEX` answers (`RELOP_RE`, categorized sorts, property
/// types that cannot be compared).
pub const TOO_COMPLEX: ErrorKind = ErrorKind::TooComplex;

/// Restrictions nested deeper than this are refused (the copy from C, evaluation and
/// `Drop` are all recursive).
pub const MAX_RESTRICTION_DEPTH: usize = 64;

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidParameter, message)
}

pub(crate) fn too_complex(message: impl Into<String>) -> Error {
    Error::new(TOO_COMPLEX, message)
}

// ----- restrictions -----

/// A restriction (`SRestriction`) as owned Rust data.
///
/// Evaluation rules (`spec/mapi-abi.md` §5.4; where MAPI's documentation is silent, MAPI's
/// own `FPropCompareProp`/`FPropContainsProp`/`UlPropSize`, which its in-memory tables use):
/// - A row's property is found by property ID and a type compatible with the tag: the same
///   type, `PT_UNSPECIFIED` in the tag, or both strings (either width) that are both single-
///   or both multi-valued. `MV_INSTANCE` in a tag is ignored. A property the row lacks (or
///   holds as `PT_ERROR`) makes `Content`, `Property`, `CompareProps`, `BitMask` and `Size`
///   false.
/// - Values compare only with values of the same type; the two string widths compare with
///   each other, 8-bit strings being decoded with the row set's code page.
/// - Strings compare like Windows' `lstrcmp`, which MAPI's `LPropCompareProp` uses: letters
///   first without regard to case, then, between strings that differ only in case, lowercase
///   before uppercase. `RELOP_EQ` is therefore case-sensitive. Binaries compare byte by byte,
///   then by length; GUIDs by their 16 bytes; booleans false before true.
/// - A multi-valued row property compared with a single value matches when any of its
///   values does; two multi-valued values compare element by element, then by count.
/// - `Content` applies to strings (either width) and binaries; see [`Restriction::Content`].
#[derive(Clone, Debug, PartialEq)]
pub enum Restriction {
    /// True when every one is (an empty list is true).
    And(Vec<Restriction>),
    /// True when any one is (an empty list is false).
    Or(Vec<Restriction>),
    Not(Box<Restriction>),
    /// `FL_FULLSTRING`, `FL_SUBSTRING` or `FL_PREFIX` in the low word of `fuzzy`, plus
    /// `FL_IGNORECASE`, `FL_IGNORENONSPACE` (diacritics of Latin-1 and Latin Extended-A
    /// letters and Unicode combining marks are ignored) and `FL_LOOSE` (both, as MAPI's
    /// documentation describes it). Binaries compare their bytes; the case flags do not
    /// apply to them.
    Content {
        fuzzy: u32,
        tag: u32,
        value: PropValue,
    },
    /// `row value <relop> value`.
    Property {
        relop: u32,
        tag: u32,
        value: PropValue,
    },
    /// `row value of tag1 <relop> row value of tag2`.
    CompareProps {
        relop: u32,
        tag1: u32,
        tag2: u32,
    },
    /// `BMR_EQZ`: `value & mask == 0`; `BMR_NEZ`: not zero. Applies to `PT_LONG`, `PT_I2`,
    /// `PT_BOOLEAN` and the low 32 bits of `PT_I8`, and to any value of their multi-valued
    /// forms.
    BitMask {
        relbmr: u32,
        tag: u32,
        mask: u32,
    },
    /// `size of the row value <relop> cb`, the size being what `UlPropSize` gives: the
    /// value's bytes, strings with their terminator, in the width the tag names (the stored
    /// width when the tag names none).
    Size {
        relop: u32,
        tag: u32,
        cb: u32,
    },
    Exist {
        tag: u32,
    },
    /// Rows of recipient and attachment tables have no sub-objects: never true.
    Sub {
        object: u32,
        restriction: Box<Restriction>,
    },
    /// `RES_COMMENT` and `RES_ANNOTATION`: the inner restriction, or true without one.
    /// Their property values only annotate and are not kept.
    Comment {
        restriction: Option<Box<Restriction>>,
    },
    /// At most `count` rows match: the first ones, in the order rows are evaluated (table
    /// order for `Restrict`, search order for `FindRow`), that match the inner restriction.
    /// A count node only counts the rows that reach it (an `And` that is already false
    /// does not evaluate the rest).
    Count {
        count: u32,
        restriction: Box<Restriction>,
    },
}

/// How many rows each `Count` node has let through in one evaluation pass, by node address.
pub(crate) type Counts = HashMap<usize, u32>;

impl Restriction {
    /// Refuses what `Restrict` and `FindRow` refuse: unknown operators and flags
    /// (`MAPI_E_INVALID_PARAMETER`), `RELOP_RE` and values whose type cannot be compared
    /// with the tag's ([`TOO_COMPLEX`]), nesting deeper than [`MAX_RESTRICTION_DEPTH`].
    pub fn validate(&self) -> Result<()> {
        self.check(1)
    }

    fn check(&self, depth: usize) -> Result<()> {
        if depth > MAX_RESTRICTION_DEPTH {
            return Err(invalid(format!(
                "the restriction is nested deeper than {MAX_RESTRICTION_DEPTH} levels"
            )));
        }
        match self {
            Restriction::And(list) | Restriction::Or(list) => {
                list.iter().try_for_each(|r| r.check(depth + 1))
            }
            Restriction::Not(r)
            | Restriction::Sub { restriction: r, .. }
            | Restriction::Count { restriction: r, .. } => r.check(depth + 1),
            Restriction::Comment { restriction } => match restriction {
                Some(r) => r.check(depth + 1),
                None => Ok(()),
            },
            Restriction::Content { fuzzy, tag, value } => check_content(*fuzzy, *tag, value),
            Restriction::Property { relop, tag, value } => {
                check_relop(*relop)?;
                check_property(*tag, value)
            }
            Restriction::CompareProps { relop, .. } | Restriction::Size { relop, .. } => {
                check_relop(*relop)
            }
            Restriction::BitMask { relbmr, .. } => {
                if *relbmr > BMR_NEZ {
                    return Err(invalid(format!(
                        "unknown bitmask operator {relbmr} (BMR_EQZ or BMR_NEZ expected)"
                    )));
                }
                Ok(())
            }
            Restriction::Exist { .. } => Ok(()),
        }
    }

    /// Whether `row` satisfies the restriction (a `Count` node counts from zero).
    pub fn matches(&self, row: &TableRow, codepage: u32) -> bool {
        self.eval(row, codepage, &mut Counts::new())
    }

    pub(crate) fn eval(&self, row: &TableRow, cp: u32, counts: &mut Counts) -> bool {
        match self {
            Restriction::And(list) => list.iter().all(|r| r.eval(row, cp, counts)),
            Restriction::Or(list) => list.iter().any(|r| r.eval(row, cp, counts)),
            Restriction::Not(r) => !r.eval(row, cp, counts),
            Restriction::Content { fuzzy, tag, value } => {
                find_value(row, *tag).is_some_and(|have| contains(have, value, *fuzzy, cp))
            }
            Restriction::Property { relop, tag, value } => {
                find_value(row, *tag).is_some_and(|have| relop_holds(have, *relop, value, cp))
            }
            Restriction::CompareProps { relop, tag1, tag2 } => {
                match (find_value(row, *tag1), find_value(row, *tag2)) {
                    (Some(a), Some(b)) => relop_holds(a, *relop, b, cp),
                    _ => false,
                }
            }
            Restriction::BitMask { relbmr, tag, mask } => {
                find_value(row, *tag).is_some_and(|have| {
                    bit_values(have).any(|v| (v & mask != 0) == (*relbmr == BMR_NEZ))
                })
            }
            Restriction::Size { relop, tag, cb } => find_value(row, *tag).is_some_and(|have| {
                let ty = prop_type(*tag) & !MV_INSTANCE;
                let sized = if is_string(ty) {
                    convert_value(have.clone(), ty, cp).unwrap_or_else(|_| have.clone())
                } else {
                    have.clone()
                };
                apply_relop(*relop, value_size(&sized).cmp(&u64::from(*cb)))
            }),
            Restriction::Exist { tag } => find_value(row, *tag).is_some(),
            Restriction::Sub { .. } => false,
            Restriction::Comment { restriction } => {
                restriction.as_ref().is_none_or(|r| r.eval(row, cp, counts))
            }
            Restriction::Count { count, restriction } => {
                if !restriction.eval(row, cp, counts) {
                    return false;
                }
                let seen = counts.entry(std::ptr::from_ref(self) as usize).or_insert(0);
                if *seen >= *count {
                    return false;
                }
                *seen += 1;
                true
            }
        }
    }
}

fn check_relop(relop: u32) -> Result<()> {
    match relop {
        RELOP_LT..=RELOP_NE => Ok(()),
        RELOP_RE => Err(too_complex(
            "RELOP_RE (regular expressions) is not supported in restrictions",
        )),
        _ => Err(invalid(format!("unknown relational operator {relop}"))),
    }
}

/// A restriction's constant value, which must be something values can be compared with.
fn check_constant(value: &PropValue) -> Result<()> {
    if matches!(
        value,
        PropValue::Null | PropValue::Error(_) | PropValue::Object
    ) {
        return Err(invalid(format!(
            "a restriction value of type 0x{:04X} cannot be compared",
            value.prop_type()
        )));
    }
    Ok(())
}

/// MAPI requires the tag and the value of a property restriction to have the same type
/// (else `MAPI_E_TOO_COMPLEX`); a multi-valued tag may carry a single value (any value of
/// the row's property matches) and the two string widths count as one.
fn check_property(tag: u32, value: &PropValue) -> Result<()> {
    check_constant(value)?;
    let tag_ty = prop_type(tag) & !MV_INSTANCE;
    let value_ty = value.prop_type();
    if tag_ty == PT_UNSPECIFIED {
        return Ok(());
    }
    let mv_mismatch = value_ty & MV_FLAG != 0 && tag_ty & MV_FLAG == 0;
    if base_type(tag_ty) != base_type(value_ty) || mv_mismatch {
        return Err(too_complex(format!(
            "a value of type 0x{value_ty:04X} cannot be compared with property 0x{tag:08X}"
        )));
    }
    Ok(())
}

fn check_content(fuzzy: u32, tag: u32, value: &PropValue) -> Result<()> {
    let known = FL_IGNORECASE | FL_IGNORENONSPACE | FL_LOOSE;
    if fuzzy & 0xFFFF > FL_PREFIX || fuzzy & 0xFFFF_0000 & !known != 0 {
        return Err(invalid(format!("unknown fuzzy level 0x{fuzzy:08X}")));
    }
    check_property(tag, value)?;
    let ty = value.prop_type();
    if !matches!(ty, PT_STRING8 | PT_UNICODE | PT_BINARY) {
        return Err(too_complex(format!(
            "content restrictions apply to strings and binaries, not to type 0x{ty:04X}"
        )));
    }
    Ok(())
}

/// Whether a row value of type `have` answers a request for type `want` (see
/// [`Restriction`]).
pub(crate) fn compatible(want: u32, have: u32) -> bool {
    want == PT_UNSPECIFIED
        || want == have
        || (is_string(want) && is_string(have) && (want & MV_FLAG) == (have & MV_FLAG))
}

/// The row's value for `tag`, for restrictions: errors and empty values count as absent.
pub(crate) fn find_value(row: &TableRow, tag: u32) -> Option<&PropValue> {
    let want = prop_type(tag) & !MV_INSTANCE;
    row.props
        .iter()
        .find(|(t, v)| {
            prop_id(*t) == prop_id(tag)
                && !matches!(v, PropValue::Error(_) | PropValue::Null | PropValue::Object)
                && compatible(want, v.prop_type())
        })
        .map(|(_, v)| v)
}

/// The 32-bit patterns a bitmask restriction tests.
fn bit_values(value: &PropValue) -> impl Iterator<Item = u32> {
    elements(value).into_iter().filter_map(|v| match v {
        PropValue::Long(x) => Some(x as u32),
        PropValue::I2(x) => Some(i32::from(x) as u32),
        PropValue::Boolean(b) => Some(u32::from(b)),
        PropValue::I8(x) => Some(x as u32),
        _ => None,
    })
}

/// `UlPropSize`: the bytes of a value, strings with their terminator.
fn value_size(value: &PropValue) -> u64 {
    use PropValue::*;
    let n = |len: usize| len as u64;
    match value {
        Null | Object => 0,
        I2(_) | Boolean(_) => 2,
        Long(_) | R4(_) | Error(_) => 4,
        Double(_) | Currency(_) | AppTime(_) | I8(_) | SysTime(_) => 8,
        Clsid(_) => 16,
        String8(s) => n(s.len()) + 1,
        Unicode(s) => 2 * (n(s.len()) + 1),
        Binary(b) => n(b.len()),
        MvI2(v) => 2 * n(v.len()),
        MvLong(v) => 4 * n(v.len()),
        MvR4(v) => 4 * n(v.len()),
        MvDouble(v) | MvAppTime(v) => 8 * n(v.len()),
        MvCurrency(v) | MvI8(v) => 8 * n(v.len()),
        MvSysTime(v) => 8 * n(v.len()),
        MvClsid(v) => 16 * n(v.len()),
        MvString8(v) => v.iter().map(|s| n(s.len()) + 1).sum(),
        MvUnicode(v) => v.iter().map(|s| 2 * (n(s.len()) + 1)).sum(),
        MvBinary(v) => v.iter().map(|b| n(b.len())).sum(),
    }
}
