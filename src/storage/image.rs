//! Reading a compound file's directory into our tree, and writing a tree as a new
//! compound file. `cfb` only ever writes files this module creates (DESIGN decision 9).
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::blob::{Blob, CHUNK, ReadAt};
use super::docfile::{Child, DirNode, Node, StreamNode, new_id};
use super::names::Key;
use super::{filetime_from_system_time, system_time_from_filetime};
use crate::error::{Error, ErrorKind, Result};

/// What `cfb` reads from: a file or bytes in memory.
pub trait ReadSeek: Read + Seek + Send + Sync {}
impl<T: Read + Seek + Send + Sync> ReadSeek for T {}

/// Read buffer for `cfb` streams: small, so random reads stay cheap (`dependencies.md` §1.3).
const CFB_BUFFER: usize = 16 * 1024;

/// Storages nested deeper than this are treated as a damaged file.
const MAX_DEPTH: usize = 256;

/// A compound file opened read-only: the committed content streams point into.
pub struct BaseFile {
    cfb: Mutex<Parsed>,
    pub version: cfb::Version,
}

type Cfb = cfb::CompoundFile<Box<dyn ReadSeek>>;

/// A base file is parsed when first read: `cfb` holds the whole FAT and, while opening,
/// a set of every sector (about 40 MiB for a 1 GiB file with 512-byte sectors), which a
/// file we just wrote and may never read again need not cost.
enum Parsed {
    Pending(Box<dyn ReadSeek>),
    Open(Box<Cfb>),
    Failed(Error),
}

impl BaseFile {
    /// The parsed file, parsing it now if needed.
    fn parsed(parsed: &mut Parsed) -> Result<&mut Cfb> {
        if matches!(parsed, Parsed::Pending(_)) {
            // A parse that panics leaves this error behind.
            let interrupted = Error::new(
                ErrorKind::StgDocfileCorrupt,
                "parsing the compound file was interrupted",
            );
            if let Parsed::Pending(reader) = std::mem::replace(parsed, Parsed::Failed(interrupted))
            {
                *parsed = match open_cfb(reader) {
                    Ok(cfb) => Parsed::Open(Box::new(cfb)),
                    Err(e) => Parsed::Failed(e),
                };
            }
        }
        match parsed {
            Parsed::Open(cfb) => Ok(cfb),
            Parsed::Failed(e) => Err(e.clone()),
            Parsed::Pending(_) => unreachable!("parsed above"),
        }
    }
}

struct BaseStream {
    file: Arc<BaseFile>,
    path: PathBuf,
}

impl ReadAt for BaseStream {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut parsed = self.file.cfb.lock();
        let cfb = BaseFile::parsed(&mut parsed)?;
        let mut stream = cfb
            .open_stream(&self.path)
            .map_err(|e| Error::io("reading the compound file", &e))?;
        stream
            .seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io("reading the compound file", &e))?;
        let mut done = 0;
        while done < buf.len() {
            match stream.read(&mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) => return Err(Error::io("reading the compound file", &e)),
            }
        }
        Ok(done)
    }
}

fn corrupt(e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::StgDocfileCorrupt,
        format!("the compound file is damaged: {e}"),
    )
}

fn open_cfb(reader: Box<dyn ReadSeek>) -> Result<Cfb> {
    cfb::OpenOptions::new()
        .max_buffer_size(CFB_BUFFER)
        .open_with(reader)
        .map_err(|e| corrupt(&e))
}

/// Opens a compound file for reading and returns it with its directory as a tree.
pub fn open_base(reader: Box<dyn ReadSeek>, size: u64) -> Result<(Arc<BaseFile>, DirNode)> {
    let cfb = open_cfb(reader)?;
    let version = cfb.version();
    let base = Arc::new(BaseFile {
        cfb: Mutex::new(Parsed::Open(Box::new(cfb))),
        version,
    });
    let root = read_tree(&base, size)?;
    Ok((base, root))
}

/// A compound file this module just wrote (with `version`), parsed only when a stream
/// of it is first read.
pub fn written_base(reader: Box<dyn ReadSeek>, version: cfb::Version) -> Arc<BaseFile> {
    Arc::new(BaseFile {
        cfb: Mutex::new(Parsed::Pending(reader)),
        version,
    })
}

fn times(entry: &cfb::Entry) -> (u64, u64) {
    (
        filetime_from_system_time(entry.created()),
        filetime_from_system_time(entry.modified()),
    )
}

fn read_tree(base: &Arc<BaseFile>, size: u64) -> Result<DirNode> {
    let mut parsed = base.cfb.lock();
    let cfb = BaseFile::parsed(&mut parsed)?;
    let root_entry = cfb.root_entry();
    let (ctime, mtime) = times(&root_entry);
    let mut root = DirNode {
        id: new_id(),
        clsid: root_entry.clsid().to_bytes_le(),
        state_bits: root_entry.state_bits(),
        ctime,
        mtime,
        atime: 0,
        children: BTreeMap::new(),
    };
    // Pre-order walk: every storage is seen before what it contains.
    for entry in cfb.walk() {
        if entry.is_root() {
            continue;
        }
        let names: Vec<String> = entry
            .path()
            .components()
            .filter_map(|c| match c {
                std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        if names.is_empty() || names.len() > MAX_DEPTH {
            return Err(Error::new(
                ErrorKind::StgDocfileCorrupt,
                "the compound file's directory is nested too deeply",
            ));
        }
        let (leaf, parents) = names.split_last().expect("not empty");
        let mut dir = &mut root;
        for name in parents {
            dir = match dir.children.get_mut(&Key::new(name)) {
                Some(Child {
                    node: Node::Dir(d), ..
                }) => Arc::get_mut(d).expect("tree is not shared while it is built"),
                _ => {
                    return Err(Error::new(
                        ErrorKind::StgDocfileCorrupt,
                        format!("directory entry {:?} has no parent storage", entry.path()),
                    ));
                }
            };
        }
        let node = if entry.is_stream() {
            // A damaged entry may claim more bytes than the file holds.
            let len = entry.len().min(size);
            let source = BaseStream {
                file: base.clone(),
                path: entry.path().to_path_buf(),
            };
            Node::Stream(Arc::new(StreamNode {
                id: new_id(),
                data: Blob::external(Arc::new(source), len),
            }))
        } else {
            let (ctime, mtime) = times(&entry);
            Node::Dir(Arc::new(DirNode {
                id: new_id(),
                clsid: entry.clsid().to_bytes_le(),
                state_bits: entry.state_bits(),
                ctime,
                mtime,
                atime: 0,
                children: BTreeMap::new(),
            }))
        };
        // A name that appears twice in one storage (damaged files): the first wins.
        dir.children.entry(Key::new(leaf)).or_insert(Child {
            name: leaf.clone(),
            node,
        });
    }
    Ok(root)
}

/// Total bytes of stream content below `dir`.
pub fn content_size(dir: &DirNode) -> u64 {
    dir.children
        .values()
        .map(|c| match &c.node {
            Node::Dir(d) => content_size(d),
            Node::Stream(s) => s.data.len(),
        })
        .sum()
}

/// Picks the format of a file to write: version 4 when version 3 cannot hold the content.
pub fn version_for(tree: &DirNode, wanted: cfb::Version) -> cfb::Version {
    // Version 3 files must stay below 2 GB; leave room for FAT, directory and mini stream.
    const V3_CONTENT_LIMIT: u64 = 0x7000_0000;
    if wanted == cfb::Version::V3 && content_size(tree) > V3_CONTENT_LIMIT {
        cfb::Version::V4
    } else {
        wanted
    }
}

/// Writes `tree` as a complete compound file into `out`.
pub fn write_tree<W: Read + Write + Seek>(
    tree: &DirNode,
    version: cfb::Version,
    out: W,
) -> Result<W> {
    let mut cfb = cfb::CompoundFile::create_with_version(version, out)
        .map_err(|e| Error::io("writing the compound file", &e))?;
    let mut path = PathBuf::from("/");
    write_dir(&mut cfb, tree, &mut path, true)?;
    cfb.flush()
        .map_err(|e| Error::io("writing the compound file", &e))?;
    Ok(cfb.into_inner())
}

fn io_err(e: std::io::Error) -> Error {
    Error::io("writing the compound file", &e)
}

fn write_dir<W: Read + Write + Seek>(
    cfb: &mut cfb::CompoundFile<W>,
    dir: &DirNode,
    path: &mut PathBuf,
    is_root: bool,
) -> Result<()> {
    if dir.clsid != [0; 16] {
        cfb.set_storage_clsid(&*path, uuid::Uuid::from_bytes_le(dir.clsid))
            .map_err(io_err)?;
    }
    if dir.state_bits != 0 {
        cfb.set_state_bits(&*path, dir.state_bits).map_err(io_err)?;
    }
    if !is_root {
        // The root entry's creation time must stay zero (MS-CFB 2.6.2).
        cfb.set_created_time(&*path, system_time_from_filetime(dir.ctime))
            .map_err(io_err)?;
    }
    cfb.set_modified_time(&*path, system_time_from_filetime(dir.mtime))
        .map_err(io_err)?;
    let mut buf = Vec::new();
    for child in dir.children.values() {
        path.push(&child.name);
        match &child.node {
            Node::Dir(d) => {
                cfb.create_storage(&*path).map_err(io_err)?;
                write_dir(cfb, d, path, false)?;
            }
            Node::Stream(s) => {
                let mut stream = cfb.create_stream(&*path).map_err(io_err)?;
                buf.resize(CHUNK.min(s.data.len() as usize), 0);
                let mut offset = 0;
                while offset < s.data.len() {
                    let n = s.data.read_at(offset, &mut buf)?;
                    if n == 0 {
                        break;
                    }
                    stream.write_all(&buf[..n]).map_err(io_err)?;
                    offset += n as u64;
                }
                stream.flush().map_err(io_err)?;
            }
        }
        path.pop();
    }
    Ok(())
}

/// The same tree with every stream's content pointing into `base` (after a commit wrote
/// `tree` into that file). Node ids are kept, so open handles stay valid.
pub fn rebase(tree: &DirNode, base: &Arc<BaseFile>, path: &Path) -> DirNode {
    let mut out = DirNode {
        children: BTreeMap::new(),
        ..tree.clone_shallow()
    };
    for (key, child) in &tree.children {
        let child_path = path.join(&child.name);
        let node = match &child.node {
            Node::Dir(d) => Node::Dir(Arc::new(rebase(d, base, &child_path))),
            Node::Stream(s) => {
                let source = BaseStream {
                    file: base.clone(),
                    path: child_path,
                };
                Node::Stream(Arc::new(StreamNode {
                    id: s.id,
                    data: Blob::external(Arc::new(source), s.data.len()),
                }))
            }
        };
        out.children.insert(
            key.clone(),
            Child {
                name: child.name.clone(),
                node,
            },
        );
    }
    out
}
