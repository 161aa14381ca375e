//! `imsg dump`: a `.msg` file as the JSON shape of `../shared/corpus/README.md`, read
//! through the library's C API.
//!
//! Where each part comes from:
//! - properties of messages and attachments: `GetPropList`, `GetProps` (in the message's
//!   own string width, `STORE_UNICODE_OK` in its `PR_STORE_SUPPORT_MASK`, so values come
//!   as stored, and with `MAPI_UNICODE` for the decoded text of 8-bit strings),
//!   `GetAttribIMsgOnIStg` for `flags`, values too large for `GetProps` and attachment
//!   data through `OpenProperty(IID_IStream)`;
//! - recipients: the rows of `GetRecipientTable` with every column
//!   (`QueryColumns(TBL_ALL_COLUMNS)`); a table row has no `PROPATTR_*` flags, so their
//!   `flags` are read from the recipient storage's property stream through `IStorage`;
//! - attachments: `GetAttachmentTable`, `OpenAttach`, embedded messages through
//!   `OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage)`;
//! - the named-property map: `GetNamesFromIDs` (enumerate-all form);
//! - what MAPI has no call for, through `IStorage` (`StgOpenStorage`'s object, and
//!   `OpenProperty(PR_ATTACH_DATA_OBJ, IID_IStorage)` for embedded messages): the
//!   property-stream header counts, the root class (`Stat`), the hash-bucket streams of
//!   the name map, storage entries outside the message's namespace; the compound file's
//!   version and sector size from the file's first bytes;
//! - `string8_codepage`: the library's documented rule applied to the message's
//!   properties (the API has no call that tells the code page).
//!
//! One addition to the corpus shape: an OLE attachment (`ATTACH_OLE`) gets
//! `"object_storage": {"clsid", "entries"}`, its object's storage as `unexpected_entries`
//! give a storage, so that `create` can rebuild it.
//!
//! Not in the output: value streams that no property-stream entry lists
//! (`orphan_stream`) and entries of unknown types (`raw`, `missing_stream`), which are
//! not properties of the object the API shows; `warnings` lists what the tool could not
//! read, not the file's deviations from the spec (the library does not report those).

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::{Map, Value, json};

use crate::api::{self, ApiError, Attach, Message, NameKind, PropName, Session, Storage};
use crate::blobs::BlobStore;
use crate::shape::{self, guid_text, hex};
use crate::value::{PVal, prop_id, prop_type, with_type};
use imessage::consts::*;

pub const PR_ATTACH_DATA_BIN: u32 = 0x3701_0102;
pub const PR_ATTACH_DATA_OBJ: u32 = 0x3701_000D;
pub const PR_ATTACH_METHOD: u32 = 0x3705_0003;
pub const PR_ATTACH_NUM: u32 = 0x0E21_0003;
pub const PR_ROWID: u32 = 0x3000_0003;
pub const PR_STORE_SUPPORT_MASK: u32 = 0x340D_0003;
pub const PR_MESSAGE_CODEPAGE: u32 = 0x3FFD_0003;
pub const PR_INTERNET_CPID: u32 = 0x3FDE_0003;
pub const PR_MESSAGE_LOCALE_ID: u32 = 0x3FF1_0003;
pub const PS_MAPI: [u8; 16] = guid_bytes(0x0002_0328);
pub const PS_PUBLIC_STRINGS: [u8; 16] = guid_bytes(0x0002_0329);

/// `{XXXXXXXX-0000-0000-C000-000000000046}` as bytes.
const fn guid_bytes(d1: u32) -> [u8; 16] {
    let b = d1.to_le_bytes();
    [
        b[0], b[1], b[2], b[3], 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ]
}

/// Binaries up to this size are given as `hex`, larger ones as `sha256` + `len`.
const HEX_LIMIT: usize = 4096;
/// Embedded messages nested deeper than this are not opened.
const MAX_DEPTH: usize = 64;

pub const ROOT_PROPS: &str = "__properties_version1.0";
pub const NAMEID: &str = "__nameid_version1.0";

/// Why a file could not be dumped at all.
#[derive(Debug)]
pub enum DumpError {
    Io(std::io::Error),
    NotCompound,
    Api(ApiError),
}

impl std::fmt::Display for DumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DumpError::Io(e) => write!(f, "{e}"),
            DumpError::NotCompound => write!(f, "not a compound file (no OLE2 signature)"),
            DumpError::Api(e) => write!(f, "{e}"),
        }
    }
}

impl From<ApiError> for DumpError {
    fn from(e: ApiError) -> Self {
        DumpError::Api(e)
    }
}

/// State shared while one file is dumped.
pub struct Dumper<'a> {
    /// The string width of the message being dumped (each message has its own).
    unicode: bool,
    /// `"<guid>:id:0x..."` / `"<guid>:name:..."` by property id.
    named: BTreeMap<u32, String>,
    blobs: &'a mut BlobStore,
    warnings: Vec<String>,
}

fn width_flag(unicode: bool) -> ULONG {
    if unicode { MAPI_UNICODE } else { 0 }
}

/// A string tag in the other width (8-bit to Unicode).
fn widened(tag: u32) -> u32 {
    match prop_type(tag) {
        PT_STRING8 => with_type(tag, PT_UNICODE),
        PT_MV_STRING8 => with_type(tag, PT_MV_UNICODE),
        _ => tag,
    }
}

pub fn utf16(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

/// (entries: tag, flags) of a property stream, after its header.
fn property_stream_entries(bytes: &[u8], header: usize) -> Vec<(u32, u32)> {
    bytes
        .get(header..)
        .unwrap_or_default()
        .chunks_exact(16)
        .map(|e| {
            (
                u32::from_le_bytes([e[0], e[1], e[2], e[3]]),
                u32::from_le_bytes([e[4], e[5], e[6], e[7]]),
            )
        })
        .collect()
}

fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}

/// What the file's first sector says: (major version, sector size).
fn cfb_header(path: &str) -> Result<(u16, u32), DumpError> {
    let mut head = [0u8; 32];
    let mut f = std::fs::File::open(path).map_err(DumpError::Io)?;
    f.read_exact(&mut head).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => DumpError::NotCompound,
        _ => DumpError::Io(e),
    })?;
    if head[..8] != [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] {
        return Err(DumpError::NotCompound);
    }
    let major = u16::from_le_bytes([head[0x1A], head[0x1B]]);
    let shift = u16::from_le_bytes([head[0x1E], head[0x1F]]);
    Ok((major, 1u32.checked_shl(u32::from(shift)).unwrap_or(0)))
}

/// Dumps `path`; large values are kept in `blobs`.
pub fn dump_file(path: &str, blobs: &mut BlobStore) -> Result<Value, DumpError> {
    let (major, sector) = cfb_header(path)?;
    let stg = api::open_storage_file(path, STGM_READ | STGM_SHARE_DENY_WRITE)?;
    let clsid = stg.clsid()?.to_bytes();
    let session = Session::open()?;
    let result = (|| {
        let msg = session.open_message(&stg, 0)?;
        let unicode = file_width(&msg, &stg)?;
        let names = msg.all_names()?;
        let mut d = Dumper {
            unicode,
            named: names
                .iter()
                .map(|(tag, n)| (prop_id(*tag), named_text(n)))
                .collect(),
            blobs,
            warnings: Vec::new(),
        };
        let raw = d.raw(&stg, true, "");
        let message = d.message(&msg, &raw, None, "", 0);
        let named_properties = d.name_map(&names, &stg);
        Ok::<_, DumpError>(json!({
            "format": "dump_msg/1",
            "cfb": {
                "major_version": major,
                "sector_size": sector,
                "root_clsid": if clsid == [0; 16] { String::new() } else { guid_text(&clsid) },
            },
            "message": message,
            "named_properties": named_properties,
            "warnings": d.warnings,
        }))
    })();
    drop(stg);
    drop(session);
    result
}

/// A message's string width: `STORE_UNICODE_OK` in its `PR_STORE_SUPPORT_MASK`.
pub fn message_width(msg: &Message) -> Result<Option<bool>, ApiError> {
    Ok(match msg.get_props(&[PR_STORE_SUPPORT_MASK], 0)?.first() {
        Some((_, PVal::I4(mask))) => Some(*mask as u32 & STORE_UNICODE_OK != 0),
        _ => None,
    })
}

/// The top-level message's string width: [`message_width`]; without that property, the
/// width of the first string property the root's property stream lists (what the library
/// itself decides by); else 8-bit.
fn file_width(msg: &Message, stg: &Storage) -> Result<bool, ApiError> {
    if let Some(unicode) = message_width(msg)? {
        return Ok(unicode);
    }
    let bytes = stg.open_stream(ROOT_PROPS)?.read_all()?;
    Ok(property_stream_entries(&bytes, 32)
        .iter()
        .find_map(|&(tag, _)| match prop_type(tag) & !MV_FLAG {
            PT_UNICODE => Some(true),
            PT_STRING8 => Some(false),
            _ => None,
        })
        .unwrap_or(false))
}

pub fn named_text(n: &PropName) -> String {
    match &n.kind {
        NameKind::Id(id) => format!("{}:id:0x{id:08X}", guid_text(&n.guid)),
        NameKind::Name(s) => format!("{}:name:{}", guid_text(&n.guid), utf16(s)),
    }
}

/// Whether an element name is one a message's storage holds for the message itself.
fn is_msg_stream(name: &str) -> bool {
    if name == ROOT_PROPS {
        return true;
    }
    let Some(rest) = name.strip_prefix("__substg1.0_") else {
        return false;
    };
    let hex8 = |s: &str| s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit());
    match rest.split_once('-') {
        Some((a, b)) => hex8(a) && hex8(b),
        None => hex8(rest),
    }
}

fn is_numbered(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|n| n.len() == 8 && n.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[derive(Clone, Copy, PartialEq)]
enum Level {
    TopMessage,
    Message,
    Recipient,
    Attachment,
}

fn is_expected(level: Level, name: &str, storage: bool) -> bool {
    if !storage {
        return is_msg_stream(name);
    }
    match level {
        Level::TopMessage | Level::Message => {
            is_numbered(name, "__recip_version1.0_#")
                || is_numbered(name, "__attach_version1.0_#")
                || (level == Level::TopMessage && name == NAMEID)
        }
        Level::Recipient => false,
        Level::Attachment => name.starts_with("__substg1.0_") && is_msg_stream(name),
    }
}

impl Dumper<'_> {
    fn warn(&mut self, at: &str, what: impl std::fmt::Display) {
        let place = if at.is_empty() { "/" } else { at };
        self.warnings.push(format!("{place}: {what}"));
    }

    /// A binary value's fields: `len`, and `hex` up to [`HEX_LIMIT`] bytes, else `sha256`
    /// (the bytes kept for `--save-data`).
    fn binary(&mut self, at: &str, b: &[u8], e: &mut Map<String, Value>) {
        e.insert("len".into(), b.len().into());
        if b.len() <= HEX_LIMIT {
            e.insert("hex".into(), hex(b).into());
        } else {
            let sha = self.keep_blob(at, b);
            e.insert("sha256".into(), sha.into());
        }
    }

    fn keep_blob(&mut self, at: &str, data: &[u8]) -> String {
        match self.blobs.put(data) {
            Ok(sha) => sha,
            Err(e) => {
                self.warn(at, format!("cannot save a value: {e}"));
                crate::blobs::sha256_hex(data)
            }
        }
    }

    /// What a message's own storage holds besides its properties, read through
    /// `IStorage` and released before the message's sub-objects are opened (an element
    /// is open once at a time).
    fn raw(&mut self, stg: &Storage, top: bool, at: &str) -> Raw {
        let mut raw = Raw::default();
        match stg.open_stream(ROOT_PROPS).and_then(|st| st.read_all()) {
            Ok(b) => raw.props_stream = Some(b),
            Err(e) => self.warn(at, e),
        }
        let elements = match stg.elements() {
            Ok(e) => e,
            Err(e) => {
                self.warn(at, e);
                return raw;
            }
        };
        let level = if top {
            Level::TopMessage
        } else {
            Level::Message
        };
        raw.unexpected = self.unexpected(stg, &elements, level, at);
        for el in elements.iter().filter(|e| e.is_storage) {
            let name = utf16(&el.name);
            let child = if is_numbered(&name, "__recip_version1.0_#") {
                Level::Recipient
            } else if is_numbered(&name, "__attach_version1.0_#") {
                Level::Attachment
            } else {
                continue;
            };
            let here = format!("{at}/{name}");
            let sub = match stg.open_sub_storage(&el.name) {
                Ok(s) => s,
                Err(e) => {
                    self.warn(&here, e);
                    continue;
                }
            };
            if child == Level::Recipient
                && let Ok(b) = sub.open_stream(ROOT_PROPS).and_then(|st| st.read_all())
            {
                let mut m = BTreeMap::new();
                for (tag, f) in property_stream_entries(&b, 8) {
                    m.entry(prop_id(tag)).or_insert(f);
                }
                raw.recip_flags.insert(name.clone(), m);
            }
            if let Ok(sub_elements) = sub.elements() {
                let unexpected = self.unexpected(&sub, &sub_elements, child, &here);
                if !unexpected.is_empty() {
                    raw.child_unexpected.insert(name, unexpected);
                }
            }
        }
        raw
    }

    /// One message: header, properties, recipients, attachments (recursively).
    fn message(
        &mut self,
        msg: &Message,
        raw: &Raw,
        parent_cp: Option<u32>,
        at: &str,
        depth: usize,
    ) -> Value {
        let mut out = Map::new();
        out.insert("header".into(), self.header(msg, raw));
        let props = self.props(msg, at);
        let cp = {
            let long = |tag| match props.values.get(&tag) {
                Some(PVal::I4(v)) => Some(*v as u32),
                _ => None,
            };
            shape::string8_codepage(
                long(PR_MESSAGE_CODEPAGE),
                long(PR_INTERNET_CPID),
                long(PR_MESSAGE_LOCALE_ID),
                parent_cp,
            )
        };
        out.insert(
            "string8_codepage".into(),
            json!({"codepage": cp.0, "source": cp.1}),
        );
        out.insert("properties".into(), self.render(&props, cp.0, at, false));
        out.insert(
            "recipients".into(),
            Value::Array(self.recipients(msg, raw, cp.0, at)),
        );
        out.insert(
            "attachments".into(),
            Value::Array(self.attachments(msg, raw, cp.0, at, depth)),
        );
        if !raw.unexpected.is_empty() {
            out.insert(
                "unexpected_entries".into(),
                Value::Array(raw.unexpected.clone()),
            );
        }
        Value::Object(out)
    }

    /// The property-stream header's counters; from the tables when the stream could not
    /// be read.
    fn header(&mut self, msg: &Message, raw: &Raw) -> Value {
        if let Some(b) = &raw.props_stream {
            return json!({
                "next_recipient_id": le32(b, 8),
                "next_attachment_id": le32(b, 12),
                "recipient_count": le32(b, 16),
                "attachment_count": le32(b, 20),
            });
        }
        let count = |t: Result<api::Table, ApiError>| -> u32 {
            t.and_then(|t| {
                t.set_columns(&[PR_ROWID])?;
                t.all_rows()
            })
            .map(|r| r.len() as u32)
            .unwrap_or(0)
        };
        let r = count(msg.recipient_table(0));
        let a = count(msg.attachment_table(0));
        json!({
            "next_recipient_id": r,
            "next_attachment_id": a,
            "recipient_count": r,
            "attachment_count": a,
        })
    }

    /// Every listed property of a message or attachment.
    fn props<V: api::PropVtbl>(&mut self, obj: &api::Com<V>, at: &str) -> Props {
        let w = width_flag(self.unicode);
        let mut props = Props::default();
        let listed = match obj.get_prop_list(w) {
            Ok(l) => l,
            Err(e) => {
                self.warn(at, e);
                return props;
            }
        };
        let values = match obj.get_props(&listed, w) {
            Ok(v) => v,
            Err(e) => {
                self.warn(at, e);
                return props;
            }
        };
        let flags = obj.get_attribs(&listed).unwrap_or_else(|e| {
            self.warn(at, e);
            Vec::new()
        });
        let string8: Vec<u32> = listed
            .iter()
            .copied()
            .filter(|&t| widened(t) != t)
            .collect();
        let decoded: BTreeMap<u32, PVal> = if string8.is_empty() {
            BTreeMap::new()
        } else {
            let wide: Vec<u32> = string8.iter().map(|&t| widened(t)).collect();
            match obj.get_props(&wide, MAPI_UNICODE) {
                Ok(v) => string8
                    .iter()
                    .copied()
                    .zip(v.into_iter().map(|(_, v)| v))
                    .collect(),
                Err(e) => {
                    self.warn(at, e);
                    BTreeMap::new()
                }
            }
        };
        for (i, &tag) in listed.iter().enumerate() {
            let value = match values.get(i) {
                Some((got, v)) if prop_type(*got) == PT_ERROR && prop_type(tag) != PT_ERROR => {
                    match v {
                        PVal::Error(MAPI_E_NOT_ENOUGH_MEMORY) => self.through_stream(obj, tag, at),
                        PVal::Error(sc) => {
                            self.warn(
                                at,
                                format!("GetProps(0x{tag:08X}) answered {}", api::scode_text(*sc)),
                            );
                            continue;
                        }
                        _ => continue,
                    }
                }
                Some((_, v)) => Some(v.clone()),
                None => None,
            };
            let Some(value) = value else { continue };
            props.order.push(tag);
            props.values.insert(tag, value);
            if let Some(&f) = flags.get(i) {
                props.flags.insert(tag, f);
            }
            if let Some(d) = decoded.get(&tag) {
                let d = match d {
                    PVal::Error(MAPI_E_NOT_ENOUGH_MEMORY) => {
                        self.through_stream(obj, widened(tag), at)
                    }
                    PVal::Error(_) => None,
                    v => Some(v.clone()),
                };
                if let Some(d) = d {
                    props.decoded.insert(tag, d);
                }
            }
        }
        props
    }

    /// A string or binary too large for `GetProps`, read through `OpenProperty`. The
    /// attachment data is not read here (it is hashed in pieces later).
    fn through_stream<V: api::PropVtbl>(
        &mut self,
        obj: &api::Com<V>,
        tag: u32,
        at: &str,
    ) -> Option<PVal> {
        if tag == PR_ATTACH_DATA_BIN {
            return Some(PVal::Bin(Vec::new()));
        }
        match obj.open_stream(tag, false).and_then(|s| s.read_all()) {
            Ok(bytes) => match prop_type(tag) {
                PT_BINARY => Some(PVal::Bin(bytes)),
                PT_STRING8 => Some(PVal::Str8(bytes)),
                PT_UNICODE => Some(PVal::Uni(
                    bytes
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect(),
                )),
                _ => None,
            },
            Err(e) => {
                self.warn(at, e);
                None
            }
        }
    }

    /// The `properties` object.
    fn render(&mut self, props: &Props, cp: u32, at: &str, attachment: bool) -> Value {
        let mut out = Map::new();
        for &tag in &props.order {
            let Some(value) = props.values.get(&tag) else {
                continue;
            };
            let mut e = Map::new();
            e.insert("type".into(), shape::type_name(prop_type(tag)).into());
            if let Some(f) = props.flags.get(&tag) {
                e.insert("flags".into(), (*f).into());
            }
            let id = prop_id(tag);
            if id >= 0x8000 {
                if let Some(n) = self.named.get(&id) {
                    e.insert("named".into(), n.clone().into());
                }
            } else if let Some(n) = shape::prop_name(id) {
                e.insert("name".into(), n.into());
            }
            if attachment && tag == PR_ATTACH_DATA_BIN {
                // Filled in by the caller from the stream.
                out.insert(format!("0x{tag:08X}"), Value::Object(e));
                continue;
            }
            self.encode(&mut e, value, props.decoded.get(&tag), cp, at);
            out.insert(format!("0x{tag:08X}"), Value::Object(e));
        }
        Value::Object(out)
    }

    /// The value keys of one property entry.
    fn encode(
        &mut self,
        e: &mut Map<String, Value>,
        value: &PVal,
        decoded: Option<&PVal>,
        cp: u32,
        at: &str,
    ) {
        let text = |d: Option<&PVal>| match d {
            Some(PVal::Uni(u)) => Value::String(utf16(u)),
            _ => Value::Null,
        };
        match value {
            PVal::I2(x) => {
                e.insert("value".into(), (*x).into());
            }
            PVal::I4(x) => {
                e.insert("value".into(), (*x).into());
            }
            PVal::I8(x) | PVal::Cur(x) => {
                e.insert("value".into(), (*x).into());
            }
            PVal::R4(x) => {
                e.insert("value".into(), float(f64::from(*x)));
            }
            PVal::R8(x) | PVal::AppTime(x) => {
                e.insert("value".into(), float(*x));
            }
            PVal::Error(sc) => {
                e.insert("value".into(), format!("0x{:08X}", *sc as u32).into());
            }
            PVal::Bool(b) => {
                e.insert("value".into(), (*b).into());
            }
            PVal::Time(ft) => {
                e.insert("value".into(), shape::filetime_iso(*ft).into());
                e.insert("filetime".into(), (*ft).into());
            }
            PVal::Guid(g) => {
                e.insert("value".into(), guid_text(g).into());
            }
            PVal::Uni(u) => {
                e.insert("value".into(), utf16(u).into());
            }
            PVal::Str8(b) => {
                e.insert("codepage".into(), cp.into());
                e.insert("hex".into(), hex(b).into());
                e.insert("value".into(), text(decoded));
            }
            PVal::Bin(b) => self.binary(at, b, e),
            PVal::Object | PVal::Null => {}
            PVal::MvI2(v) => {
                e.insert("values".into(), v.iter().map(|&x| Value::from(x)).collect());
            }
            PVal::MvI4(v) => {
                e.insert("values".into(), v.iter().map(|&x| Value::from(x)).collect());
            }
            PVal::MvI8(v) | PVal::MvCur(v) => {
                e.insert("values".into(), v.iter().map(|&x| Value::from(x)).collect());
            }
            PVal::MvR4(v) => {
                e.insert(
                    "values".into(),
                    v.iter().map(|&x| float(f64::from(x))).collect(),
                );
            }
            PVal::MvR8(v) | PVal::MvAppTime(v) => {
                e.insert("values".into(), v.iter().map(|&x| float(x)).collect());
            }
            PVal::MvTime(v) => {
                e.insert(
                    "values".into(),
                    v.iter()
                        .map(|&t| Value::String(shape::filetime_iso(t)))
                        .collect(),
                );
            }
            PVal::MvGuid(v) => {
                e.insert(
                    "values".into(),
                    v.iter().map(|g| Value::String(guid_text(g))).collect(),
                );
            }
            PVal::MvUni(v) => {
                e.insert(
                    "values".into(),
                    v.iter().map(|s| Value::String(utf16(s))).collect(),
                );
            }
            PVal::MvStr8(v) => {
                let values = match decoded {
                    Some(PVal::MvUni(d)) => d.iter().map(|s| Value::String(utf16(s))).collect(),
                    _ => v.iter().map(|_| Value::Null).collect(),
                };
                e.insert("values".into(), values);
            }
            PVal::MvBin(v) => {
                // Each value in the shape of a single binary.
                let values = v
                    .iter()
                    .map(|b| {
                        let mut one = Map::new();
                        self.binary(at, b, &mut one);
                        Value::Object(one)
                    })
                    .collect();
                e.insert("values".into(), values);
            }
        }
    }

    /// The recipient table's rows, every column, ordered by `PR_ROWID`.
    fn recipients(&mut self, msg: &Message, raw: &Raw, cp: u32, at: &str) -> Vec<Value> {
        let rows = match self.recipient_rows(msg, self.unicode) {
            Ok(r) => r,
            Err(e) => {
                self.warn(at, e);
                return Vec::new();
            }
        };
        let decoded = if self.unicode {
            BTreeMap::new()
        } else {
            match self.recipient_rows(msg, true) {
                Ok(r) => r,
                Err(e) => {
                    self.warn(at, e);
                    BTreeMap::new()
                }
            }
        };
        let mut out = Vec::new();
        for (rowid, row) in rows {
            let storage = format!("__recip_version1.0_#{rowid:08X}");
            let here = format!("{at}/{storage}");
            let no_flags = BTreeMap::new();
            let flags = raw.recip_flags.get(&storage).unwrap_or(&no_flags);
            let mut props = Props::default();
            let dec_row = decoded.get(&rowid);
            for (tag, value) in row {
                if prop_type(tag) == PT_ERROR {
                    match value {
                        PVal::Error(MAPI_E_NOT_FOUND) => continue,
                        PVal::Error(MAPI_E_NOT_ENOUGH_MEMORY) => {
                            self.warn(
                                &here,
                                format!("0x{:04X}: too large for a table row", prop_id(tag)),
                            );
                            continue;
                        }
                        _ => {}
                    }
                }
                if let Some(f) = flags.get(&prop_id(tag)) {
                    props.flags.insert(tag, *f);
                }
                if let Some(d) =
                    dec_row.and_then(|r| r.iter().find(|(t, _)| prop_id(*t) == prop_id(tag)))
                {
                    props.decoded.insert(tag, d.1.clone());
                }
                props.order.push(tag);
                props.values.insert(tag, value);
            }
            let mut entry = Map::new();
            entry.insert("storage".into(), storage.clone().into());
            entry.insert("properties".into(), self.render(&props, cp, &here, false));
            if let Some(u) = raw.child_unexpected.get(&storage) {
                entry.insert("unexpected_entries".into(), Value::Array(u.clone()));
            }
            out.push(Value::Object(entry));
        }
        out
    }

    /// Rows of the recipient table in one string width, by `PR_ROWID`.
    fn recipient_rows(
        &self,
        msg: &Message,
        unicode: bool,
    ) -> Result<BTreeMap<u32, Vec<(u32, PVal)>>, ApiError> {
        let table = msg.recipient_table(width_flag(unicode))?;
        let mut ids: Vec<u32> = Vec::new();
        for tag in table.all_columns()? {
            if !ids.contains(&prop_id(tag)) {
                ids.push(prop_id(tag));
            }
        }
        // PT_UNSPECIFIED: each row answers in its own type (strings in the table's width).
        let columns: Vec<u32> = ids.iter().map(|&id| id << 16).collect();
        if columns.is_empty() {
            return Ok(BTreeMap::new());
        }
        table.set_columns(&columns)?;
        let mut out = BTreeMap::new();
        for (i, row) in table.all_rows()?.into_iter().enumerate() {
            let rowid = row
                .iter()
                .find_map(|(t, v)| match (t, v) {
                    (&PR_ROWID, PVal::I4(r)) => Some(*r as u32),
                    _ => None,
                })
                .unwrap_or(i as u32);
            out.insert(rowid, row);
        }
        Ok(out)
    }

    /// The attachments, by number, each opened with its data and embedded message.
    fn attachments(
        &mut self,
        msg: &Message,
        raw: &Raw,
        cp: u32,
        at: &str,
        depth: usize,
    ) -> Vec<Value> {
        let nums = match msg.attachment_table(0).and_then(|t| {
            t.set_columns(&[PR_ATTACH_NUM])?;
            t.all_rows()
        }) {
            Ok(rows) => {
                let mut n: Vec<u32> = rows
                    .iter()
                    .filter_map(|r| match r.first() {
                        Some((PR_ATTACH_NUM, PVal::I4(n))) => Some(*n as u32),
                        _ => None,
                    })
                    .collect();
                n.sort_unstable();
                n
            }
            Err(e) => {
                self.warn(at, e);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for num in nums {
            let storage = format!("__attach_version1.0_#{num:08X}");
            let here = format!("{at}/{storage}");
            let attach = match msg.open_attach(num, false) {
                Ok(a) => a,
                Err(e) => {
                    self.warn(&here, e);
                    continue;
                }
            };
            let mut entry = Map::new();
            entry.insert("storage".into(), storage.clone().into());
            let props = self.props(&attach, &here);
            let mut rendered = self.render(&props, cp, &here, true);
            if props.values.contains_key(&PR_ATTACH_DATA_BIN) {
                let data = self.attachment_data(&attach, &here);
                if let (Some(obj), Some((sha, len))) = (
                    rendered
                        .get_mut(format!("0x{PR_ATTACH_DATA_BIN:08X}"))
                        .and_then(Value::as_object_mut),
                    data,
                ) {
                    obj.insert("len".into(), len.into());
                    obj.insert("sha256".into(), sha.into());
                }
            }
            entry.insert("properties".into(), rendered);
            let method = match props.values.get(&PR_ATTACH_METHOD) {
                Some(PVal::I4(m)) => *m as u32,
                _ => 0,
            };
            if props.values.contains_key(&PR_ATTACH_DATA_OBJ) && method == ATTACH_OLE {
                // Not in the corpus shape: the OLE object's storage, as `unexpected_entries`
                // give a storage, so that `create` can rebuild it.
                match attach.open_object_storage(false) {
                    Ok(obj) => {
                        let mut entries = Map::new();
                        self.tree(&obj, "", &mut entries, &here);
                        let clsid = obj.clsid().map(|c| c.to_bytes()).unwrap_or([0; 16]);
                        entry.insert(
                            "object_storage".into(),
                            json!({"clsid": clsid_text(&clsid), "entries": entries}),
                        );
                    }
                    Err(e) => self.warn(&here, e),
                }
            } else if props.values.contains_key(&PR_ATTACH_DATA_OBJ) {
                if depth >= MAX_DEPTH {
                    self.warn(&here, "embedded message nested too deep; not opened");
                } else if let Some(e) = self.embedded(&attach, cp, &here, depth) {
                    entry.insert("embedded_message".into(), e);
                }
            }
            if let Some(u) = raw.child_unexpected.get(&storage) {
                entry.insert("unexpected_entries".into(), Value::Array(u.clone()));
            }
            out.push(Value::Object(entry));
        }
        out
    }

    fn embedded(&mut self, attach: &Attach, cp: u32, at: &str, depth: usize) -> Option<Value> {
        let here = format!("{at}/__substg1.0_3701000D");
        let raw = match attach.open_object_storage(false) {
            Ok(s) => self.raw(&s, false, &here),
            Err(e) => {
                self.warn(&here, e);
                Raw::default()
            }
        };
        match attach.open_embedded(false, false) {
            Ok(emsg) => {
                // An embedded message may store the other width than its parent.
                let outer = self.unicode;
                self.unicode = message_width(&emsg).ok().flatten().unwrap_or(outer);
                let dumped = self.message(&emsg, &raw, Some(cp), &here, depth + 1);
                self.unicode = outer;
                Some(dumped)
            }
            Err(e) => {
                self.warn(&here, e);
                None
            }
        }
    }

    /// `PR_ATTACH_DATA_BIN` through its stream, hashed in pieces: (sha256, len).
    fn attachment_data(&mut self, attach: &Attach, at: &str) -> Option<(String, u64)> {
        let mut read = || -> Result<(String, u64), String> {
            let stream = attach
                .open_stream(PR_ATTACH_DATA_BIN, false)
                .map_err(|e| e.to_string())?;
            let mut w = self.blobs.writer().map_err(|e| e.to_string())?;
            let mut failed = None;
            stream
                .read_to_end(|b| {
                    if let Err(e) = w.write(b) {
                        failed.get_or_insert(e);
                    }
                })
                .map_err(|e| e.to_string())?;
            if let Some(e) = failed {
                return Err(e.to_string());
            }
            self.blobs.finish(w).map_err(|e| e.to_string())
        };
        match read() {
            Ok(r) => Some(r),
            Err(e) => {
                self.warn(at, e);
                None
            }
        }
    }

    /// Elements of a storage outside what the message format puts there.
    fn unexpected(
        &mut self,
        stg: &Storage,
        elements: &[api::Element],
        level: Level,
        at: &str,
    ) -> Vec<Value> {
        let mut found: Vec<(String, Value)> = Vec::new();
        for el in elements {
            let name = utf16(&el.name);
            if is_expected(level, &name, el.is_storage) {
                continue;
            }
            let v = if el.is_storage {
                let mut entries = Map::new();
                let clsid = match stg.open_sub_storage(&el.name) {
                    Ok(sub) => {
                        self.tree(&sub, "", &mut entries, at);
                        sub.clsid().map(|c| c.to_bytes()).unwrap_or([0; 16])
                    }
                    Err(e) => {
                        self.warn(at, e);
                        [0; 16]
                    }
                };
                json!({"kind": "storage", "name": name, "tree": {"clsid": clsid_text(&clsid), "entries": entries}})
            } else {
                let (sha, len) = self.stream_blob(stg, &el.name, at);
                json!({"kind": "stream", "len": len, "name": name, "sha256": sha})
            };
            found.push((name, v));
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found.into_iter().map(|(_, v)| v).collect()
    }

    /// A storage's contents, flattened: `path/` for storages, `path` for streams.
    fn tree(&mut self, stg: &Storage, prefix: &str, out: &mut Map<String, Value>, at: &str) {
        let elements = match stg.elements() {
            Ok(e) => e,
            Err(e) => {
                self.warn(at, e);
                return;
            }
        };
        for el in elements {
            let path = format!("{prefix}{}", utf16(&el.name));
            if el.is_storage {
                match stg.open_sub_storage(&el.name) {
                    Ok(sub) => {
                        let clsid = sub.clsid().map(|c| c.to_bytes()).unwrap_or([0; 16]);
                        out.insert(format!("{path}/"), json!({"clsid": clsid_text(&clsid)}));
                        self.tree(&sub, &format!("{path}/"), out, at);
                    }
                    Err(e) => self.warn(at, e),
                }
            } else {
                let (sha, len) = self.stream_blob(stg, &el.name, at);
                out.insert(path, json!({"len": len, "sha256": sha}));
            }
        }
    }

    fn stream_blob(&mut self, stg: &Storage, name: &[u16], at: &str) -> (String, u64) {
        match stg.open_stream_w(name).and_then(|s| s.read_all()) {
            Ok(bytes) => (self.keep_blob(at, &bytes), bytes.len() as u64),
            Err(e) => {
                self.warn(at, e);
                (String::new(), 0)
            }
        }
    }

    /// `named_properties`: the map, the property sets in order of first use, and how many
    /// hash-bucket streams the file has.
    fn name_map(&mut self, names: &[(u32, PropName)], stg: &Storage) -> Value {
        let mut sorted: Vec<&(u32, PropName)> = names.iter().collect();
        sorted.sort_by_key(|(tag, _)| prop_id(*tag));
        let mut guids: Vec<[u8; 16]> = Vec::new();
        let mut entries = Vec::new();
        for (tag, name) in sorted {
            let id = prop_id(*tag);
            if name.guid != PS_MAPI && name.guid != PS_PUBLIC_STRINGS && !guids.contains(&name.guid)
            {
                guids.push(name.guid);
            }
            let mut e = Map::new();
            e.insert("entry".into(), (id.wrapping_sub(0x8000)).into());
            e.insert("prop_id".into(), format!("0x{id:04X}").into());
            e.insert("guid".into(), guid_text(&name.guid).into());
            match &name.kind {
                NameKind::Id(lid) => {
                    e.insert("kind".into(), "id".into());
                    e.insert("id".into(), format!("0x{lid:08X}").into());
                }
                NameKind::Name(s) => {
                    e.insert("kind".into(), "name".into());
                    e.insert("name".into(), utf16(s).into());
                }
            }
            entries.push(Value::Object(e));
        }
        let buckets = match stg.open_sub_storage(&api::wide_name(NAMEID)) {
            Ok(n) => n
                .elements()
                .map(|els| {
                    els.iter()
                        .filter(|el| {
                            let name = utf16(&el.name);
                            !el.is_storage
                                && name.len() == 20
                                && name.starts_with("__substg1.0_")
                                && name.ends_with("0102")
                                && u32::from_str_radix(&name[12..16], 16)
                                    .is_ok_and(|sid| (0x1000..=0x101E).contains(&sid))
                        })
                        .count()
                })
                .unwrap_or(0),
            Err(_) => 0,
        };
        json!({
            "guids": guids.iter().map(guid_text).collect::<Vec<_>>(),
            "entries": entries,
            "hash_bucket_streams": buckets,
        })
    }
}

fn clsid_text(c: &[u8; 16]) -> String {
    if *c == [0; 16] {
        String::new()
    } else {
        guid_text(c)
    }
}

/// A float as the dump writes it: a number, or `nan` / `inf` / `-inf` as text.
fn float(x: f64) -> Value {
    if x.is_finite() {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    } else {
        Value::String(crate::pyjson::float_repr(x))
    }
}

/// What [`Dumper::raw`] read from a message's storage.
#[derive(Default)]
struct Raw {
    /// `__properties_version1.0`, for the header.
    props_stream: Option<Vec<u8>>,
    /// The message storage's own elements outside the format.
    unexpected: Vec<Value>,
    /// `PROPATTR_*` flags of each recipient's properties (by storage name, then id).
    recip_flags: BTreeMap<String, BTreeMap<u32, u32>>,
    /// Elements outside the format in recipient and attachment storages, by name.
    child_unexpected: BTreeMap<String, Vec<Value>>,
}

/// One object's properties as read.
#[derive(Default)]
struct Props {
    order: Vec<u32>,
    values: BTreeMap<u32, PVal>,
    flags: BTreeMap<u32, u32>,
    /// 8-bit strings as the library decodes them (asked for as `PT_UNICODE`).
    decoded: BTreeMap<u32, PVal>,
}
