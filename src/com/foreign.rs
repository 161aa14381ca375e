//! Counted references to COM objects we did not create (a caller's `IStorage`, `IStream`,
//! `IMalloc`), or to our own objects through their interface pointer.

use std::ffi::c_void;
use std::ptr::NonNull;

use super::types::{HRESULT, ULONG};
use super::vtbl::{IStreamVtbl, IUnknownVtbl, Interface};
use crate::consts::S_OK;
use crate::error::Result;

/// One reference to a COM object, released on drop.
pub struct ComRef(NonNull<c_void>);

// SAFETY: the objects handed to OpenIMsgOnIStg are used from whichever thread calls the
// message, as Microsoft's implementation does; callers that give us apartment-bound objects
// must call us from that apartment (README, threading).
unsafe impl Send for ComRef {}
// SAFETY: as above.
unsafe impl Sync for ComRef {}

impl ComRef {
    /// Takes a new reference to an object the caller lent us.
    ///
    /// # Safety
    /// `p` must be NULL or a live COM interface pointer.
    pub unsafe fn add_ref(p: *mut c_void) -> Option<ComRef> {
        let p = NonNull::new(p)?;
        // SAFETY: a live interface pointer starts with a vtable whose first three slots are
        // IUnknown's.
        unsafe {
            let vtbl = &*(*(p.as_ptr() as *const Interface<IUnknownVtbl>)).lpVtbl;
            (vtbl.AddRef)(p.as_ptr());
        }
        Some(ComRef(p))
    }

    /// Takes over the reference a call returned to us (an out-parameter of `OpenStream`,
    /// `Clone`, ...), without a new `AddRef`.
    ///
    /// # Safety
    /// `p` must be NULL or a live COM interface pointer whose reference is ours to release.
    pub unsafe fn from_raw(p: *mut c_void) -> Option<ComRef> {
        NonNull::new(p).map(ComRef)
    }

    pub fn as_ptr(&self) -> *mut c_void {
        self.0.as_ptr()
    }

    /// The object's vtable, viewed as `V`.
    ///
    /// # Safety
    /// The object must implement an interface whose vtable starts like `V`.
    pub unsafe fn vtbl<V>(&self) -> &V {
        // SAFETY: forwarded from the caller.
        unsafe { &*(*(self.0.as_ptr() as *const Interface<V>)).lpVtbl }
    }
}

/// `IStream::CopyTo`'s pump: reads up to `cb` bytes with `read`, 64 KiB at a time, and
/// writes each piece into the `IStream` `dest`, holding none of our locks while the
/// destination runs. Stops at the end of the source or at the destination's first failure.
/// Returns the bytes read, the bytes written and the destination's last `HRESULT`.
///
/// # Safety
/// `dest` must be a live `IStream`.
pub unsafe fn copy_into_stream(
    dest: &ComRef,
    cb: u64,
    mut read: impl FnMut(&mut [u8]) -> Result<usize>,
) -> Result<(u64, u64, HRESULT)> {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut read_total, mut written_total) = (0u64, 0u64);
    let mut hr = S_OK;
    while read_total < cb {
        let want = (cb - read_total).min(buf.len() as u64) as usize;
        let n = read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        read_total += n as u64;
        let mut w: ULONG = 0;
        // SAFETY: `dest` is a live IStream (the caller's promise); the buffer holds `n` bytes.
        hr = unsafe {
            (dest.vtbl::<IStreamVtbl>().Write)(
                dest.as_ptr(),
                buf.as_ptr().cast(),
                n as ULONG,
                &mut w,
            )
        };
        written_total += u64::from(w);
        if hr < 0 {
            break;
        }
    }
    Ok((read_total, written_total, hr))
}

impl Clone for ComRef {
    fn clone(&self) -> ComRef {
        // SAFETY: we hold a reference, so the object is alive.
        unsafe { ComRef::add_ref(self.as_ptr()).expect("non-NULL") }
    }
}

impl Drop for ComRef {
    fn drop(&mut self) {
        // SAFETY: we own one reference to a live object.
        unsafe { (self.vtbl::<IUnknownVtbl>().Release)(self.as_ptr()) };
    }
}
