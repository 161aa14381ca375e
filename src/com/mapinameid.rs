//! Copying property names between the caller's `MAPINAMEID` arrays and the model's
//! [`Name`]s, for `GetIDsFromNames` and `GetNamesFromIDs` (`spec/mapi-abi.md` §5.4, §10.2).
//!
//! A name array handed back is one `lpAllocateBuffer` block (the pointer array) plus one
//! `lpAllocateMore` block linked to it holding every `MAPINAMEID`, GUID and string, so one
//! `MAPIFreeBuffer` frees it all (DESIGN decision 4).

use std::collections::HashMap;
use std::mem::size_of;

use super::mapimem::Allocators;
use super::marshal;
use super::types::*;
use crate::consts::{MNID_ID, MNID_STRING};
use crate::error::{ErrorKind, Result, err};
use crate::types::prop_name::{Name, NameKind};
use crate::types::prop_value::Guid;

/// Reads a caller's `MAPINAMEID` pointer array of `count` entries.
///
/// Each entry that cannot name anything becomes `None`, which `GetIDsFromNames` answers
/// with `PROP_TAG(PT_ERROR, 0)` in that slot and `MAPI_W_ERRORS_RETURNED`, instead of
/// failing the whole call: a NULL entry, a NULL `lpguid` (the SDK says it must not be NULL,
/// and says nothing of what happens when it is), an `ulKind` other than `MNID_ID` and
/// `MNID_STRING`, and an `MNID_STRING` with a NULL `lpwstrName`. `names == NULL` is an
/// `InvalidParameter` error when `count` is not 0 (the enumerate-all form is the caller's
/// to recognise before calling this) and an empty list otherwise.
///
/// # Safety
/// `names` must be NULL or point to `count` readable pointers, each NULL or pointing to a
/// readable `MAPINAMEID` whose non-NULL `lpguid` points to a GUID and whose non-NULL
/// `lpwstrName` (for `MNID_STRING`) points to a NUL-terminated UTF-16 string.
pub unsafe fn names_in(count: ULONG, names: *mut *mut MAPINAMEID) -> Result<Vec<Option<Name>>> {
    if names.is_null() {
        if count != 0 {
            return err(
                ErrorKind::InvalidParameter,
                "GetIDsFromNames: NULL name array with a non-zero count",
            );
        }
        return Ok(Vec::new());
    }
    // Not `with_capacity(count)`: a wrong count must not make us reserve gigabytes.
    let mut out = Vec::new();
    for i in 0..count as usize {
        // SAFETY: the caller guarantees `count` readable pointers; read unaligned in case
        // the array lies at an odd address.
        let entry = unsafe { names.add(i).read_unaligned() };
        // SAFETY: the entry is NULL or a readable `MAPINAMEID`, per the caller.
        out.push(unsafe { name_in(entry) }?);
    }
    Ok(out)
}

/// One `MAPINAMEID`, or `None` when it names nothing (see [`names_in`]).
///
/// # Safety
/// As for one entry of [`names_in`].
unsafe fn name_in(entry: *const MAPINAMEID) -> Result<Option<Name>> {
    if entry.is_null() {
        return Ok(None);
    }
    // SAFETY: `entry` points to a readable `MAPINAMEID` (caller's guarantee).
    let e = unsafe { entry.read_unaligned() };
    if e.lpguid.is_null() {
        return Ok(None);
    }
    // SAFETY: a non-NULL `lpguid` points to a GUID (caller's guarantee).
    let guid = unsafe { e.lpguid.read_unaligned() }.to_bytes();
    let kind = match e.ulKind {
        // SAFETY: `MNID_ID` selects the `lID` member of the union.
        MNID_ID => NameKind::Id(unsafe { e.Kind.lID } as u32),
        MNID_STRING => {
            // SAFETY: `MNID_STRING` selects the `lpwstrName` member of the union.
            let p = unsafe { e.Kind.lpwstrName };
            if p.is_null() {
                return Ok(None);
            }
            // SAFETY: a non-NULL name is a NUL-terminated UTF-16 string (caller's guarantee).
            NameKind::String(unsafe { marshal::unicode_in(p) }?)
        }
        _ => return Ok(None),
    };
    Ok(Some(Name { guid, kind }))
}

/// Where each part of the `lpAllocateMore` block of a name array lies.
struct Layout {
    /// Byte offset of each name's `MAPINAMEID` (`None` for a NULL entry).
    structs: Vec<Option<usize>>,
    /// Distinct GUIDs and their byte offsets.
    guids: Vec<(Guid, usize)>,
    /// Per name: byte offset of its GUID, and of its string for a string name.
    guid_at: Vec<usize>,
    string_at: Vec<Option<usize>>,
    size: usize,
}

fn layout(names: &[Option<Name>]) -> Layout {
    let mut size = 0usize;
    let structs: Vec<Option<usize>> = names
        .iter()
        .map(|n| {
            n.as_ref().map(|_| {
                let at = size;
                size += size_of::<MAPINAMEID>();
                at
            })
        })
        .collect();
    let mut guids: Vec<(Guid, usize)> = Vec::new();
    let mut seen = HashMap::<Guid, usize>::new();
    let mut guid_at = Vec::with_capacity(names.len());
    for n in names {
        let Some(n) = n else {
            guid_at.push(0);
            continue;
        };
        let at = *seen.entry(n.guid).or_insert_with(|| {
            let at = size;
            size += size_of::<GUID>();
            guids.push((n.guid, at));
            at
        });
        guid_at.push(at);
    }
    let string_at = names
        .iter()
        .map(|n| match n {
            Some(Name {
                kind: NameKind::String(s),
                ..
            }) => {
                let at = size;
                size += (s.len() + 1) * size_of::<WCHAR>();
                Some(at)
            }
            _ => None,
        })
        .collect();
    Layout {
        structs,
        guids,
        guid_at,
        string_at,
        size,
    }
}

/// A `MAPINAMEID` pointer array in the caller's allocation chain, one pointer per name
/// (NULL for `None`); NULL for an empty list. On failure nothing stays allocated.
pub fn names_out(alloc: &Allocators, names: &[Option<Name>]) -> Result<*mut *mut MAPINAMEID> {
    if names.is_empty() {
        return Ok(std::ptr::null_mut());
    }
    let plan = layout(names);
    let root = alloc.alloc(names.len() * size_of::<*mut MAPINAMEID>())?;
    let data = if plan.size == 0 {
        std::ptr::null_mut()
    } else {
        match alloc.more(plan.size, root) {
            Ok(p) => p,
            Err(e) => {
                alloc.free(root);
                return Err(e);
            }
        }
    };
    // SAFETY: `root` holds `names.len()` pointers and `data` holds `plan.size` bytes; every
    // offset of the plan lies inside `data` with room for what is written there (the plan
    // was sized from the same names). Writes are unaligned-safe, since a caller's allocator
    // owes us no alignment.
    unsafe {
        for &(guid, at) in &plan.guids {
            std::ptr::copy_nonoverlapping(guid.as_ptr(), data.add(at), guid.len());
        }
        for (i, name) in names.iter().enumerate() {
            let slot = root.cast::<*mut MAPINAMEID>().add(i);
            let (Some(name), Some(at)) = (name, plan.structs[i]) else {
                slot.write_unaligned(std::ptr::null_mut());
                continue;
            };
            let lpguid = data.add(plan.guid_at[i]).cast::<GUID>();
            let (ul_kind, kind) = match &name.kind {
                NameKind::Id(lid) => {
                    let mut kind = MAPINAMEID_KIND { lID_Reserved: 0 };
                    kind.lID = *lid as LONG;
                    (MNID_ID, kind)
                }
                NameKind::String(s) => {
                    let p = data.add(plan.string_at[i].expect("string names have a place"));
                    for (k, unit) in s.iter().chain(std::iter::once(&0)).enumerate() {
                        p.add(k * 2).cast::<u16>().write_unaligned(*unit);
                    }
                    (
                        MNID_STRING,
                        MAPINAMEID_KIND {
                            lpwstrName: p.cast(),
                        },
                    )
                }
            };
            let entry = data.add(at).cast::<MAPINAMEID>();
            entry.write_unaligned(MAPINAMEID {
                lpguid,
                ulKind: ul_kind,
                Kind: kind,
            });
            slot.write_unaligned(entry);
        }
    }
    Ok(root.cast())
}

/// The enumerate-all form of `GetNamesFromIDs`: a new tag array and the name array, two
/// separate roots (the caller frees each). On failure neither stays allocated. With no
/// names the tag array has `cValues` 0 and the name array is NULL.
pub fn enumerated_out(
    alloc: &Allocators,
    all: &[(u32, Name)],
) -> Result<(*mut SPropTagArray, *mut *mut MAPINAMEID)> {
    let tags: Vec<u32> = all.iter().map(|(t, _)| *t).collect();
    let names: Vec<Option<Name>> = all.iter().map(|(_, n)| Some(n.clone())).collect();
    let tag_array = marshal::tags_out(alloc, &tags)?;
    match names_out(alloc, &names) {
        Ok(name_array) => Ok((tag_array, name_array)),
        Err(e) => {
            alloc.free(tag_array.cast());
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::ffi::c_void;

    use super::*;
    use crate::capi::memory::{MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer};
    use crate::consts::SCODE;
    use crate::types::prop_name::{PS_INTERNET_HEADERS, PS_MAPI, PS_PUBLIC_STRINGS, ole_guid};

    thread_local! {
        /// Allocation calls so far on this thread, the call that fails (0: none), the
        /// roots allocated and the roots freed.
        static CALLS: Cell<u32> = const { Cell::new(0) };
        static FAIL_AT: Cell<u32> = const { Cell::new(0) };
        static ROOTS: Cell<u32> = const { Cell::new(0) };
        static FREED: Cell<u32> = const { Cell::new(0) };
    }

    fn next_call_fails() -> bool {
        let n = CALLS.get() + 1;
        CALLS.set(n);
        n == FAIL_AT.get()
    }

    unsafe extern "system" fn buffer(cb: ULONG, out: *mut *mut c_void) -> SCODE {
        if next_call_fails() {
            return crate::consts::MAPI_E_NOT_ENOUGH_MEMORY;
        }
        ROOTS.set(ROOTS.get() + 1);
        // SAFETY: forwarding the caller's arguments.
        unsafe { MAPIAllocateBuffer(cb, out) }
    }

    unsafe extern "system" fn more(cb: ULONG, parent: *mut c_void, out: *mut *mut c_void) -> SCODE {
        if next_call_fails() {
            return crate::consts::MAPI_E_NOT_ENOUGH_MEMORY;
        }
        // SAFETY: forwarding the caller's arguments.
        unsafe { MAPIAllocateMore(cb, parent, out) }
    }

    unsafe extern "system" fn free(p: *mut c_void) -> ULONG {
        FREED.set(FREED.get() + 1);
        // SAFETY: forwarding the caller's argument.
        unsafe { MAPIFreeBuffer(p) }
    }

    fn counting(fail_at: u32) -> Allocators {
        CALLS.set(0);
        FAIL_AT.set(fail_at);
        ROOTS.set(0);
        FREED.set(0);
        Allocators { buffer, more, free }
    }

    fn sample() -> Vec<Option<Name>> {
        vec![
            Some(Name::id(ole_guid(0x0006_2008), 0x8514)),
            None,
            Some(Name::string(PS_PUBLIC_STRINGS, "Keywords")),
            Some(Name::string(PS_INTERNET_HEADERS, "x-mailer")),
            Some(Name::id(ole_guid(0x0006_2008), 0xFFFF_FFFF)),
            Some(Name::string(PS_PUBLIC_STRINGS, "")),
            Some(Name {
                guid: PS_MAPI,
                kind: NameKind::String(vec![0xD800, 0x41]),
            }),
        ]
    }

    #[test]
    fn names_go_out_and_come_back_in_one_allocation() {
        let alloc = counting(0);
        let names = sample();
        let out = names_out(&alloc, &names).unwrap();
        assert_eq!(ROOTS.get(), 1);
        assert_eq!(CALLS.get(), 2, "one buffer and one linked block");
        // SAFETY: `out` holds `names.len()` entries built above.
        let back = unsafe { names_in(names.len() as ULONG, out) }.unwrap();
        assert_eq!(back, names);
        // SAFETY: as above; entry 0 is a numeric name.
        unsafe {
            let e = &**out;
            assert_eq!(e.ulKind, MNID_ID);
            assert_eq!(e.Kind.lID, 0x8514);
            assert_eq!((*e.lpguid).Data1, 0x0006_2008);
            assert!((*out.add(1)).is_null());
            // One copy per distinct GUID.
            assert_eq!((**out).lpguid, (**out.add(4)).lpguid);
            let s = (**out.add(2)).Kind.lpwstrName;
            assert_eq!(*s.add(8), 0, "NUL-terminated");
        }
        alloc.free(out.cast());
        assert_eq!(FREED.get(), 1);
        let alloc = counting(0);
        assert!(names_out(&alloc, &[]).unwrap().is_null());
        assert_eq!(CALLS.get(), 0);
        // Only NULL entries: the pointer array alone.
        let nulls = names_out(&alloc, &[None, None]).unwrap();
        assert_eq!(CALLS.get(), 1);
        // SAFETY: two entries were built.
        assert!(unsafe { (*nulls).is_null() && (*nulls.add(1)).is_null() });
        alloc.free(nulls.cast());
    }

    #[test]
    fn failures_leave_nothing_allocated() {
        for fail_at in 1..=2 {
            let alloc = counting(fail_at);
            let e = names_out(&alloc, &sample()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotEnoughMemory);
            assert_eq!(ROOTS.get(), FREED.get(), "fail at call {fail_at}");
        }
        let all: Vec<(u32, Name)> = sample()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, n)| (0x8000_0000 + ((i as u32) << 16), n))
            .collect();
        for fail_at in 1..=3 {
            let alloc = counting(fail_at);
            let e = enumerated_out(&alloc, &all).unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotEnoughMemory);
            assert_eq!(ROOTS.get(), FREED.get(), "fail at call {fail_at}");
        }
        let alloc = counting(0);
        let (tags, names) = enumerated_out(&alloc, &all).unwrap();
        // SAFETY: both arrays were just built with `all.len()` entries.
        unsafe {
            assert_eq!((*tags).cValues as usize, all.len());
            let back = names_in(all.len() as ULONG, names).unwrap();
            assert_eq!(
                back.into_iter().flatten().collect::<Vec<_>>().len(),
                all.len()
            );
        }
        alloc.free(tags.cast());
        alloc.free(names.cast());
        assert_eq!(ROOTS.get(), 2);
        assert_eq!(FREED.get(), 2);
        // No names: an empty tag array, no name array.
        let (tags, names) = enumerated_out(&alloc, &[]).unwrap();
        // SAFETY: an empty tag array was built.
        assert_eq!(unsafe { (*tags).cValues }, 0);
        assert!(names.is_null());
        alloc.free(tags.cast());
    }

    #[test]
    fn names_that_name_nothing_come_in_as_none() {
        let mut guid = GUID::ole(0x0006_2008);
        let mut text: Vec<u16> = "Keywords\0".encode_utf16().collect();
        let mut entries = [
            MAPINAMEID {
                lpguid: &mut guid,
                ulKind: MNID_ID,
                Kind: MAPINAMEID_KIND { lID: -1 },
            },
            MAPINAMEID {
                lpguid: std::ptr::null_mut(),
                ulKind: MNID_ID,
                Kind: MAPINAMEID_KIND { lID: 1 },
            },
            MAPINAMEID {
                lpguid: &mut guid,
                ulKind: 7,
                Kind: MAPINAMEID_KIND { lID: 1 },
            },
            MAPINAMEID {
                lpguid: &mut guid,
                ulKind: MNID_STRING,
                Kind: MAPINAMEID_KIND {
                    lpwstrName: std::ptr::null_mut(),
                },
            },
            MAPINAMEID {
                lpguid: &mut guid,
                ulKind: MNID_STRING,
                Kind: MAPINAMEID_KIND {
                    lpwstrName: text.as_mut_ptr(),
                },
            },
        ];
        let base = entries.as_mut_ptr();
        // SAFETY: pointers into the live array above.
        let mut ptrs: Vec<*mut MAPINAMEID> =
            (0..entries.len()).map(|i| unsafe { base.add(i) }).collect();
        ptrs.insert(1, std::ptr::null_mut());
        // SAFETY: every pointer is NULL or points into `entries`, whose pointers are valid.
        let got = unsafe { names_in(ptrs.len() as ULONG, ptrs.as_mut_ptr()) }.unwrap();
        let g = guid.to_bytes();
        assert_eq!(
            got,
            vec![
                Some(Name::id(g, 0xFFFF_FFFF)),
                None,
                None,
                None,
                None,
                Some(Name::string(g, "Keywords")),
            ]
        );
        // SAFETY: a NULL array is not read.
        let e = unsafe { names_in(2, std::ptr::null_mut()) }.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameter);
        // SAFETY: as above.
        assert!(
            unsafe { names_in(0, std::ptr::null_mut()) }
                .unwrap()
                .is_empty()
        );
    }
}
