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
