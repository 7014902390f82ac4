//! Compression, sans-IO: HTTP compression of long-polling bodies ([`http`]) and the
//! WebSocket permessage-deflate extension of RFC 7692 ([`deflate`]), over `flate2` (its
//! default backend, the pure-Rust `miniz_oxide`).
//!
//! Both limit what they inflate while inflating (a small input that expands without end
//! costs at most the limit) and never panic on input from the network.

pub mod deflate;
pub mod http;

use bytes::Bytes;
use flate2::{Compress, Decompress, FlushCompress, FlushDecompress, Status};

/// Why decompressing failed ([`http::decode`], [`deflate::Codec::decompress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The decoded body would be longer than the limit.
    TooLong,
    /// The body is not valid for its encoding (bad header, corrupt data, checksum mismatch,
    /// truncated).
    Corrupt,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooLong => f.write_str("decompressed body over the limit"),
            DecodeError::Corrupt => f.write_str("corrupt compressed body"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Deflates all of `input` into `out` with `c`, ending with `flush` (`Sync` for a
/// permessage-deflate message, `Finish` for an HTTP body).
///
/// The output gets room for the worst case first (the input stored, plus block headers and
/// the flush), so the compressor finishes in one call; the loop after it only runs if it
/// ever does not. Feeding miniz_oxide through several calls with small output steps lost
/// data at level 0 (it ended a 31 960-byte message 215 bytes short; found by the
/// `compression` fuzz target), and one call is also the fastest. Room it did not use is given
/// back when it is most of the buffer (the `Bytes` made of it lives as long as the frame).
pub(crate) fn deflate_into(
    c: &mut Compress,
    input: &[u8],
    out: &mut Vec<u8>,
    flush: FlushCompress,
) {
    out.reserve(input.len() + input.len() / 8 + 128);
    let start = c.total_in();
    loop {
        let consumed = (c.total_in() - start) as usize;
        match c.compress_vec(&input[consumed..], out, flush) {
            Ok(Status::StreamEnd) => break,
            Ok(_) => {}
            // The rust backend reports no errors for valid input; nothing to recover.
            Err(_) => break,
        }
        let all_in = (c.total_in() - start) as usize == input.len();
        if all_in && out.len() < out.capacity() && flush != FlushCompress::Finish {
            break;
        }
        out.reserve(out.capacity().max(1024));
    }
    if out.capacity() > 2 * out.len() + 4096 {
        out.shrink_to_fit();
    }
}

/// Inflates `input` with `d` into at most `limit` bytes. With `must_end` the stream must end
/// within `input` (an HTTP body); without, `input` is one message of a stream that goes on
/// (permessage-deflate, whose messages end with a sync flush).
///
/// Returns the output and whether the deflate stream ended. The limit is enforced while
/// inflating: the output grows by doubling and never past
/// `limit + 1` bytes, so a small input that expands without end costs at most the limit.
pub(crate) fn inflate_raw(
    d: &mut Decompress,
    input: &[u8],
    limit: usize,
    must_end: bool,
) -> Result<(Bytes, bool), DecodeError> {
    let start_in = d.total_in();
    let cap = limit.saturating_add(1);
    let mut out: Vec<u8> = Vec::with_capacity(input.len().saturating_mul(3).max(64).min(cap));
    let flush = if must_end {
        FlushDecompress::None
    } else {
        FlushDecompress::Sync
    };
    loop {
        let consumed = (d.total_in() - start_in) as usize;
        if out.len() == out.capacity() {
            if out.len() > limit {
                return Err(DecodeError::TooLong);
            }
            let want = out.capacity().saturating_mul(2).min(cap);
            out.reserve_exact(want - out.len());
        }
        let before = (d.total_in(), d.total_out());
        let status = d
            .decompress_vec(&input[consumed..], &mut out, flush)
            .map_err(|_| DecodeError::Corrupt)?;
        if out.len() > limit {
            return Err(DecodeError::TooLong);
        }
        if status == Status::StreamEnd {
            // A message may end the stream with a final block (RFC 7692 7.2.3.3): what
            // follows it is ignored, and the caller starts a new stream (as `ws`).
            return Ok((Bytes::from(out), true));
        }
        let room_left = out.len() < out.capacity();
        let all_in = (d.total_in() - start_in) as usize == input.len();
        let stuck = (d.total_in(), d.total_out()) == before;
        if room_left && (all_in || stuck) {
            // Everything it could make of the input is out.
            if must_end {
                return Err(DecodeError::Corrupt);
            }
            return Ok((Bytes::from(out), false));
        }
    }
}
