//! The few places where Linux and Windows differ, kept together (DESIGN decision 13).
#![forbid(unsafe_code)]

use std::fs::File;
use std::io;
use std::path::Path;

/// Positioned read that does not move a shared file cursor.
#[cfg(unix)]
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Positioned read of up to `buf.len()` bytes, fewer only at the end of the file; does not
/// move a shared file cursor.
pub fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(file, &mut buf[done..], offset + done as u64);
        #[cfg(windows)]
        let n =
            std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], offset + done as u64);
        match n {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Positioned write that does not move a shared file cursor.
#[cfg(unix)]
pub fn write_all_at(file: &File, data: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

#[cfg(windows)]
pub fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(windows)]
pub fn write_all_at(file: &File, mut data: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !data.is_empty() {
        match file.seek_write(data, offset)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => {
                data = &data[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// Makes a rename inside `dir` durable. Windows has no directory handles to sync; its
/// rename is made durable by the file system journal.
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(windows)]
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Puts the file `new` in place of `target` in one rename.
#[cfg(unix)]
pub fn replace_file(new: &Path, target: &Path, _aside: &Path) -> io::Result<()> {
    std::fs::rename(new, target)
}

/// Puts the file `new` in place of `target`. Windows without POSIX rename semantics (and
/// Wine) refuses to replace a file that is open, as the original is while we read from it,
/// but lets it be renamed: the original steps aside to `aside`, the new file takes its name,
/// and the old one goes when its last handle closes. A crash between the two renames leaves
/// the original at `aside`, where `docfile::remove_stale_temps` finds it and puts it back.
#[cfg(windows)]
pub fn replace_file(new: &Path, target: &Path, aside: &Path) -> io::Result<()> {
    match std::fs::rename(new, target) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied && target.is_file() => {}
        done => return done,
    }
    std::fs::rename(target, aside)?;
    if let Err(e) = std::fs::rename(new, target) {
        let _ = std::fs::rename(aside, target);
        return Err(e);
    }
    let _ = std::fs::remove_file(aside);
    Ok(())
}

/// A file without a name in `dir` that can be given one later ([`link_unnamed`]): on
/// Linux an `O_TMPFILE` (without `O_EXCL`, which would forbid that). Readable and writable
/// by everyone less the umask, as a new file: nobody can open it by a name until it has
/// one. `None` where there is no such file (other systems, file systems without it).
#[cfg(target_os = "linux")]
pub fn unnamed_file(dir: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o666)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
        .ok()
}

#[cfg(not(target_os = "linux"))]
pub fn unnamed_file(_dir: &Path) -> Option<File> {
    None
}

/// Gives `file`, made by [`unnamed_file`], the name `path` (which must not exist). Fails
/// across file systems (`EXDEV`).
#[cfg(target_os = "linux")]
pub fn link_unnamed(file: &File, path: &Path) -> io::Result<()> {
    use nix::fcntl::{AT_FDCWD, AtFlags};
    use std::os::fd::AsRawFd;
    let by_descriptor = format!("/proc/self/fd/{}", file.as_raw_fd());
    nix::unistd::linkat(
        AT_FDCWD,
        by_descriptor.as_str(),
        AT_FDCWD,
        path,
        AtFlags::AT_SYMLINK_FOLLOW,
    )
    .map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
pub fn link_unnamed(_file: &File, _path: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Makes `builder` create files readable and writable by everyone less the process's umask,
/// as `open(2)` does for new files (a temporary file alone would be private to its owner).
/// Windows files take their directory's access rules.
pub fn new_file_permissions(builder: &mut tempfile::Builder<'_, '_>) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    #[cfg(not(unix))]
    let _ = builder;
}

/// Takes a shared advisory lock on byte `at` of `file`. The lock belongs to the file's open
/// file description: it holds while any descriptor of it is open and goes with the process,
/// so nothing is left behind by a process that dies. Returns false when another open file
/// description holds the byte exclusively.
///
/// Linux only (open-file-description locks, `F_OFD_SETLK`); elsewhere nothing is locked.
#[cfg(target_os = "linux")]
pub fn lock_byte_shared(file: &File, at: u64) -> io::Result<bool> {
    use nix::fcntl::{FcntlArg, fcntl};
    let lock = byte_lock(libc::F_RDLCK, at);
    match fcntl(file, FcntlArg::F_OFD_SETLK(&lock)) {
        Ok(_) => Ok(true),
        Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EACCES) => Ok(false),
        Err(e) => Err(io::Error::from(e)),
    }
}

/// Releases `file`'s lock on byte `at`. Closing the descriptor is not enough: a child
/// process forked meanwhile holds the same open file description (and so the lock) until it
/// calls exec.
#[cfg(target_os = "linux")]
pub fn unlock_byte(file: &File, at: u64) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, fcntl};
    let lock = byte_lock(libc::F_UNLCK, at);
    fcntl(file, FcntlArg::F_OFD_SETLK(&lock))
        .map(|_| ())
        .map_err(io::Error::from)
}

/// Whether an open file description other than `file`'s holds a lock on byte `at`.
#[cfg(target_os = "linux")]
pub fn byte_locked_by_other(file: &File, at: u64) -> io::Result<bool> {
    use nix::fcntl::{FcntlArg, fcntl};
    let mut lock = byte_lock(libc::F_WRLCK, at);
    fcntl(file, FcntlArg::F_OFD_GETLK(&mut lock)).map_err(io::Error::from)?;
    Ok(i32::from(lock.l_type) != libc::F_UNLCK)
}

#[cfg(target_os = "linux")]
fn byte_lock(kind: i32, at: u64) -> libc::flock {
    libc::flock {
        l_type: kind as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: at as libc::off_t,
        l_len: 1,
        l_pid: 0,
    }
}

/// Takes an exclusive lock on byte `at` of `file` (which must be open for writing),
/// replacing a shared one `file`'s open file description holds. Returns false when another
/// open file description holds a lock on it. Linux only; elsewhere always false.
#[cfg(target_os = "linux")]
pub fn lock_byte_exclusive(file: &File, at: u64) -> io::Result<bool> {
    use nix::fcntl::{FcntlArg, fcntl};
    let lock = byte_lock(libc::F_WRLCK, at);
    match fcntl(file, FcntlArg::F_OFD_SETLK(&lock)) {
        Ok(_) => Ok(true),
        Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EACCES) => Ok(false),
        Err(e) => Err(io::Error::from(e)),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn lock_byte_exclusive(_file: &File, _at: u64) -> io::Result<bool> {
    Ok(false)
}

#[cfg(not(target_os = "linux"))]
pub fn lock_byte_shared(_file: &File, _at: u64) -> io::Result<bool> {
    Ok(true)
}

#[cfg(not(target_os = "linux"))]
pub fn unlock_byte(_file: &File, _at: u64) -> io::Result<()> {
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn byte_locked_by_other(_file: &File, _at: u64) -> io::Result<bool> {
    Ok(false)
}

/// Whether two descriptors are of the same file.
#[cfg(unix)]
pub fn same_file(a: &File, b: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (a.metadata(), b.metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
pub fn same_file(_a: &File, _b: &File) -> bool {
    true
}

/// Whether `file` is the file `path` names now (not one renamed away or replaced).
#[cfg(unix)]
pub fn is_same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
pub fn is_same_file(_file: &File, _path: &Path) -> bool {
    true
}
