//! `imsg body`: the body a person reads, through `ImsgGetBestBody`.

use std::io::Write;

use crate::api::{self, Session};
use imessage::capi::rtf::{
    MAPI_NATIVE_BODY_TYPE_HTML, MAPI_NATIVE_BODY_TYPE_PLAINTEXT, MAPI_NATIVE_BODY_TYPE_RTF,
};
use imessage::consts::*;

/// The form asked for on the command line (0: the body's own).
pub fn form_flag(opt: &str) -> Option<u32> {
    match opt {
        "--html" => Some(MAPI_NATIVE_BODY_TYPE_HTML),
        "--rtf" => Some(MAPI_NATIVE_BODY_TYPE_RTF),
        "--text" => Some(MAPI_NATIVE_BODY_TYPE_PLAINTEXT),
        _ => None,
    }
}

pub fn kind_name(kind: u32) -> &'static str {
    match kind {
        MAPI_NATIVE_BODY_TYPE_HTML => "html",
        MAPI_NATIVE_BODY_TYPE_RTF => "rtf",
        MAPI_NATIVE_BODY_TYPE_PLAINTEXT => "text",
        _ => "unknown",
    }
}

/// Writes the body of `file` to standard output; returns its kind.
pub fn print_body(file: &str, form: u32, codepage: u32) -> Result<&'static str, api::ApiError> {
    let session = Session::open()?;
    let stg = api::open_storage_file(file, STGM_READ | STGM_TRANSACTED)?;
    let msg = session.open_message(&stg, 0)?;
    let (kind, bytes) = msg.best_body(form, codepage)?;
    drop(msg);
    drop(stg);
    drop(session);
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)
        .and_then(|()| out.flush())
        .map_err(|_| api::ApiError {
            call: "writing the body".into(),
            hr: STG_E_WRITEFAULT,
            detail: None,
        })?;
    Ok(kind_name(kind))
}
