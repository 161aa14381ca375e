//! Vtable layouts of the COM interfaces we implement or call (`spec/mapi-abi.md` §3), flat:
//! each vtable repeats its base interfaces' slots first, in SDK order. Slot offsets are
//! pinned below and by `c-tests/abi_layout.c`.
#![allow(non_snake_case, non_camel_case_types, clippy::type_complexity)]

use std::ffi::c_void;
use std::mem::{offset_of, size_of};

use super::types::*;

pub type This = *mut c_void;

/// Any COM interface pointer: a pointer to a vtable pointer.
#[repr(C)]
pub struct Interface<V> {
    pub lpVtbl: *const V,
}

#[repr(C)]
pub struct IUnknownVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
}

#[repr(C)]
pub struct IMallocVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub Alloc: unsafe extern "system" fn(This, usize) -> *mut c_void,
    pub Realloc: unsafe extern "system" fn(This, *mut c_void, usize) -> *mut c_void,
    pub Free: unsafe extern "system" fn(This, *mut c_void),
    pub GetSize: unsafe extern "system" fn(This, *mut c_void) -> usize,
    pub DidAlloc: unsafe extern "system" fn(This, *mut c_void) -> i32,
    pub HeapMinimize: unsafe extern "system" fn(This),
}

#[repr(C)]
pub struct IStreamVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub Read: unsafe extern "system" fn(This, *mut c_void, ULONG, *mut ULONG) -> HRESULT,
    pub Write: unsafe extern "system" fn(This, *const c_void, ULONG, *mut ULONG) -> HRESULT,
    pub Seek: unsafe extern "system" fn(This, i64, DWORD, *mut u64) -> HRESULT,
    pub SetSize: unsafe extern "system" fn(This, u64) -> HRESULT,
    pub CopyTo: unsafe extern "system" fn(This, This, u64, *mut u64, *mut u64) -> HRESULT,
    pub Commit: unsafe extern "system" fn(This, DWORD) -> HRESULT,
    pub Revert: unsafe extern "system" fn(This) -> HRESULT,
    pub LockRegion: unsafe extern "system" fn(This, u64, u64, DWORD) -> HRESULT,
    pub UnlockRegion: unsafe extern "system" fn(This, u64, u64, DWORD) -> HRESULT,
    pub Stat: unsafe extern "system" fn(This, *mut STATSTG, DWORD) -> HRESULT,
    pub Clone: unsafe extern "system" fn(This, *mut This) -> HRESULT,
}

#[repr(C)]
pub struct IStorageVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub CreateStream:
        unsafe extern "system" fn(This, *const WCHAR, DWORD, DWORD, DWORD, *mut This) -> HRESULT,
    pub OpenStream: unsafe extern "system" fn(
        This,
        *const WCHAR,
        *mut c_void,
        DWORD,
        DWORD,
        *mut This,
    ) -> HRESULT,
    pub CreateStorage:
        unsafe extern "system" fn(This, *const WCHAR, DWORD, DWORD, DWORD, *mut This) -> HRESULT,
    pub OpenStorage: unsafe extern "system" fn(
        This,
        *const WCHAR,
        This,
        DWORD,
        *mut *mut WCHAR,
        DWORD,
        *mut This,
    ) -> HRESULT,
    pub CopyTo:
        unsafe extern "system" fn(This, DWORD, *const IID, *mut *mut WCHAR, This) -> HRESULT,
    pub MoveElementTo:
        unsafe extern "system" fn(This, *const WCHAR, This, *const WCHAR, DWORD) -> HRESULT,
    pub Commit: unsafe extern "system" fn(This, DWORD) -> HRESULT,
    pub Revert: unsafe extern "system" fn(This) -> HRESULT,
    pub EnumElements:
        unsafe extern "system" fn(This, DWORD, *mut c_void, DWORD, *mut This) -> HRESULT,
    pub DestroyElement: unsafe extern "system" fn(This, *const WCHAR) -> HRESULT,
    pub RenameElement: unsafe extern "system" fn(This, *const WCHAR, *const WCHAR) -> HRESULT,
    pub SetElementTimes: unsafe extern "system" fn(
        This,
        *const WCHAR,
        *const FILETIME,
        *const FILETIME,
        *const FILETIME,
    ) -> HRESULT,
    pub SetClass: unsafe extern "system" fn(This, *const CLSID) -> HRESULT,
    pub SetStateBits: unsafe extern "system" fn(This, DWORD, DWORD) -> HRESULT,
    pub Stat: unsafe extern "system" fn(This, *mut STATSTG, DWORD) -> HRESULT,
}

#[repr(C)]
pub struct IEnumSTATSTGVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub Next: unsafe extern "system" fn(This, ULONG, *mut STATSTG, *mut ULONG) -> HRESULT,
    pub Skip: unsafe extern "system" fn(This, ULONG) -> HRESULT,
    pub Reset: unsafe extern "system" fn(This) -> HRESULT,
    pub Clone: unsafe extern "system" fn(This, *mut This) -> HRESULT,
}

#[repr(C)]
pub struct ILockBytesVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub ReadAt: unsafe extern "system" fn(This, u64, *mut c_void, ULONG, *mut ULONG) -> HRESULT,
    pub WriteAt: unsafe extern "system" fn(This, u64, *const c_void, ULONG, *mut ULONG) -> HRESULT,
    pub Flush: unsafe extern "system" fn(This) -> HRESULT,
    pub SetSize: unsafe extern "system" fn(This, u64) -> HRESULT,
    pub LockRegion: unsafe extern "system" fn(This, u64, u64, DWORD) -> HRESULT,
    pub UnlockRegion: unsafe extern "system" fn(This, u64, u64, DWORD) -> HRESULT,
    pub Stat: unsafe extern "system" fn(This, *mut STATSTG, DWORD) -> HRESULT,
}

/// Declares a vtable *layout* that begins with the IMAPIProp slots (3–13), shared by
/// IMessage and IAttach. (The vtable *values* are built by `com_class!` in capi.)
macro_rules! imapiprop_layout {
    ($(#[$m:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$m])*
        #[repr(C)]
        pub struct $name {
            pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
            pub AddRef: unsafe extern "system" fn(This) -> ULONG,
            pub Release: unsafe extern "system" fn(This) -> ULONG,
            pub GetLastError: unsafe extern "system" fn(This, HRESULT, ULONG, *mut *mut MAPIERROR) -> HRESULT,
            pub SaveChanges: unsafe extern "system" fn(This, ULONG) -> HRESULT,
            pub GetProps:
                unsafe extern "system" fn(This, *mut SPropTagArray, ULONG, *mut ULONG, *mut *mut SPropValue) -> HRESULT,
            pub GetPropList: unsafe extern "system" fn(This, ULONG, *mut *mut SPropTagArray) -> HRESULT,
            pub OpenProperty: unsafe extern "system" fn(This, ULONG, *const IID, ULONG, ULONG, *mut This) -> HRESULT,
            pub SetProps: unsafe extern "system" fn(This, ULONG, *mut SPropValue, *mut *mut SPropProblemArray) -> HRESULT,
            pub DeleteProps:
                unsafe extern "system" fn(This, *mut SPropTagArray, *mut *mut SPropProblemArray) -> HRESULT,
            pub CopyTo: unsafe extern "system" fn(
                This,
                ULONG,
                *const IID,
                *mut SPropTagArray,
                usize,
                This,
                *const IID,
                *mut c_void,
                ULONG,
                *mut *mut SPropProblemArray,
            ) -> HRESULT,
            pub CopyProps: unsafe extern "system" fn(
                This,
                *mut SPropTagArray,
                usize,
                This,
                *const IID,
                *mut c_void,
                ULONG,
                *mut *mut SPropProblemArray,
            ) -> HRESULT,
            pub GetNamesFromIDs: unsafe extern "system" fn(
                This,
                *mut *mut SPropTagArray,
                *mut GUID,
                ULONG,
                *mut ULONG,
                *mut *mut *mut MAPINAMEID,
            ) -> HRESULT,
            pub GetIDsFromNames:
                unsafe extern "system" fn(This, ULONG, *mut *mut MAPINAMEID, ULONG, *mut *mut SPropTagArray) -> HRESULT,
            $($extra)*
        }
    };
}

imapiprop_layout!(IMAPIPropVtbl {});
imapiprop_layout!(IAttachVtbl {});
imapiprop_layout!(IPropDataVtbl {
    pub HrSetObjAccess: unsafe extern "system" fn(This, ULONG) -> HRESULT,
    pub HrSetPropAccess: unsafe extern "system" fn(This, *mut SPropTagArray, *mut ULONG) -> HRESULT,
    pub HrGetPropAccess: unsafe extern "system" fn(This, *mut *mut SPropTagArray, *mut *mut ULONG) -> HRESULT,
    pub HrAddObjProps: unsafe extern "system" fn(This, *mut SPropTagArray, *mut *mut SPropProblemArray) -> HRESULT,
});
imapiprop_layout!(IMessageVtbl {
    pub GetAttachmentTable: unsafe extern "system" fn(This, ULONG, *mut This) -> HRESULT,
    pub OpenAttach: unsafe extern "system" fn(This, ULONG, *const IID, ULONG, *mut This) -> HRESULT,
    pub CreateAttach: unsafe extern "system" fn(This, *const IID, ULONG, *mut ULONG, *mut This) -> HRESULT,
    pub DeleteAttach: unsafe extern "system" fn(This, ULONG, usize, This, ULONG) -> HRESULT,
    pub GetRecipientTable: unsafe extern "system" fn(This, ULONG, *mut This) -> HRESULT,
    pub ModifyRecipients: unsafe extern "system" fn(This, ULONG, *mut ADRLIST) -> HRESULT,
    pub SubmitMessage: unsafe extern "system" fn(This, ULONG) -> HRESULT,
    pub SetReadFlag: unsafe extern "system" fn(This, ULONG) -> HRESULT,
});

/// `IMAPISession` (mapix.h), a session of real MAPI the caller passes to the entry-ID
/// helpers. We only call `GetMsgStoresTable`; the other slots are listed for their place.
#[repr(C)]
pub struct IMAPISessionVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub GetLastError:
        unsafe extern "system" fn(This, HRESULT, ULONG, *mut *mut MAPIERROR) -> HRESULT,
    pub GetMsgStoresTable: unsafe extern "system" fn(This, ULONG, *mut This) -> HRESULT,
    /// `OpenMsgStore`, `OpenAddressBook`, `OpenProfileSection`, `GetStatusTable`,
    /// `OpenEntry`, `CompareEntryIDs`, `Advise`, `Unadvise`, `MessageOptions`,
    /// `QueryDefaultMessageOpt`, `EnumAdrTypes`, `QueryIdentity`, `Logoff`,
    /// `SetDefaultStore`, `AdminServices`, `ShowForm`, `PrepareForm`.
    pub Others: [*const c_void; 17],
}

/// `ITableData` (mapiutil.h). `CALLERRELEASE` is
/// `void (ULONG_PTR ulCallerData, LPTABLEDATA lpTblData, LPMAPITABLE lpVue)`.
#[repr(C)]
pub struct ITableDataVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub HrGetView: unsafe extern "system" fn(
        This,
        *mut SSortOrderSet,
        Option<unsafe extern "system" fn(usize, This, This)>,
        usize,
        *mut This,
    ) -> HRESULT,
    pub HrModifyRow: unsafe extern "system" fn(This, *mut SRow) -> HRESULT,
    pub HrDeleteRow: unsafe extern "system" fn(This, *mut SPropValue) -> HRESULT,
    pub HrQueryRow:
        unsafe extern "system" fn(This, *mut SPropValue, *mut *mut SRow, *mut ULONG) -> HRESULT,
    pub HrEnumRow: unsafe extern "system" fn(This, ULONG, *mut *mut SRow) -> HRESULT,
    pub HrNotify: unsafe extern "system" fn(This, ULONG, ULONG, *mut SPropValue) -> HRESULT,
    pub HrInsertRow: unsafe extern "system" fn(This, ULONG, *mut SRow) -> HRESULT,
    pub HrModifyRows: unsafe extern "system" fn(This, ULONG, *mut SRowSet) -> HRESULT,
    pub HrDeleteRows: unsafe extern "system" fn(This, ULONG, *mut SRowSet, *mut ULONG) -> HRESULT,
}

#[repr(C)]
pub struct IMAPITableVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub GetLastError:
        unsafe extern "system" fn(This, HRESULT, ULONG, *mut *mut MAPIERROR) -> HRESULT,
    pub Advise: unsafe extern "system" fn(This, ULONG, This, *mut usize) -> HRESULT,
    pub Unadvise: unsafe extern "system" fn(This, usize) -> HRESULT,
    pub GetStatus: unsafe extern "system" fn(This, *mut ULONG, *mut ULONG) -> HRESULT,
    pub SetColumns: unsafe extern "system" fn(This, *mut SPropTagArray, ULONG) -> HRESULT,
    pub QueryColumns: unsafe extern "system" fn(This, ULONG, *mut *mut SPropTagArray) -> HRESULT,
    pub GetRowCount: unsafe extern "system" fn(This, ULONG, *mut ULONG) -> HRESULT,
    pub SeekRow: unsafe extern "system" fn(This, BOOKMARK, LONG, *mut LONG) -> HRESULT,
    pub SeekRowApprox: unsafe extern "system" fn(This, ULONG, ULONG) -> HRESULT,
    pub QueryPosition:
        unsafe extern "system" fn(This, *mut ULONG, *mut ULONG, *mut ULONG) -> HRESULT,
    pub FindRow: unsafe extern "system" fn(This, *mut SRestriction, BOOKMARK, ULONG) -> HRESULT,
    pub Restrict: unsafe extern "system" fn(This, *mut SRestriction, ULONG) -> HRESULT,
    pub CreateBookmark: unsafe extern "system" fn(This, *mut BOOKMARK) -> HRESULT,
    pub FreeBookmark: unsafe extern "system" fn(This, BOOKMARK) -> HRESULT,
    pub SortTable: unsafe extern "system" fn(This, *mut SSortOrderSet, ULONG) -> HRESULT,
    pub QuerySortOrder: unsafe extern "system" fn(This, *mut *mut SSortOrderSet) -> HRESULT,
    pub QueryRows: unsafe extern "system" fn(This, LONG, ULONG, *mut *mut SRowSet) -> HRESULT,
    pub Abort: unsafe extern "system" fn(This) -> HRESULT,
    pub ExpandRow: unsafe extern "system" fn(
        This,
        ULONG,
        *mut BYTE,
        ULONG,
        ULONG,
        *mut *mut SRowSet,
        *mut ULONG,
    ) -> HRESULT,
    pub CollapseRow:
        unsafe extern "system" fn(This, ULONG, *mut BYTE, ULONG, *mut ULONG) -> HRESULT,
    pub WaitForCompletion: unsafe extern "system" fn(This, ULONG, ULONG, *mut ULONG) -> HRESULT,
    pub GetCollapseState: unsafe extern "system" fn(
        This,
        ULONG,
        ULONG,
        *mut BYTE,
        *mut ULONG,
        *mut *mut BYTE,
    ) -> HRESULT,
    pub SetCollapseState:
        unsafe extern "system" fn(This, ULONG, ULONG, *mut BYTE, *mut BOOKMARK) -> HRESULT,
}

/// A caller's progress object (`spec/mapi-abi.md` §3.13), driven by `CopyTo`/`CopyProps`.
#[repr(C)]
pub struct IMAPIProgressVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub Progress: unsafe extern "system" fn(This, ULONG, ULONG, ULONG) -> HRESULT,
    pub GetFlags: unsafe extern "system" fn(This, *mut ULONG) -> HRESULT,
    pub GetMax: unsafe extern "system" fn(This, *mut ULONG) -> HRESULT,
    pub GetMin: unsafe extern "system" fn(This, *mut ULONG) -> HRESULT,
    pub SetLimits: unsafe extern "system" fn(This, *mut ULONG, *mut ULONG, *mut ULONG) -> HRESULT,
}

/// Byte offset of vtable slot `n`.
const fn slot(n: usize) -> usize {
    n * size_of::<usize>()
}

// Slot numbers from `spec/mapi-abi.md` §3.
const _: () = {
    assert!(offset_of!(IMallocVtbl, Alloc) == slot(3));
    assert!(offset_of!(IMallocVtbl, HeapMinimize) == slot(8));
    assert!(offset_of!(IStreamVtbl, Read) == slot(3));
    assert!(offset_of!(IStreamVtbl, Seek) == slot(5));
    assert!(offset_of!(IStreamVtbl, Commit) == slot(8));
    assert!(offset_of!(IStreamVtbl, Stat) == slot(12));
    assert!(offset_of!(IStreamVtbl, Clone) == slot(13));
    assert!(offset_of!(IStorageVtbl, CreateStream) == slot(3));
    assert!(offset_of!(IStorageVtbl, CopyTo) == slot(7));
    assert!(offset_of!(IStorageVtbl, Commit) == slot(9));
    assert!(offset_of!(IStorageVtbl, EnumElements) == slot(11));
    assert!(offset_of!(IStorageVtbl, SetClass) == slot(15));
    assert!(offset_of!(IStorageVtbl, Stat) == slot(17));
    assert!(offset_of!(IEnumSTATSTGVtbl, Next) == slot(3));
    assert!(offset_of!(IEnumSTATSTGVtbl, Clone) == slot(6));
    assert!(offset_of!(ILockBytesVtbl, ReadAt) == slot(3));
    assert!(offset_of!(ILockBytesVtbl, Stat) == slot(9));
    assert!(offset_of!(IMAPIPropVtbl, GetLastError) == slot(3));
    assert!(offset_of!(IMAPIPropVtbl, SetProps) == slot(8));
    assert!(offset_of!(IMAPIPropVtbl, GetIDsFromNames) == slot(13));
    assert!(size_of::<IMAPIPropVtbl>() == slot(14));
    assert!(size_of::<IAttachVtbl>() == slot(14));
    assert!(offset_of!(IMessageVtbl, SetProps) == slot(8));
    assert!(offset_of!(IMessageVtbl, GetAttachmentTable) == slot(14));
    assert!(offset_of!(IMessageVtbl, ModifyRecipients) == slot(19));
    assert!(offset_of!(IMessageVtbl, SetReadFlag) == slot(21));
    assert!(size_of::<IMessageVtbl>() == slot(22));
    assert!(offset_of!(IMAPITableVtbl, GetLastError) == slot(3));
    assert!(offset_of!(IMAPITableVtbl, SetColumns) == slot(7));
    assert!(offset_of!(IMAPITableVtbl, QueryRows) == slot(19));
    assert!(offset_of!(IMAPITableVtbl, SetCollapseState) == slot(25));
    assert!(size_of::<IMAPITableVtbl>() == slot(26));
    assert!(offset_of!(IMAPIProgressVtbl, Progress) == slot(3));
    assert!(offset_of!(IMAPIProgressVtbl, GetFlags) == slot(4));
    assert!(offset_of!(IMAPIProgressVtbl, GetMax) == slot(5));
    assert!(offset_of!(IMAPIProgressVtbl, GetMin) == slot(6));
    assert!(offset_of!(IMAPIProgressVtbl, SetLimits) == slot(7));
    assert!(size_of::<IMAPIProgressVtbl>() == slot(8));
    assert!(offset_of!(IPropDataVtbl, HrSetObjAccess) == slot(14));
    assert!(offset_of!(IPropDataVtbl, HrAddObjProps) == slot(17));
    assert!(size_of::<IPropDataVtbl>() == slot(18));
    assert!(offset_of!(IMAPISessionVtbl, GetMsgStoresTable) == slot(4));
    assert!(size_of::<IMAPISessionVtbl>() == slot(22));
    assert!(offset_of!(ITableDataVtbl, HrGetView) == slot(3));
    assert!(offset_of!(ITableDataVtbl, HrNotify) == slot(8));
    assert!(offset_of!(ITableDataVtbl, HrDeleteRows) == slot(11));
    assert!(size_of::<ITableDataVtbl>() == slot(12));
};

/// `ITnef` (tnef.h): `IUnknown`'s slots, then AddProps, ExtractProps, Finish,
/// OpenTaggedBody, SetProps, EncodeRecips, FinishComponent.
#[repr(C)]
pub struct ITnefVtbl {
    pub QueryInterface: unsafe extern "system" fn(This, *const IID, *mut *mut c_void) -> HRESULT,
    pub AddRef: unsafe extern "system" fn(This) -> ULONG,
    pub Release: unsafe extern "system" fn(This) -> ULONG,
    pub AddProps:
        unsafe extern "system" fn(This, ULONG, ULONG, *mut c_void, *mut SPropTagArray) -> HRESULT,
    pub ExtractProps:
        unsafe extern "system" fn(This, ULONG, *mut SPropTagArray, *mut *mut c_void) -> HRESULT,
    pub Finish: unsafe extern "system" fn(This, ULONG, *mut u16, *mut *mut c_void) -> HRESULT,
    pub OpenTaggedBody: unsafe extern "system" fn(This, This, ULONG, *mut This) -> HRESULT,
    pub SetProps: unsafe extern "system" fn(This, ULONG, ULONG, ULONG, *mut SPropValue) -> HRESULT,
    pub EncodeRecips: unsafe extern "system" fn(This, ULONG, This) -> HRESULT,
    pub FinishComponent: unsafe extern "system" fn(
        This,
        ULONG,
        ULONG,
        *mut SPropTagArray,
        *mut SPropValue,
        *mut SPropTagArray,
        *mut *mut c_void,
    ) -> HRESULT,
}

const _: () = {
    assert!(offset_of!(ITnefVtbl, AddProps) == slot(3));
    assert!(offset_of!(ITnefVtbl, OpenTaggedBody) == slot(6));
    assert!(offset_of!(ITnefVtbl, FinishComponent) == slot(9));
    assert!(size_of::<ITnefVtbl>() == slot(10));
};

// Interface pointer types under their SDK names, for exported signatures.
pub type IUnknown = Interface<IUnknownVtbl>;
pub type IMalloc = Interface<IMallocVtbl>;
pub type IStream = Interface<IStreamVtbl>;
pub type IStorage = Interface<IStorageVtbl>;
pub type ILockBytes = Interface<ILockBytesVtbl>;
pub type IMAPIProp = Interface<IMAPIPropVtbl>;
pub type IMessage = Interface<IMessageVtbl>;
/// The callback `OpenIMsgOnIStg` takes, called when the message's last reference goes.
pub type MSGCALLRELEASE = unsafe extern "system" fn(ulCallerData: ULONG, lpMessage: *mut IMessage);
pub type IMAPITable = Interface<IMAPITableVtbl>;
pub type IMAPIProgress = Interface<IMAPIProgressVtbl>;
pub type IPropData = Interface<IPropDataVtbl>;
pub type ITableData = Interface<ITableDataVtbl>;
pub type IMAPISession = Interface<IMAPISessionVtbl>;
pub type ITnef = Interface<ITnefVtbl>;

/// `LPMSGSESS` points to this opaque type; handles are never dereferenced.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct _MSGSESS {
    _private: [u8; 0],
}
