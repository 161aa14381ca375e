//! `ILockBytes`, compound files on lock-bytes, memory streams and `HGLOBAL` memory: the
//! ole32 and kernel32 functions Linux lacks (`CreateILockBytesOnHGlobal`,
//! `StgCreateDocfileOnILockBytes`, `CreateStreamOnHGlobal`, `GlobalAlloc`, ...). On Windows
//! the system provides them, and they are not exported (DESIGN decision 13).
//!
//! An `HGLOBAL` here is a handle from our `GlobalAlloc` (or one a lock-bytes or stream made
//! itself): `GlobalLock` gives its memory, `GlobalSize` its size, as on Windows. Handles
//! from anywhere else are refused.

use std::ffi::c_void;
use std::sync::Arc;

use super::OutParam;
use super::stream::StreamShell;
use super::{invalid_pointer, out_ptr, read_into, write_from};
use crate::com::foreign::ComRef;
use crate::com::foreign_lockbytes::ForeignLockBytes;
use crate::com::guids::*;
use crate::com::hglobal::{self, HGlobalLockBytes};
use crate::com::object::{ComObject, guard};
use crate::com::scode::scode_of;
use crate::com::types::*;
use crate::com::vtbl::{ILockBytes, ILockBytesVtbl, IStorage, IStream, This};
use crate::consts::*;
use crate::error::{Error, ErrorKind};
use crate::storage::byte_arrays::{LockBytes, LockBytesStream, MEMORY_STREAM_MODE};
use crate::storage::docfile::{self, SIGNATURE};

com_class! {
    /// An `ILockBytes` we hand out (`CreateILockBytesOnHGlobal`).
    pub struct LockBytesShell {
        pub lb: Arc<dyn LockBytes>,
    }
    ILockBytesVtbl, iids [IID_ILockBytes],
    slots {
        ReadAt: read_at,
        WriteAt: write_at,
        Flush: flush,
        SetSize: set_size,
        LockRegion: lock_region,
        UnlockRegion: lock_region,
        Stat: stat,
    }
}

unsafe extern "system" fn read_at(
    this: This,
    offset: u64,
    pv: *mut c_void,
    cb: ULONG,
    pcb: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(LockBytesShell, this, |obj| {
        // SAFETY: `pv` is the caller's buffer of `cb` bytes, `pcb` NULL or its ULONG.
        unsafe { read_into(pv, cb, pcb, |buf| obj.inner.lb.read_at(offset, buf)) }
    })
}

unsafe extern "system" fn write_at(
    this: This,
    offset: u64,
    pv: *const c_void,
    cb: ULONG,
    pcb: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(LockBytesShell, this, |obj| {
        // SAFETY: `pv` is the caller's `cb` bytes, `pcb` NULL or its ULONG.
        unsafe {
            write_from(pv, cb, pcb, |data| {
                obj.inner.lb.write_at(offset, data)?;
                Ok(data.len())
            })
        }
    })
}

unsafe extern "system" fn flush(this: This) -> HRESULT {
    crate::try_slot!(LockBytesShell, this, |obj| {
        obj.inner.lb.flush()?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn set_size(this: This, cb: u64) -> HRESULT {
    crate::try_slot!(LockBytesShell, this, |obj| {
        obj.inner.lb.set_size(cb)?;
        Ok(S_OK)
    })
}

/// Memory lock-bytes do not lock regions (ole32's answer for HGLOBAL lock-bytes).
unsafe extern "system" fn lock_region(this: This, _offset: u64, _cb: u64, _kind: DWORD) -> HRESULT {
    crate::try_slot!(LockBytesShell, this, |_obj| {
        Err(Error::new(
            ErrorKind::StgInvalidFunction,
            "memory lock-bytes do not support region locking",
        ))
    })
}

unsafe extern "system" fn stat(this: This, out: *mut STATSTG, flag: DWORD) -> HRESULT {
    crate::try_slot!(LockBytesShell, this, |obj| {
        // SAFETY: `out` is NULL or the caller's STATSTG.
        let out = unsafe { OutParam::new(out) }.ok_or_else(invalid_pointer)?;
        if flag & !(STATFLAG_NONAME | STATFLAG_NOOPEN) != 0 {
            return Err(Error::new(ErrorKind::StgInvalidFlag, "unknown STATFLAG"));
        }
        out.set(STATSTG {
            pwcsName: std::ptr::null_mut(),
            type_: STGTY_LOCKBYTES,
            cbSize: obj.inner.lb.size()?,
            mtime: FILETIME::default(),
            ctime: FILETIME::default(),
            atime: FILETIME::default(),
            grfMode: 0,
            grfLocksSupported: 0,
            clsid: GUID::default(),
            grfStateBits: 0,
            reserved: 0,
        });
        Ok(S_OK)
    })
}

/// The lock-bytes behind an `ILockBytes` pointer: ours directly, a caller's through an
/// adapter that calls its vtable.
///
/// # Safety
/// `p` must be NULL or a live `ILockBytes`.
pub(crate) unsafe fn lock_bytes_of(p: *mut ILockBytes) -> Option<Arc<dyn LockBytes>> {
    // SAFETY: forwarded from the caller.
    if let Some(obj) = unsafe { ComObject::<LockBytesShell>::this_as(p.cast()) } {
        return Some(obj.inner.lb.clone());
    }
    // SAFETY: forwarded from the caller.
    let foreign = unsafe { ComRef::add_ref(p.cast()) }?;
    Some(Arc::new(ForeignLockBytes::new(foreign)))
}

// ===== ole32 stand-ins =====

/// `HGLOBAL` handle of ours, or `None` (NULL or unknown).
fn hglobal_handle(h: HGLOBAL) -> Option<usize> {
    let h = h as usize;
    (h != 0 && hglobal::size(h).is_some()).then_some(h)
}

/// The lock-bytes for `CreateILockBytesOnHGlobal`/`CreateStreamOnHGlobal`: over `h`, or over a
/// new block when `h` is NULL.
fn hglobal_lock_bytes(
    h: HGLOBAL,
    delete_on_release: BOOL,
) -> Result<Arc<HGlobalLockBytes>, HRESULT> {
    if h.is_null() {
        return HGlobalLockBytes::new_block(delete_on_release != 0).map_err(|e| scode_of(e.kind));
    }
    let handle = hglobal_handle(h).ok_or(E_INVALIDARG)?;
    HGlobalLockBytes::new(handle, delete_on_release != 0).ok_or(E_INVALIDARG)
}

/// A lock-bytes in memory. `hGlobal` NULL makes a new block (freed with the lock-bytes
/// when `fDeleteOnRelease`, as on Windows; `GetHGlobalFromILockBytes` gives it); otherwise
/// `hGlobal` must come from `GlobalAlloc` and the lock-bytes' content is that block's.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn CreateILockBytesOnHGlobal(
    hGlobal: HGLOBAL,
    fDeleteOnRelease: BOOL,
    pplkbyt: *mut *mut ILockBytes,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `pplkbyt` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(pplkbyt) }) else {
            return E_INVALIDARG;
        };
        let lb = match hglobal_lock_bytes(hGlobal, fDeleteOnRelease) {
            Ok(lb) => lb,
            Err(hr) => return hr,
        };
        out.set(ComObject::into_raw(LockBytesShell { lb }).cast());
        S_OK
    })
}

/// The `HGLOBAL` of a lock-bytes made by `CreateILockBytesOnHGlobal`; `E_INVALIDARG` for
/// any other lock-bytes.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn GetHGlobalFromILockBytes(
    plkbyt: *mut ILockBytes,
    phglobal: *mut HGLOBAL,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `phglobal` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(phglobal) }) else {
            return E_INVALIDARG;
        };
        // SAFETY: a non-NULL `plkbyt` is a live ILockBytes.
        let Some(obj) = (unsafe { ComObject::<LockBytesShell>::this_as(plkbyt.cast()) }) else {
            return E_INVALIDARG;
        };
        match obj.inner.lb.as_any().downcast_ref::<HGlobalLockBytes>() {
            Some(h) => {
                out.set(h.handle() as HGLOBAL);
                S_OK
            }
            None => E_INVALIDARG,
        }
    })
}

fn stg_out(
    out: &OutParam<*mut IStorage>,
    r: crate::error::Result<Arc<docfile::DocStorage>>,
) -> HRESULT {
    match r {
        Ok(storage) => {
            out.set(super::storage::new_storage(storage).cast());
            S_OK
        }
        Err(e) => scode_of(e.kind),
    }
}

/// Creates a compound file (version 3) in a lock-bytes: ours from
/// `CreateILockBytesOnHGlobal` or the caller's own implementation. A lock-bytes holding
/// bytes needs `STGM_CREATE`; transacted, its content is replaced at the root's first
/// `Commit`. Commits build the whole new file first, then write it (see
/// `src/storage/byte_arrays.rs`).
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn StgCreateDocfileOnILockBytes(
    plkbyt: *mut ILockBytes,
    grfMode: DWORD,
    reserved: DWORD,
    ppstgOpen: *mut *mut IStorage,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppstgOpen` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(ppstgOpen) }) else {
            return STG_E_INVALIDPOINTER;
        };
        if reserved != 0 {
            return STG_E_INVALIDPARAMETER;
        }
        // SAFETY: a non-NULL `plkbyt` is a live ILockBytes.
        let Some(lb) = (unsafe { lock_bytes_of(plkbyt) }) else {
            return STG_E_INVALIDPOINTER;
        };
        stg_out(
            &out,
            docfile::create_bytes(lb, grfMode, crate::storage::Version::V3),
        )
    })
}

/// Opens the compound file in a lock-bytes (ours or the caller's). The content is read
/// once, when opened; the lock-bytes is written only when the root commits.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn StgOpenStorageOnILockBytes(
    plkbyt: *mut ILockBytes,
    pstgPriority: *mut IStorage,
    grfMode: DWORD,
    snbExclude: SNB,
    reserved: DWORD,
    ppstgOpen: *mut *mut IStorage,
) -> HRESULT {
    // Priority mode has no meaning here: nothing else has the lock-bytes open through us.
    let _ = pstgPriority;
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppstgOpen` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(ppstgOpen) }) else {
            return STG_E_INVALIDPOINTER;
        };
        if reserved != 0 || !snbExclude.is_null() {
            return STG_E_INVALIDPARAMETER;
        }
        // SAFETY: a non-NULL `plkbyt` is a live ILockBytes.
        let Some(lb) = (unsafe { lock_bytes_of(plkbyt) }) else {
            return STG_E_INVALIDPOINTER;
        };
        stg_out(&out, docfile::open_bytes(lb, grfMode))
    })
}

/// `S_OK` when the lock-bytes starts with the compound-file signature, `S_FALSE` if not.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn StgIsStorageILockBytes(plkbyt: *mut ILockBytes) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: a non-NULL `plkbyt` is a live ILockBytes.
        let Some(lb) = (unsafe { lock_bytes_of(plkbyt) }) else {
            return STG_E_INVALIDPOINTER;
        };
        let mut head = [0u8; 8];
        let mut done = 0;
        while done < head.len() {
            match lb.read_at(done as u64, &mut head[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) => return scode_of(e.kind),
            }
        }
        if done == head.len() && head == SIGNATURE {
            S_OK
        } else {
            S_FALSE
        }
    })
}

/// A stream in memory: over `hGlobal` (from `GlobalAlloc`; the stream's size is the
/// block's), or over a new block when NULL. Clones share the content.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn CreateStreamOnHGlobal(
    hGlobal: HGLOBAL,
    fDeleteOnRelease: BOOL,
    ppstm: *mut *mut IStream,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppstm` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(ppstm) }) else {
            return E_INVALIDARG;
        };
        let lb = match hglobal_lock_bytes(hGlobal, fDeleteOnRelease) {
            Ok(lb) => lb,
            Err(hr) => return hr,
        };
        let stream = LockBytesStream::new(lb, MEMORY_STREAM_MODE);
        out.set(
            ComObject::into_raw(StreamShell {
                stream: parking_lot::Mutex::new(Box::new(stream)),
                keep: None,
            })
            .cast(),
        );
        S_OK
    })
}

/// The `HGLOBAL` of a stream made by `CreateStreamOnHGlobal`; `E_INVALIDARG` otherwise.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn GetHGlobalFromStream(
    pstm: *mut IStream,
    phglobal: *mut HGLOBAL,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `phglobal` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(phglobal) }) else {
            return E_INVALIDARG;
        };
        // SAFETY: a non-NULL `pstm` is a live IStream.
        let Some(obj) = (unsafe { ComObject::<StreamShell>::this_as(pstm.cast()) }) else {
            return E_INVALIDARG;
        };
        let stream = obj.inner.stream.lock();
        let handle = stream
            .as_any()
            .downcast_ref::<LockBytesStream>()
            .and_then(|s| s.lock_bytes().as_any().downcast_ref::<HGlobalLockBytes>())
            .map(|h| h.handle());
        match handle {
            Some(h) => {
                out.set(h as HGLOBAL);
                S_OK
            }
            None => E_INVALIDARG,
        }
    })
}

// ===== kernel32 stand-ins: HGLOBAL memory =====

/// A block of `dwBytes` bytes (`GMEM_ZEROINIT` zeroes it). `GMEM_MOVEABLE` gives a handle
/// to use with `GlobalLock`; otherwise (`GMEM_FIXED`) the handle is the memory's address.
/// NULL when out of memory.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn GlobalAlloc(uFlags: UINT, dwBytes: SIZE_T) -> HGLOBAL {
    guard(std::ptr::null_mut(), || {
        hglobal::alloc(uFlags, dwBytes) as HGLOBAL
    })
}

/// Resizes a block (new bytes are zero). A movable block may move; a fixed one moves (and
/// gets a new handle, returned) only with `GMEM_MOVEABLE` in `uFlags`, otherwise it can only
/// shrink. NULL on failure, leaving the block as it was. `GMEM_MODIFY` changes nothing.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn GlobalReAlloc(
    hMem: HGLOBAL,
    dwBytes: SIZE_T,
    uFlags: UINT,
) -> HGLOBAL {
    guard(std::ptr::null_mut(), || {
        let Some(h) = hglobal_handle(hMem) else {
            return std::ptr::null_mut();
        };
        if uFlags & GMEM_MODIFY != 0 {
            return hMem;
        }
        hglobal::realloc(h, dwBytes, uFlags & GMEM_MOVEABLE != 0)
            .map_or(std::ptr::null_mut(), |new| new as HGLOBAL)
    })
}

/// The block's size in bytes; 0 for an unknown handle.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn GlobalSize(hMem: HGLOBAL) -> SIZE_T {
    guard(0, || hglobal::size(hMem as usize).unwrap_or(0))
}

/// The block's memory (a movable block stays put while locked); NULL for an unknown handle.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn GlobalLock(hMem: HGLOBAL) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        hglobal::lock(hMem as usize)
            .map(|p| p.cast())
            .unwrap_or(std::ptr::null_mut())
    })
}

/// Undoes one `GlobalLock`; nonzero while the block is still locked.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn GlobalUnlock(hMem: HGLOBAL) -> BOOL {
    guard(0, || match hglobal::unlock(hMem as usize) {
        Some(n) if n > 0 => 1,
        _ => 0,
    })
}

/// Frees a block: NULL on success, the handle back when it is not a live block.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn GlobalFree(hMem: HGLOBAL) -> HGLOBAL {
    guard(hMem, || {
        if hMem.is_null() || hglobal::free(hMem as usize) {
            std::ptr::null_mut()
        } else {
            hMem
        }
    })
}
