//! Baselines for `bench/run.sh`, written with the `cfb` crate alone:
//!
//! - `walk ROUNDS LIST`: opens every file named in LIST (one path a line) with `cfb::open`
//!   and reads every stream completely, ROUNDS times over the list;
//! - `write TEMPLATE DIR N`: writes N compound files into DIR holding the streams and
//!   storages of TEMPLATE (a file the library wrote), each built in memory by `cfb`
//!   (version 3, as the library writes), written beside its final name, synced, renamed
//!   over it, and the directory synced: the commit protocol the library follows.
//!
//! Each prints `RESULT <what> seconds=<s> files=<n> bytes=<b>` for bench/run.sh.
use std::fs::File;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// User plus system CPU time of this process (less disturbed than the wall clock when
/// other processes compete for the CPUs).
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("walk") if args.len() == 4 => walk(args[2].parse().expect("ROUNDS"), &args[3]),
        Some("write") if args.len() == 5 => write(
            Path::new(&args[2]),
            Path::new(&args[3]),
            args[4].parse().expect("N"),
        ),
        _ => {
            eprintln!("usage: cfb_baseline walk ROUNDS LIST | write TEMPLATE DIR N");
            std::process::exit(2);
        }
    }
}

fn walk(rounds: usize, list: &str) {
    let files: Vec<PathBuf> = std::fs::read_to_string(list)
        .expect("reading the list")
        .lines()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect();
    let mut bytes = 0u64;
    let mut sum = 0u64;
    let mut buf = Vec::new();
    let start = Instant::now();
    let cpu = cpu_seconds();
    for _ in 0..rounds {
        for path in &files {
            let mut cfb = match cfb::open(path) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("FAILED: {}: {e}", path.display());
                    std::process::exit(1);
                }
            };
            let streams: Vec<PathBuf> = cfb
                .walk()
                .filter(|e| e.is_stream())
                .map(|e| e.path().to_path_buf())
                .collect();
            for s in streams {
                buf.clear();
                let mut stream = cfb.open_stream(&s).expect("opening a stream");
                stream.read_to_end(&mut buf).expect("reading a stream");
                bytes += buf.len() as u64;
                sum = sum.wrapping_add(buf.iter().map(|&b| u64::from(b)).sum::<u64>());
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    println!(
        "RESULT cfb_walk seconds={secs:.6} cpu={cpu:.6} files={} bytes={bytes} sum={sum}",
        files.len() * rounds
    );
}

/// One element of the template: a storage (with its CLSID) or a stream (with its bytes).
enum Element {
    Storage(PathBuf, uuid::Uuid),
    Stream(PathBuf, Vec<u8>),
}

fn write(template: &Path, dir: &Path, n: usize) {
    let mut src = cfb::open(template).expect("opening the template");
    let root_clsid = *src.root_entry().clsid();
    let entries: Vec<(PathBuf, bool, uuid::Uuid)> = src
        .walk()
        .filter(|e| !e.is_root())
        .map(|e| (e.path().to_path_buf(), e.is_stream(), *e.clsid()))
        .collect();
    let mut elements = Vec::new();
    for (path, is_stream, clsid) in entries {
        if is_stream {
            let mut data = Vec::new();
            src.open_stream(&path)
                .expect("template stream")
                .read_to_end(&mut data)
                .expect("reading the template");
            elements.push(Element::Stream(path, data));
        } else {
            elements.push(Element::Storage(path, clsid));
        }
    }
    let start = Instant::now();
    let cpu = cpu_seconds();
    let mut bytes = 0u64;
    for i in 0..n {
        let mut cfb = cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
            .expect("creating");
        cfb.set_storage_clsid("/", root_clsid).expect("clsid");
        for e in &elements {
            match e {
                Element::Storage(path, clsid) => {
                    cfb.create_storage(path).expect("storage");
                    cfb.set_storage_clsid(path, *clsid).expect("clsid");
                }
                Element::Stream(path, data) => {
                    let mut s = cfb.create_stream(path).expect("stream");
                    s.write_all(data).expect("writing");
                    s.flush().expect("flushing");
                }
            }
        }
        cfb.flush().expect("flushing");
        let image = cfb.into_inner().into_inner();
        bytes += image.len() as u64;
        let target = dir.join(format!("raw{i:05}.msg"));
        let tmp = dir.join(format!(".raw{i:05}.msg.tmp"));
        let mut f = File::create_new(&tmp).expect("creating the file beside");
        f.write_all(&image).expect("writing");
        f.sync_all().expect("fsync");
        drop(f);
        std::fs::rename(&tmp, &target).expect("rename");
        File::open(dir).and_then(|d| d.sync_all()).expect("syncing the directory");
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    println!("RESULT cfb_write seconds={secs:.6} cpu={cpu:.6} files={n} bytes={bytes}");
}
