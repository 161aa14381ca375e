//! Property names (`MAPINAMEID` as owned data) and the property sets every layer knows:
//! what the codec reads from `__nameid_version1.0` and the model's name map hands out.
#![forbid(unsafe_code)]

use super::prop_value::Guid;

/// The first id of a named property.
pub const FIRST_NAMED_ID: u16 = 0x8000;
/// The last id a named property may have (0xFFFF is not a valid id).
pub const LAST_NAMED_ID: u16 = 0xFFFE;
/// How many named properties one file can hold.
pub const MAX_NAMES: usize = (LAST_NAMED_ID - FIRST_NAMED_ID) as usize + 1;

/// `{XXXXXXXX-0000-0000-C000-000000000046}` as its 16 memory-order bytes.
pub const fn ole_guid(data1: u32) -> Guid {
    let d = data1.to_le_bytes();
    [
        d[0], d[1], d[2], d[3], 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ]
}

/// `PS_MAPI`: names of the properties below 0x8000; never stored in a map.
pub const PS_MAPI: Guid = ole_guid(0x0002_0328);
/// `PS_PUBLIC_STRINGS`: GUID index 2 of a `.msg` map, never in its GUID stream.
pub const PS_PUBLIC_STRINGS: Guid = ole_guid(0x0002_0329);
/// `PS_INTERNET_HEADERS`: string names matched and hashed case-insensitively.
pub const PS_INTERNET_HEADERS: Guid = ole_guid(0x0002_0386);

/// What names a property inside its property set.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameKind {
    /// `MNID_ID`: a numeric name (`lID`, kept as its 32 bits).
    Id(u32),
    /// `MNID_STRING`: a string name as UTF-16 code units, without terminator (unpaired
    /// surrogates are kept as they are).
    String(Vec<u16>),
}

/// A property name: `MAPINAMEID` as owned data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    /// The property set, as its 16 memory-order bytes.
    pub guid: Guid,
    pub kind: NameKind,
}

impl Name {
    pub fn id(guid: Guid, lid: u32) -> Name {
        Name {
            guid,
            kind: NameKind::Id(lid),
        }
    }

    pub fn string(guid: Guid, name: &str) -> Name {
        Name {
            guid,
            kind: NameKind::String(name.encode_utf16().collect()),
        }
    }

    /// The form two names are compared in: `PS_INTERNET_HEADERS` string names lower-cased.
    pub(crate) fn key(&self) -> Name {
        match &self.kind {
            NameKind::String(s) if self.guid == PS_INTERNET_HEADERS => Name {
                guid: self.guid,
                kind: NameKind::String(fold_case(s)),
            },
            _ => self.clone(),
        }
    }

    /// The property id a `PS_MAPI` name stands for, when it is one (ids 0x0001–0x7FFF).
    pub(crate) fn mapi_id(&self) -> Option<u16> {
        match self.kind {
            NameKind::Id(lid) if (1..u32::from(FIRST_NAMED_ID)).contains(&lid) => Some(lid as u16),
            _ => None,
        }
    }
}

/// Lower-cases UTF-16 code units one by one (a unit whose lower-case form is not a single
/// BMP character is kept), so the length never changes; what `PS_INTERNET_HEADERS` names
/// are compared and hashed in.
pub fn fold_case(s: &[u16]) -> Vec<u16> {
    s.iter()
        .map(|&u| {
            let Some(c) = char::from_u32(u32::from(u)) else {
                return u; // a surrogate
            };
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if (l as u32) <= 0xFFFF => l as u16,
                _ => u,
            }
        })
        .collect()
}

/// One entry of a map as the file stores it: a named property's id and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedEntry {
    /// 0x8000–0xFFFE.
    pub id: u16,
    pub name: Name,
}

/// A name in words, for warnings: `{guid}:id:0x...` or `{guid}:name:...`.
pub fn describe(name: &Name) -> String {
    let g = &name.guid;
    let guid = format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        g[8],
        g[9],
        g[10],
        g[11],
        g[12],
        g[13],
        g[14],
        g[15]
    );
    match &name.kind {
        NameKind::Id(lid) => format!("{guid}:id:0x{lid:08X}"),
        NameKind::String(s) => format!("{guid}:name:{}", String::from_utf16_lossy(s)),
    }
}
