//! `CreateTable` and the `ITableData` slots over `model::tabledata`. Views (`HrGetView`) are
//! the same `IMAPITable` objects messages give (`capi::table`), reading the rows of the
//! `ITableData` through `RowSource`: each call of a view sees the rows as they are then.
//!
//! `HrNotify`: our views refuse `Advise` (`MAPI_E_NO_SUPPORT`, `spec/mapi-abi.md` §10.4), so
//! no view ever has an advise sink to notify; the call checks its row and succeeds.

use std::ffi::c_void;
use std::sync::Arc;

use parking_lot::Mutex;

use super::{OutParam, invalid, out_ptr, unknown_flags};
use crate::capi::table::TableShell;
use crate::com::guids::*;
use crate::com::marshal;
use crate::com::object::{self, Class, ComObject, guard};
use crate::com::propdata::{
    CallerRelease, TableDataShell, ViewRelease, row_in, row_out, row_set_in,
};
use crate::com::shells::KeepAlive;
use crate::com::tables;
use crate::com::types::*;
use crate::com::vtbl::{ITableData, ITableDataVtbl, This};
use crate::consts::*;
use crate::error::Result;
use crate::model::table::Table;
use crate::model::tabledata::{SharedTableData, TableData};

static TABLEDATA_VTBL: ITableDataVtbl = ITableDataVtbl {
    QueryInterface: object::query_interface::<TableDataShell>,
    AddRef: object::add_ref::<TableDataShell>,
    Release: object::release::<TableDataShell>,
    HrGetView: get_view,
    HrModifyRow: modify_row,
    HrDeleteRow: delete_row,
    HrQueryRow: query_row,
    HrEnumRow: enum_row,
    HrNotify: notify,
    HrInsertRow: insert_row,
    HrModifyRows: modify_rows,
    HrDeleteRows: delete_rows,
};

impl Class for TableDataShell {
    type Vtbl = ITableDataVtbl;
    fn vtbl() -> &'static ITableDataVtbl {
        &TABLEDATA_VTBL
    }
    const IIDS: &'static [IID] = &[IID_IMAPITableData];
}

/// Creates an empty `ITableData` of type `ulTableType` (`TBLTYPE_SNAPSHOT`, `_KEYSET` or
/// `_DYNAMIC`, which its views' `GetStatus` report) whose rows are identified by the value
/// of `ulPropTagIndexColumn` and whose views start with the columns
/// `lpSPropTagArrayColumns`. `lpInterface` is NULL or `&IID_IMAPITableData` (else
/// `MAPI_E_INTERFACE_NOT_SUPPORTED`); `lpvReserved` must be NULL.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "system" fn CreateTable(
    lpInterface: *const IID,
    lpAllocateBuffer: Option<
        unsafe extern "system" fn(cbSize: ULONG, lppBuffer: *mut *mut c_void) -> SCODE,
    >,
    lpAllocateMore: Option<
        unsafe extern "system" fn(
            cbSize: ULONG,
            lpObject: *mut c_void,
            lppBuffer: *mut *mut c_void,
        ) -> SCODE,
    >,
    lpFreeBuffer: Option<unsafe extern "system" fn(lpBuffer: *mut c_void) -> ULONG>,
    lpvReserved: *mut c_void,
    ulTableType: ULONG,
    ulPropTagIndexColumn: ULONG,
    lpSPropTagArrayColumns: *mut SPropTagArray,
    lppTableData: *mut *mut ITableData,
) -> SCODE {
    guard(MAPI_E_CALL_FAILED, || {
        // SAFETY: `lppTableData` is NULL or the caller's out-parameter.
        let Some(out) = (unsafe { out_ptr(lppTableData) }) else {
            return MAPI_E_INVALID_PARAMETER;
        };
        // SAFETY: `lpInterface` is NULL or a valid IID.
        let alloc = match unsafe {
            super::propdata::creation_args(
                lpInterface,
                IID_IMAPITableData,
                (lpAllocateBuffer, lpAllocateMore, lpFreeBuffer),
                lpvReserved,
            )
        } {
            Ok(alloc) => alloc,
            Err(sc) => return sc,
        };
        // SAFETY: NULL or the caller's tag array.
        let columns = match unsafe { marshal::tags_in(lpSPropTagArrayColumns) } {
            Ok(Some(c)) => c,
            Ok(None) => return MAPI_E_INVALID_PARAMETER,
            Err(e) => return crate::com::scode::scode_of(e.kind),
        };
        match TableData::new(ulTableType, ulPropTagIndexColumn, columns) {
            Ok(data) => {
                out.set(
                    ComObject::into_raw(TableDataShell {
                        data: Arc::new(SharedTableData(Mutex::new(data))),
                        alloc,
                    })
                    .cast(),
                );
                S_OK
            }
            Err(e) => crate::com::scode::scode_of(e.kind),
        }
    })
}

/// A view: the table engine over the rows, sorted as asked; it keeps the `ITableData`
/// alive, with the release callback when one was given.
unsafe extern "system" fn get_view(
    this: This,
    sort: *mut SSortOrderSet,
    release: Option<CallerRelease>,
    caller_data: usize,
    lpp: *mut This,
) -> HRESULT {
    crate::try_slot!(TableDataShell, this, |obj| {
        // SAFETY: `lpp` is NULL or the caller's out-parameter.
        let out = unsafe { out_ptr(lpp) }.ok_or_else(|| invalid("NULL out-parameter"))?;
        let data = obj.inner.data.clone();
        let rows = crate::model::table::RowSource::rows(&*data)?;
        let mut table = Table::of_table_data(data.0.lock().columns().to_vec());
        if !sort.is_null() {
            // SAFETY: the caller's sort order set.
            let (keys, categories) = unsafe { tables::sort_order_in(sort) }?;
            table.sort(&rows, keys, categories)?;
        }
        let callback = release.map(|f| {
            Arc::new(ViewRelease::new(
                f,
                caller_data,
                obj.arc() as KeepAlive,
                obj.as_ptr(),
            ))
        });
        let keep: KeepAlive = match &callback {
            Some(c) => c.clone(),
            None => obj.arc(),
        };
        let view = ComObject::into_raw(TableShell {
            source: data,
            table: Mutex::new(table),
            alloc: obj.inner.alloc,
            keep,
        });
        if let Some(c) = callback {
            c.set_view(view);
        }
        out.set(view);
        Ok(S_OK)
    })
}

unsafe extern "system" fn modify_row(this: This, row: *mut SRow) -> HRESULT {
    crate::try_slot!(TableDataShell, this, |obj| {
        // SAFETY: NULL or the caller's row.
        let row = unsafe { row_in(row, "HrModifyRow") }?;
        obj.inner.data.0.lock().modify_rows(vec![row])?;
        Ok(S_OK)
    })
}

/// The index value a caller gives (`HrDeleteRow`, `HrQueryRow`, `HrNotify`).
///
/// # Safety
/// `value` must be NULL or a valid property value.
unsafe fn key_in(
    obj: &ComObject<TableDataShell>,
    value: *const SPropValue,
    what: &str,
) -> Result<crate::types::prop_value::PropValue> {
    // SAFETY: forwarded from the caller.
    let Some(v) = (unsafe { value.as_ref() }) else {
        return Err(invalid(&format!("{what}: NULL property value")));
    };
    obj.inner.data.0.lock().check_key(v.ulPropTag, what)?;
    // SAFETY: the caller's valid value.
    unsafe { marshal::value_in(v) }
}

unsafe extern "system" fn delete_row(this: This, value: *mut SPropValue) -> HRESULT {
    crate::try_slot!(TableDataShell, this, |obj| {
        // SAFETY: NULL or the caller's value.
        let key = unsafe { key_in(obj, value, "HrDeleteRow") }?;
        obj.inner.data.0.lock().delete_row(&key)?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn query_row(
    this: This,
    value: *mut SPropValue,
    lpp: *mut *mut SRow,
    index: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(TableDataShell, this, |obj| {
        // SAFETY: the out-parameters are NULL or the caller's.
        let (out, index) = unsafe { (out_ptr(lpp), OutParam::new(index)) };
        let out = out.ok_or_else(|| invalid("HrQueryRow: NULL row out-parameter"))?;
        // SAFETY: NULL or the caller's value.
        let key = unsafe { key_in(obj, value, "HrQueryRow") }?;
        let (props, at) = obj.inner.data.0.lock().query_row(&key)?;
        out.set(row_out(&obj.inner.alloc, &props)?);
        if let Some(index) = index {
            index.set(at);
        }
        Ok(S_OK)
    })
}

/// The row at `n` in table order; NULL (and `S_OK`) past the last row.
unsafe extern "system" fn enum_row(this: This, n: ULONG, lpp: *mut *mut SRow) -> HRESULT {
    crate::try_slot!(TableDataShell, this, |obj| {
        // SAFETY: NULL or the caller's out-parameter.
        let out =
            unsafe { out_ptr(lpp) }.ok_or_else(|| invalid("HrEnumRow: NULL out-parameter"))?;
        let row = obj.inner.data.0.lock().enum_row(n);
        if let Some(props) = row {
            out.set(row_out(&obj.inner.alloc, &props)?);
        }
        Ok(S_OK)
    })
}

unsafe extern "system" fn notify(
    this: This,
    flags: ULONG,
    count: ULONG,
    values: *mut SPropValue,
) -> HRESULT {
    crate::try_slot!(TableDataShell, this, |obj| {
        unknown_flags(flags, 0)?;
        // SAFETY: `values` holds `count` values.
        let props = unsafe { crate::com::propdata::values_in(count, values, "HrNotify") }?;
        let data = obj.inner.data.0.lock();
        let index = data.index_tag();
        let key = props
            .iter()
            .find(|(t, _)| *t == index)
            .map(|(_, v)| v)
            .ok_or_else(|| invalid("HrNotify: the values have no index column"))?;
        data.query_row(key)?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn insert_row(this: This, at: ULONG, row: *mut SRow) -> HRESULT {
    crate::try_slot!(TableDataShell, this, |obj| {
        // SAFETY: NULL or the caller's row.
        let row = unsafe { row_in(row, "HrInsertRow") }?;
        obj.inner.data.0.lock().insert_row(at, row)?;
        Ok(S_OK)
    })
}

unsafe extern "system" fn modify_rows(this: This, flags: ULONG, set: *mut SRowSet) -> HRESULT {
    crate::try_slot!(TableDataShell, this, |obj| {
        unknown_flags(flags, 0)?;
        // SAFETY: NULL or the caller's row set.
        let rows = unsafe { row_set_in(set, "HrModifyRows") }?;
        obj.inner.data.0.lock().modify_rows(rows)?;
        Ok(S_OK)
    })
}

/// `TAD_ALL_ROWS` empties the table (the set may be NULL); otherwise the rows of the set
/// that are in the table go. `*lpcRowsDeleted` (optional) says how many went.
unsafe extern "system" fn delete_rows(
    this: This,
    flags: ULONG,
    set: *mut SRowSet,
    deleted: *mut ULONG,
) -> HRESULT {
    crate::try_slot!(TableDataShell, this, |obj| {
        // SAFETY: NULL or the caller's ULONG.
        let deleted = unsafe { OutParam::new(deleted) };
        if let Some(d) = &deleted {
            d.set(0);
        }
        unknown_flags(flags, TAD_ALL_ROWS)?;
        let n = if flags & TAD_ALL_ROWS != 0 {
            obj.inner.data.0.lock().delete_all()
        } else {
            // SAFETY: NULL or the caller's row set.
            let rows = unsafe { row_set_in(set, "HrDeleteRows") }?;
            obj.inner.data.0.lock().delete_rows(&rows)?
        };
        if let Some(d) = &deleted {
            d.set(n);
        }
        Ok(S_OK)
    })
}
