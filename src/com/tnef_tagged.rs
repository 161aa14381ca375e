//! `ITnef::OpenTaggedBody`'s text: the message's body with a `[[ ... ]]` tag where each
//! attachment is rendered ([DOCS tnef-tagged-message-text]), and text written with such
//! tags put back as the body, each tag one space where its attachment is rendered.

use std::ffi::c_void;

use super::copy_to;
use super::copy_values::problem_entries;
use super::mapimem::Allocators;
use super::marshal;
use super::tnef_scratch::{attachment_rows, get_props, is_unicode, one_binary};
use super::types::*;
use super::vtbl::{IMAPIPropVtbl, IMessageVtbl};
use crate::consts::*;
use crate::error::{Error, Result};
use crate::model::message::PropOut;
use crate::types::codepage;
use crate::types::prop_value::{PropValue, tags::*};

/// `OpenTaggedBody` for reading: the message's `PR_BODY` (8-bit) with a tag
/// `[[ <name> : <key> in <stream name> ]]` where each attachment is rendered
/// (`PR_RENDERING_POSITION`, in characters; -1: not rendered), keys counting up from
/// `key` in the order of the attachment table.
///
/// # Safety
/// `message` must be a live `IMessage`.
pub unsafe fn tagged_body(
    message: *mut std::ffi::c_void,
    key: u16,
    stream_name: &str,
) -> Result<Vec<u8>> {
    // SAFETY: forwarded from the caller.
    let body = unsafe { one_binary(message, 0x1000_001E) }?.unwrap_or_default();
    // SAFETY: forwarded from the caller.
    let rows = unsafe { attachment_rows(message)? };
    let mut tags: Vec<(usize, Vec<u8>)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let long = |tag| {
            row.iter().find_map(|(t, v)| match (t == &tag, v) {
                (true, PropValue::Long(l)) => Some(*l),
                _ => None,
            })
        };
        let text = |tag| {
            row.iter().find_map(|(t, v)| match (t == &tag, v) {
                (true, PropValue::String8(s)) => Some(s.clone()),
                _ => None,
            })
        };
        let Some(pos) = long(PR_RENDERING_POSITION).filter(|&p| p >= 0) else {
            continue;
        };
        let title = text(PR_ATTACH_LONG_FILENAME_A)
            .or_else(|| text(PR_ATTACH_FILENAME_A))
            .or_else(|| text(PR_DISPLAY_NAME_A))
            .unwrap_or_default();
        let mut tag = b"[[ ".to_vec();
        tag.extend_from_slice(&title);
        tag.extend_from_slice(
            format!(" : {} in {} ]]", u32::from(key) + i as u32, stream_name).as_bytes(),
        );
        tags.push(((pos as usize).min(body.len()), tag));
    }
    tags.sort_by_key(|(p, _)| std::cmp::Reverse(*p));
    let mut out = body;
    for (pos, tag) in tags {
        // The character at the position stands for the attachment: it is replaced.
        let end = (pos + 1).min(out.len());
        out.splice(pos..end, tag);
    }
    Ok(out)
}

const PR_ATTACH_LONG_FILENAME_A: u32 = 0x3707_001E;
const PR_ATTACH_FILENAME_A: u32 = 0x3704_001E;
const PR_DISPLAY_NAME_A: u32 = 0x3001_001E;

/// One attachment tag found in written text: where it starts and ends (bytes) and the
/// attachment key it names.
struct Tag {
    start: usize,
    end: usize,
    key: u32,
}

/// The tags of a text, in order: `[[ <title> : <KeyNum> in <name> ]]`. The title may hold
/// " : " itself; the key is the number after the last one, before " in ".
fn find_tags(text: &[u8]) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(open) = find(&text[i..], b"[[ ").map(|o| i + o) {
        let Some(close) = find(&text[open + 3..], b" ]]").map(|c| open + 3 + c) else {
            break;
        };
        let inner = &text[open + 3..close];
        let key = rfind(inner, b" : ").and_then(|c| {
            let rest = &inner[c + 3..];
            let n = find(rest, b" in ")?;
            std::str::from_utf8(&rest[..n]).ok()?.parse::<u32>().ok()
        });
        match key {
            Some(key) => {
                out.push(Tag {
                    start: open,
                    end: close + 3,
                    key,
                });
                i = close + 3;
            }
            // Not a tag: text that merely starts like one.
            None => i = open + 1,
        }
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Written tagged text taken apart: the text with each tag of a known attachment replaced
/// by one space ([DOCS tnef-tagged-message-text]), and for each such attachment (its index
/// in the attachment table) the byte offset of that space. Tags naming no attachment of
/// the message stay as text.
pub fn untag(text: &[u8], key: u16, attachments: usize) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut out = Vec::with_capacity(text.len());
    let mut places = Vec::new();
    let mut at = 0;
    for t in find_tags(text) {
        let Some(index) = t
            .key
            .checked_sub(u32::from(key))
            .map(|i| i as usize)
            .filter(|&i| i < attachments)
        else {
            continue;
        };
        out.extend_from_slice(&text[at..t.start]);
        places.push((index, out.len()));
        out.push(b' ');
        at = t.end;
    }
    out.extend_from_slice(&text[at..]);
    (out, places)
}

/// `OpenTaggedBody` for writing, at `Commit`: `text` with its tags replaced by one space
/// becomes the message's `PR_BODY` (in the message's width: decoded from its code page
/// when it stores Unicode), and each attachment whose tag was found is rendered where the
/// tag stood (`PR_RENDERING_POSITION`, in characters of the new body). Attachments without
/// a tag keep their position.
///
/// # Safety
/// `message` must be a live `IMessage`.
pub unsafe fn write_tagged(message: *mut c_void, key: u16, text: &[u8]) -> Result<()> {
    // SAFETY: forwarded from the caller.
    let rows = unsafe { attachment_rows(message)? };
    let (body, places) = untag(text, key, rows.len());
    // SAFETY: forwarded from the caller.
    let cp = unsafe { message_codepage(message) };
    // SAFETY: forwarded from the caller.
    let unicode = unsafe { is_unicode(message) };
    let value = if unicode {
        PropValue::Unicode(codepage::decode(cp, &body)?)
    } else {
        PropValue::String8(body.clone())
    };
    let tag = if unicode { PR_BODY_W } else { PR_BODY_A };
    // SAFETY: forwarded from the caller.
    unsafe { set_props(message, &[(tag, value)]) }?;
    for (index, byte) in places {
        let Some(num) = rows[index].iter().find_map(|(t, v)| match (t, v) {
            (&PR_ATTACH_NUM, PropValue::Long(n)) => Some(*n as ULONG),
            _ => None,
        }) else {
            continue;
        };
        // Characters, as PR_RENDERING_POSITION counts them: the units of the body's text.
        let chars = codepage::decode(cp, &body[..byte])?.len() as i32;
        // SAFETY: forwarded from the caller.
        unsafe { set_rendering_position(message, num, chars) }?;
    }
    Ok(())
}

/// The code page of a message's 8-bit text: its `PR_INTERNET_CPID`, else
/// `PR_MESSAGE_CODEPAGE`, else 1252.
///
/// # Safety
/// `message` must be a live `IMAPIProp`.
unsafe fn message_codepage(message: *mut c_void) -> u32 {
    // SAFETY: forwarded from the caller.
    let v = unsafe { get_props(message, &[PR_INTERNET_CPID, PR_MESSAGE_CODEPAGE], 0) };
    [PR_INTERNET_CPID, PR_MESSAGE_CODEPAGE]
        .iter()
        .find_map(|want| {
            v.iter().find_map(|(t, v)| match v {
                PropValue::Long(cp) if t == want => Some(*cp as u32),
                _ => None,
            })
        })
        .filter(|&cp| codepage::is_supported(cp))
        .unwrap_or(1252)
}

/// `SetProps` through the vtable, failing on the call's error or any value's problem.
///
/// # Safety
/// `obj` must be a live `IMAPIProp`.
unsafe fn set_props(obj: *mut c_void, values: &[(u32, PropValue)]) -> Result<()> {
    let alloc = Allocators::ours();
    let out: Vec<PropOut> = values
        .iter()
        .map(|(t, v)| PropOut::Value(*t, v.clone()))
        .collect();
    let arr = marshal::props_out(&alloc, &out)?;
    let mut problems: *mut SPropProblemArray = std::ptr::null_mut();
    // SAFETY: `obj` is live; the values and the out-parameter are ours.
    let hr = unsafe {
        (copy_to::vtbl::<IMAPIPropVtbl>(obj).SetProps)(
            obj,
            values.len() as ULONG,
            arr,
            &mut problems,
        )
    };
    alloc.free(arr.cast());
    // SAFETY: NULL or the array the object returned, in MAPI's one allocator family.
    let problem = unsafe { problem_entries(problems) }.first().copied();
    alloc.free(problems.cast());
    copy_to::check(hr, "SetProps")?;
    match problem {
        Some(p) => Err(Error::new(
            super::scode::kind_of_scode(p.scode),
            format!("SetProps refused 0x{:08X}", p.ulPropTag),
        )),
        None => Ok(()),
    }
}

/// Sets one attachment's `PR_RENDERING_POSITION` and saves the attachment into the message.
///
/// # Safety
/// `message` must be a live `IMessage`.
unsafe fn set_rendering_position(message: *mut c_void, num: ULONG, pos: i32) -> Result<()> {
    let mut a = std::ptr::null_mut();
    // SAFETY: `message` is live; the out-parameter is ours; the attachment is released by
    // its ComRef.
    unsafe {
        copy_to::check(
            (copy_to::vtbl::<IMessageVtbl>(message).OpenAttach)(
                message,
                num,
                std::ptr::null(),
                MAPI_MODIFY,
                &mut a,
            ),
            "OpenAttach",
        )?;
        let attach = copy_to::took(a, "OpenAttach")?;
        set_props(
            attach.as_ptr(),
            &[(PR_RENDERING_POSITION, PropValue::Long(pos))],
        )?;
        copy_to::check(
            (attach.vtbl::<IMAPIPropVtbl>().SaveChanges)(attach.as_ptr(), KEEP_OPEN_READWRITE),
            "attachment SaveChanges",
        )
    }
}

const PR_BODY_A: u32 = 0x1000_001E;

#[cfg(test)]
mod tests {
    use super::untag;

    #[test]
    fn tags_of_known_attachments_become_one_space() {
        let text = b"a [[ x : y : 11 in w.dat ]] b [[  : 12 in w.dat ]][[ z : 13 in w ]] [[ q ]]";
        let (body, places) = untag(text, 10, 3);
        // Key 10 is index 0 (no tag); 11 -> 1, 12 -> 2; 13 is past the attachments.
        assert_eq!(body, b"a   b  [[ z : 13 in w ]] [[ q ]]".to_vec());
        assert_eq!(places, vec![(1, 2), (2, 6)]);
    }

    #[test]
    fn keys_below_the_base_and_unclosed_tags_stay_text() {
        let (body, places) = untag(b"[[ a : 3 in s ]] [[ b : 5 in s", 4, 2);
        assert_eq!(body, b"[[ a : 3 in s ]] [[ b : 5 in s".to_vec());
        assert!(places.is_empty());
    }
}
