//! Engines over any `IMessage` (ours or the caller's), through its vtable only: `RTFSync`
//! and the body a person reads (`ImsgGetBestBody`). The rules are `model::body`'s; this
//! file reads the properties they need and writes what they decide.

use std::ffi::c_void;
use std::io::{Read, Seek, SeekFrom};

use super::foreign::ComRef;
use super::guids::IID_IStream;
use super::mapimem::mapi_free_buffer;
use super::rtf_stream::{ComStream, RtfStreamShell, from_io};
use super::scode::kind_of_scode;
use super::types::*;
use super::vtbl::IMessage;
use crate::codec::compressed_rtf::{Compressor, Format};
use crate::codec::rtf_sync::SyncValues;
use crate::consts::*;
use crate::error::{Error, ErrorKind, Result};
use crate::model::body::{self, Form, Native, Present, Source, SyncInput};
use crate::types::codepage;

pub const PR_BODY_W: ULONG = 0x1000_001F;
pub const PR_RTF_COMPRESSED: ULONG = 0x1009_0102;
pub const PR_HTML: ULONG = 0x1013_0102;
pub const PR_NATIVE_BODY_INFO: ULONG = 0x1016_0003;
pub const PR_RTF_IN_SYNC: ULONG = 0x0E1F_000B;
pub const PR_RTF_SYNC_BODY_CRC: ULONG = 0x1006_0003;
pub const PR_RTF_SYNC_BODY_COUNT: ULONG = 0x1007_0003;
pub const PR_RTF_SYNC_BODY_TAG_W: ULONG = 0x1008_001F;
pub const PR_RTF_SYNC_PREFIX_COUNT: ULONG = 0x1010_0003;
pub const PR_RTF_SYNC_TRAILING_COUNT: ULONG = 0x1011_0003;
const PR_INTERNET_CPID: ULONG = 0x3FDE_0003;
const PR_MESSAGE_CODEPAGE: ULONG = 0x3FFD_0003;

/// One value as `GetProps` gave it.
#[derive(Clone, Debug, PartialEq)]
enum Got {
    Missing,
    /// There, but too large for `GetProps` (`MAPI_E_NOT_ENOUGH_MEMORY`): open it.
    Large,
    Long(i32),
    Bool(bool),
    Text(String),
}

/// A message the caller lent us for the duration of one call.
struct Msg(*mut IMessage);

impl Msg {
    fn fail(hr: HRESULT, call: &str) -> Error {
        Error::new(
            kind_of_scode(hr),
            format!("the message's {call} failed with 0x{:08X}", hr as u32),
        )
    }

    fn get(&self, tags: &[ULONG]) -> Result<Vec<Got>> {
        let mut array = vec![tags.len() as ULONG];
        array.extend_from_slice(tags);
        let mut count: ULONG = 0;
        let mut values: *mut SPropValue = std::ptr::null_mut();
        // SAFETY: `self.0` is an IMessage; the array is an SPropTagArray of `tags.len()`.
        let hr = unsafe {
            ((*(*self.0).lpVtbl).GetProps)(
                self.0.cast(),
                array.as_mut_ptr().cast(),
                MAPI_UNICODE,
                &mut count,
                &mut values,
            )
        };
        if hr < 0 || values.is_null() || count as usize != tags.len() {
            // SAFETY: whatever GetProps returned is ours to free.
            unsafe { free(values.cast()) };
            return Err(Msg::fail(
                if hr < 0 { hr } else { MAPI_E_CALL_FAILED },
                "GetProps",
            ));
        }
        // SAFETY: GetProps returned `count` values.
        let slice = unsafe { std::slice::from_raw_parts(values, count as usize) };
        let out = slice
            .iter()
            .zip(tags)
            .map(|(v, &want)| {
                // SAFETY: each union member is read as the value's own type says.
                unsafe {
                    match v.ulPropTag & PROP_TYPE_MASK {
                        PT_ERROR if v.Value.err == MAPI_E_NOT_ENOUGH_MEMORY => Got::Large,
                        _ if v.ulPropTag != want => Got::Missing,
                        PT_LONG => Got::Long(v.Value.l),
                        PT_BOOLEAN => Got::Bool(v.Value.b != 0),
                        PT_UNICODE => Got::Text(wide(v.Value.lpszW)),
                        // Binaries are only asked for to see whether they are there.
                        _ => Got::Large,
                    }
                }
            })
            .collect();
        // SAFETY: the array is ours to free.
        unsafe { free(values.cast()) };
        Ok(out)
    }

    /// Opens a property as an `IStream`; `None` when the message does not have it.
    fn open(&self, tag: ULONG, flags: ULONG) -> Result<Option<ComStream>> {
        let mut p: *mut c_void = std::ptr::null_mut();
        // SAFETY: `self.0` is an IMessage; the IID and out-parameter are valid.
        let hr = unsafe {
            ((*(*self.0).lpVtbl).OpenProperty)(self.0.cast(), tag, &IID_IStream, 0, flags, &mut p)
        };
        if hr == MAPI_E_NOT_FOUND {
            return Ok(None);
        }
        if hr < 0 {
            return Err(Msg::fail(hr, "OpenProperty"));
        }
        // SAFETY: OpenProperty gave us a reference to an IStream.
        let stream = unsafe { ComRef::from_raw(p) }
            .ok_or_else(|| Error::new(ErrorKind::CallFailed, "OpenProperty returned NULL"))?;
        Ok(Some(ComStream::new(stream)))
    }

    fn read_all(&self, tag: ULONG) -> Result<Option<Vec<u8>>> {
        let Some(mut s) = self.open(tag, 0)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        s.read_to_end(&mut out)
            .map_err(|e| from_io("reading a body property", &e))?;
        Ok(Some(out))
    }

    /// The uncompressed RTF of `PR_RTF_COMPRESSED`.
    fn rtf(&self) -> Result<Option<Vec<u8>>> {
        match self.open(PR_RTF_COMPRESSED, 0)? {
            Some(s) => RtfStreamShell::read_all(s.into_inner()).map(Some),
            None => Ok(None),
        }
    }

    fn body(&self, got: &Got) -> Result<Option<String>> {
        Ok(match got {
            Got::Text(t) => Some(t.clone()),
            Got::Large => self.read_all(PR_BODY_W)?.map(|b| {
                let units: Vec<u16> = b
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                let s = String::from_utf16_lossy(&units);
                s.trim_end_matches('\0').to_string()
            }),
            _ => None,
        })
    }

    fn set(&self, values: &mut [SPropValue]) -> Result<()> {
        let mut problems: *mut SPropProblemArray = std::ptr::null_mut();
        // SAFETY: `self.0` is an IMessage; the values are valid for the call.
        let hr = unsafe {
            ((*(*self.0).lpVtbl).SetProps)(
                self.0.cast(),
                values.len() as ULONG,
                values.as_mut_ptr(),
                &mut problems,
            )
        };
        let mut first_problem = None;
        if !problems.is_null() {
            // SAFETY: SetProps returned a problem array of `cProblem` entries.
            unsafe {
                let first = std::ptr::addr_of!((*problems).aProblem) as *const SPropProblem;
                if (*problems).cProblem > 0 {
                    first_problem = Some(((*first).ulPropTag, (*first).scode));
                }
                free(problems.cast());
            }
        }
        if hr < 0 {
            return Err(Msg::fail(hr, "SetProps"));
        }
        if let Some((tag, sc)) = first_problem {
            return Err(Error::new(
                kind_of_scode(sc),
                format!(
                    "the message refused property 0x{tag:08X} (0x{:08X})",
                    sc as u32
                ),
            ));
        }
        Ok(())
    }

    /// Stores RTF compressed in `PR_RTF_COMPRESSED`.
    fn write_rtf(&self, rtf: &[u8]) -> Result<()> {
        let mut s = self
            .open(PR_RTF_COMPRESSED, MAPI_CREATE | MAPI_MODIFY)?
            .ok_or_else(|| {
                Error::new(ErrorKind::NotFound, "PR_RTF_COMPRESSED cannot be created")
            })?;
        let io = |e: std::io::Error| from_io("writing PR_RTF_COMPRESSED", &e);
        s.seek(SeekFrom::Start(0)).map_err(io)?;
        let mut c = Compressor::new(&mut s, Format::Compressed).map_err(io)?;
        std::io::Write::write_all(&mut c, rtf).map_err(io)?;
        let sink = c.finish().map_err(io)?;
        let end = sink.stream_position().map_err(io)?;
        // A shorter new value must not keep the old one's tail.
        s.set_size(end)?;
        s.commit()
    }
}

/// # Safety
/// `p` must be NULL or a block `MAPIFreeBuffer` may be given.
unsafe fn free(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: forwarded; a block of another allocator is refused, not freed.
        unsafe { mapi_free_buffer(p) };
    }
}

/// # Safety
/// `p` must be NULL or a NUL-terminated UTF-16 string.
unsafe fn wide(p: *const WCHAR) -> String {
    if p.is_null() {
        return String::new();
    }
    let mut n = 0;
    // SAFETY: the string is terminated.
    while unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    // SAFETY: `n` units were just read.
    String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(p, n) })
}

fn long(g: &Got) -> Option<i32> {
    match g {
        Got::Long(v) => Some(*v),
        _ => None,
    }
}

/// The ANSI page a message's 8-bit text is in (`PR_INTERNET_CPID`, then
/// `PR_MESSAGE_CODEPAGE`), the one new RTF declares and the sync values count in.
fn ansi_page(cpid: &Got, msg_cp: &Got) -> u32 {
    [long(cpid), long(msg_cp)]
        .into_iter()
        .flatten()
        .map(|c| c as u32)
        .find(|&c| codepage::is_ansi_page(c))
        .unwrap_or(codepage::DEFAULT_CODEPAGE)
}

/// `RTFSync`: brings `PR_BODY`, `PR_RTF_COMPRESSED` and the sync values into step
/// (`model::body::plan_sync`); true when the message changed (the caller saves it).
///
/// # Safety
/// `message` must be an `IMessage` the caller holds.
pub unsafe fn rtf_sync(message: *mut IMessage, flags: ULONG) -> Result<bool> {
    let msg = Msg(message);
    let got = msg.get(&[
        PR_BODY_W,
        PR_RTF_SYNC_BODY_CRC,
        PR_RTF_SYNC_BODY_COUNT,
        PR_RTF_SYNC_BODY_TAG_W,
        PR_RTF_SYNC_PREFIX_COUNT,
        PR_RTF_SYNC_TRAILING_COUNT,
        PR_RTF_IN_SYNC,
        PR_INTERNET_CPID,
        PR_MESSAGE_CODEPAGE,
    ])?;
    let stored = match (&got[1], &got[2], &got[3], &got[4], &got[5]) {
        (Got::Long(crc), Got::Long(count), Got::Text(tag), Got::Long(pre), Got::Long(trail)) => {
            Some(SyncValues {
                crc: *crc as u32,
                count: *count as u32,
                tag: tag.clone(),
                prefix_count: *pre as u32,
                trailing_count: *trail as u32,
            })
        }
        _ => None,
    };
    let input = SyncInput {
        body: msg.body(&got[0])?,
        rtf: msg.rtf()?,
        stored,
        in_sync: match got[6] {
            Got::Bool(b) => Some(b),
            _ => None,
        },
        codepage: ansi_page(&got[7], &got[8]),
    };
    let plan = body::plan_sync(flags, &input)?;
    if let Some(rtf) = &plan.rtf {
        msg.write_rtf(rtf)?;
    }
    let mut body_units: Vec<u16> = Vec::new();
    let mut tag_units: Vec<u16> = Vec::new();
    let mut values: Vec<SPropValue> = Vec::new();
    if let Some(b) = &plan.body {
        body_units = b.encode_utf16().chain([0]).collect();
        values.push(SPropValue {
            ulPropTag: PR_BODY_W,
            dwAlignPad: 0,
            Value: PV {
                lpszW: body_units.as_mut_ptr(),
            },
        });
    }
    if let Some(v) = &plan.values {
        tag_units = v.tag.encode_utf16().chain([0]).collect();
        for (tag, l) in [
            (PR_RTF_SYNC_BODY_CRC, v.crc as i32),
            (PR_RTF_SYNC_BODY_COUNT, v.count as i32),
            (PR_RTF_SYNC_PREFIX_COUNT, v.prefix_count as i32),
            (PR_RTF_SYNC_TRAILING_COUNT, v.trailing_count as i32),
        ] {
            values.push(SPropValue {
                ulPropTag: tag,
                dwAlignPad: 0,
                Value: PV { l },
            });
        }
        values.push(SPropValue {
            ulPropTag: PR_RTF_SYNC_BODY_TAG_W,
            dwAlignPad: 0,
            Value: PV {
                lpszW: tag_units.as_mut_ptr(),
            },
        });
    }
    if let Some(b) = plan.in_sync {
        values.push(SPropValue {
            ulPropTag: PR_RTF_IN_SYNC,
            dwAlignPad: 0,
            Value: PV { b: u16::from(b) },
        });
    }
    if !values.is_empty() {
        msg.set(&mut values)?;
    }
    drop((body_units, tag_units));
    Ok(plan.updates())
}

/// The body a person reads, chosen as Outlook does (`model::body::choose`), in the form
/// `want` (None: its own) and code page `cp` (0: UTF-8) for HTML and text.
///
/// # Safety
/// `message` must be an `IMessage` the caller holds.
pub unsafe fn best_body(
    message: *mut IMessage,
    want: Option<Form>,
    cp: u32,
) -> Result<(Form, Vec<u8>)> {
    let msg = Msg(message);
    let got = msg.get(&[
        PR_NATIVE_BODY_INFO,
        PR_RTF_IN_SYNC,
        PR_BODY_W,
        PR_HTML,
        PR_RTF_COMPRESSED,
        PR_INTERNET_CPID,
        PR_MESSAGE_CODEPAGE,
    ])?;
    let mut present = Present {
        native: long(&got[0]),
        rtf_in_sync: match got[1] {
            Got::Bool(b) => Some(b),
            _ => None,
        },
        text: got[2] != Got::Missing,
        html: got[3] != Got::Missing,
        rtf: got[4] != Got::Missing,
    };
    let rtf_cp = ansi_page(&got[5], &got[6]);
    // The HTML's bytes are in the Internet code page (UTF-8 often), not only ANSI ones.
    let html_cp = long(&got[5]).map_or(rtf_cp, |c| c as u32);
    let stored_text = msg.body(&got[2])?;
    loop {
        let Some(source) = body::choose(&present) else {
            return Err(Error::new(ErrorKind::NotFound, "the message has no body"));
        };
        let (native, rtf) = match source {
            Source::Text => (Native::Text(stored_text.clone().unwrap_or_default()), None),
            Source::Html => {
                let bytes = msg.read_all(PR_HTML)?.unwrap_or_default();
                (Native::Html(body::decode_text(&bytes, html_cp)), None)
            }
            Source::Rtf => match msg.rtf() {
                Ok(Some(rtf)) => (body::native_of_rtf(&rtf), Some(rtf)),
                // Damaged or gone: the next body in Outlook's order.
                Ok(None)
                | Err(Error {
                    kind: ErrorKind::CorruptData,
                    ..
                }) => {
                    present.rtf = false;
                    continue;
                }
                Err(e) => return Err(e),
            },
        };
        return body::convert(
            &native,
            rtf.as_deref(),
            stored_text.as_deref(),
            want,
            cp,
            rtf_cp,
        );
    }
}
