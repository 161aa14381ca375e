//! The `.msg` format ([MS-OXMSG]): property streams, value streams, and names of the
//! storages and streams. Pure functions over bytes; reading is tolerant of the deviations
//! real files show (`spec/msg-format.md` §14).
#![forbid(unsafe_code)]

pub mod compressed_rtf;
pub mod convindex;
pub mod hex;
pub mod nameid;
pub mod rtf_encap;
pub mod rtf_sync;
pub mod tnef;
mod tnef_formats;
pub mod tnef_legacy;
pub mod tnef_read;
pub mod tnef_write;
pub mod values;

use crate::consts::*;
use crate::types::prop_value::{PropValue, is_known_type, is_stream_type, prop_id, prop_type};

pub const PROPERTIES_STREAM: &str = "__properties_version1.0";
pub const NAMEID_STORAGE: &str = "__nameid_version1.0";
pub const RECIP_PREFIX: &str = "__recip_version1.0_#";
pub const ATTACH_PREFIX: &str = "__attach_version1.0_#";
/// `PR_ATTACH_DATA_OBJ`'s storage: an embedded message or an OLE object.
pub const ATTACH_OBJECT_STORAGE: &str = "__substg1.0_3701000D";

/// Size of the property-stream header, which depends on where the stream lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderKind {
    /// The top-level message: 32 bytes.
    TopLevel,
    /// A message embedded in an attachment: 24 bytes.
    Embedded,
    /// A recipient or an attachment: 8 bytes.
    Child,
}

impl HeaderKind {
    pub fn size(self) -> usize {
        match self {
            HeaderKind::TopLevel => 32,
            HeaderKind::Embedded => 24,
            HeaderKind::Child => 8,
        }
    }
}

/// The counters of a message's property-stream header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub next_recipient_id: u32,
    pub next_attachment_id: u32,
    pub recipient_count: u32,
    pub attachment_count: u32,
}

/// One 16-byte entry of a property stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub tag: u32,
    pub flags: u32,
    pub body: EntryBody,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EntryBody {
    /// A fixed-length value stored in the entry itself.
    Inline(PropValue),
    /// A value kept in `__substg1.0_TTTTTTTT` (and, for variable-length multi-valued
    /// types, indexed value streams); `size` is the entry's size field.
    Stream { size: u32 },
    /// `PT_OBJECT`: a storage of its own; `reserved` is 1 for an embedded message, 4 for OLE.
    Object { reserved: u32 },
}

/// A parsed property stream.
#[derive(Clone, Debug, Default)]
pub struct PropertyStream {
    pub counters: Counters,
    pub entries: Vec<Entry>,
    /// Deviations found while reading (for diagnostics).
    pub warnings: Vec<String>,
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().expect("4 bytes"))
}

fn le64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

/// Decodes a fixed-length value from an entry's 8-byte value field.
fn decode_inline(ty: u32, v: &[u8]) -> Option<PropValue> {
    Some(match ty {
        PT_I2 => PropValue::I2(i16::from_le_bytes([v[0], v[1]])),
        PT_LONG => PropValue::Long(le32(v) as i32),
        PT_R4 => PropValue::R4(f32::from_bits(le32(v))),
        PT_DOUBLE => PropValue::Double(f64::from_bits(le64(v))),
        PT_CURRENCY => PropValue::Currency(le64(v) as i64),
        PT_APPTIME => PropValue::AppTime(f64::from_bits(le64(v))),
        PT_ERROR => PropValue::Error(le32(v) as i32),
        // Outlook writes 1 in the first byte; anything else non-zero there is still true.
        PT_BOOLEAN => PropValue::Boolean(u16::from_le_bytes([v[0], v[1]]) != 0),
        PT_I8 => PropValue::I8(le64(v) as i64),
        PT_SYSTIME => PropValue::SysTime(le64(v)),
        _ => return None,
    })
}

/// Encodes a fixed-length value into an entry's 8-byte value field (unused bytes zero).
fn encode_inline(value: &PropValue) -> Option<[u8; 8]> {
    let mut out = [0u8; 8];
    match value {
        PropValue::I2(x) => out[..2].copy_from_slice(&x.to_le_bytes()),
        PropValue::Long(x) | PropValue::Error(x) => out[..4].copy_from_slice(&x.to_le_bytes()),
        PropValue::R4(x) => out[..4].copy_from_slice(&x.to_bits().to_le_bytes()),
        PropValue::Double(x) | PropValue::AppTime(x) => {
            out.copy_from_slice(&x.to_bits().to_le_bytes())
        }
        PropValue::Currency(x) | PropValue::I8(x) => out.copy_from_slice(&x.to_le_bytes()),
        PropValue::Boolean(b) => out[0] = u8::from(*b),
        PropValue::SysTime(x) => out.copy_from_slice(&x.to_le_bytes()),
        _ => return None,
    }
    Some(out)
}

/// Warnings kept per property stream: a hostile stream can hold millions of bad entries,
/// and their words must not take more memory than the stream itself.
pub const MAX_WARNINGS: usize = 64;

fn warn(out: &mut PropertyStream, dropped: &mut usize, message: impl FnOnce() -> String) {
    if out.warnings.len() < MAX_WARNINGS {
        out.warnings.push(message());
    } else {
        *dropped += 1;
    }
}

/// Parses a property stream. Never fails: damage becomes warnings and skipped entries.
pub fn parse_properties(bytes: &[u8], kind: HeaderKind) -> PropertyStream {
    let mut out = PropertyStream::default();
    let header = kind.size();
    if bytes.len() < header {
        out.warnings.push(format!(
            "property stream of {} bytes is shorter than its {header}-byte header",
            bytes.len()
        ));
        return out;
    }
    if kind != HeaderKind::Child {
        out.counters = Counters {
            next_recipient_id: le32(&bytes[8..]),
            next_attachment_id: le32(&bytes[12..]),
            recipient_count: le32(&bytes[16..]),
            attachment_count: le32(&bytes[20..]),
        };
    }
    let body = &bytes[header..];
    if !body.len().is_multiple_of(16) {
        out.warnings.push(format!(
            "property stream length {} is not header({header})+16*n; trailing bytes ignored",
            bytes.len()
        ));
    }
    // Ids already taken: an object holds one property per id, whatever its type. The
    // first entry wins, as for an exact duplicate (a set, so that a long hostile stream
    // costs linear time).
    let mut seen = std::collections::HashMap::<u16, u32>::new();
    let mut dropped = 0;
    for raw in body.chunks_exact(16) {
        let tag = le32(raw);
        let flags = le32(&raw[4..]);
        let ty = prop_type(tag);
        if !is_known_type(ty) {
            warn(&mut out, &mut dropped, || {
                format!("unknown property type 0x{ty:04X} in tag 0x{tag:08X}")
            });
            continue;
        }
        let body = if ty == PT_OBJECT {
            EntryBody::Object {
                reserved: le32(&raw[12..]),
            }
        } else if is_stream_type(ty) {
            EntryBody::Stream {
                size: le32(&raw[8..]),
            }
        } else {
            EntryBody::Inline(decode_inline(ty, &raw[8..]).expect("fixed type"))
        };
        match seen.get(&prop_id(tag)) {
            Some(&first) if first == tag => {
                warn(&mut out, &mut dropped, || {
                    format!("duplicate property-stream entry 0x{tag:08X}")
                });
                continue;
            }
            Some(&first) => {
                warn(&mut out, &mut dropped, || {
                    format!(
                        "property-stream entry 0x{tag:08X} ignored: the id already has entry 0x{first:08X}"
                    )
                });
                continue;
            }
            None => {
                seen.insert(prop_id(tag), tag);
            }
        }
        out.entries.push(Entry { tag, flags, body });
    }
    if dropped > 0 {
        out.warnings
            .push(format!("... and {dropped} more property-stream warnings"));
    }
    out
}

/// Builds a property stream.
pub fn write_properties(kind: HeaderKind, counters: &Counters, entries: &[Entry]) -> Vec<u8> {
    let mut out = vec![0u8; kind.size()];
    if kind != HeaderKind::Child {
        out[8..12].copy_from_slice(&counters.next_recipient_id.to_le_bytes());
        out[12..16].copy_from_slice(&counters.next_attachment_id.to_le_bytes());
        out[16..20].copy_from_slice(&counters.recipient_count.to_le_bytes());
        out[20..24].copy_from_slice(&counters.attachment_count.to_le_bytes());
    }
    for e in entries {
        out.extend_from_slice(&e.tag.to_le_bytes());
        out.extend_from_slice(&e.flags.to_le_bytes());
        let value = match &e.body {
            EntryBody::Inline(v) => encode_inline(v).unwrap_or([0; 8]),
            EntryBody::Stream { size } => {
                let mut b = [0u8; 8];
                b[..4].copy_from_slice(&size.to_le_bytes());
                b
            }
            EntryBody::Object { reserved } => {
                let mut b = [0u8; 8];
                b[..4].copy_from_slice(&u32::MAX.to_le_bytes());
                b[4..].copy_from_slice(&reserved.to_le_bytes());
                b
            }
        };
        out.extend_from_slice(&value);
    }
    out
}

/// `__substg1.0_TTTTTTTT`: the stream of a property's value.
pub fn value_stream_name(tag: u32) -> String {
    format!("__substg1.0_{tag:08X}")
}

/// `__substg1.0_TTTTTTTT-IIIIIIII`: one value of a variable-length multi-valued property.
pub fn mv_value_stream_name(tag: u32, index: u32) -> String {
    format!("__substg1.0_{tag:08X}-{index:08X}")
}

pub fn recipient_storage_name(id: u32) -> String {
    format!("{RECIP_PREFIX}{id:08X}")
}

pub fn attachment_storage_name(id: u32) -> String {
    format!("{ATTACH_PREFIX}{id:08X}")
}

/// The number in a `__recip_version1.0_#N` / `__attach_version1.0_#N` name.
pub fn storage_number(name: &str, prefix: &str) -> Option<u32> {
    let rest = name.get(..prefix.len())?;
    if !rest.eq_ignore_ascii_case(prefix) {
        return None;
    }
    hex8(&name[prefix.len()..])
}

/// Exactly eight hex digits (`from_str_radix` alone also takes a sign: `+0000001`).
fn hex8(hex: &str) -> Option<u32> {
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// The tag named by a `__substg1.0_TTTTTTTT` stream name (not the indexed form).
pub fn tag_of_value_stream(name: &str) -> Option<u32> {
    let prefix = "__substg1.0_";
    let rest = name.get(..prefix.len())?;
    if !rest.eq_ignore_ascii_case(prefix) {
        return None;
    }
    hex8(&name[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_stream_round_trips() {
        let entries = vec![
            Entry {
                tag: 0x0E07_0003,
                flags: 6,
                body: EntryBody::Inline(PropValue::Long(9)),
            },
            Entry {
                tag: 0x0037_001F,
                flags: 6,
                body: EntryBody::Stream { size: 12 },
            },
            Entry {
                tag: 0x3701_000D,
                flags: 6,
                body: EntryBody::Object { reserved: 1 },
            },
            Entry {
                tag: 0x0E1B_000B,
                flags: 2,
                body: EntryBody::Inline(PropValue::Boolean(true)),
            },
        ];
        let counters = Counters {
            next_recipient_id: 3,
            next_attachment_id: 1,
            recipient_count: 2,
            attachment_count: 1,
        };
        for kind in [
            HeaderKind::TopLevel,
            HeaderKind::Embedded,
            HeaderKind::Child,
        ] {
            let bytes = write_properties(kind, &counters, &entries);
            assert_eq!(bytes.len(), kind.size() + 16 * entries.len());
            let parsed = parse_properties(&bytes, kind);
            assert_eq!(parsed.entries, entries);
            assert!(parsed.warnings.is_empty());
            if kind != HeaderKind::Child {
                assert_eq!(parsed.counters, counters);
            }
        }
    }

    #[test]
    fn damaged_streams_become_warnings() {
        let mut bytes = vec![0u8; 8];
        bytes.extend_from_slice(&[0x31, 0, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&[3, 0, 0x07, 0x0E, 6, 0, 0, 0, 5, 0, 0, 0, 0xAA, 0xBB, 0, 0]);
        bytes.extend_from_slice(&[1, 2, 3]);
        let parsed = parse_properties(&bytes, HeaderKind::Child);
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(
            parsed.entries[0].body,
            EntryBody::Inline(PropValue::Long(5))
        );
        assert_eq!(parsed.warnings.len(), 2);
        assert!(
            parse_properties(&[0; 10], HeaderKind::TopLevel)
                .entries
                .is_empty()
        );
    }

    fn entry_bytes(tag: u32, value: u32) -> [u8; 16] {
        let mut raw = [0u8; 16];
        raw[..4].copy_from_slice(&tag.to_le_bytes());
        raw[4..8].copy_from_slice(&6u32.to_le_bytes());
        raw[8..12].copy_from_slice(&value.to_le_bytes());
        raw
    }

    #[test]
    fn one_property_per_id_and_the_first_entry_wins() {
        // poi--unknown_properties.msg stores id 0x0000 as PT_BOOLEAN, PT_ERROR and
        // PT_CURRENCY; the bag holds one property per id, so the first is kept (before,
        // the last silently replaced it, while exact duplicates kept the first).
        let mut bytes = vec![0u8; 8];
        bytes.extend_from_slice(&entry_bytes(0x0E07_0003, 1));
        bytes.extend_from_slice(&entry_bytes(0x0E07_000B, 1));
        bytes.extend_from_slice(&entry_bytes(0x0E07_0003, 2));
        bytes.extend_from_slice(&entry_bytes(0x0017_0003, 3));
        let parsed = parse_properties(&bytes, HeaderKind::Child);
        let tags: Vec<u32> = parsed.entries.iter().map(|e| e.tag).collect();
        assert_eq!(tags, vec![0x0E07_0003, 0x0017_0003]);
        assert_eq!(
            parsed.entries[0].body,
            EntryBody::Inline(PropValue::Long(1))
        );
        assert_eq!(parsed.warnings.len(), 2, "{:?}", parsed.warnings);
    }

    #[test]
    fn long_hostile_property_streams_cost_linear_time_and_bounded_warnings() {
        // 2^20 entries (a 16 MB stream): every id under 16 types, so 2^16 properties and
        // 15 * 2^16 ignored entries. The duplicate check used to compare each entry with
        // every kept one (about 5 * 10^11 comparisons, a quarter of an hour in a debug
        // build; a 1 MB stream already took 4 s), and each ignored entry added a warning.
        let types = [
            PT_I2,
            PT_LONG,
            PT_R4,
            PT_DOUBLE,
            PT_CURRENCY,
            PT_APPTIME,
            PT_ERROR,
            PT_BOOLEAN,
            PT_I8,
            PT_SYSTIME,
            PT_STRING8,
            PT_UNICODE,
            PT_BINARY,
            PT_CLSID,
            PT_MV_LONG,
            PT_MV_UNICODE,
        ];
        let mut bytes = Vec::with_capacity(8 + 16 * (types.len() << 16));
        bytes.extend_from_slice(&[0u8; 8]);
        for ty in types {
            for id in 0..=u16::MAX {
                bytes.extend_from_slice(&entry_bytes((u32::from(id) << 16) | ty, 7));
            }
        }
        let started = std::time::Instant::now();
        let parsed = parse_properties(&bytes, HeaderKind::Child);
        let took = started.elapsed();
        assert_eq!(parsed.entries.len(), 1 << 16);
        assert!(parsed.entries.iter().all(|e| prop_type(e.tag) == PT_I2));
        assert_eq!(parsed.warnings.len(), MAX_WARNINGS + 1);
        assert!(
            parsed.warnings[MAX_WARNINGS]
                .contains(&format!("{} more", 15 * (1 << 16) - MAX_WARNINGS))
        );
        // Generous for a debug build on a loaded machine.
        assert!(took < std::time::Duration::from_secs(30), "{took:?}");
    }

    #[test]
    fn names() {
        assert_eq!(value_stream_name(0x0037_001F), "__substg1.0_0037001F");
        assert_eq!(
            mv_value_stream_name(0x8001_101F, 10),
            "__substg1.0_8001101F-0000000A"
        );
        assert_eq!(
            storage_number("__recip_version1.0_#0000000A", RECIP_PREFIX),
            Some(10)
        );
        assert_eq!(
            storage_number("__recip_version1.0_#xyz", RECIP_PREFIX),
            None
        );
        assert_eq!(
            tag_of_value_stream("__substg1.0_0037001f"),
            Some(0x0037_001F)
        );
        // A sign is not a hex digit: `#+0000001` is not recipient 1 (it would be read as
        // one and then saved under `#00000001`).
        assert_eq!(
            storage_number("__recip_version1.0_#+0000001", RECIP_PREFIX),
            None
        );
        assert_eq!(tag_of_value_stream("__substg1.0_+037001F"), None);
    }
}
