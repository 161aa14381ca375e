//! `OpenProperty(..., IID_IStream)`: a stream over one property's value. Writes become
//! the property's value at `Commit` or when the last handle is released.
#![forbid(unsafe_code)]

use std::any::Any;
use std::io::SeekFrom;
use std::sync::Arc;

use parking_lot::Mutex;

use super::message::{MsgFile, NodeId};
use crate::consts::*;
use crate::error::{ErrorKind, Result, err};
use crate::storage::{Blob, ElementKind, ElementStat, Stream};

struct Shared {
    file: Arc<MsgFile>,
    node: NodeId,
    tag: u32,
    content: Blob,
    /// The content as of the last commit, for `Revert`.
    committed: Blob,
    writable: bool,
    dirty: bool,
}

impl Shared {
    fn commit(&mut self) -> Result<()> {
        if self.dirty {
            self.file
                .set_from_stream(self.node, self.tag, self.content.clone())?;
            self.committed = self.content.clone();
            self.dirty = false;
        }
        Ok(())
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // A write-mode stream released without Commit still sets the property; errors can
        // only be seen by calling Commit.
        let _ = self.commit();
    }
}

/// One handle on a property stream; clones share content, not position.
pub struct PropertyStream {
    shared: Arc<Mutex<Shared>>,
    pos: u64,
}

/// The shared state, refusing when the message was closed by `CloseIMsgSession`.
fn live(shared: &Mutex<Shared>) -> Result<parking_lot::MutexGuard<'_, Shared>> {
    let shared = shared.lock();
    if shared.file.is_closed() {
        return err(
            ErrorKind::ObjectDeleted,
            "the message was closed by CloseIMsgSession",
        );
    }
    Ok(shared)
}

impl PropertyStream {
    pub fn open(
        file: Arc<MsgFile>,
        node: NodeId,
        tag: u32,
        modify: bool,
        create: bool,
    ) -> Result<PropertyStream> {
        let start = file.open_prop_stream(node, tag, modify, create)?;
        Ok(PropertyStream {
            shared: Arc::new(Mutex::new(Shared {
                file,
                node,
                tag,
                committed: start.content.clone(),
                content: start.content,
                writable: start.writable,
                // A created property exists (empty) even if nothing is written.
                dirty: create,
            })),
            pos: 0,
        })
    }
}

impl Stream for PropertyStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let shared = live(&self.shared)?;
        let n = shared.content.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn write(&mut self, data: &[u8]) -> Result<usize> {
        let mut shared = live(&self.shared)?;
        if !shared.writable {
            return err(
                ErrorKind::StgAccessDenied,
                "the property was opened without MAPI_MODIFY",
            );
        }
        shared.content.write_at(self.pos, data)?;
        shared.dirty = true;
        self.pos += data.len() as u64;
        Ok(data.len())
    }

    fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        let len = live(&self.shared)?.content.len();
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => len.checked_add_signed(d),
        };
        match target {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => err(
                ErrorKind::StgInvalidFunction,
                "seek before the start of the stream",
            ),
        }
    }

    fn size(&self) -> Result<u64> {
        Ok(live(&self.shared)?.content.len())
    }

    fn set_len(&mut self, len: u64) -> Result<()> {
        let mut shared = live(&self.shared)?;
        if !shared.writable {
            return err(
                ErrorKind::StgAccessDenied,
                "the property was opened without MAPI_MODIFY",
            );
        }
        shared.content.set_len(len)?;
        shared.dirty = true;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.shared.lock().commit()
    }

    fn revert(&mut self) -> Result<()> {
        let mut shared = live(&self.shared)?;
        shared.content = shared.committed.clone();
        shared.dirty = false;
        Ok(())
    }

    fn stat(&self) -> Result<ElementStat> {
        let shared = live(&self.shared)?;
        Ok(ElementStat {
            name: crate::codec::value_stream_name(shared.tag),
            kind: ElementKind::Stream,
            size: shared.content.len(),
            mtime: 0,
            ctime: 0,
            atime: 0,
            mode: if shared.writable {
                STGM_READWRITE
            } else {
                STGM_READ
            },
            clsid: [0; 16],
            state_bits: 0,
        })
    }

    fn clone_stream(&self) -> Result<Box<dyn Stream>> {
        drop(live(&self.shared)?);
        Ok(Box::new(PropertyStream {
            shared: self.shared.clone(),
            pos: self.pos,
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
