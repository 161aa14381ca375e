//! TNEF ([MS-OXTNEF], `spec/bodies-and-tnef.md` §5): the stream `winmail.dat` carries, read
//! into a neutral structure and written back from one.
//!
//! This module holds the structure and the reader; [`super::tnef_props`] reads and writes
//! the property lists (`attMsgProps`, `attRecipTable`, `attAttachment`),
//! [`super::tnef_write`] writes a stream, and [`super::tnef_legacy`] maps the legacy
//! attributes to MAPI properties and back. Everything is pure over bytes: the `ITnef`
//! object that drives an `IMessage` sits above.
//!
//! Reading never panics and never fails past the stream header: a bad checksum, a length
//! past the end, a property list that does not parse or nesting that is too deep becomes a
//! [`Problem`] beside what could be read. Memory stays proportional to the input: no count
//! read from the stream sizes an allocation before the bytes behind it are seen.
#![forbid(unsafe_code)]

use std::io::Read;

use super::tnef_props;
use crate::error::{Error, ErrorKind, Result};
use crate::model::names::{Name, ole_guid};
use crate::model::prop::{Guid, PropValue};

/// The first four bytes of every TNEF stream (`TNEF_SIGNATURE` 0x223E9F78, little-endian).
pub const TNEF_SIGNATURE: u32 = 0x223E_9F78;
/// `attTnefVersion`'s value.
pub const TNEF_VERSION: u32 = 0x0001_0000;
/// `LVL_MESSAGE`: an attribute of the message.
pub const LVL_MESSAGE: u8 = 1;
/// `LVL_ATTACHMENT`: an attribute of the current attachment.
pub const LVL_ATTACHMENT: u8 = 2;
/// Bytes before the first attribute: signature and key.
pub const HEADER_LEN: usize = 6;
/// Bytes of an attribute record besides its data: level, id, length, checksum.
pub const RECORD_OVERHEAD: usize = 11;

/// `IID_IMessage`: a `PT_OBJECT` value with it holds a complete nested TNEF stream.
pub const IID_IMESSAGE: Guid = ole_guid(0x0002_0307);
/// `IID_IStorage`.
pub const IID_ISTORAGE: Guid = ole_guid(0x0000_000B);
/// `IID_IStream`.
pub const IID_ISTREAM: Guid = ole_guid(0x0000_000C);

/// How deep embedded messages may nest (the top-level stream is depth 0). Deeper ones are
/// kept as bytes and reported.
pub const MAX_DEPTH: usize = 32;
/// Problems kept per stream; the rest are only counted (a hostile stream can hold millions).
pub const MAX_PROBLEMS: usize = 64;
/// The code page `GetTnefStreamCodepage` reports when a stream has no `attOemCodepage`.
pub const DEFAULT_OEM_CODEPAGE: u32 = 437;

/// Attribute ids (`atp << 16 | id`, [TNEFH]); the SDK names them `att*`.
pub mod att {
    pub const OWNER: u32 = 0x0006_0000;
    pub const SENT_FOR: u32 = 0x0006_0001;
    pub const DELEGATE: u32 = 0x0006_0002;
    pub const DATE_START: u32 = 0x0003_0006;
    pub const DATE_END: u32 = 0x0003_0007;
    pub const AID_OWNER: u32 = 0x0005_0008;
    pub const REQUEST_RES: u32 = 0x0004_0009;
    pub const ORIGINAL_MESSAGE_CLASS: u32 = 0x0007_0006;
    pub const FROM: u32 = 0x0000_8000;
    pub const SUBJECT: u32 = 0x0001_8004;
    pub const DATE_SENT: u32 = 0x0003_8005;
    pub const DATE_RECD: u32 = 0x0003_8006;
    pub const MESSAGE_STATUS: u32 = 0x0006_8007;
    pub const MESSAGE_CLASS: u32 = 0x0007_8008;
    pub const MESSAGE_ID: u32 = 0x0001_8009;
    pub const PARENT_ID: u32 = 0x0001_800A;
    pub const CONVERSATION_ID: u32 = 0x0001_800B;
    pub const BODY: u32 = 0x0002_800C;
    pub const PRIORITY: u32 = 0x0004_800D;
    pub const ATTACH_DATA: u32 = 0x0006_800F;
    pub const ATTACH_TITLE: u32 = 0x0001_8010;
    pub const ATTACH_META_FILE: u32 = 0x0006_8011;
    pub const ATTACH_CREATE_DATE: u32 = 0x0003_8012;
    pub const ATTACH_MODIFY_DATE: u32 = 0x0003_8013;
    pub const DATE_MODIFIED: u32 = 0x0003_8020;
    pub const ATTACH_TRANSPORT_FILENAME: u32 = 0x0006_9001;
    pub const ATTACH_REND_DATA: u32 = 0x0006_9002;
    /// `attMsgProps` (the SDK's `attMAPIProps`): the message's property list.
    pub const MSG_PROPS: u32 = 0x0006_9003;
    pub const RECIP_TABLE: u32 = 0x0006_9004;
    /// The attachment's property list.
    pub const ATTACHMENT: u32 = 0x0006_9005;
    pub const TNEF_VERSION: u32 = 0x0008_9006;
    pub const OEM_CODEPAGE: u32 = 0x0006_9007;
}

/// One attribute record as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// `LVL_MESSAGE` or `LVL_ATTACHMENT`.
    pub level: u8,
    /// The attribute id with its type in the high word.
    pub id: u32,
    pub data: Vec<u8>,
    /// Whether the stored checksum matched the data (always true for attributes built here).
    pub checksum_ok: bool,
}

impl Attribute {
    pub fn new(level: u8, id: u32, data: Vec<u8>) -> Attribute {
        Attribute {
            level,
            id,
            data,
            checksum_ok: true,
        }
    }
}

/// The record checksum: the sum of the data bytes modulo 65536.
pub fn checksum(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)))
}

/// A `PT_OBJECT` value: the interface it is opened with and what it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub iid: Guid,
    pub data: ObjectData,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ObjectData {
    /// `IID_IMessage`: the nested TNEF stream, decoded.
    Message(Box<Tnef>),
    /// Any other interface, or a nested stream that could not be read: the bytes after the
    /// IID.
    Bytes(Vec<u8>),
}

/// A value in a property list.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Plain(PropValue),
    Object(Object),
}

/// One property of a list: its tag, its name when its id is 0x8000 or above, its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Prop {
    pub tag: u32,
    pub name: Option<Name>,
    pub value: Value,
}

impl Prop {
    /// A property with a plain value and no name.
    pub fn new(tag: u32, value: PropValue) -> Prop {
        Prop {
            tag,
            name: None,
            value: Value::Plain(value),
        }
    }

    pub fn plain(&self) -> Option<&PropValue> {
        match &self.value {
            Value::Plain(v) => Some(v),
            Value::Object(_) => None,
        }
    }
}

/// One attachment: its attributes (from `attAttachRendData` on, in stream order, without
/// `attAttachment`) and its decoded `attAttachment` list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attachment {
    pub attributes: Vec<Attribute>,
    pub props: Vec<Prop>,
}

impl Attachment {
    pub fn attribute(&self, id: u32) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.id == id)
    }
}

/// Where a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    Message,
    /// Index into [`Tnef::attachments`].
    Attachment(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The stored checksum differs from the data's; the data is used all the same.
    BadChecksum,
    /// The stream ends inside this attribute or value; what was there is kept.
    Truncated,
    /// A property list or structure does not parse from here on; what came before is kept.
    Corrupt,
    /// An embedded message nested deeper than [`MAX_DEPTH`]; kept as bytes.
    TooDeep,
    /// Bytes after the last attribute that are not an attribute; ignored.
    TrailingData,
}

/// Something wrong with the stream, and where (`STnefProblem` as data).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub component: Component,
    /// The attribute id, 0 for the stream itself.
    pub attribute: u32,
    /// The property tag concerned, 0 for a whole attribute.
    pub tag: u32,
    pub kind: ProblemKind,
    pub detail: String,
}

/// A decoded TNEF stream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tnef {
    /// The 16-bit key after the signature.
    pub key: u16,
    /// The message-level attributes in stream order, except `attMsgProps` and
    /// `attRecipTable`, which are decoded into `props` and `recipients`.
    pub attributes: Vec<Attribute>,
    /// `attMsgProps`, decoded (several such attributes are concatenated).
    pub props: Vec<Prop>,
    /// `attRecipTable`'s rows.
    pub recipients: Vec<Vec<Prop>>,
    pub attachments: Vec<Attachment>,
    /// What was wrong, at most [`MAX_PROBLEMS`] of them.
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    pub problems_dropped: usize,
    /// Bytes of the input that the stream took (signature to the last attribute read).
    pub consumed: usize,
}

impl Tnef {
    /// The first message-level attribute with this id.
    pub fn attribute(&self, id: u32) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.id == id)
    }

    /// `attOemCodepage`: the primary and secondary code pages, when the stream has them.
    pub fn oem_codepage(&self) -> Option<(u32, u32)> {
        let d = &self.attribute(att::OEM_CODEPAGE)?.data;
        let primary = u32::from_le_bytes(d.get(..4)?.try_into().ok()?);
        let secondary = d
            .get(4..8)
            .map_or(0, |b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
        Some((primary, secondary))
    }

    /// The code page the stream's 8-bit strings are in: `attOemCodepage`'s primary, else
    /// 437 (what `GetTnefStreamCodepage` reports for a stream without one).
    pub fn codepage(&self) -> u32 {
        self.oem_codepage().map_or(DEFAULT_OEM_CODEPAGE, |(p, _)| p)
    }

    /// Decodes 8-bit text of this stream (a `String8` value or a legacy string attribute)
    /// through its code page. Strings are kept as bytes everywhere else, so a caller can
    /// choose another page.
    pub fn decode_text(&self, bytes: &[u8]) -> Result<String> {
        let units = crate::model::strings::decode(self.codepage(), bytes)?;
        Ok(String::from_utf16_lossy(&units))
    }

    pub(crate) fn problem(
        &mut self,
        component: Component,
        attribute: u32,
        tag: u32,
        kind: ProblemKind,
        detail: impl FnOnce() -> String,
    ) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                component,
                attribute,
                tag,
                kind,
                detail: detail(),
            });
        } else {
            self.problems_dropped += 1;
        }
    }
}

/// Reads a TNEF stream from bytes. Fails only when the input does not start with the TNEF
/// signature and a key; everything after that is read as far as it goes.
pub fn read(bytes: &[u8]) -> Result<Tnef> {
    read_at_depth(bytes, 0)
}

/// Reads a TNEF stream from a reader, to its end. I/O errors are returned as such.
pub fn read_from(mut r: impl Read) -> Result<Tnef> {
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes)
        .map_err(|e| Error::io("reading a TNEF stream", &e))?;
    read(&bytes)
}

/// Just the stream's code page, as `GetTnefStreamCodepage` gives it: `attOemCodepage`'s
/// two values, or (437, 0) when the stream has none. Stops at the first attribute that
/// could carry it.
pub fn read_codepage(bytes: &[u8]) -> Result<(u32, u32)> {
    check_header(bytes)?;
    let mut pos = HEADER_LEN;
    while let Some(rec) = next_record(bytes, pos) {
        let rec = rec.map_err(|_| corrupt("the stream ends inside an attribute"))?;
        if rec.id == att::OEM_CODEPAGE {
            if rec.data.len() < 4 {
                return Err(corrupt("attOemCodepage is shorter than 4 bytes"));
            }
            let v = |i: usize| {
                rec.data
                    .get(i..i + 4)
                    .map_or(0, |b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            };
            return Ok((v(0), v(4)));
        }
        if !matches!(rec.level, LVL_MESSAGE | LVL_ATTACHMENT) {
            return Err(corrupt("an attribute has an unknown level"));
        }
        pos = rec.end;
    }
    Ok((DEFAULT_OEM_CODEPAGE, 0))
}

fn corrupt(what: &str) -> Error {
    Error::new(ErrorKind::CorruptData, format!("not a TNEF stream: {what}"))
}

fn check_header(bytes: &[u8]) -> Result<u16> {
    if bytes.len() < HEADER_LEN {
        return Err(corrupt("shorter than the signature and key"));
    }
    let sig = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
    if sig != TNEF_SIGNATURE {
        return Err(corrupt(&format!("signature {sig:#010x}")));
    }
    Ok(u16::from_le_bytes([bytes[4], bytes[5]]))
}

/// One record in the input, borrowed.
struct Record<'a> {
    level: u8,
    id: u32,
    data: &'a [u8],
    checksum_ok: bool,
    end: usize,
}

/// A record cut short by the end of the input: what was there.
struct Cut<'a> {
    level: u8,
    id: u32,
    data: &'a [u8],
}

/// The record at `pos`, `None` at the end of the input.
fn next_record(bytes: &[u8], pos: usize) -> Option<std::result::Result<Record<'_>, Cut<'_>>> {
    let rest = bytes.get(pos..).filter(|r| !r.is_empty())?;
    if rest.len() < 9 {
        return Some(Err(Cut {
            level: rest[0],
            id: 0,
            data: &[],
        }));
    }
    let level = rest[0];
    let id = u32::from_le_bytes(rest[1..5].try_into().expect("4 bytes"));
    let len = u32::from_le_bytes(rest[5..9].try_into().expect("4 bytes")) as usize;
    let body = &rest[9..];
    if body.len() < len.saturating_add(2) {
        let data = &body[..len.min(body.len())];
        return Some(Err(Cut { level, id, data }));
    }
    let data = &body[..len];
    let stored = u16::from_le_bytes([body[len], body[len + 1]]);
    Some(Ok(Record {
        level,
        id,
        data,
        checksum_ok: stored == checksum(data),
        end: pos + 9 + len + 2,
    }))
}

pub(crate) fn read_at_depth(bytes: &[u8], depth: usize) -> Result<Tnef> {
    let key = check_header(bytes)?;
    let mut t = Tnef {
        key,
        consumed: HEADER_LEN,
        ..Tnef::default()
    };
    let mut pos = HEADER_LEN;
    // The attachment level-2 attributes go to; `None` until the first one.
    let mut current: Option<usize> = None;
    while let Some(rec) = next_record(bytes, pos) {
        let (rec, truncated) = match rec {
            Ok(r) => (r, false),
            Err(cut) if matches!(cut.level, LVL_MESSAGE | LVL_ATTACHMENT) && cut.id != 0 => {
                let len = bytes.len() - pos;
                t.problem(
                    component(cut.level, current),
                    cut.id,
                    0,
                    ProblemKind::Truncated,
                    || {
                        format!(
                            "the stream ends {len} bytes into attribute {:#010x}",
                            cut.id
                        )
                    },
                );
                let rec = Record {
                    level: cut.level,
                    id: cut.id,
                    data: cut.data,
                    checksum_ok: false,
                    end: bytes.len(),
                };
                (rec, true)
            }
            Err(_) => {
                let n = bytes.len() - pos;
                t.problem(Component::Message, 0, 0, ProblemKind::TrailingData, || {
                    format!("{n} bytes after the last attribute are not an attribute")
                });
                break;
            }
        };
        if !matches!(rec.level, LVL_MESSAGE | LVL_ATTACHMENT) {
            let n = bytes.len() - pos;
            t.problem(Component::Message, 0, 0, ProblemKind::TrailingData, || {
                format!(
                    "{n} bytes after the last attribute start with level {} (ignored)",
                    rec.level
                )
            });
            break;
        }
        pos = rec.end;
        t.consumed = pos;
        if rec.level == LVL_ATTACHMENT && (rec.id == att::ATTACH_REND_DATA || current.is_none()) {
            t.attachments.push(Attachment::default());
            current = Some(t.attachments.len() - 1);
        }
        let comp = component(rec.level, current);
        // [TNEF] 2.3.3.4: readers ignore the checksum of message-class attributes (old
        // writers got it wrong); it is still recorded in `checksum_ok`.
        if !rec.checksum_ok
            && !truncated
            && !matches!(rec.id, att::MESSAGE_CLASS | att::ORIGINAL_MESSAGE_CLASS)
        {
            t.problem(comp, rec.id, 0, ProblemKind::BadChecksum, || {
                format!(
                    "attribute {:#010x}: checksum does not match its data",
                    rec.id
                )
            });
        }
        match (rec.level, rec.id) {
            (LVL_MESSAGE, att::MSG_PROPS) => {
                let mut props = std::mem::take(&mut t.props);
                tnef_props::read_list_into(rec.data, depth, &mut t, comp, rec.id, &mut props);
                t.props = props;
            }
            (LVL_MESSAGE, att::RECIP_TABLE) => {
                let rows = tnef_props::read_rows(rec.data, depth, &mut t, comp, rec.id);
                t.recipients.extend(rows);
            }
            (LVL_ATTACHMENT, att::ATTACHMENT) => {
                let i = current.expect("set above for level 2");
                let mut props = std::mem::take(&mut t.attachments[i].props);
                tnef_props::read_list_into(rec.data, depth, &mut t, comp, rec.id, &mut props);
                t.attachments[i].props = props;
            }
            _ => {
                let attr = Attribute {
                    level: rec.level,
                    id: rec.id,
                    data: rec.data.to_vec(),
                    checksum_ok: rec.checksum_ok,
                };
                match (rec.level, current) {
                    (LVL_ATTACHMENT, Some(i)) => t.attachments[i].attributes.push(attr),
                    _ => t.attributes.push(attr),
                }
            }
        }
    }
    Ok(t)
}

fn component(level: u8, current: Option<usize>) -> Component {
    match (level, current) {
        (LVL_ATTACHMENT, Some(i)) => Component::Attachment(i),
        // A level-2 attribute that starts the first attachment.
        (LVL_ATTACHMENT, None) => Component::Attachment(0),
        _ => Component::Message,
    }
}

#[cfg(test)]
#[path = "tnef_tests.rs"]
mod tests;
