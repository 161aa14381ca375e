//! The advise sink `HrAllocAdviseSink` makes: its `OnNotify` hands the notifications to the
//! caller's callback with the caller's context.
#![allow(non_snake_case)]

use std::ffi::c_void;

use super::notifications::NOTIFICATION;
use super::types::*;
use super::vtbl::This;

/// `NOTIFCALLBACK`: `STDAPICALLTYPE`, so the system convention.
pub type NotifCallback = unsafe extern "system" fn(
    lpvContext: *mut c_void,
    cNotification: ULONG,
    lpNotifications: *mut NOTIFICATION,
) -> LONG;

/// `IMAPIAdviseSink`'s vtable (`spec/mapi-abi.md` §3.12).
#[repr(C)]
pub struct IMAPIAdviseSinkVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub OnNotify: unsafe extern "system" fn(This, ULONG, *mut NOTIFICATION) -> ULONG,
}

/// An `IMAPIAdviseSink` pointer as C holds it.
#[repr(C)]
pub struct IMAPIAdviseSink {
    pub lpVtbl: *const IMAPIAdviseSinkVtbl,
}

/// The state of one sink: the callback and the context it is called with.
pub struct AdviseSinkShell {
    pub callback: NotifCallback,
    /// The caller's context pointer, handed back untouched (an address, so the sink can be
    /// shared between threads as COM objects are).
    pub context: usize,
}
