//! Share modes (`STGM_SHARE_*`) of the compound files we open, as ole32 enforces them: an
//! open is refused with `STG_E_SHAREVIOLATION` when it wants access an earlier open denies,
//! or denies access an earlier open has. Share mode 0 denies nothing.
//!
//! Within this process a registry of open files decides. Between processes (Linux), each
//! open holds advisory locks on the file itself, as ole32 holds locks on its files: a shared
//! lock on one byte for each access it has (read, write) and one for each it denies, in the
//! file's range-lock area (offsets from 0x7FFFFF00, which no data of a file we write
//! occupies). An open takes its locks first, then looks for another's lock on a byte it
//! conflicts with, and gives up if it finds one: two opens racing each other can both be
//! refused, never both admitted. The locks belong to an open file description, so they go
//! with the process that holds them, killed or not, and nothing is ever left behind.
//!
//! A commit replaces the file by a rename: the new file gets the same locks before it takes
//! the old one's name ([`ShareGuard::prepare`]), and the old file's locks go after
//! ([`ShareGuard::adopt`]). An open that found the old file and took its locks checks, after
//! taking them, that the name still leads to the file it locked, and starts again if not.
#![forbid(unsafe_code)]

use std::fs::File;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};

const READ: u8 = 1;
const WRITE: u8 = 2;

/// The bytes whose locks say "an open has read (write) access" and "an open denies read
/// (write)".
const LOCK_BASE: u64 = 0x7FFF_FF00;
const ACCESS_READ: u64 = LOCK_BASE;
const ACCESS_WRITE: u64 = LOCK_BASE + 1;
const DENY_READ: u64 = LOCK_BASE + 2;
const DENY_WRITE: u64 = LOCK_BASE + 3;

struct Open {
    id: u64,
    file: PathBuf,
    access: u8,
    deny: u8,
}

static OPEN: Mutex<(u64, Vec<Open>)> = Mutex::new((0, Vec::new()));

/// A file's place among the opens of this process and its locks against other processes,
/// for as long as the file is open.
#[derive(Debug)]
pub struct ShareGuard {
    id: u64,
    access: u8,
    deny: u8,
    /// A descriptor of the file whose open file description holds our locks.
    locked: Option<File>,
}

impl Drop for ShareGuard {
    fn drop(&mut self) {
        if let Some(file) = self.locked.take() {
            release(&file);
        }
        OPEN.lock().1.retain(|o| o.id != self.id);
    }
}

/// Releases every lock `file` may hold (see `platform::unlock_byte` for why closing it is
/// not enough).
fn release(file: &File) {
    for byte in [ACCESS_READ, ACCESS_WRITE, DENY_READ, DENY_WRITE] {
        let _ = crate::platform::unlock_byte(file, byte);
    }
}

/// The same key for every spelling of one file's path.
fn key(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    dir.canonicalize()
        .unwrap_or_else(|_| dir.to_path_buf())
        .join(name)
}

fn access_of(mode: u32) -> u8 {
    match mode & 3 {
        STGM_READ => READ,
        STGM_WRITE => WRITE,
        _ => READ | WRITE,
    }
}

fn deny_of(mode: u32) -> u8 {
    match mode & 0x70 {
        STGM_SHARE_EXCLUSIVE => READ | WRITE,
        STGM_SHARE_DENY_WRITE => WRITE,
        STGM_SHARE_DENY_READ => READ,
        _ => 0,
    }
}

fn violation(path: &Path, by: &str) -> Error {
    Error::new(
        ErrorKind::StgShareViolation,
        format!(
            "{} is open {by} in a way that this open's access or share mode conflicts with",
            path.display()
        ),
    )
}

fn lock_error(e: std::io::Error) -> Error {
    Error::io("locking the file for its share mode", &e)
}

/// Registers an open of `path` with `mode`, or refuses it. When the file `exists`, its
/// locks hold `mode` against other processes too ([`ShareGuard::file`] tells which file
/// they are on).
pub fn acquire(path: &Path, mode: u32, exists: bool) -> Result<ShareGuard> {
    let name = key(path);
    let (access, deny) = (access_of(mode), deny_of(mode));
    let mut open = OPEN.lock();
    let conflict = open
        .1
        .iter()
        .filter(|o| o.file == name)
        .any(|o| access & o.deny != 0 || o.access & deny != 0);
    if conflict {
        return Err(violation(path, "in this process"));
    }
    let locked = if exists {
        Some(lock_current(path, access, deny)?)
    } else {
        None
    };
    open.0 += 1;
    let id = open.0;
    open.1.push(Open {
        id,
        file: name,
        access,
        deny,
    });
    Ok(ShareGuard {
        id,
        access,
        deny,
        locked,
    })
}

/// Opens the file `path` names and takes `access` and `deny` locks on it, refusing when
/// another process holds a conflicting one. Returns the descriptor that holds them.
fn lock_current(path: &Path, access: u8, deny: u8) -> Result<File> {
    for _ in 0..100 {
        let candidate = File::open(path).map_err(|e| Error::io(&path.display().to_string(), &e))?;
        if let Err(e) = take_locks(&candidate, access, deny) {
            release(&candidate);
            return Err(e);
        }
        let checks = [(READ, DENY_READ), (WRITE, DENY_WRITE)]
            .into_iter()
            .filter(|(bit, _)| access & bit != 0)
            .chain(
                [(READ, ACCESS_READ), (WRITE, ACCESS_WRITE)]
                    .into_iter()
                    .filter(|(bit, _)| deny & bit != 0),
            );
        for (_, byte) in checks {
            let locked = crate::platform::byte_locked_by_other(&candidate, byte);
            if !matches!(locked, Ok(false)) {
                release(&candidate);
                return Err(match locked {
                    Err(e) => lock_error(e),
                    _ => violation(path, "by another process"),
                });
            }
        }
        // A commit elsewhere may have put a new file in its place meanwhile: lock that one.
        if crate::platform::is_same_file(&candidate, path) {
            return Ok(candidate);
        }
        release(&candidate);
    }
    err(
        ErrorKind::StgLockViolation,
        format!("{} keeps being replaced while it is opened", path.display()),
    )
}

/// Takes the shared locks that say "access" and "deny" on `file`.
fn take_locks(file: &File, access: u8, deny: u8) -> Result<()> {
    let bytes = [
        (access & READ, ACCESS_READ),
        (access & WRITE, ACCESS_WRITE),
        (deny & READ, DENY_READ),
        (deny & WRITE, DENY_WRITE),
    ];
    for (wanted, byte) in bytes {
        if wanted != 0 && !crate::platform::lock_byte_shared(file, byte).map_err(lock_error)? {
            // Only shared locks are ever taken on these bytes; an exclusive one is not ours.
            return err(
                ErrorKind::StgLockViolation,
                "another program holds a lock on the file",
            );
        }
    }
    Ok(())
}

impl ShareGuard {
    /// The descriptor holding the locks, to tell whether another descriptor is of the same
    /// file. It is never read through: a reader's descriptor may live on in content shared
    /// elsewhere, and the locks must go when this open ends.
    pub fn file(&self) -> Option<&File> {
        self.locked.as_ref()
    }

    /// Takes this open's locks on `new`, the file about to replace the one open (nobody
    /// else has it yet), through a duplicate of its descriptor (the same open file
    /// description: the locks are released explicitly, never by a close). Returns it, for
    /// [`ShareGuard::adopt`].
    pub fn prepare(&self, new: &File) -> Result<File> {
        let held = new.try_clone().map_err(lock_error)?;
        if let Err(e) = take_locks(&held, self.access, self.deny) {
            release(&held);
            return Err(e);
        }
        Ok(held)
    }

    /// Makes this open's access locks exclusive, so that no other open of the file can
    /// start while it is rewritten in place. False, with nothing changed, when another
    /// open holds one of them or the file is not locked (no file yet, other systems).
    pub fn exclude_others(&self) -> bool {
        let Some(file) = &self.locked else {
            return false;
        };
        for byte in [ACCESS_READ, ACCESS_WRITE] {
            if !matches!(crate::platform::lock_byte_exclusive(file, byte), Ok(true)) {
                self.readmit_others();
                return false;
            }
        }
        true
    }

    /// Back to this open's shared locks after [`ShareGuard::exclude_others`].
    pub fn readmit_others(&self) {
        let Some(file) = &self.locked else {
            return;
        };
        for (bit, byte) in [(READ, ACCESS_READ), (WRITE, ACCESS_WRITE)] {
            // An exclusive lock is replaced by a shared one on the same byte without a
            // moment of no lock, so no other open slips in between.
            let _ = if self.access & bit != 0 {
                crate::platform::lock_byte_shared(file, byte).map(|_| ())
            } else {
                crate::platform::unlock_byte(file, byte)
            };
        }
    }

    /// After the rename: the new file's locks are this open's; the old file's go.
    pub fn adopt(&mut self, held: File) {
        if let Some(old) = self.locked.replace(held) {
            release(&old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_conflict_as_their_access_and_share_modes_say() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.msg");
        let rw = STGM_READWRITE;
        let exclusive = acquire(&path, rw | STGM_SHARE_EXCLUSIVE, false).unwrap();
        let e = acquire(&path, STGM_READ | STGM_SHARE_DENY_NONE, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::StgShareViolation);
        // Another spelling of the same path is the same file.
        let other = dir.path().join(".").join("f.msg");
        assert!(acquire(&other, STGM_READ, false).is_err());
        drop(exclusive);
        let reader = acquire(&path, STGM_READ | STGM_SHARE_DENY_WRITE, false).unwrap();
        let second_reader = acquire(&path, STGM_READ, false).unwrap();
        assert!(acquire(&path, rw, false).is_err());
        drop((reader, second_reader));
        // Share mode 0 denies nothing: callers open files twice with it.
        let a = acquire(&path, rw, false).unwrap();
        let b = acquire(&path, STGM_READ, false).unwrap();
        drop((a, b));
    }

    /// Each open has a descriptor of its own, which stands for a process: their locks are
    /// their open file descriptions', which conflict as two processes' do. (The registry is
    /// bypassed here; `tests/share_modes.rs` uses real processes.)
    #[test]
    #[cfg(target_os = "linux")]
    fn locks_on_the_file_conflict_between_open_file_descriptions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.msg");
        std::fs::write(&path, b"x").unwrap();
        let held = lock_current(&path, READ | WRITE, WRITE).unwrap();
        let reader = lock_current(&path, READ, 0).expect("reading is not denied");
        let e = lock_current(&path, WRITE, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::StgShareViolation, "writing is denied");
        let e = lock_current(&path, READ, READ).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::StgShareViolation,
            "denies what the holder has"
        );
        drop(held);
        let e = lock_current(&path, READ, READ).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::StgShareViolation,
            "the reader still reads"
        );
        drop(reader);
        let all = lock_current(&path, READ | WRITE, READ | WRITE).unwrap();
        // The file replaced by a rename: the locks move to the new file first.
        let guard = ShareGuard {
            id: 0,
            access: READ | WRITE,
            deny: READ | WRITE,
            locked: Some(all),
        };
        let new_path = dir.path().join("g.new");
        let new_file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&new_path)
            .unwrap();
        let held = guard.prepare(&new_file).unwrap();
        std::fs::rename(&new_path, &path).unwrap();
        let mut guard = guard;
        guard.adopt(held);
        let e = lock_current(&path, READ, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::StgShareViolation);
        drop(guard);
        assert!(lock_current(&path, READ, 0).is_ok());
    }
}
