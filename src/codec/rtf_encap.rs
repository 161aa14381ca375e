//! RTF that encapsulates HTML or plain text ([MS-OXRTFEX]): recognising it, taking the
//! original out again, the plain text of any RTF, and writing plain text or HTML as
//! encapsulating RTF (what `RTFSync` stores when the plain body changed).
//!
//! Input is uncompressed RTF bytes (see `compressed_rtf`); output is Unicode, since one
//! document mixes code pages (the default `\ansicpgN` inside `\*\htmltag` groups, each font's
//! charset outside them, [MS-OXRTFEX] 2.2.3.2). The caller re-encodes if it wants a page.
//! Hostile input costs linear time and bounded memory: nesting past [`MAX_DEPTH`] shares its
//! parent's state, `\binN` skips at most what is there.
#![forbid(unsafe_code)]

use encoding_rs::Encoding;

/// What an RTF document holds ([MS-OXRTFEX] 2.2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `\fromhtml1`: encapsulated HTML.
    Html,
    /// `\fromtext`: encapsulated plain text.
    Text,
    /// Native RTF (or not RTF at all).
    Rtf,
}

/// The content taken out of encapsulating RTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deencapsulated {
    pub kind: Kind,
    pub content: String,
    /// The document's `\ansicpgN` (1252 when absent): the page the original was most
    /// likely in, and the one to re-encode to when a caller wants bytes.
    pub codepage: u32,
}

/// Groups nested deeper than this share their parent's state (a hostile `{{{{…` must not
/// make a stack entry per byte).
pub const MAX_DEPTH: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    /// A control word and its parameter.
    Word(&'a [u8], Option<i32>),
    /// `\'hh`.
    Hex(u8),
    /// A control symbol other than `\'` (`\{`, `\*`, `\~`, ...).
    Symbol(u8),
    /// Plain bytes (line ends removed).
    Text(&'a [u8]),
}

/// Splits RTF into tokens; never fails.
struct Lexer<'a> {
    rtf: &'a [u8],
    at: usize,
}

impl<'a> Lexer<'a> {
    fn new(rtf: &'a [u8]) -> Lexer<'a> {
        Lexer { rtf, at: 0 }
    }

    fn hex_digit(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }

    fn next_token(&mut self) -> Option<Token<'a>> {
        let rtf = self.rtf;
        loop {
            let b = *rtf.get(self.at)?;
            match b {
                b'{' => {
                    self.at += 1;
                    return Some(Token::Open);
                }
                b'}' => {
                    self.at += 1;
                    return Some(Token::Close);
                }
                b'\r' | b'\n' => self.at += 1,
                b'\\' => return Some(self.control()),
                _ => {
                    let start = self.at;
                    while let Some(&c) = rtf.get(self.at) {
                        if matches!(c, b'{' | b'}' | b'\\' | b'\r' | b'\n') {
                            break;
                        }
                        self.at += 1;
                    }
                    return Some(Token::Text(&rtf[start..self.at]));
                }
            }
        }
    }

    fn control(&mut self) -> Token<'a> {
        let rtf = self.rtf;
        self.at += 1;
        let Some(&c) = rtf.get(self.at) else {
            return Token::Symbol(b'\\');
        };
        if !c.is_ascii_alphabetic() {
            self.at += 1;
            match c {
                b'\'' => {
                    let hi = rtf.get(self.at).copied().and_then(Self::hex_digit);
                    let lo = rtf.get(self.at + 1).copied().and_then(Self::hex_digit);
                    if let (Some(hi), Some(lo)) = (hi, lo) {
                        self.at += 2;
                        return Token::Hex(hi << 4 | lo);
                    }
                    return Token::Symbol(b'\'');
                }
                // A backslash before a line end is a paragraph mark.
                b'\r' | b'\n' => return Token::Word(b"par", None),
                _ => return Token::Symbol(c),
            }
        }
        let start = self.at;
        while self.at < rtf.len() && rtf[self.at].is_ascii_alphabetic() && self.at - start < 32 {
            self.at += 1;
        }
        let name = &rtf[start..self.at];
        let mut param = None;
        let negative =
            rtf.get(self.at) == Some(&b'-') && rtf.get(self.at + 1).is_some_and(u8::is_ascii_digit);
        if negative {
            self.at += 1;
        }
        if rtf.get(self.at).is_some_and(u8::is_ascii_digit) {
            let mut v: i64 = 0;
            let digits = self.at;
            while self.at < rtf.len() && rtf[self.at].is_ascii_digit() {
                if self.at - digits < 10 {
                    v = v * 10 + i64::from(rtf[self.at] - b'0');
                }
                self.at += 1;
            }
            let v = if negative { -v } else { v };
            param = Some(v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
        }
        if rtf.get(self.at) == Some(&b' ') {
            self.at += 1;
        }
        if name == b"bin" {
            // Binary data follows: skip it (it is never text).
            let n = param.unwrap_or(0).max(0) as usize;
            self.at = self.at.saturating_add(n).min(rtf.len());
        }
        Token::Word(name, param)
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;
    fn next(&mut self) -> Option<Token<'a>> {
        self.next_token()
    }
}

/// What an RTF document encapsulates, from its header ([MS-OXRTFEX] 2.2.3.1): it starts with
/// `{\rtf1`, and `\fromhtml1` or `\fromtext` comes among its first 10 tokens, before the font
/// table.
pub fn detect(rtf: &[u8]) -> Kind {
    let mut tokens = Lexer::new(rtf);
    if tokens.next() != Some(Token::Open) {
        return Kind::Rtf;
    }
    match tokens.next() {
        Some(Token::Word(b"rtf", Some(1) | None)) => {}
        _ => return Kind::Rtf,
    }
    let mut seen = 2;
    for t in tokens {
        match t {
            Token::Word(b"fromhtml", Some(1)) => return Kind::Html,
            Token::Word(b"fromtext", _) => return Kind::Text,
            Token::Word(b"fonttbl", _) => return Kind::Rtf,
            Token::Open | Token::Word(..) | Token::Symbol(_) => {}
            Token::Close | Token::Hex(_) | Token::Text(_) => continue,
        }
        seen += 1;
        if seen >= 10 {
            break;
        }
    }
    Kind::Rtf
}

/// The code page of an `\fcharsetN` ([MSFT-RTF]; 0 is ANSI, i.e. Windows-1252).
pub fn charset_codepage(charset: i32) -> Option<u32> {
    Some(match charset {
        0 => 1252,
        77 => 10000,
        128 => 932,
        129 => 949,
        130 => 1361,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        254 => 437,
        _ => return None,
    })
}

fn encoding(cp: u32) -> &'static Encoding {
    u16::try_from(cp)
        .ok()
        .and_then(codepage::to_encoding)
        .filter(|e| {
            *e != encoding_rs::REPLACEMENT
                && *e != encoding_rs::UTF_16LE
                && *e != encoding_rs::UTF_16BE
        })
        .unwrap_or(encoding_rs::WINDOWS_1252)
}

/// Destinations whose text is never part of the body.
fn skipped_destination(word: &[u8]) -> bool {
    matches!(
        word,
        b"fonttbl"
            | b"colortbl"
            | b"stylesheet"
            | b"listtable"
            | b"listoverridetable"
            | b"info"
            | b"pict"
            | b"object"
            | b"objdata"
            | b"fldinst"
            | b"header"
            | b"headerl"
            | b"headerr"
            | b"headerf"
            | b"footer"
            | b"footerl"
            | b"footerr"
            | b"footerf"
            | b"footnote"
            | b"revtbl"
            | b"rsidtbl"
            | b"xmlnstbl"
            | b"themedata"
            | b"colorschememapping"
            | b"latentstyles"
            | b"datastore"
            | b"generator"
            | b"filetbl"
            | b"pgdsctbl"
            | b"mhtmltag"
            | b"pntext"
            | b"pntxta"
            | b"pntxtb"
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dest {
    /// Body text.
    Body,
    /// `\*\htmltag`: original HTML.
    HtmlTag,
    /// The font table: `\fN` defines a font here.
    FontTable,
    /// Anything else that is not shown.
    Skip,
}

#[derive(Clone, Copy, Debug)]
struct Group {
    dest: Dest,
    htmlrtf: bool,
    /// Code page of the current font.
    cp: u32,
    /// Fallback characters after `\uN`.
    uc: u32,
    /// The group just opened: its first control word may name a destination.
    fresh: bool,
    /// `\*` seen first in this group.
    ignorable: bool,
}

/// Accumulates output: bytes of one code page are decoded together (a double-byte
/// character may arrive as two `\'hh`), Unicode characters go straight in.
struct Out {
    text: String,
    bytes: Vec<u8>,
    cp: u32,
    /// A high surrogate from `\uN` waiting for its pair.
    high: Option<u16>,
}

impl Out {
    fn flush(&mut self) {
        if !self.bytes.is_empty() {
            let (s, _) = encoding(self.cp).decode_without_bom_handling(&self.bytes);
            self.text.push_str(&s);
            self.bytes.clear();
        }
    }

    fn byte(&mut self, cp: u32, b: u8) {
        self.pair_lost();
        if cp != self.cp {
            self.flush();
            self.cp = cp;
        }
        self.bytes.push(b);
    }

    fn pair_lost(&mut self) {
        if self.high.take().is_some() {
            self.flush();
            self.text.push('\u{FFFD}');
        }
    }

    fn unit(&mut self, u: u16) {
        if let Some(h) = self.high.take() {
            if (0xDC00..0xE000).contains(&u) {
                let c = 0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
                self.flush();
                self.text.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                return;
            }
            self.high = Some(h);
            self.pair_lost();
        }
        if (0xD800..0xDC00).contains(&u) {
            self.high = Some(u);
            return;
        }
        self.ch(char::from_u32(u32::from(u)).unwrap_or('\u{FFFD}'));
    }

    fn ch(&mut self, c: char) {
        self.pair_lost();
        self.flush();
        self.text.push(c);
    }

    fn str(&mut self, s: &str) {
        self.pair_lost();
        self.flush();
        self.text.push_str(s);
    }

    fn finish(mut self) -> String {
        self.pair_lost();
        self.flush();
        self.text
    }
}

/// The text a control word stands for, in body text.
fn word_text(word: &[u8]) -> Option<&'static str> {
    Some(match word {
        b"par" | b"line" | b"sect" | b"page" | b"row" => "\r\n",
        b"tab" | b"cell" => "\t",
        b"emdash" => "\u{2014}",
        b"endash" => "\u{2013}",
        b"emspace" => "\u{2003}",
        b"enspace" => "\u{2002}",
        b"qmspace" => "\u{2005}",
        b"bullet" => "\u{2022}",
        b"lquote" => "\u{2018}",
        b"rquote" => "\u{2019}",
        b"ldblquote" => "\u{201C}",
        b"rdblquote" => "\u{201D}",
        _ => return None,
    })
}

/// Walks the document, handing visible text to `out` as [MS-OXRTFEX] 2.2.3.2/2.2.3.3 say.
/// In `html` mode `\*\htmltag` content counts too. Text inside `\htmlrtf` is left out when
/// de-encapsulating (`deencap`: the spec's reader "MUST NOT copy" it) and kept when
/// rendering RTF as a reader shows it (it is the RTF-only rendering of the content).
fn extract(rtf: &[u8], html: bool, deencap: bool) -> (String, u32) {
    let mut fonts: Vec<(i32, u32)> = Vec::new();
    let mut ansicpg = 1252u32;
    let mut deff: Option<i32> = None;
    let mut stack: Vec<Group> = Vec::new();
    let mut extra_depth = 0usize;
    let mut g = Group {
        dest: Dest::Body,
        htmlrtf: false,
        cp: 1252,
        uc: 1,
        fresh: false,
        ignorable: false,
    };
    let mut out = Out {
        text: String::new(),
        bytes: Vec::new(),
        cp: 1252,
        high: None,
    };
    // Font being defined in the font table.
    let mut defining: Option<i32> = None;
    // Fallback characters still to drop after `\uN`.
    let mut skip = 0u32;
    let font_cp = |fonts: &[(i32, u32)], f: i32, default: u32| {
        fonts
            .iter()
            .rev()
            .find(|(n, _)| *n == f)
            .map_or(default, |(_, cp)| *cp)
    };
    for t in Lexer::new(rtf) {
        // Whether text here reaches the output.
        let shown = !(deencap && g.htmlrtf)
            && match g.dest {
                Dest::HtmlTag => html,
                Dest::Body => true,
                _ => false,
            };
        let default_cp = if g.dest == Dest::HtmlTag {
            ansicpg
        } else {
            g.cp
        };
        match t {
            Token::Open => {
                skip = 0;
                if stack.len() >= MAX_DEPTH {
                    extra_depth += 1;
                } else {
                    stack.push(g);
                }
                g.fresh = true;
                g.ignorable = false;
            }
            Token::Close => {
                skip = 0;
                if extra_depth > 0 {
                    extra_depth -= 1;
                } else if let Some(parent) = stack.pop() {
                    if g.dest == Dest::FontTable && parent.dest != Dest::FontTable {
                        defining = None;
                    }
                    g = parent;
                }
            }
            Token::Symbol(b'*') if g.fresh => g.ignorable = true,
            Token::Word(word, param) => {
                let fresh = std::mem::replace(&mut g.fresh, false);
                let ignorable = std::mem::replace(&mut g.ignorable, false);
                if fresh && g.dest != Dest::Skip {
                    if word == b"htmltag" && ignorable {
                        // In text mode, or inside another tag, HTML is not body text.
                        g.dest = if html && g.dest == Dest::Body {
                            Dest::HtmlTag
                        } else {
                            Dest::Skip
                        };
                        continue;
                    }
                    if word == b"fonttbl" {
                        g.dest = Dest::FontTable;
                        continue;
                    }
                    if ignorable || skipped_destination(word) {
                        g.dest = Dest::Skip;
                        continue;
                    }
                }
                match word {
                    b"htmlrtf" => g.htmlrtf = param != Some(0),
                    b"ansicpg" => {
                        if let Some(cp) = param.and_then(|p| u32::try_from(p).ok()) {
                            ansicpg = cp;
                            if stack.is_empty() || g.dest == Dest::Body {
                                g.cp = cp;
                            }
                        }
                    }
                    b"deff" => deff = param,
                    b"uc" => g.uc = param.unwrap_or(1).clamp(0, 16) as u32,
                    b"f" if g.dest == Dest::FontTable => {
                        defining = param;
                        if let Some(f) = param {
                            fonts.push((f, ansicpg));
                        }
                    }
                    b"fcharset" | b"cpg" if g.dest == Dest::FontTable => {
                        let cp = if word == b"cpg" {
                            param.and_then(|p| u32::try_from(p).ok())
                        } else {
                            param.and_then(charset_codepage)
                        };
                        if let (Some(f), Some(cp)) = (defining, cp)
                            && let Some(entry) = fonts.iter_mut().rev().find(|(n, _)| *n == f)
                        {
                            entry.1 = cp;
                        }
                    }
                    b"f" => {
                        if let Some(f) = param {
                            g.cp = font_cp(&fonts, f, ansicpg);
                        }
                    }
                    b"plain" => {
                        if let Some(f) = deff {
                            g.cp = font_cp(&fonts, f, ansicpg);
                        }
                    }
                    b"u" => {
                        if let Some(p) = param {
                            if shown {
                                out.unit(p as u16);
                            }
                            skip = g.uc;
                        }
                    }
                    _ => {
                        if shown && let Some(s) = word_text(word) {
                            out.str(s);
                        }
                    }
                }
                if word != b"u" {
                    skip = 0;
                }
            }
            Token::Hex(b) => {
                g.fresh = false;
                if skip > 0 {
                    skip -= 1;
                } else if shown {
                    out.byte(default_cp, b);
                }
            }
            Token::Symbol(c) => {
                g.fresh = false;
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                if !shown {
                    continue;
                }
                match c {
                    b'\\' | b'{' | b'}' => out.byte(default_cp, c),
                    b'~' => out.ch('\u{A0}'),
                    b'_' => out.ch('\u{2011}'),
                    _ => {}
                }
            }
            Token::Text(bytes) => {
                g.fresh = false;
                let drop = (skip as usize).min(bytes.len());
                skip -= drop as u32;
                if shown {
                    for &b in &bytes[drop..] {
                        out.byte(default_cp, b);
                    }
                }
            }
        }
    }
    (out.finish(), ansicpg)
}

/// Takes the original HTML or plain text out of encapsulating RTF; `None` for native RTF.
pub fn deencapsulate(rtf: &[u8]) -> Option<Deencapsulated> {
    let kind = detect(rtf);
    let html = match kind {
        Kind::Html => true,
        Kind::Text => false,
        Kind::Rtf => return None,
    };
    let (content, codepage) = extract(rtf, html, true);
    Some(Deencapsulated {
        kind,
        content,
        codepage,
    })
}

/// The plain text of any RTF document: its visible text, paragraphs as CRLF, tabs as TAB,
/// encapsulated HTML markup left out. This is what `PR_BODY` is derived from when only the
/// RTF changed.
pub fn rtf_to_text(rtf: &[u8]) -> String {
    extract(rtf, false, false).0
}

fn push_escaped(out: &mut Vec<u8>, text: &str, enc: &'static Encoding) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '{' | '}' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.extend_from_slice(b"\\par\r\n");
            }
            '\n' => out.extend_from_slice(b"\\par\r\n"),
            '\t' => out.extend_from_slice(b"\\tab "),
            ' '..='~' => out.push(c as u8),
            _ => {
                let mut buf = [0u8; 4];
                let s = c.encode_utf8(&mut buf);
                let (bytes, _, unmappable) = enc.encode(s);
                // Only a byte that decodes back to `c`: Shift_JIS encodes U+00A5 as 0x5C,
                // which reads back as a backslash.
                if !unmappable
                    && bytes.len() == 1
                    && enc.decode_without_bom_handling(&bytes).0 == *s
                {
                    out.extend_from_slice(format!("\\'{:02x}", bytes[0]).as_bytes());
                } else {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.extend_from_slice(format!("\\u{}?", *u as i16).as_bytes());
                    }
                }
            }
        }
    }
}

fn header(kind: &str, codepage: u32) -> (Vec<u8>, &'static Encoding) {
    let enc = encoding(codepage);
    let mut out = Vec::new();
    out.extend_from_slice(
        format!(
            "{{\\rtf1\\ansi\\ansicpg{codepage}\\{kind} \\deff0{{\\fonttbl\r\n{{\\f0\\fswiss Arial;}}\r\n{{\\f1\\fmodern Courier New;}}}}\r\n{{\\colortbl\\red0\\green0\\blue0;\\red0\\green0\\blue255;}}\r\n\\uc1\\pard\\plain\\deftab360 \\f0\\fs20 "
        )
        .as_bytes(),
    );
    (out, enc)
}

/// Plain text as RTF that encapsulates it (`\fromtext`, [MS-OXRTFEX] 2.1.3.3): line ends
/// become `\par`, tabs `\tab`, characters outside ASCII `\'hh` in `codepage` when they fit
/// one byte there, else `\uN?`.
pub fn encapsulate_text(text: &str, codepage: u32) -> Vec<u8> {
    let (mut out, enc) = header("fromtext", codepage);
    push_escaped(&mut out, text, enc);
    out.extend_from_slice(b"}\r\n");
    out
}

/// The `\htmltagN` flags ([MS-OXRTFEX] 2.1.3.1.4.1) of one tag: its type, and CLOSE. Readers
/// ignore them; they help RTF readers that render.
fn tag_flags(tag: &str, in_body: bool) -> u32 {
    let inner = tag.trim_start_matches('<');
    let close = inner.starts_with('/');
    let name: String = inner
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let kind = match name.as_str() {
        "html" => 0x10,
        "head" => 0x20,
        "body" => 0x30,
        "p" => 0x40,
        "br" => 0x70,
        "pre" => 0x80,
        "font" => 0x90,
        "title" => 0xB0,
        _ => 0xF0,
    };
    let dest = if kind == 0x10 || name == "head" || (name == "body" && !close) || !in_body {
        2
    } else {
        0
    };
    kind | dest | if close { 0x8 } else { 0 }
}

/// HTML as RTF that encapsulates it (`\fromhtml1`, [MS-OXRTFEX] 2.1.3.2): markup, comments
/// and character references in `\*\htmltag` groups, text between them shown, line ends kept
/// in tags so the HTML comes back as it was.
pub fn encapsulate_html(html: &str, codepage: u32) -> Vec<u8> {
    let (mut out, enc) = header("fromhtml1", codepage);
    out.extend_from_slice(b"{\\*\\htmltag64}");
    let mut rest = html;
    let mut in_body = false;
    while !rest.is_empty() {
        let (piece, is_tag) = if rest.starts_with("<!--") {
            let end = rest.find("-->").map_or(rest.len(), |i| i + 3);
            (&rest[..end], true)
        } else if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            (&rest[..end], true)
        } else if let Some(after) = rest.strip_prefix('&') {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
                .map(|i| i + 1)
                .filter(|&i| rest[i..].starts_with(';'))
                .map_or(1, |i| i + 1);
            (&rest[..end], end > 1)
        } else if rest.starts_with(['\r', '\n']) {
            let end = rest.find(|c| c != '\r' && c != '\n').unwrap_or(rest.len());
            (&rest[..end], true)
        } else {
            let end = rest.find(['<', '&', '\r', '\n']).unwrap_or(rest.len());
            (&rest[..end], false)
        };
        rest = &rest[piece.len()..];
        // Outside the body (the head's style, title...) nothing is shown text.
        if is_tag || !in_body {
            let flags = if piece.starts_with('<') {
                let f = tag_flags(piece, in_body);
                if f & 0xF0 == 0x30 {
                    in_body = f & 0x8 == 0;
                }
                f
            } else {
                0
            };
            out.extend_from_slice(format!("{{\\*\\htmltag{flags} ").as_bytes());
            push_escaped(&mut out, piece, enc);
            out.push(b'}');
        } else {
            push_escaped(&mut out, piece, enc);
        }
    }
    out.extend_from_slice(b"}\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_follows_the_header_rule() {
        assert_eq!(
            detect(b"{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl}"),
            Kind::Html
        );
        assert_eq!(
            detect(b"{\\rtf1\\ansi\\fromtext \\fbidis \\deff0{\\fonttbl}"),
            Kind::Text
        );
        assert_eq!(
            detect(b"{\\rtf1\\ansi\\deff0{\\fonttbl}\\fromhtml1"),
            Kind::Rtf
        );
        assert_eq!(
            detect(b"{\\rtf1\\a\\b\\c\\d\\e\\f\\g\\h\\i\\fromhtml1"),
            Kind::Rtf
        );
        assert_eq!(
            detect(b"{\\rtf1\\a\\b\\c\\d\\e\\f\\g\\fromhtml1"),
            Kind::Html
        );
        assert_eq!(detect(b"\\rtf1\\fromhtml1"), Kind::Rtf);
        assert_eq!(detect(b""), Kind::Rtf);
    }

    #[test]
    fn spec_example_html_comes_back() {
        // A shortened form of [MS-OXRTFEX] 3.1's example.
        let rtf = b"{\\rtf1\\ANSI\\ansicpg1251\\fromhtml1 \\deff0{\\fonttbl {\\f0\\fmodern Courier New;}{\\f1\\fswiss Arial;}{\\f2\\fswiss\\fcharset0 Arial;}}\r\n{\\colortbl\\red0\\green0\\blue0;}\r\n{\\*\\htmltag64}\\uc1\\pard\\plain\\deftab360 \\f0\\fs24\r\n{\\*\\htmltag <HTML><head>\\par\r\n\\tab <!-- c -->\\par\r\n<p\\par\r\n class=\"MsoNormal\">}\r\n{\\htmlrtf \\f1 \\htmlrtf0 Note {\\*\\htmltag <b>}{\\htmlrtf \\b \\htmlrtf0 bold{\\*\\htmltag </b>}} \\htmlrtf\\par\\htmlrtf0}\r\n{\\*\\htmltag &nbsp;}\\htmlrtf \\'a0\\htmlrtf0  {\\*\\htmltag &uml;}\\htmlrtf {\\f2\\'a8}\\htmlrtf0 \\{\\}\\\\ {\\*\\htmltag \\'e9\\u1046?}{\\f2 \\'e9}}";
        let d = deencapsulate(rtf).unwrap();
        assert_eq!(d.kind, Kind::Html);
        assert_eq!(d.codepage, 1251);
        assert_eq!(
            d.content,
            "<HTML><head>\r\n\t<!-- c -->\r\n<p\r\n class=\"MsoNormal\">Note <b>bold</b> &nbsp; &uml;{}\\ \u{439}\u{416}\u{e9}"
        );
    }

    #[test]
    fn text_comes_back_with_code_pages_and_unicode() {
        let rtf = b"{\\rtf1\\ansi\\ansicpg1252\\fromtext \\fbidis \\deff0{\\fonttbl\r\n{\\f0\\fswiss\\fcharset0 Arial;}{\\f1\\fnil\\fcharset128 MS Gothic;}{\\f2\\fnil\\fcharset204 X;}}\r\n{\\colortbl\\red0;}\\uc1\\pard\\plain \\f0 caf\\'e9\\par\r\n{\\f1 \\'82\\'a0}{\\f2\\'c4}\\tab\\u-10179?\\u-8704? \\uc2\\u8364\\'80\\'80 x\\line end}";
        let d = deencapsulate(rtf).unwrap();
        assert_eq!(d.kind, Kind::Text);
        assert_eq!(
            d.content,
            "caf\u{e9}\r\n\u{3042}\u{414}\t\u{1F600} \u{20AC} x\r\nend"
        );
    }

    #[test]
    fn native_rtf_is_not_encapsulated_but_has_text() {
        let rtf = b"{\\rtf1\\ansi\\ansicpg1251\\deff0{\\fonttbl{\\f0\\fswiss\\fcharset0 Arial;}{\\f1\\fcharset204{\\*\\fname Arial;}Arial CYR;}}\r\n{\\*\\generator Riched20;}\\viewkind4\\uc1\\pard\\f0\\fs20 Sample {\\f1\\'c4} description\\par\r\n}";
        assert_eq!(deencapsulate(rtf), None);
        assert_eq!(rtf_to_text(rtf), "Sample \u{414} description\r\n");
    }

    #[test]
    fn htmlrtf_text_is_shown_by_a_reader_but_not_deencapsulated() {
        let rtf = b"{\\rtf1\\ansi\\fromtext {\\htmlrtf \\'e9t\\htmlrtf0 }been}";
        assert_eq!(deencapsulate(rtf).unwrap().content, "been");
        assert_eq!(rtf_to_text(rtf), "\u{e9}tbeen");
    }

    #[test]
    fn characters_a_code_page_maps_lossily_go_as_unicode() {
        // Shift_JIS (932) encodes U+00A5 as 0x5C, a backslash when read back.
        let rtf = encapsulate_text("\u{a5}\u{203e}", 932);
        assert_eq!(deencapsulate(&rtf).unwrap().content, "\u{a5}\u{203e}");
    }

    #[test]
    fn text_round_trips() {
        for text in [
            "",
            "plain",
            "two\r\nlines\r\n\ttabbed {braces} \\ back",
            "caf\u{e9} \u{20AC} \u{416} \u{3042} \u{1F600}",
        ] {
            for cp in [1252, 1251, 932] {
                let rtf = encapsulate_text(text, cp);
                assert_eq!(detect(&rtf), Kind::Text);
                let d = deencapsulate(&rtf).unwrap();
                assert_eq!((d.content.as_str(), d.codepage), (text, cp), "{cp}");
            }
        }
        // Lone LF and CR become CRLF, as [MS-OXRTFEX] allows.
        assert_eq!(
            deencapsulate(&encapsulate_text("a\nb\rc", 1252))
                .unwrap()
                .content,
            "a\r\nb\r\nc"
        );
    }

    #[test]
    fn html_round_trips() {
        let html = "<html><head>\r\n<style>p {margin:0}</style>\r\n</head>\r\n<body>\r\n<!-- note -->\r\n<p class=\"x\">Caf\u{e9} &amp; \u{416} &nbsp;<br>\r\n\\ {x}</p>\r\n</body></html>";
        let rtf = encapsulate_html(html, 1252);
        let d = deencapsulate(&rtf).unwrap();
        assert_eq!(d.kind, Kind::Html);
        assert_eq!(d.content, html);
        // Its plain text leaves the markup out.
        assert_eq!(rtf_to_text(&rtf), "Caf\u{e9}  \u{416} \\ {x}");
    }

    #[test]
    fn hostile_input_is_bounded() {
        let mut deep = b"{\\rtf1\\fromtext ".to_vec();
        deep.extend(std::iter::repeat_n(b'{', 100_000));
        deep.extend_from_slice(b"x");
        deep.extend(std::iter::repeat_n(b'}', 100_005));
        deep.extend_from_slice(b"\\bin99999999 \\u99999999999999 \\'4 \\");
        let d = deencapsulate(&deep).unwrap();
        assert_eq!(d.content, "x");
        for cut in 0..deep.len().min(64) {
            let _ = deencapsulate(&deep[..cut]);
        }
    }
}
