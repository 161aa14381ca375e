//! The element tree of one of our compound files: storages and streams as reference-counted
//! nodes, shared between the states of a transaction (copy-on-write), and the ways to find
//! a node in it.
//!
//! A tree comes from the directory of a file we opened ([`from_directory`]), and is pointed
//! at the file a commit wrote ([`rebase`]). Stream content is a [`Blob`]: untouched content
//! stays in the file and is read from there.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::blob::Blob;
use super::compound_reader::{CompoundFile, Directory};
use super::element_names::Key;
use super::filetime_now;
use crate::error::{Error, ErrorKind, Result};

/// Identifies a storage or stream node for as long as the process lives (open handles hold
/// it; a node replaced by another of the same name has another id).
pub type ElementId = u64;

pub fn new_id() -> ElementId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[derive(Clone)]
pub struct DirNode {
    pub id: ElementId,
    pub clsid: [u8; 16],
    pub state_bits: u32,
    pub ctime: u64,
    pub mtime: u64,
    pub atime: u64,
    pub children: BTreeMap<Key, Child>,
}

impl DirNode {
    pub fn new() -> DirNode {
        let now = filetime_now();
        DirNode {
            id: new_id(),
            clsid: [0; 16],
            state_bits: 0,
            ctime: now,
            mtime: now,
            atime: 0,
            children: BTreeMap::new(),
        }
    }

    /// The node's own fields with no children.
    pub fn clone_shallow(&self) -> DirNode {
        DirNode {
            id: self.id,
            clsid: self.clsid,
            state_bits: self.state_bits,
            ctime: self.ctime,
            mtime: self.mtime,
            atime: self.atime,
            children: BTreeMap::new(),
        }
    }
}

impl Default for DirNode {
    fn default() -> DirNode {
        DirNode::new()
    }
}

#[derive(Clone)]
pub struct Child {
    pub name: String,
    pub node: Node,
}

#[derive(Clone)]
pub enum Node {
    Dir(Arc<DirNode>),
    Stream(Arc<StreamNode>),
}

impl Node {
    pub fn id(&self) -> ElementId {
        match self {
            Node::Dir(d) => d.id,
            Node::Stream(s) => s.id,
        }
    }
}

#[derive(Clone)]
pub struct StreamNode {
    pub id: ElementId,
    pub data: Blob,
}

/// The tree of a file we opened: every element reachable from its root, stream content
/// read from the file on demand. A name found twice in one storage: the first one wins.
pub fn from_directory(file: &Arc<CompoundFile>, dir: &Directory) -> DirNode {
    fn build(file: &Arc<CompoundFile>, dir: &Directory, index: usize) -> DirNode {
        let e = &dir.entries[index];
        let mut node = DirNode {
            id: new_id(),
            clsid: e.clsid,
            state_bits: e.state_bits,
            ctime: e.ctime,
            mtime: e.mtime,
            atime: 0,
            children: BTreeMap::new(),
        };
        for &c in &e.children {
            let entry = &dir.entries[c];
            let key = Key::new(&entry.name);
            if node.children.contains_key(&key) {
                continue;
            }
            let child = if entry.is_storage {
                Node::Dir(Arc::new(build(file, dir, c)))
            } else {
                Node::Stream(Arc::new(StreamNode {
                    id: new_id(),
                    data: stream_blob(file, entry.start, entry.size),
                }))
            };
            node.children.insert(
                key,
                Child {
                    name: entry.name.clone(),
                    node: child,
                },
            );
        }
        node
    }
    build(file, dir, 0)
}

fn stream_blob(file: &Arc<CompoundFile>, start: u32, size: u64) -> Blob {
    let source = file.stream(start, size);
    let len = source.len();
    if len == 0 {
        Blob::default()
    } else {
        Blob::external(Arc::new(source), len)
    }
}

/// Total bytes of stream content below `dir`.
pub fn content_size(dir: &DirNode) -> u64 {
    dir.children
        .values()
        .map(|c| match &c.node {
            Node::Dir(d) => content_size(d),
            Node::Stream(s) => s.data.len(),
        })
        .sum()
}

/// The same tree with every stream's content pointing into `file` (which a commit just
/// wrote from `tree`), where `places` says each stream node's start sector and size. Node
/// ids are kept, so open handles stay valid.
pub fn rebase(
    tree: &DirNode,
    file: &Arc<CompoundFile>,
    places: &HashMap<ElementId, (u32, u64)>,
) -> DirNode {
    let mut out = tree.clone_shallow();
    for (key, child) in &tree.children {
        let node = match &child.node {
            Node::Dir(d) => Node::Dir(Arc::new(rebase(d, file, places))),
            Node::Stream(s) => match places.get(&s.id) {
                Some(&(start, size)) => Node::Stream(Arc::new(StreamNode {
                    id: s.id,
                    data: stream_blob(file, start, size),
                })),
                None => child.node.clone(),
            },
        };
        out.children.insert(
            key.clone(),
            Child {
                name: child.name.clone(),
                node,
            },
        );
    }
    out
}

// ===== finding nodes =====

pub fn reverted() -> Error {
    Error::new(
        ErrorKind::StgReverted,
        "the element was removed, or its parent was reverted or released",
    )
}

/// The storage at `path` from `root`, if it is still node `id`.
pub fn dir_at<'a>(root: &'a DirNode, path: &[Key], id: ElementId) -> Result<&'a DirNode> {
    let mut cur = root;
    for key in path {
        cur = match cur.children.get(key) {
            Some(Child {
                node: Node::Dir(d), ..
            }) => d,
            _ => return Err(reverted()),
        };
    }
    if cur.id != id {
        return Err(reverted());
    }
    Ok(cur)
}

/// The storage at `path`, made writable (copied where it is shared).
pub fn dir_mut<'a>(root: &'a mut Arc<DirNode>, path: &[Key]) -> Option<&'a mut DirNode> {
    let mut cur = root;
    for key in path {
        let dir = Arc::make_mut(cur);
        cur = match dir.children.get_mut(key) {
            Some(Child {
                node: Node::Dir(d), ..
            }) => d,
            _ => return None,
        };
    }
    Some(Arc::make_mut(cur))
}

/// The storage at `path`, made writable, if it is still node `id`.
pub fn checked_dir_mut<'a>(
    root: &'a mut Arc<DirNode>,
    path: &[Key],
    id: ElementId,
) -> Result<&'a mut DirNode> {
    dir_at(root, path, id)?;
    Ok(dir_mut(root, path).expect("checked above"))
}

/// The stream at `path`, if it is still node `id`.
pub fn stream_at<'a>(root: &'a DirNode, path: &[Key], id: ElementId) -> Result<&'a StreamNode> {
    let (leaf, parents) = path.split_last().ok_or_else(reverted)?;
    let mut cur = root;
    for key in parents {
        cur = match cur.children.get(key) {
            Some(Child {
                node: Node::Dir(d), ..
            }) => d,
            _ => return Err(reverted()),
        };
    }
    match cur.children.get(leaf) {
        Some(Child {
            node: Node::Stream(s),
            ..
        }) if s.id == id => Ok(s),
        _ => Err(reverted()),
    }
}

/// The stream at `path`, made writable, if it is still node `id`.
pub fn stream_mut<'a>(
    root: &'a mut Arc<DirNode>,
    path: &[Key],
    id: ElementId,
) -> Result<&'a mut StreamNode> {
    stream_at(root, path, id)?;
    let (leaf, parents) = path.split_last().expect("checked above");
    let dir = dir_mut(root, parents).expect("checked above");
    match dir.children.get_mut(leaf) {
        Some(Child {
            node: Node::Stream(s),
            ..
        }) => Ok(Arc::make_mut(s)),
        _ => unreachable!("checked above"),
    }
}
