//! The state behind `IMessage` and `IAttach` objects. Every other class declares its shell
//! with its vtable and slots in one `capi` file (`com_class!`, capi/class.rs); these two stay
//! here because each refers to the other (a message caches its open attachments, an
//! attachment keeps its message and embedded message) and the session registry
//! (com/session_registry.rs) closes messages, which `capi` may not be imported from.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::foreign::ComRef;
use super::mapimem::Allocators;
use super::object::ComObject;
use super::types::*;
use super::vtbl::MSGCALLRELEASE;
use crate::model::message::{MsgFile, NodeId};

/// Something a child object keeps alive (usually its parent's COM object).
pub type KeepAlive = Arc<dyn Any + Send + Sync>;

/// An `IMessage`: the top-level message, or one embedded in an attachment.
pub struct MessageShell {
    pub file: Arc<MsgFile>,
    pub node: NodeId,
    pub alloc: Allocators,
    /// Present on the top-level message only.
    pub top: Option<TopLevel>,
    /// An embedded message keeps its attachment alive.
    pub parent: Option<KeepAlive>,
    /// Attachments open from this message, so that a second `OpenAttach` returns the same
    /// object.
    pub attachments: Mutex<BTreeMap<u32, Weak<ComObject<AttachShell>>>>,
}

impl MessageShell {
    pub fn new(
        file: Arc<MsgFile>,
        node: NodeId,
        alloc: Allocators,
        top: Option<TopLevel>,
        parent: Option<KeepAlive>,
    ) -> MessageShell {
        MessageShell {
            file,
            node,
            alloc,
            top,
            parent,
            attachments: Mutex::new(BTreeMap::new()),
        }
    }
}

/// An `IAttach`.
pub struct AttachShell {
    pub file: Arc<MsgFile>,
    pub node: NodeId,
    pub num: u32,
    pub alloc: Allocators,
    /// The message it belongs to, kept alive.
    pub parent: Arc<ComObject<MessageShell>>,
    /// Its open embedded message, so that a second open returns the same object.
    pub embedded: Mutex<Weak<ComObject<MessageShell>>>,
}

impl Drop for AttachShell {
    fn drop(&mut self) {
        // Unsaved changes of the attachment are discarded; dropped outside the file's lock.
        drop(self.file.close_node(self.node));
    }
}

/// What only the top-level message of a file owns.
pub struct TopLevel {
    /// The caller's storage, AddRef'd by `OpenIMsgOnIStg`.
    storage: Mutex<Option<ComRef>>,
    callback: Mutex<Option<(MSGCALLRELEASE, ULONG)>>,
    /// The `IMessage` pointer passed to the release callback.
    this: AtomicUsize,
}

impl TopLevel {
    pub fn new(storage: ComRef, callback: Option<(MSGCALLRELEASE, ULONG)>) -> TopLevel {
        TopLevel {
            storage: Mutex::new(Some(storage)),
            callback: Mutex::new(callback),
            this: AtomicUsize::new(0),
        }
    }

    pub fn set_this(&self, this: *mut std::ffi::c_void) {
        self.this.store(this as usize, Ordering::Release);
    }
}

impl MessageShell {
    /// Closes the top-level message's file: discards unsaved changes, releases the storage
    /// and calls the release callback (once). Later calls fail with
    /// `MAPI_E_OBJECT_DELETED`; the object itself lives until its last `Release`.
    pub fn close(&self) {
        let Some(top) = &self.top else { return };
        // Taken out under the locks, released and called after them.
        let nodes = self.file.close();
        drop(nodes);
        let storage = top.storage.lock().take();
        drop(storage);
        let callback = top.callback.lock().take();
        if let Some((callback, data)) = callback {
            let this = top.this.load(Ordering::Acquire) as *mut std::ffi::c_void;
            // SAFETY: the caller registered this callback with OpenIMsgOnIStg; it receives the
            // message pointer it was given.
            unsafe { callback(data, this.cast()) };
        }
    }
}

impl Drop for MessageShell {
    fn drop(&mut self) {
        if self.top.is_some() {
            self.close();
        } else {
            drop(self.file.close_node(self.node));
        }
    }
}
