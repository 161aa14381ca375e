//! The `__nameid_version1.0` storage: the named-property map of a file
//! (`spec/msg-format.md` §9, [MS-OXMSG] 2.2.3).
//!
//! Three streams hold the map: the GUID stream (16 bytes per property set other than
//! `PS_MAPI` and `PS_PUBLIC_STRINGS`), the entry stream (8 bytes per named property) and the
//! string stream (the string names). Up to 31 hash-bucket streams `__substg1.0_10XX0102` give
//! the name → id direction; readers here use the entry stream and treat buckets as a
//! cross-check only, writers always emit them.
//!
//! Entry layout on disk: dword 0 is the numeric name (LID) or the byte offset of the string
//! name in the string stream; bytes 4–5 are `(GUID index << 1) | kind` (kind 1 = string),
//! bytes 6–7 the property index (id − 0x8000). GUID index 1 is `PS_MAPI`, 2
//! `PS_PUBLIC_STRINGS`, n ≥ 3 GUID-stream slot n − 3.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::MAX_WARNINGS;
use crate::model::names::{
    FIRST_NAMED_ID, LAST_NAMED_ID, Name, NameKind, NamedEntry, PS_MAPI, PS_PUBLIC_STRINGS,
};
use crate::model::prop::Guid;

pub const GUID_STREAM: &str = "__substg1.0_00020102";
pub const ENTRY_STREAM: &str = "__substg1.0_00030102";
pub const STRING_STREAM: &str = "__substg1.0_00040102";

/// Number of hash-bucket streams.
pub const BUCKETS: u32 = 0x1F;
/// Stream id of the first hash bucket.
pub const FIRST_BUCKET: u32 = 0x1000;

/// Decoded string names may take this much more than the string stream itself (several
/// entries may share one string); more is refused, so a small hostile file cannot make us
/// copy one long name thousands of times.
const SHARED_STRING_SLACK: usize = 64 * 1024;

/// The streams of a `__nameid_version1.0` storage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameIdStreams {
    /// `__substg1.0_00020102`.
    pub guids: Vec<u8>,
    /// `__substg1.0_00030102`.
    pub entries: Vec<u8>,
    /// `__substg1.0_00040102`.
    pub strings: Vec<u8>,
    /// The non-empty hash buckets, by stream name, in ascending order.
    pub buckets: Vec<(String, Vec<u8>)>,
}

/// `__substg1.0_<SID>0102`: the name of hash bucket `sid` (0x1000–0x101E).
pub fn bucket_stream_name(sid: u32) -> String {
    format!("__substg1.0_{sid:04X}0102")
}

/// The bucket id of a `__substg1.0_10XX0102` stream name (any case), if it is one.
pub fn bucket_of_stream(name: &str) -> Option<u32> {
    let tag = super::tag_of_value_stream(name)?;
    let sid = tag >> 16;
    ((tag & 0xFFFF) == 0x0102 && (FIRST_BUCKET..FIRST_BUCKET + BUCKETS).contains(&sid))
        .then_some(sid)
}

/// The CRC-32 of [MS-OXRTFCP] that the buckets use (initial value 0, no final XOR, unlike
/// zlib's `crc32`): the compressed-RTF codec's.
pub fn crc32(bytes: &[u8]) -> u32 {
    super::compressed_rtf::crc32(0, bytes)
}

fn utf16le(s: &[u16]) -> Vec<u8> {
    s.iter().flat_map(|u| u.to_le_bytes()).collect()
}

/// The hash key of a name: its LID, or the CRC of its UTF-16LE bytes as stored.
///
/// [MS-OXMSG] says Outlook lower-cases `PS_INTERNET_HEADERS` names before hashing. What
/// real files show is that the name is hashed *as stored*: current Outlook stores those
/// names lower-cased already (126 such records in the corpus), and the one file whose
/// header names are mixed-case (`poi--simple_test_msg.msg`, root CLSID of Outlook) hashes
/// them unchanged. [`crate::model::names::NameMap`] stores new internet-header names
/// lower-cased, so what we create satisfies both readings, and maps read from a file keep
/// their exact buckets.
pub fn hash_key(name: &Name) -> u32 {
    match &name.kind {
        NameKind::Id(lid) => *lid,
        NameKind::String(s) => crc32(&utf16le(s)),
    }
}

/// The bucket (0x1000–0x101E) of a record: `0x1000 + ((key XOR ((guid_index << 1) | kind))
/// mod 31)`; `guid_and_kind` is the entry's bytes 4–5.
pub fn bucket_id(key: u32, guid_and_kind: u16) -> u32 {
    FIRST_BUCKET + (key ^ u32::from(guid_and_kind)) % BUCKETS
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

struct Warnings {
    list: Vec<String>,
    dropped: usize,
}

impl Warnings {
    fn push(&mut self, message: impl FnOnce() -> String) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(message());
        } else {
            self.dropped += 1;
        }
    }

    fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.list.push(format!(
                "... and {} more named-property warnings",
                self.dropped
            ));
        }
        self.list
    }
}

/// Reads a map from its three streams (a missing stream is an empty one). Never fails and
/// never panics: an entry with a bad GUID index, a string offset or length outside the
/// string stream, or an id outside 0x8000–0xFFFE is skipped; of two entries for one id the
/// first is kept; a name mapped to two ids keeps both (a warning says so). Entries come back
/// in stream order.
pub fn parse(guids: &[u8], entries: &[u8], strings: &[u8]) -> (Vec<NamedEntry>, Vec<String>) {
    let mut w = Warnings {
        list: Vec::new(),
        dropped: 0,
    };
    if !guids.len().is_multiple_of(16) {
        w.push(|| {
            format!(
                "GUID stream of {} bytes is not a multiple of 16; the tail is ignored",
                guids.len()
            )
        });
    }
    if !entries.len().is_multiple_of(8) {
        w.push(|| {
            format!(
                "entry stream of {} bytes is not a multiple of 8; the tail is ignored",
                entries.len()
            )
        });
    }
    let set_count = guids.len() / 16;
    let mut out = Vec::new();
    let mut ids = HashMap::<u16, usize>::new();
    let mut names = HashMap::<Name, usize>::new();
    let mut budget = strings.len().saturating_add(SHARED_STRING_SLACK);
    for (k, raw) in entries.chunks_exact(8).enumerate() {
        let value = le32(raw, 0);
        let guid_and_kind = le16(raw, 4);
        let index = le16(raw, 6);
        let guid_index = usize::from(guid_and_kind >> 1);
        let is_string = guid_and_kind & 1 == 1;
        let guid: Guid = match guid_index {
            1 => PS_MAPI,
            2 => PS_PUBLIC_STRINGS,
            n if n >= 3 && n - 3 < set_count => guids[(n - 3) * 16..(n - 2) * 16]
                .try_into()
                .expect("16 bytes"),
            n => {
                w.push(|| format!("entry {k} has GUID index {n} ({set_count} GUIDs); skipped"));
                continue;
            }
        };
        if index > LAST_NAMED_ID - FIRST_NAMED_ID {
            w.push(|| {
                format!(
                    "entry {k} has property index 0x{index:04X} (id 0x{:X}); skipped",
                    0x8000 + u32::from(index)
                )
            });
            continue;
        }
        let id = FIRST_NAMED_ID + index;
        if let Some(&first) = ids.get(&id) {
            w.push(|| format!("entry {k} repeats id 0x{id:04X} of entry {first}; skipped"));
            continue;
        }
        let kind = if is_string {
            let offset = value as usize;
            let Some(len) = offset
                .checked_add(4)
                .filter(|&end| end <= strings.len())
                .map(|_| le32(strings, offset) as usize)
            else {
                w.push(|| {
                    format!(
                        "entry {k}: string offset {offset} outside the string stream ({} bytes); skipped",
                        strings.len()
                    )
                });
                continue;
            };
            let start = offset + 4;
            if len > strings.len() - start {
                w.push(|| {
                    format!(
                        "entry {k}: string of {len} bytes at offset {offset} overruns the string stream ({} bytes); skipped",
                        strings.len()
                    )
                });
                continue;
            }
            if len > budget {
                w.push(|| {
                    format!("entry {k}: string names exceed the string stream's size; skipped")
                });
                continue;
            }
            budget -= len;
            if !offset.is_multiple_of(4) {
                w.push(|| format!("entry {k}: string offset {offset} is not 4-byte aligned"));
            }
            if len % 2 == 1 {
                w.push(|| format!("entry {k}: string name of odd length {len}; last byte ignored"));
            }
            let units = strings[start..start + len]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            NameKind::String(units)
        } else {
            NameKind::Id(value)
        };
        if index as usize != k {
            w.push(|| format!("entry {k} has property index {index} (ids are not dense)"));
        }
        let name = Name { guid, kind };
        if let Some(&first) = names.get(&name) {
            w.push(|| {
                format!(
                    "named property {} mapped twice (entries {first} and {k})",
                    crate::model::names::describe(&name)
                )
            });
        } else {
            names.insert(name.clone(), k);
        }
        ids.insert(id, k);
        out.push(NamedEntry { id, name });
    }
    (out, w.finish())
}

/// GUID indexes of the property sets of a map being written, in order of first use.
#[derive(Default)]
struct Sets {
    order: Vec<Guid>,
    index: HashMap<Guid, u16>,
}

impl Sets {
    fn index_of(&mut self, guid: &Guid) -> u16 {
        if *guid == PS_MAPI {
            return 1;
        }
        if *guid == PS_PUBLIC_STRINGS {
            return 2;
        }
        if let Some(&i) = self.index.get(guid) {
            return i;
        }
        // A map holds at most 32767 entries, so at most 32767 sets: the index fits in the
        // 15 bits it has.
        let i = (self.order.len() + 3) as u16;
        self.order.push(*guid);
        self.index.insert(*guid, i);
        i
    }
}

/// Writes a map as Outlook does: entries in the order given (give them in id order, as
/// [`crate::model::names::NameMap::to_entries`] does), property sets in the GUID stream in
/// order of first use (never `PS_MAPI` or `PS_PUBLIC_STRINGS`), each string name at the
/// next 4-byte boundary (zero padding, none after the last), and one 8-byte record per
/// entry in its hash bucket, in entry order; empty buckets are not written.
pub fn build(entries: &[NamedEntry]) -> NameIdStreams {
    debug_assert!(entries.len() <= crate::model::names::MAX_NAMES);
    let mut sets = Sets::default();
    let mut out = NameIdStreams::default();
    let mut buckets = BTreeMap::<u32, Vec<u8>>::new();
    for e in entries {
        debug_assert!((FIRST_NAMED_ID..=LAST_NAMED_ID).contains(&e.id));
        let index = e.id.wrapping_sub(FIRST_NAMED_ID);
        let gi = sets.index_of(&e.name.guid);
        let (value, kind) = match &e.name.kind {
            NameKind::Id(lid) => (*lid, 0u16),
            NameKind::String(s) => {
                let at = out.strings.len().next_multiple_of(4);
                out.strings.resize(at, 0);
                let bytes = utf16le(s);
                out.strings
                    .extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                out.strings.extend_from_slice(&bytes);
                (at as u32, 1u16)
            }
        };
        let guid_and_kind = (gi << 1) | kind;
        let index_and_kind = u32::from(guid_and_kind) | (u32::from(index) << 16);
        out.entries.extend_from_slice(&value.to_le_bytes());
        out.entries.extend_from_slice(&index_and_kind.to_le_bytes());
        let key = hash_key(&e.name);
        let bucket = buckets.entry(bucket_id(key, guid_and_kind)).or_default();
        bucket.extend_from_slice(&key.to_le_bytes());
        bucket.extend_from_slice(&index_and_kind.to_le_bytes());
    }
    out.guids = sets.order.concat();
    out.buckets = buckets
        .into_iter()
        .map(|(sid, bytes)| (bucket_stream_name(sid), bytes))
        .collect();
    out
}

/// Cross-checks a file's hash buckets against its entry and string streams: `None` when
/// every bucket holds exactly the records the entries call for (in entry order, string names
/// hashed as stored), else a sentence naming the buckets that differ. Entries whose string
/// is out of range are left out of the expectation (the reader skips them too). `buckets`
/// are (stream name, content) pairs; names that are not bucket names are ignored.
pub fn check_buckets(
    entries: &[u8],
    strings: &[u8],
    buckets: &[(String, Vec<u8>)],
) -> Option<String> {
    let mut expected = BTreeMap::<u32, Vec<u8>>::new();
    for raw in entries.chunks_exact(8) {
        let value = le32(raw, 0);
        let guid_and_kind = le16(raw, 4);
        let key = if guid_and_kind & 1 == 1 {
            let offset = value as usize;
            let Some(len) = offset
                .checked_add(4)
                .filter(|&end| end <= strings.len())
                .map(|_| le32(strings, offset) as usize)
                .filter(|&len| len <= strings.len() - offset - 4)
            else {
                continue;
            };
            crc32(&strings[offset + 4..offset + 4 + len])
        } else {
            value
        };
        let bucket = expected.entry(bucket_id(key, guid_and_kind)).or_default();
        bucket.extend_from_slice(&key.to_le_bytes());
        bucket.extend_from_slice(&raw[4..8]);
    }
    let actual: BTreeMap<u32, &[u8]> = buckets
        .iter()
        .filter_map(|(name, bytes)| Some((bucket_of_stream(name)?, bytes.as_slice())))
        .collect();
    let sids: BTreeSet<u32> = expected.keys().chain(actual.keys()).copied().collect();
    let differ: Vec<String> = sids
        .into_iter()
        .filter(|sid| {
            let want = expected.get(sid).map(Vec::as_slice).unwrap_or_default();
            let have = actual.get(sid).copied().unwrap_or_default();
            want != have
        })
        .map(|sid| format!("{sid:04X}"))
        .collect();
    (!differ.is_empty()).then(|| {
        format!(
            "hash bucket streams disagree with the entry stream: {}",
            differ.join(",")
        )
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::model::names::{NameMap, PS_INTERNET_HEADERS, ole_guid};

    const PSETID_COMMON: Guid = ole_guid(0x0006_2008);
    const PSETID_ADDRESS: Guid = ole_guid(0x0006_2004);
    const PSETID_MESSAGING: Guid = [
        0x13, 0x8F, 0xF2, 0x41, 0xF4, 0x83, 0x14, 0x41, 0xA5, 0x84, 0xEE, 0xDB, 0x5A, 0x6B, 0x0B,
        0xFF,
    ];

    fn entry(id: u16, name: Name) -> NamedEntry {
        NamedEntry { id, name }
    }

    #[test]
    fn crc_and_buckets_follow_the_worked_examples() {
        // spec/msg-format.md §9.2: PS_PUBLIC_STRINGS "Keywords" has CRC 0x2EDA4D3B and goes
        // to bucket 0x1015; (0x2EDA4D3B ^ 5) = 0x2EDA4D3E = 31 * 25_335_978 + 20.
        let keywords = Name::string(PS_PUBLIC_STRINGS, "Keywords");
        assert_eq!(hash_key(&keywords), 0x2EDA_4D3B);
        assert_eq!(bucket_id(0x2EDA_4D3B, (2 << 1) | 1), 0x1015);
        // PSETID_Common as the first stored set (index 3), LID 0x8514: 0x8514 ^ 6 = 0x8512
        // = 34066 = 31 * 1098 + 28 → 0x101C.
        assert_eq!(bucket_id(0x8514, 3 << 1), 0x101C);
        assert_eq!(bucket_stream_name(0x101C), "__substg1.0_101C0102");
        assert_eq!(bucket_of_stream("__substg1.0_101c0102"), Some(0x101C));
        assert_eq!(bucket_of_stream("__substg1.0_101F0102"), None);
        assert_eq!(bucket_of_stream("__substg1.0_00020102"), None);
        // Not zlib's CRC: zlib gives 0xCBF43926 for "123456789"; init 0 and no final XOR
        // give 0x2DFD2D88.
        assert_eq!(crc32(b"123456789"), 0x2DFD_2D88);
        assert_eq!(crc32(b""), 0);
        // Names hash as stored, internet headers too (see `hash_key`).
        assert_eq!(
            hash_key(&Name::string(PS_INTERNET_HEADERS, "X-Mailer")),
            crc32(&utf16le(&"X-Mailer".encode_utf16().collect::<Vec<_>>()))
        );

        let streams = build(&[
            entry(0x8000, Name::id(PSETID_COMMON, 0x8514)),
            entry(0x8001, keywords),
        ]);
        assert_eq!(streams.guids, PSETID_COMMON.to_vec());
        assert_eq!(
            streams.entries,
            [
                0x14, 0x85, 0, 0, 0x06, 0x00, 0x00, 0x00, // LID, set 3 numeric, index 0
                0, 0, 0, 0, 0x05, 0x00, 0x01, 0x00, // offset 0, set 2 string, index 1
            ]
        );
        let mut strings = vec![16, 0, 0, 0];
        strings.extend(utf16le(&"Keywords".encode_utf16().collect::<Vec<_>>()));
        assert_eq!(streams.strings, strings);
        assert_eq!(
            streams.buckets,
            vec![
                (
                    "__substg1.0_10150102".to_string(),
                    vec![0x3B, 0x4D, 0xDA, 0x2E, 0x05, 0x00, 0x01, 0x00]
                ),
                (
                    "__substg1.0_101C0102".to_string(),
                    vec![0x14, 0x85, 0, 0, 0x06, 0x00, 0x00, 0x00]
                ),
            ]
        );
    }

    fn several_sets() -> Vec<NamedEntry> {
        let names = [
            Name::id(PSETID_COMMON, 0x8514),
            Name::string(PS_PUBLIC_STRINGS, "Keywords"),
            Name::string(PSETID_MESSAGING, "ClientInfo"),
            Name::id(PSETID_ADDRESS, 0x8005),
            Name::string(PS_INTERNET_HEADERS, "X-Mailer"),
            Name::id(PS_PUBLIC_STRINGS, 7),
            Name::string(PSETID_COMMON, "abc"),
            Name::id(PSETID_MESSAGING, 0xFFFF_FFFF),
            Name::string(PSETID_ADDRESS, ""),
            Name {
                guid: PSETID_COMMON,
                kind: NameKind::String(vec![0xDC00, 0x263A, 0]),
            },
            Name::id(PSETID_COMMON, 0x8510),
        ];
        names
            .into_iter()
            .enumerate()
            .map(|(k, n)| entry(0x8000 + k as u16, n))
            .collect()
    }

    #[test]
    fn build_then_parse_gives_the_map_back() {
        let entries = several_sets();
        let s = build(&entries);
        // Sets in order of first use; PS_PUBLIC_STRINGS and PS_MAPI never stored.
        assert_eq!(
            s.guids,
            [
                PSETID_COMMON,
                PSETID_MESSAGING,
                PSETID_ADDRESS,
                PS_INTERNET_HEADERS
            ]
            .concat()
        );
        assert_eq!(s.entries.len(), 8 * entries.len());
        // Strings at 4-byte boundaries, no padding after the last one.
        assert_eq!(s.strings.len() % 4, 2);
        let (back, warnings) = parse(&s.guids, &s.entries, &s.strings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(back, entries);
        assert_eq!(check_buckets(&s.entries, &s.strings, &s.buckets), None);
        let records: usize = s.buckets.iter().map(|(_, b)| b.len() / 8).sum();
        assert_eq!(records, entries.len());
        // Through the model's map.
        let (map, warnings) = NameMap::from_entries(&back);
        assert!(warnings.is_empty());
        assert_eq!(build(&map.to_entries()), s);
        // An empty map is three empty streams and no bucket.
        assert_eq!(build(&[]), NameIdStreams::default());
        assert_eq!(parse(&[], &[], &[]), (vec![], vec![]));
    }

    #[test]
    fn a_wrong_bucket_is_noticed() {
        let s = build(&several_sets());
        let mut buckets = s.buckets.clone();
        buckets[0].1[0] ^= 1;
        buckets.pop();
        let found = check_buckets(&s.entries, &s.strings, &buckets).unwrap();
        assert!(found.contains(&s.buckets[0].0[12..16]), "{found}");
        assert!(
            found.contains(&s.buckets.last().unwrap().0[12..16]),
            "{found}"
        );
    }

    fn raw_entry(value: u32, guid_and_kind: u16, index: u16) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&value.to_le_bytes());
        b[4..6].copy_from_slice(&guid_and_kind.to_le_bytes());
        b[6..].copy_from_slice(&index.to_le_bytes());
        b
    }

    #[test]
    fn damaged_entries_are_skipped_with_warnings() {
        let guids = [PSETID_COMMON.as_slice(), &[1, 2, 3]].concat();
        let mut strings = vec![4, 0, 0, 0, b'a', 0, b'b', 0];
        strings.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0]);
        strings.extend_from_slice(&[3, 0, 0, 0, b'c', 0, b'd', 0]);
        strings.extend_from_slice(&[0xEE, 2, 0, 0, 0, b'e', 0]);
        let entries: Vec<u8> = [
            raw_entry(1, 3 << 1, 0),                  // kept
            raw_entry(2, 0, 1),                       // GUID index 0
            raw_entry(3, 4 << 1, 2),                  // GUID index beyond the stream
            raw_entry(4, 3 << 1, 0),                  // id 0x8000 again
            raw_entry(5, 3 << 1, 0x7FFF),             // id 0xFFFF
            raw_entry(0, (3 << 1) | 1, 5),            // "ab", kept
            raw_entry(8, (3 << 1) | 1, 6),            // length overruns the stream
            raw_entry(u32::MAX - 1, (3 << 1) | 1, 7), // offset far outside
            raw_entry(25, (3 << 1) | 1, 8),           // unaligned offset inside: "e"
            raw_entry(16, (2 << 1) | 1, 9),           // odd length: "c"
            raw_entry(1, 3 << 1, 10),                 // same name as entry 0: kept, warned
            raw_entry(0x8514, 1 << 1, 11),            // PS_MAPI numeric: structurally fine
            raw_entry(2, 3 << 1, 20),                 // entry 12 with id 0x8014: kept, warned
        ]
        .concat();
        let mut entries = entries;
        entries.extend_from_slice(&[9, 9, 9]);
        let (got, warnings) = parse(&guids, &entries, &strings);
        let ids: Vec<u16> = got.iter().map(|e| e.id).collect();
        assert_eq!(
            ids,
            vec![0x8000, 0x8005, 0x8008, 0x8009, 0x800A, 0x800B, 0x8014]
        );
        assert_eq!(got[1].name, Name::string(PSETID_COMMON, "ab"));
        assert_eq!(got[2].name, Name::string(PSETID_COMMON, "e"));
        assert_eq!(got[3].name, Name::string(PS_PUBLIC_STRINGS, "c"));
        assert_eq!(got[4].name, Name::id(PSETID_COMMON, 1));
        assert_eq!(got[5].name, Name::id(PS_MAPI, 0x8514));
        for needle in [
            "not a multiple of 16",
            "not a multiple of 8",
            "GUID index 0",
            "GUID index 4",
            "repeats id 0x8000",
            "0x7FFF",
            "overruns",
            "outside the string stream",
            "not 4-byte aligned",
            "odd length",
            "mapped twice",
            "not dense",
        ] {
            assert!(
                warnings.iter().any(|w| w.contains(needle)),
                "no warning with {needle:?}: {warnings:#?}"
            );
        }
    }

    /// A small deterministic generator for garbage.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    #[test]
    fn truncated_and_garbage_input_never_panics() {
        let s = build(&several_sets());
        // Every truncation of every stream.
        for cut in 0..=s.entries.len() {
            let (got, _) = parse(&s.guids, &s.entries[..cut], &s.strings);
            assert_eq!(got.len(), cut / 8);
        }
        for cut in 0..=s.guids.len() {
            let (got, _) = parse(&s.guids[..cut], &s.entries, &s.strings);
            assert!(got.len() <= several_sets().len());
        }
        for cut in 0..=s.strings.len() {
            let (got, _) = parse(&s.guids, &s.entries, &s.strings[..cut]);
            assert!(got.len() <= several_sets().len());
            let _ = check_buckets(&s.entries, &s.strings[..cut], &s.buckets);
        }
        // Random streams, and random flips in valid ones.
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for round in 0..2000 {
            let (g, e, st) = if round % 2 == 0 {
                let lens = (rng.next() % 70, rng.next() % 300, rng.next() % 200);
                (
                    rng.bytes(lens.0 as usize),
                    rng.bytes(lens.1 as usize),
                    rng.bytes(lens.2 as usize),
                )
            } else {
                let (mut g, mut e, mut st) =
                    (s.guids.clone(), s.entries.clone(), s.strings.clone());
                for _ in 0..4 {
                    let which = rng.next() % 3;
                    let v = match which {
                        0 => &mut g,
                        1 => &mut e,
                        _ => &mut st,
                    };
                    if !v.is_empty() {
                        let at = (rng.next() as usize) % v.len();
                        v[at] = rng.next() as u8;
                    }
                }
                (g, e, st)
            };
            let (got, warnings) = parse(&g, &e, &st);
            assert!(got.len() <= e.len() / 8);
            assert!(warnings.len() <= MAX_WARNINGS + 1);
            let mut seen = HashSet::new();
            for x in &got {
                assert!(x.id >= FIRST_NAMED_ID && x.id <= LAST_NAMED_ID);
                assert!(seen.insert(x.id));
            }
            // What was read can be written and read back unchanged.
            let (map, _) = NameMap::from_entries(&got);
            let rebuilt = build(&map.to_entries());
            let (again, _) = parse(&rebuilt.guids, &rebuilt.entries, &rebuilt.strings);
            assert_eq!(again, map.to_entries());
            let _ = check_buckets(&e, &st, &rebuilt.buckets);
        }
    }

    #[test]
    fn many_entries_sharing_one_long_string_are_bounded() {
        // 32767 entries all naming the same 1 MiB string: decoding each would copy 32 GiB.
        let len = 1 << 20;
        let mut strings = (len as u32).to_le_bytes().to_vec();
        strings.resize(4 + len, b'x');
        let entries: Vec<u8> = (0..0x7FFFu16)
            .flat_map(|k| raw_entry(0, (2 << 1) | 1, k))
            .collect();
        let (got, warnings) = parse(&[], &entries, &strings);
        assert_eq!(got.len(), 1);
        assert!(
            warnings.iter().any(|w| w.contains("exceed")),
            "{warnings:?}"
        );
        assert_eq!(warnings.len(), MAX_WARNINGS + 1);
    }

    // ===== the public corpus =====

    fn corpus_dir() -> std::path::PathBuf {
        match std::env::var_os("IMESSAGE_CORPUS") {
            Some(dir) => dir.into(),
            None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        }
    }

    fn guid_text(g: &Guid) -> String {
        let d = crate::model::names::describe(&Name::id(*g, 0));
        d.split(':').next().unwrap().to_string()
    }

    /// The `__nameid_version1.0` streams of a file: guids, entries, strings, buckets.
    type Raw = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<(String, Vec<u8>)>);

    fn read_nameid(path: &std::path::Path) -> Result<Option<Raw>, String> {
        match read_nameid_cfb(path) {
            Ok(raw) => Ok(raw),
            // Files `cfb` refuses go through our own storage layer, which mends what it can.
            Err(e) => read_nameid_ours(path).map_err(|ours| format!("{e}; ours: {ours}")),
        }
    }

    fn sorted_buckets(mut buckets: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
        for (name, _) in &mut buckets {
            let sid = bucket_of_stream(name).expect("a bucket name");
            *name = bucket_stream_name(sid);
        }
        buckets.sort();
        buckets
    }

    fn read_nameid_cfb(path: &std::path::Path) -> Result<Option<Raw>, String> {
        use std::io::Read;
        let mut cf = cfb::open(path).map_err(|e| format!("cfb: {e}"))?;
        let root = std::path::Path::new("/").join(super::super::NAMEID_STORAGE);
        if !cf.is_storage(&root) {
            return Ok(None);
        }
        let names: Vec<String> = cf
            .read_storage(&root)
            .map_err(|e| format!("cfb: {e}"))?
            .filter(|e| e.is_stream())
            .map(|e| e.name().to_string())
            .collect();
        let mut read = |name: &str| -> Result<Vec<u8>, String> {
            let mut out = Vec::new();
            let mut s = cf
                .open_stream(root.join(name))
                .map_err(|e| format!("cfb: {e}"))?;
            s.read_to_end(&mut out).map_err(|e| format!("cfb: {e}"))?;
            Ok(out)
        };
        let mut get = |wanted: &str| -> Result<Vec<u8>, String> {
            match names.iter().find(|n| n.eq_ignore_ascii_case(wanted)) {
                Some(n) => read(n),
                None => Ok(Vec::new()),
            }
        };
        let guids = get(GUID_STREAM)?;
        let entries = get(ENTRY_STREAM)?;
        let strings = get(STRING_STREAM)?;
        let mut buckets = Vec::new();
        for n in names.iter().filter(|n| bucket_of_stream(n).is_some()) {
            buckets.push((n.clone(), get(n)?));
        }
        Ok(Some((guids, entries, strings, sorted_buckets(buckets))))
    }

    fn read_nameid_ours(path: &std::path::Path) -> Result<Option<Raw>, String> {
        use crate::consts::{STGM_READ, STGM_SHARE_DENY_WRITE, STGM_SHARE_EXCLUSIVE};
        use crate::storage::{ElementKind, Storage};
        let text = |e: crate::error::Error| e.message;
        let file = crate::storage::docfile::open_file(path, STGM_READ | STGM_SHARE_DENY_WRITE)
            .map_err(text)?;
        let root = file.as_ref() as &dyn Storage;
        let has_map = root.elements().map_err(text)?.iter().any(|e| {
            e.kind == ElementKind::Storage
                && e.name.eq_ignore_ascii_case(super::super::NAMEID_STORAGE)
        });
        if !has_map {
            return Ok(None);
        }
        let map = root
            .open_storage(
                super::super::NAMEID_STORAGE,
                STGM_READ | STGM_SHARE_EXCLUSIVE,
            )
            .map_err(text)?;
        let names: Vec<String> = map
            .elements()
            .map_err(text)?
            .into_iter()
            .filter(|e| e.kind == ElementKind::Stream)
            .map(|e| e.name)
            .collect();
        let get = |wanted: &str| -> Result<Vec<u8>, String> {
            match names.iter().find(|n| n.eq_ignore_ascii_case(wanted)) {
                Some(n) => map.read_stream(n, 1 << 26).map_err(text),
                None => Ok(Vec::new()),
            }
        };
        let mut buckets = Vec::new();
        for n in names.iter().filter(|n| bucket_of_stream(n).is_some()) {
            buckets.push((n.clone(), get(n)?));
        }
        Ok(Some((
            get(GUID_STREAM)?,
            get(ENTRY_STREAM)?,
            get(STRING_STREAM)?,
            sorted_buckets(buckets),
        )))
    }

    /// The entries of an expected dump a tolerant reader keeps, as (id, guid, name text).
    fn expected_kept(np: &serde_json::Value) -> Vec<(u16, String, String)> {
        let mut out = Vec::new();
        let mut ids = HashSet::new();
        for e in np["entries"].as_array().into_iter().flatten() {
            let guid = e["guid"].as_str().unwrap_or_default();
            let id =
                u32::from_str_radix(e["prop_id"].as_str().unwrap().trim_start_matches("0x"), 16)
                    .unwrap();
            let name = match e["kind"].as_str() {
                Some("id") => e["id"]
                    .as_str()
                    .map(|s| format!("id:{}", s.to_ascii_uppercase().replace("0X", "0x"))),
                _ => e["name"].as_str().map(|s| format!("name:{s}")),
            };
            if guid.starts_with("guid-index") || id > 0xFFFE {
                continue;
            }
            let Some(name) = name else { continue };
            if !ids.insert(id) {
                continue;
            }
            out.push((id as u16, guid.to_string(), name));
        }
        out
    }

    fn ours(entries: &[NamedEntry]) -> Vec<(u16, String, String)> {
        entries
            .iter()
            .map(|e| {
                let name = match &e.name.kind {
                    NameKind::Id(lid) => format!("id:0x{lid:08X}"),
                    NameKind::String(s) => format!("name:{}", String::from_utf16_lossy(s)),
                };
                (e.id, guid_text(&e.name.guid), name)
            })
            .collect()
    }

    #[test]
    fn corpus_maps_match_the_expected_dumps_and_buckets_rebuild_exactly() {
        let dir = corpus_dir();
        let Ok(listing) = std::fs::read_dir(dir.join("msg")) else {
            eprintln!("corpus tier skipped: {} not found", dir.display());
            return;
        };
        let mut files: Vec<_> = listing.flatten().map(|e| e.path()).collect();
        files.sort();
        let (mut matched, mut with_map, mut entries_total) = (0, 0, 0);
        let (mut buckets_exact, mut bucket_files, mut bucket_streams) = (0, 0, 0);
        let (mut streams_exact, mut checked_ok) = (0, 0);
        let mut unreadable = Vec::new();
        let mut damaged_maps = 0;
        let mut failures = Vec::new();
        for path in &files {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let json = dir.join("expected").join(format!("{stem}.json"));
            let dump: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
            let np = &dump["named_properties"];
            let raw = match read_nameid(path) {
                Ok(raw) => raw,
                Err(e) => {
                    unreadable.push(format!("{stem}: {e}"));
                    continue;
                }
            };
            let (guids, entries, strings, buckets) = raw.unwrap_or_default();
            let (got, warnings) = parse(&guids, &entries, &strings);
            let want = expected_kept(np);
            if ours(&got) == want {
                matched += 1;
            } else {
                failures.push(format!(
                    "{stem}: map differs\n ours {:?}\n want {:?}",
                    ours(&got),
                    want
                ));
            }
            if !got.is_empty() {
                with_map += 1;
            }
            entries_total += got.len();
            // The GUID list of the dump is the GUID stream.
            let dump_guids: Vec<String> = np["guids"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|g| g.as_str().unwrap().to_string())
                .collect();
            let our_guids: Vec<String> = guids
                .chunks_exact(16)
                .map(|c| guid_text(&c.try_into().unwrap()))
                .collect();
            if our_guids != dump_guids {
                failures.push(format!("{stem}: GUID list {our_guids:?} != {dump_guids:?}"));
            }
            let dump_buckets = np["hash_bucket_streams"].as_u64().unwrap_or(0) as usize;
            if buckets.len() != dump_buckets {
                failures.push(format!(
                    "{stem}: {} bucket streams, dump says {dump_buckets}",
                    buckets.len()
                ));
            }
            let dump_warns_buckets = dump["warnings"].as_array().into_iter().flatten().any(|w| {
                w.as_str()
                    .unwrap_or_default()
                    .contains("hash bucket streams disagree")
            });
            let check = check_buckets(&entries, &strings, &buckets);
            if !buckets.is_empty() && check.is_some() != dump_warns_buckets {
                failures.push(format!("{stem}: bucket check {check:?}, dump disagrees"));
            } else if !buckets.is_empty() && check.is_none() {
                checked_ok += 1;
            }
            // A well-formed map (no warnings) rebuilds byte for byte.
            if !warnings.is_empty() {
                damaged_maps += 1;
                eprintln!(
                    "{stem}: {} map warnings, {} entries kept",
                    warnings.len(),
                    got.len()
                );
            }
            if warnings.is_empty() && !got.is_empty() {
                let (map, w) = NameMap::from_entries(&got);
                assert!(w.is_empty(), "{stem}: {w:?}");
                let rebuilt = build(&map.to_entries());
                if !buckets.is_empty() {
                    bucket_files += 1;
                    bucket_streams += buckets.len();
                    if rebuilt.buckets == buckets {
                        buckets_exact += 1;
                    } else {
                        failures.push(format!("{stem}: rebuilt buckets differ"));
                    }
                }
                if rebuilt.guids == guids
                    && rebuilt.entries == entries
                    && rebuilt.strings == strings
                {
                    streams_exact += 1;
                } else {
                    eprintln!("{stem}: GUID/entry/string streams not rebuilt byte for byte");
                }
            }
        }
        eprintln!(
            "nameid corpus: {} files, {matched} maps match the dumps ({with_map} non-empty, \
             {entries_total} entries), {damaged_maps} damaged maps, {} unreadable; buckets rebuilt byte for byte in \
             {buckets_exact} of {bucket_files} files ({bucket_streams} streams); \
             GUID/entry/string streams rebuilt exactly in {streams_exact}; bucket cross-check \
             clean in {checked_ok}",
            files.len(),
            unreadable.len()
        );
        for u in &unreadable {
            eprintln!("  unreadable: {u}");
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
