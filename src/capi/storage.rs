//! `IStorage`, `IEnumSTATSTG`, and the ole32 functions Linux lacks (`StgCreateDocfile`,
//! `StgOpenStorage`, ...). On Windows the system's ole32 provides the functions, and they
//! are not exported (DESIGN decision 13).

use std::ffi::c_void;
use std::sync::Arc;

use super::{invalid_pointer, out_ptr, task_wide, wide_str};
use crate::com::foreign::ComRef;
use crate::com::guids::*;
#[cfg(not(windows))]
use crate::com::object::guard;
use crate::com::object::{self, Class, ComObject};
#[cfg(not(windows))]
use crate::com::scode::scode_of;
use crate::com::shells::{EnumShell, StorageShell, StreamShell};
use crate::com::types::*;
#[cfg(not(windows))]
use crate::com::vtbl::IStorage;
use crate::com::vtbl::{IEnumSTATSTGVtbl, IStorageVtbl, This};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
#[cfg(not(windows))]
use crate::storage::Version;
#[cfg(not(windows))]
use crate::storage::docfile;
use crate::storage::element_copy::Exclusions;
use crate::storage::{ElementKind, ElementStat, Storage};

static STORAGE_VTBL: IStorageVtbl = IStorageVtbl {
    QueryInterface: object::query_interface::<StorageShell>,
    AddRef: object::add_ref::<StorageShell>,
    Release: object::release::<StorageShell>,
    CreateStream: create_stream,
    OpenStream: open_stream,
    CreateStorage: create_storage,
    OpenStorage: open_storage,
    CopyTo: copy_to,
    MoveElementTo: move_element_to,
    Commit: commit,
    Revert: revert,
    EnumElements: enum_elements,
    DestroyElement: destroy_element,
    RenameElement: rename_element,
    SetElementTimes: set_element_times,
    SetClass: set_class,
    SetStateBits: set_state_bits,
    Stat: stat,
};

impl Class for StorageShell {
    type Vtbl = IStorageVtbl;
    fn vtbl() -> &'static IStorageVtbl {
        &STORAGE_VTBL
    }
    const IIDS: &'static [IID] = &[IID_IStorage];
}

/// A new `IStorage` object for `storage`.
pub fn new_storage(storage: Arc<dyn Storage>) -> *mut c_void {
    ComObject::into_raw(StorageShell {
        storage,
        keep: None,
    })
}

fn invalid_parameter(what: &str) -> Error {
    Error::new(ErrorKind::StgInvalidParameter, what.to_string())
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
    keep: Option<crate::com::shells::KeepAlive>,
) -> *mut c_void {
    ComObject::into_raw(StreamShell {
        stream: parking_lot::Mutex::new(stream),
        keep,
    })
}

/// Reads a name argument.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated UTF-16 string.
unsafe fn name_arg(name: *const WCHAR) -> Result<String> {
    // SAFETY: forwarded from the caller.
    unsafe { wide_str(name) }
}

/// Checks an interface out-parameter and clears it.
///
/// # Safety
/// `out` must be NULL or valid for one pointer write.
unsafe fn out_arg(out: *mut This) -> Result<super::OutParam<This>> {
    // SAFETY: forwarded from the caller.
    unsafe { out_ptr(out) }.ok_or_else(invalid_pointer)
}

unsafe extern "system" fn create_stream(
    this: This,
    name: *const WCHAR,
    mode: DWORD,
    reserved1: DWORD,
    reserved2: DWORD,
    out: *mut This,
) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: the caller's out-parameter and name.
        let (out, name) = unsafe { (out_arg(out)?, name_arg(name)?) };
        if reserved1 != 0 || reserved2 != 0 {
            return Err(invalid_parameter("reserved arguments must be 0"));
        }
        let stream = obj.inner.storage.create_stream(&name, mode)?;
        out.set(new_stream(stream, Some(obj.arc())));
        Ok(S_OK)
    })
}

unsafe extern "system" fn open_stream(
    this: This,
    name: *const WCHAR,
    reserved1: *mut c_void,
    mode: DWORD,
    reserved2: DWORD,
    out: *mut This,
) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: the caller's out-parameter and name.
        let (out, name) = unsafe { (out_arg(out)?, name_arg(name)?) };
        if !reserved1.is_null() || reserved2 != 0 {
            return Err(invalid_parameter("reserved arguments must be NULL and 0"));
        }
        let stream = obj.inner.storage.open_stream(&name, mode)?;
        out.set(new_stream(stream, Some(obj.arc())));
        Ok(S_OK)
    })
}

unsafe extern "system" fn create_storage(
    this: This,
    name: *const WCHAR,
    mode: DWORD,
    reserved1: DWORD,
    reserved2: DWORD,
    out: *mut This,
) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: the caller's out-parameter and name.
        let (out, name) = unsafe { (out_arg(out)?, name_arg(name)?) };
        if reserved1 != 0 || reserved2 != 0 {
            return Err(invalid_parameter("reserved arguments must be 0"));
        }
        let storage = obj.inner.storage.create_storage(&name, mode)?;
        out.set(ComObject::into_raw(StorageShell {
            storage,
            keep: Some(obj.arc()),
        }));
        Ok(S_OK)
    })
}

unsafe extern "system" fn open_storage(
    this: This,
    name: *const WCHAR,
    _priority: This,
    mode: DWORD,
    exclude: *mut *mut WCHAR,
    reserved: DWORD,
    out: *mut This,
) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: the caller's out-parameter and name.
        let (out, name) = unsafe { (out_arg(out)?, name_arg(name)?) };
        if !exclude.is_null() || reserved != 0 {
            return Err(invalid_parameter("snbExclude must be NULL and reserved 0"));
        }
        let storage = obj.inner.storage.open_storage(&name, mode)?;
        out.set(ComObject::into_raw(StorageShell {
            storage,
            keep: Some(obj.arc()),
        }));
        Ok(S_OK)
    })
}

/// The storage behind a destination `IStorage`: ours directly, a caller's through the
/// foreign-storage adapter (its vtable only).
///
/// # Safety
/// `dest` must be NULL or a live `IStorage`.
unsafe fn dest_storage(dest: This) -> Result<Arc<dyn Storage>> {
    // SAFETY: forwarded from the caller.
    if let Some(ours) = unsafe { ComObject::<StorageShell>::this_as(dest) } {
        return Ok(ours.inner.storage.clone());
    }
    // SAFETY: forwarded from the caller.
    let foreign = unsafe { ComRef::add_ref(dest) }.ok_or_else(invalid_pointer)?;
    Ok(crate::com::foreign_storage::ForeignStorage::root(foreign)?)
}

/// Names of an `SNB` (a NULL-terminated array of strings).
///
/// # Safety
/// `snb` must be NULL or a NULL-terminated array of NUL-terminated UTF-16 strings.
unsafe fn snb_names(snb: SNB) -> Result<Vec<String>> {
    let mut names = Vec::new();
    if snb.is_null() {
        return Ok(names);
    }
    for i in 0.. {
        // SAFETY: the array is NULL-terminated; entries before the terminator are valid.
        let p = unsafe { *snb.add(i) };
        if p.is_null() {
            break;
        }
        if i >= 1 << 16 {
            return Err(invalid_parameter("snbExclude without terminator"));
        }
        // SAFETY: each entry is a terminated string.
        names.push(unsafe { name_arg(p) }?);
    }
    Ok(names)
}

/// Copies this storage's class and elements into `dest` (ours or any `IStorage`).
/// `rgiidExclude` holding `IID_IStorage` leaves sub-storages out, `IID_IStream` streams
/// (other IIDs are ignored); `snbExclude` names elements to leave out (ignored when
/// `IID_IStorage` is excluded, as documented). Exclusions apply to this storage's own
/// elements, not to those of its sub-storages. Streams replace streams of the same name in
/// `dest`, storages merge into storages of the same name. Copying into itself or a
/// descendant is `STG_E_ACCESSDENIED`.
unsafe extern "system" fn copy_to(
    this: This,
    ciid: DWORD,
    rgiid: *const IID,
    snb: SNB,
    dest: This,
) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        if ciid > 0 && rgiid.is_null() {
            return Err(invalid_pointer());
        }
        let iids: &[IID] = if ciid == 0 {
            &[]
        } else {
            // SAFETY: the caller's array holds `ciid` IIDs.
            unsafe { std::slice::from_raw_parts(rgiid, ciid as usize) }
        };
        let mut exclude = Exclusions {
            storages: iids.contains(&IID_IStorage),
            streams: iids.contains(&IID_IStream),
            names: Vec::new(),
        };
        if !exclude.storages {
            // SAFETY: `snb` is NULL or a valid SNB.
            exclude.names = unsafe { snb_names(snb)? };
        }
        // SAFETY: `dest` is NULL or a live IStorage.
        let dest = unsafe { dest_storage(dest)? };
        crate::storage::element_copy::copy_to(obj.inner.storage.as_ref(), dest.as_ref(), &exclude)?;
        Ok(S_OK)
    })
}

/// Copies (`STGMOVE_COPY`) or moves (`STGMOVE_MOVE`) one element into `dest` (ours or any
/// `IStorage`) under a new name. `STGMOVE_SHALLOWCOPY` is `STG_E_INVALIDFLAG`. A name already
/// in `dest` is `STG_E_FILEALREADYEXISTS`; an open element, or moving an element onto itself
/// or into its own content, `STG_E_ACCESSDENIED`.
unsafe extern "system" fn move_element_to(
    this: This,
    name: *const WCHAR,
    dest: This,
    new: *const WCHAR,
    flags: DWORD,
) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: the caller's names.
        let (name, new) = unsafe { (name_arg(name)?, name_arg(new)?) };
        let copy_only = match flags {
            STGMOVE_MOVE => false,
            STGMOVE_COPY => true,
            _ => {
                return Err(Error::new(
                    ErrorKind::StgInvalidFlag,
                    "grfFlags must be STGMOVE_MOVE or STGMOVE_COPY",
                ));
            }
        };
        // SAFETY: `dest` is NULL or a live IStorage.
        let dest = unsafe { dest_storage(dest)? };
        crate::storage::element_copy::move_element(
            obj.inner.storage.as_ref(),
            &name,
            dest.as_ref(),
            &new,
            copy_only,
        )?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn commit(this: This, flags: DWORD) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        obj.inner.storage.commit(flags)?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn revert(this: This) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        obj.inner.storage.revert()?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn enum_elements(
    this: This,
    _r1: DWORD,
    _r2: *mut c_void,
    _r3: DWORD,
    out: *mut This,
) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: the caller's out-parameter.
        let out = unsafe { out_arg(out)? };
        let items = obj.inner.storage.elements()?;
        out.set(ComObject::into_raw(EnumShell {
            items: Arc::new(items),
            pos: parking_lot::Mutex::new(0),
        }));
        Ok(S_OK)
    })
}

unsafe extern "system" fn destroy_element(this: This, name: *const WCHAR) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: the caller's name.
        let name = unsafe { name_arg(name)? };
        obj.inner.storage.destroy_element(&name)?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn rename_element(
    this: This,
    old: *const WCHAR,
    new: *const WCHAR,
) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: the caller's names.
        let (old, new) = unsafe { (name_arg(old)?, name_arg(new)?) };
        obj.inner.storage.rename_element(&old, &new)?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn set_element_times(
    this: This,
    name: *const WCHAR,
    ctime: *const FILETIME,
    atime: *const FILETIME,
    mtime: *const FILETIME,
) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: the name is NULL or a terminated string; the times are NULL or valid.
        let (name, times) = unsafe {
            (
                if name.is_null() {
                    None
                } else {
                    Some(name_arg(name)?)
                },
                [ctime, atime, mtime].map(|p| p.as_ref().map(|t| t.to_u64())),
            )
        };
        obj.inner
            .storage
            .set_element_times(name.as_deref(), times[0], times[1], times[2])?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn set_class(this: This, clsid: *const CLSID) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: `clsid` is NULL or a valid GUID.
        let clsid = unsafe { clsid.as_ref() }.ok_or_else(invalid_pointer)?;
        obj.inner.storage.set_class(clsid.to_bytes())?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn set_state_bits(this: This, bits: DWORD, mask: DWORD) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        obj.inner.storage.set_state_bits(bits, mask)?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn stat(this: This, out: *mut STATSTG, flag: DWORD) -> HRESULT {
    crate::try_slot!(StorageShell, this, |obj| {
        // SAFETY: `out` is NULL or the caller's STATSTG.
        let out = unsafe { super::OutParam::new(out) }.ok_or_else(invalid_pointer)?;
        if flag & !(STATFLAG_NONAME | STATFLAG_NOOPEN) != 0 {
            return Err(Error::new(ErrorKind::StgInvalidFlag, "unknown STATFLAG"));
        }
        out.set(statstg(&obj.inner.storage.stat()?, flag));
        Ok(S_OK)
    })
}

// ===== IEnumSTATSTG =====

static ENUM_VTBL: IEnumSTATSTGVtbl = IEnumSTATSTGVtbl {
    QueryInterface: object::query_interface::<EnumShell>,
    AddRef: object::add_ref::<EnumShell>,
    Release: object::release::<EnumShell>,
    Next: enum_next,
    Skip: enum_skip,
    Reset: enum_reset,
    Clone: enum_clone,
};

impl Class for EnumShell {
    type Vtbl = IEnumSTATSTGVtbl;
    fn vtbl() -> &'static IEnumSTATSTGVtbl {
        &ENUM_VTBL
    }
    const IIDS: &'static [IID] = &[IID_IEnumSTATSTG];
}

unsafe extern "system" fn enum_next(
    this: This,
    celt: ULONG,
    out: *mut STATSTG,
    fetched: *mut ULONG,
) -> HRESULT {
    crate::slot!(EnumShell, this, |obj| {
        // SAFETY: `fetched` is NULL or the caller's ULONG.
        let fetched = unsafe { super::OutParam::new(fetched) };
        if out.is_null() || (celt > 1 && fetched.is_none()) {
            return STG_E_INVALIDPOINTER;
        }
        let mut pos = obj.inner.pos.lock();
        let n = (celt as usize).min(obj.inner.items.len() - *pos);
        for i in 0..n {
            // Enumerators always return names; the caller frees them with CoTaskMemFree.
            let item = statstg(&obj.inner.items[*pos + i], STATFLAG_DEFAULT);
            // SAFETY: the caller's array holds `celt` entries and `i < n <= celt`.
            unsafe { out.add(i).write(item) };
        }
        *pos += n;
        if let Some(fetched) = fetched {
            fetched.set(n as ULONG);
        }
        if n == celt as usize { S_OK } else { S_FALSE }
    })
}

unsafe extern "system" fn enum_skip(this: This, celt: ULONG) -> HRESULT {
    crate::slot!(EnumShell, this, |obj| {
        let mut pos = obj.inner.pos.lock();
        let n = (celt as usize).min(obj.inner.items.len() - *pos);
        *pos += n;
        if n == celt as usize { S_OK } else { S_FALSE }
    })
}

unsafe extern "system" fn enum_reset(this: This) -> HRESULT {
    crate::slot!(EnumShell, this, |obj| {
        *obj.inner.pos.lock() = 0;
        S_OK
    })
}

unsafe extern "system" fn enum_clone(this: This, out: *mut This) -> HRESULT {
    crate::slot!(EnumShell, this, |obj| {
        // SAFETY: the caller's out-parameter.
        let Some(out) = (unsafe { out_ptr(out) }) else {
            return STG_E_INVALIDPOINTER;
        };
        let pos = *obj.inner.pos.lock();
        out.set(ComObject::into_raw(EnumShell {
            items: obj.inner.items.clone(),
            pos: parking_lot::Mutex::new(pos),
        }));
        S_OK
    })
}

// ===== ole32 stand-ins =====

#[cfg(not(windows))]
fn stg_result(
    out: &super::OutParam<*mut IStorage>,
    r: Result<Arc<docfile::DocStorage>>,
) -> HRESULT {
    match r {
        Ok(storage) => {
            out.set(new_storage(storage).cast());
            S_OK
        }
        Err(e) => scode_of(e.kind),
    }
}

/// Creates a compound file (version 3, 512-byte sectors). A NULL name creates a file with
/// a unique name in the temporary directory.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn StgCreateDocfile(
    pwcsName: *const WCHAR,
    grfMode: DWORD,
    reserved: DWORD,
    ppstgOpen: *mut *mut IStorage,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppstgOpen` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(ppstgOpen) }) else {
            return STG_E_INVALIDPOINTER;
        };
        if reserved != 0 {
            return STG_E_INVALIDPARAMETER;
        }
        // SAFETY: a non-NULL name is a terminated string.
        match unsafe { create_docfile(pwcsName, grfMode, Version::V3) } {
            Ok(storage) => {
                let hr = created_scode(&storage);
                out.set(new_storage(storage).cast());
                hr
            }
            Err(hr) => hr,
        }
    })
}

/// `STG_S_CONVERTED` when `STGM_CONVERT` wrapped an existing file, else `S_OK`.
#[cfg(not(windows))]
fn created_scode(storage: &docfile::DocStorage) -> HRESULT {
    if storage.converted {
        STG_S_CONVERTED
    } else {
        S_OK
    }
}

/// `StgCreateDocfile`'s work: a NULL name creates a file with a unique name in the
/// temporary directory.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated UTF-16 string.
#[cfg(not(windows))]
unsafe fn create_docfile(
    name: *const WCHAR,
    mode: DWORD,
    version: Version,
) -> std::result::Result<Arc<docfile::DocStorage>, HRESULT> {
    let path = if name.is_null() {
        let file = tempfile::Builder::new()
            .prefix("~imsg")
            .suffix(".tmp")
            .tempfile()
            .map_err(|_| STG_E_MEDIUMFULL)?;
        file.keep().map_err(|_| STG_E_MEDIUMFULL)?.1
    } else {
        // SAFETY: forwarded from the caller.
        std::path::PathBuf::from(unsafe { wide_str(name) }.map_err(|e| scode_of(e.kind))?)
    };
    let mode = if name.is_null() {
        mode | STGM_CREATE
    } else {
        mode
    };
    docfile::create_file(&path, mode, version).map_err(|e| scode_of(e.kind))
}

/// `FILE_FLAG_NO_BUFFERING`, the one attribute `StgCreateStorageEx` accepts for docfiles.
#[cfg(not(windows))]
const FILE_FLAG_NO_BUFFERING: DWORD = 0x2000_0000;

/// Checks the arguments `StgCreateStorageEx` and `StgOpenStorageEx` share; returns the
/// compound-file version the options ask for (`None`: no options).
///
/// # Safety
/// `options` must be NULL or point to a `STGOPTIONS` of at least the version-1 size; `riid`
/// must be NULL or a valid IID.
#[cfg(not(windows))]
unsafe fn storage_ex_args(
    stgfmt: DWORD,
    attrs: DWORD,
    options: *const STGOPTIONS,
    riid: REFIID,
    creating: bool,
) -> std::result::Result<Option<Version>, HRESULT> {
    // SAFETY: `riid` is NULL or valid.
    let iid = unsafe { riid.as_ref() }.ok_or(STG_E_INVALIDPOINTER)?;
    match stgfmt {
        STGFMT_STORAGE | STGFMT_DOCFILE => {}
        STGFMT_ANY if !creating => {}
        _ => return Err(STG_E_INVALIDPARAMETER),
    }
    if attrs & !FILE_FLAG_NO_BUFFERING != 0 {
        return Err(STG_E_INVALIDPARAMETER);
    }
    let version = if options.is_null() {
        None
    } else {
        // SAFETY: the first two fields exist in every version of the structure.
        let (us_version, sector) = unsafe {
            (
                std::ptr::addr_of!((*options).usVersion).read_unaligned(),
                std::ptr::addr_of!((*options).ulSectorSize).read_unaligned(),
            )
        };
        if !(1..=STGOPTIONS_VERSION).contains(&us_version) {
            return Err(STG_E_INVALIDPARAMETER);
        }
        match sector {
            512 => Some(Version::V3),
            4096 => Some(Version::V4),
            _ => return Err(STG_E_INVALIDPARAMETER),
        }
    };
    if *iid != IID_IStorage && *iid != IID_IUnknown {
        return Err(E_NOINTERFACE);
    }
    Ok(version)
}

/// Creates a compound file (`STGFMT_DOCFILE` or `STGFMT_STORAGE`; other formats give
/// `STG_E_INVALIDPARAMETER`). `STGOPTIONS` with `ulSectorSize` 4096 makes a version-4 file
/// (4096-byte sectors), 512 or no options a version-3 one. `riid` must be `IID_IStorage` (or
/// `IID_IUnknown`); the security descriptor is ignored (files get the process's default
/// permissions).
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn StgCreateStorageEx(
    pwcsName: *const WCHAR,
    grfMode: DWORD,
    stgfmt: DWORD,
    grfAttrs: DWORD,
    pStgOptions: *mut STGOPTIONS,
    pSecurityDescriptor: PSECURITY_DESCRIPTOR,
    riid: REFIID,
    ppObjectOpen: *mut *mut c_void,
) -> HRESULT {
    // Files get the process's default permissions.
    let _ = pSecurityDescriptor;
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppObjectOpen` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(ppObjectOpen) }) else {
            return STG_E_INVALIDPOINTER;
        };
        // SAFETY: the options and the IID are NULL or the caller's valid structures.
        let version = match unsafe { storage_ex_args(stgfmt, grfAttrs, pStgOptions, riid, true) } {
            Ok(v) => v.unwrap_or(Version::V3),
            Err(hr) => return hr,
        };
        // SAFETY: a non-NULL name is a terminated string.
        match unsafe { create_docfile(pwcsName, grfMode, version) } {
            Ok(storage) => {
                let hr = created_scode(&storage);
                out.set(new_storage(storage));
                hr
            }
            Err(hr) => hr,
        }
    })
}

/// Opens a compound file (`STGFMT_DOCFILE`, `STGFMT_STORAGE` or `STGFMT_ANY`), whatever its
/// sector size; `STGOPTIONS`, when given, must be valid but does not change the file.
/// Errors as `StgOpenStorage`.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn StgOpenStorageEx(
    pwcsName: *const WCHAR,
    grfMode: DWORD,
    stgfmt: DWORD,
    grfAttrs: DWORD,
    pStgOptions: *mut STGOPTIONS,
    pSecurityDescriptor: PSECURITY_DESCRIPTOR,
    riid: REFIID,
    ppObjectOpen: *mut *mut c_void,
) -> HRESULT {
    // Files get the process's default permissions.
    let _ = pSecurityDescriptor;
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppObjectOpen` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(ppObjectOpen) }) else {
            return STG_E_INVALIDPOINTER;
        };
        // SAFETY: the options and the IID are NULL or the caller's valid structures.
        if let Err(hr) = unsafe { storage_ex_args(stgfmt, grfAttrs, pStgOptions, riid, false) } {
            return hr;
        }
        // SAFETY: a non-NULL name is a terminated string.
        let name = match unsafe { wide_str(pwcsName) } {
            Ok(n) => n,
            Err(_) if pwcsName.is_null() => return STG_E_INVALIDNAME,
            Err(e) => return scode_of(e.kind),
        };
        match docfile::open_file(std::path::Path::new(&name), grfMode) {
            Ok(storage) => {
                out.set(new_storage(storage));
                S_OK
            }
            Err(e) => scode_of(e.kind),
        }
    })
}

/// Opens a compound file. A file that is not one gives `STG_E_FILEALREADYEXISTS`, a missing
/// one `STG_E_FILENOTFOUND`, write access to a read-only one `STG_E_ACCESSDENIED`.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn StgOpenStorage(
    pwcsName: *const WCHAR,
    _pstgPriority: *mut IStorage,
    grfMode: DWORD,
    snbExclude: *mut *mut WCHAR,
    reserved: DWORD,
    ppstgOpen: *mut *mut IStorage,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppstgOpen` is NULL or writable.
        let Some(out) = (unsafe { out_ptr(ppstgOpen) }) else {
            return STG_E_INVALIDPOINTER;
        };
        if reserved != 0 || !snbExclude.is_null() {
            return STG_E_INVALIDPARAMETER;
        }
        // SAFETY: a non-NULL name is a terminated string.
        let name = match unsafe { wide_str(pwcsName) } {
            Ok(n) => n,
            Err(_) if pwcsName.is_null() => return STG_E_INVALIDNAME,
            Err(e) => return scode_of(e.kind),
        };
        stg_result(
            &out,
            docfile::open_file(std::path::Path::new(&name), grfMode),
        )
    })
}

/// `S_OK` if the file is a compound file, `S_FALSE` if not, `STG_E_FILENOTFOUND` if missing.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn StgIsStorageFile(pwcsName: *const WCHAR) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: a non-NULL name is a terminated string.
        let name = match unsafe { wide_str(pwcsName) } {
            Ok(n) => n,
            Err(_) => return STG_E_INVALIDNAME,
        };
        match docfile::is_storage_file(std::path::Path::new(&name)) {
            Ok(true) => S_OK,
            Ok(false) => S_FALSE,
            Err(e) => scode_of(e.kind),
        }
    })
}

/// Stores `rclsid` as the storage's class (`IStorage::SetClass`), for any `IStorage`.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn WriteClassStg(pStg: *mut IStorage, rclsid: REFCLSID) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        if pStg.is_null() || rclsid.is_null() {
            return E_INVALIDARG;
        }
        // SAFETY: `pStg` is a live IStorage the caller lends us.
        let stg = unsafe { ComRef::add_ref(pStg.cast()) }.expect("checked non-NULL");
        // SAFETY: calling the storage's own SetClass slot.
        unsafe { (stg.vtbl::<IStorageVtbl>().SetClass)(stg.as_ptr(), rclsid) }
    })
}

/// Reads the storage's class (`IStorage::Stat`); `CLSID_NULL` if none was set.
#[cfg(not(windows))]
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ReadClassStg(pStg: *mut IStorage, pclsid: *mut CLSID) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        if pStg.is_null() || pclsid.is_null() {
            return E_INVALIDARG;
        }
        // SAFETY: `pStg` is a live IStorage the caller lends us.
        let stg = unsafe { ComRef::add_ref(pStg.cast()) }.expect("checked non-NULL");
        // SAFETY: STATSTG is plain data; zeroed is a valid initial value.
        let mut st: STATSTG = unsafe { std::mem::zeroed() };
        // SAFETY: calling the storage's own Stat slot with a valid out-structure.
        let hr =
            unsafe { (stg.vtbl::<IStorageVtbl>().Stat)(stg.as_ptr(), &mut st, STATFLAG_NONAME) };
        if hr >= 0 {
            // SAFETY: checked non-NULL.
            unsafe { *pclsid = st.clsid };
        }
        hr
    })
}
