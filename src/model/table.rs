//! Tables (`IMAPITable`) over the rows of a message: its recipients or its attachments.
#![forbid(unsafe_code)]

use std::sync::Arc;

use super::prop::PropValue;

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
