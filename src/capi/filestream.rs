//! `OpenStreamOnFile` (mapiutil): an `IStream` over a plain file, and `OpenStreamOnFileW`,
//! its UTF-16 form (exported by Outlook's MAPI; MFCMAPI declares it itself).

use std::ffi::{CStr, c_char, c_void};
use std::path::PathBuf;

use super::{OutParam, out_ptr};
use crate::com::object::{ComObject, guard};
use crate::com::scode::{map_storage_scode, scode_of};
use crate::com::shells::StreamShell;
use crate::com::types::*;
use crate::com::vtbl::IStream;
use crate::consts::*;
use crate::storage::plain_file_stream;

/// Flags `OpenStreamOnFile` understands: access, sharing (accepted, not enforced),
/// `STGM_CREATE`, `STGM_DELETEONRELEASE`, `STGM_TRANSACTED` (streams on files are direct
/// anyway) and `SOF_UNIQUEFILENAME`.
const KNOWN_FLAGS: ULONG =
    0x3 | 0x70 | STGM_CREATE | STGM_DELETEONRELEASE | STGM_TRANSACTED | SOF_UNIQUEFILENAME;

/// The work of both forms, once the names are read.
fn open_stream_on_file(
    flags: ULONG,
    name: Option<String>,
    prefix: Option<String>,
    out: OutParam<*mut IStream>,
) -> HRESULT {
    if flags & !KNOWN_FLAGS != 0 {
        return MAPI_E_UNKNOWN_FLAGS;
    }
    let mode = flags & !SOF_UNIQUEFILENAME;
    let result = if flags & SOF_UNIQUEFILENAME != 0 {
        // `name` is the directory (the temporary directory when NULL), `prefix` starts the
        // file's name (up to three characters, as GetTempFileName takes; "SOF" when NULL).
        let dir = name.map_or_else(std::env::temp_dir, PathBuf::from);
        let prefix: String = prefix
            .unwrap_or_else(|| "SOF".to_string())
            .chars()
            .take(3)
            .collect();
        plain_file_stream::create_unique(&dir, &prefix, mode).map(|(s, _)| s)
    } else {
        let Some(name) = name else {
            return MAPI_E_INVALID_PARAMETER;
        };
        plain_file_stream::open(std::path::Path::new(&name), mode)
    };
    match result {
        Ok(stream) => {
            out.set(
                ComObject::into_raw(StreamShell {
                    stream: parking_lot::Mutex::new(Box::new(stream)),
                    keep: None,
                })
                .cast(),
            );
            S_OK
        }
        Err(e) => map_storage_scode(scode_of(e.kind)),
    }
}

/// Opens a file as an `IStream` (reads and writes go straight to the file; `Commit` syncs
/// it). `ulFlags`: `STGM_READ`/`STGM_WRITE`/`STGM_READWRITE`, `STGM_CREATE` (create or empty
/// the file), `STGM_DELETEONRELEASE` (remove it at the last `Release`), and
/// `SOF_UNIQUEFILENAME`: then `lpszFileName` names the directory (NULL: `$TMPDIR`) in which a
/// new file with a unique name starting with `lpszPrefix` (its first three characters;
/// NULL: "SOF") is created. Names are the file system's bytes (UTF-8). The allocators are
/// not used. Errors are MAPI codes: `MAPI_E_NOT_FOUND` for a missing file,
/// `MAPI_E_NO_ACCESS`, `MAPI_E_INVALID_PARAMETER`, `MAPI_E_UNKNOWN_FLAGS`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn OpenStreamOnFile(
    lpAllocateBuffer: Option<
        unsafe extern "system" fn(cbSize: ULONG, lppBuffer: *mut *mut c_void) -> SCODE,
    >,
    lpFreeBuffer: Option<unsafe extern "system" fn(lpBuffer: *mut c_void) -> ULONG>,
    ulFlags: ULONG,
    lpszFileName: *const c_char,
    lpszPrefix: *const c_char,
    lppStream: *mut *mut IStream,
) -> HRESULT {
    // The stream's memory is ours: the allocators are not needed.
    let _ = (lpAllocateBuffer, lpFreeBuffer);
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppStream` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(lppStream) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        let text = |p: *const c_char| {
            // SAFETY: each name is NULL or a NUL-terminated string.
            (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
        };
        open_stream_on_file(ulFlags, text(lpszFileName), text(lpszPrefix), out)
    })
}

/// `OpenStreamOnFile` with UTF-16 names.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn OpenStreamOnFileW(
    lpAllocateBuffer: Option<
        unsafe extern "system" fn(cbSize: ULONG, lppBuffer: *mut *mut c_void) -> SCODE,
    >,
    lpFreeBuffer: Option<unsafe extern "system" fn(lpBuffer: *mut c_void) -> ULONG>,
    ulFlags: ULONG,
    lpszFileName: *const WCHAR,
    lpszPrefix: *const WCHAR,
    lppStream: *mut *mut IStream,
) -> HRESULT {
    // The stream's memory is ours: the allocators are not needed.
    let _ = (lpAllocateBuffer, lpFreeBuffer);
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppStream` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(lppStream) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        let mut names = [None, None];
        for (slot, p) in names.iter_mut().zip([lpszFileName, lpszPrefix]) {
            if !p.is_null() {
                // SAFETY: a non-NULL name is a terminated UTF-16 string.
                match unsafe { super::wide_str(p) } {
                    Ok(s) => *slot = Some(s),
                    Err(_) => return MAPI_E_INVALID_PARAMETER,
                }
            }
        }
        let [name, prefix] = names;
        open_stream_on_file(ulFlags, name, prefix, out)
    })
}
