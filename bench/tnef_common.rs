//! What the TNEF oracle tier, its Rust test and the benchmark share: a decoded stream as the
//! message a decoder would make (legacy attributes mapped, encapsulated values on top), the
//! few facts other tools extract (subject, body, sender, dates, attachment names and
//! bytes), and a property-by-property comparison of two decodes.
#![allow(dead_code)] // each user takes what it needs

use imessage::codec::tnef::{Object, ObjectData, Prop, Tnef, Value, read};
use imessage::codec::tnef_legacy::{self as legacy, Message, Mode, tag::*};
use imessage::codec::tnef_write::write;
use imessage::model::prop::PropValue;

const PR_DISPLAY_NAME_W: u32 = 0x3001_001F;

/// The message a decoder sets up from `t`: properties, recipients, attachments.
pub fn to_message(t: &Tnef) -> Message {
    Message {
        props: legacy::message_props(t),
        recipients: t.recipients.clone(),
        attachments: t.attachments.iter().map(legacy::attachment_props).collect(),
    }
}

/// Decode, build the message, encode it in `mode` with the stream's key and code page.
pub fn reencode(t: &Tnef, mode: Mode) -> Vec<u8> {
    write(&legacy::encode(&to_message(t), mode, t.key, t.codepage()))
}

/// A property's value as text: `String8` in the stream's code page, `Unicode` as is.
pub fn text(t: &Tnef, props: &[Prop], tag: u32) -> Option<String> {
    let id = tag & 0xFFFF_0000;
    props
        .iter()
        .filter(|p| p.tag & 0xFFFF_0000 == id)
        .find_map(|p| match p.plain()? {
            PropValue::String8(s) => t.decode_text(s).ok(),
            PropValue::Unicode(u) => Some(String::from_utf16_lossy(u)),
            _ => None,
        })
}

pub fn systime(props: &[Prop], tag: u32) -> Option<u64> {
    props.iter().find_map(|p| match (p.tag == tag, p.plain()) {
        (true, Some(PropValue::SysTime(t))) => Some(*t),
        _ => None,
    })
}

/// FILETIME as `YYYY-MM-DD hh:mm:ss` (UTC, seconds).
pub fn iso(ft: u64) -> String {
    let d = legacy::filetime_to_dtr(ft);
    let f = |i: usize| u16::from_le_bytes([d[2 * i], d[2 * i + 1]]);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        f(0),
        f(1),
        f(2),
        f(3),
        f(4),
        f(5)
    )
}

/// The name other tools give an attachment: the long file name, else the short one or
/// `attAttachTitle`, else the display name.
pub fn attachment_name(t: &Tnef, props: &[Prop]) -> Option<String> {
    [
        PR_ATTACH_LONG_FILENAME,
        PR_ATTACH_FILENAME,
        PR_DISPLAY_NAME_W,
    ]
    .iter()
    .find_map(|&tag| text(t, props, tag))
}

/// An attachment's bytes: `PR_ATTACH_DATA_BIN`, or the object's bytes (an embedded message
/// is written back as the TNEF stream it came in).
pub fn attachment_data(props: &[Prop]) -> Option<Vec<u8>> {
    props.iter().find_map(
        |p| match (&p.value, p.tag >> 16 == PR_ATTACH_DATA_BIN >> 16) {
            (Value::Plain(PropValue::Binary(b)), true) => Some(b.clone()),
            (Value::Object(Object { data, .. }), true) => Some(match data {
                ObjectData::Bytes(b) => b.clone(),
                ObjectData::Message(m) => write(m),
            }),
            _ => None,
        },
    )
}

/// How two decodes of one message compare: every property of `before` (message,
/// recipients, attachments; named ones by name) looked up in `after`.
#[derive(Debug, Default)]
pub struct Comparison {
    pub compared: usize,
    pub missing: Vec<String>,
    pub different: Vec<String>,
}

impl Comparison {
    pub fn equal(&self) -> bool {
        self.missing.is_empty() && self.different.is_empty()
    }
}

fn same_name(a: &Prop, b: &Prop) -> bool {
    match (&a.name, &b.name) {
        (Some(x), Some(y)) => x == y && a.tag & 0xFFFF == b.tag & 0xFFFF,
        (None, None) => a.tag == b.tag,
        _ => false,
    }
}

/// Values equal, NaN included, nested messages compared by their own properties.
fn same_value(a: &Value, b: &Value, out: &mut Comparison, at: &str) -> bool {
    match (a, b) {
        (Value::Plain(x), Value::Plain(y)) => x == y || format!("{x:?}") == format!("{y:?}"),
        (Value::Object(x), Value::Object(y)) if x.iid == y.iid => match (&x.data, &y.data) {
            (ObjectData::Message(m), ObjectData::Message(n)) => {
                // Differences inside are listed on their own.
                compare_into(
                    &to_message(m),
                    &to_message(n),
                    out,
                    &format!("{at}/embedded "),
                );
                true
            }
            (p, q) => p == q,
        },
        _ => false,
    }
}

fn compare_props(before: &[Prop], after: &[Prop], out: &mut Comparison, at: &str) {
    for p in before {
        out.compared += 1;
        let what = format!("{at} {:#010x}", p.tag);
        match after.iter().find(|q| same_name(p, q)) {
            None => out.missing.push(what),
            Some(q) => {
                if !same_value(&p.value, &q.value, out, &what) {
                    out.different.push(what);
                }
            }
        }
    }
}

fn compare_into(before: &Message, after: &Message, out: &mut Comparison, at: &str) {
    compare_props(&before.props, &after.props, out, &format!("{at}message"));
    for (i, r) in before.recipients.iter().enumerate() {
        let empty = Vec::new();
        let other = after.recipients.get(i).unwrap_or(&empty);
        compare_props(r, other, out, &format!("{at}recipient {i}"));
    }
    for (i, a) in before.attachments.iter().enumerate() {
        let empty = Vec::new();
        let other = after.attachments.get(i).unwrap_or(&empty);
        compare_props(a, other, out, &format!("{at}attachment {i}"));
    }
}

/// Decodes `bytes`, encodes in `mode`, decodes again and compares the two messages.
pub fn round_trip(bytes: &[u8], mode: Mode) -> Result<Comparison, String> {
    let t = read(bytes).map_err(|e| e.message)?;
    let again = read(&reencode(&t, mode)).map_err(|e| e.message)?;
    let mut out = Comparison::default();
    compare_into(&to_message(&t), &to_message(&again), &mut out, "");
    Ok(out)
}

pub fn mode_named(name: &str) -> Option<Mode> {
    Some(match name {
        "pure" => Mode::Pure,
        "compat" | "compatibility" => Mode::Compatibility,
        "best" | "best-data" => Mode::BestData,
        _ => return None,
    })
}
