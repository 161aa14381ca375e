//! Compressed-RTF throughput on the corpus's `PR_RTF_COMPRESSED` streams: our decompression
//! and compression against a plain copy of the same bytes. Run by `bench/rtf.sh`, which also
//! times PyPI compressed-rtf on the same streams and prints the table.
//!
//!     cargo run --release --example rtf_bench -- CORPUS_DIR OUT_DIR
//!
//! Writes each stream to OUT_DIR/NNN.lzfu (for the Python side) and prints lines
//! `name bytes seconds` (bytes of uncompressed RTF handled in that time).
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use imessage::codec::compressed_rtf::{self, Format};
use imessage::consts::{STGM_READ, STGM_SHARE_DENY_WRITE, STGM_SHARE_EXCLUSIVE};
use imessage::storage::docfile::open_file;
use imessage::storage::{ElementKind, Storage};

fn collect(storage: &dyn Storage, out: &mut Vec<Vec<u8>>) {
    let Ok(elements) = storage.elements() else {
        return;
    };
    for e in elements {
        match e.kind {
            ElementKind::Storage if !e.name.to_ascii_lowercase().starts_with("__nameid") => {
                if let Ok(sub) = storage.open_storage(&e.name, STGM_READ | STGM_SHARE_EXCLUSIVE) {
                    collect(&*sub, out);
                }
            }
            ElementKind::Stream if e.name.eq_ignore_ascii_case("__substg1.0_10090102") => {
                if let Ok(data) = storage.read_stream(&e.name, 1 << 30) {
                    out.push(data);
                }
            }
            _ => {}
        }
    }
}

/// Runs `f` over and over for at least `min`; returns (runs, seconds).
fn time(min: Duration, mut f: impl FnMut()) -> (u64, f64) {
    let start = Instant::now();
    let mut runs = 0;
    while runs == 0 || start.elapsed() < min {
        f();
        runs += 1;
    }
    (runs, start.elapsed().as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (corpus, out_dir) = (Path::new(&args[1]), Path::new(&args[2]));
    std::fs::create_dir_all(out_dir).unwrap();
    let mut paths: Vec<_> = std::fs::read_dir(corpus.join("msg"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut streams = Vec::new();
    for p in paths {
        if let Ok(root) = open_file(&p, STGM_READ | STGM_SHARE_DENY_WRITE) {
            collect(&*root, &mut streams);
        }
    }
    streams.retain(|s| compressed_rtf::decompress(s).is_ok());
    for (i, s) in streams.iter().enumerate() {
        std::fs::write(out_dir.join(format!("{i:03}.lzfu")), s).unwrap();
    }
    let raws: Vec<Vec<u8>> = streams
        .iter()
        .map(|s| compressed_rtf::decompress(s).unwrap())
        .collect();
    let raw_bytes: u64 = raws.iter().map(|r| r.len() as u64).sum();
    let comp_bytes: u64 = streams.iter().map(|s| s.len() as u64).sum();
    println!("streams {} {raw_bytes} {comp_bytes}", streams.len());
    let min = Duration::from_secs(2);
    let (runs, secs) = time(min, || {
        for s in &streams {
            black_box(compressed_rtf::decompress(black_box(s)).unwrap());
        }
    });
    println!("rust-decompress {} {secs}", runs * raw_bytes);
    let (runs, secs) = time(min, || {
        for r in &raws {
            black_box(compressed_rtf::compress(black_box(r), Format::Compressed).unwrap());
        }
    });
    println!("rust-compress {} {secs}", runs * raw_bytes);
    let mut dst = vec![0u8; raws.iter().map(Vec::len).max().unwrap_or(0)];
    let (runs, secs) = time(min, || {
        for r in &raws {
            dst[..r.len()].copy_from_slice(black_box(r));
            black_box(&mut dst);
        }
    });
    println!("memcpy {} {secs}", runs * raw_bytes);
    // Degenerate inputs (not in the table): a run of one byte, and noise.
    let zeros = vec![0u8; 1 << 20];
    let (runs, secs) = time(Duration::from_millis(500), || {
        black_box(compressed_rtf::compress(black_box(&zeros), Format::Compressed).unwrap());
    });
    println!("rust-compress-zeros {} {secs}", runs * zeros.len() as u64);
    let mut x = 1u64;
    let noise: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect();
    let (runs, secs) = time(Duration::from_millis(500), || {
        black_box(compressed_rtf::compress(black_box(&noise), Format::Compressed).unwrap());
    });
    println!("rust-compress-noise {} {secs}", runs * noise.len() as u64);
}
