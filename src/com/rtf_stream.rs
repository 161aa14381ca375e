//! The stream `WrapCompressedRTFStream(Ex)` hands out, the read-only memory stream
//! that carries a converted body (`WrapCompressedRTFStreamEx` with `MAPI_NATIVE_BODY`,
//! `ImsgGetBestBody`), and the read/write memory stream whose `Commit` hands its bytes on
//! (`ITnef::OpenTaggedBody` with `MAPI_MODIFY`). The vtable and slots are in `capi::rtf`.
//!
//! Reading decompresses from the caller's stream as the caller reads (never the whole
//! body twice); the header and the CRC are checked when the stream is wrapped, by one pass
//! over the compressed bytes, so damage is `MAPI_E_CORRUPT_DATA` from the wrap itself.
//! Writing (`MAPI_MODIFY`) collects the RTF in a spooled buffer (memory, then a temporary
//! file past 1 MiB) and compresses it into the caller's stream on `Commit`, as Kopano's
//! `mapi32` does; Microsoft does not document when native MAPI compresses, so a final
//! `Release` after uncommitted writes commits them too rather than lose them.

use std::io::{self, Read, Seek, SeekFrom, Write};

use parking_lot::Mutex;
use tempfile::SpooledTempFile;

use super::foreign::ComRef;
use super::vtbl::IStreamVtbl;
use crate::codec::compressed_rtf::{self, Decompressor, Format, HEADER_LEN, Header};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::seek_position;

/// In-memory spool size before the written RTF moves to a temporary file.
const SPOOL_MEMORY: usize = 1 << 20;

/// A caller's `IStream` as `Read + Write + Seek`; failures carry our [`Error`] inside the
/// `io::Error`, so that [`from_io`] gives it back.
pub struct ComStream(ComRef);

impl ComStream {
    pub fn new(stream: ComRef) -> ComStream {
        ComStream(stream)
    }

    pub fn into_inner(self) -> ComRef {
        self.0
    }

    fn vtbl(&self) -> &IStreamVtbl {
        // SAFETY: the reference is an IStream (the export's contract).
        unsafe { self.0.vtbl::<IStreamVtbl>() }
    }

    fn check(hr: HRESULT, call: &str) -> io::Result<()> {
        if hr >= 0 {
            return Ok(());
        }
        let kind = super::scode::kind_of_scode(hr);
        Err(io::Error::other(Error::new(
            kind,
            format!(
                "the compressed-RTF stream's {call} failed with 0x{:08X}",
                hr as u32
            ),
        )))
    }
}

impl Read for ComStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len().min(u32::MAX as usize) as ULONG;
        let mut got: ULONG = 0;
        // SAFETY: the buffer holds `want` bytes; `got` is a valid ULONG.
        let hr =
            unsafe { (self.vtbl().Read)(self.0.as_ptr(), buf.as_mut_ptr().cast(), want, &mut got) };
        Self::check(hr, "IStream::Read")?;
        if got > want {
            return Err(io::Error::other(Error::new(
                ErrorKind::StgReadFault,
                format!("IStream::Read claims {got} bytes read of {want}"),
            )));
        }
        Ok(got as usize)
    }
}

impl Write for ComStream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let len = data.len().min(u32::MAX as usize) as ULONG;
        let mut done: ULONG = 0;
        // SAFETY: the data holds `len` bytes; `done` is a valid ULONG.
        let hr =
            unsafe { (self.vtbl().Write)(self.0.as_ptr(), data.as_ptr().cast(), len, &mut done) };
        Self::check(hr, "IStream::Write")?;
        if done == 0 || done > len {
            return Err(io::Error::other(Error::new(
                ErrorKind::StgWriteFault,
                format!("IStream::Write wrote {done} of {len} bytes"),
            )));
        }
        Ok(done as usize)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for ComStream {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let (mv, origin) = match pos {
            SeekFrom::Start(n) => (n as i64, STREAM_SEEK_SET),
            SeekFrom::Current(d) => (d, STREAM_SEEK_CUR),
            SeekFrom::End(d) => (d, STREAM_SEEK_END),
        };
        let mut new: u64 = 0;
        // SAFETY: plain arguments and a valid out-parameter.
        let hr = unsafe { (self.vtbl().Seek)(self.0.as_ptr(), mv, origin, &mut new) };
        Self::check(hr, "IStream::Seek")?;
        Ok(new)
    }
}

impl ComStream {
    pub fn set_size(&mut self, size: u64) -> Result<()> {
        // SAFETY: plain arguments.
        let hr = unsafe { (self.vtbl().SetSize)(self.0.as_ptr(), size) };
        Self::check(hr, "IStream::SetSize").map_err(|e| from_io("resizing", &e))
    }

    pub fn commit(&mut self) -> Result<()> {
        // SAFETY: plain arguments.
        let hr = unsafe { (self.vtbl().Commit)(self.0.as_ptr(), STGC_DEFAULT) };
        Self::check(hr, "IStream::Commit").map_err(|e| from_io("committing", &e))
    }
}

/// Our error back out of an `io::Error`: the caller's stream failure as it was, damaged
/// compressed RTF as `MAPI_E_CORRUPT_DATA`.
pub fn from_io(context: &str, e: &io::Error) -> Error {
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
        return inner.clone();
    }
    if let Some(r) = compressed_rtf::rtf_error(e) {
        return Error::new(ErrorKind::CorruptData, format!("{context}: {r}"));
    }
    Error::io(context, e)
}

/// A read/write memory stream's limit: text whose positions a `PT_LONG` can count.
const BUFFER_MAX: usize = i32::MAX as usize;

fn too_large() -> Error {
    Error::new(
        ErrorKind::StgMediumFull,
        "a memory stream holds at most 2^31 - 1 bytes",
    )
}

/// What a [`State::Buffer`] stream's `Commit` does with its bytes.
pub type OnCommit = Box<dyn FnMut(&[u8]) -> Result<()> + Send>;

type Reader = Decompressor<io::Chain<io::Cursor<Vec<u8>>, ComStream>>;

enum State {
    /// Decompressing from the caller's stream.
    Reading { dec: Box<Reader>, pos: u64 },
    /// A body already in memory (also an empty compressed stream).
    Memory { data: Vec<u8>, pos: usize },
    /// Read/write bytes in memory, given to `on_commit` at `Commit` (and at the last
    /// `Release` when written since, as the other writable streams do).
    Buffer {
        data: Vec<u8>,
        pos: usize,
        dirty: bool,
        on_commit: OnCommit,
    },
    /// `MAPI_MODIFY`: RTF written so far, compressed into `sink` on commit.
    Writing {
        sink: ComStream,
        format: Format,
        spool: SpooledTempFile,
        dirty: bool,
    },
}

/// The state of one such stream.
pub struct RtfStreamShell {
    /// Taken out while a call works on it, so that no lock is held while the caller's
    /// stream runs (DESIGN decision 6); a second thread meanwhile gets `MAPI_E_BUSY`.
    state: Mutex<Option<State>>,
}

impl RtfStreamShell {
    /// Wraps a compressed-RTF stream for reading (checking header and CRC now), or for
    /// writing with `MAPI_MODIFY` (`STORE_UNCOMPRESSED_RTF`: stored as MELA).
    pub fn wrap(source: ComRef, flags: ULONG) -> Result<RtfStreamShell> {
        let mut src = ComStream::new(source);
        let state = if flags & MAPI_MODIFY != 0 {
            let format = if flags & STORE_UNCOMPRESSED_RTF != 0 {
                Format::Uncompressed
            } else {
                Format::Compressed
            };
            State::Writing {
                sink: src,
                format,
                spool: SpooledTempFile::new(SPOOL_MEMORY),
                dirty: false,
            }
        } else {
            let head = read_head(&mut src)?;
            if head.is_empty() {
                State::Memory {
                    data: Vec::new(),
                    pos: 0,
                }
            } else {
                let header = Header::parse(&head)
                    .map_err(|e| Error::new(ErrorKind::CorruptData, e.to_string()))?;
                check_content(&mut src, &header)?;
                // Back to the first content byte: the header is replayed from memory.
                src.seek(SeekFrom::Current(-(header.content_len() as i64)))
                    .map_err(|e| from_io("rewinding the compressed RTF", &e))?;
                let dec = Decompressor::new(io::Cursor::new(head).chain(src))
                    .map_err(|e| from_io("compressed RTF", &e))?;
                State::Reading {
                    dec: Box::new(dec),
                    pos: 0,
                }
            }
        };
        Ok(RtfStreamShell {
            state: Mutex::new(Some(state)),
        })
    }

    /// A read-only stream over bytes.
    pub fn memory(data: Vec<u8>) -> RtfStreamShell {
        RtfStreamShell {
            state: Mutex::new(Some(State::Memory { data, pos: 0 })),
        }
    }

    /// A read/write stream over bytes (positioned at 0) whose `Commit` gives its whole
    /// content to `on_commit`.
    pub fn buffer(data: Vec<u8>, on_commit: OnCommit) -> RtfStreamShell {
        RtfStreamShell {
            state: Mutex::new(Some(State::Buffer {
                data,
                pos: 0,
                dirty: false,
                on_commit,
            })),
        }
    }

    /// Whether the stream takes writes (for `Stat`'s mode).
    pub fn writable(&self) -> bool {
        matches!(
            &*self.state.lock(),
            Some(State::Buffer { .. } | State::Writing { .. })
        )
    }

    /// The whole uncompressed RTF of a compressed stream (for the native body).
    pub fn read_all(source: ComRef) -> Result<Vec<u8>> {
        let shell = RtfStreamShell::wrap(source, 0)?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match shell.read(&mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// Runs `f` on the state, taken out of the lock for the time.
    fn with<T>(&self, f: impl FnOnce(&mut State) -> Result<T>) -> Result<T> {
        let mut state = self.state.lock().take().ok_or_else(|| {
            Error::new(ErrorKind::Busy, "another thread is using this RTF stream")
        })?;
        let r = f(&mut state);
        *self.state.lock() = Some(state);
        r
    }

    pub fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.with(|state| match state {
            State::Reading { dec, pos } => {
                let mut done = 0;
                while done < buf.len() {
                    match dec.read(&mut buf[done..]) {
                        Ok(0) => break,
                        Ok(n) => done += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        // Bytes already decoded go out first; the next read fails.
                        Err(_) if done > 0 => break,
                        Err(e) => return Err(from_io("decompressing RTF", &e)),
                    }
                }
                *pos += done as u64;
                Ok(done)
            }
            State::Memory { data, pos } | State::Buffer { data, pos, .. } => {
                let n = buf.len().min(data.len().saturating_sub(*pos));
                if n == 0 {
                    return Ok(0);
                }
                buf[..n].copy_from_slice(&data[*pos..*pos + n]);
                *pos += n;
                Ok(n)
            }
            State::Writing { .. } => Err(Error::new(
                ErrorKind::StgAccessDenied,
                "the stream was wrapped with MAPI_MODIFY for writing RTF; reading it is not supported",
            )),
        })
    }

    pub fn write(&self, data: &[u8]) -> Result<usize> {
        self.with(|state| match state {
            State::Writing { spool, dirty, .. } => {
                spool
                    .write_all(data)
                    .map_err(|e| Error::io("buffering RTF", &e))?;
                *dirty = true;
                Ok(data.len())
            }
            State::Buffer {
                data: content,
                pos,
                dirty,
                ..
            } => {
                let end = pos
                    .checked_add(data.len())
                    .filter(|&e| e <= BUFFER_MAX)
                    .ok_or_else(too_large)?;
                if content.len() < end {
                    content.resize(end, 0);
                }
                content[*pos..end].copy_from_slice(data);
                *pos = end;
                *dirty = true;
                Ok(data.len())
            }
            _ => Err(Error::new(
                ErrorKind::StgAccessDenied,
                "the stream is read-only: wrap the compressed RTF with MAPI_MODIFY to write",
            )),
        })
    }

    /// Compresses what was written into the caller's stream (replacing its content) and
    /// commits that stream. A read-only stream has nothing to commit.
    pub fn commit(&self) -> Result<()> {
        self.with(|state| match state {
            State::Writing {
                sink,
                format,
                spool,
                dirty,
            } => {
                let io = |e: io::Error| from_io("writing compressed RTF", &e);
                sink.seek(SeekFrom::Start(0)).map_err(io)?;
                sink.set_size(0)?;
                spool.seek(SeekFrom::Start(0)).map_err(io)?;
                let mut c = compressed_rtf::Compressor::new(&mut *sink, *format).map_err(io)?;
                io::copy(spool, &mut c).map_err(io)?;
                c.finish().map_err(io)?;
                spool.seek(SeekFrom::End(0)).map_err(io)?;
                sink.commit()?;
                *dirty = false;
                Ok(())
            }
            State::Buffer {
                data,
                dirty,
                on_commit,
                ..
            } => {
                on_commit(data)?;
                *dirty = false;
                Ok(())
            }
            _ => Ok(()),
        })
    }

    /// `SetSize`: a read/write memory stream only (the wrapper does not, as documented).
    pub fn set_size(&self, size: u64) -> Result<()> {
        self.with(|state| match state {
            State::Buffer { data, dirty, .. } => {
                let size = usize::try_from(size)
                    .ok()
                    .filter(|&s| s <= BUFFER_MAX)
                    .ok_or_else(too_large)?;
                data.resize(size, 0);
                *dirty = true;
                Ok(())
            }
            _ => Err(no_support("SetSize")),
        })
    }

    /// `Seek`: a memory stream moves anywhere; the wrapper (not seekable, as documented)
    /// answers only where it is (a move of 0 from the current position).
    pub fn seek(&self, pos: SeekFrom) -> Result<u64> {
        self.with(|state| match state {
            State::Memory { data, pos: at } | State::Buffer { data, pos: at, .. } => {
                let new = seek_position(*at as u64, pos, || Ok(data.len() as u64))?;
                // Past the end reads nothing, as any stream.
                *at = usize::try_from(new).unwrap_or(usize::MAX);
                Ok(new)
            }
            State::Reading { pos: at, .. } if pos == SeekFrom::Current(0) => Ok(*at),
            State::Writing { spool, .. } if pos == SeekFrom::Current(0) => spool
                .stream_position()
                .map_err(|e| Error::io("buffered RTF", &e)),
            _ => Err(no_support("Seek")),
        })
    }

    /// The size for `Stat`: a memory stream's only.
    pub fn size(&self) -> Result<u64> {
        self.with(|state| match state {
            State::Memory { data, .. } | State::Buffer { data, .. } => Ok(data.len() as u64),
            _ => Err(no_support("Stat")),
        })
    }
}

/// What the wrapper does not do ([DOCS wrapcompressedrtfstream]: Clone, LockRegion, Revert,
/// Seek, SetSize, Stat, UnlockRegion).
pub fn no_support(method: &str) -> Error {
    Error::new(
        ErrorKind::NoSupport,
        format!("IStream::{method} is not supported on a wrapped RTF stream"),
    )
}

impl Drop for RtfStreamShell {
    fn drop(&mut self) {
        let dirty = matches!(
            &*self.state.lock(),
            Some(State::Writing { dirty: true, .. } | State::Buffer { dirty: true, .. })
        );
        if dirty {
            // Release cannot report a failure; Commit first to see one.
            let _ = self.commit();
        }
    }
}

/// Up to the 16 header bytes (fewer only at the end of the stream).
fn read_head(src: &mut ComStream) -> Result<Vec<u8>> {
    let mut head = vec![0u8; HEADER_LEN];
    let mut got = 0;
    while got < HEADER_LEN {
        match src.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(from_io("reading compressed RTF", &e)),
        }
    }
    head.truncate(got);
    Ok(head)
}

/// Reads the content once: all of it there, and (LZFu) its CRC right.
fn check_content(src: &mut ComStream, header: &Header) -> Result<()> {
    let mut left = header.content_len();
    let mut crc = 0u32;
    let mut buf = vec![0u8; left.min(64 * 1024) as usize];
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = src
            .read(&mut buf[..want])
            .map_err(|e| from_io("reading compressed RTF", &e))?;
        if n == 0 {
            return Err(Error::new(
                ErrorKind::CorruptData,
                compressed_rtf::RtfError::Truncated {
                    expected: header.content_len(),
                    got: header.content_len() - left,
                }
                .to_string(),
            ));
        }
        if header.format == Format::Compressed {
            crc = compressed_rtf::crc32(crc, &buf[..n]);
        }
        left -= n as u64;
    }
    if header.format == Format::Compressed && crc != header.crc {
        return Err(Error::new(
            ErrorKind::CorruptData,
            compressed_rtf::RtfError::BadCrc {
                stored: header.crc,
                computed: crc,
            }
            .to_string(),
        ));
    }
    Ok(())
}
