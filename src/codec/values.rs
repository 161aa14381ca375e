//! Value streams: how string, binary, GUID and multi-valued properties are stored
//! (`spec/msg-format.md` §3.4, §5).
#![forbid(unsafe_code)]

use super::{mv_value_stream_name, value_stream_name};
use crate::consts::*;
use crate::types::prop_value::{Guid, PropValue, prop_type};

/// Bytes of one UTF-16 string without its trailing NULs.
pub fn utf16_from_bytes(bytes: &[u8]) -> Vec<u16> {
    let mut units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    while units.last() == Some(&0) {
        units.pop();
    }
    units
}

pub fn utf16_to_bytes(units: &[u16]) -> Vec<u8> {
    units.iter().flat_map(|u| u.to_le_bytes()).collect()
}

/// An 8-bit string's bytes without trailing NULs.
pub fn string8_from_bytes(bytes: &[u8]) -> Vec<u8> {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    bytes[..end].to_vec()
}

fn guid_from(bytes: &[u8]) -> Guid {
    let mut g = [0u8; 16];
    let n = bytes.len().min(16);
    g[..n].copy_from_slice(&bytes[..n]);
    g
}

fn fixed<T, const N: usize>(bytes: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
    bytes
        .chunks_exact(N)
        .map(|c| f(c.try_into().expect("chunk of N")))
        .collect()
}

/// Decodes the single stream of a string, binary, GUID or fixed-length multi-valued
/// property. Returns `None` for variable-length multi-valued types (see [`decode_mv`]).
pub fn decode_single(ty: u32, bytes: &[u8]) -> Option<PropValue> {
    Some(match ty {
        PT_STRING8 => PropValue::String8(string8_from_bytes(bytes)),
        PT_UNICODE => PropValue::Unicode(utf16_from_bytes(bytes)),
        PT_BINARY => PropValue::Binary(bytes.to_vec()),
        PT_CLSID => PropValue::Clsid(guid_from(bytes)),
        PT_MV_I2 => PropValue::MvI2(fixed(bytes, i16::from_le_bytes)),
        PT_MV_LONG => PropValue::MvLong(fixed(bytes, i32::from_le_bytes)),
        PT_MV_R4 => PropValue::MvR4(fixed(bytes, |b: [u8; 4]| {
            f32::from_bits(u32::from_le_bytes(b))
        })),
        PT_MV_DOUBLE => PropValue::MvDouble(fixed(bytes, |b: [u8; 8]| {
            f64::from_bits(u64::from_le_bytes(b))
        })),
        PT_MV_APPTIME => PropValue::MvAppTime(fixed(bytes, |b: [u8; 8]| {
            f64::from_bits(u64::from_le_bytes(b))
        })),
        PT_MV_CURRENCY => PropValue::MvCurrency(fixed(bytes, i64::from_le_bytes)),
        PT_MV_I8 => PropValue::MvI8(fixed(bytes, i64::from_le_bytes)),
        PT_MV_SYSTIME => PropValue::MvSysTime(fixed(bytes, u64::from_le_bytes)),
        PT_MV_CLSID => PropValue::MvClsid(fixed(bytes, |b: [u8; 16]| b)),
        _ => return None,
    })
}

/// How many values a variable-length multi-valued property's length stream lists.
pub fn mv_count(ty: u32, length_stream: &[u8]) -> usize {
    match ty {
        PT_MV_BINARY => length_stream.len() / 8,
        _ => length_stream.len() / 4,
    }
}

/// Decodes a variable-length multi-valued property from its value streams (index `i` of
/// `values` holds `__substg1.0_TAG-i`, or `None` where that stream is missing).
pub fn decode_mv(ty: u32, values: Vec<Option<Vec<u8>>>) -> Option<PropValue> {
    let values = values.into_iter().map(Option::unwrap_or_default);
    Some(match ty {
        PT_MV_BINARY => PropValue::MvBinary(values.collect()),
        PT_MV_STRING8 => PropValue::MvString8(values.map(|v| string8_from_bytes(&v)).collect()),
        PT_MV_UNICODE => PropValue::MvUnicode(values.map(|v| utf16_from_bytes(&v)).collect()),
        _ => return None,
    })
}

/// A value ready to be written: the entry's size field, the main stream and any indexed
/// value streams.
#[derive(Debug, PartialEq)]
pub struct Encoded {
    pub size: u32,
    pub main: Vec<u8>,
    pub indexed: Vec<(String, Vec<u8>)>,
}

fn packed<T: Copy, const N: usize>(values: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    values.iter().flat_map(|&v| f(v)).collect()
}

fn size_of(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Encodes a stream-backed value of property `tag`. Returns `None` for fixed-length
/// single values (they live in the property stream entry).
pub fn encode(tag: u32, value: &PropValue) -> Option<Encoded> {
    let simple = |main: Vec<u8>, extra: usize| Encoded {
        size: size_of(main.len() + extra),
        main,
        indexed: Vec::new(),
    };
    Some(match value {
        // Single-valued strings are stored without their terminator; the size counts it.
        PropValue::String8(s) => simple(s.clone(), 1),
        PropValue::Unicode(s) => simple(utf16_to_bytes(s), 2),
        PropValue::Binary(b) => simple(b.clone(), 0),
        PropValue::Clsid(g) => simple(g.to_vec(), 0),
        PropValue::MvI2(v) => simple(packed(v, i16::to_le_bytes), 0),
        PropValue::MvLong(v) => simple(packed(v, i32::to_le_bytes), 0),
        PropValue::MvR4(v) => simple(packed(v, |x: f32| x.to_bits().to_le_bytes()), 0),
        PropValue::MvDouble(v) | PropValue::MvAppTime(v) => {
            simple(packed(v, |x: f64| x.to_bits().to_le_bytes()), 0)
        }
        PropValue::MvCurrency(v) | PropValue::MvI8(v) => simple(packed(v, i64::to_le_bytes), 0),
        PropValue::MvSysTime(v) => simple(packed(v, u64::to_le_bytes), 0),
        PropValue::MvClsid(v) => simple(packed(v, |g: Guid| g), 0),
        PropValue::MvBinary(values) => {
            let mut lengths = Vec::with_capacity(values.len() * 8);
            let mut indexed = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                lengths.extend_from_slice(&size_of(v.len()).to_le_bytes());
                lengths.extend_from_slice(&[0; 4]);
                indexed.push((mv_value_stream_name(tag, i as u32), v.clone()));
            }
            Encoded {
                size: size_of(lengths.len()),
                main: lengths,
                indexed,
            }
        }
        PropValue::MvString8(values) => mv_strings(
            tag,
            values.iter().map(|s| {
                let mut b = s.clone();
                b.push(0);
                b
            }),
        ),
        PropValue::MvUnicode(values) => mv_strings(
            tag,
            values.iter().map(|s| {
                let mut b = utf16_to_bytes(s);
                b.extend_from_slice(&[0, 0]);
                b
            }),
        ),
        _ => return None,
    })
}

/// Multi-valued strings: each value stream ends in a NUL and its length counts it.
fn mv_strings(tag: u32, values: impl Iterator<Item = Vec<u8>>) -> Encoded {
    let mut lengths = Vec::new();
    let mut indexed = Vec::new();
    for (i, v) in values.enumerate() {
        lengths.extend_from_slice(&size_of(v.len()).to_le_bytes());
        indexed.push((mv_value_stream_name(tag, i as u32), v));
    }
    Encoded {
        size: size_of(lengths.len()),
        main: lengths,
        indexed,
    }
}

/// Names of the streams a stored value of `tag` with `count` indexed values occupies.
pub fn stream_names(tag: u32, count: usize) -> Vec<String> {
    let mut names = vec![value_stream_name(tag)];
    if matches!(prop_type(tag), PT_MV_BINARY | PT_MV_STRING8 | PT_MV_UNICODE) {
        names.extend((0..count).map(|i| mv_value_stream_name(tag, i as u32)));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(tag: u32, value: PropValue) {
        let enc = encode(tag, &value).unwrap();
        let ty = prop_type(tag);
        let back = match decode_single(ty, &enc.main) {
            Some(v) => v,
            None => decode_mv(
                ty,
                enc.indexed.iter().map(|(_, b)| Some(b.clone())).collect(),
            )
            .unwrap(),
        };
        assert_eq!(back, value);
    }

    #[test]
    fn every_stream_type_round_trips() {
        round_trip(0x0037_001E, PropValue::String8(b"hello".to_vec()));
        round_trip(
            0x0037_001F,
            PropValue::Unicode("h\u{e9}llo".encode_utf16().collect()),
        );
        round_trip(0x1009_0102, PropValue::Binary(vec![0, 1, 2, 0]));
        round_trip(0x8000_0048, PropValue::Clsid([7; 16]));
        round_trip(0x8001_1002, PropValue::MvI2(vec![1, -2]));
        round_trip(0x8001_1003, PropValue::MvLong(vec![1, -2, 3]));
        round_trip(0x8001_1004, PropValue::MvR4(vec![1.5]));
        round_trip(0x8001_1005, PropValue::MvDouble(vec![1.25, -3.0]));
        round_trip(0x8001_1006, PropValue::MvCurrency(vec![12345]));
        round_trip(0x8001_1007, PropValue::MvAppTime(vec![45000.5]));
        round_trip(0x8001_1014, PropValue::MvI8(vec![i64::MIN]));
        round_trip(0x8001_1040, PropValue::MvSysTime(vec![133976600530000000]));
        round_trip(0x8001_1048, PropValue::MvClsid(vec![[1; 16], [2; 16]]));
        round_trip(
            0x8001_1102,
            PropValue::MvBinary(vec![vec![1], vec![], vec![2, 3]]),
        );
        round_trip(
            0x8001_101E,
            PropValue::MvString8(vec![b"a".to_vec(), b"".to_vec()]),
        );
        round_trip(
            0x8001_101F,
            PropValue::MvUnicode(vec![vec![0x41, 0x42], vec![]]),
        );
    }

    #[test]
    fn size_fields_follow_outlook() {
        assert_eq!(
            encode(0x0037_001F, &PropValue::Unicode(vec![0x41; 3]))
                .unwrap()
                .size,
            8
        );
        assert_eq!(
            encode(0x0037_001E, &PropValue::String8(b"abc".to_vec()))
                .unwrap()
                .size,
            4
        );
        let mv = encode(0x8001_101F, &PropValue::MvUnicode(vec![vec![0x41]])).unwrap();
        assert_eq!(mv.size, 4);
        assert_eq!(mv.main, vec![4, 0, 0, 0]);
        assert_eq!(mv.indexed[0].1, vec![0x41, 0, 0, 0]);
        let mvb = encode(0x8001_1102, &PropValue::MvBinary(vec![vec![9; 5]])).unwrap();
        assert_eq!(mvb.main, vec![5, 0, 0, 0, 0, 0, 0, 0]);
    }
}
