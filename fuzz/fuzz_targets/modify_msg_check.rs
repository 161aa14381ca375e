//! What must hold when a `.msg` is changed by any sequence of calls (panics say which
//! property broke). The input is a file followed by operations: its last byte `k` says how
//! many bytes before it are operations; the rest is the file (a file that does not open
//! read-write is replaced by a new empty message, so the operations still run). Operations:
//! set and delete properties, add and remove recipients, create attachments (by value and
//! embedded messages) and delete them, write property streams (left open or released),
//! register named properties, save, reopen. After every save the saved bytes open again and
//! read exactly as the message read just before the save; a reopen without a save reads as
//! the last save.

use std::sync::Arc;

use imessage::consts::*;
use imessage::error::ErrorKind;
use imessage::model::message::{MsgFile, NodeId};
use imessage::model::propstream::PropertyStream;
use imessage::storage::byte_arrays::VecLockBytes;
use imessage::storage::docfile::{create_bytes, open_bytes};
use imessage::storage::{Storage, Stream, Version};
use imessage::types::prop_name::{Name, PS_PUBLIC_STRINGS};
use imessage::types::prop_value::PropValue;
use imessage::types::prop_value::tags::*;

use crate::read_msg_check::{Observed, observe_message, observe_names};

/// Operations run per input, and saves among them (each save reads the file twice).
const MAX_OPS: usize = 48;
const MAX_SAVES: usize = 6;
const PR_ACCESS_W: u32 = 0x0FF4_0003;
const PR_ACCESS_LEVEL_W: u32 = 0x0FF7_0003;

/// Tags the operations set, delete and write: each type once, strings in both widths.
const TAGS: [u32; 10] = [
    0x67F0_0003, // PT_LONG
    0x67F1_0102, // PT_BINARY
    0x67F2_0014, // PT_I8
    0x67F3_000B, // PT_BOOLEAN
    0x67F4_0040, // PT_SYSTIME
    0x67F5_1003, // PT_MV_LONG
    0x67F6_1102, // PT_MV_BINARY
    PR_SUBJECT_W,
    0x0037_001E, // PR_SUBJECT_A
    PR_BODY_W,
];

/// The bytes an operation reads its arguments from; past the end every byte is 0.
struct Args<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Args<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }
    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }
    /// Up to `max` bytes, the count from the next byte.
    fn data(&mut self, max: usize) -> Vec<u8> {
        let n = usize::from(self.byte()) % (max + 1);
        (0..n).map(|_| self.byte()).collect()
    }
    /// A lower-case ASCII string (every code page keeps it).
    fn text(&mut self) -> String {
        self.data(24)
            .into_iter()
            .map(|b| char::from(b'a' + b % 26))
            .collect()
    }
}

fn value_for(tag: u32, args: &mut Args) -> PropValue {
    let n = i64::from(args.byte()) << 24 | i64::from(args.byte());
    match tag & 0xFFFF {
        PT_LONG => PropValue::Long(n as i32),
        PT_BINARY => PropValue::Binary(args.data(300)),
        PT_I8 => PropValue::I8(n.wrapping_mul(0x1_0000_0001)),
        PT_BOOLEAN => PropValue::Boolean(n & 1 == 1),
        PT_SYSTIME => PropValue::SysTime(n as u64 * 10_000_000),
        PT_MV_LONG => PropValue::MvLong(args.data(8).into_iter().map(i32::from).collect()),
        PT_MV_BINARY => PropValue::MvBinary(vec![args.data(40), args.data(40)]),
        PT_UNICODE => PropValue::Unicode(args.text().encode_utf16().collect()),
        _ => PropValue::String8(args.text().into_bytes()),
    }
}

struct Session {
    lb: Arc<VecLockBytes>,
    file: Arc<MsgFile>,
    /// Property streams written to and left open: they are part of the message.
    open_streams: Vec<PropertyStream>,
    /// How the message read at the last save (or at the start), as a read-only open reads.
    saved: Vec<String>,
    saves: usize,
    /// A new message not saved yet: its storage holds no message (only an empty compound
    /// file), so a reopen starts a new message again.
    fresh: bool,
}

fn open_rw(lb: Arc<VecLockBytes>) -> Option<Arc<MsgFile>> {
    let mode = STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE;
    let storage: Arc<dyn Storage> = open_bytes(lb, mode).ok()?;
    let (file, root) = MsgFile::open(storage, false, false).ok()?;
    assert_eq!(root, 0, "the top-level message is the first node");
    Some(file)
}

fn new_message() -> (Arc<VecLockBytes>, Arc<MsgFile>) {
    let lb = Arc::new(VecLockBytes::new(Vec::new()));
    let mode = STGM_READWRITE | STGM_TRANSACTED | STGM_SHARE_EXCLUSIVE | STGM_CREATE;
    let storage: Arc<dyn Storage> =
        create_bytes(lb.clone(), mode, Version::V3).expect("a new compound file in memory");
    let (file, _) = MsgFile::open(storage, true, false).expect("a new message");
    (lb, file)
}

/// Reads a whole message (the live one, or the saved bytes opened read-only).
fn read(file: &Arc<MsgFile>, input_len: usize) -> Observed {
    let mut seen = Observed::default();
    observe_message(file, 0, 0, input_len, &mut seen, None);
    observe_names(file, 0, &mut seen);
    seen
}

fn read_bytes(bytes: &[u8], input_len: usize) -> Observed {
    let lb = Arc::new(VecLockBytes::new(bytes.to_vec()));
    let storage: Arc<dyn Storage> = open_bytes(lb, STGM_READ | STGM_SHARE_DENY_WRITE)
        .expect("the saved file opens as a compound file");
    let (file, root) = MsgFile::open(storage, false, false).expect("the saved file opens");
    let seen = read(&file, input_len);
    drop(file.close_node(root));
    seen
}

pub fn check(data: &[u8]) {
    let Some((&k, rest)) = data.split_last() else {
        return;
    };
    let split = rest.len().saturating_sub(usize::from(k));
    let (msg, ops) = rest.split_at(split);
    // Streams may give what the input holds, and what the operations wrote.
    let bound = data.len() + MAX_OPS * 600;
    let lb = Arc::new(VecLockBytes::new(msg.to_vec()));
    let (lb, file, fresh) = match open_rw(lb.clone()) {
        Some(file) => (lb, file, false),
        None => {
            let (lb, file) = new_message();
            (lb, file, true)
        }
    };
    let saved = as_a_saved_file_reads(&read(&file, bound));
    let mut s = Session {
        lb,
        file,
        open_streams: Vec::new(),
        saved,
        saves: 0,
        fresh,
    };
    let mut args = Args { bytes: ops, at: 0 };
    for _ in 0..MAX_OPS {
        if args.done() {
            break;
        }
        let op = args.byte();
        if std::env::var_os("IMSG_FUZZ_TRACE").is_some() {
            eprintln!("op {} at byte {}", op % 11, args.at - 1);
        }
        step(&mut s, op, &mut args, bound);
    }
    save_and_check(&mut s, bound);
}

fn step(s: &mut Session, op: u8, args: &mut Args, bound: usize) {
    let root: NodeId = 0;
    let file = s.file.clone();
    match op % 11 {
        0 => {
            let tag = TAGS[usize::from(args.byte()) % TAGS.len()];
            let value = value_for(tag, args);
            let problems = file.set_props(root, vec![(tag, value)]).expect("SetProps");
            assert!(problems.is_empty(), "SetProps 0x{tag:08X}: {problems:?}");
        }
        1 => {
            let tag = TAGS[usize::from(args.byte()) % TAGS.len()];
            file.delete_props(root, &[tag]).expect("DeleteProps");
        }
        2 => {
            let rows = (0..1 + args.byte() % 3)
                .map(|_| {
                    vec![
                        (
                            PR_DISPLAY_NAME_W,
                            PropValue::Unicode(args.text().encode_utf16().collect()),
                        ),
                        (
                            PR_RECIPIENT_TYPE,
                            PropValue::Long(i32::from(1 + args.byte() % 3)),
                        ),
                    ]
                })
                .collect();
            // A hostile header may hand out the last row id: none left is an answer.
            if let Err(e) = file.modify_recipients(root, MODRECIP_ADD, rows) {
                assert_eq!(e.kind, ErrorKind::TooBig, "ModifyRecipients(ADD): {e:?}");
            }
        }
        3 => {
            let Ok(rows) = file.table_rows(root, imessage::model::table::TableKind::Recipients)
            else {
                return;
            };
            if rows.rows.is_empty() {
                return;
            }
            let key = rows.rows[usize::from(args.byte()) % rows.rows.len()].key;
            file.modify_recipients(
                root,
                MODRECIP_REMOVE,
                vec![vec![(PR_ROWID, PropValue::Long(key as i32))]],
            )
            .expect("ModifyRecipients(REMOVE) of a listed row");
        }
        4 => {
            let Some(node) = create_attach(&file) else {
                return;
            };
            let name: Vec<u16> = format!("{}.bin", args.text()).encode_utf16().collect();
            let props = vec![
                (PR_ATTACH_METHOD, PropValue::Long(ATTACH_BY_VALUE as i32)),
                (PR_ATTACH_DATA_BIN, PropValue::Binary(args.data(400))),
                (0x3707_001F, PropValue::Unicode(name)),
            ];
            file.set_props(node, props)
                .expect("SetProps on an attachment");
            file.save(node).expect("IAttach::SaveChanges");
            drop(file.close_node(node));
        }
        5 => {
            let Ok(rows) = file.table_rows(root, imessage::model::table::TableKind::Attachments)
            else {
                return;
            };
            if rows.rows.is_empty() {
                return;
            }
            let num = rows.rows[usize::from(args.byte()) % rows.rows.len()].key;
            // The table shows attachments as of the last save, so a listed one may have
            // been deleted since: that one is not found.
            if let Err(e) = file.delete_attach(root, num) {
                assert_eq!(
                    e.kind,
                    ErrorKind::NotFound,
                    "DeleteAttach of a listed attachment"
                );
            }
        }
        6 => {
            // A property stream written and, every other time, left open: what it holds is
            // part of the message at the next save.
            let tag = [PR_BODY_W, 0x67F1_0102, PR_SUBJECT_W][usize::from(args.byte()) % 3];
            let mut stream = PropertyStream::open(file.clone(), root, tag, true, true)
                .expect("OpenProperty(MAPI_MODIFY | MAPI_CREATE)");
            let mut bytes = args.data(512);
            if tag & 0xFFFF == PT_UNICODE {
                bytes = bytes.iter().flat_map(|&b| [b'a' + b % 26, 0]).collect();
            }
            assert_eq!(stream.write(&bytes).expect("IStream::Write"), bytes.len());
            if args.byte() & 1 == 1 {
                s.open_streams.push(stream);
            }
        }
        7 => {
            let names = vec![
                Some(Name::string(PS_PUBLIC_STRINGS, &args.text())),
                Some(Name::id(PS_PUBLIC_STRINGS, 0x8000 + u32::from(args.byte()))),
            ];
            let ids = file
                .ids_from_names(root, &names, true)
                .expect("GetIDsFromNames(CREATE)");
            let values = ids
                .tags
                .iter()
                .map(|&t| {
                    (
                        (t & 0xFFFF_0000) | PT_LONG,
                        PropValue::Long(i32::from(args.byte())),
                    )
                })
                .collect();
            let problems = file
                .set_props(root, values)
                .expect("SetProps of named properties");
            assert!(problems.is_empty(), "named SetProps: {problems:?}");
        }
        8 => {
            let Some(attach) = create_attach(&file) else {
                return;
            };
            file.set_props(
                attach,
                vec![(
                    PR_ATTACH_METHOD,
                    PropValue::Long(ATTACH_EMBEDDED_MSG as i32),
                )],
            )
            .expect("SetProps on an attachment");
            let inner = file
                .open_embedded(attach, true, true, true)
                .expect("OpenProperty(PR_ATTACH_DATA_OBJ, MAPI_CREATE)");
            let subject = args.text().encode_utf16().collect();
            file.set_props(inner, vec![(PR_SUBJECT_W, PropValue::Unicode(subject))])
                .expect("SetProps on an embedded message");
            file.save(inner).expect("embedded SaveChanges");
            drop(file.close_node(inner));
            file.save(attach).expect("IAttach::SaveChanges");
            drop(file.close_node(attach));
        }
        9 => save_and_check(s, bound),
        _ => {
            // Reopen without saving: what was not saved is gone.
            s.open_streams.clear();
            drop(s.file.close_node(root));
            s.file = if s.fresh {
                // A new message never saved: nothing was written.
                let (lb, file) = new_message();
                s.lb = lb;
                file
            } else {
                open_rw(s.lb.clone()).expect("the saved file opens read-write again")
            };
            let now = as_a_saved_file_reads(&read(&s.file, bound));
            assert_eq!(now, s.saved, "a reopened file reads as the last save");
        }
    }
}

/// `CreateAttach`; a file whose header hands out the last attachment number has none left
/// (`MAPI_E_TOO_BIG`), which is an answer, not a failure.
fn create_attach(file: &Arc<MsgFile>) -> Option<NodeId> {
    match file.create_attach(0) {
        Ok((_, node)) => Some(node),
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::TooBig, "CreateAttach: {e:?}");
            None
        }
    }
}

fn save_and_check(s: &mut Session, bound: usize) {
    if s.saves == MAX_SAVES {
        return;
    }
    s.saves += 1;
    match s.file.save(0) {
        Ok(()) => {
            // Read after the save: the tables show attachments and recipients as of the
            // message's last save (as MAPI documents), so only now do they match the file.
            let live = read(&s.file, bound);
            let after = read_bytes(&s.lb.to_vec(), bound);
            assert_eq!(
                as_a_saved_file_reads(&after),
                as_a_saved_file_reads(&live),
                "the saved file reads as the message"
            );
            s.saved = as_a_saved_file_reads(&after);
            s.fresh = false;
        }
        Err(_) if s.fresh => {}
        Err(_) => {
            // A save that fails leaves the last good file.
            let after = read_bytes(&s.lb.to_vec(), bound);
            assert_eq!(
                as_a_saved_file_reads(&after),
                s.saved,
                "a failed save keeps the last save"
            );
        }
    }
}

/// How a read-only open of the saved file reads a message: PR_ACCESS and PR_ACCESS_LEVEL
/// say how an object is open (a live message opened read-write gives other values), and a
/// recipient row's key, PR_ROWID and PR_INSTANCE_KEY number it while the message is open (a
/// saved file numbers its recipients afresh).
fn as_a_saved_file_reads(seen: &Observed) -> Vec<String> {
    let read_only = [
        (PR_ACCESS_W, "Long(7)", "Long(2)"),
        (PR_ACCESS_LEVEL_W, "Long(1)", "Long(0)"),
    ];
    let mut in_recipients = false;
    seen.lines
        .iter()
        .map(|line| {
            let mut line = line.clone();
            for (tag, rw, ro) in read_only {
                let value = format!("Value({tag}, {rw})");
                line = line.replace(&value, &format!("Value({tag}, {ro})"));
            }
            let text = line.trim_start();
            if text.starts_with("Recipients:") {
                in_recipients = true;
            } else if text.starts_with("Attachments:") {
                in_recipients = false;
            } else if in_recipients && text.starts_with("row ") {
                let indent = line.len() - text.len();
                let props = &text[text.find(": ").map_or(text.len(), |i| i + 2)..];
                let mut kept = props.to_string();
                for tag in [PR_ROWID, PR_INSTANCE_KEY] {
                    let start = format!("({tag}, ");
                    if let Some(at) = kept.find(&start) {
                        // The tuple ends at the first "), " or "))" after it.
                        let rest = &kept[at..];
                        let end = rest
                            .find(")), ")
                            .map(|e| e + 4)
                            .or_else(|| rest.find("))]").map(|e| e + 2))
                            .unwrap_or(rest.len());
                        kept.replace_range(at..at + end, "");
                    }
                }
                line = format!("{}row #: {kept}", " ".repeat(indent));
            }
            line
        })
        .collect()
}
