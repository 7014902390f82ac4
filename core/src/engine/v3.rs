//! Engine.IO v3, the protocol of Socket.IO v2 clients (`socket.io-client` 2.x,
//! `engine.io-client` 3.x), as engine.io 6.6 speaks it with `allowEIO3` (its bundled
//! `engine.io-parser` 2.2, `build/parser-v3`).
//!
//! What differs from v4 on the wire:
//!
//! - **Binary packets carry their type.** A WebSocket binary message is the type byte
//!   (`0x04`) followed by the data; as text, a binary packet is `b4<base64>`.
//! - **Polling payloads are length-prefixed.** Text payloads are records `<length>:<packet>`
//!   whose length counts UTF-16 code units, as JavaScript strings do (`6:4hello2:4€`); binary
//!   packets in them are `b4<base64>`. Clients that support binary (XHR2; no `b64=1` in the
//!   query) get, when a payload holds binary, the binary payload format instead: per packet
//!   `<0 text | 1 binary><length as one byte per decimal digit>0xFF<packet>`, text packets as
//!   UTF-8 and their length in bytes.
//!
//! Frames in this module are *v3 wire frames*: a [`Frame::Binary`] holds the type byte first.
//! [`wire_frames`] turns v4 frames (what [`Packet::encode`] and the Socket.IO codec produce)
//! into them, copying each binary frame once; a broadcast converts once and shares the result
//! among its v3 recipients, as it shares the v4 frames among the others.
//!
//! The decoders are as strict as the reference's where the reference's strictness is
//! intended, and stricter where it accepts input only through JavaScript coercion: a record
//! length must be decimal digits (the reference also takes `0x10` or ` 5`), a binary-payload
//! length byte must be 0–9 and the record must be complete (the reference reads a short
//! record as it is), a base64 record must be a message (`b4…`; the reference delivers
//! `b2…` as a ping with binary data), and text must be valid UTF-8 (Node replaces invalid
//! sequences with U+FFFD). Each of these ends decoding with an error, after the packets
//! before it, as the reference's errors do.

use bytes::{Bytes, BytesMut};
use smallvec::SmallVec;

use super::{base64, DecodeError, Frame, Packet, PacketType};
use crate::Str;

/// The most decimal digits a record length may have (a longer one cannot fit in a payload
/// the server accepts).
const MAX_LENGTH_DIGITS: usize = 10;

/// The binary frame of a v3 message carrying `data`: the type byte `0x04`, then the data.
pub fn binary_frame(data: &[u8]) -> Frame {
    let mut buf = BytesMut::with_capacity(1 + data.len());
    buf.extend_from_slice(&[PacketType::Message as u8]);
    buf.extend_from_slice(data);
    Frame::Binary(buf.freeze())
}

/// The v3 wire frames for v4 `frames` (one packet's text and attachments): text frames are
/// shared as they are, each binary frame is copied once behind its type byte.
pub fn wire_frames(frames: &[Frame]) -> SmallVec<[Frame; 1]> {
    frames
        .iter()
        .map(|f| match f {
            Frame::Text(_) => f.clone(),
            Frame::Binary(b) => binary_frame(b),
        })
        .collect()
}

/// Encodes a packet as the v3 frame it travels in over WebSocket.
pub fn encode_packet(packet: &Packet) -> Frame {
    match packet {
        Packet::Binary(b) => binary_frame(b),
        other => other.encode(),
    }
}

/// A v3 binary frame as text, `b<type><base64>`, for a WebSocket whose client asked for
/// base64 (`b64=1`); a text frame is returned as it is.
pub fn base64_frame(frame: &Frame) -> Frame {
    match frame {
        Frame::Text(_) => frame.clone(),
        Frame::Binary(b) => {
            let mut out = Vec::with_capacity(2 + base64::encoded_len(b.len()));
            push_base64_record(b, &mut out);
            Frame::Text(Str::from_trusted(out.into()))
        }
    }
}

/// Decodes a v3 text packet: a type digit and its data, or `b4` and base64 for binary.
pub fn decode_text(text: Str) -> Result<Packet, DecodeError> {
    let b = text.as_bytes();
    if b.first() != Some(&b'b') {
        return Packet::decode_text(text);
    }
    match b.get(1) {
        Some(&b'4') => base64::decode(&b[2..])
            .map(|d| Packet::Binary(d.into()))
            .map_err(|_| DecodeError::InvalidBase64),
        Some(&c) => Err(DecodeError::UnknownType(c)),
        None => Err(DecodeError::Empty),
    }
}

/// Decodes a v3 binary packet: the type byte, then the data. Only a message may be binary.
pub fn decode_binary(data: Bytes) -> Result<Packet, DecodeError> {
    match data.first() {
        Some(&t) if t == PacketType::Message as u8 => Ok(Packet::Binary(data.slice(1..))),
        Some(&t) => Err(DecodeError::UnknownType(t)),
        None => Err(DecodeError::Empty),
    }
}

/// Decodes a v3 WebSocket message.
pub fn decode_frame(frame: Frame) -> Result<Packet, DecodeError> {
    match frame {
        Frame::Text(t) => decode_text(t),
        Frame::Binary(b) => decode_binary(b),
    }
}

/// The length of `s` in UTF-16 code units (JavaScript's `string.length`).
pub fn utf16_len(s: &str) -> usize {
    // Every character but a continuation byte starts one unit; four-byte characters (outside
    // the BMP) are surrogate pairs, one unit more.
    s.bytes()
        .map(|b| usize::from(b & 0xc0 != 0x80) + usize::from(b >= 0xf0))
        .sum()
}

/// Appends the v3 text payload for v3 wire `frames` to `out`: `<length>:<packet>` each,
/// lengths in UTF-16 code units, binary as `b4<base64>`.
pub fn encode_text_payload<'a>(frames: impl IntoIterator<Item = &'a Frame>, out: &mut Vec<u8>) {
    let mut any = false;
    for frame in frames {
        any = true;
        match frame {
            Frame::Text(t) => {
                push_decimal(utf16_len(t), out);
                out.push(b':');
                out.extend_from_slice(t.as_bytes());
            }
            Frame::Binary(b) => {
                let len = 2 + base64::encoded_len(b.len().saturating_sub(1));
                push_decimal(len, out);
                out.push(b':');
                push_base64_record(b, out);
            }
        }
    }
    if !any {
        out.extend_from_slice(b"0:"); // The reference's empty payload.
    }
}

/// Appends the v3 binary payload (XHR2) for v3 wire `frames` to `out`: per packet `0` (text)
/// or `1` (binary), its length in bytes one byte per decimal digit, `0xFF`, the packet.
pub fn encode_binary_payload<'a>(frames: impl IntoIterator<Item = &'a Frame>, out: &mut Vec<u8>) {
    for frame in frames {
        let (kind, bytes): (u8, &[u8]) = match frame {
            Frame::Text(t) => (0, t.as_bytes()),
            Frame::Binary(b) => (1, b),
        };
        out.push(kind);
        let start = out.len();
        push_decimal(bytes.len(), out);
        for d in &mut out[start..] {
            *d -= b'0';
        }
        out.push(0xff);
        out.extend_from_slice(bytes);
    }
}

/// Whether a GET answer to a client with binary support must use the binary payload format
/// (the reference's `supportsBinary && hasBinary(packets)`).
pub fn needs_binary_payload<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> bool {
    frames.into_iter().any(|f| matches!(f, Frame::Binary(_)))
}

/// Decodes a v3 text payload (a POST body without `Content-Type: application/octet-stream`).
/// An empty body is an error, as in the reference.
pub fn decode_text_payload(body: Bytes) -> Records {
    Records {
        body,
        pos: 0,
        binary: false,
        done: false,
        text: None,
    }
}

/// Decodes a v3 binary payload (a POST body with `Content-Type: application/octet-stream`).
/// An empty body holds no packet.
pub fn decode_binary_payload(body: Bytes) -> Records {
    Records {
        body,
        pos: 0,
        binary: true,
        done: false,
        text: None,
    }
}

/// The packets of a v3 payload, decoded one record at a time; after an error, nothing more.
/// The body is already bounded (the server's `max_payload`): text packets slice it, only
/// base64 records allocate (less than their own size).
#[derive(Debug)]
pub struct Records {
    body: Bytes,
    pos: usize,
    binary: bool,
    done: bool,
    /// The body as text (text payloads), checked once.
    text: Option<Str>,
}

impl Iterator for Records {
    type Item = Result<Packet, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = if self.binary {
            self.next_binary()
        } else {
            self.next_text()
        };
        match next {
            Some(Ok(p)) => Some(Ok(p)),
            Some(Err(e)) => {
                self.done = true;
                Some(Err(e))
            }
            None => {
                self.done = true;
                None
            }
        }
    }
}

impl Records {
    fn next_text(&mut self) -> Option<Result<Packet, DecodeError>> {
        if self.text.is_none() {
            if self.body.is_empty() {
                return Some(Err(DecodeError::Empty));
            }
            match Str::from_utf8(self.body.clone()) {
                Ok(t) => self.text = Some(t),
                Err(_) => return Some(Err(DecodeError::InvalidUtf8)),
            }
        }
        let text = self.text.as_ref()?;
        let b = text.as_bytes();
        loop {
            if self.pos == b.len() {
                return None;
            }
            let (units, after) = match read_length(b, self.pos, b':') {
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
            // Walk `units` UTF-16 code units from a character boundary.
            let start = after;
            let (mut pos, mut taken) = (start, 0);
            while taken < units {
                let Some(&lead) = b.get(pos) else {
                    return Some(Err(DecodeError::InvalidLength));
                };
                let (width, n) = match lead {
                    0x00..=0x7f => (1, 1),
                    0xc0..=0xdf => (2, 1),
                    0xe0..=0xef => (3, 1),
                    _ => (4, 2),
                };
                if taken + n > units {
                    // The length splits a surrogate pair.
                    return Some(Err(DecodeError::InvalidLength));
                }
                pos += width;
                taken += n;
            }
            self.pos = pos;
            if units == 0 {
                continue; // `0:` holds nothing (the reference skips it).
            }
            let record = text.slice(start..pos)?;
            return Some(decode_text(record));
        }
    }

    fn next_binary(&mut self) -> Option<Result<Packet, DecodeError>> {
        let b = &self.body[..];
        let &kind = b.get(self.pos)?;
        let mut pos = self.pos + 1;
        let mut len: usize = 0;
        let mut digits = 0;
        loop {
            match b.get(pos) {
                Some(0xff) if digits > 0 => break,
                Some(&d) if d <= 9 && digits < MAX_LENGTH_DIGITS => {
                    len = len * 10 + usize::from(d);
                    digits += 1;
                    pos += 1;
                }
                _ => return Some(Err(DecodeError::InvalidLength)),
            }
        }
        pos += 1;
        if len > b.len() - pos {
            return Some(Err(DecodeError::InvalidLength));
        }
        let record = self.body.slice(pos..pos + len);
        self.pos = pos + len;
        Some(if kind == 0 {
            Str::from_utf8(record)
                .map_err(|_| DecodeError::InvalidUtf8)
                .and_then(decode_text)
        } else {
            decode_binary(record)
        })
    }
}

/// Reads `<digits><sep>` at `pos`; returns the number and the position after `sep`.
fn read_length(b: &[u8], pos: usize, sep: u8) -> Result<(usize, usize), DecodeError> {
    let digits = b[pos..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > MAX_LENGTH_DIGITS || b.get(pos + digits) != Some(&sep) {
        return Err(DecodeError::InvalidLength);
    }
    let n = b[pos..pos + digits]
        .iter()
        .fold(0usize, |n, &c| n * 10 + usize::from(c - b'0'));
    Ok((n, pos + digits + 1))
}

/// `b<type digit><base64 of the data>` for a v3 binary frame (type byte first).
fn push_base64_record(frame: &[u8], out: &mut Vec<u8>) {
    let (ty, data) = match frame.split_first() {
        Some((t, d)) => (*t, d),
        None => (PacketType::Message as u8, &[][..]),
    };
    out.push(b'b');
    out.push(b'0' + ty.min(9));
    base64::encode_into(data, out);
}

fn push_decimal(n: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(n.to_string().as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &'static str) -> Frame {
        Frame::Text(Str::from_static(s))
    }

    fn decode_text_all(body: &'static [u8]) -> Vec<Result<Packet, DecodeError>> {
        decode_text_payload(Bytes::from_static(body)).collect()
    }

    fn decode_binary_all(body: &'static [u8]) -> Vec<Result<Packet, DecodeError>> {
        decode_binary_payload(Bytes::from_static(body)).collect()
    }

    fn msg(s: &'static str) -> Packet {
        Packet::Message(Str::from_static(s))
    }

    #[test]
    fn text_payload_lengths_count_utf16_units() {
        let frames = [
            text("4hello"),
            text("4€"),
            text("4😀"),
            binary_frame(&[1, 2]),
        ];
        let mut out = Vec::new();
        encode_text_payload(&frames, &mut out);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "6:4hello2:4€3:4😀6:b4AQI="
        );
        let back: Vec<_> = decode_text_payload(out.into()).collect();
        assert_eq!(
            back,
            vec![
                Ok(msg("hello")),
                Ok(msg("€")),
                Ok(msg("😀")),
                Ok(Packet::Binary(Bytes::from_static(&[1, 2])))
            ]
        );
    }

    #[test]
    fn binary_payload_spells_lengths_as_digit_bytes() {
        let frames = [text("4hé"), binary_frame(&[0xff; 10])];
        let mut out = Vec::new();
        encode_binary_payload(&frames, &mut out);
        let mut want = vec![0, 4, 0xff, b'4', b'h', 0xc3, 0xa9, 1, 1, 1, 0xff, 4];
        want.extend_from_slice(&[0xff; 10]);
        assert_eq!(out, want);
        let back: Vec<_> = decode_binary_payload(out.into()).collect();
        assert_eq!(
            back,
            vec![
                Ok(msg("hé")),
                Ok(Packet::Binary(Bytes::from_static(&[0xff; 10])))
            ]
        );
    }

    #[test]
    fn empty_records_are_skipped_and_an_empty_text_body_is_an_error() {
        assert_eq!(decode_text_all(b"0:1:2"), vec![Ok(Packet::ping())]);
        assert_eq!(decode_text_all(b""), vec![Err(DecodeError::Empty)]);
        assert_eq!(decode_binary_all(b""), vec![]);
    }

    #[test]
    fn decoding_stops_at_the_first_bad_record() {
        assert_eq!(
            decode_text_all(b"1:22:x3:4ab"),
            vec![Ok(Packet::ping()), Err(DecodeError::UnknownType(b'x'))]
        );
        for bad in [
            &b"1:2x"[..],
            b"a:2",
            b":2",
            b"5:4ab",
            b"1:21",
            b"99999999999:4",
        ] {
            let got: Vec<_> = decode_text_payload(Bytes::from_static(bad)).collect();
            assert!(
                matches!(got.last(), Some(Err(DecodeError::InvalidLength))),
                "{bad:?}: {got:?}"
            );
        }
        // A length that splits a surrogate pair.
        assert_eq!(
            decode_text_all("2:4😀".as_bytes()),
            vec![Err(DecodeError::InvalidLength)]
        );
        assert_eq!(
            decode_binary_all(&[0, 1, 0xff, b'2', 0, 5, 0xff, b'4']),
            vec![Ok(Packet::ping()), Err(DecodeError::InvalidLength)]
        );
        assert_eq!(
            decode_binary_all(&[0, 10, 0xff]),
            vec![Err(DecodeError::InvalidLength)]
        );
        assert_eq!(
            decode_binary_all(&[1, 2, 0xff, 2, 1]),
            vec![Err(DecodeError::UnknownType(2))]
        );
        assert_eq!(
            decode_text_all(b"3:b2A"),
            vec![Err(DecodeError::UnknownType(b'2'))]
        );
    }

    #[test]
    fn websocket_binary_frames_carry_the_type_byte() {
        let p = Packet::Binary(Bytes::from_static(&[9, 8]));
        let f = encode_packet(&p);
        assert_eq!(f, Frame::Binary(Bytes::from_static(&[4, 9, 8])));
        assert_eq!(decode_frame(f.clone()).unwrap(), p);
        assert_eq!(base64_frame(&f), text("b4CQg="));
        assert_eq!(decode_frame(base64_frame(&f)).unwrap(), p);
        assert_eq!(encode_packet(&Packet::pong()), text("3"));
        assert_eq!(
            wire_frames(&[text("451-[]"), Frame::Binary(Bytes::from_static(&[7]))]).to_vec(),
            vec![text("451-[]"), Frame::Binary(Bytes::from_static(&[4, 7]))]
        );
    }

    #[test]
    fn utf16_length_matches_javascript() {
        assert_eq!(utf16_len(""), 0);
        assert_eq!(utf16_len("aé€😀"), 5);
    }
}
