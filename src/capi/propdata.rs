//! `CreateIProp` and the `IPropData` slots: `IMAPIProp` (3–13) over an in-memory property
//! bag (`model::propdata`), then `HrSetObjAccess`, `HrSetPropAccess`, `HrGetPropAccess`
//! and `HrAddObjProps` (14–17). The object is not transacted: `SaveChanges` has nothing to
//! do. `CopyTo`/`CopyProps` run the copy engine (`com::copy_to`) through the vtables, so
//! the destination may be any `IMAPIProp`, ours or the caller's.

use std::ffi::c_void;
use std::sync::Arc;

use parking_lot::Mutex;

use super::stream::StreamShell;
use super::{OutParam, clear_out, invalid, out_ptr, unknown_flags};
use crate::com::copy_to::{self, Select};
use crate::com::guids::*;
use crate::com::mapimem::Allocators;
use crate::com::marshal;
use crate::com::object::{self, Class, ComObject, guard};
use crate::com::propdata::{PropDataShell, ulongs_out};
use crate::com::types::*;
use crate::com::vtbl::{IPropData, IPropDataVtbl, This};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::message::PropOut;
use crate::model::name_map::NameFilter;
use crate::model::propdata::PropData;
use crate::model::propdata_stream::PropDataStream;
use crate::types::prop_value::prop_type;

static PROPDATA_VTBL: IPropDataVtbl = IPropDataVtbl {
    QueryInterface: object::query_interface::<PropDataShell>,
    AddRef: object::add_ref::<PropDataShell>,
    Release: object::release::<PropDataShell>,
    GetLastError: get_last_error,
    SaveChanges: save_changes,
    GetProps: get_props,
    GetPropList: get_prop_list,
    OpenProperty: open_property,
    SetProps: set_props,
    DeleteProps: delete_props,
    CopyTo: copy_to,
    CopyProps: copy_props,
    GetNamesFromIDs: get_names_from_ids,
    GetIDsFromNames: get_ids_from_names,
    HrSetObjAccess: set_obj_access,
    HrSetPropAccess: set_prop_access,
    HrGetPropAccess: get_prop_access,
    HrAddObjProps: add_obj_props,
};

impl Class for PropDataShell {
    type Vtbl = IPropDataVtbl;
    fn vtbl() -> &'static IPropDataVtbl {
        &PROPDATA_VTBL
    }
    const IIDS: &'static [IID] = &[IID_IMAPIProp, IID_IMAPIPropData];
}

/// Creates an empty, read/write `IPropData` whose results are allocated with the given
/// functions. `lpInterface` is NULL or `&IID_IMAPIPropData` (else
/// `MAPI_E_INTERFACE_NOT_SUPPORTED`); `lpvReserved` must be NULL; the three allocators and
/// `lppPropData` must be given (`MAPI_E_INVALID_PARAMETER`).
#[unsafe(no_mangle)]
pub unsafe extern "system" fn CreateIProp(
    lpInterface: *const IID,
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
    lpvReserved: *mut c_void,
    lppPropData: *mut *mut IPropData,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppPropData` is NULL or the caller's out-parameter.
        let Some(out) = (unsafe { out_ptr(lppPropData) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        // SAFETY: `lpInterface` is NULL or a valid IID.
        let alloc = match unsafe {
            creation_args(
                lpInterface,
                IID_IMAPIPropData,
                (lpAllocateBuffer, lpAllocateMore, lpFreeBuffer),
                lpvReserved,
            )
        } {
            Ok(alloc) => alloc,
            Err(sc) => return sc,
        };
        out.set(
            ComObject::into_raw(PropDataShell {
                data: Arc::new(Mutex::new(PropData::new())),
                alloc,
            })
            .cast(),
        );
        S_OK
    })
}

/// The checks `CreateIProp` and `CreateTable` share: `lpInterface` NULL or `own`
/// (`MAPI_E_INTERFACE_NOT_SUPPORTED`), the three allocators given and `lpvReserved` NULL
/// (`MAPI_E_INVALID_PARAMETER`).
///
/// # Safety
/// `iid` must be NULL or a valid IID.
pub(super) unsafe fn creation_args(
    iid: *const IID,
    own: IID,
    (buffer, more, free): (
        Option<LPALLOCATEBUFFER>,
        Option<LPALLOCATEMORE>,
        Option<LPFREEBUFFER>,
    ),
    reserved: *mut c_void,
) -> std::result::Result<Allocators, SCODE> {
    // SAFETY: forwarded from the caller.
    if unsafe { iid.as_ref() }.is_some_and(|iid| *iid != own) {
        return Err(MAPI_E_INTERFACE_NOT_SUPPORTED);
    }
    match (buffer, more, free) {
        (Some(buffer), Some(more), Some(free)) if reserved.is_null() => {
            Ok(Allocators { buffer, more, free })
        }
        _ => Err(MAPI_E_INVALID_PARAMETER),
    }
}

type Obj = ComObject<PropDataShell>;

fn alloc(obj: &Obj) -> &Allocators {
    &obj.inner.alloc
}

// ===== IMAPIProp =====

unsafe extern "system" fn get_last_error(
    this: This,
    hr: HRESULT,
    flags: ULONG,
    lpp: *mut *mut MAPIERROR,
) -> HRESULT {
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: `lpp` is the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        unknown_flags(flags, MAPI_UNICODE)?;
        let text = obj
            .last_error(hr)
            .unwrap_or_else(|| crate::com::scode::scode_name(hr));
        out.set(marshal::mapierror_out(
            alloc(obj),
            &text,
            flags & MAPI_UNICODE != 0,
        )?);
        Ok(S_OK)
    })
}

unsafe extern "system" fn save_changes(this: This, flags: ULONG) -> HRESULT {
    crate::try_slot!(PropDataShell, this, |_obj| {
        unknown_flags(
            flags,
            KEEP_OPEN_READONLY | KEEP_OPEN_READWRITE | FORCE_SAVE | MAPI_DEFERRED_ERRORS,
        )?;
        // Not transacted: every change is already in effect.
        Ok(S_OK)
    })
}

unsafe extern "system" fn get_props(
    this: This,
    tags: *mut SPropTagArray,
    flags: ULONG,
    count: *mut ULONG,
    props: *mut *mut SPropValue,
) -> HRESULT {
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: out-parameters and the tag array are the caller's, valid or NULL.
        let (props, count, tags) =
            unsafe { (out_ptr(props), OutParam::new(count), marshal::tags_in(tags)) };
        let (Some(props), Some(count)) = (&props, &count) else {
            return Err(invalid("NULL out-parameter"));
        };
        count.set(0);
        unknown_flags(flags, MAPI_UNICODE)?;
        let tags = tags?;
        if tags.as_ref().is_some_and(Vec::is_empty) {
            return Err(invalid("the tag array is empty"));
        }
        let values = obj
            .inner
            .data
            .lock()
            .get_props(tags.as_deref(), flags & MAPI_UNICODE != 0);
        let warn = values.iter().any(|v| matches!(v, PropOut::Error(..)));
        props.set(marshal::props_out(alloc(obj), &values)?);
        count.set(values.len() as ULONG);
        Ok(if warn { MAPI_W_ERRORS_RETURNED } else { S_OK })
    })
}

unsafe extern "system" fn get_prop_list(
    this: This,
    flags: ULONG,
    lpp: *mut *mut SPropTagArray,
) -> HRESULT {
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: `lpp` is the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        unknown_flags(flags, MAPI_UNICODE)?;
        let tags = obj
            .inner
            .data
            .lock()
            .get_prop_list(flags & MAPI_UNICODE != 0);
        out.set(marshal::tags_out(alloc(obj), &tags)?);
        Ok(S_OK)
    })
}

/// `IID_IStream` (or `IID_ISequentialStream`) on a string or binary property; nothing
/// else opens on an `IPropData`.
unsafe extern "system" fn open_property(
    this: This,
    tag: ULONG,
    iid: *const IID,
    options: ULONG,
    flags: ULONG,
    lpp: *mut This,
) -> HRESULT {
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: `lpp` is the caller's out-parameter; `iid` is NULL or a valid IID.
        let (out, iid) = unsafe { (out_ptr(lpp), iid.as_ref().copied()) };
        let (Some(out), Some(iid)) = (&out, iid) else {
            return Err(invalid("NULL interface id or out-parameter"));
        };
        unknown_flags(
            flags,
            MAPI_MODIFY | MAPI_CREATE | MAPI_DEFERRED_ERRORS | STREAM_APPEND | MAPI_BEST_ACCESS,
        )?;
        if prop_type(tag) == PT_UNSPECIFIED {
            return Err(invalid("OpenProperty needs a property type in the tag"));
        }
        if iid != IID_IStream && iid != IID_ISequentialStream {
            return Err(Error::new(
                ErrorKind::InterfaceNotSupported,
                format!("property 0x{tag:08X} of an IPropData opens only as a stream"),
            ));
        }
        let create = flags & MAPI_CREATE != 0;
        let modify = create || flags & MAPI_MODIFY != 0 || options & 3 != STGM_READ;
        let mut stream = PropDataStream::open(obj.inner.data.clone(), tag, modify, create)?;
        if flags & STREAM_APPEND != 0 {
            crate::storage::Stream::seek(&mut stream, std::io::SeekFrom::End(0))?;
        }
        out.set(ComObject::into_raw(StreamShell {
            stream: Mutex::new(Box::new(stream)),
            keep: Some(obj.arc()),
        }));
        Ok(S_OK)
    })
}

unsafe extern "system" fn set_props(
    this: This,
    count: ULONG,
    values: *mut SPropValue,
    problems: *mut *mut SPropProblemArray,
) -> HRESULT {
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: `problems` is NULL or the caller's out-parameter; `values` holds `count`.
        let (problems, values) =
            unsafe { (out_ptr(problems), super::prop::values_in(count, values)) };
        let found = obj.inner.data.lock().set_props(values?)?;
        if let Some(out) = &problems {
            out.set(marshal::problems_out(alloc(obj), &found)?);
        }
        Ok(S_OK)
    })
}

unsafe extern "system" fn delete_props(
    this: This,
    tags: *mut SPropTagArray,
    problems: *mut *mut SPropProblemArray,
) -> HRESULT {
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: `problems` is NULL or the caller's out-parameter; `tags` a valid array.
        let (problems, tags) = unsafe { (out_ptr(problems), marshal::tags_in(tags)) };
        let tags = match tags? {
            Some(t) if !t.is_empty() => t,
            _ => return Err(invalid("DeleteProps needs a non-empty tag array")),
        };
        let found = obj.inner.data.lock().delete_props(&tags)?;
        if let Some(out) = &problems {
            out.set(marshal::problems_out(alloc(obj), &found)?);
        }
        Ok(S_OK)
    })
}

/// Runs a copy of the object's properties into `dest`.
///
/// # Safety
/// As `com::copy_to::run`; `problems` NULL or the caller's out-parameter.
#[allow(clippy::too_many_arguments)]
unsafe fn run_copy(
    obj: &Obj,
    excluded_iids: Vec<IID>,
    select: Select,
    iid: *const IID,
    dest: *mut c_void,
    flags: ULONG,
    progress: *mut c_void,
    problems: *mut *mut SPropProblemArray,
) -> Result<HRESULT> {
    let req = copy_to::Request {
        src: obj.as_ptr(),
        kind: copy_to::Kind::Prop,
        alloc: *alloc(obj),
        unicode: true,
        excluded_iids,
        // SAFETY: `iid` is NULL or a valid IID.
        iid: unsafe { iid.as_ref().copied() },
        dest,
        flags,
        select,
        progress,
    };
    // SAFETY: forwarded from the caller.
    let found = unsafe { copy_to::run(req) }?;
    if problems.is_null() {
        alloc(obj).free(found.cast());
    } else {
        // SAFETY: the caller's out-parameter.
        unsafe { *problems = found };
    }
    Ok(S_OK)
}

#[allow(clippy::too_many_arguments)]
unsafe extern "system" fn copy_to(
    this: This,
    ciid: ULONG,
    rgiid: *const IID,
    exclude: *mut SPropTagArray,
    _ui: usize,
    progress: This,
    iid: *const IID,
    dest: *mut c_void,
    flags: ULONG,
    problems: *mut *mut SPropProblemArray,
) -> HRESULT {
    // SAFETY: `problems` is NULL or the caller's out-parameter.
    unsafe { clear_out(problems) };
    crate::try_slot!(PropDataShell, this, |obj| {
        if ciid != 0 && rgiid.is_null() {
            return Err(invalid("interfaces to exclude, but no array"));
        }
        let excluded_iids = if ciid == 0 {
            Vec::new()
        } else {
            // SAFETY: `rgiid` holds `ciid` IIDs.
            unsafe { std::slice::from_raw_parts(rgiid, ciid as usize) }.to_vec()
        };
        // SAFETY: `exclude` is NULL or the caller's tag array.
        let ids = unsafe { super::prop::id_set(exclude) }?.unwrap_or_default();
        let select = Select::Exclude(ids);
        // SAFETY: forwarded from the caller.
        unsafe {
            run_copy(
                obj,
                excluded_iids,
                select,
                iid,
                dest,
                flags,
                progress,
                problems,
            )
        }
    })
}

#[allow(clippy::too_many_arguments)]
unsafe extern "system" fn copy_props(
    this: This,
    include: *mut SPropTagArray,
    _ui: usize,
    progress: This,
    iid: *const IID,
    dest: *mut c_void,
    flags: ULONG,
    problems: *mut *mut SPropProblemArray,
) -> HRESULT {
    // SAFETY: `problems` is NULL or the caller's out-parameter.
    unsafe { clear_out(problems) };
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: `include` is NULL or the caller's tag array.
        let ids = unsafe { super::prop::id_set(include) }?
            .ok_or_else(|| invalid("CopyProps needs a property list"))?;
        let select = Select::Include(ids);
        // SAFETY: forwarded from the caller.
        unsafe {
            run_copy(
                obj,
                Vec::new(),
                select,
                iid,
                dest,
                flags,
                progress,
                problems,
            )
        }
    })
}

unsafe extern "system" fn get_names_from_ids(
    this: This,
    tags: *mut *mut SPropTagArray,
    guid: *mut GUID,
    flags: ULONG,
    count: *mut ULONG,
    names: *mut *mut *mut MAPINAMEID,
) -> HRESULT {
    // SAFETY: out-parameters are NULL or the caller's.
    let count = unsafe { OutParam::new(count) };
    if let Some(count) = &count {
        count.set(0);
    }
    // SAFETY: as above.
    unsafe { clear_out(names) };
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: `tags` is NULL or the caller's in/out tag-array pointer.
        let (Some(tags), Some(count)) = (unsafe { tags.as_mut() }, count) else {
            return Err(invalid("NULL tag-array pointer or count"));
        };
        // SAFETY: `names` is NULL or the caller's out-parameter.
        let names = unsafe { out_ptr(names) }.ok_or_else(|| invalid("NULL names out-parameter"))?;
        unknown_flags(flags, MAPI_NO_IDS | MAPI_NO_STRINGS)?;
        // SAFETY: `*tags` is NULL or the caller's tag array.
        match unsafe { marshal::tags_in(*tags) }? {
            Some(wanted) => {
                if wanted.is_empty() {
                    return Err(invalid("an empty tag array"));
                }
                let (found, missing) = obj.inner.data.lock().names().names_from_tags(&wanted);
                names.set(crate::com::mapinameid::names_out(alloc(obj), &found)?);
                count.set(found.len() as ULONG);
                Ok(if missing {
                    MAPI_W_ERRORS_RETURNED
                } else {
                    S_OK
                })
            }
            None => {
                let filter = NameFilter {
                    no_ids: flags & MAPI_NO_IDS != 0,
                    no_strings: flags & MAPI_NO_STRINGS != 0,
                    // SAFETY: `guid` is NULL or the caller's GUID.
                    guid: unsafe { guid.as_ref() }.map(|g| g.to_bytes()),
                };
                let all = obj.inner.data.lock().names().enumerate(&filter);
                let (new_tags, new_names) =
                    crate::com::mapinameid::enumerated_out(alloc(obj), &all)?;
                *tags = new_tags;
                names.set(new_names);
                count.set(all.len() as ULONG);
                Ok(S_OK)
            }
        }
    })
}

unsafe extern "system" fn get_ids_from_names(
    this: This,
    count: ULONG,
    names: *mut *mut MAPINAMEID,
    flags: ULONG,
    tags: *mut *mut SPropTagArray,
) -> HRESULT {
    // SAFETY: `tags` is NULL or the caller's out-parameter.
    unsafe { clear_out(tags) };
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: as above.
        let out = unsafe { out_ptr(tags) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        unknown_flags(flags, MAPI_CREATE)?;
        if names.is_null() {
            if count != 0 || flags & MAPI_CREATE != 0 {
                return Err(invalid("no names given, but a count or MAPI_CREATE"));
            }
            let all = obj.inner.data.lock().names().all_tags();
            out.set(marshal::tags_out(alloc(obj), &all)?);
            return Ok(S_OK);
        }
        // SAFETY: `names` holds `count` entries, per the contract.
        let wanted = unsafe { crate::com::mapinameid::names_in(count, names) }?;
        let create = flags & MAPI_CREATE != 0;
        let ids = {
            let mut data = obj.inner.data.lock();
            data.names_for(create, &wanted)?
                .ids_from_names(&wanted, create)?
        };
        out.set(marshal::tags_out(alloc(obj), &ids.tags)?);
        Ok(if ids.errors {
            MAPI_W_ERRORS_RETURNED
        } else {
            S_OK
        })
    })
}

// ===== IPropData =====

unsafe extern "system" fn set_obj_access(this: This, access: ULONG) -> HRESULT {
    crate::try_slot!(PropDataShell, this, |obj| {
        obj.inner.data.lock().set_obj_access(access)?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn set_prop_access(
    this: This,
    tags: *mut SPropTagArray,
    access: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: `tags` is NULL or the caller's tag array.
        let tags = unsafe { marshal::tags_in(tags) }?
            .ok_or_else(|| invalid("HrSetPropAccess: NULL tag array"))?;
        if access.is_null() && !tags.is_empty() {
            return Err(invalid("HrSetPropAccess: NULL access array"));
        }
        let access = if tags.is_empty() {
            Vec::new()
        } else {
            // SAFETY: the caller's array holds one ULONG per tag.
            unsafe { std::slice::from_raw_parts(access, tags.len()) }.to_vec()
        };
        obj.inner.data.lock().set_prop_access(&tags, &access)?;
        Ok(S_OK)
    })
}

/// `*lppPropTagArray` NULL: every property (deleted ones with 0) and a new tag array is
/// returned; else the access of the caller's tags. The access array is one
/// `lpAllocateBuffer` block.
unsafe extern "system" fn get_prop_access(
    this: This,
    tags: *mut *mut SPropTagArray,
    access: *mut *mut ULONG,
) -> HRESULT {
    // SAFETY: `access` is NULL or the caller's out-parameter.
    unsafe { clear_out(access) };
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: `tags` is NULL or the caller's in/out pointer.
        let Some(tags) = (unsafe { tags.as_mut() }) else {
            return Err(invalid("HrGetPropAccess: NULL tag-array pointer"));
        };
        // SAFETY: as above.
        let out = unsafe { out_ptr(access) }
            .ok_or_else(|| invalid("HrGetPropAccess: NULL access out-parameter"))?;
        // SAFETY: `*tags` is NULL or the caller's tag array.
        let wanted = unsafe { marshal::tags_in(*tags) }?;
        let (listed, levels) = obj.inner.data.lock().get_prop_access(wanted.as_deref());
        let alloc = alloc(obj);
        let levels = ulongs_out(alloc, &levels)?;
        if wanted.is_none() {
            match marshal::tags_out(alloc, &listed) {
                Ok(p) => *tags = p,
                Err(e) => {
                    alloc.free(levels.cast());
                    return Err(e);
                }
            }
        }
        out.set(levels);
        Ok(S_OK)
    })
}

unsafe extern "system" fn add_obj_props(
    this: This,
    tags: *mut SPropTagArray,
    problems: *mut *mut SPropProblemArray,
) -> HRESULT {
    // SAFETY: `problems` is NULL or the caller's out-parameter.
    unsafe { clear_out(problems) };
    crate::try_slot!(PropDataShell, this, |obj| {
        // SAFETY: `tags` is NULL or the caller's tag array.
        let tags = unsafe { marshal::tags_in(tags) }?
            .ok_or_else(|| invalid("HrAddObjProps: NULL tag array"))?;
        let found = obj.inner.data.lock().add_obj_props(&tags)?;
        if !problems.is_null() {
            // SAFETY: checked non-NULL; the caller's out-parameter.
            unsafe { *problems = marshal::problems_out(alloc(obj), &found)? };
        }
        Ok(S_OK)
    })
}
