//! `CreateIProp` and the `IPropData` slots: `IMAPIProp` (3–13) over an in-memory property
//! bag (`model::propdata`; slots 5–13 are `capi::prop`'s, through [`PropObject`]), then `HrSetObjAccess`, `HrSetPropAccess`, `HrGetPropAccess`
//! and `HrAddObjProps` (14–17). The object is not transacted: `SaveChanges` has nothing to
//! do. `CopyTo`/`CopyProps` run the copy engine (`com::copy_to`) through the vtables, so
//! the destination may be any `IMAPIProp`, ours or the caller's.

use std::ffi::c_void;
use std::sync::Arc;

use parking_lot::Mutex;

use super::prop::{self, PropObject};
use super::{clear_out, invalid, out_ptr, unknown_flags};
use crate::com::copy_to;
use crate::com::guids::*;
use crate::com::mapimem::Allocators;
use crate::com::marshal;
use crate::com::object::{self, Class, ComObject, guard};
use crate::com::propdata::{PropDataShell, ulongs_out};
use crate::com::types::*;
use crate::com::vtbl::{IPropData, IPropDataVtbl, This};
use crate::consts::*;
use crate::error::Result;
use crate::model::message::PropOut;
use crate::model::name_map::{IdsFromNames, NameFilter};
use crate::model::propdata::PropData;
use crate::model::propdata_stream::PropDataStream;
use crate::model::props::Problem;
use crate::storage::Stream;
use crate::types::prop_name::Name;
use crate::types::prop_value::PropValue;

static PROPDATA_VTBL: IPropDataVtbl = IPropDataVtbl {
    QueryInterface: object::query_interface::<PropDataShell>,
    AddRef: object::add_ref::<PropDataShell>,
    Release: object::release::<PropDataShell>,
    GetLastError: get_last_error,
    SaveChanges: save_changes,
    GetProps: prop::get_props::<PropDataShell>,
    GetPropList: prop::get_prop_list::<PropDataShell>,
    OpenProperty: prop::open_property::<PropDataShell>,
    SetProps: prop::set_props::<PropDataShell>,
    DeleteProps: prop::delete_props::<PropDataShell>,
    CopyTo: prop::copy_to::<PropDataShell>,
    CopyProps: prop::copy_props::<PropDataShell>,
    GetNamesFromIDs: prop::get_names_from_ids::<PropDataShell>,
    GetIDsFromNames: prop::get_ids_from_names::<PropDataShell>,
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

impl PropObject for PropDataShell {
    fn alloc(&self) -> &Allocators {
        &self.alloc
    }
    /// Only streams open on an IPropData (the default `open_special` and `open_flags`).
    fn open_stream(
        obj: &ComObject<Self>,
        tag: ULONG,
        modify: bool,
        create: bool,
    ) -> Result<Box<dyn Stream>> {
        let stream = PropDataStream::open(obj.inner.data.clone(), tag, modify, create)?;
        Ok(Box::new(stream))
    }
    fn get_props(&self, tags: Option<&[u32]>, unicode: bool) -> Result<Vec<PropOut>> {
        Ok(self.data.lock().get_props(tags, unicode))
    }
    fn get_prop_list(&self, unicode: bool) -> Result<Vec<u32>> {
        Ok(self.data.lock().get_prop_list(unicode))
    }
    fn set_props(&self, values: Vec<(u32, PropValue)>) -> Result<Vec<Problem>> {
        self.data.lock().set_props(values)
    }
    fn delete_props(&self, tags: &[u32]) -> Result<Vec<Problem>> {
        self.data.lock().delete_props(tags)
    }
    fn names_from_tags(&self, tags: &[u32]) -> Result<(Vec<Option<Name>>, bool)> {
        Ok(self.data.lock().names().names_from_tags(tags))
    }
    fn enumerate_names(&self, filter: &NameFilter) -> Result<Vec<(u32, Name)>> {
        Ok(self.data.lock().names().enumerate(filter))
    }
    fn all_name_tags(&self) -> Result<Vec<u32>> {
        Ok(self.data.lock().names().all_tags())
    }
    fn ids_from_names(&self, names: &[Option<Name>], create: bool) -> Result<IdsFromNames> {
        self.data
            .lock()
            .names_for(create, names)?
            .ids_from_names(names, create)
    }
    fn copy_source(&self) -> (copy_to::Kind, bool) {
        (copy_to::Kind::Prop, true)
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
