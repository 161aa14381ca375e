//! The C boundary: every exported function and every vtable slot. Each one checks its
//! arguments, writes its out-parameters, runs inside the panic guard and maps errors to
//! SCODEs; the work happens in the layers below.
#![allow(non_snake_case, clippy::missing_safety_doc)]

#[macro_use]
mod class;

pub mod advise_sink;
pub mod attach;
pub mod columns;
pub mod convindex;
pub mod entryid;
pub mod filetime;
pub mod guid_symbols;
/// ole32's lock-bytes and HGLOBAL functions: Windows has its own.
#[cfg(not(windows))]
pub mod ilockbytes;
pub mod mapiutil;
pub mod memory;
pub mod message;
pub mod notifications;
pub mod open_stream_on_file;
pub mod prop;
pub mod propdata;
pub mod rtf;
pub mod session;
pub mod storage;
pub mod stream;
pub mod stream_storage;
pub mod table;
pub mod tabledata;
pub mod textutil;
pub mod tnef;
pub mod validate;

use crate::com::types::{ULONG, WCHAR};
use crate::error::{Error, ErrorKind, Result};

/// An out-parameter the caller gave us, checked once for NULL.
pub(crate) struct OutParam<T>(std::ptr::NonNull<T>);

impl<T> OutParam<T> {
    /// # Safety
    /// `p` must be NULL or valid for writing a `T` until the current call returns.
    pub(crate) unsafe fn new(p: *mut T) -> Option<OutParam<T>> {
        std::ptr::NonNull::new(p).map(OutParam)
    }

    pub(crate) fn set(&self, value: T) {
        // SAFETY: checked non-NULL and valid for writes by `new`'s contract.
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// A pointer out-parameter, set to NULL as soon as it is checked (the COM rule: on failure
/// the caller finds NULL).
///
/// # Safety
/// `p` must be NULL or valid for writing a pointer until the current call returns.
pub(crate) unsafe fn out_ptr<T>(p: *mut *mut T) -> Option<OutParam<*mut T>> {
    // SAFETY: forwarded from the caller.
    let out = unsafe { OutParam::new(p) }?;
    out.set(std::ptr::null_mut());
    Some(out)
}

/// Sets a pointer out-parameter to NULL if one was given.
///
/// # Safety
/// As [`out_ptr`].
pub(crate) unsafe fn clear_out<T>(p: *mut *mut T) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { out_ptr(p) }.is_some()
}

/// Reads a NUL-terminated UTF-16 name.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated UTF-16 string.
pub(crate) unsafe fn wide_str(p: *const WCHAR) -> Result<String> {
    if p.is_null() {
        return Err(Error::new(ErrorKind::StgInvalidPointer, "NULL name"));
    }
    let mut n = 0;
    // SAFETY: the string is terminated; reading up to the terminator is valid.
    while unsafe { *p.add(n) } != 0 {
        n += 1;
        if n > 32 * 1024 {
            return Err(Error::new(
                ErrorKind::StgInvalidName,
                "name without terminator",
            ));
        }
    }
    // SAFETY: `n` units were just read.
    let units = unsafe { std::slice::from_raw_parts(p, n) };
    String::from_utf16(units)
        .map_err(|_| Error::new(ErrorKind::StgInvalidName, "name is not valid UTF-16"))
}

/// A UTF-16 string with terminator in task memory (`CoTaskMemFree` frees it).
pub(crate) fn task_wide(s: &str) -> *mut WCHAR {
    let units: Vec<u16> = s.encode_utf16().chain(std::iter::once(0)).collect();
    let p = crate::com::mapimem::task_alloc(units.len() * 2) as *mut WCHAR;
    if !p.is_null() {
        // SAFETY: `p` holds `units.len()` UTF-16 units.
        unsafe { std::ptr::copy_nonoverlapping(units.as_ptr(), p, units.len()) };
    }
    p
}

/// `MAPI_E_UNKNOWN_FLAGS` for any flag outside `allowed`.
pub(crate) fn unknown_flags(flags: ULONG, allowed: ULONG) -> Result<()> {
    if flags & !allowed != 0 {
        return Err(Error::new(
            ErrorKind::UnknownFlags,
            format!("unknown flags 0x{:08X}", flags & !allowed),
        ));
    }
    Ok(())
}

/// `MAPI_E_INVALID_PARAMETER`, saying which.
pub(crate) fn invalid(what: &str) -> Error {
    Error::new(ErrorKind::InvalidParameter, what.to_string())
}

/// `STG_E_INVALIDPOINTER` for a NULL pointer argument of a storage method.
pub(crate) fn invalid_pointer() -> Error {
    Error::new(ErrorKind::StgInvalidPointer, "NULL pointer argument")
}

/// Runs a byte transfer of `Read`/`Write`/`ReadAt`/`WriteAt`, reporting how many bytes it
/// moved in the optional count `pcb`, which reads 0 until the transfer succeeds.
///
/// # Safety
/// `pcb` must be NULL or the caller's ULONG.
unsafe fn counted(
    pcb: *mut ULONG,
    transfer: impl FnOnce() -> Result<usize>,
) -> Result<crate::com::types::HRESULT> {
    // SAFETY: forwarded from the caller.
    let pcb = unsafe { OutParam::new(pcb) };
    if let Some(pcb) = &pcb {
        pcb.set(0);
    }
    let n = transfer()?;
    if let Some(pcb) = &pcb {
        pcb.set(n as ULONG);
    }
    Ok(crate::consts::S_OK)
}

/// `read` fills the caller's buffer `pv` of `cb` bytes (NULL: `STG_E_INVALIDPOINTER`); the
/// count it returns goes to `pcb` as [`counted`] says.
///
/// # Safety
/// `pv` must be NULL or writable for `cb` bytes; `pcb` NULL or the caller's ULONG.
pub(crate) unsafe fn read_into(
    pv: *mut std::ffi::c_void,
    cb: ULONG,
    pcb: *mut ULONG,
    read: impl FnOnce(&mut [u8]) -> Result<usize>,
) -> Result<crate::com::types::HRESULT> {
    // SAFETY: forwarded from the caller.
    unsafe {
        counted(pcb, || {
            if pv.is_null() {
                return Err(invalid_pointer());
            }
            // SAFETY: the caller's buffer holds `cb` bytes.
            read(std::slice::from_raw_parts_mut(pv.cast::<u8>(), cb as usize))
        })
    }
}

/// `write` takes the caller's `cb` bytes at `pv` (NULL: `STG_E_INVALIDPOINTER`); the count
/// it returns goes to `pcb` as [`counted`] says.
///
/// # Safety
/// `pv` must be NULL or readable for `cb` bytes; `pcb` NULL or the caller's ULONG.
pub(crate) unsafe fn write_from(
    pv: *const std::ffi::c_void,
    cb: ULONG,
    pcb: *mut ULONG,
    write: impl FnOnce(&[u8]) -> Result<usize>,
) -> Result<crate::com::types::HRESULT> {
    // SAFETY: forwarded from the caller.
    unsafe {
        counted(pcb, || {
            if pv.is_null() {
                return Err(invalid_pointer());
            }
            // SAFETY: the caller's buffer holds `cb` bytes.
            write(std::slice::from_raw_parts(pv.cast::<u8>(), cb as usize))
        })
    }
}
