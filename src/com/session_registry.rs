//! The session registry (DESIGN decision 5): every open `LPMSGSESS` is looked up here, so a
//! stale, closed or foreign handle is an error or a no-op, never undefined behaviour.
//!
//! A handle is a number shaped like a pointer and never dereferenced; numbers are not
//! reused, so a stale handle cannot reach a newer session. Lock order: the registry, then a
//! session's message list; neither is held while messages are closed.

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::object::ComObject;
use super::shells::MessageShell;

pub struct Session {
    messages: Mutex<Vec<Weak<ComObject<MessageShell>>>>,
}

static SESSIONS: Mutex<Option<BTreeMap<usize, Arc<Session>>>> = Mutex::new(None);
static NEXT: Mutex<usize> = Mutex::new(1);

/// Opens a session and returns its handle.
pub fn open() -> *mut c_void {
    let id = {
        let mut next = NEXT.lock();
        *next += 1;
        *next - 1
    };
    let handle = id << 4;
    SESSIONS.lock().get_or_insert_with(BTreeMap::new).insert(
        handle,
        Arc::new(Session {
            messages: Mutex::new(Vec::new()),
        }),
    );
    handle as *mut c_void
}

/// The session behind a handle, if it is open.
pub fn find(handle: *mut c_void) -> Option<Arc<Session>> {
    SESSIONS.lock().as_ref()?.get(&(handle as usize)).cloned()
}

impl Session {
    pub fn add(&self, message: &Arc<ComObject<MessageShell>>) {
        let mut list = self.messages.lock();
        list.retain(|w| w.strong_count() > 0);
        list.push(Arc::downgrade(message));
    }
}

/// Closes a session and every message opened in it. Unknown handles are ignored.
pub fn close(handle: *mut c_void) {
    let session = SESSIONS
        .lock()
        .as_mut()
        .and_then(|m| m.remove(&(handle as usize)));
    let Some(session) = session else { return };
    let messages: Vec<_> = session
        .messages
        .lock()
        .drain(..)
        .filter_map(|w| w.upgrade())
        .collect();
    for message in messages {
        message.inner.close();
    }
}
