//! How values compare and match: relational operators on property values, string
//! collation like Windows' `lstrcmp`, the total order sorts use, and the fuzzy matching of
//! content restrictions (`FL_IGNORECASE`, `FL_IGNORENONSPACE`, `FL_LOOSE`).
#![forbid(unsafe_code)]

use std::cmp::Ordering;

use crate::consts::*;
use crate::types::codepage;
use crate::types::prop_value::PropValue;

pub(crate) fn apply_relop(relop: u32, ord: Ordering) -> bool {
    match relop {
        RELOP_LT => ord == Ordering::Less,
        RELOP_LE => ord != Ordering::Greater,
        RELOP_GT => ord == Ordering::Greater,
        RELOP_GE => ord != Ordering::Less,
        RELOP_EQ => ord == Ordering::Equal,
        RELOP_NE => ord != Ordering::Equal,
        _ => false,
    }
}

/// `left <relop> right`, with any-value semantics when exactly one side is multi-valued.
pub(crate) fn relop_holds(left: &PropValue, relop: u32, right: &PropValue, cp: u32) -> bool {
    match (left.mv_count().is_some(), right.mv_count().is_some()) {
        (true, false) => elements(left)
            .iter()
            .any(|l| relop_holds(l, relop, right, cp)),
        (false, true) => elements(right)
            .iter()
            .any(|r| relop_holds(left, relop, r, cp)),
        _ => match compare(left, right, cp) {
            Some(ord) => apply_relop(relop, ord),
            // Incomparable (other types, or a NaN): only "not equal" holds.
            None => relop == RELOP_NE && left.prop_type() == right.prop_type(),
        },
    }
}

/// The values of a multi-valued property as single values; a single value as itself.
pub(crate) fn elements(value: &PropValue) -> Vec<PropValue> {
    use PropValue::*;
    match value {
        MvI2(v) => v.iter().copied().map(I2).collect(),
        MvLong(v) => v.iter().copied().map(Long).collect(),
        MvR4(v) => v.iter().copied().map(R4).collect(),
        MvDouble(v) => v.iter().copied().map(Double).collect(),
        MvCurrency(v) => v.iter().copied().map(Currency).collect(),
        MvAppTime(v) => v.iter().copied().map(AppTime).collect(),
        MvSysTime(v) => v.iter().copied().map(SysTime).collect(),
        MvClsid(v) => v.iter().copied().map(Clsid).collect(),
        MvI8(v) => v.iter().copied().map(I8).collect(),
        MvBinary(v) => v.iter().cloned().map(Binary).collect(),
        MvString8(v) => v.iter().cloned().map(String8).collect(),
        MvUnicode(v) => v.iter().cloned().map(Unicode).collect(),
        single => vec![single.clone()],
    }
}

/// A single string as UTF-16; 8-bit strings are decoded with `cp` (bytes as Latin-1 when
/// the code page is not one we convert).
pub(crate) fn utf16(value: &PropValue, cp: u32) -> Option<Vec<u16>> {
    match value {
        PropValue::Unicode(s) => Some(s.clone()),
        PropValue::String8(s) => Some(
            codepage::decode(cp, s).unwrap_or_else(|_| s.iter().map(|&b| u16::from(b)).collect()),
        ),
        _ => None,
    }
}

fn chars(units: &[u16]) -> impl Iterator<Item = char> + '_ {
    char::decode_utf16(units.iter().copied()).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
}

/// `lstrcmp`-like order: case-insensitive first, then lowercase before uppercase. Both
/// steps are total orders, so the whole is one (sorting relies on it).
fn compare_text(a: &[u16], b: &[u16]) -> Ordering {
    let fold = |s| chars(s).flat_map(char::to_lowercase);
    fold(a).cmp(fold(b)).then_with(|| {
        let key = |c: char| (c.is_uppercase(), c);
        chars(a).map(key).cmp(chars(b).map(key))
    })
}

/// The order of two values of the same type (the string widths counting as one); `None`
/// for values that cannot be compared.
fn compare(a: &PropValue, b: &PropValue, cp: u32) -> Option<Ordering> {
    use PropValue::*;
    Some(match (a, b) {
        (I2(x), I2(y)) => x.cmp(y),
        (Long(x), Long(y)) => x.cmp(y),
        (I8(x), I8(y)) | (Currency(x), Currency(y)) => x.cmp(y),
        (R4(x), R4(y)) => x.partial_cmp(y)?,
        (Double(x), Double(y)) | (AppTime(x), AppTime(y)) => x.partial_cmp(y)?,
        (Boolean(x), Boolean(y)) => x.cmp(y),
        (SysTime(x), SysTime(y)) => x.cmp(y),
        (Error(x), Error(y)) => x.cmp(y),
        (Clsid(x), Clsid(y)) => x.cmp(y),
        (Binary(x), Binary(y)) => x.cmp(y),
        (String8(_) | Unicode(_), String8(_) | Unicode(_)) => {
            compare_text(&utf16(a, cp)?, &utf16(b, cp)?)
        }
        _ if a.mv_count().is_some() && b.mv_count().is_some() => {
            let (xs, ys) = (elements(a), elements(b));
            for (x, y) in xs.iter().zip(&ys) {
                match compare(x, y, cp)? {
                    Ordering::Equal => {}
                    other => return Some(other),
                }
            }
            xs.len().cmp(&ys.len())
        }
        _ => return None,
    })
}

/// A total order for sorting: values of different types by type, floats by IEEE total
/// order, multi-valued values element by element, everything else as [`compare`].
pub(crate) fn sort_cmp(a: &PropValue, b: &PropValue, cp: u32) -> Ordering {
    use PropValue::*;
    let (ta, tb) = (base_type(a.prop_type()), base_type(b.prop_type()));
    let (ma, mb) = (a.mv_count().is_some(), b.mv_count().is_some());
    if ta != tb || ma != mb {
        return (ma, a.prop_type()).cmp(&(mb, b.prop_type()));
    }
    match (a, b) {
        (R4(x), R4(y)) => x.total_cmp(y),
        (Double(x), Double(y)) | (AppTime(x), AppTime(y)) => x.total_cmp(y),
        _ if ma => {
            let (xs, ys) = (elements(a), elements(b));
            for (x, y) in xs.iter().zip(&ys) {
                match sort_cmp(x, y, cp) {
                    Ordering::Equal => {}
                    other => return other,
                }
            }
            xs.len().cmp(&ys.len())
        }
        _ => compare(a, b, cp).unwrap_or(Ordering::Equal),
    }
}

// ----- content restrictions -----

/// Base letters of U+00C0..=U+017F, `.` where the letter has no canonical decomposition
/// (Æ, Ø, Đ, Ł, ß, ...). Used for `FL_IGNORENONSPACE`.
const LATIN_BASES: &str = concat!(
    "AAAAAA.CEEEEIIII",
    ".NOOOOO..UUUUY..",
    "aaaaaa.ceeeeiiii",
    ".nooooo..uuuuy.y",
    "AaAaAaCcCcCcCcDd",
    "..EeEeEeEeEeGgGg",
    "GgGgHh..IiIiIiIi",
    "I...JjKk.LlLlLl.",
    "...NnNnNn...OoOo",
    "Oo..RrRrRrSsSsSs",
    "SsTtTt..UuUuUuUu",
    "UuUuWwYyYZzZzZz.",
);

const _: () = assert!(LATIN_BASES.len() == 0x180 - 0xC0);

fn is_combining_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}')
}

fn without_diacritic(c: char) -> char {
    let code = c as usize;
    if (0xC0..=0x17F).contains(&code) {
        match LATIN_BASES.as_bytes()[code - 0xC0] {
            b'.' => c,
            base => char::from(base),
        }
    } else {
        c
    }
}

/// A string prepared for a content comparison under the fuzzy flags.
pub(crate) fn fuzzy_text(units: &[u16], fuzzy: u32) -> String {
    let ignore_case = fuzzy & (FL_IGNORECASE | FL_LOOSE) != 0;
    let ignore_nonspace = fuzzy & (FL_IGNORENONSPACE | FL_LOOSE) != 0;
    let mut out = String::with_capacity(units.len());
    for c in chars(units) {
        let c = if ignore_nonspace {
            if is_combining_mark(c) {
                continue;
            }
            without_diacritic(c)
        } else {
            c
        };
        if ignore_case {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn fuzzy_match(haystack: &str, needle: &str, fuzzy: u32) -> bool {
    match fuzzy & 0xFFFF {
        FL_FULLSTRING => haystack == needle,
        FL_SUBSTRING => haystack.contains(needle),
        FL_PREFIX => haystack.starts_with(needle),
        _ => false,
    }
}

/// `FPropContainsProp` for one row value (any value of a multi-valued one).
pub(crate) fn contains(haystack: &PropValue, needle: &PropValue, fuzzy: u32, cp: u32) -> bool {
    if haystack.mv_count().is_some() {
        return elements(haystack)
            .iter()
            .any(|h| contains(h, needle, fuzzy, cp));
    }
    match (haystack, needle) {
        (PropValue::Binary(h), PropValue::Binary(n)) => {
            // Bytes as Latin-1 characters: `str` searching is linear, `windows` is not.
            let text = |b: &[u8]| b.iter().map(|&x| char::from(x)).collect::<String>();
            fuzzy_match(&text(h), &text(n), fuzzy)
        }
        _ => match (utf16(haystack, cp), utf16(needle, cp)) {
            (Some(h), Some(n)) => {
                fuzzy_match(&fuzzy_text(&h, fuzzy), &fuzzy_text(&n, fuzzy), fuzzy)
            }
            _ => false,
        },
    }
}

/// A type without its multi-value bits and with the two string widths as one.
pub(crate) fn base_type(ty: u32) -> u32 {
    match ty & !MVI_FLAG {
        PT_UNICODE => PT_STRING8,
        other => other,
    }
}
