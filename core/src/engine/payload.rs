//! HTTP long-polling payloads: Engine.IO packets joined by `\x1e`.
//!
//! Text packets are written as they are (`4hello`); binary messages as `b` and their base64.
//! The reference decoder stops at the first bad record, and so does [`PayloadDecoder`]: the
//! packets before it are still delivered, then the error.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use super::{base64, DecodeError, Frame, Packet, RECORD_SEPARATOR};
use crate::Str;

/// Appends the polling payload for `frames` to `out`.
pub fn encode_payload<'a>(frames: impl IntoIterator<Item = &'a Frame>, out: &mut Vec<u8>) {
    for (i, frame) in frames.into_iter().enumerate() {
        if i > 0 {
            out.push(RECORD_SEPARATOR);
        }
        match frame {
            Frame::Text(t) => out.extend_from_slice(t.as_bytes()),
            Frame::Binary(b) => {
                out.push(b'b');
                base64::encode_into(b, out);
            }
        }
    }
}

/// The total size of the payload [`encode_payload`] writes for `frames`.
pub fn payload_len<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> usize {
    let mut n = 0;
    for (i, f) in frames.into_iter().enumerate() {
        n += f.payload_len() + usize::from(i > 0);
    }
    n
}

/// Decodes a polling payload that arrives in chunks (an HTTP body).
///
/// Feed every chunk with [`push`](Self::push), then call [`finish`](Self::finish) at the end
/// of the body; take decoded packets with [`next_packet`](Self::next_packet) at any time.
/// Records that lie within one chunk are sliced from it without copying. The size limit is
/// checked before any byte of a chunk is buffered.
#[derive(Debug)]
pub struct PayloadDecoder {
    max_payload: usize,
    received: usize,
    partial: BytesMut,
    out: VecDeque<Result<Packet, DecodeError>>,
    failed: bool,
    finished: bool,
}

impl PayloadDecoder {
    /// A decoder that refuses payloads over `max_payload` bytes (the server's
    /// `maxHttpBufferSize`).
    pub fn new(max_payload: usize) -> Self {
        PayloadDecoder {
            max_payload,
            received: 0,
            partial: BytesMut::new(),
            out: VecDeque::new(),
            failed: false,
            finished: false,
        }
    }

    /// Decodes a whole payload at once.
    pub fn decode_all(
        body: Bytes,
        max_payload: usize,
    ) -> impl Iterator<Item = Result<Packet, DecodeError>> {
        let mut d = PayloadDecoder::new(max_payload);
        d.push(body);
        d.finish();
        d.out.into_iter()
    }

    /// Feeds the next chunk of the body.
    pub fn push(&mut self, mut chunk: Bytes) {
        if self.failed || self.finished {
            return;
        }
        if chunk.len() > self.max_payload - self.received {
            self.fail(DecodeError::TooLarge {
                max: self.max_payload,
            });
            return;
        }
        self.received += chunk.len();
        while let Some(pos) = chunk.iter().position(|&b| b == RECORD_SEPARATOR) {
            let head = chunk.split_to(pos);
            chunk = chunk.split_off(1);
            let record = if self.partial.is_empty() {
                head
            } else {
                self.partial.extend_from_slice(&head);
                self.partial.split().freeze()
            };
            self.record(record);
            if self.failed {
                return;
            }
        }
        self.partial.extend_from_slice(&chunk);
    }

    /// Marks the end of the body; the last record is decoded.
    pub fn finish(&mut self) {
        if self.failed || self.finished {
            return;
        }
        self.finished = true;
        let last = self.partial.split().freeze();
        self.record(last);
    }

    /// The next decoded packet, or the error that ended decoding.
    #[must_use]
    pub fn next_packet(&mut self) -> Option<Result<Packet, DecodeError>> {
        self.out.pop_front()
    }

    /// Whether decoding stopped on an error.
    pub fn has_failed(&self) -> bool {
        self.failed
    }

    fn record(&mut self, record: Bytes) {
        let decoded = Str::from_utf8(record)
            .map_err(|_| DecodeError::InvalidUtf8)
            .and_then(Packet::decode_text);
        match decoded {
            Ok(p) => self.out.push_back(Ok(p)),
            Err(e) => self.fail(e),
        }
    }

    fn fail(&mut self, e: DecodeError) {
        self.failed = true;
        self.partial = BytesMut::new();
        self.out.push_back(Err(e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &'static str) -> Vec<Result<Packet, DecodeError>> {
        PayloadDecoder::decode_all(Bytes::from_static(s.as_bytes()), 1000).collect()
    }

    #[test]
    fn encodes_text_and_binary_records() {
        let frames = [
            Frame::Text(Str::from_static("4hello")),
            Frame::Text(Str::from_static("2")),
            Frame::Binary(Bytes::from_static(&[1, 2, 3, 4])),
        ];
        let mut out = Vec::new();
        encode_payload(&frames, &mut out);
        assert_eq!(out, b"4hello\x1e2\x1ebAQIDBA==");
        assert_eq!(payload_len(&frames), out.len());
    }

    #[test]
    fn decodes_records_and_stops_at_the_first_bad_one() {
        assert_eq!(
            decode("4hello\x1ebAQIDBA==\x1eabc\x1e4never"),
            vec![
                Ok(Packet::Message(Str::from_static("hello"))),
                Ok(Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
                Err(DecodeError::UnknownType(b'a')),
            ]
        );
    }

    #[test]
    fn empty_body_and_empty_record_are_errors() {
        assert_eq!(decode(""), vec![Err(DecodeError::Empty)]);
        assert_eq!(
            decode("4a\x1e"),
            vec![
                Ok(Packet::Message(Str::from_static("a"))),
                Err(DecodeError::Empty)
            ]
        );
    }

    #[test]
    fn refuses_oversized_bodies_before_buffering() {
        let mut d = PayloadDecoder::new(8);
        d.push(Bytes::from_static(b"4abc"));
        d.push(Bytes::from_static(b"defgh"));
        assert_eq!(d.next_packet(), Some(Err(DecodeError::TooLarge { max: 8 })));
        assert!(d.has_failed());
        assert!(d.partial.capacity() == 0);
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut d = PayloadDecoder::new(100);
        d.push(Bytes::from_static(b"4\xff"));
        d.finish();
        assert_eq!(d.next_packet(), Some(Err(DecodeError::InvalidUtf8)));
    }
}
