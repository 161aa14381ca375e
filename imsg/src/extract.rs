//! `imsg attachments`: writes each attachment of a message into a folder.
//!
//! The message is read with `dump` (its large values kept in memory); data attachments are
//! written from there. An embedded message becomes a standalone `.msg`: CopyTo is not
//! available, so `create` builds a new top-level message from the embedded message's dump
//! (properties with `SetProps`, recipients with `ModifyRecipients`, attachments and nested
//! messages recursively) and the file's named-property map (`GetIDsFromNames` in id order,
//! so named ids stay the same). Being top-level, the new file gets the 32-byte property
//! header, its own name map and, for Unicode, `PR_STORE_SUPPORT_MASK` ([MS-OXMSG] 2.4.1;
//! `spec/msg-format.md` 3.1, 16.2). OLE attachments are copied storage by storage through
//! `IStorage`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::api::{self, Session, Storage};
use crate::blobs::BlobStore;
use crate::create::{self, Sources};
use crate::dump::{self, PR_ATTACH_DATA_BIN};
use imessage::consts::*;

#[derive(Debug)]
pub struct ExtractError(String);

impl std::fmt::Display for ExtractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const CLSID_MAIL_MESSAGE: &str = "00020d0b-0000-0000-c000-000000000046";

fn text_prop(props: &Value, ids: &[u32]) -> Option<String> {
    for id in ids {
        for ty in [PT_UNICODE, PT_STRING8] {
            let key = format!("0x{:08X}", (id << 16) | ty);
            if let Some(s) = props.get(&key).and_then(|e| e["value"].as_str())
                && !s.trim().is_empty()
            {
                return Some(s.to_string());
            }
        }
    }
    None
}

/// A file name that stays inside the folder: no separators, no NULs, no `.`/`..`.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | '\0' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').to_string();
    let limited: String = trimmed.chars().take(200).collect();
    if limited.is_empty() {
        "attachment".into()
    } else {
        limited
    }
}

/// `name`, or `name (2)` ... when taken.
fn unique(dir: &Path, name: &str, taken: &mut BTreeSet<String>) -> PathBuf {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut candidate = name.to_string();
    let mut n = 2;
    while taken.contains(&candidate.to_lowercase()) || dir.join(&candidate).exists() {
        candidate = format!("{stem} ({n}){ext}");
        n += 1;
    }
    taken.insert(candidate.to_lowercase());
    dir.join(candidate)
}

pub fn extract(file: &str, dir: &Path) -> Result<Vec<String>, ExtractError> {
    let mut blobs = BlobStore::in_memory();
    let doc =
        dump::dump_file(file, &mut blobs).map_err(|e| ExtractError(format!("{file}: {e}")))?;
    std::fs::create_dir_all(dir).map_err(|e| ExtractError(format!("{}: {e}", dir.display())))?;
    let sources = Sources {
        blobs,
        base: dir.to_path_buf(),
    };
    let mut lines = Vec::new();
    let mut taken = BTreeSet::new();
    let attachments = doc["message"]["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if attachments.is_empty() {
        lines.push(format!("{file}: no attachments"));
    }
    for a in &attachments {
        let storage = a["storage"].as_str().unwrap_or("");
        let num = storage
            .rsplit_once('#')
            .and_then(|(_, n)| u32::from_str_radix(n, 16).ok())
            .unwrap_or(0);
        let props = &a["properties"];
        let method = props["0x37050003"]["value"].as_i64().unwrap_or(0) as u32;
        let base = text_prop(props, &[0x3707, 0x3704, 0x3001]);
        let data_key = format!("0x{PR_ATTACH_DATA_BIN:08X}");
        if let Some(emb) = a.get("embedded_message") {
            let mut name = safe_name(
                &base
                    .or_else(|| text_prop(&emb["properties"], &[0x0037]))
                    .unwrap_or_else(|| format!("attachment-{num}")),
            );
            if !name.to_lowercase().ends_with(".msg") {
                name.push_str(".msg");
            }
            let path = unique(dir, &name, &mut taken);
            let spec = standalone(&doc, emb);
            let out = path.to_string_lossy().into_owned();
            match create::create_from_value(&spec, &out, &sources) {
                Ok(report) => {
                    lines.push(format!("{num}\tembedded message\t{}", path.display()));
                    for r in report {
                        lines.push(format!("{num}\t  note: {r}"));
                    }
                }
                Err(e) => lines.push(format!("{num}\tembedded message\tFAILED: {e}")),
            }
        } else if method == ATTACH_OLE {
            let name = safe_name(&base.unwrap_or_else(|| format!("attachment-{num}.ole")));
            let path = unique(dir, &name, &mut taken);
            match copy_ole(file, num, &path) {
                Ok(()) => lines.push(format!("{num}\tOLE object\t{}", path.display())),
                Err(e) => lines.push(format!("{num}\tOLE object\tFAILED: {e}")),
            }
        } else if let Some(e) = props.get(&data_key) {
            let name = safe_name(&base.unwrap_or_else(|| format!("attachment-{num}")));
            let path = unique(dir, &name, &mut taken);
            let bytes = e["sha256"]
                .as_str()
                .and_then(|sha| sources.blobs.get(sha))
                .or_else(|| e["hex"].as_str().and_then(crate::shape::parse_hex));
            match bytes {
                Some(b) => match std::fs::write(&path, b) {
                    Ok(()) => lines.push(format!("{num}\tdata\t{}", path.display())),
                    Err(err) => {
                        lines.push(format!("{num}\tdata\tFAILED: {}: {err}", path.display()))
                    }
                },
                None => lines.push(format!("{num}\tdata\tFAILED: the data could not be read")),
            }
        } else {
            let what = match method {
                ATTACH_BY_REFERENCE | ATTACH_BY_REF_RESOLVE | ATTACH_BY_REF_ONLY => {
                    "by reference, no data"
                }
                ATTACH_BY_WEBREFERENCE => "web reference, no data",
                _ => "no data",
            };
            lines.push(format!("{num}\t{what}\t-"));
        }
    }
    for w in doc["warnings"].as_array().into_iter().flatten() {
        lines.push(format!("warning: {}", w.as_str().unwrap_or("")));
    }
    Ok(lines)
}

/// The spec of a standalone message made from an embedded one: its dump, the file's
/// name map, Outlook's root class, and (for 8-bit text) the code page it was read in
/// when it had it from its parent.
fn standalone(doc: &Value, emb: &Value) -> Value {
    let mut message = emb.clone();
    let inherited = emb["string8_codepage"]["source"] == "parent";
    let has_8bit = emb["properties"]
        .as_object()
        .is_some_and(|p| p.values().any(|e| e["type"] == "PtypString8"));
    if inherited
        && has_8bit
        && let Some(props) = message["properties"].as_object_mut()
    {
        props.insert(
            "0x3FFD0003".into(),
            json!({"type": "PtypInteger32", "flags": 6, "value": emb["string8_codepage"]["codepage"]}),
        );
    }
    json!({
        "cfb": {"root_clsid": CLSID_MAIL_MESSAGE},
        "message": message,
        "named_properties": doc["named_properties"].clone(),
    })
}

/// An OLE attachment's storage, copied into a new compound file.
fn copy_ole(file: &str, num: u32, dest: &Path) -> Result<(), String> {
    let src = api::open_storage_file(file, STGM_READ | STGM_SHARE_DENY_WRITE)
        .map_err(|e| e.to_string())?;
    let session = Session::open().map_err(|e| e.to_string())?;
    let r = (|| {
        let msg = session.open_message(&src, 0)?;
        let attach = msg.open_attach(num, false)?;
        let obj = attach.open_object_storage(false)?;
        let out = api::create_storage_file(
            &dest.to_string_lossy(),
            STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE | STGM_SHARE_EXCLUSIVE,
        )?;
        copy_tree(&obj, &out)?;
        out.set_class(&obj.clsid()?)?;
        out.commit()
    })();
    drop(src);
    drop(session);
    r.map_err(|e| e.to_string())
}

fn copy_tree(from: &Storage, to: &Storage) -> Result<(), api::ApiError> {
    for el in from.elements()? {
        if el.is_storage {
            let a = from.open_sub_storage(&el.name)?;
            let b = to.create_sub_storage(&el.name)?;
            copy_tree(&a, &b)?;
            b.set_class(&a.clsid()?)?;
            b.commit()?;
        } else {
            let data = from.open_stream_w(&el.name)?.read_all()?;
            to.create_stream(&el.name)?.write_all(&data)?;
        }
    }
    Ok(())
}
