//! A small write-back page cache over a file.
//!
//! `cfb` issues one write per 512-byte sector; writing a new compound file straight to a
//! `File` costs a system call per sector (`spec/dependencies.md` §1.3). This cache turns
//! them into a few large writes while keeping memory bounded.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

const PAGE: usize = 256 * 1024;
const MAX_PAGES: usize = 16;

struct Page {
    index: u64,
    data: Vec<u8>,
    dirty: bool,
    last_use: u64,
}

pub struct CachedFile {
    file: File,
    pages: Vec<Page>,
    pos: u64,
    len: u64,
    clock: u64,
}

impl CachedFile {
    pub fn new(file: File) -> io::Result<CachedFile> {
        let len = file.metadata()?.len();
        Ok(CachedFile {
            file,
            pages: Vec::new(),
            pos: 0,
            len,
            clock: 0,
        })
    }

    fn write_back(file: &File, page: &Page, len: u64) -> io::Result<()> {
        super::faults::hit()?;
        let start = page.index * PAGE as u64;
        let n = (len.saturating_sub(start)).min(PAGE as u64) as usize;
        crate::platform::write_all_at(file, &page.data[..n], start)
    }

    fn page(&mut self, index: u64) -> io::Result<&mut Page> {
        self.clock += 1;
        let clock = self.clock;
        if let Some(i) = self.pages.iter().position(|p| p.index == index) {
            let page = &mut self.pages[i];
            page.last_use = clock;
            return Ok(page);
        }
        if self.pages.len() >= MAX_PAGES {
            let (oldest, _) = self
                .pages
                .iter()
                .enumerate()
                .min_by_key(|(_, p)| p.last_use)
                .expect("cache is full, so not empty");
            let page = self.pages.swap_remove(oldest);
            if page.dirty {
                Self::write_back(&self.file, &page, self.len)?;
            }
        }
        let mut data = vec![0u8; PAGE];
        let start = index * PAGE as u64;
        let on_disk = self.file.metadata()?.len();
        let n = (on_disk.saturating_sub(start)).min(PAGE as u64) as usize;
        if n > 0 {
            crate::platform::read_exact_at(&self.file, &mut data[..n], start)?;
        }
        self.pages.push(Page {
            index,
            data,
            dirty: false,
            last_use: clock,
        });
        Ok(self.pages.last_mut().expect("just pushed"))
    }

    /// Writes every dirty page, sets the final length and syncs the file to disk.
    pub fn finish(self) -> io::Result<File> {
        let (file, _) = self.finish_unsynced()?;
        super::faults::hit()?;
        file.sync_all()?;
        Ok(file)
    }

    /// Writes every dirty page and sets the final length; returns the file and its length.
    pub fn finish_unsynced(mut self) -> io::Result<(File, u64)> {
        for page in std::mem::take(&mut self.pages) {
            if page.dirty {
                Self::write_back(&self.file, &page, self.len)?;
            }
        }
        super::faults::hit()?;
        self.file.set_len(self.len)?;
        Ok((self.file, self.len))
    }
}

impl Read for CachedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let index = self.pos / PAGE as u64;
        let within = (self.pos % PAGE as u64) as usize;
        let n = buf
            .len()
            .min(PAGE - within)
            .min((self.len - self.pos) as usize);
        let page = self.page(index)?;
        buf[..n].copy_from_slice(&page.data[within..within + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Write for CachedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let index = self.pos / PAGE as u64;
        let within = (self.pos % PAGE as u64) as usize;
        let n = buf.len().min(PAGE - within);
        let page = self.page(index)?;
        page.data[within..within + n].copy_from_slice(&buf[..n]);
        page.dirty = true;
        self.pos += n as u64;
        self.len = self.len.max(self.pos);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for CachedFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scattered_writes_land_in_the_file() {
        let file = tempfile::tempfile().unwrap();
        let mut cache = CachedFile::new(file).unwrap();
        // Touch more pages than the cache holds, out of order.
        for i in (0..40u64).rev() {
            cache.seek(SeekFrom::Start(i * 100_003)).unwrap();
            cache.write_all(&i.to_le_bytes()).unwrap();
        }
        cache.seek(SeekFrom::Start(5 * 100_003)).unwrap();
        let mut b = [0u8; 8];
        cache.read_exact(&mut b).unwrap();
        assert_eq!(u64::from_le_bytes(b), 5);
        let mut file = cache.finish().unwrap();
        let mut all = Vec::new();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_to_end(&mut all).unwrap();
        assert_eq!(all.len() as u64, 39 * 100_003 + 8);
        for i in 0..40u64 {
            let at = (i * 100_003) as usize;
            assert_eq!(u64::from_le_bytes(all[at..at + 8].try_into().unwrap()), i);
        }
    }
}
