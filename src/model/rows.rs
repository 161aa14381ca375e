//! The rows a table shows: what a row holds, and the rows of one source at one moment.
#![forbid(unsafe_code)]

use std::sync::Arc;

use super::bag::{PropBag, Slot};
use super::load::EAGER_BUDGET;
use super::props::{GETPROPS_LIMIT, attach_defaults, attach_size};
use super::recipients::Recipients;
use super::state::Attachments;
use crate::codec::values;
use crate::consts::*;
use crate::types::prop_value::{PropValue, prop_id, prop_type, tags::*};

/// Which rows a table shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    Recipients,
    Attachments,
}

/// One row: a key unique among the source's rows and stable while the message is open
/// (`PR_ROWID` for recipients, `PR_ATTACH_NUM` for attachments), and its properties with
/// their stored types (strings in the message's width).
#[derive(Clone, Debug, PartialEq)]
pub struct TableRow {
    pub key: u32,
    pub props: Vec<(u32, PropValue)>,
}

/// The rows of a source at one moment. `version` changes whenever the rows do, so a table
/// knows to rebuild its view.
#[derive(Clone, Debug)]
pub struct Rows {
    pub version: u64,
    pub rows: Arc<Vec<TableRow>>,
    /// The columns a new table shows (`QueryColumns(0)` before any `SetColumns`).
    pub default_columns: Arc<Vec<u32>>,
    /// Every column the rows can give (`QueryColumns(TBL_ALL_COLUMNS)`).
    pub all_columns: Arc<Vec<u32>>,
    /// The code page of the message's 8-bit strings, for string-width conversion.
    pub codepage: u32,
}

// ===== table rows =====

/// A row's properties: large streamed values are left out (read them through the object).
/// Values still in the storage are read while `budget` (bytes, for the whole table) lasts:
/// a table of many attachments would otherwise hold all their data, and a damaged file's
/// data streams can all claim the same sectors.
pub(crate) fn row_props(bag: &PropBag, budget: &mut u64) -> Vec<(u32, PropValue)> {
    bag.iter()
        .filter(|e| prop_type(e.tag) != PT_OBJECT)
        .filter_map(|e| {
            let value = match &e.slot {
                Slot::Value(v) => v.clone(),
                Slot::Large(blob) if blob.len() <= GETPROPS_LIMIT && blob.len() <= *budget => {
                    *budget -= blob.len();
                    values::decode_single(prop_type(e.tag), &blob.to_vec().ok()?)?
                }
                _ => return None,
            };
            Some((e.tag, value))
        })
        .collect()
}

/// Puts `(tag, value)` in a row unless its id is there (or replaces it when `replace`).
pub(crate) fn put(props: &mut Vec<(u32, PropValue)>, tag: u32, value: PropValue, replace: bool) {
    match props.iter_mut().find(|(t, _)| prop_id(*t) == prop_id(tag)) {
        Some(slot) if replace => *slot = (tag, value),
        Some(_) => {}
        None => props.push((tag, value)),
    }
}

pub(crate) fn columns(rows: &[TableRow], first: &[u32], skip: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut out: Vec<u32> = first.to_vec();
    for row in rows {
        for (tag, _) in &row.props {
            if !skip(*tag) && !out.iter().any(|t| prop_id(*t) == prop_id(*tag)) {
                out.push(*tag);
            }
        }
    }
    out
}

pub(crate) fn recipient_rows(recipients: &Recipients, version: u64, cp: u32) -> Rows {
    let mut budget = EAGER_BUDGET;
    let rows: Vec<TableRow> = recipients
        .rows
        .iter()
        .zip(recipients.instance_keys())
        .map(|(r, key)| {
            let mut props = row_props(&r.props, &mut budget);
            put(&mut props, PR_ROWID, PropValue::Long(r.row_id as i32), true);
            // Unique among the rows: a stored key only when no other row has it.
            put(&mut props, PR_INSTANCE_KEY, PropValue::Binary(key), true);
            put(
                &mut props,
                PR_OBJECT_TYPE,
                PropValue::Long(MAPI_MAILUSER as i32),
                false,
            );
            TableRow {
                key: r.row_id,
                props,
            }
        })
        .collect();
    let all = columns(&rows, &[PR_ROWID], |_| false);
    Rows {
        version,
        default_columns: Arc::new(all.clone()),
        all_columns: Arc::new(all),
        rows: Arc::new(rows),
        codepage: cp,
    }
}

pub(crate) fn attachment_rows(
    attachments: &Attachments,
    version: u64,
    cp: u32,
    unicode: bool,
) -> Rows {
    let mut budget = EAGER_BUDGET;
    let rows: Vec<TableRow> = attachments
        .visible()
        .map(|(num, bag)| {
            let mut props = row_props(bag, &mut budget);
            put(&mut props, PR_ATTACH_NUM, PropValue::Long(num as i32), true);
            put(
                &mut props,
                PR_INSTANCE_KEY,
                PropValue::Binary(num.to_le_bytes().to_vec()),
                true,
            );
            put(
                &mut props,
                PR_RECORD_KEY,
                PropValue::Binary(num.to_le_bytes().to_vec()),
                false,
            );
            put(
                &mut props,
                PR_OBJECT_TYPE,
                PropValue::Long(MAPI_ATTACH as i32),
                false,
            );
            for c in attach_defaults(unicode) {
                put(&mut props, c.tag, c.value, false);
            }
            put(
                &mut props,
                PR_ATTACH_SIZE,
                PropValue::Long(attach_size(bag) as i32),
                true,
            );
            TableRow { key: num, props }
        })
        .collect();
    let first = [
        PR_ATTACH_NUM,
        PR_INSTANCE_KEY,
        PR_RECORD_KEY,
        PR_RENDERING_POSITION,
    ];
    let all = columns(&rows, &first, |_| false);
    let default = columns(&rows, &first, |tag| {
        prop_id(tag) == prop_id(PR_ATTACH_DATA_BIN)
    });
    Rows {
        version,
        default_columns: Arc::new(default),
        all_columns: Arc::new(all),
        rows: Arc::new(rows),
        codepage: cp,
    }
}
