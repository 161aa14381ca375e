//! Numbers and bytes written as text, as mapiutil's string helpers read and write them:
//! hexadecimal pairs (`HexFromBin`, `FBinFromHex`, `ScBinFromHexBounded`), a leading
//! hexadecimal or decimal number (`UlFromSzHex`, `UFromSz`). The text is 8-bit, without its
//! terminator.
#![forbid(unsafe_code)]

const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// The value of one hexadecimal digit, either case.
pub fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `bytes` as two upper-case hexadecimal digits each (0x0A is "0A", as Microsoft's example
/// shows).
pub fn encode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0F)]);
    }
    out
}

/// Why hexadecimal text does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HexError {
    /// The character at this index is not a hexadecimal digit.
    BadDigit(usize),
    /// An odd number of digits: the last byte would be half a byte.
    OddLength,
}

/// The bytes that pairs of hexadecimal digits spell. Every character must be a digit and
/// their number even; nothing is decoded otherwise.
pub fn decode(text: &[u8]) -> Result<Vec<u8>, HexError> {
    if let Some(i) = text.iter().position(|&c| hex_digit(c).is_none()) {
        return Err(HexError::BadDigit(i));
    }
    if !text.len().is_multiple_of(2) {
        return Err(HexError::OddLength);
    }
    Ok(text
        .chunks_exact(2)
        .map(|pair| (hex_digit(pair[0]).unwrap_or(0) << 4) | hex_digit(pair[1]).unwrap_or(0))
        .collect())
}

/// The number the leading hexadecimal digits spell, 0 when the text does not start with
/// one; reading stops at the first other character. More than eight digits keep the value
/// of the last eight (the arithmetic is 32-bit).
pub fn leading_hex(text: &[u8]) -> u32 {
    text.iter()
        .map_while(|&c| hex_digit(c))
        .fold(0u32, |n, d| (n << 4) | u32::from(d))
}

/// The number the leading decimal digits spell, 0 when the text does not start with one;
/// reading stops at the first other character. The arithmetic is 32-bit unsigned and wraps,
/// as C's does.
pub fn leading_decimal(text: &[u8]) -> u32 {
    text.iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0u32, |n, &c| {
            n.wrapping_mul(10).wrapping_add(u32::from(c - b'0'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_upper_case_pairs() {
        assert_eq!(encode(&[0x0A, 0xFF, 0x00, 0x7b]), b"0AFF007B");
        assert_eq!(encode(&[]), b"");
    }

    #[test]
    fn decodes_either_case_and_refuses_bad_text() {
        assert_eq!(decode(b"0aFf10"), Ok(vec![0x0A, 0xFF, 0x10]));
        assert_eq!(decode(b""), Ok(vec![]));
        assert_eq!(decode(b"0A1"), Err(HexError::OddLength));
        assert_eq!(decode(b"0G"), Err(HexError::BadDigit(1)));
        assert_eq!(decode(b"0 11"), Err(HexError::BadDigit(1)));
        // A bad digit is reported before the odd length.
        assert_eq!(decode(b"0AZ"), Err(HexError::BadDigit(2)));
    }

    #[test]
    fn round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)), Ok(all));
    }

    #[test]
    fn leading_numbers_stop_at_the_first_other_character() {
        // Microsoft's examples: "5a" is 90, "5g5h" 5, "g5h5" 0; "55", "5a5b", "a5b5".
        assert_eq!(leading_hex(b"5a"), 90);
        assert_eq!(leading_hex(b"5g5h"), 5);
        assert_eq!(leading_hex(b"g5h5"), 0);
        assert_eq!(leading_hex(b"FFFFFFFF"), u32::MAX);
        assert_eq!(leading_hex(b"123456789"), 0x2345_6789);
        assert_eq!(leading_decimal(b"55"), 55);
        assert_eq!(leading_decimal(b"5a5b"), 5);
        assert_eq!(leading_decimal(b"a5b5"), 0);
        assert_eq!(leading_decimal(b"4294967295"), u32::MAX);
        assert_eq!(leading_decimal(b"4294967296"), 0);
        assert_eq!(leading_decimal(b""), 0);
    }
}
