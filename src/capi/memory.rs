//! `MAPIAllocateBuffer` and friends, the default `IMalloc`, `MAPIInitialize`, task memory,
//! and (elsewhere than Windows) kernel32's `LocalAlloc` family. The memory itself is
//! `com::mapimem`'s and `com::hglobal`'s.

use std::ffi::c_void;

use crate::com::mapimem;
use crate::com::object::guard;
use crate::com::types::*;
use crate::com::vtbl::{IMalloc, IMallocVtbl, Interface};
use crate::consts::*;

/// Allocates a MAPI buffer of `cbSize` bytes (16-byte aligned, zeroed).
///
/// Returns `S_OK`, `MAPI_E_INVALID_PARAMETER` (NULL `lppBuffer`) or
/// `MAPI_E_NOT_ENOUGH_MEMORY`. Free with `MAPIFreeBuffer`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn MAPIAllocateBuffer(
    cbSize: ULONG,
    lppBuffer: *mut *mut c_void,
) -> SCODE {
    // SAFETY: forwarded from the caller; the panic guard is inside.
    unsafe { mapimem::mapi_allocate_buffer(cbSize, lppBuffer) }
}

/// Allocates a buffer linked to `lpObject` (a block from `MAPIAllocateBuffer`, or linked to
/// one): it is freed when that block's root is freed.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn MAPIAllocateMore(
    cbSize: ULONG,
    lpObject: *mut c_void,
    lppBuffer: *mut *mut c_void,
) -> SCODE {
    // SAFETY: forwarded from the caller; the panic guard is inside.
    unsafe { mapimem::mapi_allocate_more(cbSize, lpObject, lppBuffer) }
}

/// Frees a buffer from `MAPIAllocateBuffer` and every buffer linked to it. NULL is a no-op;
/// a pointer that is not a live root block is refused with `MAPI_E_INVALID_PARAMETER`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn MAPIFreeBuffer(lpBuffer: *mut c_void) -> ULONG {
    // SAFETY: any pointer is checked; the panic guard is inside.
    unsafe { mapimem::mapi_free_buffer(lpBuffer) }
}

/// Succeeds; IMessage-on-IStorage needs no MAPI subsystem.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn MAPIInitialize(_lpMapiInit: *mut c_void) -> HRESULT {
    S_OK
}

/// Does nothing.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn MAPIUninitialize() {}

// ===== the default IMalloc =====

/// The object C sees: a pointer to its vtable.
#[allow(dead_code)]
struct StaticMalloc(Interface<IMallocVtbl>);
// SAFETY: the object is immutable and its methods are thread-safe.
unsafe impl Sync for StaticMalloc {}

static MALLOC_VTBL: IMallocVtbl = IMallocVtbl {
    QueryInterface: malloc_query_interface,
    AddRef: malloc_add_ref,
    Release: malloc_add_ref,
    Alloc: malloc_alloc,
    Realloc: malloc_realloc,
    Free: malloc_free,
    GetSize: malloc_get_size,
    DidAlloc: malloc_did_alloc,
    HeapMinimize: malloc_heap_minimize,
};

static DEFAULT_MALLOC: StaticMalloc = StaticMalloc(Interface {
    lpVtbl: &MALLOC_VTBL,
});

fn default_malloc() -> *mut c_void {
    &DEFAULT_MALLOC as *const StaticMalloc as *mut c_void
}

/// The process's default `IMalloc`: a static object whose `AddRef`/`Release` return 1, so
/// callers may release it or not. Its blocks are `LocalAlloc`'s (`LMEM_FIXED`), as native
/// mapi32's are: `GetSize` is `LocalSize`, and `LocalFree` frees them.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn MAPIGetDefaultMalloc() -> *mut IMalloc {
    default_malloc().cast()
}

unsafe extern "system" fn malloc_query_interface(
    this: *mut c_void,
    riid: *const IID,
    ppv: *mut *mut c_void,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppv` is NULL or writable.
        if !unsafe { super::clear_out(ppv) } || riid.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        // SAFETY: checked non-NULL.
        let iid = unsafe { *riid };
        if iid == crate::com::guids::IID_IUnknown || iid == crate::com::guids::IID_IMalloc {
            // SAFETY: checked non-NULL.
            unsafe { *ppv = this };
            S_OK
        } else {
            E_NOINTERFACE
        }
    })
}

unsafe extern "system" fn malloc_add_ref(_this: *mut c_void) -> ULONG {
    1
}

unsafe extern "system" fn malloc_alloc(_this: *mut c_void, cb: usize) -> *mut c_void {
    guard(std::ptr::null_mut(), || mapimem::local_alloc(cb))
}

unsafe extern "system" fn malloc_realloc(
    _this: *mut c_void,
    pv: *mut c_void,
    cb: usize,
) -> *mut c_void {
    // SAFETY: `pv` is NULL or a block of this allocator's, per the IMalloc contract.
    guard(std::ptr::null_mut(), || unsafe {
        mapimem::malloc_realloc(pv, cb)
    })
}

unsafe extern "system" fn malloc_free(_this: *mut c_void, pv: *mut c_void) {
    guard((), || {
        // SAFETY: as in `malloc_realloc`.
        unsafe { mapimem::local_free(pv) };
    })
}

/// `LocalSize` of the block (0 for NULL), as native's answers.
unsafe extern "system" fn malloc_get_size(_this: *mut c_void, pv: *mut c_void) -> usize {
    // SAFETY: as in `malloc_realloc`.
    guard(0, || unsafe { mapimem::local_size(pv) })
}

/// -1, "cannot tell", as Microsoft's and Wine's MAPI default allocator answer.
unsafe extern "system" fn malloc_did_alloc(_this: *mut c_void, _pv: *mut c_void) -> i32 {
    -1
}

unsafe extern "system" fn malloc_heap_minimize(_this: *mut c_void) {}

// ===== ole32 stand-ins: task memory =====

/// Allocates task memory (what `STATSTG.pwcsName` is made of).
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn CoTaskMemAlloc(cb: usize) -> *mut c_void {
    guard(std::ptr::null_mut(), || mapimem::task_alloc(cb))
}

/// Frees task memory; NULL and foreign pointers are ignored.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn CoTaskMemFree(pv: *mut c_void) {
    guard((), || {
        mapimem::task_free(pv);
    })
}

/// Reallocates task memory: NULL `pv` allocates, `cb` 0 frees and gives NULL; NULL on
/// failure, the block unchanged.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn CoTaskMemRealloc(pv: *mut c_void, cb: usize) -> *mut c_void {
    guard(std::ptr::null_mut(), || mapimem::task_realloc(pv, cb))
}

/// The task allocator as an `IMalloc`: the same static object as `MAPIGetDefaultMalloc`,
/// whose heap task memory shares here.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn CoGetMalloc(
    dwMemContext: DWORD,
    ppMalloc: *mut *mut IMalloc,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppMalloc` is NULL or writable.
        if !unsafe { super::clear_out(ppMalloc) } {
            return E_INVALIDARG;
        }
        if dwMemContext != 1 {
            return E_INVALIDARG;
        }
        // SAFETY: checked non-NULL.
        unsafe { *ppMalloc = default_malloc().cast() };
        S_OK
    })
}

// ===== kernel32 stand-ins: local memory =====
//
// On Windows `LocalAlloc` and `GlobalAlloc` share one heap; here they share one registry
// (`com::hglobal`), so these are the `Global*` functions under their other names.

/// A block of `uBytes` bytes (`LMEM_ZEROINIT` zeroes it). `LMEM_MOVEABLE` gives a handle to
/// use with `LocalLock`; otherwise (`LMEM_FIXED`) the handle is the memory's address. NULL
/// when out of memory.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn LocalAlloc(uFlags: UINT, uBytes: SIZE_T) -> HLOCAL {
    // SAFETY: the same contract; guarded inside.
    unsafe { super::lockbytes::GlobalAlloc(uFlags, uBytes) }
}

/// Resizes a block as `GlobalReAlloc` does (`LMEM_MOVEABLE` lets a fixed block move,
/// `LMEM_MODIFY` changes nothing); NULL on failure, the block unchanged.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn LocalReAlloc(hMem: HLOCAL, uBytes: SIZE_T, uFlags: UINT) -> HLOCAL {
    // SAFETY: the same contract; guarded inside.
    unsafe { super::lockbytes::GlobalReAlloc(hMem, uBytes, uFlags) }
}

/// The block's size in bytes; 0 for NULL or an unknown handle.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn LocalSize(hMem: HLOCAL) -> SIZE_T {
    // SAFETY: the same contract; guarded inside.
    unsafe { super::lockbytes::GlobalSize(hMem) }
}

/// The block's memory (a movable block stays put while locked); NULL for an unknown handle.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn LocalLock(hMem: HLOCAL) -> *mut c_void {
    // SAFETY: the same contract; guarded inside.
    unsafe { super::lockbytes::GlobalLock(hMem) }
}

/// Undoes one `LocalLock`; nonzero while the block is still locked, FALSE otherwise.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn LocalUnlock(hMem: HLOCAL) -> BOOL {
    // SAFETY: the same contract; guarded inside.
    unsafe { super::lockbytes::GlobalUnlock(hMem) }
}

/// Frees a block (from `LocalAlloc`, `GlobalAlloc`, the default `IMalloc` or
/// `CoTaskMemAlloc`): NULL on success, the handle back when it is no live block.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn LocalFree(hMem: HLOCAL) -> HLOCAL {
    // SAFETY: the same contract; guarded inside.
    unsafe { super::lockbytes::GlobalFree(hMem) }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(windows))]
    use crate::com::object::tests::panic_next_guard;

    /// What each non-`HRESULT` export answers when its body panics: the value C reads as
    /// failure for its return type, never `MAPI_E_CALL_FAILED` read as TRUE or a size.
    #[test]
    #[cfg(not(windows))]
    fn panicking_exports_answer_their_own_failure_value() {
        // SAFETY: every call passes values the functions accept.
        unsafe {
            let h = LocalAlloc(LMEM_MOVEABLE, 8);
            assert!(!LocalLock(h).is_null());
            assert!(!LocalLock(h).is_null());
            panic_next_guard();
            assert_eq!(crate::capi::lockbytes::GlobalUnlock(h), 0);
            panic_next_guard();
            assert_eq!(LocalUnlock(h), 0);
            assert_ne!(
                LocalUnlock(h),
                0,
                "one lock is left: nothing was undone above"
            );
            assert_eq!(LocalUnlock(h), 0);
            panic_next_guard();
            assert_eq!(LocalSize(h), 0);
            panic_next_guard();
            assert!(LocalLock(h).is_null());
            panic_next_guard();
            assert!(LocalAlloc(LMEM_FIXED, 8).is_null());
            panic_next_guard();
            assert!(LocalReAlloc(h, 16, LMEM_MOVEABLE).is_null());
            panic_next_guard();
            assert_eq!(LocalFree(h), h, "a failed free hands the handle back");
            assert_eq!(LocalSize(h), 8);
            assert!(LocalFree(h).is_null());

            let m = MAPIGetDefaultMalloc().cast::<c_void>();
            panic_next_guard();
            assert!(malloc_alloc(m, 8).is_null());
            let p = malloc_alloc(m, 8);
            panic_next_guard();
            assert_eq!(malloc_get_size(m, p), 0);
            assert_eq!(malloc_get_size(m, p), 8);
            malloc_free(m, p);
            panic_next_guard();
            assert_eq!(
                MAPIFreeBuffer(std::ptr::null_mut()),
                MAPI_E_CALL_FAILED as ULONG
            );
            let mut p = std::ptr::null_mut();
            panic_next_guard();
            assert_eq!(MAPIAllocateBuffer(8, &mut p), MAPI_E_CALL_FAILED);
            assert!(p.is_null());
        }
    }

    #[test]
    fn the_default_malloc_is_local_memory() {
        let m = default_malloc();
        // SAFETY: the static object's slots take any pointer they are given.
        unsafe {
            let p = malloc_alloc(m, 61);
            assert!(!p.is_null());
            assert_eq!(malloc_get_size(m, p), 61);
            assert_eq!(mapimem::local_size(p), 61);
            let q = malloc_realloc(m, p, 100);
            assert_eq!(malloc_get_size(m, q), 100);
            assert!(mapimem::local_free(q));
            assert_eq!(malloc_get_size(m, std::ptr::null_mut()), 0);
        }
    }
}
