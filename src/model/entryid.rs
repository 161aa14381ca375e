//! Entry identifiers as text, and compound entry identifiers: the byte work of
//! `HrSzFromEntryID`, `HrEntryIDFromSz`, `HrComposeEID`, `HrDecomposeEID`,
//! `HrComposeMsgID` and `HrDecomposeMsgID`.
//!
//! Microsoft publishes neither native MAPI's string encoding nor its compound layout, so
//! both are ours (README "Entry identifiers"):
//! - text: two upper-case hexadecimal digits per byte, nothing else; decoding refuses
//!   anything the encoder could not have written (lower case, odd length, other characters,
//!   fewer than the 4 flag bytes);
//! - compound: the message entry ID's 4 flag bytes, our [`COMPOUND_UID`], the store record
//!   key's size (32-bit little-endian), the record key, then the message entry ID whole.
//!   Anything not starting with the flags and our UID is a plain (non-compound) entry ID.
#![forbid(unsafe_code)]

use crate::error::{Error, ErrorKind, Result};

/// Marks a compound entry identifier made by [`compose`] (a MAPIUID of ours, random).
pub const COMPOUND_UID: [u8; 16] = [
    0x16, 0x5C, 0x5E, 0x4F, 0xD2, 0x8B, 0x43, 0xCD, 0x90, 0x46, 0x0F, 0xB2, 0x25, 0x16, 0x06, 0xC0,
];

/// An `ENTRYID` holds at least its 4 flag bytes.
pub const MIN_ENTRYID: usize = 4;

/// Flags, UID and record-key size before the record key.
const COMPOUND_HEADER: usize = 4 + 16 + 4;

fn invalid(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidEntryId, what)
}

fn check_entry_id(eid: &[u8], what: &str) -> Result<()> {
    if eid.len() < MIN_ENTRYID {
        return Err(invalid(format!(
            "{what}: {} bytes; an entry identifier has at least its 4 flag bytes",
            eid.len()
        )));
    }
    Ok(())
}

/// `HrSzFromEntryID`'s text: upper-case hex, two digits per byte.
pub fn to_text(eid: &[u8]) -> Result<String> {
    check_entry_id(eid, "HrSzFromEntryID")?;
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(eid.len() * 2);
    for b in eid {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    Ok(s)
}

/// `HrEntryIDFromSz`: the bytes of a string [`to_text`] wrote; anything else is
/// `MAPI_E_INVALID_ENTRYID`.
pub fn from_text(s: &[u8]) -> Result<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return Err(invalid(format!(
            "HrEntryIDFromSz: {} characters; an entry identifier string has two per byte",
            s.len()
        )));
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(s.len() / 2);
    for (i, pair) in s.chunks_exact(2).enumerate() {
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => out.push(h << 4 | l),
            _ => {
                return Err(invalid(format!(
                    "HrEntryIDFromSz: character {} is not an upper-case hexadecimal digit",
                    if digit(pair[0]).is_none() {
                        2 * i
                    } else {
                        2 * i + 1
                    }
                )));
            }
        }
    }
    check_entry_id(&out, "HrEntryIDFromSz")?;
    Ok(out)
}

/// `HrComposeEID`: with a record key, the compound entry ID; without one (an empty key),
/// a copy of the message entry ID, as documented.
pub fn compose(record_key: &[u8], msg_eid: &[u8]) -> Result<Vec<u8>> {
    check_entry_id(msg_eid, "HrComposeEID: the object's entry identifier")?;
    if record_key.is_empty() {
        return Ok(msg_eid.to_vec());
    }
    let key_len = u32::try_from(record_key.len())
        .map_err(|_| Error::new(ErrorKind::InvalidParameter, "record key too long"))?;
    let total = COMPOUND_HEADER + record_key.len() + msg_eid.len();
    if u32::try_from(total).is_err() {
        return Err(Error::new(
            ErrorKind::NotEnoughMemory,
            "HrComposeEID: the compound entry identifier would exceed 4 GiB",
        ));
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&msg_eid[..4]);
    out.extend_from_slice(&COMPOUND_UID);
    out.extend_from_slice(&key_len.to_le_bytes());
    out.extend_from_slice(record_key);
    out.extend_from_slice(msg_eid);
    Ok(out)
}

/// What [`decompose`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Parts<'a> {
    /// Not one of our compound IDs: documented to come back whole as the object's ID.
    Simple(&'a [u8]),
    /// A compound ID: the store's record key and the object's entry ID.
    Compound {
        record_key: &'a [u8],
        msg_eid: &'a [u8],
    },
}

/// `HrDecomposeEID`'s split. An ID that carries our UID but whose sizes do not add up (or
/// whose flags differ from the message ID's it holds) is damaged:
/// `MAPI_E_INVALID_ENTRYID`.
pub fn decompose(eid: &[u8]) -> Result<Parts<'_>> {
    check_entry_id(eid, "HrDecomposeEID")?;
    if eid.len() < COMPOUND_HEADER || eid[4..20] != COMPOUND_UID {
        return Ok(Parts::Simple(eid));
    }
    let key_len = u32::from_le_bytes(eid[20..24].try_into().expect("4 bytes")) as usize;
    let rest = &eid[COMPOUND_HEADER..];
    if key_len == 0 || key_len > rest.len() || rest.len() - key_len < MIN_ENTRYID {
        return Err(invalid(format!(
            "HrDecomposeEID: a compound entry identifier whose record key size ({key_len}) \
             does not fit its {} bytes",
            eid.len()
        )));
    }
    let (record_key, msg_eid) = rest.split_at(key_len);
    if msg_eid[..4] != eid[..4] {
        return Err(invalid(
            "HrDecomposeEID: a compound entry identifier whose flags differ from its object's",
        ));
    }
    Ok(Parts::Compound {
        record_key,
        msg_eid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_refuses_what_it_never_writes() {
        let eid = [0, 0, 0, 0, 0x12, 0xAB, 0xFF];
        let s = to_text(&eid).unwrap();
        assert_eq!(s, "0000000012ABFF");
        assert_eq!(from_text(s.as_bytes()).unwrap(), eid);
        for bad in [
            "0000000012abff",
            "0000000012ABF",
            "00000000 2ABFF",
            "000000",
            "",
        ] {
            let e = from_text(bad.as_bytes()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidEntryId, "{bad:?}");
        }
        assert_eq!(
            to_text(&[1, 2, 3]).unwrap_err().kind,
            ErrorKind::InvalidEntryId
        );
    }

    #[test]
    fn compose_and_decompose() {
        let msg = [1, 0, 0, 0, 9, 8, 7];
        let key = [0xAA; 16];
        let c = compose(&key, &msg).unwrap();
        assert_eq!(c.len(), 24 + 16 + 7);
        assert_eq!(&c[..4], &msg[..4]);
        assert_eq!(
            decompose(&c).unwrap(),
            Parts::Compound {
                record_key: &key,
                msg_eid: &msg
            }
        );
        // No record key: the entry ID itself, which decomposes to itself.
        assert_eq!(compose(&[], &msg).unwrap(), msg);
        assert_eq!(decompose(&msg).unwrap(), Parts::Simple(&msg));
        // A plain ID as long as a compound one, with another UID.
        let mut other = c.clone();
        other[10] ^= 1;
        assert_eq!(decompose(&other).unwrap(), Parts::Simple(&other[..]));
        // Damaged compound IDs.
        for cut in [24, 24 + 16, 24 + 16 + 3] {
            assert_eq!(
                decompose(&c[..cut]).unwrap_err().kind,
                ErrorKind::InvalidEntryId
            );
        }
        let mut flags = c.clone();
        flags[0] = 0x80;
        assert_eq!(
            decompose(&flags).unwrap_err().kind,
            ErrorKind::InvalidEntryId
        );
        let mut zero_key = c.clone();
        zero_key[20..24].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            decompose(&zero_key).unwrap_err().kind,
            ErrorKind::InvalidEntryId
        );
        assert_eq!(
            compose(&key, &[1, 2]).unwrap_err().kind,
            ErrorKind::InvalidEntryId
        );
    }
}
