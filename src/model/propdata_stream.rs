//! `OpenProperty(..., IID_IStream)` on an `IPropData`: a stream over one string or binary
//! value. Writes become the value at `Commit` or when the last handle is released, as on
//! a message's property stream.
#![forbid(unsafe_code)]

use std::any::Any;
use std::io::SeekFrom;
use std::sync::Arc;

use parking_lot::Mutex;

use super::propdata::PropData;
use crate::consts::*;
use crate::error::{ErrorKind, Result, err};
use crate::storage::{Blob, ElementKind, ElementStat, Stream};

struct Shared {
    data: Arc<Mutex<PropData>>,
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
            let bytes = self.content.to_vec()?;
            self.data.lock().set_from_stream(self.tag, &bytes)?;
            self.committed = self.content.clone();
            self.dirty = false;
        }
        Ok(())
    }

    fn check_writable(&self) -> Result<()> {
        if self.writable {
            Ok(())
        } else {
            err(
                ErrorKind::StgAccessDenied,
                "the property was opened without MAPI_MODIFY",
            )
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Released without Commit: the value is still set; errors show only to Commit.
        let _ = self.commit();
    }
}

/// One handle on a property stream; clones share content, not position.
pub struct PropDataStream {
    shared: Arc<Mutex<Shared>>,
    pos: u64,
}

impl PropDataStream {
    /// Opens `tag` of `data` (see [`PropData::stream_start`] for what is refused).
    pub fn open(
        data: Arc<Mutex<PropData>>,
        tag: u32,
        modify: bool,
        create: bool,
    ) -> Result<PropDataStream> {
        let start = data.lock().stream_start(tag, modify, create)?;
        let content = Blob::from_vec(start);
        Ok(PropDataStream {
            shared: Arc::new(Mutex::new(Shared {
                data,
                tag,
                committed: content.clone(),
                content,
                writable: modify || create,
                dirty: false,
            })),
            pos: 0,
        })
    }
}

impl Stream for PropDataStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.shared.lock().content.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn write(&mut self, data: &[u8]) -> Result<usize> {
        let mut shared = self.shared.lock();
        shared.check_writable()?;
        shared.content.write_at(self.pos, data)?;
        shared.dirty = true;
        self.pos += data.len() as u64;
        Ok(data.len())
    }

    fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        let len = || Ok(self.shared.lock().content.len());
        self.pos = crate::storage::seek_position(self.pos, pos, len)?;
        Ok(self.pos)
    }

    fn size(&self) -> Result<u64> {
        Ok(self.shared.lock().content.len())
    }

    fn set_len(&mut self, len: u64) -> Result<()> {
        let mut shared = self.shared.lock();
        shared.check_writable()?;
        shared.content.set_len(len)?;
        shared.dirty = true;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.shared.lock().commit()
    }

    fn revert(&mut self) -> Result<()> {
        let mut shared = self.shared.lock();
        shared.content = shared.committed.clone();
        shared.dirty = false;
        Ok(())
    }

    fn stat(&self) -> Result<ElementStat> {
        let shared = self.shared.lock();
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
        Ok(Box::new(PropDataStream {
            shared: self.shared.clone(),
            pos: self.pos,
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::message::PropOut;
    use crate::types::prop_value::PropValue;

    const PR_BODY_A: u32 = 0x1000_001E;

    #[test]
    fn writes_reach_the_value_at_commit_and_at_release() {
        let data = Arc::new(Mutex::new(PropData::new()));
        let mut s = PropDataStream::open(data.clone(), PR_BODY_A, true, true).unwrap();
        s.write(b"abc").unwrap();
        let value = |d: &Arc<Mutex<PropData>>| d.lock().get_props(Some(&[PR_BODY_A]), false);
        // Created: empty until committed.
        assert_eq!(
            value(&data),
            vec![PropOut::Value(PR_BODY_A, PropValue::String8(Vec::new()))]
        );
        s.commit().unwrap();
        assert_eq!(
            value(&data),
            vec![PropOut::Value(
                PR_BODY_A,
                PropValue::String8(b"abc".to_vec())
            )]
        );
        s.seek(SeekFrom::End(0)).unwrap();
        s.write(b"de").unwrap();
        drop(s);
        assert_eq!(
            value(&data),
            vec![PropOut::Value(
                PR_BODY_A,
                PropValue::String8(b"abcde".to_vec())
            )]
        );
        // Read-only handles refuse writes.
        let mut r = PropDataStream::open(data.clone(), PR_BODY_A, false, false).unwrap();
        assert_eq!(r.write(b"x").unwrap_err().kind, ErrorKind::StgAccessDenied);
        let mut buf = [0u8; 8];
        assert_eq!(r.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"abcde");
    }
}
