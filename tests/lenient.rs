//! Lenient reading (issue 14): every compound file that olefile 0.47 reads completely (opens,
//! and reads every stream it lists), our storage reads too: `open_file`, then every storage
//! walked and every stream read to its end through the `Storage`/`Stream` traits.
//!
//! The files are the corpus (`../shared/corpus/msg`, or `IMESSAGE_CORPUS`) and mutated copies
//! of them (bit flips, odd 32-bit values in the header, the FAT, the mini FAT and the
//! directory, truncations, sectors copied over others; [`mutate`]). Every file must be read
//! or refused with an error within 10 s, never panic. Where olefile 0.47 can be run (a Python
//! with it installed: `IMSG_OLEFILE_PYTHON`, else `target/olefile-venv/bin/python` or
//! `target/conformance-venv/bin/python`), each file olefile reads completely must be read
//! completely by us too; without one, that comparison is skipped and said so.
//!
//! The CI test mutates a few hundred copies. The full measurement of the issue (10,000
//! mutations and more) is an ignored test that prints its counts and every kind of refusal:
//!
//! ```sh
//! python3 -m venv target/olefile-venv && target/olefile-venv/bin/pip install olefile==0.47
//! LENIENT_MUTATIONS=10000 cargo test --release --test lenient -- --ignored --nocapture
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use imessage::consts::*;
use imessage::storage::Storage;
use imessage::storage::docfile::open_file;

/// Deterministic mutations of compound files.
mod mutate {
    /// splitmix64: small, fast and good enough to pick mutations.
    pub struct Rng(u64);

    impl Rng {
        pub fn new(seed: u64) -> Rng {
            Rng(seed)
        }

        pub fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// A number below `n` (`n` > 0).
        pub fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn u16_at(b: &[u8], at: usize) -> Option<u16> {
        Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
    }

    fn u32_at(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
    }

    /// Where a file's structures lie, as far as they can be found: the byte ranges of its
    /// FAT sectors, mini FAT sectors and directory sectors.
    pub struct Layout {
        pub sector: usize,
        pub fat: Vec<usize>,
        pub minifat: Vec<usize>,
        pub directory: Vec<usize>,
    }

    pub fn layout(file: &[u8]) -> Layout {
        let shift = u16_at(file, 0x1E).unwrap_or(9);
        let sector = if shift == 12 { 4096 } else { 512 };
        let sectors = (file.len() / sector).saturating_sub(1) as u32;
        let at = |s: u32| (s as usize + 1) * sector;
        let fat: Vec<usize> = (0..109)
            .filter_map(|i| u32_at(file, 0x4C + 4 * i))
            .filter(|&s| s < sectors)
            .map(at)
            .collect();
        let next = |s: u32| -> Option<u32> {
            let per = sector / 4;
            let fs = *fat.get(s as usize / per)?;
            u32_at(file, fs + 4 * (s as usize % per))
        };
        let chain = |start: Option<u32>| {
            let mut out = Vec::new();
            let mut s = start;
            while let Some(n) = s.filter(|&n| n < sectors) {
                if out.len() > 64 {
                    break;
                }
                out.push(at(n));
                s = next(n);
            }
            out
        };
        Layout {
            sector,
            directory: chain(u32_at(file, 0x30)),
            minifat: chain(u32_at(file, 0x3C)),
            fat,
        }
    }

    /// 32-bit values that mean something to a compound-file reader.
    fn odd_value(rng: &mut Rng, file_sectors: u32) -> u32 {
        const VALUES: [u32; 14] = [
            0,
            1,
            2,
            0x1000,
            0xFFFF,
            0x7FFF_FFFF,
            0x8000_0000,
            0xFFFF_FFFA,
            0xFFFF_FFFB,
            0xFFFF_FFFC,
            0xFFFF_FFFD,
            0xFFFF_FFFE,
            0xFFFF_FFFF,
            0x0001_0000,
        ];
        match rng.below(4) {
            0 => file_sectors.wrapping_add(rng.below(3) as u32),
            1 => rng.below(file_sectors.max(1) as usize + 8) as u32,
            _ => VALUES[rng.below(VALUES.len())],
        }
    }

    /// Header fields worth hitting (offsets of 16- and 32-bit fields).
    const HEADER_FIELDS: [(usize, usize); 14] = [
        (0x18, 2),
        (0x1A, 2),
        (0x1C, 2),
        (0x1E, 2),
        (0x20, 2),
        (0x28, 4),
        (0x2C, 4),
        (0x30, 4),
        (0x34, 4),
        (0x38, 4),
        (0x3C, 4),
        (0x40, 4),
        (0x44, 4),
        (0x48, 4),
    ];

    /// Directory entry fields: name length, type, colour, left, right, child, CLSID, state
    /// bits, times, start sector, size (low, high).
    const ENTRY_FIELDS: [(usize, usize); 12] = [
        (0x40, 2),
        (0x42, 1),
        (0x43, 1),
        (0x44, 4),
        (0x48, 4),
        (0x4C, 4),
        (0x50, 4),
        (0x60, 4),
        (0x64, 4),
        (0x74, 4),
        (0x78, 4),
        (0x7C, 4),
    ];

    fn put(file: &mut [u8], at: usize, width: usize, value: u32) {
        if at + width <= file.len() {
            file[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
        }
    }

    /// One mutation of `file`; returns its kind.
    fn once(file: &mut Vec<u8>, rng: &mut Rng) -> &'static str {
        let l = layout(file);
        let sectors = (file.len() / l.sector).saturating_sub(1) as u32;
        let pick = |rng: &mut Rng, v: &[usize]| -> Option<usize> {
            if v.is_empty() {
                None
            } else {
                Some(v[rng.below(v.len())])
            }
        };
        match rng.below(9) {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(file.len().max(1));
                    if let Some(b) = file.get_mut(at) {
                        *b ^= 1 << rng.below(8);
                    }
                }
                "bitflip"
            }
            1 => {
                let (at, width) = HEADER_FIELDS[rng.below(HEADER_FIELDS.len())];
                let v = if at == 0x1E || at == 0x20 {
                    [0u32, 1, 5, 6, 7, 8, 10, 11, 12, 13, 16, 20, 31, 0xFFFF][rng.below(14)]
                } else {
                    odd_value(rng, sectors)
                };
                put(file, at, width, v);
                "header"
            }
            2 => {
                let at = 0x4C + 4 * rng.below(109);
                put(file, at, 4, odd_value(rng, sectors));
                "header-difat"
            }
            3 => match pick(rng, &l.fat) {
                Some(s) => {
                    let at = s + 4 * rng.below(l.sector / 4);
                    put(file, at, 4, odd_value(rng, sectors));
                    "fat"
                }
                None => "fat-none",
            },
            4 => match pick(rng, &l.minifat) {
                Some(s) => {
                    let at = s + 4 * rng.below(l.sector / 4);
                    put(file, at, 4, odd_value(rng, sectors));
                    "minifat"
                }
                None => "minifat-none",
            },
            5 | 6 => match pick(rng, &l.directory) {
                Some(s) => {
                    let entry = s + 128 * rng.below(l.sector / 128);
                    let (off, width) = ENTRY_FIELDS[rng.below(ENTRY_FIELDS.len())];
                    let v = match (off, rng.below(3)) {
                        (0x42, _) => rng.below(8) as u32,
                        (0x43, _) => rng.below(4) as u32,
                        (0x40, 0) => rng.below(80) as u32,
                        (0x78, 0) => 0xFFFF_FFFF,
                        _ => odd_value(rng, sectors),
                    };
                    put(file, entry + off, width, v);
                    "directory"
                }
                None => "directory-none",
            },
            7 => {
                let len = file.len();
                let cut = match rng.below(3) {
                    0 => rng.below(len.max(1)),
                    1 => len - rng.below(l.sector.min(len).max(1)),
                    _ => (len / l.sector).saturating_sub(rng.below(4)) * l.sector,
                };
                file.truncate(cut);
                "truncate"
            }
            _ => {
                if sectors >= 2 {
                    let from = rng.below(sectors as usize);
                    let to = rng.below(sectors as usize);
                    let (a, b) = ((from + 1) * l.sector, (to + 1) * l.sector);
                    if a + l.sector <= file.len() && b + l.sector <= file.len() {
                        let copy = file[a..a + l.sector].to_vec();
                        file[b..b + l.sector].copy_from_slice(&copy);
                    }
                }
                "sector-copy"
            }
        }
    }

    /// One to three mutations of `file`; returns their kinds joined by "+".
    pub fn mutate(file: &mut Vec<u8>, rng: &mut Rng) -> String {
        let n = 1 + rng.below(3);
        let mut kinds: Vec<&str> = (0..n).map(|_| once(file, rng)).collect();
        kinds.sort();
        kinds.join("+")
    }
}

/// Opens `path` read-only and reads every stream of every storage to its end.
fn read_everything(path: &Path) -> Result<u64, String> {
    let root = open_file(path, STGM_READ | STGM_SHARE_DENY_WRITE).map_err(|e| e.to_string())?;
    let mut total = 0;
    walk(root.as_ref(), 0, &mut total)?;
    Ok(total)
}

fn walk(storage: &dyn Storage, depth: usize, total: &mut u64) -> Result<(), String> {
    const READ: u32 = STGM_READ | STGM_SHARE_EXCLUSIVE;
    let mut buf = vec![0u8; 64 * 1024];
    for element in storage.elements().map_err(|e| e.to_string())? {
        match element.kind {
            imessage::storage::ElementKind::Stream => {
                let mut s = storage
                    .open_stream(&element.name, READ)
                    .map_err(|e| e.to_string())?;
                loop {
                    match s.read(&mut buf).map_err(|e| e.to_string())? {
                        0 => break,
                        n => *total += n as u64,
                    }
                }
            }
            imessage::storage::ElementKind::Storage => {
                if depth > 300 {
                    return Err("storages nested too deeply".into());
                }
                let sub = storage
                    .open_storage(&element.name, READ)
                    .map_err(|e| e.to_string())?;
                walk(sub.as_ref(), depth + 1, total)?;
            }
        }
    }
    Ok(())
}

/// What reading one file through our storage gave.
#[derive(Debug)]
enum Outcome {
    Read,
    Refused(String),
    Panicked(String),
    Hung,
}

/// Reads `path` in a thread of its own, with a 10 s limit.
fn outcome(path: &Path) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(|| read_everything(&p)));
        let _ = tx.send(match result {
            Ok(Ok(_)) => Outcome::Read,
            Ok(Err(e)) => Outcome::Refused(e),
            Err(panic) => Outcome::Panicked(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
            ),
        });
    });
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or(Outcome::Hung)
}

fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = match std::env::var_os("IMESSAGE_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
    .join("msg");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "msg"))
        .collect();
    files.sort();
    Some(files)
}

/// A Python that has olefile 0.47.
fn olefile_python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("IMSG_OLEFILE_PYTHON").map(PathBuf::from),
        Some(root.join("target/olefile-venv/bin/python")),
        Some(root.join("target/conformance-venv/bin/python")),
    ];
    candidates.into_iter().flatten().find(|py| {
        Command::new(py)
            .args([
                "-c",
                "import olefile,sys; sys.exit(olefile.__version__ != '0.47')",
            ])
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The files of `paths` that olefile reads completely.
fn olefile_reads(python: &Path, paths: &[PathBuf]) -> std::collections::HashSet<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lenient/olefile_reads.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("running olefile");
    let mut stdin = child.stdin.take().expect("stdin");
    let list: String = paths.iter().map(|p| format!("{}\n", p.display())).collect();
    let writer = std::thread::spawn(move || stdin.write_all(list.as_bytes()));
    let mut ok = std::collections::HashSet::new();
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("olefile's output");
        if let Some(path) = line.strip_prefix("OK ") {
            ok.insert(PathBuf::from(path));
        }
    }
    writer.join().expect("writer").expect("writing the list");
    assert!(
        child.wait().expect("olefile").success(),
        "olefile_reads.py failed"
    );
    ok
}

/// An error message with its numbers taken out, to group refusals by kind.
fn kind_of(message: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// What a run over the corpus and `mutations` mutated copies found.
struct Tally {
    files: usize,
    read: usize,
    refused: usize,
    panicked: Vec<String>,
    hung: Vec<String>,
    olefile_reads: Option<usize>,
    /// Files olefile reads completely and we refuse: (file, mutation kinds, our error).
    refused_but_readable: Vec<(String, String, String)>,
}

fn run(mutations: usize, seed: u64) -> Option<Tally> {
    let Some(corpus) = corpus_files() else {
        println!("SKIPPED: no corpus (../shared/corpus or IMESSAGE_CORPUS)");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<(PathBuf, String)> = corpus
        .iter()
        .map(|p| (p.clone(), "original".to_string()))
        .collect();
    let sources: Vec<Vec<u8>> = corpus.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let mut rng = mutate::Rng::new(seed);
    for i in 0..mutations {
        let from = rng.below(sources.len());
        let mut bytes = sources[from].clone();
        let kinds = mutate::mutate(&mut bytes, &mut rng);
        let path = dir.path().join(format!("m{i:06}.msg"));
        std::fs::write(&path, &bytes).unwrap();
        files.push((path, kinds));
    }
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let readable = olefile_python().map(|py| olefile_reads(&py, &paths));
    if readable.is_none() {
        println!("olefile 0.47 not found (IMSG_OLEFILE_PYTHON): the comparison with it is skipped");
    }
    let mut tally = Tally {
        files: files.len(),
        read: 0,
        refused: 0,
        panicked: Vec::new(),
        hung: Vec::new(),
        olefile_reads: readable.as_ref().map(|r| r.len()),
        refused_but_readable: Vec::new(),
    };
    for (path, kinds) in &files {
        let name = format!("{} ({kinds})", path.display());
        match outcome(path) {
            Outcome::Read => tally.read += 1,
            Outcome::Refused(e) => {
                tally.refused += 1;
                if readable.as_ref().is_some_and(|r| r.contains(path)) {
                    tally
                        .refused_but_readable
                        .push((path.display().to_string(), kinds.clone(), e));
                }
            }
            Outcome::Panicked(m) => tally.panicked.push(format!("{name}: {m}")),
            Outcome::Hung => tally.hung.push(name),
        }
    }
    // Keep the files of interest for a look when asked.
    if let Some(keep) = std::env::var_os("LENIENT_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        for (path, _, _) in &tally.refused_but_readable {
            let p = Path::new(path);
            let _ = std::fs::copy(p, keep.join(p.file_name().unwrap()));
        }
    }
    Some(tally)
}

fn report(t: &Tally) {
    println!(
        "{} files: {} read, {} refused, {} panicked, {} hung; olefile reads {}; \
         refused by us but read completely by olefile: {}",
        t.files,
        t.read,
        t.refused,
        t.panicked.len(),
        t.hung.len(),
        t.olefile_reads
            .map_or("(not run)".into(), |n| n.to_string()),
        t.refused_but_readable.len()
    );
    let mut kinds: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for (file, mutation, error) in &t.refused_but_readable {
        let e = kinds.entry(kind_of(error)).or_insert((0, String::new()));
        e.0 += 1;
        if e.1.is_empty() {
            e.1 = format!("{file} ({mutation})");
        }
    }
    for (kind, (count, example)) in &kinds {
        println!("  {count:5}  {kind}\n         e.g. {example}");
    }
    for p in &t.panicked {
        println!("  PANIC {p}");
    }
    for h in &t.hung {
        println!("  HUNG {h}");
    }
}

#[test]
fn the_corpus_and_mutated_copies_read_as_olefile_reads_them() {
    let Some(t) = run(300, 14) else { return };
    report(&t);
    assert!(t.panicked.is_empty() && t.hung.is_empty());
    assert!(
        t.refused_but_readable.is_empty(),
        "{} files olefile reads completely are refused",
        t.refused_but_readable.len()
    );
}

/// The issue's measurement: `LENIENT_MUTATIONS` (default 10,000) mutated copies.
#[test]
#[ignore = "the full measurement: 10,000 mutations and olefile"]
fn lenient_measure() {
    let n = std::env::var("LENIENT_MUTATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let seed = std::env::var("LENIENT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let Some(t) = run(n, seed) else { return };
    report(&t);
    assert!(t.panicked.is_empty() && t.hung.is_empty());
}
