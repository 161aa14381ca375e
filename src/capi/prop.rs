//! The `IMAPIProp` slots (3–13), shared by messages and attachments.

use std::ffi::c_void;
use std::sync::Arc;

use super::{OutParam, clear_out, invalid, out_ptr, unknown_flags};
use crate::com::copy_to::{self, Select};
use crate::com::guids::*;
use crate::com::mapimem::Allocators;
use crate::com::marshal;
use crate::com::object::{Class, ComObject};
use crate::com::shells::StreamShell;
use crate::com::types::*;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::message::{MsgFile, NodeId, PropOut};
use crate::model::names::NameFilter;
use crate::model::prop::{PropValue, prop_type, tags::PR_ATTACH_DATA_OBJ};
use crate::model::propstream::PropertyStream;
use crate::storage::Stream;

/// An object with properties in a message file.
pub trait PropObject: Class {
    fn file(&self) -> &Arc<MsgFile>;
    fn node(&self) -> NodeId;
    fn alloc(&self) -> &Allocators;
    /// `SaveChanges`: the object's changes go into its file (a message's top level commits).
    fn save(&self, _flags: ULONG) -> Result<()> {
        self.file().save(self.node())
    }
    /// `OpenProperty` targets particular to this kind of object (tables, embedded
    /// messages); `None` when the request is not one of them.
    fn open_special(
        obj: &ComObject<Self>,
        tag: ULONG,
        iid: &IID,
        options: ULONG,
        flags: ULONG,
    ) -> Option<Result<*mut c_void>>;
}

/// A vtable whose first fourteen slots are `IMAPIProp`'s, served by this module for
/// `$shell`, followed by the interface's own slots.
#[macro_export]
macro_rules! mapi_prop_vtbl {
    ($vtbl:ident, $shell:ty { $($slot:ident: $f:expr),* $(,)? }) => {
        $vtbl {
            QueryInterface: $crate::com::object::query_interface::<$shell>,
            AddRef: $crate::com::object::add_ref::<$shell>,
            Release: $crate::com::object::release::<$shell>,
            GetLastError: $crate::capi::prop::get_last_error::<$shell>,
            SaveChanges: $crate::capi::prop::save_changes::<$shell>,
            GetProps: $crate::capi::prop::get_props::<$shell>,
            GetPropList: $crate::capi::prop::get_prop_list::<$shell>,
            OpenProperty: $crate::capi::prop::open_property::<$shell>,
            SetProps: $crate::capi::prop::set_props::<$shell>,
            DeleteProps: $crate::capi::prop::delete_props::<$shell>,
            CopyTo: $crate::capi::prop::copy_to::<$shell>,
            CopyProps: $crate::capi::prop::copy_props::<$shell>,
            GetNamesFromIDs: $crate::capi::prop::get_names_from_ids::<$shell>,
            GetIDsFromNames: $crate::capi::prop::get_ids_from_names::<$shell>,
            $($slot: $f),*
        }
    };
}

// ===== slots =====

pub unsafe extern "system" fn get_last_error<T: PropObject>(
    this: *mut c_void,
    hr: HRESULT,
    flags: ULONG,
    lpp: *mut *mut MAPIERROR,
) -> HRESULT {
    crate::slot!(T, this, |obj| {
        // SAFETY: `lpp` is the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) };
        let Some(out) = &out else {
            return MAPI_E_INVALID_PARAMETER;
        };
        if flags & !MAPI_UNICODE != 0 {
            return MAPI_E_UNKNOWN_FLAGS;
        }
        let text = obj
            .last_error(hr)
            .unwrap_or_else(|| crate::com::scode::scode_name(hr));
        match marshal::mapierror_out(obj.inner.alloc(), &text, flags & MAPI_UNICODE != 0) {
            Ok(p) => {
                out.set(p);
                S_OK
            }
            Err(e) => obj.fail(&e),
        }
    })
}

pub unsafe extern "system" fn save_changes<T: PropObject>(
    this: *mut c_void,
    flags: ULONG,
) -> HRESULT {
    crate::try_slot!(T, this, |obj| {
        let allowed = KEEP_OPEN_READONLY
            | KEEP_OPEN_READWRITE
            | FORCE_SAVE
            | MAPI_DEFERRED_ERRORS
            | SPAMFILTER_ONSAVE
            | ITEMPROC_FORCE
            | NON_EMS_XP_SAVE;
        unknown_flags(flags, allowed)?;
        if flags & KEEP_OPEN_READONLY != 0 && flags & KEEP_OPEN_READWRITE != 0 {
            return Err(invalid(
                "KEEP_OPEN_READONLY and KEEP_OPEN_READWRITE together",
            ));
        }
        obj.inner.save(flags)?;
        Ok(S_OK)
    })
}

pub unsafe extern "system" fn get_props<T: PropObject>(
    this: *mut c_void,
    tags: *mut SPropTagArray,
    flags: ULONG,
    count: *mut ULONG,
    props: *mut *mut SPropValue,
) -> HRESULT {
    crate::try_slot!(T, this, |obj| {
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
        let m = &obj.inner;
        let values = m
            .file()
            .get_props(m.node(), tags.as_deref(), flags & MAPI_UNICODE != 0)?;
        let warn = values.iter().any(|v| matches!(v, PropOut::Error(..)));
        props.set(marshal::props_out(m.alloc(), &values)?);
        count.set(values.len() as ULONG);
        Ok(if warn { MAPI_W_ERRORS_RETURNED } else { S_OK })
    })
}

pub unsafe extern "system" fn get_prop_list<T: PropObject>(
    this: *mut c_void,
    flags: ULONG,
    lpp: *mut *mut SPropTagArray,
) -> HRESULT {
    crate::try_slot!(T, this, |obj| {
        // SAFETY: `lpp` is the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) };
        let out = out.as_ref().ok_or_else(|| invalid("NULL out-parameter"))?;
        unknown_flags(flags, MAPI_UNICODE)?;
        let m = &obj.inner;
        let tags = m
            .file()
            .get_prop_list(m.node(), flags & MAPI_UNICODE != 0)?;
        out.set(marshal::tags_out(m.alloc(), &tags)?);
        Ok(S_OK)
    })
}

pub unsafe extern "system" fn open_property<T: PropObject>(
    this: *mut c_void,
    tag: ULONG,
    iid: *const IID,
    options: ULONG,
    flags: ULONG,
    lpp: *mut *mut c_void,
) -> HRESULT {
    crate::try_slot!(T, this, |obj| {
        // SAFETY: `lpp` is the caller's out-parameter; `iid` is NULL or a valid IID.
        let (out, iid) = unsafe { (out_ptr(lpp), iid.as_ref().copied()) };
        let (Some(out), Some(iid)) = (&out, iid) else {
            return Err(invalid("NULL interface id or out-parameter"));
        };
        // MAPI_UNICODE: the string width of a new embedded message (model::message).
        let unicode = if tag == PR_ATTACH_DATA_OBJ && iid == IID_IMessage {
            MAPI_UNICODE
        } else {
            0
        };
        unknown_flags(
            flags,
            MAPI_MODIFY
                | MAPI_CREATE
                | MAPI_DEFERRED_ERRORS
                | STREAM_APPEND
                | MAPI_BEST_ACCESS
                | unicode,
        )?;
        if prop_type(tag) == PT_UNSPECIFIED {
            return Err(invalid("OpenProperty needs a property type in the tag"));
        }
        if let Some(r) = T::open_special(obj, tag, &iid, options, flags) {
            out.set(r?);
            return Ok(S_OK);
        }
        if iid != IID_IStream && iid != IID_ISequentialStream {
            return Err(Error::new(
                ErrorKind::InterfaceNotSupported,
                format!("property 0x{tag:08X} cannot be opened with that interface"),
            ));
        }
        let create = flags & MAPI_CREATE != 0;
        let modify = create || flags & MAPI_MODIFY != 0 || options & 3 != STGM_READ;
        let m = &obj.inner;
        let mut stream = PropertyStream::open(m.file().clone(), m.node(), tag, modify, create)?;
        if flags & STREAM_APPEND != 0 {
            stream.seek(std::io::SeekFrom::End(0))?;
        }
        out.set(ComObject::into_raw(StreamShell {
            stream: parking_lot::Mutex::new(Box::new(stream)),
            keep: Some(obj.arc()),
        }));
        Ok(S_OK)
    })
}

/// Reads a caller's property-value array, rejecting what SetProps refuses outright.
///
/// # Safety
/// `values` must point to `count` valid `SPropValue`s.
unsafe fn values_in(count: ULONG, values: *const SPropValue) -> Result<Vec<(u32, PropValue)>> {
    if count == 0 || values.is_null() {
        return Err(invalid("SetProps needs at least one value"));
    }
    // SAFETY: forwarded from the caller.
    let values = unsafe { std::slice::from_raw_parts(values, count as usize) };
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        let ty = prop_type(v.ulPropTag);
        if ty == PT_OBJECT {
            return Err(invalid("PT_OBJECT properties cannot be set"));
        }
        if v.ulPropTag == PR_NULL || ty == PT_ERROR {
            out.push((v.ulPropTag, PropValue::Null));
            continue;
        }
        // SAFETY: forwarded from the caller.
        let value = unsafe { marshal::value_in(v) };
        match value {
            Ok(value) => {
                if value.mv_count() == Some(0) {
                    return Err(invalid("a multi-valued property needs at least one value"));
                }
                out.push((v.ulPropTag, value));
            }
            // A type we do not know becomes a problem entry, not a failed call.
            Err(e) if e.kind == ErrorKind::InvalidType => out.push((v.ulPropTag, PropValue::Null)),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

pub unsafe extern "system" fn set_props<T: PropObject>(
    this: *mut c_void,
    count: ULONG,
    values: *mut SPropValue,
    problems: *mut *mut SPropProblemArray,
) -> HRESULT {
    crate::try_slot!(T, this, |obj| {
        // SAFETY: `problems` is NULL or the caller's out-parameter; `values` holds `count` values.
        let (problems, values) = unsafe { (out_ptr(problems), values_in(count, values)) };
        let m = &obj.inner;
        let found = m.file().set_props(m.node(), values?)?;
        if let Some(out) = &problems {
            out.set(marshal::problems_out(m.alloc(), &found)?);
        }
        Ok(S_OK)
    })
}

pub unsafe extern "system" fn delete_props<T: PropObject>(
    this: *mut c_void,
    tags: *mut SPropTagArray,
    problems: *mut *mut SPropProblemArray,
) -> HRESULT {
    crate::try_slot!(T, this, |obj| {
        // SAFETY: `problems` is NULL or the caller's out-parameter; `tags` is a valid array.
        let (problems, tags) = unsafe { (out_ptr(problems), marshal::tags_in(tags)) };
        let tags = match tags? {
            Some(t) if !t.is_empty() => t,
            _ => return Err(invalid("DeleteProps needs a non-empty tag array")),
        };
        let m = &obj.inner;
        let found = m.file().delete_props(m.node(), &tags)?;
        if let Some(out) = &problems {
            out.set(marshal::problems_out(m.alloc(), &found)?);
        }
        Ok(S_OK)
    })
}

/// The arguments `CopyTo` and `CopyProps` share: `lpInterface`, `lpDestObj`, `ulFlags`,
/// `lpProgress`.
struct Target(*const IID, *mut c_void, ULONG, *mut c_void);

/// Runs a `CopyTo`/`CopyProps` of `obj`, writing the problem array on success.
///
/// # Safety
/// The IID NULL or valid; the destination NULL or a live COM object; the progress object
/// NULL or a live `IMAPIProgress`; `problems` NULL or the caller's out-parameter.
unsafe fn run_copy<T: PropObject>(
    obj: &ComObject<T>,
    excluded_iids: Vec<IID>,
    select: Select,
    to: Target,
    problems: *mut *mut SPropProblemArray,
) -> Result<HRESULT> {
    let m = &obj.inner;
    let Target(iid, dest, flags, progress) = to;
    let req = copy_to::Request {
        src: obj.as_ptr(),
        kind: if T::IIDS.contains(&IID_IMessage) {
            copy_to::Kind::Message
        } else {
            copy_to::Kind::Attachment
        },
        alloc: *m.alloc(),
        unicode: m.file().is_unicode(m.node()),
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
        m.alloc().free(found.cast());
    } else {
        // SAFETY: `problems` is the caller's out-parameter.
        unsafe { *problems = found };
    }
    Ok(S_OK)
}

/// The property ids of a caller's exclude or include list (`PR_NULL` is refused).
///
/// # Safety
/// `tags` is NULL or a valid tag array.
unsafe fn id_set(tags: *mut SPropTagArray) -> Result<Option<std::collections::HashSet<u16>>> {
    // SAFETY: forwarded from the caller.
    let Some(tags) = (unsafe { marshal::tags_in(tags) })? else {
        return Ok(None);
    };
    if tags.is_empty() || tags.contains(&PR_NULL) {
        return Err(invalid("an empty property list, or PR_NULL in it"));
    }
    Ok(Some(
        tags.iter()
            .map(|&t| crate::model::prop::prop_id(t))
            .collect(),
    ))
}

#[allow(clippy::too_many_arguments)]
pub unsafe extern "system" fn copy_to<T: PropObject>(
    this: *mut c_void,
    ciid: ULONG,
    rgiid: *const IID,
    exclude: *mut SPropTagArray,
    _ui: usize,
    progress: *mut c_void,
    iid: *const IID,
    dest: *mut c_void,
    flags: ULONG,
    problems: *mut *mut SPropProblemArray,
) -> HRESULT {
    // SAFETY: `problems` is NULL or the caller's out-parameter.
    unsafe { clear_out(problems) };
    crate::try_slot!(T, this, |obj| {
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
        let ids = unsafe { id_set(exclude) }?.unwrap_or_default();
        let to = Target(iid, dest, flags, progress);
        // SAFETY: forwarded from the caller.
        unsafe { run_copy(obj, excluded_iids, Select::Exclude(ids), to, problems) }
    })
}

#[allow(clippy::too_many_arguments)]
pub unsafe extern "system" fn copy_props<T: PropObject>(
    this: *mut c_void,
    include: *mut SPropTagArray,
    _ui: usize,
    progress: *mut c_void,
    iid: *const IID,
    dest: *mut c_void,
    flags: ULONG,
    problems: *mut *mut SPropProblemArray,
) -> HRESULT {
    // SAFETY: `problems` is NULL or the caller's out-parameter.
    unsafe { clear_out(problems) };
    crate::try_slot!(T, this, |obj| {
        // SAFETY: `include` is NULL or the caller's tag array.
        let ids = unsafe { id_set(include) }?
            .ok_or_else(|| invalid("CopyProps needs a property list"))?;
        let to = Target(iid, dest, flags, progress);
        // SAFETY: forwarded from the caller.
        unsafe { run_copy(obj, Vec::new(), Select::Include(ids), to, problems) }
    })
}

/// Both forms: names for the caller's tags (`*tags` non-NULL), or every name passing the
/// flags and the property-set filter, with a new tag array written to `*tags`.
pub unsafe extern "system" fn get_names_from_ids<T: PropObject>(
    this: *mut c_void,
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
    crate::try_slot!(T, this, |obj| {
        // SAFETY: `tags` is NULL or the caller's in/out tag-array pointer.
        let (Some(tags), Some(count)) = (unsafe { tags.as_mut() }, count) else {
            return Err(invalid("NULL tag-array pointer or count"));
        };
        // SAFETY: `names` was checked non-NULL by `out_ptr`.
        let names = unsafe { out_ptr(names) }.ok_or_else(|| invalid("NULL names out-parameter"))?;
        unknown_flags(flags, MAPI_NO_IDS | MAPI_NO_STRINGS)?;
        let (file, node, alloc) = (obj.inner.file(), obj.inner.node(), obj.inner.alloc());
        // SAFETY: `*tags` is NULL or the caller's tag array.
        match unsafe { marshal::tags_in(*tags) }? {
            Some(wanted) => {
                if wanted.is_empty() {
                    return Err(invalid("an empty tag array"));
                }
                let (found, missing) = file.names_from_tags(node, &wanted)?;
                names.set(crate::com::names::names_out(alloc, &found)?);
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
                let all = file.enumerate_names(node, &filter)?;
                let (new_tags, new_names) = crate::com::names::enumerated_out(alloc, &all)?;
                *tags = new_tags;
                names.set(new_names);
                count.set(all.len() as ULONG);
                Ok(S_OK)
            }
        }
    })
}

/// Tags (`PT_UNSPECIFIED`) for names, creating them with `MAPI_CREATE`; with no names,
/// the tags of every named property.
pub unsafe extern "system" fn get_ids_from_names<T: PropObject>(
    this: *mut c_void,
    count: ULONG,
    names: *mut *mut MAPINAMEID,
    flags: ULONG,
    tags: *mut *mut SPropTagArray,
) -> HRESULT {
    // SAFETY: `tags` is NULL or the caller's out-parameter.
    unsafe { clear_out(tags) };
    crate::try_slot!(T, this, |obj| {
        // SAFETY: as above.
        let out = unsafe { out_ptr(tags) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        unknown_flags(flags, MAPI_CREATE)?;
        let (file, node, alloc) = (obj.inner.file(), obj.inner.node(), obj.inner.alloc());
        if names.is_null() {
            if count != 0 || flags & MAPI_CREATE != 0 {
                return Err(invalid("no names given, but a count or MAPI_CREATE"));
            }
            out.set(marshal::tags_out(alloc, &file.all_name_tags(node)?)?);
            return Ok(S_OK);
        }
        // SAFETY: `names` holds `count` entries, per the contract.
        let wanted = unsafe { crate::com::names::names_in(count, names) }?;
        let ids = file.ids_from_names(node, &wanted, flags & MAPI_CREATE != 0)?;
        out.set(marshal::tags_out(alloc, &ids.tags)?);
        Ok(if ids.errors {
            MAPI_W_ERRORS_RETURNED
        } else {
            S_OK
        })
    })
}
