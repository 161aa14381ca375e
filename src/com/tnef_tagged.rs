//! `ITnef::OpenTaggedBody`'s text: the message's body with a `[[ ... ]]` tag where each
//! attachment is rendered ([DOCS tnef-tagged-message-text]), and the tags taken out again.

use super::tnef_scratch::{attachment_rows, one_binary};
use crate::error::Result;
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

/// Removes the `[[ ... ]]` tags of a tagged body, each becoming one space (the inverse of
/// [`tagged_body`] for text written back).
pub fn untag(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(b"[[ ")
            && let Some(end) = text[i..].windows(3).position(|w| w == b" ]]")
        {
            out.push(b' ');
            i += end + 3;
            continue;
        }
        out.push(text[i]);
        i += 1;
    }
    out
}
