//! Structured storage: the storage/stream traits the `.msg` codec writes through, and our
//! own compound files with transactions (DESIGN decision 9): a lenient reader that follows
//! only the chains asked for (`compound_reader`), a writer that writes a whole new file
//! front to back (`compound_writer`), element trees shared copy-on-write between the states
//! of a transaction (`tree`, `transaction`), publishing by rename (`publish`), and the
//! handles callers hold (`doc_storage`, `doc_stream`; entry points in `docfile`).
//!
//! A caller's own `IStorage` (ole32 on Windows, a C++ class of theirs) is adapted to the same
//! traits in the COM layer, so nothing above this module knows which kind it has.
#![forbid(unsafe_code)]

pub mod blob;
pub mod byte_arrays;
mod compound_reader;
mod compound_writer;
mod doc_storage;
mod doc_stream;
pub mod docfile;
pub mod element_copy;
pub mod element_names;
pub mod plain_file_stream;
mod publish;
mod share;
mod transaction;
mod tree;

/// Failures injected into the writing of a new compound file, counted per thread: unit
/// tests make the n-th write, resize, sync or rename of a commit fail as a full disk would.
#[cfg(test)]
pub(crate) mod faults {
    use std::cell::Cell;

    thread_local! {
        /// (operations seen, the one to fail; 0 = none).
        static PLAN: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
    }

    /// Makes the `at`-th operation from now fail (`at` >= 1).
    pub fn arm(at: u32) {
        PLAN.with(|p| p.set((0, at)));
    }

    /// Stops injecting; returns how many operations were seen since `arm`.
    pub fn disarm() -> u32 {
        PLAN.with(|p| p.replace((0, 0)).0)
    }

    pub fn hit() -> std::io::Result<()> {
        PLAN.with(|p| {
            let (seen, at) = p.get();
            p.set((seen + 1, at));
            if at != 0 && seen + 1 == at {
                Err(std::io::Error::from(std::io::ErrorKind::StorageFull))
            } else {
                Ok(())
            }
        })
    }
}

#[cfg(not(test))]
pub(crate) mod faults {
    #[inline(always)]
    pub fn hit() -> std::io::Result<()> {
        Ok(())
    }
}

use std::any::Any;
use std::io::SeekFrom;
use std::sync::Arc;

pub use blob::{Blob, ReadAt};

use crate::consts::*;
use crate::error::Result;

/// The compound-file format version: 3 has 512-byte sectors (what Outlook writes, files up
/// to 2 GB), 4 has 4096-byte sectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V3,
    V4,
}

impl Version {
    /// log2 of the sector size.
    pub fn sector_shift(self) -> u32 {
        match self {
            Version::V3 => 9,
            Version::V4 => 12,
        }
    }
}

/// Whether a directory entry is a storage or a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElementKind {
    Storage,
    Stream,
}

/// What `IStorage::Stat`, `IStream::Stat` and `EnumElements` report for one element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElementStat {
    pub name: String,
    pub kind: ElementKind,
    pub size: u64,
    /// FILETIME ticks.
    pub mtime: u64,
    pub ctime: u64,
    pub atime: u64,
    /// The `STGM_*` flags of the open object (0 for enumerated elements).
    pub mode: u32,
    /// The CLSID as its 16 on-disk bytes (`GUID` memory layout).
    pub clsid: [u8; 16],
    pub state_bits: u32,
}

/// One open storage (`IStorage`).
///
/// Every method may be called from any thread. Names are element names (at most 31
/// UTF-16 units, compared case-insensitively).
pub trait Storage: Send + Sync {
    /// Lets the COM layer recognise its own adapters.
    fn as_any(&self) -> &dyn Any;
    fn stat(&self) -> Result<ElementStat>;
    /// The elements directly inside this storage.
    fn elements(&self) -> Result<Vec<ElementStat>>;
    /// `mode` carries the `STGM_*` flags asked for (access, sharing, transaction).
    fn open_stream(&self, name: &str, mode: u32) -> Result<Box<dyn Stream>>;
    fn create_stream(&self, name: &str, mode: u32) -> Result<Box<dyn Stream>>;
    fn open_storage(&self, name: &str, mode: u32) -> Result<Arc<dyn Storage>>;
    fn create_storage(&self, name: &str, mode: u32) -> Result<Arc<dyn Storage>>;
    fn destroy_element(&self, name: &str) -> Result<()>;
    fn rename_element(&self, old: &str, new: &str) -> Result<()>;
    fn set_class(&self, clsid: [u8; 16]) -> Result<()>;
    fn set_state_bits(&self, bits: u32, mask: u32) -> Result<()>;
    fn set_element_times(
        &self,
        name: Option<&str>,
        ctime: Option<u64>,
        atime: Option<u64>,
        mtime: Option<u64>,
    ) -> Result<()>;
    fn commit(&self, flags: u32) -> Result<()>;
    fn revert(&self) -> Result<()>;
    /// Whether this storage was opened with write access.
    fn writable(&self) -> bool;

    /// A snapshot of a stream's content, read on demand.
    fn stream_blob(&self, name: &str) -> Result<Blob> {
        let stream = self.open_stream(name, STGM_READ | STGM_SHARE_EXCLUSIVE)?;
        let len = stream.size()?;
        Ok(Blob::external(Arc::new(StreamReader::new(stream)), len))
    }

    /// Reads a whole stream, refusing more than `limit` bytes.
    fn read_stream(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let mut stream = self.open_stream(name, STGM_READ | STGM_SHARE_EXCLUSIVE)?;
        let len = stream.size()?;
        if len > limit {
            return crate::error::err(
                crate::error::ErrorKind::NotEnoughMemory,
                format!("stream {name} holds {len} bytes, more than the {limit} allowed here"),
            );
        }
        let mut out = vec![0u8; len as usize];
        let mut done = 0;
        while done < out.len() {
            match stream.read(&mut out[done..])? {
                0 => break,
                n => done += n,
            }
        }
        out.truncate(done);
        Ok(out)
    }

    /// Creates (or replaces) a stream holding `blob`.
    fn write_stream(&self, name: &str, blob: &Blob) -> Result<()> {
        let mut stream =
            self.create_stream(name, STGM_CREATE | STGM_READWRITE | STGM_SHARE_EXCLUSIVE)?;
        let mut buf = vec![0u8; blob::CHUNK.min(blob.len() as usize)];
        let mut offset = 0;
        while offset < blob.len() {
            let n = blob.read_at(offset, &mut buf)?;
            let mut written = 0;
            while written < n {
                written += stream.write(&buf[written..n])?;
            }
            offset += n as u64;
        }
        stream.commit()
    }
}

/// One open stream (`IStream`): a seek position over a storage's stream content.
pub trait Stream: Send {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize>;
    fn write(&mut self, data: &[u8]) -> Result<usize>;
    fn seek(&mut self, pos: SeekFrom) -> Result<u64>;
    fn size(&self) -> Result<u64>;
    fn set_len(&mut self, len: u64) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
    fn revert(&mut self) -> Result<()>;
    fn stat(&self) -> Result<ElementStat>;
    /// A second handle on the same content with its own seek position.
    fn clone_stream(&self) -> Result<Box<dyn Stream>>;
    fn as_any(&self) -> &dyn Any;
}

/// The access mode of `STGM_*` flags; 3 is no mode at all.
fn access_of(mode: u32) -> Result<u32> {
    match mode & 3 {
        3 => crate::error::err(
            crate::error::ErrorKind::StgInvalidFlag,
            format!("invalid access mode in 0x{mode:08X}"),
        ),
        a => Ok(a),
    }
}

/// Whether `STGM_*` flags ask for write access.
fn wants_write(mode: u32) -> bool {
    mode & 3 != STGM_READ
}

/// Where a seek from `pos` to `to` lands in a stream of `len()` bytes (asked only for a seek
/// from the end); before the start is `STG_E_INVALIDFUNCTION`. Every stream kind seeks so.
pub fn seek_position(pos: u64, to: SeekFrom, len: impl FnOnce() -> Result<u64>) -> Result<u64> {
    let target = match to {
        SeekFrom::Start(p) => Some(p),
        SeekFrom::Current(d) => pos.checked_add_signed(d),
        SeekFrom::End(d) => len()?.checked_add_signed(d),
    };
    target.ok_or_else(|| {
        crate::error::Error::new(
            crate::error::ErrorKind::StgInvalidFunction,
            "seek before the start of the stream",
        )
    })
}

/// Reads a [`Stream`] by offset, for blobs over streams of a storage we did not make.
pub struct StreamReader {
    stream: parking_lot::Mutex<Box<dyn Stream>>,
}

impl StreamReader {
    pub fn new(stream: Box<dyn Stream>) -> StreamReader {
        StreamReader {
            stream: parking_lot::Mutex::new(stream),
        }
    }
}

impl ReadAt for StreamReader {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut stream = self.stream.lock();
        stream.seek(SeekFrom::Start(offset))?;
        let mut done = 0;
        while done < buf.len() {
            match stream.read(&mut buf[done..])? {
                0 => break,
                n => done += n,
            }
        }
        Ok(done)
    }
}

/// FILETIME ticks for now.
pub fn filetime_now() -> u64 {
    filetime_from_system_time(std::time::SystemTime::now())
}

const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;

pub fn filetime_from_system_time(t: std::time::SystemTime) -> u64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH_FILETIME
            .saturating_add(d.as_secs().saturating_mul(10_000_000))
            .saturating_add(u64::from(d.subsec_nanos() / 100)),
        Err(e) => {
            let d = e.duration();
            UNIX_EPOCH_FILETIME
                .saturating_sub(d.as_secs().saturating_mul(10_000_000))
                .saturating_sub(u64::from(d.subsec_nanos() / 100))
        }
    }
}

pub fn system_time_from_filetime(ft: u64) -> std::time::SystemTime {
    let epoch = std::time::UNIX_EPOCH;
    if ft >= UNIX_EPOCH_FILETIME {
        let d = ft - UNIX_EPOCH_FILETIME;
        epoch + std::time::Duration::new(d / 10_000_000, ((d % 10_000_000) * 100) as u32)
    } else {
        let d = UNIX_EPOCH_FILETIME - ft;
        epoch - std::time::Duration::new(d / 10_000_000, ((d % 10_000_000) * 100) as u32)
    }
}
