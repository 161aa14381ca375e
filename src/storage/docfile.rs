//! Our compound files ("docfiles"): `StgCreateDocfile`/`StgOpenStorage` and their
//! lock-bytes forms on Linux.
//!
//! The file we open is never written. Its directory becomes a tree of reference-counted
//! nodes ([`super::tree`]); stream content stays in the file until changed ([`Blob`]) and
//! is read through our own lenient reader ([`super::compound_reader`]). Changes live in a
//! workspace ([`super::transaction`]) until a commit writes a new file beside the original
//! and renames it over it ([`super::publish`]). The handles callers hold are
//! [`DocStorage`] and [`super::doc_stream::DocStream`].
#![forbid(unsafe_code)]

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use super::Version;
use super::blob::{Blob, ReadAt};
use super::byte_arrays::{Image, LockBytes};
pub use super::compound_reader::SIGNATURE;
use super::compound_reader::{CompoundFile, FileSource};
pub use super::doc_storage::DocStorage;
use super::publish;
pub use super::publish::remove_stale_temps;
use super::share;
use super::transaction::{Target, Workspace};
use super::tree::{self, DirNode};
use super::{Storage, access_of, wants_write};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};

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
    let (share, file) = lock_and_open(path, mode)?;
    if !is_compound(&file)? {
        return err(
            ErrorKind::StgFileAlreadyExists,
            format!("{} is not a compound file", path.display()),
        );
    }
    let meta = file
        .metadata()
        .map_err(|e| Error::io(&path.display().to_string(), &e))?;
    let (base, dir) = CompoundFile::open(Arc::new(FileSource(file)), meta.len())?;
    let tree = Arc::new(tree::from_directory(&base, &dir));
    let root_id = tree.id;
    let ws = Workspace::with_file_meta(
        tree,
        Target::File {
            path: path.to_path_buf(),
            version: base.version(),
            share: Some(share),
        },
        Some(&meta),
    );
    Ok(DocStorage::root(
        ws,
        root_id,
        path.display().to_string(),
        mode,
    ))
}

/// Takes the share mode of an open of `path` (held against other processes on the file
/// itself) and opens the file it holds it on for reading, through a descriptor of its own.
fn lock_and_open(path: &Path, mode: u32) -> Result<(share::ShareGuard, File)> {
    for _ in 0..100 {
        let share = share::acquire(path, mode, true)?;
        let file = File::open(path).map_err(|e| Error::io(&path.display().to_string(), &e))?;
        // A commit elsewhere may have replaced the file between the two opens.
        if share
            .file()
            .is_none_or(|locked| crate::platform::same_file(locked, &file))
        {
            return Ok((share, file));
        }
    }
    err(
        ErrorKind::StgLockViolation,
        format!("{} keeps being replaced while it is opened", path.display()),
    )
}

/// Creates a compound file on disk (`STGM_CREATE` replaces an existing one).
pub fn create_file(path: &Path, mode: u32, version: Version) -> Result<Arc<DocStorage>> {
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
    let mut share = share::acquire(path, mode, exists && path.is_file())?;
    // STGM_CONVERT keeps what the file held as the new storage's CONTENTS stream.
    let old_content = if exists && mode & STGM_CONVERT != 0 {
        let bytes =
            std::fs::read(path).map_err(|e| Error::io("reading the file to convert", &e))?;
        Some(Blob::from_vec(bytes))
    } else {
        None
    };
    let tree = Arc::new(DirNode::new());
    let target = |share| Target::File {
        path: path.to_path_buf(),
        version,
        share: Some(share),
    };
    let ws = if exists && mode & STGM_TRANSACTED != 0 {
        // A transacted create over an existing file replaces it only at commit.
        let ws = Workspace::new(tree.clone(), target(share));
        ws.inner.lock().on_disk = false;
        ws
    } else {
        // The file exists from now on. A new file need not survive a crash before its
        // first commit (it held nothing): it is not synced, but it appears whole or not at
        // all; its first commit is written into it (`publish::commit_fresh`).
        let placing = if exists {
            publish::Placing::Replace
        } else {
            publish::Placing::New
        };
        let new = publish::publish_file(
            path,
            &DirNode::new(),
            version,
            Some(&mut share),
            exists,
            placing,
        )?;
        let fresh = match new.writable {
            Some(file) if !exists => Some(publish::Fresh {
                file,
                len: new.layout.len,
                version,
            }),
            _ => None,
        };
        let ws = Workspace::with_file_meta(tree.clone(), target(share), new.meta.as_ref());
        ws.inner.lock().fresh = fresh;
        ws
    };
    let mut root = DocStorage::new_root(ws, tree.id, path.display().to_string(), mode);
    if mode & STGM_DELETEONRELEASE != 0 {
        root.delete_on_release = Some(path.to_path_buf());
        root.commit_on_release = false;
    }
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
    let (base, dir) = CompoundFile::open(Arc::new(img.clone()), len)?;
    let tree = Arc::new(tree::from_directory(&base, &dir));
    let root_id = tree.id;
    let ws = Workspace::new(
        tree,
        Target::Bytes {
            lb,
            version: base.version(),
            image: img,
        },
    );
    Ok(DocStorage::root(ws, root_id, String::new(), mode))
}

/// Creates a compound file in a lock-bytes (`StgCreateDocfileOnILockBytes`). A lock-bytes
/// that already holds bytes needs `STGM_CREATE`; in transacted mode its content is replaced
/// at the first commit, in direct mode now.
pub fn create_bytes(
    lb: Arc<dyn LockBytes>,
    mode: u32,
    version: Version,
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
        old = publish::publish_bytes(lb.as_ref(), &DirNode::new(), version, &old)?.0;
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

#[cfg(test)]
mod tests {
    use std::io::SeekFrom;

    use super::*;
    use crate::storage::Stream;
    use crate::storage::compound_writer::version_for;
    use crate::storage::element_names::Key;
    use crate::storage::tree::{Child, Node, StreamNode, new_id};

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

    /// Whether the compound file at `path` opens (shared) and holds no element.
    fn opens_empty(path: &Path) -> bool {
        open_file(path, STGM_READ | STGM_SHARE_DENY_NONE)
            .unwrap()
            .elements()
            .unwrap()
            .is_empty()
    }

    #[test]
    fn transacted_file_commits_atomically_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.msg");
        // Shared, so that a reader may look at the file meanwhile.
        let shared = STGM_READWRITE | STGM_SHARE_DENY_NONE;
        let root = create_file(&path, shared | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
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
        assert!(opens_empty(&path));
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

    #[cfg(target_os = "linux")]
    fn inode(path: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).unwrap().ino()
    }

    /// The first commit of a new file is written into the file created, when nothing else
    /// has it open; later commits replace it. Failing at any point, it leaves the empty
    /// compound file byte for byte.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_new_files_first_commit_is_written_into_it() {
        use super::super::faults;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.msg");
        let root = create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
        let created = inode(&path);
        write_version(root.as_ref(), 1);
        root.commit(STGC_DEFAULT).unwrap();
        assert_eq!(inode(&path), created);
        // What an independent, strict reader makes of the file written around the empty one.
        let mut cf = cfb::open(&path).unwrap();
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut cf.open_stream("/big").unwrap(), &mut got).unwrap();
        assert!(got == vec![1u8; 5600]);
        drop(cf);
        write_version(root.as_ref(), 2);
        root.commit(STGC_DEFAULT).unwrap();
        assert_ne!(inode(&path), created);
        drop(root);
        check_version(open_file(&path, STGM_READ).unwrap().as_ref(), 2);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        // Another open of the file: the commit goes beside, and the reader keeps its view.
        let shared = STGM_READWRITE | STGM_SHARE_DENY_NONE;
        std::fs::remove_file(&path).unwrap();
        let root = create_file(&path, shared | STGM_CREATE | STGM_TRANSACTED, Version::V4);
        let root = root.unwrap();
        let created = inode(&path);
        let reader = open_file(&path, STGM_READ | STGM_SHARE_DENY_NONE).unwrap();
        write_version(root.as_ref(), 3);
        root.commit(STGC_DEFAULT).unwrap();
        assert_ne!(inode(&path), created);
        assert!(reader.elements().unwrap().is_empty());
        drop((root, reader));
        check_version(open_file(&path, STGM_READ).unwrap().as_ref(), 3);

        // A failure at each write and sync leaves the empty file as it was.
        for version in [Version::V3, Version::V4] {
            let mut points = 0;
            for at in 1.. {
                std::fs::remove_file(&path).unwrap();
                let root = create_file(&path, RW | STGM_TRANSACTED, version).unwrap();
                let created = inode(&path);
                let empty = std::fs::read(&path).unwrap();
                write_version(root.as_ref(), 4);
                faults::arm(at);
                let result = root.commit(STGC_DEFAULT);
                faults::disarm();
                assert_eq!(inode(&path), created);
                drop(root);
                match result {
                    Err(e) => {
                        assert_eq!(e.kind, ErrorKind::StgMediumFull, "{}", e.message);
                        assert!(std::fs::read(&path).unwrap() == empty, "point {at}");
                        assert!(opens_empty(&path));
                        points += 1;
                    }
                    Ok(()) => {
                        check_version(open_file(&path, STGM_READ).unwrap().as_ref(), 4);
                        break;
                    }
                }
            }
            assert!(points >= 3, "{version:?}: only {points} failure points");
        }
    }

    #[test]
    fn nested_transaction_publishes_only_to_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.msg");
        let root = create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
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
        let root = create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
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
        let root = create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
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
            create_file(&path, RW | STGM_CREATE | STGM_CONVERT, Version::V3)
                .err()
                .map(|e| e.kind),
            Some(ErrorKind::StgInvalidFlag)
        );
        let root = create_file(&path, RW | STGM_CONVERT | STGM_TRANSACTED, Version::V3).unwrap();
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
            !create_file(&fresh, RW | STGM_CONVERT, Version::V3)
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
        let first = create_file(&path, rw | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
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
        let root = create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
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
        let root = create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
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
        let root = create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
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
        let root = create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
        write_version(root.as_ref(), 1);
        root.commit(STGC_DEFAULT).unwrap();
        drop(root);
        let original = std::fs::read(&path).unwrap();

        let mut points = 0;
        for at in 1.. {
            let root = open_file(&path, RW | STGM_TRANSACTED).unwrap();
            // One stream whose scratch file becomes the new file (publish's
            // `written_around`), one copied into it, large enough for several page
            // write-backs of the write cache.
            let mut s = root.create_stream("large", RW).unwrap();
            write_all(s.as_mut(), &vec![9u8; 5 * 1024 * 1024 + 17]);
            drop(s);
            let mut s = root.create_stream("copied", RW).unwrap();
            write_all(s.as_mut(), &vec![8u8; 3 * 1024 * 1024 + 17]);
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
                    for (name, byte, len) in [("large", 9u8, 5 << 20), ("copied", 8, 3 << 20)] {
                        let mut s = again
                            .open_stream(name, STGM_READ | STGM_SHARE_EXCLUSIVE)
                            .unwrap();
                        assert!(read_all(s.as_mut()) == vec![byte; len + 17], "{name}");
                    }
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
        drop(create_file(&path, RW | STGM_CREATE, Version::V3).unwrap());
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
        let root = create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
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
        // A leftover aside copy beside a present original is removed by the next commit of
        // a process that has not swept this directory yet.
        std::fs::write(&aside, b"old").unwrap();
        publish::forget_sweeps();
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
        let root =
            create_file(&path, RW | STGM_CREATE | STGM_DELETEONRELEASE, Version::V3).unwrap();
        write_version(root.as_ref(), 1);
        assert!(path.exists());
        drop(root);
        assert!(!path.exists());
    }

    #[test]
    fn compound_files_live_in_lock_bytes() {
        use super::super::byte_arrays::VecLockBytes;
        let lb = Arc::new(VecLockBytes::new(Vec::new()));
        let root =
            create_bytes(lb.clone(), RW | STGM_CREATE | STGM_TRANSACTED, Version::V4).unwrap();
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
            create_bytes(text.clone(), RW, Version::V3)
                .err()
                .unwrap()
                .kind,
            ErrorKind::StgFileAlreadyExists
        );
        // A transacted create replaces the content only at commit.
        let root = create_bytes(
            text.clone(),
            RW | STGM_CREATE | STGM_TRANSACTED,
            Version::V3,
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
        use super::super::byte_arrays::tests::Faulty;
        let lb = Arc::new(Faulty::new(Vec::new(), 0, u64::MAX));
        let root = create_bytes(lb.clone(), RW | STGM_CREATE, Version::V3).unwrap();
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
        let root = create_file(&path, RW | STGM_CREATE | STGM_TRANSACTED, Version::V3).unwrap();
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
        assert_eq!(version_for(&tree, Version::V3), Version::V4);
        tree.children.clear();
        assert_eq!(version_for(&tree, Version::V3), Version::V3);
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
