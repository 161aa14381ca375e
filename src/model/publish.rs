//! `SaveChanges` on each kind of object: a top-level message writes its file, an embedded
//! message publishes itself to its attachment, an attachment to its message.
#![forbid(unsafe_code)]

use super::bag::{DEFAULT_FLAGS, Slot};
use super::file_state::{CLSID_MAIL_MESSAGE, FileState, gone, read_only};
use super::save::{write_message_state, write_name_map};
use super::state::AttachObject;
use super::state::NodeId;
use crate::codec::HeaderKind;
use crate::consts::*;
use crate::error::{ErrorKind, Result, err};
use crate::types::prop_value::{PropValue, prop_id, tags::*};

/// Properties the file must carry that the message computes: set before it is written.
pub(crate) fn materialize_message_props(st: &mut FileState, node: NodeId) -> Result<()> {
    let computed = {
        let m = st.message(node)?;
        st.message_computed(node, m)?
    };
    let m = st.message_mut(node)?;
    let props = &mut m.state.props;
    for c in computed {
        let stored = props.get(prop_id(c.tag));
        let needed = match stored {
            None => prop_id(c.tag) == prop_id(PR_MESSAGE_FLAGS) || c.overrides,
            Some(e) => {
                c.overrides && !matches!(&e.slot, Slot::Value(v) if *v == c.value && e.tag == c.tag)
            }
        };
        if needed {
            let flags = if prop_id(c.tag) == prop_id(PR_MESSAGE_FLAGS) {
                DEFAULT_FLAGS
            } else {
                c.flags
            };
            props.set_with_flags(c.tag, flags, Slot::Value(c.value));
        }
    }
    Ok(())
}

pub(crate) fn save_top_level(st: &mut FileState, node: NodeId) -> Result<()> {
    let no_commit = st.no_istg_commit;
    if !st.message(node)?.writable {
        return Err(read_only("message"));
    }
    materialize_message_props(st, node)?;
    let m = st.message_mut(node)?;
    let storage = m.storage.clone().ok_or_else(gone)?;
    write_message_state(&mut m.state, &storage, HeaderKind::TopLevel)?;
    m.state.recipients.touched = false;
    m.state.attachments.touched = false;
    write_name_map(storage.as_ref(), &st.names)?;
    if storage.stat()?.clsid == [0; 16] {
        storage.set_class(CLSID_MAIL_MESSAGE)?;
    }
    if !no_commit {
        storage.commit(STGC_DEFAULT)?;
    }
    st.names.mark_clean();
    Ok(())
}

/// An embedded message's `SaveChanges` publishes it to its attachment (saved with the
/// attachment's `SaveChanges`, then the message's).
pub(crate) fn save_embedded(st: &mut FileState, node: NodeId) -> Result<()> {
    if !st.message(node)?.writable {
        return Err(read_only("message"));
    }
    materialize_message_props(st, node)?;
    let m = st.message(node)?;
    let parent = m.parent.ok_or_else(gone)?;
    let state = m.state.clone();
    let a = st.attach_mut(parent)?;
    a.working.object = AttachObject::Message(Box::new(state));
    if a.working.props.get(prop_id(PR_ATTACH_DATA_OBJ)).is_none() {
        a.working
            .props
            .set(PR_ATTACH_DATA_OBJ, Slot::Object { reserved: 1 });
    }
    Ok(())
}

/// An attachment's `SaveChanges` publishes it to its message (written at the message's
/// `SaveChanges`).
pub(crate) fn save_attachment(st: &mut FileState, node: NodeId) -> Result<()> {
    let a = st.attach_mut(node)?;
    if !a.writable {
        return Err(read_only("attachment"));
    }
    // What the caller wrote into the object storage is saved, committed or not.
    if let Some(storage) = &a.object_storage.0 {
        storage.commit(STGC_DEFAULT)?;
    }
    let ro = PROPATTR_READABLE;
    let num = a.num;
    if a.working.props.long(PR_ATTACH_NUM) != Some(num as i32) {
        a.working
            .props
            .set_with_flags(PR_ATTACH_NUM, ro, Slot::Value(PropValue::Long(num as i32)));
    }
    if a.working.props.get(prop_id(PR_OBJECT_TYPE)).is_none() {
        a.working.props.set_with_flags(
            PR_OBJECT_TYPE,
            ro,
            Slot::Value(PropValue::Long(MAPI_ATTACH as i32)),
        );
    }
    let (message, working) = (a.message, a.working.clone());
    let attachments = &mut st.message_mut(message)?.state.attachments;
    let slot = attachments.slots.get_mut(&num).ok_or_else(gone)?;
    if slot.deleted {
        return err(ErrorKind::ObjectDeleted, "the attachment was deleted");
    }
    slot.committed = Some(working);
    slot.dirty = true;
    attachments.touched = true;
    attachments.changed = true;
    Ok(())
}
