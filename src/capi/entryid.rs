//! The entry-identifier helpers of `mapiutil.h`: `HrSzFromEntryID`, `HrEntryIDFromSz`,
//! `HrComposeEID`, `HrDecomposeEID`, `HrComposeMsgID`, `HrDecomposeMsgID`. The string
//! encoding and the compound layout are ours (`model::entryid`, README "Entry
//! identifiers"): strings and compound IDs made by native MAPI are not understood, nor ours
//! by it. Every result is one `MAPIAllocateBuffer` block (free it with `MAPIFreeBuffer`).

use std::ffi::{CStr, c_char};

use super::{OutParam, out_ptr};
use crate::com::entryid::{mapi_block, release_input, store_entry_id};
use crate::com::mapimem::free_buffer;
use crate::com::object::guard;
use crate::com::scode::scode_of;
use crate::com::types::*;
use crate::com::vtbl::IMAPISession;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::entryid::{self, Parts};

/// `ENTRYID`: 4 flag bytes, then the provider's bytes (declared with one).
#[repr(C)]
pub struct ENTRYID {
    pub abFlags: [BYTE; 4],
    pub ab: [BYTE; 1],
}

/// `cb` bytes at `p`; NULL with a count is `MAPI_E_INVALID_PARAMETER`.
///
/// # Safety
/// `p` must be NULL or readable for `cb` bytes.
unsafe fn bytes<'a, T>(p: *const T, cb: ULONG) -> std::result::Result<&'a [u8], SCODE> {
    if cb == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(MAPI_E_INVALID_PARAMETER);
    }
    // SAFETY: forwarded from the caller.
    Ok(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), cb as usize) })
}

/// `S_OK`, or the failure's SCODE.
fn hr(r: Result<()>) -> HRESULT {
    match r {
        Ok(()) => S_OK,
        Err(e) => scode_of(e.kind),
    }
}

fn size(n: usize) -> Result<ULONG> {
    ULONG::try_from(n).map_err(|_| Error::new(ErrorKind::NotEnoughMemory, "too large"))
}

/// One block holding `s` and its NUL, stored in `out`.
fn give_string(out: &OutParam<*mut c_char>, s: &str) -> Result<()> {
    size(s.len() + 1)?;
    out.set(mapi_block(s.as_bytes(), true)?.cast());
    Ok(())
}

/// One block holding `eid`, stored with its size.
fn give_entry_id(out_cb: &OutParam<ULONG>, out: &OutParam<*mut ENTRYID>, eid: &[u8]) -> Result<()> {
    let cb = size(eid.len())?;
    out.set(mapi_block(eid, false)?.cast());
    out_cb.set(cb);
    Ok(())
}

/// Encodes the entry identifier (`cb` bytes at `pentry`, at least its 4 flag bytes) as a
/// string of upper-case hexadecimal digits, two per byte, in one `MAPIAllocateBuffer` block.
/// The encoding is ours: native MAPI's is unpublished, so its strings differ from these.
/// `MAPI_E_INVALID_PARAMETER` for a NULL out-pointer or a NULL `pentry` with a count,
/// `MAPI_E_INVALID_ENTRYID` for fewer than 4 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrSzFromEntryID(
    cb: ULONG,
    pentry: *mut ENTRYID,
    psz: *mut *mut c_char,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `psz` is NULL or the caller's out-parameter.
        let Some(out) = (unsafe { out_ptr(psz) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        // SAFETY: the caller's entry identifier of `cb` bytes.
        let eid = match unsafe { bytes(pentry, cb) } {
            Ok(b) => b,
            Err(sc) => return sc,
        };
        hr(entryid::to_text(eid).and_then(|s| give_string(&out, &s)))
    })
}

/// The entry identifier a `HrSzFromEntryID` string encodes, in one `MAPIAllocateBuffer`
/// block, with its size. `MAPI_E_INVALID_ENTRYID` for any string `HrSzFromEntryID` cannot
/// have written (lower-case or other characters, an odd length, fewer than 8 digits);
/// `MAPI_E_INVALID_PARAMETER` for NULL pointers.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrEntryIDFromSz(
    sz: *mut c_char,
    pcb: *mut ULONG,
    ppentry: *mut *mut ENTRYID,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppentry` and `pcb` are NULL or the caller's out-parameters.
        let (Some(out), Some(out_cb)) =
            (unsafe { out_ptr(ppentry) }, unsafe { OutParam::new(pcb) })
        else {
            return MAPI_E_INVALID_PARAMETER;
        };
        out_cb.set(0);
        if sz.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        // SAFETY: the caller's NUL-terminated string.
        let text = unsafe { CStr::from_ptr(sz) }.to_bytes();
        hr(entryid::from_text(text).and_then(|eid| give_entry_id(&out_cb, &out, &eid)))
    })
}

/// The entry identifier `HrComposeEID` makes: the compound one when `cbStoreRecordKey` is
/// nonzero, otherwise a copy of the object's.
///
/// # Safety
/// The pointers must be NULL or readable for their counts.
unsafe fn composed(
    cbStoreRecordKey: ULONG,
    pStoreRecordKey: *mut BYTE,
    cbMsgEID: ULONG,
    pMsgEID: *mut ENTRYID,
) -> std::result::Result<Vec<u8>, SCODE> {
    // SAFETY: forwarded from the caller.
    let (key, msg) = unsafe {
        (
            bytes(pStoreRecordKey, cbStoreRecordKey)?,
            bytes(pMsgEID, cbMsgEID)?,
        )
    };
    entryid::compose(key, msg).map_err(|e| scode_of(e.kind))
}

/// Makes a compound entry identifier from a message store's record key and the entry
/// identifier of an object in it; with `cbStoreRecordKey` 0, a copy of the object's entry
/// identifier, as documented. The layout is ours (native MAPI's is unpublished, and the two
/// do not understand each other's): the object's 4 flag bytes, the MAPIUID
/// {16 5C 5E 4F D2 8B 43 CD 90 46 0F B2 25 16 06 C0}, the record key's size (32-bit
/// little-endian), the record key, the object's entry identifier. One
/// `MAPIAllocateBuffer` block. `psession` is not needed (may be NULL): the record key goes
/// into the identifier as it is. `MAPI_E_INVALID_PARAMETER` for NULL out-pointers or NULL
/// inputs with counts, `MAPI_E_INVALID_ENTRYID` for an object ID under 4 bytes.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrComposeEID(
    psession: *mut IMAPISession,
    cbStoreRecordKey: ULONG,
    pStoreRecordKey: *mut BYTE,
    cbMsgEID: ULONG,
    pMsgEID: *mut ENTRYID,
    pcbEID: *mut ULONG,
    ppEID: *mut *mut ENTRYID,
) -> HRESULT {
    let _ = psession;
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `ppEID` and `pcbEID` are NULL or the caller's out-parameters.
        let (Some(out), Some(out_cb)) =
            (unsafe { out_ptr(ppEID) }, unsafe { OutParam::new(pcbEID) })
        else {
            return MAPI_E_INVALID_PARAMETER;
        };
        out_cb.set(0);
        // SAFETY: the caller's record key and entry identifier.
        match unsafe { composed(cbStoreRecordKey, pStoreRecordKey, cbMsgEID, pMsgEID) } {
            Ok(eid) => hr(give_entry_id(&out_cb, &out, &eid)),
            Err(sc) => sc,
        }
    })
}

/// `HrComposeEID` then `HrSzFromEntryID`, as documented: the string of the compound entry
/// identifier (or of the object's own with `cbStoreRecordKey` 0), one
/// `MAPIAllocateBuffer` block. Refusals as theirs.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrComposeMsgID(
    psession: *mut IMAPISession,
    cbStoreRecordKey: ULONG,
    pStoreRecordKey: *mut BYTE,
    cbMsgEID: ULONG,
    pMsgEID: *mut ENTRYID,
    pszMsgID: *mut *mut c_char,
) -> HRESULT {
    let _ = psession;
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `pszMsgID` is NULL or the caller's out-parameter.
        let Some(out) = (unsafe { out_ptr(pszMsgID) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        // SAFETY: the caller's record key and entry identifier.
        let eid = match unsafe { composed(cbStoreRecordKey, pStoreRecordKey, cbMsgEID, pMsgEID) } {
            Ok(eid) => eid,
            Err(sc) => return sc,
        };
        hr(entryid::to_text(&eid).and_then(|s| give_string(&out, &s)))
    })
}

/// The out-parameters of `HrDecomposeEID` and `HrDecomposeMsgID`, checked and cleared.
struct Outputs {
    cb_store: OutParam<ULONG>,
    store: OutParam<*mut ENTRYID>,
    cb_msg: OutParam<ULONG>,
    msg: OutParam<*mut ENTRYID>,
}

impl Outputs {
    /// # Safety
    /// Each pointer must be NULL or the caller's out-parameter.
    unsafe fn new(
        pcbStoreEID: *mut ULONG,
        ppStoreEID: *mut *mut ENTRYID,
        pcbMsgEID: *mut ULONG,
        ppMsgEID: *mut *mut ENTRYID,
    ) -> Option<Outputs> {
        // SAFETY: forwarded from the caller.
        let o = unsafe {
            Outputs {
                cb_store: OutParam::new(pcbStoreEID)?,
                store: out_ptr(ppStoreEID)?,
                cb_msg: OutParam::new(pcbMsgEID)?,
                msg: out_ptr(ppMsgEID)?,
            }
        };
        o.cb_store.set(0);
        o.cb_msg.set(0);
        Some(o)
    }

    /// Splits `eid` and fills the outputs: for a compound ID the store's entry ID (looked
    /// up in `psession`'s message-store table) and the object's; for any other, no store
    /// (NULL, 0) and a copy of `eid`, as documented.
    ///
    /// # Safety
    /// `psession` must be NULL or a live `IMAPISession`.
    unsafe fn fill(&self, psession: *mut IMAPISession, eid: &[u8]) -> Result<()> {
        let (store, msg) = match entryid::decompose(eid)? {
            Parts::Simple(msg) => (None, msg),
            Parts::Compound {
                record_key,
                msg_eid,
            } => {
                if psession.is_null() {
                    return Err(Error::new(
                        ErrorKind::InvalidParameter,
                        "the entry identifier is compound: finding its store's entry \
                         identifier from the record key needs the session, and psession is NULL",
                    ));
                }
                // SAFETY: the caller's session.
                (
                    Some(unsafe { store_entry_id(psession, record_key) }?),
                    msg_eid,
                )
            }
        };
        give_entry_id(&self.cb_msg, &self.msg, msg)?;
        if let Some(store) = store
            && let Err(e) = give_entry_id(&self.cb_store, &self.store, &store)
        {
            // Nothing half-done: the object's copy goes again.
            let _ = free_buffer(self.msg.take().cast());
            self.cb_msg.set(0);
            return Err(e);
        }
        Ok(())
    }
}

impl OutParam<*mut ENTRYID> {
    /// The pointer stored so far, replaced by NULL.
    fn take(&self) -> *mut ENTRYID {
        // SAFETY: an out-parameter we wrote ourselves in this call.
        let p = unsafe { self.0.as_ptr().read() };
        self.set(std::ptr::null_mut());
        p
    }
}

/// Splits a compound entry identifier `HrComposeEID` made into the store's entry identifier
/// and the object's (two `MAPIAllocateBuffer` blocks); any other entry identifier is
/// documented as non-compound: `*ppStoreEID` NULL, `*pcbStoreEID` 0 and a copy of it in
/// `*ppMsgEID`. The store's entry identifier comes from `psession`'s message-store table
/// (the row whose `PR_RECORD_KEY` is the record key): `MAPI_E_INVALID_PARAMETER` when
/// `psession` is NULL for a compound ID, `MAPI_E_NOT_FOUND` when no store has that key, the
/// session's or table's error when they fail. As documented, on success `pEID` is released
/// with `MAPIFreeBuffer` when it is a `MAPIAllocateBuffer` block (other memory is left
/// alone): do not use or free it afterwards. `MAPI_E_INVALID_ENTRYID` for fewer than 4
/// bytes or a damaged compound ID.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrDecomposeEID(
    psession: *mut IMAPISession,
    cbEID: ULONG,
    pEID: *mut ENTRYID,
    pcbStoreEID: *mut ULONG,
    ppStoreEID: *mut *mut ENTRYID,
    pcbMsgEID: *mut ULONG,
    ppMsgEID: *mut *mut ENTRYID,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: each is NULL or the caller's out-parameter.
        let Some(out) = (unsafe { Outputs::new(pcbStoreEID, ppStoreEID, pcbMsgEID, ppMsgEID) })
        else {
            return MAPI_E_INVALID_PARAMETER;
        };
        // SAFETY: the caller's entry identifier of `cbEID` bytes.
        let eid = match unsafe { bytes(pEID, cbEID) } {
            Ok(b) => b,
            Err(sc) => return sc,
        };
        // SAFETY: `psession` is NULL or the caller's session.
        match unsafe { out.fill(psession, eid) } {
            Ok(()) => {
                release_input(pEID.cast());
                S_OK
            }
            Err(e) => scode_of(e.kind),
        }
    })
}

/// `HrEntryIDFromSz` then `HrDecomposeEID`, as documented: splits the string of a compound
/// entry identifier (`HrComposeMsgID`'s) into the store's and the object's entry
/// identifiers; any other valid string gives no store and the entry identifier it encodes.
/// `szMsgID` itself is not released. Refusals as theirs.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn HrDecomposeMsgID(
    psession: *mut IMAPISession,
    szMsgID: *mut c_char,
    pcbStoreEID: *mut ULONG,
    ppStoreEID: *mut *mut ENTRYID,
    pcbMsgEID: *mut ULONG,
    ppMsgEID: *mut *mut ENTRYID,
) -> HRESULT {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: each is NULL or the caller's out-parameter.
        let Some(out) = (unsafe { Outputs::new(pcbStoreEID, ppStoreEID, pcbMsgEID, ppMsgEID) })
        else {
            return MAPI_E_INVALID_PARAMETER;
        };
        if szMsgID.is_null() {
            return MAPI_E_INVALID_PARAMETER;
        }
        // SAFETY: the caller's NUL-terminated string.
        let text = unsafe { CStr::from_ptr(szMsgID) }.to_bytes();
        // SAFETY: `psession` is NULL or the caller's session.
        hr(entryid::from_text(text).and_then(|eid| unsafe { out.fill(psession, &eid) }))
    })
}
