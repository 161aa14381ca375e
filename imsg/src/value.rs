//! Property values as `imsg` holds them, and their conversion from and to the C
//! `SPropValue` the library's API takes and returns.

use std::ffi::c_char;

use imessage::com::types::{FILETIME, GUID, MvArray, PV, SBinary, SPropValue};
use imessage::consts::*;

/// One property value, owned.
#[derive(Clone, Debug, PartialEq)]
pub enum PVal {
    I2(i16),
    I4(i32),
    R4(f32),
    R8(f64),
    Cur(i64),
    AppTime(f64),
    /// `PT_ERROR`: the property's value is this SCODE (also how `GetProps` reports a
    /// property it cannot give).
    Error(i32),
    Bool(bool),
    I8(i64),
    Str8(Vec<u8>),
    Uni(Vec<u16>),
    Time(u64),
    Guid([u8; 16]),
    Bin(Vec<u8>),
    Object,
    Null,
    MvI2(Vec<i16>),
    MvI4(Vec<i32>),
    MvR4(Vec<f32>),
    MvR8(Vec<f64>),
    MvCur(Vec<i64>),
    MvAppTime(Vec<f64>),
    MvTime(Vec<u64>),
    MvGuid(Vec<[u8; 16]>),
    MvI8(Vec<i64>),
    MvStr8(Vec<Vec<u8>>),
    MvUni(Vec<Vec<u16>>),
    MvBin(Vec<Vec<u8>>),
}

pub fn prop_type(tag: u32) -> u32 {
    tag & 0xFFFF
}

pub fn prop_id(tag: u32) -> u32 {
    tag >> 16
}

pub fn with_type(tag: u32, ty: u32) -> u32 {
    (tag & 0xFFFF_0000) | ty
}

/// Copies a NUL-terminated 8-bit string.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn cstr(p: *const c_char) -> Vec<u8> {
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: forwarded.
    unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().to_vec()
}

/// Copies a NUL-terminated UTF-16 string.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn wstr(p: *const u16) -> Vec<u16> {
    let mut out = Vec::new();
    if p.is_null() {
        return out;
    }
    let mut i = 0;
    loop {
        // SAFETY: every unit up to the terminator is readable.
        let u = unsafe { *p.add(i) };
        if u == 0 {
            return out;
        }
        out.push(u);
        i += 1;
    }
}

/// # Safety
/// `a` holds `cValues` readable elements (or `lp` is NULL).
unsafe fn mv<T: Copy>(a: MvArray<T>) -> Vec<T> {
    if a.lp.is_null() {
        return Vec::new();
    }
    // SAFETY: forwarded.
    unsafe { std::slice::from_raw_parts(a.lp, a.cValues as usize) }.to_vec()
}

/// # Safety
/// `b` holds `cb` readable bytes (or `lpb` is NULL).
unsafe fn bin(b: SBinary) -> Vec<u8> {
    if b.lpb.is_null() {
        return Vec::new();
    }
    // SAFETY: forwarded.
    unsafe { std::slice::from_raw_parts(b.lpb, b.cb as usize) }.to_vec()
}

/// Copies a value the library returned.
///
/// # Safety
/// `v` is a valid `SPropValue` whose pointers (per its type) are valid.
pub unsafe fn read_value(v: &SPropValue) -> (u32, PVal) {
    let tag = v.ulPropTag;
    let u = &v.Value;
    // SAFETY: the member read is the one the tag's type selects; pointers are valid per
    // the caller.
    let value = unsafe {
        match prop_type(tag) {
            PT_I2 => PVal::I2(u.i),
            PT_LONG => PVal::I4(u.l),
            PT_R4 => PVal::R4(u.flt),
            PT_DOUBLE => PVal::R8(u.dbl),
            PT_CURRENCY => PVal::Cur(u.cur),
            PT_APPTIME => PVal::AppTime(u.at),
            PT_ERROR => PVal::Error(u.err),
            PT_BOOLEAN => PVal::Bool(u.b != 0),
            PT_OBJECT => PVal::Object,
            PT_I8 => PVal::I8(u.li),
            PT_STRING8 => PVal::Str8(cstr(u.lpszA)),
            PT_UNICODE => PVal::Uni(wstr(u.lpszW)),
            PT_SYSTIME => PVal::Time(u.ft.to_u64()),
            PT_CLSID => {
                if u.lpguid.is_null() {
                    PVal::Null
                } else {
                    PVal::Guid((*u.lpguid).to_bytes())
                }
            }
            PT_BINARY => PVal::Bin(bin(u.bin)),
            PT_MV_I2 => PVal::MvI2(mv(u.MVi)),
            PT_MV_LONG => PVal::MvI4(mv(u.MVl)),
            PT_MV_R4 => PVal::MvR4(mv(u.MVflt)),
            PT_MV_DOUBLE => PVal::MvR8(mv(u.MVdbl)),
            PT_MV_CURRENCY => PVal::MvCur(mv(u.MVcur)),
            PT_MV_APPTIME => PVal::MvAppTime(mv(u.MVat)),
            PT_MV_SYSTIME => PVal::MvTime(mv(u.MVft).into_iter().map(|f| f.to_u64()).collect()),
            PT_MV_CLSID => PVal::MvGuid(mv(u.MVguid).into_iter().map(|g| g.to_bytes()).collect()),
            PT_MV_I8 => PVal::MvI8(mv(u.MVli)),
            PT_MV_STRING8 => PVal::MvStr8(mv(u.MVszA).into_iter().map(|p| cstr(p)).collect()),
            PT_MV_UNICODE => PVal::MvUni(mv(u.MVszW).into_iter().map(|p| wstr(p)).collect()),
            PT_MV_BINARY => PVal::MvBin(mv(u.MVbin).into_iter().map(|b| bin(b)).collect()),
            _ => PVal::Null,
        }
    };
    (tag, value)
}

/// Owns the memory `SPropValue`s built by [`Marshal::value`] point to; keep it alive
/// for as long as the library may read them (the call).
#[derive(Default)]
pub struct Marshal {
    bytes: Vec<Vec<u8>>,
    units: Vec<Vec<u16>>,
    guids: Vec<Vec<GUID>>,
    bins: Vec<Vec<SBinary>>,
    strs8: Vec<Vec<*mut c_char>>,
    strsw: Vec<Vec<*mut u16>>,
    i2: Vec<Vec<i16>>,
    i4: Vec<Vec<i32>>,
    r4: Vec<Vec<f32>>,
    r8: Vec<Vec<f64>>,
    i8: Vec<Vec<i64>>,
    ft: Vec<Vec<FILETIME>>,
}

/// Moves `v` into `keep` and returns a pointer to its (stable) heap buffer.
fn hold<T>(keep: &mut Vec<Vec<T>>, v: Vec<T>) -> (*mut T, u32) {
    let n = v.len() as u32;
    keep.push(v);
    let last = keep.last_mut().expect("just pushed");
    (last.as_mut_ptr(), n)
}

fn hold_mv<T>(keep: &mut Vec<Vec<T>>, v: Vec<T>) -> MvArray<T> {
    let (lp, n) = hold(keep, v);
    MvArray { cValues: n, lp }
}

impl Marshal {
    fn str8(&mut self, s: &[u8]) -> *mut c_char {
        hold(&mut self.bytes, crate::api::terminated(s)).0.cast()
    }

    fn strw(&mut self, s: &[u16]) -> *mut u16 {
        hold(&mut self.units, crate::api::terminated(s)).0
    }

    fn binary(&mut self, b: &[u8]) -> SBinary {
        let (lpb, cb) = hold(&mut self.bytes, b.to_vec());
        SBinary { cb, lpb }
    }

    /// An `SPropValue` for (tag, value); the tag's type is the value's.
    pub fn value(&mut self, tag: u32, v: &PVal) -> SPropValue {
        let pv = match v {
            PVal::I2(x) => PV { i: *x },
            PVal::I4(x) => PV { l: *x },
            PVal::R4(x) => PV { flt: *x },
            PVal::R8(x) => PV { dbl: *x },
            PVal::Cur(x) => PV { cur: *x },
            PVal::AppTime(x) => PV { at: *x },
            PVal::Error(x) => PV { err: *x },
            PVal::Bool(x) => PV { b: u16::from(*x) },
            PVal::I8(x) => PV { li: *x },
            PVal::Time(x) => PV {
                ft: FILETIME::from_u64(*x),
            },
            PVal::Str8(s) => PV {
                lpszA: self.str8(s),
            },
            PVal::Uni(s) => PV {
                lpszW: self.strw(s),
            },
            PVal::Guid(g) => {
                let (p, _) = hold(&mut self.guids, vec![GUID::from_bytes(*g)]);
                PV { lpguid: p }
            }
            PVal::Bin(b) => PV {
                bin: self.binary(b),
            },
            PVal::Object | PVal::Null => PV { l: 0 },
            PVal::MvI2(x) => PV {
                MVi: hold_mv(&mut self.i2, x.clone()),
            },
            PVal::MvI4(x) => PV {
                MVl: hold_mv(&mut self.i4, x.clone()),
            },
            PVal::MvR4(x) => PV {
                MVflt: hold_mv(&mut self.r4, x.clone()),
            },
            PVal::MvR8(x) | PVal::MvAppTime(x) => PV {
                MVdbl: hold_mv(&mut self.r8, x.clone()),
            },
            PVal::MvCur(x) | PVal::MvI8(x) => PV {
                MVli: hold_mv(&mut self.i8, x.clone()),
            },
            PVal::MvTime(x) => {
                let fts = x.iter().map(|&t| FILETIME::from_u64(t)).collect();
                PV {
                    MVft: hold_mv(&mut self.ft, fts),
                }
            }
            PVal::MvGuid(x) => {
                let gs = x.iter().map(|&g| GUID::from_bytes(g)).collect();
                PV {
                    MVguid: hold_mv(&mut self.guids, gs),
                }
            }
            PVal::MvStr8(x) => {
                let ps: Vec<*mut c_char> = x.iter().map(|s| self.str8(s)).collect();
                PV {
                    MVszA: hold_mv(&mut self.strs8, ps),
                }
            }
            PVal::MvUni(x) => {
                let ps: Vec<*mut u16> = x.iter().map(|s| self.strw(s)).collect();
                PV {
                    MVszW: hold_mv(&mut self.strsw, ps),
                }
            }
            PVal::MvBin(x) => {
                let bs: Vec<SBinary> = x.iter().map(|b| self.binary(b)).collect();
                PV {
                    MVbin: hold_mv(&mut self.bins, bs),
                }
            }
        };
        SPropValue {
            ulPropTag: tag,
            dwAlignPad: 0,
            Value: pv,
        }
    }
}
