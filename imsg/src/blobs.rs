//! Values the dump shape gives only as `sha256` + `len` (binaries over 4096 bytes,
//! attachment data, streams outside the message's namespace): where `dump` keeps their
//! bytes (`--save-data DIR`, or memory when `attachments` re-creates an embedded
//! message) and where `create` finds them again.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::shape::hex;

/// Where the bytes behind a `sha256` go.
#[derive(Default)]
pub struct BlobStore {
    /// `DIR/<sha256>` files.
    dir: Option<PathBuf>,
    /// Kept in memory.
    memory: Option<HashMap<String, Vec<u8>>>,
}

impl BlobStore {
    /// Forgets the bytes (a plain `dump`).
    pub fn none() -> BlobStore {
        BlobStore::default()
    }

    pub fn in_dir(dir: &Path) -> BlobStore {
        BlobStore {
            dir: Some(dir.to_path_buf()),
            memory: None,
        }
    }

    pub fn in_memory() -> BlobStore {
        BlobStore {
            dir: None,
            memory: Some(HashMap::new()),
        }
    }

    /// Starts a value read in pieces.
    pub fn writer(&self) -> std::io::Result<BlobWriter> {
        let file = match &self.dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                Some(tempfile::NamedTempFile::new_in(dir)?)
            }
            None => None,
        };
        Ok(BlobWriter {
            hasher: Sha256::new(),
            len: 0,
            file,
            bytes: self.memory.as_ref().map(|_| Vec::new()),
        })
    }

    /// Keeps a whole value; returns its SHA-256.
    pub fn put(&mut self, data: &[u8]) -> std::io::Result<String> {
        let mut w = self.writer()?;
        w.write(data)?;
        self.finish(w).map(|(sha, _)| sha)
    }

    /// Ends a value: its SHA-256 and length.
    pub fn finish(&mut self, w: BlobWriter) -> std::io::Result<(String, u64)> {
        let sha = hex(&w.hasher.finalize());
        if let (Some(file), Some(dir)) = (w.file, &self.dir) {
            file.persist(dir.join(&sha)).map_err(|e| e.error)?;
        }
        if let (Some(bytes), Some(memory)) = (w.bytes, &mut self.memory) {
            memory.insert(sha.clone(), bytes);
        }
        Ok((sha, w.len))
    }

    /// The bytes kept for `sha256`, if any.
    pub fn get(&self, sha256: &str) -> Option<Vec<u8>> {
        if let Some(b) = self.memory.as_ref().and_then(|m| m.get(sha256)) {
            return Some(b.clone());
        }
        let dir = self.dir.as_ref()?;
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        std::fs::read(dir.join(sha256)).ok()
    }
}

pub struct BlobWriter {
    hasher: Sha256,
    len: u64,
    file: Option<tempfile::NamedTempFile>,
    bytes: Option<Vec<u8>>,
}

impl BlobWriter {
    pub fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.hasher.update(data);
        self.len += data.len() as u64;
        if let Some(f) = &mut self.file {
            f.write_all(data)?;
        }
        if let Some(b) = &mut self.bytes {
            b.extend_from_slice(data);
        }
        Ok(())
    }
}

/// SHA-256 of `data` as hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}
