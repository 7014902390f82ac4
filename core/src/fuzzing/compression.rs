//! The `compression` fuzz target: permessage-deflate negotiation, the frame scanner, the
//! codec (inflating arbitrary data under a limit, and round trips), and HTTP decoding.

use crate::compress::deflate::{
    client_accept, server_accept, Agreed, Codec, FrameScanner, PerMessageDeflate, Role,
};
use crate::compress::http::{self, ContentEncoding};

/// The first byte picks the part (its low two bits) and a parameter (the rest); the other
/// bytes are its input.
pub fn compression(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let param = head >> 2;
    match head & 3 {
        0 => negotiation(param, rest),
        1 => scanner(param, rest),
        2 => inflate(param, rest),
        _ => round_trip(param, rest),
    }
}

/// Any header: an answer or an error; an agreed answer reads back on the client.
fn negotiation(param: u8, header: &[u8]) {
    let Ok(header) = std::str::from_utf8(header) else {
        return;
    };
    let cfg = PerMessageDeflate {
        client_max_window_bits: (param & 1 != 0).then_some(8 + (param >> 1) % 8),
        server_no_context_takeover: param & 0x10 != 0,
        client_no_context_takeover: param & 0x20 != 0,
        ..PerMessageDeflate::default()
    };
    if let Ok(Some(agreed)) = server_accept(&cfg, Some(header)) {
        assert_eq!(agreed.server_max_window_bits.unwrap_or(15), 15);
        let back = client_accept(&PerMessageDeflate::default(), Some(&agreed.header()));
        match agreed.client_max_window_bits {
            Some(b) if b < 15 => assert!(back.is_err()),
            _ => assert_eq!(back.expect("our answer reads back"), Some(agreed)),
        }
    }
    let _ = client_accept(&cfg, Some(header));
}

/// Any stream, in chunks of any size: the same bytes and notes as in one piece.
fn scanner(param: u8, stream: &[u8]) {
    let step = usize::from(param).max(1);
    let mut whole = stream.to_vec();
    let mut a = FrameScanner::new();
    a.scan(&mut whole);
    let mut chunked = stream.to_vec();
    let mut b = FrameScanner::new();
    for part in chunked.chunks_mut(step) {
        b.scan(part);
    }
    same_bytes(&whole, &chunked, "chunking changed the rewrite");
    assert_eq!(a.pending(), b.pending());
    assert!(a.pending() <= stream.len());
    while let Some(n) = a.next_message() {
        assert_eq!(Some(n), b.next_message());
    }
    // Only RSV1 and the opcode of a frame's first byte may change.
    for (x, y) in stream.iter().zip(&whole) {
        assert_eq!(x & 0xb0, y & 0xb0);
    }
}

/// Any data as a compressed message and as HTTP bodies: never more than the limit.
fn inflate(param: u8, data: &[u8]) {
    let limit = usize::from(param) * 97;
    let agreed = Agreed {
        server_no_context_takeover: param & 1 != 0,
        client_no_context_takeover: param & 2 != 0,
        server_max_window_bits: None,
        client_max_window_bits: None,
    };
    let mut c = Codec::new(Role::Server, &agreed, &PerMessageDeflate::default());
    for _ in 0..2 {
        if let Ok(out) = c.decompress(data, limit) {
            assert!(out.len() <= limit);
        }
    }
    for enc in [ContentEncoding::Gzip, ContentEncoding::Deflate] {
        if let Ok(out) = http::decode(enc, data, limit) {
            assert!(out.len() <= limit);
        }
    }
}

/// Messages (split at `0xff`) compressed by one end come back from the other, in order, with
/// or without context takeover; and as HTTP bodies.
fn round_trip(param: u8, data: &[u8]) {
    let agreed = Agreed {
        server_no_context_takeover: param & 1 != 0,
        client_no_context_takeover: param & 2 != 0,
        server_max_window_bits: None,
        client_max_window_bits: None,
    };
    let cfg = PerMessageDeflate {
        threshold: usize::from(param >> 2),
        level: u32::from(param >> 2) % 10,
        ..PerMessageDeflate::default()
    };
    let mut server = Codec::new(Role::Server, &agreed, &cfg);
    let mut client = Codec::new(Role::Client, &agreed, &cfg);
    for msg in data.split(|&b| b == 0xff) {
        if let Some(z) = server.compress(msg) {
            same_bytes(
                &client.decompress(&z, msg.len()).expect("inflates")[..],
                msg,
                "round trip",
            );
        }
        if let Some(z) = client.compress(msg) {
            same_bytes(
                &server.decompress(&z, msg.len()).expect("inflates")[..],
                msg,
                "round trip",
            );
        }
    }
    let mut scratch = http::Scratch::default();
    for enc in [ContentEncoding::Gzip, ContentEncoding::Deflate] {
        let z = http::encode(enc, data, cfg.level, &mut scratch);
        same_bytes(
            &http::decode(enc, &z, data.len()).expect("decodes")[..],
            data,
            "round trip",
        );
    }
}

/// Asserts `a == b`, reporting lengths and the first difference rather than every byte (the
/// inputs run to kilobytes).
fn same_bytes(a: &[u8], b: &[u8], what: &str) {
    if a != b {
        let at = a.iter().zip(b).position(|(x, y)| x != y);
        panic!(
            "{what}: {} bytes against {}, first difference at {at:?}",
            a.len(),
            b.len()
        );
    }
}
