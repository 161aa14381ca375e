//! Writing an element tree as a new compound file ([MS-CFB]), front to back in one pass.
//!
//! Everything is laid out before the first byte is written: the directory (each storage's
//! children as a balanced red-black tree), the mini stream (every stream under 4096 bytes,
//! in whole 64-byte mini sectors), the mini FAT, the FAT and the DIFAT. Then the header, the
//! FAT, the DIFAT, the directory, the mini FAT, the mini stream and each larger stream follow
//! each other, every chain in consecutive sectors, the stream content copied from its blob
//! in large pieces. Version 3 (512-byte sectors) is what Outlook writes; version 4 holds
//! files over 2 GB, and leaves unused the sector holding file offset 0x7FFFFF00, which
//! ole32 locks (the range-lock sector).
//!
//! We never write into a file we did not create: a commit writes a whole new file
//! (DESIGN decision 9), so this is the only writer there is.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::Write;

use super::Version;
use super::blob::Blob;
use super::compound_reader::{
    DIFSECT, ENDOFCHAIN, ENTRY_LEN, FATSECT, FREESECT, HEADER_DIFAT, MINI_CUTOFF, NOSTREAM,
    SIGNATURE,
};
use super::tree::{DirNode, ElementId, Node, content_size};
use crate::error::{Error, Result};

/// Pieces in which stream content is copied into the file.
const COPY_PIECE: usize = 1024 * 1024;

/// Version 3 files must stay below 2 GB; content above this (less room for the FAT, the
/// directory and the mini stream) is written as version 4.
const V3_CONTENT_LIMIT: u64 = 0x7000_0000;

/// Picks the format of a file to write: version 4 when version 3 cannot hold the content.
pub fn version_for(tree: &DirNode, wanted: Version) -> Version {
    if wanted == Version::V3 && content_size(tree) > V3_CONTENT_LIMIT {
        Version::V4
    } else {
        wanted
    }
}

/// Where the streams of a written file are: each stream node's start sector and size, and
/// the mini stream's (the root entry's).
pub struct Layout {
    pub len: u64,
    pub streams: HashMap<ElementId, (u32, u64)>,
    pub mini_stream: (u32, u64),
    /// With [`Around`]: the header, for the caller to write at offset 0 once the rest is.
    pub head: Option<Vec<u8>>,
}

/// A file written around what it already holds: sectors below `end` are left as they are
/// (free in the new file, but for `stream`'s), and the rest of the file is written from
/// sector `end` on. `stream`: a stream whose content is already there, in consecutive
/// sectors from the one given (`publish`: a large stream's scratch file becomes the new
/// file; a new file's first commit goes around the empty compound file it holds).
#[derive(Clone, Copy, Debug)]
pub struct Around {
    pub end: u32,
    pub stream: Option<(ElementId, u32)>,
}

/// One directory entry to write.
struct Entry<'a> {
    name: Vec<u16>,
    /// 1 storage, 2 stream, 5 root.
    kind: u8,
    clsid: [u8; 16],
    state_bits: u32,
    ctime: u64,
    mtime: u64,
    data: Option<&'a Blob>,
    id: ElementId,
    /// Red-black links, filled in once each storage's children are placed.
    left: u32,
    right: u32,
    child: u32,
    black: bool,
    start: u32,
    size: u64,
}

/// The compound-file order of names: shorter first, then by UTF-16 units each upper-cased
/// on its own (surrogates and characters without a one-unit upper case stay as they are).
fn order_key(name: &[u16]) -> (usize, Vec<u16>) {
    let upper = name
        .iter()
        .map(|&u| {
            let Some(c) = char::from_u32(u32::from(u)) else {
                return u;
            };
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(x), None) if (x as u32) < 0x1_0000 => x as u32 as u16,
                _ => u,
            }
        })
        .collect();
    (name.len(), upper)
}

/// Lists the entries of `dir` (at `index` in `entries`) and below, and links each storage's
/// children as a balanced search tree.
fn collect<'a>(dir: &'a DirNode, index: usize, entries: &mut Vec<Entry<'a>>) {
    let mut kids: Vec<usize> = Vec::with_capacity(dir.children.len());
    for child in dir.children.values() {
        let at = entries.len();
        let name: Vec<u16> = child.name.encode_utf16().collect();
        match &child.node {
            Node::Dir(d) => {
                entries.push(Entry {
                    name,
                    kind: 1,
                    clsid: d.clsid,
                    state_bits: d.state_bits,
                    ctime: d.ctime,
                    mtime: d.mtime,
                    data: None,
                    id: d.id,
                    left: NOSTREAM,
                    right: NOSTREAM,
                    child: NOSTREAM,
                    black: true,
                    start: 0,
                    size: 0,
                });
                collect(d, at, entries);
            }
            Node::Stream(s) => entries.push(Entry {
                name,
                kind: 2,
                clsid: [0; 16],
                state_bits: 0,
                ctime: 0,
                mtime: 0,
                data: Some(&s.data),
                id: s.id,
                left: NOSTREAM,
                right: NOSTREAM,
                child: NOSTREAM,
                black: true,
                start: ENDOFCHAIN,
                size: s.data.len(),
            }),
        }
        kids.push(at);
    }
    kids.sort_by_cached_key(|&k| order_key(&entries[k].name));
    let deepest = depth_of(kids.len());
    entries[index].child = link(entries, &kids, 0, deepest);
}

/// The depth of the deepest node of a balanced tree of `n` nodes (root at 0).
fn depth_of(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()) as usize - usize::from(n > 0)
}

/// Builds a balanced search tree of `sorted` (median at the root); returns its root. Nodes on
/// the deepest level are red when that level is not the root's, the rest black: every path
/// from the root to a leaf then passes as many black nodes, and no red node has a red child.
fn link(entries: &mut [Entry<'_>], sorted: &[usize], depth: usize, deepest: usize) -> u32 {
    if sorted.is_empty() {
        return NOSTREAM;
    }
    let mid = sorted.len() / 2;
    let me = sorted[mid];
    let left = link(entries, &sorted[..mid], depth + 1, deepest);
    let right = link(entries, &sorted[mid + 1..], depth + 1, deepest);
    let e = &mut entries[me];
    e.left = left;
    e.right = right;
    e.black = !(depth == deepest && depth > 0);
    me as u32
}

/// Hands out sectors in order, passing over the range-lock sector.
struct Sectors {
    next: u32,
    range_lock: u32,
}

impl Sectors {
    /// `count` sectors for one chain; the FAT entries that link them are set in `fat`.
    fn chain(&mut self, count: u64, fat: &mut Vec<u32>) -> u32 {
        if count == 0 {
            return ENDOFCHAIN;
        }
        let first = self.take(fat);
        let mut prev = first;
        for _ in 1..count {
            let s = self.take(fat);
            fat[prev as usize] = s;
            prev = s;
        }
        fat[prev as usize] = ENDOFCHAIN;
        first
    }

    fn take(&mut self, fat: &mut Vec<u32>) -> u32 {
        if self.next == self.range_lock {
            fat.push(ENDOFCHAIN);
            self.next += 1;
        }
        fat.push(FREESECT);
        self.next += 1;
        self.next - 1
    }
}

/// Writes `tree` as a complete compound file of `version` into `out`, front to back.
pub fn write_tree(tree: &DirNode, version: Version, out: &mut impl Write) -> Result<Layout> {
    write_tree_around(tree, version, None, out)
}

/// [`write_tree`], or with `around` everything from sector `around.end` on (written into
/// `out` from there), leaving the header to the caller ([`Layout::head`]).
pub fn write_tree_around(
    tree: &DirNode,
    version: Version,
    around: Option<Around>,
    out: &mut impl Write,
) -> Result<Layout> {
    let shift = version.sector_shift();
    let sector = 1u64 << shift;
    let per = (sector / 4) as usize;
    let io = |e: std::io::Error| Error::io("writing the compound file", &e);

    // The directory.
    let mut entries = vec![Entry {
        name: "Root Entry".encode_utf16().collect(),
        kind: 5,
        clsid: tree.clsid,
        state_bits: tree.state_bits,
        // The root entry's creation time must stay zero ([MS-CFB] 2.6.2).
        ctime: 0,
        mtime: tree.mtime,
        data: None,
        id: tree.id,
        left: NOSTREAM,
        right: NOSTREAM,
        child: NOSTREAM,
        black: true,
        start: ENDOFCHAIN,
        size: 0,
    }];
    collect(tree, 0, &mut entries);

    // The mini stream: streams under the cut-off, each in whole mini sectors.
    let mut mini_fat: Vec<u32> = Vec::new();
    for e in entries.iter_mut().filter(|e| e.kind == 2) {
        if e.size == 0 || e.size >= MINI_CUTOFF {
            continue;
        }
        let first = mini_fat.len() as u32;
        let count = e.size.div_ceil(64) as u32;
        mini_fat.extend((first + 1..first + count).chain([ENDOFCHAIN]));
        e.start = first;
    }
    let mini_len = mini_fat.len() as u64 * 64;

    // Sectors of everything but the FAT and DIFAT, then the FAT and DIFAT that cover them.
    let dir_sectors = (entries.len() as u64 * ENTRY_LEN as u64).div_ceil(sector);
    let minifat_sectors = (mini_fat.len() as u64 * 4).div_ceil(sector);
    let mini_sectors = mini_len.div_ceil(sector);
    let in_place = around.and_then(|a| a.stream);
    let is_in_place = |e: &Entry<'_>| in_place.is_some_and(|(id, _)| id == e.id);
    let stream_sectors: u64 = entries
        .iter()
        .filter(|e| e.kind == 2 && e.size >= MINI_CUTOFF && !is_in_place(e))
        .map(|e| e.size.div_ceil(sector))
        .sum();
    let prefix = around.map_or(0, |a| u64::from(a.end));
    let data = prefix + dir_sectors + minifat_sectors + mini_sectors + stream_sectors;
    let range_lock = if version == Version::V4 {
        (0x7FFF_FF00 >> shift) - 1
    } else {
        u32::MAX
    };
    if around.is_some() {
        let fits = in_place.is_none_or(|(_, first)| {
            entries.iter().any(|e| {
                is_in_place(e)
                    && e.size >= MINI_CUTOFF
                    && u64::from(first) + e.size.div_ceil(sector) <= prefix
            })
        });
        if !fits || prefix >= u64::from(range_lock) {
            return Err(Error::new(
                crate::error::ErrorKind::StgInvalidParameter,
                "the stream is not where the file is written around it",
            ));
        }
    }
    let (mut fat_sectors, mut difat_sectors) = (0u64, 0u64);
    loop {
        let mut total = data + fat_sectors + difat_sectors;
        if total > u64::from(range_lock) {
            total += 1;
        }
        let f = total.div_ceil(per as u64);
        let d = f
            .saturating_sub(HEADER_DIFAT as u64)
            .div_ceil(per as u64 - 1);
        if (f, d) == (fat_sectors, difat_sectors) {
            break;
        }
        (fat_sectors, difat_sectors) = (f, d);
    }
    if fat_sectors + difat_sectors + data >= u64::from(FREESECT - 16) {
        return Err(Error::new(
            crate::error::ErrorKind::StgMediumFull,
            "the content is too large for a compound file",
        ));
    }

    // Sector numbers, in the order the sectors are written.
    let mut fat: Vec<u32> = Vec::with_capacity(((fat_sectors as usize) * per).min(1 << 24));
    let mut alloc = Sectors {
        next: prefix as u32,
        range_lock,
    };
    // The sectors written around are free, but for the stream's, linked in order.
    fat.resize(prefix as usize, FREESECT);
    if let Some((_, first)) = in_place {
        let size = entries
            .iter()
            .find(|e| is_in_place(e))
            .map_or(0, |e| e.size);
        let last = first + size.div_ceil(sector) as u32 - 1;
        for s in first..last {
            fat[s as usize] = s + 1;
        }
        fat[last as usize] = ENDOFCHAIN;
    }
    let fat_at: Vec<u32> = (0..fat_sectors)
        .map(|_| {
            let s = alloc.take(&mut fat);
            fat[s as usize] = FATSECT;
            s
        })
        .collect();
    let difat_at: Vec<u32> = (0..difat_sectors)
        .map(|_| {
            let s = alloc.take(&mut fat);
            fat[s as usize] = DIFSECT;
            s
        })
        .collect();
    let dir_start = alloc.chain(dir_sectors, &mut fat);
    let minifat_start = alloc.chain(minifat_sectors, &mut fat);
    let mini_start = alloc.chain(mini_sectors, &mut fat);
    entries[0].start = mini_start;
    entries[0].size = mini_len;
    let mut streams = HashMap::new();
    for e in entries.iter_mut().filter(|e| e.kind == 2) {
        if let Some((_, first)) = in_place.filter(|(id, _)| *id == e.id) {
            e.start = first;
        } else if e.size >= MINI_CUTOFF {
            e.start = alloc.chain(e.size.div_ceil(sector), &mut fat);
        } else if e.size == 0 {
            e.start = ENDOFCHAIN;
        }
        streams.insert(e.id, (e.start, e.size));
    }
    let used = fat.len();
    fat.resize(fat_sectors as usize * per, FREESECT);
    let len = (used as u64 + 1) * sector;

    // The header.
    let mut head = vec![0u8; sector as usize];
    head[..8].copy_from_slice(&SIGNATURE);
    let put16 = |b: &mut [u8], at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |b: &mut [u8], at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut head, 0x18, 0x3E);
    put16(&mut head, 0x1A, if version == Version::V4 { 4 } else { 3 });
    put16(&mut head, 0x1C, 0xFFFE);
    put16(&mut head, 0x1E, shift as u16);
    put16(&mut head, 0x20, 6);
    let dir_count = if version == Version::V4 {
        dir_sectors as u32
    } else {
        0
    };
    put32(&mut head, 0x28, dir_count);
    put32(&mut head, 0x2C, fat_sectors as u32);
    put32(&mut head, 0x30, dir_start);
    put32(&mut head, 0x38, MINI_CUTOFF as u32);
    put32(&mut head, 0x3C, minifat_start);
    put32(&mut head, 0x40, minifat_sectors as u32);
    put32(
        &mut head,
        0x44,
        difat_at.first().copied().unwrap_or(ENDOFCHAIN),
    );
    put32(&mut head, 0x48, difat_sectors as u32);
    for i in 0..HEADER_DIFAT {
        put32(
            &mut head,
            0x4C + 4 * i,
            fat_at.get(i).copied().unwrap_or(FREESECT),
        );
    }
    let mut w = SectorWriter {
        out,
        sector: sector as usize,
        next: prefix as u32,
        range_lock,
    };
    let head = if around.is_some() {
        Some(head)
    } else {
        w.out.write_all(&head).map_err(io)?;
        None
    };

    // The FAT and DIFAT.
    let mut words = Vec::with_capacity(sector as usize);
    for chunk in fat.chunks(per) {
        words.clear();
        words.extend(chunk.iter().flat_map(|v| v.to_le_bytes()));
        w.sectors(&words).map_err(io)?;
    }
    let rest: Vec<u32> = fat_at.iter().skip(HEADER_DIFAT).copied().collect();
    for (i, at) in rest.chunks(per - 1).enumerate() {
        words.clear();
        words.extend(at.iter().flat_map(|v| v.to_le_bytes()));
        words.resize((per - 1) * 4, 0xFF);
        let next = difat_at.get(i + 1).copied().unwrap_or(ENDOFCHAIN);
        words.extend(next.to_le_bytes());
        w.sectors(&words).map_err(io)?;
    }

    // The directory.
    let mut dir = Vec::with_capacity((dir_sectors * sector) as usize);
    for e in &entries {
        dir.extend(entry_bytes(e, version));
    }
    // The rest of the last sector: unused entries, all zeros but their links.
    let mut unused = [0u8; ENTRY_LEN];
    unused[0x44..0x50].fill(0xFF);
    while (dir.len() as u64) < dir_sectors * sector {
        dir.extend(unused);
    }
    w.sectors(&dir).map_err(io)?;

    // The mini FAT and the mini stream.
    if minifat_sectors > 0 {
        let bytes: Vec<u8> = mini_fat.iter().flat_map(|v| v.to_le_bytes()).collect();
        w.sectors(&bytes).map_err(io)?;
        let mut mini = Vec::with_capacity(mini_len as usize);
        for e in entries
            .iter()
            .filter(|e| e.kind == 2 && e.size > 0 && e.size < MINI_CUTOFF)
        {
            let at = mini.len();
            mini.resize(at + e.size as usize, 0);
            read_exact(e.data.expect("a stream"), 0, &mut mini[at..])?;
            mini.resize(at + e.size.div_ceil(64) as usize * 64, 0);
        }
        w.sectors(&mini).map_err(io)?;
    }

    // The larger streams.
    let mut piece = Vec::new();
    for e in entries
        .iter()
        .filter(|e| e.kind == 2 && e.size >= MINI_CUTOFF && !is_in_place(e))
    {
        let data = e.data.expect("a stream");
        let mut offset = 0;
        while offset < e.size {
            let n = (e.size - offset).min(COPY_PIECE as u64) as usize;
            piece.resize(n, 0);
            read_exact(data, offset, &mut piece)?;
            offset += n as u64;
            if offset == e.size {
                w.sectors(&piece).map_err(io)?;
            } else {
                // Whole sectors, since COPY_PIECE is a multiple of every sector size.
                w.raw(&piece).map_err(io)?;
            }
        }
    }
    debug_assert_eq!(w.next as usize, used);
    Ok(Layout {
        len,
        streams,
        mini_stream: (mini_start, mini_len),
        head,
    })
}

/// Reads `buf.len()` bytes of `blob` at `offset` (a blob reads zeros past a short source).
fn read_exact(blob: &Blob, offset: u64, buf: &mut [u8]) -> Result<()> {
    let n = blob.read_at(offset, buf)?;
    buf[n..].fill(0);
    Ok(())
}

/// Writes sectors in order, padding each run to whole sectors and writing zeros over the
/// range-lock sector when it comes.
struct SectorWriter<'a, W: Write> {
    out: &'a mut W,
    sector: usize,
    next: u32,
    range_lock: u32,
}

impl<W: Write> SectorWriter<'_, W> {
    /// Whole sectors of `bytes`, the last padded with zeros.
    fn sectors(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.raw(bytes)?;
        let pad = bytes.len().next_multiple_of(self.sector) - bytes.len();
        self.out.write_all(&vec![0u8; pad])
    }

    /// `bytes`, a multiple of the sector size except perhaps at the end of a run.
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.next == self.range_lock {
                self.out.write_all(&vec![0u8; self.sector])?;
                self.next += 1;
            }
            // Up to the range-lock sector, if it lies ahead.
            let room = if self.next < self.range_lock {
                (u64::from(self.range_lock - self.next) * self.sector as u64).min(rest.len() as u64)
                    as usize
            } else {
                rest.len()
            };
            let (now, later) = rest.split_at(room);
            self.out.write_all(now)?;
            self.next += now.len().div_ceil(self.sector) as u32;
            rest = later;
        }
        Ok(())
    }
}

/// The 128 bytes of one directory entry.
fn entry_bytes(e: &Entry<'_>, version: Version) -> [u8; ENTRY_LEN] {
    let mut b = [0u8; ENTRY_LEN];
    for (i, u) in e.name.iter().take(31).enumerate() {
        b[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
    }
    let name_len = (e.name.len().min(31) as u16 + 1) * 2;
    b[0x40..0x42].copy_from_slice(&name_len.to_le_bytes());
    b[0x42] = e.kind;
    b[0x43] = u8::from(e.black);
    b[0x44..0x48].copy_from_slice(&e.left.to_le_bytes());
    b[0x48..0x4C].copy_from_slice(&e.right.to_le_bytes());
    b[0x4C..0x50].copy_from_slice(&e.child.to_le_bytes());
    b[0x50..0x60].copy_from_slice(&e.clsid);
    b[0x60..0x64].copy_from_slice(&e.state_bits.to_le_bytes());
    b[0x64..0x6C].copy_from_slice(&e.ctime.to_le_bytes());
    b[0x6C..0x74].copy_from_slice(&e.mtime.to_le_bytes());
    b[0x74..0x78].copy_from_slice(&e.start.to_le_bytes());
    let size = if version == Version::V3 {
        e.size & 0xFFFF_FFFF
    } else {
        e.size
    };
    b[0x78..0x80].copy_from_slice(&size.to_le_bytes());
    b
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use crate::consts::*;
    use crate::storage::docfile::create_file;
    use crate::storage::{Blob, Storage, Version};

    /// Stream sizes around every boundary the writer handles: empty, the mini stream and its
    /// 64-byte sectors, the 4096-byte cut-off, several FAT sectors.
    const SIZES: [usize; 9] = [0, 1, 63, 64, 4095, 4096, 4097, 70_000, 600_000];

    fn content(seed: usize, len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + seed * 7) as u8).collect()
    }

    /// What we write, an independent strict reader (the `cfb` crate, which checks the whole
    /// FAT, mini FAT and directory when it opens a file) reads back, byte for byte.
    #[test]
    fn an_independent_reader_reads_what_we_write() {
        for version in [Version::V3, Version::V4] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("w.msg");
            let rw = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;
            let root = create_file(&path, rw | STGM_CREATE | STGM_TRANSACTED, version).unwrap();
            let mut expected = Vec::new();
            for (i, &len) in SIZES.iter().enumerate() {
                let name = format!("__substg1.0_{i:04X}0102");
                root.write_stream(&name, &Blob::from_vec(content(i, len)))
                    .unwrap();
                expected.push((format!("/{name}"), content(i, len)));
            }
            // Large enough for its scratch file to become the file (`publish`), with free
            // sectors in front of it and the rest of the file after it.
            let big = content(77, 4_500_000 + 33);
            let blob = Blob::from_vec(big.clone());
            assert_eq!(blob.in_place_file().is_some(), cfg!(target_os = "linux"));
            root.write_stream("__substg1.0_37010102", &blob).unwrap();
            expected.push(("/__substg1.0_37010102".to_string(), big));
            // Enough siblings for a deep tree of directory entries, nested two deep.
            for r in 0..40 {
                let sub = root
                    .create_storage(&format!("__recip_version1.0_#{r:08X}"), rw)
                    .unwrap();
                let inner = sub.create_storage("inner", rw).unwrap();
                let data = content(r, 100 + r * 97);
                inner
                    .write_stream("data", &Blob::from_vec(data.clone()))
                    .unwrap();
                inner.commit(STGC_DEFAULT).unwrap();
                sub.commit(STGC_DEFAULT).unwrap();
                expected.push((format!("/__recip_version1.0_#{r:08X}/inner/data"), data));
            }
            root.set_class([9; 16]).unwrap();
            root.commit(STGC_DEFAULT).unwrap();
            drop(root);

            let mut cf = cfb::open(&path).expect("cfb opens the file we wrote");
            assert_eq!(cf.root_entry().clsid().as_bytes()[0], 9);
            let streams = cf.walk().filter(|e| e.is_stream()).count();
            assert_eq!(streams, expected.len(), "{version:?}");
            for (name, data) in expected {
                let mut got = Vec::new();
                cf.open_stream(&name)
                    .unwrap()
                    .read_to_end(&mut got)
                    .unwrap();
                assert!(got == data, "{version:?} {name}: {} bytes", got.len());
            }
        }
    }
}
