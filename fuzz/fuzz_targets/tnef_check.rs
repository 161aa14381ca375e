//! What must hold for any input bytes (panics say which property broke): reading never
//! panics; whatever is read is written, read back and written again to the same bytes
//! (compared as bytes, so NaN values count as equal); the legacy mapping runs over every part.

use imessage::codec::{tnef, tnef_legacy, tnef_write};

pub fn check(data: &[u8]) {
    let _ = tnef::read_codepage(data);
    let Ok(t) = tnef::read(data) else {
        return;
    };
    assert!(t.consumed <= data.len());
    assert!(t.problems.len() <= tnef::MAX_PROBLEMS);
    let _ = tnef_legacy::message_props(&t);
    for a in &t.attachments {
        let _ = tnef_legacy::attachment_props(a);
    }
    let once = tnef_write::write(&t);
    let again = tnef::read(&once).expect("our own output reads");
    assert_eq!(
        tnef_write::write(&again),
        once,
        "write(read(write(x))) == write(x)"
    );
}
