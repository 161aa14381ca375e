//! C-ABI mirrors of the MAPI and OLE structures (`spec/mapi-abi.md` §4.1, §5), with their
//! SDK field names. `include/mapidefs.h` declares the same layouts; both sides pin sizes
//! and offsets with static assertions.
#![allow(non_snake_case, non_camel_case_types, clippy::upper_case_acronyms)]

use std::ffi::{c_char, c_void};
use std::mem::{offset_of, size_of};

pub use crate::consts::{DWORD, HRESULT, LONG, SCODE, ULONG};

pub type WCHAR = u16;
pub type BOOL = i32;
pub type BYTE = u8;
pub type BOOKMARK = usize;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GUID {
    pub Data1: u32,
    pub Data2: u16,
    pub Data3: u16,
    pub Data4: [u8; 8],
}

impl GUID {
    /// The 16 bytes as they lie in memory and in `.msg` files.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&self.Data1.to_le_bytes());
        b[4..6].copy_from_slice(&self.Data2.to_le_bytes());
        b[6..8].copy_from_slice(&self.Data3.to_le_bytes());
        b[8..].copy_from_slice(&self.Data4);
        b
    }

    pub fn from_bytes(b: [u8; 16]) -> GUID {
        GUID {
            Data1: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            Data2: u16::from_le_bytes([b[4], b[5]]),
            Data3: u16::from_le_bytes([b[6], b[7]]),
            Data4: b[8..].try_into().expect("8 bytes"),
        }
    }

    /// `{XXXXXXXX-0000-0000-C000-000000000046}`, the form of OLE and MAPI interface ids.
    pub const fn ole(data1: u32) -> GUID {
        GUID {
            Data1: data1,
            Data2: 0,
            Data3: 0,
            Data4: [0xC0, 0, 0, 0, 0, 0, 0, 0x46],
        }
    }
}

pub type IID = GUID;
pub type CLSID = GUID;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FILETIME {
    pub dwLowDateTime: DWORD,
    pub dwHighDateTime: DWORD,
}

impl FILETIME {
    pub fn from_u64(v: u64) -> FILETIME {
        FILETIME {
            dwLowDateTime: v as u32,
            dwHighDateTime: (v >> 32) as u32,
        }
    }

    pub fn to_u64(self) -> u64 {
        u64::from(self.dwLowDateTime) | (u64::from(self.dwHighDateTime) << 32)
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SBinary {
    pub cb: ULONG,
    pub lpb: *mut BYTE,
}

/// All `S*Array` multi-value structures: a count and a pointer to the values.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct MvArray<T> {
    pub cValues: ULONG,
    pub lp: *mut T,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union PV {
    pub i: i16,
    pub l: LONG,
    pub ul: ULONG,
    pub lpv: *mut c_void,
    pub flt: f32,
    pub dbl: f64,
    pub b: u16,
    pub cur: i64,
    pub at: f64,
    pub ft: FILETIME,
    pub lpszA: *mut c_char,
    pub bin: SBinary,
    pub lpszW: *mut WCHAR,
    pub lpguid: *mut GUID,
    pub li: i64,
    pub MVi: MvArray<i16>,
    pub MVl: MvArray<LONG>,
    pub MVflt: MvArray<f32>,
    pub MVdbl: MvArray<f64>,
    pub MVcur: MvArray<i64>,
    pub MVat: MvArray<f64>,
    pub MVft: MvArray<FILETIME>,
    pub MVbin: MvArray<SBinary>,
    pub MVszA: MvArray<*mut c_char>,
    pub MVszW: MvArray<*mut WCHAR>,
    pub MVguid: MvArray<GUID>,
    pub MVli: MvArray<i64>,
    pub err: SCODE,
    pub x: LONG,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SPropValue {
    pub ulPropTag: ULONG,
    pub dwAlignPad: ULONG,
    pub Value: PV,
}

/// `SPropTagArray`: `cValues` then that many tags (declared with one).
#[repr(C)]
pub struct SPropTagArray {
    pub cValues: ULONG,
    pub aulPropTag: [ULONG; 1],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SPropProblem {
    pub ulIndex: ULONG,
    pub ulPropTag: ULONG,
    pub scode: SCODE,
}

#[repr(C)]
pub struct SPropProblemArray {
    pub cProblem: ULONG,
    pub aProblem: [SPropProblem; 1],
}

#[repr(C)]
pub struct SPropAttrArray {
    pub cValues: ULONG,
    pub aPropAttr: [ULONG; 1],
}

#[repr(C)]
pub struct MAPIERROR {
    pub ulVersion: ULONG,
    pub lpszError: *mut c_void,
    pub lpszComponent: *mut c_void,
    pub ulLowLevelError: ULONG,
    pub ulContext: ULONG,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SRow {
    pub ulAdrEntryPad: ULONG,
    pub cValues: ULONG,
    pub lpProps: *mut SPropValue,
}

#[repr(C)]
pub struct SRowSet {
    pub cRows: ULONG,
    pub aRow: [SRow; 1],
}

pub type ADRENTRY = SRow;
pub type ADRLIST = SRowSet;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SSortOrder {
    pub ulPropTag: ULONG,
    pub ulOrder: ULONG,
}

#[repr(C)]
pub struct SSortOrderSet {
    pub cSorts: ULONG,
    pub cCategories: ULONG,
    pub cExpanded: ULONG,
    pub aSort: [SSortOrder; 1],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union MAPINAMEID_KIND {
    pub lID: LONG,
    pub lpwstrName: *mut WCHAR,
    pub lID_Reserved: isize,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct MAPINAMEID {
    pub lpguid: *mut GUID,
    pub ulKind: ULONG,
    pub Kind: MAPINAMEID_KIND,
}

/// The three-ULONG restrictions and the pointer-carrying ones share this union.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SRestrictionPair {
    pub ulA: ULONG,
    pub ulB: ULONG,
    pub lp: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SCommentRestriction {
    pub cValues: ULONG,
    pub lpRes: *mut SRestriction,
    pub lpProp: *mut SPropValue,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SThreeULong {
    pub ul1: ULONG,
    pub ul2: ULONG,
    pub ul3: ULONG,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SSubRestriction {
    pub ul: ULONG,
    pub lpRes: *mut SRestriction,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SPropRestriction {
    pub ul1: ULONG,
    pub ulPropTag: ULONG,
    pub lpProp: *mut SPropValue,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union SRestrictionUnion {
    /// resCompareProps, resBitMask, resSize, resExist: three ULONGs.
    pub three: SThreeULong,
    /// resAnd, resOr (cRes, lpRes), resNot (ulReserved, lpRes), resSub, resCount.
    pub sub: SSubRestriction,
    /// resContent (ulFuzzyLevel, ulPropTag, lpProp), resProperty (relop, ulPropTag, lpProp).
    pub prop: SPropRestriction,
    /// resComment, resAnnotation.
    pub comment: SCommentRestriction,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct SRestriction {
    pub rt: ULONG,
    pub res: SRestrictionUnion,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct STATSTG {
    pub pwcsName: *mut WCHAR,
    pub type_: DWORD,
    pub cbSize: u64,
    pub mtime: FILETIME,
    pub ctime: FILETIME,
    pub atime: FILETIME,
    pub grfMode: DWORD,
    pub grfLocksSupported: DWORD,
    pub clsid: CLSID,
    pub grfStateBits: DWORD,
    pub reserved: DWORD,
}

#[repr(C)]
pub struct STGOPTIONS {
    pub usVersion: u16,
    pub reserved: u16,
    pub ulSectorSize: ULONG,
    pub pwcsTemplateFile: *const WCHAR,
}

#[repr(C)]
pub struct MAPIINIT_0 {
    pub ulVersion: ULONG,
    pub ulFlags: ULONG,
}

pub type LPALLOCATEBUFFER =
    unsafe extern "system" fn(cbSize: ULONG, lppBuffer: *mut *mut c_void) -> SCODE;
pub type LPALLOCATEMORE = unsafe extern "system" fn(
    cbSize: ULONG,
    lpObject: *mut c_void,
    lppBuffer: *mut *mut c_void,
) -> SCODE;
pub type LPFREEBUFFER = unsafe extern "system" fn(lpBuffer: *mut c_void) -> ULONG;
pub type MSGCALLRELEASE =
    unsafe extern "system" fn(ulCallerData: ULONG, lpMessage: *mut super::vtbl::IMessage);
/// `REFIID`/`REFCLSID`: a pointer in C, a reference (same ABI) in C++.
pub type REFIID = *const GUID;
pub type REFCLSID = *const GUID;
/// A handle from `GlobalAlloc` (`src/com/hglobal.rs`).
pub type HGLOBAL = *mut c_void;
/// A handle from `LocalAlloc` (the same registry as `HGLOBAL` elsewhere than Windows).
pub type HLOCAL = *mut c_void;
pub type PSECURITY_DESCRIPTOR = *mut c_void;
pub type UINT = u32;
pub type SIZE_T = usize;
/// `SNB`: a NULL-terminated array of element names.
pub type SNB = *mut *mut WCHAR;

// Layouts from `spec/mapi-abi.md` §4.1 and §5.5 (x86-64 and 32-bit alike where stated).
const P: usize = size_of::<usize>();
const _: () = {
    assert!(size_of::<GUID>() == 16);
    assert!(size_of::<SPropValue>() == 8 + 2 * P);
    assert!(offset_of!(SPropValue, Value) == 8);
    assert!(size_of::<SBinary>() == 2 * P);
    assert!(size_of::<SRow>() == 8 + P);
    assert!(offset_of!(SRowSet, aRow) == P);
    assert!(size_of::<MAPINAMEID>() == 3 * P);
    assert!(offset_of!(MAPINAMEID, Kind) == 2 * P);
    assert!(size_of::<SRestriction>() == 4 * P);
    assert!(offset_of!(SRestriction, res) == P);
    assert!(offset_of!(MAPIERROR, ulLowLevelError) == 3 * P);
    assert!(size_of::<SPropProblem>() == 12);
    assert!(offset_of!(SSortOrderSet, aSort) == 12);
    assert!(offset_of!(STATSTG, cbSize) == 2 * P);
    assert!(offset_of!(STATSTG, clsid) == 40 + 2 * P);
    assert!(size_of::<STATSTG>() == 64 + 2 * P);
};
