//! `ScCreateConversationIndex` (the index bytes are `codec::convindex`'s) and
//! `ScGenerateMuid`.

use std::ffi::c_void;

use super::memory::MAPIAllocateBuffer;
use crate::codec::convindex::{self, ConvIndexError};
use crate::com::object::guard;
use crate::com::types::*;
use crate::consts::*;

/// `MAPIUID`: 16 bytes identifying something uniquely.
#[repr(C)]
pub struct MAPIUID {
    pub ab: [BYTE; 16],
}

/// 16 random bytes shaped as a version-4 GUID (what `CoCreateGuid` gives on Windows).
fn new_guid() -> [u8; 16] {
    *uuid::Uuid::new_v4().as_bytes()
}

/// The conversation index of a new message: a new thread (22 bytes: the current time and
/// a new GUID) when `cbParent` is 0, otherwise the parent's index with a 5-byte response
/// level for now appended ([MS-OXOMSG] 2.2.1.3). The index is one `MAPIAllocateBuffer`
/// block (free it with `MAPIFreeBuffer`). `MAPI_E_INVALID_PARAMETER` for NULL out-pointers,
/// a NULL parent with a nonzero count, or a parent shorter than the 22-byte header.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScCreateConversationIndex(
    cbParent: ULONG,
    lpbParent: *mut BYTE,
    lpcbConvIndex: *mut ULONG,
    lppbConvIndex: *mut *mut BYTE,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppbConvIndex` is NULL or the caller's out-parameter.
        let Some(out) = (unsafe { super::out_ptr(lppbConvIndex) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        // SAFETY: `lpcbConvIndex` is NULL or the caller's ULONG.
        let Some(out_cb) = (unsafe { super::OutParam::new(lpcbConvIndex) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        out_cb.set(0);
        if cbParent > 0 && lpbParent.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        let now = crate::storage::filetime_now();
        let index = if cbParent == 0 {
            convindex::new_thread(now, new_guid())
        } else {
            // SAFETY: the caller's parent index holds `cbParent` bytes.
            let parent = unsafe { std::slice::from_raw_parts(lpbParent, cbParent as usize) };
            match convindex::reply(parent, now, new_guid()[0]) {
                Ok(index) => index,
                Err(ConvIndexError::TooShort) => return MAPI_E_INVALID_PARAMETER,
            }
        };
        let Ok(cb) = ULONG::try_from(index.len()) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        let mut block: *mut c_void = std::ptr::null_mut();
        // SAFETY: `block` is a valid out-parameter.
        let sc = unsafe { MAPIAllocateBuffer(cb, &mut block) };
        if sc != S_OK {
            return sc;
        }
        // SAFETY: the new block holds `cb` bytes.
        unsafe { std::ptr::copy_nonoverlapping(index.as_ptr(), block.cast::<u8>(), index.len()) };
        out.set(block.cast());
        out_cb.set(cb);
        S_OK
    })
}

/// Fills `lpMuid` with a new unique identifier (random, as a version-4 GUID);
/// `MAPI_E_INVALID_PARAMETER` for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn ScGenerateMuid(lpMuid: *mut MAPIUID) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lpMuid` is NULL or the caller's MAPIUID.
        let Some(out) = (unsafe { super::OutParam::new(lpMuid) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        out.set(MAPIUID { ab: new_guid() });
        S_OK
    })
}
