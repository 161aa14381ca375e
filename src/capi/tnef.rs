//! TNEF: `OpenTnefStream`, `OpenTnefStreamEx`, `GetTnefStreamCodepage` and the `ITnef`
//! slots (`spec/bodies-and-tnef.md` §5). The work is `com::tnef`'s; here the arguments are
//! checked and translated.

use std::ffi::{c_char, c_void};

use super::textutil::WORD;
use super::{OutParam, invalid, out_ptr};
use crate::com::foreign::ComRef;
use crate::com::guids::*;
use crate::com::marshal;
use crate::com::object::{ComObject, guard};
use crate::com::rtf_stream::RtfStreamShell;
use crate::com::scode::scode_of;
use crate::com::tnef::TnefEngine;
use crate::com::tnef_problems::{STnefProblem, STnefProblemArray, problems_out};
use crate::com::types::*;
use crate::com::vtbl::{IMAPITable, IMessage, IStream, ITnef, ITnefVtbl, This};
use crate::consts::*;
use crate::error::{ErrorKind, Result};
use crate::types::prop_value::PropValue;

/// `LPADRBOOK`: the address book `OpenTnefStreamEx` takes (held, never called).
pub type IAddrBook = c_void;

com_class! {
    /// An `ITnef`.
    pub struct TnefShell { pub engine: TnefEngine }
    ITnefVtbl, iids [IID_ITNEF],
    slots {
        AddProps: add_props,
        ExtractProps: extract_props,
        Finish: finish,
        OpenTaggedBody: open_tagged_body,
        SetProps: set_props,
        EncodeRecips: encode_recips,
        FinishComponent: finish_component,
    }
}

/// The stream name: NULL or empty is allowed (decoding needs none).
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string.
unsafe fn name_in(p: *const c_char) -> Result<String> {
    if p.is_null() {
        return Ok(String::new());
    }
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { marshal::string8_in(p) }?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// # Safety
/// As [`OpenTnefStreamEx`].
#[allow(clippy::too_many_arguments)]
unsafe fn open(
    support: *mut c_void,
    stream: *mut IStream,
    name: *const c_char,
    flags: ULONG,
    message: *mut IMessage,
    key: WORD,
    address_book: *mut IAddrBook,
    out: *mut *mut ITnef,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        let r = (|| -> Result<HRESULT> {
            // SAFETY: the caller's out-parameter.
            let out = unsafe { out_ptr(out) }.ok_or_else(|| invalid("NULL out-parameter"))?;
            // SAFETY: NULL or the caller's string.
            let name = unsafe { name_in(name) }?;
            // SAFETY: NULL or live objects of the interfaces named.
            let engine = unsafe {
                TnefEngine::open(
                    support,
                    stream.cast(),
                    name,
                    flags,
                    message.cast(),
                    key,
                    address_book,
                )
            }?;
            out.set(ComObject::into_raw(TnefShell { engine }).cast());
            Ok(S_OK)
        })();
        r.unwrap_or_else(|e| scode_of(e.kind))
    })
}

/// Opens an `ITnef` over `lpStream` for `lpMessage`: `TNEF_DECODE` (0) reads a TNEF stream
/// into the message (`ExtractProps`), `TNEF_ENCODE` writes the message as TNEF
/// (`AddProps`, `SetProps`, `EncodeRecips`, then `Finish`), in best-data mode unless
/// `TNEF_PURE` or `TNEF_COMPATIBILITY`; `TNEF_COMPONENT_ENCODING` allows
/// `FinishComponent`. `wKeyVal` (nonzero to encode) is written after the signature;
/// `lpszStreamName` (no `[`, `]`, `:`; shorter than MAX_PATH) names the stream in tagged
/// bodies. `lpvSupport` may be NULL: it is held, not used. The object AddRefs the stream,
/// the message and the support object and releases them with its last `Release`.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn OpenTnefStream(
    lpvSupport: *mut c_void,
    lpStream: *mut IStream,
    lpszStreamName: *mut c_char,
    ulFlags: ULONG,
    lpMessage: *mut IMessage,
    wKeyVal: WORD,
    lppTNEF: *mut *mut ITnef,
) -> HRESULT {
    // SAFETY: forwarded from the caller.
    unsafe {
        open(
            lpvSupport,
            lpStream,
            lpszStreamName,
            ulFlags,
            lpMessage,
            wKeyVal,
            std::ptr::null_mut(),
            lppTNEF,
        )
    }
}

/// [`OpenTnefStream`] with an address book, which may be NULL: there is no address book
/// here, so recipients' entry ids are written and read as the message holds them, never
/// resolved (the object only holds the given one for its life).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "system" fn OpenTnefStreamEx(
    lpvSupport: *mut c_void,
    lpStream: *mut IStream,
    lpszStreamName: *mut c_char,
    ulFlags: ULONG,
    lpMessage: *mut IMessage,
    wKeyVal: WORD,
    lpAddressBook: *mut IAddrBook,
    lppTNEF: *mut *mut ITnef,
) -> HRESULT {
    // SAFETY: forwarded from the caller.
    unsafe {
        open(
            lpvSupport,
            lpStream,
            lpszStreamName,
            ulFlags,
            lpMessage,
            wKeyVal,
            lpAddressBook,
            lppTNEF,
        )
    }
}

/// The code pages of a TNEF stream's `attOemCodepage` (437 and 0 when it has none), read
/// from the stream's position, which is put back. `MAPI_E_CORRUPT_DATA`: not TNEF, or an
/// attribute cut short; `MAPI_E_NOT_ENOUGH_DISK`: the stream could not be read.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn GetTnefStreamCodepage(
    lpStream: *mut IStream,
    lpulCodepage: *mut ULONG,
    lpulSubCodepage: *mut ULONG,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: the caller's out-parameters.
        let (cp, sub) = unsafe { (OutParam::new(lpulCodepage), OutParam::new(lpulSubCodepage)) };
        let Some(cp) = cp else {
            return MAPI_E_INVALID_PARAMETER;
        };
        // SAFETY: NULL or the caller's stream.
        let Some(stream) = (unsafe { ComRef::add_ref(lpStream.cast()) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        match crate::com::tnef::stream_codepage(stream) {
            Ok((p, s)) => {
                cp.set(p);
                if let Some(sub) = sub {
                    sub.set(s);
                }
                S_OK
            }
            Err(e) if e.kind == ErrorKind::CorruptData => MAPI_E_CORRUPT_DATA,
            Err(_) => MAPI_E_NOT_ENOUGH_DISK,
        }
    })
}

/// A tag array argument (NULL: none).
///
/// # Safety
/// `p` must be NULL or a valid `SPropTagArray`.
unsafe fn tags(p: *mut SPropTagArray) -> Result<Option<Vec<u32>>> {
    // SAFETY: forwarded from the caller.
    unsafe { marshal::tags_in(p) }
}

/// Values from the caller.
///
/// # Safety
/// `p` must be valid for `n` values (or NULL with `n` 0).
unsafe fn values(n: ULONG, p: *mut SPropValue) -> Result<Vec<(u32, PropValue)>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(invalid("NULL values with a nonzero count"));
    }
    (0..n as usize)
        .map(|i| {
            // SAFETY: the caller's array holds `n` values.
            let v = unsafe { &*p.add(i) };
            // SAFETY: a caller's value.
            Ok((v.ulPropTag, unsafe { marshal::value_in(v) }?))
        })
        .collect()
}

/// Hands out the problems (`MAPI_W_ERRORS_RETURNED` when there are some and the caller
/// asked for them).
fn problems(out: Option<OutParam<*mut c_void>>, found: &[STnefProblem]) -> Result<HRESULT> {
    match out {
        Some(out) if !found.is_empty() => {
            let arr: *mut STnefProblemArray = problems_out(found)?;
            out.set(arr.cast());
            Ok(MAPI_W_ERRORS_RETURNED)
        }
        _ => Ok(S_OK),
    }
}

unsafe extern "system" fn add_props(
    this: This,
    flags: ULONG,
    elem: ULONG,
    data: *mut c_void,
    list: *mut SPropTagArray,
) -> HRESULT {
    crate::try_slot!(TnefShell, this, |obj| {
        // SAFETY: NULL or the caller's tag array.
        let list = unsafe { tags(list) }?;
        // SAFETY: with TNEF_PROP_CONTAINED_TNEF, NULL or the caller's IStream.
        let contained = unsafe { ComRef::add_ref(data) };
        obj.inner.engine.add_props(flags, elem, list, contained)?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn extract_props(
    this: This,
    flags: ULONG,
    list: *mut SPropTagArray,
    lpp: *mut *mut c_void,
) -> HRESULT {
    crate::try_slot!(TnefShell, this, |obj| {
        // SAFETY: NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) };
        // SAFETY: NULL or the caller's tag array.
        let list = unsafe { tags(list) }?;
        let found = obj.inner.engine.extract_props(flags, list)?;
        problems(out, &found)
    })
}

unsafe extern "system" fn finish(
    this: This,
    flags: ULONG,
    key: *mut WORD,
    lpp: *mut *mut c_void,
) -> HRESULT {
    crate::try_slot!(TnefShell, this, |obj| {
        // SAFETY: NULL or the caller's out-parameters.
        let (out, key) = unsafe { (out_ptr(lpp), OutParam::new(key)) };
        let found = obj.inner.engine.finish(flags)?;
        if let Some(key) = key {
            key.set(obj.inner.engine.key());
        }
        problems(out, &found)
    })
}

unsafe extern "system" fn open_tagged_body(
    this: This,
    message: This,
    flags: ULONG,
    lpp: *mut This,
) -> HRESULT {
    crate::try_slot!(TnefShell, this, |obj| {
        // SAFETY: NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        super::unknown_flags(flags, MAPI_CREATE | MAPI_MODIFY)?;
        if flags & MAPI_CREATE != 0 && flags & MAPI_MODIFY == 0 {
            return Err(invalid("MAPI_CREATE needs MAPI_MODIFY"));
        }
        let msg = if message.is_null() {
            obj.inner.engine.message_ptr()
        } else {
            message
        };
        // MAPI_CREATE replaces the body: the stream starts empty.
        let text = if flags & MAPI_CREATE != 0 {
            Vec::new()
        } else {
            // SAFETY: the caller's message, or the one the object holds.
            unsafe { obj.inner.engine.tagged_body(msg) }?
        };
        let stream = if flags & MAPI_MODIFY != 0 {
            // SAFETY: the caller's message, or the one the object holds.
            let on_commit = unsafe { obj.inner.engine.tagged_writer(msg) }?;
            RtfStreamShell::buffer(text, on_commit)
        } else {
            RtfStreamShell::memory(text)
        };
        out.set(ComObject::into_raw(stream));
        Ok(S_OK)
    })
}

unsafe extern "system" fn set_props(
    this: This,
    flags: ULONG,
    elem: ULONG,
    n: ULONG,
    props: *mut SPropValue,
) -> HRESULT {
    crate::try_slot!(TnefShell, this, |obj| {
        // SAFETY: the caller's values.
        let values = unsafe { values(n, props) }?;
        obj.inner.engine.set_props(flags, elem, values)?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn encode_recips(this: This, flags: ULONG, table: This) -> HRESULT {
    crate::try_slot!(TnefShell, this, |obj| {
        let table: *mut IMAPITable = table.cast();
        // SAFETY: NULL or the caller's table.
        unsafe { obj.inner.engine.encode_recips(flags, table.cast()) }?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn finish_component(
    this: This,
    flags: ULONG,
    id: ULONG,
    custom_list: *mut SPropTagArray,
    custom: *mut SPropValue,
    list: *mut SPropTagArray,
    lpp: *mut *mut c_void,
) -> HRESULT {
    crate::try_slot!(TnefShell, this, |obj| {
        // SAFETY: NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) };
        // SAFETY: NULL or the caller's arrays; `custom` holds one value per tag of
        // `custom_list`.
        let (custom_tags, list) = unsafe { (tags(custom_list)?, tags(list)?) };
        let custom = match custom_tags {
            // SAFETY: as above.
            Some(t) => unsafe { values(t.len() as ULONG, custom) }?,
            None => Vec::new(),
        };
        let found = obj.inner.engine.finish_component(flags, id, custom, list)?;
        problems(out, &found)
    })
}
