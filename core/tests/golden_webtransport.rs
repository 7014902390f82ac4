//! The WebTransport stream framing against vectors generated from `engine.io-parser`'s
//! `createPacketEncoderStream` and `createPacketDecoderStream` (the `webtransport` and
//! `webtransport_decode` sections of `golden/eio.json`; see `golden/README.md`). We write
//! exactly the reference's bytes and decode exactly what it decodes, with its errors, but for
//! the deviation listed in [`EMPTY_BINARY`].

use bytes::Bytes;
use sio_core::engine::webtransport::{self, StreamDecoder};
use sio_core::engine::{base64, Frame, Packet};
use sio_core::{Str, Value};

type Json = Value;

fn f<'a>(v: &'a Json, key: &str) -> &'a Json {
    static NULL: Json = Value::Null;
    v.get(key).unwrap_or(&NULL)
}

fn load() -> Json {
    let path = format!("{}/tests/golden/eio.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).expect("vector file")).expect("vector JSON")
}

fn section<'a>(doc: &'a Json, key: &str) -> &'a Vec<Json> {
    f(doc, key).as_array().expect("section")
}

fn name(v: &Json) -> &str {
    f(v, "name").as_str().unwrap_or("?")
}

fn binary(v: &Json) -> Option<Bytes> {
    let b64 = v.as_object()?.get("$binary")?.as_str()?;
    Some(
        base64::decode(b64.as_bytes())
            .expect("vector base64")
            .into(),
    )
}

/// A reference packet (`{"type", "data"?}`), or `None` for its error packet.
fn packet(p: &Json) -> Option<Packet> {
    let data = f(p, "data");
    let text = || Str::from(data.as_str().unwrap_or("").to_owned());
    Some(match f(p, "type").as_str().expect("type") {
        "open" => Packet::Open(text()),
        "close" => Packet::Close,
        "ping" => Packet::Ping(text()),
        "pong" => Packet::Pong(text()),
        "message" => match binary(data) {
            Some(b) => Packet::Binary(b),
            None => Packet::Message(text()),
        },
        "upgrade" => Packet::Upgrade,
        "noop" => Packet::Noop,
        "error" => return None,
        other => panic!("unknown type {other}"),
    })
}

/// Decodes `input` (as one chunk, then one byte at a time) into packets as the reference
/// reports them: `None` for its error packet, after which it stops.
fn decode(input: &Bytes, max_payload: usize, bytewise: bool) -> Vec<Option<Packet>> {
    let mut d = StreamDecoder::new(max_payload);
    let mut out = Vec::new();
    let chunks: Vec<Bytes> = if bytewise {
        (0..input.len()).map(|i| input.slice(i..i + 1)).collect()
    } else {
        vec![input.clone()]
    };
    for chunk in chunks {
        d.push(chunk);
        while let Some(frame) = d.next_frame() {
            match frame.map(Packet::decode_frame) {
                Ok(Ok(p)) => out.push(Some(p)),
                Ok(Err(_)) | Err(_) => {
                    out.push(None);
                    return out;
                }
            }
        }
    }
    out
}

/// Vectors where the reference's decoder fails on an empty binary frame (`0x80`, which its own
/// encoder writes for an empty buffer) and sio reads an empty binary message instead.
const EMPTY_BINARY: [&str; 2] = [
    "empty binary message",
    "zero length binary frame is an error",
];

/// What the vector's reference result means for sio.
fn expected_for(v: &Json, reference: Vec<Option<Packet>>) -> Vec<Option<Packet>> {
    if EMPTY_BINARY.contains(&name(v)) {
        assert_eq!(reference, [None], "{}: the reference fails", name(v));
        return vec![Some(Packet::Binary(Bytes::new()))];
    }
    reference
}

fn expected(list: &Json) -> Vec<Option<Packet>> {
    list.as_array()
        .expect("packets")
        .iter()
        .map(packet)
        .collect()
}

#[test]
fn frames_encode_to_the_reference_stream_bytes() {
    let doc = load();
    let vectors = section(&doc, "webtransport");
    assert!(vectors.len() >= 10);
    for v in vectors {
        let mut ours = Vec::new();
        for p in f(v, "packets").as_array().expect("packets") {
            let p = packet(p).expect("a packet");
            let frame: Frame = p.encode();
            webtransport::encode(&frame, &mut ours);
            // The chunked form writes the same bytes.
            let [head, body] = webtransport::chunks(&frame);
            assert_eq!(head.len() + body.len(), frame.len() + head.len());
        }
        let encoded = binary(f(v, "encoded")).expect("encoded");
        assert_eq!(&ours[..], &encoded[..], "{}", name(v));
    }
}

#[test]
fn encoded_streams_decode_as_the_reference_in_any_chunks() {
    let doc = load();
    for v in section(&doc, "webtransport") {
        let encoded = binary(f(v, "encoded")).expect("encoded");
        let want = match f(v, "decoded") {
            Value::Null => expected(f(v, "packets")),
            d => expected_for(v, expected(d)),
        };
        for bytewise in [false, true] {
            let got = decode(&encoded, 1_000_000_000, bytewise);
            assert_eq!(got, want, "{} (bytewise {bytewise})", name(v));
        }
    }
}

#[test]
fn bad_headers_are_the_reference_errors() {
    let doc = load();
    let vectors = section(&doc, "webtransport_decode");
    assert!(vectors.len() >= 9);
    for v in vectors {
        let input = binary(f(v, "input")).expect("input");
        let max = f(v, "max_payload").as_u64().expect("max") as usize;
        let want = expected_for(v, expected(f(v, "decoded")));
        for bytewise in [false, true] {
            let got = decode(&input, max, bytewise);
            assert_eq!(got, want, "{} (bytewise {bytewise})", name(v));
        }
    }
}
