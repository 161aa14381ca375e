//! `CreateAttach`, `OpenAttach`, `DeleteAttach`, and opening what an attachment carries
//! (`OpenProperty(PR_ATTACH_DATA_OBJ, ...)`: an embedded message or an OLE storage).
#![forbid(unsafe_code)]

use std::sync::Arc;

use super::bag::{PropBag, Slot};
use super::file_state::{
    MessageNode, Object, attach_storage, is_embedded_message, new_record_key, object_storage,
    read_only,
};
use super::load::{EAGER_BUDGET, detect_unicode, read_message_state};
use super::message::MsgFile;
use super::state::{AttachNode, AttachObject, AttachState};
use super::state::{MessageState, NodeId};
use crate::codec::{self, HeaderKind};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};
use crate::storage::Storage;
use crate::types::prop_value::{PropValue, prop_id, tags::*};

impl MsgFile {
    /// `CreateAttach`: a new attachment, open for writing. Returns its number and node.
    pub fn create_attach(&self, node: NodeId) -> Result<(u32, NodeId)> {
        self.with(|st| {
            let m = st.message_mut(node)?;
            if !m.writable {
                return Err(read_only("message"));
            }
            let attachments = &mut m.state.attachments;
            let num = attachments.next_num;
            attachments.next_num = num
                .checked_add(1)
                .ok_or_else(|| Error::new(ErrorKind::TooBig, "no attachment numbers left"))?;
            let mrw = PROPATTR_MANDATORY | PROPATTR_READABLE | PROPATTR_WRITEABLE;
            let mut props = PropBag::default();
            props.set_with_flags(
                PR_ATTACH_METHOD,
                mrw,
                Slot::Value(PropValue::Long(NO_ATTACHMENT as i32)),
            );
            props.set_with_flags(PR_RENDERING_POSITION, mrw, Slot::Value(PropValue::Long(-1)));
            props.set_with_flags(
                PR_RECORD_KEY,
                PROPATTR_READABLE,
                Slot::Value(PropValue::Binary(new_record_key())),
            );
            attachments.slots.insert(num, Default::default());
            let id = st.add(Object::Attach(AttachNode {
                message: node,
                num,
                writable: true,
                working: AttachState {
                    props,
                    object: AttachObject::None,
                },
                embedded: None,
                object_storage: Default::default(),
            }));
            st.message_mut(node)?
                .state
                .attachments
                .slots
                .get_mut(&num)
                .expect("inserted")
                .open = Some(id);
            Ok((num, id))
        })
    }

    /// `OpenAttach`: opens an existing attachment. (The COM layer answers a second open
    /// with the object already open; a new node is made only when none is.)
    pub fn open_attach(
        &self,
        node: NodeId,
        num: u32,
        modify: bool,
        best_access: bool,
    ) -> Result<NodeId> {
        self.with(|st| {
            let m = st.message(node)?;
            let slot = m
                .state
                .attachments
                .slots
                .get(&num)
                .filter(|s| !s.deleted && s.committed.is_some())
                .ok_or_else(|| {
                    Error::new(ErrorKind::NotFound, format!("no attachment number {num}"))
                })?;
            if modify && !m.writable {
                return Err(read_only("message"));
            }
            let working = slot.committed.clone().expect("filtered above");
            let writable = modify || (best_access && m.writable);
            let id = st.add(Object::Attach(AttachNode {
                message: node,
                num,
                writable,
                working,
                embedded: None,
                object_storage: Default::default(),
            }));
            let slot = st
                .message_mut(node)?
                .state
                .attachments
                .slots
                .get_mut(&num)
                .expect("found above");
            slot.open = Some(id);
            Ok(id)
        })
    }

    /// `DeleteAttach`: the attachment goes at the message's next `SaveChanges`.
    pub fn delete_attach(&self, node: NodeId, num: u32) -> Result<()> {
        self.with(|st| {
            let m = st.message_mut(node)?;
            if !m.writable {
                return Err(read_only("message"));
            }
            let attachments = &mut m.state.attachments;
            let slot = attachments
                .slots
                .get_mut(&num)
                .filter(|s| !s.deleted && (s.committed.is_some() || s.open.is_some()))
                .ok_or_else(|| {
                    Error::new(ErrorKind::NotFound, format!("no attachment number {num}"))
                })?;
            slot.deleted = true;
            attachments.touched = true;
            attachments.changed = true;
            Ok(())
        })
    }

    /// Opens (or with `create`, creates) the message embedded in an attachment.
    ///
    /// Its string width: an existing message keeps the one it stores (else its parent's);
    /// a new one is Unicode with `unicode` (`MAPI_UNICODE` given to `OpenProperty`), else
    /// takes its parent's.
    pub fn open_embedded(
        &self,
        attach: NodeId,
        create: bool,
        modify: bool,
        unicode: bool,
    ) -> Result<NodeId> {
        self.with(|st| {
            let a = st.attach(attach)?;
            if (create || modify) && !a.writable {
                return Err(read_only("attachment"));
            }
            if a.object_storage.0.is_some() {
                return err(
                    ErrorKind::NoAccess,
                    "the attachment's object storage is open for writing",
                );
            }
            let (message, num) = (a.message, a.num);
            let parent_unicode = st.message(message)?.state.unicode;
            // Deviations seen while reading it (an embedded message read from its storage).
            let mut warnings = Vec::new();
            let (state, storage) = if create {
                // It replaces what the attachment held: its storage is made afresh at save,
                // so nothing of the old message (streams, recipients, attachments) stays.
                if let Some(slot) = st
                    .message_mut(message)?
                    .state
                    .attachments
                    .slots
                    .get_mut(&num)
                {
                    slot.handles.object = None;
                }
                let state = MessageState {
                    unicode: unicode || parent_unicode,
                    ..MessageState::default()
                };
                (state, None)
            } else {
                match &a.working.object {
                    AttachObject::Message(state) => {
                        let handle = st
                            .message(message)?
                            .state
                            .attachments
                            .slots
                            .get(&num)
                            .and_then(|s| s.handles.object.clone());
                        ((**state).clone(), handle)
                    }
                    AttachObject::Stored if is_embedded_message(&a.working.props) => {
                        let handle = object_storage(st, message, num, false)?;
                        let mut state = read_message_state(
                            &handle,
                            HeaderKind::Embedded,
                            &mut EAGER_BUDGET.clone(),
                            &mut warnings,
                        )?;
                        state.unicode = detect_unicode(&state.props).unwrap_or(parent_unicode);
                        (state, Some(handle))
                    }
                    _ => {
                        return err(
                            ErrorKind::NotFound,
                            "the attachment holds no embedded message",
                        );
                    }
                }
            };
            let writable = modify || create;
            let id = st.add(Object::Message(MessageNode {
                kind: HeaderKind::Embedded,
                storage,
                writable,
                state,
                parent: Some(attach),
                warnings,
                tables: Default::default(),
            }));
            let a = st.attach_mut(attach)?;
            a.embedded = Some(id);
            if create {
                a.working.object = AttachObject::Message(Box::default());
                a.working
                    .props
                    .set(PR_ATTACH_DATA_OBJ, Slot::Object { reserved: 1 });
            }
            Ok(id)
        })
    }

    /// `OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage)`: the attachment's object storage
    /// (an OLE object's), opened transacted: its `Commit`, or else the attachment's
    /// `SaveChanges`, publishes into the message's storage, written at the message's next
    /// save. One opened for writing stays with the attachment (a second open returns it).
    pub fn open_object_storage(
        &self,
        attach: NodeId,
        create: bool,
        modify: bool,
    ) -> Result<Arc<dyn Storage>> {
        self.with(|st| {
            let a = st.attach(attach)?;
            if (create || modify) && !a.writable {
                return Err(read_only("attachment"));
            }
            if a.embedded.is_some() {
                return err(
                    ErrorKind::NoAccess,
                    "the attachment's embedded message is open",
                );
            }
            if let Some(open) = &a.object_storage.0 {
                return Ok(open.clone());
            }
            let has_object = a.working.props.get(prop_id(PR_ATTACH_DATA_OBJ)).is_some();
            if !create && !has_object {
                return err(
                    ErrorKind::NotFound,
                    "the attachment holds no object storage",
                );
            }
            let (message, num) = (a.message, a.num);
            let parent = attach_storage(st, message, num, create || modify)?;
            let slot = st
                .message_mut(message)?
                .state
                .attachments
                .slots
                .get_mut(&num)
                .expect("attachment is open");
            // Any handle we hold on it must go: the caller's storage is exclusive.
            slot.handles.object = None;
            let mode = if create || modify {
                STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE
            } else {
                STGM_READ | STGM_SHARE_EXCLUSIVE
            };
            let storage = if create {
                parent.create_storage(codec::ATTACH_OBJECT_STORAGE, mode | STGM_CREATE)?
            } else {
                parent.open_storage(codec::ATTACH_OBJECT_STORAGE, mode)?
            };
            let a = st.attach_mut(attach)?;
            if create {
                a.working.object = AttachObject::Stored;
                a.working
                    .props
                    .set(PR_ATTACH_DATA_OBJ, Slot::Object { reserved: 4 });
            }
            if create || modify {
                a.object_storage.0 = Some(storage.clone());
            }
            Ok(storage)
        })
    }
}
