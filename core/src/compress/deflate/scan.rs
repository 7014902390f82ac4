//! [`FrameScanner`]: clears RSV1 of compressed messages on their way to a WebSocket library
//! that knows no extension, and remembers which messages were compressed.

use std::collections::VecDeque;

/// What the next whole message a WebSocket library yields was, on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    /// Sent as it is (the library yields it as text or binary).
    Plain,
    /// Compressed (RSV1 was set): the library yields it as binary; inflate it, and it is text
    /// when `text` (check its UTF-8).
    Deflated {
        /// Its opcode was text.
        text: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the end of an HTTP response head (`\r\n\r\n`); the number of its bytes matched.
    HttpHead(u8),
    /// Reading a frame header: how many bytes of it were read.
    Header(u8),
    /// Skipping a frame's payload: how many bytes are left.
    Payload(u64),
}

/// Reads a WebSocket byte stream (RFC 6455 framing) as it passes, in pieces of any size:
/// on the first frame of every message with RSV1 set it clears RSV1 and turns a text opcode
/// into binary, and it notes each message start ([`Incoming`]) for
/// [`next_message`](Self::next_message). Nothing else is changed; a stream the scanner cannot
/// follow is one the WebSocket library fails anyway (it reads the same headers).
///
/// See [the module docs](super) for why.
#[derive(Debug, Clone)]
pub struct FrameScanner {
    state: State,
    /// The frame header read so far (2 to 14 bytes).
    header: [u8; 14],
    notes: VecDeque<Incoming>,
}

impl Default for FrameScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameScanner {
    /// A scanner for a stream that starts with a frame (the server's side of an upgraded
    /// connection).
    pub fn new() -> Self {
        FrameScanner {
            state: State::Header(0),
            header: [0; 14],
            notes: VecDeque::new(),
        }
    }

    /// A scanner for a stream that starts with the HTTP response to the upgrade request (the
    /// client's side): frames start after its `\r\n\r\n`.
    pub fn after_http_head() -> Self {
        FrameScanner {
            state: State::HttpHead(0),
            ..Self::new()
        }
    }

    /// Scans (and rewrites in place) the next `bytes` of the stream.
    pub fn scan(&mut self, bytes: &mut [u8]) {
        let mut i = 0;
        while i < bytes.len() {
            match self.state {
                State::HttpHead(matched) => {
                    let want = b"\r\n\r\n"[matched as usize];
                    let b = bytes[i];
                    let matched = if b == want {
                        matched + 1
                    } else if b == b'\r' {
                        1
                    } else {
                        0
                    };
                    self.state = if matched == 4 {
                        State::Header(0)
                    } else {
                        State::HttpHead(matched)
                    };
                    i += 1;
                }
                State::Header(0) => {
                    let b = bytes[i];
                    let opcode = b & 0x0f;
                    if opcode == 1 || opcode == 2 {
                        if b & 0x40 != 0 {
                            // RSV1 off, opcode binary; FIN, RSV2 and RSV3 kept.
                            bytes[i] = (b & !0x40 & 0xf0) | 2;
                            self.notes
                                .push_back(Incoming::Deflated { text: opcode == 1 });
                        } else {
                            self.notes.push_back(Incoming::Plain);
                        }
                    }
                    self.header[0] = bytes[i];
                    self.state = State::Header(1);
                    i += 1;
                }
                State::Header(n) => {
                    self.header[n as usize] = bytes[i];
                    let n = n + 1;
                    i += 1;
                    let second = self.header[1];
                    let ext = match second & 0x7f {
                        126 => 2,
                        127 => 8,
                        _ => 0,
                    };
                    let mask = if second & 0x80 != 0 { 4 } else { 0 };
                    if n < 2 + ext + mask {
                        self.state = State::Header(n);
                        continue;
                    }
                    let len = match ext {
                        0 => u64::from(second & 0x7f),
                        2 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
                        _ => {
                            let mut b = [0; 8];
                            b.copy_from_slice(&self.header[2..10]);
                            u64::from_be_bytes(b)
                        }
                    };
                    self.state = if len == 0 {
                        State::Header(0)
                    } else {
                        State::Payload(len)
                    };
                }
                State::Payload(left) => {
                    let take = left.min((bytes.len() - i) as u64);
                    i += take as usize;
                    self.state = if take == left {
                        State::Header(0)
                    } else {
                        State::Payload(left - take)
                    };
                }
            }
        }
    }

    /// What the next text or binary message the WebSocket library yields was (in the order
    /// of their first frames); `None` if no message start was seen (it cannot happen for a
    /// message the library yields from the scanned bytes).
    pub fn next_message(&mut self) -> Option<Incoming> {
        self.notes.pop_front()
    }

    /// Message starts seen and not taken yet.
    pub fn pending(&self) -> usize {
        self.notes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
        let mut f = vec![first];
        let m = if masked { 0x80 } else { 0 };
        match payload.len() {
            n if n < 126 => f.push(m | n as u8),
            n if n < 65536 => {
                f.push(m | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(m | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        if masked {
            f.extend_from_slice(&[1, 2, 3, 4]);
        }
        // Payload bytes that look like headers must not confuse it.
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn clears_rsv1_of_message_starts_in_any_chunking() {
        let mut stream = Vec::new();
        stream.extend(frame(0xc1, &[0xc1; 5], true)); // compressed text, final
        stream.extend(frame(0x81, &[0xc2; 200], true)); // plain text
        stream.extend(frame(0x42, &[0x81; 70_000], true)); // compressed binary, not final
        stream.extend(frame(0x89, b"ping", true)); // ping between fragments
        stream.extend(frame(0x80, &[0x41; 3], true)); // continuation, final
        stream.extend(frame(0xc0, &[], true)); // RSV1 on a continuation: left for the library
        for chunk in [1, 2, 3, 7, 100, stream.len()] {
            let mut s = FrameScanner::new();
            let mut bytes = stream.clone();
            for part in bytes.chunks_mut(chunk) {
                s.scan(part);
            }
            assert_eq!(bytes[0], 0x82);
            assert_eq!(bytes[1 + 1 + 4 + 5], 0x81);
            let third = 2 * (2 + 4) + 5 + 2 + 200;
            assert_eq!(bytes[third], 0x02);
            assert_eq!(*bytes.last().unwrap(), 4, "the mask of the last frame");
            assert_eq!(bytes[bytes.len() - 6], 0xc0);
            let notes: Vec<_> = std::iter::from_fn(|| s.next_message()).collect();
            assert_eq!(
                notes,
                [
                    Incoming::Deflated { text: true },
                    Incoming::Plain,
                    Incoming::Deflated { text: false }
                ]
            );
        }
    }

    #[test]
    fn skips_the_http_head_first() {
        let mut stream = b"HTTP/1.1 101 Switching Protocols\r\nA: b\r\n\r\n".to_vec();
        stream.extend(frame(0xc1, &[0xc1; 3], false));
        let mut s = FrameScanner::after_http_head();
        for part in stream.chunks_mut(5) {
            s.scan(part);
        }
        assert_eq!(s.next_message(), Some(Incoming::Deflated { text: true }));
        assert_eq!(stream[stream.len() - 5], 0x82);
    }
}
