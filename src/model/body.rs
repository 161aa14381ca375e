//! Body rules over the RTF codecs: which body a person reads (the best body, [MS-OXBBODY]
//! and Outlook's observed choice), that body in another form (HTML, RTF or text) and code
//! page, and what `RTFSync` stores to keep `PR_BODY` and `PR_RTF_COMPRESSED` in step.
//!
//! Pure functions over values; the COM layer reads the properties and writes the result.
#![forbid(unsafe_code)]

use crate::codec::rtf_encap::{self, Kind};
use crate::codec::rtf_sync::{SyncValues, sync_values};
use crate::error::{Error, ErrorKind, Result};
use crate::types::codepage;

/// A body's form; the values are `MAPI_NATIVE_BODY_TYPE_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Rtf = 1,
    Html = 2,
    Text = 4,
}

impl Form {
    pub fn from_native_type(v: u32) -> Option<Form> {
        match v {
            1 => Some(Form::Rtf),
            2 => Some(Form::Html),
            4 => Some(Form::Text),
            _ => None,
        }
    }
}

/// Which body properties a message has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Present {
    /// `PR_NATIVE_BODY_INFO` ([MS-OXCMSG] 2.2.1.58.2: 1 plain, 2 RTF, 3 HTML).
    pub native: Option<i32>,
    pub rtf: bool,
    /// `PR_RTF_IN_SYNC`; absent means the RTF cannot be kept in step.
    pub rtf_in_sync: Option<bool>,
    pub html: bool,
    pub text: bool,
}

/// The property the body a person reads comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Rtf,
    Html,
    Text,
}

/// Outlook's choice: `PR_NATIVE_BODY_INFO` when it names a body that is there; else HTML;
/// else RTF that is in sync; else text; RTF out of sync only when nothing else is there (a
/// stale RTF beside a newer text is not what the sender last wrote). HTML before RTF: in
/// Outlook 2013, RTF beside plain text is shown only when in sync, and HTML beside plain
/// text is shown as HTML (the 2015 MSDN thread on [MS-OXBBODY]'s table); where both are
/// there, Outlook's own files hold the same HTML in each, PR_HTML with its charset META.
pub fn choose(p: &Present) -> Option<Source> {
    match p.native {
        Some(1) if p.text => return Some(Source::Text),
        Some(2) if p.rtf => return Some(Source::Rtf),
        Some(3) if p.html => return Some(Source::Html),
        // HTML that passed through Exchange lives only encapsulated in the RTF.
        Some(3) if p.rtf => return Some(Source::Rtf),
        _ => {}
    }
    if p.html {
        Some(Source::Html)
    } else if p.rtf && p.rtf_in_sync == Some(true) {
        Some(Source::Rtf)
    } else if p.text {
        Some(Source::Text)
    } else if p.rtf {
        Some(Source::Rtf)
    } else {
        None
    }
}

/// A body in its own form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Native {
    /// Native RTF, as bytes.
    Rtf(Vec<u8>),
    Html(String),
    Text(String),
}

impl Native {
    pub fn form(&self) -> Form {
        match self {
            Native::Rtf(_) => Form::Rtf,
            Native::Html(_) => Form::Html,
            Native::Text(_) => Form::Text,
        }
    }
}

/// The native body of uncompressed RTF: the HTML or text it encapsulates ([MS-OXRTFEX]),
/// or the RTF itself.
pub fn native_of_rtf(rtf: &[u8]) -> Native {
    match rtf_encap::deencapsulate(rtf) {
        Some(d) if d.kind == Kind::Html => Native::Html(d.content),
        Some(d) => Native::Text(d.content),
        None => Native::Rtf(rtf.to_vec()),
    }
}

/// `WrapCompressedRTFStreamEx`'s native body: the HTML or text the RTF encapsulates as
/// bytes of `out_cp` (0: `in_cp`, or the RTF's `\ansicpg` when that is 0 too), or the RTF.
pub fn native_body(rtf: &[u8], in_cp: u32, out_cp: u32) -> Result<(Form, Vec<u8>)> {
    let Some(d) = rtf_encap::deencapsulate(rtf) else {
        return Ok((Form::Rtf, rtf.to_vec()));
    };
    let cp = [out_cp, in_cp, d.codepage]
        .into_iter()
        .find(|&c| c != 0)
        .unwrap_or(65001);
    let form = if d.kind == Kind::Html {
        Form::Html
    } else {
        Form::Text
    };
    Ok((form, encode_text(&d.content, cp)?))
}

/// The code page an 8-bit body is written in: `ansicpg`-style numbers, 0 meaning UTF-8.
fn out_page(cp: u32) -> u32 {
    if cp == 0 { 65001 } else { cp }
}

/// Text as bytes of code page `cp` (0: UTF-8; 1200: UTF-16LE). Characters the page lacks
/// become what Windows' conversion gives them (`codepage::encode`).
pub fn encode_text(text: &str, cp: u32) -> Result<Vec<u8>> {
    match out_page(cp) {
        65001 => Ok(text.as_bytes().to_vec()),
        1200 => Ok(text.encode_utf16().flat_map(u16::to_le_bytes).collect()),
        cp => {
            let units: Vec<u16> = text.encode_utf16().collect();
            codepage::encode(cp, &units)
        }
    }
}

/// Bytes of code page `cp` as text (0 or 65001: UTF-8, lossy).
pub fn decode_text(bytes: &[u8], cp: u32) -> String {
    match out_page(cp) {
        65001 => String::from_utf8_lossy(bytes).into_owned(),
        cp => match codepage::decode(cp, bytes) {
            Ok(units) => String::from_utf16_lossy(&units),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}

/// Plain text as a minimal HTML document (line ends as `<br>`).
pub fn text_to_html(text: &str) -> String {
    let mut out = String::from("<html><body>\r\n");
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>\r\n");
            }
            '\n' => out.push_str("<br>\r\n"),
            c => out.push(c),
        }
    }
    out.push_str("\r\n</body></html>\r\n");
    out
}

/// The visible text of HTML, roughly as a mail client's "plain text" view: markup dropped,
/// `<head>`, `<style>`, `<script>` and comments left out, `<br>`, `<p>`, `<div>`, `<tr>`,
/// `<li>` and headings end lines, the common character references decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut hidden: Option<String> = None;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |i| &after[i + 3..]);
            continue;
        }
        if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').map_or(after.len(), |i| i + 1);
            let tag = &after[..end];
            rest = &after[end..];
            let close = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            match &hidden {
                Some(h) if close && *h == name => hidden = None,
                Some(_) => {}
                None if !close && matches!(name.as_str(), "head" | "style" | "script") => {
                    hidden = Some(name)
                }
                None => {
                    if matches!(
                        name.as_str(),
                        "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
                    ) && (name == "br" || close || name == "p")
                        && !out.is_empty()
                        && !out.ends_with("\r\n\r\n")
                    {
                        out.push_str("\r\n");
                    }
                }
            }
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        if hidden.is_none() {
            push_html_text(&mut out, &rest[..end]);
        }
        rest = &rest[end..];
    }
    out
}

/// HTML text with its whitespace collapsed and character references decoded.
fn push_html_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_whitespace() {
            let end = rest
                .find(|c: char| !c.is_ascii_whitespace())
                .unwrap_or(rest.len());
            if !out.is_empty() && !out.ends_with(['\n', ' ']) {
                out.push(' ');
            }
            rest = &rest[end..];
        } else if c == '&' {
            let end = rest[1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
                .map(|i| i + 1)
                .filter(|&i| rest[i..].starts_with(';'));
            let decoded = end.and_then(|i| entity(&rest[1..i]));
            match (end, decoded) {
                (Some(i), Some(d)) => {
                    out.push(d);
                    rest = &rest[i + 1..];
                }
                _ => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(n);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{A0}',
        _ => return None,
    })
}

/// A body converted to `want` (None: its own form), as bytes: RTF as it is (7-bit RTF
/// names its own code pages), HTML and text in code page `cp` (0: UTF-8). `stored_text` is
/// `PR_BODY`, preferred for text when the body is not text already. `rtf_cp` is the code
/// page RTF made from HTML or text declares (`\ansicpgN`).
pub fn convert(
    body: &Native,
    original_rtf: Option<&[u8]>,
    stored_text: Option<&str>,
    want: Option<Form>,
    cp: u32,
    rtf_cp: u32,
) -> Result<(Form, Vec<u8>)> {
    let want = want.unwrap_or(body.form());
    let bytes = match (want, body) {
        (Form::Rtf, Native::Rtf(rtf)) => rtf.clone(),
        (Form::Rtf, _) if original_rtf.is_some() => original_rtf.unwrap_or_default().to_vec(),
        (Form::Rtf, Native::Html(h)) => rtf_encap::encapsulate_html(h, rtf_cp),
        (Form::Rtf, Native::Text(t)) => rtf_encap::encapsulate_text(t, rtf_cp),
        (Form::Html, Native::Html(h)) => encode_text(h, cp)?,
        (Form::Html, Native::Text(t)) => encode_text(&text_to_html(t), cp)?,
        (Form::Html, Native::Rtf(r)) => encode_text(&text_to_html(&rtf_encap::rtf_to_text(r)), cp)?,
        (Form::Text, Native::Text(t)) => encode_text(t, cp)?,
        (Form::Text, _) if stored_text.is_some() => encode_text(stored_text.unwrap_or(""), cp)?,
        (Form::Text, Native::Html(h)) => encode_text(&html_to_text(h), cp)?,
        (Form::Text, Native::Rtf(r)) => encode_text(&rtf_encap::rtf_to_text(r), cp)?,
    };
    Ok((want, bytes))
}

// ===== RTFSync =====

/// `RTF_SYNC_RTF_CHANGED`.
pub const SYNC_RTF_CHANGED: u32 = 0x1;
/// `RTF_SYNC_BODY_CHANGED`.
pub const SYNC_BODY_CHANGED: u32 = 0x2;

/// What `RTFSync` reads from the message.
#[derive(Clone, Debug, Default)]
pub struct SyncInput {
    pub body: Option<String>,
    /// The RTF, uncompressed.
    pub rtf: Option<Vec<u8>>,
    /// The five `PR_RTF_SYNC_*` values, when all are there.
    pub stored: Option<SyncValues>,
    pub in_sync: Option<bool>,
    /// The code page the sync values count in, and new RTF declares.
    pub codepage: u32,
}

/// What `RTFSync` writes; `None` fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncPlan {
    /// New RTF (uncompressed) for `PR_RTF_COMPRESSED`.
    pub rtf: Option<Vec<u8>>,
    /// New `PR_BODY`.
    pub body: Option<String>,
    /// New `PR_RTF_SYNC_*` values.
    pub values: Option<SyncValues>,
    /// New `PR_RTF_IN_SYNC`.
    pub in_sync: Option<bool>,
}

impl SyncPlan {
    /// Whether the message changes (the caller must then `SaveChanges`).
    pub fn updates(&self) -> bool {
        self.rtf.is_some() || self.body.is_some() || self.values.is_some() || self.in_sync.is_some()
    }
}

/// Whether two sync value sets describe the same significant text.
fn same_text(a: &SyncValues, b: &SyncValues) -> bool {
    a.crc == b.crc && a.count == b.count && a.tag == b.tag
}

/// The `\ansicpgN` of an RTF document's header (the first 4 KiB).
pub fn rtf_codepage(rtf: &[u8]) -> Option<u32> {
    let head = &rtf[..rtf.len().min(4096)];
    let at = head.windows(8).position(|w| w == b"\\ansicpg")? + 8;
    let digits: String = head[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| b as char)
        .collect();
    digits.parse().ok()
}

/// The plain text an RTF body shows: the text it encapsulates, or its visible text.
pub fn text_of_rtf(rtf: &[u8]) -> String {
    match rtf_encap::deencapsulate(rtf) {
        Some(d) if d.kind == Kind::Text => d.content,
        _ => rtf_encap::rtf_to_text(rtf),
    }
}

/// `RTFSync`'s decision. With `RTF_SYNC_BODY_CHANGED` the RTF is rebuilt from `PR_BODY`
/// unless the body's significant text is still what the RTF (or the stored sync values)
/// says; with `RTF_SYNC_RTF_CHANGED` `PR_BODY` is derived from the RTF unless it already
/// says the same; with both, a body and RTF that disagree are settled in the RTF's favour
/// (the richer form). Afterwards the sync values describe `PR_BODY` and `PR_RTF_IN_SYNC`
/// is TRUE. Only values that change are in the plan.
pub fn plan_sync(flags: u32, input: &SyncInput) -> Result<SyncPlan> {
    if flags & !(SYNC_RTF_CHANGED | SYNC_BODY_CHANGED) != 0 {
        return Err(Error::new(
            ErrorKind::UnknownFlags,
            format!(
                "unknown RTFSync flags 0x{:08X}",
                flags & !(SYNC_RTF_CHANGED | SYNC_BODY_CHANGED)
            ),
        ));
    }
    let mut plan = SyncPlan::default();
    if flags == 0 {
        return Ok(plan);
    }
    // Outlook counts in the RTF's own page (the corpus's Russian and Chinese messages have
    // PR_INTERNET_CPID 65001 and 950 and RTF in 1251 and 950; their sync values match
    // only in the RTF's page).
    let cp = input
        .rtf
        .as_deref()
        .and_then(rtf_codepage)
        .filter(|&c| codepage::is_ansi_page(c))
        .unwrap_or(input.codepage);
    let body_values = input.body.as_deref().map(|b| sync_values(b, cp));
    let rtf_text = input.rtf.as_deref().map(text_of_rtf);
    let rtf_values = rtf_text.as_deref().map(|t| sync_values(t, cp));
    let body_changed = flags & SYNC_BODY_CHANGED != 0;
    let rtf_changed = flags & SYNC_RTF_CHANGED != 0;

    // The body that holds afterwards.
    let final_body: Option<String> = match (&input.body, &input.rtf) {
        (None, None) => return Ok(plan),
        (None, Some(_)) => {
            // Only RTF: the body comes from it whichever flag was given.
            plan.body = rtf_text.clone();
            rtf_text
        }
        (Some(body), None) => {
            if body_changed {
                plan.rtf = Some(rtf_encap::encapsulate_text(body, cp));
            }
            if !body_changed {
                // The RTF was removed: nothing describes it any more.
                return Ok(plan);
            }
            Some(body.clone())
        }
        (Some(body), Some(_)) => {
            let (bv, rv) = (
                body_values.as_ref().expect("body"),
                rtf_values.as_ref().expect("rtf"),
            );
            let agrees = same_text(bv, rv);
            // Outlook's own PR_BODY of an HTML message holds text the RTF lacks (link
            // targets), so unchanged sync values also count as agreement.
            let unchanged = input.stored.as_ref().is_some_and(|s| same_text(s, bv));
            if agrees || (body_changed && !rtf_changed && unchanged) {
                Some(body.clone())
            } else if rtf_changed {
                plan.body = rtf_text.clone();
                rtf_text
            } else {
                plan.rtf = Some(rtf_encap::encapsulate_text(body, cp));
                Some(body.clone())
            }
        }
    };
    let values = sync_values(final_body.as_deref().unwrap_or(""), cp);
    if input.stored.as_ref() != Some(&values) {
        plan.values = Some(values);
    }
    if input.in_sync != Some(true) {
        plan.in_sync = Some(true);
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn present(
        native: Option<i32>,
        rtf: bool,
        sync: Option<bool>,
        html: bool,
        text: bool,
    ) -> Present {
        Present {
            native,
            rtf,
            rtf_in_sync: sync,
            html,
            text,
        }
    }

    #[test]
    fn best_body_follows_outlook() {
        // PR_NATIVE_BODY_INFO first, when its body is there.
        assert_eq!(
            choose(&present(Some(1), true, Some(true), true, true)),
            Some(Source::Text)
        );
        assert_eq!(
            choose(&present(Some(2), true, None, true, true)),
            Some(Source::Rtf)
        );
        assert_eq!(
            choose(&present(Some(3), true, Some(true), true, true)),
            Some(Source::Html)
        );
        assert_eq!(
            choose(&present(Some(3), true, None, false, true)),
            Some(Source::Rtf)
        );
        // Native names a missing body: the usual order.
        assert_eq!(
            choose(&present(Some(2), false, None, true, true)),
            Some(Source::Html)
        );
        // HTML; else RTF when in sync; else text.
        assert_eq!(
            choose(&present(None, true, Some(true), true, true)),
            Some(Source::Html)
        );
        assert_eq!(
            choose(&present(None, true, Some(true), false, true)),
            Some(Source::Rtf)
        );
        assert_eq!(
            choose(&present(None, true, Some(false), true, true)),
            Some(Source::Html)
        );
        assert_eq!(
            choose(&present(None, true, None, false, true)),
            Some(Source::Text)
        );
        assert_eq!(
            choose(&present(None, true, None, false, false)),
            Some(Source::Rtf)
        );
        assert_eq!(choose(&present(None, false, None, false, false)), None);
    }

    #[test]
    fn conversions_between_forms() {
        let html = Native::Html(
            "<html><head><style>p{}</style></head><body><p>A &amp; B</p>line<br>two</body></html>"
                .into(),
        );
        let (form, text) = convert(&html, None, None, Some(Form::Text), 0, 1252).unwrap();
        assert_eq!(form, Form::Text);
        assert_eq!(String::from_utf8(text).unwrap(), "A & B\r\nline\r\ntwo");
        // A stored PR_BODY wins for text.
        let (_, text) = convert(&html, None, Some("stored"), Some(Form::Text), 0, 1252).unwrap();
        assert_eq!(text, b"stored");
        // Text to HTML escapes and breaks lines.
        let t = Native::Text("a<b\r\nc".into());
        let (_, h) = convert(&t, None, None, Some(Form::Html), 0, 1252).unwrap();
        assert!(String::from_utf8(h).unwrap().contains("a&lt;b<br>\r\nc"));
        // Text to RTF encapsulates, and comes back.
        let (_, rtf) = convert(&t, None, None, Some(Form::Rtf), 0, 1252).unwrap();
        assert_eq!(native_of_rtf(&rtf), Native::Text("a<b\r\nc".into()));
        // Code pages: cp1252 bytes, UTF-16LE.
        let t = Native::Text("é".into());
        assert_eq!(
            convert(&t, None, None, None, 1252, 1252).unwrap().1,
            vec![0xE9]
        );
        assert_eq!(
            convert(&t, None, None, None, 1200, 1252).unwrap().1,
            vec![0xE9, 0]
        );
        assert_eq!(
            convert(&t, None, None, None, 0, 1252).unwrap().1,
            "é".as_bytes()
        );
        assert_eq!(decode_text(&[0xE9], 1252), "é");
    }

    fn input(body: Option<&str>, rtf: Option<Vec<u8>>) -> SyncInput {
        SyncInput {
            body: body.map(str::to_string),
            rtf,
            stored: None,
            in_sync: None,
            codepage: 1252,
        }
    }

    #[test]
    fn sync_builds_rtf_from_a_changed_body() {
        let plan = plan_sync(SYNC_BODY_CHANGED, &input(Some("Hello world\r\n"), None)).unwrap();
        let rtf = plan.rtf.clone().expect("new RTF");
        assert_eq!(text_of_rtf(&rtf), "Hello world\r\n");
        assert_eq!(plan.values.as_ref().unwrap().tag, "HELLOWORLD");
        assert_eq!(plan.in_sync, Some(true));
        assert!(plan.body.is_none());
        // Stale RTF is replaced.
        let old = rtf_encap::encapsulate_text("old text", 1252);
        let plan = plan_sync(SYNC_BODY_CHANGED, &input(Some("new text"), Some(old))).unwrap();
        assert_eq!(text_of_rtf(&plan.rtf.unwrap()), "new text");
    }

    #[test]
    fn sync_derives_the_body_from_changed_rtf() {
        let rtf = rtf_encap::encapsulate_text("From RTF\r\nline 2", 1252);
        let plan = plan_sync(SYNC_RTF_CHANGED, &input(Some("old"), Some(rtf.clone()))).unwrap();
        assert_eq!(plan.body.as_deref(), Some("From RTF\r\nline 2"));
        assert!(plan.rtf.is_none());
        assert_eq!(plan.values.as_ref().unwrap().count, 12);
        // No body at all: derived as well, with either flag.
        let plan = plan_sync(SYNC_BODY_CHANGED, &input(None, Some(rtf))).unwrap();
        assert_eq!(plan.body.as_deref(), Some("From RTF\r\nline 2"));
    }

    #[test]
    fn sync_counts_in_the_rtf_page() {
        assert_eq!(
            rtf_codepage(b"{\\rtf1\\ansi\\ansicpg1251\\deff0 x}"),
            Some(1251)
        );
        assert_eq!(rtf_codepage(b"{\\rtf1 x}"), None);
        // cp1251 bytes: 'я' is 0xFF, which Outlook skips; in 1252 it would be '?'.
        let rtf = rtf_encap::encapsulate_text("Имя", 1251);
        let mut i = input(Some("Имя"), Some(rtf));
        i.codepage = 1252;
        let plan = plan_sync(SYNC_BODY_CHANGED, &i).unwrap();
        assert_eq!(plan.values.unwrap().count, 2);
    }

    #[test]
    fn sync_is_idempotent_and_checks_flags() {
        let body = "Same text";
        let rtf = rtf_encap::encapsulate_text("Same  text\r\n", 1252);
        let plan = plan_sync(
            SYNC_BODY_CHANGED | SYNC_RTF_CHANGED,
            &input(Some(body), Some(rtf.clone())),
        )
        .unwrap();
        assert!(plan.rtf.is_none() && plan.body.is_none());
        let mut again = input(Some(body), Some(rtf));
        again.stored = plan.values.clone();
        again.in_sync = Some(true);
        let plan = plan_sync(SYNC_BODY_CHANGED, &again).unwrap();
        assert!(!plan.updates(), "{plan:?}");
        assert_eq!(
            plan_sync(4, &again).unwrap_err().kind,
            ErrorKind::UnknownFlags
        );
        assert!(!plan_sync(0, &again).unwrap().updates());
        // Unchanged stored values keep an HTML message's RTF although its text differs.
        let html_rtf = rtf_encap::encapsulate_html("<html><body>Link</body></html>", 1252);
        let mut html = input(Some("Link <http://x/>"), Some(html_rtf));
        html.stored = Some(sync_values("Link <http://x/>", 1252));
        html.in_sync = Some(true);
        assert!(!plan_sync(SYNC_BODY_CHANGED, &html).unwrap().updates());
    }
}
