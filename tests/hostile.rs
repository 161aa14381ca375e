//! Hostile `.msg` files (issue 14): each made by damaging a message our writer wrote, opened
//! through the model and read whole (every property, both tables, every attachment, the
//! named-property map), the way the `read_msg` fuzz target reads. Each ends in a clear error
//! or the readable part, and the memory it takes stays within 10× the file's size plus a
//! constant: a thread-local counting allocator measures the peak of what the opening thread
//! holds. `cargo test --test hostile -- --nocapture` prints the table.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use imessage::consts::*;
use imessage::model::message::MsgFile;
use imessage::storage::byte_arrays::VecLockBytes;
use imessage::storage::docfile::{create_bytes, open_bytes};
use imessage::storage::{Storage, Version};
use imessage::types::prop_name::{Name, PS_PUBLIC_STRINGS};
use imessage::types::prop_value::PropValue;
use imessage::types::prop_value::tags::*;

#[path = "../fuzz/fuzz_targets/read_msg_check.rs"]
mod read_msg_check;

// ===== the allocator: bytes held by each thread, and their peak =====

struct Counting;

thread_local! {
    static HELD: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // try_with: the allocator also runs while a thread's locals are being torn down.
    let _ = HELD.try_with(|held| {
        let now = held.get() + delta;
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call goes to the system allocator with the caller's layout unchanged; the
// counting only reads and writes this thread's cells.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc`/`realloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`; `new_size` is the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result and the most it held at once beyond what was held before.
fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = HELD.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    (r, (PEAK.with(Cell::get) - base).max(0) as usize)
}

// ===== the sample and its damage =====

const BIG: u32 = 0x67F1_0102;
const BIG_LEN: usize = 20_000;

/// A Unicode message: subject, a 20,000-byte binary (a FAT chain), 3 recipients, 2
/// attachments, one embedded message, 2 named properties.
fn sample() -> Vec<u8> {
    let lb = Arc::new(VecLockBytes::new(Vec::new()));
    let mode = STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE | STGM_CREATE;
    let storage: Arc<dyn Storage> = create_bytes(lb.clone(), mode, Version::V3).unwrap();
    let (file, root) = MsgFile::open(storage, true, false).unwrap();
    let w = |s: &str| PropValue::Unicode(s.encode_utf16().collect());
    let big: Vec<u8> = (0..BIG_LEN).map(|i| (i % 251) as u8).collect();
    file.set_props(
        root,
        vec![(PR_SUBJECT_W, w("hostile")), (BIG, PropValue::Binary(big))],
    )
    .unwrap();
    let names = [
        Some(Name::string(PS_PUBLIC_STRINGS, "Keywords-ish")),
        Some(Name::id(PS_PUBLIC_STRINGS, 0x8123)),
    ];
    let ids = file.ids_from_names(root, &names, true).unwrap();
    let named = ids
        .tags
        .iter()
        .map(|&t| ((t & 0xFFFF_0000) | PT_LONG, PropValue::Long(5)))
        .collect();
    file.set_props(root, named).unwrap();
    let recipients = ["Ann", "Bob", "Cy"]
        .iter()
        .map(|n| {
            vec![
                (PR_DISPLAY_NAME_W, w(n)),
                (PR_RECIPIENT_TYPE, PropValue::Long(MAPI_TO as i32)),
            ]
        })
        .collect();
    file.modify_recipients(root, MODRECIP_ADD, recipients)
        .unwrap();
    for name in ["a.txt", "b.txt"] {
        let (_, a) = file.create_attach(root).unwrap();
        file.set_props(
            a,
            vec![
                (PR_ATTACH_METHOD, PropValue::Long(ATTACH_BY_VALUE as i32)),
                (PR_ATTACH_DATA_BIN, PropValue::Binary(vec![b'x'; 300])),
                (0x3707_001F, w(name)),
            ],
        )
        .unwrap();
        file.save(a).unwrap();
        drop(file.close_node(a));
    }
    let (_, a) = file.create_attach(root).unwrap();
    file.set_props(
        a,
        vec![(
            PR_ATTACH_METHOD,
            PropValue::Long(ATTACH_EMBEDDED_MSG as i32),
        )],
    )
    .unwrap();
    let inner = file.open_embedded(a, true, true, true).unwrap();
    file.set_props(inner, vec![(PR_SUBJECT_W, w("inner"))])
        .unwrap();
    file.save(inner).unwrap();
    drop(file.close_node(inner));
    file.save(a).unwrap();
    drop(file.close_node(a));
    file.save(root).unwrap();
    drop(file.close_node(root));
    drop(file);
    lb.to_vec()
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// The byte offset of the directory entry named `name` (the first one).
fn entry_at(file: &[u8], name: &str) -> usize {
    let units: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    (512..file.len() - 128)
        .step_by(128)
        .find(|&at| {
            file[at..].starts_with(&units)
                && usize::from(u16::from_le_bytes([file[at + 0x40], file[at + 0x41]]))
                    == units.len() + 2
        })
        .unwrap_or_else(|| panic!("no entry {name}"))
}

/// The byte offset of the FAT entry of sector `s` (version 3, first FAT sector only).
fn fat_entry(file: &[u8], s: u32) -> usize {
    (u32_at(file, 0x4C) as usize + 1) * 512 + 4 * s as usize
}

/// The file with one stream's content changed (through our storage, which rewrites it).
fn edit_stream(bytes: &[u8], path: &[&str], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let lb = Arc::new(VecLockBytes::new(bytes.to_vec()));
    let mode = STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE;
    let root: Arc<dyn Storage> = open_bytes(lb.clone(), mode).unwrap();
    let mut storages = vec![root.clone()];
    for name in &path[..path.len() - 1] {
        let inner = storages
            .last()
            .unwrap()
            .open_storage(name, STGM_READWRITE | STGM_SHARE_EXCLUSIVE)
            .unwrap();
        storages.push(inner);
    }
    let last = storages.last().unwrap();
    let name = path[path.len() - 1];
    let mut content = last.read_stream(name, 1 << 30).unwrap();
    edit(&mut content);
    last.write_stream(name, &imessage::storage::Blob::from_vec(content))
        .unwrap();
    while let Some(s) = storages.pop() {
        s.commit(STGC_DEFAULT).unwrap();
    }
    lb.to_vec()
}

/// Opens the bytes as a message and reads it whole: what it read, or the error.
fn open_and_read(bytes: &[u8]) -> String {
    let lb = Arc::new(VecLockBytes::new(bytes.to_vec()));
    let storage: Arc<dyn Storage> = match open_bytes(lb, STGM_READ | STGM_SHARE_DENY_WRITE) {
        Ok(s) => s,
        Err(e) => return format!("{:?}", e.kind),
    };
    let (file, root) = match MsgFile::open(storage, false, false) {
        Ok(f) => f,
        Err(e) => return format!("{:?}", e.kind),
    };
    let mut seen = read_msg_check::Observed::default();
    read_msg_check::observe_message(&file, root, 0, bytes.len(), &mut seen, None);
    read_msg_check::observe_names(&file, root, &mut seen);
    drop(file.close_node(root));
    let find = |what: &str| {
        seen.lines
            .iter()
            .find(|l| l.starts_with(what))
            .map_or("-".to_string(), |l| l[what.len()..].to_string())
    };
    let names = seen
        .lines
        .iter()
        .find(|l| l.ends_with(" names"))
        .map_or("-", |l| l.trim_end_matches(" names"));
    format!(
        "read: {} recipients, {} attachments, {names} names",
        find("Recipients: ").trim_end_matches(" rows"),
        find("Attachments: ").trim_end_matches(" rows"),
    )
}

/// Memory a file may take: 10× its size plus 1 MiB.
fn allowed(len: usize) -> usize {
    10 * len + (1 << 20)
}

#[test]
fn hostile_files_end_in_an_error_or_the_readable_part_within_bounded_memory() {
    let good = sample();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![("the sample itself", good.clone())];

    cases.push((
        "header claims 2^31 recipients and attachments",
        edit_stream(&good, &["__properties_version1.0"], |p| {
            for at in [8, 12, 16, 20] {
                put32(p, at, 0x8000_0000);
            }
        }),
    ));
    cases.push((
        "property entry claims a 4 GiB value",
        edit_stream(&good, &["__properties_version1.0"], |p| {
            let at = (32..p.len())
                .step_by(16)
                .find(|&at| u32_at(p, at) == BIG)
                .unwrap();
            put32(p, at + 8, 0xFFFF_FFFF);
        }),
    ));

    let big = entry_at(&good, &format!("__substg1.0_{BIG:08X}"));
    let start = u32_at(&good, big + 0x74);
    let mut f = good.clone();
    put32(&mut f, big + 0x78, 0xFFFF_FFFF);
    cases.push(("a 4 GiB stream size over a 40-sector chain", f));

    let mut f = good.clone();
    let second = u32_at(&good, fat_entry(&good, start));
    put32(&mut f, fat_entry(&good, second), start);
    cases.push(("a FAT loop in a stream's chain", f));

    let mut f = good.clone();
    put32(&mut f, fat_entry(&good, start), 0x00FF_FFFF);
    cases.push(("a FAT entry past the end of the file", f));

    let mut f = good.clone();
    let recip = entry_at(&good, "__recip_version1.0_#00000001");
    put32(&mut f, recip + 0x44, 0);
    put32(&mut f, recip + 0x48, ((recip - 512) / 128) as u32);
    cases.push(("sibling links to the root and to itself", f));

    let mut f = good.clone();
    let attach = entry_at(&good, "__attach_version1.0_#00000000");
    put32(&mut f, attach + 0x4C, 0);
    cases.push(("an attachment's child link back to the root", f));

    for shift in [20u16, 21] {
        let mut f = good.clone();
        f[0x1E..0x20].copy_from_slice(&shift.to_le_bytes());
        cases.push((
            if shift == 20 {
                "sector shift 20"
            } else {
                "sector shift 21"
            },
            f,
        ));
    }

    cases.push((
        "named-property entries pointing past their string stream",
        edit_stream(
            &good,
            &["__nameid_version1.0", "__substg1.0_00030102"],
            |e| {
                for raw in e.chunks_exact_mut(8) {
                    if raw[4] & 1 == 1 {
                        raw[..4].copy_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
                    }
                }
            },
        ),
    ));
    cases.push((
        "named-property entries with GUID indexes past the GUID stream",
        edit_stream(
            &good,
            &["__nameid_version1.0", "__substg1.0_00030102"],
            |e| {
                for raw in e.chunks_exact_mut(8) {
                    raw[4] |= 0xFE;
                    raw[5] = 0xFF;
                }
            },
        ),
    ));

    let mut f = good.clone();
    f.truncate(good.len() / 2);
    cases.push(("cut in half", f));

    println!("| file | result | bytes | peak memory |");
    println!("|---|---|---|---|");
    for (what, bytes) in &cases {
        let (result, peak) = peak_of(|| open_and_read(bytes));
        println!("| {what} | {result} | {} | {peak} |", bytes.len());
        assert!(
            peak <= allowed(bytes.len()),
            "{what}: {peak} bytes held for a {}-byte file",
            bytes.len()
        );
        assert!(
            result.starts_with("read:") || result == "StgDocfileCorrupt",
            "{what}: {result}"
        );
    }
    // The sample reads whole, and damage to one part costs that part only.
    let results: Vec<String> = cases.iter().map(|(_, b)| open_and_read(b)).collect();
    assert_eq!(results[0], "read: 3 recipients, 3 attachments, 2 names");
}
