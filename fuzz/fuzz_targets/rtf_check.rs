//! What must hold for any input bytes (panics say which property broke).
use std::io::Read;

use imessage::codec::compressed_rtf::{self, Decompressor, Format, Header};
use imessage::codec::rtf_encap::{self, Kind};

/// Line ends as encapsulation gives them back ([MS-OXRTFEX] allows CRLF for all).
fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

pub fn check(data: &[u8]) {
    // 1. The input as compressed RTF: whole-buffer and streamed agree.
    let whole = compressed_rtf::decompress(data);
    let mut streamed = Vec::new();
    let stream_result =
        Decompressor::new(data).and_then(|mut d| d.read_to_end(&mut streamed).map(|_| ()));
    match &whole {
        Ok(raw) => {
            assert!(
                stream_result.is_ok(),
                "streamed refuses what whole-buffer takes"
            );
            assert_eq!(&streamed, raw, "streamed and whole-buffer differ");
            let h = Header::parse(data).expect("header of a value that decompressed");
            assert_eq!(raw.len(), h.raw_size as usize, "output is not RAWSIZE long");
        }
        Err(_) => assert!(
            stream_result.is_err(),
            "streamed takes what whole-buffer refuses"
        ),
    }
    // 2. The input as RTF, and the decompressed RTF: never panics, kinds agree.
    for rtf in [Some(data), whole.as_deref().ok()].into_iter().flatten() {
        let kind = rtf_encap::detect(rtf);
        let d = rtf_encap::deencapsulate(rtf);
        assert_eq!(
            d.as_ref().map(|d| d.kind),
            (kind != Kind::Rtf).then_some(kind)
        );
        let _ = rtf_encap::rtf_to_text(rtf);
    }
    // 3. The input as RTF to compress: both formats round-trip.
    for format in [Format::Compressed, Format::Uncompressed] {
        let packed = compressed_rtf::compress(data, format).expect("compress");
        assert_eq!(
            compressed_rtf::decompress(&packed).as_deref(),
            Ok(data),
            "{format:?} round trip"
        );
    }
    // 4. The input as text and as HTML to encapsulate: they come back (line ends as CRLF).
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let cp = [1252, 1251, 1250, 932, 936, 949, 950, 1253][usize::from(first) % 8];
    let text = String::from_utf8_lossy(rest);
    let back =
        rtf_encap::deencapsulate(&rtf_encap::encapsulate_text(&text, cp)).expect("text kind");
    assert_eq!(
        (back.kind, back.content),
        (Kind::Text, crlf(&text)),
        "text round trip in {cp}"
    );
    let back =
        rtf_encap::deencapsulate(&rtf_encap::encapsulate_html(&text, cp)).expect("html kind");
    assert_eq!(
        (back.kind, back.content),
        (Kind::Html, crlf(&text)),
        "html round trip in {cp}"
    );
}
