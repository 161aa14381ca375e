//! What must hold for any input bytes opened as a compound file (panics say which property
//! broke): opening never panics; whatever opens can be walked whole, every stream read to
//! its end with no more bytes than the input justifies; a copy of it into a new compound
//! file (`IStorage::CopyTo`) commits, reopens and walks the same.

use std::sync::Arc;

use imessage::consts::*;
use imessage::storage::byte_arrays::VecLockBytes;
use imessage::storage::docfile::{create_bytes, open_bytes};
use imessage::storage::element_copy::{Exclusions, copy_to};
use imessage::storage::{ElementKind, Storage};

/// Element names, kinds and stream contents, in directory order.
fn walk(storage: &dyn Storage, depth: usize, input_len: usize, out: &mut Vec<String>) {
    if depth > 64 {
        return;
    }
    let Ok(mut elements) = storage.elements() else {
        out.push("elements refused".into());
        return;
    };
    elements.sort_by(|a, b| a.name.cmp(&b.name));
    for e in elements {
        match e.kind {
            ElementKind::Stream => {
                let content = storage.read_stream(&e.name, 4 * input_len as u64 + 4096);
                if let Ok(bytes) = &content {
                    assert!(
                        bytes.len() as u64 <= e.size,
                        "a stream gives more than its size"
                    );
                }
                out.push(format!(
                    "{depth} stream {:?} {:?}",
                    e.name,
                    content.map(|b| b.len()).map_err(|e| e.kind)
                ));
            }
            ElementKind::Storage => {
                out.push(format!("{depth} storage {:?} {:02X?}", e.name, e.clsid));
                if let Ok(sub) = storage.open_storage(&e.name, STGM_READ | STGM_SHARE_EXCLUSIVE) {
                    walk(sub.as_ref(), depth + 1, input_len, out);
                }
            }
        }
    }
}

pub fn check(data: &[u8]) {
    let lb = Arc::new(VecLockBytes::new(data.to_vec()));
    let Ok(src) = open_bytes(lb, STGM_READ | STGM_SHARE_DENY_WRITE) else {
        return;
    };
    let _ = src.stat();
    let mut before = Vec::new();
    walk(src.as_ref(), 0, data.len(), &mut before);
    // CopyTo into a new file: where every stream read whole, the copy must read the same.
    if before
        .iter()
        .any(|l| l.contains("Err") || l.contains("refused"))
    {
        return;
    }
    let out = Arc::new(VecLockBytes::new(Vec::new()));
    let dest = create_bytes(
        out.clone(),
        STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE,
        imessage::storage::Version::V3,
    )
    .expect("a new compound file in memory");
    if copy_to(src.as_ref(), dest.as_ref(), &Exclusions::default()).is_err() {
        return;
    }
    dest.commit(0).expect("commit of the copy");
    drop(dest);
    let copy = open_bytes(
        Arc::new(VecLockBytes::new(out.to_vec())),
        STGM_READ | STGM_SHARE_DENY_WRITE,
    )
    .expect("our own copy opens");
    let mut after = Vec::new();
    walk(copy.as_ref(), 0, data.len(), &mut after);
    assert_eq!(before, after, "the copy walks as the original");
}
