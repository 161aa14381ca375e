//! A caller's `IStream` as the byte array under a compound file (`HrIStorageFromStream`):
//! offsets count from where the storage starts in the stream (its beginning, or where the
//! stream stood when the storage was opened). Each access seeks first, under a lock, as
//! the stream has one position.

use parking_lot::Mutex;

use super::foreign::ComRef;
use super::scode::kind_of_storage_scode;
use super::types::*;
use super::vtbl::IStreamVtbl;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::byte_arrays::LockBytes;

/// Largest single read or write asked of a caller's stream or lock-bytes.
pub(crate) const MAX_CALL: usize = 1 << 30;

/// Writes `data` through a caller's write method, at most [`MAX_CALL`] bytes a call, until
/// all is written. `call(done, piece)` makes one call for `piece` (the bytes from `done` on)
/// and gives its HRESULT and the count written; `failed` words a failing HRESULT. A call
/// that succeeds but writes nothing is a write fault (`what` names the method).
pub(crate) fn write_in_calls(
    data: &[u8],
    what: &str,
    mut call: impl FnMut(usize, &[u8]) -> (HRESULT, ULONG),
    failed: impl Fn(HRESULT) -> Error,
) -> Result<()> {
    let mut done = 0;
    while done < data.len() {
        let cb = (data.len() - done).min(MAX_CALL);
        let (hr, written) = call(done, &data[done..done + cb]);
        if hr < 0 {
            return Err(failed(hr));
        }
        if written == 0 {
            return Err(Error::new(
                ErrorKind::StgWriteFault,
                format!("the caller's {what} wrote nothing"),
            ));
        }
        done += (written as usize).min(cb);
    }
    Ok(())
}

pub struct StreamBytes {
    obj: ComRef,
    /// Where the storage starts in the stream.
    base: u64,
    /// Held across each seek and the read or write after it.
    lock: Mutex<()>,
}

impl StreamBytes {
    /// The storage at the stream's beginning, or (`at_current`) where its position is now.
    pub fn new(obj: ComRef, at_current: bool) -> Result<StreamBytes> {
        let mut s = StreamBytes {
            obj,
            base: 0,
            lock: Mutex::new(()),
        };
        if at_current {
            let mut pos = 0u64;
            // SAFETY: a call on the caller's live stream with a valid out-parameter.
            let hr = unsafe { (s.vtbl().Seek)(s.obj.as_ptr(), 0, STREAM_SEEK_CUR, &mut pos) };
            if hr < 0 {
                return Err(s.failed("Seek", hr));
            }
            s.base = pos;
        }
        Ok(s)
    }

    fn vtbl(&self) -> &IStreamVtbl {
        // SAFETY: the object was handed to us as an IStream.
        unsafe { self.obj.vtbl::<IStreamVtbl>() }
    }

    fn failed(&self, what: &str, hr: HRESULT) -> Error {
        Error::new(
            kind_of_storage_scode(hr),
            format!(
                "the caller's IStream::{what} failed with 0x{:08X}",
                hr as u32
            ),
        )
    }

    fn seek(&self, offset: u64) -> Result<()> {
        let to = self
            .base
            .checked_add(offset)
            .and_then(|p| i64::try_from(p).ok())
            .ok_or_else(|| Error::new(ErrorKind::StgInvalidParameter, "offset out of range"))?;
        // SAFETY: a call on the caller's live stream; the new position is not asked for.
        let hr = unsafe {
            (self.vtbl().Seek)(self.obj.as_ptr(), to, STREAM_SEEK_SET, std::ptr::null_mut())
        };
        if hr < 0 {
            return Err(self.failed("Seek", hr));
        }
        Ok(())
    }
}

impl LockBytes for StreamBytes {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let _held = self.lock.lock();
        self.seek(offset)?;
        let cb = buf.len().min(MAX_CALL);
        let mut read: ULONG = 0;
        // SAFETY: `buf` holds `cb` writable bytes; `read` is a valid ULONG.
        let hr = unsafe {
            (self.vtbl().Read)(
                self.obj.as_ptr(),
                buf.as_mut_ptr().cast(),
                cb as ULONG,
                &mut read,
            )
        };
        if hr < 0 {
            return Err(self.failed("Read", hr));
        }
        Ok((read as usize).min(cb))
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        let _held = self.lock.lock();
        self.seek(offset)?;
        write_in_calls(
            data,
            "IStream::Write",
            |_, piece| {
                let mut written: ULONG = 0;
                // SAFETY: `piece` is readable for its length (at most MAX_CALL, a ULONG);
                // `written` is a valid ULONG.
                let hr = unsafe {
                    (self.vtbl().Write)(
                        self.obj.as_ptr(),
                        piece.as_ptr().cast(),
                        piece.len() as ULONG,
                        &mut written,
                    )
                };
                (hr, written)
            },
            |hr| self.failed("Write", hr),
        )
    }

    fn flush(&self) -> Result<()> {
        // SAFETY: a call on the caller's live stream.
        let hr = unsafe { (self.vtbl().Commit)(self.obj.as_ptr(), STGC_DEFAULT) };
        if hr < 0 {
            return Err(self.failed("Commit", hr));
        }
        Ok(())
    }

    fn set_size(&self, len: u64) -> Result<()> {
        let len = self
            .base
            .checked_add(len)
            .ok_or_else(|| Error::new(ErrorKind::StgInvalidParameter, "size out of range"))?;
        // SAFETY: a call on the caller's live stream.
        let hr = unsafe { (self.vtbl().SetSize)(self.obj.as_ptr(), len) };
        if hr < 0 {
            return Err(self.failed("SetSize", hr));
        }
        Ok(())
    }

    fn size(&self) -> Result<u64> {
        // SAFETY: STATSTG is plain data; zeroed is a valid initial value.
        let mut st: STATSTG = unsafe { std::mem::zeroed() };
        // SAFETY: a call on the caller's live stream with a valid out-structure.
        let hr = unsafe { (self.vtbl().Stat)(self.obj.as_ptr(), &mut st, STATFLAG_NONAME) };
        if !st.pwcsName.is_null() {
            // A stream that names itself anyway: the name is task memory.
            super::foreign_storage::task_free(st.pwcsName.cast());
        }
        if hr < 0 {
            return Err(self.failed("Stat", hr));
        }
        Ok(st.cbSize.saturating_sub(self.base))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
