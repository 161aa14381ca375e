//! MAPI memory: `MAPIAllocateBuffer`'s linked allocations, the heap of the default `IMalloc`
//! and of task memory, and the allocator triple an `OpenIMsgOnIStg` caller hands us (DESIGN
//! decision 4). `capi::memory` exports these thinly.
//!
//! Every MAPI block carries a 16-byte header (so returned memory is 16-byte aligned) and is
//! listed in a process-wide registry: freeing a pointer we did not hand out, or freeing
//! twice, is an error the caller is told about instead of heap corruption.
//!
//! The default `IMalloc` allocates as native mapi32's does, with `LocalAlloc` (its
//! `GetSize` is `LocalSize`, and a caller may `LocalFree` its blocks): on Windows the
//! system's, elsewhere our stand-in over `com::hglobal`, which task memory
//! (`CoTaskMemAlloc`) shares there, so the one `IMalloc` `CoGetMalloc` also returns frees
//! either. On Windows task memory is ole32's.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::collections::BTreeMap;
use std::ffi::c_void;

use parking_lot::Mutex;

use super::scode::scode_of;
use super::types::*;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};

const HEADER: usize = 16;
const ALIGN: usize = 16;

/// Live blocks: address → address of the root block it belongs to (itself for roots).
/// (A B-tree, not a hash table: valgrind sees its nodes as reachable, not "possibly lost".)
static BLOCKS: Mutex<Option<BTreeMap<usize, Block>>> = Mutex::new(None);

struct Block {
    root: usize,
    size: usize,
    /// For roots: the blocks linked to it with `MAPIAllocateMore`.
    children: Vec<usize>,
}

fn raw_alloc(size: usize) -> Option<*mut u8> {
    let total = size.checked_add(HEADER)?;
    let layout = Layout::from_size_align(total, ALIGN).ok()?;
    // SAFETY: the layout has a non-zero size (at least the header).
    let base = unsafe { alloc_zeroed(layout) };
    if base.is_null() {
        return None;
    }
    // SAFETY: the block is at least HEADER bytes long.
    Some(unsafe { base.add(HEADER) })
}

fn raw_free(ptr: usize, size: usize) {
    let layout =
        Layout::from_size_align(size + HEADER, ALIGN).expect("layout was valid when allocated");
    // SAFETY: `ptr` was returned by `raw_alloc(size)` and is freed once (the registry
    // entry is removed before this call).
    unsafe { dealloc((ptr - HEADER) as *mut u8, layout) };
}

/// `MAPIAllocateBuffer`.
pub fn allocate_buffer(size: usize) -> Result<*mut c_void> {
    let ptr = raw_alloc(size).ok_or_else(out_of_memory)?;
    let addr = ptr as usize;
    BLOCKS.lock().get_or_insert_with(BTreeMap::new).insert(
        addr,
        Block {
            root: addr,
            size,
            children: Vec::new(),
        },
    );
    Ok(ptr.cast())
}

/// `MAPIAllocateMore`: a block freed together with `parent`'s root.
pub fn allocate_more(size: usize, parent: *mut c_void) -> Result<*mut c_void> {
    let mut blocks = BLOCKS.lock();
    let map = blocks.get_or_insert_with(BTreeMap::new);
    let root = match map.get(&(parent as usize)) {
        Some(b) => b.root,
        None => {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "MAPIAllocateMore: the parent block was not allocated by MAPIAllocateBuffer",
            ));
        }
    };
    let ptr = raw_alloc(size).ok_or_else(out_of_memory)?;
    let addr = ptr as usize;
    map.insert(
        addr,
        Block {
            root,
            size,
            children: Vec::new(),
        },
    );
    map.get_mut(&root)
        .expect("root is live")
        .children
        .push(addr);
    Ok(ptr.cast())
}

/// `MAPIFreeBuffer`: frees a root block and everything linked to it.
pub fn free_buffer(ptr: *mut c_void) -> Result<()> {
    if ptr.is_null() {
        return Ok(());
    }
    let mut blocks = BLOCKS.lock();
    let map = blocks.get_or_insert_with(BTreeMap::new);
    match map.get(&(ptr as usize)) {
        Some(b) if b.root == ptr as usize => {}
        Some(_) => {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "MAPIFreeBuffer: the block was allocated with MAPIAllocateMore; free its parent",
            ));
        }
        None => {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "MAPIFreeBuffer: not a live block from MAPIAllocateBuffer (freed twice?)",
            ));
        }
    }
    let root = map.remove(&(ptr as usize)).expect("checked above");
    for child in root.children {
        if let Some(b) = map.remove(&child) {
            raw_free(child, b.size);
        }
    }
    raw_free(ptr as usize, root.size);
    Ok(())
}

fn out_of_memory() -> Error {
    Error::new(ErrorKind::NotEnoughMemory, "out of memory")
}

/// Number of live MAPI blocks (for leak tests).
pub fn live_blocks() -> usize {
    BLOCKS.lock().as_ref().map_or(0, BTreeMap::len)
}

// ===== the C functions =====

/// Writes `p` to a caller's out-pointer; `false` when there is none.
///
/// # Safety
/// `out` must be NULL or writable.
unsafe fn set_out(out: *mut *mut c_void, p: *mut c_void) -> bool {
    if out.is_null() {
        return false;
    }
    // SAFETY: checked non-NULL; writable per the caller.
    unsafe { out.write(p) };
    true
}

/// `MAPIAllocateBuffer` as C calls it: `S_OK`, `MAPI_E_INVALID_PARAMETER` (NULL
/// `out`) or `MAPI_E_NOT_ENOUGH_MEMORY`. Panics become `MAPI_E_CALL_FAILED` here, as
/// the library calls it through [`Allocators::ours`] as well as through the export.
///
/// # Safety
/// `out` must be NULL or writable.
pub unsafe extern "system" fn mapi_allocate_buffer(cb_size: ULONG, out: *mut *mut c_void) -> SCODE {
    super::object::guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: forwarded from the caller.
        if !unsafe { set_out(out, std::ptr::null_mut()) } {
            return MAPI_E_INVALID_PARAMETER;
        }
        match allocate_buffer(cb_size as usize) {
            Ok(p) => {
                // SAFETY: as above.
                unsafe { set_out(out, p) };
                S_OK
            }
            Err(e) => scode_of(e.kind),
        }
    })
}

/// `MAPIAllocateMore` as C calls it (see [`mapi_allocate_buffer`]); a NULL or unknown
/// `parent` is `MAPI_E_INVALID_PARAMETER`.
///
/// # Safety
/// `out` must be NULL or writable.
pub unsafe extern "system" fn mapi_allocate_more(
    cb_size: ULONG,
    parent: *mut c_void,
    out: *mut *mut c_void,
) -> SCODE {
    super::object::guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: forwarded from the caller.
        if !unsafe { set_out(out, std::ptr::null_mut()) } || parent.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        match allocate_more(cb_size as usize, parent) {
            Ok(p) => {
                // SAFETY: as above.
                unsafe { set_out(out, p) };
                S_OK
            }
            Err(e) => scode_of(e.kind),
        }
    })
}

/// `MAPIFreeBuffer` as C calls it: `S_OK` (NULL included), or `MAPI_E_INVALID_PARAMETER`
/// for a pointer that is not a live root block.
///
/// # Safety
/// None beyond the C contract: any pointer is checked against the registry.
pub unsafe extern "system" fn mapi_free_buffer(ptr: *mut c_void) -> ULONG {
    super::object::guard(MAPI_E_CALL_FAILED as ULONG, || match free_buffer(ptr) {
        Ok(()) => S_OK as ULONG,
        Err(e) => scode_of(e.kind) as ULONG,
    })
}

// ===== the allocators of a message =====

/// The `lpAllocateBuffer`/`lpAllocateMore`/`lpFreeBuffer` triple results are built with.
#[derive(Clone, Copy)]
pub struct Allocators {
    pub buffer: LPALLOCATEBUFFER,
    pub more: LPALLOCATEMORE,
    pub free: LPFREEBUFFER,
}

impl Allocators {
    /// The library's own `MAPIAllocateBuffer` family.
    pub fn ours() -> Allocators {
        Allocators {
            buffer: mapi_allocate_buffer,
            more: mapi_allocate_more,
            free: mapi_free_buffer,
        }
    }

    fn size(size: usize) -> Result<ULONG> {
        ULONG::try_from(size)
            .map_err(|_| Error::new(ErrorKind::NotEnoughMemory, "result larger than 4 GiB"))
    }

    pub fn alloc(&self, size: usize) -> Result<*mut u8> {
        let mut out: *mut c_void = std::ptr::null_mut();
        // SAFETY: calling the caller's allocator as its documented signature says.
        let sc = unsafe { (self.buffer)(Self::size(size)?, &mut out) };
        if sc != S_OK || out.is_null() {
            return Err(Error::new(
                ErrorKind::NotEnoughMemory,
                "the caller's lpAllocateBuffer failed",
            ));
        }
        Ok(out.cast())
    }

    pub fn more(&self, size: usize, parent: *mut u8) -> Result<*mut u8> {
        let mut out: *mut c_void = std::ptr::null_mut();
        // SAFETY: calling the caller's allocator as its documented signature says.
        let sc = unsafe { (self.more)(Self::size(size)?, parent.cast(), &mut out) };
        if sc != S_OK || out.is_null() {
            return Err(Error::new(
                ErrorKind::NotEnoughMemory,
                "the caller's lpAllocateMore failed",
            ));
        }
        Ok(out.cast())
    }

    pub fn free(&self, ptr: *mut u8) {
        if !ptr.is_null() {
            // SAFETY: `ptr` is a root block from this triple's `buffer`.
            unsafe { (self.free)(ptr.cast()) };
        }
    }
}

// ===== the default IMalloc's heap (LocalAlloc) and task memory =====

/// The `LocalAlloc` heap: kernel32's on Windows.
#[cfg(windows)]
mod local {
    use std::ffi::c_void;

    use crate::consts::{LMEM_FIXED, LMEM_MOVEABLE};

    #[link(name = "kernel32")]
    unsafe extern "system" {
        fn LocalAlloc(uFlags: u32, uBytes: usize) -> *mut c_void;
        fn LocalReAlloc(hMem: *mut c_void, uBytes: usize, uFlags: u32) -> *mut c_void;
        fn LocalFree(hMem: *mut c_void) -> *mut c_void;
        fn LocalSize(hMem: *mut c_void) -> usize;
    }

    pub fn alloc(size: usize) -> *mut c_void {
        // SAFETY: a plain kernel32 allocation.
        unsafe { LocalAlloc(LMEM_FIXED, size) }
    }

    /// # Safety
    /// `ptr` must be a live block of `LocalAlloc`'s (as with native).
    pub unsafe fn free(ptr: *mut c_void) -> bool {
        // SAFETY: per the caller.
        unsafe { LocalFree(ptr) }.is_null()
    }

    /// # Safety
    /// As [`free`].
    pub unsafe fn size(ptr: *mut c_void) -> usize {
        // SAFETY: per the caller.
        unsafe { LocalSize(ptr) }
    }

    /// # Safety
    /// As [`free`].
    pub unsafe fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
        // SAFETY: per the caller.
        unsafe { LocalReAlloc(ptr, size, LMEM_MOVEABLE) }
    }
}

/// The `LocalAlloc` heap: our stand-in over `com::hglobal` elsewhere, where every address
/// is checked against the registry, so nothing here is unsafe.
#[cfg(not(windows))]
mod local {
    use std::ffi::c_void;

    use crate::com::hglobal;
    use crate::consts::LMEM_FIXED;

    pub fn alloc(size: usize) -> *mut c_void {
        hglobal::alloc(LMEM_FIXED, size) as *mut c_void
    }

    pub fn free(ptr: *mut c_void) -> bool {
        hglobal::free(ptr as usize)
    }

    pub fn size(ptr: *mut c_void) -> usize {
        hglobal::size(ptr as usize).unwrap_or(0)
    }

    pub fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
        hglobal::realloc(ptr as usize, size, true).map_or(std::ptr::null_mut(), |p| p as _)
    }

    /// `IMalloc::Realloc`'s rules (see [`super::malloc_realloc`]).
    pub fn malloc_realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
        if ptr.is_null() {
            alloc(size)
        } else if size == 0 {
            free(ptr);
            std::ptr::null_mut()
        } else {
            realloc(ptr, size)
        }
    }
}

/// `LocalAlloc(LMEM_FIXED, size)`: NULL when out of memory. Not zeroed.
pub fn local_alloc(size: usize) -> *mut c_void {
    local::alloc(size)
}

/// `LocalFree`: NULL is ignored. Elsewhere than Windows a pointer that is no live block is
/// left alone and `false` returned.
///
/// # Safety
/// On Windows `ptr` must be NULL or a live block of `LocalAlloc`'s (as with native).
pub unsafe fn local_free(ptr: *mut c_void) -> bool {
    // SAFETY: per the caller. (Only Windows' `local::free` is unsafe.)
    #[allow(unused_unsafe)]
    let freed = ptr.is_null() || unsafe { local::free(ptr) };
    freed
}

/// `LocalSize`: the block's size; 0 for NULL (and, elsewhere than Windows, for what is no
/// live block).
///
/// # Safety
/// As [`local_free`].
pub unsafe fn local_size(ptr: *mut c_void) -> usize {
    if ptr.is_null() {
        return 0;
    }
    // SAFETY: per the caller. (Only Windows' `local::size` is unsafe.)
    #[allow(unused_unsafe)]
    let size = unsafe { local::size(ptr) };
    size
}

/// `IMalloc::Realloc` over `LocalAlloc`: NULL `ptr` allocates, size 0 frees (and gives
/// NULL), otherwise `LocalReAlloc(ptr, size, LMEM_MOVEABLE)`: the block, possibly moved,
/// with its first `min(old, size)` bytes, or NULL with the block unchanged.
///
/// # Safety
/// As [`local_free`].
pub unsafe fn malloc_realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    #[cfg(not(windows))]
    return local::malloc_realloc(ptr, size);
    #[cfg(windows)]
    // SAFETY: per the caller.
    unsafe {
        if ptr.is_null() {
            local::alloc(size)
        } else if size == 0 {
            local::free(ptr);
            std::ptr::null_mut()
        } else {
            local::realloc(ptr, size)
        }
    }
}

/// Task memory (`CoTaskMemAlloc`, what `STATSTG.pwcsName` is made of): ole32's on Windows,
/// the `LocalAlloc` heap elsewhere. NULL when out of memory.
pub fn task_alloc(size: usize) -> *mut c_void {
    #[cfg(windows)]
    {
        #[link(name = "ole32")]
        unsafe extern "system" {
            fn CoTaskMemAlloc(cb: usize) -> *mut c_void;
        }
        // SAFETY: a plain ole32 allocation.
        unsafe { CoTaskMemAlloc(size) }
    }
    #[cfg(not(windows))]
    local::alloc(size)
}

/// Frees task memory (our `CoTaskMemFree`); `false`, and nothing freed, when `ptr` is no
/// live block. NULL is ignored.
#[cfg(not(windows))]
pub fn task_free(ptr: *mut c_void) -> bool {
    ptr.is_null() || local::free(ptr)
}

/// Our `CoTaskMemRealloc`: as [`malloc_realloc`].
#[cfg(not(windows))]
pub fn task_realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    local::malloc_realloc(ptr, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_blocks_are_freed_with_their_root() {
        let root = allocate_buffer(24).unwrap();
        assert_eq!(root as usize % 16, 0);
        let child = allocate_more(100, root).unwrap();
        let grandchild = allocate_more(7, child).unwrap();
        assert_ne!(child, grandchild);
        assert!(free_buffer(child).is_err());
        free_buffer(root).unwrap();
        assert!(free_buffer(root).is_err());
        assert!(allocate_more(1, root).is_err());
        assert!(free_buffer(std::ptr::null_mut()).is_ok());
    }

    #[test]
    fn the_default_heap_reallocates_and_sizes_like_local_alloc() {
        // SAFETY: every pointer passed is NULL or a live block of this heap.
        unsafe {
            let p = malloc_realloc(std::ptr::null_mut(), 4);
            (p as *mut u32).write(0xDEADBEEF);
            assert_eq!(local_size(p), 4);
            let q = malloc_realloc(p, 64);
            // The first 4 bytes were copied into the 64-byte block.
            assert_eq!((q as *const u32).read(), 0xDEADBEEF);
            assert_eq!(local_size(q), 64);
            assert!(malloc_realloc(q, 0).is_null());
            assert!(local_free(std::ptr::null_mut()));
            assert_eq!(local_size(std::ptr::null_mut()), 0);
        }
    }

    #[test]
    #[cfg(not(windows))]
    fn task_memory_is_local_memory_here() {
        let t = task_alloc(10);
        assert!(!t.is_null());
        // SAFETY: a live block of this heap.
        assert_eq!(unsafe { local_size(t) }, 10);
        assert!(task_free(t));
        assert!(!task_free(t));
    }
}
