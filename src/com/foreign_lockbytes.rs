//! An adapter that lets a caller's own `ILockBytes` implementation carry one of our
//! compound files. (Our own `ILockBytes` objects are declared in capi/ilockbytes.rs.)

use super::foreign::ComRef;
use super::scode::kind_of_storage_scode;
use super::stream_bytes::{MAX_CALL, write_in_calls};
use super::types::*;
use super::vtbl::ILockBytesVtbl;
use crate::consts::*;
use crate::error::{Error, Result};
use crate::storage::byte_arrays::LockBytes;

/// A caller's `ILockBytes`, called through its vtable only. Calls happen when a storage on
/// it is opened (the content is read once) and when its root commits.
pub struct ForeignLockBytes {
    obj: ComRef,
}

impl ForeignLockBytes {
    pub fn new(obj: ComRef) -> ForeignLockBytes {
        ForeignLockBytes { obj }
    }

    fn vtbl(&self) -> &ILockBytesVtbl {
        // SAFETY: the object was handed to us as an ILockBytes.
        unsafe { self.obj.vtbl::<ILockBytesVtbl>() }
    }

    fn failed(&self, what: &str, hr: HRESULT) -> Error {
        let kind = kind_of_storage_scode(hr);
        Error::new(
            kind,
            format!(
                "the caller's ILockBytes::{what} failed with 0x{:08X}",
                hr as u32
            ),
        )
    }
}

impl LockBytes for ForeignLockBytes {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let cb = buf.len().min(MAX_CALL);
        let mut read: ULONG = 0;
        // SAFETY: `buf` holds `cb` writable bytes; `read` is a valid ULONG.
        let hr = unsafe {
            (self.vtbl().ReadAt)(
                self.obj.as_ptr(),
                offset,
                buf.as_mut_ptr().cast(),
                cb as ULONG,
                &mut read,
            )
        };
        if hr < 0 {
            return Err(self.failed("ReadAt", hr));
        }
        Ok((read as usize).min(cb))
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        write_in_calls(
            data,
            "ILockBytes::WriteAt",
            |done, piece| {
                let mut written: ULONG = 0;
                // SAFETY: `piece` is readable for its length (at most MAX_CALL, a ULONG);
                // `written` is a valid ULONG.
                let hr = unsafe {
                    (self.vtbl().WriteAt)(
                        self.obj.as_ptr(),
                        offset + done as u64,
                        piece.as_ptr().cast(),
                        piece.len() as ULONG,
                        &mut written,
                    )
                };
                (hr, written)
            },
            |hr| self.failed("WriteAt", hr),
        )
    }

    fn flush(&self) -> Result<()> {
        // SAFETY: a call on the caller's live object.
        let hr = unsafe { (self.vtbl().Flush)(self.obj.as_ptr()) };
        if hr < 0 {
            return Err(self.failed("Flush", hr));
        }
        Ok(())
    }

    fn set_size(&self, len: u64) -> Result<()> {
        // SAFETY: a call on the caller's live object.
        let hr = unsafe { (self.vtbl().SetSize)(self.obj.as_ptr(), len) };
        if hr < 0 {
            return Err(self.failed("SetSize", hr));
        }
        Ok(())
    }

    fn size(&self) -> Result<u64> {
        // SAFETY: STATSTG is plain data; zeroed is a valid initial value.
        let mut st: STATSTG = unsafe { std::mem::zeroed() };
        // SAFETY: a call on the caller's live object with a valid out-structure.
        let hr = unsafe { (self.vtbl().Stat)(self.obj.as_ptr(), &mut st, STATFLAG_NONAME) };
        if !st.pwcsName.is_null() {
            // An implementation that names itself anyway: the name is task memory.
            super::mapimem::task_free(st.pwcsName.cast());
        }
        if hr < 0 {
            return Err(self.failed("Stat", hr));
        }
        Ok(st.cbSize)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
