//! The codecs against vectors generated from the reference parsers (`engine.io-parser`,
//! `socket.io-parser`; see `golden/README.md`). We must produce exactly the bytes the reference
//! produces and accept exactly what it accepts, except for the deviations listed (and asserted)
//! here, each a case where the reference accepts input only through JavaScript coercion.

use bytes::Bytes;
use sio_core::engine::{self, base64, Frame, Packet as EioPacket, PayloadDecoder};
use sio_core::socket::{
    Ack, DecodeError, Decoder, Event, Packet, PacketData, Payload, DEFAULT_MAX_ATTACHMENTS,
};
use sio_core::{Map, Str, Value};

/// Vectors are read into our own `Value`, which keeps object keys in file order (serde_json's
/// map would sort them).
type Json = Value;

fn f<'a>(v: &'a Json, key: &str) -> &'a Json {
    static NULL: Json = Value::Null;
    v.get(key).unwrap_or(&NULL)
}

fn load(name: &str) -> Json {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
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

/// A vector's JSON as our Value, `{"$binary": …}` becoming binary.
fn value(v: &Json) -> Value {
    if let Some(b) = binary(v) {
        return Value::Binary(b);
    }
    match v {
        Value::Array(a) => Value::Array(a.iter().map(value).collect()),
        Value::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o.iter() {
                m.insert(k.clone(), value(v));
            }
            Value::Object(m)
        }
        other => other.clone(),
    }
}

/// A canonical form for comparing values: the JSON text we write (numbers as JavaScript prints
/// them) and the attachments.
fn canon(v: &Value) -> (String, Vec<Bytes>) {
    let p = Payload::from_value(v);
    (p.json().to_string(), p.attachments().to_vec())
}

// ---------------------------------------------------------------------------------------
// Engine.IO

fn eio_packet(p: &Json) -> EioPacket {
    let data = &f(p, "data");
    let text = || Str::from(data.as_str().unwrap_or("").to_owned());
    match f(p, "type").as_str().unwrap() {
        "open" => EioPacket::Open(text()),
        "close" => EioPacket::Close,
        "ping" => EioPacket::Ping(text()),
        "pong" => EioPacket::Pong(text()),
        "message" => match binary(data) {
            Some(b) => EioPacket::Binary(b),
            None => EioPacket::Message(text()),
        },
        "upgrade" => EioPacket::Upgrade,
        "noop" => EioPacket::Noop,
        other => panic!("unknown type {other}"),
    }
}

/// Compares a decoded packet with the reference's; data of close/upgrade/noop is not kept by
/// us (it has no meaning), and absent data equals empty data.
fn assert_eio_eq(ours: &EioPacket, reference: &Json, ctx: &str) {
    let expected = eio_packet(reference);
    assert_eq!(ours, &expected, "{ctx}");
}

fn wire_frame(v: &Json) -> Frame {
    match binary(v) {
        Some(b) => Frame::Binary(b),
        None => Frame::Text(Str::from(v.as_str().unwrap().to_owned())),
    }
}

#[test]
fn eio_packets_encode_and_decode_as_the_reference() {
    let doc = load("eio.json");
    for v in section(&doc, "packets") {
        let ctx = name(v);
        let packet = eio_packet(f(v, "packet"));
        let frame = packet.encode();
        assert_eq!(frame, wire_frame(f(v, "ws")), "ws encoding of {ctx}");
        let mut polling = Vec::new();
        engine::encode_payload([&frame], &mut polling);
        assert_eq!(
            polling,
            f(v, "polling").as_str().unwrap().as_bytes(),
            "polling encoding of {ctx}"
        );
        let ws = EioPacket::decode_frame(wire_frame(f(v, "ws"))).unwrap();
        assert_eio_eq(&ws, f(v, "decoded_ws"), ctx);
        let polled =
            EioPacket::decode_text(Str::from(f(v, "polling").as_str().unwrap().to_owned()));
        assert_eio_eq(&polled.unwrap(), f(v, "decoded_polling"), ctx);
    }
}

#[test]
fn eio_payloads_encode_and_decode_as_the_reference() {
    let doc = load("eio.json");
    for v in section(&doc, "payloads") {
        let ctx = name(v);
        let frames: Vec<Frame> = section(v, "packets")
            .iter()
            .map(|p| eio_packet(p).encode())
            .collect();
        let mut out = Vec::new();
        engine::encode_payload(&frames, &mut out);
        let payload = f(v, "payload").as_str().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), payload, "{ctx}");
        let decoded: Vec<_> = PayloadDecoder::decode_all(payload.to_owned().into(), 1 << 20)
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let expected: Vec<_> = section(v, "decoded").iter().map(eio_packet).collect();
        assert_eq!(decoded, expected, "{ctx}");
    }
}

#[test]
fn eio_non_canonical_inputs_decode_as_the_reference() {
    let doc = load("eio.json");
    for v in section(&doc, "decode") {
        let decoded = EioPacket::decode_frame(wire_frame(f(v, "packet"))).unwrap();
        assert_eio_eq(&decoded, f(v, "decoded"), name(v));
    }
}

/// Node's base64 decoder accepts anything; ours accepts the standard alphabet with or without
/// padding and refuses the rest (a peer sending it is broken).
#[test]
fn eio_base64_leniency_is_limited_to_missing_padding() {
    let accepted = [
        "base64 without padding (2 bytes)",
        "base64 without padding (1 byte)",
        "base64 standard alphabet + and /",
    ];
    let doc = load("eio.json");
    for v in section(&doc, "decode_quirks") {
        let decoded = EioPacket::decode_frame(wire_frame(f(v, "packet")));
        if accepted.contains(&name(v)) {
            assert_eio_eq(&decoded.unwrap(), f(v, "decoded"), name(v));
        } else {
            assert_eq!(
                decoded,
                Err(engine::DecodeError::InvalidBase64),
                "{}",
                name(v)
            );
        }
    }
}

#[test]
fn eio_errors_are_errors_and_payloads_stop_at_them() {
    let doc = load("eio.json");
    for v in section(&doc, "decode_errors") {
        let ctx = name(v);
        if let Some(p) = v.get("packet") {
            let r = EioPacket::decode_text(Str::from(p.as_str().unwrap().to_owned()));
            assert!(r.is_err(), "{ctx}: {r:?}");
        } else {
            let payload = f(v, "payload").as_str().unwrap().to_owned();
            let decoded: Vec<_> = PayloadDecoder::decode_all(payload.into(), 1 << 20).collect();
            let expected = section(v, "decoded");
            assert_eq!(decoded.len(), expected.len(), "{ctx}");
            for (ours, theirs) in decoded.iter().zip(expected) {
                match f(theirs, "type").as_str() {
                    Some("error") => assert!(ours.is_err(), "{ctx}"),
                    _ => assert_eio_eq(ours.as_ref().unwrap(), theirs, ctx),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Socket.IO

/// Builds our packet from a vector's packet description.
fn sio_packet(p: &Json) -> Packet {
    let nsp = Str::from(f(p, "nsp").as_str().unwrap().to_owned());
    let id = p.get("id").and_then(Value::as_u64);
    let data = p.get("data").map(value);
    let json = |d: &Value| Str::from(canon(d).0);
    let body = match f(p, "type").as_u64().unwrap() {
        0 => PacketData::Connect(data.as_ref().map(json)),
        1 => PacketData::Disconnect,
        2 => {
            let event = Event::from_payload(Payload::from_value(&data.unwrap())).unwrap();
            PacketData::Event(match id {
                Some(id) => event.with_ack(id),
                None => event,
            })
        }
        3 => PacketData::Ack(Ack {
            id: id.unwrap(),
            payload: Payload::from_value(&data.unwrap()),
        }),
        4 => PacketData::ConnectError(json(&data.unwrap())),
        t => panic!("type {t}"),
    };
    Packet::new(nsp, body)
}

fn feed(decoder: &mut Decoder, part: &Json) -> Result<Option<Packet>, DecodeError> {
    match binary(part) {
        Some(b) => decoder.decode_binary(b),
        None => decoder.decode_text(Str::from(part.as_str().unwrap().to_owned())),
    }
}

/// Compares a decoded packet with the reference's description of it.
fn assert_sio_eq(ours: &Packet, reference: &Json, ctx: &str) {
    let nsp = f(reference, "nsp").as_str().unwrap();
    assert_eq!(ours.nsp, nsp, "{ctx}: namespace");
    let ty = f(reference, "type").as_u64().unwrap();
    let data = reference.get("data").map(value);
    let id = reference.get("id").and_then(Value::as_u64);
    match &ours.data {
        PacketData::Connect(p) => {
            assert_eq!(ty, 0, "{ctx}");
            let ours = p
                .as_ref()
                .map(|s| serde_json::from_str::<Value>(s).unwrap());
            assert_eq!(ours.as_ref().map(canon), data.as_ref().map(canon), "{ctx}");
        }
        PacketData::Disconnect => assert_eq!(ty, 1, "{ctx}"),
        PacketData::Event(e) => {
            assert_eq!(ty, 2, "{ctx}");
            assert_eq!(e.ack_id(), id, "{ctx}: ack id");
            let v = e.payload().to_value().unwrap();
            assert_eq!(canon(&v), canon(data.as_ref().unwrap()), "{ctx}: data");
            let first = &data.as_ref().unwrap().as_array().unwrap()[0];
            let expected_name = match first {
                Value::String(s) => s.clone(),
                n => canon(n).0,
            };
            assert_eq!(e.name().as_str(), expected_name, "{ctx}: name");
        }
        PacketData::Ack(a) => {
            assert_eq!(ty, 3, "{ctx}");
            assert_eq!(Some(a.id), id, "{ctx}: ack id");
            let v = a.payload.to_value().unwrap();
            // An ack without data reads as no arguments.
            let expected = data.unwrap_or(Value::Array(vec![]));
            assert_eq!(canon(&v), canon(&expected), "{ctx}: data");
        }
        PacketData::ConnectError(s) => {
            assert_eq!(ty, 4, "{ctx}");
            let v: Value = serde_json::from_str(s).unwrap();
            assert_eq!(canon(&v), canon(data.as_ref().unwrap()), "{ctx}");
        }
    }
}

#[test]
fn sio_packets_encode_to_the_reference_bytes() {
    let doc = load("sio.json");
    let vectors = section(&doc, "encode");
    assert!(vectors.len() >= 30);
    for v in vectors {
        let ctx = name(v);
        let encoded = sio_packet(f(v, "packet")).encode();
        let parts = section(v, "encoded");
        assert_eq!(encoded.text, parts[0].as_str().unwrap(), "{ctx}");
        let attachments: Vec<Bytes> = parts[1..].iter().map(|p| binary(p).unwrap()).collect();
        assert_eq!(encoded.attachments, attachments, "{ctx}");
    }
}

/// Inputs the reference accepts only through JavaScript's loose parsing, and which we refuse.
/// Every one is asserted to be an error, so changing our mind is a visible decision.
const REFUSED: [&str; 5] = [
    // An EVENT must carry data: the reference dispatches an event without a name, a no-op.
    "event without data",
    "event custom namespace without data",
    "event with id but no data",
    // An ACK must name the event it answers.
    "ack bare",
    // A CONNECT_ERROR must say why.
    "connect_error id without data",
];

#[test]
fn sio_packets_decode_as_the_reference() {
    let doc = load("sio.json");
    for v in section(&doc, "decode") {
        let ctx = name(v);
        let mut decoder = Decoder::default();
        let mut decoded = Vec::new();
        let mut error = None;
        for part in section(v, "encoded") {
            match feed(&mut decoder, part) {
                Ok(Some(p)) => decoded.push(p),
                Ok(None) => {}
                Err(e) => error = Some(e),
            }
        }
        if REFUSED.contains(&ctx) {
            assert!(error.is_some(), "{ctx}: expected our documented refusal");
            continue;
        }
        assert_eq!(error, None, "{ctx}");
        let expected: Vec<&Json> = match v.get("packet") {
            Some(p) => vec![p],
            None => section(v, "packets").iter().collect(),
        };
        assert_eq!(decoded.len(), expected.len(), "{ctx}");
        for (ours, theirs) in decoded.iter().zip(expected) {
            assert_sio_eq(ours, theirs, ctx);
        }
    }
}

/// The reference's coercion quirks: which of them we accept (with what result), which we refuse.
#[test]
fn sio_reference_quirks_are_refused_or_read_strictly() {
    let doc = load("sio.json");
    for v in section(&doc, "decode_quirks") {
        let ctx = name(v);
        let mut decoder = Decoder::default();
        let mut result = Ok(None);
        for part in section(v, "encoded") {
            result = feed(&mut decoder, part);
            if result.is_err() {
                break;
            }
        }
        match ctx {
            // Leading whitespace before JSON is JSON whitespace to us, not an ack id of 0.
            "space before json is read as ack id 0" | "tab before json is read as ack id 0" => {
                let p = result.unwrap().unwrap();
                let PacketData::Event(e) = p.data else {
                    panic!("{ctx}")
                };
                assert_eq!(e.ack_id(), None, "{ctx}");
                assert_eq!(e.name(), "a");
            }
            // 64-bit integers stay exact instead of losing precision as doubles.
            "ack id beyond 2^53 loses precision" => {
                let p = result.unwrap().unwrap();
                let PacketData::Event(e) = p.data else {
                    panic!("{ctx}")
                };
                assert_eq!(e.ack_id(), Some(12345678901234567890));
            }
            "json integer beyond 2^53 loses precision" => {
                let p = result.unwrap().unwrap();
                let PacketData::Event(e) = p.data else {
                    panic!("{ctx}")
                };
                assert_eq!(e.payload().json(), "[\"n\",12345678901234567890]");
            }
            // Object keys keep their order (JavaScript moves integer-like keys first).
            "integer-like object keys are reordered" => {
                let p = result.unwrap().unwrap();
                let PacketData::Event(e) = p.data else {
                    panic!("{ctx}")
                };
                let v = e.payload().to_value().unwrap();
                assert_eq!(canon(&v).0, r#"["o",{"b":1,"2":2,"1":3,"a":4}]"#);
            }
            // Valid JSON grammar, as for JSON.parse; reading the number reports it is out of
            // range (JavaScript reads Infinity).
            "json number overflow parses to Infinity" => {
                let p = result.unwrap().unwrap();
                let PacketData::Event(e) = p.data else {
                    panic!("{ctx}")
                };
                assert!(e.payload().to_value().is_err());
            }
            // Everything else is malformed for us.
            _ => assert!(result.is_err(), "{ctx}: {result:?}"),
        }
    }
}

/// The reference's error message for each of our errors.
fn reference_message(e: &DecodeError) -> &'static str {
    match e {
        DecodeError::Empty | DecodeError::UnknownType(_) => "unknown packet type",
        DecodeError::IllegalAttachments => "Illegal attachments",
        DecodeError::TooManyAttachments { .. } => "too many attachments",
        DecodeError::InvalidAckId
        | DecodeError::InvalidJson
        | DecodeError::InvalidPayload
        | DecodeError::ReservedEventName => "invalid payload",
        DecodeError::IllegalPlaceholder => "illegal attachments",
        DecodeError::UnexpectedText => "got plaintext data when reconstructing a packet",
        DecodeError::UnexpectedBinary => "got binary data when not reconstructing a packet",
        // The msgpack parser's (checked against its own vectors in `golden_msgpack.rs`).
        DecodeError::InvalidMsgPack
        | DecodeError::InvalidPacketType
        | DecodeError::InvalidNamespace
        | DecodeError::TextWithMsgPack => "(msgpack parser)",
        other => panic!("no reference message for {other:?}: add it here"),
    }
}

#[test]
fn sio_malformed_packets_fail_with_the_reference_error() {
    let doc = load("sio.json");
    let vectors = section(&doc, "decode_errors");
    assert!(vectors.len() >= 15);
    for v in vectors {
        let ctx = name(v);
        let mut decoder = Decoder::new(DEFAULT_MAX_ATTACHMENTS);
        let error_at = f(v, "error_at").as_u64().unwrap() as usize;
        let mut failure = None;
        for (i, part) in section(v, "encoded").iter().enumerate() {
            if let Err(e) = feed(&mut decoder, part) {
                failure = Some((i, e));
                break;
            }
        }
        let (at, e) = failure.unwrap_or_else(|| panic!("{ctx}: no error"));
        let expected = f(v, "error").as_str().unwrap();
        assert!(
            expected.starts_with(reference_message(&e)),
            "{ctx}: ours {e:?}, reference {expected:?}"
        );
        // We check placeholders when the header arrives, the reference when the last
        // attachment does: we may fail earlier, never later.
        assert!(
            at <= error_at,
            "{ctx}: failed at part {at}, reference at {error_at}"
        );
    }
}
