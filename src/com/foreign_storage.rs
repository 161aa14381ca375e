//! A caller's own `IStorage` and `IStream` (ole32's on Windows, a C++ class of theirs) as the
//! storage layer's [`Storage`] and [`Stream`], so that the codec and the message model work
//! over it unchanged (DESIGN, "Layers").
//!
//! Everything goes through the objects' vtables; nothing is assumed about their layout. A
//! failed call becomes an [`Error`] of the kind its HRESULT means (`kind_of_storage_scode`)
//! with a message naming the call and the element. Names handed back in `STATSTG` are freed
//! with the task allocator (`CoTaskMemFree`), as COM requires of whoever allocated them.
//!
//! Element semantics follow ole32's, which the model already respects for our own storages:
//! an element is opened once at a time (`STGM_SHARE_EXCLUSIVE`), a child storage or stream
//! keeps its parent alive (ole32 reverts children whose parent is released), and nothing the
//! model keeps for later holds an element open: [`Storage::stream_blob`] copies the stream
//! (large ones into the scratch file) instead of keeping it open, because the model may later
//! replace that stream, rename or reopen its storage, which ole32 refuses while it is open.

use std::any::Any;
use std::ffi::c_void;
use std::io::SeekFrom;
use std::sync::Arc;

use super::foreign::ComRef;
use super::scode::kind_of_storage_scode;
use super::types::*;
use super::vtbl::{IEnumSTATSTGVtbl, IStorageVtbl, IStreamVtbl, This};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};
use crate::storage::{Blob, ElementKind, ElementStat, Storage, Stream, blob::CHUNK};

/// The most elements one `EnumElements` may list before we stop believing it (a `.msg`
/// storage holds at most a few thousand).
const MAX_ELEMENTS: usize = 1 << 20;

/// Longest name accepted back from a caller's `STATSTG` (UTF-16 units); element names have
/// at most 31, a root's may be a path.
const MAX_NAME: usize = 32 * 1024;

/// Elements fetched per `IEnumSTATSTG::Next`.
const ENUM_BATCH: usize = 32;

/// Turns a failed HRESULT into our error, naming the call. Codes the storage table does not
/// know become a read or write fault, by what the call was doing.
fn check(hr: HRESULT, call: &str, name: &str, writing: bool) -> Result<()> {
    if hr >= 0 {
        return Ok(());
    }
    let mut kind = kind_of_storage_scode(hr);
    if kind == ErrorKind::StgReadFault && hr != STG_E_READFAULT && writing {
        kind = ErrorKind::StgWriteFault;
    }
    let what = if name.is_empty() {
        String::new()
    } else {
        format!(" on {name:?}")
    };
    Err(Error::new(
        kind,
        format!("the caller's {call}{what} failed with 0x{:08X}", hr as u32),
    ))
}

/// A name as a NUL-terminated UTF-16 string; a NUL inside is refused.
fn wide(name: &str) -> Result<Vec<u16>> {
    if name.contains('\0') {
        return err(
            ErrorKind::StgInvalidName,
            format!("element name {name:?} contains NUL"),
        );
    }
    Ok(name.encode_utf16().chain(std::iter::once(0)).collect())
}

/// Frees task memory the caller's storage gave us.
pub(crate) fn task_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    #[cfg(not(windows))]
    {
        // A block not from our task allocator is left alone (leaked, never freed wrongly).
        crate::com::mapimem::task_free(p);
    }
    #[cfg(windows)]
    {
        #[link(name = "ole32")]
        unsafe extern "system" {
            fn CoTaskMemFree(pv: *mut c_void);
        }
        // SAFETY: `p` was allocated by the caller's storage with CoTaskMemAlloc, as COM
        // requires of STATSTG names, and is freed once.
        unsafe { CoTaskMemFree(p) };
    }
}

/// Reads and frees the name of a `STATSTG` filled by the caller.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated UTF-16 string in task memory that we own.
unsafe fn take_name(p: *mut WCHAR) -> Result<String> {
    if p.is_null() {
        return Ok(String::new());
    }
    let mut n = 0;
    // SAFETY: the string is terminated; we read up to the terminator or the limit.
    while n < MAX_NAME && unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    let name = if n == MAX_NAME {
        None
    } else {
        // SAFETY: `n` units were just read.
        Some(String::from_utf16_lossy(unsafe {
            std::slice::from_raw_parts(p, n)
        }))
    };
    task_free(p.cast());
    name.ok_or_else(|| {
        Error::new(
            ErrorKind::StgInvalidName,
            "the caller's storage returned a name without terminator",
        )
    })
}

/// An all-zero `STATSTG` for a callee to fill.
fn empty_statstg() -> STATSTG {
    STATSTG {
        pwcsName: std::ptr::null_mut(),
        type_: 0,
        cbSize: 0,
        mtime: FILETIME::from_u64(0),
        ctime: FILETIME::from_u64(0),
        atime: FILETIME::from_u64(0),
        grfMode: 0,
        grfLocksSupported: 0,
        clsid: GUID::from_bytes([0; 16]),
        grfStateBits: 0,
        reserved: 0,
    }
}

/// Converts a `STATSTG` the caller filled, freeing its name.
///
/// # Safety
/// `st.pwcsName` must be NULL or a name the callee allocated for us.
unsafe fn element_stat(st: &STATSTG) -> Result<ElementStat> {
    // SAFETY: forwarded from the caller.
    let name = unsafe { take_name(st.pwcsName) }?;
    Ok(ElementStat {
        name,
        kind: if st.type_ == STGTY_STORAGE {
            ElementKind::Storage
        } else {
            ElementKind::Stream
        },
        size: st.cbSize,
        mtime: st.mtime.to_u64(),
        ctime: st.ctime.to_u64(),
        atime: st.atime.to_u64(),
        mode: st.grfMode,
        clsid: st.clsid.to_bytes(),
        state_bits: st.grfStateBits,
    })
}

/// Takes ownership of the interface pointer a successful call returned.
///
/// # Safety
/// `p` must be NULL or a COM interface pointer whose reference is ours.
unsafe fn returned(p: This, call: &str, name: &str) -> Result<ComRef> {
    // SAFETY: forwarded from the caller.
    unsafe { ComRef::from_raw(p) }.ok_or_else(|| {
        Error::new(
            ErrorKind::StgInvalidPointer,
            format!("the caller's {call} on {name:?} succeeded without returning an object"),
        )
    })
}

/// A caller's `IStorage`.
pub struct ForeignStorage {
    stg: ComRef,
    /// The `STGM_*` flags it was opened with.
    mode: u32,
    /// Its name in its parent ("" for the root we were given), for error messages.
    name: String,
    /// The storage it was opened from, kept alive while it is.
    _parent: Option<ComRef>,
}

impl ForeignStorage {
    /// Adapts the storage handed to `OpenIMsgOnIStg` (one reference is taken); its access
    /// comes from its `Stat`.
    pub fn root(stg: ComRef) -> Result<Arc<ForeignStorage>> {
        let mut st = empty_statstg();
        // SAFETY: calling the storage's own Stat slot with a valid STATSTG.
        let hr =
            unsafe { (stg.vtbl::<IStorageVtbl>().Stat)(stg.as_ptr(), &mut st, STATFLAG_NONAME) };
        // SAFETY: a conforming Stat leaves the name NULL with STATFLAG_NONAME; one that
        // allocated it anyway gave it to us.
        let _ = unsafe { take_name(st.pwcsName) };
        check(hr, "IStorage::Stat", "", false)?;
        Ok(Arc::new(ForeignStorage {
            stg,
            mode: st.grfMode,
            name: String::new(),
            _parent: None,
        }))
    }

    /// The caller's interface pointer with a new reference, for handing back to the caller.
    pub fn add_ref_interface(&self) -> *mut c_void {
        let again = self.stg.clone();
        let p = again.as_ptr();
        std::mem::forget(again);
        p
    }

    fn vtbl(&self) -> &IStorageVtbl {
        // SAFETY: `stg` is an IStorage.
        unsafe { self.stg.vtbl::<IStorageVtbl>() }
    }

    fn child_storage(&self, stg: ComRef, name: &str, mode: u32) -> Arc<dyn Storage> {
        Arc::new(ForeignStorage {
            stg,
            mode,
            name: name.to_string(),
            _parent: Some(self.stg.clone()),
        })
    }

    fn child_stream(&self, stm: ComRef, name: &str) -> Box<dyn Stream> {
        Box::new(ForeignStream {
            stm,
            name: name.to_string(),
            _parent: self.stg.clone(),
        })
    }
}

impl Storage for ForeignStorage {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn stat(&self) -> Result<ElementStat> {
        let mut st = empty_statstg();
        // SAFETY: calling the storage's own Stat slot with a valid STATSTG.
        let hr = unsafe { (self.vtbl().Stat)(self.stg.as_ptr(), &mut st, STATFLAG_DEFAULT) };
        if hr < 0 {
            // SAFETY: a failed call may still have left a name it allocated.
            let _ = unsafe { take_name(st.pwcsName) };
            check(hr, "IStorage::Stat", &self.name, false)?;
        }
        // SAFETY: the name (if any) was allocated for us by Stat.
        unsafe { element_stat(&st) }
    }

    fn elements(&self) -> Result<Vec<ElementStat>> {
        let mut p: This = std::ptr::null_mut();
        // SAFETY: calling EnumElements with its reserved arguments zero and a valid out-param.
        let hr = unsafe {
            (self.vtbl().EnumElements)(self.stg.as_ptr(), 0, std::ptr::null_mut(), 0, &mut p)
        };
        check(hr, "IStorage::EnumElements", &self.name, false)?;
        // SAFETY: on success `p` is a new IEnumSTATSTG reference for us.
        let en = unsafe { returned(p, "IStorage::EnumElements", &self.name) }?;
        // SAFETY: `en` is an IEnumSTATSTG.
        let vtbl = unsafe { en.vtbl::<IEnumSTATSTGVtbl>() };
        let mut out = Vec::new();
        loop {
            let mut batch: [STATSTG; ENUM_BATCH] = std::array::from_fn(|_| empty_statstg());
            let mut fetched: ULONG = 0;
            // SAFETY: the array holds ENUM_BATCH entries; `fetched` is a valid ULONG.
            let hr = unsafe {
                (vtbl.Next)(
                    en.as_ptr(),
                    ENUM_BATCH as ULONG,
                    batch.as_mut_ptr(),
                    &mut fetched,
                )
            };
            let got = if hr < 0 {
                0
            } else {
                (fetched as usize).min(ENUM_BATCH)
            };
            let mut failed = None;
            for st in &batch[..got] {
                // SAFETY: each returned entry's name was allocated for us; every one is
                // converted (and so freed) even after a failure.
                match unsafe { element_stat(st) } {
                    Ok(e) => out.push(e),
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
            check(hr, "IEnumSTATSTG::Next", &self.name, false)?;
            if let Some(e) = failed {
                return Err(e);
            }
            if out.len() > MAX_ELEMENTS {
                return err(
                    ErrorKind::StgDocfileCorrupt,
                    format!(
                        "the caller's storage {:?} lists more than {MAX_ELEMENTS} elements",
                        self.name
                    ),
                );
            }
            if hr != S_OK || got < ENUM_BATCH {
                break;
            }
        }
        Ok(out)
    }

    fn open_stream(&self, name: &str, mode: u32) -> Result<Box<dyn Stream>> {
        let w = wide(name)?;
        let mut p: This = std::ptr::null_mut();
        // SAFETY: a terminated name, NULL/0 reserved arguments and a valid out-param.
        let hr = unsafe {
            (self.vtbl().OpenStream)(
                self.stg.as_ptr(),
                w.as_ptr(),
                std::ptr::null_mut(),
                mode,
                0,
                &mut p,
            )
        };
        check(hr, "IStorage::OpenStream", name, false)?;
        // SAFETY: on success `p` is a new IStream reference for us.
        let stm = unsafe { returned(p, "IStorage::OpenStream", name) }?;
        Ok(self.child_stream(stm, name))
    }

    fn create_stream(&self, name: &str, mode: u32) -> Result<Box<dyn Stream>> {
        let w = wide(name)?;
        let mut p: This = std::ptr::null_mut();
        // SAFETY: a terminated name, zero reserved arguments and a valid out-param.
        let hr = unsafe {
            (self.vtbl().CreateStream)(self.stg.as_ptr(), w.as_ptr(), mode, 0, 0, &mut p)
        };
        check(hr, "IStorage::CreateStream", name, true)?;
        // SAFETY: on success `p` is a new IStream reference for us.
        let stm = unsafe { returned(p, "IStorage::CreateStream", name) }?;
        Ok(self.child_stream(stm, name))
    }

    fn open_storage(&self, name: &str, mode: u32) -> Result<Arc<dyn Storage>> {
        let w = wide(name)?;
        let mut p: This = std::ptr::null_mut();
        // SAFETY: a terminated name, no priority storage or exclusions, a zero reserved
        // argument and a valid out-param.
        let hr = unsafe {
            (self.vtbl().OpenStorage)(
                self.stg.as_ptr(),
                w.as_ptr(),
                std::ptr::null_mut(),
                mode,
                std::ptr::null_mut(),
                0,
                &mut p,
            )
        };
        check(hr, "IStorage::OpenStorage", name, false)?;
        // SAFETY: on success `p` is a new IStorage reference for us.
        let stg = unsafe { returned(p, "IStorage::OpenStorage", name) }?;
        Ok(self.child_storage(stg, name, mode))
    }

    fn create_storage(&self, name: &str, mode: u32) -> Result<Arc<dyn Storage>> {
        let w = wide(name)?;
        let mut p: This = std::ptr::null_mut();
        // SAFETY: a terminated name, zero reserved arguments and a valid out-param.
        let hr = unsafe {
            (self.vtbl().CreateStorage)(self.stg.as_ptr(), w.as_ptr(), mode, 0, 0, &mut p)
        };
        check(hr, "IStorage::CreateStorage", name, true)?;
        // SAFETY: on success `p` is a new IStorage reference for us.
        let stg = unsafe { returned(p, "IStorage::CreateStorage", name) }?;
        Ok(self.child_storage(stg, name, mode))
    }

    fn destroy_element(&self, name: &str) -> Result<()> {
        let w = wide(name)?;
        // SAFETY: a terminated name.
        let hr = unsafe { (self.vtbl().DestroyElement)(self.stg.as_ptr(), w.as_ptr()) };
        check(hr, "IStorage::DestroyElement", name, true)
    }

    fn rename_element(&self, old: &str, new: &str) -> Result<()> {
        let (wo, wn) = (wide(old)?, wide(new)?);
        // SAFETY: two terminated names.
        let hr =
            unsafe { (self.vtbl().RenameElement)(self.stg.as_ptr(), wo.as_ptr(), wn.as_ptr()) };
        check(hr, "IStorage::RenameElement", old, true)
    }

    fn set_class(&self, clsid: [u8; 16]) -> Result<()> {
        let clsid = GUID::from_bytes(clsid);
        // SAFETY: a valid CLSID for the duration of the call.
        let hr = unsafe { (self.vtbl().SetClass)(self.stg.as_ptr(), &clsid) };
        check(hr, "IStorage::SetClass", &self.name, true)
    }

    fn set_state_bits(&self, bits: u32, mask: u32) -> Result<()> {
        // SAFETY: plain arguments.
        let hr = unsafe { (self.vtbl().SetStateBits)(self.stg.as_ptr(), bits, mask) };
        check(hr, "IStorage::SetStateBits", &self.name, true)
    }

    fn set_element_times(
        &self,
        name: Option<&str>,
        ctime: Option<u64>,
        atime: Option<u64>,
        mtime: Option<u64>,
    ) -> Result<()> {
        let w = name.map(wide).transpose()?;
        let [c, a, m] = [ctime, atime, mtime].map(|t| t.map(FILETIME::from_u64));
        let ptr = |t: &Option<FILETIME>| t.as_ref().map_or(std::ptr::null(), |t| t as *const _);
        // SAFETY: the name is NULL or terminated; each time is NULL or valid for the call.
        let hr = unsafe {
            (self.vtbl().SetElementTimes)(
                self.stg.as_ptr(),
                w.as_ref().map_or(std::ptr::null(), |w| w.as_ptr()),
                ptr(&c),
                ptr(&a),
                ptr(&m),
            )
        };
        check(
            hr,
            "IStorage::SetElementTimes",
            name.unwrap_or(&self.name),
            true,
        )
    }

    fn commit(&self, flags: u32) -> Result<()> {
        // SAFETY: plain arguments.
        let hr = unsafe { (self.vtbl().Commit)(self.stg.as_ptr(), flags) };
        check(hr, "IStorage::Commit", &self.name, true)
    }

    fn revert(&self) -> Result<()> {
        // SAFETY: no arguments.
        let hr = unsafe { (self.vtbl().Revert)(self.stg.as_ptr()) };
        check(hr, "IStorage::Revert", &self.name, false)
    }

    fn writable(&self) -> bool {
        self.mode & 3 != STGM_READ
    }

    /// A copy of the stream's content (see the module comment): small streams in memory,
    /// larger ones spilled to the scratch file by the blob itself.
    fn stream_blob(&self, name: &str) -> Result<Blob> {
        let mut stream = self.open_stream(name, STGM_READ | STGM_SHARE_EXCLUSIVE)?;
        let len = stream.size()?;
        let mut blob = Blob::default();
        let mut buf = vec![0u8; CHUNK.min(usize::try_from(len).unwrap_or(CHUNK))];
        let mut offset = 0u64;
        while offset < len {
            let want = (len - offset).min(buf.len() as u64) as usize;
            let n = stream.read(&mut buf[..want])?;
            if n == 0 {
                break;
            }
            blob.write_at(offset, &buf[..n])?;
            offset += n as u64;
        }
        Ok(blob)
    }
}

/// A stream of a caller's storage.
pub struct ForeignStream {
    stm: ComRef,
    name: String,
    /// Its storage, kept alive while the stream is.
    _parent: ComRef,
}

impl ForeignStream {
    fn vtbl(&self) -> &IStreamVtbl {
        // SAFETY: `stm` is an IStream.
        unsafe { self.stm.vtbl::<IStreamVtbl>() }
    }
}

impl Stream for ForeignStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let want = buf.len().min(u32::MAX as usize) as ULONG;
        let mut got: ULONG = 0;
        // SAFETY: the buffer holds at least `want` bytes; `got` is a valid ULONG.
        let hr = unsafe {
            (self.vtbl().Read)(self.stm.as_ptr(), buf.as_mut_ptr().cast(), want, &mut got)
        };
        check(hr, "IStream::Read", &self.name, false)?;
        if got > want {
            return err(
                ErrorKind::StgReadFault,
                format!(
                    "the caller's IStream::Read on {:?} claims {got} bytes read of {want}",
                    self.name
                ),
            );
        }
        Ok(got as usize)
    }

    fn write(&mut self, data: &[u8]) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let len = data.len().min(u32::MAX as usize) as ULONG;
        let mut done: ULONG = 0;
        // SAFETY: the data holds at least `len` bytes; `done` is a valid ULONG.
        let hr =
            unsafe { (self.vtbl().Write)(self.stm.as_ptr(), data.as_ptr().cast(), len, &mut done) };
        check(hr, "IStream::Write", &self.name, true)?;
        if done == 0 || done > len {
            return err(
                ErrorKind::StgWriteFault,
                format!(
                    "the caller's IStream::Write on {:?} wrote {done} of {len} bytes",
                    self.name
                ),
            );
        }
        Ok(done as usize)
    }

    fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        let (mv, origin) = match pos {
            SeekFrom::Start(n) => (
                i64::try_from(n).map_err(|_| {
                    Error::new(ErrorKind::StgInvalidFunction, "seek position too large")
                })?,
                STREAM_SEEK_SET,
            ),
            SeekFrom::Current(d) => (d, STREAM_SEEK_CUR),
            SeekFrom::End(d) => (d, STREAM_SEEK_END),
        };
        let mut new: u64 = 0;
        // SAFETY: plain arguments and a valid out-param.
        let hr = unsafe { (self.vtbl().Seek)(self.stm.as_ptr(), mv, origin, &mut new) };
        check(hr, "IStream::Seek", &self.name, false)?;
        Ok(new)
    }

    fn size(&self) -> Result<u64> {
        let mut st = empty_statstg();
        // SAFETY: calling the stream's own Stat slot with a valid STATSTG.
        let hr = unsafe { (self.vtbl().Stat)(self.stm.as_ptr(), &mut st, STATFLAG_NONAME) };
        // SAFETY: a name allocated despite STATFLAG_NONAME is ours to free.
        let _ = unsafe { take_name(st.pwcsName) };
        check(hr, "IStream::Stat", &self.name, false)?;
        Ok(st.cbSize)
    }

    fn set_len(&mut self, len: u64) -> Result<()> {
        // SAFETY: plain arguments.
        let hr = unsafe { (self.vtbl().SetSize)(self.stm.as_ptr(), len) };
        check(hr, "IStream::SetSize", &self.name, true)
    }

    fn commit(&mut self) -> Result<()> {
        // SAFETY: plain arguments.
        let hr = unsafe { (self.vtbl().Commit)(self.stm.as_ptr(), STGC_DEFAULT) };
        check(hr, "IStream::Commit", &self.name, true)
    }

    fn revert(&mut self) -> Result<()> {
        // SAFETY: no arguments.
        let hr = unsafe { (self.vtbl().Revert)(self.stm.as_ptr()) };
        check(hr, "IStream::Revert", &self.name, false)
    }

    fn stat(&self) -> Result<ElementStat> {
        let mut st = empty_statstg();
        // SAFETY: calling the stream's own Stat slot with a valid STATSTG.
        let hr = unsafe { (self.vtbl().Stat)(self.stm.as_ptr(), &mut st, STATFLAG_DEFAULT) };
        if hr < 0 {
            // SAFETY: a failed call may still have left a name it allocated.
            let _ = unsafe { take_name(st.pwcsName) };
            check(hr, "IStream::Stat", &self.name, false)?;
        }
        // SAFETY: the name (if any) was allocated for us by Stat.
        unsafe { element_stat(&st) }
    }

    fn clone_stream(&self) -> Result<Box<dyn Stream>> {
        let mut p: This = std::ptr::null_mut();
        // SAFETY: a valid out-param.
        let hr = unsafe { (self.vtbl().Clone)(self.stm.as_ptr(), &mut p) };
        check(hr, "IStream::Clone", &self.name, false)?;
        // SAFETY: on success `p` is a new IStream reference for us.
        let stm = unsafe { returned(p, "IStream::Clone", &self.name) }?;
        Ok(Box::new(ForeignStream {
            stm,
            name: self.name.clone(),
            _parent: self._parent.clone(),
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    //! The adapter over our own `IStorage` objects, reached only through their vtables, as
    //! a caller's storage would be.
    use super::*;
    use crate::capi::storage::new_storage;
    use crate::storage::docfile;

    const RW: u32 = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;

    /// A new compound file in `dir`, behind our IStorage, adapted as a foreign storage.
    fn foreign_root(dir: &tempfile::TempDir) -> Arc<ForeignStorage> {
        let ours = docfile::create_file(
            &dir.path().join("f.msg"),
            RW | STGM_CREATE | STGM_TRANSACTED,
            crate::storage::Version::V3,
        )
        .unwrap();
        // SAFETY: `new_storage` returns a new IStorage with one reference, ours to take.
        let stg = unsafe { ComRef::from_raw(new_storage(ours)) }.unwrap();
        ForeignStorage::root(stg).unwrap()
    }

    fn write_all(s: &mut dyn Stream, data: &[u8]) {
        let mut done = 0;
        while done < data.len() {
            done += s.write(&data[done..]).unwrap();
        }
    }

    #[test]
    fn streams_and_storages_through_the_vtables() {
        let dir = tempfile::tempdir().unwrap();
        let root = foreign_root(&dir);
        assert!(root.writable());
        assert_eq!(root.stat().unwrap().kind, ElementKind::Storage);

        let mut s = root.create_stream("Data", RW | STGM_CREATE).unwrap();
        write_all(s.as_mut(), b"hello, world");
        assert_eq!(s.size().unwrap(), 12);
        assert_eq!(s.seek(SeekFrom::Start(7)).unwrap(), 7);
        let mut buf = [0u8; 16];
        assert_eq!(s.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"world");
        assert_eq!(s.seek(SeekFrom::End(-5)).unwrap(), 7);
        assert_eq!(s.seek(SeekFrom::Current(-7)).unwrap(), 0);
        let mut c = s.clone_stream().unwrap();
        assert_eq!(c.read(&mut buf[..5]).unwrap(), 5);
        assert_eq!(&buf[..5], b"hello");
        s.set_len(5).unwrap();
        let st = s.stat().unwrap();
        assert_eq!(
            (st.name.as_str(), st.kind, st.size),
            ("Data", ElementKind::Stream, 5)
        );
        s.commit().unwrap();
        drop((s, c));

        // ole32's errors come back as their kinds, with the call named.
        let e = root
            .open_stream("Missing", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .err()
            .unwrap();
        assert_eq!(e.kind, ErrorKind::StgFileNotFound);
        assert!(e.message.contains("IStorage::OpenStream"), "{}", e.message);
        let e = root.create_stream("Data", RW).err().unwrap();
        assert_eq!(e.kind, ErrorKind::StgFileAlreadyExists);
        assert_eq!(
            root.create_stream("a\0b", RW).err().unwrap().kind,
            ErrorKind::StgInvalidName
        );
        let held = root.open_stream("Data", RW).unwrap();
        let e = root.open_stream("Data", RW).err().unwrap();
        assert_eq!(e.kind, ErrorKind::StgAccessDenied);
        drop(held);

        let child = root.create_storage("Sub", RW | STGM_CREATE).unwrap();
        child.set_class([7; 16]).unwrap();
        child.set_state_bits(0x5, 0xF).unwrap();
        child
            .write_stream("Inner", &Blob::from_vec(vec![1, 2, 3]))
            .unwrap();
        child.commit(STGC_DEFAULT).unwrap();
        let st = child.stat().unwrap();
        assert_eq!((st.clsid, st.state_bits), ([7; 16], 5));
        drop(child);
        root.set_element_times(Some("Sub"), None, None, Some(0x01D0_0000_0000_0000))
            .unwrap();
        root.rename_element("Sub", "Renamed").unwrap();
        let child = root.open_storage("Renamed", RW).unwrap();
        assert_eq!(child.read_stream("Inner", 10).unwrap(), vec![1, 2, 3]);
        assert_eq!(child.stat().unwrap().mtime, 0x01D0_0000_0000_0000);
        drop(child);

        let mut names: Vec<_> = root
            .elements()
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.kind == ElementKind::Storage))
            .collect();
        names.sort();
        assert_eq!(
            names,
            [("Data".to_string(), false), ("Renamed".to_string(), true)]
        );
        root.destroy_element("Renamed").unwrap();
        assert_eq!(
            root.destroy_element("Renamed").err().unwrap().kind,
            ErrorKind::StgFileNotFound
        );
        root.commit(STGC_DEFAULT).unwrap();
        root.revert().unwrap();
    }

    #[test]
    fn many_elements_are_listed_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let root = foreign_root(&dir);
        for i in 0..(ENUM_BATCH * 2 + 5) {
            root.write_stream(&format!("s{i}"), &Blob::from_vec(vec![i as u8; i]))
                .unwrap();
        }
        let elements = root.elements().unwrap();
        assert_eq!(elements.len(), ENUM_BATCH * 2 + 5);
        let s7 = elements.iter().find(|e| e.name == "s7").unwrap();
        assert_eq!((s7.kind, s7.size), (ElementKind::Stream, 7));
    }

    #[test]
    fn stream_blobs_are_copies_that_hold_nothing_open() {
        let dir = tempfile::tempdir().unwrap();
        let root = foreign_root(&dir);
        let big: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i * 7 % 251) as u8).collect();
        root.write_stream("Big", &Blob::from_vec(big.clone()))
            .unwrap();
        let blob = root.stream_blob("Big").unwrap();
        // The stream is not held open: it can be replaced, and the copy keeps the old bytes.
        root.write_stream("Big", &Blob::from_vec(b"new".to_vec()))
            .unwrap();
        assert_eq!(blob.to_vec().unwrap(), big);
        assert_eq!(root.read_stream("Big", 10).unwrap(), b"new");
        assert_eq!(root.stream_blob("Big").unwrap().to_vec().unwrap(), b"new");
    }

    #[test]
    fn unknown_failures_are_read_or_write_faults() {
        const E_FAIL: HRESULT = 0x8000_4005_u32 as HRESULT;
        let kind = |hr, writing| {
            check(hr, "IStream::Write", "x", writing)
                .err()
                .unwrap()
                .kind
        };
        assert_eq!(kind(E_FAIL, true), ErrorKind::StgWriteFault);
        assert_eq!(kind(E_FAIL, false), ErrorKind::StgReadFault);
        assert_eq!(kind(STG_E_MEDIUMFULL, true), ErrorKind::StgMediumFull);
        assert_eq!(kind(STG_E_READFAULT, true), ErrorKind::StgReadFault);
        assert!(check(S_FALSE, "IStream::Read", "x", false).is_ok());
    }
}
