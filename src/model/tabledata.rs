//! The rows of an `ITableData` (`CreateTable`): rows the caller adds, changes and deletes,
//! each identified by the value of its index column, served to views (`HrGetView`) through
//! the table engine (`model::table`) as a [`RowSource`].
//!
//! Documented behaviour followed (Microsoft's `ITableData` pages):
//! - `HrModifyRow(s)` replaces the row whose index column has the same value, else adds
//!   the row at the end; a row without the index column is `MAPI_E_INVALID_PARAMETER`, and
//!   then no row of the set is changed.
//! - `HrInsertRow` puts a row at a position from 0 to the row count (the count appends);
//!   a row whose index value is already in the table is `MAPI_E_INVALID_PARAMETER`.
//! - `HrDeleteRow` with a value no row has is `MAPI_E_NOT_FOUND`; `HrDeleteRows` counts
//!   what it deleted and does not fail for rows it cannot find.
//! - `HrQueryRow` gives all of a row's properties and its position; `HrEnumRow` the row at
//!   a position, or none past the end.
//! - Columns a row brings that the table lacks become available; deleting rows never
//!   removes a column. Views see every change (a view's rows follow the table).
//! - `CreateTable`'s table type is what views' `GetStatus` report (its page: "available
//!   ... as part of the `IMAPITable::GetStatus` return data"); every view follows the rows.
//!
//! Where the pages disagree: `HrInsertRow`'s page says the row goes after the row at
//! `uliRow`, the SDK header's note says before it; both say the row count appends, which
//! only "before" makes consistent, so the row takes position `uliRow`.
#![forbid(unsafe_code)]

use std::sync::Arc;

use parking_lot::Mutex;

use super::table::{RowSource, Rows, TableRow};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result, err};
use crate::types::codepage::DEFAULT_CODEPAGE;
use crate::types::prop_value::{PropValue, is_known_type, prop_type};

/// One row as the caller gives it: its properties in any order.
pub type RowProps = Vec<(u32, PropValue)>;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidParameter, message)
}

/// The data behind an `ITableData`.
#[derive(Debug)]
pub struct TableData {
    table_type: u32,
    index_tag: u32,
    /// The columns of a new view: those given to `CreateTable`, then every column rows
    /// brought, in the order they first appeared.
    columns: Vec<u32>,
    /// In table order (`HrEnumRow`'s numbering).
    rows: Vec<TableRow>,
    /// The next [`TableRow::key`]: a row keeps its key when `HrModifyRow` replaces it, so
    /// cursors and bookmarks of views stay on it.
    next_key: u32,
    version: u64,
    cache: Option<Arc<Rows>>,
}

impl TableData {
    /// `CreateTable`'s checks: a documented table type, an index column of a value type,
    /// and at least one column.
    pub fn new(table_type: u32, index_tag: u32, columns: Vec<u32>) -> Result<TableData> {
        if !matches!(
            table_type,
            TBLTYPE_SNAPSHOT | TBLTYPE_KEYSET | TBLTYPE_DYNAMIC
        ) {
            return Err(invalid(format!(
                "CreateTable: table type {table_type} is not TBLTYPE_SNAPSHOT, TBLTYPE_KEYSET \
                 or TBLTYPE_DYNAMIC"
            )));
        }
        let ty = prop_type(index_tag);
        if !is_known_type(ty) || matches!(ty, PT_UNSPECIFIED | PT_NULL | PT_ERROR | PT_OBJECT) {
            return Err(invalid(format!(
                "CreateTable: index column 0x{index_tag:08X} does not name a value type"
            )));
        }
        if columns.is_empty() {
            return Err(invalid("CreateTable: the column set is empty"));
        }
        Ok(TableData {
            table_type,
            index_tag,
            columns,
            rows: Vec::new(),
            next_key: 1,
            version: 1,
            cache: None,
        })
    }

    pub fn table_type(&self) -> u32 {
        self.table_type
    }

    pub fn index_tag(&self) -> u32 {
        self.index_tag
    }

    /// The column set a new view starts with.
    pub fn columns(&self) -> &[u32] {
        &self.columns
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The index value of a row the caller gives.
    fn index_of<'a>(&self, props: &'a [(u32, PropValue)], what: &str) -> Result<&'a PropValue> {
        props
            .iter()
            .find(|(t, _)| *t == self.index_tag)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                invalid(format!(
                    "{what}: the row has no index column 0x{:08X}",
                    self.index_tag
                ))
            })
    }

    /// A search key the caller gives: a value with exactly the index column's tag.
    pub fn check_key(&self, tag: u32, what: &str) -> Result<()> {
        if tag != self.index_tag {
            return Err(invalid(format!(
                "{what}: property 0x{tag:08X} is not the index column 0x{:08X}",
                self.index_tag
            )));
        }
        Ok(())
    }

    fn position(&self, key: &PropValue) -> Option<usize> {
        self.rows.iter().position(|r| {
            r.props
                .iter()
                .any(|(t, v)| *t == self.index_tag && v == key)
        })
    }

    fn changed(&mut self) {
        self.version += 1;
        self.cache = None;
    }

    /// Columns of `props` the table does not have yet become available.
    fn add_columns(&mut self, props: &[(u32, PropValue)]) {
        for &(tag, _) in props {
            let ty = prop_type(tag);
            if tag != PR_NULL && !matches!(ty, PT_ERROR | PT_NULL) && !self.columns.contains(&tag) {
                self.columns.push(tag);
            }
        }
    }

    fn new_row(&mut self, props: RowProps) -> TableRow {
        let key = self.next_key;
        self.next_key = self.next_key.wrapping_add(1);
        TableRow { key, props }
    }

    /// `HrModifyRow`/`HrModifyRows`: every row is checked for its index column first.
    pub fn modify_rows(&mut self, rows: Vec<RowProps>) -> Result<()> {
        for (i, props) in rows.iter().enumerate() {
            self.index_of(props, &format!("row {i}"))?;
        }
        for props in rows {
            self.add_columns(&props);
            let at = self.position(self.index_of(&props, "row").expect("checked above"));
            match at {
                Some(i) => self.rows[i].props = props,
                None => {
                    let row = self.new_row(props);
                    self.rows.push(row);
                }
            }
        }
        self.changed();
        Ok(())
    }

    /// `HrInsertRow`: the row takes position `at` (the row count appends).
    pub fn insert_row(&mut self, at: u32, props: RowProps) -> Result<()> {
        let key = self.index_of(&props, "HrInsertRow")?;
        if self.position(key).is_some() {
            return Err(invalid(
                "HrInsertRow: a row with the same index column value is already in the table",
            ));
        }
        let at = at as usize;
        if at > self.rows.len() {
            return Err(invalid(format!(
                "HrInsertRow: row number {at} is past the end of a table of {} rows",
                self.rows.len()
            )));
        }
        self.add_columns(&props);
        let row = self.new_row(props);
        self.rows.insert(at, row);
        self.changed();
        Ok(())
    }

    /// `HrDeleteRow`: `MAPI_E_NOT_FOUND` when no row has that index value.
    pub fn delete_row(&mut self, key: &PropValue) -> Result<()> {
        let Some(i) = self.position(key) else {
            return err(
                ErrorKind::NotFound,
                "HrDeleteRow: no row has that index column value",
            );
        };
        self.rows.remove(i);
        self.changed();
        Ok(())
    }

    /// `HrDeleteRows`: rows given by their properties (each must have the index column);
    /// returns how many were found and deleted.
    pub fn delete_rows(&mut self, rows: &[RowProps]) -> Result<u32> {
        let keys = rows
            .iter()
            .enumerate()
            .map(|(i, p)| self.index_of(p, &format!("HrDeleteRows: row {i}")).cloned())
            .collect::<Result<Vec<_>>>()?;
        let before = self.rows.len();
        for key in &keys {
            if let Some(i) = self.position(key) {
                self.rows.remove(i);
            }
        }
        let deleted = before - self.rows.len();
        if deleted > 0 {
            self.changed();
        }
        Ok(deleted as u32)
    }

    /// `HrDeleteRows(TAD_ALL_ROWS)`.
    pub fn delete_all(&mut self) -> u32 {
        let deleted = self.rows.len();
        self.rows.clear();
        self.changed();
        deleted as u32
    }

    /// `HrQueryRow`: the row with that index value and its position.
    pub fn query_row(&self, key: &PropValue) -> Result<(RowProps, u32)> {
        match self.position(key) {
            Some(i) => Ok((self.rows[i].props.clone(), i as u32)),
            None => err(
                ErrorKind::NotFound,
                "HrQueryRow: no row has that index column value",
            ),
        }
    }

    /// `HrEnumRow`: the row at `n`, `None` past the end.
    pub fn enum_row(&self, n: u32) -> Option<RowProps> {
        self.rows.get(n as usize).map(|r| r.props.clone())
    }

    /// The rows for views, shared until the next change.
    pub fn rows(&mut self) -> Arc<Rows> {
        if let Some(rows) = &self.cache {
            return rows.clone();
        }
        let columns = Arc::new(self.columns.clone());
        let rows = Arc::new(Rows {
            version: self.version,
            rows: Arc::new(self.rows.clone()),
            default_columns: columns.clone(),
            all_columns: columns,
            codepage: DEFAULT_CODEPAGE,
        });
        self.cache = Some(rows.clone());
        rows
    }
}

/// A [`TableData`] shared by its `ITableData` and every view of it.
#[derive(Debug)]
pub struct SharedTableData(pub Mutex<TableData>);

impl RowSource for SharedTableData {
    fn rows(&self) -> Result<Arc<Rows>> {
        Ok(self.0.lock().rows())
    }

    /// An `ITableData`'s rows outlive it: its views keep them.
    fn alive(&self) -> Result<()> {
        Ok(())
    }

    fn table_type(&self) -> u32 {
        self.0.lock().table_type()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PR_INSTANCE_KEY: u32 = 0x0FF6_0102;
    const PR_DISPLAY_NAME_W: u32 = 0x3001_001F;
    const PR_RANK: u32 = 0x6700_0003;

    fn key(k: u8) -> PropValue {
        PropValue::Binary(vec![k])
    }

    fn row(k: u8, name: &str) -> RowProps {
        vec![
            (
                PR_DISPLAY_NAME_W,
                PropValue::Unicode(name.encode_utf16().collect()),
            ),
            (PR_INSTANCE_KEY, key(k)),
        ]
    }

    fn table() -> TableData {
        TableData::new(TBLTYPE_DYNAMIC, PR_INSTANCE_KEY, vec![PR_INSTANCE_KEY]).unwrap()
    }

    fn names(t: &TableData) -> Vec<String> {
        (0..)
            .map_while(|i| t.enum_row(i))
            .map(|p| match &p[0].1 {
                PropValue::Unicode(u) => String::from_utf16_lossy(u),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn creation_is_checked() {
        let bad = |ty, tag, cols: Vec<u32>| TableData::new(ty, tag, cols).unwrap_err().kind;
        assert_eq!(
            bad(7, PR_INSTANCE_KEY, vec![PR_INSTANCE_KEY]),
            ErrorKind::InvalidParameter
        );
        assert_eq!(
            bad(TBLTYPE_SNAPSHOT, 0x0FF6_0000, vec![PR_INSTANCE_KEY]),
            ErrorKind::InvalidParameter
        );
        assert_eq!(
            bad(TBLTYPE_KEYSET, PR_INSTANCE_KEY, vec![]),
            ErrorKind::InvalidParameter
        );
    }

    #[test]
    fn rows_are_added_replaced_inserted_and_deleted_by_index_value() {
        let mut t = table();
        t.modify_rows(vec![row(1, "a"), row(2, "b")]).unwrap();
        t.modify_rows(vec![row(1, "A")]).unwrap();
        assert_eq!(names(&t), ["A", "b"]);
        assert_eq!(t.columns(), [PR_INSTANCE_KEY, PR_DISPLAY_NAME_W]);
        // A set with one row lacking the index column changes nothing.
        let e = t
            .modify_rows(vec![row(3, "c"), vec![(PR_RANK, PropValue::Long(1))]])
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
        assert_eq!(names(&t), ["A", "b"]);
        t.insert_row(0, row(3, "c")).unwrap();
        t.insert_row(3, row(4, "d")).unwrap();
        assert_eq!(names(&t), ["c", "A", "b", "d"]);
        assert_eq!(
            t.insert_row(1, row(4, "again")).unwrap_err().kind,
            ErrorKind::InvalidParameter
        );
        assert_eq!(
            t.insert_row(9, row(5, "far")).unwrap_err().kind,
            ErrorKind::InvalidParameter
        );
        let (props, at) = t.query_row(&key(2)).unwrap();
        assert_eq!((props, at), (row(2, "b"), 2));
        assert_eq!(t.query_row(&key(9)).unwrap_err().kind, ErrorKind::NotFound);
        t.delete_row(&key(1)).unwrap();
        assert_eq!(t.delete_row(&key(1)).unwrap_err().kind, ErrorKind::NotFound);
        assert_eq!(t.delete_rows(&[row(3, ""), row(9, "")]).unwrap(), 1);
        assert_eq!(names(&t), ["b", "d"]);
        assert!(t.enum_row(2).is_none());
        assert_eq!(t.delete_all(), 2);
        assert!(t.is_empty());
        // Deleting never removes columns.
        assert_eq!(t.columns(), [PR_INSTANCE_KEY, PR_DISPLAY_NAME_W]);
    }

    #[test]
    fn a_replaced_row_keeps_its_key_and_the_rows_carry_a_new_version() {
        let mut t = table();
        t.modify_rows(vec![row(1, "a")]).unwrap();
        let first = t.rows();
        assert!(Arc::ptr_eq(&first, &t.rows()));
        t.modify_rows(vec![row(1, "b")]).unwrap();
        let second = t.rows();
        assert_ne!(first.version, second.version);
        assert_eq!(first.rows[0].key, second.rows[0].key);
    }
}
