//! `IStream`: streams of our storages and property streams of messages.

use std::ffi::c_void;
use std::io::SeekFrom;

use super::{OutParam, invalid_pointer, out_ptr, read_into, task_wide, write_from};
use crate::com::foreign::{ComRef, copy_into_stream};
use crate::com::guids::*;
use crate::com::object::ComObject;
use crate::com::shells::KeepAlive;
use crate::com::types::*;
use crate::com::vtbl::{IStreamVtbl, This};
use crate::consts::*;
use crate::error::{Error, ErrorKind};
use crate::storage::{ElementKind, ElementStat, Stream};
use parking_lot::Mutex;

com_class! {
    /// An `IStream` over a storage stream or a property.
    pub struct StreamShell {
        pub stream: Mutex<Box<dyn Stream>>,
        pub keep: Option<KeepAlive>,
    }
    IStreamVtbl, iids [IID_ISequentialStream, IID_IStream],
    slots {
        Read: read,
        Write: write,
        Seek: seek,
        SetSize: set_size,
        CopyTo: copy_to,
        Commit: commit,
        Revert: revert,
        LockRegion: lock_region,
        UnlockRegion: lock_region,
        Stat: stat,
        Clone: clone,
    }
}

/// A `STATSTG` for `stat`; the name is allocated with the task allocator unless
/// `STATFLAG_NONAME` or the object has no name (memory streams, storages on lock-bytes).
pub(crate) fn statstg(stat: &ElementStat, flag: DWORD) -> STATSTG {
    STATSTG {
        pwcsName: if flag & STATFLAG_NONAME != 0 || stat.name.is_empty() {
            std::ptr::null_mut()
        } else {
            task_wide(&stat.name)
        },
        type_: match stat.kind {
            ElementKind::Storage => STGTY_STORAGE,
            ElementKind::Stream => STGTY_STREAM,
        },
        cbSize: stat.size,
        mtime: FILETIME::from_u64(stat.mtime),
        ctime: FILETIME::from_u64(stat.ctime),
        atime: FILETIME::from_u64(stat.atime),
        grfMode: stat.mode,
        grfLocksSupported: 0,
        clsid: GUID::from_bytes(stat.clsid),
        grfStateBits: stat.state_bits,
        reserved: 0,
    }
}

pub(crate) fn new_stream(
    stream: Box<dyn crate::storage::Stream>,
    keep: Option<KeepAlive>,
) -> *mut c_void {
    ComObject::into_raw(StreamShell {
        stream: parking_lot::Mutex::new(stream),
        keep,
    })
}

unsafe extern "system" fn read(this: This, pv: *mut c_void, cb: ULONG, pcb: *mut ULONG) -> HRESULT {
    crate::try_slot!(StreamShell, this, |obj| {
        // SAFETY: `pv` is the caller's buffer of `cb` bytes, `pcb` NULL or its ULONG.
        unsafe {
            read_into(pv, cb, pcb, |buf| {
                let mut stream = obj.inner.stream.lock();
                let mut done = 0;
                while done < buf.len() {
                    match stream.read(&mut buf[done..])? {
                        0 => break,
                        n => done += n,
                    }
                }
                Ok(done)
            })
        }
    })
}

unsafe extern "system" fn write(
    this: This,
    pv: *const c_void,
    cb: ULONG,
    pcb: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(StreamShell, this, |obj| {
        // SAFETY: `pv` is the caller's `cb` bytes, `pcb` NULL or its ULONG.
        unsafe { write_from(pv, cb, pcb, |data| obj.inner.stream.lock().write(data)) }
    })
}

unsafe extern "system" fn seek(this: This, mv: i64, origin: DWORD, pos: *mut u64) -> HRESULT {
    crate::try_slot!(StreamShell, this, |obj| {
        // SAFETY: `pos` is NULL or the caller's position.
        let pos = unsafe { OutParam::new(pos) };
        let from = match origin {
            STREAM_SEEK_SET => SeekFrom::Start(u64::try_from(mv).map_err(|_| {
                Error::new(ErrorKind::StgInvalidFunction, "seek to a negative position")
            })?),
            STREAM_SEEK_CUR => SeekFrom::Current(mv),
            STREAM_SEEK_END => SeekFrom::End(mv),
            _ => {
                return Err(Error::new(
                    ErrorKind::StgInvalidFunction,
                    "unknown seek origin",
                ));
            }
        };
        let p = obj.inner.stream.lock().seek(from)?;
        if let Some(pos) = &pos {
            pos.set(p);
        }
        Ok(S_OK)
    })
}

unsafe extern "system" fn set_size(this: This, size: u64) -> HRESULT {
    crate::try_slot!(StreamShell, this, |obj| {
        obj.inner.stream.lock().set_len(size)?;
        Ok(S_OK)
    })
}

/// Copies up to `cb` bytes from the current position into any `IStream` (ours or not).
unsafe extern "system" fn copy_to(
    this: This,
    dest: This,
    cb: u64,
    read_out: *mut u64,
    written_out: *mut u64,
) -> HRESULT {
    crate::try_slot!(StreamShell, this, |obj| {
        // SAFETY: the counters are NULL or the caller's; `dest` is NULL or a live IStream.
        let (read_out, written_out, dest) = unsafe {
            (
                OutParam::new(read_out),
                OutParam::new(written_out),
                ComRef::add_ref(dest),
            )
        };
        for out in [&read_out, &written_out].into_iter().flatten() {
            out.set(0);
        }
        let dest = dest.ok_or_else(invalid_pointer)?;
        // SAFETY: `dest` is a live IStream (checked above as the caller's pointer).
        let (read_total, written_total, hr) =
            unsafe { copy_into_stream(&dest, cb, |buf| obj.inner.stream.lock().read(buf)) }?;
        if let Some(out) = &read_out {
            out.set(read_total);
        }
        if let Some(out) = &written_out {
            out.set(written_total);
        }
        Ok(hr)
    })
}

unsafe extern "system" fn commit(this: This, _flags: DWORD) -> HRESULT {
    crate::try_slot!(StreamShell, this, |obj| {
        obj.inner.stream.lock().commit()?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn revert(this: This) -> HRESULT {
    crate::try_slot!(StreamShell, this, |obj| {
        obj.inner.stream.lock().revert()?;
        Ok(S_OK)
    })
}

/// Compound-file streams do not support region locking (as ole32's docfile streams).
unsafe extern "system" fn lock_region(this: This, _offset: u64, _cb: u64, _kind: DWORD) -> HRESULT {
    crate::try_slot!(StreamShell, this, |_obj| {
        Err(Error::new(
            ErrorKind::StgInvalidFunction,
            "region locking is not supported on compound-file streams",
        ))
    })
}

unsafe extern "system" fn stat(this: This, out: *mut STATSTG, flag: DWORD) -> HRESULT {
    crate::try_slot!(StreamShell, this, |obj| {
        // SAFETY: `out` is NULL or the caller's STATSTG.
        let out = unsafe { OutParam::new(out) }.ok_or_else(invalid_pointer)?;
        if flag & !(STATFLAG_NONAME | STATFLAG_NOOPEN) != 0 {
            return Err(Error::new(ErrorKind::StgInvalidFlag, "unknown STATFLAG"));
        }
        let st = obj.inner.stream.lock().stat()?;
        out.set(statstg(&st, flag));
        Ok(S_OK)
    })
}

unsafe extern "system" fn clone(this: This, out: *mut This) -> HRESULT {
    crate::try_slot!(StreamShell, this, |obj| {
        // SAFETY: the caller's out-parameter.
        let out = unsafe { out_ptr(out) }.ok_or_else(invalid_pointer)?;
        let copy = obj.inner.stream.lock().clone_stream()?;
        out.set(new_stream(copy, obj.inner.keep.clone()));
        Ok(S_OK)
    })
}
