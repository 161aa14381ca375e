//! Stream handles of our compound files (`IStream` on a [`Workspace`]): a seek position
//! over one stream node of the workspace's tree. Streams are never transacted themselves:
//! what they write goes into their storage's workspace.
#![forbid(unsafe_code)]

use std::any::Any;
use std::io::SeekFrom;
use std::sync::Arc;

use super::element_names::Key;
use super::transaction::Workspace;
use super::tree::{ElementId, stream_at, stream_mut};
use super::{ElementKind, ElementStat, Stream, seek_position, wants_write};
use crate::consts::*;
use crate::error::{ErrorKind, Result, err};

// ===== stream handles =====

/// An open stream of one of our compound files. Streams are never transacted themselves:
/// they write into their storage's workspace.
pub struct DocStream {
    ws: Arc<Workspace>,
    path: Vec<Key>,
    id: ElementId,
    name: String,
    mode: u32,
    pos: u64,
}

impl DocStream {
    pub(super) fn new(
        ws: Arc<Workspace>,
        path: Vec<Key>,
        id: ElementId,
        name: String,
        mode: u32,
    ) -> DocStream {
        DocStream {
            ws,
            path,
            id,
            name,
            mode,
            pos: 0,
        }
    }

    fn require_write(&self) -> Result<()> {
        if !wants_write(self.mode) {
            return err(
                ErrorKind::StgAccessDenied,
                format!("stream {} was opened read-only", self.name),
            );
        }
        Ok(())
    }
}

impl Drop for DocStream {
    fn drop(&mut self) {
        self.ws.unregister(self.id);
    }
}

impl Stream for DocStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.mode & 3 == STGM_WRITE {
            return err(
                ErrorKind::StgAccessDenied,
                format!("stream {} was opened write-only", self.name),
            );
        }
        let inner = self.ws.inner.lock();
        let node = stream_at(&inner.working, &self.path, self.id)?;
        let n = node.data.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn write(&mut self, data: &[u8]) -> Result<usize> {
        self.require_write()?;
        let mut inner = self.ws.inner.lock();
        let node = stream_mut(&mut inner.working, &self.path, self.id)?;
        node.data.write_at(self.pos, data)?;
        inner.dirty = true;
        self.pos += data.len() as u64;
        Ok(data.len())
    }

    fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        self.pos = seek_position(self.pos, pos, || self.size())?;
        Ok(self.pos)
    }

    fn size(&self) -> Result<u64> {
        let inner = self.ws.inner.lock();
        Ok(stream_at(&inner.working, &self.path, self.id)?.data.len())
    }

    fn set_len(&mut self, len: u64) -> Result<()> {
        self.require_write()?;
        let mut inner = self.ws.inner.lock();
        stream_mut(&mut inner.working, &self.path, self.id)?
            .data
            .set_len(len)?;
        inner.dirty = true;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        // Writes already reached the storage's workspace.
        let inner = self.ws.inner.lock();
        stream_at(&inner.working, &self.path, self.id).map(|_| ())
    }

    fn revert(&mut self) -> Result<()> {
        Ok(())
    }

    fn stat(&self) -> Result<ElementStat> {
        Ok(ElementStat {
            name: self.name.clone(),
            kind: ElementKind::Stream,
            size: self.size()?,
            mtime: 0,
            ctime: 0,
            atime: 0,
            mode: self.mode,
            clsid: [0; 16],
            state_bits: 0,
        })
    }

    fn clone_stream(&self) -> Result<Box<dyn Stream>> {
        let mut inner = self.ws.inner.lock();
        stream_at(&inner.working, &self.path, self.id)?;
        *inner.open.entry(self.id).or_insert(0) += 1;
        Ok(Box::new(DocStream {
            ws: self.ws.clone(),
            path: self.path.clone(),
            id: self.id,
            name: self.name.clone(),
            mode: self.mode,
            pos: self.pos,
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
