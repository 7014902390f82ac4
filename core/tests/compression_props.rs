//! Properties of the compression codecs: permessage-deflate messages come back as sent from
//! either end, in any order of sizes, with or without context takeover, at any level; framed
//! (fragmented at random, pings between fragments) and scanned in any chunking they are noted
//! and inflate the same; the limit holds exactly; HTTP bodies round-trip in gzip and deflate.

use proptest::prelude::*;
use sio_core::compress::deflate::{Agreed, Codec, FrameScanner, Incoming, PerMessageDeflate, Role};
use sio_core::compress::http::{self, ContentEncoding};
use sio_core::compress::DecodeError;

/// Messages that compress well, badly, or not at all.
fn message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        (any::<u8>(), 0..5000usize).prop_map(|(b, n)| vec![b; n]),
        ("[a-z ]{0,40}", 1..60usize).prop_map(|(s, n)| s.repeat(n).into_bytes()),
    ]
}

fn agreed() -> impl Strategy<Value = (Agreed, PerMessageDeflate)> {
    (any::<bool>(), any::<bool>(), 0..2000usize, 0..10u32).prop_map(|(s, c, threshold, level)| {
        (
            Agreed {
                server_no_context_takeover: s,
                client_no_context_takeover: c,
                server_max_window_bits: None,
                client_max_window_bits: None,
            },
            PerMessageDeflate {
                threshold,
                level,
                ..PerMessageDeflate::default()
            },
        )
    })
}

/// A masked frame with `first` as its first byte.
fn frame(first: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(first);
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n < 65536 => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(payload);
}

/// The data frames of a scanned stream, put together per message: (first byte, payload).
fn messages_of(stream: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut i = 0;
    while i < stream.len() {
        let first = stream[i];
        let mut len = u64::from(stream[i + 1] & 0x7f);
        let mut at = i + 2;
        if len == 126 {
            len = u64::from(u16::from_be_bytes([stream[at], stream[at + 1]]));
            at += 2;
        } else if len == 127 {
            len = u64::from_be_bytes(stream[at..at + 8].try_into().unwrap());
            at += 8;
        }
        at += 4;
        let payload = &stream[at..at + len as usize];
        match first & 0x0f {
            1 | 2 => out.push((first, payload.to_vec())),
            0 => out.last_mut().unwrap().1.extend_from_slice(payload),
            _ => {}
        }
        i = at + len as usize;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn messages_come_back_as_sent_from_either_end(
        (agreed, cfg) in agreed(),
        msgs in proptest::collection::vec(message(), 1..12),
    ) {
        let mut server = Codec::new(Role::Server, &agreed, &cfg);
        let mut client = Codec::new(Role::Client, &agreed, &cfg);
        for m in &msgs {
            if let Some(z) = server.compress(m) {
                prop_assert_eq!(&client.decompress(&z, m.len()).unwrap()[..], &m[..]);
            } else {
                prop_assert!(m.len() < cfg.threshold && agreed.server_no_context_takeover);
            }
            if let Some(z) = client.compress(m) {
                prop_assert_eq!(&server.decompress(&z, m.len()).unwrap()[..], &m[..]);
            } else {
                prop_assert!(m.len() < cfg.threshold);
            }
        }
    }

    #[test]
    fn framed_and_scanned_in_any_chunking_they_inflate_the_same(
        (agreed, cfg) in agreed(),
        msgs in proptest::collection::vec((message(), any::<bool>(), 1..4usize), 1..8),
        chunk in 1..300usize,
    ) {
        let mut client = Codec::new(Role::Client, &agreed, &cfg);
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (m, text, pieces) in &msgs {
            let opcode = if *text { 1 } else { 2 };
            let (payload, rsv1) = match client.compress(m) {
                Some(z) => (z.to_vec(), 0x40),
                None => (m.clone(), 0),
            };
            expected.push((rsv1 != 0, *text, m.clone()));
            let step = payload.len().div_ceil(*pieces).max(1);
            let parts: Vec<&[u8]> = if payload.is_empty() { vec![&[][..]] } else { payload.chunks(step).collect() };
            for (k, part) in parts.iter().enumerate() {
                let fin = if k + 1 == parts.len() { 0x80 } else { 0 };
                let first = if k == 0 { fin | rsv1 | opcode } else { fin };
                frame(first, part, &mut stream);
                if k == 0 && parts.len() > 1 {
                    frame(0x89, b"ping", &mut stream);
                }
            }
        }
        let mut scanner = FrameScanner::new();
        for part in stream.chunks_mut(chunk) {
            scanner.scan(part);
        }
        let mut server = Codec::new(Role::Server, &agreed, &cfg);
        let got = messages_of(&stream);
        prop_assert_eq!(got.len(), expected.len());
        for ((first, payload), (compressed, text, m)) in got.into_iter().zip(expected) {
            prop_assert_eq!(first & 0x40, 0, "RSV1 cleared");
            let note = scanner.next_message().unwrap();
            if compressed {
                prop_assert_eq!(note, Incoming::Deflated { text });
                prop_assert_eq!(first & 0x0f, 2, "compressed messages become binary");
                prop_assert_eq!(&server.decompress(&payload, m.len()).unwrap()[..], &m[..]);
            } else {
                prop_assert_eq!(note, Incoming::Plain);
                prop_assert_eq!(&payload[..], &m[..]);
            }
        }
        prop_assert_eq!(scanner.next_message(), None);
    }

    #[test]
    fn the_limit_holds_exactly(m in message(), slack in 0..3usize) {
        let (agreed, cfg) = (Agreed { server_no_context_takeover: true, client_no_context_takeover: true, server_max_window_bits: None, client_max_window_bits: None }, PerMessageDeflate { threshold: 0, ..PerMessageDeflate::default() });
        let z = Codec::new(Role::Client, &agreed, &cfg).compress(&m).unwrap();
        let mut server = Codec::new(Role::Server, &agreed, &cfg);
        let limit = (m.len() + slack).saturating_sub(1);
        let r = server.decompress(&z, limit);
        if m.len() <= limit {
            prop_assert_eq!(&r.unwrap()[..], &m[..]);
        } else {
            prop_assert_eq!(r, Err(DecodeError::TooLong));
        }
    }

    #[test]
    fn http_bodies_round_trip(body in message(), level in 0..10u32) {
        let mut scratch = http::Scratch::default();
        for enc in [ContentEncoding::Gzip, ContentEncoding::Deflate] {
            let z = http::encode(enc, &body, level, &mut scratch);
            prop_assert_eq!(&http::decode(enc, &z, body.len()).unwrap()[..], &body[..]);
        }
    }
}
