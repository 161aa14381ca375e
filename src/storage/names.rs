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

/// The lookup key: names compare case-insensitively, as in the compound-file directory.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(String);

impl Key {
    pub fn new(name: &str) -> Key {
        Key(name
            .chars()
            .map(|c| {
                let mut upper = c.to_uppercase();
                match (upper.next(), upper.next()) {
                    (Some(u), None) => u,
                    _ => c,
                }
            })
            .collect())
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
        assert!(validate("__properties_version1.0").is_ok());
        assert!(validate("\u{1}Ole").is_ok());
        assert!(validate("").is_err());
        assert!(validate("a/b").is_err());
        assert!(validate(&"x".repeat(32)).is_err());
        assert!(validate(&"x".repeat(31)).is_ok());
    }
}
