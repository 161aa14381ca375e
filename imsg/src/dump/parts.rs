//! The parts of a dump below a message's properties: recipients, attachments and embedded
//! messages, the storage tree, and the named-property map.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::api::{self, ApiError, Attach, Message, NameKind, PropName, Storage};
use crate::shape::guid_text;
use crate::value::{PVal, prop_id, prop_type};
use imessage::consts::*;

use super::*;

impl Dumper<'_> {
    /// The recipient table's rows, every column, ordered by `PR_ROWID`.
    pub(super) fn recipients(&mut self, msg: &Message, raw: &Raw, cp: u32, at: &str) -> Vec<Value> {
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
    pub(super) fn attachments(
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
    pub(super) fn unexpected(
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
    pub(super) fn name_map(&mut self, names: &[(u32, PropName)], stg: &Storage) -> Value {
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
