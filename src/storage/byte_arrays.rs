//! Byte arrays a compound file can live in (`ILockBytes`), and streams over them.
//!
//! A docfile opened on a lock-bytes ([`super::docfile::open_bytes`]) copies the content into
//! a private [`Image`] when opened, so that later reads never call the lock-bytes (which may
//! be a caller's object) and stay valid while a commit rewrites it. A commit builds the new
//! compound file completely first (in memory, or in an anonymous temporary file when large),
//! then hands it to the lock-bytes: in one step when the lock-bytes can replace its whole
//! content at once ([`LockBytes::replace_all`], as our memory lock-bytes do), otherwise by
//! growing it first, writing the image from offset 0 and shrinking it last, writing the old
//! content back if a write fails. A full medium is therefore reported before anything is
//! overwritten, and a write that fails later is undone when the medium lets us.
#![forbid(unsafe_code)]

use std::any::Any;
use std::fs::File;
use std::io::SeekFrom;
use std::sync::Arc;

use parking_lot::Mutex;

use super::blob::ReadAt;
use super::{ElementKind, ElementStat, Stream, seek_position};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};

/// An array of bytes with random access: the storage medium under a compound file.
///
/// Every method may be called from any thread.
pub trait LockBytes: Send + Sync {
    /// Reads up to `buf.len()` bytes at `offset`; fewer (0 at the end) past the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;
    /// Writes all of `data` at `offset`, growing the array if needed.
    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()>;
    fn flush(&self) -> Result<()>;
    fn set_size(&self, len: u64) -> Result<()>;
    fn size(&self) -> Result<u64>;
    /// Replaces the whole content with `image`, all or nothing. `None` when this lock-bytes
    /// cannot do that in one step (then the caller writes piece by piece).
    fn replace_all(&self, _image: &Image) -> Option<Result<()>> {
        None
    }
    fn as_any(&self) -> &dyn Any;
}

// ===== private images =====

enum ImageData {
    Mem(Vec<u8>),
    File { file: File, len: u64 },
}

/// An immutable byte image: the content of a lock-bytes as we read or wrote it last.
#[derive(Clone)]
pub struct Image(Arc<ImageData>);

/// Images up to this size stay in memory; larger ones go to an anonymous temporary file.
pub const IMAGE_IN_MEMORY: u64 = 4 * 1024 * 1024;

/// Pieces in which images are copied.
const COPY_CHUNK: usize = 1024 * 1024;

impl Image {
    pub fn from_vec(data: Vec<u8>) -> Image {
        Image(Arc::new(ImageData::Mem(data)))
    }

    pub fn from_file(file: File, len: u64) -> Image {
        Image(Arc::new(ImageData::File { file, len }))
    }

    pub fn len(&self) -> u64 {
        match &*self.0 {
            ImageData::Mem(v) => v.len() as u64,
            ImageData::File { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, when the image is held in memory.
    pub fn as_slice(&self) -> Option<&[u8]> {
        match &*self.0 {
            ImageData::Mem(v) => Some(v),
            ImageData::File { .. } => None,
        }
    }

    /// Copies the whole content of `lb` into a new image.
    pub fn read_from(lb: &dyn LockBytes) -> Result<Image> {
        let len = lb.size()?;
        if len <= IMAGE_IN_MEMORY {
            let mut data = vec![0u8; len as usize];
            let n = read_full(lb, 0, &mut data)?;
            data.truncate(n);
            return Ok(Image::from_vec(data));
        }
        let file = tempfile::tempfile()
            .map_err(|e| Error::io("creating a temporary copy of the lock-bytes", &e))?;
        let mut buf = vec![0u8; COPY_CHUNK];
        let mut offset = 0u64;
        while offset < len {
            let want = (len - offset).min(COPY_CHUNK as u64) as usize;
            let n = read_full(lb, offset, &mut buf[..want])?;
            crate::platform::write_all_at(&file, &buf[..n], offset)
                .map_err(|e| Error::io("copying the lock-bytes", &e))?;
            offset += n as u64;
            if n < want {
                break;
            }
        }
        Ok(Image::from_file(file, offset))
    }

    /// Calls `f` with consecutive pieces of the image and their offsets.
    pub fn for_each_piece(&self, mut f: impl FnMut(u64, &[u8]) -> Result<()>) -> Result<()> {
        match &*self.0 {
            ImageData::Mem(v) => {
                for (i, piece) in v.chunks(COPY_CHUNK).enumerate() {
                    f((i * COPY_CHUNK) as u64, piece)?;
                }
                Ok(())
            }
            ImageData::File { file, len } => {
                let mut buf = vec![0u8; COPY_CHUNK.min(*len as usize)];
                let mut offset = 0u64;
                while offset < *len {
                    let n = (*len - offset).min(COPY_CHUNK as u64) as usize;
                    crate::platform::read_exact_at(file, &mut buf[..n], offset)
                        .map_err(|e| Error::io("reading the new compound file", &e))?;
                    f(offset, &buf[..n])?;
                    offset += n as u64;
                }
                Ok(())
            }
        }
    }
}

impl ReadAt for Image {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let len = self.len();
        if offset >= len {
            return Ok(0);
        }
        let n = buf.len().min((len - offset) as usize);
        match &*self.0 {
            ImageData::Mem(v) => buf[..n].copy_from_slice(&v[offset as usize..offset as usize + n]),
            ImageData::File { file, .. } => {
                crate::platform::read_exact_at(file, &mut buf[..n], offset)
                    .map_err(|e| Error::io("reading the compound file", &e))?
            }
        }
        Ok(n)
    }
}

/// Reads until `buf` is full or the lock-bytes ends; returns the bytes read.
fn read_full(lb: &dyn LockBytes, offset: u64, buf: &mut [u8]) -> Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match lb.read_at(offset + done as u64, &mut buf[done..])? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

/// Puts `image` into `lb` in place of `old` (what `lb` held, as we last read or wrote it).
///
/// All at once when `lb` can; otherwise grown first (a full medium fails here, before any
/// byte is overwritten), written from offset 0, shrunk, flushed. When a step after the
/// growth fails, `old` is written back (it fits where it was) and the error returned.
pub fn publish_image(lb: &dyn LockBytes, image: &Image, old: &Image) -> Result<()> {
    if let Some(result) = lb.replace_all(image) {
        return result.and_then(|()| lb.flush());
    }
    let old_len = old.len();
    let new_len = image.len();
    if new_len > old_len
        && let Err(e) = lb.set_size(new_len)
    {
        let _ = lb.set_size(old_len);
        return Err(e);
    }
    let outcome = image
        .for_each_piece(|offset, piece| lb.write_at(offset, piece))
        .and_then(|()| {
            if new_len < old_len {
                lb.set_size(new_len)?;
            }
            lb.flush()
        });
    if let Err(e) = outcome {
        // Undo: the old bytes go back where they were, which needs no new space.
        let restored = old
            .for_each_piece(|offset, piece| lb.write_at(offset, piece))
            .and_then(|()| lb.set_size(old_len))
            .and_then(|()| lb.flush());
        return Err(match restored {
            Ok(()) => e,
            Err(_) => Error::new(
                e.kind,
                format!(
                    "{}; restoring the previous content failed too, the lock-bytes may be damaged",
                    e.message
                ),
            ),
        });
    }
    Ok(())
}

// ===== a lock-bytes in memory =====

/// A lock-bytes held in a `Vec`, optionally limited in size (a full medium beyond `limit`).
pub struct VecLockBytes {
    data: Mutex<Vec<u8>>,
    limit: Option<u64>,
}

impl VecLockBytes {
    pub fn new(data: Vec<u8>) -> VecLockBytes {
        VecLockBytes {
            data: Mutex::new(data),
            limit: None,
        }
    }

    pub fn with_limit(data: Vec<u8>, limit: u64) -> VecLockBytes {
        VecLockBytes {
            data: Mutex::new(data),
            limit: Some(limit),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.data.lock().clone()
    }

    fn check_room(&self, len: u64) -> Result<usize> {
        if self.limit.is_some_and(|l| len > l) {
            return err(
                ErrorKind::StgMediumFull,
                format!("the lock-bytes cannot grow to {len} bytes"),
            );
        }
        usize::try_from(len)
            .map_err(|_| Error::new(ErrorKind::StgMediumFull, "lock-bytes too large for memory"))
    }
}

impl LockBytes for VecLockBytes {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let data = self.data.lock();
        let start = offset.min(data.len() as u64) as usize;
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        let end = offset
            .checked_add(bytes.len() as u64)
            .ok_or_else(|| Error::new(ErrorKind::StgMediumFull, "write past 2^64"))?;
        let end = self.check_room(end)?;
        let mut data = self.data.lock();
        if data.len() < end {
            let more = end - data.len();
            data.try_reserve(more)
                .map_err(|_| Error::new(ErrorKind::StgMediumFull, "out of memory"))?;
            data.resize(end, 0);
        }
        data[offset as usize..end].copy_from_slice(bytes);
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn set_size(&self, len: u64) -> Result<()> {
        let len = self.check_room(len)?;
        let mut data = self.data.lock();
        if len > data.len() {
            let more = len - data.len();
            data.try_reserve(more)
                .map_err(|_| Error::new(ErrorKind::StgMediumFull, "out of memory"))?;
        }
        data.resize(len, 0);
        Ok(())
    }

    fn size(&self) -> Result<u64> {
        Ok(self.data.lock().len() as u64)
    }

    fn replace_all(&self, image: &Image) -> Option<Result<()>> {
        let build = || -> Result<Vec<u8>> {
            let len = self.check_room(image.len())?;
            let mut fresh = Vec::new();
            fresh
                .try_reserve_exact(len)
                .map_err(|_| Error::new(ErrorKind::StgMediumFull, "out of memory"))?;
            fresh.resize(len, 0);
            image.read_at(0, &mut fresh)?;
            Ok(fresh)
        };
        Some(build().map(|fresh| *self.data.lock() = fresh))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

// ===== a stream over a lock-bytes =====

/// An `IStream` whose content is a whole lock-bytes (`CreateStreamOnHGlobal`). Clones
/// share the content and have their own seek position. Writes go straight to the
/// lock-bytes; `Commit` and `Revert` have nothing to do.
pub struct LockBytesStream {
    lb: Arc<dyn LockBytes>,
    pos: u64,
    mode: u32,
}

impl LockBytesStream {
    pub fn new(lb: Arc<dyn LockBytes>, mode: u32) -> LockBytesStream {
        LockBytesStream { lb, pos: 0, mode }
    }

    pub fn lock_bytes(&self) -> &Arc<dyn LockBytes> {
        &self.lb
    }
}

impl Stream for LockBytesStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.lb.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn write(&mut self, data: &[u8]) -> Result<usize> {
        self.lb.write_at(self.pos, data)?;
        self.pos += data.len() as u64;
        Ok(data.len())
    }

    fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        self.pos = seek_position(self.pos, pos, || self.lb.size())?;
        Ok(self.pos)
    }

    fn size(&self) -> Result<u64> {
        self.lb.size()
    }

    fn set_len(&mut self, len: u64) -> Result<()> {
        self.lb.set_size(len)
    }

    fn commit(&mut self) -> Result<()> {
        self.lb.flush()
    }

    fn revert(&mut self) -> Result<()> {
        Ok(())
    }

    fn stat(&self) -> Result<ElementStat> {
        Ok(ElementStat {
            name: String::new(),
            kind: ElementKind::Stream,
            size: self.lb.size()?,
            mtime: 0,
            ctime: 0,
            atime: 0,
            mode: self.mode,
            clsid: [0; 16],
            state_bits: 0,
        })
    }

    fn clone_stream(&self) -> Result<Box<dyn Stream>> {
        Ok(Box::new(LockBytesStream {
            lb: self.lb.clone(),
            pos: self.pos,
            mode: self.mode,
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `STGM_READWRITE | STGM_SHARE_EXCLUSIVE`, the mode `Stat` reports for memory streams.
pub const MEMORY_STREAM_MODE: u32 = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Fails the `fail_at`-th write or resize (counting from 1) once, or every write beyond
    /// `capacity` (a full medium).
    pub struct Faulty {
        pub inner: VecLockBytes,
        pub calls: Mutex<u32>,
        pub fail_at: u32,
        pub capacity: u64,
    }

    impl Faulty {
        pub fn new(data: Vec<u8>, fail_at: u32, capacity: u64) -> Faulty {
            Faulty {
                inner: VecLockBytes::new(data),
                calls: Mutex::new(0),
                fail_at,
                capacity,
            }
        }

        fn hit(&self, end: u64) -> Result<()> {
            let mut calls = self.calls.lock();
            *calls += 1;
            if *calls == self.fail_at || end > self.capacity {
                return err(ErrorKind::StgMediumFull, "injected: the medium is full");
            }
            Ok(())
        }
    }

    impl LockBytes for Faulty {
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
            self.inner.read_at(offset, buf)
        }
        fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
            self.hit(offset + data.len() as u64)?;
            self.inner.write_at(offset, data)
        }
        fn flush(&self) -> Result<()> {
            self.hit(0)
        }
        fn set_size(&self, len: u64) -> Result<()> {
            self.hit(len)?;
            self.inner.set_size(len)
        }
        fn size(&self) -> Result<u64> {
            self.inner.size()
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    fn pattern(n: usize, seed: u8) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn publishing_restores_the_old_content_when_a_write_fails() {
        let old = pattern(3 * COPY_CHUNK + 100, 1);
        for new_len in [COPY_CHUNK / 2, 3 * COPY_CHUNK + 100, 5 * COPY_CHUNK + 7] {
            let new = Image::from_vec(pattern(new_len, 2));
            let mut fail_at = 1;
            loop {
                let lb = Faulty {
                    inner: VecLockBytes::new(old.clone()),
                    calls: Mutex::new(0),
                    fail_at,
                    capacity: u64::MAX,
                };
                match publish_image(&lb, &new, &Image::from_vec(old.clone())) {
                    Ok(()) => {
                        assert_eq!(lb.inner.to_vec(), pattern(new_len, 2));
                        break;
                    }
                    Err(e) => {
                        assert_eq!(e.kind, ErrorKind::StgMediumFull);
                        assert!(
                            lb.inner.to_vec() == old,
                            "fail_at {fail_at}: old content lost"
                        );
                    }
                }
                fail_at += 1;
            }
            assert!(fail_at > 2);
        }
    }

    #[test]
    fn a_full_medium_fails_before_anything_is_overwritten() {
        let old = pattern(1000, 3);
        let lb = Faulty {
            inner: VecLockBytes::new(old.clone()),
            calls: Mutex::new(0),
            fail_at: 0,
            capacity: 4000,
        };
        let e = publish_image(
            &lb,
            &Image::from_vec(pattern(5000, 4)),
            &Image::from_vec(old.clone()),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::StgMediumFull);
        assert_eq!(lb.inner.to_vec(), old);
        assert_eq!(*lb.calls.lock(), 2, "one refused growth, one shrink back");
    }

    #[test]
    fn memory_lock_bytes_replace_atomically_and_streams_share_content() {
        let lb: Arc<dyn LockBytes> = Arc::new(VecLockBytes::with_limit(b"abc".to_vec(), 10));
        assert!(
            lb.replace_all(&Image::from_vec(vec![0; 11]))
                .unwrap()
                .is_err()
        );
        assert_eq!(lb.size().unwrap(), 3);
        let mut s = LockBytesStream::new(lb.clone(), MEMORY_STREAM_MODE);
        s.seek(SeekFrom::End(0)).unwrap();
        s.write(b"def").unwrap();
        let mut c = s.clone_stream().unwrap();
        c.seek(SeekFrom::Start(1)).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(c.read(&mut buf).unwrap(), 4);
        assert_eq!(&buf, b"bcde");
        assert_eq!(s.size().unwrap(), 6);
        assert!(s.write(b"12345").is_err());
    }
}
