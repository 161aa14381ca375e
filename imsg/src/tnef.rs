//! `imsg tnef-to-msg` and `imsg msg-to-tnef`: winmail.dat and .msg, through
//! `OpenTnefStream` and `ITnef`.

use crate::api::{self, Session};
use imessage::consts::*;

/// Decodes the TNEF file `input` into a new message `out`; returns the problems reported.
pub fn tnef_to_msg(input: &str, out: &str) -> Result<Vec<String>, api::ApiError> {
    let session = Session::open()?;
    let stream = api::stream_on_file(input, STGM_READ)?;
    let stg = api::create_storage_file(out, STGM_READWRITE | STGM_TRANSACTED | STGM_CREATE)?;
    let msg = session.open_message(&stg, MAPI_UNICODE)?;
    let problems = api::tnef(&stream, &msg, false, 0)?;
    msg.save_changes(0)?;
    stg.commit()?;
    drop(msg);
    drop(stg);
    drop(session);
    Ok(problems)
}

/// Encodes the message `input` as TNEF into `out` (best-data mode, a key from the clock).
pub fn msg_to_tnef(input: &str, out: &str) -> Result<Vec<String>, api::ApiError> {
    let session = Session::open()?;
    let stg = api::open_storage_file(input, STGM_READ | STGM_TRANSACTED)?;
    let msg = session.open_message(&stg, 0)?;
    let stream = api::stream_on_file(out, STGM_READWRITE | STGM_CREATE)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.subsec_nanos());
    let key = (nanos % 0xFFFF) as u16 + 1;
    let problems = api::tnef(&stream, &msg, true, key)?;
    stream.commit()?;
    drop(stream);
    drop(msg);
    drop(stg);
    drop(session);
    Ok(problems)
}
