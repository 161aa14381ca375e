//! Tolerant opening of compound files with directory entries `cfb` refuses (a name length
//! over 64 bytes or odd, a name that is not valid UTF-16, an unknown object type or colour,
//! sibling or child numbers out of range, a sibling tree out of order or with loops), as
//! some real files have. The directory sectors are found through the FAT and mended in a
//! copy of the file held in memory: an entry that is not a valid storage or stream becomes
//! unused, and each storage's children are relinked as a sorted chain of what can be
//! reached. Everything else is left to `cfb`.
#![forbid(unsafe_code)]

/// Files larger than this are not repaired in memory.
pub const REPAIR_LIMIT: u64 = 256 * 1024 * 1024;

const FREE_OR_END: u32 = 0xFFFF_FFFA;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Whether a `cfb` open error is one [`repair_directory`] may cure.
pub fn is_directory_error(message: &str) -> bool {
    message.contains("Malformed directory")
}

/// Mends the directory entries of `file` (a whole compound file).
/// Returns how many entries were changed; `None` when the structure cannot be followed.
pub fn repair_directory(file: &mut [u8]) -> Option<usize> {
    let shift = u16_at(file, 0x1E)?;
    if shift != 9 && shift != 12 {
        return None;
    }
    let sector = 1usize << shift;
    let offset = |n: u32| (n as usize + 1) * sector;
    let sectors = file.len() / sector;

    // The FAT's sectors: 109 in the header, the rest in the DIFAT chain.
    let fat_count = u32_at(file, 0x2C)? as usize;
    let mut fat_sectors: Vec<u32> = (0..109)
        .filter_map(|i| u32_at(file, 0x4C + 4 * i))
        .collect();
    let mut difat = u32_at(file, 0x44)?;
    let mut guard = 0;
    while difat < FREE_OR_END && guard < sectors {
        let base = offset(difat);
        for i in 0..sector / 4 - 1 {
            fat_sectors.push(u32_at(file, base + 4 * i)?);
        }
        difat = u32_at(file, base + sector - 4)?;
        guard += 1;
    }
    fat_sectors.truncate(fat_count.min(fat_sectors.len()));
    let next = |n: u32| -> Option<u32> {
        let per = sector / 4;
        let fat_sector = *fat_sectors.get(n as usize / per)?;
        if fat_sector >= FREE_OR_END {
            return None;
        }
        u32_at(file, offset(fat_sector) + 4 * (n as usize % per))
    };

    // The directory chain.
    let mut chain = Vec::new();
    let mut current = u32_at(file, 0x30)?;
    while current < FREE_OR_END && chain.len() <= sectors {
        chain.push(current);
        current = next(current)?;
    }
    let mut entries = Vec::new();
    for s in chain {
        let base = offset(s);
        for e in 0..sector / 128 {
            let entry = base + e * 128;
            if entry + 128 <= file.len() {
                entries.push(entry);
            }
        }
    }
    let mut changed = 0;
    for &at in &entries {
        if mend_entry(&mut file[at..at + 128]) {
            changed += 1;
        }
    }
    Some(changed + relink(file, &entries))
}

fn link(file: &[u8], entry: usize, field: usize) -> u32 {
    u32_at(file, entry + field).unwrap_or(NO_STREAM)
}

fn set_link(file: &mut [u8], entry: usize, field: usize, value: u32) {
    file[entry + field..entry + field + 4].copy_from_slice(&value.to_le_bytes());
}

/// The compound-file order of names: shorter first, then by upper-cased code units.
fn name_key(file: &[u8], entry: usize) -> (usize, Vec<u32>) {
    let units = (u16_at(file, entry + 0x40).unwrap_or(0) as usize / 2).saturating_sub(1);
    let upper = (0..units)
        .map(|i| {
            let u = u16_at(file, entry + 2 * i).unwrap_or(0);
            char::from_u32(u32::from(u))
                .map(|c| {
                    let mut up = c.to_uppercase();
                    match (up.next(), up.next()) {
                        (Some(x), None) if (x as u32) < 0x10000 => x as u32,
                        _ => c as u32,
                    }
                })
                .unwrap_or(u32::from(u))
        })
        .collect();
    (units, upper)
}

/// Relinks every storage's children (reachable from the root, each once) as a sorted
/// chain of black right siblings. Returns the number of entries whose links changed.
fn relink(file: &mut [u8], entries: &[usize]) -> usize {
    let valid = |file: &[u8], id: u32| {
        entries
            .get(id as usize)
            .is_some_and(|&e| matches!(file[e + 0x42], 1 | 2))
    };
    let mut seen = vec![false; entries.len()];
    let mut storages = vec![0u32];
    let mut plan: Vec<(u32, Vec<u32>)> = Vec::new();
    if entries.is_empty() || file[entries[0] + 0x42] != 5 {
        return 0;
    }
    seen[0] = true;
    while let Some(storage) = storages.pop() {
        // The storage's sibling tree, walked tolerantly.
        let mut children = Vec::new();
        let mut stack = vec![link(file, entries[storage as usize], 0x4C)];
        while let Some(id) = stack.pop() {
            if !valid(file, id) || seen[id as usize] {
                continue;
            }
            seen[id as usize] = true;
            let e = entries[id as usize];
            stack.push(link(file, e, 0x44));
            stack.push(link(file, e, 0x48));
            children.push(id);
            if file[e + 0x42] == 1 {
                storages.push(id);
            }
        }
        children.sort_by_key(|&id| name_key(file, entries[id as usize]));
        children.dedup_by_key(|id| name_key(file, entries[*id as usize]));
        plan.push((storage, children));
    }
    let before: Vec<Vec<u8>> = entries
        .iter()
        .map(|&e| file[e + 0x43..e + 0x50].to_vec())
        .collect();
    for (storage, children) in plan {
        set_link(
            file,
            entries[storage as usize],
            0x4C,
            children.first().copied().unwrap_or(NO_STREAM),
        );
        for (i, &id) in children.iter().enumerate() {
            let e = entries[id as usize];
            file[e + 0x43] = 1;
            set_link(file, e, 0x44, NO_STREAM);
            set_link(
                file,
                e,
                0x48,
                children.get(i + 1).copied().unwrap_or(NO_STREAM),
            );
        }
    }
    entries
        .iter()
        .zip(before)
        .filter(|(e, b)| file[**e + 0x43..**e + 0x50] != b[..])
        .count()
}

/// Largest stream id a sibling or child link may hold (MAXREGSID).
const MAX_REGULAR_ID: u32 = 0xFFFF_FFFA;
const NO_STREAM: u32 = 0xFFFF_FFFF;

/// Mends one 128-byte directory entry; returns whether it changed.
fn mend_entry(entry: &mut [u8]) -> bool {
    let before = entry.to_vec();
    let kind = entry[0x42];
    if !matches!(kind, 0 | 1 | 2 | 5) {
        // Not a storage, stream or root: the entry becomes unused.
        entry.fill(0);
        for link in [0x44, 0x48, 0x4C] {
            entry[link..link + 4].copy_from_slice(&NO_STREAM.to_le_bytes());
        }
        return true;
    }
    if entry[0x43] > 1 {
        entry[0x43] = 1; // black
    }
    for link in [0x44, 0x48, 0x4C] {
        let v = u32::from_le_bytes(entry[link..link + 4].try_into().expect("4 bytes"));
        let stream_child = link == 0x4C && kind == 2;
        if v != NO_STREAM && (v > MAX_REGULAR_ID || stream_child) {
            entry[link..link + 4].copy_from_slice(&NO_STREAM.to_le_bytes());
        }
    }
    let len = u16::from_le_bytes([entry[0x40], entry[0x41]]);
    let fixed_len = len.min(64) & !1;
    entry[0x40..0x42].copy_from_slice(&fixed_len.to_le_bytes());
    let units = (fixed_len as usize / 2).saturating_sub(1);
    let mut i = 0;
    while i < units {
        let u = u16::from_le_bytes([entry[2 * i], entry[2 * i + 1]]);
        let next = if i + 1 < units {
            u16::from_le_bytes([entry[2 * i + 2], entry[2 * i + 3]])
        } else {
            0
        };
        if (0xD800..0xDC00).contains(&u) && (0xDC00..0xE000).contains(&next) {
            i += 2;
            continue;
        }
        // Lone surrogates and the characters element names may not hold.
        let bad = (0xD800..0xE000).contains(&u)
            || [b'/', b'\\', b':', b'!'].iter().any(|&c| u == u16::from(c));
        if bad {
            entry[2 * i..2 * i + 2].copy_from_slice(&u16::from(b'_').to_le_bytes());
        }
        i += 1;
    }
    entry != before.as_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_and_broken_names_are_mended() {
        let mut entry = [0u8; 128];
        for i in 0..32 {
            entry[2 * i] = b'a';
        }
        entry[0x42] = 2;
        entry[0x40] = 70;
        assert!(mend_entry(&mut entry));
        assert_eq!(u16::from_le_bytes([entry[0x40], entry[0x41]]), 64);
        let mut entry = [0u8; 128];
        entry[0x42] = 2;
        entry[..2].copy_from_slice(&0xD800u16.to_le_bytes());
        entry[2] = b'x';
        entry[0x40] = 6;
        assert!(mend_entry(&mut entry));
        assert_eq!(u16::from_le_bytes([entry[0], entry[1]]), u16::from(b'_'));
        let mut fine = [0u8; 128];
        fine[0] = b'R';
        fine[0x40] = 4;
        fine[0x42] = 2;
        fine[0x44..0x50].fill(0xFF);
        assert!(!mend_entry(&mut fine));
        let mut garbage = [0x72u8; 128];
        assert!(mend_entry(&mut garbage));
        assert_eq!(garbage[0x42], 0);
    }
}
