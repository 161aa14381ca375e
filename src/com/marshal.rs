//! Copying values between the caller's C structures and the model's owned Rust values.
//!
//! Results are built in the caller's MAPI allocation chain (DESIGN decision 4): one
//! `lpAllocateBuffer` block for the array and one `lpAllocateMore` block, linked to it,
//! for everything the array points to.

use std::ffi::c_char;
use std::mem::size_of;

use super::mapimem::Allocators;
use super::scode::scode_of;
use super::types::*;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};
use crate::model::message::{Problem, PropOut};
use crate::model::prop::{PropValue, prop_type};

// ===== C to Rust =====

fn bad(what: &str) -> Error {
    Error::new(ErrorKind::InvalidParameter, what.to_string())
}

/// Reads a caller's `SPropTagArray`.
///
/// # Safety
/// `tags` must be NULL or point to a valid `SPropTagArray` with `cValues` entries.
pub unsafe fn tags_in(tags: *const SPropTagArray) -> Result<Option<Vec<u32>>> {
    if tags.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller guarantees a valid array of `cValues` tags.
    unsafe {
        let n = (*tags).cValues as usize;
        let first = std::ptr::addr_of!((*tags).aulPropTag) as *const u32;
        Ok(Some(std::slice::from_raw_parts(first, n).to_vec()))
    }
}

/// Length in units, without the terminator, of a NUL-terminated string of `T` units at any
/// alignment (values packed by `ScCopyProps` sit at any address).
///
/// # Safety
/// `p` must point to a NUL-terminated string.
pub(crate) unsafe fn c_len<T: Copy + Default + PartialEq>(p: *const T) -> usize {
    let mut n = 0;
    // SAFETY: the string is terminated, so every read up to the terminator is valid.
    while unsafe { p.add(n).read_unaligned() } != T::default() {
        n += 1;
    }
    n
}

/// `n` elements at `p`, at any alignment.
///
/// # Safety
/// `p` must be readable for `n` elements.
unsafe fn read_array<T: Copy>(p: *const T, n: usize) -> Vec<T> {
    let mut out = Vec::<T>::with_capacity(n);
    // SAFETY: `out` has room for `n` elements, copied bytewise (so `p` needs no alignment);
    // every `T` here is plain data, valid for any bytes the caller's memory holds.
    unsafe {
        std::ptr::copy_nonoverlapping(
            p as *const u8,
            out.as_mut_ptr() as *mut u8,
            n * size_of::<T>(),
        );
        out.set_len(n);
    }
    out
}

/// # Safety
/// `p` must be NULL or a NUL-terminated 8-bit string.
pub unsafe fn string8_in(p: *const c_char) -> Result<Vec<u8>> {
    if p.is_null() {
        return Err(bad("NULL string pointer in a property value"));
    }
    // SAFETY: forwarded from the caller.
    unsafe { Ok(read_array(p as *const u8, c_len(p as *const u8))) }
}

/// # Safety
/// `p` must be NULL or a NUL-terminated UTF-16 string.
pub unsafe fn unicode_in(p: *const WCHAR) -> Result<Vec<u16>> {
    if p.is_null() {
        return Err(bad("NULL string pointer in a property value"));
    }
    // SAFETY: forwarded from the caller.
    unsafe { Ok(read_array(p, c_len(p))) }
}

/// # Safety
/// A non-NULL `p` must point to `n` readable elements (at any alignment).
unsafe fn slice_in<T: Copy>(p: *const T, n: ULONG) -> Result<Vec<T>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(bad(
            "NULL array pointer with a non-zero count in a property value",
        ));
    }
    // SAFETY: forwarded from the caller.
    unsafe { Ok(read_array(p, n as usize)) }
}

/// # Safety
/// The binary's pointer must be valid for `cb` bytes when `cb` is not zero.
unsafe fn binary_in(b: &SBinary) -> Result<Vec<u8>> {
    // SAFETY: forwarded from the caller.
    unsafe { slice_in(b.lpb, b.cb) }
}

/// Reads one caller `SPropValue` as the model's owned value.
///
/// # Safety
/// Every pointer inside the value that its type uses must be valid (at any alignment).
pub unsafe fn value_in(p: &SPropValue) -> Result<PropValue> {
    let v = &p.Value;
    // SAFETY: each arm reads the union member the tag's type selects; pointers inside are
    // the caller's responsibility.
    unsafe {
        Ok(match prop_type(p.ulPropTag) {
            PT_NULL => PropValue::Null,
            PT_I2 => PropValue::I2(v.i),
            PT_LONG => PropValue::Long(v.l),
            PT_R4 => PropValue::R4(v.flt),
            PT_DOUBLE => PropValue::Double(v.dbl),
            PT_CURRENCY => PropValue::Currency(v.cur),
            PT_APPTIME => PropValue::AppTime(v.at),
            PT_ERROR => PropValue::Error(v.err),
            PT_BOOLEAN => PropValue::Boolean(v.b != 0),
            PT_I8 => PropValue::I8(v.li),
            PT_SYSTIME => PropValue::SysTime(v.ft.to_u64()),
            PT_STRING8 => PropValue::String8(string8_in(v.lpszA)?),
            PT_UNICODE => PropValue::Unicode(unicode_in(v.lpszW)?),
            PT_CLSID => {
                if v.lpguid.is_null() {
                    return Err(bad("NULL GUID pointer in a PT_CLSID value"));
                }
                PropValue::Clsid(v.lpguid.read_unaligned().to_bytes())
            }
            PT_BINARY => PropValue::Binary(binary_in(&v.bin)?),
            PT_OBJECT => PropValue::Object,
            PT_MV_I2 => PropValue::MvI2(slice_in(v.MVi.lp, v.MVi.cValues)?),
            PT_MV_LONG => PropValue::MvLong(slice_in(v.MVl.lp, v.MVl.cValues)?),
            PT_MV_R4 => PropValue::MvR4(slice_in(v.MVflt.lp, v.MVflt.cValues)?),
            PT_MV_DOUBLE => PropValue::MvDouble(slice_in(v.MVdbl.lp, v.MVdbl.cValues)?),
            PT_MV_CURRENCY => PropValue::MvCurrency(slice_in(v.MVcur.lp, v.MVcur.cValues)?),
            PT_MV_APPTIME => PropValue::MvAppTime(slice_in(v.MVat.lp, v.MVat.cValues)?),
            PT_MV_SYSTIME => PropValue::MvSysTime(
                slice_in(v.MVft.lp, v.MVft.cValues)?
                    .into_iter()
                    .map(FILETIME::to_u64)
                    .collect(),
            ),
            PT_MV_CLSID => PropValue::MvClsid(
                slice_in(v.MVguid.lp, v.MVguid.cValues)?
                    .into_iter()
                    .map(GUID::to_bytes)
                    .collect(),
            ),
            PT_MV_I8 => PropValue::MvI8(slice_in(v.MVli.lp, v.MVli.cValues)?),
            PT_MV_BINARY => PropValue::MvBinary(
                slice_in(v.MVbin.lp, v.MVbin.cValues)?
                    .iter()
                    .map(|b| binary_in(b))
                    .collect::<Result<_>>()?,
            ),
            PT_MV_STRING8 => PropValue::MvString8(
                slice_in(v.MVszA.lp, v.MVszA.cValues)?
                    .into_iter()
                    .map(|s| string8_in(s))
                    .collect::<Result<_>>()?,
            ),
            PT_MV_UNICODE => PropValue::MvUnicode(
                slice_in(v.MVszW.lp, v.MVszW.cValues)?
                    .into_iter()
                    .map(|s| unicode_in(s))
                    .collect::<Result<_>>()?,
            ),
            ty => {
                return err(
                    ErrorKind::InvalidType,
                    format!("property type 0x{ty:04X} is not supported"),
                );
            }
        })
    }
}

// ===== Rust to C =====

/// Variable-length data of a result, laid out before it is copied into one block.
#[derive(Default)]
struct Heap {
    bytes: Vec<u8>,
    /// Places in the fixed part that must point into the heap: (byte offset of the
    /// pointer field from the fixed part's start, heap offset).
    fixups: Vec<(usize, usize)>,
    /// Pointer fields inside the heap itself: (heap offset of the field, heap offset).
    inner_fixups: Vec<(usize, usize)>,
}

impl Heap {
    fn reserve(&mut self, bytes: &[u8]) -> usize {
        let at = self.bytes.len().next_multiple_of(8);
        self.bytes.resize(at, 0);
        self.bytes.extend_from_slice(bytes);
        at
    }

    /// Adds `bytes` and records that the pointer at `field` (in the fixed part) targets it.
    fn point(&mut self, field: usize, bytes: &[u8]) {
        let at = self.reserve(bytes);
        self.fixups.push((field, at));
    }
}

fn pod_bytes<T: Copy>(values: &[T]) -> Vec<u8> {
    let n = std::mem::size_of_val(values);
    let mut out = vec![0u8; n];
    // SAFETY: `T` is a plain value type without padding-sensitive invariants; copying its
    // bytes is what the C side reads back.
    unsafe { std::ptr::copy_nonoverlapping(values.as_ptr() as *const u8, out.as_mut_ptr(), n) };
    out
}

fn with_nul<T: Copy + Default>(s: &[T]) -> Vec<T> {
    let mut v = s.to_vec();
    v.push(T::default());
    v
}

/// Fills one `SPropValue` at index `i` of the fixed part; pointer fields go to the heap.
fn fill_value(
    out: &mut SPropValue,
    field_base: usize,
    tag: u32,
    value: &PropValue,
    heap: &mut Heap,
) {
    out.ulPropTag = tag;
    out.dwAlignPad = 0;
    let ptr_field = field_base + std::mem::offset_of!(SPropValue, Value);
    let mv_ptr_field = ptr_field + size_of::<usize>();
    let v = &mut out.Value;
    match value {
        PropValue::Null => v.x = 0,
        PropValue::I2(x) => v.i = *x,
        PropValue::Long(x) => v.l = *x,
        PropValue::R4(x) => v.flt = *x,
        PropValue::Double(x) => v.dbl = *x,
        PropValue::Currency(x) => v.cur = *x,
        PropValue::AppTime(x) => v.at = *x,
        PropValue::Error(x) => v.err = *x,
        PropValue::Boolean(b) => {
            v.li = 0;
            v.b = u16::from(*b);
        }
        PropValue::I8(x) => v.li = *x,
        PropValue::SysTime(x) => v.ft = FILETIME::from_u64(*x),
        PropValue::String8(s) => heap.point(ptr_field, &with_nul(s)),
        PropValue::Unicode(s) => heap.point(ptr_field, &pod_bytes(&with_nul(s))),
        PropValue::Clsid(g) => heap.point(ptr_field, g),
        PropValue::Binary(b) => {
            v.bin = SBinary {
                cb: b.len() as ULONG,
                lpb: std::ptr::null_mut(),
            };
            heap.point(mv_ptr_field, b);
        }
        PropValue::Object => v.x = 0,
        PropValue::MvI2(a) => mv(v, a.len(), mv_ptr_field, heap, &pod_bytes(a)),
        PropValue::MvLong(a) => mv(v, a.len(), mv_ptr_field, heap, &pod_bytes(a)),
        PropValue::MvR4(a) => mv(v, a.len(), mv_ptr_field, heap, &pod_bytes(a)),
        PropValue::MvDouble(a) | PropValue::MvAppTime(a) => {
            mv(v, a.len(), mv_ptr_field, heap, &pod_bytes(a))
        }
        PropValue::MvCurrency(a) | PropValue::MvI8(a) => {
            mv(v, a.len(), mv_ptr_field, heap, &pod_bytes(a))
        }
        PropValue::MvSysTime(a) => mv(v, a.len(), mv_ptr_field, heap, &pod_bytes(a)),
        PropValue::MvClsid(a) => mv(v, a.len(), mv_ptr_field, heap, &a.concat()),
        PropValue::MvBinary(items) => {
            // An array of SBinary whose pointers point further into the heap.
            let array_at = heap.reserve(&vec![0u8; items.len() * size_of::<SBinary>()]);
            heap.fixups.push((mv_ptr_field, array_at));
            for (i, b) in items.iter().enumerate() {
                let entry = array_at + i * size_of::<SBinary>();
                heap.bytes[entry..entry + 4].copy_from_slice(&(b.len() as u32).to_ne_bytes());
                let data = heap.reserve(b);
                heap.inner_fixups.push((entry + size_of::<usize>(), data));
            }
            set_mv_count(v, items.len());
        }
        PropValue::MvString8(items) => {
            mv_strings(
                v,
                mv_ptr_field,
                heap,
                items.iter().map(|s| with_nul(s)).collect(),
            );
        }
        PropValue::MvUnicode(items) => {
            mv_strings(
                v,
                mv_ptr_field,
                heap,
                items.iter().map(|s| pod_bytes(&with_nul(s))).collect(),
            );
        }
    }
}

fn set_mv_count(v: &mut PV, n: usize) {
    v.MVl = MvArray {
        cValues: n as ULONG,
        lp: std::ptr::null_mut(),
    };
}

fn mv(v: &mut PV, n: usize, field: usize, heap: &mut Heap, bytes: &[u8]) {
    set_mv_count(v, n);
    heap.point(field, bytes);
}

fn mv_strings(v: &mut PV, field: usize, heap: &mut Heap, items: Vec<Vec<u8>>) {
    let array_at = heap.reserve(&vec![0u8; items.len() * size_of::<usize>()]);
    heap.fixups.push((field, array_at));
    for (i, s) in items.iter().enumerate() {
        let data = heap.reserve(s);
        heap.inner_fixups
            .push((array_at + i * size_of::<usize>(), data));
    }
    set_mv_count(v, items.len());
}

/// Allocates `fixed_size` bytes (root) plus the heap (linked), writes the fixed part with
/// `fill`, and resolves every pointer.
fn build(alloc: &Allocators, fixed: &[u8], heap: Heap) -> Result<*mut u8> {
    let root = alloc.alloc(fixed.len().max(1))?;
    // SAFETY: `root` holds `fixed.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(fixed.as_ptr(), root, fixed.len()) };
    if heap.bytes.is_empty() {
        return Ok(root);
    }
    let data = match alloc.more(heap.bytes.len(), root) {
        Ok(p) => p,
        Err(e) => {
            alloc.free(root);
            return Err(e);
        }
    };
    // SAFETY: `data` holds `heap.bytes.len()` bytes; every fixup offset lies inside the
    // block it patches (they were recorded while building those blocks), and pointer
    // fields are written unaligned-safe.
    unsafe {
        std::ptr::copy_nonoverlapping(heap.bytes.as_ptr(), data, heap.bytes.len());
        for (field, target) in heap.fixups {
            (root.add(field) as *mut *mut u8).write_unaligned(data.add(target));
        }
        for (field, target) in heap.inner_fixups {
            (data.add(field) as *mut *mut u8).write_unaligned(data.add(target));
        }
    }
    Ok(root)
}

fn as_bytes<T>(values: &[T]) -> &[u8] {
    // SAFETY: viewing initialized memory of `values` as bytes for copying.
    unsafe {
        std::slice::from_raw_parts(values.as_ptr() as *const u8, std::mem::size_of_val(values))
    }
}

fn empty_value() -> SPropValue {
    SPropValue {
        ulPropTag: 0,
        dwAlignPad: 0,
        Value: PV { li: 0 },
    }
}

/// An `SPropValue` array in the caller's allocation chain; `NULL` for none.
pub fn props_out(alloc: &Allocators, values: &[PropOut]) -> Result<*mut SPropValue> {
    if values.is_empty() {
        return Ok(std::ptr::null_mut());
    }
    let mut fixed = vec![empty_value(); values.len()];
    let mut heap = Heap::default();
    for (i, v) in values.iter().enumerate() {
        let base = i * size_of::<SPropValue>();
        match v {
            PropOut::Value(tag, value) => fill_value(&mut fixed[i], base, *tag, value, &mut heap),
            PropOut::Error(tag, kind) => fill_value(
                &mut fixed[i],
                base,
                *tag,
                &PropValue::Error(scode_of(*kind)),
                &mut heap,
            ),
        }
    }
    Ok(build(alloc, as_bytes(&fixed), heap)?.cast())
}

/// An `SPropTagArray` in the caller's allocation chain.
pub fn tags_out(alloc: &Allocators, tags: &[u32]) -> Result<*mut SPropTagArray> {
    let mut fixed = Vec::with_capacity(4 + 4 * tags.len());
    fixed.extend_from_slice(&(tags.len() as u32).to_ne_bytes());
    for t in tags {
        fixed.extend_from_slice(&t.to_ne_bytes());
    }
    Ok(build(alloc, &fixed, Heap::default())?.cast())
}

/// An `SPropAttrArray` in the caller's allocation chain.
pub fn attrs_out(alloc: &Allocators, attrs: &[u32]) -> Result<*mut SPropAttrArray> {
    Ok(tags_out(alloc, attrs)?.cast())
}

/// A problem array, or NULL when there is no problem.
pub fn problems_out(alloc: &Allocators, problems: &[Problem]) -> Result<*mut SPropProblemArray> {
    let raw: Vec<SPropProblem> = problems
        .iter()
        .map(|p| SPropProblem {
            ulIndex: p.index,
            ulPropTag: p.tag,
            scode: scode_of(p.kind),
        })
        .collect();
    problem_array_out(alloc, &raw)
}

/// A problem array of SCODEs as they came (from another object), or NULL when empty.
pub fn problem_array_out(
    alloc: &Allocators,
    problems: &[SPropProblem],
) -> Result<*mut SPropProblemArray> {
    if problems.is_empty() {
        return Ok(std::ptr::null_mut());
    }
    let mut fixed = Vec::with_capacity(4 + 12 * problems.len());
    fixed.extend_from_slice(&(problems.len() as u32).to_ne_bytes());
    for p in problems {
        fixed.extend_from_slice(&p.ulIndex.to_ne_bytes());
        fixed.extend_from_slice(&p.ulPropTag.to_ne_bytes());
        fixed.extend_from_slice(&p.scode.to_ne_bytes());
    }
    Ok(build(alloc, &fixed, Heap::default())?.cast())
}

/// A `MAPIERROR` with `text`, Unicode or 8-bit as the caller asked.
pub fn mapierror_out(alloc: &Allocators, text: &str, unicode: bool) -> Result<*mut MAPIERROR> {
    let mut heap = Heap::default();
    let encode = |s: &str| -> Vec<u8> {
        if unicode {
            pod_bytes(&with_nul(&s.encode_utf16().collect::<Vec<u16>>()))
        } else {
            // Error texts are ASCII; anything else is replaced so 8-bit callers can print it.
            with_nul(
                &s.chars()
                    .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                    .collect::<Vec<u8>>(),
            )
        }
    };
    heap.point(std::mem::offset_of!(MAPIERROR, lpszError), &encode(text));
    heap.point(
        std::mem::offset_of!(MAPIERROR, lpszComponent),
        &encode("imessage"),
    );
    let fixed = MAPIERROR {
        ulVersion: MAPI_ERROR_VERSION,
        lpszError: std::ptr::null_mut(),
        lpszComponent: std::ptr::null_mut(),
        ulLowLevelError: 0,
        ulContext: 0,
    };
    Ok(build(alloc, as_bytes(std::slice::from_ref(&fixed)), heap)?.cast())
}

/// Writes an out-pointer the caller passed (already checked non-NULL).
///
/// # Safety
/// `out` must be valid for one write.
pub unsafe fn put<T>(out: *mut T, value: T) {
    // SAFETY: forwarded from the caller.
    unsafe { out.write(value) };
}
