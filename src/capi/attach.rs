//! `IAttach`: attachments, their embedded messages and OLE storages.

use std::ffi::c_void;
use std::sync::Arc;

use super::prop::FileObject;
use super::storage::StorageShell;
use crate::com::foreign_storage::ForeignStorage;
use crate::com::guids::*;
use crate::com::mapimem::Allocators;
use crate::com::object::ComObject;
use crate::com::shells::{AttachShell, MessageShell};
use crate::com::types::*;
use crate::com::vtbl::IAttachVtbl;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::message::{MsgFile, NodeId};
use crate::types::prop_value::{prop_id, prop_type, tags::PR_ATTACH_DATA_OBJ};

com_class! {
    AttachShell;
    IAttachVtbl, iids [IID_IMAPIProp, IID_IAttachment],
    mapi_prop_slots {

    }
}

impl FileObject for AttachShell {
    fn file(&self) -> &Arc<MsgFile> {
        &self.file
    }
    fn node(&self) -> NodeId {
        self.node
    }
    fn alloc(&self) -> &Allocators {
        &self.alloc
    }

    /// `PR_ATTACH_DATA_OBJ` opens as the embedded message (`IID_IMessage`) or the OLE
    /// object's storage (`IID_IStorage`).
    fn open_special(
        obj: &ComObject<Self>,
        tag: ULONG,
        iid: &IID,
        _options: ULONG,
        flags: ULONG,
    ) -> Option<Result<*mut c_void>> {
        if prop_id(tag) != prop_id(PR_ATTACH_DATA_OBJ) || prop_type(tag) != PT_OBJECT {
            return None;
        }
        let create = flags & MAPI_CREATE != 0;
        let modify = flags & MAPI_MODIFY != 0;
        Some(if *iid == IID_IMessage {
            open_embedded(obj, create, modify, flags & MAPI_UNICODE != 0)
        } else if *iid == IID_IStorage {
            obj.inner
                .file
                .open_object_storage(obj.inner.node, create, modify)
                .map(|storage| {
                    // A sub-storage of the caller's own IStorage is handed back as itself,
                    // as Microsoft's implementation does; ours gets a shell keeping the
                    // attachment alive.
                    match storage.as_any().downcast_ref::<ForeignStorage>() {
                        Some(foreign) => foreign.add_ref_interface(),
                        None => ComObject::into_raw(StorageShell {
                            storage,
                            keep: Some(obj.arc()),
                        }),
                    }
                })
        } else {
            Err(Error::new(
                ErrorKind::InterfaceNotSupported,
                "PR_ATTACH_DATA_OBJ opens as IID_IMessage or IID_IStorage",
            ))
        })
    }
}

/// The embedded message of an attachment, as an `IMessage`; a second open returns the
/// same object (the first open's access wins). `unicode`: a new message stores Unicode.
fn open_embedded(
    obj: &ComObject<AttachShell>,
    create: bool,
    modify: bool,
    unicode: bool,
) -> Result<*mut c_void> {
    let a = &obj.inner;
    let mut open = a.embedded.lock();
    if let Some(existing) = open.upgrade() {
        return Ok(ComObject::arc_into_raw(existing));
    }
    let node = a.file.open_embedded(a.node, create, modify, unicode)?;
    let message = ComObject::new_arc(MessageShell::new(
        a.file.clone(),
        node,
        a.alloc,
        None,
        Some(obj.arc()),
    ));
    *open = Arc::downgrade(&message);
    Ok(ComObject::arc_into_raw(message))
}

/// A new `IAttach` for an attachment node of `parent`.
pub(crate) fn new_attach(
    parent: &ComObject<MessageShell>,
    num: u32,
    node: NodeId,
) -> Arc<ComObject<AttachShell>> {
    ComObject::new_arc(AttachShell {
        file: parent.inner.file.clone(),
        node,
        num,
        alloc: parent.inner.alloc,
        parent: parent.arc(),
        embedded: parking_lot::Mutex::new(std::sync::Weak::new()),
    })
}
