//! The library's C API as a C program calls it: the exported functions of `imessage::capi`
//! and the objects' vtables, through raw pointers. Each COM object is wrapped in a [`Com`]
//! that owns one reference and releases it when dropped; MAPI memory the library hands
//! back is copied into Rust values and freed with `MAPIFreeBuffer` at once.
//!
//! This module is the only one of `imsg` with `unsafe` code.

use std::ffi::c_void;
use std::fmt;
use std::ptr::{NonNull, null_mut};

#[cfg(not(windows))]
use imessage::capi::memory::CoTaskMemFree;
use imessage::capi::memory::{
    MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc,
};
use imessage::capi::session::{CloseIMsgSession, OpenIMsgOnIStg, OpenIMsgSession};
#[cfg(not(windows))]
use imessage::capi::storage::{StgCreateDocfile, StgOpenStorage};
use imessage::com::types::{GUID, STATSTG};
use imessage::com::vtbl::{
    _MSGSESS, IAttachVtbl, IEnumSTATSTGVtbl, IMAPITableVtbl, IMessageVtbl, IStorageVtbl,
    IStreamVtbl, IUnknownVtbl, Interface,
};
use imessage::consts::*;

// On Windows the library leaves these to the system's ole32 (DESIGN decision 13).
#[cfg(windows)]
#[link(name = "ole32")]
unsafe extern "system" {
    fn CoTaskMemFree(pv: *mut c_void);
    fn StgCreateDocfile(
        pwcsName: *const u16,
        grfMode: u32,
        reserved: u32,
        ppstgOpen: *mut *mut imessage::com::vtbl::IStorage,
    ) -> i32;
    fn StgOpenStorage(
        pwcsName: *const u16,
        pstgPriority: *mut imessage::com::vtbl::IStorage,
        grfMode: u32,
        snbExclude: imessage::com::types::SNB,
        reserved: u32,
        ppstgOpen: *mut *mut imessage::com::vtbl::IStorage,
    ) -> i32;
}

/// A failed call: which one, its `HRESULT`, and the library's own explanation when it
/// gave one (`GetLastError`).
#[derive(Debug)]
pub struct ApiError {
    pub call: String,
    pub hr: HRESULT,
    pub detail: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.call, scode_text(self.hr))?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

pub type Result<T> = std::result::Result<T, ApiError>;

fn fail<T>(call: impl Into<String>, hr: HRESULT) -> Result<T> {
    Err(ApiError {
        call: call.into(),
        hr,
        detail: None,
    })
}

fn check(call: &str, hr: HRESULT) -> Result<()> {
    if hr < 0 { fail(call, hr) } else { Ok(()) }
}

/// `0x8004010F (MAPI_E_NOT_FOUND)`.
pub fn scode_text(hr: HRESULT) -> String {
    let name = match hr {
        MAPI_E_NOT_FOUND => "MAPI_E_NOT_FOUND",
        MAPI_E_NO_SUPPORT => "MAPI_E_NO_SUPPORT",
        MAPI_E_NOT_ENOUGH_MEMORY => "MAPI_E_NOT_ENOUGH_MEMORY",
        MAPI_E_INVALID_PARAMETER => "MAPI_E_INVALID_PARAMETER",
        MAPI_E_NO_ACCESS => "MAPI_E_NO_ACCESS",
        MAPI_E_CALL_FAILED => "MAPI_E_CALL_FAILED",
        MAPI_E_CORRUPT_DATA => "MAPI_E_CORRUPT_DATA",
        MAPI_E_COMPUTED => "MAPI_E_COMPUTED",
        MAPI_E_INVALID_TYPE => "MAPI_E_INVALID_TYPE",
        MAPI_E_UNKNOWN_FLAGS => "MAPI_E_UNKNOWN_FLAGS",
        MAPI_E_INTERFACE_NOT_SUPPORTED => "MAPI_E_INTERFACE_NOT_SUPPORTED",
        E_POINTER => "E_POINTER",
        MAPI_E_BAD_CHARWIDTH => "MAPI_E_BAD_CHARWIDTH",
        MAPI_E_OBJECT_DELETED => "MAPI_E_OBJECT_DELETED",
        MAPI_E_UNKNOWN_CPID => "MAPI_E_UNKNOWN_CPID",
        MAPI_E_TOO_BIG => "MAPI_E_TOO_BIG",
        MAPI_W_ERRORS_RETURNED => "MAPI_W_ERRORS_RETURNED",
        STG_E_FILENOTFOUND => "STG_E_FILENOTFOUND",
        STG_E_PATHNOTFOUND => "STG_E_PATHNOTFOUND",
        STG_E_ACCESSDENIED => "STG_E_ACCESSDENIED",
        STG_E_FILEALREADYEXISTS => "STG_E_FILEALREADYEXISTS (not a compound file)",
        STG_E_DOCFILECORRUPT => "STG_E_DOCFILECORRUPT",
        STG_E_INVALIDHEADER => "STG_E_INVALIDHEADER",
        STG_E_INVALIDNAME => "STG_E_INVALIDNAME",
        STG_E_INVALIDFUNCTION => "STG_E_INVALIDFUNCTION",
        STG_E_INVALIDPARAMETER => "STG_E_INVALIDPARAMETER",
        STG_E_INVALIDFLAG => "STG_E_INVALIDFLAG",
        STG_E_SHAREVIOLATION => "STG_E_SHAREVIOLATION",
        STG_E_MEDIUMFULL => "STG_E_MEDIUMFULL",
        STG_E_READFAULT => "STG_E_READFAULT",
        STG_E_WRITEFAULT => "STG_E_WRITEFAULT",
        STG_E_UNIMPLEMENTEDFUNCTION => "STG_E_UNIMPLEMENTEDFUNCTION",
        STG_E_INSUFFICIENTMEMORY => "STG_E_INSUFFICIENTMEMORY",
        _ => "",
    };
    if name.is_empty() {
        format!("0x{:08X}", hr as u32)
    } else {
        format!("0x{:08X} ({name})", hr as u32)
    }
}

/// A NUL-terminated UTF-16 copy of `s`.
pub fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// A copy of `units` with a NUL after them, as C strings are passed.
pub fn terminated<T: Copy + Default>(units: &[T]) -> Vec<T> {
    units
        .iter()
        .copied()
        .chain(std::iter::once(T::default()))
        .collect()
}

/// `s` as UTF-16 without terminator (element names).
pub fn wide_name(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// Reads a NUL-terminated UTF-16 string.
///
/// # Safety
/// `p` is NULL or a NUL-terminated UTF-16 string.
unsafe fn read_wide(p: *const u16) -> Vec<u16> {
    let mut out = Vec::new();
    if p.is_null() {
        return out;
    }
    let mut i = 0;
    loop {
        // SAFETY: the string is terminated, so every unit up to the terminator is readable.
        let u = unsafe { *p.add(i) };
        if u == 0 {
            return out;
        }
        out.push(u);
        i += 1;
    }
}

/// Frees a block the library allocated with `MAPIAllocateBuffer` (NULL is fine).
fn mapi_free(p: *mut c_void) {
    // SAFETY: `p` is NULL or a block the library allocated with the allocators we gave it,
    // freed once.
    unsafe { MAPIFreeBuffer(p) };
}

// ===== COM objects =====

/// One reference to a COM object whose vtable is `V`.
pub struct Com<V> {
    p: NonNull<Interface<V>>,
}

impl<V> Com<V> {
    /// Takes over the reference `p` holds.
    ///
    /// # Safety
    /// `p` is NULL or a live COM object whose vtable has the layout `V`, whose reference
    /// the caller hands over.
    unsafe fn from_raw(p: *mut c_void) -> Option<Com<V>> {
        NonNull::new(p.cast()).map(|p| Com { p })
    }

    /// Wraps an out-parameter the call `call` was supposed to set.
    ///
    /// # Safety
    /// As [`Com::from_raw`].
    unsafe fn out(call: &str, p: *mut c_void) -> Result<Com<V>> {
        // SAFETY: forwarded.
        match unsafe { Com::from_raw(p) } {
            Some(c) => Ok(c),
            None => fail(format!("{call} (no object returned)"), E_POINTER),
        }
    }

    pub fn as_ptr(&self) -> *mut c_void {
        self.p.as_ptr().cast()
    }

    fn vtbl(&self) -> &V {
        // SAFETY: a live object's first field points to its vtable, which lives at least
        // as long as the object.
        unsafe { &*(*self.p.as_ptr()).lpVtbl }
    }
}

impl<V> Drop for Com<V> {
    fn drop(&mut self) {
        let unknown = self.p.as_ptr().cast::<Interface<IUnknownVtbl>>();
        // SAFETY: every COM vtable starts with IUnknown's three slots; we own one reference.
        unsafe { ((*(*unknown).lpVtbl).Release)(unknown.cast()) };
    }
}

pub type Storage = Com<IStorageVtbl>;
pub type Stream = Com<IStreamVtbl>;
pub type Message = Com<IMessageVtbl>;
pub type Attach = Com<IAttachVtbl>;
pub type Table = Com<IMAPITableVtbl>;
type EnumStat = Com<IEnumSTATSTGVtbl>;

// ===== sessions and files =====

/// A message session (`OpenIMsgSession`), closed with `CloseIMsgSession` when dropped.
/// Drop it after every object opened in it.
pub struct Session(*mut _MSGSESS);

impl Session {
    pub fn open() -> Result<Session> {
        let mut sess = null_mut();
        // SAFETY: MAPIGetDefaultMalloc returns the library's IMalloc; `sess` is writable.
        let hr = unsafe { OpenIMsgSession(MAPIGetDefaultMalloc(), 0, &mut sess) };
        check("OpenIMsgSession", hr)?;
        Ok(Session(sess))
    }

    /// `OpenIMsgOnIStg` with MAPI's allocators, no support object and no callback.
    pub fn open_message(&self, stg: &Storage, flags: ULONG) -> Result<Message> {
        let mut msg = null_mut();
        // SAFETY: the session and storage are live; the allocators are the library's
        // own exports; `msg` is writable.
        let hr = unsafe {
            OpenIMsgOnIStg(
                self.0,
                Some(MAPIAllocateBuffer),
                Some(MAPIAllocateMore),
                Some(MAPIFreeBuffer),
                MAPIGetDefaultMalloc(),
                null_mut(),
                stg.as_ptr().cast(),
                None,
                0,
                flags,
                &mut msg,
            )
        };
        check("OpenIMsgOnIStg", hr)?;
        // SAFETY: S_OK hands us a new IMessage reference.
        unsafe { Com::out("OpenIMsgOnIStg", msg.cast()) }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: the handle came from OpenIMsgSession and is closed once.
        unsafe { CloseIMsgSession(self.0) };
    }
}

/// `StgOpenStorage(path, mode)`.
pub fn open_storage_file(path: &str, mode: DWORD) -> Result<Storage> {
    let name = wide(path);
    let mut stg = null_mut();
    // SAFETY: `name` is terminated; `stg` is writable.
    let hr = unsafe { StgOpenStorage(name.as_ptr(), null_mut(), mode, null_mut(), 0, &mut stg) };
    check("StgOpenStorage", hr)?;
    // SAFETY: success hands us a new IStorage reference.
    unsafe { Com::out("StgOpenStorage", stg.cast()) }
}

/// `StgCreateDocfile(path, mode)`.
pub fn create_storage_file(path: &str, mode: DWORD) -> Result<Storage> {
    let name = wide(path);
    let mut stg = null_mut();
    // SAFETY: `name` is terminated; `stg` is writable.
    let hr = unsafe { StgCreateDocfile(name.as_ptr(), mode, 0, &mut stg) };
    check("StgCreateDocfile", hr)?;
    // SAFETY: success hands us a new IStorage reference.
    unsafe { Com::out("StgCreateDocfile", stg.cast()) }
}

// ===== IStorage, IStream =====

/// One element of a storage (`IEnumSTATSTG::Next`).
pub struct Element {
    pub name: Vec<u16>,
    pub is_storage: bool,
}

impl Storage {
    pub fn open_stream(&self, name: &str) -> Result<Stream> {
        let w = wide(name);
        let mut p = null_mut();
        // SAFETY: live storage, terminated name, writable out-parameter.
        let hr = unsafe {
            (self.vtbl().OpenStream)(
                self.as_ptr(),
                w.as_ptr(),
                null_mut(),
                STGM_READ | STGM_SHARE_EXCLUSIVE,
                0,
                &mut p,
            )
        };
        check(&format!("IStorage::OpenStream({name})"), hr)?;
        // SAFETY: success hands us a new IStream reference.
        unsafe { Com::out("IStorage::OpenStream", p) }
    }

    pub fn open_sub_storage(&self, name: &[u16]) -> Result<Storage> {
        let w = terminated(name);
        let mut p = null_mut();
        // SAFETY: live storage, terminated name, writable out-parameter.
        let hr = unsafe {
            (self.vtbl().OpenStorage)(
                self.as_ptr(),
                w.as_ptr(),
                null_mut(),
                STGM_READ | STGM_SHARE_EXCLUSIVE,
                null_mut(),
                0,
                &mut p,
            )
        };
        let shown = String::from_utf16_lossy(name);
        check(&format!("IStorage::OpenStorage({shown})"), hr)?;
        // SAFETY: success hands us a new IStorage reference.
        unsafe { Com::out("IStorage::OpenStorage", p) }
    }

    pub fn open_stream_w(&self, name: &[u16]) -> Result<Stream> {
        let w = terminated(name);
        let mut p = null_mut();
        // SAFETY: live storage, terminated name, writable out-parameter.
        let hr = unsafe {
            (self.vtbl().OpenStream)(
                self.as_ptr(),
                w.as_ptr(),
                null_mut(),
                STGM_READ | STGM_SHARE_EXCLUSIVE,
                0,
                &mut p,
            )
        };
        let shown = String::from_utf16_lossy(name);
        check(&format!("IStorage::OpenStream({shown})"), hr)?;
        // SAFETY: success hands us a new IStream reference.
        unsafe { Com::out("IStorage::OpenStream", p) }
    }

    pub fn create_stream(&self, name: &[u16]) -> Result<Stream> {
        let w = terminated(name);
        let mut p = null_mut();
        // SAFETY: live storage, terminated name, writable out-parameter.
        let hr = unsafe {
            (self.vtbl().CreateStream)(
                self.as_ptr(),
                w.as_ptr(),
                STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE,
                0,
                0,
                &mut p,
            )
        };
        check("IStorage::CreateStream", hr)?;
        // SAFETY: success hands us a new IStream reference.
        unsafe { Com::out("IStorage::CreateStream", p) }
    }

    pub fn create_sub_storage(&self, name: &[u16]) -> Result<Storage> {
        let w = terminated(name);
        let mut p = null_mut();
        // SAFETY: live storage, terminated name, writable out-parameter.
        let hr = unsafe {
            (self.vtbl().CreateStorage)(
                self.as_ptr(),
                w.as_ptr(),
                STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE,
                0,
                0,
                &mut p,
            )
        };
        check("IStorage::CreateStorage", hr)?;
        // SAFETY: success hands us a new IStorage reference.
        unsafe { Com::out("IStorage::CreateStorage", p) }
    }

    /// The storage's class (`IStorage::Stat`).
    pub fn clsid(&self) -> Result<GUID> {
        // SAFETY: STATSTG is plain data; all zeros is a valid value.
        let mut st: STATSTG = unsafe { std::mem::zeroed() };
        // SAFETY: live storage, writable structure; no name is asked for.
        let hr = unsafe { (self.vtbl().Stat)(self.as_ptr(), &mut st, STATFLAG_NONAME) };
        check("IStorage::Stat", hr)?;
        Ok(st.clsid)
    }

    pub fn set_class(&self, clsid: &GUID) -> Result<()> {
        // SAFETY: live storage; `clsid` is readable.
        let hr = unsafe { (self.vtbl().SetClass)(self.as_ptr(), clsid) };
        check("IStorage::SetClass", hr)
    }

    pub fn commit(&self) -> Result<()> {
        // SAFETY: live storage.
        let hr = unsafe { (self.vtbl().Commit)(self.as_ptr(), STGC_DEFAULT) };
        check("IStorage::Commit", hr)
    }

    /// Every element (`EnumElements` + `Next` one at a time).
    pub fn elements(&self) -> Result<Vec<Element>> {
        let mut p = null_mut();
        // SAFETY: live storage, writable out-parameter; reserved arguments are 0/NULL.
        let hr = unsafe { (self.vtbl().EnumElements)(self.as_ptr(), 0, null_mut(), 0, &mut p) };
        check("IStorage::EnumElements", hr)?;
        // SAFETY: success hands us a new IEnumSTATSTG reference.
        let e: EnumStat = unsafe { Com::out("IStorage::EnumElements", p) }?;
        let mut out = Vec::new();
        loop {
            // SAFETY: STATSTG is plain data; all zeros is a valid value.
            let mut st: STATSTG = unsafe { std::mem::zeroed() };
            let mut fetched = 0;
            // SAFETY: live enumerator; one writable STATSTG.
            let hr = unsafe { (e.vtbl().Next)(e.as_ptr(), 1, &mut st, &mut fetched) };
            check("IEnumSTATSTG::Next", hr)?;
            if fetched == 0 {
                break;
            }
            // SAFETY: the name is a task-allocated terminated string we now own.
            let name = unsafe { read_wide(st.pwcsName) };
            // SAFETY: freed once, with the allocator it came from.
            unsafe { CoTaskMemFree(st.pwcsName.cast()) };
            out.push(Element {
                name,
                is_storage: st.type_ == STGTY_STORAGE,
            });
            if hr != S_OK {
                break;
            }
        }
        Ok(out)
    }
}

impl Stream {
    /// Reads what is left, in pieces.
    pub fn read_to_end(&self, mut sink: impl FnMut(&[u8])) -> Result<u64> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let mut got = 0;
            // SAFETY: live stream; `buf` is writable for its length.
            let hr = unsafe {
                (self.vtbl().Read)(
                    self.as_ptr(),
                    buf.as_mut_ptr().cast(),
                    buf.len() as ULONG,
                    &mut got,
                )
            };
            check("IStream::Read", hr)?;
            if got == 0 {
                return Ok(total);
            }
            let got = (got as usize).min(buf.len());
            sink(&buf[..got]);
            total += got as u64;
        }
    }

    pub fn read_all(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_to_end(|b| out.extend_from_slice(b))?;
        Ok(out)
    }

    pub fn write_all(&self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let n = data.len().min(1 << 20);
            let mut written = 0;
            // SAFETY: live stream; `data` is readable for `n` bytes.
            let hr = unsafe {
                (self.vtbl().Write)(
                    self.as_ptr(),
                    data.as_ptr().cast(),
                    n as ULONG,
                    &mut written,
                )
            };
            check("IStream::Write", hr)?;
            if written == 0 {
                return fail("IStream::Write (nothing written)", STG_E_WRITEFAULT);
            }
            data = &data[(written as usize).min(n)..];
        }
        Ok(())
    }

    pub fn commit(&self) -> Result<()> {
        // SAFETY: live stream.
        let hr = unsafe { (self.vtbl().Commit)(self.as_ptr(), STGC_DEFAULT) };
        check("IStream::Commit", hr)
    }
}

mod mapi_prop;
pub use mapi_prop::{NameKind, PropName, PropVtbl};

// ===== TNEF =====

/// `OpenStreamOnFile(path)` with `STGM_*` flags (`STGM_CREATE | STGM_READWRITE` writes a new
/// file).
pub fn stream_on_file(path: &str, flags: ULONG) -> Result<Stream> {
    let name = std::ffi::CString::new(path).map_err(|_| ApiError {
        call: "OpenStreamOnFile (a NUL in the path)".into(),
        hr: E_INVALIDARG,
        detail: None,
    })?;
    let mut stm = null_mut();
    // SAFETY: the name is terminated; `stm` is writable; the allocators are the library's.
    let hr = unsafe {
        imessage::capi::open_stream_on_file::OpenStreamOnFile(
            Some(MAPIAllocateBuffer),
            Some(MAPIFreeBuffer),
            flags,
            name.as_ptr(),
            std::ptr::null(),
            &mut stm,
        )
    };
    check("OpenStreamOnFile", hr)?;
    // SAFETY: success hands us a new IStream reference.
    unsafe { Com::out("OpenStreamOnFile", stm.cast()) }
}

/// One `STnefProblem`, as text.
fn tnef_problems(p: *mut c_void) -> Vec<String> {
    let mut out = Vec::new();
    if p.is_null() {
        return out;
    }
    let arr = p.cast::<imessage::com::tnef_problems::STnefProblemArray>();
    // SAFETY: a problem array the library built: a count, then that many entries.
    unsafe {
        let first = std::ptr::addr_of!((*arr).aProblem)
            .cast::<imessage::com::tnef_problems::STnefProblem>();
        for i in 0..(*arr).cProblem as usize {
            let e = &*first.add(i);
            out.push(format!(
                "{} attribute 0x{:08X} property 0x{:08X}: {}",
                if e.ulComponent == 0 {
                    "message".to_string()
                } else {
                    format!("attachment {}", e.ulComponent)
                },
                e.ulAttribute,
                e.ulPropTag,
                scode_text(e.scode)
            ));
        }
    }
    mapi_free(p);
    out
}

/// Runs `OpenTnefStream` over `stream` and `msg`: decoding (`ExtractProps` of everything)
/// or encoding (`AddProps(TNEF_PROP_EXCLUDE)` of nothing, so all of it, with `key`), then
/// `Finish`. Returns the problems the library reported.
pub fn tnef(stream: &Stream, msg: &Message, encode: bool, key: u16) -> Result<Vec<String>> {
    use imessage::com::tnef::{TNEF_DECODE, TNEF_ENCODE, TNEF_PROP_EXCLUDE};
    use imessage::com::vtbl::ITnefVtbl;
    let mut p = null_mut();
    let name = c"winmail.dat";
    // SAFETY: the stream and message are live; `p` is writable.
    let hr = unsafe {
        imessage::capi::tnef::OpenTnefStream(
            null_mut(),
            stream.as_ptr().cast(),
            name.as_ptr().cast_mut(),
            if encode { TNEF_ENCODE } else { TNEF_DECODE },
            msg.as_ptr().cast(),
            key,
            &mut p,
        )
    };
    check("OpenTnefStream", hr)?;
    // SAFETY: success hands us a new ITnef reference.
    let t: Com<ITnefVtbl> = unsafe { Com::out("OpenTnefStream", p.cast()) }?;
    let v = t.vtbl();
    let mut problems = Vec::new();
    let mut arr = null_mut();
    if encode {
        let mut none = [0u32; 2];
        // SAFETY: an SPropTagArray with no tags.
        let hr = unsafe {
            (v.AddProps)(
                t.as_ptr(),
                TNEF_PROP_EXCLUDE,
                0,
                null_mut(),
                none.as_mut_ptr().cast(),
            )
        };
        check("ITnef::AddProps", hr)?;
    } else {
        // SAFETY: a NULL list; `arr` is writable.
        let hr = unsafe { (v.ExtractProps)(t.as_ptr(), TNEF_PROP_EXCLUDE, null_mut(), &mut arr) };
        check("ITnef::ExtractProps", hr)?;
        problems.extend(tnef_problems(arr));
        arr = null_mut();
    }
    let mut k = 0u16;
    // SAFETY: `k` and `arr` are writable.
    let hr = unsafe { (v.Finish)(t.as_ptr(), 0, &mut k, &mut arr) };
    check("ITnef::Finish", hr)?;
    problems.extend(tnef_problems(arr));
    Ok(problems)
}
