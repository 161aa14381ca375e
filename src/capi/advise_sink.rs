//! `HrAllocAdviseSink` (`mapiutil.h`) and the `IMAPIAdviseSink` it returns.

use std::ffi::c_void;

use super::out_ptr;
use crate::com::advise_sink::{
    AdviseSinkShell, IMAPIAdviseSink, IMAPIAdviseSinkVtbl, NotifCallback,
};
use crate::com::guids::IID_IMAPIAdviseSink;
use crate::com::notifications::NOTIFICATION;
use crate::com::object::{self, Class, ComObject, guard};
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
