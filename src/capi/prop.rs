//! The `IMAPIProp` slots (3–13), shared by messages, attachments and `IPropData`
//! (`capi::propdata`, which keeps its own `GetLastError` and `SaveChanges`).

use std::ffi::c_void;
use std::sync::Arc;

use super::stream::StreamShell;
use super::{OutParam, clear_out, invalid, out_ptr, unknown_flags};
use crate::com::copy_to::{self, Select};
use crate::com::guids::*;
use crate::com::mapimem::Allocators;
use crate::com::marshal;
use crate::com::object::{Class, ComObject};
use crate::com::types::*;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::message::{MsgFile, NodeId, PropOut};
use crate::model::name_map::{IdsFromNames, NameFilter};
use crate::model::props::Problem;
use crate::model::propstream::PropertyStream;
use crate::storage::Stream;
use crate::types::prop_name::Name;
use crate::types::prop_value::{PropValue, prop_type, tags::PR_ATTACH_DATA_OBJ};

/// An object with properties in a message file: messages and attachments.
pub trait FileObject: Class {
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

/// What the `IMAPIProp` slots work through: an object in a message file ([`FileObject`])
/// or an `IPropData`'s in-memory bag. Each method calls down to the model.
pub trait PropObject: Class {
    fn alloc(&self) -> &Allocators;
    /// `OpenProperty` targets other than a stream, as [`FileObject::open_special`]; none
    /// unless the object says so.
    fn open_special(
        _obj: &ComObject<Self>,
        _tag: ULONG,
        _iid: &IID,
        _options: ULONG,
        _flags: ULONG,
    ) -> Option<Result<*mut c_void>> {
        None
    }
    /// Flags `OpenProperty` accepts for this tag and interface beyond the common ones.
    fn open_flags(_tag: ULONG, _iid: &IID) -> ULONG {
        0
    }
    /// A stream on property `tag`, for `OpenProperty(IID_IStream)`.
    fn open_stream(
        obj: &ComObject<Self>,
        tag: ULONG,
        modify: bool,
        create: bool,
    ) -> Result<Box<dyn Stream>>;
    fn get_props(&self, tags: Option<&[u32]>, unicode: bool) -> Result<Vec<PropOut>>;
    fn get_prop_list(&self, unicode: bool) -> Result<Vec<u32>>;
    fn set_props(&self, values: Vec<(u32, PropValue)>) -> Result<Vec<Problem>>;
    fn delete_props(&self, tags: &[u32]) -> Result<Vec<Problem>>;
    fn names_from_tags(&self, tags: &[u32]) -> Result<(Vec<Option<Name>>, bool)>;
    fn enumerate_names(&self, filter: &NameFilter) -> Result<Vec<(u32, Name)>>;
    fn all_name_tags(&self) -> Result<Vec<u32>>;
    fn ids_from_names(&self, names: &[Option<Name>], create: bool) -> Result<IdsFromNames>;
    /// The copy engine's view of the source: its kind and whether its strings are Unicode.
    fn copy_source(&self) -> (copy_to::Kind, bool);
}

impl<T: FileObject> PropObject for T {
    fn alloc(&self) -> &Allocators {
        FileObject::alloc(self)
    }
    fn open_special(
        obj: &ComObject<Self>,
        tag: ULONG,
        iid: &IID,
        options: ULONG,
        flags: ULONG,
    ) -> Option<Result<*mut c_void>> {
        <T as FileObject>::open_special(obj, tag, iid, options, flags)
    }
    fn open_flags(tag: ULONG, iid: &IID) -> ULONG {
        // MAPI_UNICODE: the string width of a new embedded message (model::message).
        if tag == PR_ATTACH_DATA_OBJ && *iid == IID_IMessage {
            MAPI_UNICODE
        } else {
            0
        }
    }
    fn open_stream(
        obj: &ComObject<Self>,
        tag: ULONG,
        modify: bool,
        create: bool,
    ) -> Result<Box<dyn Stream>> {
        let m = &obj.inner;
        let stream = PropertyStream::open(m.file().clone(), m.node(), tag, modify, create)?;
        Ok(Box::new(stream))
    }
    fn get_props(&self, tags: Option<&[u32]>, unicode: bool) -> Result<Vec<PropOut>> {
        self.file().get_props(self.node(), tags, unicode)
    }
    fn get_prop_list(&self, unicode: bool) -> Result<Vec<u32>> {
        self.file().get_prop_list(self.node(), unicode)
    }
    fn set_props(&self, values: Vec<(u32, PropValue)>) -> Result<Vec<Problem>> {
        self.file().set_props(self.node(), values)
    }
    fn delete_props(&self, tags: &[u32]) -> Result<Vec<Problem>> {
        self.file().delete_props(self.node(), tags)
    }
    fn names_from_tags(&self, tags: &[u32]) -> Result<(Vec<Option<Name>>, bool)> {
        self.file().names_from_tags(self.node(), tags)
    }
    fn enumerate_names(&self, filter: &NameFilter) -> Result<Vec<(u32, Name)>> {
        self.file().enumerate_names(self.node(), filter)
    }
    fn all_name_tags(&self) -> Result<Vec<u32>> {
        self.file().all_name_tags(self.node())
    }
    fn ids_from_names(&self, names: &[Option<Name>], create: bool) -> Result<IdsFromNames> {
        self.file().ids_from_names(self.node(), names, create)
    }
    fn copy_source(&self) -> (copy_to::Kind, bool) {
        let kind = if T::IIDS.contains(&IID_IMessage) {
            copy_to::Kind::Message
        } else {
            copy_to::Kind::Attachment
        };
        (kind, self.file().is_unicode(self.node()))
    }
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

pub unsafe extern "system" fn save_changes<T: FileObject>(
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
        let values = m.get_props(tags.as_deref(), flags & MAPI_UNICODE != 0)?;
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
        let tags = m.get_prop_list(flags & MAPI_UNICODE != 0)?;
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
        unknown_flags(
            flags,
            MAPI_MODIFY
                | MAPI_CREATE
                | MAPI_DEFERRED_ERRORS
                | STREAM_APPEND
                | MAPI_BEST_ACCESS
                | T::open_flags(tag, &iid),
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
        let mut stream = T::open_stream(obj, tag, modify, create)?;
        if flags & STREAM_APPEND != 0 {
            stream.seek(std::io::SeekFrom::End(0))?;
        }
        out.set(ComObject::into_raw(StreamShell {
            stream: parking_lot::Mutex::new(stream),
            keep: Some(obj.arc()),
        }));
        Ok(S_OK)
    })
}

/// Reads a caller's property-value array, rejecting what SetProps refuses outright.
///
/// # Safety
/// `values` must point to `count` valid `SPropValue`s.
pub(crate) unsafe fn values_in(
    count: ULONG,
    values: *const SPropValue,
) -> Result<Vec<(u32, PropValue)>> {
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
        let found = m.set_props(values?)?;
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
        let found = m.delete_props(&tags)?;
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
    let (kind, unicode) = m.copy_source();
    let req = copy_to::Request {
        src: obj.as_ptr(),
        kind,
        alloc: *m.alloc(),
        unicode,
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
pub(crate) unsafe fn id_set(
    tags: *mut SPropTagArray,
) -> Result<Option<std::collections::HashSet<u16>>> {
    // SAFETY: forwarded from the caller.
    let Some(tags) = (unsafe { marshal::tags_in(tags) })? else {
        return Ok(None);
    };
    if tags.is_empty() || tags.contains(&PR_NULL) {
        return Err(invalid("an empty property list, or PR_NULL in it"));
    }
    Ok(Some(
        tags.iter()
            .map(|&t| crate::types::prop_value::prop_id(t))
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
        let (m, alloc) = (&obj.inner, obj.inner.alloc());
        // SAFETY: `*tags` is NULL or the caller's tag array.
        match unsafe { marshal::tags_in(*tags) }? {
            Some(wanted) => {
                if wanted.is_empty() {
                    return Err(invalid("an empty tag array"));
                }
                let (found, missing) = m.names_from_tags(&wanted)?;
                names.set(crate::com::mapinameid::names_out(alloc, &found)?);
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
                let all = m.enumerate_names(&filter)?;
                let (new_tags, new_names) = crate::com::mapinameid::enumerated_out(alloc, &all)?;
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
        let (m, alloc) = (&obj.inner, obj.inner.alloc());
        if names.is_null() {
            if count != 0 || flags & MAPI_CREATE != 0 {
                return Err(invalid("no names given, but a count or MAPI_CREATE"));
            }
            out.set(marshal::tags_out(alloc, &m.all_name_tags()?)?);
            return Ok(S_OK);
        }
        // SAFETY: `names` holds `count` entries, per the contract.
        let wanted = unsafe { crate::com::mapinameid::names_in(count, names) }?;
        let ids = m.ids_from_names(&wanted, flags & MAPI_CREATE != 0)?;
        out.set(marshal::tags_out(alloc, &ids.tags)?);
        Ok(if ids.errors {
            MAPI_W_ERRORS_RETURNED
        } else {
            S_OK
        })
    })
}
