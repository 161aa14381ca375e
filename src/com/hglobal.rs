//! `HGLOBAL` on Linux: handles to blocks of memory, as `GlobalAlloc` makes them on Windows,
//! so that code which keeps a message in memory (`CreateILockBytesOnHGlobal`,
//! `CreateStreamOnHGlobal`) and reads the bytes back (`GetHGlobalFromILockBytes`,
//! `GlobalLock`, `GlobalSize`) runs unchanged.
//!
//! Every handle is registered here, so a stale or made-up handle is refused instead of
//! dereferenced. A fixed block's handle is its address (as on Windows, `GMEM_FIXED` memory
//! can be used without `GlobalLock`); a movable block's handle is a separate token and its
//! memory may move when it is resized. Lock-bytes and streams on a handle read and write
//! its memory under this registry's lock, which is a leaf lock (nothing else is taken or
//! called while it is held).

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::consts::{GMEM_MOVEABLE, GMEM_ZEROINIT};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::blob::ReadAt;
use crate::storage::byte_arrays::{Image, LockBytes};

struct Block {
    /// The memory (`malloc`), never NULL: a zero-size block holds one byte.
    ptr: *mut u8,
    size: usize,
    locks: u32,
    /// The handle's token for a movable block (`malloc(1)`); NULL for a fixed one.
    token: *mut u8,
}

// SAFETY: the pointers are owned by the registry and only used under its lock.
unsafe impl Send for Block {}

static REGISTRY: Mutex<Option<BTreeMap<usize, Block>>> = Mutex::new(None);

fn with_registry<R>(f: impl FnOnce(&mut BTreeMap<usize, Block>) -> R) -> R {
    f(REGISTRY.lock().get_or_insert_with(BTreeMap::new))
}

fn out_of_memory() -> Error {
    Error::new(
        ErrorKind::StgMediumFull,
        "out of memory for the HGLOBAL block",
    )
}

fn invalid_handle() -> Error {
    Error::new(
        ErrorKind::StgInvalidParameter,
        "not an HGLOBAL made by GlobalAlloc (or already freed)",
    )
}

/// `malloc` of at least one byte, zeroed when asked.
fn raw_alloc(size: usize, zero: bool) -> *mut u8 {
    let n = size.max(1);
    // SAFETY: plain C allocation of `n` bytes.
    unsafe {
        if zero {
            libc::calloc(n, 1).cast()
        } else {
            libc::malloc(n).cast()
        }
    }
}

/// `GlobalAlloc`: a new block of `size` bytes; 0 when out of memory.
pub fn alloc(flags: u32, size: usize) -> usize {
    let ptr = raw_alloc(size, flags & GMEM_ZEROINIT != 0);
    if ptr.is_null() {
        return 0;
    }
    let token = if flags & GMEM_MOVEABLE != 0 {
        let t = raw_alloc(1, false);
        if t.is_null() {
            // SAFETY: allocated just above, not shared.
            unsafe { libc::free(ptr.cast()) };
            return 0;
        }
        t
    } else {
        std::ptr::null_mut()
    };
    let handle = if token.is_null() { ptr } else { token } as usize;
    with_registry(|r| {
        r.insert(
            handle,
            Block {
                ptr,
                size,
                locks: 0,
                token,
            },
        )
    });
    handle
}

/// `GlobalFree`: true when `handle` was a live block (now freed).
pub fn free(handle: usize) -> bool {
    let Some(block) = with_registry(|r| r.remove(&handle)) else {
        return false;
    };
    // SAFETY: the block was removed from the registry, so nobody else reaches its memory.
    unsafe {
        libc::free(block.ptr.cast());
        if !block.token.is_null() {
            libc::free(block.token.cast());
        }
    }
    true
}

/// `GlobalSize`: the block's size; `None` for an unknown handle.
pub fn size(handle: usize) -> Option<usize> {
    with_registry(|r| r.get(&handle).map(|b| b.size))
}

/// `GlobalLock`: the block's address (a movable block stays put until unlocked).
pub fn lock(handle: usize) -> Option<*mut u8> {
    with_registry(|r| {
        r.get_mut(&handle).map(|b| {
            if !b.token.is_null() {
                b.locks = b.locks.saturating_add(1);
            }
            b.ptr
        })
    })
}

/// `GlobalUnlock`: the lock count left, or `None` for an unknown handle.
pub fn unlock(handle: usize) -> Option<u32> {
    with_registry(|r| {
        r.get_mut(&handle).map(|b| {
            b.locks = b.locks.saturating_sub(1);
            b.locks
        })
    })
}

/// `GlobalReAlloc`: resizes the block of `handle` and returns its handle afterwards. A fixed
/// block moves (its handle is its address) only when `may_move`; otherwise it can only
/// shrink, in place. `None` on failure, the block unchanged.
pub fn realloc(handle: usize, new_size: usize, may_move: bool) -> Option<usize> {
    let fixed = with_registry(|r| r.get(&handle).map(|b| b.token.is_null()))?;
    if fixed && !may_move {
        return with_registry(|r| {
            let block = r.get_mut(&handle)?;
            (new_size <= block.size).then(|| {
                block.size = new_size;
                handle
            })
        });
    }
    resize(handle, new_size).ok()
}

/// Resizes the block of `handle`; returns the handle it has afterwards (a fixed block's
/// handle is its address, which may change). New bytes are zero.
pub fn resize(handle: usize, new_size: usize) -> Result<usize> {
    with_registry(|r| {
        let block = r.get_mut(&handle).ok_or_else(invalid_handle)?;
        let old = block.size;
        // SAFETY: `ptr` is a live malloc block owned by the registry.
        let ptr: *mut u8 = unsafe { libc::realloc(block.ptr.cast(), new_size.max(1)).cast() };
        if ptr.is_null() {
            return Err(out_of_memory());
        }
        if new_size > old {
            // SAFETY: the block now holds `new_size` bytes.
            unsafe { std::ptr::write_bytes(ptr.add(old), 0, new_size - old) };
        }
        block.ptr = ptr;
        block.size = new_size;
        if block.token.is_null() && ptr as usize != handle {
            let block = r.remove(&handle).expect("found above");
            r.insert(ptr as usize, block);
            return Ok(ptr as usize);
        }
        Ok(handle)
    })
}

/// Copies out of the block at `offset`; returns the bytes copied.
pub fn read(handle: usize, offset: u64, buf: &mut [u8]) -> Result<usize> {
    with_registry(|r| {
        let block = r.get(&handle).ok_or_else(invalid_handle)?;
        let start = offset.min(block.size as u64) as usize;
        let n = buf.len().min(block.size - start);
        // SAFETY: `start + n <= size`, within the live block; `buf` holds `n` bytes.
        unsafe { std::ptr::copy_nonoverlapping(block.ptr.add(start), buf.as_mut_ptr(), n) };
        Ok(n)
    })
}

/// Copies `data` into the block at `offset`; the block must be large enough.
fn write_within(block: &Block, offset: usize, data: &[u8]) {
    debug_assert!(offset + data.len() <= block.size);
    // SAFETY: the caller checked that the range lies within the live block.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), block.ptr.add(offset), data.len()) };
}

/// A lock-bytes over an `HGLOBAL` (`CreateILockBytesOnHGlobal`); also the content of
/// `CreateStreamOnHGlobal` streams. Its size is the block's size.
pub struct HGlobalLockBytes {
    /// The handle; a fixed block's changes when the block moves.
    handle: Mutex<usize>,
    delete_on_release: bool,
}

impl HGlobalLockBytes {
    /// Over an existing handle; `None` when it is not one of ours.
    pub fn new(handle: usize, delete_on_release: bool) -> Option<Arc<HGlobalLockBytes>> {
        size(handle)?;
        Some(Arc::new(HGlobalLockBytes {
            handle: Mutex::new(handle),
            delete_on_release,
        }))
    }

    /// Over a new, empty movable block.
    pub fn new_block(delete_on_release: bool) -> Result<Arc<HGlobalLockBytes>> {
        let handle = alloc(GMEM_MOVEABLE, 0);
        if handle == 0 {
            return Err(out_of_memory());
        }
        Ok(Arc::new(HGlobalLockBytes {
            handle: Mutex::new(handle),
            delete_on_release,
        }))
    }

    pub fn handle(&self) -> usize {
        *self.handle.lock()
    }
}

impl Drop for HGlobalLockBytes {
    fn drop(&mut self) {
        if self.delete_on_release {
            free(*self.handle.get_mut());
        }
    }
}

impl LockBytes for HGlobalLockBytes {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        read(self.handle(), offset, buf)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        let mut handle = self.handle.lock();
        let end = offset
            .checked_add(data.len() as u64)
            .and_then(|e| usize::try_from(e).ok())
            .ok_or_else(out_of_memory)?;
        if size(*handle).ok_or_else(invalid_handle)? < end {
            *handle = resize(*handle, end)?;
        }
        with_registry(|r| {
            let block = r.get(&*handle).ok_or_else(invalid_handle)?;
            if block.size < end {
                return Err(Error::new(
                    ErrorKind::StgMediumFull,
                    "the HGLOBAL block shrank during a write",
                ));
            }
            write_within(block, offset as usize, data);
            Ok(())
        })
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn set_size(&self, len: u64) -> Result<()> {
        let len = usize::try_from(len).map_err(|_| out_of_memory())?;
        let mut handle = self.handle.lock();
        *handle = resize(*handle, len)?;
        Ok(())
    }

    fn size(&self) -> Result<u64> {
        size(self.handle())
            .map(|s| s as u64)
            .ok_or_else(invalid_handle)
    }

    /// Fills a new block, then swaps it in: the handle's content changes all at once.
    fn replace_all(&self, image: &Image) -> Option<Result<()>> {
        let build = || -> Result<()> {
            let len = usize::try_from(image.len()).map_err(|_| out_of_memory())?;
            let fresh = raw_alloc(len, false);
            if fresh.is_null() {
                return Err(out_of_memory());
            }
            let filled = match image.as_slice() {
                Some(bytes) => {
                    // SAFETY: `fresh` holds at least `len` bytes, `bytes` is `len` long.
                    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), fresh, len) };
                    Ok(())
                }
                None => {
                    // SAFETY: `fresh` holds `len` bytes and is ours alone until swapped in.
                    let dest = unsafe { std::slice::from_raw_parts_mut(fresh, len) };
                    image.read_at(0, dest).map(|_| ())
                }
            };
            if let Err(e) = filled {
                // SAFETY: allocated above and never shared.
                unsafe { libc::free(fresh.cast()) };
                return Err(e);
            }
            let mut handle = self.handle.lock();
            let old = with_registry(|r| {
                let mut block = r.remove(&*handle).ok_or_else(invalid_handle)?;
                let old = block.ptr;
                block.ptr = fresh;
                block.size = len;
                let key = if block.token.is_null() {
                    fresh as usize
                } else {
                    *handle
                };
                r.insert(key, block);
                *handle = key;
                Ok(old)
            });
            match old {
                Ok(old) => {
                    // SAFETY: the old memory left the registry above.
                    unsafe { libc::free(old.cast()) };
                    Ok(())
                }
                Err(e) => {
                    // SAFETY: never swapped in.
                    unsafe { libc::free(fresh.cast()) };
                    Err(e)
                }
            }
        };
        Some(build())
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::GMEM_FIXED;

    #[test]
    fn handles_are_checked_and_blocks_grow() {
        let h = alloc(GMEM_MOVEABLE | GMEM_ZEROINIT, 10);
        assert_eq!(size(h), Some(10));
        let p = lock(h).unwrap();
        // SAFETY: 10 zeroed bytes.
        assert_eq!(unsafe { *p.add(9) }, 0);
        assert_eq!(unlock(h), Some(0));
        let lb = HGlobalLockBytes::new(h, true).unwrap();
        lb.write_at(20, b"abc").unwrap();
        assert_eq!(size(h), Some(23));
        let mut buf = [9u8; 5];
        assert_eq!(lb.read_at(18, &mut buf).unwrap(), 5);
        assert_eq!(&buf, b"\0\0abc");
        assert!(
            lb.replace_all(&Image::from_vec(b"xyz".to_vec()))
                .unwrap()
                .is_ok()
        );
        assert_eq!(lb.size().unwrap(), 3);
        drop(lb);
        assert_eq!(size(h), None);
        assert!(!free(h));
        assert!(HGlobalLockBytes::new(12345, false).is_none());

        // A fixed block's handle is its address and follows it.
        let f = alloc(GMEM_FIXED, 4);
        assert_eq!(lock(f), Some(f as *mut u8));
        let lb = HGlobalLockBytes::new(f, false).unwrap();
        lb.set_size(1 << 20).unwrap();
        let moved = lb.handle();
        assert_eq!(size(moved), Some(1 << 20));
        drop(lb);
        assert!(free(moved));
    }
}
