//! `IMAPITable`: the recipient and attachment tables of a message.
//!
//! Each call first takes the message's current rows from the model (so the table is
//! dynamic, `TBLTYPE_DYNAMIC`), then runs the table engine (`model::table`) under the
//! table's own lock, then copies the answer into the caller's memory after that lock is
//! released. Lock order: the file's lock (inside `table_rows`) is released before the
//! table's is taken; no lock is held while the caller's allocators run.
//!
//! Nothing here is asynchronous: `TBL_ASYNC`/`TBL_BATCH` are done at once, `GetStatus` is
//! always `TBLSTAT_COMPLETE`, and the notification, categorization and collapse-state
//! methods answer what `spec/mapi-abi.md` §10.4 allows for tables without them.

use std::ffi::c_void;
use std::sync::Arc;

use parking_lot::Mutex;

use super::{OutParam, clear_out, invalid, out_ptr, unknown_flags};
use crate::com::guids::IID_IMAPITable;
use crate::com::mapimem::Allocators;
use crate::com::marshal;
use crate::com::object::{self, Class, ComObject};
use crate::com::shells::KeepAlive;
use crate::com::tables;
use crate::com::types::*;
use crate::com::vtbl::{IMAPITableVtbl, This};
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::message::{MsgFile, NodeId};
use crate::model::table::{Rows, Table, TableKind};

/// An `IMAPITable` over the recipients or attachments of one message.
pub struct TableShell {
    pub file: Arc<MsgFile>,
    pub message: NodeId,
    pub kind: TableKind,
    pub table: Mutex<Table>,
    /// The allocators of the message, for everything returned to the caller.
    pub alloc: Allocators,
    /// The message's COM object: the table keeps it alive.
    pub keep: KeepAlive,
}

static TABLE_VTBL: IMAPITableVtbl = IMAPITableVtbl {
    QueryInterface: object::query_interface::<TableShell>,
    AddRef: object::add_ref::<TableShell>,
    Release: object::release::<TableShell>,
    GetLastError: get_last_error,
    Advise: advise,
    Unadvise: unadvise,
    GetStatus: get_status,
    SetColumns: set_columns,
    QueryColumns: query_columns,
    GetRowCount: get_row_count,
    SeekRow: seek_row,
    SeekRowApprox: seek_row_approx,
    QueryPosition: query_position,
    FindRow: find_row,
    Restrict: restrict,
    CreateBookmark: create_bookmark,
    FreeBookmark: free_bookmark,
    SortTable: sort_table,
    QuerySortOrder: query_sort_order,
    QueryRows: query_rows,
    Abort: abort,
    ExpandRow: expand_row,
    CollapseRow: collapse_row,
    WaitForCompletion: wait_for_completion,
    GetCollapseState: get_collapse_state,
    SetCollapseState: set_collapse_state,
};

impl Class for TableShell {
    type Vtbl = IMAPITableVtbl;
    fn vtbl() -> &'static IMAPITableVtbl {
        &TABLE_VTBL
    }
    const IIDS: &'static [IID] = &[IID_IMAPITable];
}

/// A new table object (one reference) for `GetRecipientTable`, `GetAttachmentTable` and
/// `OpenProperty(PR_MESSAGE_RECIPIENTS/ATTACHMENTS, IID_IMAPITable)`. `obj_keep` is the
/// message's COM object; `unicode` is whether the caller passed `MAPI_UNICODE` (the width of
/// string columns whose type is left open). Attachment tables have no bookmarks.
pub fn new_table(
    obj_keep: KeepAlive,
    file: Arc<MsgFile>,
    message: NodeId,
    kind: TableKind,
    alloc: Allocators,
    unicode: bool,
) -> *mut c_void {
    let bookmarks = kind == TableKind::Recipients;
    ComObject::into_raw(TableShell {
        file,
        message,
        kind,
        table: Mutex::new(Table::new(bookmarks, unicode)),
        alloc,
        keep: obj_keep,
    })
}

impl TableShell {
    /// The message's current rows; `MAPI_E_OBJECT_DELETED` after `CloseIMsgSession`.
    fn rows(&self) -> Result<Arc<Rows>> {
        #[cfg(test)]
        if let Some(rows) = tests::fake_rows() {
            return self.file.with(|_| Ok(Arc::new(rows)));
        }
        self.file.table_rows(self.message, self.kind)
    }

    /// Fails with `MAPI_E_OBJECT_DELETED` once the message was closed.
    fn alive(&self) -> Result<()> {
        self.file.with(|_| Ok(()))
    }

    /// Runs an engine operation on the current rows.
    fn run<R>(&self, f: impl FnOnce(&mut Table, &Rows) -> Result<R>) -> Result<R> {
        let rows = self.rows()?;
        let mut table = self.table.lock();
        f(&mut table, &rows)
    }
}

// ===== slots =====

unsafe extern "system" fn get_last_error(
    this: This,
    hr: HRESULT,
    flags: ULONG,
    lpp: *mut *mut MAPIERROR,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) };
        let out = out.as_ref().ok_or_else(|| invalid("NULL out-parameter"))?;
        unknown_flags(flags, MAPI_UNICODE)?;
        let text = obj
            .last_error(hr)
            .unwrap_or_else(|| crate::com::scode::scode_name(hr));
        out.set(marshal::mapierror_out(
            &obj.inner.alloc,
            &text,
            flags & MAPI_UNICODE != 0,
        )?);
        Ok(S_OK)
    })
}

/// Notifications are not supported (allowed by §10.4).
unsafe extern "system" fn advise(
    this: This,
    _mask: ULONG,
    _sink: This,
    connection: *mut usize,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: `connection` is NULL or the caller's ULONG_PTR.
        if let Some(c) = unsafe { OutParam::new(connection) } {
            c.set(0);
        }
        obj.inner.alive()?;
        Err(Error::new(
            ErrorKind::NoSupport,
            "table notifications are not supported",
        ))
    })
}

unsafe extern "system" fn unadvise(this: This, _connection: usize) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        obj.inner.alive()?;
        Err(Error::new(
            ErrorKind::NoSupport,
            "table notifications are not supported",
        ))
    })
}

unsafe extern "system" fn get_status(this: This, status: *mut ULONG, ty: *mut ULONG) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: both are NULL or the caller's ULONGs.
        let (status, ty) = unsafe { (OutParam::new(status), OutParam::new(ty)) };
        let (Some(status), Some(ty)) = (status, ty) else {
            return Err(invalid("NULL out-parameter"));
        };
        obj.inner.alive()?;
        status.set(TBLSTAT_COMPLETE);
        ty.set(TBLTYPE_DYNAMIC);
        Ok(S_OK)
    })
}

unsafe extern "system" fn set_columns(
    this: This,
    tags: *mut SPropTagArray,
    flags: ULONG,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        unknown_flags(flags, TBL_ASYNC | TBL_BATCH)?;
        // SAFETY: `tags` is NULL or the caller's tag array.
        let columns = unsafe { marshal::tags_in(tags) }?
            .ok_or_else(|| invalid("SetColumns: NULL column set"))?;
        obj.inner.run(|t, _| t.set_columns(&columns))?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn query_columns(
    this: This,
    flags: ULONG,
    lpp: *mut *mut SPropTagArray,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) };
        let out = out.as_ref().ok_or_else(|| invalid("NULL out-parameter"))?;
        unknown_flags(flags, TBL_ALL_COLUMNS)?;
        let all = flags & TBL_ALL_COLUMNS != 0;
        let columns = obj.inner.run(|t, rows| Ok(t.query_columns(rows, all)))?;
        out.set(marshal::tags_out(&obj.inner.alloc, &columns)?);
        Ok(S_OK)
    })
}

unsafe extern "system" fn get_row_count(this: This, flags: ULONG, count: *mut ULONG) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: `count` is NULL or the caller's ULONG.
        let count = unsafe { OutParam::new(count) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        count.set(0);
        if flags != 0 {
            return Err(Error::new(
                ErrorKind::UnknownFlags,
                format!("GetRowCount: ulFlags must be 0, not 0x{flags:08X}"),
            ));
        }
        count.set(obj.inner.run(|t, rows| Ok(t.row_count(rows)))?);
        Ok(S_OK)
    })
}

unsafe extern "system" fn seek_row(
    this: This,
    origin: BOOKMARK,
    count: LONG,
    sought: *mut LONG,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: `sought` is NULL or the caller's LONG.
        let sought = unsafe { OutParam::new(sought) };
        if let Some(s) = &sought {
            s.set(0);
        }
        let seek = obj.inner.run(|t, rows| t.seek_row(rows, origin, count))?;
        if let Some(s) = &sought {
            s.set(seek.sought);
        }
        Ok(if seek.position_changed {
            MAPI_W_POSITION_CHANGED
        } else {
            S_OK
        })
    })
}

unsafe extern "system" fn seek_row_approx(
    this: This,
    numerator: ULONG,
    denominator: ULONG,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        obj.inner
            .run(|t, rows| t.seek_row_approx(rows, numerator, denominator))?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn query_position(
    this: This,
    row: *mut ULONG,
    numerator: *mut ULONG,
    denominator: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: each is NULL or the caller's ULONG.
        let outs = unsafe {
            (
                OutParam::new(row),
                OutParam::new(numerator),
                OutParam::new(denominator),
            )
        };
        let (Some(row), Some(numerator), Some(denominator)) = outs else {
            return Err(invalid("NULL out-parameter"));
        };
        let (r, n, d) = obj.inner.run(|t, rows| Ok(t.query_position(rows)))?;
        row.set(r);
        numerator.set(n);
        denominator.set(d);
        Ok(S_OK)
    })
}

unsafe extern "system" fn find_row(
    this: This,
    restriction: *mut SRestriction,
    origin: BOOKMARK,
    flags: ULONG,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        unknown_flags(flags, DIR_BACKWARD)?;
        // SAFETY: `restriction` is NULL or the caller's restriction tree.
        let restriction = unsafe { tables::restriction_in(restriction) }?
            .ok_or_else(|| invalid("FindRow: NULL restriction"))?;
        let backward = flags & DIR_BACKWARD != 0;
        let changed = obj
            .inner
            .run(|t, rows| t.find_row(rows, &restriction, origin, backward))?;
        Ok(if changed {
            MAPI_W_POSITION_CHANGED
        } else {
            S_OK
        })
    })
}

unsafe extern "system" fn restrict(
    this: This,
    restriction: *mut SRestriction,
    flags: ULONG,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        unknown_flags(flags, TBL_ASYNC | TBL_BATCH)?;
        // SAFETY: `restriction` is NULL or the caller's restriction tree.
        let restriction = unsafe { tables::restriction_in(restriction) }?;
        obj.inner.run(|t, rows| t.restrict(rows, restriction))?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn create_bookmark(this: This, out: *mut BOOKMARK) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: `out` is NULL or the caller's BOOKMARK.
        let out = unsafe { OutParam::new(out) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        out.set(BOOKMARK_BEGINNING);
        out.set(obj.inner.run(|t, rows| t.create_bookmark(rows))?);
        Ok(S_OK)
    })
}

unsafe extern "system" fn free_bookmark(this: This, bookmark: BOOKMARK) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        obj.inner.run(|t, _| t.free_bookmark(bookmark))?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn sort_table(
    this: This,
    sort: *mut SSortOrderSet,
    flags: ULONG,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        unknown_flags(flags, TBL_ASYNC | TBL_BATCH)?;
        // SAFETY: `sort` is NULL or the caller's sort order set.
        let (keys, categories) = unsafe { tables::sort_order_in(sort) }?;
        obj.inner.run(|t, rows| t.sort(rows, keys, categories))?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn query_sort_order(this: This, lpp: *mut *mut SSortOrderSet) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) };
        let out = out.as_ref().ok_or_else(|| invalid("NULL out-parameter"))?;
        let keys = obj.inner.run(|t, _| Ok(t.query_sort_order().to_vec()))?;
        out.set(tables::sort_order_out(&obj.inner.alloc, &keys)?);
        Ok(S_OK)
    })
}

unsafe extern "system" fn query_rows(
    this: This,
    count: LONG,
    flags: ULONG,
    lpp: *mut *mut SRowSet,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) };
        let out = out.as_ref().ok_or_else(|| invalid("NULL out-parameter"))?;
        unknown_flags(flags, TBL_NOADVANCE)?;
        let no_advance = flags & TBL_NOADVANCE != 0;
        let (before, rows) = obj.inner.run(|t, rows| {
            let (before, _, _) = t.query_position(rows);
            Ok((before, t.query_rows(rows, count, no_advance)?))
        })?;
        match tables::rows_out(&obj.inner.alloc, &rows) {
            Ok(set) => {
                out.set(set);
                Ok(S_OK)
            }
            Err(e) => {
                // Rows that were not delivered were not read: put the cursor back.
                let back = i32::try_from(before).unwrap_or(i32::MAX);
                let _ = obj
                    .inner
                    .run(|t, rows| t.seek_row(rows, BOOKMARK_BEGINNING, back));
                Err(e)
            }
        }
    })
}

/// Nothing runs asynchronously, so nothing can be stopped.
unsafe extern "system" fn abort(this: This) -> HRESULT {
    crate::slot!(TableShell, this, |obj| match obj.inner.alive() {
        Ok(()) => MAPI_E_UNABLE_TO_ABORT,
        Err(e) => obj.fail(&e),
    })
}

fn not_categorized() -> Error {
    Error::new(
        ErrorKind::NotFound,
        "the table is not categorized: there is no category row with that instance key",
    )
}

unsafe extern "system" fn expand_row(
    this: This,
    _cb_key: ULONG,
    _key: *mut BYTE,
    _count: ULONG,
    _flags: ULONG,
    rows: *mut *mut SRowSet,
    more: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: both are NULL or the caller's out-parameters.
        unsafe {
            clear_out(rows);
            if let Some(m) = OutParam::new(more) {
                m.set(0);
            }
        }
        obj.inner.alive()?;
        Err(not_categorized())
    })
}

unsafe extern "system" fn collapse_row(
    this: This,
    _cb_key: ULONG,
    _key: *mut BYTE,
    _flags: ULONG,
    count: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: `count` is NULL or the caller's ULONG.
        if let Some(c) = unsafe { OutParam::new(count) } {
            c.set(0);
        }
        obj.inner.alive()?;
        Err(not_categorized())
    })
}

/// Not supported (allowed by §10.4): the table is always complete.
unsafe extern "system" fn wait_for_completion(
    this: This,
    _flags: ULONG,
    _timeout: ULONG,
    _status: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        obj.inner.alive()?;
        Err(Error::new(
            ErrorKind::NoSupport,
            "WaitForCompletion: nothing runs asynchronously (GetStatus is always \
             TBLSTAT_COMPLETE)",
        ))
    })
}

unsafe extern "system" fn get_collapse_state(
    this: This,
    _flags: ULONG,
    _cb_key: ULONG,
    _key: *mut BYTE,
    cb_state: *mut ULONG,
    state: *mut *mut BYTE,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: both are NULL or the caller's out-parameters.
        unsafe {
            clear_out(state);
            if let Some(cb) = OutParam::new(cb_state) {
                cb.set(0);
            }
        }
        obj.inner.alive()?;
        Err(Error::new(
            ErrorKind::NoSupport,
            "the table is not categorized and has no collapse state",
        ))
    })
}

/// `MAPI_E_UNABLE_TO_COMPLETE`: there is no collapse state to restore (§10.4 lists no
/// `MAPI_E_NO_SUPPORT` here).
unsafe extern "system" fn set_collapse_state(
    this: This,
    _flags: ULONG,
    _cb_state: ULONG,
    _state: *mut BYTE,
    location: *mut BOOKMARK,
) -> HRESULT {
    crate::try_slot!(TableShell, this, |obj| {
        // SAFETY: `location` is NULL or the caller's BOOKMARK.
        if let Some(l) = unsafe { OutParam::new(location) } {
            l.set(BOOKMARK_BEGINNING);
        }
        obj.inner.alive()?;
        Err(Error::new(
            ErrorKind::UnableToComplete,
            "the table is not categorized and has no collapse state to restore",
        ))
    })
}

#[cfg(test)]
pub(super) mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::com::guids::{IID_IMessage, IID_IUnknown};
    use crate::com::mapimem;
    use crate::com::scode::scode_of;
    use crate::model::prop::PropValue;
    use crate::model::prop::tags::*;
    use crate::model::table::{TOO_COMPLEX, TableRow};
    use crate::storage::docfile::create_file;

    thread_local! {
        static FAKE: RefCell<Option<Rows>> = const { RefCell::new(None) };
    }

    /// Rows a test gives its tables instead of the model's (this thread only).
    pub(in crate::capi) fn fake_rows() -> Option<Rows> {
        FAKE.with(|f| f.borrow().clone())
    }

    fn set_rows(rows: Option<Rows>) {
        FAKE.with(|f| *f.borrow_mut() = rows);
    }

    fn w(s: &str) -> PropValue {
        PropValue::Unicode(s.encode_utf16().collect())
    }

    fn people(version: u64, names: &[&str]) -> Rows {
        let rows = names
            .iter()
            .enumerate()
            .map(|(i, name)| TableRow {
                key: i as u32 + 1,
                props: vec![
                    (PR_ROWID, PropValue::Long(i as i32 + 1)),
                    (PR_DISPLAY_NAME_W, w(name)),
                    (PR_RECIPIENT_TYPE, PropValue::Long(1)),
                ],
            })
            .collect();
        Rows {
            version,
            rows: Arc::new(rows),
            default_columns: Arc::new(vec![PR_ROWID, PR_DISPLAY_NAME_W]),
            all_columns: Arc::new(vec![PR_ROWID, PR_DISPLAY_NAME_W, PR_RECIPIENT_TYPE]),
            codepage: 1252,
        }
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        file: Arc<MsgFile>,
        table: This,
    }

    impl Fixture {
        fn new(kind: TableKind, unicode: bool) -> Fixture {
            let dir = tempfile::tempdir().unwrap();
            let mode = STGM_READWRITE | STGM_SHARE_EXCLUSIVE | STGM_CREATE;
            let stg =
                create_file(&dir.path().join("t.msg"), mode, crate::storage::Version::V3).unwrap();
            let (file, node) = MsgFile::open(stg, true, false).unwrap();
            let keep: KeepAlive = Arc::new(());
            let table = new_table(keep, file.clone(), node, kind, Allocators::ours(), unicode);
            Fixture {
                _dir: dir,
                file,
                table,
            }
        }

        fn vt(&self) -> &'static IMAPITableVtbl {
            // SAFETY: `table` is one of our table objects: its first word is the vtable.
            unsafe { &**(self.table as *const *const IMAPITableVtbl) }
        }

        fn last_error(&self, hr: HRESULT) -> String {
            let mut err: *mut MAPIERROR = std::ptr::null_mut();
            // SAFETY: a valid object and out-parameter.
            assert_eq!(
                unsafe { (self.vt().GetLastError)(self.table, hr, 0, &mut err) },
                S_OK
            );
            // SAFETY: an 8-bit MAPIERROR from our allocator.
            let text = unsafe {
                std::ffi::CStr::from_ptr((*err).lpszError as *const std::ffi::c_char)
                    .to_string_lossy()
                    .into_owned()
            };
            mapimem::free_buffer(err.cast()).unwrap();
            text
        }

        /// QueryRows, then FreeProws as MAPI does it: each row's array, then the set (each
        /// must be a root block). Returns each row's values.
        fn query(
            &self,
            count: LONG,
            flags: ULONG,
        ) -> std::result::Result<Vec<Vec<(u32, String)>>, HRESULT> {
            let mut set: *mut SRowSet = std::ptr::null_mut();
            // SAFETY: a valid object and out-parameter.
            let hr = unsafe { (self.vt().QueryRows)(self.table, count, flags, &mut set) };
            if hr != S_OK {
                assert!(set.is_null());
                return Err(hr);
            }
            let mut out = Vec::new();
            // SAFETY: `set` is the row set QueryRows built.
            unsafe {
                let first = std::ptr::addr_of!((*set).aRow) as *const SRow;
                for i in 0..(*set).cRows as usize {
                    let row = *first.add(i);
                    let mut values = Vec::new();
                    for j in 0..row.cValues as usize {
                        let v = *row.lpProps.add(j);
                        let text = match v.ulPropTag & 0xFFFF {
                            PT_LONG => v.Value.l.to_string(),
                            PT_UNICODE => {
                                let mut n = 0;
                                while *v.Value.lpszW.add(n) != 0 {
                                    n += 1;
                                }
                                String::from_utf16_lossy(std::slice::from_raw_parts(
                                    v.Value.lpszW,
                                    n,
                                ))
                            }
                            PT_ERROR => format!("error 0x{:08X}", v.Value.err as u32),
                            other => format!("type 0x{other:04X}"),
                        };
                        values.push((v.ulPropTag, text));
                    }
                    out.push(values);
                    mapimem::free_buffer(row.lpProps.cast()).unwrap();
                }
            }
            mapimem::free_buffer(set.cast()).unwrap();
            Ok(out)
        }

        fn ids(&self, count: LONG, flags: ULONG) -> Vec<String> {
            self.query(count, flags)
                .unwrap()
                .into_iter()
                .map(|r| r[0].1.clone())
                .collect()
        }

        fn position(&self) -> (ULONG, ULONG, ULONG) {
            let (mut r, mut n, mut d) = (0, 0, 0);
            // SAFETY: a valid object and out-parameters.
            let hr = unsafe { (self.vt().QueryPosition)(self.table, &mut r, &mut n, &mut d) };
            assert_eq!(hr, S_OK);
            (r, n, d)
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            // SAFETY: the fixture owns the table's only reference.
            assert_eq!(unsafe { (self.vt().Release)(self.table) }, 0);
        }
    }

    fn content(fuzzy: ULONG, value: &mut SPropValue) -> SRestriction {
        SRestriction {
            rt: RES_CONTENT,
            res: SRestrictionUnion {
                prop: SPropRestriction {
                    ul1: fuzzy,
                    ulPropTag: PR_DISPLAY_NAME_W,
                    lpProp: value,
                },
            },
        }
    }

    fn unicode_value(text: &mut Vec<u16>) -> SPropValue {
        SPropValue {
            ulPropTag: PR_DISPLAY_NAME_W,
            dwAlignPad: 0,
            Value: PV {
                lpszW: text.as_mut_ptr(),
            },
        }
    }

    #[test]
    fn query_interface_and_status() {
        let f = Fixture::new(TableKind::Recipients, true);
        set_rows(Some(people(1, &["a"])));
        let vt = f.vt();
        for (iid, want) in [
            (IID_IMAPITable, S_OK),
            (IID_IUnknown, S_OK),
            (IID_IMessage, E_NOINTERFACE),
        ] {
            let mut p: *mut c_void = std::ptr::null_mut();
            // SAFETY: a valid object, IID and out-parameter.
            assert_eq!(unsafe { (vt.QueryInterface)(f.table, &iid, &mut p) }, want);
            if want == S_OK {
                assert_eq!(p, f.table);
                // SAFETY: the reference QueryInterface added.
                assert_eq!(unsafe { (vt.Release)(p) }, 1);
            }
        }
        let (mut status, mut ty) = (99, 99);
        // SAFETY: valid out-parameters.
        assert_eq!(
            unsafe { (vt.GetStatus)(f.table, &mut status, &mut ty) },
            S_OK
        );
        assert_eq!((status, ty), (TBLSTAT_COMPLETE, TBLTYPE_DYNAMIC));
        // SAFETY: NULL out-parameters are refused.
        let hr = unsafe { (vt.GetStatus)(f.table, std::ptr::null_mut(), &mut ty) };
        assert_eq!(hr, MAPI_E_INVALID_PARAMETER);
    }

    #[test]
    fn columns_restrictions_sorts_and_rows_through_the_vtable() {
        let f = Fixture::new(TableKind::Recipients, true);
        set_rows(Some(people(1, &["Carol", "alice", "Bob", "Alice"])));
        let vt = f.vt();
        let mut count = 0;
        // SAFETY: valid out-parameter.
        assert_eq!(unsafe { (vt.GetRowCount)(f.table, 0, &mut count) }, S_OK);
        assert_eq!(count, 4);

        // Default columns, then a column set with a reserved slot and a missing column.
        assert_eq!(
            f.query(1, TBL_NOADVANCE).unwrap(),
            vec![vec![
                (PR_ROWID, "1".to_string()),
                (PR_DISPLAY_NAME_W, "Carol".to_string())
            ]]
        );
        let cols = [
            4u32,
            PR_ROWID,
            PR_NULL,
            PR_DISPLAY_NAME_W,
            PR_EMAIL_ADDRESS_W,
        ];
        // SAFETY: `cols` has the SPropTagArray layout: a count, then the tags.
        let hr =
            unsafe { (vt.SetColumns)(f.table, cols.as_ptr() as *mut SPropTagArray, TBL_BATCH) };
        assert_eq!(hr, S_OK);
        let mut tags: *mut SPropTagArray = std::ptr::null_mut();
        // SAFETY: valid out-parameter.
        assert_eq!(unsafe { (vt.QueryColumns)(f.table, 0, &mut tags) }, S_OK);
        // SAFETY: a tag array of four.
        assert_eq!(
            unsafe { std::slice::from_raw_parts(tags as *const u32, 5) },
            &cols
        );
        mapimem::free_buffer(tags.cast()).unwrap();
        let row = f.query(1, TBL_NOADVANCE).unwrap().remove(0);
        assert_eq!(
            row,
            vec![
                (PR_ROWID, "1".to_string()),
                (PR_NULL, "type 0x0001".to_string()),
                (PR_DISPLAY_NAME_W, "Carol".to_string()),
                (
                    change_type_error(PR_EMAIL_ADDRESS_W),
                    format!("error 0x{:08X}", MAPI_E_NOT_FOUND as u32)
                ),
            ]
        );

        // Restrict to names starting with "a" (any case), sort by name descending.
        let mut text: Vec<u16> = "A".encode_utf16().chain([0]).collect();
        let mut value = unicode_value(&mut text);
        let r = content(FL_PREFIX | FL_IGNORECASE, &mut value);
        // SAFETY: a valid restriction on locals.
        assert_eq!(
            unsafe { (vt.Restrict)(f.table, &r as *const _ as *mut _, 0) },
            S_OK
        );
        let sort = SSortOrderSet {
            cSorts: 1,
            cCategories: 0,
            cExpanded: 0,
            aSort: [SSortOrder {
                ulPropTag: PR_DISPLAY_NAME_W,
                ulOrder: TABLE_SORT_DESCEND,
            }],
        };
        // SAFETY: a valid sort order set.
        assert_eq!(
            unsafe { (vt.SortTable)(f.table, &sort as *const _ as *mut _, 0) },
            S_OK
        );
        let mut back: *mut SSortOrderSet = std::ptr::null_mut();
        // SAFETY: valid out-parameter.
        assert_eq!(unsafe { (vt.QuerySortOrder)(f.table, &mut back) }, S_OK);
        // SAFETY: a set of one sort.
        unsafe {
            assert_eq!((*back).cSorts, 1);
            assert_eq!((*back).aSort[0].ulPropTag, PR_DISPLAY_NAME_W);
            assert_eq!((*back).aSort[0].ulOrder, TABLE_SORT_DESCEND);
        }
        mapimem::free_buffer(back.cast()).unwrap();
        assert_eq!(f.ids(10, 0), vec!["4", "2"]);
        assert_eq!(f.position(), (2, 2, 2));
        assert_eq!(f.ids(10, 0), Vec::<String>::new());
        assert_eq!(f.ids(-1, TBL_NOADVANCE), vec!["2"]);
        assert_eq!(f.position(), (1, 1, 2));

        // FindRow, SeekRow and bookmarks.
        let (mut sought, mut bm) = (0, 0);
        // SAFETY: valid out-parameters.
        unsafe {
            assert_eq!((vt.SeekRow)(f.table, BOOKMARK_END, -5, &mut sought), S_OK);
            assert_eq!(sought, -2);
            assert_eq!((vt.CreateBookmark)(f.table, &mut bm), S_OK);
            assert!(bm > BOOKMARK_END);
            assert_eq!((vt.SeekRow)(f.table, bm, 1, std::ptr::null_mut()), S_OK);
            assert_eq!(f.position().0, 1);
            let mut text: Vec<u16> = "Alice".encode_utf16().chain([0]).collect();
            let mut value = unicode_value(&mut text);
            let r = content(FL_FULLSTRING, &mut value);
            let r = &r as *const _ as *mut _;
            assert_eq!((vt.FindRow)(f.table, r, BOOKMARK_BEGINNING, 0), S_OK);
            assert_eq!(f.position().0, 0);
            assert_eq!((vt.FindRow)(f.table, r, BOOKMARK_END, DIR_BACKWARD), S_OK);
            assert_eq!(
                (vt.FindRow)(f.table, r, BOOKMARK_CURRENT, DIR_BACKWARD),
                MAPI_E_NOT_FOUND
            );
            assert_eq!((vt.FreeBookmark)(f.table, bm), S_OK);
            assert_eq!((vt.FreeBookmark)(f.table, bm), MAPI_E_INVALID_BOOKMARK);
            assert_eq!(
                (vt.SeekRow)(f.table, bm, 0, &mut sought),
                MAPI_E_INVALID_BOOKMARK
            );
            assert_eq!((vt.SeekRowApprox)(f.table, 1, 2), S_OK);
            assert_eq!(f.position(), (1, 1, 2));
            // Restrict(NULL) removes the filter.
            assert_eq!((vt.Restrict)(f.table, std::ptr::null_mut(), 0), S_OK);
            assert_eq!(f.ids(10, 0), vec!["1", "3", "4", "2"]);
        }
    }

    fn change_type_error(tag: u32) -> u32 {
        (tag & 0xFFFF_0000) | PT_ERROR
    }

    #[test]
    fn a_deleted_row_moves_the_bookmark_with_a_warning() {
        let f = Fixture::new(TableKind::Recipients, true);
        set_rows(Some(people(1, &["a", "b", "c"])));
        let vt = f.vt();
        let mut bm = 0;
        // SAFETY: valid out-parameters.
        unsafe {
            assert_eq!(
                (vt.SeekRow)(f.table, BOOKMARK_BEGINNING, 1, std::ptr::null_mut()),
                S_OK
            );
            assert_eq!((vt.CreateBookmark)(f.table, &mut bm), S_OK);
        }
        let mut rows = people(2, &["a", "b", "c"]);
        Arc::make_mut(&mut rows.rows).remove(1);
        set_rows(Some(rows));
        let mut sought = 9;
        // SAFETY: valid out-parameters.
        unsafe {
            assert_eq!(
                (vt.SeekRow)(f.table, bm, 0, &mut sought),
                MAPI_W_POSITION_CHANGED
            );
            assert_eq!(sought, 0);
            assert_eq!((vt.SeekRow)(f.table, bm, 0, &mut sought), S_OK);
        }
        assert_eq!(f.ids(1, 0), vec!["3"]);
    }

    #[test]
    fn bad_calls_get_clear_errors() {
        let f = Fixture::new(TableKind::Attachments, false);
        set_rows(Some(people(1, &["x", "y"])));
        let vt = f.vt();
        assert_eq!(f.query(0, 0), Err(MAPI_E_INVALID_PARAMETER));
        assert!(
            f.last_error(MAPI_E_INVALID_PARAMETER)
                .contains("row count is zero")
        );
        assert_eq!(f.query(1, 2), Err(MAPI_E_UNKNOWN_FLAGS));
        let mut n = 0;
        let mut bm = 7;
        // SAFETY: every pointer is valid or deliberately NULL.
        unsafe {
            let null_rows: *mut *mut SRowSet = std::ptr::null_mut();
            assert_eq!(
                (vt.QueryRows)(f.table, 1, 0, null_rows),
                MAPI_E_INVALID_PARAMETER
            );
            assert_eq!(
                (vt.SetColumns)(f.table, std::ptr::null_mut(), 0),
                MAPI_E_INVALID_PARAMETER
            );
            let empty = [0u32];
            let empty = empty.as_ptr() as *mut SPropTagArray;
            assert_eq!((vt.SetColumns)(f.table, empty, 0), MAPI_E_INVALID_PARAMETER);
            assert_eq!((vt.SetColumns)(f.table, empty, 4), MAPI_E_UNKNOWN_FLAGS);
            assert_eq!((vt.GetRowCount)(f.table, 1, &mut n), MAPI_E_UNKNOWN_FLAGS);
            assert_eq!((vt.SeekRowApprox)(f.table, 1, 0), MAPI_E_INVALID_PARAMETER);
            assert_eq!(
                (vt.FindRow)(f.table, std::ptr::null_mut(), 0, 0),
                MAPI_E_INVALID_PARAMETER
            );
            assert_eq!(
                (vt.SortTable)(f.table, std::ptr::null_mut(), 0),
                MAPI_E_INVALID_PARAMETER
            );
            assert_eq!(
                (vt.SeekRow)(f.table, 12345, 0, std::ptr::null_mut()),
                MAPI_E_INVALID_BOOKMARK
            );
            // Attachment tables have no bookmarks.
            assert_eq!((vt.CreateBookmark)(f.table, &mut bm), MAPI_E_NO_SUPPORT);
            assert_eq!(bm, BOOKMARK_BEGINNING);
            assert_eq!((vt.FreeBookmark)(f.table, BOOKMARK_CURRENT), S_OK);
            // RELOP_RE and categories are too complex.
            let mut v = SPropValue {
                ulPropTag: PR_ROWID,
                dwAlignPad: 0,
                Value: PV { l: 1 },
            };
            let re = SRestriction {
                rt: RES_PROPERTY,
                res: SRestrictionUnion {
                    prop: SPropRestriction {
                        ul1: RELOP_RE,
                        ulPropTag: PR_ROWID,
                        lpProp: &mut v,
                    },
                },
            };
            let re = &re as *const _ as *mut _;
            assert_eq!((vt.Restrict)(f.table, re, 0), scode_of(TOO_COMPLEX));
            assert!(f.last_error(scode_of(TOO_COMPLEX)).contains("RELOP_RE"));
            let categorized = SSortOrderSet {
                cSorts: 1,
                cCategories: 1,
                cExpanded: 0,
                aSort: [SSortOrder {
                    ulPropTag: PR_ROWID,
                    ulOrder: TABLE_SORT_ASCEND,
                }],
            };
            let categorized = &categorized as *const _ as *mut _;
            assert_eq!(
                (vt.SortTable)(f.table, categorized, 0),
                scode_of(TOO_COMPLEX)
            );
            // The unsupported rest.
            let mut conn = 5usize;
            assert_eq!(
                (vt.Advise)(f.table, 0x100, std::ptr::null_mut(), &mut conn),
                MAPI_E_NO_SUPPORT
            );
            assert_eq!(conn, 0);
            assert_eq!((vt.Unadvise)(f.table, 1), MAPI_E_NO_SUPPORT);
            assert_eq!((vt.Abort)(f.table), MAPI_E_UNABLE_TO_ABORT);
            assert!(
                f.last_error(MAPI_E_UNABLE_TO_ABORT)
                    .contains("UNABLE_TO_ABORT")
            );
            let mut rows: *mut SRowSet = std::ptr::dangling_mut();
            let mut more = 3;
            let key = [0u8; 4].as_ptr() as *mut u8;
            assert_eq!(
                (vt.ExpandRow)(f.table, 4, key, 1, 0, &mut rows, &mut more),
                MAPI_E_NOT_FOUND
            );
            assert!(rows.is_null() && more == 0);
            assert_eq!(
                (vt.CollapseRow)(f.table, 4, key, 0, &mut more),
                MAPI_E_NOT_FOUND
            );
            let mut status = 0;
            assert_eq!(
                (vt.WaitForCompletion)(f.table, 0, 0, &mut status),
                MAPI_E_NO_SUPPORT
            );
            let mut cb = 1;
            let mut state: *mut u8 = key;
            assert_eq!(
                (vt.GetCollapseState)(f.table, 0, 4, key, &mut cb, &mut state),
                MAPI_E_NO_SUPPORT
            );
            assert!(state.is_null() && cb == 0);
            assert_eq!(
                (vt.SetCollapseState)(f.table, 0, 0, key, &mut bm),
                MAPI_E_UNABLE_TO_COMPLETE
            );
        }
        // An 8-bit table gives open string types as PT_STRING8.
        let mut tags: *mut SPropTagArray = std::ptr::null_mut();
        // SAFETY: valid out-parameter.
        assert_eq!(
            unsafe { (vt.QueryColumns)(f.table, TBL_ALL_COLUMNS, &mut tags) },
            S_OK
        );
        // SAFETY: three tags.
        let got = unsafe { std::slice::from_raw_parts(tags as *const u32, 4) }.to_vec();
        assert_eq!(
            got,
            vec![
                3,
                PR_ROWID,
                (PR_DISPLAY_NAME_W & 0xFFFF_0000) | PT_STRING8,
                PR_RECIPIENT_TYPE
            ]
        );
        mapimem::free_buffer(tags.cast()).unwrap();
    }

    #[test]
    fn a_closed_message_answers_object_deleted() {
        let f = Fixture::new(TableKind::Recipients, true);
        set_rows(Some(people(1, &["x"])));
        assert_eq!(f.ids(1, 0), vec!["1"]);
        drop(f.file.close());
        let vt = f.vt();
        assert_eq!(f.query(1, 0), Err(MAPI_E_OBJECT_DELETED));
        let mut n = 0;
        // SAFETY: valid out-parameters.
        unsafe {
            assert_eq!((vt.GetRowCount)(f.table, 0, &mut n), MAPI_E_OBJECT_DELETED);
            assert_eq!((vt.Abort)(f.table), MAPI_E_OBJECT_DELETED);
            assert_eq!(
                (vt.SetCollapseState)(f.table, 0, 0, std::ptr::null_mut(), std::ptr::null_mut()),
                MAPI_E_OBJECT_DELETED
            );
            let (mut s, mut t) = (0, 0);
            assert_eq!(
                (vt.GetStatus)(f.table, &mut s, &mut t),
                MAPI_E_OBJECT_DELETED
            );
        }
        set_rows(None);
        assert_eq!(f.query(1, 0), Err(MAPI_E_OBJECT_DELETED));
        assert!(
            f.last_error(MAPI_E_OBJECT_DELETED)
                .contains("CloseIMsgSession")
        );
    }
}
