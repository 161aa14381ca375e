//! Compressed RTF ([MS-OXRTFCP]): the form `PR_RTF_COMPRESSED` stores, LZFu (LZ77 over a
//! 4096-byte ring that starts with a fixed 207-byte RTF prefix) or MELA (stored raw).
//!
//! Streaming both ways, so a large body is never held whole twice: [`Decompressor`] reads
//! from any `Read` and yields the RTF as it decodes; [`Compressor`] takes the RTF through
//! `Write` and writes the compressed form into a seekable sink, leaving room for the 16-byte
//! header (sizes and CRC come last) and patching it in `finish`. A sink that cannot seek gets
//! the compressed form buffered first ([`compress_into`]): only the compressed bytes are held.
//! Whole-buffer conveniences: [`decompress`], [`compress`].
//!
//! Hostile input yields an [`RtfError`], never a panic, and never makes us reserve more than
//! the input can expand to (an LZFu byte yields at most 8 output bytes).
//!
//! Why not the crates.io `compressed-rtf` crate: whole-buffer only, its strings are Latin-1
//! `String`s cut at the first NUL (RTF bodies from Outlook end in one), it ignores RAWSIZE,
//! needs the input length to equal COMPSIZE+4, slices unchecked (panics on short input) and
//! reserves RAWSIZE bytes straight from the header.
#![forbid(unsafe_code)]

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// `COMPTYPE` of compressed content.
pub const LZFU: u32 = 0x7546_5A4C;
/// `COMPTYPE` of content stored uncompressed.
pub const MELA: u32 = 0x414C_454D;
pub const HEADER_LEN: usize = 16;

/// The dictionary's initial contents ([MS-OXRTFCP] 3.1.1.3); the ring's write position
/// starts right after them.
pub const INITIAL_DICTIONARY: &[u8; 207] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

const RING: usize = 4096;
const MASK: usize = RING - 1;
const MAX_MATCH: usize = 17;
/// One LZFu content byte decodes to at most 8 bytes (a control byte and eight 2-byte
/// references: 17 bytes give 8 * 17).
const MAX_EXPANSION: u64 = 8;

/// Which form to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// LZFu: compressed, with a CRC.
    Compressed,
    /// MELA: stored as is (what a store with `STORE_UNCOMPRESSED_RTF` wants).
    Uncompressed,
}

/// Why compressed RTF was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtfError {
    /// Fewer than the 16 header bytes.
    TooShort(usize),
    /// `COMPTYPE` is neither LZFu nor MELA.
    BadMagic(u32),
    /// COMPSIZE below 12, or a RAWSIZE the content cannot hold.
    BadSizes { comp_size: u32, raw_size: u32 },
    /// The content ends before COMPSIZE says.
    Truncated { expected: u64, got: u64 },
    /// The LZFu CRC does not match the content.
    BadCrc { stored: u32, computed: u32 },
    /// A MELA header must carry CRC 0.
    MelaCrc(u32),
    /// The tokens end (end marker or content) before RAWSIZE bytes were produced.
    ShortContent { raw_size: u32, produced: u64 },
    /// More than a u32 can count (the header's sizes are 32-bit).
    TooLarge,
}

impl fmt::Display for RtfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtfError::TooShort(n) => write!(f, "compressed RTF of {n} bytes has no 16-byte header"),
            RtfError::BadMagic(m) => {
                write!(f, "compressed RTF type 0x{m:08X} is neither LZFu nor MELA")
            }
            RtfError::BadSizes {
                comp_size,
                raw_size,
            } => write!(
                f,
                "compressed RTF sizes are impossible (COMPSIZE {comp_size}, RAWSIZE {raw_size})"
            ),
            RtfError::Truncated { expected, got } => write!(
                f,
                "compressed RTF is truncated: {got} of {expected} content bytes"
            ),
            RtfError::BadCrc { stored, computed } => write!(
                f,
                "compressed RTF CRC mismatch: header 0x{stored:08X}, content 0x{computed:08X}"
            ),
            RtfError::MelaCrc(c) => write!(f, "uncompressed (MELA) RTF has CRC 0x{c:08X}, not 0"),
            RtfError::ShortContent { raw_size, produced } => write!(
                f,
                "compressed RTF ends after {produced} of its {raw_size} bytes"
            ),
            RtfError::TooLarge => write!(f, "RTF over 4 GiB cannot be stored compressed"),
        }
    }
}

impl std::error::Error for RtfError {}

impl From<RtfError> for io::Error {
    fn from(e: RtfError) -> io::Error {
        let kind = match e {
            RtfError::Truncated { .. } => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

/// The error inside an `io::Error` that this module made, if it is one.
pub fn rtf_error(e: &io::Error) -> Option<&RtfError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<RtfError>())
}

/// The 16-byte header ([MS-OXRTFCP] 2.1.3.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Content bytes after the header plus 12.
    pub comp_size: u32,
    pub raw_size: u32,
    pub format: Format,
    pub crc: u32,
}

impl Header {
    /// Parses and checks a header: the type, MELA's zero CRC, sizes that content of
    /// COMPSIZE − 12 bytes can hold.
    pub fn parse(bytes: &[u8]) -> Result<Header, RtfError> {
        let b: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(RtfError::TooShort(bytes.len()))?;
        let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let (comp_size, raw_size, magic, crc) = (word(0), word(4), word(8), word(12));
        let format = match magic {
            LZFU => Format::Compressed,
            MELA => Format::Uncompressed,
            m => return Err(RtfError::BadMagic(m)),
        };
        let bad = RtfError::BadSizes {
            comp_size,
            raw_size,
        };
        let content = u64::from(comp_size.checked_sub(12).ok_or(bad.clone())?);
        match format {
            Format::Uncompressed if crc != 0 => return Err(RtfError::MelaCrc(crc)),
            Format::Uncompressed if u64::from(raw_size) > content => return Err(bad),
            Format::Compressed if u64::from(raw_size) > content * MAX_EXPANSION => return Err(bad),
            _ => {}
        }
        Ok(Header {
            comp_size,
            raw_size,
            format,
            crc,
        })
    }

    /// Bytes of content after the header.
    pub fn content_len(&self) -> u64 {
        u64::from(self.comp_size) - 12
    }

    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let magic = match self.format {
            Format::Compressed => LZFU,
            Format::Uncompressed => MELA,
        };
        let mut out = [0u8; HEADER_LEN];
        for (i, v) in [self.comp_size, self.raw_size, magic, self.crc]
            .into_iter()
            .enumerate()
        {
            out[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        out
    }
}

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static CRC_TABLE: [u32; 256] = crc_table();

/// Continues [MS-OXRTFCP]'s CRC (2.1.3.2): the reflected CRC-32 table with initial value 0
/// and no final XOR; start with `crc = 0`. `PR_RTF_SYNC_BODY_CRC` uses the same function.
pub fn crc32(mut crc: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

fn initial_ring() -> Box<[u8; RING]> {
    let mut ring = Box::new([0u8; RING]);
    ring[..INITIAL_DICTIONARY.len()].copy_from_slice(INITIAL_DICTIONARY);
    ring
}

#[derive(Debug)]
enum State {
    Running,
    Done,
    Failed(RtfError),
}

/// Decompresses compressed RTF from a reader, as it goes.
///
/// Exactly RAWSIZE bytes come out; tokens past RAWSIZE and bytes past the end marker are
/// ignored, as the spec says of what follows the end. The whole content (COMPSIZE − 12 bytes)
/// is read so that its CRC can be checked: a mismatch, a truncated source, or tokens that end
/// before RAWSIZE is reached are an `InvalidData`/`UnexpectedEof` error from the read that
/// reaches the end (with the bytes decoded until then already handed out). Use
/// [`decompress`] to refuse damaged input before using any of it.
pub struct Decompressor<R> {
    src: R,
    header: Header,
    /// Content bytes not yet read from `src`.
    left: u64,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    crc: u32,
    ring: Box<[u8; RING]>,
    write: usize,
    /// Control bits still to use, above a sentinel 1 bit.
    control: u32,
    copy_from: usize,
    copy_left: usize,
    produced: u64,
    state: State,
}

impl<R: Read> Decompressor<R> {
    /// Reads and checks the header.
    pub fn new(mut src: R) -> io::Result<Decompressor<R>> {
        let mut head = [0u8; HEADER_LEN];
        let mut got = 0;
        while got < HEADER_LEN {
            match src.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let header = Header::parse(&head[..got])?;
        let left = header.content_len();
        Ok(Decompressor {
            src,
            header,
            left,
            buf: vec![0u8; left.min(16 * 1024) as usize].into_boxed_slice(),
            pos: 0,
            len: 0,
            crc: 0,
            ring: initial_ring(),
            write: INITIAL_DICTIONARY.len(),
            control: 1,
            copy_from: 0,
            copy_left: 0,
            produced: 0,
            state: State::Running,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn into_inner(self) -> R {
        self.src
    }

    /// Refills the content buffer; false at the end of the content.
    fn refill(&mut self) -> Result<bool, io::Error> {
        if self.left == 0 {
            return Ok(false);
        }
        let want = self.left.min(self.buf.len() as u64) as usize;
        let n = loop {
            match self.src.read(&mut self.buf[..want]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            let expected = self.header.content_len();
            return Err(RtfError::Truncated {
                expected,
                got: expected - self.left,
            }
            .into());
        }
        if self.header.format == Format::Compressed {
            self.crc = crc32(self.crc, &self.buf[..n]);
        }
        self.left -= n as u64;
        self.pos = 0;
        self.len = n;
        Ok(true)
    }

    fn next_byte(&mut self) -> io::Result<Option<u8>> {
        if self.pos == self.len && !self.refill()? {
            return Ok(None);
        }
        self.pos += 1;
        Ok(Some(self.buf[self.pos - 1]))
    }

    /// Decodes into `out`; returns the bytes written and whether the tokens ended.
    fn decode(&mut self, out: &mut [u8]) -> io::Result<(usize, bool)> {
        let room = (u64::from(self.header.raw_size) - self.produced).min(out.len() as u64) as usize;
        let mut n = 0;
        while n < room {
            if self.copy_left > 0 {
                let take = self.copy_left.min(room - n);
                for slot in &mut out[n..n + take] {
                    let b = self.ring[self.copy_from];
                    self.ring[self.write] = b;
                    self.copy_from = (self.copy_from + 1) & MASK;
                    self.write = (self.write + 1) & MASK;
                    *slot = b;
                }
                self.copy_left -= take;
                n += take;
                continue;
            }
            if self.control == 1 {
                match self.next_byte()? {
                    Some(c) => self.control = u32::from(c) | 0x100,
                    None => return Ok((n, true)),
                }
            }
            let reference = self.control & 1 != 0;
            self.control >>= 1;
            if !reference {
                let Some(b) = self.next_byte()? else {
                    return Ok((n, true));
                };
                self.ring[self.write] = b;
                self.write = (self.write + 1) & MASK;
                out[n] = b;
                n += 1;
            } else {
                // A reference cut by the end of the content ends the tokens too.
                let (Some(hi), Some(lo)) = (self.next_byte()?, self.next_byte()?) else {
                    return Ok((n, true));
                };
                let word = u16::from_be_bytes([hi, lo]);
                let offset = usize::from(word >> 4);
                if offset == self.write {
                    return Ok((n, true));
                }
                self.copy_from = offset;
                self.copy_left = usize::from(word & 0xF) + 2;
            }
        }
        Ok((n, false))
    }

    /// Reads what is left of the content (for the CRC) and checks the result.
    fn finish(&mut self) -> io::Result<()> {
        self.pos = self.len;
        while self.refill()? {
            self.pos = self.len;
        }
        if self.header.format == Format::Compressed && self.crc != self.header.crc {
            return Err(RtfError::BadCrc {
                stored: self.header.crc,
                computed: self.crc,
            }
            .into());
        }
        if self.produced < u64::from(self.header.raw_size) {
            return Err(RtfError::ShortContent {
                raw_size: self.header.raw_size,
                produced: self.produced,
            }
            .into());
        }
        Ok(())
    }

    fn read_stored(&mut self, out: &mut [u8]) -> io::Result<(usize, bool)> {
        let room = (u64::from(self.header.raw_size) - self.produced).min(out.len() as u64) as usize;
        let mut n = 0;
        while n < room {
            if self.pos == self.len && !self.refill()? {
                return Ok((n, true));
            }
            let take = (self.len - self.pos).min(room - n);
            out[n..n + take].copy_from_slice(&self.buf[self.pos..self.pos + take]);
            self.pos += take;
            n += take;
        }
        Ok((n, false))
    }
}

impl<R: Read> Read for Decompressor<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match &self.state {
            State::Done => return Ok(0),
            State::Failed(e) => return Err(e.clone().into()),
            State::Running => {}
        }
        let step = match self.header.format {
            Format::Compressed => self.decode(out),
            Format::Uncompressed => self.read_stored(out),
        };
        let (n, ended) = match step {
            Ok(r) => r,
            Err(e) => {
                if let Some(r) = rtf_error(&e) {
                    self.state = State::Failed(r.clone());
                }
                return Err(e);
            }
        };
        self.produced += n as u64;
        if ended || self.produced == u64::from(self.header.raw_size) {
            match self.finish() {
                Ok(()) => self.state = State::Done,
                Err(e) => {
                    if let Some(r) = rtf_error(&e) {
                        self.state = State::Failed(r.clone());
                    }
                    // The bytes of this call go out first; the next read reports the error.
                    if n == 0 {
                        return Err(e);
                    }
                }
            }
        }
        Ok(n)
    }
}

/// Decompresses a whole compressed-RTF value. Bytes after COMPSIZE + 4 are ignored.
pub fn decompress(bytes: &[u8]) -> Result<Vec<u8>, RtfError> {
    let header = Header::parse(bytes)?;
    let available = bytes.len() as u64 - HEADER_LEN as u64;
    if available < header.content_len() {
        return Err(RtfError::Truncated {
            expected: header.content_len(),
            got: available,
        });
    }
    // Check the CRC before decoding: damaged input is refused whole.
    let content = &bytes[HEADER_LEN..HEADER_LEN + header.content_len() as usize];
    if header.format == Format::Compressed {
        let computed = crc32(0, content);
        if computed != header.crc {
            return Err(RtfError::BadCrc {
                stored: header.crc,
                computed,
            });
        }
    }
    // RAWSIZE is bounded by Header::parse (8 × the content), which the input holds.
    let mut out = Vec::with_capacity(header.raw_size as usize);
    let mut reader = Decompressor::new(bytes).map_err(into_rtf)?;
    reader.read_to_end(&mut out).map_err(into_rtf)?;
    Ok(out)
}

fn into_rtf(e: io::Error) -> RtfError {
    // In-memory sources and sinks fail for no other reason than ours.
    rtf_error(&e).cloned().unwrap_or(RtfError::TooLarge)
}

/// The LZFu encoder: the spec's dictionary ring with hash chains over its two-byte prefixes,
/// so that finding the longest match does not scan the whole ring for every token.
struct Encoder {
    ring: Box<[u8; RING]>,
    /// Absolute position of the next byte to enter the dictionary (the initial 207 count).
    pos: u64,
    /// Newest absolute position whose two bytes hash to each key, `NONE` if none.
    head: Box<[u64]>,
    /// The previous position with the same key, per ring slot.
    prev: Box<[u64; RING]>,
    control: u8,
    bits: u32,
    tokens: [u8; 16],
    ntokens: usize,
    /// Compressed bytes not yet handed to the sink.
    out: Vec<u8>,
}

const NONE: u64 = u64::MAX;
/// The spec picks the oldest of the longest matches; we look at this many candidates
/// (newest first) per token, which covers every chain in ordinary RTF and bounds the work
/// on degenerate input (a long run of one byte).
const MAX_CHAIN: usize = 64;

impl Encoder {
    fn new() -> Encoder {
        let mut e = Encoder {
            ring: initial_ring(),
            pos: INITIAL_DICTIONARY.len() as u64,
            head: vec![NONE; 1 << 16].into_boxed_slice(),
            prev: Box::new([NONE; RING]),
            control: 0,
            bits: 0,
            tokens: [0; 16],
            ntokens: 0,
            out: Vec::with_capacity(32 * 1024),
        };
        for p in 0..INITIAL_DICTIONARY.len() as u64 - 1 {
            e.index(p);
        }
        e
    }

    fn key(&self, p: u64) -> usize {
        (usize::from(self.ring[p as usize & MASK]) << 8)
            | usize::from(self.ring[(p as usize + 1) & MASK])
    }

    /// Enters position `p` (whose next byte is known) in its chain.
    fn index(&mut self, p: u64) {
        let key = self.key(p);
        self.prev[p as usize & MASK] = self.head[key];
        self.head[key] = p;
    }

    fn push(&mut self, b: u8) {
        self.ring[self.pos as usize & MASK] = b;
        self.pos += 1;
        self.index(self.pos - 2);
    }

    /// Length of the match at absolute position `p`, reading as the decoder will: bytes at
    /// or past the write position are the ones this token itself produces.
    fn match_len(&self, p: u64, input: &[u8], max: usize) -> usize {
        let d = (self.pos - p) as usize;
        let mut i = 0;
        while i < max {
            let b = if i < d {
                self.ring[(p as usize + i) & MASK]
            } else {
                input[i - d]
            };
            if b != input[i] {
                break;
            }
            i += 1;
        }
        i
    }

    /// The oldest longest match for the start of `input`: (ring offset, length), length 0 if
    /// none of at least 2 bytes.
    fn find(&self, input: &[u8]) -> (usize, usize) {
        let max = input.len().min(MAX_MATCH);
        if max < 2 {
            return (0, 0);
        }
        // Positions older than this are overwritten, or would be the end marker's offset.
        let lo = self.pos.saturating_sub(RING as u64 - 1);
        let (mut best_p, mut best) = (0u64, 1usize);
        // The newest position's second byte is this token's first: not in a chain yet.
        let newest = self.pos - 1;
        let len = self.match_len(newest, input, max);
        if len > best {
            (best_p, best) = (newest, len);
        }
        if best == max {
            return (best_p as usize & MASK, best);
        }
        let key = (usize::from(input[0]) << 8) | usize::from(input[1]);
        let mut p = self.head[key];
        let mut walked = 0;
        while p != NONE && p >= lo && walked < MAX_CHAIN {
            let len = self.match_len(p, input, max);
            if len >= best {
                (best_p, best) = (p, len);
                if len == max {
                    // Nothing is longer; an older equal match would only move the offset.
                    break;
                }
            }
            p = self.prev[p as usize & MASK];
            walked += 1;
        }
        if best < 2 {
            (0, 0)
        } else {
            (best_p as usize & MASK, best)
        }
    }

    fn token(&mut self, reference: bool, bytes: &[u8]) {
        if reference {
            self.control |= 1 << self.bits;
        }
        self.tokens[self.ntokens..self.ntokens + bytes.len()].copy_from_slice(bytes);
        self.ntokens += bytes.len();
        self.bits += 1;
        if self.bits == 8 {
            self.flush_run();
        }
    }

    fn flush_run(&mut self) {
        self.out.push(self.control);
        self.out.extend_from_slice(&self.tokens[..self.ntokens]);
        self.control = 0;
        self.bits = 0;
        self.ntokens = 0;
    }

    /// Encodes one token from the start of `input`; returns the bytes it consumed.
    fn step(&mut self, input: &[u8]) -> usize {
        let (offset, len) = self.find(input);
        if len == 0 {
            self.push(input[0]);
            self.token(false, &input[..1]);
            return 1;
        }
        for &b in &input[..len] {
            self.push(b);
        }
        let word = ((offset as u16) << 4) | (len as u16 - 2);
        self.token(true, &word.to_be_bytes());
        len
    }

    /// The end marker: a reference to the write position ([MS-OXRTFCP] 2.1.3.1.4).
    fn end(&mut self) {
        let word = ((self.pos as usize & MASK) as u16) << 4;
        self.token(true, &word.to_be_bytes());
        if self.bits > 0 {
            self.flush_run();
        }
    }
}

/// Compresses RTF written to it into a seekable sink: the header's place is reserved at
/// the sink's position when made and filled in by [`finish`](Compressor::finish), which must
/// be called (dropping without it leaves a zero header). Memory: the 4 KiB dictionary, its
/// chains (0.5 MiB) and up to 64 KiB of pending input or output.
pub struct Compressor<W: Write + Seek> {
    sink: W,
    format: Format,
    start: u64,
    enc: Option<Box<Encoder>>,
    /// Input not yet encoded: a match may look 17 bytes ahead.
    pending: Vec<u8>,
    raw_size: u64,
    body_size: u64,
    crc: u32,
}

/// Input taken per `write` call, so that a huge write is not copied whole.
const CHUNK: usize = 64 * 1024;

impl<W: Write + Seek> Compressor<W> {
    pub fn new(mut sink: W, format: Format) -> io::Result<Compressor<W>> {
        let start = sink.stream_position()?;
        sink.write_all(&[0u8; HEADER_LEN])?;
        Ok(Compressor {
            sink,
            format,
            start,
            enc: (format == Format::Compressed).then(|| Box::new(Encoder::new())),
            pending: Vec::new(),
            raw_size: 0,
            body_size: 0,
            crc: 0,
        })
    }

    fn drain_output(&mut self) -> io::Result<()> {
        if let Some(enc) = &mut self.enc {
            self.crc = crc32(self.crc, &enc.out);
            self.body_size += enc.out.len() as u64;
            self.sink.write_all(&enc.out)?;
            enc.out.clear();
        }
        Ok(())
    }

    /// Encodes what is pending, keeping `keep` bytes of lookahead.
    fn encode_pending(&mut self, keep: usize) -> io::Result<()> {
        let Some(enc) = &mut self.enc else {
            return Ok(());
        };
        let mut i = 0;
        while self.pending.len() - i > keep {
            i += enc.step(&self.pending[i..]);
        }
        self.pending.drain(..i);
        if enc.out.len() >= CHUNK / 2 {
            self.drain_output()?;
        }
        Ok(())
    }

    /// Writes the end, the header, and leaves the sink positioned after the value.
    pub fn finish(mut self) -> io::Result<W> {
        self.encode_pending(0)?;
        if let Some(enc) = &mut self.enc {
            enc.end();
        }
        self.drain_output()?;
        let comp_size = self.body_size + 12;
        if comp_size > u64::from(u32::MAX) {
            return Err(RtfError::TooLarge.into());
        }
        let header = Header {
            comp_size: comp_size as u32,
            raw_size: self.raw_size as u32,
            format: self.format,
            crc: self.crc,
        };
        self.sink.seek(SeekFrom::Start(self.start))?;
        self.sink.write_all(&header.to_bytes())?;
        self.sink.seek(SeekFrom::Start(
            self.start + HEADER_LEN as u64 + self.body_size,
        ))?;
        self.sink.flush()?;
        Ok(self.sink)
    }
}

impl<W: Write + Seek> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let take = buf.len().min(CHUNK);
        // RAWSIZE is 32-bit (and MELA's COMPSIZE is RAWSIZE + 12); `finish` checks LZFu's.
        if self.raw_size + take as u64 > u64::from(u32::MAX - 12) {
            return Err(RtfError::TooLarge.into());
        }
        let buf = &buf[..take];
        self.raw_size += take as u64;
        if self.enc.is_none() {
            self.sink.write_all(buf)?;
            self.body_size += take as u64;
            return Ok(take);
        }
        self.pending.extend_from_slice(buf);
        self.encode_pending(MAX_MATCH - 1)?;
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sink.flush()
    }
}

/// Compresses everything `rtf` yields into `sink`, which need not seek: the compressed form
/// is assembled in memory first (the RTF itself is never held whole).
pub fn compress_into<R: Read, W: Write>(
    rtf: &mut R,
    format: Format,
    mut sink: W,
) -> io::Result<u64> {
    if format == Format::Uncompressed {
        // MELA's header needs the size before the RTF, which it holds as is: read it once.
        let mut raw = Vec::new();
        rtf.read_to_end(&mut raw)?;
        let raw_size = u32::try_from(raw.len())
            .ok()
            .filter(|&n| n <= u32::MAX - 12)
            .ok_or(RtfError::TooLarge)?;
        let header = Header {
            comp_size: raw_size + 12,
            raw_size,
            format,
            crc: 0,
        };
        sink.write_all(&header.to_bytes())?;
        sink.write_all(&raw)?;
        return Ok(raw.len() as u64 + HEADER_LEN as u64);
    }
    let mut c = Compressor::new(io::Cursor::new(Vec::new()), format)?;
    io::copy(rtf, &mut c)?;
    let value = c.finish()?.into_inner();
    sink.write_all(&value)?;
    Ok(value.len() as u64)
}

/// Compresses a whole RTF body.
pub fn compress(rtf: &[u8], format: Format) -> Result<Vec<u8>, RtfError> {
    let capacity = match format {
        Format::Compressed => rtf.len() / 2 + 64,
        Format::Uncompressed => rtf.len() + HEADER_LEN,
    };
    let run = || -> io::Result<Vec<u8>> {
        let mut c = Compressor::new(io::Cursor::new(Vec::with_capacity(capacity)), format)?;
        c.write_all(rtf)?;
        Ok(c.finish()?.into_inner())
    };
    run().map_err(into_rtf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [MS-OXRTFCP] 3.1.1 / 3.1.2, example 1.
    const SIMPLE_RTF: &[u8] = b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n";
    const SIMPLE_COMPRESSED: &[u8] = &[
        0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7,
        0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a,
        0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d,
        0x0a, 0x80, 0x0f, 0xa0,
    ];
    /// Example 2: a reference that reads across the write position.
    const CROSSING_RTF: &[u8] = b"{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}";
    const CROSSING_COMPRESSED: &[u8] = &[
        0x1a, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xe2, 0xd4, 0x4b,
        0x51, 0x41, 0x00, 0x04, 0x20, 0x57, 0x58, 0x59, 0x5a, 0x0d, 0x6e, 0x7d, 0x01, 0x0e, 0xb0,
    ];

    /// Deterministic pseudo-random bytes (no test depends on a crate's RNG).
    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect()
    }

    /// RTF-like text with repeats near and far (over the 4 KiB ring) and NULs.
    fn rtfish(n: usize) -> Vec<u8> {
        let words: [&[u8]; 8] = [
            b"\\par ",
            b"\\pard\\plain ",
            b"{\\*\\htmltag84 <a href=\"x\">}",
            b"hello ",
            b"\\'e9",
            b"\r\n",
            b"\0",
            b"{\\fonttbl{\\f0\\fswiss Arial;}}",
        ];
        let r = noise(n, 7);
        let mut out = Vec::with_capacity(n + 64);
        let mut i = 0;
        while out.len() < n {
            out.extend_from_slice(words[usize::from(r[i % n]) % words.len()]);
            out.push(r[(i * 7) % n] | 0x20);
            i += 1;
        }
        out.truncate(n);
        out
    }

    fn samples() -> Vec<Vec<u8>> {
        vec![
            Vec::new(),
            b"x".to_vec(),
            b"{\\rtf1".to_vec(),
            SIMPLE_RTF.to_vec(),
            CROSSING_RTF.to_vec(),
            vec![b'a'; 10_000],
            vec![0; 5000],
            noise(20_000, 1),
            rtfish(100_000),
            INITIAL_DICTIONARY.repeat(40),
        ]
    }

    #[test]
    fn spec_examples_decompress() {
        assert_eq!(decompress(SIMPLE_COMPRESSED).unwrap(), SIMPLE_RTF);
        assert_eq!(decompress(CROSSING_COMPRESSED).unwrap(), CROSSING_RTF);
        assert_eq!(crc32(0, &SIMPLE_COMPRESSED[16..]), 0xA7C7_C5F1);
    }

    #[test]
    fn spec_examples_compress_byte_exact() {
        assert_eq!(
            compress(SIMPLE_RTF, Format::Compressed).unwrap(),
            SIMPLE_COMPRESSED
        );
        assert_eq!(
            compress(CROSSING_RTF, Format::Compressed).unwrap(),
            CROSSING_COMPRESSED
        );
    }

    #[test]
    fn round_trips_both_formats() {
        for raw in samples() {
            for format in [Format::Compressed, Format::Uncompressed] {
                let packed = compress(&raw, format).unwrap();
                let header = Header::parse(&packed).unwrap();
                assert_eq!(header.format, format);
                assert_eq!(header.raw_size as usize, raw.len());
                assert_eq!(header.comp_size as usize + 4, packed.len());
                assert_eq!(
                    decompress(&packed).unwrap(),
                    raw,
                    "{format:?} {}",
                    raw.len()
                );
            }
        }
        // Compression works: repeats shrink, noise grows by at most a control bit a byte.
        assert!(
            compress(&vec![b'a'; 10_000], Format::Compressed)
                .unwrap()
                .len()
                < 1300
        );
        let noisy = compress(&noise(20_000, 1), Format::Compressed)
            .unwrap()
            .len();
        assert!(noisy <= 20_000 * 9 / 8 + 32, "{noisy}");
    }

    /// A reader that hands out at most `n` bytes a call.
    struct Trickle<R>(R, usize);
    impl<R: Read> Read for Trickle<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn streaming_in_small_pieces_matches_whole_buffer() {
        for raw in samples() {
            for format in [Format::Compressed, Format::Uncompressed] {
                let whole = compress(&raw, format).unwrap();
                // Written 3 bytes at a time, after 5 bytes already in the sink.
                let mut sink = io::Cursor::new(vec![9u8; 5]);
                sink.set_position(5);
                let mut c = Compressor::new(sink, format).unwrap();
                assert_eq!(c.start, 5);
                for piece in raw.chunks(3) {
                    c.write_all(piece).unwrap();
                }
                let sink = c.finish().unwrap();
                assert_eq!(sink.position() as usize, 5 + whole.len());
                assert_eq!(&sink.get_ref()[..5], &[9u8; 5]);
                assert_eq!(&sink.get_ref()[5..], &whole[..]);
                // Non-seekable sink.
                let mut out = Vec::new();
                let n = compress_into(&mut &raw[..], format, &mut out).unwrap();
                assert_eq!((n as usize, &out), (whole.len(), &whole));
                // Read 1 and 7 bytes at a time from a source that trickles.
                for (chunk, trickle) in [(1, 1), (7, 3), (4096, 5000)] {
                    let mut d = Decompressor::new(Trickle(&whole[..], trickle)).unwrap();
                    let mut got = Vec::new();
                    let mut buf = vec![0u8; chunk];
                    loop {
                        let n = d.read(&mut buf).unwrap();
                        if n == 0 {
                            break;
                        }
                        got.extend_from_slice(&buf[..n]);
                    }
                    assert_eq!(got, raw);
                    assert_eq!(d.read(&mut buf).unwrap(), 0);
                }
            }
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        for raw in [SIMPLE_RTF.to_vec(), rtfish(3000)] {
            for format in [Format::Compressed, Format::Uncompressed] {
                let packed = compress(&raw, format).unwrap();
                for cut in 0..packed.len() {
                    let short = &packed[..cut];
                    assert!(decompress(short).is_err(), "{format:?} cut at {cut}");
                    let streamed = Decompressor::new(short).and_then(|mut d| {
                        let mut v = Vec::new();
                        d.read_to_end(&mut v).map(|_| v)
                    });
                    assert!(streamed.is_err(), "{format:?} streamed cut at {cut}");
                }
            }
        }
        assert_eq!(
            decompress(&SIMPLE_COMPRESSED[..10]),
            Err(RtfError::TooShort(10))
        );
        assert!(matches!(
            decompress(&SIMPLE_COMPRESSED[..40]),
            Err(RtfError::Truncated {
                expected: 33,
                got: 24
            })
        ));
    }

    fn with_header(mut v: Vec<u8>, at: usize, word: u32) -> Vec<u8> {
        v[at..at + 4].copy_from_slice(&word.to_le_bytes());
        v
    }

    #[test]
    fn damaged_headers_and_content_are_refused() {
        let good = SIMPLE_COMPRESSED.to_vec();
        assert_eq!(
            decompress(&with_header(good.clone(), 8, 0x1234_5678)),
            Err(RtfError::BadMagic(0x1234_5678))
        );
        assert!(matches!(
            decompress(&with_header(good.clone(), 0, 11)),
            Err(RtfError::BadSizes { .. })
        ));
        // A RAWSIZE the content cannot expand to: refused before anything is reserved.
        assert!(matches!(
            decompress(&with_header(good.clone(), 4, u32::MAX)),
            Err(RtfError::BadSizes { .. })
        ));
        let mut flipped = good.clone();
        flipped[30] ^= 0x40;
        assert!(matches!(
            decompress(&flipped),
            Err(RtfError::BadCrc {
                stored: 0xA7C7_C5F1,
                ..
            })
        ));
        let streamed = Decompressor::new(&flipped[..])
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(matches!(
            rtf_error(&streamed),
            Some(RtfError::BadCrc { .. })
        ));
        let mela = compress(SIMPLE_RTF, Format::Uncompressed).unwrap();
        assert_eq!(
            decompress(&with_header(mela.clone(), 12, 5)),
            Err(RtfError::MelaCrc(5))
        );
        assert!(matches!(
            decompress(&with_header(mela.clone(), 4, 44)),
            Err(RtfError::BadSizes { .. })
        ));
        assert!(matches!(
            decompress(&with_header(mela, 0, 11)),
            Err(RtfError::BadSizes { .. })
        ));
    }

    #[test]
    fn raw_size_is_honoured() {
        // Fewer bytes than the tokens make: exactly RAWSIZE come out (as after the end).
        let short = with_header(SIMPLE_COMPRESSED.to_vec(), 4, 10);
        assert_eq!(decompress(&short).unwrap(), &SIMPLE_RTF[..10]);
        // More than they make: an error, whole-buffer and streamed.
        let long = with_header(SIMPLE_COMPRESSED.to_vec(), 4, 50);
        assert_eq!(
            decompress(&long),
            Err(RtfError::ShortContent {
                raw_size: 50,
                produced: 43
            })
        );
        let mut d = Decompressor::new(&long[..]).unwrap();
        let mut got = Vec::new();
        let e = d.read_to_end(&mut got).unwrap_err();
        assert!(matches!(rtf_error(&e), Some(RtfError::ShortContent { .. })));
        assert_eq!(
            got, SIMPLE_RTF,
            "the bytes decoded before the error came out"
        );
        // Bytes after COMPSIZE + 4 are not part of the value.
        let mut padded = SIMPLE_COMPRESSED.to_vec();
        padded.extend_from_slice(b"junk");
        assert_eq!(decompress(&padded).unwrap(), SIMPLE_RTF);
    }

    #[test]
    fn empty_rtf_is_one_end_marker() {
        let packed = compress(b"", Format::Compressed).unwrap();
        assert_eq!(&packed[16..], &[0x01, 0x0C, 0xF0]);
        assert_eq!(decompress(&packed).unwrap(), b"");
    }
}
