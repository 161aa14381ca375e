//! mapiutil's string and byte helpers: hexadecimal conversion (`HexFromBin`,
//! `FBinFromHex`, `ScBinFromHexBounded`, `UlFromSzHex`), the C-runtime stand-ins
//! (`SzFindCh`, `SzFindLastCh`, `SzFindSz`, `UFromSz`) and byte-order swaps (`SwapPlong`,
//! `SwapPword`). Strings are 8-bit and NUL-terminated; the conversions are in
//! `codec::hex`.
//!
//! A function that refuses its input writes nothing: `FBinFromHex` checks the whole string
//! before it stores a byte.

use std::ffi::{CStr, c_char, c_int};

use crate::codec::hex;
use crate::com::object::guard;
use crate::com::types::*;
use crate::consts::*;

/// `WORD` and `USHORT`, named so the header says them (`<windows.h>` or `imsg_ole.h`
/// defines both).
pub type WORD = u16;
pub type USHORT = u16;

/// The bytes of a NUL-terminated string, without the terminator.
///
/// # Safety
/// `p` must be non-NULL and NUL-terminated, alive for `'a`.
unsafe fn text<'a>(p: *const c_char) -> &'a [u8] {
    // SAFETY: forwarded from the caller.
    unsafe { CStr::from_ptr(p) }.to_bytes()
}

/// Writes `bytes` into the caller's buffer `dst`.
///
/// # Safety
/// `dst` must be writable for `bytes.len()` bytes.
unsafe fn store(dst: *mut u8, bytes: &[u8]) {
    // SAFETY: forwarded from the caller; the source is our own slice.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len()) };
}

/// Writes `cb` bytes at `pb` as `2 * cb` upper-case hexadecimal digits and a terminator
/// into `sz` (0x0A becomes "0A"). `cb` of 0 or less writes an empty string; a NULL `sz`
/// writes nothing, a NULL `pb` an empty string.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HexFromBin(pb: *mut BYTE, cb: c_int, sz: *mut c_char) {
    guard((), || {
        if sz.is_null() {
            return;
        }
        let bytes: &[u8] = if pb.is_null() || cb <= 0 {
            &[]
        } else {
            // SAFETY: the caller's `pb` holds `cb` bytes.
            unsafe { std::slice::from_raw_parts(pb, cb as usize) }
        };
        let mut digits = hex::encode(bytes);
        digits.push(0);
        // SAFETY: the caller's `sz` holds 2 * cb + 1 bytes, as documented.
        unsafe { store(sz.cast(), &digits) };
    })
}

/// Converts a string of hexadecimal digit pairs (either case) into bytes at `pb`, which
/// must hold half as many bytes as the string has digits. FALSE, with nothing written, when
/// a character is not a hexadecimal digit or the number of digits is odd (or either
/// pointer is NULL).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn FBinFromHex(sz: *mut c_char, pb: *mut BYTE) -> BOOL {
    guard(0, || {
        if sz.is_null() || pb.is_null() {
            return 0;
        }
        // SAFETY: `sz` is the caller's terminated string.
        match hex::decode(unsafe { text(sz) }) {
            Ok(bytes) => {
                // SAFETY: the caller's `pb` holds the decoded length, as documented.
                unsafe { store(pb, &bytes) };
                1
            }
            Err(_) => 0,
        }
    })
}

/// Converts the first `2 * cb` hexadecimal digits of `sz` (all of it when shorter) into at
/// most `cb` bytes at `pb`. `MAPI_E_CALL_FAILED`, with nothing written, when that part holds
/// a character that is not a hexadecimal digit or an odd number of digits;
/// `MAPI_E_INVALID_PARAMETER` for a NULL string, or a NULL `pb` with `cb` above 0.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScBinFromHexBounded(
    sz: *mut c_char,
    pb: *mut BYTE,
    cb: ULONG,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        if sz.is_null() || (pb.is_null() && cb > 0) {
            return MAPI_E_INVALID_PARAMETER;
        }
        // SAFETY: `sz` is the caller's terminated string.
        let all = unsafe { text(sz) };
        let digits =
            usize::try_from(cb).map_or(all.len(), |cb| all.len().min(cb.saturating_mul(2)));
        match hex::decode(&all[..digits]) {
            Ok(bytes) => {
                // SAFETY: at most `cb` bytes, the size of the caller's `pb`.
                unsafe { store(pb, &bytes) };
                S_OK
            }
            Err(_) => MAPI_E_CALL_FAILED,
        }
    })
}

/// The number the string's leading hexadecimal digits spell (either case); 0 when it does
/// not start with one, or for NULL. More than eight digits keep the last eight's value.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn UlFromSzHex(lpsz: *const c_char) -> ULONG {
    guard(0, || {
        if lpsz.is_null() {
            return 0;
        }
        // SAFETY: the caller's terminated string.
        hex::leading_hex(unsafe { text(lpsz) })
    })
}

/// The number the string's leading decimal digits spell; 0 when it does not start with
/// one, or for NULL. The arithmetic is 32-bit unsigned and wraps.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn UFromSz(lpsz: *const c_char) -> UINT {
    guard(0, || {
        if lpsz.is_null() {
            return 0;
        }
        // SAFETY: the caller's terminated string.
        hex::leading_decimal(unsafe { text(lpsz) })
    })
}

/// Where in `s` the character `ch` is, by `pick` among the positions where it occurs
/// (the terminator included, as `strchr` finds it for 0); NULL when nowhere. Strings are
/// 8-bit: a `ch` above 0xFF occurs nowhere.
///
/// # Safety
/// `s` must be NULL or a terminated string.
unsafe fn find_char(
    s: *const c_char,
    ch: USHORT,
    pick: impl FnOnce(&mut dyn Iterator<Item = usize>) -> Option<usize>,
) -> *mut c_char {
    let Ok(byte) = u8::try_from(ch) else {
        return std::ptr::null_mut();
    };
    if s.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the caller's terminated string, with its terminator.
    let bytes = unsafe { CStr::from_ptr(s) }.to_bytes_with_nul();
    let mut hits = bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == byte)
        .map(|(i, _)| i);
    match pick(&mut hits) {
        // SAFETY: `i` is within the string.
        Some(i) => unsafe { s.add(i) }.cast_mut(),
        None => std::ptr::null_mut(),
    }
}

/// The first occurrence of `ch` in `lpsz` (`strchr`): exact match, case-sensitive; NULL
/// when it does not occur or `lpsz` is NULL. Searching for 0 finds the terminator.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SzFindCh(lpsz: *const c_char, ch: USHORT) -> *mut c_char {
    // SAFETY: `lpsz` is NULL or the caller's terminated string.
    guard(std::ptr::null_mut(), || unsafe {
        find_char(lpsz, ch, |hits| hits.next())
    })
}

/// The last occurrence of `ch` in `lpsz` (`strrchr`); NULL when it does not occur or
/// `lpsz` is NULL. Searching for 0 finds the terminator.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SzFindLastCh(lpsz: *const c_char, ch: USHORT) -> *mut c_char {
    // SAFETY: `lpsz` is NULL or the caller's terminated string.
    guard(std::ptr::null_mut(), || unsafe {
        find_char(lpsz, ch, |hits| hits.last())
    })
}

/// The first occurrence of `lpszKey` in `lpsz` (`strstr`): exact match, case-sensitive.
/// NULL when it does not occur, when the key is longer than the string, or when either is
/// NULL; an empty key is found at the start.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SzFindSz(lpsz: *const c_char, lpszKey: *const c_char) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        if lpsz.is_null() || lpszKey.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: both are the caller's terminated strings.
        let (hay, key) = unsafe { (text(lpsz), text(lpszKey)) };
        if key.is_empty() {
            return lpsz.cast_mut();
        }
        match hay.windows(key.len()).position(|w| w == key) {
            // SAFETY: `i` is within the string.
            Some(i) => unsafe { lpsz.add(i) }.cast_mut(),
            None => std::ptr::null_mut(),
        }
    })
}

/// Reverses the byte order of each of the `n` values at `p` with `swap`, in place; NULL
/// does nothing.
///
/// # Safety
/// `p` must be NULL or hold `n` values (at any alignment).
unsafe fn swap_each<T: Copy>(p: *mut T, n: ULONG, swap: fn(T) -> T) {
    if p.is_null() {
        return;
    }
    for i in 0..n as usize {
        // SAFETY: forwarded from the caller; unaligned access is allowed.
        unsafe {
            let v = p.add(i);
            v.write_unaligned(swap(v.read_unaligned()));
        }
    }
}

/// Reverses the byte order of each of the `cWords` 16-bit words at `lpwSource`, in place.
/// NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SwapPword(lpwSource: *mut WORD, cWords: ULONG) {
    // SAFETY: the caller's array holds `cWords` words.
    guard((), || unsafe {
        swap_each(lpwSource, cWords, u16::swap_bytes)
    })
}

/// Reverses the byte order of each of the `cLongs` 32-bit values at `lpulSource`, in
/// place (0xFFFF0001 becomes 0x0100FFFF). NULL does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SwapPlong(lpulSource: *mut ULONG, cLongs: ULONG) {
    // SAFETY: the caller's array holds `cLongs` values.
    guard((), || unsafe {
        swap_each(lpulSource, cLongs, u32::swap_bytes)
    })
}
