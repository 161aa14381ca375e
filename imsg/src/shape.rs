//! The vocabulary of the dump shape (`../shared/corpus/README.md`): type names, the
//! property names it gives, GUID, time and hex text, and the 8-bit code page rule.

/// `PtypString`, `PtypMultipleInteger32`, ... ([MS-OXCDATA] 2.11.1); unknown types as
/// `0xXXXX` (multi-valued ones as `PtypMultipleXX`).
pub fn type_name(ty: u32) -> String {
    if ty & 0x1000 != 0 {
        return match base_name(ty & !0x1000) {
            Some(n) if ty & 0x2000 == 0 => format!("PtypMultiple{}", &n[4..]),
            _ => format!("PtypMultiple{:02X}", ty & 0xFF),
        };
    }
    match base_name(ty) {
        Some(n) => n.to_string(),
        None => format!("0x{ty:04X}"),
    }
}

fn base_name(ty: u32) -> Option<&'static str> {
    Some(match ty {
        0x0000 => "PtypUnspecified",
        0x0001 => "PtypNull",
        0x0002 => "PtypInteger16",
        0x0003 => "PtypInteger32",
        0x0004 => "PtypFloating32",
        0x0005 => "PtypFloating64",
        0x0006 => "PtypCurrency",
        0x0007 => "PtypFloatingTime",
        0x000A => "PtypErrorCode",
        0x000B => "PtypBoolean",
        0x000D => "PtypObject",
        0x0014 => "PtypInteger64",
        0x001E => "PtypString8",
        0x001F => "PtypString",
        0x0040 => "PtypTime",
        0x0048 => "PtypGuid",
        0x00FB => "PtypServerId",
        0x00FD => "PtypRestriction",
        0x00FE => "PtypRuleAction",
        0x0102 => "PtypBinary",
        _ => return None,
    })
}

/// The [MS-OXPROPS] canonical name the dump gives a property id (below 0x8000). The
/// dump shape names this fixed set of common properties only, so the table is exactly
/// that set: naming more would make equal content print differently.
pub fn prop_name(id: u32) -> Option<&'static str> {
    Some(match id {
        0x0017 => "PidTagImportance",
        0x001A => "PidTagMessageClass",
        0x0026 => "PidTagPriority",
        0x0036 => "PidTagSensitivity",
        0x0037 => "PidTagSubject",
        0x0039 => "PidTagClientSubmitTime",
        0x003D => "PidTagSubjectPrefix",
        0x0042 => "PidTagSentRepresentingName",
        0x0064 => "PidTagSentRepresentingAddressType",
        0x0065 => "PidTagSentRepresentingEmailAddress",
        0x0070 => "PidTagConversationTopic",
        0x0071 => "PidTagConversationIndex",
        0x007D => "PidTagTransportMessageHeaders",
        0x0C15 => "PidTagRecipientType",
        0x0C1A => "PidTagSenderName",
        0x0C1E => "PidTagSenderAddressType",
        0x0C1F => "PidTagSenderEmailAddress",
        0x0E02 => "PidTagDisplayBcc",
        0x0E03 => "PidTagDisplayCc",
        0x0E04 => "PidTagDisplayTo",
        0x0E06 => "PidTagMessageDeliveryTime",
        0x0E07 => "PidTagMessageFlags",
        0x0E08 => "PidTagMessageSize",
        0x0E1D => "PidTagNormalizedSubject",
        0x0E1F => "PidTagRtfInSync",
        0x0E20 => "PidTagAttachSize",
        0x0E21 => "PidTagAttachNumber",
        0x0FF9 => "PidTagRecordKey",
        0x0FFE => "PidTagObjectType",
        0x0FFF => "PidTagEntryId",
        0x1000 => "PidTagBody",
        0x1009 => "PidTagRtfCompressed",
        0x1013 => "PidTagHtml",
        0x1035 => "PidTagInternetMessageId",
        0x3001 => "PidTagDisplayName",
        0x3002 => "PidTagAddressType",
        0x3003 => "PidTagEmailAddress",
        0x3007 => "PidTagCreationTime",
        0x3008 => "PidTagLastModificationTime",
        0x300B => "PidTagSearchKey",
        0x3701 => "PidTagAttachDataBinary/Object",
        0x3703 => "PidTagAttachExtension",
        0x3704 => "PidTagAttachFilename",
        0x3705 => "PidTagAttachMethod",
        0x3707 => "PidTagAttachLongFilename",
        0x370B => "PidTagRenderingPosition",
        0x370E => "PidTagAttachMimeTag",
        0x3712 => "PidTagAttachContentId",
        0x39FE => "PidTagSmtpAddress",
        0x3FDE => "PidTagInternetCodepage",
        0x3FF1 => "PidTagMessageLocaleId",
        0x3FFD => "PidTagMessageCodepage",
        0x5D01 => "PidTagSenderSmtpAddress",
        0x5FF6 => "PidTagRecipientDisplayName",
        0x7FFE => "PidTagAttachmentHidden",
        _ => return None,
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// `00020d0b-0000-0000-c000-000000000046` (Data1-3 little-endian in the bytes).
pub fn guid_text(g: &[u8; 16]) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{}-{}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        hex(&g[8..10]),
        hex(&g[10..])
    )
}

pub fn parse_guid(s: &str) -> Option<[u8; 16]> {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 5 || [8, 4, 4, 4, 12] != parts.iter().map(|p| p.len()).collect::<Vec<_>>()[..]
    {
        return None;
    }
    let d1 = u32::from_str_radix(parts[0], 16).ok()?;
    let d2 = u16::from_str_radix(parts[1], 16).ok()?;
    let d3 = u16::from_str_radix(parts[2], 16).ok()?;
    let rest = parse_hex(&format!("{}{}", parts[3], parts[4]))?;
    let mut g = [0u8; 16];
    g[..4].copy_from_slice(&d1.to_le_bytes());
    g[4..6].copy_from_slice(&d2.to_le_bytes());
    g[6..8].copy_from_slice(&d3.to_le_bytes());
    g[8..].copy_from_slice(&rest);
    Some(g)
}

const TICKS_PER_SECOND: u64 = 10_000_000;
/// Days from 1601-01-01 to 1970-01-01.
const DAYS_1601_TO_1970: i64 = 134_774;

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A FILETIME as ISO-8601 UTC with its 100 ns digits, trailing zeros dropped:
/// `2020-09-10T10:18:11.03Z`.
pub fn filetime_iso(ft: u64) -> String {
    let secs = ft / TICKS_PER_SECOND;
    let frac = ft % TICKS_PER_SECOND;
    let days = (secs / 86_400) as i64 - DAYS_1601_TO_1970;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    if frac != 0 {
        let digits = format!("{frac:07}");
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// The inverse of [`filetime_iso`] (also accepts no fraction, or fewer digits).
pub fn parse_iso(s: &str) -> Option<u64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut dp = date.rsplitn(3, '-');
    let d: u32 = dp.next()?.parse().ok()?;
    let m: u32 = dp.next()?.parse().ok()?;
    let y: i64 = dp.next()?.parse().ok()?;
    let (hms, frac) = match time.split_once('.') {
        Some((a, b)) => (a, b),
        None => (time, ""),
    };
    let mut tp = hms.split(':');
    let h: u64 = tp.next()?.parse().ok()?;
    let mi: u64 = tp.next()?.parse().ok()?;
    let se: u64 = tp.next()?.parse().ok()?;
    if frac.len() > 7 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<7}").parse().ok()?
    };
    let days = days_from_civil(y, m, d) + DAYS_1601_TO_1970;
    let days = u64::try_from(days).ok()?;
    Some(((days * 86_400 + h * 3600 + mi * 60 + se) * TICKS_PER_SECOND) + frac)
}

/// Windows' system ANSI code pages: the only kind a declared Internet code page is
/// taken from for 8-bit properties (README "API conventions", `spec/msg-format.md` 6).
pub fn is_ansi_page(cp: u32) -> bool {
    matches!(cp, 874 | 932 | 936 | 949 | 950 | 1250..=1258)
}

/// The ANSI code page of a Windows locale (LCID).
pub fn codepage_of_locale(lcid: u32) -> Option<u32> {
    let langid = lcid & 0xFFFF;
    let primary = langid & 0x3FF;
    Some(match langid {
        0x0404 | 0x0C04 | 0x1404 => 950,
        0x0804 | 0x1004 => 936,
        // Serbian, Bosnian, Azerbaijani and Uzbek in Cyrillic script.
        0x0C1A | 0x1C1A | 0x281A | 0x301A | 0x201A | 0x082C | 0x0843 => 1251,
        _ => match primary {
            0x00 => return None,
            0x11 => 932,
            0x12 => 949,
            0x1E => 874,
            0x2A => 1258,
            0x05 | 0x0E | 0x15 | 0x18 | 0x1A | 0x1B | 0x1C | 0x24 => 1250,
            0x02 | 0x19 | 0x22 | 0x23 | 0x2F | 0x3F | 0x40 | 0x44 | 0x50 => 1251,
            0x08 => 1253,
            0x1F | 0x2C | 0x43 => 1254,
            0x0D => 1255,
            0x01 | 0x20 | 0x29 | 0x8C => 1256,
            0x25..=0x27 => 1257,
            _ => 1252,
        },
    })
}

/// The code page the library reads a message's 8-bit strings in, with the property it
/// comes from, as the README documents it: `PR_MESSAGE_CODEPAGE`, else
/// `PR_INTERNET_CPID` when it is a Windows ANSI page, else the page of
/// `PR_MESSAGE_LOCALE_ID`, else the parent message's, else 1252.
pub fn string8_codepage(
    message_cp: Option<u32>,
    internet_cp: Option<u32>,
    locale: Option<u32>,
    parent: Option<u32>,
) -> (u32, &'static str) {
    if let Some(cp) = message_cp.filter(|&cp| cp != 0 && cp != 1200 && cp != 1201) {
        return (cp, "PidTagMessageCodepage");
    }
    if let Some(cp) = internet_cp.filter(|&cp| is_ansi_page(cp)) {
        return (cp, "PidTagInternetCodepage");
    }
    if let Some(cp) = locale.and_then(codepage_of_locale) {
        return (cp, "PidTagMessageLocaleId");
    }
    match parent {
        Some(cp) => (cp, "parent"),
        None => (1252, "default"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        for (ft, s) in [
            (132_442_066_910_300_000u64, "2020-09-10T10:18:11.03Z"),
            (132_337_359_170_000_000, "2020-05-12T05:45:17Z"),
            (915_151_392_000_000_000, "4501-01-01T00:00:00Z"),
            (0, "1601-01-01T00:00:00Z"),
            (1, "1601-01-01T00:00:00.0000001Z"),
        ] {
            assert_eq!(filetime_iso(ft), s);
            assert_eq!(parse_iso(s), Some(ft), "{s}");
        }
    }

    #[test]
    fn names_and_guids() {
        assert_eq!(type_name(0x101F), "PtypMultipleString");
        assert_eq!(type_name(0x116C), "PtypMultiple6C");
        assert_eq!(type_name(0x0400), "0x0400");
        let g = parse_guid("00020d0b-0000-0000-c000-000000000046").expect("guid");
        assert_eq!(g[0], 0x0B);
        assert_eq!(guid_text(&g), "00020d0b-0000-0000-c000-000000000046");
    }
}
