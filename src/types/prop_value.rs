//! Property tags and values as owned Rust data.
#![forbid(unsafe_code)]

use crate::consts::*;

pub fn prop_type(tag: u32) -> u32 {
    tag & PROP_TYPE_MASK
}

pub fn prop_id(tag: u32) -> u16 {
    (tag >> 16) as u16
}

pub fn prop_tag(ty: u32, id: u16) -> u32 {
    (u32::from(id) << 16) | ty
}

pub fn change_type(tag: u32, ty: u32) -> u32 {
    (tag & 0xFFFF_0000) | ty
}

/// A GUID as its 16 bytes in memory order (little-endian Data1..Data3), which is also how
/// `.msg` files store it.
pub type Guid = [u8; 16];

/// One property value. Strings keep their exact stored form: `String8` the bytes in the
/// message's code page, `Unicode` the UTF-16 code units (unpaired surrogates included).
#[derive(Clone, Debug, PartialEq)]
pub enum PropValue {
    Null,
    I2(i16),
    Long(i32),
    R4(f32),
    Double(f64),
    Currency(i64),
    AppTime(f64),
    Error(i32),
    Boolean(bool),
    I8(i64),
    String8(Vec<u8>),
    Unicode(Vec<u16>),
    SysTime(u64),
    Clsid(Guid),
    Binary(Vec<u8>),
    MvI2(Vec<i16>),
    MvLong(Vec<i32>),
    MvR4(Vec<f32>),
    MvDouble(Vec<f64>),
    MvCurrency(Vec<i64>),
    MvAppTime(Vec<f64>),
    MvSysTime(Vec<u64>),
    MvClsid(Vec<Guid>),
    MvI8(Vec<i64>),
    MvBinary(Vec<Vec<u8>>),
    MvString8(Vec<Vec<u8>>),
    MvUnicode(Vec<Vec<u16>>),
    Object,
}

impl PropValue {
    /// The `PT_*` type of this value.
    pub fn prop_type(&self) -> u32 {
        use PropValue::*;
        match self {
            Null => PT_NULL,
            I2(_) => PT_I2,
            Long(_) => PT_LONG,
            R4(_) => PT_R4,
            Double(_) => PT_DOUBLE,
            Currency(_) => PT_CURRENCY,
            AppTime(_) => PT_APPTIME,
            Error(_) => PT_ERROR,
            Boolean(_) => PT_BOOLEAN,
            I8(_) => PT_I8,
            String8(_) => PT_STRING8,
            Unicode(_) => PT_UNICODE,
            SysTime(_) => PT_SYSTIME,
            Clsid(_) => PT_CLSID,
            Binary(_) => PT_BINARY,
            MvI2(_) => PT_MV_I2,
            MvLong(_) => PT_MV_LONG,
            MvR4(_) => PT_MV_R4,
            MvDouble(_) => PT_MV_DOUBLE,
            MvCurrency(_) => PT_MV_CURRENCY,
            MvAppTime(_) => PT_MV_APPTIME,
            MvSysTime(_) => PT_MV_SYSTIME,
            MvClsid(_) => PT_MV_CLSID,
            MvI8(_) => PT_MV_I8,
            MvBinary(_) => PT_MV_BINARY,
            MvString8(_) => PT_MV_STRING8,
            MvUnicode(_) => PT_MV_UNICODE,
            Object => PT_OBJECT,
        }
    }

    /// Number of values of a multi-valued property; `None` for single values.
    pub fn mv_count(&self) -> Option<usize> {
        use PropValue::*;
        Some(match self {
            MvI2(v) => v.len(),
            MvLong(v) => v.len(),
            MvR4(v) => v.len(),
            MvDouble(v) | MvAppTime(v) => v.len(),
            MvCurrency(v) | MvI8(v) => v.len(),
            MvSysTime(v) => v.len(),
            MvClsid(v) => v.len(),
            MvBinary(v) | MvString8(v) => v.len(),
            MvUnicode(v) => v.len(),
            _ => return None,
        })
    }

    /// Bytes this value occupies when copied out to a caller (used for size limits).
    pub fn byte_size(&self) -> u64 {
        use PropValue::*;
        match self {
            String8(v) | Binary(v) => v.len() as u64,
            Unicode(v) => 2 * v.len() as u64,
            MvBinary(v) | MvString8(v) => v.iter().map(|x| x.len() as u64 + 8).sum(),
            MvUnicode(v) => v.iter().map(|x| 2 * x.len() as u64 + 8).sum(),
            other => other.mv_count().map_or(8, |n| 16 * n as u64),
        }
    }
}

/// Whether values of this type live in a stream of their own in a `.msg` file.
pub fn is_stream_type(ty: u32) -> bool {
    matches!(
        ty,
        PT_STRING8 | PT_UNICODE | PT_BINARY | PT_CLSID | PT_OBJECT
    ) || ty & MV_FLAG != 0
}

/// Whether `ty` is a property type a `.msg` file can hold.
pub fn is_known_type(ty: u32) -> bool {
    matches!(
        ty,
        PT_I2
            | PT_LONG
            | PT_R4
            | PT_DOUBLE
            | PT_CURRENCY
            | PT_APPTIME
            | PT_ERROR
            | PT_BOOLEAN
            | PT_OBJECT
            | PT_I8
            | PT_STRING8
            | PT_UNICODE
            | PT_SYSTIME
            | PT_CLSID
            | PT_BINARY
            | PT_MV_I2
            | PT_MV_LONG
            | PT_MV_R4
            | PT_MV_DOUBLE
            | PT_MV_CURRENCY
            | PT_MV_APPTIME
            | PT_MV_SYSTIME
            | PT_MV_CLSID
            | PT_MV_I8
            | PT_MV_BINARY
            | PT_MV_STRING8
            | PT_MV_UNICODE
    )
}

/// Commonly used property tags (`spec/mapi-abi.md` §6).
pub mod tags {
    use crate::consts::*;
    pub const PR_MESSAGE_CLASS_W: u32 = 0x001A_0000 | PT_UNICODE;
    pub const PR_SUBJECT_W: u32 = 0x0037_0000 | PT_UNICODE;
    pub const PR_BODY_W: u32 = 0x1000_0000 | PT_UNICODE;
    pub const PR_MESSAGE_FLAGS: u32 = 0x0E07_0000 | PT_LONG;
    pub const PR_MESSAGE_SIZE: u32 = 0x0E08_0000 | PT_LONG;
    pub const PR_HASATTACH: u32 = 0x0E1B_0000 | PT_BOOLEAN;
    pub const PR_MESSAGE_RECIPIENTS: u32 = 0x0E12_0000 | PT_OBJECT;
    pub const PR_MESSAGE_ATTACHMENTS: u32 = 0x0E13_0000 | PT_OBJECT;
    pub const PR_DISPLAY_BCC_W: u32 = 0x0E02_0000 | PT_UNICODE;
    pub const PR_DISPLAY_CC_W: u32 = 0x0E03_0000 | PT_UNICODE;
    pub const PR_DISPLAY_TO_W: u32 = 0x0E04_0000 | PT_UNICODE;
    pub const PR_ACCESS: u32 = 0x0FF4_0000 | PT_LONG;
    pub const PR_INSTANCE_KEY: u32 = 0x0FF6_0000 | PT_BINARY;
    pub const PR_ACCESS_LEVEL: u32 = 0x0FF7_0000 | PT_LONG;
    pub const PR_RECORD_KEY: u32 = 0x0FF9_0000 | PT_BINARY;
    pub const PR_OBJECT_TYPE: u32 = 0x0FFE_0000 | PT_LONG;
    pub const PR_ENTRYID: u32 = 0x0FFF_0000 | PT_BINARY;
    pub const PR_ROWID: u32 = 0x3000_0000 | PT_LONG;
    pub const PR_DISPLAY_NAME_W: u32 = 0x3001_0000 | PT_UNICODE;
    pub const PR_ADDRTYPE_W: u32 = 0x3002_0000 | PT_UNICODE;
    pub const PR_EMAIL_ADDRESS_W: u32 = 0x3003_0000 | PT_UNICODE;
    pub const PR_CREATION_TIME: u32 = 0x3007_0000 | PT_SYSTIME;
    pub const PR_LAST_MODIFICATION_TIME: u32 = 0x3008_0000 | PT_SYSTIME;
    pub const PR_STORE_SUPPORT_MASK: u32 = 0x340D_0000 | PT_LONG;
    pub const PR_RECIPIENT_TYPE: u32 = 0x0C15_0000 | PT_LONG;
    pub const PR_ATTACH_SIZE: u32 = 0x0E20_0000 | PT_LONG;
    pub const PR_ATTACH_NUM: u32 = 0x0E21_0000 | PT_LONG;
    pub const PR_ATTACH_DATA_BIN: u32 = 0x3701_0000 | PT_BINARY;
    pub const PR_ATTACH_DATA_OBJ: u32 = 0x3701_0000 | PT_OBJECT;
    pub const PR_ATTACH_METHOD: u32 = 0x3705_0000 | PT_LONG;
    pub const PR_RENDERING_POSITION: u32 = 0x370B_0000 | PT_LONG;
    pub const PR_DISPLAY_TYPE: u32 = 0x3900_0000 | PT_LONG;
    pub const PR_MESSAGE_CODEPAGE: u32 = 0x3FFD_0000 | PT_LONG;
    pub const PR_INTERNET_CPID: u32 = 0x3FDE_0000 | PT_LONG;
    pub const PR_MESSAGE_LOCALE_ID: u32 = 0x3FF1_0000 | PT_LONG;
}
