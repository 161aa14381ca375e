//! `imsg create`: builds a `.msg` file from the dump shape, through the library's C API:
//! `StgCreateDocfile`, `OpenIMsgOnIStg`, `GetIDsFromNames(MAPI_CREATE)`, `SetProps`,
//! `SetAttribIMsgOnIStg`, `ModifyRecipients`, `CreateAttach`, `OpenProperty` (`IID_IStream`
//! for attachment data and large values, `IID_IMessage` for embedded messages),
//! `SaveChanges`, and `IStorage` for the root class and entries outside the message's
//! namespace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::api::{self, ApiError, Message, NameKind, PropName, Session, Storage};
use crate::blobs::BlobStore;
use crate::dump::{PR_ATTACH_DATA_BIN, PR_ATTACH_DATA_OBJ, PR_STORE_SUPPORT_MASK};
use crate::shape::{parse_guid, parse_hex, parse_iso};
use crate::value::{PVal, prop_id, prop_type, with_type};
use imessage::com::types::GUID;
use imessage::consts::*;

/// Values larger than this go through `OpenProperty(IID_IStream)` instead of `SetProps`.
const STREAM_THRESHOLD: usize = 1 << 20;

#[derive(Debug)]
pub struct CreateError(pub String);

impl std::fmt::Display for CreateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<ApiError> for CreateError {
    fn from(e: ApiError) -> Self {
        CreateError(e.to_string())
    }
}

/// Where binary values given by reference are found.
pub struct Sources {
    pub blobs: BlobStore,
    /// `"file"` paths are relative to this folder.
    pub base: PathBuf,
}

/// `imsg create SPEC.json OUT.msg [--data DIR]`; returns what could not be applied.
pub fn create_file(
    spec: &Path,
    out: &str,
    data: Option<&Path>,
) -> Result<Vec<String>, CreateError> {
    let text = std::fs::read(spec).map_err(|e| CreateError(format!("{}: {e}", spec.display())))?;
    let doc: Value = serde_json::from_slice(&text)
        .map_err(|e| CreateError(format!("{}: not valid JSON: {e}", spec.display())))?;
    let sources = Sources {
        blobs: match data {
            Some(d) => BlobStore::in_dir(d),
            None => BlobStore::none(),
        },
        base: spec
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    message_of(&doc).map_err(|e| CreateError(format!("{}: {e}", spec.display())))?;
    create_from_value(&doc, out, &sources).map_err(|e| CreateError(format!("{out}: {e}")))
}

/// The message object of a spec: a whole dump's `"message"`, or the spec itself.
fn message_of(doc: &Value) -> Result<&Value, CreateError> {
    let m = doc.get("message").unwrap_or(doc);
    if m.get("properties").is_some_and(Value::is_object) {
        Ok(m)
    } else {
        Err(CreateError(
            "the JSON has no \"message\" with \"properties\" (the shape `imsg dump` prints)".into(),
        ))
    }
}

/// Whether the spec's message is Unicode: `STORE_UNICODE_OK` in its
/// `PR_STORE_SUPPORT_MASK`, else the width of its first string property; `None` when it
/// says neither.
fn spec_width(msg: &Value) -> Option<bool> {
    let props = msg["properties"].as_object();
    let mask_key = format!("0x{PR_STORE_SUPPORT_MASK:08X}");
    if let Some(mask) = props
        .and_then(|p| p.get(&mask_key))
        .and_then(|e| e["value"].as_i64())
    {
        return Some(mask as u32 & STORE_UNICODE_OK != 0);
    }
    props
        .into_iter()
        .flatten()
        .filter(|(_, e)| !is_not_a_property(e))
        .find_map(
            |(k, _)| match parse_tag(k).map(|t| prop_type(t) & !MV_FLAG) {
                Some(PT_UNICODE) => Some(true),
                Some(PT_STRING8) => Some(false),
                _ => None,
            },
        )
}

pub fn parse_tag(s: &str) -> Option<u32> {
    u32::from_str_radix(s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?, 16).ok()
}

/// Columns the recipient table computes for a row that stores none (`imsg dump` gives
/// them without `flags`, which only stored properties have): not the caller's to set.
fn is_row_computed(tag: u32, e: &Value) -> bool {
    const PR_ROWID: u32 = 0x3000_0003;
    const PR_INSTANCE_KEY: u32 = 0x0FF6_0102;
    const PR_OBJECT_TYPE: u32 = 0x0FFE_0003;
    [PR_ROWID, PR_INSTANCE_KEY, PR_OBJECT_TYPE].contains(&tag) && e.get("flags").is_none()
}

/// Whether a message spec gives `PR_MESSAGE_CLASS` (either string type).
fn has_message_class(spec: &Value) -> bool {
    spec["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, e)| !is_not_a_property(e))
        .filter_map(|(k, _)| parse_tag(k))
        .any(|t| t >> 16 == 0x001A && matches!(prop_type(t), PT_UNICODE | PT_STRING8))
}

/// Dump entries that describe the file, not a property.
fn is_not_a_property(e: &Value) -> bool {
    e.get("orphan_stream").and_then(Value::as_bool) == Some(true)
        || e.get("missing_stream").and_then(Value::as_bool) == Some(true)
        || e.get("raw").is_some()
}

/// Builds `out` from a parsed spec.
pub fn create_from_value(
    doc: &Value,
    out: &str,
    sources: &Sources,
) -> Result<Vec<String>, CreateError> {
    let spec = message_of(doc)?;
    let unicode = spec_width(spec).unwrap_or(true);
    let stg = api::create_storage_file(
        out,
        STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE,
    )?;
    let session = Session::open()?;
    let mut b = Builder {
        sources,
        report: Vec::new(),
        ids: BTreeMap::new(),
    };
    if !has_message_class(spec) {
        b.note(
            "",
            "warning: no PR_MESSAGE_CLASS (0x001A) in the spec; the message is written without \
             one, and readers such as extract-msg and Apache POI refuse such a file as not a \
             .msg (give one, e.g. \"IPM.Note\")",
        );
    }
    let result = (|| -> Result<(), CreateError> {
        let flags = IMSG_NO_ISTG_COMMIT | if unicode { MAPI_UNICODE } else { 0 };
        let msg = session.open_message(&stg, flags)?;
        b.names(&msg, doc)?;
        let clsid = doc
            .pointer("/cfb/root_clsid")
            .and_then(Value::as_str)
            .map(|s| {
                if s.is_empty() {
                    Some([0; 16])
                } else {
                    parse_guid(s)
                }
            });
        if let Some(Some(c)) = clsid
            && c != [0; 16]
        {
            stg.set_class(&GUID::from_bytes(c))?;
        }
        b.fill(&msg, spec, "")?;
        if let Some(entries) = spec.get("unexpected_entries").and_then(Value::as_array) {
            for e in entries {
                b.unexpected(&stg, e);
            }
        }
        msg.save_changes(0)?;
        // The library stamps CLSID_MailMessage on a null class at SaveChanges; a spec
        // that says the class is null gets it back.
        if let Some(Some(c)) = clsid
            && c == [0; 16]
        {
            stg.set_class(&GUID::default())?;
        }
        drop(msg);
        stg.commit()?;
        Ok(())
    })();
    drop(stg);
    drop(session);
    result.map(|()| b.report)
}

struct Builder<'a> {
    sources: &'a Sources,
    report: Vec<String>,
    /// The spec's named-property ids → the ids this file gave the same names.
    ids: BTreeMap<u32, u32>,
}

fn parse_named(s: &str) -> Option<PropName> {
    let mut parts = s.splitn(3, ':');
    let guid = parse_guid(parts.next()?)?;
    let kind = match (parts.next()?, parts.next()?) {
        ("id", v) => NameKind::Id(parse_tag(v)?),
        ("name", v) => NameKind::Name(v.encode_utf16().collect()),
        _ => return None,
    };
    Some(PropName { guid, kind })
}

impl Builder<'_> {
    fn note(&mut self, at: &str, what: impl std::fmt::Display) {
        let place = if at.is_empty() { "/" } else { at };
        self.report.push(format!("{place}: {what}"));
    }

    /// Creates the spec's named properties in entry order, so that a map the library
    /// numbers densely from 0x8000 comes out with the same ids.
    fn names(&mut self, msg: &Message, doc: &Value) -> Result<(), CreateError> {
        let Some(entries) = doc
            .pointer("/named_properties/entries")
            .and_then(Value::as_array)
        else {
            return Ok(());
        };
        let mut list: Vec<(u64, u32, PropName)> = Vec::new();
        for e in entries {
            let id = e["prop_id"].as_str().and_then(parse_tag);
            let guid = e["guid"].as_str().and_then(parse_guid);
            let kind = match e["kind"].as_str() {
                Some("id") => e["id"].as_str().and_then(parse_tag).map(NameKind::Id),
                Some("name") => e["name"]
                    .as_str()
                    .map(|s| NameKind::Name(s.encode_utf16().collect())),
                _ => None,
            };
            match (id, guid, kind) {
                (Some(id), Some(guid), Some(kind)) => list.push((
                    e["entry"].as_u64().unwrap_or(u64::from(id)),
                    id,
                    PropName { guid, kind },
                )),
                _ => self.note(
                    "/named_properties",
                    format!("entry {e} names nothing; skipped"),
                ),
            }
        }
        list.sort_by_key(|(entry, _, _)| *entry);
        let names: Vec<PropName> = list.iter().map(|(_, _, n)| n.clone()).collect();
        let tags = msg.ids_from_names(&names, true)?;
        for ((_, id, _), tag) in list.iter().zip(tags) {
            if prop_type(tag) == PT_ERROR {
                self.note(
                    "/named_properties",
                    format!("GetIDsFromNames gave no id for 0x{id:04X}"),
                );
            } else {
                self.ids.entry(*id).or_insert(prop_id(tag));
            }
        }
        Ok(())
    }

    /// The tag this file uses for a spec tag (named properties renumbered).
    fn map_tag(&mut self, msg: &Message, tag: u32, entry: &Value) -> u32 {
        let id = prop_id(tag);
        if id < 0x8000 {
            return tag;
        }
        if let Some(&new) = self.ids.get(&id) {
            return (new << 16) | prop_type(tag);
        }
        if let Some(name) = entry["named"].as_str().and_then(parse_named)
            && let Ok(tags) = msg.ids_from_names(&[name], true)
            && let Some(&t) = tags.first()
            && prop_type(t) != PT_ERROR
        {
            self.ids.insert(id, prop_id(t));
            return (prop_id(t) << 16) | prop_type(tag);
        }
        tag
    }

    /// A binary value: `hex`, else `file`, else `sha256` in the data folder.
    fn bytes(&self, entry: &Value) -> Result<Vec<u8>, String> {
        if let Some(h) = entry.get("hex").and_then(Value::as_str) {
            return parse_hex(h).ok_or_else(|| format!("bad hex {h:?}"));
        }
        if let Some(f) = entry.get("file").and_then(Value::as_str) {
            let path = self.sources.base.join(f);
            return std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()));
        }
        if let Some(sha) = entry.get("sha256").and_then(Value::as_str) {
            return self.sources.blobs.get(sha).ok_or_else(|| {
                format!("the value is given by sha256 {sha} only; pass --data DIR with a file of that name (imsg dump --save-data DIR writes them)")
            });
        }
        Err("no \"hex\", \"file\" or \"sha256\"".into())
    }

    /// The value of one spec entry for `tag` (whose type may change: 8-bit text given
    /// only decoded is set as Unicode and converted by the library). `None`: nothing to
    /// set.
    fn value(&self, tag: u32, e: &Value) -> Result<Option<(u32, PVal)>, String> {
        let v = &e["value"];
        let int = |v: &Value| -> Result<i64, String> {
            v.as_i64()
                .or_else(|| v.as_u64().map(|u| u as i64))
                .ok_or_else(|| format!("expected an integer, found {v}"))
        };
        let float = |v: &Value| -> Result<f64, String> {
            match v {
                Value::Number(n) => n.as_f64().ok_or_else(|| "bad number".to_string()),
                Value::String(s) => match s.to_ascii_lowercase().as_str() {
                    "nan" => Ok(f64::NAN),
                    "inf" | "infinity" | "+inf" => Ok(f64::INFINITY),
                    "-inf" | "-infinity" => Ok(f64::NEG_INFINITY),
                    _ => Err(format!("expected a number, found {s:?}")),
                },
                _ => Err(format!("expected a number, found {v}")),
            }
        };
        let time = |v: &Value| -> Result<u64, String> {
            match v {
                Value::String(s) => parse_iso(s).ok_or_else(|| format!("bad time {s:?}")),
                _ => v
                    .as_u64()
                    .ok_or_else(|| format!("expected a time, found {v}")),
            }
        };
        let text = |v: &Value| -> Result<Vec<u16>, String> {
            v.as_str()
                .map(|s| s.encode_utf16().collect())
                .ok_or_else(|| format!("expected text, found {v}"))
        };
        let guid = |v: &Value| -> Result<[u8; 16], String> {
            v.as_str()
                .and_then(parse_guid)
                .ok_or_else(|| format!("expected a GUID, found {v}"))
        };
        let list = || -> Result<&Vec<Value>, String> {
            e["values"]
                .as_array()
                .ok_or_else(|| "no \"values\" list".to_string())
        };
        let ty = prop_type(tag);
        let value = match ty {
            PT_I2 => PVal::I2(int(v)? as i16),
            PT_LONG => PVal::I4(int(v)? as i32),
            PT_R4 => PVal::R4(float(v)? as f32),
            PT_DOUBLE => PVal::R8(float(v)?),
            PT_APPTIME => PVal::AppTime(float(v)?),
            PT_CURRENCY => PVal::Cur(int(v)?),
            PT_I8 => PVal::I8(int(v)?),
            // MAPI defines SetProps to ignore PT_ERROR values, so none can be stored.
            PT_ERROR => {
                return Err(
                    "a PT_ERROR value cannot be stored: SetProps ignores PT_ERROR properties, as MAPI defines it"
                        .into(),
                );
            }
            PT_BOOLEAN => PVal::Bool(match v {
                Value::Bool(b) => *b,
                _ => int(v)? != 0,
            }),
            PT_SYSTIME => PVal::Time(match e.get("filetime").and_then(Value::as_u64) {
                Some(ft) => ft,
                None => time(v)?,
            }),
            PT_CLSID => PVal::Guid(guid(v)?),
            PT_UNICODE => PVal::Uni(text(v)?),
            PT_STRING8 => match e.get("hex").and_then(Value::as_str) {
                Some(h) => PVal::Str8(parse_hex(h).ok_or_else(|| format!("bad hex {h:?}"))?),
                None => return Ok(Some((with_type(tag, PT_UNICODE), PVal::Uni(text(v)?)))),
            },
            PT_BINARY => PVal::Bin(self.bytes(e)?),
            PT_OBJECT | PT_NULL | PT_UNSPECIFIED => return Ok(None),
            PT_MV_I2 => PVal::MvI2(
                list()?
                    .iter()
                    .map(|x| int(x).map(|i| i as i16))
                    .collect::<Result<_, _>>()?,
            ),
            PT_MV_LONG => PVal::MvI4(
                list()?
                    .iter()
                    .map(|x| int(x).map(|i| i as i32))
                    .collect::<Result<_, _>>()?,
            ),
            PT_MV_R4 => PVal::MvR4(
                list()?
                    .iter()
                    .map(|x| float(x).map(|f| f as f32))
                    .collect::<Result<_, _>>()?,
            ),
            PT_MV_DOUBLE => PVal::MvR8(list()?.iter().map(float).collect::<Result<_, _>>()?),
            PT_MV_APPTIME => PVal::MvAppTime(list()?.iter().map(float).collect::<Result<_, _>>()?),
            PT_MV_CURRENCY => PVal::MvCur(list()?.iter().map(int).collect::<Result<_, _>>()?),
            PT_MV_I8 => PVal::MvI8(list()?.iter().map(int).collect::<Result<_, _>>()?),
            PT_MV_SYSTIME => PVal::MvTime(list()?.iter().map(time).collect::<Result<_, _>>()?),
            PT_MV_CLSID => PVal::MvGuid(list()?.iter().map(guid).collect::<Result<_, _>>()?),
            PT_MV_UNICODE => PVal::MvUni(list()?.iter().map(text).collect::<Result<_, _>>()?),
            PT_MV_STRING8 => {
                return Ok(Some((
                    with_type(tag, PT_MV_UNICODE),
                    PVal::MvUni(list()?.iter().map(text).collect::<Result<_, _>>()?),
                )));
            }
            // Each value as a single binary is given (`hex`, `file` or `sha256`); a bare hex
            // string is read too.
            PT_MV_BINARY => PVal::MvBin(
                list()?
                    .iter()
                    .map(|x| match x.as_str() {
                        Some(h) => parse_hex(h).ok_or_else(|| format!("bad hex {h:?}")),
                        None => self.bytes(x),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(format!("type 0x{ty:04X} cannot be set")),
        };
        Ok(Some((tag, value)))
    }

    /// Sets the properties of a message or attachment (except `skip`), then their flags.
    fn set_props<V: api::PropVtbl>(
        &mut self,
        obj: &api::Com<V>,
        msg: &Message,
        props: &Value,
        skip: &[u32],
        at: &str,
    ) -> Result<(), CreateError> {
        let Some(props) = props.as_object() else {
            return Ok(());
        };
        let mut values = Vec::new();
        let mut streamed = Vec::new();
        let mut flags = Vec::new();
        let mut read_only = Vec::new();
        for (key, e) in props {
            let Some(tag) = parse_tag(key) else {
                self.note(at, format!("{key}: not a property tag; skipped"));
                continue;
            };
            if skip.contains(&tag) || is_not_a_property(e) {
                continue;
            }
            let tag = self.map_tag(msg, tag, e);
            let (tag, value) = match self.value(tag, e) {
                Ok(Some(tv)) => tv,
                Ok(None) => continue,
                Err(err) => {
                    self.note(at, format!("{key}: {err}; skipped"));
                    continue;
                }
            };
            if let Some(f) = e.get("flags").and_then(Value::as_u64) {
                flags.push((tag, f as u32));
                if f as u32 & PROPATTR_WRITEABLE == 0 {
                    read_only.push(tag);
                }
            }
            let big = match &value {
                PVal::Bin(b) | PVal::Str8(b) => b.len() > STREAM_THRESHOLD,
                PVal::Uni(u) => u.len() * 2 > STREAM_THRESHOLD,
                _ => false,
            };
            if big {
                streamed.push((tag, value));
            } else {
                values.push((tag, value));
            }
        }
        for (tag, sc) in obj.set_props(&values)? {
            // Computed properties, and those the spec itself marks read-only (which the
            // library keeps for itself, e.g. PR_RECORD_KEY), are expected refusals.
            let expected =
                sc == MAPI_E_COMPUTED || (sc == MAPI_E_NO_ACCESS && read_only.contains(&tag));
            if !expected {
                self.note(
                    at,
                    format!("SetProps(0x{tag:08X}): {}", api::scode_text(sc)),
                );
            }
        }
        for (tag, value) in streamed {
            let bytes: Vec<u8> = match value {
                PVal::Bin(b) | PVal::Str8(b) => b,
                PVal::Uni(u) => u.iter().flat_map(|c| c.to_le_bytes()).collect(),
                _ => continue,
            };
            let r = obj
                .open_stream(tag, true)
                .and_then(|s| s.write_all(&bytes).and_then(|()| s.commit()));
            if let Err(e) = r {
                self.note(at, e);
            }
        }
        let (tags, attrs): (Vec<u32>, Vec<u32>) = flags.into_iter().unzip();
        match obj.set_attribs(&tags, &attrs) {
            Ok(problems) => {
                for (tag, sc) in problems {
                    if sc != MAPI_E_COMPUTED && sc != MAPI_E_NOT_FOUND {
                        self.note(
                            at,
                            format!("SetAttribIMsgOnIStg(0x{tag:08X}): {}", api::scode_text(sc)),
                        );
                    }
                }
            }
            Err(e) => self.note(at, e),
        }
        Ok(())
    }

    /// Properties, recipients and attachments of one message.
    fn fill(&mut self, msg: &Message, spec: &Value, at: &str) -> Result<(), CreateError> {
        self.set_props(msg, msg, &spec["properties"], &[], at)?;
        let mut recipients: Vec<&Value> = spec["recipients"]
            .as_array()
            .map(|r| r.iter().collect())
            .unwrap_or_default();
        recipients.sort_by_key(|r| storage_number(r));
        if !recipients.is_empty() {
            let mut rows = Vec::new();
            for r in &recipients {
                let here = format!("{at}/{}", r["storage"].as_str().unwrap_or("recipient"));
                let mut row = Vec::new();
                for (key, e) in r["properties"].as_object().into_iter().flatten() {
                    let Some(tag) = parse_tag(key) else { continue };
                    if is_not_a_property(e) || is_row_computed(tag, e) {
                        continue;
                    }
                    let tag = self.map_tag(msg, tag, e);
                    match self.value(tag, e) {
                        Ok(Some(tv)) => row.push(tv),
                        Ok(None) => {}
                        Err(err) => self.note(&here, format!("{key}: {err}; skipped")),
                    }
                }
                if r.get("unexpected_entries").is_some() {
                    self.note(
                        &here,
                        "entries outside the message format inside a recipient cannot be made through the API; skipped",
                    );
                }
                rows.push(row);
            }
            msg.modify_recipients(0, &rows)?;
        }
        let mut attachments: Vec<&Value> = spec["attachments"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        attachments.sort_by_key(|a| storage_number(a));
        for a in attachments {
            self.attachment(msg, a, at)?;
        }
        Ok(())
    }

    fn attachment(&mut self, msg: &Message, spec: &Value, at: &str) -> Result<(), CreateError> {
        let (num, attach) = msg.create_attach()?;
        let here = format!("{at}/__attach_version1.0_#{num:08X}");
        if let Some(want) = storage_number(spec)
            && want != num
        {
            self.note(
                &here,
                format!("the spec numbers this attachment {want}; the library gave {num}"),
            );
        }
        let props = &spec["properties"];
        self.set_props(
            &attach,
            msg,
            props,
            &[PR_ATTACH_DATA_BIN, PR_ATTACH_DATA_OBJ],
            &here,
        )?;
        let data_key = format!("0x{PR_ATTACH_DATA_BIN:08X}");
        if let Some(e) = props.get(&data_key) {
            match self.bytes(e) {
                Ok(bytes) => {
                    let s = attach.open_stream(PR_ATTACH_DATA_BIN, true)?;
                    s.write_all(&bytes)?;
                    s.commit()?;
                    if let Some(f) = e.get("flags").and_then(Value::as_u64) {
                        let _ = attach.set_attribs(&[PR_ATTACH_DATA_BIN], &[f as u32]);
                    }
                }
                Err(err) => self.note(&here, format!("{data_key}: {err}; no data written")),
            }
        }
        if let Some(emb) = spec.get("embedded_message") {
            // A new embedded message is Unicode with MAPI_UNICODE, else its parent's width:
            // an 8-bit one inside a Unicode message cannot be made through the API.
            let parent = crate::dump::message_width(msg)?.unwrap_or(true);
            let unicode = spec_width(emb).unwrap_or(parent);
            if parent && !unicode {
                self.note(
                    &here,
                    "an 8-bit embedded message inside a Unicode message cannot be made through the API; made Unicode",
                );
            }
            let inner = attach.open_embedded(true, unicode)?;
            self.fill(&inner, emb, &format!("{here}/__substg1.0_3701000D"))?;
            if emb.get("unexpected_entries").is_some() {
                self.note(
                    &here,
                    "entries outside the message format inside an embedded message cannot be made through the API; skipped",
                );
            }
            inner.save_changes(0)?;
            drop(inner);
            let obj_key = format!("0x{PR_ATTACH_DATA_OBJ:08X}");
            if let Some(f) = props
                .get(&obj_key)
                .and_then(|e| e.get("flags"))
                .and_then(Value::as_u64)
            {
                let _ = attach.set_attribs(&[PR_ATTACH_DATA_OBJ], &[f as u32]);
            }
        }
        if let Some(tree) = spec.get("object_storage") {
            let r = attach
                .open_object_storage(true)
                .map_err(|e| e.to_string())
                .and_then(|s| self.fill_tree(&s, tree));
            if let Err(e) = r {
                self.note(&here, format!("the OLE object's storage: {e}"));
            }
        }
        if spec.get("unexpected_entries").is_some() {
            self.note(
                &here,
                "entries outside the message format inside an attachment cannot be made through the API; skipped",
            );
        }
        attach.save_changes(0)?;
        Ok(())
    }

    /// An element outside the message format at the root, written through `IStorage`.
    fn unexpected(&mut self, stg: &Storage, e: &Value) {
        let name: Vec<u16> = e["name"].as_str().unwrap_or("").encode_utf16().collect();
        let r = match e["kind"].as_str() {
            Some("stream") => self.bytes(e).and_then(|b| {
                stg.create_stream(&name)
                    .and_then(|s| s.write_all(&b))
                    .map_err(|x| x.to_string())
            }),
            Some("storage") => self.tree(stg, &name, &e["tree"]),
            _ => Err("unknown kind".into()),
        };
        if let Err(err) = r {
            self.note(
                "/",
                format!("entry {:?}: {err}", String::from_utf16_lossy(&name)),
            );
        }
    }

    /// A storage of `unexpected_entries`: its class and flattened entries.
    fn tree(&mut self, parent: &Storage, name: &[u16], tree: &Value) -> Result<(), String> {
        let s = parent.create_sub_storage(name).map_err(|e| e.to_string())?;
        self.fill_tree(&s, tree)
    }

    /// Gives `s` the class and the flattened entries of `tree` (`{"clsid", "entries"}`:
    /// `path/` for storages, `path` for streams), then commits it.
    fn fill_tree(&mut self, s: &Storage, tree: &Value) -> Result<(), String> {
        if let Some(c) = tree["clsid"].as_str().and_then(parse_guid) {
            s.set_class(&GUID::from_bytes(c))
                .map_err(|e| e.to_string())?;
        }
        let entries = tree["entries"].as_object().cloned().unwrap_or_default();
        // Direct children first; deeper paths are handled by recursion.
        let mut children: BTreeMap<String, Value> = BTreeMap::new();
        for (path, v) in &entries {
            let (head, rest) = match path.split_once('/') {
                Some((h, r)) => (h.to_string(), r.to_string()),
                None => (path.clone(), String::new()),
            };
            let child = children
                .entry(head.clone())
                .or_insert_with(|| serde_json::json!({"entries": {}}));
            if path.ends_with('/') && rest.is_empty() {
                child["kind"] = "storage".into();
                child["clsid"] = v["clsid"].clone();
            } else if rest.is_empty() {
                child["kind"] = "stream".into();
                child["data"] = v.clone();
            } else {
                child["kind"] = "storage".into();
                child["entries"][rest] = v.clone();
            }
        }
        for (child, v) in children {
            let wname: Vec<u16> = child.encode_utf16().collect();
            if v["kind"] == "stream" {
                let bytes = self.bytes(&v["data"])?;
                s.create_stream(&wname)
                    .and_then(|st| st.write_all(&bytes))
                    .map_err(|e| e.to_string())?;
            } else {
                let sub = serde_json::json!({"clsid": v["clsid"], "entries": v["entries"]});
                self.tree(s, &wname, &sub)?;
            }
        }
        s.commit().map_err(|e| e.to_string())
    }
}

/// The number in a storage name (`__attach_version1.0_#0000000A` → 10).
fn storage_number(object: &Value) -> Option<u32> {
    let name = object["storage"].as_str()?;
    u32::from_str_radix(name.rsplit_once('#')?.1, 16).ok()
}
