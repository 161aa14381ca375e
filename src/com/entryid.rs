//! The entry-ID helpers' work that needs C memory or a caller's object: finding a message
//! store's entry ID from its record key through the caller's `IMAPISession`, and handing
//! results back in `MAPIAllocateBuffer` blocks. The byte formats are `model::entryid`'s.

use std::ffi::c_void;

use super::foreign::ComRef;
use super::mapimem;
use super::prop_helpers::{free_rows, query_all_rows};
use super::scode::kind_of_scode;
use super::types::*;
use super::vtbl::{IMAPISession, IMAPISessionVtbl, IMAPITable};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};

const PR_ENTRYID: ULONG = 0x0FFF_0102;
const PR_RECORD_KEY: ULONG = 0x0FF9_0102;

/// `bytes` in one new `MAPIAllocateBuffer` block, with a NUL after them when `nul`.
pub fn mapi_block(bytes: &[u8], nul: bool) -> Result<*mut u8> {
    let p = mapimem::allocate_buffer(bytes.len() + usize::from(nul))?.cast::<u8>();
    // SAFETY: the new block holds `bytes.len()` (+1) bytes, zeroed (so the NUL is there).
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    Ok(p)
}

/// `HrDecomposeEID`'s documented release of the caller's compound ID: `MAPIFreeBuffer` when
/// it is a block `MAPIAllocateBuffer` gave; any other memory (a row's value, the stack) is
/// not ours to free and is left alone (`MAPIFreeBuffer` refuses it without touching it).
pub fn release_input(p: *mut c_void) {
    let _ = mapimem::free_buffer(p);
}

/// The entry ID of the message store whose `PR_RECORD_KEY` is `record_key`, from the
/// session's message-store table (`IMAPISession::GetMsgStoresTable`, every row read with
/// the columns `PR_ENTRYID`, `PR_RECORD_KEY`).
///
/// # Safety
/// `session` must be a live `IMAPISession` the caller holds.
pub unsafe fn store_entry_id(session: *mut IMAPISession, record_key: &[u8]) -> Result<Vec<u8>> {
    let failed = |what: &str, hr: HRESULT| {
        Error::new(
            kind_of_scode(hr),
            format!("the session's {what} failed with 0x{:08X}", hr as u32),
        )
    };
    let mut table: *mut c_void = std::ptr::null_mut();
    // SAFETY: the caller's session; its vtable is IMAPISession's.
    let hr = unsafe {
        let vt: &IMAPISessionVtbl = &*(*session).lpVtbl;
        (vt.GetMsgStoresTable)(session.cast(), 0, &mut table)
    };
    if hr < 0 {
        return Err(failed("GetMsgStoresTable", hr));
    }
    // SAFETY: the table the call returned; its reference is ours and released on drop.
    let Some(table) = (unsafe { ComRef::from_raw(table) }) else {
        return Err(Error::new(
            ErrorKind::CallFailed,
            "the session's GetMsgStoresTable gave no table",
        ));
    };
    #[repr(C)]
    struct Columns {
        count: ULONG,
        tags: [ULONG; 2],
    }
    let mut columns = Columns {
        count: 2,
        tags: [PR_ENTRYID, PR_RECORD_KEY],
    };
    // SAFETY: a live IMAPITable; the column array is laid out as an SPropTagArray.
    let rows = unsafe {
        query_all_rows(
            table.as_ptr().cast::<IMAPITable>(),
            (&mut columns as *mut Columns).cast(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    }
    .map_err(|hr| failed("message-store table", hr))?;
    // SAFETY: the row set QueryRows built: `cRows` rows of `cValues` values each; the
    // tags say which union member is set.
    let found = unsafe {
        let first = std::ptr::addr_of!((*rows).aRow) as *const SRow;
        let bin = |row: &SRow, tag: ULONG| -> Option<&[u8]> {
            let props = std::slice::from_raw_parts(row.lpProps, row.cValues as usize);
            let v = props.iter().find(|p| p.ulPropTag == tag)?;
            let b = v.Value.bin;
            if b.lpb.is_null() {
                return (b.cb == 0).then_some(&[][..]);
            }
            Some(std::slice::from_raw_parts(b.lpb, b.cb as usize))
        };
        (0..(*rows).cRows as usize)
            .map(|i| &*first.add(i))
            .filter(|row| !row.lpProps.is_null())
            .find(|row| bin(row, PR_RECORD_KEY) == Some(record_key))
            .map(|row| bin(row, PR_ENTRYID).map(<[u8]>::to_vec))
    };
    // SAFETY: the set is ours to free, its rows separate blocks as FreeProws expects.
    unsafe { free_rows(rows) };
    match found {
        Some(Some(eid)) if !eid.is_empty() => Ok(eid),
        Some(_) => Err(Error::new(
            ErrorKind::NotFound,
            "the message store with this record key has no PR_ENTRYID in the session's \
             message-store table",
        )),
        None => Err(Error::new(
            ErrorKind::NotFound,
            "no message store in the session's message-store table has this record key",
        )),
    }
}
