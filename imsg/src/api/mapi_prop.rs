//! The property interfaces through the C API: `IMAPIProp` (shared by `IMessage` and
//! `IAttach`), then what `IMessage`, `IAttach` and `IMAPITable` add.

use std::ffi::{c_char, c_void};
use std::ptr::null_mut;

use imessage::capi::guid_symbols::{IID_IMessage, IID_IStorage, IID_IStream};
use imessage::capi::rtf::{ImsgGetBestBody, RTFSync, WrapCompressedRTFStream};
use imessage::capi::session::{GetAttribIMsgOnIStg, SetAttribIMsgOnIStg};
use imessage::com::types::{
    GUID, MAPIERROR, MAPINAMEID, MAPINAMEID_KIND, SPropAttrArray, SPropProblemArray, SPropTagArray,
    SPropValue, SRowSet,
};
use imessage::com::vtbl::{IAttachVtbl, IMAPIPropVtbl, IMessageVtbl};
use imessage::consts::*;

use crate::value::{Marshal, PVal, read_value};

use super::*;

// ===== IMAPIProp (IMessage and IAttach) =====

/// Vtables that begin with `IMAPIProp`'s slots.
pub trait PropVtbl {}
impl PropVtbl for IMessageVtbl {}
impl PropVtbl for IAttachVtbl {}

/// A named property's name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PropName {
    pub guid: [u8; 16],
    pub kind: NameKind,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NameKind {
    Id(u32),
    Name(Vec<u16>),
}

/// A tag array laid out as `SPropTagArray` (count, then the tags).
fn tag_array(tags: &[u32]) -> Vec<u32> {
    std::iter::once(tags.len() as u32)
        .chain(tags.iter().copied())
        .collect()
}

/// Copies and frees a tag array the library returned.
///
/// # Safety
/// `p` is NULL or an `SPropTagArray` allocated with `MAPIAllocateBuffer`.
unsafe fn take_tags(p: *mut SPropTagArray) -> Vec<u32> {
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: a valid array holds `cValues` tags after the count.
    let tags = unsafe {
        let n = (*p).cValues as usize;
        std::slice::from_raw_parts((*p).aulPropTag.as_ptr(), n).to_vec()
    };
    mapi_free(p.cast());
    tags
}

/// Copies and frees a problem array: (index, tag, scode) per problem.
///
/// # Safety
/// `p` is NULL or an `SPropProblemArray` allocated with `MAPIAllocateBuffer`.
unsafe fn take_problems(p: *mut SPropProblemArray) -> Vec<(u32, u32, SCODE)> {
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: a valid array holds `cProblem` entries.
    let out = unsafe {
        let n = (*p).cProblem as usize;
        std::slice::from_raw_parts((*p).aProblem.as_ptr(), n)
            .iter()
            .map(|q| (q.ulIndex, q.ulPropTag, q.scode))
            .collect()
    };
    mapi_free(p.cast());
    out
}

impl<V: PropVtbl> Com<V> {
    fn prop(&self) -> &IMAPIPropVtbl {
        // SAFETY: `V` begins with the IMAPIProp slots in the same order and layout
        // (`PropVtbl`), as IMessage and IAttach derive from IMAPIProp in C.
        unsafe { &*((*self.p.as_ptr()).lpVtbl as *const IMAPIPropVtbl) }
    }

    /// Adds the object's `GetLastError` text to a failure.
    fn explain<T>(&self, call: &str, hr: HRESULT) -> Result<T> {
        let mut err: *mut MAPIERROR = null_mut();
        // SAFETY: live object; `err` is writable.
        let got = unsafe { (self.prop().GetLastError)(self.as_ptr(), hr, 0, &mut err) };
        let mut detail = None;
        if got >= 0 && !err.is_null() {
            // SAFETY: without MAPI_UNICODE the text is a terminated 8-bit string (or NULL).
            let text = unsafe { (*err).lpszError } as *const c_char;
            if !text.is_null() {
                // SAFETY: as above.
                let s = unsafe { std::ffi::CStr::from_ptr(text) };
                detail = Some(s.to_string_lossy().into_owned());
            }
            mapi_free(err.cast());
        }
        Err(ApiError {
            call: call.to_string(),
            hr,
            detail,
        })
    }

    fn check_call(&self, call: &str, hr: HRESULT) -> Result<()> {
        if hr < 0 {
            self.explain(call, hr)
        } else {
            Ok(())
        }
    }

    pub fn get_prop_list(&self, flags: ULONG) -> Result<Vec<u32>> {
        let mut p = null_mut();
        // SAFETY: live object, writable out-parameter.
        let hr = unsafe { (self.prop().GetPropList)(self.as_ptr(), flags, &mut p) };
        self.check_call("GetPropList", hr)?;
        // SAFETY: success hands us the array.
        Ok(unsafe { take_tags(p) })
    }

    /// `GetProps` for `tags`: one (tag, value) per tag, errors as `PVal::Error`.
    pub fn get_props(&self, tags: &[u32], flags: ULONG) -> Result<Vec<(u32, PVal)>> {
        if tags.is_empty() {
            return Ok(Vec::new());
        }
        let mut arr = tag_array(tags);
        let mut count = 0;
        let mut values: *mut SPropValue = null_mut();
        // SAFETY: live object; `arr` is a tag array; out-parameters are writable.
        let hr = unsafe {
            (self.prop().GetProps)(
                self.as_ptr(),
                arr.as_mut_ptr().cast(),
                flags,
                &mut count,
                &mut values,
            )
        };
        self.check_call("GetProps", hr)?;
        let mut out = Vec::with_capacity(count as usize);
        if !values.is_null() {
            for i in 0..count as usize {
                // SAFETY: `count` values follow `values`, valid until freed below.
                out.push(unsafe { read_value(&*values.add(i)) });
            }
            mapi_free(values.cast());
        }
        Ok(out)
    }

    /// `GetAttribIMsgOnIStg` for `tags`.
    pub fn get_attribs(&self, tags: &[u32]) -> Result<Vec<u32>> {
        if tags.is_empty() {
            return Ok(Vec::new());
        }
        let mut arr = tag_array(tags);
        let mut p: *mut SPropAttrArray = null_mut();
        // SAFETY: our object; `arr` is a tag array; `p` is writable.
        let hr = unsafe { GetAttribIMsgOnIStg(self.as_ptr(), arr.as_mut_ptr().cast(), &mut p) };
        check("GetAttribIMsgOnIStg", hr)?;
        if p.is_null() {
            return Ok(Vec::new());
        }
        // SAFETY: the result has the layout of a tag array.
        Ok(unsafe { take_tags(p.cast()) })
    }

    /// `SetAttribIMsgOnIStg`; returns the problems (tag, scode).
    pub fn set_attribs(&self, tags: &[u32], attrs: &[u32]) -> Result<Vec<(u32, SCODE)>> {
        if tags.is_empty() {
            return Ok(Vec::new());
        }
        let mut t = tag_array(tags);
        let mut a = tag_array(attrs);
        let mut problems = null_mut();
        // SAFETY: our object; both arrays have `tags.len()` entries; `problems` is writable.
        let hr = unsafe {
            SetAttribIMsgOnIStg(
                self.as_ptr(),
                t.as_mut_ptr().cast(),
                a.as_mut_ptr().cast(),
                &mut problems,
            )
        };
        check("SetAttribIMsgOnIStg", hr)?;
        // SAFETY: success hands us the problem array (or NULL).
        let p = unsafe { take_problems(problems) };
        Ok(p.into_iter().map(|(_, tag, sc)| (tag, sc)).collect())
    }

    /// `SetProps`; returns the problems (tag, scode).
    pub fn set_props(&self, values: &[(u32, PVal)]) -> Result<Vec<(u32, SCODE)>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let mut m = Marshal::default();
        let mut arr: Vec<SPropValue> = values.iter().map(|(t, v)| m.value(*t, v)).collect();
        let mut problems = null_mut();
        // SAFETY: live object; `arr` and everything it points to (owned by `m`) stay alive
        // for the call; `problems` is writable.
        let hr = unsafe {
            (self.prop().SetProps)(
                self.as_ptr(),
                arr.len() as ULONG,
                arr.as_mut_ptr(),
                &mut problems,
            )
        };
        self.check_call("SetProps", hr)?;
        // SAFETY: success hands us the problem array (or NULL).
        let p = unsafe { take_problems(problems) };
        Ok(p.into_iter().map(|(_, tag, sc)| (tag, sc)).collect())
    }

    /// `OpenProperty(tag, IID_IStream)`, read-only or created for writing.
    pub fn open_stream(&self, tag: u32, create: bool) -> Result<Stream> {
        let flags = if create { MAPI_CREATE | MAPI_MODIFY } else { 0 };
        let mode = if create { STGM_READWRITE } else { STGM_READ };
        let mut p = null_mut();
        // SAFETY: live object; the IID is the library's; `p` is writable.
        let hr = unsafe {
            (self.prop().OpenProperty)(self.as_ptr(), tag, &IID_IStream, mode, flags, &mut p)
        };
        self.check_call(&format!("OpenProperty(0x{tag:08X}, IID_IStream)"), hr)?;
        // SAFETY: success hands us a new IStream reference.
        unsafe { Com::out("OpenProperty", p) }
    }

    pub fn save_changes(&self, flags: ULONG) -> Result<()> {
        // SAFETY: live object.
        let hr = unsafe { (self.prop().SaveChanges)(self.as_ptr(), flags) };
        self.check_call("SaveChanges", hr)
    }

    /// `GetNamesFromIDs` in its enumerate-all form: every (tag, name) of the file's map.
    pub fn all_names(&self) -> Result<Vec<(u32, PropName)>> {
        let mut tags: *mut SPropTagArray = null_mut();
        let mut count = 0;
        let mut names: *mut *mut MAPINAMEID = null_mut();
        // SAFETY: live object; `tags` is NULL (enumerate all); out-parameters writable.
        let hr = unsafe {
            (self.prop().GetNamesFromIDs)(
                self.as_ptr(),
                &mut tags,
                null_mut(),
                0,
                &mut count,
                &mut names,
            )
        };
        self.check_call("GetNamesFromIDs", hr)?;
        // SAFETY: success hands us the tag array.
        let tag_list = unsafe { take_tags(tags) };
        let mut out = Vec::new();
        if !names.is_null() {
            for i in 0..count as usize {
                // SAFETY: `count` name pointers follow `names`; each is NULL or a
                // MAPINAMEID with a GUID and, for strings, a terminated name.
                let name = unsafe {
                    let e = *names.add(i);
                    if e.is_null() || (*e).lpguid.is_null() {
                        continue;
                    }
                    let guid = (*(*e).lpguid).to_bytes();
                    let kind = if (*e).ulKind == MNID_STRING {
                        NameKind::Name(read_wide((*e).Kind.lpwstrName))
                    } else {
                        NameKind::Id((*e).Kind.lID as u32)
                    };
                    PropName { guid, kind }
                };
                if let Some(&tag) = tag_list.get(i) {
                    out.push((tag, name));
                }
            }
            mapi_free(names.cast());
        }
        Ok(out)
    }

    /// `GetIDsFromNames`, with `MAPI_CREATE` when `create`: one tag per name
    /// (`PT_ERROR` where none).
    pub fn ids_from_names(&self, names: &[PropName], create: bool) -> Result<Vec<u32>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut guids: Vec<GUID> = names.iter().map(|n| GUID::from_bytes(n.guid)).collect();
        let strings: Vec<Vec<u16>> = names
            .iter()
            .map(|n| match &n.kind {
                NameKind::Name(s) => terminated(s),
                NameKind::Id(_) => Vec::new(),
            })
            .collect();
        let mut entries: Vec<MAPINAMEID> = names
            .iter()
            .enumerate()
            .map(|(i, n)| MAPINAMEID {
                lpguid: &mut guids[i],
                ulKind: match n.kind {
                    NameKind::Id(_) => MNID_ID,
                    NameKind::Name(_) => MNID_STRING,
                },
                Kind: match n.kind {
                    NameKind::Id(id) => MAPINAMEID_KIND { lID: id as LONG },
                    NameKind::Name(_) => MAPINAMEID_KIND {
                        lpwstrName: strings[i].as_ptr() as *mut u16,
                    },
                },
            })
            .collect();
        let mut ptrs: Vec<*mut MAPINAMEID> =
            entries.iter_mut().map(|e| e as *mut MAPINAMEID).collect();
        let mut tags = null_mut();
        let flags = if create { MAPI_CREATE } else { 0 };
        // SAFETY: live object; `ptrs` holds `names.len()` valid entries whose GUIDs and
        // strings (in `guids`, `strings`) outlive the call; `tags` is writable.
        let hr = unsafe {
            (self.prop().GetIDsFromNames)(
                self.as_ptr(),
                ptrs.len() as ULONG,
                ptrs.as_mut_ptr(),
                flags,
                &mut tags,
            )
        };
        self.check_call("GetIDsFromNames", hr)?;
        // SAFETY: success hands us the tag array.
        Ok(unsafe { take_tags(tags) })
    }
}

// ===== IMessage =====

impl Message {
    fn table(&self, call: &str, hr: HRESULT, p: *mut c_void) -> Result<Table> {
        self.check_call(call, hr)?;
        // SAFETY: success hands us a new IMAPITable reference.
        unsafe { Com::out(call, p) }
    }

    /// `ImsgGetBestBody`: the body a person reads, its kind (`MAPI_NATIVE_BODY_TYPE_*`)
    /// and its bytes.
    pub fn best_body(&self, flags: ULONG, codepage: ULONG) -> Result<(ULONG, Vec<u8>)> {
        let mut kind = 0;
        let mut p = null_mut();
        // SAFETY: live message, writable out-parameters.
        let hr =
            unsafe { ImsgGetBestBody(self.as_ptr().cast(), flags, codepage, &mut kind, &mut p) };
        check("ImsgGetBestBody", hr)?;
        // SAFETY: success hands us a new IStream reference.
        let stream: Stream = unsafe { Com::out("ImsgGetBestBody", p.cast()) }?;
        Ok((kind, stream.read_all()?))
    }

    /// Stores `rtf` in `PR_RTF_COMPRESSED` through `WrapCompressedRTFStream(MAPI_MODIFY)`.
    pub fn write_rtf(&self, rtf: &[u8]) -> Result<()> {
        let prop = self.open_stream(0x1009_0102, true)?;
        let mut p = null_mut();
        // SAFETY: live stream, writable out-parameter.
        let hr = unsafe { WrapCompressedRTFStream(prop.as_ptr().cast(), MAPI_MODIFY, &mut p) };
        check("WrapCompressedRTFStream", hr)?;
        // SAFETY: success hands us a new IStream reference.
        let wrapper: Stream = unsafe { Com::out("WrapCompressedRTFStream", p.cast()) }?;
        wrapper.write_all(rtf)?;
        wrapper.commit()?;
        drop(wrapper);
        prop.commit()
    }

    /// `RTFSync`: whether the message changed.
    pub fn rtf_sync(&self, flags: ULONG) -> Result<bool> {
        let mut updated = 0;
        // SAFETY: live message, writable out-parameter.
        let hr = unsafe { RTFSync(self.as_ptr().cast(), flags, &mut updated) };
        self.check_call("RTFSync", hr)?;
        Ok(updated != 0)
    }

    pub fn recipient_table(&self, flags: ULONG) -> Result<Table> {
        let mut p = null_mut();
        // SAFETY: live message, writable out-parameter.
        let hr = unsafe { (self.vtbl().GetRecipientTable)(self.as_ptr(), flags, &mut p) };
        self.table("GetRecipientTable", hr, p)
    }

    pub fn attachment_table(&self, flags: ULONG) -> Result<Table> {
        let mut p = null_mut();
        // SAFETY: live message, writable out-parameter.
        let hr = unsafe { (self.vtbl().GetAttachmentTable)(self.as_ptr(), flags, &mut p) };
        self.table("GetAttachmentTable", hr, p)
    }

    pub fn open_attach(&self, num: u32, modify: bool) -> Result<Attach> {
        let mut p = null_mut();
        let flags = if modify { MAPI_MODIFY } else { 0 };
        // SAFETY: live message; a NULL IID asks for IAttach; `p` is writable.
        let hr = unsafe {
            (self.vtbl().OpenAttach)(self.as_ptr(), num, std::ptr::null(), flags, &mut p)
        };
        self.check_call(&format!("OpenAttach({num})"), hr)?;
        // SAFETY: success hands us a new IAttach reference.
        unsafe { Com::out("OpenAttach", p) }
    }

    pub fn create_attach(&self) -> Result<(u32, Attach)> {
        let mut p = null_mut();
        let mut num = 0;
        // SAFETY: live message; out-parameters writable.
        let hr = unsafe {
            (self.vtbl().CreateAttach)(self.as_ptr(), std::ptr::null(), 0, &mut num, &mut p)
        };
        self.check_call("CreateAttach", hr)?;
        // SAFETY: success hands us a new IAttach reference.
        Ok((num, unsafe { Com::out("CreateAttach", p) }?))
    }

    /// `ModifyRecipients(flags)` with one row of properties per recipient.
    pub fn modify_recipients(&self, flags: ULONG, rows: &[Vec<(u32, PVal)>]) -> Result<()> {
        let mut m = Marshal::default();
        let mut entries: Vec<Vec<SPropValue>> = rows
            .iter()
            .map(|r| r.iter().map(|(t, v)| m.value(*t, v)).collect())
            .collect();
        // ADRLIST: cEntries, then ADRENTRY { ulReserved1, cValues, rgPropVals }.
        let words = std::mem::size_of::<SRowSet>() / std::mem::size_of::<u64>();
        let extra = rows.len().saturating_sub(1)
            * std::mem::size_of::<imessage::com::types::SRow>()
            / std::mem::size_of::<u64>();
        let mut block = vec![0u64; words + extra + 1];
        let list = block.as_mut_ptr().cast::<SRowSet>();
        // SAFETY: `block` is 8-aligned and large enough for an SRowSet with
        // `rows.len()` entries; the property arrays (`entries`, owned by `m`) outlive
        // the call.
        let hr = unsafe {
            (*list).cRows = rows.len() as ULONG;
            let first = (*list).aRow.as_mut_ptr();
            for (i, e) in entries.iter_mut().enumerate() {
                let row = first.add(i);
                (*row).ulAdrEntryPad = 0;
                (*row).cValues = e.len() as ULONG;
                (*row).lpProps = e.as_mut_ptr();
            }
            (self.vtbl().ModifyRecipients)(self.as_ptr(), flags, list)
        };
        self.check_call("ModifyRecipients", hr)
    }
}

impl Attach {
    /// `OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage)`, read-only or created (a created
    /// one Unicode with `unicode`, else in its parent's width).
    pub fn open_embedded(&self, create: bool, unicode: bool) -> Result<Message> {
        let flags = if create { MAPI_CREATE | MAPI_MODIFY } else { 0 }
            | if create && unicode { MAPI_UNICODE } else { 0 };
        let mut p = null_mut();
        // SAFETY: live attachment; library IID; `p` writable.
        let hr = unsafe {
            (self.prop().OpenProperty)(
                self.as_ptr(),
                PR_ATTACH_DATA_OBJ,
                &IID_IMessage,
                0,
                flags,
                &mut p,
            )
        };
        self.check_call("OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage)", hr)?;
        // SAFETY: success hands us a new IMessage reference.
        unsafe { Com::out("OpenProperty", p) }
    }

    /// `OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage)`: the attachment's object storage
    /// (an embedded message's or an OLE object's).
    pub fn open_object_storage(&self, create: bool) -> Result<Storage> {
        let flags = if create { MAPI_CREATE | MAPI_MODIFY } else { 0 };
        let mut p = null_mut();
        // SAFETY: live attachment; library IID; `p` writable.
        let hr = unsafe {
            (self.prop().OpenProperty)(
                self.as_ptr(),
                PR_ATTACH_DATA_OBJ,
                &IID_IStorage,
                0,
                flags,
                &mut p,
            )
        };
        self.check_call("OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage)", hr)?;
        // SAFETY: success hands us a new IStorage reference.
        unsafe { Com::out("OpenProperty", p) }
    }
}

pub const PR_ATTACH_DATA_OBJ: u32 = 0x3701_000D;

// ===== IMAPITable =====

impl Table {
    /// `QueryColumns(TBL_ALL_COLUMNS)`.
    pub fn all_columns(&self) -> Result<Vec<u32>> {
        let mut p = null_mut();
        // SAFETY: live table, writable out-parameter.
        let hr = unsafe { (self.vtbl().QueryColumns)(self.as_ptr(), TBL_ALL_COLUMNS, &mut p) };
        check("IMAPITable::QueryColumns", hr)?;
        // SAFETY: success hands us the array.
        Ok(unsafe { take_tags(p) })
    }

    pub fn set_columns(&self, tags: &[u32]) -> Result<()> {
        let mut arr = tag_array(tags);
        // SAFETY: live table; `arr` is a tag array the table copies.
        let hr = unsafe { (self.vtbl().SetColumns)(self.as_ptr(), arr.as_mut_ptr().cast(), 0) };
        check("IMAPITable::SetColumns", hr)
    }

    /// Every row from the cursor on (`QueryRows` until none is left), each as (tag, value).
    pub fn all_rows(&self) -> Result<Vec<Vec<(u32, PVal)>>> {
        let mut out = Vec::new();
        loop {
            let mut rows: *mut SRowSet = null_mut();
            // SAFETY: live table, writable out-parameter.
            let hr = unsafe { (self.vtbl().QueryRows)(self.as_ptr(), 256, 0, &mut rows) };
            check("IMAPITable::QueryRows", hr)?;
            if rows.is_null() {
                return Ok(out);
            }
            // SAFETY: a row set holds `cRows` rows, each with `cValues` values in a block
            // of its own; each is freed once after copying, then the set.
            let n = unsafe {
                let n = (*rows).cRows as usize;
                let first = (*rows).aRow.as_ptr();
                for i in 0..n {
                    let row = &*first.add(i);
                    let mut props = Vec::with_capacity(row.cValues as usize);
                    for j in 0..row.cValues as usize {
                        props.push(read_value(&*row.lpProps.add(j)));
                    }
                    mapi_free(row.lpProps.cast());
                    out.push(props);
                }
                n
            };
            mapi_free(rows.cast());
            if n == 0 {
                return Ok(out);
            }
        }
    }
}
