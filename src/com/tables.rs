//! Copying the C structures of `IMAPITable` calls: restrictions and sort orders in, row sets
//! and sort orders out.
//!
//! Row sets follow the one exception to the allocation rule (`spec/mapi-abi.md` §10.1): the
//! `SRowSet` is its own `lpAllocateBuffer` block and so is each row's `lpProps` array, with
//! the row's strings and binaries linked to that array (what `FreeProws` expects).

use std::mem::{align_of, offset_of, size_of};

use super::mapimem::Allocators;
use super::marshal;
use super::types::*;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::message::PropOut;
use crate::model::table::{MAX_RESTRICTION_DEPTH, Restriction, SortKey};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidParameter, message)
}

/// A pointer the caller gave us that must be neither NULL nor misaligned for `T`.
fn check_ptr<T>(p: *const T, what: &str) -> Result<()> {
    if p.is_null() {
        return Err(invalid(format!("NULL {what}")));
    }
    if !(p as usize).is_multiple_of(align_of::<T>()) {
        return Err(invalid(format!("misaligned {what} pointer {p:p}")));
    }
    Ok(())
}

// ===== restrictions =====

/// Copies a caller's restriction tree; `None` for a NULL pointer.
///
/// NULL or misaligned pointers where a restriction or value is required, unknown restriction
/// types and nesting deeper than [`MAX_RESTRICTION_DEPTH`] are `MAPI_E_INVALID_PARAMETER`.
/// Only what the tree's counts name is read; nothing is allocated ahead of reading it.
///
/// # Safety
/// `p` must be NULL or point to a valid `SRestriction` whose pointers and counts describe
/// readable memory, as `IMAPITable::Restrict` requires.
pub unsafe fn restriction_in(p: *const SRestriction) -> Result<Option<Restriction>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { restriction_at(p, 1, "restriction") }.map(Some)
}

/// # Safety
/// As [`restriction_in`], for a restriction at nesting level `depth`.
unsafe fn restriction_at(p: *const SRestriction, depth: usize, what: &str) -> Result<Restriction> {
    check_ptr(p, what)?;
    if depth > MAX_RESTRICTION_DEPTH {
        return Err(invalid(format!(
            "the restriction is nested deeper than {MAX_RESTRICTION_DEPTH} levels"
        )));
    }
    // SAFETY: checked non-NULL and aligned; the caller guarantees a valid restriction.
    let r = unsafe { *p };
    let inner = |lp: *mut SRestriction, what: &str| {
        // SAFETY: `lp` is a restriction pointer inside the caller's valid tree.
        unsafe { restriction_at(lp, depth + 1, what) }
    };
    Ok(match r.rt {
        RES_AND | RES_OR => {
            // SAFETY: AND and OR use the (count, pointer) member; union members are plain
            // data, valid to read whatever the caller wrote.
            let SSubRestriction { ul: count, lpRes } = unsafe { r.res.sub };
            let mut list = Vec::new();
            if count > 0 {
                check_ptr(lpRes, "lpRes with a non-zero cRes in an AND/OR restriction")?;
                for i in 0..count as usize {
                    // SAFETY: the caller's array holds `count` restrictions.
                    list.push(inner(unsafe { lpRes.add(i) }, "restriction")?);
                }
            }
            if r.rt == RES_AND {
                Restriction::And(list)
            } else {
                Restriction::Or(list)
            }
        }
        RES_NOT => {
            // SAFETY: NOT uses the (reserved, pointer) member.
            let lp = unsafe { r.res.sub.lpRes };
            Restriction::Not(Box::new(inner(lp, "lpRes in a NOT restriction")?))
        }
        RES_CONTENT | RES_PROPERTY => {
            // SAFETY: CONTENT and PROPERTY use the (ULONG, tag, value) member.
            let SPropRestriction {
                ul1,
                ulPropTag,
                lpProp,
            } = unsafe { r.res.prop };
            check_ptr(lpProp, "lpProp in a content or property restriction")?;
            // SAFETY: checked non-NULL and aligned; the value is the caller's.
            let value = unsafe { marshal::value_in(&*lpProp) }?;
            if r.rt == RES_CONTENT {
                Restriction::Content {
                    fuzzy: ul1,
                    tag: ulPropTag,
                    value,
                }
            } else {
                Restriction::Property {
                    relop: ul1,
                    tag: ulPropTag,
                    value,
                }
            }
        }
        RES_COMPAREPROPS | RES_BITMASK | RES_SIZE | RES_EXIST => {
            // SAFETY: these four use the three-ULONG member.
            let SThreeULong { ul1, ul2, ul3 } = unsafe { r.res.three };
            match r.rt {
                RES_COMPAREPROPS => Restriction::CompareProps {
                    relop: ul1,
                    tag1: ul2,
                    tag2: ul3,
                },
                RES_BITMASK => Restriction::BitMask {
                    relbmr: ul1,
                    tag: ul2,
                    mask: ul3,
                },
                RES_SIZE => Restriction::Size {
                    relop: ul1,
                    tag: ul2,
                    cb: ul3,
                },
                _ => Restriction::Exist { tag: ul2 },
            }
        }
        RES_SUBRESTRICTION | RES_COUNT => {
            // SAFETY: SUB and COUNT use the (ULONG, pointer) member.
            let SSubRestriction { ul, lpRes } = unsafe { r.res.sub };
            let restriction = Box::new(inner(lpRes, "lpRes in a sub or count restriction")?);
            if r.rt == RES_COUNT {
                Restriction::Count {
                    count: ul,
                    restriction,
                }
            } else {
                Restriction::Sub {
                    object: ul,
                    restriction,
                }
            }
        }
        RES_COMMENT | RES_ANNOTATION => {
            // SAFETY: COMMENT and ANNOTATION use the comment member; their property values
            // only annotate and are not read.
            let lp = unsafe { r.res.comment.lpRes };
            let restriction = if lp.is_null() {
                None
            } else {
                Some(Box::new(inner(lp, "lpRes in a comment restriction")?))
            };
            Restriction::Comment { restriction }
        }
        other => return Err(invalid(format!("unknown restriction type {other}"))),
    })
}

// ===== sort orders =====

/// Reads a caller's `SSortOrderSet`: the keys and `cCategories` (the table refuses
/// categorized sorts). NULL, `cCategories > cSorts`, `cExpanded > cCategories` and orders
/// other than `TABLE_SORT_ASCEND`/`_DESCEND` outside categories are
/// `MAPI_E_INVALID_PARAMETER`.
///
/// # Safety
/// `p` must be NULL or point to a valid `SSortOrderSet` with `cSorts` entries.
pub unsafe fn sort_order_in(p: *const SSortOrderSet) -> Result<(Vec<SortKey>, u32)> {
    check_ptr(p, "sort order set")?;
    // SAFETY: checked non-NULL and aligned; the caller guarantees `cSorts` entries.
    let (sorts, categories, expanded, first) = unsafe {
        (
            (*p).cSorts,
            (*p).cCategories,
            (*p).cExpanded,
            std::ptr::addr_of!((*p).aSort) as *const SSortOrder,
        )
    };
    if categories > sorts || expanded > categories {
        return Err(invalid(format!(
            "sort order set with {sorts} sorts, {categories} categories and {expanded} \
             expanded categories"
        )));
    }
    let mut keys = Vec::new();
    for i in 0..sorts as usize {
        // SAFETY: the set holds `cSorts` entries.
        let SSortOrder { ulPropTag, ulOrder } = unsafe { first.add(i).read() };
        let descending = match ulOrder {
            TABLE_SORT_ASCEND => false,
            TABLE_SORT_DESCEND => true,
            // Only meaningful in categorized sorts, which the table refuses anyway.
            _ if categories > 0 => false,
            other => {
                return Err(invalid(format!(
                    "sort order 0x{other:X} for property 0x{ulPropTag:08X} (TABLE_SORT_ASCEND \
                     or TABLE_SORT_DESCEND expected)"
                )));
            }
        };
        keys.push(SortKey {
            tag: ulPropTag,
            descending,
        });
    }
    Ok((keys, categories))
}

/// An `SSortOrderSet` (no categories) in one `lpAllocateBuffer` block.
pub fn sort_order_out(alloc: &Allocators, keys: &[SortKey]) -> Result<*mut SSortOrderSet> {
    let mut bytes = Vec::with_capacity(offset_of!(SSortOrderSet, aSort) + 8 * keys.len());
    for v in [keys.len() as u32, 0, 0] {
        bytes.extend_from_slice(&v.to_ne_bytes());
    }
    for k in keys {
        let order = if k.descending {
            TABLE_SORT_DESCEND
        } else {
            TABLE_SORT_ASCEND
        };
        bytes.extend_from_slice(&k.tag.to_ne_bytes());
        bytes.extend_from_slice(&order.to_ne_bytes());
    }
    let p = alloc.alloc(bytes.len())?;
    // SAFETY: `p` holds `bytes.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    Ok(p.cast())
}

// ===== row sets =====

/// An `SRowSet` as `FreeProws` frees it: the set is one `lpAllocateBuffer` block, each
/// row's property array another, each with its own data linked to it. On failure
/// everything allocated so far is freed.
pub fn rows_out(alloc: &Allocators, rows: &[Vec<PropOut>]) -> Result<*mut SRowSet> {
    let size = rows
        .len()
        .checked_mul(size_of::<SRow>())
        .and_then(|n| n.checked_add(offset_of!(SRowSet, aRow)))
        .ok_or_else(|| Error::new(ErrorKind::NotEnoughMemory, "row set too large"))?;
    let set = alloc.alloc(size)?.cast::<SRowSet>();
    // SAFETY: `set` holds the header and `rows.len()` rows; `cRows` counts the rows written
    // so far, so a partial set can be freed.
    unsafe {
        std::ptr::addr_of_mut!((*set).cRows).write(0);
        let first = std::ptr::addr_of_mut!((*set).aRow) as *mut SRow;
        for (i, values) in rows.iter().enumerate() {
            match marshal::props_out(alloc, values) {
                Ok(props) => {
                    first.add(i).write(SRow {
                        ulAdrEntryPad: 0,
                        cValues: values.len() as ULONG,
                        lpProps: props,
                    });
                    std::ptr::addr_of_mut!((*set).cRows).write(i as ULONG + 1);
                }
                Err(e) => {
                    free_rows(alloc, set);
                    return Err(e);
                }
            }
        }
    }
    Ok(set)
}

/// `FreeProws` with the given allocators.
///
/// # Safety
/// `set` must be a row set built by [`rows_out`] with `alloc`, not yet freed.
unsafe fn free_rows(alloc: &Allocators, set: *mut SRowSet) {
    // SAFETY: forwarded from the caller: `cRows` rows were written.
    unsafe {
        let count = (*set).cRows as usize;
        let first = std::ptr::addr_of!((*set).aRow) as *const SRow;
        for i in 0..count {
            alloc.free((*first.add(i)).lpProps.cast());
        }
    }
    alloc.free(set.cast());
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::ffi::c_void;

    use super::*;
    use crate::com::mapimem;
    use crate::types::prop_value::PropValue;

    const PR_DISPLAY_NAME_W: u32 = 0x3001_001F;
    const PR_ROWID: u32 = 0x3000_0003;

    fn empty() -> SRestriction {
        SRestriction {
            rt: RES_EXIST,
            res: SRestrictionUnion {
                three: SThreeULong {
                    ul1: 0,
                    ul2: PR_ROWID,
                    ul3: 0,
                },
            },
        }
    }

    fn with_sub(rt: ULONG, ul: ULONG, lp: *mut SRestriction) -> SRestriction {
        SRestriction {
            rt,
            res: SRestrictionUnion {
                sub: SSubRestriction { ul, lpRes: lp },
            },
        }
    }

    fn three(rt: ULONG, ul1: ULONG, ul2: ULONG, ul3: ULONG) -> SRestriction {
        SRestriction {
            rt,
            res: SRestrictionUnion {
                three: SThreeULong { ul1, ul2, ul3 },
            },
        }
    }

    #[test]
    fn restriction_trees_are_copied() {
        let mut name: Vec<u16> = "Bob".encode_utf16().chain([0]).collect();
        let mut value = SPropValue {
            ulPropTag: PR_DISPLAY_NAME_W,
            dwAlignPad: 0,
            Value: PV {
                lpszW: name.as_mut_ptr(),
            },
        };
        let mut leaves = [
            SRestriction {
                rt: RES_CONTENT,
                res: SRestrictionUnion {
                    prop: SPropRestriction {
                        ul1: FL_PREFIX | FL_IGNORECASE,
                        ulPropTag: PR_DISPLAY_NAME_W,
                        lpProp: &mut value,
                    },
                },
            },
            SRestriction {
                rt: RES_PROPERTY,
                res: SRestrictionUnion {
                    prop: SPropRestriction {
                        ul1: RELOP_EQ,
                        ulPropTag: PR_DISPLAY_NAME_W,
                        lpProp: &mut value,
                    },
                },
            },
            three(RES_COMPAREPROPS, RELOP_LT, 1, 2),
            three(RES_BITMASK, BMR_NEZ, 3, 0x10),
            three(RES_SIZE, RELOP_GE, 4, 12),
            empty(),
        ];
        let mut inner = empty();
        let mut more = [
            with_sub(RES_NOT, 0, &mut inner),
            with_sub(RES_COUNT, 7, &mut inner),
            with_sub(RES_SUBRESTRICTION, 0x0E12_000D, &mut inner),
            SRestriction {
                rt: RES_COMMENT,
                res: SRestrictionUnion {
                    comment: SCommentRestriction {
                        cValues: 0,
                        lpRes: std::ptr::null_mut(),
                        lpProp: std::ptr::null_mut(),
                    },
                },
            },
            SRestriction {
                rt: RES_ANNOTATION,
                res: SRestrictionUnion {
                    comment: SCommentRestriction {
                        cValues: 0,
                        lpRes: &mut inner,
                        lpProp: std::ptr::null_mut(),
                    },
                },
            },
            with_sub(RES_OR, 0, std::ptr::null_mut()),
        ];
        let mut halves = [
            with_sub(RES_AND, leaves.len() as ULONG, leaves.as_mut_ptr()),
            with_sub(RES_OR, more.len() as ULONG, more.as_mut_ptr()),
        ];
        let top = with_sub(RES_AND, 2, halves.as_mut_ptr());
        // SAFETY: every pointer in the tree points to live locals.
        let got = unsafe { restriction_in(&top) }.unwrap().unwrap();
        let exist = || Restriction::Exist { tag: PR_ROWID };
        let bob = || PropValue::Unicode("Bob".encode_utf16().collect());
        let want = Restriction::And(vec![
            Restriction::And(vec![
                Restriction::Content {
                    fuzzy: FL_PREFIX | FL_IGNORECASE,
                    tag: PR_DISPLAY_NAME_W,
                    value: bob(),
                },
                Restriction::Property {
                    relop: RELOP_EQ,
                    tag: PR_DISPLAY_NAME_W,
                    value: bob(),
                },
                Restriction::CompareProps {
                    relop: RELOP_LT,
                    tag1: 1,
                    tag2: 2,
                },
                Restriction::BitMask {
                    relbmr: BMR_NEZ,
                    tag: 3,
                    mask: 0x10,
                },
                Restriction::Size {
                    relop: RELOP_GE,
                    tag: 4,
                    cb: 12,
                },
                exist(),
            ]),
            Restriction::Or(vec![
                Restriction::Not(Box::new(exist())),
                Restriction::Count {
                    count: 7,
                    restriction: Box::new(exist()),
                },
                Restriction::Sub {
                    object: 0x0E12_000D,
                    restriction: Box::new(exist()),
                },
                Restriction::Comment { restriction: None },
                Restriction::Comment {
                    restriction: Some(Box::new(exist())),
                },
                Restriction::Or(vec![]),
            ]),
        ]);
        assert_eq!(got, want);
        // SAFETY: NULL is allowed and means no restriction.
        assert_eq!(unsafe { restriction_in(std::ptr::null()) }.unwrap(), None);
    }

    #[test]
    fn bad_restrictions_are_invalid_parameters() {
        let kind = |r: &SRestriction| {
            // SAFETY: the restrictions below only point to live locals or NULL.
            unsafe { restriction_in(r) }.unwrap_err().kind
        };
        // NULL lpRes with cRes > 0, NULL NOT/SUB/COUNT operands, NULL values.
        assert_eq!(
            kind(&with_sub(RES_AND, 2, std::ptr::null_mut())),
            ErrorKind::InvalidParameter
        );
        assert_eq!(
            kind(&with_sub(RES_OR, 1, std::ptr::null_mut())),
            ErrorKind::InvalidParameter
        );
        assert_eq!(
            kind(&with_sub(RES_NOT, 0, std::ptr::null_mut())),
            ErrorKind::InvalidParameter
        );
        assert_eq!(
            kind(&with_sub(RES_COUNT, 3, std::ptr::null_mut())),
            ErrorKind::InvalidParameter
        );
        let no_value = SRestriction {
            rt: RES_PROPERTY,
            res: SRestrictionUnion {
                prop: SPropRestriction {
                    ul1: RELOP_EQ,
                    ulPropTag: PR_ROWID,
                    lpProp: std::ptr::null_mut(),
                },
            },
        };
        assert_eq!(kind(&no_value), ErrorKind::InvalidParameter);
        assert_eq!(kind(&three(99, 0, 0, 0)), ErrorKind::InvalidParameter);
        // A misaligned child pointer.
        let mut pair = [empty(), empty()];
        let odd = (pair.as_mut_ptr() as usize + 1) as *mut SRestriction;
        assert_eq!(
            kind(&with_sub(RES_NOT, 0, odd)),
            ErrorKind::InvalidParameter
        );
        // Nesting: a chain of NOTs, 64 deep is accepted, 65 is not.
        let mut chain: Vec<SRestriction> = vec![empty(); MAX_RESTRICTION_DEPTH + 1];
        for i in (0..MAX_RESTRICTION_DEPTH).rev() {
            let next: *mut SRestriction = &mut chain[i + 1];
            chain[i] = with_sub(RES_NOT, 0, next);
        }
        assert_eq!(kind(&chain[0]), ErrorKind::InvalidParameter);
        // SAFETY: the chain points to itself only.
        assert!(unsafe { restriction_in(&chain[1]) }.is_ok());
    }

    #[test]
    fn sort_orders_in_and_out() {
        #[repr(C)]
        struct Two {
            set: SSortOrderSet,
            more: SSortOrder,
        }
        let mut two = Two {
            set: SSortOrderSet {
                cSorts: 2,
                cCategories: 0,
                cExpanded: 0,
                aSort: [SSortOrder {
                    ulPropTag: PR_DISPLAY_NAME_W,
                    ulOrder: TABLE_SORT_DESCEND,
                }],
            },
            more: SSortOrder {
                ulPropTag: PR_ROWID,
                ulOrder: TABLE_SORT_ASCEND,
            },
        };
        // SAFETY: `two` is a valid set of two sorts.
        let (keys, categories) = unsafe { sort_order_in(&two.set) }.unwrap();
        let want = vec![
            SortKey {
                tag: PR_DISPLAY_NAME_W,
                descending: true,
            },
            SortKey {
                tag: PR_ROWID,
                descending: false,
            },
        ];
        assert_eq!((keys.clone(), categories), (want.clone(), 0));
        two.more.ulOrder = TABLE_SORT_COMBINE;
        // SAFETY: as above.
        let e = unsafe { sort_order_in(&two.set) }.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
        two.set.cCategories = 1;
        // SAFETY: as above.
        assert_eq!(unsafe { sort_order_in(&two.set) }.unwrap().1, 1);
        two.set.cCategories = 3;
        // SAFETY: as above.
        assert!(unsafe { sort_order_in(&two.set) }.is_err());
        // SAFETY: NULL is refused before any read.
        assert!(unsafe { sort_order_in(std::ptr::null()) }.is_err());

        let alloc = Allocators::ours();
        let out = sort_order_out(&alloc, &keys).unwrap();
        // SAFETY: `out` is the set just built, with two sorts.
        unsafe {
            assert_eq!(
                ((*out).cSorts, (*out).cCategories, (*out).cExpanded),
                (2, 0, 0)
            );
            let back = sort_order_in(out).unwrap();
            assert_eq!(back, (want, 0));
        }
        mapimem::free_buffer(out.cast()).unwrap();
    }

    fn sample_rows() -> Vec<Vec<PropOut>> {
        vec![
            vec![
                PropOut::Value(PR_ROWID, PropValue::Long(1)),
                PropOut::Value(PR_DISPLAY_NAME_W, PropValue::Unicode(vec![0x41, 0x42])),
            ],
            vec![
                PropOut::Value(PR_ROWID, PropValue::Long(2)),
                PropOut::Error(0x3001_000A, ErrorKind::NotFound),
            ],
        ]
    }

    #[test]
    fn row_sets_are_one_block_per_row() {
        let alloc = Allocators::ours();
        let set = rows_out(&alloc, &sample_rows()).unwrap();
        // SAFETY: `set` is the row set just built: two rows of two values.
        unsafe {
            assert_eq!((*set).cRows, 2);
            let first = std::ptr::addr_of!((*set).aRow) as *const SRow;
            let rows = [*first, *first.add(1)];
            assert_eq!(rows[0].cValues, 2);
            let props = rows[0].lpProps;
            assert_eq!((*props).ulPropTag, PR_ROWID);
            assert_eq!((*props).Value.l, 1);
            let name = (*props.add(1)).Value.lpszW;
            assert_eq!(std::slice::from_raw_parts(name, 3), &[0x41, 0x42, 0]);
            let err = *rows[1].lpProps.add(1);
            assert_eq!(
                (err.ulPropTag, err.Value.err),
                (0x3001_000A, MAPI_E_NOT_FOUND)
            );
            // FreeProws: each row's array is a root block (freeing a linked block fails),
            // then the set.
            for row in rows {
                mapimem::free_buffer(row.lpProps.cast()).unwrap();
            }
        }
        mapimem::free_buffer(set.cast()).unwrap();
        // No rows: just the set.
        let none = rows_out(&alloc, &[]).unwrap();
        // SAFETY: an empty set has its count.
        assert_eq!(unsafe { (*none).cRows }, 0);
        mapimem::free_buffer(none.cast()).unwrap();
    }

    // An allocator that fails after a number of allocations and tracks its live roots.
    thread_local! {
        static BUDGET: RefCell<usize> = const { RefCell::new(0) };
        static LIVE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    }

    unsafe extern "system" fn counted_buffer(cb: ULONG, out: *mut *mut c_void) -> SCODE {
        let left = BUDGET.with(|b| {
            let mut b = b.borrow_mut();
            *b = b.saturating_sub(1);
            *b
        });
        if left == 0 {
            return MAPI_E_NOT_ENOUGH_MEMORY;
        }
        let p = mapimem::allocate_buffer(cb as usize).unwrap();
        LIVE.with(|l| l.borrow_mut().push(p as usize));
        // SAFETY: `out` is the out-parameter the allocator contract gives.
        unsafe { *out = p };
        S_OK
    }

    unsafe extern "system" fn counted_more(
        cb: ULONG,
        parent: *mut c_void,
        out: *mut *mut c_void,
    ) -> SCODE {
        let p = mapimem::allocate_more(cb as usize, parent).unwrap();
        // SAFETY: as above.
        unsafe { *out = p };
        S_OK
    }

    unsafe extern "system" fn counted_free(p: *mut c_void) -> ULONG {
        LIVE.with(|l| l.borrow_mut().retain(|&x| x != p as usize));
        mapimem::free_buffer(p).unwrap();
        0
    }

    #[test]
    fn a_failed_row_set_frees_what_it_allocated() {
        let alloc = Allocators {
            buffer: counted_buffer,
            more: counted_more,
            free: counted_free,
        };
        // Fail on the set, on the first row, on the second row.
        for budget in 1..=3 {
            BUDGET.with(|b| *b.borrow_mut() = budget);
            let e = rows_out(&alloc, &sample_rows()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotEnoughMemory);
            LIVE.with(|l| assert!(l.borrow().is_empty(), "budget {budget}: leaked"));
        }
        BUDGET.with(|b| *b.borrow_mut() = 4);
        let set = rows_out(&alloc, &sample_rows()).unwrap();
        LIVE.with(|l| assert_eq!(l.borrow().len(), 3));
        // SAFETY: `set` was built with `alloc` just now.
        unsafe { free_rows(&alloc, set) };
        LIVE.with(|l| assert!(l.borrow().is_empty()));
    }
}
