//! The legacy TNEF attributes and the MAPI properties they stand for
//! (`spec/bodies-and-tnef.md` §5; [DOCS mapping-of-tnef-attributes-to-mapi-properties],
//! [MS-OXTNEF] 2.1.3.3), both ways, and the choice of attributes per encoding mode.
//!
//! Decisions where the sources leave room:
//! - `attPriority` maps to `PR_IMPORTANCE` (1 high → 2, 2 normal → 1, 3 low → 0), not to
//!   `PR_PRIORITY` as one MAPI page says: [MS-OXPROPS] lists [MS-OXTNEF] among the
//!   consumers of `PidTagImportance` and not of `PidTagPriority`, the SDK's `tnef.h`
//!   comments `attPriority` as `PR_IMPORTANCE`, [MS-OXTNEF] 3.1 shows 2 as "normal", and
//!   Outlook's own streams (the samples of `tests/tnef-setup.sh`) carry
//!   `PR_IMPORTANCE` = 1 beside `attPriority` = 2.
//! - DTR dates are taken as UTC both ways. A DTR carries the writer's local time and no
//!   zone: in the samples it differs from the encapsulated `PR_CLIENT_SUBMIT_TIME` by whole
//!   hours (from −5 to +10, and 0 in some), so no rule recovers UTC; the encapsulated
//!   value, when there is one, wins. Sub-second precision is lost, so best-data mode
//!   encapsulates the exact time as well.
//! - 8-bit strings stay in the stream's code page (`String8` bytes); the caller converts
//!   them with [`super::tnef::Tnef::decode_text`] or its own page.
#![forbid(unsafe_code)]

use super::tnef::{
    Attachment, Attribute, IID_ISTREAM, LVL_ATTACHMENT, LVL_MESSAGE, Object, ObjectData, Prop,
    TNEF_VERSION, Tnef, Value, att,
};
use super::tnef_formats::*;
pub use super::tnef_formats::{dtr_to_filetime, filetime_to_dtr, one_off_entry_id};
use crate::consts::*;
use crate::model::prop::{PropValue, prop_id, prop_type};

/// The property tags this mapping uses (8-bit strings: the stream's form).
pub mod tag {
    pub const PR_CONVERSATION_KEY: u32 = 0x000B_0102;
    pub const PR_IMPORTANCE: u32 = 0x0017_0003;
    pub const PR_MESSAGE_CLASS: u32 = 0x001A_001E;
    pub const PR_PARENT_KEY: u32 = 0x0025_0102;
    pub const PR_SUBJECT: u32 = 0x0037_001E;
    pub const PR_CLIENT_SUBMIT_TIME: u32 = 0x0039_0040;
    pub const PR_SENT_REPRESENTING_ENTRYID: u32 = 0x0041_0102;
    pub const PR_SENT_REPRESENTING_NAME: u32 = 0x0042_001E;
    pub const PR_RCVD_REPRESENTING_ENTRYID: u32 = 0x0043_0102;
    pub const PR_RCVD_REPRESENTING_NAME: u32 = 0x0044_001E;
    pub const PR_ORIG_MESSAGE_CLASS: u32 = 0x004B_001E;
    pub const PR_START_DATE: u32 = 0x0060_0040;
    pub const PR_END_DATE: u32 = 0x0061_0040;
    pub const PR_OWNER_APPT_ID: u32 = 0x0062_0003;
    pub const PR_RESPONSE_REQUESTED: u32 = 0x0063_000B;
    pub const PR_SENT_REPRESENTING_ADDRTYPE: u32 = 0x0064_001E;
    pub const PR_SENT_REPRESENTING_EMAIL_ADDRESS: u32 = 0x0065_001E;
    pub const PR_RCVD_REPRESENTING_ADDRTYPE: u32 = 0x0077_001E;
    pub const PR_RCVD_REPRESENTING_EMAIL_ADDRESS: u32 = 0x0078_001E;
    pub const PR_SENDER_ENTRYID: u32 = 0x0C19_0102;
    pub const PR_SENDER_NAME: u32 = 0x0C1A_001E;
    pub const PR_SENDER_ADDRTYPE: u32 = 0x0C1E_001E;
    pub const PR_SENDER_EMAIL_ADDRESS: u32 = 0x0C1F_001E;
    pub const PR_MESSAGE_DELIVERY_TIME: u32 = 0x0E06_0040;
    pub const PR_MESSAGE_FLAGS: u32 = 0x0E07_0003;
    pub const PR_BODY: u32 = 0x1000_001E;
    pub const PR_CREATION_TIME: u32 = 0x3007_0040;
    pub const PR_LAST_MODIFICATION_TIME: u32 = 0x3008_0040;
    pub const PR_SEARCH_KEY: u32 = 0x300B_0102;
    pub const PR_ATTACH_DATA_BIN: u32 = 0x3701_0102;
    pub const PR_ATTACH_DATA_OBJ: u32 = 0x3701_000D;
    pub const PR_ATTACH_FILENAME: u32 = 0x3704_001E;
    pub const PR_ATTACH_METHOD: u32 = 0x3705_0003;
    pub const PR_ATTACH_RENDERING: u32 = 0x3709_0102;
    pub const PR_RENDERING_POSITION: u32 = 0x370B_0003;
    pub const PR_ATTACH_TRANSPORT_NAME: u32 = 0x370C_001E;
    pub const PR_ATTACH_LONG_FILENAME: u32 = 0x3707_001E;
}
use tag::*;

const ATTACH_BY_VALUE: i32 = 1;
const ATTACH_EMBEDDED_MSG: i32 = 5;
const ATTACH_OLE: i32 = 6;
/// RENDDATA `atyp` values.
const ATYP_FILE: u16 = 1;
const ATYP_OLE: u16 = 2;
/// fms bits of `attMessageStatus`.
const FMS_MODIFIED: u8 = 0x01;
const FMS_LOCAL: u8 = 0x02;
const FMS_SUBMITTED: u8 = 0x04;
const FMS_READ: u8 = 0x20;
const FMS_HAS_ATTACH: u8 = 0x80;

/// The legacy message classes and the MAPI ones readers map them to ([MS-OXTNEF] 2.3.3.4).
const CLASS_RENAMES: [(&str, &str); 8] = [
    ("IPM.Microsoft Mail.Note", "IPM.Note"),
    ("IPM.Microsoft Mail.Read Receipt", "Report.IPM.Note.IPNRN"),
    ("IPM.Microsoft Mail.Non-Delivery", "Report.IPM.Note.NDR"),
    (
        "IPM.Microsoft Schedule.MtgReq",
        "IPM.Schedule.Meeting.Request",
    ),
    (
        "IPM.Microsoft Schedule.MtgRespP",
        "IPM.Schedule.Meeting.Resp.Pos",
    ),
    (
        "IPM.Microsoft Schedule.MtgRespN",
        "IPM.Schedule.Meeting.Resp.Neg",
    ),
    (
        "IPM.Microsoft Schedule.MtgRespA",
        "IPM.Schedule.Meeting.Resp.Tent",
    ),
    (
        "IPM.Microsoft Schedule.MtgCncl",
        "IPM.Schedule.Meeting.Canceled",
    ),
];
const MAIL_V3_PREFIX: &[u8] = b"Microsoft Mail v3.0 ";

/// A legacy message class as the MAPI class readers set.
pub fn class_from_legacy(raw: &[u8]) -> Vec<u8> {
    let s = strip_nuls(raw);
    let s = s.strip_prefix(MAIL_V3_PREFIX).unwrap_or(s);
    CLASS_RENAMES
        .iter()
        .find(|(legacy, _)| legacy.as_bytes() == s)
        .map_or_else(|| s.to_vec(), |(_, mapi)| mapi.as_bytes().to_vec())
}

/// A MAPI message class as the legacy class writers put in `attMessageClass`.
pub fn class_to_legacy(class: &[u8]) -> Vec<u8> {
    CLASS_RENAMES
        .iter()
        .find(|(_, mapi)| mapi.as_bytes() == class)
        .map_or_else(|| class.to_vec(), |(legacy, _)| legacy.as_bytes().to_vec())
}

/// "TYPE:address" split at its first colon (no colon: the whole is the address).
fn split_address(s: &[u8]) -> (&[u8], &[u8]) {
    match s.iter().position(|&c| c == b':') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (&[], s),
    }
}

/// The four properties of one address: entry id, name, type, address.
fn address_props(tags: [u32; 4], name: &[u8], addr: &[u8]) -> Vec<Prop> {
    let (ty, email) = split_address(addr);
    vec![
        Prop::new(
            tags[0],
            PropValue::Binary(one_off_entry_id(name, ty, email)),
        ),
        Prop::new(tags[1], PropValue::String8(name.to_vec())),
        Prop::new(tags[2], PropValue::String8(ty.to_vec())),
        Prop::new(tags[3], PropValue::String8(email.to_vec())),
    ]
}

const SENDER: [u32; 4] = [
    PR_SENDER_ENTRYID,
    PR_SENDER_NAME,
    PR_SENDER_ADDRTYPE,
    PR_SENDER_EMAIL_ADDRESS,
];
const SENT_REPRESENTING: [u32; 4] = [
    PR_SENT_REPRESENTING_ENTRYID,
    PR_SENT_REPRESENTING_NAME,
    PR_SENT_REPRESENTING_ADDRTYPE,
    PR_SENT_REPRESENTING_EMAIL_ADDRESS,
];
const RCVD_REPRESENTING: [u32; 4] = [
    PR_RCVD_REPRESENTING_ENTRYID,
    PR_RCVD_REPRESENTING_NAME,
    PR_RCVD_REPRESENTING_ADDRTYPE,
    PR_RCVD_REPRESENTING_EMAIL_ADDRESS,
];

fn string8(b: &[u8]) -> PropValue {
    PropValue::String8(strip_nuls(b).to_vec())
}

fn time(d: &[u8]) -> Option<PropValue> {
    dtr_to_filetime(d).map(PropValue::SysTime)
}

// ---- decoding: attributes → properties ----

/// The properties one message attribute stands for (none for attributes that are not
/// legacy mappings, or whose data does not parse). `class` is the message's MAPI class,
/// which decides whether `attOwner` names the sender or the receiver represented.
pub fn map_message_attribute(a: &Attribute, class: &[u8]) -> Vec<Prop> {
    let d = &a.data[..];
    let one = |tag, v: Option<PropValue>| v.map(|v| vec![Prop::new(tag, v)]).unwrap_or_default();
    match a.id {
        att::FROM => parse_trp(d).map_or_else(Vec::new, |(n, ad)| address_props(SENDER, n, ad)),
        att::SUBJECT => one(PR_SUBJECT, Some(string8(d))),
        att::DATE_SENT => one(PR_CLIENT_SUBMIT_TIME, time(d)),
        att::DATE_RECD => one(PR_MESSAGE_DELIVERY_TIME, time(d)),
        att::DATE_MODIFIED => one(PR_LAST_MODIFICATION_TIME, time(d)),
        att::DATE_START => one(PR_START_DATE, time(d)),
        att::DATE_END => one(PR_END_DATE, time(d)),
        att::MESSAGE_STATUS => one(
            PR_MESSAGE_FLAGS,
            d.first().map(|&f| PropValue::Long(flags_from_fms(f))),
        ),
        att::MESSAGE_CLASS => one(
            PR_MESSAGE_CLASS,
            Some(PropValue::String8(class_from_legacy(d))),
        ),
        att::ORIGINAL_MESSAGE_CLASS => one(
            PR_ORIG_MESSAGE_CLASS,
            Some(PropValue::String8(class_from_legacy(d))),
        ),
        att::MESSAGE_ID => one(PR_SEARCH_KEY, unhex(d).map(PropValue::Binary)),
        att::PARENT_ID => one(PR_PARENT_KEY, unhex(d).map(PropValue::Binary)),
        att::CONVERSATION_ID => one(PR_CONVERSATION_KEY, unhex(d).map(PropValue::Binary)),
        att::BODY => one(PR_BODY, Some(string8(d))),
        att::PRIORITY => one(
            PR_IMPORTANCE,
            u16_at(d, 0)
                .and_then(importance_from_priority)
                .map(PropValue::Long),
        ),
        att::AID_OWNER => one(
            PR_OWNER_APPT_ID,
            u32_at(d, 0).map(|v| PropValue::Long(v as i32)),
        ),
        att::REQUEST_RES => one(
            PR_RESPONSE_REQUESTED,
            u16_at(d, 0).map(|v| PropValue::Boolean(v != 0)),
        ),
        att::SENT_FOR => parse_counted_pair(d)
            .map_or_else(Vec::new, |(n, ad)| address_props(SENT_REPRESENTING, n, ad)),
        att::OWNER => {
            let tags = if class.starts_with(b"IPM.Schedule.Meeting.Resp.") {
                RCVD_REPRESENTING
            } else {
                SENT_REPRESENTING
            };
            parse_counted_pair(d).map_or_else(Vec::new, |(n, ad)| address_props(tags, n, ad))
        }
        // UNCONFIRMED: [DOCS] maps attDelegate to PR_RCVD_REPRESENTING_* without giving its
        // layout; it is taken as the entry id it carries.
        att::DELEGATE => one(
            PR_RCVD_REPRESENTING_ENTRYID,
            Some(PropValue::Binary(d.to_vec())),
        ),
        _ => Vec::new(),
    }
}

fn importance_from_priority(p: u16) -> Option<i32> {
    match p {
        1 => Some(2),
        2 => Some(1),
        3 => Some(0),
        _ => None,
    }
}

fn priority_from_importance(i: i32) -> u16 {
    match i {
        2.. => 1,
        1 => 2,
        _ => 3,
    }
}

fn flags_from_fms(f: u8) -> i32 {
    let mut v = 0;
    if f & FMS_READ != 0 {
        v |= MSGFLAG_READ;
    }
    if f & FMS_MODIFIED == 0 {
        v |= MSGFLAG_UNMODIFIED;
    }
    if f & FMS_SUBMITTED != 0 {
        v |= MSGFLAG_SUBMIT;
    }
    if f & FMS_LOCAL != 0 {
        v |= MSGFLAG_UNSENT;
    }
    if f & FMS_HAS_ATTACH != 0 {
        v |= MSGFLAG_HASATTACH;
    }
    v as i32
}

fn fms_from_flags(v: i32) -> u8 {
    let v = v as u32;
    let mut f = 0;
    if v & MSGFLAG_READ != 0 {
        f |= FMS_READ;
    }
    if v & MSGFLAG_UNMODIFIED == 0 {
        f |= FMS_MODIFIED;
    }
    if v & MSGFLAG_SUBMIT != 0 {
        f |= FMS_SUBMITTED;
    }
    if v & MSGFLAG_UNSENT != 0 {
        f |= FMS_LOCAL;
    }
    if v & MSGFLAG_HASATTACH != 0 {
        f |= FMS_HAS_ATTACH;
    }
    f
}

/// The properties one attachment attribute stands for. `atyp` is the attachment's RENDDATA
/// type (it decides whether `attAttachData` is a file's bytes or an OLE object).
pub fn map_attachment_attribute(a: &Attribute, atyp: u16) -> Vec<Prop> {
    let d = &a.data[..];
    let one = |tag, v: Option<PropValue>| v.map(|v| vec![Prop::new(tag, v)]).unwrap_or_default();
    match a.id {
        att::ATTACH_REND_DATA => {
            let Some(ty) = u16_at(d, 0) else {
                return Vec::new();
            };
            let method = if ty == ATYP_OLE {
                ATTACH_OLE
            } else {
                ATTACH_BY_VALUE
            };
            let mut v = vec![Prop::new(PR_ATTACH_METHOD, PropValue::Long(method))];
            if let Some(pos) = u32_at(d, 2) {
                v.push(Prop::new(
                    PR_RENDERING_POSITION,
                    PropValue::Long(pos as i32),
                ));
            }
            v
        }
        att::ATTACH_TITLE => one(PR_ATTACH_FILENAME, Some(string8(d))),
        att::ATTACH_DATA if atyp == ATYP_OLE => vec![Prop {
            tag: PR_ATTACH_DATA_OBJ,
            name: None,
            value: Value::Object(Object {
                iid: IID_ISTREAM,
                data: ObjectData::Bytes(d.to_vec()),
            }),
        }],
        att::ATTACH_DATA => one(PR_ATTACH_DATA_BIN, Some(PropValue::Binary(d.to_vec()))),
        att::ATTACH_META_FILE => one(PR_ATTACH_RENDERING, Some(PropValue::Binary(d.to_vec()))),
        att::ATTACH_CREATE_DATE => one(PR_CREATION_TIME, time(d)),
        att::ATTACH_MODIFY_DATE => one(PR_LAST_MODIFICATION_TIME, time(d)),
        att::ATTACH_TRANSPORT_FILENAME => one(PR_ATTACH_TRANSPORT_NAME, Some(string8(d))),
        _ => Vec::new(),
    }
}

/// Mapped properties with the encapsulated ones on top: an encapsulated property replaces
/// every mapped one with its id, whatever the types ([MS-OXTNEF]: encapsulated values win).
fn merge(mapped: Vec<Prop>, encapsulated: &[Prop]) -> Vec<Prop> {
    let mut out: Vec<Prop> = Vec::with_capacity(mapped.len() + encapsulated.len());
    for p in mapped {
        let id = prop_id(p.tag);
        if encapsulated.iter().any(|e| prop_id(e.tag) == id) {
            continue;
        }
        // A later attribute mapping to the same property replaces an earlier one.
        out.retain(|q| q.tag != p.tag);
        out.push(p);
    }
    out.extend(encapsulated.iter().cloned());
    out
}

/// The properties a decoder sets on the message: every legacy message attribute mapped,
/// then `attMsgProps` on top.
pub fn message_props(t: &Tnef) -> Vec<Prop> {
    let class = t
        .attribute(att::MESSAGE_CLASS)
        .map(|a| class_from_legacy(&a.data))
        .unwrap_or_default();
    let mapped = t
        .attributes
        .iter()
        .flat_map(|a| map_message_attribute(a, &class))
        .collect();
    merge(mapped, &t.props)
}

/// The properties a decoder sets on an attachment: its legacy attributes mapped, then
/// `attAttachment` on top.
pub fn attachment_props(a: &Attachment) -> Vec<Prop> {
    let atyp = a
        .attribute(att::ATTACH_REND_DATA)
        .and_then(|r| u16_at(&r.data, 0))
        .unwrap_or(ATYP_FILE);
    let mapped = a
        .attributes
        .iter()
        .flat_map(|x| map_attachment_attribute(x, atyp))
        .collect();
    merge(mapped, &a.props)
}

// ---- encoding: properties → attributes ----

/// `OpenTnefStream`'s encoding modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `TNEF_PURE`: every property encapsulated; no legacy attribute but
    /// `attAttachRendData`.
    Pure,
    /// `TNEF_COMPATIBILITY`: every property that has a legacy attribute goes there only,
    /// with the defaults old clients need (class, priority, status); the rest encapsulated.
    Compatibility,
    /// `TNEF_BEST_DATA` (the default): legacy attributes as in compatibility mode, and every
    /// property that they do not give back exactly also encapsulated.
    BestData,
}

/// A message to encode: its properties, recipient rows and attachments' properties (an
/// embedded message is a `PR_ATTACH_DATA_OBJ` whose object holds an encoded [`Tnef`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Message {
    pub props: Vec<Prop>,
    pub recipients: Vec<Vec<Prop>>,
    pub attachments: Vec<Vec<Prop>>,
}

fn find(props: &[Prop], tag: u32) -> Option<&PropValue> {
    props.iter().find(|p| p.tag == tag).and_then(Prop::plain)
}

/// An 8-bit string for a legacy attribute from the `String8` or `Unicode` form of `tag`
/// (converted to code page `cp`; characters it lacks become `?`).
fn text(props: &[Prop], tag: u32, cp: u32) -> Option<Vec<u8>> {
    match find(props, tag) {
        Some(PropValue::String8(s)) => Some(s.clone()),
        _ => match find(props, (tag & 0xFFFF_0000) | PT_UNICODE) {
            Some(PropValue::Unicode(u)) => crate::model::strings::encode(cp, u).ok(),
            _ => None,
        },
    }
}

fn sz(s: &[u8]) -> Vec<u8> {
    let mut v = s.to_vec();
    v.push(0);
    v
}

fn systime(props: &[Prop], tag: u32) -> Option<[u8; 14]> {
    match find(props, tag) {
        Some(PropValue::SysTime(t)) => Some(filetime_to_dtr(*t)),
        _ => None,
    }
}

fn long(props: &[Prop], tag: u32) -> Option<i32> {
    match find(props, tag) {
        Some(PropValue::Long(v)) => Some(*v),
        _ => None,
    }
}

fn binary(props: &[Prop], tag: u32) -> Option<&[u8]> {
    match find(props, tag) {
        Some(PropValue::Binary(b)) => Some(b),
        _ => None,
    }
}

fn address(props: &[Prop], tags: [u32; 4], cp: u32) -> Option<(Vec<u8>, Vec<u8>)> {
    let name = text(props, tags[1], cp)?;
    let ty = text(props, tags[2], cp).unwrap_or_default();
    let email = text(props, tags[3], cp).unwrap_or_default();
    let mut addr = ty;
    addr.push(b':');
    addr.extend_from_slice(&email);
    Some((name, addr))
}

/// The legacy message attributes for `props` (8-bit text in code page `cp`), in the order
/// Outlook writes them. `defaults` adds what old clients need when the properties lack it.
pub fn message_attributes(props: &[Prop], cp: u32, defaults: bool) -> Vec<Attribute> {
    let mut out = Vec::new();
    let mut put = |id, data: Vec<u8>| out.push(Attribute::new(LVL_MESSAGE, id, data));
    let class = text(props, PR_MESSAGE_CLASS, cp);
    match (&class, defaults) {
        (Some(c), _) => put(att::MESSAGE_CLASS, sz(&class_to_legacy(c))),
        (None, true) => put(att::MESSAGE_CLASS, sz(b"IPM.Microsoft Mail.Note")),
        (None, false) => {}
    }
    if let Some(c) = text(props, PR_ORIG_MESSAGE_CLASS, cp) {
        put(att::ORIGINAL_MESSAGE_CLASS, sz(&class_to_legacy(&c)));
    }
    if let Some((name, addr)) = address(props, SENDER, cp) {
        put(att::FROM, build_trp(&name, &addr));
    }
    if let Some((name, addr)) = address(props, SENT_REPRESENTING, cp) {
        put(att::SENT_FOR, build_counted_pair(&name, &addr));
    }
    if let Some(s) = text(props, PR_SUBJECT, cp) {
        put(att::SUBJECT, sz(&s));
    }
    for (tag, id) in [
        (PR_CLIENT_SUBMIT_TIME, att::DATE_SENT),
        (PR_MESSAGE_DELIVERY_TIME, att::DATE_RECD),
        (PR_START_DATE, att::DATE_START),
        (PR_END_DATE, att::DATE_END),
    ] {
        if let Some(d) = systime(props, tag) {
            put(id, d.to_vec());
        }
    }
    match long(props, PR_MESSAGE_FLAGS) {
        Some(f) => put(att::MESSAGE_STATUS, vec![fms_from_flags(f)]),
        None if defaults => put(att::MESSAGE_STATUS, vec![FMS_MODIFIED | FMS_LOCAL]),
        None => {}
    }
    for (tag, id) in [
        (PR_SEARCH_KEY, att::MESSAGE_ID),
        (PR_PARENT_KEY, att::PARENT_ID),
        (PR_CONVERSATION_KEY, att::CONVERSATION_ID),
    ] {
        if let Some(b) = binary(props, tag) {
            put(id, hex(b));
        }
    }
    if let Some(b) = text(props, PR_BODY, cp) {
        put(att::BODY, b);
    }
    match long(props, PR_IMPORTANCE) {
        Some(i) => put(
            att::PRIORITY,
            priority_from_importance(i).to_le_bytes().to_vec(),
        ),
        None if defaults => put(att::PRIORITY, 2u16.to_le_bytes().to_vec()),
        None => {}
    }
    if let Some(v) = long(props, PR_OWNER_APPT_ID) {
        put(att::AID_OWNER, v.to_le_bytes().to_vec());
    }
    if let Some(PropValue::Boolean(b)) = find(props, PR_RESPONSE_REQUESTED) {
        put(att::REQUEST_RES, u16::from(*b).to_le_bytes().to_vec());
    }
    if let Some(d) = systime(props, PR_LAST_MODIFICATION_TIME) {
        put(att::DATE_MODIFIED, d.to_vec());
    }
    out
}

/// `attAttachRendData` for an attachment's properties.
pub fn rend_data(props: &[Prop]) -> Vec<u8> {
    let atyp = match long(props, PR_ATTACH_METHOD) {
        Some(ATTACH_OLE) => ATYP_OLE,
        _ => ATYP_FILE,
    };
    let pos = long(props, PR_RENDERING_POSITION).unwrap_or(-1);
    let mut d = atyp.to_le_bytes().to_vec();
    d.extend_from_slice(&pos.to_le_bytes());
    d.extend_from_slice(&[0; 8]);
    d
}

/// The legacy attributes of an attachment, `attAttachRendData` first.
pub fn attachment_attributes(props: &[Prop], cp: u32) -> Vec<Attribute> {
    let mut out = vec![Attribute::new(
        LVL_ATTACHMENT,
        att::ATTACH_REND_DATA,
        rend_data(props),
    )];
    let mut put = |id, data: Vec<u8>| out.push(Attribute::new(LVL_ATTACHMENT, id, data));
    if let Some(d) = systime(props, PR_CREATION_TIME) {
        put(att::ATTACH_CREATE_DATE, d.to_vec());
    }
    if let Some(d) = systime(props, PR_LAST_MODIFICATION_TIME) {
        put(att::ATTACH_MODIFY_DATE, d.to_vec());
    }
    // Outlook puts the long name in attAttachTitle; the short one is then encapsulated.
    if let Some(s) =
        text(props, PR_ATTACH_LONG_FILENAME, cp).or_else(|| text(props, PR_ATTACH_FILENAME, cp))
    {
        put(att::ATTACH_TITLE, sz(&s));
    }
    if let Some(b) = binary(props, PR_ATTACH_RENDERING) {
        put(att::ATTACH_META_FILE, b.to_vec());
    }
    // An OLE object's storage is no legacy OLE 1 stream: it goes into attAttachment only.
    if let Some(b) = binary(props, PR_ATTACH_DATA_BIN) {
        put(att::ATTACH_DATA, b.to_vec());
    }
    if let Some(s) = text(props, PR_ATTACH_TRANSPORT_NAME, cp) {
        put(att::ATTACH_TRANSPORT_FILENAME, sz(&s));
    }
    out
}

/// The properties that `mapped` does not give back exactly (same tag, same value), in
/// their order: what must be encapsulated so that nothing is lost.
fn not_given_back(props: &[Prop], mapped: &[Prop]) -> Vec<Prop> {
    props
        .iter()
        .filter(|p| !mapped.iter().any(|m| m.tag == p.tag && m.value == p.value))
        .cloned()
        .collect()
}

/// Properties with a legacy attribute of their own, which compatibility mode does not
/// encapsulate. Embedded messages always are (no legacy attribute can hold them).
fn has_legacy_attribute(tag: u32, message: bool) -> bool {
    let id = prop_id(tag);
    let ids: &[u32] = if message {
        &[
            PR_MESSAGE_CLASS,
            PR_ORIG_MESSAGE_CLASS,
            PR_SENDER_ENTRYID,
            PR_SENDER_NAME,
            PR_SENDER_ADDRTYPE,
            PR_SENDER_EMAIL_ADDRESS,
            PR_SENT_REPRESENTING_ENTRYID,
            PR_SENT_REPRESENTING_NAME,
            PR_SENT_REPRESENTING_ADDRTYPE,
            PR_SENT_REPRESENTING_EMAIL_ADDRESS,
            PR_SUBJECT,
            PR_CLIENT_SUBMIT_TIME,
            PR_MESSAGE_DELIVERY_TIME,
            PR_START_DATE,
            PR_END_DATE,
            PR_MESSAGE_FLAGS,
            PR_SEARCH_KEY,
            PR_PARENT_KEY,
            PR_CONVERSATION_KEY,
            PR_BODY,
            PR_IMPORTANCE,
            PR_OWNER_APPT_ID,
            PR_RESPONSE_REQUESTED,
            PR_LAST_MODIFICATION_TIME,
        ]
    } else {
        &[
            PR_ATTACH_METHOD,
            PR_RENDERING_POSITION,
            PR_CREATION_TIME,
            PR_LAST_MODIFICATION_TIME,
            PR_ATTACH_FILENAME,
            PR_ATTACH_RENDERING,
            PR_ATTACH_DATA_BIN,
            PR_ATTACH_TRANSPORT_NAME,
        ]
    };
    ids.iter().any(|&t| prop_id(t) == id)
        && (message || prop_type(tag) != PT_OBJECT || tag == PR_ATTACH_DATA_BIN)
}

/// Builds the stream structure for a message in one of the modes. `cp` is the code page
/// written to `attOemCodepage` and used for legacy 8-bit text.
pub fn encode(msg: &Message, mode: Mode, key: u16, cp: u32) -> Tnef {
    let mut attributes = vec![
        Attribute::new(
            LVL_MESSAGE,
            att::TNEF_VERSION,
            TNEF_VERSION.to_le_bytes().to_vec(),
        ),
        Attribute::new(LVL_MESSAGE, att::OEM_CODEPAGE, {
            let mut d = cp.to_le_bytes().to_vec();
            d.extend_from_slice(&[0; 4]);
            d
        }),
    ];
    let (props, attachments) = match mode {
        Mode::Pure => (
            msg.props.clone(),
            msg.attachments
                .iter()
                .map(|a| Attachment {
                    attributes: vec![Attribute::new(
                        LVL_ATTACHMENT,
                        att::ATTACH_REND_DATA,
                        rend_data(a),
                    )],
                    props: a.clone(),
                })
                .collect(),
        ),
        Mode::Compatibility | Mode::BestData => {
            let legacy = message_attributes(&msg.props, cp, mode == Mode::Compatibility);
            let props = encapsulated(&msg.props, &legacy, mode, true, |a| {
                let class = a
                    .iter()
                    .find(|x| x.id == att::MESSAGE_CLASS)
                    .map(|x| class_from_legacy(&x.data))
                    .unwrap_or_default();
                a.iter()
                    .flat_map(|x| map_message_attribute(x, &class))
                    .collect()
            });
            attributes.extend(legacy);
            let attachments = msg
                .attachments
                .iter()
                .map(|a| {
                    let legacy = attachment_attributes(a, cp);
                    let props = encapsulated(a, &legacy, mode, false, |l| {
                        attachment_props(&Attachment {
                            attributes: l.to_vec(),
                            props: Vec::new(),
                        })
                    });
                    Attachment {
                        attributes: legacy,
                        props,
                    }
                })
                .collect();
            (props, attachments)
        }
    };
    Tnef {
        key,
        attributes,
        props,
        recipients: msg.recipients.clone(),
        attachments,
        ..Tnef::default()
    }
}

/// What goes into the property list beside `legacy` attributes.
fn encapsulated(
    props: &[Prop],
    legacy: &[Attribute],
    mode: Mode,
    message: bool,
    map_back: impl Fn(&[Attribute]) -> Vec<Prop>,
) -> Vec<Prop> {
    match mode {
        Mode::Pure => props.to_vec(),
        Mode::Compatibility => props
            .iter()
            .filter(|p| !has_legacy_attribute(p.tag, message))
            .cloned()
            .collect(),
        Mode::BestData => not_given_back(props, &map_back(legacy)),
    }
}

/// Whether an attachment's properties make it an embedded message.
pub fn is_embedded_message(props: &[Prop]) -> bool {
    long(props, PR_ATTACH_METHOD) == Some(ATTACH_EMBEDDED_MSG)
}
