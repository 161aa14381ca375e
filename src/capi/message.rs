//! `IMessage`: the vtable of our message objects.

use std::ffi::c_void;
use std::sync::{Arc, Weak};

use super::prop::FileObject;
use super::{OutParam, invalid, out_ptr, unknown_flags};
use crate::com::guids::*;
use crate::com::mapimem::Allocators;
use crate::com::marshal;
use crate::com::object::ComObject;
use crate::com::shells::MessageShell;
use crate::com::types::*;
use crate::com::vtbl::{IMessageVtbl, This};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::message::{MsgFile, NodeId};
use crate::model::table::TableKind;
use crate::types::prop_value::{PropValue, prop_id, prop_type, tags::*};

com_class! {
    MessageShell;
    IMessageVtbl, iids [IID_IMAPIProp, IID_IMessage],
    mapi_prop_slots {
        GetAttachmentTable: get_attachment_table,
        OpenAttach: open_attach,
        CreateAttach: create_attach,
        DeleteAttach: delete_attach,
        GetRecipientTable: get_recipient_table,
        ModifyRecipients: modify_recipients,
        SubmitMessage: submit_message,
        SetReadFlag: set_read_flag,
    }
}

impl FileObject for MessageShell {
    fn file(&self) -> &Arc<MsgFile> {
        &self.file
    }
    fn node(&self) -> NodeId {
        self.node
    }
    fn alloc(&self) -> &Allocators {
        &self.alloc
    }
    /// `PR_MESSAGE_RECIPIENTS` and `PR_MESSAGE_ATTACHMENTS` open as tables.
    fn open_special(
        obj: &ComObject<Self>,
        tag: ULONG,
        iid: &IID,
        options: ULONG,
        _flags: ULONG,
    ) -> Option<Result<*mut c_void>> {
        let kind = match prop_id(tag) {
            id if id == prop_id(PR_MESSAGE_RECIPIENTS) => TableKind::Recipients,
            id if id == prop_id(PR_MESSAGE_ATTACHMENTS) => TableKind::Attachments,
            _ => return None,
        };
        if *iid != IID_IMAPITable {
            return Some(Err(Error::new(
                ErrorKind::InterfaceNotSupported,
                "recipients and attachments open as IID_IMAPITable",
            )));
        }
        Some(
            obj.inner
                .file
                .table_rows(obj.inner.node, kind)
                .map(|_| table(obj, kind, options & MAPI_UNICODE != 0)),
        )
    }
}

/// A recipient or attachment table of a message.
fn table(obj: &ComObject<MessageShell>, kind: TableKind, unicode: bool) -> *mut c_void {
    let m = &obj.inner;
    super::table::new_table(obj.arc(), m.file.clone(), m.node, kind, m.alloc, unicode)
}

unsafe extern "system" fn get_attachment_table(
    this: This,
    flags: ULONG,
    lpp: *mut This,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        unknown_flags(flags, MAPI_UNICODE | MAPI_DEFERRED_ERRORS)?;
        obj.inner
            .file
            .table_rows(obj.inner.node, TableKind::Attachments)?;
        out.set(table(
            obj,
            TableKind::Attachments,
            flags & MAPI_UNICODE != 0,
        ));
        Ok(S_OK)
    })
}

unsafe extern "system" fn get_recipient_table(this: This, flags: ULONG, lpp: *mut This) -> HRESULT {
    crate::try_slot!(MessageShell, this, |obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        unknown_flags(flags, MAPI_UNICODE | MAPI_DEFERRED_ERRORS)?;
        obj.inner
            .file
            .table_rows(obj.inner.node, TableKind::Recipients)?;
        out.set(table(obj, TableKind::Recipients, flags & MAPI_UNICODE != 0));
        Ok(S_OK)
    })
}

/// The interfaces an attachment can be asked for (NULL means IAttach).
fn attach_iid(iid: *const IID) -> Result<()> {
    // SAFETY: `iid` is NULL or a valid IID.
    match unsafe { iid.as_ref() } {
        None => Ok(()),
        Some(i) if [IID_IAttachment, IID_IMAPIProp, IID_IUnknown].contains(i) => Ok(()),
        Some(_) => Err(Error::new(
            ErrorKind::InterfaceNotSupported,
            "attachments are IAttach objects",
        )),
    }
}

unsafe extern "system" fn open_attach(
    this: This,
    num: ULONG,
    iid: *const IID,
    flags: ULONG,
    lpp: *mut This,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        attach_iid(iid)?;
        unknown_flags(flags, MAPI_MODIFY | MAPI_BEST_ACCESS | MAPI_DEFERRED_ERRORS)?;
        let m = &obj.inner;
        let mut open = m.attachments.lock();
        // A second open returns the object already open, with its first access.
        if let Some(existing) = open.get(&num).and_then(Weak::upgrade) {
            out.set(ComObject::arc_into_raw(existing));
            return Ok(S_OK);
        }
        let node = m.file.open_attach(
            m.node,
            num,
            flags & MAPI_MODIFY != 0,
            flags & MAPI_BEST_ACCESS != 0,
        )?;
        let attach = super::attach::new_attach(obj, num, node);
        open.insert(num, Arc::downgrade(&attach));
        out.set(ComObject::arc_into_raw(attach));
        Ok(S_OK)
    })
}

unsafe extern "system" fn create_attach(
    this: This,
    iid: *const IID,
    flags: ULONG,
    num: *mut ULONG,
    lpp: *mut This,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |obj| {
        // SAFETY: out-parameters are NULL or the caller's.
        let (out, num_out) = unsafe { (out_ptr(lpp), OutParam::new(num)) };
        let (Some(out), Some(num_out)) = (out, num_out) else {
            return Err(invalid("NULL out-parameter"));
        };
        attach_iid(iid)?;
        unknown_flags(flags, MAPI_DEFERRED_ERRORS)?;
        let m = &obj.inner;
        let (number, node) = m.file.create_attach(m.node)?;
        let attach = super::attach::new_attach(obj, number, node);
        m.attachments.lock().insert(number, Arc::downgrade(&attach));
        num_out.set(number);
        out.set(ComObject::arc_into_raw(attach));
        Ok(S_OK)
    })
}

/// `ATTACH_DIALOG` is ignored: there is no support object to show progress with.
unsafe extern "system" fn delete_attach(
    this: This,
    num: ULONG,
    _ui: usize,
    _progress: This,
    flags: ULONG,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |obj| {
        unknown_flags(flags, ATTACH_DIALOG)?;
        obj.inner.file.delete_attach(obj.inner.node, num)?;
        Ok(S_OK)
    })
}

/// Reads a caller's `ADRLIST`; "NULL recipients" (no values) are empty entries.
///
/// # Safety
/// `mods` must point to a valid `ADRLIST` whose entries' values are valid.
unsafe fn adrlist_in(mods: *const ADRLIST) -> Result<Vec<Vec<(u32, PropValue)>>> {
    // SAFETY: forwarded from the caller.
    let list = unsafe { mods.as_ref() }.ok_or_else(|| invalid("NULL ADRLIST"))?;
    let first = std::ptr::addr_of!(list.aRow) as *const ADRENTRY;
    // SAFETY: an ADRLIST holds `cEntries` entries.
    let entries = unsafe { std::slice::from_raw_parts(first, list.cRows as usize) };
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        if entry.cValues == 0 {
            out.push(Vec::new());
            continue;
        }
        if entry.lpProps.is_null() {
            return Err(invalid("an ADRENTRY has values but no array"));
        }
        // SAFETY: the entry's array holds `cValues` values.
        let values = unsafe { std::slice::from_raw_parts(entry.lpProps, entry.cValues as usize) };
        let mut row = Vec::with_capacity(values.len());
        for v in values {
            match prop_type(v.ulPropTag) {
                PT_ERROR => continue,
                // SAFETY: the value's pointers are the caller's, valid per the contract.
                _ => row.push((v.ulPropTag, unsafe { marshal::value_in(v) }?)),
            }
        }
        out.push(row);
    }
    Ok(out)
}

/// The caller's `ADRLIST` is read, never freed or changed: the assigned `PR_ROWID`s are
/// in the recipient table.
unsafe extern "system" fn modify_recipients(
    this: This,
    flags: ULONG,
    mods: *mut ADRLIST,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |obj| {
        // SAFETY: `mods` is NULL or the caller's ADRLIST.
        let entries = unsafe { adrlist_in(mods) }?;
        obj.inner
            .file
            .modify_recipients(obj.inner.node, flags, entries)?;
        Ok(S_OK)
    })
}

/// Not supported by IMessage on IStorage, as documented: there is no transport.
unsafe extern "system" fn submit_message(this: This, _flags: ULONG) -> HRESULT {
    crate::try_slot!(MessageShell, this, |_obj| {
        Err(Error::new(
            ErrorKind::NoSupport,
            "SubmitMessage: a message on IStorage has no transport to submit to",
        ))
    })
}

unsafe extern "system" fn set_read_flag(this: This, flags: ULONG) -> HRESULT {
    crate::try_slot!(MessageShell, this, |obj| {
        obj.inner.file.set_read_flag(obj.inner.node, flags)?;
        Ok(S_OK)
    })
}

/// A new top-level message object.
pub fn new_top_level(shell: MessageShell) -> Arc<ComObject<MessageShell>> {
    let obj = ComObject::new_arc(shell);
    if let Some(top) = &obj.inner.top {
        top.set_this(obj.as_ptr());
    }
    obj
}
