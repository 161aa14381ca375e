//! The values `RTFSync` keeps beside a body so that Outlook can tell whether the RTF and the
//! plain text still say the same thing: `PR_RTF_SYNC_BODY_CRC`, `_COUNT`, `_TAG`,
//! `PR_RTF_SYNC_PREFIX_COUNT` and `_TRAILING_COUNT`, computed from the plain text.
//!
//! Microsoft documents only that "some whitespace and ignorable characters" are left out.
//! The rule here is derived from the sample TNEF files that PyPI tnefparse ships, which carry
//! the values Outlook computed together with their RTF bodies (see `tests/rtf_sync.rs`):
//! - significant characters are the text's characters less whitespace and less the
//!   ignorable ones in [`is_ignorable`];
//! - COUNT is how many there are; TAG is the first 100 of them, ASCII letters upper-cased;
//! - CRC is [MS-OXRTFCP]'s CRC over the significant characters upper-cased the same way,
//!   as bytes of the body's code page;
//! - PREFIX_COUNT / TRAILING_COUNT count the ignorable (not whitespace) characters before
//!   the first and after the last significant one.
#![forbid(unsafe_code)]

use encoding_rs::Encoding;

use super::compressed_rtf::crc32;

/// `PR_RTF_SYNC_BODY_TAG` holds at most this many characters.
pub const TAG_MAX: usize = 100;

/// The sync values of one plain-text body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncValues {
    pub crc: u32,
    pub count: u32,
    pub tag: String,
    pub prefix_count: u32,
    pub trailing_count: u32,
}

/// Characters Outlook leaves out of the significant text besides whitespace (and NUL), each
/// seen left out of a sample's tag or count: `.` `'` `[` `]` `\` `_` `~` `>`. Seen kept:
/// letters, digits, `; , : @ + - * / ( ) ? <`. Others are kept by assumption (UNCONFIRMED).
pub fn is_ignorable(c: char) -> bool {
    matches!(c, '.' | '\'' | '[' | ']' | '\\' | '_' | '~' | '>')
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\0'
}

/// The sync values of `body`, its significant characters counted and hashed as bytes of
/// `codepage` (what a non-Unicode body would hold).
pub fn sync_values(body: &str, codepage: u32) -> SyncValues {
    let enc: &'static Encoding = u16::try_from(codepage)
        .ok()
        .and_then(codepage::to_encoding)
        .filter(|e| {
            *e != encoding_rs::REPLACEMENT
                && *e != encoding_rs::UTF_16LE
                && *e != encoding_rs::UTF_16BE
        })
        .unwrap_or(encoding_rs::WINDOWS_1252);
    let mut crc = 0u32;
    let mut count = 0u32;
    let mut tag = String::new();
    let mut prefix_count = 0u32;
    // Ignorable characters since the last significant one.
    let mut pending = 0u32;
    let mut buf = [0u8; 4];
    for c in body.chars() {
        if is_space(c) {
            continue;
        }
        if is_ignorable(c) {
            if count == 0 {
                prefix_count += 1;
            } else {
                pending += 1;
            }
            continue;
        }
        pending = 0;
        let c = c.to_ascii_uppercase();
        count += 1;
        if tag.chars().count() < TAG_MAX {
            tag.push(c);
        }
        let (bytes, _, _) = enc.encode(c.encode_utf8(&mut buf));
        crc = crc32(crc, &bytes);
    }
    SyncValues {
        crc,
        count,
        tag,
        prefix_count,
        trailing_count: pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_from_the_fact_sheet() {
        // Values Outlook stored (tnefparse samples; spec/bodies-and-tnef.md §4).
        let v = sync_values("asdf", 1252);
        assert_eq!((v.crc, v.count, v.tag.as_str()), (1_190_707_477, 4, "ASDF"));
        let v = sync_values("Sample description\r\n", 1252);
        assert_eq!(
            (v.crc as i32, v.count, v.tag.as_str()),
            (-1_930_262_248, 17, "SAMPLEDESCRIPTION")
        );
        assert_eq!(sync_values("ABCD", 1252).crc, 0xFA53_FFB9);
        let v = sync_values("  at 208225.\r\n", 1252);
        assert_eq!((v.prefix_count, v.trailing_count, v.count), (0, 1, 8));
        assert_eq!(
            sync_values("", 1252),
            SyncValues {
                crc: 0,
                count: 0,
                tag: String::new(),
                prefix_count: 0,
                trailing_count: 0
            }
        );
    }
}
