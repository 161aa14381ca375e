//! Reading compound files ([MS-CFB]) leniently, following only the chains asked for.
//!
//! Opening reads the header and the directory (its chain through the FAT). A stream's
//! sectors are found when the stream is first read: through the FAT sectors its chain runs
//! through (each read once, then kept), or for a stream under 4096 bytes through the mini
//! FAT into the mini stream (both read whole on first use). Nothing else is read or
//! checked, so a FAT or mini FAT listing sectors past the end of the file, free sectors not
//! marked free, a sector two chains share, a DIFAT that miscounts, wrong colours, sizes or
//! unused fields in the directory cost nothing unless a chain we follow runs through them.
//!
//! Where a chain we follow is damaged (it ends early, or leaves the file), the stream reads
//! as far as the chain goes and as zeros after, as a short file does; where the directory is
//! damaged, what can be reached from the root is kept (an entry reached twice counts once, a
//! name is mended, an entry that is neither storage nor stream is passed over). A file whose
//! header or directory cannot be read at all is `STG_E_DOCFILECORRUPT`. Time and memory are
//! bounded by the file's size: every walk stops after as many steps as the file has sectors,
//! and a stream claims no more bytes than the file (or the mini stream) holds.
//!
//! The header's mini-stream cut-off and mini sector size are taken as the spec fixes them
//! (4096 and 64 bytes), whatever the header says; its sector size is taken as it says,
//! within 2^6 to 2^20 bytes, as other readers do.
#![forbid(unsafe_code)]

use std::sync::Arc;

use parking_lot::Mutex;

use super::Version;
use super::blob::ReadAt;
use crate::error::{Error, ErrorKind, Result};

/// The first eight bytes of every compound file.
pub const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

pub const FREESECT: u32 = 0xFFFF_FFFF;
pub const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
pub const FATSECT: u32 = 0xFFFF_FFFD;
pub const DIFSECT: u32 = 0xFFFF_FFFC;
pub const NOSTREAM: u32 = 0xFFFF_FFFF;
/// Streams shorter than this live in the mini stream ([MS-CFB] 2.2).
pub const MINI_CUTOFF: u64 = 4096;
pub const MINI_SHIFT: u32 = 6;
/// FAT sector numbers the header holds; the rest are in DIFAT sectors.
pub const HEADER_DIFAT: usize = 109;
pub const HEADER_LEN: usize = 512;
pub const ENTRY_LEN: usize = 128;

/// Storages nested deeper than this are left out (their content is not reachable).
const MAX_DEPTH: usize = 256;

/// FAT sectors read ahead of the one a chain needs, so that a long chain is followed in
/// few steps.
const CHAIN_BATCH: u64 = 1024;

fn corrupt(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::StgDocfileCorrupt,
        format!("the compound file is damaged: {why}"),
    )
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(FREESECT, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map_or(0, |s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

/// A file's bytes, read at offsets (positioned reads: threads do not share a cursor).
pub struct FileSource(pub std::fs::File);

impl ReadAt for FileSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        crate::platform::read_at(&self.0, buf, offset)
            .map_err(|e| Error::io("reading the compound file", &e))
    }
}

/// A compound file being read: its geometry and the tables read so far.
pub struct CompoundFile {
    source: Arc<dyn ReadAt>,
    len: u64,
    shift: u32,
    /// Sectors that start inside the file (the last may be cut short).
    sectors: u32,
    header_difat: [u32; HEADER_DIFAT],
    first_minifat: u32,
    first_dir: u32,
    tables: Mutex<Tables>,
}

#[derive(Default)]
struct Tables {
    /// FAT sector numbers found in DIFAT sectors, in order (after the header's 109).
    difat: Vec<u32>,
    /// The next DIFAT sector to read (a number past the file once the chain ended).
    difat_next: u32,
    difat_steps: u32,
    /// FAT sectors read so far, by their place in the FAT.
    fat: Vec<Option<Box<[u32]>>>,
    /// Where the mini stream is (the root entry's start and size).
    mini_root: (u32, u64),
    mini: Option<Arc<MiniSpace>>,
}

/// The mini stream and the mini FAT, read whole on first use.
struct MiniSpace {
    data: Vec<u8>,
    fat: Vec<u32>,
}

/// One element of the directory, as reached from the root.
#[derive(Clone, Debug)]
pub struct DirEntry {
    pub name: String,
    pub is_storage: bool,
    pub clsid: [u8; 16],
    pub state_bits: u32,
    pub ctime: u64,
    pub mtime: u64,
    pub start: u32,
    pub size: u64,
    /// Indexes (into [`Directory::entries`]) of the elements inside a storage.
    pub children: Vec<usize>,
}

/// The directory tree: entry 0 is the root.
pub struct Directory {
    pub entries: Vec<DirEntry>,
}

impl CompoundFile {
    /// Reads the header of the compound file in `source` (`len` bytes).
    pub fn open_header(source: Arc<dyn ReadAt>, len: u64) -> Result<CompoundFile> {
        let mut header = [0u8; HEADER_LEN];
        let n = source.read_at(0, &mut header)?;
        if n < HEADER_LEN || header[..8] != SIGNATURE {
            return Err(corrupt("the header is missing or cut short"));
        }
        let shift = u32::from(u16_at(&header, 0x1E));
        if !(6..=20).contains(&shift) {
            return Err(corrupt(format!("a sector size of 2^{shift} bytes")));
        }
        let sector = 1u64 << shift;
        let sectors = (len.saturating_sub(sector)).div_ceil(sector);
        let sectors = u32::try_from(sectors)
            .unwrap_or(u32::MAX - 8)
            .min(0xFFFF_FFF0);
        let mut header_difat = [FREESECT; HEADER_DIFAT];
        for (i, slot) in header_difat.iter_mut().enumerate() {
            *slot = u32_at(&header, 0x4C + 4 * i);
        }
        let per = (sector / 4) as usize;
        let fat_sectors = (sectors as usize).div_ceil(per);
        Ok(CompoundFile {
            source,
            len,
            shift,
            sectors,
            header_difat,
            first_minifat: u32_at(&header, 0x3C),
            first_dir: u32_at(&header, 0x30),
            tables: Mutex::new(Tables {
                difat_next: u32_at(&header, 0x44),
                fat: std::iter::repeat_with(|| None).take(fat_sectors).collect(),
                ..Tables::default()
            }),
        })
    }

    /// Opens the compound file in `source`: its header and its directory.
    pub fn open(source: Arc<dyn ReadAt>, len: u64) -> Result<(Arc<CompoundFile>, Directory)> {
        let file = CompoundFile::open_header(source, len)?;
        let dir = file.read_directory()?;
        let root = &dir.entries[0];
        file.set_mini_stream(root.start, root.size);
        Ok((Arc::new(file), dir))
    }

    /// The format to write this file back in.
    pub fn version(&self) -> Version {
        if self.shift == 12 {
            Version::V4
        } else {
            Version::V3
        }
    }

    fn sector_size(&self) -> u64 {
        1 << self.shift
    }

    /// Where the mini stream is: the root entry's start sector and size.
    pub fn set_mini_stream(&self, start: u32, size: u64) {
        let mut t = self.tables.lock();
        t.mini_root = (start, size.min(self.len));
        t.mini = None;
    }

    /// A stream's content: `size` bytes from sector `start`, in the mini stream when
    /// `size` is under the cut-off.
    pub fn stream(self: &Arc<Self>, start: u32, size: u64) -> StreamSource {
        let mini = size < MINI_CUTOFF;
        let size = if mini {
            size.min(self.tables.lock().mini_root.1)
        } else {
            size.min(self.len)
        };
        StreamSource {
            file: self.clone(),
            mini,
            len: size,
            chain: Mutex::new(Chain::new(start)),
        }
    }

    /// Reads up to `buf.len()` bytes of sector `sector` from byte `within`; short only at
    /// the end of the file.
    fn read_sector(&self, sector: u32, within: u64, buf: &mut [u8]) -> Result<usize> {
        let at = ((u64::from(sector) + 1) << self.shift) + within;
        self.source.read_at(at, buf)
    }

    /// The place of FAT sector `k`, or `FREESECT` when no sector holds it.
    fn fat_sector_of(&self, t: &mut Tables, k: usize) -> Result<u32> {
        if k < HEADER_DIFAT {
            return Ok(self.header_difat[k]);
        }
        let j = k - HEADER_DIFAT;
        let per = (self.sector_size() / 4) as usize;
        while t.difat.len() <= j && t.difat_next < self.sectors && t.difat_steps < self.sectors {
            let mut raw = vec![0xFFu8; per * 4];
            self.read_sector(t.difat_next, 0, &mut raw)?;
            t.difat.extend((0..per - 1).map(|i| u32_at(&raw, 4 * i)));
            t.difat_next = u32_at(&raw, 4 * (per - 1));
            t.difat_steps += 1;
        }
        Ok(t.difat.get(j).copied().unwrap_or(FREESECT))
    }

    /// The FAT entry of sector `n` (< `sectors`): the next sector of its chain.
    fn fat_next(&self, t: &mut Tables, n: u32) -> Result<u32> {
        let per = (self.sector_size() / 4) as usize;
        let k = n as usize / per;
        if t.fat.get(k).is_none_or(|s| s.is_none()) {
            let at = self.fat_sector_of(t, k)?;
            let mut entries = vec![FREESECT; per].into_boxed_slice();
            if at < self.sectors {
                let mut raw = vec![0xFFu8; per * 4];
                self.read_sector(at, 0, &mut raw)?;
                for (i, e) in entries.iter_mut().enumerate() {
                    *e = u32_at(&raw, 4 * i);
                }
            }
            if k >= t.fat.len() {
                t.fat.resize_with(k + 1, || None);
            }
            t.fat[k] = Some(entries);
        }
        Ok(t.fat[k].as_ref().expect("read above")[n as usize % per])
    }

    /// The directory: its chain's sectors read, and the tree reachable from the root.
    fn read_directory(&self) -> Result<Directory> {
        let mut bytes = Vec::new();
        {
            let mut t = self.tables.lock();
            let mut seen = vec![0u64; (self.sectors as usize).div_ceil(64)];
            let mut s = self.first_dir;
            let sector = self.sector_size() as usize;
            while s < self.sectors && seen[s as usize / 64] & (1 << (s % 64)) == 0 {
                seen[s as usize / 64] |= 1 << (s % 64);
                let at = bytes.len();
                bytes.resize(at + sector, 0);
                let n = self.read_sector(s, 0, &mut bytes[at..])?;
                bytes.truncate(at + n);
                if n < sector {
                    break; // the file ends inside this sector
                }
                s = self.fat_next(&mut t, s)?;
            }
        }
        if bytes.len() < ENTRY_LEN {
            return Err(corrupt("the directory cannot be found"));
        }
        Ok(build_tree(&bytes, self.shift == 9))
    }
}

/// The elements reachable from the root entry (entry 0, whatever its type says).
fn build_tree(bytes: &[u8], small_sectors: bool) -> Directory {
    let count = bytes.len() / ENTRY_LEN;
    let raw = |sid: usize| &bytes[sid * ENTRY_LEN..(sid + 1) * ENTRY_LEN];
    let mut used = vec![false; count];
    used[0] = true;
    let mut entries = vec![parse_entry(raw(0), small_sectors, true)];
    // Storages whose sibling trees are still to be walked: (entry index, child link, depth).
    let mut storages = vec![(0usize, u32_at(raw(0), 0x4C), 0usize)];
    while let Some((index, child, depth)) = storages.pop() {
        let mut stack = vec![child];
        let mut children = Vec::new();
        while let Some(sid) = stack.pop() {
            let sid = sid as usize;
            if sid >= count || used[sid] {
                continue;
            }
            used[sid] = true;
            let e = raw(sid);
            stack.push(u32_at(e, 0x44));
            stack.push(u32_at(e, 0x48));
            // Only storages and streams are elements; the links of anything else are
            // still followed, as they may lead to elements.
            match e[0x42] {
                1 if depth < MAX_DEPTH => {
                    children.push(entries.len());
                    storages.push((entries.len(), u32_at(e, 0x4C), depth + 1));
                    entries.push(parse_entry(e, small_sectors, true));
                }
                2 => {
                    children.push(entries.len());
                    entries.push(parse_entry(e, small_sectors, false));
                }
                _ => {}
            }
        }
        entries[index].children = children;
    }
    Directory { entries }
}

fn parse_entry(e: &[u8], small_sectors: bool, is_storage: bool) -> DirEntry {
    let low = u64::from(u32_at(e, 0x78));
    // Version 3 files keep only 32 bits of size; the high half is ignored there.
    let size = if small_sectors {
        low
    } else {
        low | u64::from(u32_at(e, 0x7C)) << 32
    };
    let mut clsid = [0u8; 16];
    clsid.copy_from_slice(&e[0x50..0x60]);
    DirEntry {
        name: entry_name(e),
        is_storage,
        clsid,
        state_bits: u32_at(e, 0x60),
        ctime: u64_at(e, 0x64),
        mtime: u64_at(e, 0x6C),
        start: u32_at(e, 0x74),
        size,
        children: Vec::new(),
    }
}

/// An entry's name: its length field believed where it is plausible, else the units up to
/// the first NUL; lone surrogates and the characters names may not hold become '_', and an
/// empty name becomes "_" (every element must be openable by name).
fn entry_name(e: &[u8]) -> String {
    let units: Vec<u16> = (0..32).map(|i| u16_at(e, 2 * i)).collect();
    let to_nul = units.iter().position(|&u| u == 0).unwrap_or(31).min(31);
    let by_len = (usize::from(u16_at(e, 0x40)).min(64) / 2).saturating_sub(1);
    let n = if by_len > 0 {
        by_len.min(to_nul)
    } else {
        to_nul
    };
    let name: String = char::decode_utf16(units[..n].iter().copied())
        .map(|c| match c {
            Ok('/' | '\\' | ':' | '!') | Err(_) => '_',
            Ok(c) => c,
        })
        .collect();
    if name.is_empty() { "_".into() } else { name }
}

// ===== streams =====

/// A run of consecutive sectors of a chain.
#[derive(Clone, Copy)]
struct Run {
    /// Index in the stream of the run's first sector.
    index: u64,
    sector: u32,
    count: u32,
}

/// The part of a stream's chain found so far.
struct Chain {
    runs: Vec<Run>,
    found: u64,
    next: u32,
    ended: bool,
}

impl Chain {
    fn new(start: u32) -> Chain {
        Chain {
            runs: Vec::new(),
            found: 0,
            next: start,
            ended: false,
        }
    }

    fn push(&mut self, sector: u32) {
        match self.runs.last_mut() {
            Some(r) if r.sector.checked_add(r.count) == Some(sector) && r.count < u32::MAX => {
                r.count += 1
            }
            _ => self.runs.push(Run {
                index: self.found,
                sector,
                count: 1,
            }),
        }
        self.found += 1;
    }
}

/// The content of one stream of a [`CompoundFile`], read on demand.
pub struct StreamSource {
    file: Arc<CompoundFile>,
    mini: bool,
    len: u64,
    chain: Mutex<Chain>,
}

impl StreamSource {
    pub(super) fn len(&self) -> u64 {
        self.len
    }
}

impl ReadAt for StreamSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mini = if self.mini && offset < self.len {
            Some(self.file.mini()?)
        } else {
            None
        };
        self.file
            .read_chain(&self.chain, mini.as_deref(), self.len, offset, buf)
    }
}

impl CompoundFile {
    /// Follows `chain` (in the mini stream when `mini` is given) until it covers sector index
    /// `want` of a stream of `len` bytes, or ends; returns the runs that cover `from..=want`.
    fn runs(
        &self,
        chain: &Mutex<Chain>,
        mini: Option<&MiniSpace>,
        len: u64,
        from: u64,
        want: u64,
    ) -> Result<Vec<Run>> {
        let mut c = chain.lock();
        let shift = if mini.is_some() {
            MINI_SHIFT
        } else {
            self.shift
        };
        let limit = len.div_ceil(1 << shift);
        if c.found <= want && !c.ended {
            let target = want.saturating_add(CHAIN_BATCH).min(limit);
            match mini {
                Some(m) => {
                    let count = (m.data.len() as u64).div_ceil(1 << MINI_SHIFT);
                    while c.found < target {
                        let s = c.next;
                        if u64::from(s) >= count {
                            c.ended = true;
                            break;
                        }
                        c.push(s);
                        c.next = m.fat.get(s as usize).copied().unwrap_or(ENDOFCHAIN);
                    }
                }
                None => {
                    let mut t = self.tables.lock();
                    while c.found < target {
                        let s = c.next;
                        if s >= self.sectors {
                            c.ended = true;
                            break;
                        }
                        c.push(s);
                        c.next = self.fat_next(&mut t, s)?;
                    }
                }
            }
            if c.found >= limit {
                c.ended = true;
            }
        }
        let first = c
            .runs
            .partition_point(|r| r.index + u64::from(r.count) <= from);
        Ok(c.runs[first..]
            .iter()
            .take_while(|r| r.index <= want)
            .copied()
            .collect())
    }

    /// Reads up to `buf.len()` bytes at `offset` of the stream of `len` bytes whose chain is
    /// `chain`; fewer where the chain ends early or leaves the file, 0 at the end.
    fn read_chain(
        &self,
        chain: &Mutex<Chain>,
        mini: Option<&MiniSpace>,
        len: u64,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize> {
        if offset >= len || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(len - offset) as usize;
        let shift = if mini.is_some() {
            MINI_SHIFT
        } else {
            self.shift
        };
        let first = offset >> shift;
        let last = (offset + want as u64 - 1) >> shift;
        let mut done = 0;
        for run in self.runs(chain, mini, len, first, last)? {
            let pos = offset + done as u64;
            if pos >> shift < run.index {
                break; // a gap: the chain ended before this sector
            }
            let within_run = pos - (run.index << shift);
            let run_bytes = u64::from(run.count) << shift;
            if within_run >= run_bytes {
                continue;
            }
            let n = ((run_bytes - within_run) as usize).min(want - done);
            let out = &mut buf[done..done + n];
            let got = match mini {
                Some(m) => {
                    let at = (u64::from(run.sector) << MINI_SHIFT) + within_run;
                    let avail = (m.data.len() as u64).saturating_sub(at).min(n as u64) as usize;
                    out[..avail].copy_from_slice(&m.data[at as usize..at as usize + avail]);
                    avail
                }
                None => self.read_sector(run.sector, within_run, out)?,
            };
            done += got;
            if got < n || done == want {
                break;
            }
        }
        Ok(done)
    }

    /// Reads `len` bytes of the regular chain from `start`; what the chain does not reach
    /// stays `fill`.
    fn read_whole(&self, start: u32, len: u64, fill: u8) -> Result<Vec<u8>> {
        let chain = Mutex::new(Chain::new(start));
        let mut out = vec![fill; len as usize];
        let mut done = 0;
        while done < out.len() {
            match self.read_chain(&chain, None, len, done as u64, &mut out[done..])? {
                0 => break,
                n => done += n,
            }
        }
        Ok(out)
    }

    /// The mini stream and mini FAT, read on first use.
    fn mini(&self) -> Result<Arc<MiniSpace>> {
        let (start, size) = {
            let t = self.tables.lock();
            if let Some(m) = &t.mini {
                return Ok(m.clone());
            }
            t.mini_root
        };
        let data = self.read_whole(start, size, 0)?;
        let fat_len = (size.div_ceil(1 << MINI_SHIFT) * 4).min(self.len);
        let fat = self
            .read_whole(self.first_minifat, fat_len, 0xFF)?
            .chunks_exact(4)
            .map(|c| u32_at(c, 0))
            .collect();
        let space = Arc::new(MiniSpace { data, fat });
        Ok(self.tables.lock().mini.get_or_insert(space).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_mended() {
        let mut e = [0u8; ENTRY_LEN];
        for (i, c) in "a/b".encode_utf16().enumerate() {
            e[2 * i..2 * i + 2].copy_from_slice(&c.to_le_bytes());
        }
        e[0x40] = 8;
        assert_eq!(entry_name(&e), "a_b");
        // A length field of 0 or past 64 bytes: up to the NUL.
        e[0x40] = 0;
        assert_eq!(entry_name(&e), "a_b");
        e[0x40] = 200;
        assert_eq!(entry_name(&e), "a_b");
        // A lone surrogate; an empty name.
        e[0..2].copy_from_slice(&0xD800u16.to_le_bytes());
        e[0x40] = 8;
        assert_eq!(entry_name(&e), "__b");
        assert_eq!(entry_name(&[0u8; ENTRY_LEN]), "_");
    }

    // ===== hostile files (issue 14): each ends in a clear error or the readable part =====

    use std::time::{Duration, Instant};

    use crate::consts::*;
    use crate::error::ErrorKind;
    use crate::storage::docfile::{create_file, open_file};
    use crate::storage::{Blob, Storage};

    /// A small version-3 file: a 20,000-byte stream (FAT chain), a 100-byte stream (mini
    /// stream) and a storage holding one more stream.
    fn sample() -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.msg");
        let rw = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;
        let root = create_file(&path, rw | STGM_CREATE, Version::V3).unwrap();
        let big: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        root.write_stream("big", &Blob::from_vec(big)).unwrap();
        root.write_stream("small", &Blob::from_vec(vec![7; 100]))
            .unwrap();
        let sub = root.create_storage("sub", rw).unwrap();
        sub.write_stream("inner", &Blob::from_vec(vec![9; 10]))
            .unwrap();
        drop(sub);
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        let bytes = std::fs::read(&path).unwrap();
        (dir, path, bytes)
    }

    /// The byte offset of the directory entry named `name`.
    fn entry_at(file: &[u8], name: &str) -> usize {
        let units: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        (HEADER_LEN..file.len())
            .step_by(ENTRY_LEN)
            .find(|&at| {
                file[at..].starts_with(&units)
                    && u16_at(file, at + 0x40) as usize == units.len() + 2
            })
            .unwrap_or_else(|| panic!("no entry {name}"))
    }

    fn put32(file: &mut [u8], at: usize, v: u32) {
        file[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// The byte offset of the FAT entry of sector `s` (the first FAT sector only).
    fn fat_entry(file: &[u8], s: u32) -> usize {
        (u32_at(file, 0x4C) as usize + 1) * 512 + 4 * s as usize
    }

    /// Opens `bytes` and reads every stream: the names and lengths read, or the error.
    fn read_all(
        path: &std::path::Path,
        bytes: &[u8],
    ) -> std::result::Result<Vec<(String, usize)>, Error> {
        std::fs::write(path, bytes).unwrap();
        let started = Instant::now();
        let root = open_file(path, STGM_READ | STGM_SHARE_DENY_WRITE)?;
        let mut out = Vec::new();
        fn walk(s: &dyn Storage, prefix: &str, out: &mut Vec<(String, usize)>) -> Result<()> {
            for e in s.elements()? {
                let name = format!("{prefix}{}", e.name);
                match e.kind {
                    crate::storage::ElementKind::Stream => {
                        out.push((name, s.read_stream(&e.name, 1 << 32)?.len()));
                    }
                    crate::storage::ElementKind::Storage => {
                        let sub = s.open_storage(&e.name, STGM_READ | STGM_SHARE_EXCLUSIVE)?;
                        walk(sub.as_ref(), &format!("{name}/"), out)?;
                    }
                }
            }
            Ok(())
        }
        walk(root.as_ref(), "", &mut out)?;
        assert!(started.elapsed() < Duration::from_secs(5));
        Ok(out)
    }

    fn corrupt_kind(r: std::result::Result<Vec<(String, usize)>, Error>) -> ErrorKind {
        r.expect_err("refused").kind
    }

    #[test]
    fn hostile_files_give_the_readable_part_or_a_clear_error() {
        let (_dir, path, good) = sample();
        let whole = read_all(&path, &good).unwrap();
        assert_eq!(
            whole,
            [
                ("big".to_string(), 20_000),
                ("small".to_string(), 100),
                ("sub/inner".to_string(), 10)
            ]
        );
        let big = entry_at(&good, "big");
        let start = u32_at(&good, big + 0x74);

        // A stream size of 4 GiB over a chain of 40 sectors: the stream claims no more than
        // the file holds, and reads as far as its chain goes.
        let mut f = good.clone();
        put32(&mut f, big + 0x78, 0xFFFF_FFFF);
        let got = read_all(&path, &f).unwrap();
        let big_len = got.iter().find(|(n, _)| n == "big").unwrap().1;
        assert!((20_000..=f.len()).contains(&big_len), "{big_len}");

        // A FAT loop: the stream's second sector leads back to its first.
        let mut f = good.clone();
        let second = u32_at(&good, fat_entry(&good, start));
        put32(&mut f, fat_entry(&good, second), start);
        let got = read_all(&path, &f).unwrap();
        assert!(got.iter().any(|(n, l)| n == "big" && *l <= 20_000));

        // A FAT entry pointing past the end of the file ends the chain there.
        let mut f = good.clone();
        put32(&mut f, fat_entry(&good, start), 0x00FF_FFFF);
        let got = read_all(&path, &f).unwrap();
        assert!(got.iter().any(|(n, l)| n == "big" && *l <= 20_000));

        // Sibling and child links that lead back to the root or to themselves: every
        // element is listed once.
        let mut f = good.clone();
        let small = entry_at(&good, "small");
        put32(&mut f, small + 0x44, 0);
        put32(
            &mut f,
            small + 0x48,
            ((small - HEADER_LEN) / ENTRY_LEN) as u32,
        );
        let sub = entry_at(&good, "sub");
        put32(&mut f, sub + 0x4C, 0);
        let got = read_all(&path, &f).unwrap();
        let mut names: Vec<_> = got.iter().map(|(n, _)| n.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), got.len(), "{got:?}");
        assert!(
            names.contains(&"big") && names.contains(&"small"),
            "{got:?}"
        );

        // Sector sizes of 2^20 (the largest any reader takes; the directory is then past
        // the end of this small file) and 2^21: refused as damaged.
        for shift in [20u16, 21, 0, 5] {
            let mut f = good.clone();
            f[0x1E..0x20].copy_from_slice(&shift.to_le_bytes());
            assert_eq!(
                corrupt_kind(read_all(&path, &f)),
                ErrorKind::StgDocfileCorrupt
            );
        }

        // The directory's first sector past the end of the file.
        let mut f = good.clone();
        put32(&mut f, 0x30, 0x7FFF_FFFF);
        assert_eq!(
            corrupt_kind(read_all(&path, &f)),
            ErrorKind::StgDocfileCorrupt
        );

        // Cut short in the middle of the last sector, and at every sector: no panic, the
        // readable part or a clear error.
        for cut in (HEADER_LEN..good.len())
            .step_by(512)
            .chain([good.len() - 100])
        {
            if let Err(e) = read_all(&path, &good[..cut]) {
                assert_eq!(e.kind, ErrorKind::StgDocfileCorrupt, "cut at {cut}: {e}");
            }
        }
        let got = read_all(&path, &good[..good.len() - 100]).unwrap();
        assert_eq!(got.len(), 3, "{got:?}");
    }
}
