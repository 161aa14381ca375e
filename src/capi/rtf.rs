//! Message bodies: `WrapCompressedRTFStream`, `WrapCompressedRTFStreamEx` and `RTFSync`
//! (`mapi32`'s compressed-RTF functions, `spec/bodies-and-tnef.md` §1, §4), our addition
//! `ImsgGetBestBody`, and the vtable of the stream they return. The stream's state is
//! `com::rtf_stream`'s; the engines over a message are `com::bodies`'.

use std::ffi::c_void;
use std::io::SeekFrom;

use super::{OutParam, invalid, invalid_pointer, out_ptr, read_into, unknown_flags, write_from};
use crate::com::bodies;
use crate::com::foreign::{ComRef, copy_into_stream};
use crate::com::guids::*;
use crate::com::object::{self, Class, ComObject, guard};
use crate::com::rtf_stream::{RtfStreamShell, no_support};
use crate::com::scode::scode_of;
use crate::com::types::*;
use crate::com::vtbl::{IMessage, IStream, IStreamVtbl, This};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::body::Form;

/// `RTFSync`: the RTF changed; derive `PR_BODY` from it.
pub const RTF_SYNC_RTF_CHANGED: ULONG = 0x0000_0001;
/// `RTFSync`: the plain text changed; rebuild the RTF from it.
pub const RTF_SYNC_BODY_CHANGED: ULONG = 0x0000_0002;
/// `RTF_WCSINFO.ulFlags`: return the native body (HTML, text or RTF) de-encapsulated from
/// the RTF (same value as `STORE_HTML_OK`, another field).
pub const MAPI_NATIVE_BODY: ULONG = 0x0001_0000;
/// `RTF_WCSRETINFO.ulStreamFlags` (and `ImsgGetBestBody`'s kinds): the body is RTF.
pub const MAPI_NATIVE_BODY_TYPE_RTF: ULONG = 0x0000_0001;
/// The body is HTML.
pub const MAPI_NATIVE_BODY_TYPE_HTML: ULONG = 0x0000_0002;
/// The body is plain text.
pub const MAPI_NATIVE_BODY_TYPE_PLAINTEXT: ULONG = 0x0000_0004;
/// The spelling of `MAPI_NATIVE_BODY_TYPE_PLAINTEXT` on Microsoft's documentation page.
pub const MAPI_NATIVE_BODY_TYPE_PLAIN_TEXT: ULONG = MAPI_NATIVE_BODY_TYPE_PLAINTEXT;

/// `WrapCompressedRTFStreamEx`'s options (declared in `mapidefs.h`).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct RTF_WCSINFO {
    pub size: ULONG,
    pub ulFlags: ULONG,
    pub ulInCodePage: ULONG,
    pub ulOutCodePage: ULONG,
}

/// What `WrapCompressedRTFStreamEx` returned (declared in `mapidefs.h`).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct RTF_WCSRETINFO {
    pub size: ULONG,
    pub ulStreamFlags: ULONG,
}

const _: () = assert!(std::mem::size_of::<RTF_WCSINFO>() == 16);
const _: () = assert!(std::mem::size_of::<RTF_WCSRETINFO>() == 8);

static RTF_STREAM_VTBL: IStreamVtbl = IStreamVtbl {
    QueryInterface: object::query_interface::<RtfStreamShell>,
    AddRef: object::add_ref::<RtfStreamShell>,
    Release: object::release::<RtfStreamShell>,
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
};

impl Class for RtfStreamShell {
    type Vtbl = IStreamVtbl;
    fn vtbl() -> &'static IStreamVtbl {
        &RTF_STREAM_VTBL
    }
    const IIDS: &'static [IID] = &[IID_ISequentialStream, IID_IStream];
}

fn hr_of(r: Result<HRESULT>) -> HRESULT {
    r.unwrap_or_else(|e| scode_of(e.kind))
}

/// Wraps `stream` (a caller's IStream on `PR_RTF_COMPRESSED`) as the flags say.
///
/// # Safety
/// `stream` must be NULL or a live IStream.
unsafe fn wrap(stream: *mut IStream, flags: ULONG) -> Result<RtfStreamShell> {
    // SAFETY: forwarded from the caller.
    let source = unsafe { ComRef::add_ref(stream.cast()) }
        .ok_or_else(|| invalid("NULL compressed-RTF stream"))?;
    RtfStreamShell::wrap(source, flags)
}

/// Gives a stream over the uncompressed RTF of a `PR_RTF_COMPRESSED` stream (LZFu or MELA,
/// its seek pointer at the start).
///
/// Flags 0: reading gives the RTF as it decompresses; the header, the sizes and the CRC
/// are checked here, a damaged value is `MAPI_E_CORRUPT_DATA`. An empty source reads as
/// empty. `MAPI_MODIFY`: the caller writes the whole new RTF, compressed (stored as MELA
/// with `STORE_UNCOMPRESSED_RTF`) into the source, replacing it, on `Commit` (and on the
/// last `Release` if uncommitted writes remain). The returned stream reads and writes
/// sequentially: `Clone`, `LockRegion`, `Revert`, `Seek` (but to ask the position),
/// `SetSize`, `Stat` and `UnlockRegion` answer `MAPI_E_NO_SUPPORT`, as documented.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn WrapCompressedRTFStream(
    lpCompressedRTFStream: *mut IStream,
    ulFlags: ULONG,
    lpUncompressedRTFStream: *mut *mut IStream,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        hr_of((|| {
            // SAFETY: the caller's out-parameter.
            let out = unsafe { out_ptr(lpUncompressedRTFStream) }
                .ok_or_else(|| invalid("NULL out-parameter"))?;
            unknown_flags(ulFlags, MAPI_MODIFY | STORE_UNCOMPRESSED_RTF)?;
            // SAFETY: the caller's stream.
            let shell = unsafe { wrap(lpCompressedRTFStream, ulFlags) }?;
            out.set(ComObject::into_raw(shell).cast());
            Ok(S_OK)
        })())
    })
}

/// [`WrapCompressedRTFStream`] with options (`RTF_WCSINFO`: `size` at least 16, flags
/// `MAPI_MODIFY`, `STORE_UNCOMPRESSED_RTF`, `MAPI_NATIVE_BODY`) and a report
/// (`RTF_WCSRETINFO`, `size` at least 8, may be NULL).
///
/// With `MAPI_NATIVE_BODY` (never with `MAPI_MODIFY`: `MAPI_E_INVALID_PARAMETER`) the
/// stream reads the native body: the HTML or plain text the RTF encapsulates
/// ([MS-OXRTFEX]), in code page `ulOutCodePage` (0: `ulInCodePage`, or the RTF's own
/// `\ansicpg` when that is 0 too; 65001 UTF-8, 1200 UTF-16LE), or the RTF itself when it
/// encapsulates nothing; `ulStreamFlags` says which (`MAPI_NATIVE_BODY_TYPE_*`). That
/// stream is in memory and also seeks and answers `Stat`. Without it, `ulStreamFlags` is 0.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn WrapCompressedRTFStreamEx(
    lpCompressedRTFStream: *mut IStream,
    pWCSInfo: *const RTF_WCSINFO,
    lppUncompressedRTFStream: *mut *mut IStream,
    pRetInfo: *mut RTF_WCSRETINFO,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        hr_of((|| {
            // SAFETY: the caller's out-parameter.
            let out = unsafe { out_ptr(lppUncompressedRTFStream) }
                .ok_or_else(|| invalid("NULL out-parameter"))?;
            // SAFETY: NULL or the caller's structures.
            let (info, ret) = unsafe { (pWCSInfo.as_ref(), OutParam::new(pRetInfo)) };
            let info = info.ok_or_else(|| invalid("NULL RTF_WCSINFO"))?;
            if (info.size as usize) < std::mem::size_of::<RTF_WCSINFO>() {
                return Err(invalid("RTF_WCSINFO.size is smaller than the structure"));
            }
            if let Some(ret) = &ret {
                // SAFETY: the caller's structure; its size is read before anything is set.
                let size = unsafe { (*pRetInfo).size };
                if (size as usize) < std::mem::size_of::<RTF_WCSRETINFO>() {
                    return Err(invalid("RTF_WCSRETINFO.size is smaller than the structure"));
                }
                ret.set(RTF_WCSRETINFO {
                    size,
                    ulStreamFlags: 0,
                });
            }
            let flags = info.ulFlags;
            unknown_flags(
                flags,
                MAPI_MODIFY | STORE_UNCOMPRESSED_RTF | MAPI_NATIVE_BODY,
            )?;
            if flags & MAPI_NATIVE_BODY == 0 {
                // SAFETY: the caller's stream.
                let shell = unsafe { wrap(lpCompressedRTFStream, flags) }?;
                out.set(ComObject::into_raw(shell).cast());
                return Ok(S_OK);
            }
            if flags & MAPI_MODIFY != 0 {
                return Err(invalid(
                    "MAPI_NATIVE_BODY cannot be combined with MAPI_MODIFY",
                ));
            }
            // SAFETY: the caller's stream.
            let source = unsafe { ComRef::add_ref(lpCompressedRTFStream.cast()) }
                .ok_or_else(|| invalid("NULL compressed-RTF stream"))?;
            let rtf = RtfStreamShell::read_all(source)?;
            let (form, bytes) =
                crate::model::body::native_body(&rtf, info.ulInCodePage, info.ulOutCodePage)?;
            if let Some(ret) = &ret {
                // SAFETY: checked above.
                let size = unsafe { (*pRetInfo).size };
                ret.set(RTF_WCSRETINFO {
                    size,
                    ulStreamFlags: form as ULONG,
                });
            }
            out.set(ComObject::into_raw(RtfStreamShell::memory(bytes)).cast());
            Ok(S_OK)
        })())
    })
}

/// Keeps `PR_BODY` and `PR_RTF_COMPRESSED` of a message (ours or any `IMessage`) in step.
///
/// `RTF_SYNC_BODY_CHANGED`: the RTF is rebuilt from `PR_BODY` (as RTF encapsulating the
/// text, [MS-OXRTFEX] `\fromtext`) unless its significant text is unchanged.
/// `RTF_SYNC_RTF_CHANGED`: `PR_BODY` is derived from the RTF unless it already says the
/// same; with both, disagreement is settled in the RTF's favour. Afterwards
/// `PR_RTF_SYNC_BODY_CRC`, `_COUNT`, `_TAG`, `PR_RTF_SYNC_PREFIX_COUNT`, `_TRAILING_COUNT`
/// describe `PR_BODY` and `PR_RTF_IN_SYNC` is TRUE. `*lpfMessageUpdated` is TRUE when a
/// property changed: the caller then calls `SaveChanges`. Flags 0 change nothing; other
/// bits are `MAPI_E_UNKNOWN_FLAGS`. Damaged RTF is `MAPI_E_CORRUPT_DATA`, nothing changed.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RTFSync(
    lpMessage: *mut IMessage,
    ulFlags: ULONG,
    lpfMessageUpdated: *mut BOOL,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        hr_of((|| {
            // SAFETY: NULL or the caller's BOOL.
            let updated = unsafe { OutParam::new(lpfMessageUpdated) }
                .ok_or_else(|| invalid("NULL lpfMessageUpdated"))?;
            updated.set(0);
            if lpMessage.is_null() {
                return Err(invalid("NULL message"));
            }
            unknown_flags(ulFlags, RTF_SYNC_RTF_CHANGED | RTF_SYNC_BODY_CHANGED)?;
            // SAFETY: the caller's IMessage.
            let changed = unsafe { bodies::rtf_sync(lpMessage, ulFlags) }?;
            updated.set(BOOL::from(changed));
            Ok(S_OK)
        })())
    })
}

/// The body a person reads (an addition of this library, not MAPI): chosen as Outlook
/// does (`PR_NATIVE_BODY_INFO` when its body is there, else `PR_HTML`, else RTF when
/// `PR_RTF_IN_SYNC`, else `PR_BODY`, else RTF out of sync), with HTML and text taken out
/// of encapsulating RTF.
///
/// `ulFlags` 0 returns it in its own form; `MAPI_NATIVE_BODY_TYPE_HTML`, `_RTF` or
/// `_PLAINTEXT` converts it to that form (text prefers `PR_BODY` when there is one).
/// HTML and text come in code page `ulCodePage` (0: UTF-8; 1200: UTF-16LE), RTF as
/// stored. `*lpulKind` says which form came (`MAPI_NATIVE_BODY_TYPE_*`); `*lppStream` is a
/// read-only stream over it (it seeks and answers `Stat`). A message without any body is
/// `MAPI_E_NOT_FOUND`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ImsgGetBestBody(
    lpMessage: *mut IMessage,
    ulFlags: ULONG,
    ulCodePage: ULONG,
    lpulKind: *mut ULONG,
    lppStream: *mut *mut IStream,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        hr_of((|| {
            // SAFETY: the caller's out-parameters.
            let (out, kind) = unsafe { (out_ptr(lppStream), OutParam::new(lpulKind)) };
            let (Some(out), Some(kind)) = (out, kind) else {
                return Err(invalid("NULL out-parameter"));
            };
            kind.set(0);
            if lpMessage.is_null() {
                return Err(invalid("NULL message"));
            }
            let want = match ulFlags {
                0 => None,
                f => Some(Form::from_native_type(f).ok_or_else(|| {
                    Error::new(
                        ErrorKind::UnknownFlags,
                        format!("ImsgGetBestBody flags 0x{f:08X} name no single body form"),
                    )
                })?),
            };
            // SAFETY: the caller's IMessage.
            let (form, bytes) = unsafe { bodies::best_body(lpMessage, want, ulCodePage) }?;
            kind.set(form as ULONG);
            out.set(ComObject::into_raw(RtfStreamShell::memory(bytes)).cast());
            Ok(S_OK)
        })())
    })
}

// ===== the stream's slots =====

unsafe extern "system" fn read(this: This, pv: *mut c_void, cb: ULONG, pcb: *mut ULONG) -> HRESULT {
    crate::try_slot!(RtfStreamShell, this, |obj| {
        // SAFETY: `pv` is the caller's buffer of `cb` bytes, `pcb` NULL or its ULONG.
        unsafe { read_into(pv, cb, pcb, |buf| obj.inner.read(buf)) }
    })
}

unsafe extern "system" fn write(
    this: This,
    pv: *const c_void,
    cb: ULONG,
    pcb: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(RtfStreamShell, this, |obj| {
        // SAFETY: `pv` is the caller's `cb` bytes, `pcb` NULL or its ULONG.
        unsafe { write_from(pv, cb, pcb, |data| obj.inner.write(data)) }
    })
}

unsafe extern "system" fn seek(this: This, mv: i64, origin: DWORD, pos: *mut u64) -> HRESULT {
    crate::try_slot!(RtfStreamShell, this, |obj| {
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
        let p = obj.inner.seek(from)?;
        if let Some(pos) = &pos {
            pos.set(p);
        }
        Ok(S_OK)
    })
}

unsafe extern "system" fn set_size(this: This, size: u64) -> HRESULT {
    crate::try_slot!(RtfStreamShell, this, |obj| {
        obj.inner.set_size(size)?;
        Ok(S_OK)
    })
}

/// Copies up to `cb` bytes from the current position into any `IStream`.
unsafe extern "system" fn copy_to(
    this: This,
    dest: This,
    cb: u64,
    read_out: *mut u64,
    written_out: *mut u64,
) -> HRESULT {
    crate::try_slot!(RtfStreamShell, this, |obj| {
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
            unsafe { copy_into_stream(&dest, cb, |buf| obj.inner.read(buf)) }?;
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
    crate::try_slot!(RtfStreamShell, this, |obj| {
        obj.inner.commit()?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn revert(this: This) -> HRESULT {
    crate::try_slot!(RtfStreamShell, this, |_obj| Err(no_support("Revert")))
}

unsafe extern "system" fn lock_region(this: This, _offset: u64, _cb: u64, _kind: DWORD) -> HRESULT {
    crate::try_slot!(RtfStreamShell, this, |_obj| Err(no_support("LockRegion")))
}

unsafe extern "system" fn stat(this: This, out: *mut STATSTG, flag: DWORD) -> HRESULT {
    crate::try_slot!(RtfStreamShell, this, |obj| {
        // SAFETY: `out` is NULL or the caller's STATSTG.
        let out = unsafe { OutParam::new(out) }.ok_or_else(invalid_pointer)?;
        if flag & !(STATFLAG_NONAME | STATFLAG_NOOPEN) != 0 {
            return Err(Error::new(ErrorKind::StgInvalidFlag, "unknown STATFLAG"));
        }
        let size = obj.inner.size()?;
        // SAFETY: STATSTG is plain data; all zero is a valid (unnamed) value.
        let mut st: STATSTG = unsafe { std::mem::zeroed() };
        st.type_ = STGTY_STREAM;
        st.cbSize = size;
        st.grfMode = if obj.inner.writable() {
            STGM_READWRITE
        } else {
            STGM_READ
        };
        out.set(st);
        Ok(S_OK)
    })
}

unsafe extern "system" fn clone(this: This, out: *mut This) -> HRESULT {
    crate::try_slot!(RtfStreamShell, this, |_obj| {
        // SAFETY: the caller's out-parameter.
        unsafe { out_ptr(out) };
        Err(no_support("Clone"))
    })
}
