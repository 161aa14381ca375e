//! `HrAllocAdviseSink` (`mapiutil.h`) and the `IMAPIAdviseSink` it returns;
//! `HrThisThreadAdviseSink`'s wrapper sink and `HrDispatchNotifications`, whose queueing is
//! `com::thread_sink`'s.

use std::ffi::c_void;

use super::out_ptr;
use crate::com::advise_sink::{
    AdviseSinkShell, IMAPIAdviseSink, IMAPIAdviseSinkVtbl, NotifCallback,
};
use crate::com::foreign::ComRef;
use crate::com::guids::IID_IMAPIAdviseSink;
use crate::com::notifications::NOTIFICATION;
use crate::com::object::{self, Class, ComObject, guard};
use crate::com::thread_sink::{self, ThreadSink, ThreadSinkShell};
use crate::com::types::*;
use crate::com::vtbl::This;
use crate::consts::*;

static ADVISE_SINK_VTBL: IMAPIAdviseSinkVtbl = IMAPIAdviseSinkVtbl {
    QueryInterface: object::query_interface::<AdviseSinkShell>,
    AddRef: object::add_ref::<AdviseSinkShell>,
    Release: object::release::<AdviseSinkShell>,
    OnNotify: on_notify,
};

impl Class for AdviseSinkShell {
    type Vtbl = IMAPIAdviseSinkVtbl;
    fn vtbl() -> &'static IMAPIAdviseSinkVtbl {
        &ADVISE_SINK_VTBL
    }
    const IIDS: &'static [IID] = &[IID_IMAPIAdviseSink];
}

/// `IMAPIAdviseSink::OnNotify`: calls the callback with the context, the count and the
/// notifications as given, and answers what it answers (`CALLBACK_DISCONTINUE` included).
unsafe extern "system" fn on_notify(
    this: This,
    cNotif: ULONG,
    lpNotifications: *mut NOTIFICATION,
) -> ULONG {
    crate::slot!(AdviseSinkShell, this, |obj| {
        let sink = &obj.inner;
        // SAFETY: the caller's callback, given at HrAllocAdviseSink for this purpose.
        let r = unsafe { (sink.callback)(sink.context as *mut c_void, cNotif, lpNotifications) };
        r as ULONG
    })
}

/// A new advise sink (one reference; `Release` it) whose `OnNotify` calls `lpfnCallback`
/// with `lpvContext`. `MAPI_E_INVALID_PARAMETER` for a NULL callback or out-pointer.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrAllocAdviseSink(
    lpfnCallback: Option<
        unsafe extern "system" fn(
            lpvContext: *mut c_void,
            cNotification: ULONG,
            lpNotifications: *mut NOTIFICATION,
        ) -> LONG,
    >,
    lpvContext: *mut c_void,
    lppAdviseSink: *mut *mut IMAPIAdviseSink,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppAdviseSink` is NULL or the caller's out-parameter.
        let Some(out) = (unsafe { out_ptr(lppAdviseSink) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        let Some(callback) = lpfnCallback else {
            return MAPI_E_INVALID_PARAMETER;
        };
        let callback: NotifCallback = callback;
        out.set(
            ComObject::into_raw(AdviseSinkShell {
                callback,
                context: lpvContext as usize,
            })
            .cast(),
        );
        S_OK
    })
}

static THREAD_SINK_VTBL: IMAPIAdviseSinkVtbl = IMAPIAdviseSinkVtbl {
    QueryInterface: object::query_interface::<ThreadSinkShell>,
    AddRef: object::add_ref::<ThreadSinkShell>,
    Release: object::release::<ThreadSinkShell>,
    OnNotify: thread_on_notify,
};

impl Class for ThreadSinkShell {
    type Vtbl = IMAPIAdviseSinkVtbl;
    fn vtbl() -> &'static IMAPIAdviseSinkVtbl {
        &THREAD_SINK_VTBL
    }
    const IIDS: &'static [IID] = &[IID_IMAPIAdviseSink];
}

/// The wrapper's `OnNotify`: on the thread that made it, the wrapped sink's `OnNotify`
/// runs now (after anything queued) and its answer is returned; on any other thread the
/// notifications are copied and queued for that thread, and the answer is `S_OK` (or, for
/// notifications `ScCopyNotifications` refuses, its SCODE; nothing is queued then).
unsafe extern "system" fn thread_on_notify(
    this: This,
    cNotif: ULONG,
    lpNotifications: *mut NOTIFICATION,
) -> ULONG {
    crate::slot!(ThreadSinkShell, this, |obj| {
        // SAFETY: the caller's `cNotif` notifications.
        unsafe { obj.inner.0.on_notify(cNotif, lpNotifications) }
    })
}

/// A new advise sink (one reference; `Release` it) wrapping `lpAdviseSink` (which it
/// `AddRef`s and releases when it goes) so that the wrapped sink's `OnNotify` runs only on
/// the calling thread: called from another thread, the wrapper queues a copy of the
/// notifications until this thread calls `HrDispatchNotifications` or the wrapper's
/// `OnNotify` itself. `MAPI_E_INVALID_PARAMETER` for NULL pointers.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrThisThreadAdviseSink(
    lpAdviseSink: *mut IMAPIAdviseSink,
    lppAdviseSink: *mut *mut IMAPIAdviseSink,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppAdviseSink` is NULL or the caller's out-parameter.
        let Some(out) = (unsafe { out_ptr(lppAdviseSink) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        // SAFETY: `lpAdviseSink` is NULL or the caller's live advise sink.
        let Some(sink) = (unsafe { ComRef::add_ref(lpAdviseSink.cast()) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        out.set(ComObject::into_raw(ThreadSinkShell(ThreadSink::new(sink))).cast());
        S_OK
    })
}

/// Delivers, on the calling thread, every notification queued for the wrappers
/// `HrThisThreadAdviseSink` made on this thread, oldest first; `S_OK` when done.
/// `MAPI_E_UNKNOWN_FLAGS` for a nonzero `ulFlags` (reserved). There is no message loop to
/// drain and nothing to initialise, so `MAPI_E_USER_CANCEL` and `MAPI_E_NOT_INITIALIZED`
/// do not occur.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrDispatchNotifications(ulFlags: ULONG) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        if ulFlags != 0 {
            return MAPI_E_UNKNOWN_FLAGS;
        }
        thread_sink::dispatch_this_thread();
        S_OK
    })
}
