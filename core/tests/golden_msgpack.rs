//! The msgpack parser against vectors generated from `socket.io-msgpack-parser` 3.0.2
//! (notepack.io 2.2; see `golden/README.md`): sio writes exactly the reference's bytes for the
//! packets a Node server builds, reads every packet it makes (the client's shapes and
//! notepack's own types included) as an application would see it under the default parser,
//! refuses what it refuses, and refuses the few more things listed in `decode_stricter`.

use bytes::Bytes;
use sio_core::engine::base64;
use sio_core::socket::{msgpack, Ack, Event, Packet, PacketData, Payload};
use sio_core::{Map, Str, Value};

type Json = Value;

fn f<'a>(v: &'a Json, key: &str) -> &'a Json {
    static NULL: Json = Value::Null;
    v.get(key).unwrap_or(&NULL)
}

fn load() -> Json {
    let path = format!("{}/tests/golden/msgpack.json", env!("CARGO_MANIFEST_DIR"));
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

fn encoded(v: &Json) -> Bytes {
    binary(f(v, "encoded")).expect("encoded bytes")
}

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

/// A canonical form: the JSON text sio writes (numbers as JavaScript prints them) and the
/// attachments.
fn canon(v: &Value) -> (String, Vec<Bytes>) {
    let p = Payload::from_value(v);
    (p.json().to_string(), p.attachments().to_vec())
}

/// Our packet for a vector's `{type, nsp, id, data}`.
fn packet(p: &Json) -> Packet {
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

/// Compares a decoded packet with the expected `{type, nsp, id, data}`: the data as the
/// application reads it (values, binary resolved), the event name as the JSON path names it.
fn assert_packet(ours: &Packet, expected: &Json, ctx: &str) {
    assert_eq!(ours.nsp, f(expected, "nsp").as_str().unwrap(), "{ctx}: nsp");
    let ty = f(expected, "type").as_u64().unwrap();
    let id = expected.get("id").and_then(Value::as_u64);
    let data = expected.get("data").map(value);
    let text = |s: &Str| canon(&serde_json::from_str::<Value>(s).unwrap());
    match &ours.data {
        PacketData::Connect(c) => {
            assert_eq!(ty, 0, "{ctx}");
            assert_eq!(c.as_ref().map(text), data.as_ref().map(canon), "{ctx}");
        }
        PacketData::Disconnect => assert_eq!(ty, 1, "{ctx}"),
        PacketData::Event(e) => {
            assert_eq!(ty, 2, "{ctx}");
            assert_eq!(e.ack_id(), id, "{ctx}: ack id");
            let data = data.unwrap();
            assert_eq!(
                canon(&e.payload().to_value().unwrap()),
                canon(&data),
                "{ctx}"
            );
            let expected_name = match &data.as_array().unwrap()[0] {
                Value::String(s) => s.clone(),
                n => canon(n).0,
            };
            assert_eq!(e.name().as_str(), expected_name, "{ctx}: name");
        }
        PacketData::Ack(a) => {
            assert_eq!(ty, 3, "{ctx}");
            assert_eq!(Some(a.id), id, "{ctx}: ack id");
            assert_eq!(
                canon(&a.payload.to_value().unwrap()),
                canon(&data.unwrap()),
                "{ctx}"
            );
        }
        PacketData::ConnectError(s) => {
            assert_eq!(ty, 4, "{ctx}");
            assert_eq!(text(s), canon(&data.unwrap()), "{ctx}");
        }
    }
}

#[test]
fn msgpack_packets_encode_to_the_reference_bytes() {
    let doc = load();
    let vectors = section(&doc, "encode");
    assert!(vectors.len() >= 30);
    for v in vectors {
        let ctx = name(v);
        let p = packet(f(v, "packet"));
        let wire = encoded(v);
        assert_eq!(msgpack::encode(&p), wire, "{ctx}: encode");
        let back = msgpack::decode(wire).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_packet(&back, f(v, "packet"), ctx);
    }
}

#[test]
fn msgpack_packets_of_clients_and_notepack_types_decode_as_the_default_parser_gives_them() {
    let doc = load();
    let vectors = section(&doc, "decode");
    assert!(vectors.len() >= 20);
    for v in vectors {
        let ctx = name(v);
        let p = msgpack::decode(encoded(v)).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_packet(&p, f(v, "packet"), ctx);
    }
}

#[test]
fn msgpack_packets_the_reference_refuses_are_refused_with_its_reason() {
    let doc = load();
    let vectors = section(&doc, "decode_errors");
    assert!(vectors.len() >= 25);
    for v in vectors {
        let ctx = name(v);
        let err = msgpack::decode(encoded(v)).expect_err(ctx).to_string();
        let reference = f(v, "error").as_str().unwrap();
        // notepack's own messages ("Could not parse", "N trailing bytes") are all "invalid
        // msgpack" here; the parser's checks give the reference's message.
        let expected = match reference {
            "invalid packet type" | "invalid namespace" | "invalid payload" => reference,
            "invalid packet id" => "invalid ack id",
            _ => "invalid msgpack",
        };
        assert_eq!(err, expected, "{ctx}");
    }
}

#[test]
fn msgpack_packets_refused_on_purpose_though_the_reference_reads_them() {
    let doc = load();
    for v in section(&doc, "decode_stricter") {
        let ctx = name(v);
        assert!(msgpack::decode(encoded(v)).is_err(), "{ctx}");
    }
}

#[test]
fn msgpack_numbers_written_otherwise_than_notepack_read_back_as_themselves() {
    let doc = load();
    for v in section(&doc, "encode_quirks") {
        let ctx = name(v);
        let p = packet(f(v, "packet"));
        let ours = msgpack::encode(&p);
        assert_ne!(ours, encoded(v), "{ctx}: see the vector's note");
        // The number reads back as itself.
        let back = msgpack::decode(ours).unwrap();
        assert_packet(&back, f(v, "packet"), ctx);
    }
}
