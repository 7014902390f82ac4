//! WebTransport framing: Engine.IO packets on one bidirectional stream, as `engine.io-parser`
//! 5.2's `createPacketEncoderStream` and `createPacketDecoderStream` write and read them.
//!
//! A WebTransport session carries its packets on one bidirectional stream, which has no
//! message boundaries of its own. Each packet is therefore preceded by a header modelled on
//! WebSocket lengths:
//!
//! | payload length      | header                                   |
//! |---------------------|------------------------------------------|
//! | 0 to 125            | 1 byte: the length                       |
//! | 126 to 65 535       | 3 bytes: `126`, then the length (u16 BE) |
//! | 65 536 and more     | 9 bytes: `127`, then the length (u64 BE) |
//!
//! and the top bit of the first byte is set for a binary packet. The payload is the packet as
//! a WebSocket message carries it ([`Frame`]): text `<type><data>` in UTF-8, or the raw bytes
//! of a binary message.
//!
//! [`header`] and [`encode`] write frames; [`StreamDecoder`] takes the stream's bytes in
//! whatever chunks they arrive and hands back whole frames, with the reference decoder's
//! checks: a text length of 0, a length above the configured maximum, or one beyond 2^53 − 1
//! is an error (the reference's "parse error"), found before anything is buffered for it.
//!
//! One difference on purpose: an empty binary frame (`0x80`, what the reference's encoder
//! writes for an empty buffer, such as an empty binary attachment) is read as an empty binary
//! message, where the reference's decoder fails the stream on it. sio writes the same `0x80`
//! (there is no other way to say it), which a reference peer still refuses.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use super::{DecodeError, Frame};
use crate::Str;

/// The longest header: `127` and a 64-bit length.
pub const MAX_HEADER_LEN: usize = 9;

/// The top bit of the first header byte: the payload is binary.
const BINARY_FLAG: u8 = 0x80;

/// The largest length the reference decoder accepts in a 64-bit header (JavaScript's
/// `Number.MAX_SAFE_INTEGER`, 2^53 − 1; it checks the high 32 bits against 2^21 − 1).
const MAX_SAFE_LENGTH: u64 = (1 << 53) - 1;

/// The header written before one frame: 1, 3 or 9 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    bytes: [u8; MAX_HEADER_LEN],
    len: u8,
}

impl FrameHeader {
    /// The header's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The header of `frame`, as `createPacketEncoderStream` writes it. The frame's bytes follow
/// it on the stream unchanged (a text frame's UTF-8, a binary frame's bytes), so a broadcast's
/// shared frame is written as is after its own small header.
///
/// Like the reference, a binary frame has the binary bit even when it is empty (a length of 0,
/// which a receiving decoder refuses).
pub fn header(frame: &Frame) -> FrameHeader {
    let len = frame.len();
    let mut bytes = [0u8; MAX_HEADER_LEN];
    let n = if len < 126 {
        bytes[0] = len as u8;
        1
    } else if len < 65_536 {
        bytes[0] = 126;
        bytes[1..3].copy_from_slice(&(len as u16).to_be_bytes());
        3
    } else {
        bytes[0] = 127;
        bytes[1..9].copy_from_slice(&(len as u64).to_be_bytes());
        9
    };
    if matches!(frame, Frame::Binary(_)) {
        bytes[0] |= BINARY_FLAG;
    }
    FrameHeader { bytes, len: n }
}

/// Appends `frame` with its header to `out`.
pub fn encode(frame: &Frame, out: &mut Vec<u8>) {
    out.extend_from_slice(header(frame).as_bytes());
    match frame {
        Frame::Text(t) => out.extend_from_slice(t.as_bytes()),
        Frame::Binary(b) => out.extend_from_slice(b),
    }
}

/// The two chunks to write for `frame`: its header, and its bytes (shared, not copied).
pub fn chunks(frame: &Frame) -> [Bytes; 2] {
    let body = match frame {
        Frame::Text(t) => t.bytes().clone(),
        Frame::Binary(b) => b.clone(),
    };
    [Bytes::copy_from_slice(header(frame).as_bytes()), body]
}

/// Where the decoder is in the current frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the first header byte.
    Header,
    /// Waiting for a 16-bit length.
    Length16 { binary: bool },
    /// Waiting for a 64-bit length.
    Length64 { binary: bool },
    /// Waiting for `len` bytes of payload.
    Payload { len: usize, binary: bool },
    /// Failed: nothing more is decoded.
    Failed,
}

/// Decodes the frames of a WebTransport stream from its bytes, in any chunks.
///
/// Push each chunk read from the stream with [`push`](Self::push), then take frames with
/// [`next_frame`](Self::next_frame) until it returns `None`. After an error it returns `None`
/// for ever (the session is closed with "parse error"). It holds at most the bytes of one
/// frame that has not fully arrived (which its header has already shown to be within the
/// maximum), plus what the peer sent beyond it in the same chunks.
///
/// Text that is not valid UTF-8 is decoded with replacement characters, as the reference's
/// `TextDecoder` does (a WebSocket would fail instead).
#[derive(Debug)]
pub struct StreamDecoder {
    max_payload: usize,
    chunks: VecDeque<Bytes>,
    /// The bytes in `chunks`.
    buffered: usize,
    state: State,
}

impl StreamDecoder {
    /// A decoder that refuses frames longer than `max_payload` bytes.
    pub fn new(max_payload: usize) -> Self {
        StreamDecoder {
            max_payload,
            chunks: VecDeque::new(),
            buffered: 0,
            state: State::Header,
        }
    }

    /// Bytes received and not yet decoded into frames.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// Whether the decoder met bad input (and decodes nothing more).
    pub fn is_failed(&self) -> bool {
        self.state == State::Failed
    }

    /// Adds the next bytes of the stream.
    pub fn push(&mut self, chunk: Bytes) {
        if self.state == State::Failed || chunk.is_empty() {
            return;
        }
        self.buffered += chunk.len();
        self.chunks.push_back(chunk);
    }

    /// The next whole frame, `None` until more bytes arrive, or the error that stops the
    /// stream (returned once).
    pub fn next_frame(&mut self) -> Option<Result<Frame, DecodeError>> {
        loop {
            match self.state {
                State::Failed => return None,
                State::Header => {
                    let first = self.take_byte()?;
                    let binary = first & BINARY_FLAG != 0;
                    let len = first & !BINARY_FLAG;
                    // The reference checks the 7-bit value against the maximum before reading
                    // an extended length (126 and 127 are markers, compared all the same).
                    if let Err(e) = self.check(u64::from(len), binary) {
                        return Some(Err(e));
                    }
                    if len == 0 {
                        // An empty binary message (see the module docs).
                        return Some(Ok(Frame::Binary(Bytes::new())));
                    }
                    self.state = match len {
                        126 => State::Length16 { binary },
                        127 => State::Length64 { binary },
                        n => State::Payload {
                            len: usize::from(n),
                            binary,
                        },
                    };
                }
                State::Length16 { binary } => {
                    let mut b = [0u8; 2];
                    self.take_exact(&mut b)?;
                    let len = u16::from_be_bytes(b);
                    if let Err(e) = self.check(u64::from(len), binary) {
                        return Some(Err(e));
                    }
                    self.state = State::Payload {
                        len: usize::from(len),
                        binary,
                    };
                }
                State::Length64 { binary } => {
                    let mut b = [0u8; 8];
                    self.take_exact(&mut b)?;
                    let len = u64::from_be_bytes(b);
                    if len > MAX_SAFE_LENGTH {
                        return Some(Err(self.fail(DecodeError::InvalidLength)));
                    }
                    if let Err(e) = self.check(len, binary) {
                        return Some(Err(e));
                    }
                    // `check` bounded it by `max_payload`, a `usize`.
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    self.state = State::Payload { len, binary };
                }
                State::Payload { len, binary } => {
                    if self.buffered < len {
                        return None;
                    }
                    let data = self.take_bytes(len);
                    self.state = State::Header;
                    return Some(Ok(if binary {
                        Frame::Binary(data)
                    } else {
                        Frame::Text(text(data))
                    }));
                }
            }
        }
    }

    /// The reference's checks after each step: a length of 0 (allowed for binary, see the
    /// module docs), or above the maximum.
    fn check(&mut self, len: u64, binary: bool) -> Result<(), DecodeError> {
        if len == 0 && !binary {
            return Err(self.fail(DecodeError::InvalidLength));
        }
        if len > self.max_payload as u64 {
            let max = self.max_payload;
            return Err(self.fail(DecodeError::TooLarge { max }));
        }
        Ok(())
    }

    fn fail(&mut self, e: DecodeError) -> DecodeError {
        self.state = State::Failed;
        self.chunks.clear();
        self.buffered = 0;
        e
    }

    fn take_byte(&mut self) -> Option<u8> {
        let mut b = [0u8; 1];
        self.take_exact(&mut b)?;
        Some(b[0])
    }

    /// Fills `out` from the buffered bytes, or takes nothing if there are too few.
    fn take_exact(&mut self, out: &mut [u8]) -> Option<()> {
        if self.buffered < out.len() {
            return None;
        }
        let mut filled = 0;
        while filled < out.len() {
            let front = self.chunks.front_mut()?;
            let n = front.len().min(out.len() - filled);
            out[filled..filled + n].copy_from_slice(&front[..n]);
            filled += n;
            if n == front.len() {
                self.chunks.pop_front();
            } else {
                *front = front.slice(n..);
            }
        }
        self.buffered -= out.len();
        Some(())
    }

    /// Takes `len` buffered bytes (there are at least that many): a slice of the first chunk
    /// when it holds them all (no copy), else the chunks joined.
    fn take_bytes(&mut self, len: usize) -> Bytes {
        self.buffered -= len;
        if let Some(front) = self.chunks.front_mut() {
            if front.len() >= len {
                let data = front.split_to(len);
                if front.is_empty() {
                    self.chunks.pop_front();
                }
                return data;
            }
        }
        let mut data = BytesMut::with_capacity(len);
        while data.len() < len {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            let n = front.len().min(len - data.len());
            data.extend_from_slice(&front[..n]);
            if n == front.len() {
                self.chunks.pop_front();
            } else {
                *front = front.slice(n..);
            }
        }
        data.freeze()
    }
}

/// A text payload as the reference's `TextDecoder` reads it: invalid UTF-8 becomes U+FFFD.
fn text(data: Bytes) -> Str {
    match Str::from_utf8(data.clone()) {
        Ok(s) => s,
        Err(_) => Str::from(String::from_utf8_lossy(&data).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_frame(s: &str) -> Frame {
        Frame::Text(Str::from(s.to_owned()))
    }

    fn encoded(frame: &Frame) -> Vec<u8> {
        let mut out = Vec::new();
        encode(frame, &mut out);
        out
    }

    #[test]
    fn headers_take_one_three_or_nine_bytes() {
        assert_eq!(encoded(&text_frame("4hello")), b"\x064hello");
        let mid = Frame::Binary(Bytes::from(vec![7u8; 126]));
        assert_eq!(&encoded(&mid)[..3], &[0x80 | 126, 0, 126]);
        let big = Frame::Binary(Bytes::from(vec![7u8; 65_536]));
        assert_eq!(&encoded(&big)[..9], &[0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(header(&Frame::Binary(Bytes::new())).as_bytes(), &[0x80]);
    }

    #[test]
    fn frames_split_at_every_byte_decode_the_same() {
        let frames = [
            text_frame("0"),
            text_frame("4héllo"),
            Frame::Binary(Bytes::from(vec![1u8; 300])),
            text_frame("2"),
        ];
        let mut wire = Vec::new();
        for f in &frames {
            encode(f, &mut wire);
        }
        let mut d = StreamDecoder::new(1_000_000);
        let mut out = Vec::new();
        for b in &wire {
            d.push(Bytes::copy_from_slice(&[*b]));
            while let Some(f) = d.next_frame() {
                out.push(f.expect("valid"));
            }
        }
        assert_eq!(out, frames);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn an_empty_binary_frame_is_an_empty_binary_message() {
        let mut d = StreamDecoder::new(1000);
        d.push(Bytes::from_static(&[0x80, 0x80 | 126, 0, 0, 0x01, b'4']));
        assert_eq!(d.next_frame(), Some(Ok(Frame::Binary(Bytes::new()))));
        assert_eq!(d.next_frame(), Some(Ok(Frame::Binary(Bytes::new()))));
        assert_eq!(d.next_frame(), Some(Ok(text_frame("4"))));
    }

    #[test]
    fn a_zero_length_is_refused_and_the_decoder_stays_failed() {
        let mut d = StreamDecoder::new(100);
        d.push(Bytes::from_static(b"\x00\x014"));
        assert_eq!(d.next_frame(), Some(Err(DecodeError::InvalidLength)));
        assert!(d.is_failed());
        d.push(Bytes::from_static(b"\x014"));
        assert_eq!(d.next_frame(), None);
    }

    #[test]
    fn a_length_above_the_maximum_is_refused_from_its_header() {
        let mut d = StreamDecoder::new(1000);
        d.push(Bytes::from_static(&[126, 0x03, 0xe9]));
        assert_eq!(
            d.next_frame(),
            Some(Err(DecodeError::TooLarge { max: 1000 }))
        );
        let mut d = StreamDecoder::new(usize::MAX);
        d.push(Bytes::from_static(&[127, 0, 0x20, 0, 0, 0, 0, 0, 0]));
        assert_eq!(d.next_frame(), Some(Err(DecodeError::InvalidLength)));
    }

    #[test]
    fn invalid_utf8_text_is_replaced_as_text_decoder_does() {
        let mut d = StreamDecoder::new(100);
        d.push(Bytes::from_static(b"\x024\xff"));
        assert_eq!(d.next_frame(), Some(Ok(text_frame("4\u{fffd}"))));
    }
}
