//! What must hold for any input bytes that open as a `.msg` read-write (panics say which
//! property broke): after one property is set and the message saved (`SaveChanges`, which
//! commits the storage), the saved file opens again and reads as the original did, apart
//! from the property set, which reads back as set.

use std::sync::Arc;

use imessage::consts::*;
use imessage::model::message::{MsgFile, PropOut};
use imessage::storage::Storage;
use imessage::storage::byte_arrays::VecLockBytes;
use imessage::storage::docfile::open_bytes;
use imessage::types::prop_value::PropValue;

use crate::read_msg_check::{Observed, observe_message, observe_names};

/// A property no writer sets: PT_LONG in the transmittable range.
const MARK: u32 = 0x67F0_0003;

/// Opens `bytes` read-only as a message and reads it whole.
fn open_and_read(bytes: &[u8], input_len: usize) -> Option<Observed> {
    let lb = Arc::new(VecLockBytes::new(bytes.to_vec()));
    let storage: Arc<dyn Storage> = open_bytes(lb, STGM_READ | STGM_SHARE_DENY_WRITE).ok()?;
    let (file, root) = MsgFile::open(storage, false, false).ok()?;
    assert_eq!(root, 0, "the top-level message is the first node");
    let seen = read(&file, input_len);
    drop(file.close_node(root));
    Some(seen)
}

fn read(file: &Arc<MsgFile>, input_len: usize) -> Observed {
    let mut seen = Observed::default();
    observe_message(file, 0, 0, input_len, &mut seen, Some(MARK));
    observe_names(file, 0, &mut seen);
    seen
}

pub fn check(data: &[u8]) {
    let Some(before) = open_and_read(data, data.len()) else {
        return;
    };
    let lb = Arc::new(VecLockBytes::new(data.to_vec()));
    let mode = STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE;
    let Ok(storage) = open_bytes(lb.clone(), mode) else {
        return;
    };
    let storage: Arc<dyn Storage> = storage;
    let Ok((file, root)) = MsgFile::open(storage, false, false) else {
        return;
    };
    let problems = file
        .set_props(root, vec![(MARK, PropValue::Long(0x1234_5678))])
        .expect("SetProps on a message opened read-write");
    assert!(problems.is_empty(), "SetProps problems: {problems:?}");
    if file.save(root).is_err() {
        return;
    }
    drop(file.close_node(root));
    drop(file);
    let saved = lb.to_vec();
    let storage: Arc<dyn Storage> = open_bytes(
        Arc::new(VecLockBytes::new(saved.clone())),
        STGM_READ | STGM_SHARE_DENY_WRITE,
    )
    .expect("the saved file opens as a compound file");
    let (file, root) =
        MsgFile::open(storage, false, false).expect("the saved file opens as a message");
    let mark = file
        .get_props(root, Some(&[MARK]), false)
        .expect("GetProps");
    assert_eq!(
        mark,
        vec![PropOut::Value(MARK, PropValue::Long(0x1234_5678))],
        "the property set reads back"
    );
    drop(file.close_node(root));
    // Streams may give up to the saved file's size: the bound follows the larger input.
    let after = open_and_read(&saved, data.len().max(saved.len())).expect("reopens");
    assert_eq!(
        before.lines, after.lines,
        "the saved file reads as the original"
    );
}
