//! The Imessage.h entry points: sessions, `OpenIMsgOnIStg`, property attributes and
//! `MapStorageSCode`.

use std::ffi::c_void;
use std::sync::Arc;

use super::prop::FileObject;
use super::storage::StorageShell;
use super::{OutParam, clear_out, out_ptr};
use crate::com::foreign::ComRef;
use crate::com::foreign_storage::ForeignStorage;
use crate::com::mapimem::Allocators;
use crate::com::marshal::{self, put};
use crate::com::object::{ComObject, guard};
use crate::com::scode::{map_storage_scode, scode_of};
use crate::com::session_registry as session;
use crate::com::shells::{AttachShell, MessageShell, TopLevel};
use crate::com::types::*;
use crate::com::vtbl::{_MSGSESS, IMalloc, IMessage, IStorage};
use crate::consts::*;
use crate::model::message::MsgFile;
use crate::storage::Storage;

/// Opens a message session: messages opened in it are closed together by
/// `CloseIMsgSession`.
///
/// `ulFlags` may be 0 or `MAPI_UNICODE`. Returns `S_OK`, `MAPI_E_INVALID_PARAMETER`
/// (NULL `lpMalloc` or `lppMsgSess`) or `MAPI_E_INVALID_FLAGS` (other flag bits).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn OpenIMsgSession(
    lpMalloc: *mut IMalloc,
    ulFlags: ULONG,
    lppMsgSess: *mut *mut _MSGSESS,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppMsgSess` is NULL or writable.
        if !unsafe { clear_out(lppMsgSess) } || lpMalloc.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        if ulFlags & !MAPI_UNICODE != 0 {
            return MAPI_E_INVALID_FLAGS;
        }
        // SAFETY: checked non-NULL.
        unsafe { *lppMsgSess = session::open().cast() };
        S_OK
    })
}

/// Closes a session and every message opened in it, with their attachments, tables and
/// streams: unsaved changes are discarded, storages released, release callbacks called.
/// Objects the caller still holds answer `MAPI_E_OBJECT_DELETED` until released. NULL,
/// unknown and already closed sessions are ignored.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn CloseIMsgSession(lpMsgSess: *mut _MSGSESS) {
    guard((), || session::close(lpMsgSess.cast()))
}

/// Builds an `IMessage` on `lpStg`. See README "API conventions".
///
/// Returns `S_OK`; `MAPI_E_INVALID_PARAMETER` for a NULL `lpStg` or `lppMsg`, missing
/// allocators without a support object, or an unknown or closed session;
/// `MAPI_E_UNKNOWN_FLAGS` for flags other than `IMSG_NO_ISTG_COMMIT | MAPI_UNICODE`;
/// `MAPI_E_NO_ACCESS` for a write-only storage; `MAPI_E_CORRUPT_DATA` or a storage error
/// when the message cannot be read.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "system" fn OpenIMsgOnIStg(
    lpMsgSess: *mut _MSGSESS,
    lpAllocateBuffer: Option<
        unsafe extern "system" fn(cbSize: ULONG, lppBuffer: *mut *mut c_void) -> SCODE,
    >,
    lpAllocateMore: Option<
        unsafe extern "system" fn(
            cbSize: ULONG,
            lpObject: *mut c_void,
            lppBuffer: *mut *mut c_void,
        ) -> SCODE,
    >,
    lpFreeBuffer: Option<unsafe extern "system" fn(lpBuffer: *mut c_void) -> ULONG>,
    lpMalloc: *mut IMalloc,
    lpMapiSup: *mut c_void,
    lpStg: *mut IStorage,
    lpfMsgCallRelease: Option<
        unsafe extern "system" fn(ulCallerData: ULONG, lpMessage: *mut IMessage),
    >,
    ulCallerData: ULONG,
    ulFlags: ULONG,
    lppMsg: *mut *mut IMessage,
) -> SCODE {
    // The OLE allocator is not needed: storage work uses the storage's own allocator.
    let _ = lpMalloc;
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppMsg` is NULL or writable.
        if !unsafe { clear_out(lppMsg) } || lpStg.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        if ulFlags & !(IMSG_NO_ISTG_COMMIT | MAPI_UNICODE) != 0 {
            return MAPI_E_UNKNOWN_FLAGS;
        }
        let alloc = match (lpAllocateBuffer, lpAllocateMore, lpFreeBuffer) {
            (Some(buffer), Some(more), Some(free)) => Allocators { buffer, more, free },
            // With a support object MAPI's own allocators are the ones it would give us.
            _ if !lpMapiSup.is_null() => Allocators::ours(),
            _ => return MAPI_E_INVALID_PARAMETER,
        };
        let session = if lpMsgSess.is_null() {
            None
        } else {
            match session::find(lpMsgSess.cast()) {
                Some(s) => Some(s),
                None => return MAPI_E_INVALID_PARAMETER,
            }
        };
        // SAFETY: `lpStg` is live (checked non-NULL); we keep one reference until close.
        let storage_ref = unsafe { ComRef::add_ref(lpStg.cast()) }.expect("checked non-NULL");
        // Our own storages are used directly; any other IStorage through its vtable.
        // SAFETY: `lpStg` is a live IStorage the caller lends us.
        let storage_obj: Arc<dyn Storage> =
            match unsafe { ComObject::<StorageShell>::this_as(lpStg.cast()) } {
                Some(ours) => ours.inner.storage.clone(),
                None => match ForeignStorage::root(storage_ref.clone()) {
                    Ok(foreign) => foreign,
                    Err(e) => return scode_of(e.kind),
                },
            };
        match storage_obj.stat() {
            Ok(stat) if stat.mode & 3 == STGM_WRITE => return MAPI_E_NO_ACCESS,
            Ok(_) => {}
            Err(e) => return scode_of(e.kind),
        }
        let (file, node) = match MsgFile::open(
            storage_obj,
            ulFlags & MAPI_UNICODE != 0,
            ulFlags & IMSG_NO_ISTG_COMMIT != 0,
        ) {
            Ok(f) => f,
            Err(e) => return scode_of(e.kind),
        };
        let callback = lpfMsgCallRelease.map(|f| (f, ulCallerData));
        let message = super::message::new_top_level(MessageShell::new(
            file,
            node,
            alloc,
            Some(TopLevel::new(storage_ref, callback)),
            None,
        ));
        if let Some(s) = session {
            s.add(&message);
        }
        // SAFETY: checked non-NULL above.
        unsafe { put(lppMsg, ComObject::arc_into_raw(message).cast()) };
        S_OK
    })
}

/// `GetAttribIMsgOnIStg` on a message or an attachment.
fn get_attribs<T: FileObject>(
    obj: &ComObject<T>,
    tags: &[u32],
    out: &OutParam<*mut SPropAttrArray>,
) -> HRESULT {
    let m = &obj.inner;
    match m
        .file()
        .get_attribs(m.node(), tags)
        .and_then(|attrs| marshal::attrs_out(m.alloc(), &attrs))
    {
        Ok(p) => {
            out.set(p);
            S_OK
        }
        Err(e) => obj.fail(&e),
    }
}

/// `SetAttribIMsgOnIStg` on a message or an attachment.
fn set_attribs<T: FileObject>(
    obj: &ComObject<T>,
    tags: &[u32],
    attrs: &[u32],
    out: Option<&OutParam<*mut SPropProblemArray>>,
) -> HRESULT {
    let m = &obj.inner;
    let r = m
        .file()
        .set_attribs(m.node(), tags, attrs)
        .and_then(|problems| {
            if let Some(out) = out {
                out.set(marshal::problems_out(m.alloc(), &problems)?);
            }
            Ok(())
        });
    match r {
        Ok(()) => S_OK,
        Err(e) => obj.fail(&e),
    }
}

/// The `PROPATTR_*` flags of the listed properties of a message or attachment made by
/// `OpenIMsgOnIStg` (`PROPATTR_NOT_PRESENT` for absent ones). Free the result with the
/// message's `lpFreeBuffer`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn GetAttribIMsgOnIStg(
    lpObject: *mut c_void,
    lpPropTagArray: *mut SPropTagArray,
    lppPropAttrArray: *mut *mut SPropAttrArray,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppPropAttrArray` is NULL or writable; the tag array is valid or NULL.
        let (out, tags) = unsafe { (out_ptr(lppPropAttrArray), marshal::tags_in(lpPropTagArray)) };
        let (Some(out), Ok(Some(tags))) = (out, tags) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        if tags.is_empty() {
            return MAPI_E_INVALID_PARAMETER;
        }
        // SAFETY: `lpObject` is NULL or an object the caller holds.
        if let Some(obj) = unsafe { ComObject::<MessageShell>::this_as(lpObject) } {
            return get_attribs(obj, &tags, &out);
        }
        // SAFETY: as above.
        match unsafe { ComObject::<AttachShell>::this_as(lpObject) } {
            Some(obj) => get_attribs(obj, &tags, &out),
            None => MAPI_E_INVALID_PARAMETER,
        }
    })
}

/// Sets the `PROPATTR_*` flags of existing properties (`lpPropAttrs` parallel to
/// `lpPropTags`). Properties that cannot take them are listed in `*lppPropProblems` when
/// that pointer is given.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SetAttribIMsgOnIStg(
    lpObject: *mut c_void,
    lpPropTags: *mut SPropTagArray,
    lpPropAttrs: *mut SPropAttrArray,
    lppPropProblems: *mut *mut SPropProblemArray,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppPropProblems` is NULL or writable; the arrays are valid or NULL and
        // have the same layout.
        let (out, tags, attrs) = unsafe {
            (
                out_ptr(lppPropProblems),
                marshal::tags_in(lpPropTags),
                marshal::tags_in(lpPropAttrs as *const SPropTagArray),
            )
        };
        let (tags, attrs) = match (tags, attrs) {
            (Ok(Some(t)), Ok(Some(a))) if !t.is_empty() && t.len() == a.len() => (t, a),
            _ => return MAPI_E_INVALID_PARAMETER,
        };
        // SAFETY: `lpObject` is NULL or an object the caller holds.
        if let Some(obj) = unsafe { ComObject::<MessageShell>::this_as(lpObject) } {
            return set_attribs(obj, &tags, &attrs, out.as_ref());
        }
        // SAFETY: as above.
        match unsafe { ComObject::<AttachShell>::this_as(lpObject) } {
            Some(obj) => set_attribs(obj, &tags, &attrs, out.as_ref()),
            None => MAPI_E_INVALID_PARAMETER,
        }
    })
}

/// Maps a structured-storage error to the MAPI error it means (`MAPI_E_CALL_FAILED` when
/// none fits; successes are returned unchanged).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn MapStorageSCode(StgSCode: SCODE) -> SCODE {
    map_storage_scode(StgSCode)
}
