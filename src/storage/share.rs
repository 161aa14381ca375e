//! Share modes (`STGM_SHARE_*`) between the compound files this process has open, as ole32
//! enforces them: an open is refused with `STG_E_SHAREVIOLATION` when it wants access an
//! earlier open denies, or denies access an earlier open has. Share mode 0 denies nothing.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::consts::*;
use crate::error::{ErrorKind, Result, err};

const READ: u8 = 1;
const WRITE: u8 = 2;

struct Open {
    id: u64,
    file: PathBuf,
    access: u8,
    deny: u8,
}

static OPEN: Mutex<(u64, Vec<Open>)> = Mutex::new((0, Vec::new()));

/// The file's place in the registry while a root storage has it open.
#[derive(Debug)]
pub struct ShareGuard {
    id: u64,
}

impl Drop for ShareGuard {
    fn drop(&mut self) {
        OPEN.lock().1.retain(|o| o.id != self.id);
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

/// Registers an open of `path` with `mode`, or refuses it.
pub fn acquire(path: &Path, mode: u32) -> Result<ShareGuard> {
    let file = key(path);
    let (access, deny) = (access_of(mode), deny_of(mode));
    let mut open = OPEN.lock();
    let conflict = open
        .1
        .iter()
        .filter(|o| o.file == file)
        .any(|o| access & o.deny != 0 || o.access & deny != 0);
    if conflict {
        return err(
            ErrorKind::StgShareViolation,
            format!(
                "{} is open in a way that this open's access or share mode conflicts with",
                path.display()
            ),
        );
    }
    open.0 += 1;
    let id = open.0;
    open.1.push(Open {
        id,
        file,
        access,
        deny,
    });
    Ok(ShareGuard { id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_conflict_as_their_access_and_share_modes_say() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.msg");
        let rw = STGM_READWRITE;
        let exclusive = acquire(&path, rw | STGM_SHARE_EXCLUSIVE).unwrap();
        let e = acquire(&path, STGM_READ | STGM_SHARE_DENY_NONE).unwrap_err();
        assert_eq!(e.kind, ErrorKind::StgShareViolation);
        // Another spelling of the same path is the same file.
        let other = dir.path().join(".").join("f.msg");
        assert!(acquire(&other, STGM_READ).is_err());
        drop(exclusive);
        let reader = acquire(&path, STGM_READ | STGM_SHARE_DENY_WRITE).unwrap();
        let second_reader = acquire(&path, STGM_READ).unwrap();
        assert!(acquire(&path, rw).is_err());
        drop((reader, second_reader));
        // Share mode 0 denies nothing: callers open files twice with it.
        let a = acquire(&path, rw).unwrap();
        let b = acquire(&path, STGM_READ).unwrap();
        drop((a, b));
    }
}
