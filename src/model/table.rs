//! Tables (`IMAPITable`) over the rows of a message: its recipients or its attachments.
#![forbid(unsafe_code)]

// ===== The table engine =====
//
// A `Table` is one caller's view of a `Rows` source: its columns, restriction, sort order,
// cursor and bookmarks. Every operation is given the source's current `Rows`; when their
// `version` differs from the one the view was built from, the view is rebuilt first and
// the cursor and bookmarks follow their rows (see `Table::refresh`).
//
// Behaviour follows `spec/mapi-abi.md` §10.4 and, where the documentation is silent, the
// in-memory table MAPI itself builds recipient and attachment tables with (`ITABLE.C`):
// negative `QueryRows`, `FindRow` and bookmark semantics are those of that implementation.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::collate::{sort_cmp, utf16};
use super::props::{PropOut, adjust_width, value_out};
use super::restriction::{Counts, compatible, find_value, invalid, too_complex};
pub use super::restriction::{MAX_RESTRICTION_DEPTH, Restriction, TOO_COMPLEX};
pub use super::rows::{Rows, TableKind, TableRow};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::types::prop_value::{PropValue, change_type, is_known_type, prop_id, prop_type};

/// Where a table's rows come from: a message's recipients or attachments, or the rows of an
/// `ITableData`. Each call gives the rows as they are now (a table rebuilds its view when
/// their `version` changed).
pub trait RowSource: Send + Sync {
    /// The current rows; `MAPI_E_OBJECT_DELETED` once the source is gone.
    fn rows(&self) -> Result<std::sync::Arc<Rows>>;
    /// Fails as `rows` would, without building them.
    fn alive(&self) -> Result<()>;
    /// The `TBLTYPE_*` value `GetStatus` reports.
    fn table_type(&self) -> u32 {
        TBLTYPE_DYNAMIC
    }
}

/// Created bookmarks a table keeps at once; `CreateBookmark` fails beyond this.
pub const MAX_BOOKMARKS: usize = 4096;

// ----- sorting -----

/// One key of a sort order (`SSortOrder` with `TABLE_SORT_ASCEND` or `_DESCEND`).
///
/// Rows without a value for the key come first in ascending order (last in descending);
/// values compare as described on [`Restriction`], except that values of different types
/// order by type and that NaNs have a place, so that the order is total. A tag with
/// `MVI_FLAG` sorts on the whole multi-valued property (instance expansion is not
/// supported). The sort is stable: rows equal on every key keep the source's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortKey {
    pub tag: u32,
    pub descending: bool,
}

fn check_sort_key(key: &SortKey) -> Result<()> {
    let ty = prop_type(key.tag) & !MV_INSTANCE;
    let sortable =
        ty == PT_UNSPECIFIED || (is_known_type(ty) && !matches!(ty, PT_ERROR | PT_OBJECT));
    if !sortable {
        return Err(invalid(format!(
            "cannot sort on property 0x{:08X}: type 0x{ty:04X} has no order",
            key.tag
        )));
    }
    Ok(())
}

/// A row's value for a sort key, strings as UTF-16 so that each is decoded once.
fn sort_value(row: &TableRow, tag: u32, cp: u32) -> Option<PropValue> {
    let value = find_value(row, tag)?;
    Some(match value {
        PropValue::String8(_) => PropValue::Unicode(utf16(value, cp)?),
        PropValue::MvString8(items) => PropValue::MvUnicode(
            items
                .iter()
                .filter_map(|s| utf16(&PropValue::String8(s.clone()), cp))
                .collect(),
        ),
        other => other.clone(),
    })
}

fn compare_keys(
    a: &[Option<PropValue>],
    b: &[Option<PropValue>],
    keys: &[SortKey],
    cp: u32,
) -> Ordering {
    for ((x, y), key) in a.iter().zip(b).zip(keys) {
        let ord = match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => sort_cmp(x, y, cp),
        };
        let ord = if key.descending { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// The rows a view shows, as indexes into `rows.rows`, in view order. Rows are sorted
/// first so that `Count` restrictions count in table order.
fn build_view(rows: &Rows, restriction: Option<&Restriction>, sort: &[SortKey]) -> Vec<usize> {
    let cp = rows.codepage;
    let mut order: Vec<usize> = (0..rows.rows.len()).collect();
    if !sort.is_empty() {
        let keys: Vec<Vec<Option<PropValue>>> = rows
            .rows
            .iter()
            .map(|r| sort.iter().map(|k| sort_value(r, k.tag, cp)).collect())
            .collect();
        order.sort_by(|&a, &b| compare_keys(&keys[a], &keys[b], sort, cp));
    }
    if let Some(r) = restriction {
        let mut counts = Counts::new();
        order.retain(|&i| r.eval(&rows.rows[i], cp, &mut counts));
    }
    order
}

// ----- columns -----

fn width_of_tags(tags: &[u32], unicode: bool) -> Vec<u32> {
    tags.iter()
        .map(|&t| change_type(t, adjust_width(prop_type(t), unicode)))
        .collect()
}

/// One column of one row, as `QueryRows` returns it. `unicode` is the width of strings a
/// `PT_UNSPECIFIED` column leaves open (`None`: as stored).
fn column_value(row: &TableRow, tag: u32, unicode: Option<bool>, cp: u32) -> PropOut {
    if tag == PR_NULL {
        return PropOut::Value(PR_NULL, PropValue::Null);
    }
    let error = |kind| PropOut::Error(change_type(tag, PT_ERROR), kind);
    // Instance expansion (one row per value) is not supported: an `MVI_FLAG` column is the
    // plain multi-valued column.
    let tag = tag & !MV_INSTANCE;
    let want = prop_type(tag);
    let found = row.props.iter().find(|(t, v)| {
        prop_id(*t) == prop_id(tag)
            && (matches!(v, PropValue::Error(_)) || compatible(want, v.prop_type()))
    });
    let Some((_, value)) = found else {
        return error(ErrorKind::NotFound);
    };
    match value {
        PropValue::Error(sc) => PropOut::Value(change_type(tag, PT_ERROR), PropValue::Error(*sc)),
        PropValue::Null => error(ErrorKind::NotFound),
        PropValue::Object => error(ErrorKind::NoSupport),
        _ => {
            let out_ty = if want == PT_UNSPECIFIED {
                unicode.map_or(value.prop_type(), |u| adjust_width(value.prop_type(), u))
            } else {
                want
            };
            value_out(tag, value, out_ty, cp)
        }
    }
}

// ----- the table -----

/// The outcome of `SeekRow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seek {
    /// Rows actually moved, negative when moving backward.
    pub sought: i32,
    /// The origin bookmark's row was deleted since it was last used
    /// (`MAPI_W_POSITION_CHANGED`); it now stands on the row after it.
    pub position_changed: bool,
}

/// A position: an index into the view (the view's length = after the last row).
#[derive(Clone, Copy, Debug, Default)]
struct Mark {
    index: usize,
    /// The row it stood on was deleted; reported once by the next SeekRow/FindRow from it.
    changed: bool,
}

#[derive(Clone, Copy, Debug)]
struct Bookmark {
    mark: Mark,
    /// Restrict or SortTable discarded it: using it fails, freeing it succeeds.
    stale: bool,
}

/// One `IMAPITable` view over a row source (see the module notes above).
pub struct Table {
    unicode: bool,
    /// Columns keep the types the source gives (an `ITableData`'s): no string width is
    /// imposed on available columns or on `PT_UNSPECIFIED` ones.
    stored_types: bool,
    bookmarks_supported: bool,
    /// `None`: the source's default columns.
    columns: Option<Vec<u32>>,
    restriction: Option<Restriction>,
    sort: Vec<SortKey>,
    /// The rows the view was built from; `None` before the first operation.
    rows: Option<Rows>,
    /// Indexes into `rows.rows`, in view order.
    view: Vec<usize>,
    /// The next row to read (`BOOKMARK_CURRENT`).
    cursor: Mark,
    bookmarks: HashMap<usize, Bookmark>,
    next_bookmark: usize,
}

impl Table {
    /// A table with the source's default columns, no restriction, the source's order and
    /// the cursor at the beginning. `unicode` is the width of strings whose type a column
    /// leaves open; attachment tables pass `bookmarks_supported = false`.
    pub fn new(bookmarks_supported: bool, unicode: bool) -> Table {
        Table {
            unicode,
            stored_types: false,
            bookmarks_supported,
            columns: None,
            restriction: None,
            sort: Vec::new(),
            rows: None,
            view: Vec::new(),
            cursor: Mark::default(),
            bookmarks: HashMap::new(),
            next_bookmark: BOOKMARK_END + 1,
        }
    }

    /// A view of an `ITableData`: bookmarks, the types the rows have, and `columns` as its
    /// column set (later columns of the source are available, not shown).
    pub fn of_table_data(columns: Vec<u32>) -> Table {
        let mut table = Table::new(true, false);
        table.stored_types = true;
        table.columns = Some(columns);
        table
    }

    pub fn unicode(&self) -> bool {
        self.unicode
    }

    /// Rebuilds the view when the source changed. The cursor and bookmarks stay on their
    /// row when it is still shown; when it is gone they stay at the same index (the row
    /// that followed it, as MAPI's tables do) and report the change once; at the end of the
    /// table they stay at the end.
    fn refresh(&mut self, rows: &Rows) {
        if self
            .rows
            .as_ref()
            .is_some_and(|r| r.version == rows.version)
        {
            return;
        }
        let old_keys: Option<Vec<u32>> = self
            .rows
            .as_ref()
            .map(|old| self.view.iter().map(|&i| old.rows[i].key).collect());
        self.rows = Some(rows.clone());
        self.view = build_view(rows, self.restriction.as_ref(), &self.sort);
        let Some(old_keys) = old_keys else {
            return;
        };
        let mut position = HashMap::with_capacity(self.view.len());
        for (i, &r) in self.view.iter().enumerate() {
            position.entry(rows.rows[r].key).or_insert(i);
        }
        let len = self.view.len();
        let relocate = |m: &mut Mark| match old_keys.get(m.index) {
            None => m.index = len,
            Some(key) => match position.get(key) {
                Some(&i) => m.index = i,
                None => {
                    m.index = m.index.min(len);
                    m.changed = true;
                }
            },
        };
        relocate(&mut self.cursor);
        for b in self.bookmarks.values_mut().filter(|b| !b.stale) {
            relocate(&mut b.mark);
        }
    }

    /// Rebuilds the view from scratch after Restrict or SortTable: cursor to the start,
    /// created bookmarks discarded.
    fn rebuild(&mut self, rows: &Rows) {
        self.rows = Some(rows.clone());
        self.view = build_view(rows, self.restriction.as_ref(), &self.sort);
        self.cursor = Mark::default();
        for b in self.bookmarks.values_mut() {
            b.stale = true;
        }
    }

    fn set_cursor(&mut self, index: usize) {
        self.cursor = Mark {
            index,
            changed: false,
        };
    }

    /// Where a bookmark stands, and whether it moved since last used; `consume` clears
    /// that flag.
    fn position_of(&mut self, bookmark: usize, consume: bool) -> Result<(usize, bool)> {
        let len = self.view.len();
        let mark = match bookmark {
            BOOKMARK_BEGINNING => return Ok((0, false)),
            BOOKMARK_END => return Ok((len, false)),
            BOOKMARK_CURRENT => &mut self.cursor,
            other => match self.bookmarks.get_mut(&other) {
                None => {
                    return Err(Error::new(
                        ErrorKind::InvalidBookmark,
                        format!("bookmark {other} does not exist on this table"),
                    ));
                }
                Some(b) if b.stale => {
                    return Err(Error::new(
                        ErrorKind::InvalidBookmark,
                        format!("bookmark {other} was discarded by Restrict or SortTable"),
                    ));
                }
                Some(b) => &mut b.mark,
            },
        };
        let changed = mark.changed;
        if consume {
            mark.changed = false;
        }
        Ok((mark.index.min(len), changed))
    }

    /// `SetColumns`. `PR_NULL` entries reserve slots; columns the rows lack come back as
    /// errors from `QueryRows`, not here.
    pub fn set_columns(&mut self, columns: &[u32]) -> Result<()> {
        if columns.is_empty() {
            return Err(invalid("SetColumns needs at least one column"));
        }
        self.columns = Some(columns.to_vec());
        Ok(())
    }

    /// `QueryColumns`: the current columns, or with `all` every column the rows can give.
    /// Default and available columns name strings in the table's width.
    pub fn query_columns(&self, rows: &Rows, all: bool) -> Vec<u32> {
        match (&self.columns, all) {
            (_, true) if self.stored_types => rows.all_columns.to_vec(),
            (_, true) => width_of_tags(&rows.all_columns, self.unicode),
            (Some(columns), false) => columns.clone(),
            (None, false) => width_of_tags(&rows.default_columns, self.unicode),
        }
    }

    /// `GetRowCount`.
    pub fn row_count(&mut self, rows: &Rows) -> u32 {
        self.refresh(rows);
        u32::try_from(self.view.len()).unwrap_or(u32::MAX)
    }

    /// `SeekRow`: moves `count` rows from `origin`, stopping at either end.
    pub fn seek_row(&mut self, rows: &Rows, origin: usize, count: i32) -> Result<Seek> {
        self.refresh(rows);
        let (start, position_changed) = self.position_of(origin, true)?;
        let len = self.view.len() as i64;
        let target = (start as i64 + i64::from(count)).clamp(0, len);
        self.set_cursor(target as usize);
        Ok(Seek {
            sought: (target - start as i64) as i32,
            position_changed,
        })
    }

    /// `SeekRowApprox`: to `numerator / denominator` of the table; a fraction of 1 or more
    /// is the end.
    pub fn seek_row_approx(&mut self, rows: &Rows, numerator: u32, denominator: u32) -> Result<()> {
        if denominator == 0 {
            return Err(invalid("SeekRowApprox: the denominator is zero"));
        }
        self.refresh(rows);
        let len = self.view.len();
        let target = if numerator >= denominator {
            len
        } else {
            (len as u128 * u128::from(numerator) / u128::from(denominator)) as usize
        };
        self.set_cursor(target);
        Ok(())
    }

    /// `QueryPosition`: (current row, numerator, denominator). The row is 0-based and is
    /// the next one to read (the row count at the end); the fraction is row / row count,
    /// with a denominator of 1 for an empty table so that callers never divide by zero.
    pub fn query_position(&mut self, rows: &Rows) -> (u32, u32, u32) {
        self.refresh(rows);
        let len = u32::try_from(self.view.len()).unwrap_or(u32::MAX);
        let row = u32::try_from(self.cursor.index)
            .unwrap_or(u32::MAX)
            .min(len);
        (row, row, len.max(1))
    }

    /// `FindRow`: the first row from `origin` (forward), or before it (`backward`), that
    /// satisfies `restriction`; the cursor moves to it. Returns whether the origin bookmark
    /// had moved (`MAPI_W_POSITION_CHANGED`). `NotFound` leaves the cursor where it was.
    pub fn find_row(
        &mut self,
        rows: &Rows,
        restriction: &Restriction,
        origin: usize,
        backward: bool,
    ) -> Result<bool> {
        restriction.validate()?;
        self.refresh(rows);
        let (start, _) = self.position_of(origin, false)?;
        let found = {
            let source = self.rows.as_ref().unwrap_or(rows);
            let cp = source.codepage;
            let mut counts = Counts::new();
            let mut test =
                |i: &usize| restriction.eval(&source.rows[self.view[*i]], cp, &mut counts);
            if backward {
                (0..start).rev().find(|i| test(i))
            } else {
                (start..self.view.len()).find(|i| test(i))
            }
        };
        match found {
            Some(i) => {
                let (_, changed) = self.position_of(origin, true)?;
                self.set_cursor(i);
                Ok(changed)
            }
            None => Err(Error::new(
                ErrorKind::NotFound,
                "FindRow: no row satisfies the restriction",
            )),
        }
    }

    /// `Restrict`: `None` removes the filter. The cursor goes to the start and created
    /// bookmarks are discarded. A refused restriction leaves the table as it was.
    pub fn restrict(&mut self, rows: &Rows, restriction: Option<Restriction>) -> Result<()> {
        if let Some(r) = &restriction {
            r.validate()?;
        }
        self.restriction = restriction;
        self.rebuild(rows);
        Ok(())
    }

    /// `CreateBookmark` at the cursor. At the end of the table the answer is
    /// `BOOKMARK_END`, as MAPI's own tables do.
    pub fn create_bookmark(&mut self, rows: &Rows) -> Result<usize> {
        if !self.bookmarks_supported {
            return Err(Error::new(
                ErrorKind::NoSupport,
                "attachment tables do not support bookmarks",
            ));
        }
        self.refresh(rows);
        if self.cursor.index >= self.view.len() {
            return Ok(BOOKMARK_END);
        }
        if self.bookmarks.len() >= MAX_BOOKMARKS {
            return Err(Error::new(
                ErrorKind::UnableToComplete,
                format!("out of bookmarks: {MAX_BOOKMARKS} are in use; free some first"),
            ));
        }
        let id = loop {
            let id = self.next_bookmark;
            self.next_bookmark = id.checked_add(1).unwrap_or(BOOKMARK_END + 1);
            if !self.bookmarks.contains_key(&id) {
                break id;
            }
        };
        self.bookmarks.insert(
            id,
            Bookmark {
                mark: Mark {
                    index: self.cursor.index,
                    changed: false,
                },
                stale: false,
            },
        );
        Ok(id)
    }

    /// `FreeBookmark`: the predefined bookmarks are ignored.
    pub fn free_bookmark(&mut self, bookmark: usize) -> Result<()> {
        if bookmark <= BOOKMARK_END || self.bookmarks.remove(&bookmark).is_some() {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::InvalidBookmark,
            format!("bookmark {bookmark} does not exist on this table"),
        ))
    }

    /// `SortTable`: no keys restores the source's order. Categorized sorts
    /// (`categories > 0`) are refused with [`TOO_COMPLEX`]. The cursor goes to the start and
    /// created bookmarks are discarded; a refused sort leaves the table as it was.
    pub fn sort(&mut self, rows: &Rows, keys: Vec<SortKey>, categories: u32) -> Result<()> {
        if categories > 0 {
            return Err(too_complex(
                "categorized sorts are not supported on recipient and attachment tables",
            ));
        }
        keys.iter().try_for_each(check_sort_key)?;
        self.sort = keys;
        self.rebuild(rows);
        Ok(())
    }

    /// `QuerySortOrder`: the keys of the last `SortTable` (none: the source's order).
    pub fn query_sort_order(&self) -> &[SortKey] {
        &self.sort
    }

    /// `QueryRows`. A positive `count` reads forward from the cursor; a negative one reads
    /// the (at most) `-count` rows before the cursor, in table order. Without `no_advance`
    /// the cursor ends after the last row returned (so a backward read leaves it where it
    /// was); with it, on the first row returned. Fewer rows, or none, at either end.
    pub fn query_rows(
        &mut self,
        rows: &Rows,
        count: i32,
        no_advance: bool,
    ) -> Result<Vec<Vec<PropOut>>> {
        if count == 0 {
            return Err(invalid("QueryRows: the row count is zero"));
        }
        self.refresh(rows);
        let len = self.view.len();
        let cursor = self.cursor.index.min(len);
        let wanted = count.unsigned_abs() as usize;
        let range = if count > 0 {
            cursor..cursor + wanted.min(len - cursor)
        } else {
            cursor - wanted.min(cursor)..cursor
        };
        let columns = self.query_columns(rows, false);
        let width = (!self.stored_types).then_some(self.unicode);
        let source = self.rows.as_ref().unwrap_or(rows);
        let out: Vec<Vec<PropOut>> = self.view[range.clone()]
            .iter()
            .map(|&i| {
                let row = &source.rows[i];
                columns
                    .iter()
                    .map(|&tag| column_value(row, tag, width, source.codepage))
                    .collect()
            })
            .collect();
        let moved = match (count > 0, no_advance) {
            (true, false) => Some(range.end),
            (false, true) => Some(range.start),
            _ => None,
        };
        if let Some(index) = moved {
            self.set_cursor(index);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::collate::fuzzy_text;
    use crate::types::prop_value::tags::*;
    use std::sync::Arc;

    const PR_DISPLAY_NAME_A: u32 = 0x3001_0000 | PT_STRING8;
    const PR_KEYWORDS_W: u32 = 0x8001_0000 | PT_MV_UNICODE;
    const PR_SCORES: u32 = 0x8002_0000 | PT_MV_LONG;
    const PR_FLAGS2: u32 = 0x8003_0000 | PT_LONG;
    const PR_WHEN: u32 = 0x8004_0000 | PT_SYSTIME;
    const PR_RATIO: u32 = 0x8005_0000 | PT_DOUBLE;
    const PR_OK: u32 = 0x8006_0000 | PT_BOOLEAN;
    const PR_GUID: u32 = 0x8007_0000 | PT_CLSID;
    const PR_BIG: u32 = 0x8008_0000 | PT_I8;
    const PR_PRICE: u32 = 0x8009_0000 | PT_CURRENCY;
    const PR_SMALL: u32 = 0x800A_0000 | PT_I2;
    const PR_OTHER: u32 = 0x800B_0000 | PT_LONG;

    fn w(s: &str) -> PropValue {
        PropValue::Unicode(s.encode_utf16().collect())
    }

    fn a(s: &[u8]) -> PropValue {
        PropValue::String8(s.to_vec())
    }

    fn bin(b: &[u8]) -> PropValue {
        PropValue::Binary(b.to_vec())
    }

    fn row(key: u32, props: Vec<(u32, PropValue)>) -> TableRow {
        TableRow { key, props }
    }

    fn source(version: u64, rows: Vec<TableRow>) -> Rows {
        Rows {
            version,
            rows: Arc::new(rows),
            default_columns: Arc::new(vec![PR_ROWID, PR_DISPLAY_NAME_W, PR_RECIPIENT_TYPE]),
            all_columns: Arc::new(vec![
                PR_ROWID,
                PR_DISPLAY_NAME_W,
                PR_RECIPIENT_TYPE,
                PR_KEYWORDS_W,
            ]),
            codepage: 1252,
        }
    }

    /// Five recipients: keys 1..=5.
    fn people() -> Vec<TableRow> {
        let person = |key: u32, name: &str, ty: i32| {
            row(
                key,
                vec![
                    (PR_ROWID, PropValue::Long(key as i32)),
                    (PR_DISPLAY_NAME_W, w(name)),
                    (PR_RECIPIENT_TYPE, PropValue::Long(ty)),
                ],
            )
        };
        vec![
            person(1, "Carol", 1),
            person(2, "alice", 2),
            person(3, "Bob", 1),
            person(4, "dave", 3),
            person(5, "Alice", 1),
        ]
    }

    fn keys_of(table: &mut Table, rows: &Rows) -> Vec<i32> {
        table.seek_row(rows, BOOKMARK_BEGINNING, 0).unwrap();
        let got = table.query_rows(rows, 1000, false).unwrap();
        got.iter()
            .map(|r| match &r[0] {
                PropOut::Value(_, PropValue::Long(k)) => *k,
                other => panic!("no row id: {other:?}"),
            })
            .collect()
    }

    fn restricted(r: Restriction) -> Vec<i32> {
        let rows = source(1, people());
        let mut t = Table::new(true, true);
        t.restrict(&rows, Some(r)).unwrap();
        keys_of(&mut t, &rows)
    }

    fn prop(relop: u32, tag: u32, value: PropValue) -> Restriction {
        Restriction::Property { relop, tag, value }
    }

    fn one(props: Vec<(u32, PropValue)>) -> TableRow {
        row(1, props)
    }

    fn holds(r: &Restriction, props: Vec<(u32, PropValue)>) -> bool {
        r.validate().unwrap();
        r.matches(&one(props), 1252)
    }

    // ----- restrictions -----

    #[test]
    fn property_restrictions_compare_every_relop_on_longs() {
        let five = || vec![(PR_FLAGS2, PropValue::Long(5))];
        let cases = [
            (RELOP_LT, 6, true),
            (RELOP_LT, 5, false),
            (RELOP_LE, 5, true),
            (RELOP_LE, 4, false),
            (RELOP_GT, 4, true),
            (RELOP_GT, 5, false),
            (RELOP_GE, 5, true),
            (RELOP_GE, 6, false),
            (RELOP_EQ, 5, true),
            (RELOP_EQ, -5, false),
            (RELOP_NE, 4, true),
            (RELOP_NE, 5, false),
        ];
        for (relop, value, want) in cases {
            let r = prop(relop, PR_FLAGS2, PropValue::Long(value));
            assert_eq!(holds(&r, five()), want, "5 relop {relop} {value}");
        }
        // Signed: -1 (e.g. PR_RENDERING_POSITION) is less than 0.
        let r = prop(RELOP_LT, PR_FLAGS2, PropValue::Long(0));
        assert!(holds(&r, vec![(PR_FLAGS2, PropValue::Long(-1))]));
    }

    #[test]
    fn property_restrictions_compare_every_fixed_type() {
        let t1 = 0x01D0_0000_0000_0000u64;
        let g1 = [1u8; 16];
        let mut g2 = g1;
        g2[15] = 2;
        let row = || {
            vec![
                (PR_WHEN, PropValue::SysTime(t1)),
                (PR_RATIO, PropValue::Double(0.5)),
                (PR_OK, PropValue::Boolean(true)),
                (PR_GUID, PropValue::Clsid(g1)),
                (PR_BIG, PropValue::I8(-(1 << 40))),
                (PR_PRICE, PropValue::Currency(12_3400)),
                (PR_SMALL, PropValue::I2(-3)),
            ]
        };
        let yes = [
            prop(RELOP_LT, PR_WHEN, PropValue::SysTime(t1 + 1)),
            prop(RELOP_GE, PR_RATIO, PropValue::Double(0.5)),
            prop(RELOP_GT, PR_OK, PropValue::Boolean(false)),
            prop(RELOP_LT, PR_GUID, PropValue::Clsid(g2)),
            prop(RELOP_LT, PR_BIG, PropValue::I8(0)),
            prop(RELOP_EQ, PR_PRICE, PropValue::Currency(12_3400)),
            prop(RELOP_LE, PR_SMALL, PropValue::I2(-3)),
        ];
        for r in &yes {
            assert!(holds(r, row()), "{r:?}");
        }
        let no = [
            prop(RELOP_GT, PR_WHEN, PropValue::SysTime(t1)),
            prop(RELOP_NE, PR_RATIO, PropValue::Double(0.5)),
            prop(RELOP_EQ, PR_OK, PropValue::Boolean(false)),
            prop(RELOP_EQ, PR_GUID, PropValue::Clsid(g2)),
            prop(RELOP_GT, PR_BIG, PropValue::I8(0)),
            prop(RELOP_LT, PR_PRICE, PropValue::Currency(12_3400)),
            prop(RELOP_GT, PR_SMALL, PropValue::I2(0)),
        ];
        for r in &no {
            assert!(!holds(r, row()), "{r:?}");
        }
    }

    #[test]
    fn strings_compare_across_widths_like_lstrcmp() {
        let name = || vec![(PR_DISPLAY_NAME_W, w("Zoë"))];
        // An 8-bit constant is decoded with the row set's code page (1252: 0xEB is ë).
        let eq8 = prop(RELOP_EQ, PR_DISPLAY_NAME_A, a(b"Zo\xEB"));
        assert!(holds(&eq8, name()));
        // Equality is case-sensitive ...
        assert!(!holds(&prop(RELOP_EQ, PR_DISPLAY_NAME_W, w("zoë")), name()));
        assert!(holds(&prop(RELOP_NE, PR_DISPLAY_NAME_W, w("zoë")), name()));
        // ... but order is by letter first: "alice" < "Bob" < "carol".
        let bob = || vec![(PR_DISPLAY_NAME_W, w("Bob"))];
        assert!(holds(&prop(RELOP_GT, PR_DISPLAY_NAME_W, w("alice")), bob()));
        assert!(holds(&prop(RELOP_LT, PR_DISPLAY_NAME_W, w("carol")), bob()));
        // Same letters: lowercase sorts first.
        assert!(holds(&prop(RELOP_GT, PR_DISPLAY_NAME_W, w("bob")), bob()));
        // A stored 8-bit string against a Unicode constant.
        let stored8 = vec![(PR_DISPLAY_NAME_A, a(b"Caf\xE9"))];
        assert!(holds(
            &prop(RELOP_EQ, PR_DISPLAY_NAME_W, w("Café")),
            stored8
        ));
    }

    #[test]
    fn binaries_compare_bytes_then_length() {
        let key = || vec![(PR_ENTRYID, bin(&[1, 2, 3]))];
        assert!(holds(&prop(RELOP_EQ, PR_ENTRYID, bin(&[1, 2, 3])), key()));
        assert!(holds(&prop(RELOP_GT, PR_ENTRYID, bin(&[1, 2])), key()));
        assert!(holds(&prop(RELOP_LT, PR_ENTRYID, bin(&[1, 3])), key()));
        assert!(holds(
            &prop(RELOP_LT, PR_ENTRYID, bin(&[1, 2, 3, 0])),
            key()
        ));
    }

    #[test]
    fn multi_valued_properties_match_when_any_value_does() {
        let row = || {
            vec![
                (PR_SCORES, PropValue::MvLong(vec![3, 9, 27])),
                (
                    PR_KEYWORDS_W,
                    PropValue::MvUnicode(vec![
                        "red".encode_utf16().collect(),
                        "Blue".encode_utf16().collect(),
                    ]),
                ),
            ]
        };
        assert!(holds(&prop(RELOP_EQ, PR_SCORES, PropValue::Long(9)), row()));
        assert!(!holds(
            &prop(RELOP_EQ, PR_SCORES, PropValue::Long(4)),
            row()
        ));
        assert!(holds(
            &prop(RELOP_GT, PR_SCORES, PropValue::Long(20)),
            row()
        ));
        assert!(!holds(
            &prop(RELOP_GT, PR_SCORES, PropValue::Long(27)),
            row()
        ));
        let kw8 = change_type(PR_KEYWORDS_W, PT_MV_STRING8);
        assert!(holds(&prop(RELOP_EQ, kw8, a(b"Blue")), row()));
        // Whole multi-valued values compare element by element.
        let all = prop(RELOP_EQ, PR_SCORES, PropValue::MvLong(vec![3, 9, 27]));
        assert!(holds(&all, row()));
        let fewer = prop(RELOP_GT, PR_SCORES, PropValue::MvLong(vec![3, 9]));
        assert!(holds(&fewer, row()));
        // MVI_FLAG in the tag is the same property.
        let mvi = prop(RELOP_EQ, PR_SCORES | MV_INSTANCE, PropValue::Long(27));
        assert!(holds(&mvi, row()));
        // A content restriction on a multi-valued string.
        let c = Restriction::Content {
            fuzzy: FL_PREFIX | FL_IGNORECASE,
            tag: PR_KEYWORDS_W,
            value: w("BL"),
        };
        assert!(holds(&c, row()));
    }

    #[test]
    fn absent_properties_make_restrictions_false() {
        let empty = Vec::new;
        let rs = [
            prop(RELOP_NE, PR_FLAGS2, PropValue::Long(1)),
            Restriction::Content {
                fuzzy: FL_SUBSTRING,
                tag: PR_DISPLAY_NAME_W,
                value: w(""),
            },
            Restriction::CompareProps {
                relop: RELOP_EQ,
                tag1: PR_FLAGS2,
                tag2: PR_FLAGS2,
            },
            Restriction::BitMask {
                relbmr: BMR_EQZ,
                tag: PR_FLAGS2,
                mask: 1,
            },
            Restriction::Size {
                relop: RELOP_GE,
                tag: PR_FLAGS2,
                cb: 0,
            },
            Restriction::Exist { tag: PR_FLAGS2 },
        ];
        for r in &rs {
            assert!(!holds(r, empty()), "{r:?}");
            assert!(
                holds(&Restriction::Not(Box::new(r.clone())), empty()),
                "{r:?}"
            );
        }
        // A property of another type, or stored as an error, is absent too.
        let long_as_string = vec![(change_type(PR_FLAGS2, PT_UNICODE), w("5"))];
        assert!(!holds(
            &Restriction::Exist { tag: PR_FLAGS2 },
            long_as_string
        ));
        let failed = vec![(
            change_type(PR_FLAGS2, PT_ERROR),
            PropValue::Error(MAPI_E_NOT_FOUND),
        )];
        assert!(!holds(&Restriction::Exist { tag: PR_FLAGS2 }, failed));
        // PT_UNSPECIFIED finds any type.
        let any = Restriction::Exist {
            tag: change_type(PR_FLAGS2, PT_UNSPECIFIED),
        };
        assert!(holds(&any, vec![(PR_FLAGS2, PropValue::Long(0))]));
    }

    #[test]
    fn content_restrictions_follow_the_fuzzy_level() {
        let name = || vec![(PR_DISPLAY_NAME_W, w("Résumé Writer"))];
        let content = |fuzzy, s: &str| Restriction::Content {
            fuzzy,
            tag: PR_DISPLAY_NAME_W,
            value: w(s),
        };
        let cases = [
            (FL_FULLSTRING, "Résumé Writer", true),
            (FL_FULLSTRING, "Résumé", false),
            (FL_FULLSTRING, "résumé writer", false),
            (FL_FULLSTRING | FL_IGNORECASE, "résumé WRITER", true),
            (FL_PREFIX, "Résumé", true),
            (FL_PREFIX, "Writer", false),
            (FL_SUBSTRING, "umé Wr", true),
            (FL_SUBSTRING, "ume wr", false),
            (FL_SUBSTRING | FL_IGNORENONSPACE, "ume Wr", true),
            (FL_SUBSTRING | FL_IGNORENONSPACE, "ume wr", false),
            (FL_SUBSTRING | FL_LOOSE, "ume wr", true),
            (
                FL_SUBSTRING | FL_IGNORECASE | FL_IGNORENONSPACE,
                "RESUME",
                true,
            ),
            (FL_SUBSTRING, "", true),
        ];
        for (fuzzy, needle, want) in cases {
            assert_eq!(
                holds(&content(fuzzy, needle), name()),
                want,
                "{fuzzy:#x} {needle:?}"
            );
        }
        // Combining marks are ignored too: "e" + U+0301.
        let decomposed = vec![(PR_DISPLAY_NAME_W, w("Cafe\u{301}"))];
        assert!(holds(&content(FL_IGNORENONSPACE, "Cafe"), decomposed));
        // An 8-bit needle against a Unicode haystack, and the reverse.
        let c8 = Restriction::Content {
            fuzzy: FL_SUBSTRING,
            tag: PR_DISPLAY_NAME_A,
            value: a(b"sum\xE9"),
        };
        assert!(holds(&c8, name()));
        let stored8 = vec![(PR_DISPLAY_NAME_A, a(b"R\xE9sum\xE9"))];
        assert!(holds(&content(FL_PREFIX, "Rés"), stored8));
    }

    #[test]
    fn content_restrictions_on_binaries_compare_bytes() {
        let key = || vec![(PR_ENTRYID, bin(&[0, 1, 2, 3, 0x41]))];
        let content = |fuzzy, b: &[u8]| Restriction::Content {
            fuzzy,
            tag: PR_ENTRYID,
            value: bin(b),
        };
        assert!(holds(&content(FL_FULLSTRING, &[0, 1, 2, 3, 0x41]), key()));
        assert!(!holds(&content(FL_FULLSTRING, &[0, 1, 2]), key()));
        assert!(holds(&content(FL_PREFIX, &[0, 1]), key()));
        assert!(!holds(&content(FL_PREFIX, &[1, 2]), key()));
        assert!(holds(&content(FL_SUBSTRING, &[2, 3]), key()));
        assert!(!holds(&content(FL_SUBSTRING, &[3, 2]), key()));
        // Case flags do not apply to bytes.
        assert!(!holds(
            &content(FL_SUBSTRING | FL_IGNORECASE, &[0x61]),
            key()
        ));
    }

    #[test]
    fn compare_props_bitmask_size_and_exist() {
        let row = || {
            vec![
                (PR_FLAGS2, PropValue::Long(0b1010)),
                (PR_OTHER, PropValue::Long(12)),
                (PR_DISPLAY_NAME_W, w("abc")),
                (PR_EMAIL_ADDRESS_W, w("ABC")),
                (PR_ENTRYID, bin(&[9; 7])),
                (PR_SCORES, PropValue::MvLong(vec![1, 2])),
            ]
        };
        let cmp = |relop, tag1, tag2| Restriction::CompareProps { relop, tag1, tag2 };
        assert!(holds(&cmp(RELOP_LT, PR_FLAGS2, PR_OTHER), row()));
        assert!(!holds(&cmp(RELOP_GE, PR_FLAGS2, PR_OTHER), row()));
        assert!(!holds(
            &cmp(RELOP_GT, PR_DISPLAY_NAME_W, PR_EMAIL_ADDRESS_W),
            row()
        ));
        assert!(holds(
            &cmp(RELOP_LT, PR_DISPLAY_NAME_W, PR_EMAIL_ADDRESS_W),
            row()
        ));
        // Different types never compare.
        assert!(!holds(&cmp(RELOP_NE, PR_FLAGS2, PR_DISPLAY_NAME_W), row()));

        let bits = |relbmr, mask| Restriction::BitMask {
            relbmr,
            tag: PR_FLAGS2,
            mask,
        };
        assert!(holds(&bits(BMR_EQZ, 0b0101), row()));
        assert!(!holds(&bits(BMR_NEZ, 0b0101), row()));
        assert!(holds(&bits(BMR_NEZ, 0b0010), row()));
        assert!(!holds(&bits(BMR_EQZ, 0b1000), row()));

        let size = |relop, tag, cb| Restriction::Size { relop, tag, cb };
        // "abc" in UTF-16 with its terminator: 8 bytes; as 8-bit: 4.
        assert!(holds(&size(RELOP_EQ, PR_DISPLAY_NAME_W, 8), row()));
        assert!(holds(&size(RELOP_EQ, PR_DISPLAY_NAME_A, 4), row()));
        assert!(holds(&size(RELOP_EQ, PR_FLAGS2, 4), row()));
        assert!(holds(&size(RELOP_LT, PR_ENTRYID, 8), row()));
        assert!(!holds(&size(RELOP_LT, PR_ENTRYID, 7), row()));
        assert!(holds(&size(RELOP_EQ, PR_SCORES, 8), row()));

        assert!(holds(&Restriction::Exist { tag: PR_ENTRYID }, row()));
        assert!(holds(
            &Restriction::Exist {
                tag: PR_DISPLAY_NAME_A
            },
            row()
        ));
        assert!(!holds(&Restriction::Exist { tag: PR_ROWID }, row()));
    }

    #[test]
    fn logical_comment_sub_and_count_restrictions() {
        let exists = |tag| Restriction::Exist { tag };
        let t = || Box::new(exists(PR_ROWID));
        let f = || Box::new(exists(PR_ENTRYID));
        let ok = vec![(PR_ROWID, PropValue::Long(1))];
        assert!(holds(&Restriction::And(vec![]), ok.clone()));
        assert!(!holds(&Restriction::Or(vec![]), ok.clone()));
        assert!(holds(&Restriction::And(vec![*t(), *t()]), ok.clone()));
        assert!(!holds(&Restriction::And(vec![*t(), *f()]), ok.clone()));
        assert!(holds(&Restriction::Or(vec![*f(), *t()]), ok.clone()));
        assert!(holds(&Restriction::Not(f()), ok.clone()));
        assert!(holds(
            &Restriction::Comment { restriction: None },
            ok.clone()
        ));
        assert!(!holds(
            &Restriction::Comment {
                restriction: Some(f())
            },
            ok.clone()
        ));
        let sub = Restriction::Sub {
            object: PR_MESSAGE_RECIPIENTS,
            restriction: t(),
        };
        assert!(!holds(&sub, ok.clone()));

        // Count: the first two rows (in table order) that match.
        let type1 = prop(RELOP_EQ, PR_RECIPIENT_TYPE, PropValue::Long(1));
        let count = |n| Restriction::Count {
            count: n,
            restriction: Box::new(type1.clone()),
        };
        assert_eq!(restricted(type1.clone()), vec![1, 3, 5]);
        assert_eq!(restricted(count(2)), vec![1, 3]);
        assert_eq!(restricted(count(0)), Vec::<i32>::new());
        assert_eq!(restricted(count(10)), vec![1, 3, 5]);
        // Inside an Or each row that reaches the count node counts.
        let either = Restriction::Or(vec![prop(RELOP_EQ, PR_ROWID, PropValue::Long(4)), count(1)]);
        assert_eq!(restricted(either), vec![1, 4]);
    }

    #[test]
    fn bad_restrictions_are_refused() {
        let kind = |r: Restriction| r.validate().unwrap_err().kind;
        let long = || PropValue::Long(1);
        assert_eq!(kind(prop(RELOP_RE, PR_ROWID, long())), TOO_COMPLEX);
        assert_eq!(kind(prop(7, PR_ROWID, long())), ErrorKind::InvalidParameter);
        assert_eq!(kind(prop(RELOP_EQ, PR_ROWID, w("1"))), TOO_COMPLEX);
        assert_eq!(
            kind(prop(RELOP_EQ, PR_ROWID, PropValue::MvLong(vec![1]))),
            TOO_COMPLEX
        );
        assert_eq!(
            kind(prop(RELOP_EQ, PR_ROWID, PropValue::Error(0))),
            ErrorKind::InvalidParameter
        );
        let content = |fuzzy, tag, value| Restriction::Content { fuzzy, tag, value };
        assert_eq!(
            kind(content(3, PR_DISPLAY_NAME_W, w("x"))),
            ErrorKind::InvalidParameter
        );
        assert_eq!(
            kind(content(0x0100_0000, PR_DISPLAY_NAME_W, w("x"))),
            ErrorKind::InvalidParameter
        );
        assert_eq!(kind(content(0, PR_ROWID, long())), TOO_COMPLEX);
        let bits = Restriction::BitMask {
            relbmr: 2,
            tag: PR_ROWID,
            mask: 1,
        };
        assert_eq!(kind(bits), ErrorKind::InvalidParameter);
        let size = Restriction::Size {
            relop: RELOP_RE,
            tag: PR_ROWID,
            cb: 1,
        };
        assert_eq!(kind(size), TOO_COMPLEX);
        // Nesting: 64 levels are fine, 65 are not, and the refusal is found deep inside.
        let mut deep = Restriction::Exist { tag: PR_ROWID };
        for _ in 0..MAX_RESTRICTION_DEPTH - 1 {
            deep = Restriction::Not(Box::new(deep));
        }
        assert!(deep.validate().is_ok());
        let deeper = Restriction::And(vec![deep]);
        assert_eq!(kind(deeper.clone()), ErrorKind::InvalidParameter);
        // A refused restriction leaves the table as it was.
        let rows = source(1, people());
        let mut t = Table::new(true, true);
        t.restrict(&rows, Some(prop(RELOP_EQ, PR_ROWID, PropValue::Long(2))))
            .unwrap();
        assert!(t.restrict(&rows, Some(deeper)).is_err());
        assert_eq!(keys_of(&mut t, &rows), vec![2]);
    }

    // ----- sorting -----

    fn sorted(keys: &[(u32, bool)]) -> Vec<i32> {
        let rows = source(1, people());
        let mut t = Table::new(true, true);
        let keys = keys
            .iter()
            .map(|&(tag, descending)| SortKey { tag, descending })
            .collect();
        t.sort(&rows, keys, 0).unwrap();
        keys_of(&mut t, &rows)
    }

    #[test]
    fn sorts_are_multi_key_stable_and_letter_first() {
        // Names: Carol, alice, Bob, dave, Alice — by letter, lowercase first on ties.
        assert_eq!(sorted(&[(PR_DISPLAY_NAME_W, false)]), vec![2, 5, 3, 1, 4]);
        assert_eq!(sorted(&[(PR_DISPLAY_NAME_W, true)]), vec![4, 1, 3, 5, 2]);
        // The 8-bit tag sorts the same property.
        assert_eq!(sorted(&[(PR_DISPLAY_NAME_A, false)]), vec![2, 5, 3, 1, 4]);
        // Type ascending, then name descending.
        assert_eq!(
            sorted(&[(PR_RECIPIENT_TYPE, false), (PR_DISPLAY_NAME_W, true)]),
            vec![1, 3, 5, 2, 4]
        );
        // Equal keys keep the source's order.
        assert_eq!(sorted(&[(PR_RECIPIENT_TYPE, false)]), vec![1, 3, 5, 2, 4]);
        assert_eq!(sorted(&[(PR_RECIPIENT_TYPE, true)]), vec![4, 2, 1, 3, 5]);
        // No keys: the source's order.
        assert_eq!(sorted(&[]), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn eight_bit_strings_sort_and_fold_in_any_code_page() {
        // An unknown code page: 8-bit strings compare as Latin-1 instead of failing.
        let list = [b"b\xE9".as_slice(), b"B", b"a\xFF"]
            .iter()
            .enumerate()
            .map(|(i, s)| {
                row(
                    i as u32 + 1,
                    vec![
                        (PR_ROWID, PropValue::Long(i as i32 + 1)),
                        (PR_DISPLAY_NAME_A, a(s)),
                    ],
                )
            })
            .collect();
        let mut rows = source(1, list);
        rows.codepage = 12345;
        let mut t = Table::new(true, false);
        let by_name = SortKey {
            tag: PR_DISPLAY_NAME_A,
            descending: false,
        };
        t.sort(&rows, vec![by_name], 0).unwrap();
        assert_eq!(keys_of(&mut t, &rows), vec![3, 2, 1]);
        // Diacritics of Latin Extended-A fold; letters without a decomposition do not.
        let folded = |s: &str| fuzzy_text(&s.encode_utf16().collect::<Vec<_>>(), FL_LOOSE);
        assert_eq!(folded("Žluťoučký kůň"), "zlutoucky kun");
        assert_eq!(folded("Łódź ÆØ"), "łodz æø");
    }

    #[test]
    fn absent_values_sort_first_ascending_and_last_descending() {
        let mut list = people();
        list[2].props.push((PR_FLAGS2, PropValue::Long(7)));
        list[0].props.push((PR_FLAGS2, PropValue::Long(-7)));
        let rows = source(1, list);
        let mut t = Table::new(true, true);
        let key = |descending| {
            vec![SortKey {
                tag: PR_FLAGS2,
                descending,
            }]
        };
        t.sort(&rows, key(false), 0).unwrap();
        assert_eq!(keys_of(&mut t, &rows), vec![2, 4, 5, 1, 3]);
        t.sort(&rows, key(true), 0).unwrap();
        assert_eq!(keys_of(&mut t, &rows), vec![3, 1, 2, 4, 5]);
        assert_eq!(t.query_sort_order(), &key(true)[..]);
    }

    #[test]
    fn sorting_hostile_values_is_total() {
        // NaNs, mixed types and multi-valued values must not upset the sort.
        let values = [
            PropValue::Double(f64::NAN),
            PropValue::Double(1.0),
            PropValue::Long(3),
            PropValue::MvDouble(vec![f64::NAN, 2.0]),
            PropValue::MvDouble(vec![1.0]),
            PropValue::Double(-0.0),
            w("x"),
            PropValue::Double(f64::NEG_INFINITY),
        ];
        let list: Vec<TableRow> = (0..200)
            .map(|i| {
                row(
                    i,
                    vec![
                        (PR_ROWID, PropValue::Long(i as i32)),
                        (
                            change_type(PR_RATIO, PT_UNSPECIFIED) | 0x0001_0000,
                            PropValue::Null,
                        ),
                        (PR_RATIO, values[(i as usize * 7) % values.len()].clone()),
                    ],
                )
            })
            .collect();
        let rows = source(1, list);
        let mut t = Table::new(true, true);
        let key = SortKey {
            tag: change_type(PR_RATIO, PT_UNSPECIFIED),
            descending: false,
        };
        t.sort(&rows, vec![key], 0).unwrap();
        assert_eq!(t.row_count(&rows), 200);
    }

    #[test]
    fn bad_sorts_are_refused_and_leave_the_order() {
        let rows = source(1, people());
        let mut t = Table::new(true, true);
        let by_name = vec![SortKey {
            tag: PR_DISPLAY_NAME_W,
            descending: false,
        }];
        t.sort(&rows, by_name.clone(), 0).unwrap();
        let e = t.sort(&rows, by_name.clone(), 1).unwrap_err();
        assert_eq!(e.kind, TOO_COMPLEX);
        let object = vec![SortKey {
            tag: PR_MESSAGE_RECIPIENTS,
            descending: false,
        }];
        let e = t.sort(&rows, object, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
        assert_eq!(t.query_sort_order(), &by_name[..]);
        assert_eq!(keys_of(&mut t, &rows), vec![2, 5, 3, 1, 4]);
    }

    // ----- cursor -----

    #[test]
    fn seek_row_clamps_and_reports_rows_sought() {
        let rows = source(1, people());
        let mut t = Table::new(true, true);
        let seek = |t: &mut Table, origin, n| t.seek_row(&rows, origin, n).unwrap().sought;
        assert_eq!(seek(&mut t, BOOKMARK_BEGINNING, 2), 2);
        assert_eq!(t.query_position(&rows), (2, 2, 5));
        assert_eq!(seek(&mut t, BOOKMARK_CURRENT, 10), 3);
        assert_eq!(t.query_position(&rows), (5, 5, 5));
        assert_eq!(seek(&mut t, BOOKMARK_CURRENT, -2), -2);
        assert_eq!(seek(&mut t, BOOKMARK_END, -1), -1);
        assert_eq!(t.query_position(&rows).0, 4);
        assert_eq!(seek(&mut t, BOOKMARK_BEGINNING, -3), 0);
        assert_eq!(seek(&mut t, BOOKMARK_END, i32::MIN), -5);
        assert_eq!(seek(&mut t, BOOKMARK_BEGINNING, i32::MAX), 5);
        let e = t.seek_row(&rows, 77, 1).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidBookmark);
    }

    #[test]
    fn seek_row_approx_and_query_position() {
        let rows = source(1, people());
        let mut t = Table::new(true, true);
        t.seek_row_approx(&rows, 1, 2).unwrap();
        assert_eq!(t.query_position(&rows), (2, 2, 5));
        t.seek_row_approx(&rows, 0, 9).unwrap();
        assert_eq!(t.query_position(&rows).0, 0);
        t.seek_row_approx(&rows, 9, 9).unwrap();
        assert_eq!(t.query_position(&rows).0, 5);
        t.seek_row_approx(&rows, u32::MAX, 7).unwrap();
        assert_eq!(t.query_position(&rows).0, 5);
        t.seek_row_approx(&rows, u32::MAX - 1, u32::MAX).unwrap();
        assert_eq!(t.query_position(&rows).0, 4);
        let e = t.seek_row_approx(&rows, 0, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
        // An empty table: position 0 of 1, never a zero denominator.
        let empty = source(1, Vec::new());
        let mut t = Table::new(true, true);
        assert_eq!(t.query_position(&empty), (0, 0, 1));
        assert_eq!(t.row_count(&empty), 0);
    }

    fn ids(out: &[Vec<PropOut>]) -> Vec<i32> {
        out.iter()
            .map(|r| match &r[0] {
                PropOut::Value(_, PropValue::Long(k)) => *k,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn query_rows_reads_forward_and_backward() {
        let rows = source(1, people());
        let mut t = Table::new(true, true);
        let q = |t: &mut Table, n, no_advance| ids(&t.query_rows(&rows, n, no_advance).unwrap());
        assert_eq!(q(&mut t, 2, false), vec![1, 2]);
        assert_eq!(t.query_position(&rows).0, 2);
        // TBL_NOADVANCE leaves the cursor on the first row returned.
        assert_eq!(q(&mut t, 2, true), vec![3, 4]);
        assert_eq!(t.query_position(&rows).0, 2);
        assert_eq!(q(&mut t, 10, false), vec![3, 4, 5]);
        assert_eq!(q(&mut t, 1, false), Vec::<i32>::new());
        assert_eq!(t.query_position(&rows).0, 5);
        // Negative: the rows before the cursor, in table order; the cursor stays after
        // them, or with TBL_NOADVANCE moves to the first of them.
        assert_eq!(q(&mut t, -2, false), vec![4, 5]);
        assert_eq!(t.query_position(&rows).0, 5);
        assert_eq!(q(&mut t, -2, true), vec![4, 5]);
        assert_eq!(t.query_position(&rows).0, 3);
        assert_eq!(q(&mut t, -10, true), vec![1, 2, 3]);
        assert_eq!(t.query_position(&rows).0, 0);
        assert_eq!(q(&mut t, -1, false), Vec::<i32>::new());
        assert_eq!(q(&mut t, i32::MAX, false), vec![1, 2, 3, 4, 5]);
        assert_eq!(q(&mut t, i32::MIN, true), vec![1, 2, 3, 4, 5]);
        assert_eq!(t.query_position(&rows).0, 0);
        let e = t.query_rows(&rows, 0, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
    }

    // ----- columns -----

    #[test]
    fn columns_give_values_errors_and_reserved_slots() {
        let big = vec![7u8; crate::model::message::GETPROPS_LIMIT as usize + 1];
        let rows = source(
            1,
            vec![row(
                1,
                vec![
                    (PR_ROWID, PropValue::Long(1)),
                    (PR_DISPLAY_NAME_W, w("Zoë")),
                    (PR_ENTRYID, PropValue::Binary(big)),
                    (PR_SCORES, PropValue::MvLong(vec![4, 5])),
                    (
                        change_type(PR_FLAGS2, PT_ERROR),
                        PropValue::Error(MAPI_E_NOT_ENOUGH_MEMORY),
                    ),
                ],
            )],
        );
        let mut t = Table::new(true, false);
        let unspecified_name = change_type(PR_DISPLAY_NAME_W, PT_UNSPECIFIED);
        t.set_columns(&[
            PR_NULL,
            PR_DISPLAY_NAME_W,
            unspecified_name,
            PR_DISPLAY_NAME_A,
            PR_EMAIL_ADDRESS_W,
            PR_ENTRYID,
            PR_SCORES | MV_INSTANCE,
            PR_FLAGS2,
            change_type(PR_ROWID, PT_UNICODE),
        ])
        .unwrap();
        let got = t.query_rows(&rows, 1, false).unwrap();
        let expected = vec![
            PropOut::Value(PR_NULL, PropValue::Null),
            PropOut::Value(PR_DISPLAY_NAME_W, w("Zoë")),
            // An open type gives the table's width: this table is 8-bit.
            PropOut::Value(PR_DISPLAY_NAME_A, a(b"Zo\xEB")),
            PropOut::Value(PR_DISPLAY_NAME_A, a(b"Zo\xEB")),
            PropOut::Error(
                change_type(PR_EMAIL_ADDRESS_W, PT_ERROR),
                ErrorKind::NotFound,
            ),
            PropOut::Error(
                change_type(PR_ENTRYID, PT_ERROR),
                ErrorKind::NotEnoughMemory,
            ),
            PropOut::Value(PR_SCORES, PropValue::MvLong(vec![4, 5])),
            PropOut::Value(
                change_type(PR_FLAGS2, PT_ERROR),
                PropValue::Error(MAPI_E_NOT_ENOUGH_MEMORY),
            ),
            PropOut::Error(change_type(PR_ROWID, PT_ERROR), ErrorKind::NotFound),
        ];
        assert_eq!(got, vec![expected]);
        assert_eq!(
            t.set_columns(&[]).unwrap_err().kind,
            ErrorKind::InvalidParameter
        );
    }

    #[test]
    fn query_columns_defaults_use_the_adjust_width() {
        let rows = source(1, people());
        let mut t = Table::new(true, false);
        assert_eq!(
            t.query_columns(&rows, false),
            vec![PR_ROWID, PR_DISPLAY_NAME_A, PR_RECIPIENT_TYPE]
        );
        assert_eq!(
            t.query_columns(&rows, true),
            vec![
                PR_ROWID,
                PR_DISPLAY_NAME_A,
                PR_RECIPIENT_TYPE,
                change_type(PR_KEYWORDS_W, PT_MV_STRING8)
            ]
        );
        t.set_columns(&[PR_DISPLAY_NAME_W, PR_NULL]).unwrap();
        assert_eq!(
            t.query_columns(&rows, false),
            vec![PR_DISPLAY_NAME_W, PR_NULL]
        );
        let u = Table::new(true, true);
        assert_eq!(u.query_columns(&rows, false)[1], PR_DISPLAY_NAME_W);
    }

    // ----- find, bookmarks, refresh -----

    fn named(s: &str) -> Restriction {
        Restriction::Content {
            fuzzy: FL_FULLSTRING | FL_IGNORECASE,
            tag: PR_DISPLAY_NAME_W,
            value: w(s),
        }
    }

    fn position(t: &mut Table, rows: &Rows) -> u32 {
        t.query_position(rows).0
    }

    #[test]
    fn find_row_forward_and_backward_from_bookmarks() {
        let rows = source(1, people());
        let mut t = Table::new(true, true);
        t.find_row(&rows, &named("alice"), BOOKMARK_BEGINNING, false)
            .unwrap();
        assert_eq!(position(&mut t, &rows), 1);
        // Forward from the current row finds the current row itself.
        t.find_row(&rows, &named("alice"), BOOKMARK_CURRENT, false)
            .unwrap();
        assert_eq!(position(&mut t, &rows), 1);
        t.seek_row(&rows, BOOKMARK_CURRENT, 1).unwrap();
        t.find_row(&rows, &named("alice"), BOOKMARK_CURRENT, false)
            .unwrap();
        assert_eq!(position(&mut t, &rows), 4);
        // Backward starts before the bookmark.
        let bm = t.create_bookmark(&rows).unwrap();
        assert!(bm > BOOKMARK_END);
        t.seek_row(&rows, BOOKMARK_BEGINNING, 0).unwrap();
        t.find_row(&rows, &named("alice"), bm, true).unwrap();
        assert_eq!(position(&mut t, &rows), 1);
        t.find_row(&rows, &named("dave"), BOOKMARK_END, true)
            .unwrap();
        assert_eq!(position(&mut t, &rows), 3);
        // Not found: the cursor stays.
        let e = t
            .find_row(&rows, &named("erin"), BOOKMARK_BEGINNING, false)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(position(&mut t, &rows), 3);
        let e = t.find_row(&rows, &named("dave"), bm, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        let e = t
            .find_row(&rows, &named("dave"), BOOKMARK_BEGINNING, true)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        let bad = prop(RELOP_RE, PR_ROWID, PropValue::Long(1));
        assert_eq!(
            t.find_row(&rows, &bad, BOOKMARK_BEGINNING, false)
                .unwrap_err()
                .kind,
            TOO_COMPLEX
        );
    }

    #[test]
    fn bookmarks_are_created_freed_and_discarded() {
        let rows = source(1, people());
        let mut t = Table::new(true, true);
        t.seek_row(&rows, BOOKMARK_BEGINNING, 3).unwrap();
        let b1 = t.create_bookmark(&rows).unwrap();
        t.seek_row(&rows, BOOKMARK_BEGINNING, 1).unwrap();
        let b2 = t.create_bookmark(&rows).unwrap();
        assert_ne!(b1, b2);
        assert_eq!(t.seek_row(&rows, b1, 1).unwrap().sought, 1);
        assert_eq!(position(&mut t, &rows), 4);
        assert_eq!(t.seek_row(&rows, b2, -5).unwrap().sought, -1);
        // At the end of the table the bookmark is BOOKMARK_END.
        t.seek_row(&rows, BOOKMARK_END, 0).unwrap();
        assert_eq!(t.create_bookmark(&rows).unwrap(), BOOKMARK_END);
        // Freeing: predefined ones are ignored, unknown ones are errors.
        t.free_bookmark(b2).unwrap();
        for predefined in [BOOKMARK_BEGINNING, BOOKMARK_CURRENT, BOOKMARK_END] {
            t.free_bookmark(predefined).unwrap();
        }
        assert_eq!(
            t.free_bookmark(b2).unwrap_err().kind,
            ErrorKind::InvalidBookmark
        );
        assert_eq!(
            t.seek_row(&rows, b2, 0).unwrap_err().kind,
            ErrorKind::InvalidBookmark
        );
        // Restrict discards created bookmarks: using one fails, freeing it succeeds.
        t.restrict(&rows, None).unwrap();
        assert_eq!(
            t.seek_row(&rows, b1, 0).unwrap_err().kind,
            ErrorKind::InvalidBookmark
        );
        t.free_bookmark(b1).unwrap();
        // Attachment tables have none.
        let mut att = Table::new(false, true);
        assert_eq!(
            att.create_bookmark(&rows).unwrap_err().kind,
            ErrorKind::NoSupport
        );
    }

    #[test]
    fn restrict_and_sort_reset_the_cursor() {
        let rows = source(1, people());
        let mut t = Table::new(true, true);
        t.seek_row(&rows, BOOKMARK_BEGINNING, 3).unwrap();
        t.restrict(
            &rows,
            Some(prop(RELOP_NE, PR_RECIPIENT_TYPE, PropValue::Long(3))),
        )
        .unwrap();
        assert_eq!(t.query_position(&rows), (0, 0, 4));
        t.seek_row(&rows, BOOKMARK_END, 0).unwrap();
        t.sort(&rows, vec![], 0).unwrap();
        assert_eq!(position(&mut t, &rows), 0);
        t.restrict(&rows, None).unwrap();
        assert_eq!(t.row_count(&rows), 5);
    }

    #[test]
    fn a_new_version_keeps_the_cursor_on_its_row() {
        let rows1 = source(1, people());
        let mut t = Table::new(true, true);
        t.sort(
            &rows1,
            vec![SortKey {
                tag: PR_DISPLAY_NAME_W,
                descending: false,
            }],
            0,
        )
        .unwrap();
        // View: alice(2) Alice(5) Bob(3) Carol(1) dave(4); cursor on Bob.
        t.seek_row(&rows1, BOOKMARK_BEGINNING, 2).unwrap();
        let on_carol = {
            t.seek_row(&rows1, BOOKMARK_CURRENT, 1).unwrap();
            let b = t.create_bookmark(&rows1).unwrap();
            t.seek_row(&rows1, BOOKMARK_CURRENT, -1).unwrap();
            b
        };
        // Aaron is added (sorts first) and alice is removed.
        let mut list = people();
        list.remove(1);
        list.push(row(
            6,
            vec![
                (PR_ROWID, PropValue::Long(6)),
                (PR_DISPLAY_NAME_W, w("Aaron")),
                (PR_RECIPIENT_TYPE, PropValue::Long(1)),
            ],
        ));
        let rows2 = source(2, list);
        // View: Aaron(6) Alice(5) Bob(3) Carol(1) dave(4): still on Bob.
        assert_eq!(ids(&t.query_rows(&rows2, 1, true).unwrap()), vec![3]);
        assert_eq!(t.query_position(&rows2), (2, 2, 5));
        assert_eq!(
            t.seek_row(&rows2, on_carol, 0).unwrap(),
            Seek {
                sought: 0,
                position_changed: false
            }
        );
        assert_eq!(position(&mut t, &rows2), 3);

        // Carol (the cursor's row and the bookmark's) is deleted: both move to the row
        // after it and report the change once.
        let mut list = rows2.rows.as_ref().clone();
        list.retain(|r| r.key != 1);
        let rows3 = source(3, list);
        assert_eq!(ids(&t.query_rows(&rows3, 1, true).unwrap()), vec![4]);
        let first = t.seek_row(&rows3, on_carol, 0).unwrap();
        assert_eq!(
            first,
            Seek {
                sought: 0,
                position_changed: true
            }
        );
        assert!(!t.seek_row(&rows3, on_carol, 0).unwrap().position_changed);

        // At the end the cursor stays at the end when rows are added.
        t.seek_row(&rows3, BOOKMARK_END, 0).unwrap();
        let mut list = rows3.rows.as_ref().clone();
        list.push(row(
            7,
            vec![
                (PR_ROWID, PropValue::Long(7)),
                (PR_DISPLAY_NAME_W, w("Zed")),
            ],
        ));
        let rows4 = source(4, list);
        assert_eq!(t.query_position(&rows4), (5, 5, 5));
        assert_eq!(ids(&t.query_rows(&rows4, -1, false).unwrap()), vec![7]);

        // The restriction applies to new rows too.
        t.restrict(&rows4, Some(named("zed"))).unwrap();
        let mut list = rows4.rows.as_ref().clone();
        list.push(row(
            8,
            vec![
                (PR_ROWID, PropValue::Long(8)),
                (PR_DISPLAY_NAME_W, w("ZED")),
            ],
        ));
        let rows5 = source(5, list);
        assert_eq!(t.row_count(&rows5), 2);
        // The same version is not rebuilt: a changed row set under an old version number
        // is not seen.
        let stale = source(5, Vec::new());
        assert_eq!(t.row_count(&stale), 2);
    }

    #[test]
    fn find_row_reports_a_moved_current_row() {
        let rows1 = source(1, people());
        let mut t = Table::new(true, true);
        t.seek_row(&rows1, BOOKMARK_BEGINNING, 1).unwrap();
        let mut list = people();
        list.remove(1);
        let rows2 = source(2, list);
        // alice (the current row) is gone: FindRow from BOOKMARK_CURRENT warns once.
        let changed = t
            .find_row(&rows2, &named("dave"), BOOKMARK_CURRENT, false)
            .unwrap();
        assert!(changed);
        assert_eq!(position(&mut t, &rows2), 2);
        assert!(
            !t.find_row(&rows2, &named("dave"), BOOKMARK_CURRENT, false)
                .unwrap()
        );
    }
}
