//! Answering property calls on any object: computed properties, string widths, and the
//! `GetProps` answer for one tag.
#![forbid(unsafe_code)]

use super::bag::{DEFAULT_FLAGS, PropBag, Slot};
use crate::codec::values;
use crate::consts::*;
use crate::error::{ErrorKind, Result, err};
use crate::storage::Blob;
use crate::types::codepage;
use crate::types::prop_value::{PropValue, change_type, prop_id, prop_type, tags::*};

/// `GetProps` returns string and binary values up to this size; larger ones come back as
/// `MAPI_E_NOT_ENOUGH_MEMORY` and are read with `OpenProperty(..., IID_IStream)`.
pub const GETPROPS_LIMIT: u64 = 1024 * 1024;

/// Conversions between string widths of a streamed property are done in memory up to this.
pub const CONVERT_LIMIT: u64 = 64 * 1024 * 1024;

/// One property in a `GetProps` answer.
#[derive(Clone, Debug, PartialEq)]
pub enum PropOut {
    Value(u32, PropValue),
    Error(u32, ErrorKind),
}

/// One entry of a problem array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub index: u32,
    pub tag: u32,
    pub kind: ErrorKind,
}

/// `PR_STORE_SUPPORT_MASK` as Outlook writes it for Unicode messages.
const UNICODE_SUPPORT_MASK: u32 = 0x0004_0E79;

pub(crate) fn support_mask(unicode: bool) -> u32 {
    if unicode {
        UNICODE_SUPPORT_MASK
    } else {
        UNICODE_SUPPORT_MASK & !STORE_UNICODE_OK
    }
}

/// What kind of object a property call is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjKind {
    Message,
    Attachment,
}

impl ObjKind {
    /// The object's name in error messages.
    pub fn name(self) -> &'static str {
        match self {
            ObjKind::Message => "message",
            ObjKind::Attachment => "attachment",
        }
    }
}

/// A property computed from the object's state rather than stored.
#[derive(Clone, Debug)]
pub(crate) struct Computed {
    pub tag: u32,
    pub value: PropValue,
    pub flags: u32,
    /// Replaces a stored value of the same id (otherwise only fills in when absent).
    pub overrides: bool,
}

impl Computed {
    /// A read-only value that always wins over a stored one.
    pub fn fixed(tag: u32, value: PropValue) -> Computed {
        Computed {
            tag,
            value,
            flags: PROPATTR_READABLE,
            overrides: true,
        }
    }

    /// A value given when the object stores none.
    pub fn default(tag: u32, value: PropValue, flags: u32) -> Computed {
        Computed {
            tag,
            value,
            flags,
            overrides: false,
        }
    }
}

/// `PR_ACCESS` and `PR_ACCESS_LEVEL` of an object opened with or without write access.
pub(crate) fn access_props(writable: bool) -> [Computed; 2] {
    let access = if writable {
        MAPI_ACCESS_MODIFY | MAPI_ACCESS_READ | MAPI_ACCESS_DELETE
    } else {
        MAPI_ACCESS_READ
    };
    [
        Computed::fixed(PR_ACCESS, PropValue::Long(access as i32)),
        Computed::fixed(PR_ACCESS_LEVEL, PropValue::Long(i32::from(writable))),
    ]
}

/// Properties a caller may not set or delete on this kind of object.
pub(crate) fn is_computed(kind: ObjKind, tag: u32) -> bool {
    let common = [
        PR_OBJECT_TYPE,
        PR_ACCESS,
        PR_ACCESS_LEVEL,
        PR_STORE_SUPPORT_MASK,
    ];
    let id = prop_id(tag);
    let hit = |list: &[u32]| list.iter().any(|&t| prop_id(t) == id);
    hit(&common)
        || match kind {
            ObjKind::Message => hit(&[PR_HASATTACH, PR_MESSAGE_RECIPIENTS, PR_MESSAGE_ATTACHMENTS]),
            ObjKind::Attachment => hit(&[PR_ATTACH_NUM, PR_ATTACH_SIZE]),
        }
}

/// Bits of `PR_MESSAGE_FLAGS` the library computes; a caller's value keeps the others.
pub(crate) fn message_flags_on_set(old: Option<i32>, value: PropValue) -> PropValue {
    match value {
        PropValue::Long(v) => {
            let old = old.unwrap_or(0) as u32;
            let computed = MSGFLAG_HASATTACH;
            PropValue::Long(((v as u32 & !computed) | (old & computed)) as i32)
        }
        other => other,
    }
}

/// The default `PR_MESSAGE_FLAGS` of a message nobody set them on.
pub(crate) fn default_message_flags() -> Computed {
    Computed::default(
        PR_MESSAGE_FLAGS,
        PropValue::Long(MSGFLAG_UNSENT as i32),
        DEFAULT_FLAGS,
    )
}

// ===== answering GetProps =====

/// The type a `PT_UNSPECIFIED`-style request gets for a stored type: strings follow the
/// caller's `MAPI_UNICODE`.
pub(crate) fn adjust_width(ty: u32, unicode: bool) -> u32 {
    if !is_string(ty) {
        return ty;
    }
    let base = if unicode { PT_UNICODE } else { PT_STRING8 };
    base | (ty & MV_FLAG)
}

/// `value` converted to `ty` as the answer for `tag`: the value, or the `PT_ERROR` a caller
/// gets when it cannot be converted or is over the `GetProps` limit.
pub(crate) fn value_out(tag: u32, value: &PropValue, ty: u32, cp: u32) -> PropOut {
    match convert_value(value.clone(), ty, cp) {
        Ok(v) if v.byte_size() > GETPROPS_LIMIT => {
            PropOut::Error(change_type(tag, PT_ERROR), ErrorKind::NotEnoughMemory)
        }
        Ok(v) => PropOut::Value(change_type(tag, v.prop_type()), v),
        Err(e) => PropOut::Error(change_type(tag, PT_ERROR), e.kind),
    }
}

/// For `GetProps(NULL)`: the request that leaves the type open.
pub(crate) fn open_width(tag: u32, unicode: bool) -> u32 {
    change_type(tag, adjust_width(prop_type(tag), unicode))
}

pub(crate) fn get_one(
    bag: &PropBag,
    computed: &[Computed],
    tag: u32,
    unicode: bool,
    cp: u32,
) -> PropOut {
    let id = prop_id(tag);
    let want = prop_type(tag);
    let error = |kind| PropOut::Error(change_type(tag, PT_ERROR), kind);
    let matches = |have: u32| {
        want == PT_UNSPECIFIED
            || want == have
            || (is_string(want) && is_string(have) && (want & MV_FLAG) == (have & MV_FLAG))
    };
    let answer = |have_tag: u32, value: &PropValue| -> PropOut {
        if !matches(prop_type(have_tag)) {
            return error(ErrorKind::NotFound);
        }
        let out_ty = if want == PT_UNSPECIFIED {
            adjust_width(prop_type(have_tag), unicode)
        } else {
            want
        };
        value_out(tag, value, out_ty, cp)
    };
    if let Some(c) = computed
        .iter()
        .find(|c| prop_id(c.tag) == id && c.overrides)
    {
        return answer(c.tag, &c.value);
    }
    match bag.get(id) {
        Some(e) => match &e.slot {
            Slot::Value(v) => answer(e.tag, v),
            Slot::Large(blob) => {
                if !matches(prop_type(e.tag)) {
                    return error(ErrorKind::NotFound);
                }
                let factor = if is_string(want) && want != prop_type(e.tag) {
                    2
                } else {
                    1
                };
                if blob.len().saturating_mul(factor) > GETPROPS_LIMIT {
                    return error(ErrorKind::NotEnoughMemory);
                }
                match blob.to_vec() {
                    Ok(bytes) => {
                        let value = values::decode_single(prop_type(e.tag), &bytes)
                            .expect("string or binary");
                        answer(e.tag, &value)
                    }
                    Err(err) => error(err.kind),
                }
            }
            // Objects are opened with OpenProperty; GetProps only shows they are there.
            Slot::Object { .. } => answer(e.tag, &PropValue::Object),
        },
        None => match computed.iter().find(|c| prop_id(c.tag) == id) {
            Some(c) => answer(c.tag, &c.value),
            None => error(ErrorKind::NotFound),
        },
    }
}

pub(crate) fn is_string(ty: u32) -> bool {
    matches!(ty & !MV_FLAG, PT_STRING8 | PT_UNICODE)
}

/// Converts a string value (single or multi-valued) to the type `ty`; other values pass.
pub(crate) fn convert_value(value: PropValue, ty: u32, cp: u32) -> Result<PropValue> {
    use PropValue::*;
    Ok(match (value, ty) {
        (String8(s), PT_UNICODE) => Unicode(codepage::decode(cp, &s)?),
        (Unicode(s), PT_STRING8) => String8(codepage::encode(cp, &s)?),
        (MvString8(v), PT_MV_UNICODE) => MvUnicode(
            v.iter()
                .map(|s| codepage::decode(cp, s))
                .collect::<Result<_>>()?,
        ),
        (MvUnicode(v), PT_MV_STRING8) => MvString8(
            v.iter()
                .map(|s| codepage::encode(cp, s))
                .collect::<Result<_>>()?,
        ),
        (v, _) => v,
    })
}

/// Converts a value a caller sets to the message's string width.
pub(crate) fn to_width(
    tag: u32,
    value: PropValue,
    unicode: bool,
    cp: u32,
) -> Result<(u32, PropValue)> {
    if value.prop_type() != prop_type(tag) {
        return err(
            ErrorKind::InvalidType,
            format!("value does not match type of tag 0x{tag:08X}"),
        );
    }
    let ty = adjust_width(prop_type(tag), unicode);
    let value = convert_value(value, ty, cp)?;
    Ok((change_type(tag, ty), value))
}

/// The stream bytes of a string or binary value (strings without terminator).
pub(crate) fn value_bytes(value: &PropValue) -> Vec<u8> {
    match value {
        PropValue::String8(s) | PropValue::Binary(s) => s.clone(),
        PropValue::Unicode(s) => values::utf16_to_bytes(s),
        _ => Vec::new(),
    }
}

pub(crate) fn stream_compatible(have: u32, want: u32) -> bool {
    have == want || (is_string(have) && is_string(want) && have & MV_FLAG == 0)
}

/// Converts stream content between string widths (in memory, up to [`CONVERT_LIMIT`]).
pub(crate) fn convert_stream(content: Blob, from: u32, to: u32, cp: u32) -> Result<Blob> {
    if from == to || !is_string(from) || !is_string(to) {
        return Ok(content);
    }
    if content.len() > CONVERT_LIMIT {
        return err(
            ErrorKind::NotEnoughMemory,
            "string too large to convert between widths",
        );
    }
    let bytes = content.to_vec()?;
    let value = values::decode_single(from, &bytes).expect("string type");
    let converted = convert_value(value, to, cp)?;
    Ok(Blob::from_vec(value_bytes(&converted)))
}

/// Defaults of an attachment's own properties when the attachment does not store them.
pub(crate) fn attach_defaults(unicode: bool) -> [Computed; 3] {
    let mrw = PROPATTR_MANDATORY | PROPATTR_READABLE | PROPATTR_WRITEABLE;
    [
        Computed::default(PR_ATTACH_METHOD, PropValue::Long(NO_ATTACHMENT as i32), mrw),
        Computed::default(PR_RENDERING_POSITION, PropValue::Long(-1), mrw),
        Computed::default(
            PR_STORE_SUPPORT_MASK,
            PropValue::Long(support_mask(unicode) as i32),
            PROPATTR_READABLE,
        ),
    ]
}

/// `PR_ATTACH_SIZE`: the bytes of the attachment's property values, its data included
/// (an embedded message still in the storage is not counted).
pub(crate) fn attach_size(props: &PropBag) -> u64 {
    props
        .iter()
        .map(|e| match &e.slot {
            Slot::Value(v) => v.byte_size(),
            Slot::Large(blob) => blob.len(),
            Slot::Object { .. } => 0,
        })
        .sum::<u64>()
        .min(i32::MAX as u64)
}
