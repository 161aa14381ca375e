//! The conversation index (`PR_CONVERSATION_INDEX`, [MS-OXOMSG] 2.2.1.3), as
//! `ScCreateConversationIndex` makes it.
//!
//! A new thread gets a 22-byte header: a reserved byte 0x01, five bytes of the current time
//! (the FILETIME shifted right by 24 bits: its high 32 bits and the top 8 of its low part,
//! big-endian) and a new GUID. Each reply appends a 5-byte response level: one bit of delta
//! code, 31 bits of the time since the header's time, and 8 random bits. When that time
//! difference fits in 49 bits (about 1.7 years: the high part ANDed with 0x00FE0000 is
//! zero) the delta code is 0 and the 31 bits are the difference shifted right by 18;
//! otherwise the code is 1 and the shift is 23.
//!
//! Older documentation ([MS-OXOMSG] before 2010, and Outlook 2007) took the five header
//! bytes from the FILETIME shifted by 16 instead; current Outlook and the current
//! specification use the shift by 24, which is what we write.
#![forbid(unsafe_code)]

/// Bytes of the header block.
pub const HEADER_LEN: usize = 22;
/// Bytes of each response level.
pub const RESPONSE_LEN: usize = 5;

/// Bits of the FILETIME below the five header bytes.
const HEADER_SHIFT: u32 = 24;

/// The header of a new thread started at `now` (a FILETIME) with thread id `guid` (its 16
/// bytes as they go into the index: Data1, Data2 and Data3 big-endian).
pub fn new_thread(now: u64, guid: [u8; 16]) -> Vec<u8> {
    let mut index = Vec::with_capacity(HEADER_LEN);
    index.push(0x01);
    let time = (now >> HEADER_SHIFT).to_be_bytes();
    index.extend_from_slice(&time[3..]);
    index.extend_from_slice(&guid);
    index
}

/// The FILETIME the header's five time bytes stand for (their low 24 bits are lost).
pub fn header_time(index: &[u8]) -> Option<u64> {
    let bytes = index.get(1..6)?;
    let time = bytes.iter().fold(0u64, |t, &b| (t << 8) | u64::from(b));
    Some(time << HEADER_SHIFT)
}

/// Why an index cannot be extended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvIndexError {
    /// Shorter than the 22-byte header: there is no thread to reply in.
    TooShort,
}

/// The response level for a reply made at `now` in a thread whose header time is
/// `header`: 5 bytes.
pub fn response_level(header: u64, now: u64, random: u8) -> [u8; RESPONSE_LEN] {
    // A clock behind the header's time counts as no time at all.
    let diff = now.saturating_sub(header);
    let high = (diff >> 32) as u32;
    let word = if high & 0x00FE_0000 == 0 {
        ((diff >> 18) as u32) & 0x7FFF_FFFF
    } else {
        0x8000_0000 | (((diff >> 23) as u32) & 0x7FFF_FFFF)
    };
    let w = word.to_be_bytes();
    [w[0], w[1], w[2], w[3], random]
}

/// `parent` with a response level for a reply made at `now` appended.
pub fn reply(parent: &[u8], now: u64, random: u8) -> Result<Vec<u8>, ConvIndexError> {
    let header = header_time(parent)
        .filter(|_| parent.len() >= HEADER_LEN)
        .ok_or(ConvIndexError::TooShort)?;
    let mut index = Vec::with_capacity(parent.len() + RESPONSE_LEN);
    index.extend_from_slice(parent);
    index.extend_from_slice(&response_level(header, now, random));
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: [u8; 16] = [
        0xC8, 0x5C, 0x39, 0xB2, 0xC0, 0x24, 0x42, 0x83, 0x81, 0xB1, 0x3C, 0x0C, 0x5C, 0x3F, 0xDE,
        0xB4,
    ];

    #[test]
    fn header_is_reserved_byte_time_and_guid() {
        let now = 0x01D5_7DF8_5E12_3456;
        let index = new_thread(now, GUID);
        assert_eq!(index.len(), HEADER_LEN);
        assert_eq!(&index[..6], &[0x01, 0x01, 0xD5, 0x7D, 0xF8, 0x5E]);
        assert_eq!(&index[6..], &GUID);
        assert_eq!(header_time(&index), Some(0x01D5_7DF8_5E00_0000));
    }

    #[test]
    fn a_short_delta_uses_code_zero_and_a_shift_of_18() {
        let index = new_thread(0x01D5_7DF8_5E00_0000, GUID);
        // One hour later: 36e9 hundred-nanosecond units.
        let hour = 36_000_000_000u64;
        let r = reply(&index, 0x01D5_7DF8_5E00_0000 + hour, 0xAB).unwrap();
        assert_eq!(r.len(), HEADER_LEN + RESPONSE_LEN);
        assert_eq!(&r[..HEADER_LEN], &index[..]);
        let word = u32::from_be_bytes(r[22..26].try_into().unwrap());
        assert_eq!(word >> 31, 0);
        assert_eq!(word, (hour >> 18) as u32);
        assert_eq!(r[26], 0xAB);
    }

    #[test]
    fn a_long_delta_uses_code_one_and_a_shift_of_23() {
        let start = 0x01C0_0000_0000_0000u64;
        let index = new_thread(start, GUID);
        // Past the 49-bit boundary (about 1.78 years).
        let diff = 1u64 << 49;
        let r = reply(&index, start + diff, 0).unwrap();
        let word = u32::from_be_bytes(r[22..26].try_into().unwrap());
        assert_eq!(word >> 31, 1);
        assert_eq!(word & 0x7FFF_FFFF, (diff >> 23) as u32);
        // Just below it the short form is still used.
        let r = reply(&index, start + diff - 1, 0).unwrap();
        let word = u32::from_be_bytes(r[22..26].try_into().unwrap());
        assert_eq!(word >> 31, 0);
        assert_eq!(word, (((diff - 1) >> 18) as u32) & 0x7FFF_FFFF);
    }

    #[test]
    fn replies_chain_and_measure_from_the_header() {
        let start = 0x01D0_0000_0000_0000u64;
        let a = reply(&new_thread(start, GUID), start + 1_000_000_000, 1).unwrap();
        let b = reply(&a, start + 5_000_000_000, 2).unwrap();
        assert_eq!(b.len(), HEADER_LEN + 2 * RESPONSE_LEN);
        assert_eq!(&b[..a.len()], &a[..]);
        let word = u32::from_be_bytes(b[27..31].try_into().unwrap());
        assert_eq!(word, (5_000_000_000u64 >> 18) as u32);
    }

    #[test]
    fn a_clock_behind_the_header_gives_zero_and_short_parents_are_refused() {
        let start = 0x01D0_0000_0000_0000u64;
        let r = reply(&new_thread(start, GUID), start - 1_000_000, 7).unwrap();
        assert_eq!(&r[22..], &[0, 0, 0, 0, 7]);
        assert_eq!(reply(&[1; 21], start, 0), Err(ConvIndexError::TooShort));
        assert_eq!(reply(&[], start, 0), Err(ConvIndexError::TooShort));
    }
}
