//! The Engine.IO v3 codec against vectors generated from the reference's v3 parser
//! (`engine.io` 6.6's bundled `build/parser-v3`, `engine.io-parser` 2.2; see
//! `golden/README.md`): WebSocket frames with and without binary support, text and binary
//! (XHR2) polling payloads, and the decoding of payloads, good and bad.
//!
//! Where the reference accepts input only through JavaScript coercion the Rust decoder is
//! stricter (listed in `sio_core::engine::v3`); none of those inputs is in the vectors.

use bytes::Bytes;
use sio_core::engine::{base64, v3, Frame, Packet};
use sio_core::{Str, Value};

type Json = Value;

fn f<'a>(v: &'a Json, key: &str) -> &'a Json {
    static NULL: Json = Value::Null;
    v.get(key).unwrap_or(&NULL)
}

fn section<'a>(doc: &'a Json, key: &str) -> &'a Vec<Json> {
    f(doc, key).as_array().expect("section")
}

fn load() -> Json {
    let path = format!("{}/tests/golden/eio3.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).expect("vector file")).expect("vector JSON")
}

fn name(v: &Json) -> &str {
    f(v, "name").as_str().unwrap_or("?")
}

fn binary(v: &Json) -> Option<Bytes> {
    let b64 = v.as_object()?.get("$binary")?.as_str()?;
    Some(base64::decode(b64.as_bytes()).expect("base64").into())
}

fn packet(p: &Json) -> Packet {
    let data = f(p, "data");
    let text = || Str::from(data.as_str().unwrap_or("").to_owned());
    match f(p, "type").as_str().unwrap() {
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
        other => panic!("unknown type {other}"),
    }
}

/// A frame as the vector gives it: `{"$binary"}` for a binary frame, else text.
fn frame(v: &Json) -> Frame {
    match binary(v) {
        Some(b) => Frame::Binary(b),
        None => Frame::Text(Str::from(v.as_str().expect("text frame").to_owned())),
    }
}

/// The bytes of a payload as the vector gives it (text, or `{"$binary"}`).
fn body(v: &Json) -> Bytes {
    binary(v).unwrap_or_else(|| Bytes::from(v.as_str().expect("payload").to_owned()))
}

#[test]
fn v3_packets_encode_and_decode_as_the_reference() {
    let doc = load();
    for v in section(&doc, "packets") {
        let ctx = name(v);
        let p = packet(f(v, "packet"));
        let ws = v3::encode_packet(&p);
        assert_eq!(
            ws,
            frame(f(v, "ws_binary")),
            "binary-capable frame of {ctx}"
        );
        assert_eq!(
            v3::base64_frame(&ws),
            frame(f(v, "ws_base64")),
            "base64 frame of {ctx}"
        );
        assert_eq!(v3::decode_frame(ws).unwrap(), p, "decoding {ctx}");
        let b64 = v3::decode_frame(frame(f(v, "ws_base64"))).unwrap();
        assert_eq!(b64, p, "decoding the base64 frame of {ctx}");
    }
}

#[test]
fn v3_payloads_encode_as_the_reference() {
    let doc = load();
    for v in section(&doc, "payloads") {
        let ctx = name(v);
        let frames: Vec<Frame> = section(v, "packets")
            .iter()
            .map(|p| v3::encode_packet(&packet(p)))
            .collect();
        let mut text = Vec::new();
        v3::encode_text_payload(&frames, &mut text);
        assert_eq!(text, body(f(v, "text")), "text payload of {ctx}");
        // The reference answers a binary-capable client in binary only when there is binary.
        let want = f(v, "binary");
        assert_eq!(
            v3::needs_binary_payload(&frames),
            binary(want).is_some(),
            "format chosen for {ctx}"
        );
        if binary(want).is_some() {
            let mut out = Vec::new();
            v3::encode_binary_payload(&frames, &mut out);
            assert_eq!(out, body(want), "binary payload of {ctx}");
            let back: Vec<Packet> = v3::decode_binary_payload(out.into())
                .map(|p| p.expect("decodes"))
                .collect();
            let want: Vec<Packet> = section(v, "packets").iter().map(packet).collect();
            assert_eq!(back, want, "binary payload of {ctx} read back");
        }
    }
}

fn check_decoding(section_name: &str, decode: fn(Bytes) -> v3::Records) {
    let doc = load();
    for v in section(&doc, section_name) {
        let ctx = name(v);
        let results: Vec<_> = decode(body(f(v, "input"))).collect();
        let ok: Vec<Packet> = results.iter().filter_map(|r| r.clone().ok()).collect();
        let want: Vec<Packet> = section(v, "decoded").iter().map(packet).collect();
        assert_eq!(ok, want, "packets of {ctx}");
        let failed = results.iter().any(|r| r.is_err());
        assert_eq!(failed, f(v, "error").as_bool().unwrap(), "error of {ctx}");
        if failed {
            assert!(
                results.last().unwrap().is_err(),
                "{ctx}: decoding goes on after an error"
            );
        }
    }
}

#[test]
fn v3_text_payloads_decode_as_the_reference() {
    check_decoding("decode_text", v3::decode_text_payload);
}

#[test]
fn v3_binary_payloads_decode_as_the_reference() {
    check_decoding("decode_binary", v3::decode_binary_payload);
}
