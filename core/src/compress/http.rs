//! HTTP compression of long-polling responses, as the reference's `httpCompression`: gzip or
//! deflate (zlib) by the request's `Accept-Encoding`, for bodies of at least a threshold.

use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress};

use super::{inflate_raw, DecodeError};

/// A `Content-Encoding` sio writes (server) and reads (client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentEncoding {
    /// `gzip` (RFC 1952): a deflate stream with a gzip header and a CRC-32 trailer.
    Gzip,
    /// `deflate`: a zlib stream (RFC 1950), as Node's `zlib.createDeflate` writes it.
    Deflate,
}

impl ContentEncoding {
    /// The header value (`gzip` or `deflate`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContentEncoding::Gzip => "gzip",
            ContentEncoding::Deflate => "deflate",
        }
    }

    /// The encoding named by a `Content-Encoding` value (case-insensitive, trimmed); `None`
    /// for `identity` and anything sio does not decode.
    pub fn from_header(value: &str) -> Option<Self> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip") {
            Some(ContentEncoding::Gzip)
        } else if v.eq_ignore_ascii_case("deflate") {
            Some(ContentEncoding::Deflate)
        } else {
            None
        }
    }
}

/// The server's HTTP compression of polling responses (the reference's `httpCompression`,
/// on by default with a threshold of 1024 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpCompression {
    /// Bodies shorter than this (in bytes) are sent as they are (reference: 1024).
    pub threshold: usize,
    /// The deflate level, 0–9 (reference: zlib's default, 6).
    pub level: u32,
}

impl Default for HttpCompression {
    fn default() -> Self {
        HttpCompression {
            threshold: 1024,
            level: 6,
        }
    }
}

/// The encoding the reference picks for an `Accept-Encoding` value among `gzip` and
/// `deflate` (the `accepts`/`negotiator` packages): the highest quality wins, then an exact
/// name over `*`, then the order of the header, then gzip before deflate. `None` when the
/// header is missing or accepts neither.
pub fn negotiate(accept_encoding: Option<&str>) -> Option<ContentEncoding> {
    let header = accept_encoding?;
    // (name, q, position in the header)
    let specs: Vec<(&str, f64, usize)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| parse_spec(part.trim()).map(|(n, q)| (n, q, i)))
        .collect();
    // For each provided encoding, its best matching spec: (q, specificity, header position).
    let priority = |name: &str| {
        let mut best: Option<(f64, u8, usize)> = None;
        for &(n, q, o) in &specs {
            let s = if n.eq_ignore_ascii_case(name) {
                1
            } else if n == "*" {
                0
            } else {
                continue;
            };
            // As negotiator: more specific first, then higher q, then later in the header.
            let better = match best {
                None => true,
                Some((bq, bs, bo)) => (s, q, o) > (bs, bq, bo),
            };
            if better {
                best = Some((q, s, o));
            }
        }
        best
    };
    let mut candidates: Vec<(f64, u8, usize, usize, ContentEncoding)> =
        [(0, ContentEncoding::Gzip), (1, ContentEncoding::Deflate)]
            .into_iter()
            .filter_map(|(i, enc)| {
                let (q, s, o) = priority(enc.as_str())?;
                (q > 0.0).then_some((q, s, o, i, enc))
            })
            .collect();
    candidates.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.1.cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    candidates.first().map(|c| c.4)
}

/// One `coding;q=x` of `Accept-Encoding`: its name and quality (`q` read as `parseFloat`
/// reads it: a leading number, else NaN, which never wins).
fn parse_spec(part: &str) -> Option<(&str, f64)> {
    let (name, params) = match part.split_once(';') {
        Some((n, p)) => (n.trim_end(), Some(p)),
        None => (part, None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    let mut q = 1.0;
    if let Some(params) = params {
        for p in params.split(';') {
            let mut kv = p.trim().splitn(2, '=');
            if kv.next() == Some("q") {
                q = parse_float_prefix(kv.next().unwrap_or(""));
                break;
            }
        }
    }
    Some((name, q))
}

/// JavaScript's `parseFloat` on a quality value: the longest numeric prefix, NaN if none.
fn parse_float_prefix(s: &str) -> f64 {
    let s = s.trim_start();
    let end = s
        .char_indices()
        .take_while(|&(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-')))
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    let mut prefix = &s[..end];
    while !prefix.is_empty() {
        if let Ok(v) = prefix.parse::<f64>() {
            return v;
        }
        prefix = &prefix[..prefix.len() - 1];
    }
    f64::NAN
}

/// How a body is to be compressed (see `Response::encoded` in the engine server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyEncoding {
    /// gzip or deflate.
    pub encoding: ContentEncoding,
    /// The deflate level, 0–9.
    pub level: u32,
}

thread_local! {
    /// The compressor of [`BodyEncoding::encode`]: one per thread, not one per response (it
    /// is ~300 KiB).
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl BodyEncoding {
    /// `body`, compressed.
    pub fn encode(&self, body: &[u8]) -> Bytes {
        SCRATCH.with(|s| encode(self.encoding, body, self.level, &mut s.borrow_mut()))
    }
}

/// A compressor kept between [`encode`] calls (a server holds one, not one per response: it
/// is ~300 KiB).
#[derive(Default)]
pub struct Scratch(Option<(u32, Box<Compress>)>);

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scratch")
    }
}

/// `body` compressed as `encoding` at `level` (0–9), with `scratch`'s compressor.
pub fn encode(encoding: ContentEncoding, body: &[u8], level: u32, scratch: &mut Scratch) -> Bytes {
    let level = Compression::new(level.min(9));
    let zlib = encoding == ContentEncoding::Deflate;
    if scratch.0.as_ref().is_none_or(|(l, _)| *l != level.level()) {
        scratch.0 = Some((level.level(), Box::new(Compress::new(level, false))));
    }
    let Some((_, c)) = &mut scratch.0 else {
        return Bytes::new();
    };
    c.reset();
    let mut out = Vec::with_capacity(16);
    if zlib {
        out.extend_from_slice(&zlib_header(level.level()));
    } else {
        // gzip: magic, deflate, no flags, no mtime, extra flags, OS "unknown" (as Node's
        // zlib writes it, but for the OS byte, which zlib sets to the build's system).
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl(level.level()), 255]);
    }
    super::deflate_into(c, body, &mut out, FlushCompress::Finish);
    if zlib {
        out.extend_from_slice(&adler32(body).to_be_bytes());
    } else {
        let mut crc = flate2::Crc::new();
        crc.update(body);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    }
    Bytes::from(out)
}

/// The two bytes of a zlib header for `level` (32 KiB window, no dictionary).
fn zlib_header(level: u32) -> [u8; 2] {
    let cmf = 0x78u8;
    let flevel: u8 = match level {
        0 | 1 => 0,
        2..=5 => 1,
        6 => 2,
        _ => 3,
    };
    let mut flg = flevel << 6;
    flg += (31 - ((cmf as u16 * 256 + flg as u16) % 31) as u8) % 31;
    [cmf, flg]
}

/// gzip's XFL byte: 2 for the slowest level, 4 for the fastest.
fn xfl(level: u32) -> u8 {
    match level {
        9 => 2,
        0 | 1 => 4,
        _ => 0,
    }
}

/// Adler-32 of `data` (the zlib trailer).
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += x as u32;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// `body` decoded from `encoding`, failing once the output would pass `limit` bytes (checked
/// while inflating: a small body that expands without end is stopped at the limit).
pub fn decode(encoding: ContentEncoding, body: &[u8], limit: usize) -> Result<Bytes, DecodeError> {
    match encoding {
        ContentEncoding::Deflate => {
            // Node's `deflate` is zlib; some servers send raw deflate: accept both, as
            // browsers do.
            if body.len() >= 2
                && (u16::from(body[0]) << 8 | u16::from(body[1])) % 31 == 0
                && body[0] & 0x0f == 8
            {
                let mut d = Decompress::new(true);
                inflate_raw(&mut d, body, limit, true).map(|(b, _)| b)
            } else {
                let mut d = Decompress::new(false);
                inflate_raw(&mut d, body, limit, true).map(|(b, _)| b)
            }
        }
        ContentEncoding::Gzip => {
            let rest = gzip_body(body).ok_or(DecodeError::Corrupt)?;
            let mut d = Decompress::new(false);
            let (out, _) = inflate_raw(&mut d, rest, limit, true)?;
            let used = d.total_in() as usize;
            let trailer = rest.get(used..used + 8).ok_or(DecodeError::Corrupt)?;
            let mut crc = flate2::Crc::new();
            crc.update(&out);
            let want_crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
            let want_len = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
            if crc.sum() != want_crc || out.len() as u32 != want_len {
                return Err(DecodeError::Corrupt);
            }
            Ok(out)
        }
    }
}

/// What follows the gzip header at the start of `body`.
fn gzip_body(body: &[u8]) -> Option<&[u8]> {
    if body.len() < 10 || body[0] != 0x1f || body[1] != 0x8b || body[2] != 8 {
        return None;
    }
    let flags = body[3];
    if flags & 0xe0 != 0 {
        return None;
    }
    let mut at = 10;
    if flags & 0x04 != 0 {
        // FEXTRA
        let n = u16::from_le_bytes([*body.get(at)?, *body.get(at + 1)?]) as usize;
        at += 2 + n;
    }
    for flag in [0x08, 0x10] {
        // FNAME, FCOMMENT: zero-terminated.
        if flags & flag != 0 {
            let nul = body.get(at..)?.iter().position(|&b| b == 0)?;
            at += nul + 1;
        }
    }
    if flags & 0x02 != 0 {
        at += 2; // FHCRC
    }
    body.get(at..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_as_the_reference() {
        use ContentEncoding::*;
        assert_eq!(negotiate(None), None);
        assert_eq!(negotiate(Some("")), None);
        assert_eq!(negotiate(Some("gzip, deflate, br")), Some(Gzip));
        assert_eq!(negotiate(Some("deflate, gzip")), Some(Deflate));
        assert_eq!(negotiate(Some("br")), None);
        assert_eq!(negotiate(Some("identity")), None);
        assert_eq!(negotiate(Some("*")), Some(Gzip));
        assert_eq!(negotiate(Some("gzip;q=0, *")), Some(Deflate));
        assert_eq!(negotiate(Some("gzip;q=0.5, deflate")), Some(Deflate));
        assert_eq!(negotiate(Some("GZIP")), Some(Gzip));
        assert_eq!(negotiate(Some("gzip;q=abc")), None);
        assert_eq!(negotiate(Some("deflate;q=0.9, gzip;q=0.9")), Some(Deflate));
    }

    #[test]
    fn gzip_and_deflate_round_trip_and_stop_at_the_limit() {
        let body: Vec<u8> = (0..20_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut scratch = Scratch::default();
        for enc in [ContentEncoding::Gzip, ContentEncoding::Deflate] {
            let z = encode(enc, &body, 6, &mut scratch);
            assert!(z.len() < body.len());
            assert_eq!(&decode(enc, &z, body.len()).unwrap()[..], &body[..]);
            assert_eq!(decode(enc, &z, body.len() - 1), Err(DecodeError::TooLong));
            assert_eq!(
                decode(enc, &z[..z.len() - 3], body.len()),
                Err(DecodeError::Corrupt)
            );
        }
        let empty = encode(ContentEncoding::Gzip, b"", 6, &mut scratch);
        assert_eq!(&decode(ContentEncoding::Gzip, &empty, 0).unwrap()[..], b"");
    }
}
