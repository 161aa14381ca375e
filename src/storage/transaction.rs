//! Transactions of our compound files: a *workspace* holds the tree that open handles see
//! (`working`) and the state of the last commit (`base`). Committing the root writes a new
//! compound file ([`super::publish`]); committing a nested transacted storage publishes its
//! tree into the parent's workspace; reverting goes back to `base`. Storages opened in
//! direct mode share their parent's workspace.
//!
//! Lock order: a nested workspace's lock may be held while its parent's is taken, never the
//! reverse. No lock here is held while code we do not own runs, except the file and image
//! writes of a commit.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::Version;
use super::byte_arrays::{Image, LockBytes};
use super::compound_writer::version_for;
use super::element_names::Key;
use super::publish::{self, Placing};
use super::share::ShareGuard;
use super::tree::{self, DirNode, ElementId, Node, dir_mut, reverted};
use crate::consts::*;
use crate::error::{ErrorKind, Result, err};

/// Where a workspace's commit goes.
pub enum Target {
    /// A file on disk, replaced atomically; `share` is the open's place among the file's
    /// opens (and its locks on the file).
    File {
        path: PathBuf,
        version: Version,
        share: Option<ShareGuard>,
    },
    /// A lock-bytes, and the image it holds (as we last read or wrote it).
    Bytes {
        lb: Arc<dyn LockBytes>,
        version: Version,
        image: Image,
    },
    /// The parent workspace's tree, at `path`, where the storage with node `id` lives.
    Parent {
        parent: Arc<Workspace>,
        path: Vec<Key>,
        id: ElementId,
    },
}

pub struct WsInner {
    pub base: Arc<DirNode>,
    pub working: Arc<DirNode>,
    pub target: Target,
    /// Elements open through a handle, with the number of handles (exclusive access).
    pub open: HashMap<ElementId, usize>,
    /// Set by changes since the last commit or revert.
    pub dirty: bool,
    /// For a file target: the file on disk holds `base`. Clear only for a transacted
    /// create over an existing file, which replaces that file at its first commit.
    pub on_disk: bool,
    /// For a file target: the file as this workspace last saw it, for `STGC_ONLYIFCURRENT`.
    seen: Option<FileStamp>,
    /// For a file target this open created and has not committed into yet: the file, for
    /// its first commit to be written into ([`publish::commit_fresh`]).
    pub fresh: Option<publish::Fresh>,
}

/// What tells whether a file was replaced or rewritten since it was looked at.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

fn stamp_of(path: &Path) -> Option<FileStamp> {
    stamp_of_meta(&std::fs::metadata(path).ok()?)
}

fn stamp_of_meta(meta: &std::fs::Metadata) -> Option<FileStamp> {
    Some(FileStamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

pub struct Workspace {
    pub inner: Mutex<WsInner>,
    /// Held through a commit, so that commits of one workspace do not interleave while the
    /// lock-bytes case writes with `inner` unlocked. Taken before `inner`.
    commit_lock: Mutex<()>,
}

impl Workspace {
    pub fn new(tree: Arc<DirNode>, target: Target) -> Arc<Workspace> {
        let seen = match &target {
            Target::File { path, .. } => stamp_of(path),
            _ => None,
        };
        Self::build(tree, target, seen)
    }

    /// A workspace on a file whose metadata the caller has (`None`: no file yet), which
    /// spares looking the path up again.
    pub fn with_file_meta(
        tree: Arc<DirNode>,
        target: Target,
        meta: Option<&std::fs::Metadata>,
    ) -> Arc<Workspace> {
        Self::build(tree, target, meta.and_then(stamp_of_meta))
    }

    fn build(tree: Arc<DirNode>, target: Target, seen: Option<FileStamp>) -> Arc<Workspace> {
        Arc::new(Workspace {
            commit_lock: Mutex::new(()),
            inner: Mutex::new(WsInner {
                base: tree.clone(),
                working: tree,
                target,
                open: HashMap::new(),
                dirty: false,
                on_disk: true,
                seen,
                fresh: None,
            }),
        })
    }

    /// Records one more handle on element `id`, which must not be open already (elements
    /// are opened exclusively).
    pub fn register(inner: &mut WsInner, id: ElementId) -> Result<()> {
        if inner.open.contains_key(&id) {
            return err(
                ErrorKind::StgAccessDenied,
                "the element is already open (elements are opened exclusively)",
            );
        }
        inner.open.insert(id, 1);
        Ok(())
    }

    pub fn unregister(&self, id: ElementId) {
        let mut inner = self.inner.lock();
        if let Some(count) = inner.open.get_mut(&id) {
            *count -= 1;
            if *count == 0 {
                inner.open.remove(&id);
            }
        }
    }

    pub fn commit(&self, flags: u32) -> Result<()> {
        let _serial = self.commit_lock.lock();
        let mut inner = self.inner.lock();
        let snapshot = inner.working.clone();
        if flags & STGC_ONLYIFCURRENT != 0
            && let Target::File { path, .. } = &inner.target
            && inner.seen.is_some()
            && stamp_of(path) != inner.seen
        {
            return err(
                ErrorKind::StgNotCurrent,
                format!(
                    "{} changed since it was opened or last committed (STGC_ONLYIFCURRENT)",
                    path.display()
                ),
            );
        }
        if !inner.dirty && inner.on_disk && !matches!(inner.target, Target::Parent { .. }) {
            // Nothing changed since the file was written (a `Commit` right after
            // `SaveChanges`, which commits too): rewriting it would copy every byte again.
            return Ok(());
        }
        if let Target::Bytes { lb, version, image } = &inner.target {
            // The lock-bytes may be a caller's object: it is called with no lock held
            // (DESIGN decision 6). Changes made meanwhile stay in `working`.
            let (lb, old) = (lb.clone(), image.clone());
            let version = version_for(&snapshot, *version);
            drop(inner);
            let (new_image, file, layout) =
                publish::publish_bytes(lb.as_ref(), &snapshot, version, &old)?;
            let rebased = Arc::new(tree::rebase(&snapshot, &file, &layout.streams));
            let mut inner = self.inner.lock();
            if let Target::Bytes { image, .. } = &mut inner.target {
                *image = new_image;
            }
            inner.base = rebased.clone();
            inner.on_disk = true;
            if Arc::ptr_eq(&inner.working, &snapshot) {
                inner.working = rebased;
                inner.dirty = false;
            }
            return Ok(());
        }
        let inner = &mut *inner;
        match &mut inner.target {
            Target::Bytes { .. } => unreachable!("handled above"),
            Target::File {
                path,
                version,
                share,
            } => {
                let version = version_for(&snapshot, *version);
                let in_place = match &inner.fresh {
                    Some(fresh) => {
                        publish::commit_fresh(path, fresh, &snapshot, version, share.as_mut())?
                    }
                    None => None,
                };
                let new = match in_place {
                    Some(new) => new,
                    None => publish::publish_file(
                        path,
                        &snapshot,
                        version,
                        share.as_mut(),
                        true,
                        Placing::Replace,
                    )?,
                };
                let rebased = Arc::new(tree::rebase(&snapshot, &new.file, &new.layout.streams));
                inner.seen = new.meta.as_ref().and_then(stamp_of_meta);
                inner.base = rebased.clone();
                inner.working = rebased;
                inner.on_disk = true;
                // Committed content is only ever replaced from now on.
                inner.fresh = None;
            }
            Target::Parent { parent, path, id } => {
                let mut p = parent.inner.lock();
                let dir = dir_mut(&mut p.working, &path[..path.len() - 1]).ok_or_else(reverted)?;
                let slot = dir
                    .children
                    .get_mut(path.last().expect("a nested workspace has a path"))
                    .filter(|c| c.node.id() == *id)
                    .ok_or_else(reverted)?;
                slot.node = Node::Dir(snapshot.clone());
                p.dirty = true;
                drop(p);
                inner.base = snapshot;
            }
        }
        inner.dirty = false;
        Ok(())
    }

    pub fn revert(&self) {
        let mut inner = self.inner.lock();
        inner.working = inner.base.clone();
        inner.dirty = false;
    }
}
