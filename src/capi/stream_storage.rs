//! `HrIStorageFromStream` (`mapiutil.h`): a compound file inside a caller's stream (or
//! lock-bytes), opened or created with our own storage layer, so it works the same on
//! every platform. The byte access is `com::stream_bytes`'s.

use std::ffi::c_void;
use std::sync::Arc;

use super::out_ptr;
use crate::com::foreign::ComRef;
use crate::com::guids::{IID_ILockBytes, IID_IStream};
use crate::com::object::guard;
use crate::com::scode::scode_of;
use crate::com::stream_bytes::StreamBytes;
use crate::com::types::*;
use crate::com::vtbl::IStorage;
use crate::consts::*;
use crate::storage::Version;
use crate::storage::byte_arrays::LockBytes;
use crate::storage::docfile;

/// `HrIStorageFromStream`: the storage starts at the stream's beginning.
pub const STGSTRM_RESET: ULONG = 0x0000_0000;
/// The storage starts where the stream's position is.
pub const STGSTRM_CURRENT: ULONG = 0x1000_0000;
/// The storage can be written (committed back into the stream).
pub const STGSTRM_MODIFY: ULONG = 0x0000_0002;
/// A new, empty storage replaces what the stream holds from the start point.
pub const STGSTRM_CREATE: ULONG = 0x0000_1000;

/// Opens (or with `STGSTRM_CREATE` creates) the compound file held by `lpUnkIn`, an
/// `IStream` when `lpInterface` is NULL or `IID_IStream`, an `ILockBytes` when it is
/// `IID_ILockBytes` (not on Windows, where the storage then comes from ole32's
/// `StgOpenStorageOnILockBytes`). The storage is transacted: its changes reach the stream
/// at `Commit`, and only with `STGSTRM_MODIFY` or `STGSTRM_CREATE` (otherwise it is
/// read-only). `MAPI_E_INVALID_PARAMETER` for NULL pointers, `MAPI_E_UNKNOWN_FLAGS` for
/// other flags, `MAPI_E_INTERFACE_NOT_SUPPORTED` for another interface; a stream that does
/// not hold a compound file gives the storage error (`STG_E_FILEALREADYEXISTS`, as
/// `StgOpenStorageOnILockBytes`).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrIStorageFromStream(
    lpUnkIn: *mut c_void,
    lpInterface: *const IID,
    ulFlags: ULONG,
    lppStorageOut: *mut *mut IStorage,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppStorageOut` is NULL or the caller's out-parameter.
        let Some(out) = (unsafe { out_ptr(lppStorageOut) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        if lpUnkIn.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        if ulFlags & !(STGSTRM_CURRENT | STGSTRM_MODIFY | STGSTRM_CREATE) != 0 {
            return MAPI_E_UNKNOWN_FLAGS;
        }
        // SAFETY: `lpInterface` is NULL or the caller's IID.
        let iid = if lpInterface.is_null() {
            IID_IStream
        } else {
            unsafe { *lpInterface }
        };
        let bytes: Arc<dyn LockBytes> = if iid == IID_IStream {
            // SAFETY: the caller's live IStream.
            let Some(stream) = (unsafe { ComRef::add_ref(lpUnkIn) }) else {
                return MAPI_E_INVALID_PARAMETER;
            };
            match StreamBytes::new(stream, ulFlags & STGSTRM_CURRENT != 0) {
                Ok(b) => Arc::new(b),
                Err(e) => return scode_of(e.kind),
            }
        } else if iid == IID_ILockBytes {
            // SAFETY: the caller's live ILockBytes.
            match unsafe { lock_bytes(lpUnkIn) } {
                Ok(lb) => lb,
                Err(sc) => return sc,
            }
        } else {
            return MAPI_E_INTERFACE_NOT_SUPPORTED;
        };
        let write = ulFlags & (STGSTRM_MODIFY | STGSTRM_CREATE) != 0;
        let access = if write { STGM_READWRITE } else { STGM_READ };
        let mode = access | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE;
        let storage = if ulFlags & STGSTRM_CREATE != 0 {
            docfile::create_bytes(bytes, mode | STGM_CREATE, Version::V3)
        } else {
            docfile::open_bytes(bytes, mode)
        };
        match storage {
            Ok(storage) => {
                out.set(super::storage::new_storage(storage).cast());
                S_OK
            }
            Err(e) => scode_of(e.kind),
        }
    })
}

/// The caller's `ILockBytes` as our byte array.
///
/// # Safety
/// `p` must be a live `ILockBytes`.
#[cfg(not(windows))]
unsafe fn lock_bytes(p: *mut c_void) -> Result<Arc<dyn LockBytes>, SCODE> {
    // SAFETY: forwarded from the caller.
    unsafe { super::ilockbytes::lock_bytes_of(p.cast()) }.ok_or(MAPI_E_INVALID_PARAMETER)
}

/// On Windows a storage on a lock-bytes is ole32's `StgOpenStorageOnILockBytes`.
#[cfg(windows)]
unsafe fn lock_bytes(_p: *mut c_void) -> Result<Arc<dyn LockBytes>, SCODE> {
    Err(MAPI_E_INTERFACE_NOT_SUPPORTED)
}
