//! Our compound files ("docfiles"): `StgCreateDocfile`/`StgOpenStorage` on Linux.
//!
//! The file we open is never written. Its directory becomes a tree of reference-counted
//! nodes; stream content stays in the file until changed ([`Blob`]). A *workspace* holds
//! the tree that open handles see (`working`) and the state of the last commit (`base`).
//! Committing the root writes a new compound file beside the original, syncs it and renames
//! it over the original (DESIGN decision 9); committing a nested transacted storage
//! publishes its tree into the parent's workspace. Storages opened in direct mode share their
//! parent's workspace.
//!
//! Lock order: a nested workspace's lock may be held while its parent's is taken, never the
//! reverse. `BaseFile` locks are taken last. No lock here ever calls code we do not own.
#![forbid(unsafe_code)]

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::blob::{Blob, ReadAt};
use super::image::{self, BaseFile};
use super::lockbytes::{self, Image, LockBytes};
use super::names::{self, Key};
use super::share;
use super::{ElementKind, ElementStat, Storage, Stream, filetime_now};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};

pub type NodeId = u64;

pub fn new_id() -> NodeId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[derive(Clone)]
pub struct DirNode {
    pub id: NodeId,
    pub clsid: [u8; 16],
    pub state_bits: u32,
    pub ctime: u64,
    pub mtime: u64,
    pub atime: u64,
    pub children: BTreeMap<Key, Child>,
}

impl DirNode {
    fn new() -> DirNode {
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
    fn id(&self) -> NodeId {
        match self {
            Node::Dir(d) => d.id,
            Node::Stream(s) => s.id,
        }
    }
}

#[derive(Clone)]
pub struct StreamNode {
    pub id: NodeId,
    pub data: Blob,
}

// ===== workspaces =====

/// Where a workspace's commit goes.
enum Target {
    /// A file on disk, replaced atomically.
    File {
        path: PathBuf,
        version: cfb::Version,
    },
    /// A lock-bytes, and the image it holds (as we last read or wrote it).
    Bytes {
        lb: Arc<dyn LockBytes>,
        version: cfb::Version,
        image: Image,
    },
    /// The parent workspace's tree, at `path`, where the storage with node `id` lives.
    Parent {
        parent: Arc<Workspace>,
        path: Vec<Key>,
        id: NodeId,
    },
}

struct WsInner {
    base: Arc<DirNode>,
    working: Arc<DirNode>,
    target: Target,
    /// Elements open through a handle, with the number of handles (exclusive access).
    open: HashMap<NodeId, usize>,
    /// Set by changes since the last commit or revert.
    dirty: bool,
    /// For a file target: the file on disk holds `base`. Clear only for a transacted
    /// create over an existing file, which replaces that file at its first commit.
    on_disk: bool,
    /// For a file target: stale temporary files beside it were looked for.
    swept: bool,
    /// For a file target: the file as this workspace last saw it, for `STGC_ONLYIFCURRENT`.
    seen: Option<FileStamp>,
}

/// What tells whether a file was replaced or rewritten since it was looked at.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

fn stamp_of(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(FileStamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

pub struct Workspace {
    inner: Mutex<WsInner>,
    /// Held through a commit, so that commits of one workspace do not interleave while the
    /// lock-bytes case writes with `inner` unlocked. Taken before `inner`.
    commit_lock: Mutex<()>,
}

impl Workspace {
    fn new(tree: Arc<DirNode>, target: Target) -> Arc<Workspace> {
        let seen = match &target {
            Target::File { path, .. } => stamp_of(path),
            _ => None,
        };
        Arc::new(Workspace {
            commit_lock: Mutex::new(()),
            inner: Mutex::new(WsInner {
                base: tree.clone(),
                working: tree,
                target,
                open: HashMap::new(),
                dirty: false,
                on_disk: true,
                swept: false,
                seen,
            }),
        })
    }

    fn unregister(&self, id: NodeId) {
        let mut inner = self.inner.lock();
        if let Some(count) = inner.open.get_mut(&id) {
            *count -= 1;
            if *count == 0 {
                inner.open.remove(&id);
            }
        }
    }

    fn commit(&self, flags: u32) -> Result<()> {
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
        match &inner.target {
            Target::File { .. } | Target::Bytes { .. } if !inner.dirty && inner.on_disk => {
                // Nothing changed since the file was written (a `Commit` right after
                // `SaveChanges`, which commits too): rewriting it would copy every byte again.
            }
            Target::Bytes { lb, version, image } => {
                // The lock-bytes may be a caller's object: it is called with no lock held
                // (DESIGN decision 6). Changes made meanwhile stay in `working`.
                let (lb, old) = (lb.clone(), image.clone());
                let version = image::version_for(&snapshot, *version);
                drop(inner);
                let (new_image, base) = publish_bytes(lb.as_ref(), &snapshot, version, &old)?;
                let rebased = Arc::new(image::rebase(&snapshot, &base, Path::new("/")));
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
            Target::File { path, version } => {
                if !inner.swept {
                    // Once per open file: what commits killed before their rename left.
                    remove_stale_temps(path);
                }
                let version = image::version_for(&snapshot, *version);
                let base = publish_file(path, &snapshot, version)?;
                let rebased = Arc::new(image::rebase(&snapshot, &base, Path::new("/")));
                inner.seen = stamp_of(path);
                inner.base = rebased.clone();
                inner.working = rebased;
                inner.on_disk = true;
                inner.swept = true;
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

    fn revert(&self) {
        let mut inner = self.inner.lock();
        inner.working = inner.base.clone();
        inner.dirty = false;
    }
}

fn register_in(inner: &mut WsInner, id: NodeId) -> Result<()> {
    if inner.open.contains_key(&id) {
        return err(
            ErrorKind::StgAccessDenied,
            "the element is already open (elements are opened exclusively)",
        );
    }
    inner.open.insert(id, 1);
    Ok(())
}

fn reverted() -> Error {
    Error::new(
        ErrorKind::StgReverted,
        "the element was removed, or its parent was reverted or released",
    )
}

fn dir_at<'a>(root: &'a DirNode, path: &[Key], id: NodeId) -> Result<&'a DirNode> {
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

fn dir_mut<'a>(root: &'a mut Arc<DirNode>, path: &[Key]) -> Option<&'a mut DirNode> {
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

fn checked_dir_mut<'a>(
    root: &'a mut Arc<DirNode>,
    path: &[Key],
    id: NodeId,
) -> Result<&'a mut DirNode> {
    dir_at(root, path, id)?;
    Ok(dir_mut(root, path).expect("checked above"))
}

fn stream_at<'a>(root: &'a DirNode, path: &[Key], id: NodeId) -> Result<&'a StreamNode> {
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

fn stream_mut<'a>(
    root: &'a mut Arc<DirNode>,
    path: &[Key],
    id: NodeId,
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

// ===== files =====

/// Random characters in the names of the temporary files commits write.
const TEMP_RAND_CHARS: usize = 6;

/// Where Windows cannot replace the open original, it steps aside under the temporary
/// file's name with this extension (`platform::replace_file`).
const ASIDE_EXTENSION: &str = "old";

/// The directory holding `path` and the file's name.
fn dir_and_name(path: &Path) -> (PathBuf, String) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dir, file_name)
}

/// Writes `tree` beside `path`, syncs it, renames it over `path` and syncs the directory.
/// Returns the new file, opened for reading.
///
/// The new file is `.<name>.<6 random characters>.tmp` in the same directory, locked
/// (`flock`) while it is written, so that [`remove_stale_temps`] can tell a file whose
/// writer died from one being written. On any failure it is removed and the original is
/// untouched.
fn publish_file(path: &Path, tree: &DirNode, version: cfb::Version) -> Result<Arc<BaseFile>> {
    let (dir, file_name) = dir_and_name(path);
    super::faults::hit().map_err(|e| Error::io("creating the new file beside the original", &e))?;
    // Dropping `tmp_path` on an early return removes the temporary file.
    let (file, tmp_path) = locked_temp_file(&dir, &file_name)?;
    let cache =
        super::cache::CachedFile::new(file).map_err(|e| Error::io("writing the new file", &e))?;
    let cache = image::write_tree(tree, version, cache)?;
    let file = cache
        .finish()
        .map_err(|e| Error::io("writing the new file", &e))?;
    if let Ok(meta) = std::fs::metadata(path) {
        // Keep the original's permissions on the file that replaces it.
        let _ = file.set_permissions(meta.permissions());
    }
    super::faults::hit().map_err(|e| Error::io("replacing the original file", &e))?;
    crate::platform::replace_file(&tmp_path, path, &tmp_path.with_extension(ASIDE_EXTENSION))
        .map_err(|e| Error::io("replacing the original file", &e))?;
    // The name is the original's now: nothing to remove.
    let _ = tmp_path.keep();
    let _ = file.unlock();
    // The new file is in place. Should syncing its directory entry fail, a crash could
    // still bring back the old file, which is as intact as the new one: not an error.
    let _ = crate::platform::sync_dir(&dir);
    Ok(image::written_base(Box::new(file), version))
}

/// Creates `.<file_name>.<random>.tmp` in `dir` and locks it.
///
/// Between the creation and the lock, [`remove_stale_temps`] in another thread or process
/// may take the file for a dead writer's and remove it; it removes only while holding the
/// lock, so once we hold it, a file still linked is ours to write. Otherwise we try again.
fn locked_temp_file(dir: &Path, file_name: &str) -> Result<(File, tempfile::TempPath)> {
    for _ in 0..100 {
        let mut builder = tempfile::Builder::new();
        crate::platform::new_file_permissions(&mut builder);
        let tmp = builder
            .prefix(&format!(".{file_name}."))
            .suffix(".tmp")
            .rand_bytes(TEMP_RAND_CHARS)
            .tempfile_in(dir)
            .map_err(|e| Error::io("creating the new file beside the original", &e))?;
        let (file, tmp_path) = tmp.into_parts();
        file.lock()
            .map_err(|e| Error::io("locking the new file", &e))?;
        if still_linked(&file) {
            return Ok((file, tmp_path));
        }
        // Removed under us: forget the name (it may be someone else's by now).
        let _ = tmp_path.keep();
    }
    err(
        ErrorKind::StgAccessDenied,
        "the new file beside the original keeps being removed",
    )
}

#[cfg(unix)]
fn still_linked(file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    file.metadata().is_ok_and(|m| m.nlink() > 0)
}

#[cfg(not(unix))]
fn still_linked(_file: &File) -> bool {
    // Windows does not remove a file that is open without FILE_SHARE_DELETE.
    true
}

/// Removes the temporary files that commits to `path` killed before their rename left
/// beside it: files named as [`publish_file`] names them that no live writer holds locked
/// (the lock goes with the process). Returns how many were removed. An original a commit
/// had moved aside (Windows) is put back if `path` is missing, else removed.
pub fn remove_stale_temps(path: &Path) -> usize {
    let (dir, file_name) = dir_and_name(path);
    let prefix = format!(".{file_name}.");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((middle, extension)) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|n| n.rsplit_once('.'))
        else {
            continue;
        };
        if middle.len() != TEMP_RAND_CHARS
            || !middle.chars().all(|c| c.is_ascii_alphanumeric())
            || !matches!(extension, "tmp" | ASIDE_EXTENSION)
        {
            continue;
        }
        if extension == ASIDE_EXTENSION
            && !path.exists()
            && std::fs::rename(entry.path(), path).is_ok()
        {
            continue; // a commit died between its two renames: the original is back
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        if file.try_lock().is_err() {
            continue; // a live writer holds it
        }
        // Removed while locked: see `locked_temp_file`.
        if file.metadata().is_ok_and(|m| m.is_file()) && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Builds the compound file for `tree` as an image: in memory when small, else in an
/// anonymous temporary file.
fn build_image(tree: &DirNode, version: cfb::Version) -> Result<Image> {
    if image::content_size(tree) <= lockbytes::IMAGE_IN_MEMORY / 2 {
        let out = image::write_tree(tree, version, std::io::Cursor::new(Vec::new()))?;
        return Ok(Image::from_vec(out.into_inner()));
    }
    let file = tempfile::tempfile().map_err(|e| Error::io("creating the new image", &e))?;
    let cache =
        super::cache::CachedFile::new(file).map_err(|e| Error::io("writing the new image", &e))?;
    let cache = image::write_tree(tree, version, cache)?;
    let (file, len) = cache
        .finish_unsynced()
        .map_err(|e| Error::io("writing the new image", &e))?;
    Ok(Image::from_file(file, len))
}

/// Writes `tree` into `lb` (which holds `old`); returns the new image and its parsed form.
fn publish_bytes(
    lb: &dyn LockBytes,
    tree: &DirNode,
    version: cfb::Version,
    old: &Image,
) -> Result<(Image, Arc<BaseFile>)> {
    let new = build_image(tree, version)?;
    lockbytes::publish_image(lb, &new, old)?;
    let base = image::written_base(Box::new(new.cursor()), version);
    Ok((new, base))
}

fn access_of(mode: u32) -> Result<u32> {
    match mode & 3 {
        3 => err(
            ErrorKind::StgInvalidFlag,
            format!("invalid access mode in 0x{mode:08X}"),
        ),
        a => Ok(a),
    }
}

fn wants_write(mode: u32) -> bool {
    mode & 3 != STGM_READ
}

/// Opens a compound file on disk.
pub fn open_file(path: &Path, mode: u32) -> Result<Arc<DocStorage>> {
    access_of(mode)?;
    if !path.exists() {
        // Puts back an original that a commit killed midway had moved aside (Windows).
        remove_stale_temps(path);
    }
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return err(
                ErrorKind::StgFileNotFound,
                format!("{} does not exist", path.display()),
            );
        }
        Err(e) => return Err(Error::io(&path.display().to_string(), &e)),
    };
    if meta.is_dir() {
        return err(
            ErrorKind::StgAccessDenied,
            format!("{} is a directory", path.display()),
        );
    }
    let share = share::acquire(path, mode)?;
    if wants_write(mode) {
        // Asked for write access: the file itself must be writable even though we only
        // ever replace it.
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| {
                Error::new(
                    ErrorKind::StgAccessDenied,
                    format!("{} cannot be opened for writing: {e}", path.display()),
                )
            })?;
    }
    let file = File::open(path).map_err(|e| Error::io(&path.display().to_string(), &e))?;
    if !is_compound(&file)? {
        return err(
            ErrorKind::StgFileAlreadyExists,
            format!("{} is not a compound file", path.display()),
        );
    }

    let (base, tree) = match image::open_base(Box::new(file), meta.len()) {
        // Names `cfb` refuses are mended in a copy held in memory (real files have them).
        Err(e)
            if super::repair::is_directory_error(&e.message)
                && meta.len() <= super::repair::REPAIR_LIMIT =>
        {
            let mut bytes =
                std::fs::read(path).map_err(|e| Error::io(&path.display().to_string(), &e))?;
            if super::repair::repair_directory(&mut bytes).unwrap_or(0) == 0 {
                return Err(e);
            }
            image::open_base(Box::new(std::io::Cursor::new(bytes)), meta.len())?
        }
        other => other?,
    };
    let version = base.version;
    let ws = Workspace::new(
        Arc::new(tree),
        Target::File {
            path: path.to_path_buf(),
            version,
        },
    );
    let root_id = ws.inner.lock().working.id;
    let mut root = DocStorage::new_root(ws, root_id, path.display().to_string(), mode);
    root.share = Some(share);
    Ok(Arc::new(root))
}

/// Creates a compound file on disk (`STGM_CREATE` replaces an existing one).
pub fn create_file(path: &Path, mode: u32, version: cfb::Version) -> Result<Arc<DocStorage>> {
    access_of(mode)?;
    if !wants_write(mode) {
        return err(
            ErrorKind::StgInvalidFlag,
            "a new compound file must be opened with write access",
        );
    }
    let exists = path.exists();
    if mode & STGM_CREATE != 0 && mode & STGM_CONVERT != 0 {
        return err(
            ErrorKind::StgInvalidFlag,
            "STGM_CREATE and STGM_CONVERT cannot be combined",
        );
    }
    if exists && mode & (STGM_CREATE | STGM_CONVERT) == 0 {
        return err(
            ErrorKind::StgFileAlreadyExists,
            format!("{} exists (pass STGM_CREATE to replace it)", path.display()),
        );
    }
    let share = share::acquire(path, mode)?;
    // STGM_CONVERT keeps what the file held as the new storage's CONTENTS stream.
    let old_content = if exists && mode & STGM_CONVERT != 0 {
        let bytes =
            std::fs::read(path).map_err(|e| Error::io("reading the file to convert", &e))?;
        Some(Blob::from_vec(bytes))
    } else {
        None
    };
    remove_stale_temps(path);
    let tree = Arc::new(DirNode::new());
    let publish_now = !exists || mode & STGM_TRANSACTED == 0;
    if publish_now {
        // The file exists from now on; a transacted create over an existing file replaces
        // it only at commit.
        publish_file(path, &DirNode::new(), version)?;
    }
    let ws = Workspace::new(
        tree.clone(),
        Target::File {
            path: path.to_path_buf(),
            version,
        },
    );
    ws.inner.lock().on_disk = publish_now;
    let mut root = DocStorage::new_root(ws, tree.id, path.display().to_string(), mode);
    if mode & STGM_DELETEONRELEASE != 0 {
        root.delete_on_release = Some(path.to_path_buf());
        root.commit_on_release = false;
    }
    root.share = Some(share);
    if let Some(content) = old_content {
        root.write_stream(CONVERTED_STREAM, &content)?;
        root.converted = true;
    }
    Ok(Arc::new(root))
}

/// The stream `STGM_CONVERT` puts a file's previous content in (ole32's name).
pub const CONVERTED_STREAM: &str = "\u{3}CONTENTS";

/// Opens the compound file a lock-bytes holds (`StgOpenStorageOnILockBytes`). The content
/// is copied when opened; the lock-bytes is written again only by a commit.
pub fn open_bytes(lb: Arc<dyn LockBytes>, mode: u32) -> Result<Arc<DocStorage>> {
    access_of(mode)?;
    let img = Image::read_from(lb.as_ref())?;
    let mut head = [0u8; 8];
    if img.read_at(0, &mut head)? < head.len() || head != SIGNATURE {
        return err(
            ErrorKind::StgFileAlreadyExists,
            "the lock-bytes does not hold a compound file",
        );
    }
    let len = img.len();
    let (base, tree) = match image::open_base(Box::new(img.cursor()), len) {
        Err(e)
            if super::repair::is_directory_error(&e.message)
                && len <= super::repair::REPAIR_LIMIT =>
        {
            let mut bytes = vec![0u8; len as usize];
            img.read_at(0, &mut bytes)?;
            if super::repair::repair_directory(&mut bytes).unwrap_or(0) == 0 {
                return Err(e);
            }
            image::open_base(Box::new(std::io::Cursor::new(bytes)), len)?
        }
        other => other?,
    };
    let version = base.version;
    let ws = Workspace::new(
        Arc::new(tree),
        Target::Bytes {
            lb,
            version,
            image: img,
        },
    );
    let root_id = ws.inner.lock().working.id;
    Ok(DocStorage::root(ws, root_id, String::new(), mode))
}

/// Creates a compound file in a lock-bytes (`StgCreateDocfileOnILockBytes`). A lock-bytes
/// that already holds bytes needs `STGM_CREATE`; in transacted mode its content is replaced
/// at the first commit, in direct mode now.
pub fn create_bytes(
    lb: Arc<dyn LockBytes>,
    mode: u32,
    version: cfb::Version,
) -> Result<Arc<DocStorage>> {
    access_of(mode)?;
    if !wants_write(mode) {
        return err(
            ErrorKind::StgInvalidFlag,
            "a new compound file must be opened with write access",
        );
    }
    let exists = lb.size()? > 0;
    if exists && mode & STGM_CREATE == 0 {
        return err(
            ErrorKind::StgFileAlreadyExists,
            "the lock-bytes is not empty (pass STGM_CREATE to replace its content)",
        );
    }
    let mut old = if exists {
        Image::read_from(lb.as_ref())?
    } else {
        Image::from_vec(Vec::new())
    };
    let tree = Arc::new(DirNode::new());
    let publish_now = !exists || mode & STGM_TRANSACTED == 0;
    if publish_now {
        old = publish_bytes(lb.as_ref(), &DirNode::new(), version, &old)?.0;
    }
    let ws = Workspace::new(
        tree.clone(),
        Target::Bytes {
            lb,
            version,
            image: old,
        },
    );
    ws.inner.lock().on_disk = publish_now;
    Ok(DocStorage::root(ws, tree.id, String::new(), mode))
}

/// The first eight bytes of every compound file.
pub const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn is_compound(file: &File) -> Result<bool> {
    let mut head = [0u8; 8];
    match crate::platform::read_exact_at(file, &mut head, 0) {
        Ok(()) => Ok(head == SIGNATURE),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(Error::io("reading the file header", &e)),
    }
}

/// `StgIsStorageFile`: whether the file starts with the compound-file signature.
pub fn is_storage_file(path: &Path) -> Result<bool> {
    let file = File::open(path).map_err(|e| Error::io(&path.display().to_string(), &e))?;
    is_compound(&file)
}

// ===== storage handles =====

/// An open storage of one of our compound files.
pub struct DocStorage {
    ws: Arc<Workspace>,
    path: Vec<Key>,
    id: NodeId,
    name: String,
    mode: u32,
    /// The workspace this storage is registered in as open (not for file roots).
    registered_in: Option<Arc<Workspace>>,
    /// A root opened in direct mode publishes its changes when released.
    commit_on_release: bool,
    /// A root created with `STGM_DELETEONRELEASE` removes its file when released.
    delete_on_release: Option<PathBuf>,
    /// A root created with `STGM_CONVERT` over an existing file (`STG_S_CONVERTED`).
    pub converted: bool,
    /// A file root's place among this process's opens of the file (share modes).
    share: Option<share::ShareGuard>,
}

impl DocStorage {
    fn root(ws: Arc<Workspace>, id: NodeId, name: String, mode: u32) -> Arc<DocStorage> {
        Arc::new(Self::new_root(ws, id, name, mode))
    }

    fn new_root(ws: Arc<Workspace>, id: NodeId, name: String, mode: u32) -> DocStorage {
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
            share: None,
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
        register_in(inner, dir.id)?;
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
                share: None,
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
                share: None,
            }
        };
        Ok(Arc::new(storage))
    }

    fn make_stream(
        &self,
        inner: &mut WsInner,
        name: String,
        id: NodeId,
        mode: u32,
    ) -> Result<Box<dyn Stream>> {
        register_in(inner, id)?;
        Ok(Box::new(DocStream {
            ws: self.ws.clone(),
            path: self.child_path(&name),
            id,
            name,
            mode,
            pos: 0,
        }))
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
        names::validate(name)?;
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
        names::validate(new)?;
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

// ===== stream handles =====

/// An open stream of one of our compound files. Streams are never transacted themselves:
/// they write into their storage's workspace.
pub struct DocStream {
    ws: Arc<Workspace>,
    path: Vec<Key>,
    id: NodeId,
    name: String,
    mode: u32,
    pos: u64,
}

impl DocStream {
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
        let len = self.size()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    const RW: u32 = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;

    fn write_all(s: &mut dyn Stream, data: &[u8]) {
        assert_eq!(s.write(data).unwrap(), data.len());
    }

    fn read_all(s: &mut dyn Stream) -> Vec<u8> {
        s.seek(SeekFrom::Start(0)).unwrap();
        let mut out = vec![0u8; s.size().unwrap() as usize];
        let mut done = 0;
        while done < out.len() {
            done += s.read(&mut out[done..]).unwrap();
        }
        out
    }

    #[test]
    fn transacted_file_commits_atomically_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.msg");
        // Shared, so that a reader may look at the file meanwhile.
        let shared = STGM_READWRITE | STGM_SHARE_DENY_NONE;
        let root = create_file(
            &path,
            shared | STGM_CREATE | STGM_TRANSACTED,
            cfb::Version::V3,
        )
        .unwrap();
        let sub = root
            .create_storage("__recip_version1.0_#00000000", RW)
            .unwrap();
        let mut s = sub.create_stream("__properties_version1.0", RW).unwrap();
        write_all(s.as_mut(), b"recipient");
        drop(s);
        drop(sub);
        let mut s = root.create_stream("__substg1.0_0037001F", RW).unwrap();
        write_all(s.as_mut(), &vec![7u8; 100_000]);
        drop(s);
        root.set_class([1; 16]).unwrap();
        // Nothing reaches the file before the commit.
        assert!(
            open_file(&path, STGM_READ | STGM_SHARE_DENY_NONE)
                .unwrap()
                .elements()
                .unwrap()
                .is_empty()
        );
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);

        let again = open_file(&path, STGM_READ | STGM_TRANSACTED).unwrap();
        assert_eq!(again.stat().unwrap().clsid, [1; 16]);
        let names: Vec<_> = again
            .elements()
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names.len(), 2);
        let mut s = again
            .open_stream("__SUBSTG1.0_0037001f", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        assert_eq!(read_all(s.as_mut()), vec![7u8; 100_000]);
        let sub = again
            .open_storage(
                "__recip_version1.0_#00000000",
                STGM_READ | STGM_SHARE_EXCLUSIVE,
            )
            .unwrap();
        let mut p = sub
            .open_stream("__properties_version1.0", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        assert_eq!(read_all(p.as_mut()), b"recipient");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn nested_transaction_publishes_only_to_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.msg");
        let root =
            create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        let child = root.create_storage("child", RW | STGM_TRANSACTED).unwrap();
        let mut s = child.create_stream("s", RW).unwrap();
        write_all(s.as_mut(), b"v1");
        drop(s);
        // Not yet visible in the parent.
        drop(child);
        let child = root.open_storage("child", RW | STGM_TRANSACTED).unwrap();
        assert!(child.elements().unwrap().is_empty());
        let mut s = child.create_stream("s", RW).unwrap();
        write_all(s.as_mut(), b"v2");
        drop(s);
        child.commit(STGC_DEFAULT).unwrap();
        drop(child);
        let child = root
            .open_storage("child", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        assert_eq!(child.elements().unwrap()[0].size, 2);
        drop(child);
        root.revert().unwrap();
        assert!(root.elements().unwrap().is_empty());
    }

    #[test]
    fn open_elements_are_exclusive_and_rules_are_enforced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.msg");
        let root =
            create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        let s = root.create_stream("x", RW).unwrap();
        assert_eq!(
            root.open_stream("X", RW).err().unwrap().kind,
            ErrorKind::StgAccessDenied
        );
        assert_eq!(
            root.destroy_element("x").unwrap_err().kind,
            ErrorKind::StgAccessDenied
        );
        drop(s);
        assert_eq!(
            root.create_stream("x", RW).err().unwrap().kind,
            ErrorKind::StgFileAlreadyExists
        );
        assert!(root.create_stream("x", RW | STGM_CREATE).is_ok());
        assert_eq!(
            root.open_stream("nope", RW).err().unwrap().kind,
            ErrorKind::StgFileNotFound
        );
        assert_eq!(
            root.open_stream("x", STGM_READWRITE).err().unwrap().kind,
            ErrorKind::StgInvalidFlag
        );
        assert_eq!(
            root.create_stream(&"n".repeat(32), RW).err().unwrap().kind,
            ErrorKind::StgInvalidName
        );
        root.rename_element("x", "y").unwrap();
        assert!(root.open_stream("y", RW).is_ok());
    }

    #[test]
    fn after_a_commit_content_is_read_from_the_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.msg");
        let root =
            create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut s = root.create_stream("big", RW).unwrap();
        write_all(s.as_mut(), &big);
        drop(s);
        root.commit(STGC_DEFAULT).unwrap();
        let mut s = root.open_stream("big", RW).unwrap();
        assert_eq!(read_all(s.as_mut()), big);
        // Changing it after the commit copies only what is written.
        s.seek(SeekFrom::Start(1_000_000)).unwrap();
        write_all(s.as_mut(), b"changed");
        drop(s);
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        // Nothing left beside it (on Windows, the originals set aside go with their handles).
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let again = open_file(&path, STGM_READ | STGM_TRANSACTED).unwrap();
        let mut s = again
            .open_stream("big", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        let mut want = big;
        want[1_000_000..1_000_007].copy_from_slice(b"changed");
        assert_eq!(read_all(s.as_mut()), want);
    }

    #[test]
    fn convert_keeps_the_old_content_as_a_contents_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain.txt");
        std::fs::write(&path, b"not a compound file").unwrap();
        assert_eq!(
            create_file(&path, RW | STGM_CREATE | STGM_CONVERT, cfb::Version::V3)
                .err()
                .map(|e| e.kind),
            Some(ErrorKind::StgInvalidFlag)
        );
        let root =
            create_file(&path, RW | STGM_CONVERT | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        assert!(root.converted);
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        let again = open_file(&path, STGM_READ | STGM_TRANSACTED).unwrap();
        assert_eq!(
            again.read_stream(CONVERTED_STREAM, 100).unwrap(),
            b"not a compound file"
        );
        // Over no file, STGM_CONVERT simply creates.
        let fresh = dir.path().join("new.msg");
        assert!(
            !create_file(&fresh, RW | STGM_CONVERT, cfb::Version::V3)
                .unwrap()
                .converted
        );
    }

    #[test]
    fn only_if_current_refuses_a_file_changed_by_someone_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.msg");
        // Two writers that share the file (ole32 refuses a second exclusive open).
        let rw = STGM_READWRITE | STGM_SHARE_DENY_NONE;
        let first =
            create_file(&path, rw | STGM_CREATE | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        first.set_state_bits(1, 1).unwrap();
        first.commit(STGC_ONLYIFCURRENT).unwrap();
        // A second writer replaces the file.
        let second = open_file(&path, rw | STGM_TRANSACTED).unwrap();
        assert_eq!(
            open_file(&path, RW | STGM_TRANSACTED).err().map(|e| e.kind),
            Some(ErrorKind::StgShareViolation)
        );
        second.set_state_bits(2, 2).unwrap();
        second.commit(STGC_DEFAULT).unwrap();
        first.set_state_bits(4, 4).unwrap();
        let e = first.commit(STGC_ONLYIFCURRENT).unwrap_err();
        assert_eq!(e.kind, ErrorKind::StgNotCurrent, "{e:?}");
        // STGC_DEFAULT overwrites, after which the file is current again.
        first.commit(STGC_DEFAULT).unwrap();
        first.set_state_bits(8, 8).unwrap();
        first.commit(STGC_ONLYIFCURRENT).unwrap();
        assert_eq!(
            open_file(&path, STGM_READ | STGM_TRANSACTED)
                .unwrap()
                .stat()
                .unwrap()
                .state_bits
                & 8,
            8
        );
    }

    #[test]
    #[cfg(unix)]
    fn new_files_get_the_permissions_open_gives_and_replacements_keep_the_originals() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // What open(2) gives a new file under this process's umask.
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let path = dir.path().join("n.msg");
        let root =
            create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        assert_eq!(mode(&path), mode(&plain));
        // A replaced file keeps its own permissions.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let root = open_file(&path, RW | STGM_TRANSACTED).unwrap();
        root.set_state_bits(1, 1).unwrap();
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    #[cfg(unix)] // inode numbers
    fn a_commit_without_changes_leaves_the_file_alone() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.msg");
        let root =
            create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        let mut s = root.create_stream("x", RW).unwrap();
        write_all(s.as_mut(), b"data");
        drop(s);
        root.commit(STGC_DEFAULT).unwrap();
        // Each publish renames a new file over the old one, so the inode tells.
        let inode = std::fs::metadata(&path).unwrap().ino();
        root.commit(STGC_DEFAULT).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().ino(), inode);
        root.set_state_bits(1, 1).unwrap();
        root.commit(STGC_DEFAULT).unwrap();
        assert_ne!(std::fs::metadata(&path).unwrap().ino(), inode);
        drop(root);

        // A transacted create over an existing file replaces it at the first commit, even
        // with nothing written.
        let root =
            create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        let again = open_file(&path, STGM_READ | STGM_TRANSACTED).unwrap();
        assert!(again.elements().unwrap().is_empty());
    }

    /// Content of version `v` of the test file: a mini stream, a regular one, a storage.
    fn write_version(root: &dyn Storage, v: u32) {
        write_streams(root, v);
        let sub = root.create_storage("sub", RW | STGM_CREATE).unwrap();
        sub.set_class([v as u8; 16]).unwrap();
    }

    fn write_streams(root: &dyn Storage, v: u32) {
        let mut s = root.create_stream("small", RW | STGM_CREATE).unwrap();
        write_all(s.as_mut(), format!("version {v}").as_bytes());
        drop(s);
        let mut s = root.create_stream("big", RW | STGM_CREATE).unwrap();
        write_all(s.as_mut(), &vec![v as u8; 5000 + 600 * v as usize]);
    }

    fn check_version(root: &dyn Storage, v: u32) {
        let mut s = root
            .open_stream("small", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        assert_eq!(read_all(s.as_mut()), format!("version {v}").as_bytes());
        drop(s);
        let mut s = root
            .open_stream("big", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        assert_eq!(read_all(s.as_mut()), vec![v as u8; 5000 + 600 * v as usize]);
        drop(s);
        let sub = root
            .open_storage("sub", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        assert_eq!(sub.stat().unwrap().clsid, [v as u8; 16]);
    }

    fn temp_files(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    /// Every write, resize, sync and rename of a commit fails in turn, as a full disk makes
    /// them fail: each failure is reported as `STG_E_MEDIUMFULL`, leaves the original file
    /// byte for byte as it was and no temporary file behind, and the same storage commits
    /// once the disk has room again.
    #[test]
    fn a_full_disk_at_any_point_of_a_commit_leaves_the_original_intact() {
        use super::super::faults;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("full.msg");
        let root =
            create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        write_version(root.as_ref(), 1);
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        let original = std::fs::read(&path).unwrap();

        let mut points = 0;
        for at in 1.. {
            let root = open_file(&path, RW | STGM_TRANSACTED).unwrap();
            // Large enough for several page write-backs of the write cache.
            let mut s = root.create_stream("large", RW).unwrap();
            write_all(s.as_mut(), &vec![9u8; 3 * 1024 * 1024 + 17]);
            drop(s);
            write_version(root.as_ref(), 2);
            faults::arm(at);
            let result = root.commit(STGC_DEFAULT);
            let seen = faults::disarm();
            match result {
                Err(e) => {
                    assert_eq!(e.kind, ErrorKind::StgMediumFull, "{}", e.message);
                    assert!(std::fs::read(&path).unwrap() == original, "point {at}");
                    assert!(temp_files(dir.path()).is_empty(), "point {at}");
                    points += 1;
                    // The changes are still there: the next commit succeeds.
                    if at % 5 == 1 {
                        root.commit(STGC_DEFAULT).unwrap();
                        drop(root);
                        let again = open_file(&path, STGM_READ).unwrap();
                        check_version(again.as_ref(), 2);
                        drop(again);
                        std::fs::write(&path, &original).unwrap();
                    }
                }
                Ok(()) => {
                    assert!(seen < at, "commit succeeded at its failing point {at}");
                    drop(root);
                    let again = open_file(&path, STGM_READ).unwrap();
                    check_version(again.as_ref(), 2);
                    break;
                }
            }
        }
        // Creating the file, the cache's pages, its length, its sync, the rename.
        assert!(points >= 8, "only {points} failure points");
        println!("full disk injected at each of {points} points of a commit: original intact");
    }

    #[test]
    fn stale_temporary_files_are_removed_but_not_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.msg");
        drop(create_file(&path, RW | STGM_CREATE, cfb::Version::V3).unwrap());
        let dead = dir.path().join(".a.msg.Ab12Cd.tmp");
        std::fs::write(&dead, b"half a file").unwrap();
        let live = dir.path().join(".a.msg.Zz99zZ.tmp");
        let live_file = File::create(&live).unwrap();
        std::fs::write(&live, b"being written").unwrap();
        live_file.lock().unwrap();
        let empty = dir.path().join(".a.msg.Qq11qQ.tmp");
        std::fs::write(&empty, b"").unwrap();
        let other = dir.path().join(".a.msg.other.tmp");
        std::fs::write(&other, b"not ours").unwrap();
        // Opening leaves everything alone; the first commit sweeps.
        drop(open_file(&path, STGM_READ).unwrap());
        let root = open_file(&path, RW | STGM_TRANSACTED).unwrap();
        assert_eq!(temp_files(dir.path()).len(), 4);
        root.set_state_bits(1, 1).unwrap();
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        let mut left = temp_files(dir.path());
        left.sort();
        assert_eq!(left, [".a.msg.Zz99zZ.tmp", ".a.msg.other.tmp"]);
        assert!(!dead.exists() && !empty.exists());
        drop(live_file);
        assert_eq!(remove_stale_temps(&path), 1);
        assert!(!live.exists() && other.exists());
    }

    #[test]
    fn an_original_left_aside_by_a_killed_commit_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.msg");
        let root =
            create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        write_version(root.as_ref(), 7);
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        // Where Windows stopped between its two renames: the original aside, the new beside.
        let aside = dir.path().join(".a.msg.Ab12Cd.old");
        std::fs::rename(&path, &aside).unwrap();
        std::fs::write(dir.path().join(".a.msg.Ab12Cd.tmp"), b"the new file").unwrap();
        let root = open_file(&path, RW | STGM_TRANSACTED).unwrap();
        check_version(root.as_ref(), 7);
        assert!(!aside.exists());
        // A leftover aside copy beside a present original is removed by the next commit.
        std::fs::write(&aside, b"old").unwrap();
        write_version(root.as_ref(), 8);
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        assert!(temp_files(dir.path()).is_empty() && !aside.exists());
        check_version(open_file(&path, STGM_READ).unwrap().as_ref(), 8);
    }

    #[test]
    fn delete_on_release_removes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gone.msg");
        let root = create_file(
            &path,
            RW | STGM_CREATE | STGM_DELETEONRELEASE,
            cfb::Version::V3,
        )
        .unwrap();
        write_version(root.as_ref(), 1);
        assert!(path.exists());
        drop(root);
        assert!(!path.exists());
    }

    #[test]
    fn compound_files_live_in_lock_bytes() {
        use super::super::lockbytes::VecLockBytes;
        let lb = Arc::new(VecLockBytes::new(Vec::new()));
        let root = create_bytes(
            lb.clone(),
            RW | STGM_CREATE | STGM_TRANSACTED,
            cfb::Version::V4,
        )
        .unwrap();
        // Created empty and published at once (the lock-bytes was empty).
        assert!(lb.to_vec().starts_with(&SIGNATURE));
        write_version(root.as_ref(), 1);
        root.commit(STGC_DEFAULT).unwrap();
        let v1 = lb.to_vec();
        // Version 4: 4096-byte sectors (sector shift 12 at offset 30).
        assert_eq!(u16::from_le_bytes([v1[26], v1[27]]), 4);
        assert_eq!(u16::from_le_bytes([v1[30], v1[31]]), 12);

        // A transacted child holds untouched content of version 1 while the root rewrites
        // the lock-bytes; that content must still read right afterwards.
        let child = root.open_storage("sub", RW | STGM_TRANSACTED).unwrap();
        let mut s = child.create_stream("inside", RW).unwrap();
        write_all(s.as_mut(), b"in the child");
        drop(s);
        write_streams(root.as_ref(), 2);
        root.commit(STGC_DEFAULT).unwrap();
        assert_ne!(lb.to_vec(), v1);
        let mut s = root
            .open_stream("big", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        assert_eq!(read_all(s.as_mut()), vec![2u8; 6200]);
        drop(s);
        child.set_class([2; 16]).unwrap();
        child.commit(STGC_DEFAULT).unwrap();
        drop(child);
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);

        let again = open_bytes(lb.clone(), STGM_READ | STGM_TRANSACTED).unwrap();
        let sub = again
            .open_storage("sub", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        let mut s = sub
            .open_stream("inside", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        assert_eq!(read_all(s.as_mut()), b"in the child");
        drop(s);
        drop(sub);
        check_version(again.as_ref(), 2);
        drop(again);

        // Not a compound file; an existing content without STGM_CREATE.
        let text = Arc::new(VecLockBytes::new(b"hello".to_vec()));
        assert_eq!(
            open_bytes(text.clone(), STGM_READ).err().unwrap().kind,
            ErrorKind::StgFileAlreadyExists
        );
        assert_eq!(
            create_bytes(text.clone(), RW, cfb::Version::V3)
                .err()
                .unwrap()
                .kind,
            ErrorKind::StgFileAlreadyExists
        );
        // A transacted create replaces the content only at commit.
        let root = create_bytes(
            text.clone(),
            RW | STGM_CREATE | STGM_TRANSACTED,
            cfb::Version::V3,
        )
        .unwrap();
        assert_eq!(text.to_vec(), b"hello");
        root.commit(STGC_DEFAULT).unwrap();
        assert!(text.to_vec().starts_with(&SIGNATURE));
    }

    /// A lock-bytes that fails a write, a resize or its flush at any point of a commit:
    /// the error comes back and the lock-bytes holds the previous compound file.
    #[test]
    fn a_failing_lock_bytes_keeps_its_previous_content() {
        use super::super::lockbytes::tests::Faulty;
        let lb = Arc::new(Faulty::new(Vec::new(), 0, u64::MAX));
        let root = create_bytes(lb.clone(), RW | STGM_CREATE, cfb::Version::V3).unwrap();
        write_version(root.as_ref(), 1);
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        let original = lb.inner.to_vec();
        let mut points = 0;
        for at in 1.. {
            let lb = Arc::new(Faulty::new(original.clone(), at, u64::MAX));
            let root = open_bytes(lb.clone(), RW | STGM_TRANSACTED).unwrap();
            write_version(root.as_ref(), 2);
            let mut s = root.create_stream("large", RW).unwrap();
            write_all(s.as_mut(), &vec![5u8; 2_500_000]);
            drop(s);
            match root.commit(STGC_DEFAULT) {
                Err(e) => {
                    assert_eq!(e.kind, ErrorKind::StgMediumFull);
                    assert!(lb.inner.to_vec() == original, "point {at}");
                    points += 1;
                }
                Ok(()) => {
                    drop(root);
                    let again = open_bytes(lb.clone(), STGM_READ).unwrap();
                    check_version(again.as_ref(), 2);
                    break;
                }
            }
        }
        assert!(points >= 4, "only {points} failure points");
        println!("lock-bytes failing at each of {points} points of a commit: content intact");
        // A medium too small for the new content.
        let lb = Arc::new(Faulty::new(
            original.clone(),
            0,
            original.len() as u64 + 1000,
        ));
        let root = open_bytes(lb.clone(), RW | STGM_TRANSACTED).unwrap();
        let mut s = root.create_stream("large", RW).unwrap();
        write_all(s.as_mut(), &vec![5u8; 100_000]);
        drop(s);
        assert_eq!(
            root.commit(STGC_DEFAULT).unwrap_err().kind,
            ErrorKind::StgMediumFull
        );
        assert!(lb.inner.to_vec() == original);
    }

    /// Writes a 2 GiB file: `cargo test --release --lib -- --ignored over_two_gigabytes`.
    #[test]
    #[ignore = "writes a file of 2 GiB"]
    fn a_file_over_two_gigabytes_is_version_4_and_reads_back() {
        let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
        let path = dir.path().join("huge.msg");
        let root =
            create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, cfb::Version::V3).unwrap();
        let len = 0x8000_0000u64 + 3 * 4096 + 5;
        let mut s = root.create_stream("huge", RW).unwrap();
        s.set_len(len).unwrap(); // zeros, held nowhere
        s.seek(SeekFrom::Start(len - 4)).unwrap();
        write_all(s.as_mut(), b"tail");
        s.seek(SeekFrom::Start(0x4000_0000)).unwrap();
        write_all(s.as_mut(), b"middle");
        drop(s);
        write_version(root.as_ref(), 3);
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        let mut head = [0u8; 32];
        crate::platform::read_exact_at(&File::open(&path).unwrap(), &mut head, 0).unwrap();
        assert_eq!(u16::from_le_bytes([head[26], head[27]]), 4, "major version");
        assert!(std::fs::metadata(&path).unwrap().len() > 0x8000_0000);
        let again = open_file(&path, STGM_READ).unwrap();
        check_version(again.as_ref(), 3);
        let mut s = again
            .open_stream("huge", STGM_READ | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        assert_eq!(s.size().unwrap(), len);
        let mut buf = [0u8; 6];
        s.seek(SeekFrom::Start(len - 4)).unwrap();
        assert_eq!(s.read(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"tail");
        s.seek(SeekFrom::Start(0x4000_0000)).unwrap();
        assert_eq!(s.read(&mut buf).unwrap(), 6);
        assert_eq!(&buf, b"middle");
        s.seek(SeekFrom::Start(0x7FFF_FFF0)).unwrap();
        assert_eq!(s.read(&mut buf).unwrap(), 6);
        assert_eq!(buf, [0; 6]);
    }

    #[test]
    fn content_over_two_gigabytes_is_written_as_version_4() {
        let mut tree = DirNode::new();
        let mut big = Blob::default();
        big.set_len(0x8000_0000 + 1).unwrap(); // zeros, not held anywhere
        tree.children.insert(
            Key::new("big"),
            Child {
                name: "big".into(),
                node: Node::Stream(Arc::new(StreamNode {
                    id: new_id(),
                    data: big,
                })),
            },
        );
        assert_eq!(
            image::version_for(&tree, cfb::Version::V3),
            cfb::Version::V4
        );
        tree.children.clear();
        assert_eq!(
            image::version_for(&tree, cfb::Version::V3),
            cfb::Version::V3
        );
    }

    #[test]
    fn open_errors_match_ole32() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.msg");
        assert_eq!(
            open_file(&missing, STGM_READ).err().unwrap().kind,
            ErrorKind::StgFileNotFound
        );
        let text = dir.path().join("text.msg");
        std::fs::write(&text, b"From: someone\r\n").unwrap();
        assert_eq!(
            open_file(&text, STGM_READ).err().unwrap().kind,
            ErrorKind::StgFileAlreadyExists
        );
        let empty = dir.path().join("empty.msg");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(
            open_file(&empty, STGM_READ).err().unwrap().kind,
            ErrorKind::StgFileAlreadyExists
        );
    }
}
