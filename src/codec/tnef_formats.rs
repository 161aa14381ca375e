//! The byte formats inside legacy TNEF attributes ([MS-OXTNEF] 2.1.3.3, [DOCS
//! mapping-of-tnef-attributes-to-mapi-properties]): DTR dates, TRP and counted addresses,
//! one-off entry ids, hex ids, NUL-terminated text. [`super::tnef_legacy`] maps the
//! attributes that carry them.
#![forbid(unsafe_code)]

/// `MAPI_ONE_OFF_UID`: the provider UID of one-off entry ids.
const ONE_OFF_UID: [u8; 16] = [
    0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02,
];
/// `trpidOneOff`.
const TRPID_ONE_OFF: u16 = 4;

/// Bytes without their trailing NULs.
pub(super) fn strip_nuls(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
    &b[..end]
}

/// 8-bit text up to its first NUL.
pub(super) fn cstr(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |i| &b[..i])
}

pub(super) fn u16_at(d: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(i..i + 2)?.try_into().ok()?))
}

pub(super) fn u32_at(d: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(i..i + 4)?.try_into().ok()?))
}

// ---- dates ----

/// FILETIME ticks per second and the days from 1601-01-01 to 1970-01-01.
const TICKS: u64 = 10_000_000;
const DAYS_1601_TO_1970: i64 = 134_774;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(super) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A DTR (7 × UINT16: year, month, day, hour, minute, second, day of week) as FILETIME,
/// taken as UTC. `None` when it is short or out of range.
pub fn dtr_to_filetime(d: &[u8]) -> Option<u64> {
    let f = |i: usize| u16_at(d, 2 * i).map(i64::from);
    let (y, mo, da, h, mi, s) = (f(0)?, f(1)?, f(2)?, f(3)?, f(4)?, f(5)?);
    if !(1601..=30827).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&da)
        || h > 23
        || mi > 59
        || s > 59
    {
        return None;
    }
    let days = days_from_civil(y, mo, da) + DAYS_1601_TO_1970;
    let secs = days * 86_400 + h * 3600 + mi * 60 + s;
    u64::try_from(secs).ok()?.checked_mul(TICKS)
}

/// FILETIME as a DTR (whole seconds; day of week 0 = Sunday, as in `SYSTEMTIME`).
pub fn filetime_to_dtr(ft: u64) -> [u8; 14] {
    let secs = (ft / TICKS) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days - DAYS_1601_TO_1970);
    // 1601-01-01 was a Monday.
    let dow = (days + 1).rem_euclid(7);
    let fields = [y, m, d, rem / 3600, rem / 60 % 60, rem % 60, dow];
    let mut out = [0u8; 14];
    for (i, v) in fields.iter().enumerate() {
        out[2 * i..2 * i + 2].copy_from_slice(&(*v as u16).to_le_bytes());
    }
    out
}

// ---- addresses ----

/// A one-off entry id (`spec/mapi-abi.md` §9: flags, `MAPI_ONE_OFF_UID`, version,
/// flags, then the display name, address type and address, each NUL-terminated, 8-bit).
pub fn one_off_entry_id(name: &[u8], addrtype: &[u8], address: &[u8]) -> Vec<u8> {
    let mut e = vec![0u8; 4];
    e.extend_from_slice(&ONE_OFF_UID);
    e.extend_from_slice(&[0, 0, 0, 0]);
    for part in [name, addrtype, address] {
        e.extend_from_slice(part);
        e.push(0);
    }
    e
}

/// attFrom: a TRP (trpid, cbgrtrp, cch, cb), the NUL-terminated name padded to 2
/// (cch bytes), the NUL-terminated "type:address" (cb bytes), then a zero TRP.
pub(super) fn parse_trp(d: &[u8]) -> Option<(&[u8], &[u8])> {
    let cch = usize::from(u16_at(d, 4)?);
    let cb = usize::from(u16_at(d, 6)?);
    let name = d.get(8..8 + cch)?;
    let addr = d.get(8 + cch..8 + cch + cb)?;
    Some((cstr(name), cstr(addr)))
}

pub(super) fn build_trp(name: &[u8], addr: &[u8]) -> Vec<u8> {
    let cch = (name.len() + 1).next_multiple_of(2);
    let cb = addr.len() + 1;
    let cbgrtrp = 16 + cch + cb;
    let mut d = Vec::with_capacity(cbgrtrp);
    for v in [TRPID_ONE_OFF as usize, cbgrtrp, cch, cb] {
        d.extend_from_slice(&(v.min(0xFFFF) as u16).to_le_bytes());
    }
    d.extend_from_slice(name);
    d.resize(8 + cch, 0);
    d.extend_from_slice(addr);
    d.push(0);
    d.resize(cbgrtrp, 0);
    d
}

/// attOwner / attSentFor: a UINT16-counted name, then a UINT16-counted "type:address"
/// ([DOCS attowner]); the counts include the terminating NUL.
pub(super) fn parse_counted_pair(d: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = usize::from(u16_at(d, 0)?);
    let name = d.get(2..2 + n)?;
    let m = usize::from(u16_at(d, 2 + n)?);
    let addr = d.get(4 + n..4 + n + m)?;
    Some((cstr(name), cstr(addr)))
}

pub(super) fn build_counted_pair(name: &[u8], addr: &[u8]) -> Vec<u8> {
    let mut d = Vec::new();
    for s in [name, addr] {
        let s = &s[..s.len().min(0xFFFE)];
        d.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        d.extend_from_slice(s);
        d.push(0);
    }
    d
}

/// Hex text (attMessageID and its kin) as bytes; `None` when it is not hex.
pub(super) fn unhex(s: &[u8]) -> Option<Vec<u8>> {
    let s = cstr(s);
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks_exact(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

pub(super) fn hex(b: &[u8]) -> Vec<u8> {
    let mut s: Vec<u8> = b
        .iter()
        .flat_map(|x| format!("{x:02X}").into_bytes())
        .collect();
    s.push(0);
    s
}
