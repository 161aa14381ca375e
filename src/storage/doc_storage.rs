//! Storage handles of our compound files (`IStorage` on a [`Workspace`]): what a caller
//! opens, creates, renames or destroys inside a storage, checked against the rules ole32
//! follows (elements opened exclusively, access modes, names).
#![forbid(unsafe_code)]

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;

use super::blob::Blob;
use super::doc_stream::DocStream;
use super::element_names::{self, Key};
use super::transaction::{Target, Workspace, WsInner};
use super::tree::{
    Child, DirNode, ElementId, Node, StreamNode, checked_dir_mut, dir_at, dir_mut, new_id, reverted,
};
use super::{ElementKind, ElementStat, Storage, Stream, access_of, filetime_now, wants_write};
use crate::consts::*;
use crate::error::{ErrorKind, Result, err};

/// An open storage of one of our compound files.
pub struct DocStorage {
    ws: Arc<Workspace>,
    path: Vec<Key>,
    id: ElementId,
    name: String,
    mode: u32,
    /// The workspace this storage is registered in as open (not for file roots).
    registered_in: Option<Arc<Workspace>>,
    /// A root opened in direct mode publishes its changes when released.
    pub(super) commit_on_release: bool,
    /// A root created with `STGM_DELETEONRELEASE` removes its file when released.
    pub(super) delete_on_release: Option<PathBuf>,
    /// A root created with `STGM_CONVERT` over an existing file (`STG_S_CONVERTED`).
    pub converted: bool,
}

impl DocStorage {
    pub(super) fn root(
        ws: Arc<Workspace>,
        id: ElementId,
        name: String,
        mode: u32,
    ) -> Arc<DocStorage> {
        Arc::new(Self::new_root(ws, id, name, mode))
    }

    pub(super) fn new_root(
        ws: Arc<Workspace>,
        id: ElementId,
        name: String,
        mode: u32,
    ) -> DocStorage {
        DocStorage {
            ws,
            path: Vec::new(),
            id,
            name,
            mode,
            registered_in: None,
            commit_on_release: mode & STGM_TRANSACTED == 0 && wants_write(mode),
            delete_on_release: None,
            converted: false,
        }
    }

    /// The workspace of the compound file this storage belongs to (its root's), and the
    /// storage's path from that root, through nested transacted storages.
    pub fn location(&self) -> (Arc<Workspace>, Vec<Key>) {
        let mut path = self.path.clone();
        let mut ws = self.ws.clone();
        loop {
            let up = match &ws.inner.lock().target {
                Target::Parent { parent, path, .. } => Some((parent.clone(), path.clone())),
                _ => None,
            };
            match up {
                Some((parent, mut above)) => {
                    above.extend(path);
                    path = above;
                    ws = parent;
                }
                None => return (ws, path),
            }
        }
    }

    fn child_path(&self, name: &str) -> Vec<Key> {
        let mut path = self.path.clone();
        path.push(Key::new(name));
        path
    }

    fn require_write(&self) -> Result<()> {
        if !wants_write(self.mode) {
            return err(
                ErrorKind::StgAccessDenied,
                format!("storage {} was opened read-only", self.name),
            );
        }
        Ok(())
    }

    fn child_mode_allowed(&self, mode: u32) -> Result<()> {
        access_of(mode)?;
        if wants_write(mode) && !wants_write(self.mode) {
            return err(
                ErrorKind::StgAccessDenied,
                format!(
                    "cannot open an element for writing inside read-only storage {}",
                    self.name
                ),
            );
        }
        Ok(())
    }

    fn make_storage(
        &self,
        inner: &mut WsInner,
        name: String,
        dir: Arc<DirNode>,
        mode: u32,
    ) -> Result<Arc<dyn Storage>> {
        Workspace::register(inner, dir.id)?;
        let path = self.child_path(&name);
        let storage = if mode & STGM_TRANSACTED != 0 {
            let id = dir.id;
            let ws = Workspace::new(
                dir,
                Target::Parent {
                    parent: self.ws.clone(),
                    path,
                    id,
                },
            );
            DocStorage {
                ws,
                path: Vec::new(),
                id,
                name,
                mode,
                registered_in: Some(self.ws.clone()),
                commit_on_release: false,
                delete_on_release: None,
                converted: false,
            }
        } else {
            DocStorage {
                ws: self.ws.clone(),
                path,
                id: dir.id,
                name,
                mode,
                registered_in: Some(self.ws.clone()),
                commit_on_release: false,
                delete_on_release: None,
                converted: false,
            }
        };
        Ok(Arc::new(storage))
    }

    fn make_stream(
        &self,
        inner: &mut WsInner,
        name: String,
        id: ElementId,
        mode: u32,
    ) -> Result<Box<dyn Stream>> {
        Workspace::register(inner, id)?;
        Ok(Box::new(DocStream::new(
            self.ws.clone(),
            self.child_path(&name),
            id,
            name,
            mode,
        )))
    }

    fn element_stat(child: &Child) -> ElementStat {
        match &child.node {
            Node::Dir(d) => ElementStat {
                name: child.name.clone(),
                kind: ElementKind::Storage,
                size: 0,
                mtime: d.mtime,
                ctime: d.ctime,
                atime: d.atime,
                mode: 0,
                clsid: d.clsid,
                state_bits: d.state_bits,
            },
            Node::Stream(s) => ElementStat {
                name: child.name.clone(),
                kind: ElementKind::Stream,
                size: s.data.len(),
                mtime: 0,
                ctime: 0,
                atime: 0,
                mode: 0,
                clsid: [0; 16],
                state_bits: 0,
            },
        }
    }

    /// Validates a child name and looks it up; `None` when absent.
    fn lookup(&self, inner: &WsInner, name: &str) -> Result<Option<Child>> {
        element_names::validate(name)?;
        let dir = dir_at(&inner.working, &self.path, self.id)?;
        Ok(dir.children.get(&Key::new(name)).cloned())
    }

    /// A new element may take `name` only if nothing has it, or `STGM_CREATE` replaces an
    /// element that is not open.
    fn check_replaceable(&self, inner: &WsInner, name: &str, mode: u32) -> Result<()> {
        let Some(existing) = self.lookup(inner, name)? else {
            return Ok(());
        };
        if mode & STGM_CREATE == 0 {
            return err(
                ErrorKind::StgFileAlreadyExists,
                format!("{name:?} already exists in storage {}", self.name),
            );
        }
        if inner.open.contains_key(&existing.node.id()) {
            return err(
                ErrorKind::StgAccessDenied,
                format!("{name:?} is open and cannot be replaced"),
            );
        }
        Ok(())
    }

    fn check_share_mode(mode: u32) -> Result<()> {
        if mode & 0x70 != STGM_SHARE_EXCLUSIVE {
            return err(
                ErrorKind::StgInvalidFlag,
                "elements inside a storage must be opened with STGM_SHARE_EXCLUSIVE",
            );
        }
        Ok(())
    }
}

impl Drop for DocStorage {
    fn drop(&mut self) {
        if self.commit_on_release && self.ws.inner.lock().dirty {
            // Direct mode: what was written reaches the file when the root is released.
            let _ = self.ws.commit(STGC_DEFAULT);
        }
        if let Some(ws) = &self.registered_in {
            ws.unregister(self.id);
        }
        if let Some(path) = &self.delete_on_release {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Storage for DocStorage {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn stat(&self) -> Result<ElementStat> {
        let inner = self.ws.inner.lock();
        let dir = dir_at(&inner.working, &self.path, self.id)?;
        Ok(ElementStat {
            name: self.name.clone(),
            kind: ElementKind::Storage,
            size: 0,
            mtime: dir.mtime,
            ctime: dir.ctime,
            atime: dir.atime,
            mode: self.mode,
            clsid: dir.clsid,
            state_bits: dir.state_bits,
        })
    }

    fn elements(&self) -> Result<Vec<ElementStat>> {
        let inner = self.ws.inner.lock();
        let dir = dir_at(&inner.working, &self.path, self.id)?;
        Ok(dir.children.values().map(Self::element_stat).collect())
    }

    fn open_stream(&self, name: &str, mode: u32) -> Result<Box<dyn Stream>> {
        Self::check_share_mode(mode)?;
        self.child_mode_allowed(mode)?;
        if mode & (STGM_TRANSACTED | STGM_DELETEONRELEASE) != 0 {
            return err(
                ErrorKind::StgInvalidFunction,
                "streams cannot be transacted or deleted on release",
            );
        }
        let mut inner = self.ws.inner.lock();
        match self.lookup(&inner, name)? {
            Some(Child {
                name,
                node: Node::Stream(s),
            }) => self.make_stream(&mut inner, name, s.id, mode),
            _ => err(
                ErrorKind::StgFileNotFound,
                format!("no stream {name:?} in storage {}", self.name),
            ),
        }
    }

    fn create_stream(&self, name: &str, mode: u32) -> Result<Box<dyn Stream>> {
        Self::check_share_mode(mode)?;
        self.require_write()?;
        self.child_mode_allowed(mode)?;
        let mut inner = self.ws.inner.lock();
        self.check_replaceable(&inner, name, mode)?;
        let id = new_id();
        let dir = checked_dir_mut(&mut inner.working, &self.path, self.id)?;
        dir.children.insert(
            Key::new(name),
            Child {
                name: name.to_string(),
                node: Node::Stream(Arc::new(StreamNode {
                    id,
                    data: Blob::default(),
                })),
            },
        );
        dir.mtime = filetime_now();
        inner.dirty = true;
        self.make_stream(&mut inner, name.to_string(), id, mode)
    }

    fn open_storage(&self, name: &str, mode: u32) -> Result<Arc<dyn Storage>> {
        Self::check_share_mode(mode)?;
        self.child_mode_allowed(mode)?;
        let mut inner = self.ws.inner.lock();
        match self.lookup(&inner, name)? {
            Some(Child {
                name,
                node: Node::Dir(d),
            }) => self.make_storage(&mut inner, name, d, mode),
            _ => err(
                ErrorKind::StgFileNotFound,
                format!("no storage {name:?} in storage {}", self.name),
            ),
        }
    }

    fn create_storage(&self, name: &str, mode: u32) -> Result<Arc<dyn Storage>> {
        Self::check_share_mode(mode)?;
        self.require_write()?;
        self.child_mode_allowed(mode)?;
        let mut inner = self.ws.inner.lock();
        self.check_replaceable(&inner, name, mode)?;
        let node = Arc::new(DirNode::new());
        let dir = checked_dir_mut(&mut inner.working, &self.path, self.id)?;
        dir.children.insert(
            Key::new(name),
            Child {
                name: name.to_string(),
                node: Node::Dir(node.clone()),
            },
        );
        dir.mtime = filetime_now();
        inner.dirty = true;
        self.make_storage(&mut inner, name.to_string(), node, mode)
    }

    fn destroy_element(&self, name: &str) -> Result<()> {
        self.require_write()?;
        let mut inner = self.ws.inner.lock();
        let Some(child) = self.lookup(&inner, name)? else {
            return err(
                ErrorKind::StgFileNotFound,
                format!("no element {name:?} in storage {}", self.name),
            );
        };
        if inner.open.contains_key(&child.node.id()) {
            return err(
                ErrorKind::StgAccessDenied,
                format!("{name:?} is open and cannot be destroyed"),
            );
        }
        let dir = checked_dir_mut(&mut inner.working, &self.path, self.id)?;
        dir.children.remove(&Key::new(name));
        dir.mtime = filetime_now();
        inner.dirty = true;
        Ok(())
    }

    fn rename_element(&self, old: &str, new: &str) -> Result<()> {
        self.require_write()?;
        element_names::validate(new)?;
        let mut inner = self.ws.inner.lock();
        let Some(mut child) = self.lookup(&inner, old)? else {
            return err(
                ErrorKind::StgFileNotFound,
                format!("no element {old:?} in storage {}", self.name),
            );
        };
        if Key::new(old) != Key::new(new) && self.lookup(&inner, new)?.is_some() {
            return err(
                ErrorKind::StgFileAlreadyExists,
                format!("{new:?} already exists in storage {}", self.name),
            );
        }
        if inner.open.contains_key(&child.node.id()) {
            return err(
                ErrorKind::StgAccessDenied,
                format!("{old:?} is open and cannot be renamed"),
            );
        }
        let dir = checked_dir_mut(&mut inner.working, &self.path, self.id)?;
        dir.children.remove(&Key::new(old));
        child.name = new.to_string();
        dir.children.insert(Key::new(new), child);
        inner.dirty = true;
        Ok(())
    }

    fn set_class(&self, clsid: [u8; 16]) -> Result<()> {
        self.require_write()?;
        let mut inner = self.ws.inner.lock();
        checked_dir_mut(&mut inner.working, &self.path, self.id)?.clsid = clsid;
        inner.dirty = true;
        Ok(())
    }

    fn set_state_bits(&self, bits: u32, mask: u32) -> Result<()> {
        self.require_write()?;
        let mut inner = self.ws.inner.lock();
        let dir = checked_dir_mut(&mut inner.working, &self.path, self.id)?;
        dir.state_bits = (dir.state_bits & !mask) | (bits & mask);
        inner.dirty = true;
        Ok(())
    }

    fn set_element_times(
        &self,
        name: Option<&str>,
        ctime: Option<u64>,
        atime: Option<u64>,
        mtime: Option<u64>,
    ) -> Result<()> {
        self.require_write()?;
        let mut inner = self.ws.inner.lock();
        let path = match name {
            Some(n) => match self.lookup(&inner, n)? {
                Some(Child {
                    node: Node::Dir(_), ..
                }) => self.child_path(n),
                // Streams carry no times in a compound file.
                Some(_) => return Ok(()),
                None => {
                    return err(
                        ErrorKind::StgFileNotFound,
                        format!("no element {n:?} in storage {}", self.name),
                    );
                }
            },
            None => self.path.clone(),
        };
        dir_at(&inner.working, &self.path, self.id)?;
        let dir = dir_mut(&mut inner.working, &path).ok_or_else(reverted)?;
        if let Some(t) = ctime {
            dir.ctime = t;
        }
        if let Some(t) = atime {
            dir.atime = t;
        }
        if let Some(t) = mtime {
            dir.mtime = t;
        }
        inner.dirty = true;
        Ok(())
    }

    fn commit(&self, flags: u32) -> Result<()> {
        if self.path.is_empty() && wants_write(self.mode) {
            self.ws.commit(flags)
        } else {
            // Direct-mode children publish into their parent's workspace as they go.
            Ok(())
        }
    }

    fn revert(&self) -> Result<()> {
        if self.path.is_empty() && self.mode & STGM_TRANSACTED != 0 {
            self.ws.revert();
        }
        Ok(())
    }

    fn writable(&self) -> bool {
        wants_write(self.mode)
    }

    fn stream_blob(&self, name: &str) -> Result<Blob> {
        let inner = self.ws.inner.lock();
        match self.lookup(&inner, name)? {
            Some(Child {
                node: Node::Stream(s),
                ..
            }) => Ok(s.data.clone()),
            _ => err(
                ErrorKind::StgFileNotFound,
                format!("no stream {name:?} in storage {}", self.name),
            ),
        }
    }

    fn write_stream(&self, name: &str, blob: &Blob) -> Result<()> {
        self.require_write()?;
        let mut inner = self.ws.inner.lock();
        if let Some(existing) = self.lookup(&inner, name)?
            && inner.open.contains_key(&existing.node.id())
        {
            return err(
                ErrorKind::StgAccessDenied,
                format!("{name:?} is open and cannot be replaced"),
            );
        }
        let dir = checked_dir_mut(&mut inner.working, &self.path, self.id)?;
        dir.children.insert(
            Key::new(name),
            Child {
                name: name.to_string(),
                node: Node::Stream(Arc::new(StreamNode {
                    id: new_id(),
                    data: blob.clone(),
                })),
            },
        );
        inner.dirty = true;
        Ok(())
    }
}
