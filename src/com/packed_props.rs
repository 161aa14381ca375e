//! `SPropValue` arrays packed as MAPI's own mapiutil packs them: the sizes of `UlPropSize`
//! and `ScCountProps`, and the copies of `ScCopyProps`, `ScDupPropset`, `ScRelocProps` and
//! `PropCopyMore` (`spec/mapi-abi.md` §11).
//!
//! A packed array is the `SPropValue`s followed by each value's data, in the array's order,
//! with nothing between the pieces: a string and its terminator; a `PT_CLSID`'s GUID; a
//! binary's bytes; a multi-valued property's array, then (for strings and binaries) each
//! element's data in turn. So `ScCountProps` is `sizeof(SPropValue)` per value plus exactly
//! those bytes — a `PT_STRING8` "abc" takes 24 + 4 on 64-bit, a `PT_MV_STRING8` of one
//! 5-byte string 24 + 8 + 5 — and a caller that allocates that much and copies into it
//! gets a full block and not a byte more.
//!
//! Data packed this way sits at any address, and so may the caller's own array and
//! destination (native accepts unaligned ones): everything here reads and writes
//! unaligned. Our own results (`marshal`) keep 8-byte-aligned layouts; callers only ever
//! size what they copy through these functions.
//!
//! The rules `ScCountProps` applies (and `ScCopyProps`, `ScDupPropset`, `ScRelocProps`
//! with it): a type MAPI defines for values (not `PT_UNSPECIFIED`, `PT_NULL`, `PT_PTR`, nor
//! anything with `MV_INSTANCE`, which only names a table column); an id other than
//! `PROP_ID_NULL` and `PROP_ID_INVALID`; at least one value in a multi-valued property;
//! no NULL pointer where data is due. Each refusal is `MAPI_E_INVALID_PARAMETER`.

use std::ffi::c_int;
use std::mem::{offset_of, size_of};

use super::mapimem::mapi_free_buffer;
use super::marshal::c_len;
use super::types::*;
use crate::consts::*;

/// What a value cannot be sized or copied as.
const INVALID: SCODE = MAPI_E_INVALID_PARAMETER;

const VALUE_SIZE: usize = size_of::<SPropValue>();
const PTR_SIZE: usize = size_of::<usize>();

/// How a property type's value refers to data outside its `SPropValue`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Everything is in the value: numbers, times, errors, booleans, `PT_NULL`,
    /// `PT_OBJECT`, `PT_PTR`.
    Inline,
    String8,
    Unicode,
    Clsid,
    Binary,
    /// A counted array of elements of this many bytes.
    MvFixed(usize),
    MvString8,
    MvUnicode,
    MvBinary,
}

/// The shape of a property type; `None` for types MAPI does not define for values
/// (including every type with `MV_INSTANCE`).
fn shape(ty: ULONG) -> Option<Shape> {
    Some(match ty {
        PT_NULL | PT_I2 | PT_LONG | PT_R4 | PT_DOUBLE | PT_CURRENCY | PT_APPTIME | PT_ERROR
        | PT_BOOLEAN | PT_OBJECT | PT_I8 | PT_SYSTIME | PT_PTR => Shape::Inline,
        PT_STRING8 => Shape::String8,
        PT_UNICODE => Shape::Unicode,
        PT_CLSID => Shape::Clsid,
        PT_BINARY => Shape::Binary,
        PT_MV_I2 => Shape::MvFixed(2),
        PT_MV_LONG | PT_MV_R4 => Shape::MvFixed(4),
        PT_MV_DOUBLE | PT_MV_CURRENCY | PT_MV_APPTIME | PT_MV_SYSTIME | PT_MV_I8 => {
            Shape::MvFixed(8)
        }
        PT_MV_CLSID => Shape::MvFixed(size_of::<GUID>()),
        PT_MV_STRING8 => Shape::MvString8,
        PT_MV_UNICODE => Shape::MvUnicode,
        PT_MV_BINARY => Shape::MvBinary,
        _ => return None,
    })
}

fn prop_type(tag: ULONG) -> ULONG {
    tag & PROP_TYPE_MASK
}

/// `ScCountProps`' refusals of a tag, beyond an undefined type.
fn countable(tag: ULONG) -> bool {
    let id = tag >> 16;
    !matches!(prop_type(tag), PT_NULL | PT_PTR) && id != PROP_ID_NULL && id != PROP_ID_INVALID
}

// ===== the size of one value's data (UlPropSize) =====

/// `UlPropSize`: the bytes of a value's data, not counting the `SPropValue` nor, for
/// multi-valued strings and binaries, their arrays of pointers: 2 for `PT_I2` and
/// `PT_BOOLEAN`, 4 for `PT_LONG`, `PT_R4` and `PT_ERROR`, 8 for the 64-bit types, 16 for
/// `PT_CLSID`, a string with its terminator, a binary's `cb`; a multi-valued fixed-size
/// property's `cValues` times its element (the array is not read, and may be NULL); the
/// sum over the values of a multi-valued string or binary. 0 for `PT_NULL`, `PT_OBJECT`,
/// `PT_PTR`, undefined types and `MV_INSTANCE` types, and for a string whose pointer is
/// NULL.
///
/// # Safety
/// The pointers the value's type uses to strings and arrays of strings or binaries must be
/// NULL or valid (at any alignment).
pub unsafe fn data_size(v: &SPropValue) -> usize {
    let ty = prop_type(v.ulPropTag);
    let val = v.Value;
    // SAFETY: each arm reads the union member its type selects, and strings behind
    // non-NULL pointers, as the caller guarantees.
    unsafe {
        let str8 = |p: *const u8| if p.is_null() { 0 } else { c_len(p) + 1 };
        let str16 = |p: *const u16| if p.is_null() { 0 } else { 2 * (c_len(p) + 1) };
        match ty {
            PT_I2 | PT_BOOLEAN => 2,
            PT_LONG | PT_R4 | PT_ERROR => 4,
            PT_DOUBLE | PT_CURRENCY | PT_APPTIME | PT_I8 | PT_SYSTIME => 8,
            PT_CLSID => size_of::<GUID>(),
            PT_STRING8 => str8(val.lpszA as *const u8),
            PT_UNICODE => str16(val.lpszW as *const u16),
            PT_BINARY => val.bin.cb as usize,
            _ => {
                let MvArray { cValues: n, lp } = val.MVl;
                let n = n as usize;
                match shape(ty) {
                    Some(Shape::MvFixed(size)) => n.saturating_mul(size),
                    Some(Shape::MvString8 | Shape::MvUnicode | Shape::MvBinary) if lp.is_null() => {
                        0
                    }
                    Some(Shape::MvString8) => (0..n)
                        .map(|i| str8((lp as *const *const u8).add(i).read_unaligned()))
                        .sum(),
                    Some(Shape::MvUnicode) => (0..n)
                        .map(|i| str16((lp as *const *const u16).add(i).read_unaligned()))
                        .sum(),
                    Some(Shape::MvBinary) => (0..n)
                        .map(|i| (lp as *const SBinary).add(i).read_unaligned().cb as usize)
                        .sum(),
                    _ => 0,
                }
            }
        }
    }
}

// ===== laying data out =====

/// Where a pointer stored in a value points for reading: itself, except in `ScRelocProps`,
/// where the block has moved since the pointers were written.
pub type Locate<'a> = &'a dyn Fn(usize) -> usize;

fn here(p: usize) -> usize {
    p
}

/// Where the pieces of data go: only counted (sizes), or written one after another.
trait Sink {
    /// Takes `len` bytes read at `src`; returns where they went.
    ///
    /// # Safety
    /// `src` must be readable for `len` bytes.
    unsafe fn append(&mut self, src: *const u8, len: usize) -> Result<*mut u8, SCODE>;

    /// Stores pointer `p` at `at`, a place inside data this sink appended.
    ///
    /// # Safety
    /// `at` must lie, with a pointer's size, inside what was appended.
    unsafe fn store(&mut self, at: *mut u8, p: *mut u8);
}

/// Counts bytes; its places are never written.
struct Counter(usize);

impl Sink for Counter {
    unsafe fn append(&mut self, _src: *const u8, len: usize) -> Result<*mut u8, SCODE> {
        self.0 = self.0.checked_add(len).ok_or(MAPI_E_NOT_ENOUGH_MEMORY)?;
        Ok(std::ptr::null_mut())
    }

    unsafe fn store(&mut self, _at: *mut u8, _p: *mut u8) {}
}

/// Writes pieces from `at` up to `end`; a piece that would pass `end` (the caller's data
/// changed since it was counted) is refused rather than written past the block.
struct Writer {
    at: *mut u8,
    end: *mut u8,
}

impl Sink for Writer {
    unsafe fn append(&mut self, src: *const u8, len: usize) -> Result<*mut u8, SCODE> {
        if len > self.end as usize - self.at as usize {
            return Err(MAPI_E_CALL_FAILED);
        }
        let here = self.at;
        // SAFETY: `src` is readable for `len` bytes (the caller's contract) and
        // `here..here + len` lies inside the block (checked above).
        unsafe {
            std::ptr::copy_nonoverlapping(src, here, len);
            self.at = here.add(len);
        }
        Ok(here)
    }

    unsafe fn store(&mut self, at: *mut u8, p: *mut u8) {
        // SAFETY: `at` is inside appended data, per the caller.
        unsafe { (at as *mut *mut u8).write_unaligned(p) };
    }
}

/// Lays out the data of `v` (its pointers read through `locate`) in `sink`, and returns
/// the value as it points at the laid-out data. `strict` applies `ScCountProps`' rules;
/// otherwise (`PropCopyMore`) `PT_NULL`, `PT_PTR`, any id and empty multi-valued
/// properties are copied too. Empty binaries and multi-valued properties without values get
/// NULL pointers and no data.
///
/// # Safety
/// Every pointer the value's type uses must be valid (through `locate`) for what it claims,
/// at any alignment.
unsafe fn lay_out(
    v: &SPropValue,
    locate: Locate,
    strict: bool,
    sink: &mut impl Sink,
) -> Result<SPropValue, SCODE> {
    let shape = shape(prop_type(v.ulPropTag)).ok_or(INVALID)?;
    if strict && !countable(v.ulPropTag) {
        return Err(INVALID);
    }
    let mut out = *v;
    let val = v.Value;
    let at = |p: usize| locate(p) as *const u8;
    // SAFETY: each arm reads the union member its type selects and the data behind it,
    // which the caller guarantees; every piece appended is read where `locate` says.
    unsafe {
        match shape {
            Shape::Inline => {}
            Shape::String8 | Shape::Unicode | Shape::Clsid => {
                let p = val.lpv as usize;
                if p == 0 {
                    return Err(INVALID);
                }
                let src = at(p);
                let len = match shape {
                    Shape::String8 => c_len(src) + 1,
                    Shape::Unicode => 2 * (c_len(src as *const u16) + 1),
                    _ => size_of::<GUID>(),
                };
                out.Value.lpv = sink.append(src, len)?.cast();
            }
            Shape::Binary => {
                let SBinary { cb, lpb } = val.bin;
                out.Value.bin.lpb = match (cb, lpb.is_null()) {
                    (0, _) => std::ptr::null_mut(),
                    (_, true) => return Err(INVALID),
                    _ => sink.append(at(lpb as usize), cb as usize)?,
                };
            }
            _ => {
                let MvArray { cValues: n, lp } = val.MVl;
                let n = n as usize;
                if n == 0 {
                    if strict {
                        return Err(INVALID);
                    }
                    out.Value.MVl.lp = std::ptr::null_mut();
                    return Ok(out);
                }
                if lp.is_null() {
                    return Err(INVALID);
                }
                let src = at(lp as usize);
                let array = match shape {
                    Shape::MvFixed(size) => {
                        let len = n.checked_mul(size).ok_or(MAPI_E_NOT_ENOUGH_MEMORY)?;
                        sink.append(src, len)?
                    }
                    Shape::MvString8 | Shape::MvUnicode => {
                        let len = n.checked_mul(PTR_SIZE).ok_or(MAPI_E_NOT_ENOUGH_MEMORY)?;
                        let array = sink.append(src, len)?;
                        for i in 0..n {
                            let s = (src as *const usize).add(i).read_unaligned();
                            if s == 0 {
                                return Err(INVALID);
                            }
                            let len = if shape == Shape::MvUnicode {
                                2 * (c_len(at(s) as *const u16) + 1)
                            } else {
                                c_len(at(s)) + 1
                            };
                            let copy = sink.append(at(s), len)?;
                            sink.store(array.wrapping_add(i * PTR_SIZE), copy);
                        }
                        array
                    }
                    Shape::MvBinary => {
                        let size = size_of::<SBinary>();
                        let len = n.checked_mul(size).ok_or(MAPI_E_NOT_ENOUGH_MEMORY)?;
                        let array = sink.append(src, len)?;
                        for i in 0..n {
                            let SBinary { cb, lpb } =
                                (src as *const SBinary).add(i).read_unaligned();
                            let copy = match (cb, lpb.is_null()) {
                                (0, _) => std::ptr::null_mut(),
                                (_, true) => return Err(INVALID),
                                _ => sink.append(at(lpb as usize), cb as usize)?,
                            };
                            let field = i * size + offset_of!(SBinary, lpb);
                            sink.store(array.wrapping_add(field), copy);
                        }
                        array
                    }
                    _ => unreachable!("single-valued shapes are handled above"),
                };
                out.Value.MVl.lp = array.cast();
            }
        }
    }
    Ok(out)
}

// ===== arrays =====

/// A caller's array of `SPropValue`s, at any alignment.
pub struct Values {
    first: *mut u8,
    len: usize,
}

impl Values {
    /// `count` values at `p`; a negative count, or a NULL array with values, is
    /// `MAPI_E_INVALID_PARAMETER`.
    pub fn new(count: c_int, p: *mut SPropValue) -> Result<Values, SCODE> {
        let len = usize::try_from(count).map_err(|_| INVALID)?;
        if len > 0 && p.is_null() {
            return Err(INVALID);
        }
        Ok(Values {
            first: p.cast(),
            len,
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn place(&self, i: usize) -> *mut SPropValue {
        self.first.wrapping_add(i * VALUE_SIZE).cast()
    }

    /// # Safety
    /// The array must hold `len` readable values.
    unsafe fn get(&self, i: usize) -> SPropValue {
        // SAFETY: `i < len`, within the caller's array.
        unsafe { self.place(i).read_unaligned() }
    }
}

/// `ScCountProps`: the bytes of the values and their data, packed; the first refusal if any
/// value breaks its rules.
///
/// # Safety
/// `values` must hold readable values whose pointers are valid through `locate`.
pub unsafe fn count(values: &Values, locate: Locate) -> Result<usize, SCODE> {
    let mut counter = Counter(
        values
            .len
            .checked_mul(VALUE_SIZE)
            .ok_or(MAPI_E_NOT_ENOUGH_MEMORY)?,
    );
    for i in 0..values.len {
        // SAFETY: forwarded from the caller.
        unsafe { lay_out(&values.get(i), locate, true, &mut counter) }?;
    }
    Ok(counter.0)
}

/// `ScCountProps` for values read where they point.
///
/// # Safety
/// As [`count`].
pub unsafe fn count_here(values: &Values) -> Result<usize, SCODE> {
    // SAFETY: forwarded from the caller.
    unsafe { count(values, &here) }
}

/// `ScCopyProps` and `ScDupPropset`: packs the values into `dst`, which holds `size` bytes,
/// the size [`count_here`] gave; returns the bytes written (`size`, unless the caller's
/// values changed meanwhile, which is refused before anything is written past `size`).
///
/// # Safety
/// As [`count`]; `dst` must be writable for `size` bytes (at any alignment).
pub unsafe fn copy(values: &Values, dst: *mut u8, size: usize) -> Result<usize, SCODE> {
    let fixed = values.len * VALUE_SIZE;
    if fixed > size {
        return Err(MAPI_E_CALL_FAILED);
    }
    // SAFETY: `dst` holds `size` bytes, of which the values take the first `fixed`.
    let mut writer = unsafe {
        Writer {
            at: dst.add(fixed),
            end: dst.add(size),
        }
    };
    for i in 0..values.len {
        // SAFETY: forwarded from the caller; slot `i` lies inside the first `fixed` bytes.
        unsafe {
            let packed = lay_out(&values.get(i), &here, true, &mut writer)?;
            dst.add(i * VALUE_SIZE)
                .cast::<SPropValue>()
                .write_unaligned(packed);
        }
    }
    Ok(writer.at as usize - dst as usize)
}

/// `ScDupPropset`: packs the values into one block of exactly their size from `allocate`.
/// A block whose copy fails (the caller's values changed since they were counted) is freed
/// with `MAPIFreeBuffer` (which refuses, and so leaks, another allocator's block).
///
/// # Safety
/// As [`count`]; `allocate` must return a block of the size asked for.
pub unsafe fn duplicate(
    values: &Values,
    allocate: impl FnOnce(usize) -> Result<*mut u8, SCODE>,
) -> Result<*mut u8, SCODE> {
    // SAFETY: forwarded from the caller; the block holds the size counted.
    unsafe {
        let size = count_here(values)?;
        let block = allocate(size)?;
        match copy(values, block, size) {
            Ok(_) => Ok(block),
            Err(sc) => {
                mapi_free_buffer(block.cast());
                Err(sc)
            }
        }
    }
}

/// `ScRelocProps`: rewrites, in place, the pointers of values that were packed into a block
/// at `old` and are now read at `values` (which may be anywhere), to point as if the block
/// started at `new`. The data is read where it is now (`old` and `new` may both be
/// placeholders such as NULL). Returns the block's packed size.
///
/// # Safety
/// The values and their data must lie at the same offsets from `values` as they were
/// written at from `old`, within one block the caller may write.
pub unsafe fn relocate(values: &Values, old: usize, new: usize) -> Result<usize, SCODE> {
    let base = values.first as usize;
    let locate = move |p: usize| p.wrapping_sub(old).wrapping_add(base);
    let moved = move |p: *mut u8| {
        if p.is_null() {
            p
        } else {
            (p as usize).wrapping_sub(old).wrapping_add(new) as *mut u8
        }
    };
    // SAFETY: forwarded from the caller; validates everything before changing anything.
    let size = unsafe { count(values, &locate) }?;
    for i in 0..values.len {
        // SAFETY: as above; every pointer rewritten lies inside the block, read through
        // `locate`.
        unsafe {
            let mut v = values.get(i);
            let shape = shape(prop_type(v.ulPropTag)).expect("checked by count");
            let val = &mut v.Value;
            match shape {
                Shape::Inline => {}
                Shape::String8 | Shape::Unicode | Shape::Clsid => {
                    val.lpv = moved(val.lpv.cast()).cast()
                }
                Shape::Binary => val.bin.lpb = moved(val.bin.lpb),
                _ => {
                    let MvArray { cValues: n, lp } = val.MVl;
                    let array = locate(lp as usize) as *mut u8;
                    let (step, field) = match shape {
                        Shape::MvString8 | Shape::MvUnicode => (PTR_SIZE, 0),
                        Shape::MvBinary => (size_of::<SBinary>(), offset_of!(SBinary, lpb)),
                        _ => (0, 0),
                    };
                    if step > 0 {
                        for j in 0..n as usize {
                            let entry = array.add(j * step + field) as *mut *mut u8;
                            entry.write_unaligned(moved(entry.read_unaligned()));
                        }
                    }
                    val.MVl.lp = moved(lp.cast()).cast();
                }
            }
            values.place(i).write_unaligned(v);
        }
    }
    Ok(size)
}

/// `PropCopyMore`: copies `src` to `dst` with its data in one block from `allocate`
/// (called only when there is data, with its exact size). Any defined type is copied,
/// `PT_NULL`, `PT_PTR` and empty multi-valued properties included; undefined and
/// `MV_INSTANCE` types are `MAPI_E_INVALID_PARAMETER`.
///
/// # Safety
/// `src`'s pointers must be valid for its type (at any alignment); `dst` writable (at any
/// alignment); `allocate` must return a block of the size asked for.
pub unsafe fn copy_one(
    src: &SPropValue,
    dst: *mut SPropValue,
    allocate: impl FnOnce(usize) -> Result<*mut u8, SCODE>,
) -> Result<(), SCODE> {
    let mut counter = Counter(0);
    // SAFETY: forwarded from the caller.
    let mut out = unsafe { lay_out(src, &here, false, &mut counter) }?;
    if counter.0 > 0 {
        let block = allocate(counter.0)?;
        // SAFETY: `block` holds `counter.0` bytes.
        let mut writer = unsafe {
            Writer {
                at: block,
                end: block.add(counter.0),
            }
        };
        // SAFETY: forwarded from the caller.
        out = unsafe { lay_out(src, &here, false, &mut writer) }?;
    }
    // SAFETY: `dst` is writable, per the caller.
    unsafe { dst.write_unaligned(out) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(tag: ULONG, v: PV) -> SPropValue {
        SPropValue {
            ulPropTag: tag,
            dwAlignPad: 0,
            Value: v,
        }
    }

    #[test]
    fn counts_are_exact() {
        let abc = b"abc\0";
        let v = value(
            0x6600 << 16 | PT_STRING8,
            PV {
                lpszA: abc.as_ptr() as *mut _,
            },
        );
        let mut a = [v];
        let values = Values::new(1, a.as_mut_ptr()).unwrap();
        // SAFETY: one value over a terminated string.
        assert_eq!(unsafe { count_here(&values) }, Ok(VALUE_SIZE + 4));
        let mut buf = vec![0u8; VALUE_SIZE + 4 + 1];
        // Unaligned destination, sized exactly.
        // SAFETY: `buf` holds one byte more than the copy needs, written from offset 1.
        let written = unsafe { copy(&values, buf.as_mut_ptr().add(1), VALUE_SIZE + 4) };
        assert_eq!(written, Ok(VALUE_SIZE + 4));
        assert_eq!(&buf[1 + VALUE_SIZE..], b"abc\0");
        // SAFETY: as above, one byte short.
        let short = unsafe { copy(&values, buf.as_mut_ptr().add(1), VALUE_SIZE + 3) };
        assert_eq!(short, Err(MAPI_E_CALL_FAILED));
    }

    #[test]
    fn refusals() {
        for ty in [
            PT_UNSPECIFIED,
            PT_NULL,
            PT_PTR,
            PT_MV_LONG | MV_INSTANCE,
            0x0999,
        ] {
            let mut a = [value(0x6600 << 16 | ty, PV { li: 0 })];
            let values = Values::new(1, a.as_mut_ptr()).unwrap();
            // SAFETY: the value holds no pointer that is read.
            assert_eq!(unsafe { count_here(&values) }, Err(INVALID), "type {ty:#x}");
        }
        assert!(Values::new(-1, std::ptr::null_mut()).is_err());
        assert!(Values::new(1, std::ptr::null_mut()).is_err());
        assert!(Values::new(0, std::ptr::null_mut()).unwrap().is_empty());
    }
}
