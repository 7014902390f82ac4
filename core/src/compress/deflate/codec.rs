//! [`Codec`]: one connection's permessage-deflate state.

use std::cell::RefCell;

use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress};

use super::{Agreed, PerMessageDeflate};
use crate::compress::{inflate_raw, DecodeError};

/// Which end of the connection a [`Codec`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The server: compresses with `server_*` parameters, inflates with `client_*` ones.
    Server,
    /// The client.
    Client,
}

/// The four bytes a sync flush ends with, stripped from each compressed message and put back
/// before inflating (RFC 7692 7.2.1 and 7.2.2).
const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

thread_local! {
    /// Without context takeover no state lives between messages: a connection borrows these
    /// for one message (reset before and after), so an idle connection holds none (a
    /// compressor is ~300 KiB, an inflater ~43 KiB) and a thread allocates each once.
    #[allow(clippy::type_complexity)]
    static SCRATCH: RefCell<(Option<(u32, Box<Compress>)>, Option<Box<Decompress>>)> =
        const { RefCell::new((None, None)) };
}

/// One connection's permessage-deflate: compresses the messages it sends and inflates the
/// compressed ones it receives, in order.
///
/// With context takeover (the default) each direction keeps its deflate state between
/// messages (allocated on the first compressed message, not before); without, nothing is
/// kept (see [`Agreed`]).
pub struct Codec {
    /// Shorter messages go uncompressed (`0` when the threshold does not apply).
    threshold: usize,
    level: Compression,
    /// Keep the compressor between messages.
    own_takeover: bool,
    /// Keep the inflater between messages.
    peer_takeover: bool,
    deflater: Option<Box<Compress>>,
    inflater: Option<Box<Decompress>>,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("threshold", &self.threshold)
            .field("own_takeover", &self.own_takeover)
            .field("peer_takeover", &self.peer_takeover)
            .finish_non_exhaustive()
    }
}

impl Codec {
    /// The codec of `role` for the `agreed` parameters, with `config`'s threshold and level.
    pub fn new(role: Role, agreed: &Agreed, config: &PerMessageDeflate) -> Self {
        let (own, peer) = match role {
            Role::Server => (
                agreed.server_no_context_takeover,
                agreed.client_no_context_takeover,
            ),
            Role::Client => (
                agreed.client_no_context_takeover,
                agreed.server_no_context_takeover,
            ),
        };
        // As the reference: engine.io-client applies the threshold to every message; the
        // server's `ws` only when it does not keep its context (with context takeover it
        // compresses every message, small ones gaining from what came before).
        let threshold = match role {
            Role::Client => config.threshold,
            Role::Server if own => config.threshold,
            Role::Server => 0,
        };
        Codec {
            threshold,
            level: Compression::new(config.level.min(9)),
            own_takeover: !own,
            peer_takeover: !peer,
            deflater: None,
            inflater: None,
        }
    }

    /// Whether the codec holds deflate state (for tests and memory accounting).
    pub fn holds_state(&self) -> bool {
        self.deflater.is_some() || self.inflater.is_some()
    }

    /// The payload to send for a message of `payload`, compressed (send it with RSV1 set on
    /// its first frame), or `None` when it is shorter than the threshold (send it as it is).
    /// The threshold applies to a client's messages, and to a server's only without context
    /// takeover (`ws` compresses every message otherwise).
    pub fn compress(&mut self, payload: &[u8]) -> Option<Bytes> {
        if payload.len() < self.threshold {
            return None;
        }
        let mut out = Vec::new();
        if self.own_takeover {
            let level = self.level;
            let c = self
                .deflater
                .get_or_insert_with(|| Box::new(Compress::new(level, false)));
            crate::compress::deflate_into(c, payload, &mut out, FlushCompress::Sync);
        } else {
            SCRATCH.with(|s| {
                let mut s = s.borrow_mut();
                let level = self.level;
                if s.0.as_ref().is_none_or(|(l, _)| *l != level.level()) {
                    s.0 = Some((level.level(), Box::new(Compress::new(level, false))));
                }
                let Some((_, c)) = &mut s.0 else { return };
                c.reset();
                crate::compress::deflate_into(c, payload, &mut out, FlushCompress::Sync);
                c.reset();
            });
        }
        if out.ends_with(&TRAILER) {
            out.truncate(out.len() - TRAILER.len());
        }
        Some(Bytes::from(out))
    }

    /// The message carried by `payload`, the whole payload of a message whose first frame had
    /// RSV1; fails when it would inflate past `limit` bytes (checked while inflating: answer
    /// 1009) or is not valid deflate data (1007, as `ws`).
    ///
    /// After an error the connection must be closed: the inflater's state is lost.
    pub fn decompress(&mut self, payload: &[u8], limit: usize) -> Result<Bytes, DecodeError> {
        let mut input = Vec::with_capacity(payload.len() + TRAILER.len());
        input.extend_from_slice(payload);
        input.extend_from_slice(&TRAILER);
        if self.peer_takeover {
            let d = self
                .inflater
                .get_or_insert_with(|| Box::new(Decompress::new(false)));
            let (out, ended) = inflate_raw(d, &input, limit, false)?;
            if ended {
                // The peer ended its stream: the next message starts a new one.
                d.reset(false);
            }
            Ok(out)
        } else {
            SCRATCH.with(|s| {
                let mut s = s.borrow_mut();
                let d = s.1.get_or_insert_with(|| Box::new(Decompress::new(false)));
                d.reset(false);
                let r = inflate_raw(d, &input, limit, false).map(|(out, _)| out);
                d.reset(false);
                r
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(server_nct: bool, client_nct: bool) -> (Codec, Codec) {
        let agreed = Agreed {
            server_no_context_takeover: server_nct,
            client_no_context_takeover: client_nct,
            server_max_window_bits: None,
            client_max_window_bits: None,
        };
        let cfg = PerMessageDeflate {
            threshold: 0,
            ..PerMessageDeflate::default()
        };
        (
            Codec::new(Role::Server, &agreed, &cfg),
            Codec::new(Role::Client, &agreed, &cfg),
        )
    }

    #[test]
    fn messages_round_trip_with_and_without_context_takeover() {
        for (s, c) in [(false, false), (true, false), (false, true), (true, true)] {
            let (mut server, mut client) = pair(s, c);
            for i in 0..20 {
                let msg = format!("{i} hello hello hello hello {}", "x".repeat(i * 100));
                let z = server.compress(msg.as_bytes()).unwrap();
                assert!(!z.ends_with(&TRAILER));
                assert_eq!(&client.decompress(&z, 1 << 20).unwrap()[..], msg.as_bytes());
                let z = client.compress(msg.as_bytes()).unwrap();
                assert_eq!(&server.decompress(&z, 1 << 20).unwrap()[..], msg.as_bytes());
            }
            assert_eq!(server.holds_state(), !(s && c));
        }
    }

    #[test]
    fn context_takeover_makes_repeats_smaller() {
        let (mut server, _) = pair(false, false);
        let msg: Vec<String> = (0..400u32).map(|i| (i * 7919 % 1009).to_string()).collect();
        let msg = msg.join(",");
        let first = server.compress(msg.as_bytes()).unwrap().len();
        let second = server.compress(msg.as_bytes()).unwrap().len();
        assert!(second < first / 4, "{first} then {second}");
        let (mut server, _) = pair(true, false);
        let first = server.compress(msg.as_bytes()).unwrap().len();
        let second = server.compress(msg.as_bytes()).unwrap().len();
        assert_eq!(first, second);
    }

    #[test]
    fn below_threshold_stays_plain_and_bombs_stop_at_the_limit() {
        let agreed = Agreed {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: None,
        };
        let mut c = Codec::new(Role::Client, &agreed, &PerMessageDeflate::default());
        assert!(c.compress(&[b'a'; 1023]).is_none());
        assert!(c.compress(&[b'a'; 1024]).is_some());
        let mut server = Codec::new(Role::Server, &agreed, &PerMessageDeflate::default());
        assert!(
            server.compress(b"3").is_some(),
            "ws compresses all with context takeover"
        );
        let nct = Agreed {
            server_no_context_takeover: true,
            ..agreed
        };
        let mut server = Codec::new(Role::Server, &nct, &PerMessageDeflate::default());
        assert!(server.compress(&[b'a'; 1023]).is_none());
        assert!(server.compress(&[b'a'; 1024]).is_some());
        let bomb = c.compress(&vec![0u8; 10_000_000]).unwrap();
        assert!(bomb.len() < 20_000);
        let (_, mut client) = pair(false, false);
        assert_eq!(
            client.decompress(&bomb, 1_000_000),
            Err(DecodeError::TooLong)
        );
        let (_, mut client) = pair(false, false);
        assert_eq!(
            client.decompress(&[0xff, 0xff, 0xff], 100),
            Err(DecodeError::Corrupt)
        );
    }
}

#[cfg(test)]
mod level_tests {
    use super::*;

    /// Level 0 (stored) with and without context takeover, messages of every size class up
    /// to twice the window: each comes back whole (miniz_oxide lost the end of a 31 960-byte
    /// message when its output was given in small steps).
    #[test]
    fn stored_messages_of_any_size_round_trip() {
        for (s, c) in [(false, false), (true, false), (false, true), (true, true)] {
            let agreed = Agreed {
                server_no_context_takeover: s,
                client_no_context_takeover: c,
                server_max_window_bits: None,
                client_max_window_bits: None,
            };
            for level in [0, 1, 6, 9] {
                let cfg = PerMessageDeflate {
                    threshold: 0,
                    level,
                    ..PerMessageDeflate::default()
                };
                let mut server = Codec::new(Role::Server, &agreed, &cfg);
                let mut client = Codec::new(Role::Client, &agreed, &cfg);
                for len in (0..70_000usize)
                    .step_by(2_999)
                    .chain([31_960, 65_535, 65_536])
                {
                    let msg: Vec<u8> = (0..len).map(|i| (i % 251) as u8 ^ (i / 97) as u8).collect();
                    let z = server.compress(&msg).unwrap();
                    assert_eq!(
                        &client.decompress(&z, len).unwrap()[..],
                        &msg[..],
                        "{len} {level}"
                    );
                    let z = client.compress(&msg).unwrap();
                    assert_eq!(
                        &server.decompress(&z, len).unwrap()[..],
                        &msg[..],
                        "{len} {level}"
                    );
                }
            }
        }
    }
}
