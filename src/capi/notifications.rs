//! `ScCountNotifications`, `ScCopyNotifications`, `ScRelocNotifications` (`mapiutil.h`):
//! arrays of `NOTIFICATION`s packed into one block, as `com::notifications` lays them out
//! (the notifications, then each one's data, every piece 8-byte aligned).

use std::ffi::{c_int, c_void};

use crate::com::notifications::{self, NOTIFICATION};
use crate::com::object::guard;
use crate::consts::*;

/// The notification count as the array length; a negative count is refused.
fn count_of(n: c_int) -> Result<ULONG, SCODE> {
    ULONG::try_from(n).map_err(|_| MAPI_E_INVALID_PARAMETER)
}

/// `S_OK` with the size stored in the optional `lpcb`, or the refusal.
///
/// # Safety
/// `lpcb` must be NULL or writable.
unsafe fn give_size(lpcb: *mut ULONG, size: Result<usize, SCODE>) -> SCODE {
    let size = match size.and_then(|n| ULONG::try_from(n).map_err(|_| MAPI_E_NOT_ENOUGH_MEMORY)) {
        Ok(n) => n,
        Err(sc) => return sc,
    };
    // SAFETY: forwarded from the caller.
    if let Some(out) = unsafe { super::OutParam::new(lpcb) } {
        out.set(size);
    }
    S_OK
}

/// The bytes `ScCopyNotifications` needs for the `cNotifications` notifications and the
/// data they point at, in `*lpcb` (optional). `MAPI_E_INVALID_PARAMETER` for a negative
/// count, a NULL or misaligned array with a count, an unknown event type, or a pointer
/// missing where a count says there is data.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScCountNotifications(
    cNotifications: c_int,
    lpNotifications: *mut NOTIFICATION,
    lpcb: *mut ULONG,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: the caller's array of `cNotifications` notifications.
        let size = count_of(cNotifications)
            .and_then(|n| unsafe { notifications::count(n, lpNotifications) });
        // SAFETY: `lpcb` is NULL or the caller's ULONG.
        unsafe { give_size(lpcb, size) }
    })
}

/// Copies the notifications and their data into `lpvDst`, which must hold the size
/// `ScCountNotifications` gives and be 8-byte aligned (a `MAPIAllocateBuffer` block is);
/// the bytes used go to `*lpcb` (optional). The copy points into itself only. Refusals as
/// `ScCountNotifications`'s, and a NULL or misaligned destination; nothing is written then.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScCopyNotifications(
    cNotification: c_int,
    lpNotifications: *mut NOTIFICATION,
    lpvDst: *mut c_void,
    lpcb: *mut ULONG,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        let used = count_of(cNotification).and_then(|n| {
            if lpvDst.is_null() {
                return Err(MAPI_E_INVALID_PARAMETER);
            }
            // SAFETY: the caller's array, all checked before anything is written; the
            // caller's destination holds the counted size.
            unsafe {
                let size = notifications::count(n, lpNotifications)?;
                notifications::copy(n, lpNotifications, lpvDst.cast(), size)
            }
        });
        // SAFETY: `lpcb` is NULL or the caller's ULONG.
        unsafe { give_size(lpcb, used) }
    })
}

/// Rewrites, in place, the pointers of notifications `ScCopyNotifications` packed at
/// `lpvBaseOld` and now at `lpNotifications` (the block moved as a whole, say through a
/// file or another process) so that they are right when the block is read at
/// `lpvBaseNew`; the block's size goes to `*lpcb` (optional). `MAPI_E_INVALID_PARAMETER`
/// for a negative count, a NULL or misaligned array with a count, or an unknown event type.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScRelocNotifications(
    cNotification: c_int,
    lpNotifications: *mut NOTIFICATION,
    lpvBaseOld: *mut c_void,
    lpvBaseNew: *mut c_void,
    lpcb: *mut ULONG,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: the caller's packed block.
        let size = count_of(cNotification).and_then(|n| unsafe {
            notifications::relocate(n, lpNotifications, lpvBaseOld as usize, lpvBaseNew as usize)
        });
        // SAFETY: `lpcb` is NULL or the caller's ULONG.
        unsafe { give_size(lpcb, size) }
    })
}
