//! MAPI memory: `MAPIAllocateBuffer`'s linked allocations, the default `IMalloc`, and the
//! allocator triple an `OpenIMsgOnIStg` caller hands us (DESIGN decision 4).
//!
//! Every block carries a 16-byte header (so returned memory is 16-byte aligned) and is
//! listed in a process-wide registry: freeing a pointer we did not hand out, or freeing
//! twice, is an error the caller is told about instead of heap corruption.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::collections::BTreeMap;
use std::ffi::c_void;

use parking_lot::Mutex;

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
            buffer: crate::capi::memory::MAPIAllocateBuffer,
            more: crate::capi::memory::MAPIAllocateMore,
            free: crate::capi::memory::MAPIFreeBuffer,
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

// ===== the default IMalloc =====

/// Blocks of the default `IMalloc` (and `CoTaskMemAlloc`): address → size.
static MALLOC_BLOCKS: Mutex<Option<BTreeMap<usize, usize>>> = Mutex::new(None);

pub fn task_alloc(size: usize) -> *mut c_void {
    match raw_alloc(size) {
        Some(p) => {
            MALLOC_BLOCKS
                .lock()
                .get_or_insert_with(BTreeMap::new)
                .insert(p as usize, size);
            p.cast()
        }
        None => std::ptr::null_mut(),
    }
}

/// Frees a block of [`task_alloc`]; `false` if it is not one.
pub fn task_free(ptr: *mut c_void) -> bool {
    if ptr.is_null() {
        return true;
    }
    let size = MALLOC_BLOCKS
        .lock()
        .get_or_insert_with(BTreeMap::new)
        .remove(&(ptr as usize));
    match size {
        Some(size) => {
            raw_free(ptr as usize, size);
            true
        }
        None => false,
    }
}

pub fn task_size(ptr: *mut c_void) -> Option<usize> {
    MALLOC_BLOCKS
        .lock()
        .get_or_insert_with(BTreeMap::new)
        .get(&(ptr as usize))
        .copied()
}

pub fn task_realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    if ptr.is_null() {
        return task_alloc(size);
    }
    if size == 0 {
        task_free(ptr);
        return std::ptr::null_mut();
    }
    let Some(old) = task_size(ptr) else {
        return std::ptr::null_mut();
    };
    let new = task_alloc(size);
    if !new.is_null() {
        // SAFETY: both blocks are live and at least `min(old, size)` bytes long.
        unsafe { std::ptr::copy_nonoverlapping(ptr as *const u8, new as *mut u8, old.min(size)) };
        task_free(ptr);
    }
    new
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
    fn task_memory_reallocates() {
        let p = task_alloc(4);
        // SAFETY: 4 bytes were just allocated.
        unsafe { *(p as *mut u32) = 0xDEADBEEF };
        let q = task_realloc(p, 64);
        // SAFETY: the first 4 bytes were copied into the 64-byte block.
        assert_eq!(unsafe { *(q as *const u32) }, 0xDEADBEEF);
        assert_eq!(task_size(q), Some(64));
        assert!(task_free(q));
        assert!(!task_free(q));
    }
}
