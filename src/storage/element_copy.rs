//! `IStorage::CopyTo` and `IStorage::MoveElementTo` over any two [`Storage`]s (ours, a
//! caller's through its adapter, or one of each). Between two of our compound files stream
//! content is shared copy-on-write, not copied.
#![forbid(unsafe_code)]

use std::sync::Arc;

use super::docfile::DocStorage;
use super::element_names::{self, Key};
use super::{ElementKind, Storage};
use crate::consts::*;
use crate::error::{ErrorKind, Result, err};

const RW_EXCLUSIVE: u32 = STGM_READWRITE | STGM_SHARE_EXCLUSIVE;
const READ_EXCLUSIVE: u32 = STGM_READ | STGM_SHARE_EXCLUSIVE;

/// What `CopyTo` leaves out of the top level of the copy (`rgiidExclude` with
/// `IID_IStorage` / `IID_IStream`, and `snbExclude`).
#[derive(Default)]
pub struct Exclusions {
    pub storages: bool,
    pub streams: bool,
    pub names: Vec<String>,
}

impl Exclusions {
    fn excludes(&self, name: &str, kind: ElementKind) -> bool {
        match kind {
            ElementKind::Storage if self.storages => return true,
            ElementKind::Stream if self.streams => return true,
            _ => {}
        }
        let key = Key::new(name);
        self.names.iter().any(|n| Key::new(n) == key)
    }
}

/// Where `dest` lies relative to `src`'s element `child` (or `src` itself): true when it is
/// that element or inside it, for two storages of our own compound files.
fn inside(src: &dyn Storage, child: Option<&str>, dest: &dyn Storage) -> bool {
    match (
        src.as_any().downcast_ref::<DocStorage>(),
        dest.as_any().downcast_ref::<DocStorage>(),
    ) {
        (Some(s), Some(d)) => {
            let (s_root, mut s_path) = s.location();
            if let Some(c) = child {
                s_path.push(Key::new(c));
            }
            let (d_root, d_path) = d.location();
            Arc::ptr_eq(&s_root, &d_root) && d_path.starts_with(&s_path)
        }
        _ => false,
    }
}

/// `IStorage::CopyTo`: copies `src`'s class and its elements (less `exclude`, at the top
/// level only) into `dest`. A stream replaces one of the same name; a storage is merged into
/// one of the same name (a stream of that name is replaced by the storage). Copying into
/// `src` itself or one of its descendants is `STG_E_ACCESSDENIED`.
pub fn copy_to(src: &dyn Storage, dest: &dyn Storage, exclude: &Exclusions) -> Result<()> {
    if inside(src, None, dest) {
        return err(
            ErrorKind::StgAccessDenied,
            "a storage cannot be copied into itself or one of its descendants",
        );
    }
    copy_tree(src, dest, exclude)
}

fn copy_tree(src: &dyn Storage, dest: &dyn Storage, exclude: &Exclusions) -> Result<()> {
    let clsid = src.stat()?.clsid;
    dest.set_class(clsid)?;
    let existing = dest.elements()?;
    for element in src.elements()? {
        if exclude.excludes(&element.name, element.kind) {
            continue;
        }
        let key = Key::new(&element.name);
        let there = existing.iter().find(|e| Key::new(&e.name) == key);
        match element.kind {
            ElementKind::Stream => {
                if there.is_some_and(|e| e.kind == ElementKind::Storage) {
                    dest.destroy_element(&element.name)?;
                }
                dest.write_stream(&element.name, &src.stream_blob(&element.name)?)?;
            }
            ElementKind::Storage => {
                let to = match there.map(|e| e.kind) {
                    Some(ElementKind::Storage) => dest.open_storage(&element.name, RW_EXCLUSIVE)?,
                    Some(ElementKind::Stream) => {
                        dest.destroy_element(&element.name)?;
                        dest.create_storage(&element.name, RW_EXCLUSIVE)?
                    }
                    None => dest.create_storage(&element.name, RW_EXCLUSIVE)?,
                };
                let from = src.open_storage(&element.name, READ_EXCLUSIVE)?;
                copy_tree(from.as_ref(), to.as_ref(), &Exclusions::default())?;
                to.commit(STGC_DEFAULT)?;
            }
        }
    }
    Ok(())
}

/// `IStorage::MoveElementTo`: copies element `name` of `src` into `dest` as `new_name`
/// and, unless `copy_only`, destroys it in `src`. An element of that name in `dest` is
/// `STG_E_FILEALREADYEXISTS`; an open element, or a move into itself or its own content,
/// `STG_E_ACCESSDENIED`.
pub fn move_element(
    src: &dyn Storage,
    name: &str,
    dest: &dyn Storage,
    new_name: &str,
    copy_only: bool,
) -> Result<()> {
    element_names::validate(name)?;
    element_names::validate(new_name)?;
    let Some(element) = src
        .elements()?
        .into_iter()
        .find(|e| Key::new(&e.name) == Key::new(name))
    else {
        return err(
            ErrorKind::StgFileNotFound,
            format!("no element {name:?} to move"),
        );
    };
    let same_place = inside(src, None, dest) && inside(dest, None, src);
    if (same_place && Key::new(name) == Key::new(new_name))
        || (element.kind == ElementKind::Storage && inside(src, Some(name), dest))
    {
        return err(
            ErrorKind::StgAccessDenied,
            "an element cannot be moved onto itself or into its own content",
        );
    }
    if dest
        .elements()?
        .iter()
        .any(|e| Key::new(&e.name) == Key::new(new_name))
    {
        return err(
            ErrorKind::StgFileAlreadyExists,
            format!("the destination already holds an element {new_name:?}"),
        );
    }
    match element.kind {
        ElementKind::Stream => {
            // Opening it checks that nobody has it open (elements are opened exclusively).
            drop(src.open_stream(&element.name, READ_EXCLUSIVE)?);
            dest.write_stream(new_name, &src.stream_blob(&element.name)?)?;
        }
        ElementKind::Storage => {
            let from = src.open_storage(&element.name, READ_EXCLUSIVE)?;
            let to = dest.create_storage(new_name, RW_EXCLUSIVE)?;
            let copied = copy_tree(from.as_ref(), to.as_ref(), &Exclusions::default())
                .and_then(|()| to.commit(STGC_DEFAULT));
            drop((from, to));
            if let Err(e) = copied {
                let _ = dest.destroy_element(new_name);
                return Err(e);
            }
        }
    }
    if !copy_only {
        src.destroy_element(&element.name)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::docfile::{create_file, open_file};

    const RW: u32 = RW_EXCLUSIVE;

    fn put(stg: &dyn Storage, name: &str, data: &[u8]) {
        let mut s = stg.create_stream(name, RW | STGM_CREATE).unwrap();
        s.write(data).unwrap();
    }

    fn get(stg: &dyn Storage, name: &str) -> Vec<u8> {
        stg.read_stream(name, 1 << 20).unwrap()
    }

    fn names(stg: &dyn Storage) -> Vec<String> {
        stg.elements()
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    #[test]
    fn copy_to_with_exclusions_and_merging() {
        let dir = tempfile::tempdir().unwrap();
        let a = create_file(
            &dir.path().join("a"),
            RW | STGM_CREATE,
            crate::storage::Version::V3,
        )
        .unwrap();
        a.set_class([3; 16]).unwrap();
        put(a.as_ref(), "s1", b"one");
        put(a.as_ref(), "s2", b"two");
        let sub = a.create_storage("sub", RW).unwrap();
        sub.set_class([4; 16]).unwrap();
        put(sub.as_ref(), "inner", b"deep");
        drop(sub);

        let b = create_file(
            &dir.path().join("b"),
            RW | STGM_CREATE,
            crate::storage::Version::V3,
        )
        .unwrap();
        put(b.as_ref(), "S1", b"old");
        let bsub = b.create_storage("SUB", RW).unwrap();
        put(bsub.as_ref(), "kept", b"k");
        drop(bsub);
        copy_to(
            a.as_ref(),
            b.as_ref(),
            &Exclusions {
                names: vec!["S2".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(b.stat().unwrap().clsid, [3; 16]);
        assert_eq!(get(b.as_ref(), "s1"), b"one");
        assert!(!names(b.as_ref()).contains(&"s2".to_string()));
        let bsub = b.open_storage("sub", RW).unwrap();
        assert_eq!(bsub.stat().unwrap().clsid, [4; 16]);
        assert_eq!(get(bsub.as_ref(), "inner"), b"deep");
        assert_eq!(get(bsub.as_ref(), "kept"), b"k");
        drop(bsub);

        // IID_IStorage excluded: streams only.
        let c = create_file(
            &dir.path().join("c"),
            RW | STGM_CREATE,
            crate::storage::Version::V3,
        )
        .unwrap();
        copy_to(
            a.as_ref(),
            c.as_ref(),
            &Exclusions {
                storages: true,
                ..Default::default()
            },
        )
        .unwrap();
        let mut n = names(c.as_ref());
        n.sort();
        assert_eq!(n, ["s1", "s2"]);

        // Into itself or a descendant.
        let sub = a.open_storage("sub", RW).unwrap();
        for dest in [a.clone() as Arc<dyn Storage>, sub.clone()] {
            assert_eq!(
                copy_to(a.as_ref(), dest.as_ref(), &Exclusions::default())
                    .unwrap_err()
                    .kind,
                ErrorKind::StgAccessDenied
            );
        }
        // A sibling is fine: the copy is of the source as it is now.
        drop(sub);
        let sibling = a.create_storage("copy", RW).unwrap();
        let sub = a.open_storage("sub", RW).unwrap();
        copy_to(sub.as_ref(), sibling.as_ref(), &Exclusions::default()).unwrap();
        assert_eq!(get(sibling.as_ref(), "inner"), b"deep");
    }

    #[test]
    fn move_and_copy_elements() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m");
        let a = create_file(
            &path,
            RW | STGM_CREATE | STGM_TRANSACTED,
            crate::storage::Version::V3,
        )
        .unwrap();
        put(a.as_ref(), "s", b"stream");
        let sub = a.create_storage("sub", RW).unwrap();
        put(sub.as_ref(), "inner", b"deep");
        drop(sub);
        let other = a.create_storage("other", RW).unwrap();

        move_element(a.as_ref(), "S", other.as_ref(), "moved", false).unwrap();
        assert!(!names(a.as_ref()).contains(&"s".to_string()));
        assert_eq!(get(other.as_ref(), "moved"), b"stream");
        move_element(a.as_ref(), "sub", other.as_ref(), "sub2", true).unwrap();
        let sub2 = other.open_storage("sub2", RW).unwrap();
        assert_eq!(get(sub2.as_ref(), "inner"), b"deep");
        drop(sub2);
        assert!(names(a.as_ref()).contains(&"sub".to_string()));

        let kind = |r: Result<()>| r.unwrap_err().kind;
        assert_eq!(
            kind(move_element(a.as_ref(), "nope", other.as_ref(), "x", false)),
            ErrorKind::StgFileNotFound
        );
        assert_eq!(
            kind(move_element(
                a.as_ref(),
                "sub",
                other.as_ref(),
                "SUB2",
                false
            )),
            ErrorKind::StgFileAlreadyExists
        );
        assert_eq!(
            kind(move_element(a.as_ref(), "sub", a.as_ref(), "sub", false)),
            ErrorKind::StgAccessDenied
        );
        let sub = a.open_storage("sub", RW).unwrap();
        assert_eq!(
            kind(move_element(a.as_ref(), "sub", sub.as_ref(), "x", false)),
            ErrorKind::StgAccessDenied
        );
        // Open elements stay where they are.
        assert_eq!(
            kind(move_element(a.as_ref(), "sub", other.as_ref(), "x", false)),
            ErrorKind::StgAccessDenied
        );
        drop(sub);
        // Renaming within one storage.
        move_element(a.as_ref(), "sub", a.as_ref(), "renamed", false).unwrap();
        drop(other);
        a.commit(STGC_DEFAULT).unwrap();
        drop(a);
        let again = open_file(&path, STGM_READ).unwrap();
        let mut n = names(again.as_ref());
        n.sort();
        assert_eq!(n, ["other", "renamed"]);
    }
}
