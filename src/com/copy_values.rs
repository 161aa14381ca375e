//! The values step of a copy (`copy_to.rs`): which of the source's properties go, their
//! named-property ids translated through the names, values through `GetProps`/`SetProps`
//! and those too large for `GetProps` through streams.

use std::collections::HashSet;
use std::ffi::c_void;

use super::copy_to::{Buffer, Copier, Select, check, took, vtbl};
use super::guids::*;
use super::scode::scode_of;
use super::types::*;
use super::vtbl::{IMAPIPropVtbl, IStreamVtbl};
use crate::consts::*;
use crate::error::Result;
use crate::model::prop::tags::*;
use crate::model::prop::{change_type, prop_id, prop_type};

/// Tags in an array a call handed us.
///
/// # Safety
/// `p` must be NULL or a valid `SPropTagArray`.
pub(super) unsafe fn tags_of(p: *const SPropTagArray) -> Vec<u32> {
    // SAFETY: forwarded from the caller.
    unsafe { super::marshal::tags_in(p) }
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Property ids never copied: a table row's or an attachment's own keys.
pub(super) fn intrinsic(id: u16) -> bool {
    id == prop_id(PR_ROWID) || id == prop_id(PR_INSTANCE_KEY) || id == prop_id(PR_ATTACH_NUM)
}

/// Whether a property id gives a message's code page (what a message converts its 8-bit
/// strings with: `model::message::codepage_of`).
fn gives_codepage(id: u16) -> bool {
    [PR_MESSAGE_CODEPAGE, PR_INTERNET_CPID, PR_MESSAGE_LOCALE_ID]
        .iter()
        .any(|&t| prop_id(t) == id)
}

/// One property on its way: its position among the properties copied, its tags, and its
/// value (`None`: too large for `GetProps`, copied through streams).
struct Planned {
    index: usize,
    src_tag: u32,
    dst_tag: u32,
    value: Option<SPropValue>,
}

impl Copier {
    pub(super) fn tag_array(&self, tags: &[u32]) -> Result<Buffer<SPropTagArray>> {
        Ok(Buffer::of(
            &self.alloc,
            super::marshal::tags_out(&self.alloc, tags)?,
        ))
    }

    /// `GetProps` of `tags` on `obj`: the answer and its count.
    ///
    /// # Safety
    /// `obj` must be a live `IMAPIProp`.
    unsafe fn get_props(
        &self,
        obj: *mut c_void,
        tags: &[u32],
        what: &str,
    ) -> Result<(Buffer<SPropValue>, usize)> {
        let arr = self.tag_array(tags)?;
        let mut count: ULONG = 0;
        let mut values = Buffer::new(&self.alloc);
        // SAFETY: `obj` is live; the out-parameters are ours.
        let hr = unsafe {
            (vtbl::<IMAPIPropVtbl>(obj).GetProps)(
                obj,
                arr.ptr,
                self.uflag,
                &mut count,
                values.out(),
            )
        };
        check(hr, what)?;
        Ok((values, count as usize))
    }

    /// The source's properties to copy, and whether it has `PR_ATTACH_DATA_OBJ`.
    ///
    /// # Safety
    /// `src` must be a live `IMAPIProp`.
    pub(super) unsafe fn source_tags(
        &self,
        src: *mut c_void,
        select: &Select,
    ) -> Result<(Vec<u32>, bool)> {
        let mut list = Buffer::new(&self.alloc);
        // SAFETY: `src` is live; the out-parameter is ours; the answer is a tag array.
        let all = unsafe {
            check(
                (vtbl::<IMAPIPropVtbl>(src).GetPropList)(src, self.uflag, list.out()),
                "GetPropList on the source",
            )?;
            tags_of(list.ptr)
        };
        let tags = all
            .iter()
            .copied()
            .filter(|&t| {
                prop_type(t) != PT_OBJECT
                    && prop_type(t) != PT_ERROR
                    && !intrinsic(prop_id(t))
                    && select.wants(prop_id(t))
            })
            .collect();
        Ok((tags, all.contains(&PR_ATTACH_DATA_OBJ)))
    }

    /// Learns the destination ids of the named-property ids among `ids`, through their
    /// names.
    ///
    /// # Safety
    /// `src` and `dst` must be live `IMAPIProp` pointers.
    pub(super) unsafe fn translate(
        &mut self,
        src: *mut c_void,
        dst: *mut c_void,
        ids: &[u16],
    ) -> Result<()> {
        let mut seen = HashSet::new();
        let wanted: Vec<u16> = ids
            .iter()
            .copied()
            .filter(|&id| id >= 0x8000 && !self.names.contains_key(&id) && seen.insert(id))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let tags: Vec<u32> = wanted.iter().map(|&id| (id as u32) << 16).collect();
        let mut tag_array = self.tag_array(&tags)?;
        let mut count: ULONG = 0;
        let mut names = Buffer::<*mut MAPINAMEID>::new(&self.alloc);
        // SAFETY: `src` is live; the out-parameters are ours.
        check(
            unsafe {
                (vtbl::<IMAPIPropVtbl>(src).GetNamesFromIDs)(
                    src,
                    tag_array.out(),
                    std::ptr::null_mut(),
                    0,
                    &mut count,
                    names.out(),
                )
            },
            "GetNamesFromIDs on the source",
        )?;
        for &id in &wanted {
            self.names.insert(id, None);
        }
        let found: Vec<(u16, *mut MAPINAMEID)> = (0..count.min(wanted.len() as ULONG) as usize)
            // SAFETY: `names` holds `count` entries.
            .map(|i| (wanted[i], unsafe { *names.ptr.add(i) }))
            .filter(|(_, n)| !n.is_null())
            .collect();
        if found.is_empty() {
            return Ok(());
        }
        let mut ptrs: Vec<*mut MAPINAMEID> = found.iter().map(|(_, n)| *n).collect();
        let mut out = Buffer::<SPropTagArray>::new(&self.alloc);
        // SAFETY: `dst` is live; the names point into the source's answer, alive until
        // `names` drops.
        check(
            unsafe {
                (vtbl::<IMAPIPropVtbl>(dst).GetIDsFromNames)(
                    dst,
                    ptrs.len() as ULONG,
                    ptrs.as_mut_ptr(),
                    MAPI_CREATE,
                    out.out(),
                )
            },
            "GetIDsFromNames on the destination",
        )?;
        // SAFETY: the destination's answer is NULL or a valid tag array.
        let dtags = unsafe { tags_of(out.ptr) };
        for ((sid, _), dtag) in found.iter().zip(dtags) {
            if prop_type(dtag) != PT_ERROR && prop_id(dtag) >= 0x8000 {
                self.names.insert(*sid, Some(prop_id(dtag)));
            }
        }
        Ok(())
    }

    /// The destination's tag for a source tag (`None`: a named property the destination
    /// cannot map).
    pub(super) fn dest_tag(&self, tag: u32) -> Option<u32> {
        let id = prop_id(tag);
        if id < 0x8000 {
            return Some(tag);
        }
        self.names
            .get(&id)
            .copied()
            .flatten()
            .map(|d| ((d as u32) << 16) | prop_type(tag))
    }

    /// Copies the values of `tags`; returns the source's `PR_ATTACH_METHOD` if among them.
    ///
    /// # Safety
    /// `src` and `dst` must be live `IMAPIProp` pointers.
    pub(super) unsafe fn copy_values(
        &mut self,
        src: *mut c_void,
        dst: *mut c_void,
        tags: &[u32],
    ) -> Result<Option<u32>> {
        if tags.is_empty() {
            return Ok(None);
        }
        let ids: Vec<u16> = tags.iter().map(|&t| prop_id(t)).collect();
        // SAFETY: both are live.
        unsafe { self.translate(src, dst, &ids)? };
        // SAFETY: `src` is live.
        let (values, count) = unsafe { self.get_props(src, tags, "GetProps on the source")? };
        let got: &[SPropValue] = if values.ptr.is_null() {
            &[]
        } else {
            // SAFETY: the answer holds `count` values, one per tag asked.
            unsafe { std::slice::from_raw_parts(values.ptr, count.min(tags.len())) }
        };
        let (mut plan, method) = self.plan(tags, got);
        if self.flags & MAPI_NOREPLACE != 0 {
            // SAFETY: `dst` is live.
            let present = unsafe { self.present(dst, &plan)? };
            let mut keep = present.into_iter().map(|p| !p);
            plan.retain(|_| keep.next().unwrap_or(true));
        }
        // SAFETY: both are live; the planned values point into `values`, alive till the end.
        let failed = unsafe { self.write(src, dst, &plan)? };
        if self.flags & MAPI_MOVE != 0 && self.top() {
            // A move takes from the source what reached the destination.
            let moved: Vec<u32> = plan
                .iter()
                .filter(|p| !failed.contains(&p.index))
                .map(|p| p.src_tag)
                .collect();
            if !moved.is_empty() {
                let arr = self.tag_array(&moved)?;
                // SAFETY: `src` is live; a failure to delete leaves the copy in place.
                unsafe {
                    (vtbl::<IMAPIPropVtbl>(src).DeleteProps)(src, arr.ptr, std::ptr::null_mut())
                };
            }
        }
        drop(values);
        Ok(method)
    }

    /// What to write for the values the source answered; unreadable and unmappable ones
    /// become problems.
    fn plan(&mut self, tags: &[u32], got: &[SPropValue]) -> (Vec<Planned>, Option<u32>) {
        let mut method = None;
        let mut plan = Vec::with_capacity(got.len());
        for (index, (v, &src_tag)) in got.iter().zip(tags).enumerate() {
            if v.ulPropTag == PR_ATTACH_METHOD {
                // SAFETY: a PT_LONG value.
                method = Some(unsafe { v.Value.l } as u32);
            }
            let large = prop_type(v.ulPropTag) == PT_ERROR;
            if large {
                // SAFETY: the error member of a PT_ERROR value.
                let scode = unsafe { v.Value.err };
                if scode != MAPI_E_NOT_ENOUGH_MEMORY {
                    self.problem(index, src_tag, scode);
                    continue;
                }
            }
            let Some(dst_tag) = self.dest_tag(if large { src_tag } else { v.ulPropTag }) else {
                self.problem(index, src_tag, MAPI_E_NOT_FOUND);
                continue;
            };
            plan.push(Planned {
                index,
                src_tag,
                dst_tag,
                value: (!large).then_some(*v),
            });
        }
        (plan, method)
    }

    /// Writes the plan; returns the indexes of the values that did not arrive.
    ///
    /// # Safety
    /// `src` and `dst` must be live `IMAPIProp` pointers; the values valid.
    unsafe fn write(
        &mut self,
        src: *mut c_void,
        dst: *mut c_void,
        plan: &[Planned],
    ) -> Result<HashSet<usize>> {
        let mut failed = HashSet::new();
        let small: Vec<&Planned> = plan.iter().filter(|p| p.value.is_some()).collect();
        // 8-bit strings are read in the source message's code page; a destination of the
        // other width converts them with its own, so it learns that code page first.
        let (first, rest): (Vec<&Planned>, Vec<&Planned>) = small
            .into_iter()
            .partition(|p| self.uflag == 0 && gives_codepage(prop_id(p.dst_tag)));
        for group in [first, rest] {
            // SAFETY: `dst` is live; the values are valid (forwarded).
            unsafe { self.set_values(dst, &group, &mut failed)? };
        }
        for p in plan.iter().filter(|p| p.value.is_none()) {
            // SAFETY: both are live.
            if let Err(e) = unsafe { self.copy_stream(src, dst, p.src_tag, p.dst_tag) } {
                failed.insert(p.index);
                self.problem(p.index, p.src_tag, scode_of(e.kind));
            }
        }
        Ok(failed)
    }

    /// Sets `group` with one `SetProps`; each problem the destination reports is recorded
    /// and its value's index goes into `failed`.
    ///
    /// # Safety
    /// `dst` must be a live `IMAPIProp`; the values valid.
    unsafe fn set_values(
        &mut self,
        dst: *mut c_void,
        group: &[&Planned],
        failed: &mut HashSet<usize>,
    ) -> Result<()> {
        if group.is_empty() {
            return Ok(());
        }
        let mut values: Vec<SPropValue> = group
            .iter()
            .filter_map(|p| {
                let mut v = p.value?;
                v.ulPropTag = p.dst_tag;
                Some(v)
            })
            .collect();
        let mut problems = Buffer::<SPropProblemArray>::new(&self.alloc);
        // SAFETY: `dst` is live; the values are valid.
        check(
            unsafe {
                (vtbl::<IMAPIPropVtbl>(dst).SetProps)(
                    dst,
                    values.len() as ULONG,
                    values.as_mut_ptr(),
                    problems.out(),
                )
            },
            "SetProps on the destination",
        )?;
        // SAFETY: NULL or a valid problem array from the destination.
        for p in unsafe { problem_entries(problems.ptr) } {
            let k = p.ulIndex as usize;
            let (index, tag) = group
                .get(k)
                .map_or((k, p.ulPropTag), |s| (s.index, s.src_tag));
            failed.insert(index);
            self.problem(index, tag, p.scode);
        }
        Ok(())
    }

    /// Whether a message stores Unicode strings, by `STORE_UNICODE_OK` in its
    /// `PR_STORE_SUPPORT_MASK`; without one, the width of the message holding it.
    ///
    /// # Safety
    /// `msg` must be a live `IMAPIProp`.
    pub(super) unsafe fn is_unicode(&self, msg: *mut c_void) -> bool {
        // SAFETY: `msg` is live.
        match unsafe { self.get_props(msg, &[PR_STORE_SUPPORT_MASK], "GetProps") } {
            Ok((v, 1)) if !v.ptr.is_null() => {
                // SAFETY: one value was answered; a PT_LONG value's member is `l`.
                let v = unsafe { *v.ptr };
                if v.ulPropTag == PR_STORE_SUPPORT_MASK {
                    // SAFETY: as above.
                    return unsafe { v.Value.l } as ULONG & STORE_UNICODE_OK != 0;
                }
                self.uflag != 0
            }
            _ => self.uflag != 0,
        }
    }

    /// Whether each planned property already has a value on `dst` (`MAPI_NOREPLACE`).
    ///
    /// # Safety
    /// `dst` must be a live `IMAPIProp`.
    unsafe fn present(&self, dst: *mut c_void, plan: &[Planned]) -> Result<Vec<bool>> {
        if plan.is_empty() {
            return Ok(Vec::new());
        }
        let tags: Vec<u32> = plan
            .iter()
            .map(|p| change_type(p.dst_tag, PT_UNSPECIFIED))
            .collect();
        // SAFETY: `dst` is live.
        let (values, count) = unsafe { self.get_props(dst, &tags, "GetProps on the destination")? };
        let mut out = vec![false; tags.len()];
        if !values.ptr.is_null() {
            // SAFETY: the answer holds `count` values.
            let got = unsafe { std::slice::from_raw_parts(values.ptr, count) };
            for (o, v) in out.iter_mut().zip(got) {
                // SAFETY: the error member of a PT_ERROR value.
                *o = prop_type(v.ulPropTag) != PT_ERROR
                    || unsafe { v.Value.err } == MAPI_E_NOT_ENOUGH_MEMORY;
            }
        }
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
    ) -> Result<()> {
        // SAFETY: both are live; the out-parameters are ours; the streams are live while
        // their references are held.
        unsafe {
            let mut p = std::ptr::null_mut();
            check(
                (vtbl::<IMAPIPropVtbl>(src).OpenProperty)(src, stag, &IID_IStream, 0, 0, &mut p),
                "source OpenProperty",
            )?;
            let input = took(p, "source OpenProperty")?;
            let mut q = std::ptr::null_mut();
            check(
                (vtbl::<IMAPIPropVtbl>(dst).OpenProperty)(
                    dst,
                    dtag,
                    &IID_IStream,
                    STGM_WRITE,
                    MAPI_CREATE | MAPI_MODIFY,
                    &mut q,
                ),
                "destination OpenProperty",
            )?;
            let output = took(q, "destination OpenProperty")?;
            let (iv, ov) = (input.vtbl::<IStreamVtbl>(), output.vtbl::<IStreamVtbl>());
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let mut n: ULONG = 0;
                check(
                    (iv.Read)(
                        input.as_ptr(),
                        buf.as_mut_ptr().cast(),
                        buf.len() as ULONG,
                        &mut n,
                    ),
                    "IStream::Read",
                )?;
                let n = n.min(buf.len() as ULONG);
                if n == 0 {
                    break;
                }
                let mut done: ULONG = 0;
                check(
                    (ov.Write)(output.as_ptr(), buf.as_ptr().cast(), n, &mut done),
                    "IStream::Write",
                )?;
                if done != n {
                    return crate::error::err(
                        crate::error::ErrorKind::CallFailed,
                        "the destination stream took fewer bytes than written",
                    );
                }
            }
            check((ov.Commit)(output.as_ptr(), 0), "IStream::Commit")
        }
    }
}

/// The entries of a problem array a call handed us.
///
/// # Safety
/// `p` must be NULL or a valid `SPropProblemArray`.
pub(super) unsafe fn problem_entries(p: *const SPropProblemArray) -> Vec<SPropProblem> {
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: forwarded from the caller.
    unsafe {
        std::slice::from_raw_parts(
            std::ptr::addr_of!((*p).aProblem).cast::<SPropProblem>(),
            (*p).cProblem as usize,
        )
        .to_vec()
    }
}
