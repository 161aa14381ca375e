//! Element names: validation and the case-insensitive key under which they are looked up.
#![forbid(unsafe_code)]

use crate::error::{Error, ErrorKind, Result};

/// The longest element name, in UTF-16 units (`CWCSTORAGENAME` minus the terminator).
pub const MAX_NAME_UNITS: usize = 31;

/// Checks a name a caller wants to create or look up.
pub fn validate(name: &str) -> Result<()> {
    let units = name.encode_utf16().count();
    let bad = name.is_empty()
        || units > MAX_NAME_UNITS
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', ':', '!']);
    if bad {
        return Err(Error::new(
            ErrorKind::StgInvalidName,
            format!("invalid element name {name:?}: 1 to 31 characters, none of / \\ : !"),
        ));
    }
    Ok(())
}

/// A name as a lookup key: names compare case-insensitively, as in the compound-file
/// directory (each character upper-cased on its own). The key keeps the name as given, so
/// making one costs a copy and no case mapping.
#[derive(Clone, Debug)]
pub struct Key(Box<str>);

/// Upper case of one character where it is one character (the simple mapping).
fn upper(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

impl Key {
    pub fn new(name: &str) -> Key {
        Key(name.into())
    }

    /// The name as it was given.
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        // Names in one storage share long prefixes (`__substg1.0_`, `__recip_version1.0_#`),
        // and lookups compare many of them: skip the bytes both have alike first. Up to the
        // first difference both hold the same characters, so the rest compares the same.
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let from = (0..=same)
            .rev()
            .find(|&i| self.0.is_char_boundary(i))
            .unwrap_or(0);
        let (a, b) = (&a[from..], &b[from..]);
        if a.is_ascii() && b.is_ascii() {
            for (x, y) in a.iter().zip(b) {
                let (x, y) = (x.to_ascii_uppercase(), y.to_ascii_uppercase());
                if x != y {
                    return x.cmp(&y);
                }
            }
            return a.len().cmp(&b.len());
        }
        let (a, b) = (&self.0[from..], &other.0[from..]);
        a.chars().map(upper).cmp(b.chars().map(upper))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for c in self.0.chars() {
            state.write_u32(upper(c) as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_names_are_checked() {
        assert_eq!(
            Key::new("__substg1.0_0037001f"),
            Key::new("__SUBSTG1.0_0037001F")
        );
        // One character at a time: ß has no one-character upper case.
        assert_eq!(Key::new("straße"), Key::new("STRAßE"));
        assert_ne!(Key::new("straße"), Key::new("STRASSE"));
        assert_eq!(Key::new("éa"), Key::new("ÉA"));
        assert!(Key::new("a") < Key::new("B") && Key::new("B") < Key::new("c"));
        assert_eq!(Key::new("MiXed").name(), "MiXed");
        assert!(validate("__properties_version1.0").is_ok());
        assert!(validate("\u{1}Ole").is_ok());
        assert!(validate("").is_err());
        assert!(validate("a/b").is_err());
        assert!(validate(&"x".repeat(32)).is_err());
        assert!(validate(&"x".repeat(31)).is_ok());
    }

    /// The order skips the bytes two names share and agrees with comparing every
    /// character's upper case, also where the names differ inside a multi-byte character.
    #[test]
    fn the_order_is_that_of_the_upper_cased_names() {
        let names = [
            "",
            "a",
            "A",
            "ab",
            "aB",
            "b",
            "__substg1.0_0037001F",
            "__substg1.0_0037001f",
            "__substg1.0_0E1D001F",
            "__recip_version1.0_#00000000",
            "__recip_version1.0_#0000000A",
            "aé",
            "aÉ",
            "aè",
            "ae",
            "af",
            "straße",
            "STRASSE",
            "日本",
            "日付",
            "ǅ",
            "ǆ",
            "a\u{10000}",
            "a\u{10001}",
        ];
        for x in names {
            for y in names {
                let reference = x.chars().map(upper).cmp(y.chars().map(upper));
                assert_eq!(Key::new(x).cmp(&Key::new(y)), reference, "{x:?} {y:?}");
            }
        }
    }
}
