//! `CopyTo` and `CopyProps` on messages and attachments (`spec/mapi-abi.md` §10.2).
//!
//! The copy is driven entirely through interface pointers: the source (one of our messages
//! or attachments) is read through its own vtable, and the destination is written through
//! its vtable, so the same code copies into our messages and into a caller's own `IMessage`.
//! No lock of ours is held while the destination runs: every source call takes and drops
//! the file's lock by itself.
//!
//! Buffers the destination returns (problem arrays, tag arrays) are freed with the source's
//! `lpFreeBuffer`: MAPI code in one process shares one `MAPIAllocateBuffer` family.

use std::collections::{HashMap, HashSet};
use std::ffi::c_void;

use crate::com::guids::*;
use crate::com::mapimem::Allocators;
use crate::com::types::*;
use crate::com::vtbl::{
    IMAPIPropVtbl, IMAPITableVtbl, IMessageVtbl, IStorageVtbl, IStreamVtbl, IUnknownVtbl, Interface,
};
use crate::consts::*;
use crate::model::prop::tags::*;
use crate::model::prop::{change_type, prop_id, prop_type};

/// A failed call: the HRESULT to return and what failed.
pub type Fail = (HRESULT, String);
type Hr<T> = std::result::Result<T, Fail>;

fn check(hr: HRESULT, what: &str) -> Hr<()> {
    if hr < 0 {
        Err((hr, format!("{what} failed with 0x{:08X}", hr as u32)))
    } else {
        Ok(())
    }
}

fn fail<T>(hr: HRESULT, what: &str) -> Hr<T> {
    Err((hr, what.to_string()))
}

/// Which properties to copy.
pub enum Select {
    /// Everything but these property ids.
    Exclude(HashSet<u16>),
    /// Only these property ids.
    Include(HashSet<u16>),
}

impl Select {
    fn wants(&self, id: u16) -> bool {
        match self {
            Select::Exclude(ids) => !ids.contains(&id),
            Select::Include(ids) => ids.contains(&id),
        }
    }
}

/// One reference to an interface we got from a call, released on drop.
struct Obj(*mut c_void);

impl Obj {
    /// # Safety
    /// The object must implement an interface whose vtable starts like `V`.
    unsafe fn v<V>(&self) -> &V {
        // SAFETY: forwarded from the caller; `self.0` is a live interface pointer.
        unsafe { &*(*(self.0 as *const Interface<V>)).lpVtbl }
    }
}

impl Drop for Obj {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: we own one reference to a live COM object.
            unsafe { ((*(*(self.0 as *const Interface<IUnknownVtbl>)).lpVtbl).Release)(self.0) };
        }
    }
}

/// Property ids never copied: a table row's or an attachment's own keys.
fn intrinsic(id: u16) -> bool {
    id == prop_id(PR_ROWID) || id == prop_id(PR_INSTANCE_KEY) || id == prop_id(PR_ATTACH_NUM)
}

/// The copy of one source tree into one destination tree.
pub struct Copier {
    pub alloc: Allocators,
    pub flags: ULONG,
    /// `MAPI_UNICODE` when the source stores strings as Unicode (keeps the stored widths).
    pub uflag: ULONG,
    /// Problems of the top-level object, for the caller's problem array.
    pub problems: Vec<SPropProblem>,
}

/// Tags in a caller-allocated array.
///
/// # Safety
/// `p` must be NULL or a valid `SPropTagArray`.
unsafe fn tags_of(p: *const SPropTagArray) -> Vec<u32> {
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: forwarded from the caller.
    unsafe {
        let n = (*p).cValues as usize;
        std::slice::from_raw_parts((*p).aulPropTag.as_ptr(), n).to_vec()
    }
}

impl Copier {
    fn free<T>(&self, p: *mut T) {
        self.alloc.free(p.cast());
    }

    fn tag_array(&self, tags: &[u32]) -> Hr<*mut SPropTagArray> {
        crate::com::marshal::tags_out(&self.alloc, tags)
            .map_err(|e| (crate::com::scode::scode_of(e.kind), e.message))
    }

    /// The problem array for the caller (NULL when there is none).
    pub fn problems_out(&self) -> Hr<*mut SPropProblemArray> {
        if self.problems.is_empty() {
            return Ok(std::ptr::null_mut());
        }
        let size = std::mem::offset_of!(SPropProblemArray, aProblem)
            + self.problems.len() * size_of::<SPropProblem>();
        let p = self
            .alloc
            .alloc(size)
            .map_err(|e| (MAPI_E_NOT_ENOUGH_MEMORY, e.message))?
            .cast::<SPropProblemArray>();
        // SAFETY: `p` holds the header and `problems.len()` entries.
        unsafe {
            (*p).cProblem = self.problems.len() as ULONG;
            let first = std::ptr::addr_of_mut!((*p).aProblem).cast::<SPropProblem>();
            std::ptr::copy_nonoverlapping(self.problems.as_ptr(), first, self.problems.len());
        }
        Ok(p)
    }

    /// Source id → destination id for the named property ids among `ids`, through the
    /// names (`None`: the source id has no name, or the destination cannot map it).
    ///
    /// # Safety
    /// `src` and `dst` must be live `IMAPIProp` pointers.
    unsafe fn translate(
        &self,
        src: *mut c_void,
        dst: *mut c_void,
        ids: &[u16],
        map: &mut HashMap<u16, Option<u16>>,
    ) -> Hr<()> {
        let wanted: Vec<u16> = {
            let mut seen = HashSet::new();
            ids.iter()
                .copied()
                .filter(|&id| id >= 0x8000 && !map.contains_key(&id) && seen.insert(id))
                .collect()
        };
        if wanted.is_empty() {
            return Ok(());
        }
        let tags: Vec<u32> = wanted.iter().map(|&id| (id as u32) << 16).collect();
        let mut tag_array = self.tag_array(&tags)?;
        let mut count: ULONG = 0;
        let mut names: *mut *mut MAPINAMEID = std::ptr::null_mut();
        // SAFETY: `src` is a live IMAPIProp; the out-parameters are ours.
        let hr = unsafe {
            let v = &*(*(src as *const Interface<IMAPIPropVtbl>)).lpVtbl;
            (v.GetNamesFromIDs)(
                src,
                &mut tag_array,
                std::ptr::null_mut(),
                0,
                &mut count,
                &mut names,
            )
        };
        self.free(tag_array);
        check(hr, "GetNamesFromIDs on the source")?;
        let found: Vec<(u16, *mut MAPINAMEID)> = (0..count.min(wanted.len() as ULONG) as usize)
            // SAFETY: `names` holds `count` entries.
            .map(|i| (wanted[i], unsafe { *names.add(i) }))
            .filter(|(_, n)| !n.is_null())
            .collect();
        for &id in &wanted {
            map.insert(id, None);
        }
        if !found.is_empty() {
            let mut ptrs: Vec<*mut MAPINAMEID> = found.iter().map(|(_, n)| *n).collect();
            let mut out: *mut SPropTagArray = std::ptr::null_mut();
            // SAFETY: `dst` is a live IMAPIProp; the names point into the source's answer.
            let hr = unsafe {
                let v = &*(*(dst as *const Interface<IMAPIPropVtbl>)).lpVtbl;
                (v.GetIDsFromNames)(
                    dst,
                    ptrs.len() as ULONG,
                    ptrs.as_mut_ptr(),
                    MAPI_CREATE,
                    &mut out,
                )
            };
            if hr >= 0 && !out.is_null() {
                // SAFETY: the destination's answer is a valid tag array.
                let dtags = unsafe { tags_of(out) };
                for ((sid, _), dtag) in found.iter().zip(dtags) {
                    if prop_type(dtag) != PT_ERROR && prop_id(dtag) >= 0x8000 {
                        map.insert(*sid, Some(prop_id(dtag)));
                    }
                }
            }
            self.free(out);
            if hr < 0 {
                self.free(names);
                return check(hr, "GetIDsFromNames on the destination");
            }
        }
        self.free(names);
        Ok(())
    }

    /// Copies the properties (and, for messages and attachments opened with the full
    /// interface, the sub-objects) of `src` into `dst`.
    ///
    /// # Safety
    /// `src` and `dst` must be live pointers to objects of the kind `message` says
    /// (`IMessage` or `IAttach`); `sub_objects` only when `dst` implements that interface.
    pub unsafe fn copy_object(
        &mut self,
        src: *mut c_void,
        dst: *mut c_void,
        message: bool,
        sub_objects: bool,
        select: &Select,
        top: bool,
    ) -> Hr<()> {
        // SAFETY: both are live IMAPIProp pointers (every MAPI object starts so).
        let (sv, dv) = unsafe {
            (
                &*(*(src as *const Interface<IMAPIPropVtbl>)).lpVtbl,
                &*(*(dst as *const Interface<IMAPIPropVtbl>)).lpVtbl,
            )
        };
        // ---- the source's property list ----
        let mut list: *mut SPropTagArray = std::ptr::null_mut();
        // SAFETY: `src` is live; the out-parameter is ours.
        check(
            unsafe { (sv.GetPropList)(src, self.uflag, &mut list) },
            "GetPropList",
        )?;
        // SAFETY: the answer is a valid tag array.
        let all = unsafe { tags_of(list) };
        self.free(list);
        let has_object = all.contains(&PR_ATTACH_DATA_OBJ);
        let tags: Vec<u32> = all
            .iter()
            .copied()
            .filter(|&t| {
                prop_type(t) != PT_OBJECT
                    && prop_type(t) != PT_ERROR
                    && !intrinsic(prop_id(t))
                    && select.wants(prop_id(t))
            })
            .collect();
        let mut map = HashMap::new();
        let mut method: Option<u32> = None;
        if !tags.is_empty() {
            let ids: Vec<u16> = tags.iter().map(|&t| prop_id(t)).collect();
            // SAFETY: both are live.
            unsafe { self.translate(src, dst, &ids, &mut map)? };
            let dest_tag = |t: u32| -> Option<u32> {
                let id = prop_id(t);
                if id < 0x8000 {
                    Some(t)
                } else {
                    map.get(&id)
                        .copied()
                        .flatten()
                        .map(|d| ((d as u32) << 16) | prop_type(t))
                }
            };
            // ---- the values ----
            let tag_array = self.tag_array(&tags)?;
            let mut count: ULONG = 0;
            let mut values: *mut SPropValue = std::ptr::null_mut();
            // SAFETY: `src` is live; the out-parameters are ours.
            let hr = unsafe { (sv.GetProps)(src, tag_array, self.uflag, &mut count, &mut values) };
            self.free(tag_array);
            check(hr, "GetProps on the source")?;
            let got: &[SPropValue] = if values.is_null() {
                &[]
            } else {
                // SAFETY: the answer holds `count` values.
                unsafe { std::slice::from_raw_parts(values, count as usize) }
            };
            let mut small: Vec<SPropValue> = Vec::new();
            let mut small_src: Vec<u32> = Vec::new();
            let mut large: Vec<(u32, u32)> = Vec::new();
            for (i, v) in got.iter().enumerate() {
                let src_tag = tags[i];
                if v.ulPropTag == PR_ATTACH_METHOD {
                    // SAFETY: a PT_LONG value.
                    method = Some(unsafe { v.Value.l } as u32);
                }
                if prop_type(v.ulPropTag) == PT_ERROR {
                    // SAFETY: a PT_ERROR value.
                    if unsafe { v.Value.err } == MAPI_E_NOT_ENOUGH_MEMORY {
                        match dest_tag(src_tag) {
                            Some(d) => large.push((src_tag, d)),
                            None => self.problem(top, i, src_tag, MAPI_E_NOT_FOUND),
                        }
                    }
                    continue;
                }
                match dest_tag(v.ulPropTag) {
                    Some(d) => {
                        let mut copy = *v;
                        copy.ulPropTag = d;
                        small.push(copy);
                        small_src.push(v.ulPropTag);
                    }
                    None => self.problem(top, i, v.ulPropTag, MAPI_E_NOT_FOUND),
                }
            }
            let result = (|| -> Hr<()> {
                if self.flags & MAPI_NOREPLACE != 0 {
                    // SAFETY: `dst` is live.
                    let present = unsafe {
                        self.present(
                            dst,
                            small
                                .iter()
                                .map(|v| v.ulPropTag)
                                .chain(large.iter().map(|l| l.1)),
                        )?
                    };
                    let mut keep = present.iter();
                    let small_present: Vec<bool> =
                        keep.by_ref().take(small.len()).copied().collect();
                    let large_present: Vec<bool> = keep.copied().collect();
                    let mut i = 0;
                    small.retain(|_| {
                        i += 1;
                        !small_present[i - 1]
                    });
                    let mut i = 0;
                    small_src.retain(|_| {
                        i += 1;
                        !small_present[i - 1]
                    });
                    let mut i = 0;
                    large.retain(|_| {
                        i += 1;
                        !large_present[i - 1]
                    });
                }
                if !small.is_empty() {
                    let mut problems: *mut SPropProblemArray = std::ptr::null_mut();
                    // SAFETY: `small` holds valid values pointing into the source's answer.
                    let hr = unsafe {
                        (dv.SetProps)(dst, small.len() as ULONG, small.as_mut_ptr(), &mut problems)
                    };
                    check(hr, "SetProps on the destination")?;
                    if !problems.is_null() {
                        // SAFETY: a valid problem array from the destination.
                        let found = unsafe {
                            std::slice::from_raw_parts(
                                std::ptr::addr_of!((*problems).aProblem).cast::<SPropProblem>(),
                                (*problems).cProblem as usize,
                            )
                            .to_vec()
                        };
                        self.free(problems);
                        for p in found {
                            let idx = p.ulIndex as usize;
                            let tag = small_src.get(idx).copied().unwrap_or(p.ulPropTag);
                            self.problem(top, idx, tag, p.scode);
                        }
                    }
                }
                for (i, &(stag, dtag)) in large.iter().enumerate() {
                    // SAFETY: both are live.
                    if let Err((hr, _)) = unsafe { self.copy_stream(src, dst, stag, dtag) } {
                        self.problem(top, small.len() + i, stag, hr);
                    }
                }
                if self.flags & MAPI_MOVE != 0 && top {
                    let moved: Vec<u32> = small_src
                        .iter()
                        .copied()
                        .chain(large.iter().map(|l| l.0))
                        .collect();
                    if !moved.is_empty() {
                        let arr = self.tag_array(&moved)?;
                        // SAFETY: `src` is live; failures to delete leave the copy in place.
                        unsafe { (sv.DeleteProps)(src, arr, std::ptr::null_mut()) };
                        self.free(arr);
                    }
                }
                Ok(())
            })();
            self.free(values);
            result?;
        }
        if !sub_objects {
            return Ok(());
        }
        if message {
            // MAPI_MOVE takes the copied sub-objects out of the source message.
            let moving = self.flags & MAPI_MOVE != 0 && top;
            if select.wants(prop_id(PR_MESSAGE_RECIPIENTS)) {
                // SAFETY: both are live messages.
                unsafe { self.copy_recipients(src, dst, &mut map)? };
                if moving {
                    // SAFETY: `src` is a live message; an empty list is a valid ADRLIST.
                    unsafe { clear_recipients(src)? };
                }
            }
            if select.wants(prop_id(PR_MESSAGE_ATTACHMENTS)) {
                // SAFETY: both are live messages.
                unsafe { self.copy_attachments(src, dst, moving)? };
            }
        } else if has_object && select.wants(prop_id(PR_ATTACH_DATA_OBJ)) {
            // SAFETY: both are live attachments.
            unsafe { self.copy_attach_object(src, dst, method)? };
        }
        Ok(())
    }

    fn problem(&mut self, top: bool, index: usize, tag: u32, scode: SCODE) {
        if top {
            self.problems.push(SPropProblem {
                ulIndex: index as ULONG,
                ulPropTag: tag,
                scode,
            });
        }
    }

    /// Whether each tag already has a value on `dst` (for `MAPI_NOREPLACE`).
    ///
    /// # Safety
    /// `dst` must be a live `IMAPIProp`.
    unsafe fn present(&self, dst: *mut c_void, tags: impl Iterator<Item = u32>) -> Hr<Vec<bool>> {
        let tags: Vec<u32> = tags.map(|t| change_type(t, PT_UNSPECIFIED)).collect();
        if tags.is_empty() {
            return Ok(Vec::new());
        }
        let arr = self.tag_array(&tags)?;
        let mut count: ULONG = 0;
        let mut values: *mut SPropValue = std::ptr::null_mut();
        // SAFETY: `dst` is live; the out-parameters are ours.
        let hr = unsafe {
            let v = &*(*(dst as *const Interface<IMAPIPropVtbl>)).lpVtbl;
            (v.GetProps)(dst, arr, self.uflag, &mut count, &mut values)
        };
        self.free(arr);
        check(hr, "GetProps on the destination")?;
        let mut out = vec![false; tags.len()];
        if !values.is_null() {
            // SAFETY: the answer holds `count` values.
            let got = unsafe { std::slice::from_raw_parts(values, count as usize) };
            for (o, v) in out.iter_mut().zip(got) {
                // SAFETY: the error member of a PT_ERROR value.
                *o = prop_type(v.ulPropTag) != PT_ERROR
                    || unsafe { v.Value.err } == MAPI_E_NOT_ENOUGH_MEMORY;
            }
        }
        self.free(values);
        Ok(out)
    }

    /// A value too large for `GetProps`, through streams.
    ///
    /// # Safety
    /// `src` and `dst` must be live `IMAPIProp` pointers.
    unsafe fn copy_stream(
        &self,
        src: *mut c_void,
        dst: *mut c_void,
        stag: u32,
        dtag: u32,
    ) -> Hr<()> {
        // SAFETY: both are live; the out-parameters are ours.
        unsafe {
            let sv = &*(*(src as *const Interface<IMAPIPropVtbl>)).lpVtbl;
            let dv = &*(*(dst as *const Interface<IMAPIPropVtbl>)).lpVtbl;
            let mut p = std::ptr::null_mut();
            check(
                (sv.OpenProperty)(src, stag, &IID_IStream, 0, 0, &mut p),
                "source OpenProperty",
            )?;
            let input = Obj(p);
            let mut q = std::ptr::null_mut();
            check(
                (dv.OpenProperty)(
                    dst,
                    dtag,
                    &IID_IStream,
                    STGM_WRITE,
                    MAPI_CREATE | MAPI_MODIFY,
                    &mut q,
                ),
                "destination OpenProperty",
            )?;
            let output = Obj(q);
            let (iv, ov) = (input.v::<IStreamVtbl>(), output.v::<IStreamVtbl>());
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let mut n: ULONG = 0;
                check(
                    (iv.Read)(input.0, buf.as_mut_ptr().cast(), buf.len() as ULONG, &mut n),
                    "IStream::Read",
                )?;
                if n == 0 {
                    break;
                }
                let mut done: ULONG = 0;
                check(
                    (ov.Write)(output.0, buf.as_ptr().cast(), n, &mut done),
                    "IStream::Write",
                )?;
                if done != n {
                    return fail(MAPI_E_CALL_FAILED, "short write");
                }
            }
            check((ov.Commit)(output.0, 0), "IStream::Commit")
        }
    }

    /// Every row of a table with all its columns.
    ///
    /// # Safety
    /// `table` must be a live `IMAPITable`.
    unsafe fn all_rows(&self, table: &Obj, columns: Option<&[u32]>) -> Hr<Vec<SRow>> {
        // SAFETY: `table` is live; out-parameters are ours.
        unsafe {
            let tv = table.v::<IMAPITableVtbl>();
            let cols = match columns {
                Some(c) => self.tag_array(c)?,
                None => {
                    let mut cols = std::ptr::null_mut();
                    check(
                        (tv.QueryColumns)(table.0, TBL_ALL_COLUMNS, &mut cols),
                        "QueryColumns",
                    )?;
                    cols
                }
            };
            let hr = (tv.SetColumns)(table.0, cols, 0);
            self.free(cols);
            check(hr, "SetColumns")?;
            check(
                (tv.SeekRow)(table.0, BOOKMARK_BEGINNING, 0, std::ptr::null_mut()),
                "SeekRow",
            )?;
            let mut rows = Vec::new();
            loop {
                let mut set: *mut SRowSet = std::ptr::null_mut();
                let hr = (tv.QueryRows)(table.0, 4096, 0, &mut set);
                if hr < 0 {
                    for r in &rows {
                        let r: &SRow = r;
                        self.free(r.lpProps);
                    }
                    return check(hr, "QueryRows").map(|_| Vec::new());
                }
                if set.is_null() {
                    break;
                }
                let n = (*set).cRows as usize;
                let first = std::ptr::addr_of!((*set).aRow).cast::<SRow>();
                rows.extend_from_slice(std::slice::from_raw_parts(first, n));
                // The rows' value arrays are separate blocks, now owned by `rows`.
                self.free(set);
                if n == 0 {
                    break;
                }
            }
            Ok(rows)
        }
    }

    /// # Safety
    /// `src` and `dst` must be live `IMessage` pointers.
    unsafe fn copy_recipients(
        &self,
        src: *mut c_void,
        dst: *mut c_void,
        map: &mut HashMap<u16, Option<u16>>,
    ) -> Hr<()> {
        // SAFETY: both are live messages; out-parameters are ours.
        unsafe {
            let sv = &*(*(src as *const Interface<IMessageVtbl>)).lpVtbl;
            let dv = &*(*(dst as *const Interface<IMessageVtbl>)).lpVtbl;
            let mut t = std::ptr::null_mut();
            check(
                (sv.GetRecipientTable)(src, self.uflag, &mut t),
                "GetRecipientTable",
            )?;
            let table = Obj(t);
            let mut rows = self.all_rows(&table, None)?;
            drop(table);
            let result = (|| -> Hr<()> {
                let mut ids = Vec::new();
                for r in &rows {
                    for i in 0..r.cValues as usize {
                        ids.push(prop_id((*r.lpProps.add(i)).ulPropTag));
                    }
                }
                self.translate(src, dst, &ids, map)?;
                for r in rows.iter_mut() {
                    let mut kept = 0;
                    for i in 0..r.cValues as usize {
                        let mut v = *r.lpProps.add(i);
                        let (ty, id) = (prop_type(v.ulPropTag), prop_id(v.ulPropTag));
                        if matches!(ty, PT_ERROR | PT_OBJECT | PT_NULL) || intrinsic(id) {
                            continue;
                        }
                        if id >= 0x8000 {
                            match map.get(&id).copied().flatten() {
                                Some(d) => v.ulPropTag = ((d as u32) << 16) | ty,
                                None => continue,
                            }
                        }
                        *r.lpProps.add(kept) = v;
                        kept += 1;
                    }
                    r.cValues = kept as ULONG;
                }
                let flags = if self.flags & MAPI_NOREPLACE != 0 {
                    MODRECIP_ADD
                } else {
                    0
                };
                if rows.is_empty() && flags == MODRECIP_ADD {
                    return Ok(());
                }
                let size =
                    std::mem::offset_of!(ADRLIST, aRow) + rows.len().max(1) * size_of::<SRow>();
                let list = self
                    .alloc
                    .alloc(size)
                    .map_err(|e| (MAPI_E_NOT_ENOUGH_MEMORY, e.message))?
                    .cast::<ADRLIST>();
                (*list).cRows = rows.len() as ULONG;
                let first = std::ptr::addr_of_mut!((*list).aRow).cast::<SRow>();
                std::ptr::copy_nonoverlapping(rows.as_ptr(), first, rows.len());
                let hr = (dv.ModifyRecipients)(dst, flags, list);
                // The destination may have replaced entries' arrays: free what is there.
                for (i, r) in rows.iter_mut().enumerate() {
                    r.lpProps = (*first.add(i)).lpProps;
                }
                self.free(list);
                check(hr, "ModifyRecipients on the destination")
            })();
            for r in &rows {
                self.free(r.lpProps);
            }
            result
        }
    }

    /// # Safety
    /// `src` and `dst` must be live `IMessage` pointers.
    unsafe fn copy_attachments(
        &mut self,
        src: *mut c_void,
        dst: *mut c_void,
        moving: bool,
    ) -> Hr<()> {
        // SAFETY: both are live messages; out-parameters are ours.
        unsafe {
            let sv = &*(*(src as *const Interface<IMessageVtbl>)).lpVtbl;
            let dv = &*(*(dst as *const Interface<IMessageVtbl>)).lpVtbl;
            let mut t = std::ptr::null_mut();
            check(
                (sv.GetAttachmentTable)(src, 0, &mut t),
                "GetAttachmentTable",
            )?;
            let table = Obj(t);
            let rows = self.all_rows(&table, Some(&[PR_ATTACH_NUM]))?;
            drop(table);
            let mut nums = Vec::with_capacity(rows.len());
            for r in &rows {
                if r.cValues >= 1 && (*r.lpProps).ulPropTag == PR_ATTACH_NUM {
                    nums.push((*r.lpProps).Value.l as ULONG);
                }
                self.free(r.lpProps);
            }
            let all = Select::Exclude(HashSet::new());
            for num in nums {
                let mut a = std::ptr::null_mut();
                check(
                    (sv.OpenAttach)(src, num, std::ptr::null(), 0, &mut a),
                    "OpenAttach",
                )?;
                let sa = Obj(a);
                let mut b = std::ptr::null_mut();
                let mut dnum: ULONG = 0;
                check(
                    (dv.CreateAttach)(dst, std::ptr::null(), 0, &mut dnum, &mut b),
                    "CreateAttach on the destination",
                )?;
                let da = Obj(b);
                self.copy_object(sa.0, da.0, false, true, &all, false)?;
                let av = da.v::<IMAPIPropVtbl>();
                check(
                    (av.SaveChanges)(da.0, KEEP_OPEN_READWRITE),
                    "attachment SaveChanges",
                )?;
                drop(sa);
                if moving {
                    check(
                        (sv.DeleteAttach)(src, num, 0, std::ptr::null_mut(), 0),
                        "DeleteAttach on the source",
                    )?;
                }
            }
            Ok(())
        }
    }

    /// The embedded message or OLE storage of an attachment.
    ///
    /// # Safety
    /// `src` and `dst` must be live `IAttach` pointers.
    unsafe fn copy_attach_object(
        &mut self,
        src: *mut c_void,
        dst: *mut c_void,
        method: Option<u32>,
    ) -> Hr<()> {
        // SAFETY: both are live attachments; out-parameters are ours.
        unsafe {
            let sv = &*(*(src as *const Interface<IMAPIPropVtbl>)).lpVtbl;
            let dv = &*(*(dst as *const Interface<IMAPIPropVtbl>)).lpVtbl;
            let create = MAPI_CREATE | MAPI_MODIFY;
            if method == Some(ATTACH_EMBEDDED_MSG) {
                let mut p = std::ptr::null_mut();
                let hr = (sv.OpenProperty)(src, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, &mut p);
                if hr == MAPI_E_NOT_FOUND {
                    return Ok(());
                }
                check(hr, "source OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage)")?;
                let sm = Obj(p);
                let mut q = std::ptr::null_mut();
                check(
                    (dv.OpenProperty)(dst, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, create, &mut q),
                    "destination OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage)",
                )?;
                let dm = Obj(q);
                let all = Select::Exclude(HashSet::new());
                self.copy_object(sm.0, dm.0, true, true, &all, false)?;
                let mv = dm.v::<IMAPIPropVtbl>();
                check(
                    (mv.SaveChanges)(dm.0, KEEP_OPEN_READWRITE),
                    "embedded SaveChanges",
                )
            } else {
                let mut p = std::ptr::null_mut();
                let hr = (sv.OpenProperty)(src, PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, 0, &mut p);
                if hr == MAPI_E_NOT_FOUND {
                    return Ok(());
                }
                check(hr, "source OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage)")?;
                let ss = Obj(p);
                let mut q = std::ptr::null_mut();
                check(
                    (dv.OpenProperty)(dst, PR_ATTACH_DATA_OBJ, &IID_IStorage, 0, create, &mut q),
                    "destination OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage)",
                )?;
                let ds = Obj(q);
                let v = ss.v::<IStorageVtbl>();
                check(
                    (v.CopyTo)(ss.0, 0, std::ptr::null(), std::ptr::null_mut(), ds.0),
                    "IStorage::CopyTo",
                )?;
                check((ds.v::<IStorageVtbl>().Commit)(ds.0, 0), "IStorage::Commit")
            }
        }
    }
}

/// What a `CopyTo`/`CopyProps` call asked for, checked.
pub struct Request {
    pub src: *mut c_void,
    pub message: bool,
    pub alloc: Allocators,
    pub unicode: bool,
    pub excluded_iids: Vec<IID>,
    pub iid: Option<IID>,
    pub dest: *mut c_void,
    pub flags: ULONG,
    pub select: Select,
}

/// Runs a copy; returns the HRESULT and the problem array (NULL when none).
///
/// # Safety
/// `src` must be the live object the call came through; `dest` NULL or a live COM object.
pub unsafe fn run(req: Request) -> Hr<*mut SPropProblemArray> {
    let allowed = MAPI_MOVE | MAPI_NOREPLACE | MAPI_DECLINE_OK | MAPI_DIALOG;
    if req.flags & !allowed != 0 {
        return fail(MAPI_E_UNKNOWN_FLAGS, "unknown CopyTo flags");
    }
    let Some(iid) = req.iid else {
        return fail(MAPI_E_INVALID_PARAMETER, "NULL interface id");
    };
    if req.dest.is_null() {
        return fail(MAPI_E_INVALID_PARAMETER, "NULL destination");
    }
    let own = if req.message {
        IID_IMessage
    } else {
        IID_IAttachment
    };
    // The interface and its bases; excluding any of them excludes the interface.
    let chain = [own, IID_IMAPIProp, IID_IUnknown];
    let full = iid == own;
    if !chain.contains(&iid) {
        return fail(
            MAPI_E_INTERFACE_NOT_SUPPORTED,
            "destination interface not supported",
        );
    }
    if req
        .excluded_iids
        .iter()
        .any(|x| *x == iid || *x == IID_IMAPIProp || *x == IID_IUnknown)
    {
        return fail(
            MAPI_E_INTERFACE_NOT_SUPPORTED,
            "every interface is excluded",
        );
    }
    let mut typed = std::ptr::null_mut();
    let ask = if full { own } else { IID_IMAPIProp };
    // SAFETY: `dest` is a live COM object.
    let hr = unsafe {
        ((*(*(req.dest as *const Interface<IUnknownVtbl>)).lpVtbl).QueryInterface)(
            req.dest, &ask, &mut typed,
        )
    };
    if hr < 0 || typed.is_null() {
        return fail(
            MAPI_E_INTERFACE_NOT_SUPPORTED,
            "the destination lacks the interface",
        );
    }
    let dest = Obj(typed);
    if dest.0 == req.src || req.dest == req.src {
        return fail(
            MAPI_E_NO_ACCESS,
            "source and destination are the same object",
        );
    }
    let mut copier = Copier {
        alloc: req.alloc,
        flags: req.flags,
        uflag: if req.unicode { MAPI_UNICODE } else { 0 },
        problems: Vec::new(),
    };
    // SAFETY: `src` is live; `dest` was checked to implement the interface.
    unsafe { copier.copy_object(req.src, dest.0, req.message, full, &req.select, true)? };
    copier.problems_out()
}

/// Empties a message's recipient list (`ModifyRecipients` with no entries replaces it).
///
/// # Safety
/// `msg` must be a live `IMessage`.
unsafe fn clear_recipients(msg: *mut c_void) -> Hr<()> {
    let mut empty = ADRLIST {
        cRows: 0,
        aRow: [SRow {
            ulAdrEntryPad: 0,
            cValues: 0,
            lpProps: std::ptr::null_mut(),
        }],
    };
    // SAFETY: `msg` is live; the list has no entries.
    unsafe {
        let v = &*(*(msg as *const Interface<IMessageVtbl>)).lpVtbl;
        check(
            (v.ModifyRecipients)(msg, 0, &mut empty),
            "ModifyRecipients on the source",
        )
    }
}
