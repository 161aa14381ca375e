//! `OpenProperty(..., IID_IStream)`: a stream over one property's value.
//!
//! As in Microsoft's implementation, a property stream writes into its object: its content
//! is part of the file's state (the table of open streams in [`FileState`], under the file's
//! one lock), and whatever has been written is applied to the object's properties before the
//! object is read or saved (`GetProps`, `GetPropList`, `OpenProperty`, `SetProps`,
//! `SaveChanges`, ...), whether or not the stream was committed, and whether it is released
//! before or after the save. `Commit` applies it at once (so that errors show there);
//! `Revert` changes nothing, as on Windows' direct-mode property streams. Releasing the
//! object without `SaveChanges` discards what was applied, like any other unsaved change.
//!
//! Handles hold the file, the entry's id and their own position; every read and write is
//! made under the file's lock alone. (The COM shell's mutex around a handle is taken before
//! the file's lock, never while it is held: the file never calls into a handle.)
#![forbid(unsafe_code)]

use std::any::Any;
use std::io::SeekFrom;
use std::sync::Arc;

use super::message::MsgFile;
use super::open_streams::OpenStreams;
use super::state::NodeId;
use crate::consts::*;
use crate::error::{ErrorKind, Result, err};
use crate::storage::{ElementKind, ElementStat, Stream};

/// One handle on a property stream; clones share content, not position.
pub struct PropertyStream {
    file: Arc<MsgFile>,
    id: u64,
    pos: u64,
    writable: bool,
}

impl PropertyStream {
    pub fn open(
        file: Arc<MsgFile>,
        node: NodeId,
        tag: u32,
        modify: bool,
        create: bool,
    ) -> Result<PropertyStream> {
        let id = file.open_prop_stream(node, tag, modify, create)?;
        Ok(PropertyStream {
            file,
            id,
            pos: 0,
            writable: modify,
        })
    }

    /// Runs `f` on this stream's entry, under the file's lock.
    fn with<R>(&self, f: impl FnOnce(&mut OpenStreams) -> Result<R>) -> Result<R> {
        self.file.with(|st| f(&mut st.streams))
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

impl Drop for PropertyStream {
    fn drop(&mut self) {
        // A closed file has no entries left; the removed entry is dropped outside the lock.
        let removed = self.file.with(|st| Ok(st.release_stream(self.id)));
        drop(removed);
    }
}

impl Stream for PropertyStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.with(|t| t.entry(self.id)?.content.read_at(self.pos, buf))?;
        self.pos += n as u64;
        Ok(n)
    }

    fn write(&mut self, data: &[u8]) -> Result<usize> {
        self.check_writable()?;
        self.with(|t| t.entry_to_write(self.id)?.content.write_at(self.pos, data))?;
        self.pos += data.len() as u64;
        Ok(data.len())
    }

    fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        self.pos = crate::storage::seek_position(self.pos, pos, || self.size())?;
        Ok(self.pos)
    }

    fn size(&self) -> Result<u64> {
        self.with(|t| Ok(t.entry(self.id)?.content.len()))
    }

    fn set_len(&mut self, len: u64) -> Result<()> {
        self.check_writable()?;
        self.with(|t| t.entry_to_write(self.id)?.content.set_len(len))
    }

    /// Applies the content to the object now (the object's `SaveChanges` would anyway).
    fn commit(&mut self) -> Result<()> {
        self.file.with(|st| st.apply_stream(self.id))
    }

    /// Property streams write into their object directly, as Windows' do: nothing to undo.
    fn revert(&mut self) -> Result<()> {
        self.with(|t| t.entry(self.id).map(drop))
    }

    fn stat(&self) -> Result<ElementStat> {
        let (tag, size) = self.with(|t| {
            let e = t.entry(self.id)?;
            Ok((e.tag, e.content.len()))
        })?;
        Ok(ElementStat {
            name: crate::codec::value_stream_name(tag),
            kind: ElementKind::Stream,
            size,
            mtime: 0,
            ctime: 0,
            atime: 0,
            mode: if self.writable {
                STGM_READWRITE
            } else {
                STGM_READ
            },
            clsid: [0; 16],
            state_bits: 0,
        })
    }

    fn clone_stream(&self) -> Result<Box<dyn Stream>> {
        self.with(|t| {
            t.entry(self.id)?.handles += 1;
            Ok(())
        })?;
        Ok(Box::new(PropertyStream {
            file: self.file.clone(),
            id: self.id,
            pos: self.pos,
            writable: self.writable,
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;
    use crate::model::message::PropOut;
    use crate::storage::docfile::{create_file, open_file};
    use crate::storage::{Blob, Storage};
    use crate::types::prop_value::{PropValue, tags::*};

    const RTF: u32 = 0x1009_0102; // PR_RTF_COMPRESSED
    const PR_HTML: u32 = 0x1013_0102;
    const PR_BODY_A: u32 = 0x1000_001E;

    struct Fixture {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
    }

    impl Fixture {
        fn new() -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("m.msg");
            Fixture { _dir: dir, path }
        }

        /// A new message (Unicode unless `ansi`), its file and top node.
        fn create(&self, unicode: bool) -> (Arc<MsgFile>, NodeId) {
            let mode = STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE;
            let root = create_file(&self.path, mode, crate::storage::Version::V3).unwrap();
            MsgFile::open(root, unicode, false).unwrap()
        }

        fn reopen(&self) -> (Arc<MsgFile>, NodeId) {
            let root = open_file(&self.path, STGM_READ | STGM_TRANSACTED).unwrap();
            MsgFile::open(root, false, false).unwrap()
        }
    }

    fn open(file: &Arc<MsgFile>, node: NodeId, tag: u32, create: bool) -> PropertyStream {
        PropertyStream::open(file.clone(), node, tag, true, create).unwrap()
    }

    /// The bytes a property holds, read through a read-only stream.
    fn bytes(file: &Arc<MsgFile>, node: NodeId, tag: u32) -> Option<Vec<u8>> {
        let mut s = PropertyStream::open(file.clone(), node, tag, false, false).ok()?;
        let mut out = vec![0; s.size().unwrap() as usize];
        let mut done = 0;
        while done < out.len() {
            done += s.read(&mut out[done..]).unwrap();
        }
        Some(out)
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    fn new_attachment(file: &MsgFile, top: NodeId) -> (u32, NodeId) {
        let (num, a) = file.create_attach(top).unwrap();
        let method = PropValue::Long(ATTACH_BY_VALUE as i32);
        file.set_props(a, vec![(PR_ATTACH_METHOD, method)]).unwrap();
        (num, a)
    }

    #[test]
    fn what_was_written_is_saved_without_commit_or_release() {
        let fx = Fixture::new();
        let (file, top) = fx.create(true);
        let mut s = open(&file, top, RTF, true);
        s.write(&pattern(300_000, 1)).unwrap();
        file.save(top).unwrap();
        // Written after the save: not in the file (the message is not saved again).
        s.write(b"tail").unwrap();
        drop(file.close());
        drop(s);
        let (file, top) = fx.reopen();
        assert_eq!(bytes(&file, top, RTF), Some(pattern(300_000, 1)));
    }

    #[test]
    fn set_props_and_delete_props_over_an_open_stream_win_until_it_writes_again() {
        // Found by the modify_msg fuzzer: a stream left open kept answering its old bytes
        // to new readers after SetProps had replaced the property, and the save wrote the
        // SetProps value.
        const BIN: u32 = 0x67F1_0102;
        let fx = Fixture::new();
        let (file, top) = fx.create(true);
        let mut s = open(&file, top, BIN, true);
        s.write(b"written").unwrap();
        file.set_props(top, vec![(BIN, PropValue::Binary(b"set".to_vec()))])
            .unwrap();
        assert_eq!(bytes(&file, top, BIN), Some(b"set".to_vec()));
        // The open stream goes on from what the object holds now, at its own position.
        s.write(b"+more").unwrap();
        assert_eq!(bytes(&file, top, BIN), Some(b"set\0\0\0\0+more".to_vec()));
        file.delete_props(top, &[BIN]).unwrap();
        assert_eq!(bytes(&file, top, BIN), None);
        file.save(top).unwrap();
        drop(s);
        drop(file.close());
        let (file, top) = fx.reopen();
        assert_eq!(bytes(&file, top, BIN), None);
    }

    #[test]
    fn bytes_written_after_a_save_are_saved_by_the_next_one() {
        let fx = Fixture::new();
        let (file, top) = fx.create(true);
        let mut s = open(&file, top, RTF, true);
        s.write(b"first ").unwrap();
        file.save(top).unwrap();
        s.write(b"second").unwrap();
        file.save(top).unwrap();
        drop(s);
        drop(file.close());
        let (file, top) = fx.reopen();
        assert_eq!(bytes(&file, top, RTF).unwrap(), b"first second");
    }

    #[test]
    fn get_props_answers_what_the_open_stream_holds() {
        let fx = Fixture::new();
        let (file, top) = fx.create(true);
        let mut s = open(&file, top, PR_BODY_W, true);
        let text: Vec<u8> = "hello".encode_utf16().flat_map(u16::to_le_bytes).collect();
        s.write(&text).unwrap();
        let got = file.get_props(top, Some(&[PR_BODY_W]), true).unwrap();
        assert_eq!(
            got[0],
            PropOut::Value(
                PR_BODY_W,
                PropValue::Unicode("hello".encode_utf16().collect())
            )
        );
        assert!(file.get_prop_list(top, true).unwrap().contains(&PR_BODY_W));
        // A second open of the same property shares the content.
        let mut again = PropertyStream::open(file.clone(), top, PR_BODY_W, false, false).unwrap();
        s.write(&text[..2]).unwrap();
        let mut buf = vec![0; 64];
        assert_eq!(again.read(&mut buf).unwrap(), 12);
        assert_eq!(&buf[..12], [&text[..], &text[..2]].concat());
    }

    #[test]
    fn an_attachment_stream_released_after_every_save_is_saved() {
        let fx = Fixture::new();
        let (file, top) = fx.create(true);
        let (num, a) = new_attachment(&file, top);
        let mut s = open(&file, a, PR_ATTACH_DATA_BIN, true);
        s.write(&pattern(2 << 20, 7)).unwrap();
        s.set_len(1 << 20).unwrap();
        file.save(a).unwrap();
        file.save(top).unwrap();
        drop(s);
        drop(file.close_node(a));
        drop(file.close());
        let (file, top) = fx.reopen();
        let a = file.open_attach(top, num, false, false).unwrap();
        assert_eq!(
            bytes(&file, a, PR_ATTACH_DATA_BIN),
            Some(pattern(1 << 20, 7))
        );
    }

    #[test]
    fn an_attachment_closed_without_save_discards_its_streams() {
        let fx = Fixture::new();
        let (file, top) = fx.create(true);
        let (num, a) = new_attachment(&file, top);
        file.save(a).unwrap();
        let mut s = open(&file, a, PR_ATTACH_DATA_BIN, true);
        s.write(b"unsaved").unwrap();
        drop(file.close_node(a));
        // The stream's object is gone.
        assert_eq!(s.write(b"x").unwrap_err().kind, ErrorKind::ObjectDeleted);
        drop(s);
        file.save(top).unwrap();
        drop(file.close());
        let (file, top) = fx.reopen();
        let a = file.open_attach(top, num, false, false).unwrap();
        assert_eq!(bytes(&file, a, PR_ATTACH_DATA_BIN), None);
    }

    /// A stream on an embedded message's property, saved by the embedded message's save,
    /// then the attachment's, then the outer message's; released last.
    #[test]
    fn an_embedded_message_stream_is_saved_from_the_inside_out() {
        let fx = Fixture::new();
        let (file, top) = fx.create(true);
        let (num, a) = file.create_attach(top).unwrap();
        let method = PropValue::Long(ATTACH_EMBEDDED_MSG as i32);
        file.set_props(a, vec![(PR_ATTACH_METHOD, method)]).unwrap();
        let e = file.open_embedded(a, true, true, false).unwrap();
        let mut s = open(&file, e, PR_HTML, true);
        s.write(&pattern(100 << 10, 3)).unwrap();
        for node in [e, a, top] {
            file.save(node).unwrap();
        }
        drop(s);
        drop(file.close());
        let (file, top) = fx.reopen();
        let a = file.open_attach(top, num, false, false).unwrap();
        let e = file.open_embedded(a, false, false, false).unwrap();
        assert_eq!(bytes(&file, e, PR_HTML), Some(pattern(100 << 10, 3)));
    }

    /// Clones share content, each with its own position; Revert keeps what was written
    /// (property streams write into their object directly); Commit reports errors.
    #[test]
    fn clones_share_content_and_revert_keeps_it() {
        let fx = Fixture::new();
        let (file, top) = fx.create(true);
        let mut s = open(&file, top, RTF, true);
        s.write(b"abc").unwrap();
        let mut c = s.clone_stream().unwrap();
        c.write(b"def").unwrap();
        s.seek(SeekFrom::Start(0)).unwrap();
        let mut buf = [0; 8];
        assert_eq!(s.read(&mut buf).unwrap(), 6);
        assert_eq!(&buf[..6], b"abcdef");
        s.revert().unwrap();
        assert_eq!(c.size().unwrap(), 6);
        c.commit().unwrap();
        drop(s);
        drop(c);
        file.save(top).unwrap();
        drop(file.close());
        let (file, top) = fx.reopen();
        assert_eq!(bytes(&file, top, RTF).unwrap(), b"abcdef");
    }

    #[test]
    fn a_closed_file_answers_object_deleted() {
        let fx = Fixture::new();
        let (file, top) = fx.create(true);
        let mut s = open(&file, top, RTF, true);
        s.write(b"abc").unwrap();
        drop(file.close());
        for e in [
            s.write(b"x").unwrap_err(),
            s.read(&mut [0; 4]).unwrap_err(),
            s.commit().unwrap_err(),
            s.stat().unwrap_err(),
        ] {
            assert_eq!(e.kind, ErrorKind::ObjectDeleted);
        }
    }

    /// In an 8-bit message, a `PT_UNICODE` stream is stored 8-bit at the save; a value
    /// too large to convert fails the save (and `Commit`), not silently.
    #[test]
    fn an_8bit_message_stores_a_unicode_stream_converted() {
        let fx = Fixture::new();
        let (file, top) = fx.create(false);
        let mut s = open(&file, top, PR_BODY_W, true);
        let text: Vec<u8> = "caf\u{e9}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        s.write(&text).unwrap();
        file.save(top).unwrap();
        drop(s);
        drop(file.close());
        let (file, top) = fx.reopen();
        assert_eq!(bytes(&file, top, PR_BODY_A).unwrap(), b"caf\xE9");
    }

    /// A stream is stored in its own message's width: a `PT_UNICODE` body written into a
    /// Unicode embedded message inside an 8-bit one stays `PT_UNICODE` there, while the
    /// outer message's is stored 8-bit; neither was committed, both released last.
    #[test]
    fn a_stream_takes_the_width_of_its_own_message() {
        let fx = Fixture::new();
        let (file, top) = fx.create(false);
        let (num, a) = file.create_attach(top).unwrap();
        let method = PropValue::Long(ATTACH_EMBEDDED_MSG as i32);
        file.set_props(a, vec![(PR_ATTACH_METHOD, method)]).unwrap();
        let e = file.open_embedded(a, true, true, true).unwrap();
        let text: Vec<u8> = "caf\u{e9}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut inner = open(&file, e, PR_BODY_W, true);
        let mut outer = open(&file, top, PR_BODY_W, true);
        inner.write(&text).unwrap();
        outer.write(&text).unwrap();
        for node in [e, a, top] {
            file.save(node).unwrap();
        }
        drop((inner, outer));
        drop(file.close());
        // On disk: an 8-bit body in the root, a Unicode one in the embedded message.
        let root = open_file(&fx.path, STGM_READ | STGM_TRANSACTED).unwrap();
        let read = STGM_READ | STGM_SHARE_EXCLUSIVE;
        let object = root
            .open_storage(&codec::attachment_storage_name(num), read)
            .unwrap()
            .open_storage(codec::ATTACH_OBJECT_STORAGE, read)
            .unwrap();
        let body = |s: &dyn Storage, ty: &str| {
            s.read_stream(&format!("__substg1.0_1000{ty}"), 1 << 10)
                .ok()
        };
        assert_eq!(
            body(root.as_ref(), "001E").as_deref(),
            Some(&b"caf\xE9"[..])
        );
        assert_eq!(body(root.as_ref(), "001F"), None);
        assert_eq!(body(object.as_ref(), "001F"), Some(text));
        assert_eq!(body(object.as_ref(), "001E"), None);
    }

    /// The storage handed out for an OLE object is committed by the attachment's save.
    #[test]
    fn an_object_storage_written_without_commit_is_saved_by_the_attachment() {
        let fx = Fixture::new();
        let (file, top) = fx.create(true);
        let (num, a) = file.create_attach(top).unwrap();
        let method = PropValue::Long(ATTACH_OLE as i32);
        file.set_props(a, vec![(PR_ATTACH_METHOD, method)]).unwrap();
        let storage = file.open_object_storage(a, true, true).unwrap();
        storage
            .write_stream("Contents", &Blob::from_vec(b"ole bytes".to_vec()))
            .unwrap();
        // A second open returns the same storage.
        let again = file.open_object_storage(a, false, true).unwrap();
        assert!(Arc::ptr_eq(&storage, &again));
        drop((storage, again));
        file.save(a).unwrap();
        file.save(top).unwrap();
        drop(file.close_node(a));
        drop(file.close());
        let (file, top) = fx.reopen();
        let a = file.open_attach(top, num, false, false).unwrap();
        let storage = file.open_object_storage(a, false, false).unwrap();
        assert_eq!(storage.read_stream("Contents", 100).unwrap(), b"ole bytes");
    }
}
