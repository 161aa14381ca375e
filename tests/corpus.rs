//! Corpus tier: every public sample `.msg` file of `../shared/corpus/msg/` is opened read-only
//! the way a MAPI caller opens it (`StgOpenStorage(STGM_READ | STGM_SHARE_DENY_WRITE)` then
//! `OpenIMsgOnIStg`), and the whole message tree is compared with an independent reader's
//! dump in `../shared/corpus/expected/` (format: `../shared/corpus/README.md`):
//!
//! - the top-level message's properties: `GetPropList`, `GetProps` with each expected tag
//!   as stored (so no string-width conversion happens), `GetProps(NULL)`, 8-bit strings
//!   also read as `PT_UNICODE`, and `GetAttribIMsgOnIStg`;
//! - its recipients: the rows of its recipient table (`GetRecipientTable`), matched to the
//!   dump's recipients by storage number (`PR_ROWID`). Rows carry no `PROPATTR_*` flags,
//!   so only values are compared; rows leave out string and binary values over
//!   `GETPROPS_LIMIT` (1 MiB), which a difference then says;
//! - its attachments: listed by the attachment table, each opened (`OpenAttach`) and its
//!   properties compared as the message's are, its data (`PR_ATTACH_DATA_BIN`) read through
//!   `OpenProperty(IID_IStream)` in chunks and compared by length and SHA-256;
//! - embedded messages (`OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage)`), recursively,
//!   each with its own properties, recipients and attachments;
//! - in every table, each row's `PR_INSTANCE_KEY` is unique, and each attachment row agrees
//!   with what the opened attachment answers;
//! - the file's named-property map, as `GetNamesFromIDs` enumerates it
//!   (`MsgFile::enumerate_names`), against the dump's `named_properties` (entries in id
//!   order with their GUIDs, kinds and names; the GUID stream as the sets the entries use),
//!   every name looked up again by name and by id, and every embedded message answering
//!   with the same map (one map per file). Named values (ids from 0x8000) are compared as
//!   the ordinary properties they are, and counted apart in the summary.
//!
//! Properties are listed in each message's own string width (`MsgFile::is_unicode`: an
//! embedded message may differ from its file, though no corpus file has one that does)
//! and asked for with their stored type, so no conversion happens.
//!
//! Differences that have a documented reason are listed, one line per file, object and tag
//! (or per rule), in `tests/corpus-allowlist.txt`; a line that no file uses fails the test,
//! so the list stays honest. The three fuzzer-damaged files must be refused with an error or
//! read as far as they are readable, never panic or hang; what happened is reported.
//!
//! When the corpus is absent (`IMESSAGE_CORPUS` overrides its location) the test says it
//! skips and passes. `CORPUS_VERBOSE=1` also lists, for the fuzzer files, the differences the
//! allowlist's rules explain.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use imessage::consts::*;
use imessage::error::ErrorKind;
use imessage::model::message::{GETPROPS_LIMIT, MsgFile, NodeId, PropOut};
use imessage::model::names::{
    FIRST_NAMED_ID, Name, NameFilter, NameKind, PS_MAPI, PS_PUBLIC_STRINGS,
};
use imessage::model::prop::{PropValue, prop_id, prop_type};
use imessage::model::propstream::PropertyStream;
use imessage::model::strings;
use imessage::model::table::{TableKind, TableRow};
use imessage::storage::docfile::open_file;
use imessage::storage::{Storage, Stream};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How long one file may take to open and read before it counts as a hang.
const TIME_BOUND: Duration = Duration::from_secs(60);

/// Embedded messages deeper than this are not opened (the corpus nests two deep).
const MAX_DEPTH: usize = 16;

const PR_OBJECT_TYPE: u32 = 0x0FFE_0003;
const PR_ACCESS: u32 = 0x0FF4_0003;
const PR_ACCESS_LEVEL: u32 = 0x0FF7_0003;
const PR_STORE_SUPPORT_MASK: u32 = 0x340D_0003;
const PR_MESSAGE_FLAGS: u32 = 0x0E07_0003;
const PR_ROWID: u32 = 0x3000_0003;
const PR_INSTANCE_KEY: u32 = 0x0FF6_0102;
const PR_RECORD_KEY: u32 = 0x0FF9_0102;
const PR_ATTACH_SIZE: u32 = 0x0E20_0003;
const PR_ATTACH_NUM: u32 = 0x0E21_0003;
const PR_ATTACH_METHOD: u32 = 0x3705_0003;
const PR_RENDERING_POSITION: u32 = 0x370B_0003;
const PR_ATTACH_DATA_BIN: u32 = 0x3701_0102;
const PR_ATTACH_DATA_OBJ: u32 = 0x3701_000D;

/// Attachment data is read through its stream in pieces of this size.
const CHUNK: usize = 64 * 1024;

fn corpus_dir() -> PathBuf {
    match std::env::var_os("IMESSAGE_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

fn is_fuzzer_file(name: &str) -> bool {
    name.starts_with("poi--clusterfuzz-testcase-minimized-")
}

// ===== what our IMessage answers =====

/// What one message or attachment answers to the property calls.
struct ObservedProps {
    /// `GetPropList` (with the message's own string width).
    listed: Vec<u32>,
    /// `GetProps` by requested tag: the value, or the error kind.
    values: BTreeMap<u32, Result<PropValue, String>>,
    /// `GetAttribIMsgOnIStg` by requested tag.
    attribs: BTreeMap<u32, u32>,
    /// The code page the object's 8-bit strings are read in.
    codepage: u32,
    /// 8-bit string properties asked for as `PT_UNICODE` (what a `MAPI_UNICODE` caller
    /// gets), by their stored tag.
    as_unicode: BTreeMap<u32, Result<PropValue, String>>,
    /// Where `GetProps(NULL)` (every property, the message's string width) disagrees with
    /// `GetPropList` and the per-tag answers.
    all_props_disagree: Vec<String>,
}

/// What one message (top-level or embedded) answers.
struct ObservedMessage {
    props: ObservedProps,
    /// The message's string width (`MsgFile::is_unicode`).
    unicode: bool,
    /// Deviations the reader noted for this message.
    warnings: Vec<String>,
    /// The recipient table's rows.
    recipients: Result<Vec<TableRow>, String>,
    /// The attachment table's rows, each opened; then attachments the dump has and the
    /// table does not, tried with `OpenAttach` all the same.
    attachments: Result<Vec<ObservedAttach>, String>,
    /// The file's named-property map as this message answers `GetNamesFromIDs` with no
    /// tag array (`MsgFile::enumerate_names`, no filter): (tag, name) in id order.
    names: Result<Vec<(u32, Name)>, String>,
    /// Every name of `names` looked up again by name (`MsgFile::ids_from_names` without
    /// `MAPI_CREATE`) and by id (`MsgFile::names_from_tags`): where the answers disagree
    /// with `names`.
    names_round_trip: Vec<String>,
}

/// The properties of a table row.
type RowProps = Vec<(u32, PropValue)>;

struct ObservedAttach {
    num: u32,
    /// Its row in the attachment table, if the table lists it.
    row: Option<RowProps>,
    /// `OpenAttach` and what the attachment answers.
    opened: Result<Box<ObservedAttachment>, String>,
}

/// Length and SHA-256 of a value read through its stream.
#[derive(Clone, Debug, PartialEq)]
struct DataHash {
    len: u64,
    sha256: String,
}

struct ObservedAttachment {
    props: ObservedProps,
    /// The message's string width (`MsgFile::is_unicode`).
    unicode: bool,
    /// `PR_ATTACH_DATA_BIN` read through `OpenProperty(IID_IStream)` when listed.
    data: Option<Result<DataHash, String>>,
    /// The embedded message, when the dump has one or the attachment lists
    /// `PR_ATTACH_DATA_OBJ`.
    embedded: Option<Result<Box<ObservedMessage>, String>>,
}

fn describe(kind: ErrorKind, message: &str) -> String {
    format!("{kind:?}: {message}")
}

fn describe_err(e: imessage::error::Error) -> String {
    describe(e.kind, &e.message)
}

/// The kind of object whose properties are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ObjKind {
    Message,
    Attachment,
}

/// Reads the properties of `node`: the listed ones and every tag of `wanted`, each asked
/// for with its exact type, with the string width `unicode` (its message's).
fn observe_props(
    file: &Arc<MsgFile>,
    node: NodeId,
    wanted: &[u32],
    unicode: bool,
    kind: ObjKind,
) -> Result<ObservedProps, String> {
    let listed = file.get_prop_list(node, unicode).map_err(describe_err)?;
    let mut request: Vec<u32> = wanted.to_vec();
    request.extend(listed.iter().copied().filter(|t| !wanted.contains(t)));
    let answers = file
        .get_props(node, Some(&request), unicode)
        .map_err(describe_err)?;
    assert_eq!(answers.len(), request.len(), "GetProps answers every tag");
    let mut values = BTreeMap::new();
    for (&tag, answer) in request.iter().zip(answers) {
        let value = match answer {
            PropOut::Value(got, v) if got == tag => Ok(v),
            PropOut::Value(got, _) => Err(format!("answered with tag 0x{got:08X}")),
            // Attachment data is read through its stream in pieces and hashed (see
            // `hash_stream`), not into memory.
            PropOut::Error(_, ErrorKind::NotEnoughMemory)
                if kind == ObjKind::Attachment && tag == PR_ATTACH_DATA_BIN =>
            {
                Err("NotEnoughMemory".into())
            }
            // Large strings and binaries come through OpenProperty(IID_IStream), as a MAPI
            // caller reads them.
            PropOut::Error(_, ErrorKind::NotEnoughMemory)
                if matches!(prop_type(tag), PT_BINARY | PT_STRING8 | PT_UNICODE) =>
            {
                read_through_stream(file, node, tag)
            }
            PropOut::Error(_, kind) => Err(format!("{kind:?}")),
        };
        values.insert(tag, value);
    }
    let mut all_props_disagree = Vec::new();
    let all = file.get_props(node, None, unicode).map_err(describe_err)?;
    let mut seen = BTreeSet::new();
    for answer in all {
        let (tag, got) = match answer {
            PropOut::Value(tag, v) => (tag, Ok(v)),
            PropOut::Error(tag, kind) => (tag, Err(format!("{kind:?}"))),
        };
        let key = listed.iter().copied().find(|&t| prop_id(t) == prop_id(tag));
        match key {
            None => all_props_disagree.push(format!("GetProps(NULL) answers unlisted 0x{tag:08X}")),
            Some(key) => {
                seen.insert(key);
                match (&got, values.get(&key)) {
                    (Ok(v), Some(Ok(w))) if tag == key && v == w => {}
                    // Too large for GetProps: both calls say so.
                    (Err(e), _) if e == "NotEnoughMemory" => {}
                    (got, per_tag) => all_props_disagree.push(format!(
                        "GetProps(NULL) answers 0x{tag:08X} = {}, GetProps(0x{key:08X}) = {}",
                        short(&format!("{got:?}")),
                        short(&format!("{per_tag:?}"))
                    )),
                }
            }
        }
    }
    for &tag in listed
        .iter()
        .filter(|t| !seen.contains(t) && prop_type(**t) != PT_OBJECT)
    {
        all_props_disagree.push(format!("GetProps(NULL) leaves out listed 0x{tag:08X}"));
    }
    let string8: Vec<u32> = request
        .iter()
        .copied()
        .filter(|&t| matches!(prop_type(t), PT_STRING8 | PT_MV_STRING8))
        .collect();
    let widened: Vec<u32> = string8
        .iter()
        .map(|&t| (t & 0xFFFF_0000) | (prop_type(t) & MV_FLAG) | PT_UNICODE)
        .collect();
    let answers = file
        .get_props(node, Some(&widened), true)
        .map_err(describe_err)?;
    let as_unicode = string8
        .iter()
        .zip(answers)
        .map(|(&tag, answer)| {
            (
                tag,
                match answer {
                    PropOut::Value(_, v) => Ok(v),
                    PropOut::Error(_, kind) => Err(format!("{kind:?}")),
                },
            )
        })
        .collect();
    let codepage = file
        .with(|st| Ok(st.codepage(node)))
        .map_err(describe_err)?;
    let flags = file.get_attribs(node, &request).map_err(describe_err)?;
    let attribs = request.iter().copied().zip(flags).collect();
    Ok(ObservedProps {
        listed,
        values,
        attribs,
        codepage,
        as_unicode,
        all_props_disagree,
    })
}

/// The expected tags of one dump object (`properties`).
fn dump_tags(object: &Value) -> Vec<u32> {
    object["properties"]
        .as_object()
        .map(|props| props.keys().filter_map(|k| parse_tag(k)).collect())
        .unwrap_or_default()
}

/// The number in a dump's storage name (`__recip_version1.0_#0000000A` → 10).
fn storage_number(object: &Value) -> Option<u32> {
    let name = object["storage"].as_str()?;
    u32::from_str_radix(name.rsplit_once('#')?.1, 16).ok()
}

/// Reads the message `node` (top-level or embedded): its properties, its recipient table,
/// and each of its attachments with their data and embedded messages, recursively. `dump`
/// is the dump's message object, giving the tags to ask for.
fn observe_message(
    file: &Arc<MsgFile>,
    node: NodeId,
    dump: &Value,
    depth: usize,
) -> Result<ObservedMessage, String> {
    let unicode = file.is_unicode(node);
    let props = observe_props(file, node, &dump_tags(dump), unicode, ObjKind::Message)?;
    let warnings = file
        .with(|st| Ok(st.message(node)?.warnings.clone()))
        .map_err(describe_err)?;
    let recipients = file
        .table_rows(node, TableKind::Recipients)
        .map(|rows| rows.rows.as_ref().clone())
        .map_err(describe_err);
    let dump_attachments: BTreeMap<u32, &Value> = dump["attachments"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| Some((storage_number(a)?, a)))
        .collect();
    let attachments = file
        .table_rows(node, TableKind::Attachments)
        .map_err(describe_err)
        .map(|rows| {
            let listed: Vec<u32> = rows.rows.iter().map(|r| r.key).collect();
            let missing = dump_attachments.keys().filter(|n| !listed.contains(n));
            let numbers: Vec<(u32, Option<RowProps>)> = rows
                .rows
                .iter()
                .map(|r| (r.key, Some(r.props.clone())))
                .chain(missing.map(|&n| (n, None)))
                .collect();
            numbers
                .into_iter()
                .map(|(num, row)| ObservedAttach {
                    num,
                    row,
                    opened: observe_attachment(
                        file,
                        node,
                        num,
                        dump_attachments.get(&num).copied(),
                        depth,
                    )
                    .map(Box::new),
                })
                .collect()
        });
    let names = file
        .enumerate_names(node, &NameFilter::default())
        .map_err(describe_err);
    let names_round_trip = match &names {
        Ok(names) => names_round_trip(file, node, names),
        Err(_) => Vec::new(),
    };
    Ok(ObservedMessage {
        props,
        unicode,
        warnings,
        recipients,
        attachments,
        names,
        names_round_trip,
    })
}

/// Looks every enumerated name up by name and by id; says where the answers differ.
fn names_round_trip(file: &MsgFile, node: NodeId, names: &[(u32, Name)]) -> Vec<String> {
    let mut problems = Vec::new();
    let wanted: Vec<Option<Name>> = names.iter().map(|(_, n)| Some(n.clone())).collect();
    let tags: Vec<u32> = names.iter().map(|(t, _)| *t).collect();
    match file.ids_from_names(node, &wanted, false) {
        Ok(ids) => {
            if ids.errors {
                problems
                    .push("GetIDsFromNames of the enumerated names reports unmapped names".into());
            }
            for ((tag, name), got) in names.iter().zip(&ids.tags) {
                if got != tag {
                    problems.push(format!(
                        "GetIDsFromNames({}) answers 0x{got:08X}, enumerated as 0x{tag:08X}",
                        describe_name(name)
                    ));
                }
            }
        }
        Err(e) => problems.push(format!("GetIDsFromNames fails: {}", describe_err(e))),
    }
    match file.names_from_tags(node, &tags) {
        Ok((back, missing)) => {
            if missing {
                problems.push(
                    "GetNamesFromIDs of the enumerated tags reports ids without a name".into(),
                );
            }
            for ((tag, name), got) in names.iter().zip(&back) {
                if got.as_ref() != Some(name) {
                    problems.push(format!(
                        "GetNamesFromIDs(0x{tag:08X}) answers {:?}, enumerated as {}",
                        got.as_ref().map(describe_name),
                        describe_name(name)
                    ));
                }
            }
        }
        Err(e) => problems.push(format!("GetNamesFromIDs fails: {}", describe_err(e))),
    }
    problems
}

/// A name as the dump writes it: `<guid>:id:0x%08X` or `<guid>:name:<name>`.
fn describe_name(name: &Name) -> String {
    describe_kind(&guid_text(&name.guid), &name.kind)
}

fn describe_kind(guid: &str, kind: &NameKind) -> String {
    match kind {
        NameKind::Id(lid) => format!("{guid}:id:0x{lid:08X}"),
        NameKind::String(s) => format!("{guid}:name:{}", String::from_utf16_lossy(s)),
    }
}

fn observe_attachment(
    file: &Arc<MsgFile>,
    message: NodeId,
    num: u32,
    dump: Option<&Value>,
    depth: usize,
) -> Result<ObservedAttachment, String> {
    let node = file
        .open_attach(message, num, false, false)
        .map_err(describe_err)?;
    let result = (|| {
        let unicode = file.is_unicode(node);
        let wanted = dump.map(dump_tags).unwrap_or_default();
        let props = observe_props(file, node, &wanted, unicode, ObjKind::Attachment)?;
        let data = (props.listed.contains(&PR_ATTACH_DATA_BIN)
            || wanted.contains(&PR_ATTACH_DATA_BIN))
        .then(|| hash_stream(file, node, PR_ATTACH_DATA_BIN));
        let dump_embedded = dump.and_then(|d| d.get("embedded_message"));
        let embedded = (dump_embedded.is_some() || props.listed.contains(&PR_ATTACH_DATA_OBJ))
            .then(|| {
                if depth + 1 > MAX_DEPTH {
                    return Err(format!("not opened: deeper than {MAX_DEPTH}"));
                }
                let inner = file
                    .open_embedded(node, false, false, false)
                    .map_err(describe_err)?;
                let observed = observe_message(
                    file,
                    inner,
                    dump_embedded.unwrap_or(&Value::Null),
                    depth + 1,
                );
                drop(file.close_node(inner));
                observed.map(Box::new)
            });
        Ok(ObservedAttachment {
            props,
            unicode,
            data,
            embedded,
        })
    })();
    drop(file.close_node(node));
    result
}

/// Reads a string or binary property through `OpenProperty(IID_IStream)` in pieces,
/// hashing it.
fn hash_stream(file: &Arc<MsgFile>, node: NodeId, tag: u32) -> Result<DataHash, String> {
    let mut stream =
        PropertyStream::open(file.clone(), node, tag, false, false).map_err(describe_err)?;
    let size = stream.size().map_err(describe_err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut pos = 0u64;
    loop {
        let n = stream.read(&mut buf).map_err(describe_err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        pos += n as u64;
    }
    if pos != size {
        return Err(format!("the stream says {size} bytes, reading gave {pos}"));
    }
    Ok(DataHash {
        len: pos,
        sha256: to_hex(&hasher.finalize()),
    })
}

/// Opens `path` read-only and reads its whole message tree.
fn observe(path: &Path, dump: &Value) -> Result<ObservedMessage, String> {
    let storage = open_file(path, STGM_READ | STGM_SHARE_DENY_WRITE).map_err(describe_err)?;
    let storage: Arc<dyn Storage> = storage;
    let (file, root) = MsgFile::open(storage, false, false).map_err(describe_err)?;
    let observed = observe_message(&file, root, dump, 0);
    drop(file.close_node(root));
    observed
}

fn read_through_stream(file: &Arc<MsgFile>, node: NodeId, tag: u32) -> Result<PropValue, String> {
    let mut stream =
        PropertyStream::open(file.clone(), node, tag, false, false).map_err(describe_err)?;
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        match stream.read(&mut buf).map_err(describe_err)? {
            0 => break,
            n => bytes.extend_from_slice(&buf[..n]),
        }
    }
    Ok(match prop_type(tag) {
        PT_BINARY => PropValue::Binary(bytes),
        PT_STRING8 => PropValue::String8(bytes),
        _ => PropValue::Unicode(
            bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
        ),
    })
}

enum Outcome {
    Read(Box<ObservedMessage>),
    Refused(String),
    Panicked(String),
    TimedOut,
}

/// Runs [`observe`] on its own thread under `catch_unwind`, giving up after [`TIME_BOUND`].
fn observe_bounded(path: &Path, dump: &Value) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let path = path.to_path_buf();
    let dump = dump.clone();
    std::thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(|| observe(&path, &dump)));
        let _ = tx.send(result);
    });
    match rx.recv_timeout(TIME_BOUND) {
        Ok(Ok(Ok(observed))) => Outcome::Read(Box::new(observed)),
        Ok(Ok(Err(message))) => Outcome::Refused(message),
        Ok(Err(panic)) => Outcome::Panicked(
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".into()),
        ),
        // A hung thread is left behind; the test fails, which ends the process.
        Err(_) => Outcome::TimedOut,
    }
}

// ===== the expected dumps =====

/// Code points `U+10D800..=U+10DFFF` (private use, plane 16) stand for lone UTF-16
/// surrogates `D800..=DFFF` while the JSON goes through `serde_json`, which refuses them.
const SURROGATE_MARK: u32 = 0x10_0000;

/// Rewrites lone surrogates of a JSON text — escaped (`\udc80`) or raw WTF-8 bytes — as
/// the marker code points, so that `serde_json` accepts the text and [`utf16_of`] gives
/// back the exact code units.
fn protect_lone_surrogates(bytes: &[u8]) -> String {
    let mark = |unit: u32| char::from_u32(SURROGATE_MARK | unit).expect("plane-16 code point");
    let in_mark_range = |c: u32| (SURROGATE_MARK | 0xD800..=SURROGATE_MARK | 0xDFFF).contains(&c);
    // Raw surrogates (WTF-8: ED A0..BF 80..BF, never part of valid UTF-8) first.
    let mut text = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        let at = rest.windows(3).position(|w| {
            w[0] == 0xED && (0xA0..=0xBF).contains(&w[1]) && (0x80..=0xBF).contains(&w[2])
        });
        let head = &rest[..at.unwrap_or(rest.len())];
        match std::str::from_utf8(head) {
            Ok(s) => {
                assert!(
                    !s.chars().any(|c| in_mark_range(c as u32)),
                    "the dump itself uses U+10D800..U+10DFFF; choose another surrogate marker"
                );
                text.push_str(s);
            }
            Err(e) => panic!("expected dump is neither UTF-8 nor WTF-8: {e}"),
        }
        let Some(at) = at else { break };
        let w = &rest[at..at + 3];
        text.push(mark(
            0xD000 | (u32::from(w[1] & 0x3F) << 6) | u32::from(w[2] & 0x3F),
        ));
        rest = &rest[at + 3..];
    }
    // Then escapes: a `\uXXXX` surrogate not paired with its partner.
    let hex4 = |s: &str| u32::from_str_radix(s, 16).ok();
    let chars: Vec<char> = text.chars().collect();
    let escape_at = |j: usize| -> Option<u32> {
        if j + 6 <= chars.len() && chars[j] == '\\' && chars[j + 1] == 'u' {
            hex4(&chars[j + 2..j + 6].iter().collect::<String>())
        } else {
            None
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut j = 0;
    while j < chars.len() {
        if chars[j] != '\\' {
            out.push(chars[j]);
            j += 1;
            continue;
        }
        match escape_at(j) {
            Some(hi @ 0xD800..=0xDBFF) => match escape_at(j + 6) {
                Some(lo @ 0xDC00..=0xDFFF) => {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    assert!(
                        !in_mark_range(c),
                        "the dump itself uses U+10D800..U+10DFFF; choose another surrogate marker"
                    );
                    out.extend(&chars[j..j + 12]);
                    j += 12;
                }
                _ => {
                    out.push(mark(hi));
                    j += 6;
                }
            },
            Some(lo @ 0xDC00..=0xDFFF) => {
                out.push(mark(lo));
                j += 6;
            }
            _ => {
                // Any other escape: copy the backslash and the escaped character.
                out.extend(&chars[j..(j + 2).min(chars.len())]);
                j += 2;
            }
        }
    }
    out
}

fn load_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&protect_lone_surrogates(&bytes))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The UTF-16 code units of an expected string (lone surrogates restored).
fn utf16_of(s: &str) -> Vec<u16> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let c32 = c as u32;
        if (SURROGATE_MARK | 0xD800..=SURROGATE_MARK | 0xDFFF).contains(&c32) {
            out.push((c32 & 0xFFFF) as u16);
        } else {
            let mut buf = [0u16; 2];
            out.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    out
}

fn parse_tag(s: &str) -> Option<u32> {
    u32::from_str_radix(s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?, 16).ok()
}

fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("bad hex: {e}")))
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn short(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

/// One expected property entry.
struct Expected<'a> {
    tag: u32,
    entry: &'a serde_json::Map<String, Value>,
}

impl Expected<'_> {
    fn flag(&self, key: &str) -> bool {
        self.entry.get(key).and_then(Value::as_bool) == Some(true)
    }

    fn type_name(&self) -> &str {
        self.entry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("?")
    }

    /// The rule of the allowlist this entry falls under, if any.
    fn rules(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.flag("orphan_stream") {
            out.push("orphan_stream");
        }
        if self.entry.contains_key("raw") {
            out.push("raw");
        }
        if self.flag("missing_stream") {
            out.push("missing_stream");
        }
        out
    }
}

// ===== comparing values =====

/// Floats compare equal when at most one unit in the last place apart: the dump writes
/// the shortest decimal that round-trips, and `serde_json`'s default parser may round the
/// last bit differently.
fn float_eq(ours: f64, expected: &Value) -> Result<(), String> {
    let theirs = match expected {
        Value::Number(n) => n.as_f64().ok_or("not a float")?,
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "nan" => f64::NAN,
            "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
            "-inf" | "-infinity" => f64::NEG_INFINITY,
            other => return Err(format!("unknown float text {other:?}")),
        },
        other => return Err(format!("unexpected float {other}")),
    };
    let same = (ours.is_nan() && theirs.is_nan())
        || ours == theirs
        || (ours.is_finite()
            && theirs.is_finite()
            && ours.signum() == theirs.signum()
            && ours.to_bits().abs_diff(theirs.to_bits()) <= 1);
    if same {
        Ok(())
    } else {
        Err(format!("{ours:?} ≠ {theirs:?}"))
    }
}

fn int_eq(ours: i128, expected: &Value) -> Result<(), String> {
    let theirs = expected
        .as_i64()
        .map(i128::from)
        .or_else(|| expected.as_u64().map(i128::from))
        .ok_or_else(|| format!("expected integer, dump has {expected}"))?;
    if ours == theirs {
        Ok(())
    } else {
        Err(format!("{ours} ≠ {theirs}"))
    }
}

fn guid_text(g: &[u8; 16]) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{}-{}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        to_hex(&g[8..10]),
        to_hex(&g[10..16])
    )
}

fn units_eq(ours: &[u16], theirs: &[u16]) -> Result<(), String> {
    if ours == theirs {
        return Ok(());
    }
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    Err(format!(
        "UTF-16 differs at unit {at} (ours {} units {:?}, dump {} units {:?})",
        ours.len(),
        short(&String::from_utf16_lossy(ours)),
        theirs.len(),
        short(&String::from_utf16_lossy(theirs))
    ))
}

fn bytes_eq(ours: &[u8], theirs: &[u8]) -> Result<(), String> {
    if ours == theirs {
        Ok(())
    } else {
        Err(format!(
            "bytes differ (ours {} bytes {}, dump {} bytes {})",
            ours.len(),
            short(&to_hex(ours)),
            theirs.len(),
            short(&to_hex(theirs))
        ))
    }
}

/// A binary against `hex` when the dump has it, else `sha256` + `len`.
fn binary_eq(ours: &[u8], expected: &Value) -> Result<(), String> {
    if let Some(hex) = expected.get("hex").and_then(Value::as_str) {
        return bytes_eq(ours, &hex_bytes(hex)?);
    }
    if let Some(hex) = expected.as_str() {
        return bytes_eq(ours, &hex_bytes(hex)?);
    }
    let sha = expected
        .get("sha256")
        .and_then(Value::as_str)
        .ok_or("dump has neither hex nor sha256")?;
    let len = expected
        .get("len")
        .and_then(Value::as_u64)
        .ok_or("dump has no len")?;
    let ours_sha = to_hex(&Sha256::digest(ours));
    if ours.len() as u64 == len && ours_sha == sha {
        Ok(())
    } else {
        Err(format!(
            "ours {} bytes sha256 {ours_sha}, dump {len} bytes sha256 {sha}",
            ours.len()
        ))
    }
}

/// The scalar of one multi-valued element: the element itself, or its `value` /
/// `filetime` field when the dump writes elements as objects.
fn element<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(v)
}

fn each<T>(
    ours: &[T],
    values: &[Value],
    f: impl Fn(&T, &Value) -> Result<(), String>,
) -> Result<(), String> {
    if ours.len() != values.len() {
        return Err(format!("{} values, dump has {}", ours.len(), values.len()));
    }
    for (i, (a, b)) in ours.iter().zip(values).enumerate() {
        f(a, b).map_err(|e| format!("value {i}: {e}"))?;
    }
    Ok(())
}

/// Compares one value with its dump entry. `codepage` is the dump's `string8_codepage`,
/// which its multi-valued 8-bit strings are decoded with.
fn value_eq(ours: &PropValue, exp: &Expected, codepage: u32) -> Result<(), String> {
    use PropValue::*;
    let e = exp.entry;
    let value = || {
        e.get("value")
            .ok_or_else(|| "dump has no value".to_string())
    };
    let values = || {
        e.get("values")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .ok_or_else(|| "dump has no values".to_string())
    };
    let string8_text = |bytes: &[u8], v: &Value| -> Result<(), String> {
        if let Some(hex) = v.get("hex").and_then(Value::as_str) {
            return bytes_eq(bytes, &hex_bytes(hex)?);
        }
        let text = v.as_str().ok_or("expected a string")?;
        let decoded = strings::decode(codepage, bytes).map_err(|e| e.message)?;
        units_eq(&decoded, &utf16_of(text))
    };
    match ours {
        I2(x) => int_eq(i128::from(*x), value()?),
        Long(x) => int_eq(i128::from(*x), value()?),
        I8(x) | Currency(x) => int_eq(i128::from(*x), value()?),
        R4(x) => float_eq(f64::from(*x), value()?),
        Double(x) | AppTime(x) => float_eq(*x, value()?),
        Boolean(b) => match value()?.as_bool() {
            Some(t) if t == *b => Ok(()),
            Some(t) => Err(format!("{b} ≠ {t}")),
            None => Err("dump value is not a boolean".into()),
        },
        Error(x) => {
            let text = value()?.as_str().ok_or("dump value is not hex text")?;
            match parse_tag(text) {
                Some(t) if t == *x as u32 => Ok(()),
                _ => Err(format!("0x{:08X} ≠ {text}", *x as u32)),
            }
        }
        SysTime(ft) => {
            let theirs = e
                .get("filetime")
                .ok_or_else(|| "dump has no filetime".to_string())?;
            int_eq(i128::from(*ft), theirs)
        }
        Clsid(g) => {
            let theirs = value()?.as_str().ok_or("dump value is not text")?;
            if guid_text(g) == theirs {
                Ok(())
            } else {
                Err(format!("{} ≠ {theirs}", guid_text(g)))
            }
        }
        Unicode(s) => units_eq(s, &utf16_of(value()?.as_str().ok_or("not text")?)),
        String8(s) => {
            let hex = e
                .get("hex")
                .and_then(Value::as_str)
                .ok_or("dump has no hex")?;
            bytes_eq(s, &hex_bytes(hex)?)
        }
        Binary(b) => binary_eq(b, &Value::Object(e.clone())),
        MvI2(v) => each(v, values()?, |a, b| {
            int_eq(i128::from(*a), element(b, "value"))
        }),
        MvLong(v) => each(v, values()?, |a, b| {
            int_eq(i128::from(*a), element(b, "value"))
        }),
        MvI8(v) | MvCurrency(v) => each(v, values()?, |a, b| {
            int_eq(i128::from(*a), element(b, "value"))
        }),
        MvR4(v) => each(v, values()?, |a, b| {
            float_eq(f64::from(*a), element(b, "value"))
        }),
        MvDouble(v) | MvAppTime(v) => each(v, values()?, |a, b| float_eq(*a, element(b, "value"))),
        MvSysTime(v) => each(v, values()?, |a, b| {
            int_eq(i128::from(*a), element(b, "filetime"))
        }),
        MvClsid(v) => each(v, values()?, |a, b| {
            let theirs = element(b, "value").as_str().ok_or("not text")?;
            if guid_text(a) == theirs {
                Ok(())
            } else {
                Err(format!("{} ≠ {theirs}", guid_text(a)))
            }
        }),
        MvUnicode(v) => each(v, values()?, |a, b| {
            units_eq(
                a,
                &utf16_of(element(b, "value").as_str().ok_or("not text")?),
            )
        }),
        MvString8(v) => each(v, values()?, |a, b| string8_text(a, b)),
        MvBinary(v) => each(v, values()?, |a, b| binary_eq(a, b)),
        Null | Object => Err(format!("unexpected value {ours:?}")),
    }
}

// ===== the allowlist =====

struct AllowLine {
    line: usize,
    file: String,
    /// The object the line is about (empty: the top-level message), e.g.
    /// `attach#00000000/embedded/recip#00000001`.
    path: String,
    /// What differs: a tag, `0x…/unicode`, `open`, `row`, `recipients`, `attachments` or a
    /// rule.
    target: String,
    reason: String,
    used: Vec<String>,
}

impl AllowLine {
    fn what(&self) -> String {
        join_path(&self.path, &self.target)
    }
}

const RULES: [&str; 3] = ["orphan_stream", "raw", "missing_stream"];

fn join_path(path: &str, target: &str) -> String {
    if path.is_empty() {
        target.to_string()
    } else {
        format!("{path}/{target}")
    }
}

/// One step of an object path: `recip#XXXXXXXX`, `attach#XXXXXXXX` (the storage number, 8
/// hex digits as in the storage's name) or `embedded` (the attachment's embedded message).
fn valid_segment(segment: &str) -> bool {
    let number = |rest: &str| rest.len() == 8 && rest.bytes().all(|b| b.is_ascii_hexdigit());
    segment == "embedded"
        || segment.strip_prefix("recip#").is_some_and(number)
        || segment.strip_prefix("attach#").is_some_and(number)
}

/// Splits an allowlist `what` (`[path/]target`) into the object path and the target.
fn split_what(what: &str) -> Result<(String, String), String> {
    let mut segments: Vec<&str> = what.split('/').collect();
    let mut target = segments.pop().unwrap_or_default().to_string();
    if target == "unicode" {
        let tag = segments.pop().ok_or("`unicode` needs a tag before it")?;
        target = format!("{tag}/unicode");
    }
    if let Some(bad) = segments.iter().find(|s| !valid_segment(s)) {
        return Err(format!(
            "{bad:?} is not an object path step (recip#XXXXXXXX, attach#XXXXXXXX, embedded)"
        ));
    }
    let path = segments.join("/");
    let is_rule = RULES.contains(&target.as_str());
    let is_tag = parse_tag(target.strip_suffix("/unicode").unwrap_or(&target)).is_some();
    let is_object =
        ["open", "row", "recipients", "attachments", "names"].contains(&target.as_str());
    if !(is_rule || is_tag || is_object) {
        return Err(format!(
            "{target:?} is neither a tag (0xXXXXXXXX or 0xXXXXXXXX/unicode), `open`, `row`, \
             `recipients`, `attachments`, `names`, nor a rule {RULES:?}"
        ));
    }
    if is_rule && !path.is_empty() {
        return Err("a rule applies at every level; it takes no object path".into());
    }
    Ok((path, target))
}

fn load_allowlist(path: &Path) -> Vec<AllowLine> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = trimmed.splitn(3, '|').map(str::trim).collect();
        assert!(
            parts.len() == 3 && parts.iter().all(|p| !p.is_empty()),
            "corpus-allowlist.txt:{line_no}: want `file | [object path/]tag, target or rule | reason`"
        );
        let (file, what, reason) = (parts[0], parts[1], parts[2]);
        let (object, target) =
            split_what(what).unwrap_or_else(|e| panic!("corpus-allowlist.txt:{line_no}: {e}"));
        assert!(
            file != "*" || RULES.contains(&target.as_str()),
            "corpus-allowlist.txt:{line_no}: only a rule may apply to every file"
        );
        out.push(AllowLine {
            line: line_no,
            file: file.to_string(),
            path: object,
            target,
            reason: reason.to_string(),
            used: Vec::new(),
        });
    }
    out
}

/// What a difference concerns.
#[derive(Clone, Copy)]
enum Target {
    /// The object cannot be opened: the file, an attachment (`OpenAttach`) or an embedded
    /// message (`OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage)`).
    Open,
    /// The object's presence disagrees with the dump: a recipient or attachment one side
    /// has and the other has not, or an embedded message only one side sees.
    Row,
    /// The message's recipient or attachment table cannot be read.
    Table(TableKind),
    /// A property (`0xXXXXXXXX` in the allowlist).
    Tag(u32),
    /// An 8-bit string property read as `PT_UNICODE` (`0xXXXXXXXX/unicode`).
    Unicode(u32),
    /// The named-property map (`names`): the file's against the dump's
    /// `named_properties`, or an embedded message's against the file's.
    Names,
}

impl Target {
    fn text(self) -> String {
        match self {
            Target::Open => "open".into(),
            Target::Row => "row".into(),
            Target::Table(TableKind::Recipients) => "recipients".into(),
            Target::Table(TableKind::Attachments) => "attachments".into(),
            Target::Tag(t) => format!("0x{t:08X}"),
            Target::Unicode(t) => format!("0x{t:08X}/unicode"),
            Target::Names => "names".into(),
        }
    }

    fn matches(self, what: &str) -> bool {
        match self {
            Target::Tag(t) => parse_tag(what) == Some(t),
            Target::Unicode(t) => what.strip_suffix("/unicode").and_then(parse_tag) == Some(t),
            other => other.text() == what,
        }
    }
}

/// Finds the allowlist line explaining a difference of `file` at the object `path` (by its
/// exact object and target, or by a rule the dump entry falls under), marks it used, and
/// returns its reason.
fn allow(
    list: &mut [AllowLine],
    file: &str,
    path: &str,
    target: Target,
    rules: &[&str],
    what_happened: &str,
) -> Option<String> {
    let line = list.iter_mut().find(|l| {
        (l.file == file || l.file == "*")
            && ((l.path == path && target.matches(&l.target)) || rules.contains(&l.target.as_str()))
    })?;
    line.used.push(format!(
        "{file} {}: {what_happened}",
        join_path(path, &target.text())
    ));
    Some(format!("allowlist line {}: {}", line.line, line.reason))
}

// ===== one file =====

/// Where a property was compared: the top-level message (depth 0) or an embedded message
/// (depth ≥ 1), or a recipient or attachment of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum LevelKind {
    Message,
    Recipient,
    Attachment,
}

type Level = (usize, LevelKind);

fn level_name((depth, kind): Level) -> String {
    let owner = if depth == 0 {
        "top-level message".to_string()
    } else {
        format!("embedded messages at depth {depth}")
    };
    match kind {
        LevelKind::Message => owner,
        LevelKind::Recipient => format!("recipients of {owner}"),
        LevelKind::Attachment => format!("attachments of {owner}"),
    }
}

#[derive(Default)]
struct FileReport {
    /// Differences nobody explained.
    diffs: Vec<String>,
    /// Differences the allowlist explains.
    allowed: Vec<String>,
    /// Expected properties whose value (and flags, where the object has them) were compared
    /// equal, by level.
    compared: BTreeMap<Level, usize>,
    /// 8-bit strings whose `PT_UNICODE` reading equals the dump's decoded text.
    converted: usize,
    /// Computed properties we add that the file does not store, by object kind and tag.
    computed_extras: Vec<(&'static str, u32)>,
    /// Recipients found in the table and compared with the dump's.
    recipients: usize,
    /// Attachments opened and compared with the dump's.
    attachments: usize,
    /// Attachment data equal in length and SHA-256.
    data_hashes: usize,
    /// Embedded messages opened and compared.
    embedded: usize,
    /// Expected named values (ids from 0x8000) compared equal, by level; also counted in
    /// `compared`.
    named_values: BTreeMap<Level, usize>,
    /// The file's name map equals the dump's `named_properties` (and every name is found
    /// again by name and by id): its entry count.
    name_map: Option<usize>,
    /// Embedded messages answering with the file's own map.
    embedded_maps: usize,
}

impl FileReport {
    fn compared_total(&self) -> usize {
        self.compared.values().sum()
    }

    fn counts(&self) -> String {
        let by_level: Vec<String> = self
            .compared
            .iter()
            .map(|(level, n)| format!("{n} {}", level_name(*level)))
            .collect();
        format!(
            "{} properties equal ({}), {} of them named; {} recipients, {} attachments ({} data hashes), {} embedded messages; {}",
            self.compared_total(),
            if by_level.is_empty() {
                "none".to_string()
            } else {
                by_level.join(", ")
            },
            self.named_values.values().sum::<usize>(),
            self.recipients,
            self.attachments,
            self.data_hashes,
            self.embedded,
            match self.name_map {
                Some(n) => format!("name map equal ({n} entries)"),
                None => "name map differs".to_string(),
            }
        )
    }
}

/// Who owns a property list: what the computed properties are checked against.
#[derive(Clone, Copy)]
enum Owner {
    Message {
        unicode: bool,
        has_attachments: bool,
    },
    Attachment {
        num: u32,
        unicode: bool,
        data_len: Option<u64>,
    },
}

fn check_support_mask(v: i32, unicode: bool) -> Result<(), String> {
    if (v as u32 & STORE_UNICODE_OK != 0) == unicode {
        Ok(())
    } else {
        Err(format!(
            "computed PR_STORE_SUPPORT_MASK 0x{v:08X} disagrees with the string width"
        ))
    }
}

/// Computed properties the library adds when the object does not store them. These are
/// expected extras, allowed by rule rather than per file; their values are still checked.
///
/// On a message: `PR_OBJECT_TYPE`, `PR_ACCESS` and `PR_ACCESS_LEVEL` always come from how
/// the file is opened; `PR_STORE_SUPPORT_MASK`, `PR_MESSAGE_FLAGS`, `PR_HASATTACH` and
/// `PR_DISPLAY_TO/CC/BCC` are computed only when absent, and the object properties
/// `PR_MESSAGE_RECIPIENTS`/`PR_MESSAGE_ATTACHMENTS` are always listed.
///
/// On an attachment: `PR_ATTACH_SIZE` (files do not store it, `spec/msg-format.md` §8),
/// `PR_INSTANCE_KEY` (its table row's) and `PR_ATTACH_NUM`, `PR_OBJECT_TYPE` (7), `PR_ACCESS`/`PR_ACCESS_LEVEL` (a read-only open:
/// 2 and 0), `PR_ATTACH_METHOD` (0, `NO_ATTACHMENT`), `PR_RENDERING_POSITION` (-1) and
/// `PR_STORE_SUPPORT_MASK` when absent.
fn check_computed_extra(
    tag: u32,
    value: &Result<PropValue, String>,
    owner: Owner,
) -> Option<Result<(), String>> {
    let long = |want: i32| match value {
        Ok(PropValue::Long(v)) if *v == want => Ok(()),
        other => Err(format!("computed property answers {other:?}, want {want}")),
    };
    match owner {
        Owner::Message {
            unicode,
            has_attachments,
        } => {
            const PR_MESSAGE_RECIPIENTS: u32 = 0x0E12_000D;
            const PR_MESSAGE_ATTACHMENTS: u32 = 0x0E13_000D;
            const PR_HASATTACH: u32 = 0x0E1B_000B;
            let display = [0x0E02, 0x0E03, 0x0E04].contains(&prop_id(tag));
            Some(match (tag, value) {
                (PR_MESSAGE_RECIPIENTS | PR_MESSAGE_ATTACHMENTS, Ok(PropValue::Object)) => Ok(()),
                (PR_HASATTACH, Ok(PropValue::Boolean(b))) => {
                    if *b == has_attachments {
                        Ok(())
                    } else {
                        Err(format!(
                            "computed PR_HASATTACH {b} but the dump has {} attachments",
                            if has_attachments { "some" } else { "no" }
                        ))
                    }
                }
                (_, Ok(PropValue::Unicode(_) | PropValue::String8(_))) if display => Ok(()),
                (PR_OBJECT_TYPE, _) => long(MAPI_MESSAGE as i32),
                (PR_ACCESS, _) => long(MAPI_ACCESS_READ as i32),
                (PR_ACCESS_LEVEL, _) => long(0),
                (PR_STORE_SUPPORT_MASK, Ok(PropValue::Long(v))) => check_support_mask(*v, unicode),
                (PR_MESSAGE_FLAGS, Ok(PropValue::Long(_))) => Ok(()),
                (PR_STORE_SUPPORT_MASK | PR_MESSAGE_FLAGS, other) => {
                    Err(format!("computed property answers {other:?}"))
                }
                _ => return None,
            })
        }
        Owner::Attachment {
            num,
            unicode,
            data_len,
        } => Some(match (tag, value) {
            (PR_ATTACH_SIZE, Ok(PropValue::Long(v))) => {
                // The bytes of the attachment's values, its data included.
                let data = data_len.unwrap_or(0).min(i32::MAX as u64);
                if *v >= 0 && *v as u64 >= data {
                    Ok(())
                } else {
                    Err(format!(
                        "computed PR_ATTACH_SIZE {v} is less than the data's {data} bytes"
                    ))
                }
            }
            (PR_ATTACH_NUM, _) => long(num as i32),
            // Its table row's key, when the file stores none.
            (PR_INSTANCE_KEY, Ok(PropValue::Binary(key))) if !key.is_empty() => Ok(()),
            (PR_INSTANCE_KEY, other) => Err(format!("computed property answers {other:?}")),
            (PR_OBJECT_TYPE, _) => long(MAPI_ATTACH as i32),
            (PR_ACCESS, _) => long(MAPI_ACCESS_READ as i32),
            (PR_ACCESS_LEVEL, _) => long(0),
            (PR_ATTACH_METHOD, _) => long(NO_ATTACHMENT as i32),
            (PR_RENDERING_POSITION, _) => long(-1),
            (PR_STORE_SUPPORT_MASK, Ok(PropValue::Long(v))) => check_support_mask(*v, unicode),
            (PR_ATTACH_SIZE | PR_STORE_SUPPORT_MASK, other) => {
                Err(format!("computed property answers {other:?}"))
            }
            _ => return None,
        }),
    }
}

/// The expected property entries of a dump object (`properties`).
fn expected_of<'a>(name: &str, object: &'a Value) -> Vec<Expected<'a>> {
    let Some(props) = object["properties"].as_object() else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(k, v)| Expected {
            tag: parse_tag(k).unwrap_or_else(|| panic!("{name}: bad tag {k}")),
            entry: v
                .as_object()
                .unwrap_or_else(|| panic!("{name}: {k} is not an object")),
        })
        .collect()
}

fn dump_codepage(message: &Value) -> u32 {
    message["string8_codepage"]["codepage"]
        .as_u64()
        .map_or(strings::DEFAULT_CODEPAGE, |c| c as u32)
}

/// Attachment data against the dump's `len` and `sha256`.
fn data_eq(ours: &DataHash, exp: &Expected) -> Result<(), String> {
    let len = exp.entry.get("len").and_then(Value::as_u64);
    let sha = exp.entry.get("sha256").and_then(Value::as_str);
    match (len, sha) {
        (Some(len), Some(sha)) if len == ours.len && sha == ours.sha256 => Ok(()),
        (Some(len), Some(sha)) => Err(format!(
            "data: ours {} bytes sha256 {}, dump {len} bytes sha256 {sha}",
            ours.len, ours.sha256
        )),
        _ => Err("the dump has no len and sha256 for the data".into()),
    }
}

/// Compares one file's message tree; differences go to the report, explained or not.
struct Comparison<'a> {
    name: &'a str,
    allowlist: &'a mut [AllowLine],
    report: FileReport,
}

impl Comparison<'_> {
    /// Records a difference: allowed when the allowlist explains it, else unexplained.
    fn note(&mut self, path: &str, target: Target, rules: &[&str], what: String) {
        let at = join_path(path, &target.text());
        match allow(self.allowlist, self.name, path, target, rules, &what) {
            Some(reason) => self.report.allowed.push(format!("{at}: {what} ({reason})")),
            None => self.report.diffs.push(format!("{at}: {what}")),
        }
    }

    fn message(&mut self, path: &str, dump: &Value, observed: &ObservedMessage, depth: usize) {
        let codepage = dump_codepage(dump);
        let dump_attachments = dump["attachments"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let owner = Owner::Message {
            unicode: observed.unicode,
            has_attachments: !dump_attachments.is_empty(),
        };
        self.props(
            path,
            dump,
            codepage,
            owner,
            &observed.props,
            None,
            (depth, LevelKind::Message),
        );
        let dump_recipients = dump["recipients"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        match &observed.recipients {
            Ok(rows) => self.recipients(path, dump_recipients, rows, codepage, depth),
            Err(e) => self.note(
                path,
                Target::Table(TableKind::Recipients),
                &[],
                format!("the recipient table cannot be read: {e}"),
            ),
        }
        match &observed.attachments {
            Ok(attachments) => {
                self.attachments(path, dump_attachments, attachments, codepage, depth)
            }
            Err(e) => self.note(
                path,
                Target::Table(TableKind::Attachments),
                &[],
                format!("the attachment table cannot be read: {e}"),
            ),
        }
    }

    /// Compares the properties of a message or attachment with its dump object.
    #[allow(clippy::too_many_arguments)]
    fn props(
        &mut self,
        path: &str,
        dump: &Value,
        codepage: u32,
        owner: Owner,
        observed: &ObservedProps,
        data: Option<&Result<DataHash, String>>,
        level: Level,
    ) {
        let name = self.name;
        let expected = expected_of(name, dump);
        for d in &observed.all_props_disagree {
            self.report.diffs.push(join_path(path, d));
        }
        let listed: BTreeSet<u32> = observed.listed.iter().copied().collect();
        let expected_tags: BTreeSet<u32> = expected.iter().map(|e| e.tag).collect();
        for exp in &expected {
            let tag = exp.tag;
            let rules = exp.rules();
            let value = observed.values.get(&tag);
            let is_data = matches!(owner, Owner::Attachment { .. }) && tag == PR_ATTACH_DATA_BIN;
            let mut data_equal = false;
            let problem = if !listed.contains(&tag) {
                let got = match value {
                    Some(Ok(_)) => " (though GetProps answers it)".to_string(),
                    Some(Err(e)) => format!(" (GetProps: {e})"),
                    None => String::new(),
                };
                Some(format!(
                    "{} {}not exposed{got}",
                    exp.type_name(),
                    if rules.is_empty() {
                        String::new()
                    } else {
                        format!("[{}] ", rules.join(","))
                    }
                ))
            } else if prop_type(tag) == PT_OBJECT {
                None
            } else if is_data {
                // Through the stream, by length and hash; GetProps must agree or, above
                // its limit, say the value is too large.
                let through_stream = match data {
                    Some(Ok(hash)) => data_eq(hash, exp).map(|()| hash.len),
                    Some(Err(e)) => Err(format!("OpenProperty(IID_IStream) fails: {e}")),
                    None => Err("not read through its stream".into()),
                };
                let through_getprops = match (value, &through_stream) {
                    (Some(Ok(v)), _) => {
                        value_eq(v, exp, codepage).map_err(|e| format!("GetProps value: {e}"))
                    }
                    (Some(Err(e)), Ok(len)) if e == "NotEnoughMemory" && *len > GETPROPS_LIMIT => {
                        Ok(())
                    }
                    (Some(Err(e)), _) => Err(format!("GetProps fails: {e}")),
                    (None, _) => Err("not requested".into()),
                };
                data_equal = through_stream.is_ok() && through_getprops.is_ok();
                let problems: Vec<String> = [through_stream.err(), through_getprops.err()]
                    .into_iter()
                    .flatten()
                    .collect();
                (!problems.is_empty()).then(|| problems.join("; "))
            } else {
                match value {
                    Some(Ok(v)) => value_eq(v, exp, codepage)
                        .err()
                        .map(|e| format!("{} value: {e}", exp.type_name())),
                    Some(Err(e)) => Some(format!("listed but GetProps fails: {e}")),
                    None => Some("not requested".into()),
                }
            };
            let flags_problem = match (
                exp.entry.get("flags").and_then(Value::as_u64),
                observed.attribs.get(&tag),
            ) {
                (Some(want), Some(&have)) if listed.contains(&tag) && u64::from(have) != want => {
                    Some(format!("flags {have} ≠ {want}"))
                }
                _ => None,
            };
            match (problem, flags_problem) {
                (None, None) => {
                    *self.report.compared.entry(level).or_default() += 1;
                    if prop_id(tag) >= FIRST_NAMED_ID {
                        *self.report.named_values.entry(level).or_default() += 1;
                    }
                    if data_equal {
                        self.report.data_hashes += 1;
                    }
                }
                (p, f) => {
                    let what = [p, f].into_iter().flatten().collect::<Vec<_>>().join("; ");
                    self.note(path, Target::Tag(tag), &rules, what);
                    continue;
                }
            }
            // An 8-bit string whose bytes are equal is also read as PT_UNICODE, as a
            // MAPI_UNICODE caller reads it: our code page must give the dump's decoded text.
            if let Some(got) = observed.as_unicode.get(&tag) {
                let check = match got {
                    Ok(PropValue::Unicode(u)) => exp
                        .entry
                        .get("value")
                        .and_then(Value::as_str)
                        .ok_or_else(|| "dump has no value".to_string())
                        .and_then(|text| units_eq(u, &utf16_of(text))),
                    Ok(PropValue::MvUnicode(v)) => exp
                        .entry
                        .get("values")
                        .and_then(Value::as_array)
                        .ok_or_else(|| "dump has no values".to_string())
                        .and_then(|values| {
                            each(v, values, |a, b| {
                                units_eq(
                                    a,
                                    &utf16_of(element(b, "value").as_str().ok_or("not text")?),
                                )
                            })
                        }),
                    Ok(other) => Err(format!("answers {other:?}")),
                    Err(e) => Err(e.clone()),
                };
                match check {
                    Ok(()) => self.report.converted += 1,
                    Err(e) => {
                        let what = format!(
                            "as PT_UNICODE (our code page {}, the dump's {codepage}): {e}",
                            observed.codepage
                        );
                        self.note(path, Target::Unicode(tag), &[], what);
                    }
                }
            }
        }
        let kind = match owner {
            Owner::Message { .. } => "message",
            Owner::Attachment { .. } => "attachment",
        };
        for &tag in observed
            .listed
            .iter()
            .filter(|t| !expected_tags.contains(t))
        {
            let value = observed
                .values
                .get(&tag)
                .cloned()
                .unwrap_or(Err("not requested".into()));
            // Same id stored with another type: not a computed extra.
            let same_id_expected = expected_tags.iter().any(|&t| prop_id(t) == prop_id(tag));
            match check_computed_extra(tag, &value, owner) {
                Some(Ok(())) if !same_id_expected => self.report.computed_extras.push((kind, tag)),
                Some(Err(e)) => {
                    self.note(path, Target::Tag(tag), &[], format!("computed extra: {e}"))
                }
                _ => self.note(
                    path,
                    Target::Tag(tag),
                    &[],
                    format!(
                        "exposed but not in the dump: {}",
                        match &value {
                            Ok(v) => short(&format!("{v:?}")),
                            Err(e) => e.clone(),
                        }
                    ),
                ),
            }
        }
    }

    /// Compares the recipient table's rows with the dump's recipients, matched by storage
    /// number (the row's key, `PR_ROWID`).
    fn recipients(
        &mut self,
        path: &str,
        dump: &[Value],
        rows: &[TableRow],
        codepage: u32,
        depth: usize,
    ) {
        let name = self.name;
        let level = (depth, LevelKind::Recipient);
        self.instance_keys_unique(rows.iter().map(|r| {
            (
                join_path(path, &format!("recip#{:08X}", r.key)),
                r.props.as_slice(),
            )
        }));
        let mut matched = BTreeSet::new();
        for recipient in dump {
            let Some(number) = storage_number(recipient) else {
                self.report.diffs.push(format!(
                    "{path}: a dump recipient without a storage number: {}",
                    short(&recipient.to_string())
                ));
                continue;
            };
            let at = join_path(path, &format!("recip#{number:08X}"));
            let Some(row) = rows.iter().find(|r| r.key == number) else {
                self.note(
                    &at,
                    Target::Row,
                    &[],
                    "in the dump but not in the recipient table".into(),
                );
                continue;
            };
            matched.insert(number);
            self.report.recipients += 1;
            let expected = expected_of(name, recipient);
            let expected_tags: BTreeSet<u32> = expected.iter().map(|e| e.tag).collect();
            for exp in &expected {
                let rules = exp.rules();
                let problem = match row.props.iter().find(|(t, _)| *t == exp.tag) {
                    Some((_, v)) => value_eq(v, exp, codepage)
                        .err()
                        .map(|e| format!("{} value: {e}", exp.type_name())),
                    None => {
                        let other = row
                            .props
                            .iter()
                            .find(|(t, _)| prop_id(*t) == prop_id(exp.tag))
                            .map(|(t, _)| format!(" (the row has 0x{t:08X})"))
                            .unwrap_or_default();
                        let large = exp
                            .entry
                            .get("len")
                            .and_then(Value::as_u64)
                            .filter(|&len| len > GETPROPS_LIMIT)
                            .map(|len| format!(" ({len} bytes: table rows leave out values over GETPROPS_LIMIT)"))
                            .unwrap_or_default();
                        Some(format!(
                            "{} {}not in the table row{other}{large}",
                            exp.type_name(),
                            if rules.is_empty() {
                                String::new()
                            } else {
                                format!("[{}] ", rules.join(","))
                            }
                        ))
                    }
                };
                match problem {
                    None => {
                        *self.report.compared.entry(level).or_default() += 1;
                        if prop_id(exp.tag) >= FIRST_NAMED_ID {
                            *self.report.named_values.entry(level).or_default() += 1;
                        }
                    }
                    Some(what) => self.note(&at, Target::Tag(exp.tag), &rules, what),
                }
            }
            // Computed columns the row adds when the recipient stores none.
            for (tag, value) in row.props.iter().filter(|(t, _)| !expected_tags.contains(t)) {
                let same_id_expected = expected_tags.iter().any(|&t| prop_id(t) == prop_id(*tag));
                let check = match (*tag, value) {
                    (PR_ROWID, PropValue::Long(v)) if *v as u32 == number => Some(Ok(())),
                    (PR_ROWID, v) => Some(Err(format!(
                        "PR_ROWID {v:?}, the storage number is {number}"
                    ))),
                    (PR_OBJECT_TYPE, PropValue::Long(v)) if *v == MAPI_MAILUSER as i32 => {
                        Some(Ok(()))
                    }
                    (PR_OBJECT_TYPE, v) => {
                        Some(Err(format!("PR_OBJECT_TYPE {v:?}, want MAPI_MAILUSER")))
                    }
                    // Unique among the rows: checked for the whole table above.
                    (PR_INSTANCE_KEY, PropValue::Binary(_)) => Some(Ok(())),
                    _ => None,
                };
                match check {
                    Some(Ok(())) if !same_id_expected => {
                        self.report.computed_extras.push(("recipient row", *tag))
                    }
                    Some(Err(e)) => {
                        self.note(&at, Target::Tag(*tag), &[], format!("computed column: {e}"))
                    }
                    _ => self.note(
                        &at,
                        Target::Tag(*tag),
                        &[],
                        format!(
                            "in the table row but not in the dump: {}",
                            short(&format!("{value:?}"))
                        ),
                    ),
                }
            }
        }
        for row in rows.iter().filter(|r| !matched.contains(&r.key)) {
            let at = join_path(path, &format!("recip#{:08X}", row.key));
            self.note(
                &at,
                Target::Row,
                &[],
                format!(
                    "in the recipient table but not in the dump ({} columns)",
                    row.props.len()
                ),
            );
        }
    }

    /// An attachment's table row against what the opened attachment answers: the same
    /// values and its number (`PR_INSTANCE_KEY`, and `PR_RECORD_KEY` when the attachment has
    /// none, are the table's own).
    fn attachment_row(
        &mut self,
        at: &str,
        num: u32,
        row: &[(u32, PropValue)],
        props: &ObservedProps,
    ) {
        for (tag, value) in row {
            let problem = match (*tag, value, props.values.get(tag)) {
                (PR_ATTACH_NUM, PropValue::Long(v), _) if *v as u32 == num => None,
                (PR_ATTACH_NUM, v, _) => Some(format!(
                    "the row's PR_ATTACH_NUM is {v:?}, the attachment is number {num}"
                )),
                // The table's own key for the row (unique among its rows, checked apart);
                // the attachment object may answer the one its file stores.
                (PR_INSTANCE_KEY, PropValue::Binary(key), _) if !key.is_empty() => None,
                (_, v, Some(Ok(w))) if v == w => None,
                // A key the table gives when the attachment answers none.
                (PR_RECORD_KEY, PropValue::Binary(key), None | Some(Err(_))) if !key.is_empty() => {
                    None
                }
                (_, v, other) => Some(format!(
                    "the table row has {}, GetProps {}",
                    short(&format!("{v:?}")),
                    short(&format!("{other:?}"))
                )),
            };
            if let Some(what) = problem {
                self.note(
                    at,
                    Target::Tag(*tag),
                    &[],
                    format!("attachment table row: {what}"),
                );
            }
        }
    }

    /// Every row of a table must have a `PR_INSTANCE_KEY` no other row has.
    fn instance_keys_unique<'r>(
        &mut self,
        rows: impl Iterator<Item = (String, &'r [(u32, PropValue)])>,
    ) {
        let rows: Vec<(String, Option<&PropValue>)> = rows
            .map(|(at, props)| {
                let key = props
                    .iter()
                    .find(|(t, _)| *t == PR_INSTANCE_KEY)
                    .map(|(_, v)| v);
                (at, key)
            })
            .collect();
        for (at, key) in &rows {
            let problem = match key {
                Some(PropValue::Binary(k)) if !k.is_empty() => {
                    let twins: Vec<&str> = rows
                        .iter()
                        .filter(|(other, other_key)| other != at && other_key == key)
                        .map(|(other, _)| other.as_str())
                        .collect();
                    (!twins.is_empty()).then(|| {
                        format!(
                            "PR_INSTANCE_KEY {} is also the key of {}",
                            to_hex(k),
                            twins.join(", ")
                        )
                    })
                }
                other => Some(format!("the table row has no PR_INSTANCE_KEY ({other:?})")),
            };
            if let Some(what) = problem {
                let what = format!("{what} (a table's instance keys must be unique)");
                self.note(at, Target::Tag(PR_INSTANCE_KEY), &[], what);
            }
        }
    }

    fn attachments(
        &mut self,
        path: &str,
        dump: &[Value],
        observed: &[ObservedAttach],
        codepage: u32,
        depth: usize,
    ) {
        let by_number: BTreeMap<u32, &Value> = dump
            .iter()
            .filter_map(|a| Some((storage_number(a)?, a)))
            .collect();
        if by_number.len() != dump.len() {
            self.report.diffs.push(format!(
                "{path}: dump attachments without (distinct) storage numbers"
            ));
        }
        self.instance_keys_unique(observed.iter().filter_map(|a| {
            let at = join_path(path, &format!("attach#{:08X}", a.num));
            Some((at, a.row.as_deref()?))
        }));
        for attach in observed {
            let at = join_path(path, &format!("attach#{:08X}", attach.num));
            let dump_attach = by_number.get(&attach.num).copied();
            let Some(dump_attach) = dump_attach else {
                self.note(
                    &at,
                    Target::Row,
                    &[],
                    "in the attachment table but not in the dump".into(),
                );
                continue;
            };
            let Some(row) = &attach.row else {
                let opened = match &attach.opened {
                    Ok(_) => "OpenAttach opens it".to_string(),
                    Err(e) => format!("OpenAttach: {e}"),
                };
                self.note(
                    &at,
                    Target::Row,
                    &[],
                    format!("in the dump but not in the attachment table ({opened})"),
                );
                continue;
            };
            let opened = match &attach.opened {
                Ok(opened) => opened,
                Err(e) => {
                    self.note(&at, Target::Open, &[], format!("OpenAttach fails: {e}"));
                    continue;
                }
            };
            self.report.attachments += 1;
            self.attachment_row(&at, attach.num, row, &opened.props);
            let owner = Owner::Attachment {
                num: attach.num,
                unicode: opened.unicode,
                data_len: opened
                    .data
                    .as_ref()
                    .and_then(|d| d.as_ref().ok())
                    .map(|d| d.len),
            };
            self.props(
                &at,
                dump_attach,
                codepage,
                owner,
                &opened.props,
                opened.data.as_ref(),
                (depth, LevelKind::Attachment),
            );
            let embedded_at = join_path(&at, "embedded");
            match (dump_attach.get("embedded_message"), &opened.embedded) {
                (Some(dump_message), Some(Ok(message))) => {
                    self.report.embedded += 1;
                    self.message(&embedded_at, dump_message, message, depth + 1);
                }
                (Some(_), Some(Err(e))) => self.note(
                    &embedded_at,
                    Target::Open,
                    &[],
                    format!("the embedded message cannot be opened: {e}"),
                ),
                (Some(_), None) => self.report.diffs.push(format!("{embedded_at}: not opened")),
                (None, Some(Ok(_))) => self.note(
                    &embedded_at,
                    Target::Row,
                    &[],
                    "opens as an embedded message; the dump has none".into(),
                ),
                // An OLE storage, or nothing: refusing IID_IMessage is right.
                (None, Some(Err(_)) | None) => {}
            }
        }
    }
}

impl Comparison<'_> {
    /// The file's named-property map (as the top-level message enumerates it) against the
    /// dump's `named_properties`, every name looked up again by name and by id, and each
    /// embedded message's map against the file's (one map per file).
    fn name_maps(&mut self, dump: &Value, observed: &ObservedMessage) {
        let ours = match &observed.names {
            Ok(ours) => ours,
            Err(e) => {
                let what = format!("GetNamesFromIDs (enumerate all) fails: {e}");
                self.note("", Target::Names, &[], what);
                return;
            }
        };
        let mut problems = name_map_diffs(dump, ours);
        problems.extend(observed.names_round_trip.iter().cloned());
        if problems.is_empty() {
            self.report.name_map = Some(ours.len());
        } else {
            let what = format!(
                "{} difference(s) from the dump's named_properties: {}",
                problems.len(),
                problems
                    .iter()
                    .take(6)
                    .map(|p| short(p))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            self.note("", Target::Names, &[], what);
        }
        self.embedded_name_maps("", observed, ours);
    }

    fn embedded_name_maps(&mut self, path: &str, message: &ObservedMessage, file: &[(u32, Name)]) {
        for a in message.attachments.iter().flatten() {
            let Ok(opened) = &a.opened else { continue };
            let Some(Ok(inner)) = &opened.embedded else {
                continue;
            };
            let at = join_path(path, &format!("attach#{:08X}/embedded", a.num));
            let mut problems: Vec<String> = match &inner.names {
                Ok(names) if names.as_slice() == file => Vec::new(),
                Ok(names) => vec![format!(
                    "answers a map of {} entries, the file's has {}",
                    names.len(),
                    file.len()
                )],
                Err(e) => vec![format!("GetNamesFromIDs (enumerate all) fails: {e}")],
            };
            problems.extend(inner.names_round_trip.iter().cloned());
            if problems.is_empty() {
                self.report.embedded_maps += 1;
            } else {
                self.note(&at, Target::Names, &[], problems.join("; "));
            }
            self.embedded_name_maps(&at, inner, file);
        }
    }
}

/// One entry of the dump's `named_properties`: its property id and its name.
fn dump_name_entry(entry: &Value) -> Result<(u32, String, NameKind), String> {
    let prop_id = entry["prop_id"]
        .as_str()
        .and_then(parse_tag)
        .ok_or("no prop_id")?;
    let guid = entry["guid"]
        .as_str()
        .ok_or("no guid")?
        .to_ascii_lowercase();
    let kind = match entry["kind"].as_str() {
        Some("id") => NameKind::Id(entry["id"].as_str().and_then(parse_tag).ok_or("no id")?),
        Some("name") => NameKind::String(utf16_of(
            entry["name"]
                .as_str()
                .ok_or("the dump could not read the name")?,
        )),
        other => return Err(format!("unknown kind {other:?}")),
    };
    Ok((prop_id, guid, kind))
}

/// Our map against the dump's `named_properties`: the entries in id order (id, GUID,
/// numeric or string name, the tag typed `PT_UNSPECIFIED`), and the dump's GUID stream
/// against the property sets our entries use, in order of first use, without `PS_MAPI` and
/// `PS_PUBLIC_STRINGS` (what the file's GUID stream holds, `spec/msg-format.md` §9.1).
fn name_map_diffs(dump: &Value, ours: &[(u32, Name)]) -> Vec<String> {
    let mut diffs = Vec::new();
    let entries = dump["entries"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if entries.len() != ours.len() {
        diffs.push(format!(
            "{} entries, the dump has {}",
            ours.len(),
            entries.len()
        ));
    }
    for (i, (entry, (tag, name))) in entries.iter().zip(ours).enumerate() {
        let problem = match dump_name_entry(entry) {
            Err(e) => Some(format!("dump entry {i}: {e}")),
            Ok((id, guid, kind)) => {
                let ours_text = format!("0x{:04X} {}", prop_id(*tag), describe_name(name));
                let theirs = format!("0x{id:04X} {}", describe_kind(&guid, &kind));
                (u32::from(prop_id(*tag)) != id
                    || prop_type(*tag) != PT_UNSPECIFIED
                    || guid_text(&name.guid) != guid
                    || name.kind != kind)
                    .then(|| {
                        format!("entry {i}: ours 0x{tag:08X} = {ours_text}, the dump's {theirs}")
                    })
            }
        };
        diffs.extend(problem);
    }
    let mut used: Vec<String> = Vec::new();
    for (_, name) in ours {
        let text = guid_text(&name.guid);
        if name.guid != PS_MAPI && name.guid != PS_PUBLIC_STRINGS && !used.contains(&text) {
            used.push(text);
        }
    }
    let guids: Vec<String> = dump["guids"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|g| g.as_str().unwrap_or("?").to_ascii_lowercase())
        .collect();
    if used != guids {
        diffs.push(format!(
            "property sets used {used:?}, the dump's GUID stream {guids:?}"
        ));
    }
    diffs
}

// ===== the test =====

/// Totals over the corpus.
#[derive(Default)]
struct Totals {
    compared: BTreeMap<Level, usize>,
    converted: usize,
    recipients: usize,
    attachments: usize,
    data_hashes: usize,
    embedded: usize,
    /// Computed extras: objects per (kind, tag).
    extras: BTreeMap<(&'static str, u32), usize>,
    named_values: BTreeMap<Level, usize>,
    /// Files whose name map equals the dump's, and their entries.
    name_maps: usize,
    name_entries: usize,
    embedded_maps: usize,
}

impl Totals {
    fn add(&mut self, report: &FileReport) {
        for (level, n) in &report.compared {
            *self.compared.entry(*level).or_default() += n;
        }
        self.converted += report.converted;
        self.recipients += report.recipients;
        self.attachments += report.attachments;
        self.data_hashes += report.data_hashes;
        self.embedded += report.embedded;
        for &extra in &report.computed_extras {
            *self.extras.entry(extra).or_default() += 1;
        }
        for (level, n) in &report.named_values {
            *self.named_values.entry(*level).or_default() += n;
        }
        if let Some(n) = report.name_map {
            self.name_maps += 1;
            self.name_entries += n;
        }
        self.embedded_maps += report.embedded_maps;
    }
}

/// Counts of a dump's message tree: recipients, attachments, embedded messages.
fn dump_counts(message: &Value) -> (usize, usize, usize) {
    let recipients = message["recipients"].as_array().map_or(0, Vec::len);
    let attachments = message["attachments"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut out = (recipients, attachments.len(), 0);
    for a in attachments {
        if let Some(inner) = a.get("embedded_message") {
            let (r, n, e) = dump_counts(inner);
            out = (out.0 + r, out.1 + n, out.2 + e + 1);
        }
    }
    out
}

/// Named values (ids from 0x8000) of a dump's message tree, at every level.
fn dump_named_values(message: &Value) -> usize {
    let named = |object: &Value| {
        dump_tags(object)
            .into_iter()
            .filter(|&t| prop_id(t) >= FIRST_NAMED_ID)
            .count()
    };
    let list = |key: &str| {
        message[key]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .to_vec()
    };
    let mut n = named(message);
    n += list("recipients").iter().map(named).sum::<usize>();
    for a in list("attachments") {
        n += named(&a);
        if let Some(inner) = a.get("embedded_message") {
            n += dump_named_values(inner);
        }
    }
    n
}

/// Warnings of the observed tree (top-level and embedded messages), with their paths.
fn all_warnings(path: &str, message: &ObservedMessage, out: &mut Vec<String>) {
    out.extend(message.warnings.iter().map(|w| join_path(path, w)));
    for a in message.attachments.iter().flatten() {
        if let Ok(opened) = &a.opened
            && let Some(Ok(inner)) = &opened.embedded
        {
            all_warnings(
                &format!(
                    "{}/embedded",
                    join_path(path, &format!("attach#{:08X}", a.num))
                ),
                inner,
                out,
            );
        }
    }
}

#[test]
fn corpus_matches_independent_reader() {
    let dir = corpus_dir();
    if !dir.join("msg").is_dir() {
        println!(
            "corpus: {} is absent; skipping the corpus tier",
            dir.display()
        );
        return;
    }
    let allowlist_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus-allowlist.txt");
    let mut allowlist = load_allowlist(&allowlist_path);
    let mut files: Vec<String> = std::fs::read_dir(dir.join("msg"))
        .expect("corpus msg folder")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.to_ascii_lowercase().ends_with(".msg"))
        .collect();
    files.sort();
    for line in &allowlist {
        assert!(
            line.file == "*" || files.contains(&line.file),
            "corpus-allowlist.txt:{}: no corpus file {:?}",
            line.line,
            line.file
        );
    }

    let (mut exact, mut allowed_files, mut failing, mut not_opened) = (0, 0, 0, 0);
    let mut totals = Totals::default();
    let mut dump_totals = (0, 0, 0);
    let mut dump_name_entries = 0;
    let mut dump_named = 0;
    let mut fuzz_lines = Vec::new();
    let mut fuzz_failures = Vec::new();
    let started = Instant::now();
    println!("per file:");
    for name in &files {
        let stem = name.strip_suffix(".msg").unwrap_or(name);
        let json_path = dir.join("expected").join(format!("{stem}.json"));
        let json = load_json(&json_path);
        let dump = &json["message"];
        assert!(
            dump["properties"].is_object(),
            "{}: no message.properties",
            json_path.display()
        );
        let path = dir.join("msg").join(name);
        let fuzz = is_fuzzer_file(name);
        let t0 = Instant::now();
        let outcome = observe_bounded(&path, dump);
        let took = t0.elapsed();

        match outcome {
            Outcome::Read(observed) => {
                let mut comparison = Comparison {
                    name,
                    allowlist: &mut allowlist,
                    report: FileReport::default(),
                };
                comparison.message("", dump, &observed, 0);
                comparison.name_maps(&json["named_properties"], &observed);
                let report = comparison.report;
                let mut warnings = Vec::new();
                all_warnings("", &observed, &mut warnings);

                if fuzz {
                    let expected = dump["properties"].as_object().map_or(0, |p| p.len());
                    fuzz_lines.push(format!(
                        "{name}: read its readable part in {took:.2?}: {} top-level properties listed, {} top-level dump entries; {}; {} allowlisted, {} unexplained differences; {} reader warnings",
                        observed.props.listed.len(),
                        expected,
                        report.counts(),
                        report.allowed.len(),
                        report.diffs.len(),
                        warnings.len()
                    ));
                    for d in report.diffs.iter() {
                        fuzz_lines.push(format!("    differs: {d}"));
                    }
                    if std::env::var_os("CORPUS_VERBOSE").is_some() {
                        for a in report.allowed.iter() {
                            fuzz_lines.push(format!("    allowed: {a}"));
                        }
                    }
                    for w in warnings.iter() {
                        fuzz_lines.push(format!("    warning: {w}"));
                    }
                    continue;
                }
                let counts = dump_counts(dump);
                dump_named += dump_named_values(dump);
                dump_name_entries += json["named_properties"]["entries"]
                    .as_array()
                    .map_or(0, Vec::len);
                dump_totals = (
                    dump_totals.0 + counts.0,
                    dump_totals.1 + counts.1,
                    dump_totals.2 + counts.2,
                );
                totals.add(&report);
                if !report.diffs.is_empty() {
                    failing += 1;
                    println!("FAIL {name}: {}", report.counts());
                    for d in &report.diffs {
                        println!("    {d}");
                    }
                    for a in &report.allowed {
                        println!("    allowed {a}");
                    }
                } else if !report.allowed.is_empty() {
                    allowed_files += 1;
                    println!("ok (allowlisted) {name}: {}", report.counts());
                    for a in &report.allowed {
                        println!("    allowed {a}");
                    }
                } else {
                    exact += 1;
                    println!("ok {name}: {}", report.counts());
                }
            }
            Outcome::Refused(message) if fuzz => {
                fuzz_lines.push(format!(
                    "{name}: refused with an error in {took:.2?}: {message}"
                ));
            }
            Outcome::Refused(message) => {
                match allow(&mut allowlist, name, "", Target::Open, &[], &message) {
                    Some(reason) => {
                        not_opened += 1;
                        println!("not opened (allowlisted) {name}: {message} ({reason})");
                    }
                    None => {
                        failing += 1;
                        println!("FAIL {name}: cannot be read: {message}");
                    }
                }
            }
            Outcome::Panicked(message) => {
                let line = format!("{name}: PANICKED: {message}");
                println!("FAIL {line}");
                if fuzz {
                    fuzz_failures.push(line);
                } else {
                    failing += 1;
                }
            }
            Outcome::TimedOut => {
                let line = format!("{name}: did not finish within {TIME_BOUND:?}");
                println!("FAIL {line}");
                if fuzz {
                    fuzz_failures.push(line);
                } else {
                    failing += 1;
                }
            }
        }
    }

    println!("\nfuzzer-damaged files:");
    for line in &fuzz_lines {
        println!("  {line}");
    }
    for line in &fuzz_failures {
        println!("  {line}");
    }

    println!("\nallowlist entries used:");
    let mut unused = Vec::new();
    for line in &allowlist {
        if line.used.is_empty() {
            unused.push(format!(
                "corpus-allowlist.txt:{}: `{} | {}` was not used",
                line.line,
                line.file,
                line.what()
            ));
            continue;
        }
        println!(
            "  line {} `{} | {}` ({}), used {} time(s):",
            line.line,
            line.file,
            line.what(),
            line.reason,
            line.used.len()
        );
        for u in line.used.iter().take(8) {
            println!("      {}", short(u));
        }
        if line.used.len() > 8 {
            println!("      … and {} more", line.used.len() - 8);
        }
    }

    let extras_text: Vec<String> = totals
        .extras
        .iter()
        .map(|((kind, tag), n)| format!("{kind} 0x{tag:08X} on {n}"))
        .collect();
    println!(
        "\ncomputed properties added where the object stores none (allowed by rule, values checked): {}",
        if extras_text.is_empty() {
            "none".to_string()
        } else {
            extras_text.join(", ")
        }
    );

    let fuzz_count = files.iter().filter(|n| is_fuzzer_file(n)).count();
    let compared_total: usize = totals.compared.values().sum();
    let named_total: usize = totals.named_values.values().sum();
    println!(
        "\nnamed values (ids from 0x8000) compared equal, by level (in the {} non-fuzzer files):",
        files.len() - fuzz_count
    );
    for (level, n) in &totals.named_values {
        println!("  {n:6} {}", level_name(*level));
    }
    println!(
        "\nname maps: {} of {} equal to the dumps' named_properties, {} entries (of the dumps' {}), \
         each name found again by name and by id; {} of {} embedded messages answer with their file's map; \
         {named_total} of the dumps' {dump_named} named values compared equal (the rest are allowlisted differences)",
        totals.name_maps,
        files.len() - fuzz_count,
        totals.name_entries,
        dump_name_entries,
        totals.embedded_maps,
        dump_totals.2,
    );
    println!(
        "\nproperties compared equal, by level (in the {} non-fuzzer files):",
        files.len() - fuzz_count
    );
    for (level, n) in &totals.compared {
        println!("  {n:6} {}", level_name(*level));
    }
    println!(
        "\ncorpus summary: {exact} files matched exactly, {allowed_files} matched with allowlisted differences, \
         {failing} failing, {not_opened} not opened (allowlisted), {fuzz_count} fuzzer-damaged (reported above); \
         {} files in total; in the {} other files: {compared_total} properties compared equal \
         (value, and flags except on recipient rows), {} 8-bit strings also equal as PT_UNICODE, \
         {} of the dumps' {} recipients compared, {} of {} attachments compared ({} data hashes equal), \
         {} of {} embedded messages compared; {:.1?}",
        files.len(),
        files.len() - fuzz_count,
        totals.converted,
        totals.recipients,
        dump_totals.0,
        totals.attachments,
        dump_totals.1,
        totals.data_hashes,
        totals.embedded,
        dump_totals.2,
        started.elapsed()
    );
    assert!(
        unused.is_empty(),
        "stale allowlist lines:\n{}",
        unused.join("\n")
    );
    assert!(
        fuzz_failures.is_empty(),
        "fuzzer files crashed or hung:\n{}",
        fuzz_failures.join("\n")
    );
    assert_eq!(
        failing, 0,
        "{failing} corpus files have unexplained differences (see above)"
    );
}

#[test]
fn lone_surrogates_survive_the_json_reader() {
    // Escaped lone high and low surrogates, a proper pair, and a raw WTF-8 surrogate.
    let mut raw = br#"{"a": "x\ud800y\udc01z\ud83d\ude00", "b": "\\ud800", "c": ""#.to_vec();
    raw.extend_from_slice(&[0xED, 0xB0, 0x80]);
    raw.extend_from_slice(br#""}"#);
    let v: Value = serde_json::from_str(&protect_lone_surrogates(&raw)).unwrap();
    assert_eq!(
        utf16_of(v["a"].as_str().unwrap()),
        vec![0x78, 0xD800, 0x79, 0xDC01, 0x7A, 0xD83D, 0xDE00]
    );
    assert_eq!(utf16_of(v["b"].as_str().unwrap()), utf16_of("\\ud800"));
    assert_eq!(utf16_of(v["c"].as_str().unwrap()), vec![0xDC00]);
    assert_eq!(
        guid_text(&[
            0x0B, 0x0D, 0x02, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46
        ]),
        "00020d0b-0000-0000-c000-000000000046"
    );
}

#[test]
fn value_comparison_sees_differences() {
    let dump = |text: &str| -> serde_json::Map<String, Value> {
        serde_json::from_str::<Value>(text)
            .unwrap()
            .as_object()
            .unwrap()
            .clone()
    };
    let check = |tag: u32, entry: &str, value: PropValue| {
        let entry = dump(entry);
        value_eq(&value, &Expected { tag, entry: &entry }, 1252)
    };
    let w = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
    let s = r#"{"type": "PtypString", "value": "ab"}"#;
    assert!(check(0x0037_001F, s, PropValue::Unicode(w("ab"))).is_ok());
    assert!(check(0x0037_001F, s, PropValue::Unicode(w("ab\u{0}"))).is_err());
    let s8 = r#"{"type": "PtypString8", "hex": "e9", "value": "é"}"#;
    assert!(check(0x0037_001E, s8, PropValue::String8(vec![0xE9])).is_ok());
    assert!(check(0x0037_001E, s8, PropValue::String8(vec![0xC3, 0xA9])).is_err());
    let bin = r#"{"type": "PtypBinary", "len": 3, "sha256": "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"}"#;
    assert!(check(0x1009_0102, bin, PropValue::Binary(vec![1, 2, 3])).is_ok());
    assert!(check(0x1009_0102, bin, PropValue::Binary(vec![1, 2, 4])).is_err());
    let time = r#"{"type": "PtypTime", "filetime": 128262877735000000, "value": "2007-06-14T09:42:53.5Z"}"#;
    assert!(
        check(
            0x0039_0040,
            time,
            PropValue::SysTime(128_262_877_735_000_000)
        )
        .is_ok()
    );
    assert!(
        check(
            0x0039_0040,
            time,
            PropValue::SysTime(128_262_877_735_000_001)
        )
        .is_err()
    );
    let guid = r#"{"type": "PtypGuid", "value": "00020d0b-0000-0000-c000-000000000046"}"#;
    let mut g = [0u8; 16];
    g[..4].copy_from_slice(&0x0002_0D0Bu32.to_le_bytes());
    g[8] = 0xC0;
    g[15] = 0x46;
    assert!(check(0x8000_0048, guid, PropValue::Clsid(g)).is_ok());
    g[15] = 0x47;
    assert!(check(0x8000_0048, guid, PropValue::Clsid(g)).is_err());
    let b = r#"{"type": "PtypBoolean", "value": true}"#;
    assert!(check(0x0E1B_000B, b, PropValue::Boolean(true)).is_ok());
    assert!(check(0x0E1B_000B, b, PropValue::Boolean(false)).is_err());
    let e = r#"{"type": "PtypErrorCode", "value": "0x8004010F"}"#;
    assert!(check(0x8000_000A, e, PropValue::Error(0x8004_010F_u32 as i32)).is_ok());
    assert!(check(0x8000_000A, e, PropValue::Error(0)).is_err());
    let nan = r#"{"type": "PtypFloating64", "value": "NaN"}"#;
    assert!(check(0x8000_0005, nan, PropValue::Double(f64::NAN)).is_ok());
    assert!(check(0x8000_0005, nan, PropValue::Double(0.0)).is_err());
    let mv = r#"{"type": "PtypMultipleInteger32", "values": [0, 3]}"#;
    assert!(check(0x8016_1003, mv, PropValue::MvLong(vec![0, 3])).is_ok());
    assert!(check(0x8016_1003, mv, PropValue::MvLong(vec![0, 3, 4])).is_err());
    let mvs8 = r#"{"type": "PtypMultipleString8", "values": ["é", "b"]}"#;
    assert!(
        check(
            0x800A_101E,
            mvs8,
            PropValue::MvString8(vec![vec![0xE9], b"b".to_vec()])
        )
        .is_ok()
    );
    assert!(
        check(
            0x800A_101E,
            mvs8,
            PropValue::MvString8(vec![b"e".to_vec(), b"b".to_vec()])
        )
        .is_err()
    );
}

#[test]
fn allowlist_lines_name_objects_exactly() {
    let ok = |what: &str| split_what(what).unwrap();
    assert_eq!(ok("0x0037001F"), (String::new(), "0x0037001F".to_string()));
    assert_eq!(
        ok("0x0037001E/unicode"),
        (String::new(), "0x0037001E/unicode".to_string())
    );
    assert_eq!(
        ok("attach#00000000/embedded/recip#0000000A/0x3001001E/unicode"),
        (
            "attach#00000000/embedded/recip#0000000A".to_string(),
            "0x3001001E/unicode".to_string()
        )
    );
    assert_eq!(
        ok("attach#00000001/open"),
        ("attach#00000001".to_string(), "open".to_string())
    );
    assert_eq!(ok("raw"), (String::new(), "raw".to_string()));
    assert_eq!(ok("names"), (String::new(), "names".to_string()));
    assert_eq!(
        ok("attach#00000001/embedded/names"),
        ("attach#00000001/embedded".to_string(), "names".to_string())
    );
    assert!(Target::Names.matches("names") && !Target::Names.matches("row"));
    // Storage numbers have eight hex digits; rules take no path; targets are known.
    assert!(split_what("attach#0/0x3001001F").is_err());
    assert!(split_what("attachments[0]/0x3001001F").is_err());
    assert!(split_what("recip#00000000/raw").is_err());
    assert!(split_what("attach#00000000/subject").is_err());
    assert!(split_what("unicode").is_err());
    // A target matches its own object only.
    assert!(Target::Tag(0x3001_001F).matches("0x3001001F"));
    assert!(!Target::Tag(0x3001_001F).matches("0x3001001E"));
    assert!(Target::Unicode(0x3001_001E).matches("0x3001001E/unicode"));
    assert!(Target::Row.matches("row") && !Target::Open.matches("row"));
    let mut list = vec![AllowLine {
        line: 1,
        file: "a.msg".into(),
        path: "attach#00000000".into(),
        target: "0x0E200003".into(),
        reason: "r".into(),
        used: Vec::new(),
    }];
    assert!(allow(&mut list, "a.msg", "", Target::Tag(0x0E20_0003), &[], "x").is_none());
    assert!(
        allow(
            &mut list,
            "a.msg",
            "attach#00000001",
            Target::Tag(0x0E20_0003),
            &[],
            "x"
        )
        .is_none()
    );
    assert!(
        allow(
            &mut list,
            "a.msg",
            "attach#00000000",
            Target::Tag(0x0E20_0003),
            &[],
            "x"
        )
        .is_some()
    );
    assert_eq!(list[0].used.len(), 1);
}
