//! Byte content of a stream: cheap to snapshot, copy-on-write, and spilled to a scratch file
//! of its own once it grows past [`SPILL_THRESHOLD`], so a 1 GiB stream never sits in
//! memory. Each chunk goes to the slot of its own index when it can, where a compound file
//! written into the scratch file would have the stream: a commit may then make that file
//! the new compound file instead of copying the stream (`publish`).
//!
//! A blob is a length plus a list of fixed-size chunks. Cloning a blob clones the chunk
//! list (reference counts only); writing copies just the chunks it touches. Content that
//! lives elsewhere (a stream of the compound file we opened, a caller's IStream) enters as
//! [`Blob::external`] and is read on demand.

use std::fs::File;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};

/// Size of one chunk. Large enough that a 1 GiB blob has a 16k-entry chunk list, small
/// enough that rewriting a few bytes copies little.
pub const CHUNK: usize = 64 * 1024;

/// Streams longer than this keep their chunks in the scratch file, not in memory.
pub const SPILL_THRESHOLD: u64 = 1024 * 1024;

/// Random access to bytes kept somewhere else.
pub trait ReadAt: Send + Sync {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at the end).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;
}

#[derive(Clone)]
enum Chunk {
    /// Zero bytes not yet backed by anything (a stream extended with SetSize).
    Zero,
    Mem(Arc<Vec<u8>>),
    Scratch(Arc<ScratchSlot>),
    /// The same span of an external source.
    External(Arc<dyn ReadAt>),
}

#[derive(Clone)]
enum Repr {
    /// Untouched external content: reads go straight through.
    Whole(Arc<dyn ReadAt>),
    Chunks(Vec<Chunk>),
}

/// The content of one stream.
#[derive(Clone)]
pub struct Blob {
    len: u64,
    repr: Repr,
    /// The scratch file this blob's spilled chunks go to (its own, shared only with its
    /// snapshots), so that a commit may turn it into the new compound file.
    home: Option<Arc<ScratchFile>>,
}

impl Default for Blob {
    fn default() -> Blob {
        Blob {
            len: 0,
            repr: Repr::Chunks(Vec::new()),
            home: None,
        }
    }
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blob({} bytes)", self.len)
    }
}

fn span(len: u64, index: usize) -> usize {
    let start = index as u64 * CHUNK as u64;
    (len.saturating_sub(start)).min(CHUNK as u64) as usize
}

fn chunk_count(len: u64) -> usize {
    len.div_ceil(CHUNK as u64) as usize
}

impl Blob {
    pub fn from_vec(data: Vec<u8>) -> Blob {
        let mut blob = Blob::default();
        if data.len() <= CHUNK {
            if !data.is_empty() {
                blob.len = data.len() as u64;
                blob.repr = Repr::Chunks(vec![Chunk::Mem(Arc::new(data))]);
            }
            return blob;
        }
        // Large vectors are split (and spilled) like any other write.
        blob.write_at(0, &data)
            .map(|_| blob)
            .unwrap_or_else(|_| Blob::from_vec_unspilled(data))
    }

    /// Splits into memory chunks without spilling (fallback when the scratch file fails).
    fn from_vec_unspilled(data: Vec<u8>) -> Blob {
        let len = data.len() as u64;
        let chunks = data
            .chunks(CHUNK)
            .map(|c| Chunk::Mem(Arc::new(c.to_vec())))
            .collect();
        Blob {
            len,
            repr: Repr::Chunks(chunks),
            home: None,
        }
    }

    /// Content of `len` bytes read on demand from `source`.
    pub fn external(source: Arc<dyn ReadAt>, len: u64) -> Blob {
        Blob {
            len,
            repr: Repr::Whole(source),
            home: None,
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when the content is still exactly an untouched external source.
    pub fn is_external(&self) -> bool {
        matches!(self.repr, Repr::Whole(_))
    }

    /// Reads at `offset`; returns the number of bytes read (0 at or past the end).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if offset >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.len - offset) as usize;
        let buf = &mut buf[..want];
        match &self.repr {
            Repr::Whole(source) => read_full(source.as_ref(), offset, buf)?,
            Repr::Chunks(chunks) => {
                let mut done = 0;
                while done < want {
                    let pos = offset + done as u64;
                    let index = (pos / CHUNK as u64) as usize;
                    let within = (pos % CHUNK as u64) as usize;
                    let n = (span(self.len, index) - within).min(want - done);
                    let out = &mut buf[done..done + n];
                    match &chunks[index] {
                        Chunk::Zero => out.fill(0),
                        Chunk::Mem(data) => out.copy_from_slice(&data[within..within + n]),
                        Chunk::Scratch(slot) => slot.read(within, out)?,
                        Chunk::External(source) => read_full(
                            source.as_ref(),
                            index as u64 * CHUNK as u64 + within as u64,
                            out,
                        )?,
                    }
                    done += n;
                }
            }
        }
        Ok(want)
    }

    /// Reads the whole content into memory.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        let len = usize::try_from(self.len)
            .map_err(|_| Error::new(ErrorKind::NotEnoughMemory, "value too large for memory"))?;
        let mut out = vec![0u8; len];
        self.read_at(0, &mut out)?;
        Ok(out)
    }

    /// Turns the whole-source form into a chunk list so that chunks can be replaced.
    fn chunks_mut(&mut self) -> &mut Vec<Chunk> {
        if let Repr::Whole(source) = &self.repr {
            let chunks = vec![Chunk::External(source.clone()); chunk_count(self.len)];
            self.repr = Repr::Chunks(chunks);
        }
        match &mut self.repr {
            Repr::Chunks(chunks) => chunks,
            Repr::Whole(_) => unreachable!("converted above"),
        }
    }

    fn spilled(&self) -> bool {
        self.len > SPILL_THRESHOLD
    }

    /// Makes chunk `index` (of the current length) writable in place and returns its span.
    fn materialize(&mut self, index: usize) -> Result<()> {
        let len = self.len;
        let spill = self.spilled();
        let chunks = self.chunks_mut();
        let n = span(len, index);
        let bytes = match &mut chunks[index] {
            Chunk::Mem(data) if !spill => {
                Arc::make_mut(data).resize(n, 0);
                return Ok(());
            }
            // A slot of a sealed file is a sector of a compound file now: never written.
            Chunk::Scratch(slot) if Arc::strong_count(slot) == 1 && !slot.file.sealed() => {
                return Ok(());
            }
            other => {
                let mut bytes = vec![0u8; n];
                match other {
                    Chunk::Zero => {}
                    Chunk::Mem(data) => {
                        let m = data.len().min(n);
                        bytes[..m].copy_from_slice(&data[..m]);
                    }
                    Chunk::Scratch(slot) => slot.read(0, &mut bytes)?,
                    Chunk::External(source) => {
                        read_full(source.as_ref(), index as u64 * CHUNK as u64, &mut bytes)?
                    }
                }
                bytes
            }
        };
        let chunk = if spill {
            self.new_slot(index, &bytes)?
        } else {
            Chunk::Mem(Arc::new(bytes))
        };
        self.chunks_mut()[index] = chunk;
        Ok(())
    }

    /// A chunk holding `bytes` in this blob's scratch file, at the place of chunk `index`
    /// when that is free.
    fn new_slot(&mut self, index: usize, bytes: &[u8]) -> Result<Chunk> {
        loop {
            let home = match &self.home {
                Some(home) if !home.sealed() => home.clone(),
                _ => {
                    let home = Arc::new(ScratchFile::create()?);
                    self.home = Some(home.clone());
                    home
                }
            };
            // None: sealed meanwhile by a commit of a snapshot; take a new file.
            if let Some(slot) = ScratchSlot::with(&home, index as u64, bytes)? {
                return Ok(Chunk::Scratch(Arc::new(slot)));
            }
        }
    }

    /// The scratch file that holds all of this blob, each chunk at its own index (so at the
    /// place a compound file written into that file gives the stream), when that file can
    /// become one (it can be given a name, and no commit has made it one already).
    pub fn in_place_file(&self) -> Option<Arc<ScratchFile>> {
        let home = self.home.as_ref()?;
        let Repr::Chunks(chunks) = &self.repr else {
            return None;
        };
        if !home.linkable || home.sealed() || chunks.len() != chunk_count(self.len) {
            return None;
        }
        let all_in_place = chunks.iter().enumerate().all(|(i, c)| {
            matches!(c, Chunk::Scratch(slot) if Arc::ptr_eq(&slot.file, home) && slot.index == i as u64)
        });
        all_in_place.then(|| home.clone())
    }

    /// Writes `data` at `offset`, extending the content with zeros if needed.
    pub fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(|| Error::new(ErrorKind::StgInvalidParameter, "write past 2^64"))?;
        if end > self.len {
            self.set_len(end)?;
        }
        let mut done = 0;
        while done < data.len() {
            let pos = offset + done as u64;
            let index = (pos / CHUNK as u64) as usize;
            let within = (pos % CHUNK as u64) as usize;
            let n = (span(self.len, index) - within).min(data.len() - done);
            let piece = &data[done..done + n];
            if within == 0 && n == span(self.len, index) {
                // A whole chunk is replaced: no need to read the old one.
                let chunk = if self.spilled() {
                    self.new_slot(index, piece)?
                } else {
                    Chunk::Mem(Arc::new(piece.to_vec()))
                };
                self.chunks_mut()[index] = chunk;
            } else {
                self.materialize(index)?;
                match &mut self.chunks_mut()[index] {
                    Chunk::Mem(bytes) => {
                        Arc::make_mut(bytes)[within..within + n].copy_from_slice(piece)
                    }
                    Chunk::Scratch(slot) => slot.write(within, piece)?,
                    _ => unreachable!("materialize leaves a writable chunk"),
                }
            }
            done += n;
        }
        Ok(())
    }

    /// Truncates or zero-extends to `new_len`.
    pub fn set_len(&mut self, new_len: u64) -> Result<()> {
        let old_len = self.len;
        if new_len < old_len {
            // Bytes left past the end inside the tail chunk are cleared if it ever grows again.
            let count = chunk_count(new_len);
            self.chunks_mut().truncate(count);
            self.len = new_len;
            return Ok(());
        }
        if new_len == old_len {
            return Ok(());
        }
        let was_spilled = self.spilled();
        // Clear what lies past the old end inside the old tail chunk, then add zero chunks.
        let old_count = chunk_count(old_len);
        let tail_used = span(old_len, old_count.saturating_sub(1));
        if old_count > 0 && tail_used < CHUNK {
            let zeros = (CHUNK - tail_used).min((new_len - old_len) as usize);
            self.len = old_len + zeros as u64;
            self.materialize(old_count - 1)?;
            match &mut self.chunks_mut()[old_count - 1] {
                Chunk::Mem(data) => Arc::make_mut(data)[tail_used..].fill(0),
                Chunk::Scratch(slot) => slot.write(tail_used, &vec![0u8; zeros])?,
                _ => unreachable!("materialize leaves a writable chunk"),
            }
        }
        self.len = new_len;
        let count = chunk_count(new_len);
        self.chunks_mut().resize(count, Chunk::Zero);
        if !was_spilled && self.spilled() {
            self.spill()?;
        }
        Ok(())
    }

    /// Moves every memory chunk to the scratch file.
    fn spill(&mut self) -> Result<()> {
        let len = self.len;
        for index in 0..self.chunks_mut().len() {
            if let Chunk::Mem(data) = &self.chunks_mut()[index] {
                let mut bytes = data.as_ref().clone();
                bytes.resize(span(len, index), 0);
                let chunk = self.new_slot(index, &bytes)?;
                self.chunks_mut()[index] = chunk;
            }
        }
        Ok(())
    }

    /// Bytes of this blob currently held in memory (for tests and accounting).
    pub fn resident_bytes(&self) -> usize {
        match &self.repr {
            Repr::Whole(_) => 0,
            Repr::Chunks(chunks) => chunks
                .iter()
                .map(|c| match c {
                    Chunk::Mem(data) => data.len(),
                    _ => 0,
                })
                .sum(),
        }
    }
}

/// Reads exactly `buf.len()` bytes; a short source reads as zeros past its end, which keeps
/// a blob's length authoritative even over a truncated or damaged source.
fn read_full(source: &dyn ReadAt, offset: u64, buf: &mut [u8]) -> Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n = source.read_at(offset + done as u64, &mut buf[done..])?;
        if n == 0 {
            buf[done..].fill(0);
            break;
        }
        done += n;
    }
    Ok(())
}

// ===== scratch files =====

/// Where slot 0 of a scratch file starts: room for a compound-file header of either
/// version, and every slot on a sector boundary of either, so that a commit can make the
/// file a compound file whose stream sectors are the slots (see `publish`). A whole chunk
/// rather than the 4096 bytes that would do: slots aligned on their size are cached in
/// whole large pages, which made writing and reading a 1 GiB stream 10-15% faster.
pub const SCRATCH_HEADER: u64 = CHUNK as u64;

/// The scratch file of a spilled blob and its snapshots: fixed-size slots, reused through a
/// free list, each chunk in the slot of its own index when that is free. Unnamed: nothing
/// is left behind by a process that dies.
pub struct ScratchFile {
    file: File,
    /// It can be given a name (`platform::link_unnamed`), and so become a compound file.
    linkable: bool,
    slots: Mutex<SlotAllocator>,
}

#[derive(Default)]
struct SlotAllocator {
    free: Vec<u64>,
    next: u64,
    /// A commit made the file a compound file: its slots are never written, freed or
    /// handed out again.
    sealed: bool,
}

impl ScratchFile {
    fn new(file: File, linkable: bool) -> ScratchFile {
        ScratchFile {
            file,
            linkable,
            slots: Mutex::new(SlotAllocator::default()),
        }
    }

    fn create() -> Result<ScratchFile> {
        let dir = std::env::temp_dir();
        if let Some(file) = crate::platform::unnamed_file(&dir) {
            return Ok(ScratchFile::new(file, true));
        }
        tempfile::tempfile_in(&dir)
            .map(|file| ScratchFile::new(file, false))
            .map_err(|e| {
                Error::new(
                    ErrorKind::StgMediumFull,
                    format!("cannot create the scratch file for large streams: {e}"),
                )
            })
    }

    /// A slot for chunk `index`: that one if free, else another; `None` once sealed.
    fn allocate(&self, index: u64) -> Option<u64> {
        let mut slots = self.slots.lock();
        if slots.sealed {
            return None;
        }
        if index >= slots.next {
            let next = slots.next;
            slots.free.extend(next..index);
            slots.next = index + 1;
            return Some(index);
        }
        if let Some(at) = slots.free.iter().position(|&f| f == index) {
            return Some(slots.free.swap_remove(at));
        }
        Some(match slots.free.pop() {
            Some(free) => free,
            None => {
                slots.next += 1;
                slots.next - 1
            }
        })
    }

    fn release(&self, index: u64) {
        let mut slots = self.slots.lock();
        if slots.sealed {
            return;
        }
        slots.free.push(index);
        if slots.free.len() as u64 == slots.next && self.file.set_len(0).is_ok() {
            // Nothing lives in the file any more: emptied, it holds no disk space and the
            // kernel drops its unwritten pages instead of writing them out. No slot is
            // being written, since every slot is free.
            slots.free.clear();
            slots.next = 0;
        }
    }

    pub fn sealed(&self) -> bool {
        self.slots.lock().sealed
    }

    /// Makes the file a compound file's: from now on its slots are only read. Returns
    /// where the slots end (what follows is free for the compound file's other sectors),
    /// or `None` if it was sealed already.
    pub fn seal(&self) -> Option<u64> {
        let mut slots = self.slots.lock();
        if slots.sealed {
            return None;
        }
        slots.sealed = true;
        Some(SCRATCH_HEADER + slots.next * CHUNK as u64)
    }

    pub fn file(&self) -> &File {
        &self.file
    }
}

/// One chunk's worth of space in a scratch file; returned to the free list on drop.
struct ScratchSlot {
    file: Arc<ScratchFile>,
    index: u64,
}

impl ScratchSlot {
    /// A slot of `file` holding `bytes` (chunk `index`'s), or `None` if `file` is sealed.
    fn with(file: &Arc<ScratchFile>, index: u64, bytes: &[u8]) -> Result<Option<ScratchSlot>> {
        let Some(at) = file.allocate(index) else {
            return Ok(None);
        };
        let slot = ScratchSlot {
            file: file.clone(),
            index: at,
        };
        slot.write(0, bytes)?;
        Ok(Some(slot))
    }

    fn offset(&self, within: usize) -> u64 {
        SCRATCH_HEADER + self.index * CHUNK as u64 + within as u64
    }

    fn read(&self, within: usize, out: &mut [u8]) -> Result<()> {
        crate::platform::read_exact_at(&self.file.file, out, self.offset(within))
            .map_err(|e| Error::io("reading the scratch file", &e))
    }

    fn write(&self, within: usize, data: &[u8]) -> Result<()> {
        crate::platform::write_all_at(&self.file.file, data, self.offset(within))
            .map_err(|e| Error::io("writing the scratch file", &e))
    }
}

impl Drop for ScratchSlot {
    fn drop(&mut self) {
        self.file.release(self.index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize, seed: u8) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn writes_reads_and_snapshots_are_independent() {
        let mut a = Blob::default();
        a.write_at(0, &pattern(200_000, 1)).unwrap();
        let snapshot = a.clone();
        a.write_at(70_000, b"hello").unwrap();
        let mut buf = vec![0u8; 5];
        a.read_at(70_000, &mut buf).unwrap();
        assert_eq!(&buf, b"hello");
        snapshot.read_at(70_000, &mut buf).unwrap();
        assert_eq!(buf, pattern(200_000, 1)[70_000..70_005]);
        assert_eq!(a.len(), 200_000);
    }

    #[test]
    fn truncate_then_extend_reads_zeros() {
        let mut b = Blob::from_vec(pattern(100_000, 3));
        b.set_len(65_540).unwrap();
        b.set_len(140_000).unwrap();
        let all = b.to_vec().unwrap();
        assert_eq!(&all[..65_540], &pattern(100_000, 3)[..65_540]);
        assert!(all[65_540..].iter().all(|&x| x == 0));
    }

    #[test]
    fn large_blobs_spill_out_of_memory() {
        let mut b = Blob::default();
        let piece = pattern(CHUNK, 9);
        for i in 0..40 {
            b.write_at(i * CHUNK as u64, &piece).unwrap();
        }
        assert_eq!(b.len(), 40 * CHUNK as u64);
        assert!(b.resident_bytes() <= SPILL_THRESHOLD as usize);
        let mut buf = vec![0u8; CHUNK];
        b.read_at(39 * CHUNK as u64, &mut buf).unwrap();
        assert_eq!(buf, piece);
        // Overwriting inside a shared spilled chunk leaves the snapshot alone.
        let snapshot = b.clone();
        b.write_at(5, b"xyz").unwrap();
        snapshot.read_at(0, &mut buf).unwrap();
        assert_eq!(buf, piece);
    }

    #[test]
    fn the_scratch_file_is_emptied_when_nothing_lives_in_it() {
        let file = ScratchFile::new(tempfile::tempfile().unwrap(), false);
        let a = file.allocate(0).unwrap();
        let b = file.allocate(1).unwrap();
        let end = SCRATCH_HEADER + 2 * CHUNK as u64;
        crate::platform::write_all_at(&file.file, &[1u8; CHUNK], end - CHUNK as u64).unwrap();
        assert_eq!(file.file.metadata().unwrap().len(), end);
        file.release(b);
        assert_eq!(file.file.metadata().unwrap().len(), end);
        assert_eq!(file.allocate(1), Some(b));
        file.release(a);
        file.release(b);
        assert_eq!(file.file.metadata().unwrap().len(), 0);
        assert_eq!(file.allocate(0), Some(0));
        // Sealed, it keeps its slots and hands out no more.
        assert_eq!(file.seal(), Some(SCRATCH_HEADER + CHUNK as u64));
        assert_eq!(file.allocate(1), None);
        file.release(0);
        assert_eq!(file.seal(), None);
    }

    #[test]
    fn chunks_written_in_order_sit_at_their_own_index() {
        let mut b = Blob::default();
        let piece = pattern(CHUNK, 4);
        for i in 0..24 {
            b.write_at(i * CHUNK as u64, &piece).unwrap();
        }
        b.write_at(24 * CHUNK as u64, b"tail").unwrap();
        let home = b.in_place_file();
        if cfg!(target_os = "linux") {
            let home = home.expect("in place");
            // Rewriting a chunk shared with a snapshot moves it elsewhere.
            let snapshot = b.clone();
            b.write_at(3, b"x").unwrap();
            assert!(b.in_place_file().is_none());
            assert!(snapshot.in_place_file().is_some());
            // Once sealed, writes go to a new file and the sealed slots keep their bytes.
            drop(snapshot);
            let mut c = b.clone();
            home.seal().unwrap();
            c.write_at(7 * CHUNK as u64, b"after").unwrap();
            let mut buf = vec![0u8; CHUNK];
            crate::platform::read_exact_at(
                home.file(),
                &mut buf,
                SCRATCH_HEADER + 7 * CHUNK as u64,
            )
            .unwrap();
            assert_eq!(buf, piece);
            assert_eq!(&c.to_vec().unwrap()[7 * CHUNK..7 * CHUNK + 5], b"after");
            assert_eq!(&b.to_vec().unwrap()[7 * CHUNK..8 * CHUNK], &piece[..]);
        }
    }

    struct Source(Vec<u8>);
    impl ReadAt for Source {
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
            let start = (offset as usize).min(self.0.len());
            let n = buf.len().min(self.0.len() - start);
            buf[..n].copy_from_slice(&self.0[start..start + n]);
            Ok(n)
        }
    }

    #[test]
    fn external_content_is_copied_only_where_written() {
        let data = pattern(150_000, 7);
        let mut b = Blob::external(Arc::new(Source(data.clone())), data.len() as u64);
        assert!(b.is_external());
        b.write_at(100_000, b"ab").unwrap();
        assert!(!b.is_external());
        let mut expect = data;
        expect[100_000..100_002].copy_from_slice(b"ab");
        assert_eq!(b.to_vec().unwrap(), expect);
        assert_eq!(b.resident_bytes(), CHUNK);
    }
}
