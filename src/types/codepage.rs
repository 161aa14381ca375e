//! 8-bit strings in Windows code pages, converted to and from UTF-16 (DESIGN decision 10).
//!
//! `encoding_rs` (with `codepage` for the number-to-encoding table) does the work; the few
//! pages where WHATWG's mapping is not Windows' are handled here (`dependencies.md` §3).
#![forbid(unsafe_code)]

use encoding_rs::{DecoderResult, EncoderResult, Encoding};

use crate::error::{Error, ErrorKind, Result};

/// The code page used when a message names none.
pub const DEFAULT_CODEPAGE: u32 = 1252;

enum Page {
    Encoding(&'static Encoding),
    /// ISO-8859-1: byte value = code point (WHATWG maps it to windows-1252 instead).
    Latin1,
    /// US-ASCII as Windows converts it: the high bit is dropped.
    Ascii,
}

fn page(cp: u32) -> Result<Page> {
    match cp {
        28591 => return Ok(Page::Latin1),
        20127 => return Ok(Page::Ascii),
        51932 => return Ok(Page::Encoding(encoding_rs::EUC_JP)),
        // UTF-16 pages cannot describe 8-bit strings.
        1200 | 1201 => {}
        _ => {
            if let Some(enc) = codepage::to_encoding(cp as u16).filter(|_| cp <= 0xFFFF)
                && enc != encoding_rs::REPLACEMENT
                && enc.output_encoding() == enc
            {
                return Ok(Page::Encoding(enc));
            }
        }
    }
    Err(Error::new(
        ErrorKind::UnknownCodePage,
        format!("code page {cp} cannot be used for 8-bit strings"),
    ))
}

/// Whether `cp` is a code page this module converts.
pub fn is_supported(cp: u32) -> bool {
    page(cp).is_ok()
}

/// Decodes 8-bit text to UTF-16. Invalid sequences become U+FFFD.
pub fn decode(cp: u32, bytes: &[u8]) -> Result<Vec<u16>> {
    Ok(match page(cp)? {
        Page::Latin1 => bytes.iter().map(|&b| u16::from(b)).collect(),
        Page::Ascii => bytes.iter().map(|&b| u16::from(b & 0x7F)).collect(),
        Page::Encoding(enc) => {
            let mut decoder = enc.new_decoder_without_bom_handling();
            let cap = decoder
                .max_utf16_buffer_length(bytes.len())
                .unwrap_or(bytes.len() * 2 + 16);
            let mut out = vec![0u16; cap];
            let mut read = 0;
            let mut written = 0;
            loop {
                let (result, r, w) = decoder.decode_to_utf16_without_replacement(
                    &bytes[read..],
                    &mut out[written..],
                    true,
                );
                read += r;
                written += w;
                match result {
                    DecoderResult::InputEmpty => break,
                    DecoderResult::OutputFull => out.resize(out.len() * 2 + 16, 0),
                    DecoderResult::Malformed(_, _) => {
                        if written == out.len() {
                            out.push(0);
                        }
                        out[written] = 0xFFFD;
                        written += 1;
                    }
                }
            }
            out.truncate(written);
            out
        }
    })
}

/// Encodes UTF-16 text in code page `cp`; characters the page cannot hold become `?`, as
/// Windows' `WideCharToMultiByte` does by default.
pub fn encode(cp: u32, units: &[u16]) -> Result<Vec<u8>> {
    Ok(match page(cp)? {
        Page::Latin1 => units
            .iter()
            .map(|&u| if u < 0x100 { u as u8 } else { b'?' })
            .collect(),
        Page::Ascii => units
            .iter()
            .map(|&u| if u < 0x80 { u as u8 } else { b'?' })
            .collect(),
        Page::Encoding(enc) => {
            let mut encoder = enc.new_encoder();
            let mut out = vec![0u8; units.len() * 4 + 16];
            let mut read = 0;
            let mut written = 0;
            loop {
                let (result, r, w) = encoder.encode_from_utf16_without_replacement(
                    &units[read..],
                    &mut out[written..],
                    true,
                );
                read += r;
                written += w;
                match result {
                    EncoderResult::InputEmpty => break,
                    EncoderResult::OutputFull => out.resize(out.len() * 2 + 16, 0),
                    EncoderResult::Unmappable(_) => {
                        if written == out.len() {
                            out.push(0);
                        }
                        out[written] = b'?';
                        written += 1;
                    }
                }
            }
            out.truncate(written);
            out
        }
    })
}

/// Whether `cp` is one of the code pages Windows uses as a system ANSI page (single-byte
/// 874 and 1250-1258, double-byte 932, 936, 949, 950): the only kind a declared Internet
/// code page may be taken from for 8-bit string properties (`spec/msg-format.md` §6).
/// UTF-8, UTF-7, ISO-2022, EUC, ISO-8859 and US-ASCII describe the Internet content
/// instead, and real files declare them over Windows-page bytes.
pub fn is_ansi_page(cp: u32) -> bool {
    matches!(cp, 874 | 932 | 936 | 949 | 950 | 1250..=1258)
}

/// The ANSI code page Windows uses for a locale (LCID), for messages that name no page.
pub fn codepage_of_locale(lcid: u32) -> Option<u32> {
    // Bits 16-19 are the sort order, which does not change the page.
    let langid = lcid & 0xFFFF;
    let primary = langid & 0x3FF;
    Some(match langid {
        0x0404 | 0x0C04 | 0x1404 => 950,
        0x0804 | 0x1004 => 936,
        // Cyrillic variants of languages that are otherwise written in Latin script:
        // Serbian, Bosnian, Azerbaijani, Uzbek.
        0x0C1A | 0x1C1A | 0x281A | 0x301A | 0x201A | 0x082C | 0x0843 => 1251,
        _ => match primary {
            0x11 => 932,
            0x12 => 949,
            0x1E => 874,
            0x2A => 1258,
            0x05 | 0x0E | 0x15 | 0x18 | 0x1A | 0x1B | 0x24 | 0x1C => 1250,
            0x02 | 0x19 | 0x22 | 0x23 | 0x2F | 0x3F | 0x40 | 0x44 | 0x50 => 1251,
            0x08 => 1253,
            0x1F | 0x2C | 0x43 => 1254,
            0x0D => 1255,
            0x01 | 0x20 | 0x29 | 0x8C => 1256,
            0x25..=0x27 => 1257,
            0x00 => return None,
            _ => 1252,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn windows_pages_round_trip() {
        assert_eq!(decode(1252, &[0x80, b'a']).unwrap(), w("\u{20AC}a"));
        assert_eq!(encode(1252, &w("\u{20AC}a")).unwrap(), vec![0x80, b'a']);
        assert_eq!(decode(932, &[0x82, 0xA0]).unwrap(), w("\u{3042}"));
        assert_eq!(encode(932, &w("\u{3042}")).unwrap(), vec![0x82, 0xA0]);
        assert_eq!(decode(28591, &[0x80]).unwrap(), vec![0x80]);
        assert_eq!(decode(1251, &[0xC0]).unwrap(), w("\u{0410}"));
        // A BOM is text, not a switch to UTF-8.
        assert_eq!(
            decode(1252, &[0xEF, 0xBB, 0xBF]).unwrap(),
            w("\u{EF}\u{BB}\u{BF}")
        );
    }

    #[test]
    fn unmappable_becomes_question_mark_and_unknown_pages_fail() {
        assert_eq!(encode(1252, &w("a\u{3042}b")).unwrap(), b"a?b");
        assert_eq!(decode(65001, &[0xFF]).unwrap(), vec![0xFFFD]);
        assert!(decode(1200, b"x").is_err());
        assert!(decode(12345, b"x").is_err());
        assert_eq!(codepage_of_locale(1041), Some(932));
        assert_eq!(codepage_of_locale(1033), Some(1252));
    }

    #[test]
    fn locales_with_sort_orders_and_cyrillic_variants() {
        // zh-TW with stroke sort order: still Big5, not the Latin default.
        assert_eq!(codepage_of_locale(0x0002_0404), Some(950));
        assert_eq!(codepage_of_locale(0x0001_0411), Some(932));
        // Serbian and Bosnian in Cyrillic script use 1251, their Latin forms 1250.
        assert_eq!(codepage_of_locale(0x0C1A), Some(1251));
        assert_eq!(codepage_of_locale(0x201A), Some(1251));
        assert_eq!(codepage_of_locale(0x081A), Some(1250));
        assert_eq!(codepage_of_locale(0x041A), Some(1250));
        assert_eq!(codepage_of_locale(0x082C), Some(1251));
        assert_eq!(codepage_of_locale(0x042C), Some(1254));
        assert_eq!(codepage_of_locale(0x0843), Some(1251));
    }

    #[test]
    fn only_windows_ansi_pages_count_as_ansi() {
        for cp in [874, 932, 936, 949, 950, 1250, 1252, 1258] {
            assert!(is_ansi_page(cp) && is_supported(cp), "{cp}");
        }
        // Supported for conversion, but not what Windows stores 8-bit properties in.
        for cp in [65001, 50220, 51932, 28591, 20127, 1200] {
            assert!(!is_ansi_page(cp), "{cp}");
        }
    }
}
