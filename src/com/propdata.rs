//! The state behind `IPropData` (`CreateIProp`) and `ITableData` (`CreateTable`) objects,
//! and the copying of rows between the caller's C structures and the model. The vtables
//! and slots that serve them live in `capi::propdata` and `capi::tabledata`.

use std::ffi::c_void;
use std::mem::{align_of, size_of};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use super::mapimem::Allocators;
use super::marshal;
use super::shells::KeepAlive;
use super::types::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::message::PropOut;
use crate::model::propdata::PropData;
use crate::model::tabledata::{RowProps, SharedTableData};

/// An `IPropData`.
pub struct PropDataShell {
    pub data: Arc<Mutex<PropData>>,
    /// `CreateIProp`'s allocators, for everything returned to the caller.
    pub alloc: Allocators,
}

/// An `ITableData`.
pub struct TableDataShell {
    pub data: Arc<SharedTableData>,
    pub alloc: Allocators,
}

/// `CALLERRELEASE`: `void (ULONG_PTR ulCallerData, LPTABLEDATA lpTblData, LPMAPITABLE lpVue)`.
pub type CallerRelease = unsafe extern "system" fn(usize, *mut c_void, *mut c_void);

/// The `CALLERRELEASE` callback `HrGetView` registered for one view, called when the view's
/// last reference goes. It keeps the `ITableData` alive, since the callback receives it.
pub struct ViewRelease {
    callback: CallerRelease,
    caller_data: usize,
    table_data: KeepAlive,
    table_data_ptr: usize,
    /// The view's interface pointer, known once the view exists.
    view: AtomicUsize,
}

impl ViewRelease {
    pub fn new(
        callback: CallerRelease,
        caller_data: usize,
        table_data: KeepAlive,
        table_data_ptr: *mut c_void,
    ) -> ViewRelease {
        ViewRelease {
            callback,
            caller_data,
            table_data,
            table_data_ptr: table_data_ptr as usize,
            view: AtomicUsize::new(0),
        }
    }

    pub fn set_view(&self, view: *mut c_void) {
        self.view.store(view as usize, Ordering::Relaxed);
    }
}

impl Drop for ViewRelease {
    fn drop(&mut self) {
        let _ = &self.table_data;
        // SAFETY: the caller registered this callback with HrGetView for this view; the
        // ITableData is alive (we hold it), and the view pointer identifies the view being
        // released, as MAPI passes it.
        unsafe {
            (self.callback)(
                self.caller_data,
                self.table_data_ptr as *mut c_void,
                self.view.load(Ordering::Relaxed) as *mut c_void,
            )
        };
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidParameter, message)
}

/// Reads a caller's `SRow`.
///
/// # Safety
/// `row` must be NULL or a valid `SRow` whose `lpProps` holds `cValues` valid values.
pub unsafe fn row_in(row: *const SRow, what: &str) -> Result<RowProps> {
    // SAFETY: NULL or valid, forwarded from the caller.
    let Some(row) = (unsafe { row.as_ref() }) else {
        return Err(invalid(format!("{what}: NULL row")));
    };
    // SAFETY: forwarded from the caller.
    unsafe { values_in(row.cValues, row.lpProps, what) }
}

/// Reads `count` property values of a row.
///
/// # Safety
/// `values` must hold `count` valid values.
pub unsafe fn values_in(count: ULONG, values: *const SPropValue, what: &str) -> Result<RowProps> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if values.is_null() || !(values as usize).is_multiple_of(align_of::<SPropValue>()) {
        return Err(invalid(format!(
            "{what}: NULL or misaligned property array"
        )));
    }
    // SAFETY: forwarded from the caller.
    let values = unsafe { std::slice::from_raw_parts(values, count as usize) };
    values
        .iter()
        // SAFETY: each value is the caller's, valid.
        .map(|v| Ok((v.ulPropTag, unsafe { marshal::value_in(v) }?)))
        .collect()
}

/// Reads a caller's `SRowSet`.
///
/// # Safety
/// `set` must be NULL or a valid `SRowSet` of valid rows.
pub unsafe fn row_set_in(set: *const SRowSet, what: &str) -> Result<Vec<RowProps>> {
    if set.is_null() || !(set as usize).is_multiple_of(align_of::<SRowSet>()) {
        return Err(invalid(format!("{what}: NULL or misaligned row set")));
    }
    // SAFETY: checked; the caller guarantees `cRows` rows.
    let (count, first) = unsafe { ((*set).cRows, std::ptr::addr_of!((*set).aRow) as *const SRow) };
    (0..count as usize)
        // SAFETY: the set holds `cRows` rows.
        .map(|i| unsafe { row_in(first.add(i), what) })
        .collect()
}

/// One `SRow` as `HrQueryRow`/`HrEnumRow` return it: one `lpAllocateBuffer` block, its
/// property array linked to it (one `MAPIFreeBuffer` frees all).
pub fn row_out(
    alloc: &Allocators,
    props: &[(u32, crate::types::prop_value::PropValue)],
) -> Result<*mut SRow> {
    let row = alloc.alloc(size_of::<SRow>())?.cast::<SRow>();
    let values: Vec<PropOut> = props
        .iter()
        .map(|(t, v)| PropOut::Value(*t, v.clone()))
        .collect();
    match marshal::props_out_in(alloc, &values, Some(row.cast())) {
        Ok(lp) => {
            // SAFETY: `row` was just allocated for one SRow.
            unsafe {
                row.write(SRow {
                    ulAdrEntryPad: 0,
                    cValues: values.len() as ULONG,
                    lpProps: lp,
                })
            };
            Ok(row)
        }
        Err(e) => {
            alloc.free(row.cast());
            Err(e)
        }
    }
}

/// A `ULONG` array in one `lpAllocateBuffer` block (`HrGetPropAccess`).
pub fn ulongs_out(alloc: &Allocators, values: &[u32]) -> Result<*mut ULONG> {
    let p = alloc
        .alloc(values.len().max(1) * size_of::<ULONG>())?
        .cast::<ULONG>();
    // SAFETY: `p` holds `values.len()` ULONGs.
    unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), p, values.len()) };
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::prop_value::PropValue;

    const PR_INSTANCE_KEY: u32 = 0x0FF6_0102;
    const PR_RANK: u32 = 0x6700_0003;

    #[test]
    fn a_row_goes_out_as_one_block_and_comes_back_the_same() {
        let alloc = Allocators::ours();
        let props = vec![
            (PR_INSTANCE_KEY, PropValue::Binary(vec![1, 2, 3])),
            (PR_RANK, PropValue::Long(7)),
        ];
        let row = row_out(&alloc, &props).unwrap();
        // SAFETY: `row` was just built by `row_out`.
        let back = unsafe { row_in(row, "test") }.unwrap();
        assert_eq!(back, props);
        // One free releases the row and its linked values.
        assert!(super::super::mapimem::free_buffer(row.cast()).is_ok());
    }

    #[test]
    fn null_rows_and_sets_are_invalid_parameters() {
        // SAFETY: NULL pointers are what is tested.
        unsafe {
            assert_eq!(
                row_in(std::ptr::null(), "t").unwrap_err().kind,
                ErrorKind::InvalidParameter
            );
            assert_eq!(
                row_set_in(std::ptr::null(), "t").unwrap_err().kind,
                ErrorKind::InvalidParameter
            );
            assert_eq!(
                values_in(2, std::ptr::null(), "t").unwrap_err().kind,
                ErrorKind::InvalidParameter
            );
            assert!(values_in(0, std::ptr::null(), "t").unwrap().is_empty());
        }
    }
}
