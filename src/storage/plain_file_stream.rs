//! A stream over a plain file (`OpenStreamOnFile`): reads and writes go straight to the
//! file at the stream's position; clones share the file and have their own position.
#![forbid(unsafe_code)]

use std::any::Any;
use std::fs::{File, OpenOptions};
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{ElementKind, ElementStat, Stream, filetime_from_system_time, seek_position};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};

struct Shared {
    file: File,
    path: PathBuf,
    delete_on_release: bool,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if self.delete_on_release {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub struct FileStream {
    shared: Arc<Shared>,
    pos: u64,
    mode: u32,
}

/// Opens (or with `STGM_CREATE` creates or empties) `path` as a stream. `mode` carries the
/// `STGM_*` access flags, `STGM_CREATE` and `STGM_DELETEONRELEASE` (the file is removed when
/// the last clone is released); sharing flags are accepted and not enforced.
pub fn open(path: &Path, mode: u32) -> Result<FileStream> {
    let access = mode & 3;
    if access == 3 {
        return err(ErrorKind::StgInvalidFlag, "invalid access mode");
    }
    let writable = access != STGM_READ;
    let create = mode & STGM_CREATE != 0;
    if create && !writable {
        return err(ErrorKind::StgInvalidFlag, "STGM_CREATE needs write access");
    }
    let mut options = OpenOptions::new();
    options.read(true).write(writable);
    if create {
        options.create(true).truncate(true);
    }
    let file = options
        .open(path)
        .map_err(|e| Error::io(&path.display().to_string(), &e))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return err(
            ErrorKind::StgAccessDenied,
            format!("{} is a directory", path.display()),
        );
    }
    Ok(FileStream {
        shared: Arc::new(Shared {
            file,
            path: path.to_path_buf(),
            delete_on_release: mode & STGM_DELETEONRELEASE != 0,
        }),
        pos: 0,
        mode,
    })
}

/// Creates a new file with a unique name in `dir`, starting with `prefix`, and opens it
/// (`SOF_UNIQUEFILENAME`). Returns the stream and the file's path.
pub fn create_unique(dir: &Path, prefix: &str, mode: u32) -> Result<(FileStream, PathBuf)> {
    let tmp = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(&dir.display().to_string(), &e))?;
    let (_, path) = tmp
        .keep()
        .map_err(|e| Error::io(&dir.display().to_string(), &e.error))?;
    let stream = open(&path, (mode & !(STGM_CREATE | 3)) | STGM_READWRITE);
    match stream {
        Ok(s) => Ok((s, path)),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}

impl FileStream {
    fn require_write(&self) -> Result<()> {
        if self.mode & 3 == STGM_READ {
            return err(
                ErrorKind::StgAccessDenied,
                "the stream was opened read-only",
            );
        }
        Ok(())
    }

    fn len(&self) -> Result<u64> {
        self.shared
            .file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| Error::io("reading the file's size", &e))
    }
}

impl Stream for FileStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.mode & 3 == STGM_WRITE {
            return err(
                ErrorKind::StgAccessDenied,
                "the stream was opened write-only",
            );
        }
        let len = self.len()?;
        if self.pos >= len {
            return Ok(0);
        }
        let n = buf.len().min((len - self.pos) as usize);
        crate::platform::read_exact_at(&self.shared.file, &mut buf[..n], self.pos)
            .map_err(|e| Error::io("reading the file", &e))?;
        self.pos += n as u64;
        Ok(n)
    }

    fn write(&mut self, data: &[u8]) -> Result<usize> {
        self.require_write()?;
        crate::platform::write_all_at(&self.shared.file, data, self.pos)
            .map_err(|e| Error::io("writing the file", &e))?;
        self.pos += data.len() as u64;
        Ok(data.len())
    }

    fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        self.pos = seek_position(self.pos, pos, || self.len())?;
        Ok(self.pos)
    }

    fn size(&self) -> Result<u64> {
        self.len()
    }

    fn set_len(&mut self, len: u64) -> Result<()> {
        self.require_write()?;
        self.shared
            .file
            .set_len(len)
            .map_err(|e| Error::io("resizing the file", &e))
    }

    fn commit(&mut self) -> Result<()> {
        // Writes went to the file; Commit makes them durable.
        if self.mode & 3 != STGM_READ {
            self.shared
                .file
                .sync_data()
                .map_err(|e| Error::io("syncing the file", &e))?;
        }
        Ok(())
    }

    fn revert(&mut self) -> Result<()> {
        Ok(())
    }

    fn stat(&self) -> Result<ElementStat> {
        let meta = self
            .shared
            .file
            .metadata()
            .map_err(|e| Error::io("reading the file's attributes", &e))?;
        let time = |t: std::io::Result<std::time::SystemTime>| {
            t.map(filetime_from_system_time).unwrap_or(0)
        };
        Ok(ElementStat {
            name: self
                .shared
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            kind: ElementKind::Stream,
            size: meta.len(),
            mtime: time(meta.modified()),
            ctime: time(meta.created()),
            atime: time(meta.accessed()),
            mode: self.mode & !(STGM_CREATE | STGM_DELETEONRELEASE),
            clsid: [0; 16],
            state_bits: 0,
        })
    }

    fn clone_stream(&self) -> Result<Box<dyn Stream>> {
        Ok(Box::new(FileStream {
            shared: self.shared.clone(),
            pos: self.pos,
            mode: self.mode,
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_streams_read_write_and_delete_on_release() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("body.txt");
        assert_eq!(
            open(&path, STGM_READ).err().unwrap().kind,
            ErrorKind::StgFileNotFound
        );
        let mut s = open(&path, STGM_READWRITE | STGM_CREATE).unwrap();
        s.write(b"hello world").unwrap();
        let mut c = s.clone_stream().unwrap();
        c.seek(SeekFrom::Start(6)).unwrap();
        let mut buf = [0u8; 10];
        assert_eq!(c.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"world");
        assert_eq!(s.stat().unwrap().name, "body.txt");
        drop((s, c));
        let mut r = open(&path, STGM_READ).unwrap();
        assert!(r.write(b"x").is_err());
        assert_eq!(r.size().unwrap(), 11);

        let (u, upath) =
            create_unique(dir.path(), "SOF", STGM_READWRITE | STGM_DELETEONRELEASE).unwrap();
        assert!(upath.exists());
        assert!(
            upath
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("SOF")
        );
        drop(u);
        assert!(!upath.exists());
    }
}
