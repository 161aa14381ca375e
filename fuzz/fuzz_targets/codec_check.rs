//! What must hold for the byte-format parsers on their own (panics say which property
//! broke). The first byte picks the parser, the rest is its input:
//! - a property stream (`codec::parse_properties`, header kind from the first byte): parsing
//!   never panics; what it parsed writes back and parses again to the same entries, with no
//!   warning and the same bytes;
//! - a named-property map (`codec::nameid::parse` over three streams split by two 16-bit
//!   lengths): what it parsed builds into streams that parse back to the same entries and
//!   whose hash buckets check clean; as a `NameMap`, every name it lists resolves back to an
//!   id that names it;
//! - a value stream (`codec::values`): what decodes encodes, and decodes again to the same
//!   bytes.
#![allow(dead_code)]

use imessage::codec::nameid;
use imessage::codec::values::{decode_mv, decode_single, encode};
use imessage::codec::{HeaderKind, MAX_WARNINGS, parse_properties, write_properties};
use imessage::consts::*;
use imessage::model::name_map::NameMap;

pub fn check(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => property_stream(rest, selector / 3),
        1 => names(rest),
        _ => value(rest, selector / 3),
    }
}

fn property_stream(bytes: &[u8], which: u8) {
    let kind = [
        HeaderKind::TopLevel,
        HeaderKind::Embedded,
        HeaderKind::Child,
    ][usize::from(which % 3)];
    let parsed = parse_properties(bytes, kind);
    assert!(
        parsed.warnings.len() <= MAX_WARNINGS + 2,
        "warnings stay bounded: {}",
        parsed.warnings.len()
    );
    let written = write_properties(kind, &parsed.counters, &parsed.entries);
    assert_eq!(written.len(), kind.size() + 16 * parsed.entries.len());
    let again = parse_properties(&written, kind);
    assert!(
        again.warnings.is_empty(),
        "warnings on our own stream: {:?}",
        again.warnings
    );
    assert_eq!(again.counters, parsed.counters);
    assert_eq!(
        again.entries.len(),
        parsed.entries.len(),
        "every entry reads back"
    );
    let tags =
        |s: &imessage::codec::PropertyStream| s.entries.iter().map(|e| e.tag).collect::<Vec<_>>();
    assert_eq!(tags(&again), tags(&parsed));
    assert_eq!(
        write_properties(kind, &again.counters, &again.entries),
        written,
        "a stream we wrote writes back byte for byte"
    );
}

fn names(bytes: &[u8]) {
    if bytes.len() < 4 {
        return;
    }
    let take = |at: usize, n: usize| &bytes[at.min(bytes.len())..(at + n).min(bytes.len())];
    let guid_len = usize::from(u16::from_le_bytes([bytes[0], bytes[1]]));
    let entry_len = usize::from(u16::from_le_bytes([bytes[2], bytes[3]]));
    let guids = take(4, guid_len);
    let entries = take(4 + guid_len, entry_len);
    let strings = take(4 + guid_len + entry_len, bytes.len());
    let _ = nameid::check_buckets(
        entries,
        strings,
        &[("__substg1.0_10000102".into(), guids.to_vec())],
    );
    let (parsed, _warnings) = nameid::parse(guids, entries, strings);
    let built = nameid::build(&parsed);
    let (again, warnings) = nameid::parse(&built.guids, &built.entries, &built.strings);
    assert_eq!(again, parsed, "a map we built reads back ({warnings:?})");
    assert_eq!(
        nameid::check_buckets(&built.entries, &built.strings, &built.buckets),
        None,
        "the buckets we wrote check clean"
    );
    let (map, _) = NameMap::from_entries(&parsed);
    for (id, name) in map.iter() {
        let back = map.id_of(name);
        assert!(
            back.is_some(),
            "name of 0x{id:04X} does not resolve back: {name:?}"
        );
        assert_eq!(
            map.name_of(back.unwrap()).as_ref(),
            Some(name),
            "0x{id:04X}"
        );
    }
}

/// Types whose values live in streams.
const STREAM_TYPES: [u32; 17] = [
    PT_STRING8,
    PT_UNICODE,
    PT_BINARY,
    PT_CLSID,
    PT_MV_I2,
    PT_MV_LONG,
    PT_MV_R4,
    PT_MV_DOUBLE,
    PT_MV_APPTIME,
    PT_MV_CURRENCY,
    PT_MV_I8,
    PT_MV_SYSTIME,
    PT_MV_CLSID,
    PT_MV_BINARY,
    PT_MV_STRING8,
    PT_MV_UNICODE,
    PT_OBJECT,
];

fn value(bytes: &[u8], which: u8) {
    let ty = STREAM_TYPES[usize::from(which) % STREAM_TYPES.len()];
    let tag = 0x6700_0000 | ty;
    let decoded = match ty {
        PT_MV_BINARY | PT_MV_STRING8 | PT_MV_UNICODE => {
            // Value streams split at each 0xFF byte; an empty piece is a missing stream.
            let parts = bytes
                .split(|&b| b == 0xFF)
                .map(|p| (!p.is_empty()).then(|| p.to_vec()))
                .collect();
            decode_mv(ty, parts)
        }
        _ => decode_single(ty, bytes),
    };
    let Some(decoded) = decoded else {
        assert!(matches!(ty, PT_OBJECT), "type 0x{ty:04X} decodes");
        return;
    };
    let encoded = encode(tag, &decoded).expect("a stream value encodes");
    let redecoded = if encoded.indexed.is_empty()
        && !matches!(ty, PT_MV_BINARY | PT_MV_STRING8 | PT_MV_UNICODE)
    {
        decode_single(ty, &encoded.main)
    } else {
        decode_mv(
            ty,
            encoded
                .indexed
                .iter()
                .map(|(_, v)| Some(v.clone()))
                .collect(),
        )
    }
    .expect("what we encoded decodes");
    assert_eq!(
        encode(tag, &redecoded).expect("encodes"),
        encoded,
        "a value we wrote writes back byte for byte"
    );
}
