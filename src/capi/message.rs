//! `IMessage`: the vtable of our message objects.

use std::ffi::c_void;
use std::sync::Arc;

use super::clear_out;
use super::prop::{self, PropObject};
use crate::com::guids::*;
use crate::com::mapimem::Allocators;
use crate::com::object::{self, Class, ComObject};
use crate::com::shells::MessageShell;
use crate::com::types::*;
use crate::com::vtbl::{IMessageVtbl, This};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::message::{MsgFile, NodeId};

static MESSAGE_VTBL: IMessageVtbl = IMessageVtbl {
    QueryInterface: object::query_interface::<MessageShell>,
    AddRef: object::add_ref::<MessageShell>,
    Release: object::release::<MessageShell>,
    GetLastError: prop::get_last_error::<MessageShell>,
    SaveChanges: prop::save_changes::<MessageShell>,
    GetProps: prop::get_props::<MessageShell>,
    GetPropList: prop::get_prop_list::<MessageShell>,
    OpenProperty: prop::open_property::<MessageShell>,
    SetProps: prop::set_props::<MessageShell>,
    DeleteProps: prop::delete_props::<MessageShell>,
    CopyTo: prop::copy_to::<MessageShell>,
    CopyProps: prop::copy_props::<MessageShell>,
    GetNamesFromIDs: prop::get_names_from_ids::<MessageShell>,
    GetIDsFromNames: prop::get_ids_from_names::<MessageShell>,
    GetAttachmentTable: get_attachment_table,
    OpenAttach: open_attach,
    CreateAttach: create_attach,
    DeleteAttach: delete_attach,
    GetRecipientTable: get_recipient_table,
    ModifyRecipients: modify_recipients,
    SubmitMessage: submit_message,
    SetReadFlag: set_read_flag,
};

impl Class for MessageShell {
    type Vtbl = IMessageVtbl;
    fn vtbl() -> &'static IMessageVtbl {
        &MESSAGE_VTBL
    }
    const IIDS: &'static [IID] = &[IID_IMAPIProp, IID_IMessage];
}

impl PropObject for MessageShell {
    fn file(&self) -> &Arc<MsgFile> {
        &self.file
    }
    fn node(&self) -> NodeId {
        self.node
    }
    fn alloc(&self) -> &Allocators {
        &self.alloc
    }
    fn save(&self, _flags: ULONG) -> Result<()> {
        self.file.save_message(self.node)
    }
    fn open_special(
        _obj: &ComObject<Self>,
        _tag: ULONG,
        _iid: &IID,
        _options: ULONG,
        _flags: ULONG,
    ) -> Option<Result<*mut c_void>> {
        None
    }
}

fn not_yet(what: &str) -> Result<HRESULT> {
    Err(Error::new(
        ErrorKind::NoSupport,
        format!("{what} is not implemented yet"),
    ))
}

unsafe extern "system" fn get_attachment_table(
    this: This,
    _flags: ULONG,
    lpp: *mut This,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |_obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        unsafe { clear_out(lpp) };
        not_yet("GetAttachmentTable")
    })
}

unsafe extern "system" fn open_attach(
    this: This,
    _num: ULONG,
    _iid: *const IID,
    _flags: ULONG,
    lpp: *mut This,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |_obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        unsafe { clear_out(lpp) };
        not_yet("OpenAttach")
    })
}

unsafe extern "system" fn create_attach(
    this: This,
    _iid: *const IID,
    _flags: ULONG,
    _num: *mut ULONG,
    lpp: *mut This,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |_obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        unsafe { clear_out(lpp) };
        not_yet("CreateAttach")
    })
}

unsafe extern "system" fn delete_attach(
    this: This,
    _num: ULONG,
    _ui: usize,
    _progress: This,
    _flags: ULONG,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |_obj| not_yet("DeleteAttach"))
}

unsafe extern "system" fn get_recipient_table(
    this: This,
    _flags: ULONG,
    lpp: *mut This,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |_obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        unsafe { clear_out(lpp) };
        not_yet("GetRecipientTable")
    })
}

unsafe extern "system" fn modify_recipients(
    this: This,
    _flags: ULONG,
    _mods: *mut ADRLIST,
) -> HRESULT {
    crate::try_slot!(MessageShell, this, |_obj| not_yet("ModifyRecipients"))
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

unsafe extern "system" fn set_read_flag(this: This, _flags: ULONG) -> HRESULT {
    crate::try_slot!(MessageShell, this, |_obj| not_yet("SetReadFlag"))
}

/// A new top-level message object.
pub fn new_top_level(shell: MessageShell) -> Arc<ComObject<MessageShell>> {
    let obj = ComObject::new_arc(shell);
    if let Some(top) = &obj.inner.top {
        top.set_this(obj.as_ptr());
    }
    obj
}
