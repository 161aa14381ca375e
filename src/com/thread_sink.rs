//! `HrThisThreadAdviseSink`'s wrapper and `HrDispatchNotifications`: notifications reach
//! the wrapped sink on the thread that made the wrapper.
//!
//! Windows delivers them through that thread's message queue. Linux has no message loop,
//! so each wrapper has a queue of its own: `OnNotify` called on another thread copies the
//! notifications (as `ScCopyNotifications` does: the caller's array is gone after the call)
//! into it, and the owning thread delivers them, in order, when it calls
//! `HrDispatchNotifications` or when it calls the wrapper's `OnNotify` itself (queued ones
//! first, then the new ones directly). A thread's wrappers are listed in a thread-local
//! list of weak references, so dispatching never touches another thread's wrappers.
//!
//! Lock order: a wrapper's queue lock is taken alone and never held while the wrapped sink
//! (the caller's code) runs.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::thread::ThreadId;

use parking_lot::Mutex;

use super::advise_sink::IMAPIAdviseSinkVtbl;
use super::foreign::ComRef;
use super::notifications::{self, NOTIFICATION};
use crate::consts::*;

/// The state behind one wrapper, shared with the owning thread's list.
pub struct ThreadSink {
    owner: ThreadId,
    state: Mutex<State>,
}

struct State {
    /// The wrapped sink; `None` once the wrapper is gone.
    sink: Option<ComRef>,
    queue: VecDeque<Batch>,
}

/// Notifications packed by `notifications::copy` into 8-byte words.
struct Batch {
    count: ULONG,
    block: Vec<u64>,
}

thread_local! {
    /// The wrappers made on this thread.
    static MINE: RefCell<Vec<Weak<ThreadSink>>> = const { RefCell::new(Vec::new()) };
}

impl ThreadSink {
    /// A wrapper around `sink` (its reference is the wrapper's), owned by this thread.
    pub fn new(sink: ComRef) -> Arc<ThreadSink> {
        let this = Arc::new(ThreadSink {
            owner: std::thread::current().id(),
            state: Mutex::new(State {
                sink: Some(sink),
                queue: VecDeque::new(),
            }),
        });
        MINE.with(|mine| {
            let mut mine = mine.borrow_mut();
            mine.retain(|w| w.strong_count() > 0);
            mine.push(Arc::downgrade(&this));
        });
        this
    }

    /// The wrapper's `OnNotify`: on the owning thread, delivers what is queued and then
    /// these notifications, answering what the wrapped sink answers; on another thread,
    /// queues a copy and answers `S_OK` (or the copy's refusal: a negative SCODE).
    ///
    /// # Safety
    /// `p` must hold `n` notifications as `ScCopyNotifications` reads them.
    pub unsafe fn on_notify(&self, n: ULONG, p: *mut NOTIFICATION) -> ULONG {
        if std::thread::current().id() == self.owner {
            self.deliver_queued();
            let Some(sink) = self.sink() else { return 0 };
            // SAFETY: the caller's notifications, valid for this call.
            return unsafe { call(&sink, n, p) };
        }
        // SAFETY: forwarded from the caller; `count` checks everything `copy` reads.
        let batch = unsafe {
            notifications::count(n, p).and_then(|size| {
                let mut block = vec![0u64; size.div_ceil(8).max(1)];
                notifications::copy(n, p, block.as_mut_ptr().cast(), size)?;
                Ok(Batch { count: n, block })
            })
        };
        match batch {
            Ok(batch) => {
                let mut state = self.state.lock();
                if state.sink.is_some() {
                    state.queue.push_back(batch);
                }
                S_OK as ULONG
            }
            Err(sc) => sc as ULONG,
        }
    }

    /// A new reference to the wrapped sink, if the wrapper still holds it.
    fn sink(&self) -> Option<ComRef> {
        self.state.lock().sink.clone()
    }

    /// Delivers this wrapper's queued notifications, oldest first, one batch per call of
    /// the wrapped sink's `OnNotify`; returns how many batches went.
    fn deliver_queued(&self) -> usize {
        let mut delivered = 0;
        loop {
            let next = {
                let mut state = self.state.lock();
                match (state.sink.clone(), state.queue.pop_front()) {
                    (Some(sink), Some(batch)) => Some((sink, batch)),
                    _ => None,
                }
            };
            let Some((sink, mut batch)) = next else {
                return delivered;
            };
            // SAFETY: the batch is a packed copy that points only into itself.
            unsafe { call(&sink, batch.count, batch.block.as_mut_ptr().cast()) };
            delivered += 1;
        }
    }

    /// The wrapper's last `Release`: drops the queued copies and the wrapped sink (outside
    /// the lock: its `Release` is the caller's code).
    pub fn close(&self) {
        let (sink, queue) = {
            let mut state = self.state.lock();
            (state.sink.take(), std::mem::take(&mut state.queue))
        };
        drop(queue);
        drop(sink);
    }
}

/// Calls the wrapped sink's `OnNotify`.
///
/// # Safety
/// `p` must hold `n` notifications valid for the call.
unsafe fn call(sink: &ComRef, n: ULONG, p: *mut NOTIFICATION) -> ULONG {
    // SAFETY: the sink is a live IMAPIAdviseSink (HrThisThreadAdviseSink's argument).
    unsafe { (sink.vtbl::<IMAPIAdviseSinkVtbl>().OnNotify)(sink.as_ptr(), n, p) }
}

/// `HrDispatchNotifications`: delivers everything queued for the wrappers this thread
/// made; returns the batches delivered.
pub fn dispatch_this_thread() -> usize {
    // A snapshot: a sink may make or release wrappers while it runs.
    let mine: Vec<Arc<ThreadSink>> = MINE.with(|m| {
        let mut m = m.borrow_mut();
        m.retain(|w| w.strong_count() > 0);
        m.iter().filter_map(Weak::upgrade).collect()
    });
    mine.iter().map(|s| s.deliver_queued()).sum()
}

/// The object `HrThisThreadAdviseSink` hands out (an `IMAPIAdviseSink`).
pub struct ThreadSinkShell(pub Arc<ThreadSink>);

impl Drop for ThreadSinkShell {
    fn drop(&mut self) {
        self.0.close();
    }
}
