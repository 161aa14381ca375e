//! The sub-objects of a copy (`copy_to.rs`): a message's recipients and attachments, and
//! an attachment's embedded message or OLE storage.

use std::ffi::c_void;

use super::copy_to::{Buffer, Copier, Kind, Select, check, took, vtbl};
use super::foreign::ComRef;
use super::guids::*;
use super::mapimem::Allocators;
use super::types::*;
use super::vtbl::{IMAPIPropVtbl, IMAPITableVtbl, IMessageVtbl, IStorageVtbl};
use crate::consts::*;
use crate::error::Result;
use crate::model::prop::tags::*;
use crate::model::prop::{prop_id, prop_type};

use super::copy_values::intrinsic;

/// Rows read from a table, each row's values its own buffer (as `QueryRows` hands them).
struct Rows {
    rows: Vec<SRow>,
    alloc: Allocators,
}

impl Drop for Rows {
    fn drop(&mut self) {
        for r in &self.rows {
            self.alloc.free(r.lpProps.cast());
        }
    }
}

impl Copier {
    /// Every row of a table, with `columns` or all of its columns.
    ///
    /// # Safety
    /// `table` must be a live `IMAPITable`.
    unsafe fn all_rows(&self, table: &ComRef, columns: Option<&[u32]>) -> Result<Rows> {
        let mut out = Rows {
            rows: Vec::new(),
            alloc: self.alloc,
        };
        // SAFETY: `table` is live; the out-parameters are ours; each answer is a valid row
        // set whose rows' value arrays become ours.
        unsafe {
            let tv = table.vtbl::<IMAPITableVtbl>();
            let t = table.as_ptr();
            let cols = match columns {
                Some(c) => self.tag_array(c)?,
                None => {
                    let mut cols = Buffer::new(&self.alloc);
                    check(
                        (tv.QueryColumns)(t, TBL_ALL_COLUMNS, cols.out()),
                        "QueryColumns",
                    )?;
                    cols
                }
            };
            check((tv.SetColumns)(t, cols.ptr, 0), "SetColumns")?;
            check(
                (tv.SeekRow)(t, BOOKMARK_BEGINNING, 0, std::ptr::null_mut()),
                "SeekRow",
            )?;
            loop {
                let mut set = Buffer::<SRowSet>::new(&self.alloc);
                check((tv.QueryRows)(t, 4096, 0, set.out()), "QueryRows")?;
                if set.ptr.is_null() {
                    break;
                }
                let n = (*set.ptr).cRows as usize;
                let first = std::ptr::addr_of!((*set.ptr).aRow).cast::<SRow>();
                out.rows
                    .extend_from_slice(std::slice::from_raw_parts(first, n));
                if n == 0 {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The source's attachment numbers, in table order.
    ///
    /// # Safety
    /// `src` must be a live `IMessage`.
    pub(super) unsafe fn attachment_numbers(&self, src: *mut c_void) -> Result<Vec<ULONG>> {
        // SAFETY: `src` is live; the out-parameter is ours; the table is live while held.
        unsafe {
            let mut t = std::ptr::null_mut();
            check(
                (vtbl::<IMessageVtbl>(src).GetAttachmentTable)(src, 0, &mut t),
                "GetAttachmentTable",
            )?;
            let table = took(t, "GetAttachmentTable")?;
            let rows = self.all_rows(&table, Some(&[PR_ATTACH_NUM]))?;
            Ok(rows
                .rows
                .iter()
                .filter(|r| r.cValues >= 1 && (*r.lpProps).ulPropTag == PR_ATTACH_NUM)
                .map(|r| (*r.lpProps).Value.l as ULONG)
                .collect())
        }
    }

    /// The recipient list, replacing the destination's (added to it with
    /// `MAPI_NOREPLACE`). A property a row cannot carry over is a problem of that row.
    ///
    /// # Safety
    /// `src` and `dst` must be live `IMessage` pointers.
    pub(super) unsafe fn copy_recipients(
        &mut self,
        src: *mut c_void,
        dst: *mut c_void,
    ) -> Result<()> {
        // SAFETY: both are live messages; out-parameters are ours; the rows' values are
        // valid and ours until `rows` drops.
        unsafe {
            let mut t = std::ptr::null_mut();
            check(
                (vtbl::<IMessageVtbl>(src).GetRecipientTable)(src, self.uflag, &mut t),
                "GetRecipientTable",
            )?;
            let table = took(t, "GetRecipientTable")?;
            let mut rows = self.all_rows(&table, None)?;
            drop(table);
            let mut ids = Vec::new();
            for r in &rows.rows {
                for i in 0..r.cValues as usize {
                    ids.push(prop_id((*r.lpProps.add(i)).ulPropTag));
                }
            }
            self.translate(src, dst, &ids)?;
            for (row, r) in rows.rows.iter_mut().enumerate() {
                let mut kept = 0;
                for i in 0..r.cValues as usize {
                    let mut v = *r.lpProps.add(i);
                    let (ty, id) = (prop_type(v.ulPropTag), prop_id(v.ulPropTag));
                    if matches!(ty, PT_ERROR | PT_OBJECT | PT_NULL) || intrinsic(id) {
                        continue;
                    }
                    match self.dest_tag(v.ulPropTag) {
                        Some(d) => v.ulPropTag = d,
                        None => {
                            self.problem(row, v.ulPropTag, MAPI_E_NOT_FOUND);
                            continue;
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
            if rows.rows.is_empty() && flags == MODRECIP_ADD {
                return Ok(());
            }
            let n = rows.rows.len();
            let size = std::mem::offset_of!(ADRLIST, aRow) + n.max(1) * size_of::<SRow>();
            let list = Buffer::of(&self.alloc, self.alloc.alloc(size)?.cast::<ADRLIST>());
            (*list.ptr).cRows = n as ULONG;
            let first = std::ptr::addr_of_mut!((*list.ptr).aRow).cast::<SRow>();
            std::ptr::copy_nonoverlapping(rows.rows.as_ptr(), first, n);
            let hr = (vtbl::<IMessageVtbl>(dst).ModifyRecipients)(dst, flags, list.ptr);
            // The destination may have replaced entries' arrays: `rows` frees what is there.
            for (i, r) in rows.rows.iter_mut().enumerate() {
                r.lpProps = (*first.add(i)).lpProps;
            }
            check(hr, "ModifyRecipients on the destination")
        }
    }

    /// One attachment, into a new attachment of the destination (taken out of the source
    /// with `moving`).
    ///
    /// # Safety
    /// `src` and `dst` must be live `IMessage` pointers.
    pub(super) unsafe fn copy_attachment(
        &mut self,
        src: *mut c_void,
        dst: *mut c_void,
        num: ULONG,
        moving: bool,
    ) -> Result<()> {
        // SAFETY: both are live messages; out-parameters are ours; the attachments are
        // live while their references are held.
        unsafe {
            let (sv, dv) = (vtbl::<IMessageVtbl>(src), vtbl::<IMessageVtbl>(dst));
            let mut a = std::ptr::null_mut();
            check(
                (sv.OpenAttach)(src, num, std::ptr::null(), 0, &mut a),
                "OpenAttach",
            )?;
            let source = took(a, "OpenAttach")?;
            let mut b = std::ptr::null_mut();
            let mut dnum: ULONG = 0;
            check(
                (dv.CreateAttach)(dst, std::ptr::null(), 0, &mut dnum, &mut b),
                "CreateAttach on the destination",
            )?;
            let copy = took(b, "CreateAttach on the destination")?;
            self.copy_object(
                source.as_ptr(),
                copy.as_ptr(),
                Kind::Attachment,
                true,
                &Select::all(),
            )?;
            check(
                (copy.vtbl::<IMAPIPropVtbl>().SaveChanges)(copy.as_ptr(), KEEP_OPEN_READWRITE),
                "attachment SaveChanges on the destination",
            )?;
            drop(source);
            if moving {
                check(
                    (sv.DeleteAttach)(src, num, 0, std::ptr::null_mut(), 0),
                    "DeleteAttach on the source",
                )?;
            }
            Ok(())
        }
    }

    /// An attachment's embedded message (by `PR_ATTACH_METHOD`) or OLE storage.
    ///
    /// # Safety
    /// `src` and `dst` must be live `IAttach` pointers.
    pub(super) unsafe fn copy_attach_object(
        &mut self,
        src: *mut c_void,
        dst: *mut c_void,
        method: Option<u32>,
    ) -> Result<()> {
        let embedded = method == Some(ATTACH_EMBEDDED_MSG);
        let iid = if embedded { IID_IMessage } else { IID_IStorage };
        // SAFETY: both are live attachments; out-parameters are ours; the objects are live
        // while their references are held.
        unsafe {
            let (sv, dv) = (vtbl::<IMAPIPropVtbl>(src), vtbl::<IMAPIPropVtbl>(dst));
            let mut p = std::ptr::null_mut();
            let hr = (sv.OpenProperty)(src, PR_ATTACH_DATA_OBJ, &iid, 0, 0, &mut p);
            if hr == MAPI_E_NOT_FOUND {
                return Ok(());
            }
            check(hr, "source OpenProperty(PR_ATTACH_DATA_OBJ)")?;
            let source = took(p, "source OpenProperty(PR_ATTACH_DATA_OBJ)")?;
            // An embedded message is read in its own width, which may differ from its
            // parent's; a Unicode one is made Unicode (MAPI_UNICODE; without the flag a new
            // embedded message takes its parent's width). A destination that knows no such
            // flag gets the plain call.
            let unicode = embedded && self.is_unicode(source.as_ptr());
            let create = MAPI_CREATE | MAPI_MODIFY;
            let mut q = std::ptr::null_mut();
            let mut hr = MAPI_E_UNKNOWN_FLAGS;
            if unicode {
                hr = (dv.OpenProperty)(
                    dst,
                    PR_ATTACH_DATA_OBJ,
                    &iid,
                    0,
                    create | MAPI_UNICODE,
                    &mut q,
                );
            }
            if hr == MAPI_E_UNKNOWN_FLAGS {
                hr = (dv.OpenProperty)(dst, PR_ATTACH_DATA_OBJ, &iid, 0, create, &mut q);
            }
            check(hr, "destination OpenProperty(PR_ATTACH_DATA_OBJ)")?;
            let copy = took(q, "destination OpenProperty(PR_ATTACH_DATA_OBJ)")?;
            if embedded {
                let width = if unicode { MAPI_UNICODE } else { 0 };
                self.in_width(width, |c| {
                    c.copy_object(
                        source.as_ptr(),
                        copy.as_ptr(),
                        Kind::Message,
                        true,
                        &Select::all(),
                    )
                })?;
                check(
                    (copy.vtbl::<IMAPIPropVtbl>().SaveChanges)(copy.as_ptr(), KEEP_OPEN_READWRITE),
                    "embedded message SaveChanges on the destination",
                )
            } else {
                let v = source.vtbl::<IStorageVtbl>();
                check(
                    (v.CopyTo)(
                        source.as_ptr(),
                        0,
                        std::ptr::null(),
                        std::ptr::null_mut(),
                        copy.as_ptr(),
                    ),
                    "IStorage::CopyTo",
                )?;
                check(
                    (copy.vtbl::<IStorageVtbl>().Commit)(copy.as_ptr(), 0),
                    "IStorage::Commit",
                )
            }
        }
    }
}
