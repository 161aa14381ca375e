//! `MAPIAllocateBuffer` and friends, the default `IMalloc`, `MAPIInitialize`.

use std::ffi::c_void;

use crate::com::mapimem;
use crate::com::object::guard;
use crate::com::scode::scode_of;
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
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppBuffer` is NULL or writable, per the API contract.
        if !unsafe { super::clear_out(lppBuffer) } {
            return MAPI_E_INVALID_PARAMETER;
        }
        match mapimem::allocate_buffer(cbSize as usize) {
            Ok(p) => {
                // SAFETY: checked non-NULL above.
                unsafe { *lppBuffer = p };
                S_OK
            }
            Err(e) => scode_of(e.kind),
        }
    })
}

/// Allocates a buffer linked to `lpObject` (a block from `MAPIAllocateBuffer`, or linked to
/// one): it is freed when that block's root is freed.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn MAPIAllocateMore(
    cbSize: ULONG,
    lpObject: *mut c_void,
    lppBuffer: *mut *mut c_void,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppBuffer` is NULL or writable, per the API contract.
        if !unsafe { super::clear_out(lppBuffer) } || lpObject.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        match mapimem::allocate_more(cbSize as usize, lpObject) {
            Ok(p) => {
                // SAFETY: checked non-NULL above.
                unsafe { *lppBuffer = p };
                S_OK
            }
            Err(e) => scode_of(e.kind),
        }
    })
}

/// Frees a buffer from `MAPIAllocateBuffer` and every buffer linked to it. NULL is a no-op;
/// a pointer that is not a live root block is refused with `MAPI_E_INVALID_PARAMETER`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn MAPIFreeBuffer(lpBuffer: *mut c_void) -> ULONG {
    guard(MAPI_E_CALL_FAILED as ULONG, || {
        match mapimem::free_buffer(lpBuffer) {
            Ok(()) => S_OK as ULONG,
            Err(e) => scode_of(e.kind) as ULONG,
        }
    })
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
/// callers may release it or not.
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
    guard(std::ptr::null_mut(), || mapimem::task_alloc(cb))
}

unsafe extern "system" fn malloc_realloc(
    _this: *mut c_void,
    pv: *mut c_void,
    cb: usize,
) -> *mut c_void {
    guard(std::ptr::null_mut(), || mapimem::task_realloc(pv, cb))
}

unsafe extern "system" fn malloc_free(_this: *mut c_void, pv: *mut c_void) {
    guard((), || {
        mapimem::task_free(pv);
    })
}

unsafe extern "system" fn malloc_get_size(_this: *mut c_void, pv: *mut c_void) -> usize {
    guard(0, || mapimem::task_size(pv).unwrap_or(usize::MAX))
}

/// -1, "cannot tell", as Microsoft's and Wine's MAPI default allocator answer.
unsafe extern "system" fn malloc_did_alloc(_this: *mut c_void, _pv: *mut c_void) -> i32 {
    -1
}

unsafe extern "system" fn malloc_heap_minimize(_this: *mut c_void) {}

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

/// Reallocates task memory.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn CoTaskMemRealloc(pv: *mut c_void, cb: usize) -> *mut c_void {
    guard(std::ptr::null_mut(), || mapimem::task_realloc(pv, cb))
}

/// The task allocator as an `IMalloc` (the same static object as `MAPIGetDefaultMalloc`).
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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(not(windows))]
    use crate::capi::lockbytes::{GlobalAlloc, GlobalFree, GlobalLock, GlobalSize, GlobalUnlock};
    #[cfg(not(windows))]
    use crate::com::object::tests::panic_next_guard;

    /// What each non-`HRESULT` export answers when its body panics: the value C reads as
    /// failure for its return type, never `MAPI_E_CALL_FAILED` read as TRUE or as a size.
    #[test]
    #[cfg(not(windows))]
    fn panicking_exports_answer_their_own_failure_value() {
        // SAFETY: every call passes values the functions accept.
        unsafe {
            let h = GlobalAlloc(GMEM_MOVEABLE, 8);
            assert!(!GlobalLock(h).is_null());
            assert!(!GlobalLock(h).is_null());
            panic_next_guard();
            assert_eq!(GlobalUnlock(h), 0);
            assert_ne!(
                GlobalUnlock(h),
                0,
                "one lock is left: nothing was undone above"
            );
            assert_eq!(GlobalUnlock(h), 0);
            panic_next_guard();
            assert_eq!(GlobalSize(h), 0);
            panic_next_guard();
            assert_eq!(GlobalFree(h), h, "a failed free hands the handle back");
            assert_eq!(GlobalSize(h), 8);
            assert!(GlobalFree(h).is_null());
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
}
