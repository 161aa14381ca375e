//! The body exports over the corpus, through the C API as a program calls them
//! (`StgOpenStorage`, `OpenIMsgOnIStg`, `OpenProperty(PR_RTF_COMPRESSED)`), against the
//! independent oracles whose answers `tests/rtf_oracle/expected.tsv` holds (see
//! `tests/rtf_corpus.rs`; this test checks the same values through the exports):
//! - `WrapCompressedRTFStream` read in odd-sized pieces equals PyPI `compressed-rtf`;
//! - `WrapCompressedRTFStreamEx(MAPI_NATIVE_BODY, UTF-8)` gives the kind PyPI `rtfde`
//!   gives and its HTML or text (both normalised as `gen_expected.py` says: CRLF to LF, in
//!   HTML U+00A0 to `&nbsp;`);
//! - `RTFSync(RTF_SYNC_BODY_CHANGED)` on a message whose sync values Outlook wrote finds the
//!   body unchanged (nothing updated), which checks our sync values against Outlook's;
//! - `ImsgGetBestBody` gives a body for every message that has one.
//!
//! Only top-level RTF streams are read this way (embedded ones are in `rtf_corpus.rs`).
//! Without the corpus the test says it skips.

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::ptr::null_mut;

use imessage::capi::guid_symbols::IID_IStream;
use imessage::capi::memory::{
    MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, MAPIGetDefaultMalloc,
};
use imessage::capi::rtf::*;
use imessage::capi::session::OpenIMsgOnIStg;
use imessage::capi::storage::StgOpenStorage;
use imessage::com::vtbl::{IMessageVtbl, IStreamVtbl, IUnknownVtbl, Interface};
use imessage::consts::*;
use sha2::{Digest, Sha256};

const PR_RTF_COMPRESSED: u32 = 0x1009_0102;
const PR_RTF_SYNC_BODY_CRC: u32 = 0x1006_0003;

fn corpus_dir() -> PathBuf {
    match std::env::var_os("IMESSAGE_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One owned COM reference.
struct Com(*mut c_void);

impl Com {
    fn stream(&self) -> &IStreamVtbl {
        // SAFETY: used only on IStreams.
        unsafe { &*(*(self.0 as *const Interface<IStreamVtbl>)).lpVtbl }
    }
    fn message(&self) -> &IMessageVtbl {
        // SAFETY: used only on IMessages.
        unsafe { &*(*(self.0 as *const Interface<IMessageVtbl>)).lpVtbl }
    }
    fn read_all(&self) -> Result<Vec<u8>, i32> {
        let mut out = Vec::new();
        let mut buf = [0u8; 997];
        loop {
            let mut got = 0;
            // SAFETY: a live stream and a buffer of that size.
            let hr =
                unsafe { (self.stream().Read)(self.0, buf.as_mut_ptr().cast(), 997, &mut got) };
            if hr < 0 {
                return Err(hr);
            }
            if got == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..got as usize]);
        }
    }
    fn open_rtf(&self) -> Option<Com> {
        let mut p = null_mut();
        // SAFETY: a live message, a valid IID and out-parameter.
        let hr = unsafe {
            (self.message().OpenProperty)(self.0, PR_RTF_COMPRESSED, &IID_IStream, 0, 0, &mut p)
        };
        (hr == 0).then(|| Com(p))
    }
    /// Whether `GetPropList` names the property.
    fn has_listed(&self, tag: u32) -> bool {
        let mut list: *mut imessage::com::types::SPropTagArray = null_mut();
        // SAFETY: a live message and a valid out-parameter.
        let hr = unsafe { (self.message().GetPropList)(self.0, 0, &mut list) };
        if hr != 0 {
            return false;
        }
        // SAFETY: GetPropList returned `cValues` tags.
        let found = unsafe {
            let first = std::ptr::addr_of!((*list).aulPropTag) as *const u32;
            std::slice::from_raw_parts(first, (*list).cValues as usize).contains(&tag)
        };
        // SAFETY: ours to free.
        unsafe { MAPIFreeBuffer(list.cast()) };
        found
    }

    fn has(&self, tag: u32) -> bool {
        let mut tags = [1u32, tag];
        let mut count = 0;
        let mut values = null_mut();
        // SAFETY: a live message; a one-tag SPropTagArray.
        let hr = unsafe {
            (self.message().GetProps)(self.0, tags.as_mut_ptr().cast(), 0, &mut count, &mut values)
        };
        // SAFETY: the values are ours to free.
        let found = hr == 0 && unsafe { (*values).ulPropTag } == tag;
        // SAFETY: as above.
        unsafe { MAPIFreeBuffer(values.cast()) };
        found
    }
}

impl Drop for Com {
    fn drop(&mut self) {
        // SAFETY: we own one reference.
        unsafe { ((*(*(self.0 as *const Interface<IUnknownVtbl>)).lpVtbl).Release)(self.0) };
    }
}

fn open(path: &Path) -> Option<(Com, Com)> {
    let name: Vec<u16> = path
        .to_str()?
        .encode_utf16()
        .chain(std::iter::once(0))
        .collect();
    let mut stg = null_mut();
    // SAFETY: a terminated name and a valid out-parameter.
    let hr = unsafe {
        StgOpenStorage(
            name.as_ptr(),
            null_mut(),
            STGM_READ | STGM_TRANSACTED,
            null_mut(),
            0,
            &mut stg,
        )
    };
    if hr != 0 {
        return None;
    }
    let stg = Com(stg.cast());
    let mut msg = null_mut();
    // SAFETY: the library's allocators, a live storage.
    let hr = unsafe {
        OpenIMsgOnIStg(
            null_mut(),
            Some(MAPIAllocateBuffer),
            Some(MAPIAllocateMore),
            Some(MAPIFreeBuffer),
            MAPIGetDefaultMalloc(),
            null_mut(),
            stg.0.cast(),
            None,
            0,
            0,
            &mut msg,
        )
    };
    (hr == 0).then(|| (Com(msg.cast()), stg))
}

fn normalize(s: &[u8], html: bool) -> Vec<u8> {
    let s = String::from_utf8_lossy(s).replace("\r\n", "\n");
    if html {
        s.replace('\u{A0}', "&nbsp;")
    } else {
        s
    }
    .into_bytes()
}

#[test]
fn corpus_bodies_through_the_exports() {
    let dir = corpus_dir();
    if !dir.join("msg").is_dir() {
        println!(
            "SKIPPED: no corpus at {} (set IMESSAGE_CORPUS)",
            dir.display()
        );
        return;
    }
    let mut failures = Vec::new();
    let (mut streams, mut equal, mut kinds, mut native_equal, mut natives) = (0, 0, 0, 0, 0);
    let (mut synced, mut unchanged) = (0, 0);
    let mut unlisted = Vec::new();
    for line in include_str!("rtf_oracle/expected.tsv").lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if line.starts_with('#') || f.len() != 9 || f[1] != "__substg1.0_10090102" {
            continue;
        }
        let (file, pypi, raw_sha, kind, out_sha) = (f[0], f[3], f[4], f[6], f[7]);
        let Some((msg, _stg)) = open(&dir.join("msg").join(file)) else {
            if !file.contains("clusterfuzz") {
                failures.push(format!("{file}: cannot be opened"));
            }
            continue;
        };
        let Some(prop) = msg.open_rtf() else {
            // A stream the property stream does not list is no property, to MAPI as to us.
            if msg.has_listed(PR_RTF_COMPRESSED) {
                failures.push(format!("{file}: PR_RTF_COMPRESSED listed but not opened"));
            } else {
                unlisted.push(file);
            }
            continue;
        };
        streams += 1;
        // Plain wrapper.
        let mut out = null_mut();
        // SAFETY: a live stream and a valid out-parameter.
        let hr = unsafe { WrapCompressedRTFStream(prop.0.cast(), 0, &mut out) };
        if pypi != "ok" {
            if hr != MAPI_E_CORRUPT_DATA {
                failures.push(format!(
                    "{file}: PyPI refuses ({pypi}), we answer 0x{hr:08X}"
                ));
            }
            continue;
        }
        if hr != 0 {
            failures.push(format!("{file}: WrapCompressedRTFStream 0x{hr:08X}"));
            continue;
        }
        match Com(out.cast()).read_all() {
            Ok(raw) if sha(&raw) == raw_sha => equal += 1,
            Ok(raw) => failures.push(format!("{file}: {} bytes differ from PyPI's", raw.len())),
            Err(hr) => failures.push(format!("{file}: Read 0x{hr:08X}")),
        }
        drop(prop);
        // The native body.
        let prop = msg.open_rtf().expect("opened once already");
        let info = RTF_WCSINFO {
            size: 16,
            ulFlags: MAPI_NATIVE_BODY,
            ulInCodePage: 0,
            ulOutCodePage: 65001,
        };
        let mut ret = RTF_WCSRETINFO {
            size: 8,
            ulStreamFlags: 0,
        };
        let mut out = null_mut();
        // SAFETY: as above, with the caller's structures.
        let hr = unsafe { WrapCompressedRTFStreamEx(prop.0.cast(), &info, &mut out, &mut ret) };
        if hr != 0 {
            failures.push(format!("{file}: WrapCompressedRTFStreamEx 0x{hr:08X}"));
            continue;
        }
        let body = Com(out.cast()).read_all().unwrap_or_default();
        let ours = match ret.ulStreamFlags {
            MAPI_NATIVE_BODY_TYPE_HTML => "html",
            MAPI_NATIVE_BODY_TYPE_PLAINTEXT => "text",
            _ => "rtf",
        };
        // rtfde fails on some native RTF (tests/rtf_corpus.rs): native to us as well.
        if ours == kind || (kind.starts_with("error") && ours == "rtf") {
            kinds += 1;
        } else {
            failures.push(format!("{file}: native body {ours}, rtfde {kind}"));
        }
        if ours == kind {
            natives += 1;
            if sha(&normalize(&body, ours == "html")) == out_sha {
                native_equal += 1;
            } else {
                failures.push(format!("{file}: native {ours} differs from rtfde's"));
            }
        }
        // Outlook's sync values: RTFSync finds nothing to do.
        if msg.has(PR_RTF_SYNC_BODY_CRC) {
            synced += 1;
            let mut updated = 7;
            // SAFETY: a live message and a valid out-parameter.
            let hr = unsafe { RTFSync(msg.0.cast(), RTF_SYNC_BODY_CHANGED, &mut updated) };
            if hr == 0 && updated == 0 {
                unchanged += 1;
            } else {
                println!("  RTFSync on {file}: 0x{hr:08X}, updated {updated}");
            }
        }
        // Some body is always there.
        let mut kind_out = 0;
        let mut out = null_mut();
        // SAFETY: as above.
        let hr = unsafe { ImsgGetBestBody(msg.0.cast(), 0, 0, &mut kind_out, &mut out) };
        if hr != 0 || out.is_null() {
            failures.push(format!("{file}: ImsgGetBestBody 0x{hr:08X}"));
        } else {
            drop(Com(out.cast()));
        }
    }
    println!(
        "through the exports: {streams} top-level RTF streams; WrapCompressedRTFStream equal to \
         PyPI compressed-rtf {equal}; Ex native kind agrees with rtfde {kinds}, content equal \
         {native_equal}/{natives}; RTFSync(BODY_CHANGED) left Outlook's sync values as they \
         were on {unchanged}/{synced}"
    );
    if !unlisted.is_empty() {
        println!(
            "RTF streams the property stream does not list (no property): {}",
            unlisted.join(", ")
        );
    }
    assert!(streams > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
