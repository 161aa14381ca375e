//! Publishing a committed tree: as a new file that takes the original's name in one rename
//! (DESIGN decision 9), or as a new image handed to a lock-bytes.
//!
//! A file is written as `.<name>.<6 random characters>.tmp` beside the original, locked
//! (`flock`) while it is written so that a sweep can tell a file whose writer died from one
//! being written, synced, and renamed over the original; then the directory is synced. A
//! crash at any moment leaves the old file or the new one. A large stream is not copied:
//! its scratch file, which holds it where the new file's sectors for it would be, is made
//! the new file, written (while it has no name) around the stream, locked, and given the
//! temporary name; from there on it goes the same way. The temporary files of writers
//! that died are removed by the sweep: once per directory and process, at the first commit
//! there, each file's leftovers when that file is next committed ([`sweep_once`]), or all of
//! a file's at once by [`remove_stale_temps`].
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::Version;
use super::blob::{SCRATCH_HEADER, ScratchFile};
use super::byte_arrays::{self, IMAGE_IN_MEMORY, Image, LockBytes};
use super::compound_reader::{CompoundFile, FileSource};
use super::compound_writer::{Around, Layout, write_tree, write_tree_around};
use super::faults;
use super::share::ShareGuard;
use super::tree::{DirNode, ElementId, Node, content_size};
use crate::error::{Error, ErrorKind, Result, err};

/// Random characters in the names of the temporary files commits write.
const TEMP_RAND_CHARS: usize = 6;

/// Where Windows cannot replace the open original, it steps aside under the temporary
/// file's name with this extension (`platform::replace_file`).
const ASIDE_EXTENSION: &str = "old";

/// Writes to the new file go out in pieces of this size.
const WRITE_BUFFER: usize = 512 * 1024;

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

/// Writes `tree` (around what `around` says is there) through a large buffer into `out`.
fn write_buffered(
    tree: &DirNode,
    version: Version,
    around: Option<Around>,
    out: impl Write,
    what: &str,
) -> Result<Layout> {
    let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, out);
    let layout = write_tree_around(tree, version, around, &mut out)?;
    out.flush()
        .map_err(|e| Error::io(&format!("writing {what}"), &e))?;
    Ok(layout)
}

/// A file's writes, each of which a test can make fail as a full disk would.
struct Checked<'a>(&'a File);

impl Write for Checked<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        faults::hit()?;
        (&mut &*self.0).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether the new file replaces one (whose permissions it keeps) or creates the path.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Placing {
    Replace,
    New,
}

/// A new file in place: the compound file, where its streams are, and the file's metadata
/// (for `STGC_ONLYIFCURRENT`).
pub struct Published {
    pub file: Arc<CompoundFile>,
    pub layout: Layout,
    pub meta: Option<std::fs::Metadata>,
    /// A writable descriptor of the file, for [`Fresh`].
    pub writable: Option<File>,
}

/// A file an open created (the empty compound file, `len` bytes of `version`) and has not
/// committed into yet: its first commit may be written into it ([`commit_fresh`]).
pub struct Fresh {
    pub file: File,
    pub len: u64,
    pub version: Version,
}

/// Writes `tree` beside `path`, renames it over `path` and returns the new file, opened
/// for reading, with where its streams are. `durable`: the new file is synced before the
/// rename and the directory after it (a commit); without, a crash may lose the file, never
/// leave a broken one (a new, empty file). `share`, the open's share-mode locks, are taken on
/// the new file before it takes the name.
///
/// On any failure the new file is removed and the original is untouched.
pub fn publish_file(
    path: &Path,
    tree: &DirNode,
    version: Version,
    share: Option<&mut ShareGuard>,
    durable: bool,
    placing: Placing,
) -> Result<Published> {
    if durable {
        sweep_once(path);
    }
    let (dir, file_name) = dir_and_name(path);
    // Dropping `tmp_path` on an early return removes the temporary file.
    let (file, tmp_path, layout) = match written_around(&dir, &file_name, tree, version)? {
        Some(done) => done,
        None => {
            faults::hit()
                .map_err(|e| Error::io("creating the new file beside the original", &e))?;
            let (file, tmp_path) = locked_temp_file(&dir, &file_name)?;
            let layout = write_buffered(tree, version, None, Checked(&file), "the new file")?;
            (file, tmp_path, layout)
        }
    };
    if durable {
        faults::hit()
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io("writing the new file", &e))?;
    }
    if placing == Placing::Replace
        && let Ok(meta) = std::fs::metadata(path)
    {
        // Keep the original's permissions on the file that replaces it.
        let _ = file.set_permissions(meta.permissions());
    }
    let held = match &share {
        Some(guard) => Some(guard.prepare(&file)?),
        None => None,
    };
    faults::hit().map_err(|e| Error::io("replacing the original file", &e))?;
    crate::platform::replace_file(&tmp_path, path, &tmp_path.with_extension(ASIDE_EXTENSION))
        .map_err(|e| Error::io("replacing the original file", &e))?;
    // The name is the original's now: nothing to remove.
    let _ = tmp_path.keep();
    let _ = file.unlock();
    if let (Some(guard), Some(held)) = (share, held) {
        guard.adopt(held);
    }
    if durable {
        // The new file is in place. Should syncing its directory entry fail, a crash could
        // still bring back the old file, which is as intact as the new one: not an error.
        let _ = crate::platform::sync_dir(&dir);
    }
    let meta = file.metadata().ok();
    let writable = file.try_clone().ok();
    let base = CompoundFile::open_header(Arc::new(FileSource(file)), layout.len)?;
    base.set_mini_stream(layout.mini_stream.0, layout.mini_stream.1);
    Ok(Published {
        file: Arc::new(base),
        layout,
        meta,
        writable,
    })
}

/// The first commit into a file this open created: written into that file rather than
/// beside it, so that no file is created and freed per file written (on ext4 without a
/// journal, every inode freed in the last minutes slows down each allocation after it).
/// The new content goes after the empty compound file the file holds, the new header over
/// its header last: until then the file reads as that empty compound file, whole, and a
/// process killed at any moment leaves it or the new one. Then the file and its directory
/// are synced, as for any commit. It held nothing worth keeping: were the power to fail
/// before the sync, it could be lost or broken, as it could before, never synced.
///
/// Only when nothing else has the file open: this open's share-mode locks are made
/// exclusive first (an open starting meanwhile is refused with `STG_E_LOCKVIOLATION`, never
/// sees half a file) and shared again after. `Ok(None)` when it cannot be done so (the
/// file open elsewhere, renamed or replaced, another version, a stream large enough to be
/// placed by its scratch file, no locks on this system): the caller publishes as usual.
pub fn commit_fresh(
    path: &Path,
    fresh: &Fresh,
    tree: &DirNode,
    version: Version,
    share: Option<&mut ShareGuard>,
) -> Result<Option<Published>> {
    let Some(guard) = share else {
        return Ok(None);
    };
    let sector = 1u64 << version.sector_shift();
    if version != fresh.version
        || !fresh.len.is_multiple_of(sector)
        || largest_in_place(tree).is_some()
        || !crate::platform::is_same_file(&fresh.file, path)
        || !guard.exclude_others()
    {
        return Ok(None);
    }
    sweep_once(path);
    let written = write_fresh(fresh, tree, version, sector);
    guard.readmit_others();
    let layout = written?;
    let (dir, _) = dir_and_name(path);
    // See `publish_file`: the file is whole either way.
    let _ = crate::platform::sync_dir(&dir);
    let file = fresh
        .file
        .try_clone()
        .map_err(|e| Error::io("reopening the new file", &e))?;
    let meta = file.metadata().ok();
    let base = CompoundFile::open_header(Arc::new(FileSource(file)), layout.len)?;
    base.set_mini_stream(layout.mini_stream.0, layout.mini_stream.1);
    Ok(Some(Published {
        file: Arc::new(base),
        layout,
        meta,
        writable: None,
    }))
}

/// Writes `tree` into `fresh` around what it holds, the header last, and syncs it. On any
/// failure the file is put back as it was.
fn write_fresh(fresh: &Fresh, tree: &DirNode, version: Version, sector: u64) -> Result<Layout> {
    let file = &fresh.file;
    let mut old_head = vec![0u8; sector as usize];
    crate::platform::read_exact_at(file, &mut old_head, 0)
        .map_err(|e| Error::io("reading the file", &e))?;
    let undo = || {
        let _ = crate::platform::write_all_at(file, &old_head, 0);
        let _ = file.set_len(fresh.len);
    };
    let around = Around {
        end: (fresh.len / sector - 1) as u32,
        stream: None,
    };
    let written = (|| {
        let out = CheckedAt {
            file,
            at: fresh.len,
        };
        let layout = write_buffered(tree, version, Some(around), out, "the new file")?;
        let head = layout.head.as_deref().unwrap_or_default();
        CheckedAt { file, at: 0 }
            .write_all(head)
            .and_then(|()| faults::hit())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io("writing the new file", &e))?;
        Ok(layout)
    })();
    if written.is_err() {
        undo();
    }
    written
}

/// Streams from this size on are not copied by a commit when their scratch file can
/// become the new file; below, copying costs less than what it saves.
const IN_PLACE_MIN: u64 = 4 * 1024 * 1024;

/// Scratch files that grew past this are copied (a version 3 file stays under 2 GB).
const IN_PLACE_MAX: u64 = 0x7000_0000;

/// A file's writes from a given offset on, each of which a test can make fail.
struct CheckedAt<'a> {
    file: &'a File,
    at: u64,
}

impl Write for CheckedAt<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        faults::hit()?;
        crate::platform::write_all_at(self.file, buf, self.at)?;
        self.at += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The largest stream of `tree` that sits whole in a scratch file that can become the new
/// file ([`Blob::in_place_file`]), if one is large enough to be worth it.
fn largest_in_place(tree: &DirNode) -> Option<(ElementId, Arc<ScratchFile>)> {
    let mut best: Option<(u64, ElementId, Arc<ScratchFile>)> = None;
    let mut visit = vec![tree];
    while let Some(dir) = visit.pop() {
        for child in dir.children.values() {
            match &child.node {
                Node::Dir(d) => visit.push(d),
                Node::Stream(s) => {
                    let len = s.data.len();
                    if len >= IN_PLACE_MIN
                        && best.as_ref().is_none_or(|b| len > b.0)
                        && let Some(home) = s.data.in_place_file()
                    {
                        best = Some((len, s.id, home));
                    }
                }
            }
        }
    }
    best.map(|(_, id, home)| (id, home))
}

/// The new file, when the largest stream of `tree` sits whole in a scratch file of its own
/// in its final sectors: that file becomes the new compound file, the rest of it written
/// after the stream and the header in front, then it is locked and named beside the
/// original, so that the stream's bytes are written once (the 1 GiB attachment). The
/// scratch file is sealed first: its slots are never written again (see `blob`).
/// `None` when no stream qualifies, or the file cannot be named in `dir` (another file
/// system): the caller writes a new file as usual, reading the stream where it is.
fn written_around(
    dir: &Path,
    file_name: &str,
    tree: &DirNode,
    version: Version,
) -> Result<Option<(File, tempfile::TempPath, Layout)>> {
    let Some((id, home)) = largest_in_place(tree) else {
        return Ok(None);
    };
    let Some(end) = home.seal() else {
        return Ok(None);
    };
    if end > IN_PLACE_MAX {
        return Ok(None);
    }
    let sector = 1u64 << version.sector_shift();
    let in_place = Around {
        end: (end / sector - 1) as u32,
        stream: Some((id, (SCRATCH_HEADER / sector - 1) as u32)),
    };
    let file = home
        .file()
        .try_clone()
        .map_err(|e| Error::io("writing the new file", &e))?;
    let out = CheckedAt {
        file: &file,
        at: end,
    };
    let layout = write_buffered(tree, version, Some(in_place), out, "the new file")?;
    let head = layout.head.as_deref().unwrap_or_default();
    CheckedAt { file: &file, at: 0 }
        .write_all(head)
        .map_err(|e| Error::io("writing the new file", &e))?;
    file.lock()
        .map_err(|e| Error::io("locking the new file", &e))?;
    for _ in 0..100 {
        let random = uuid::Uuid::new_v4().simple().to_string();
        let name = dir.join(format!(".{file_name}.{}.tmp", &random[..TEMP_RAND_CHARS]));
        match crate::platform::link_unnamed(&file, &name) {
            Ok(()) => {
                return match tempfile::TempPath::try_from_path(&name) {
                    Ok(tmp_path) => Ok(Some((file, tmp_path, layout))),
                    Err(e) => {
                        let _ = std::fs::remove_file(&name);
                        Err(Error::io("naming the new file", &e))
                    }
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => break,
        }
    }
    let _ = file.unlock();
    Ok(None)
}

/// Creates `.<file_name>.<random>.tmp` in `dir` and locks it.
///
/// Between the creation and the lock, a sweep in another thread or process may take the
/// file for a dead writer's and remove it; it removes only while holding the lock, so once
/// we hold it, a file still linked is ours to write. Otherwise we try again.
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

// ===== leftovers of dead writers =====

/// The name of the file a temporary file (or an original set aside) was written for, when
/// `name` is named as [`publish_file`] names them.
fn temp_owner(name: &str) -> Option<&str> {
    let (rest, extension) = name.strip_prefix('.')?.rsplit_once('.')?;
    let (owner, middle) = rest.rsplit_once('.')?;
    let ours = middle.len() == TEMP_RAND_CHARS
        && middle.chars().all(|c| c.is_ascii_alphanumeric())
        && matches!(extension, "tmp" | ASIDE_EXTENSION);
    ours.then_some(owner)
}

/// Removes `candidate`, a temporary file of `path`'s, if no live writer holds it (the lock
/// goes with the process). An original a commit had moved aside (Windows) is put back if
/// `path` is missing. Returns whether it was removed.
fn remove_if_stale(path: &Path, candidate: &Path) -> bool {
    let is_aside = candidate.extension().is_some_and(|e| e == ASIDE_EXTENSION);
    if is_aside && !path.exists() && std::fs::rename(candidate, path).is_ok() {
        return false; // a commit died between its two renames: the original is back
    }
    let Ok(file) = File::open(candidate) else {
        return false;
    };
    if file.try_lock().is_err() {
        return false; // a live writer holds it
    }
    // Removed while locked: see `locked_temp_file`.
    file.metadata().is_ok_and(|m| m.is_file()) && std::fs::remove_file(candidate).is_ok()
}

/// Removes the temporary files that commits to `path` killed before their rename left
/// beside it: files named as [`publish_file`] names them that no live writer holds locked.
/// Returns how many were removed. An original a commit had moved aside (Windows) is put
/// back if `path` is missing, else removed.
pub fn remove_stale_temps(path: &Path) -> usize {
    let (dir, file_name) = dir_and_name(path);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .and_then(temp_owner)
                .is_some_and(|owner| owner == file_name)
        })
        .filter(|e| remove_if_stale(path, &e.path()))
        .count()
}

/// Leftovers found in each directory the first time this process committed a file there,
/// by the name of the file they were written for.
/// B-trees, not hash maps: a hash table is reached through a pointer into its middle, which
/// valgrind reports as a possible leak at exit for this process-lifetime static.
type Listings = BTreeMap<PathBuf, BTreeMap<String, Vec<PathBuf>>>;
static LISTED: Mutex<Option<Listings>> = Mutex::new(None);

/// Removes the leftovers of `path` that were there when this process first committed a
/// file in its directory. The directory is read once per process, so that writing many
/// files into one directory costs the same per file however many it holds.
fn sweep_once(path: &Path) {
    let (dir, file_name) = dir_and_name(path);
    let candidates = {
        let mut listed = LISTED.lock();
        let listing = listed
            .get_or_insert_with(BTreeMap::new)
            .entry(dir.clone())
            .or_insert_with(|| list_leftovers(&dir));
        listing.remove(&file_name).unwrap_or_default()
    };
    for candidate in candidates {
        remove_if_stale(path, &candidate);
    }
}

fn list_leftovers(dir: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut out: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if let Some(owner) = name.to_str().and_then(temp_owner) {
                out.entry(owner.to_string()).or_default().push(entry.path());
            }
        }
    }
    out
}

/// Forgets which directories were swept, as a new process would not know (tests).
#[cfg(test)]
pub fn forget_sweeps() {
    *LISTED.lock() = None;
}

// ===== lock-bytes =====

/// Builds the compound file for `tree` as an image: in memory when small, else in an
/// anonymous temporary file.
fn build_image(tree: &DirNode, version: Version) -> Result<(Image, Layout)> {
    if content_size(tree) <= IMAGE_IN_MEMORY / 2 {
        let mut out = Vec::new();
        let layout = write_tree(tree, version, &mut out)?;
        return Ok((Image::from_vec(out), layout));
    }
    let file = tempfile::tempfile().map_err(|e| Error::io("creating the new image", &e))?;
    let layout = write_buffered(tree, version, None, Checked(&file), "the new image")?;
    Ok((Image::from_file(file, layout.len), layout))
}

/// Writes `tree` into `lb` (which holds `old`); returns the new image, the file it holds
/// and where its streams are.
pub fn publish_bytes(
    lb: &dyn LockBytes,
    tree: &DirNode,
    version: Version,
    old: &Image,
) -> Result<(Image, Arc<CompoundFile>, Layout)> {
    let (new, layout) = build_image(tree, version)?;
    byte_arrays::publish_image(lb, &new, old)?;
    let file = CompoundFile::open_header(Arc::new(new.clone()), new.len())?;
    file.set_mini_stream(layout.mini_stream.0, layout.mini_stream.1);
    Ok((new, Arc::new(file), layout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_file_names_are_recognised() {
        assert_eq!(temp_owner(".a.msg.Ab12Cd.tmp"), Some("a.msg"));
        assert_eq!(temp_owner(".a.msg.Ab12Cd.old"), Some("a.msg"));
        assert_eq!(temp_owner(".a.Ab12Cd.tmp"), Some("a"));
        assert_eq!(temp_owner(".a.msg.other.tmp"), None);
        assert_eq!(temp_owner(".a.msg.Ab12C!.tmp"), None);
        assert_eq!(temp_owner("a.msg.Ab12Cd.tmp"), None);
        assert_eq!(temp_owner(".a.msg.Ab12Cd.bak"), None);
    }
}
