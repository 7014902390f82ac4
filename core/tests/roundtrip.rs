//! Property tests: every packet we can build encodes to bytes that decode back to it, however
//! the bytes are chunked, and no input makes a decoder panic.

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use sio_core::engine::{self, Frame, Packet as EioPacket, PayloadDecoder};
use sio_core::socket::{Ack, Decoder, Event, Packet, PacketData, Parser, Payload};
use sio_core::{Map, Str, Value};

mod strategies;
use strategies::value;

fn namespace() -> impl Strategy<Value = Str> {
    prop_oneof![
        Just(Str::from_static("/")),
        "/[^,]{1,12}".prop_map(Str::from),
    ]
}

fn event_name() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("not reserved", |n| {
        !sio_core::socket::RESERVED_EVENTS.contains(&n.as_str())
    })
}

fn packet() -> impl Strategy<Value = Packet> {
    let args = || vec(value(), 0..4);
    let data = prop_oneof![
        proptest::option::of(vec((any::<String>(), value()), 0..4)).prop_map(|auth| {
            // CONNECT carries no attachments: keep binary out of it.
            PacketData::Connect(auth.map(|kv| {
                let m: Map = kv.into_iter().filter(|(_, v)| !v.has_binary()).collect();
                Payload::from_value(&Value::Object(m)).json().clone()
            }))
        }),
        Just(PacketData::Disconnect),
        (event_name(), args(), proptest::option::of(any::<u64>())).prop_map(
            |(name, args, ack): (String, Vec<Value>, Option<u64>)| {
                let e = Event::from_values(&name, &args);
                PacketData::Event(match ack {
                    Some(id) => e.with_ack(id),
                    None => e,
                })
            }
        ),
        (any::<u64>(), args()).prop_map(|(id, args): (u64, Vec<Value>)| PacketData::Ack(Ack {
            id,
            payload: Payload::from_value(&Value::Array(args)),
        })),
        any::<String>().prop_map(|m| Packet::connect_error("/", &m, None).data),
    ];
    (namespace(), data).prop_map(|(nsp, data)| Packet::new(nsp, data))
}

/// The text of a value as we write it: equal texts mean equal values, whatever the number
/// representation (`2.0` and `2` are one number in JavaScript).
fn canon(v: &Value) -> (Str, Vec<Bytes>) {
    let p = Payload::from_value(v);
    (p.json().clone(), p.attachments().to_vec())
}

fn decode_all(decoder: &mut Decoder, text: Str, attachments: &[Bytes]) -> Packet {
    let mut out = decoder.decode_text(text).expect("text decodes");
    for a in attachments {
        assert!(out.is_none(), "packet complete before its attachments");
        out = decoder
            .decode_binary(a.clone())
            .expect("attachment decodes");
    }
    out.expect("packet complete")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sio_packets_round_trip(p in packet()) {
        let wire = p.encode();
        let back = decode_all(&mut Decoder::new(usize::MAX), wire.text.clone(), &wire.attachments);
        prop_assert_eq!(&back, &p);
        // Engine.IO framing: one text frame `4…`, then one binary frame per attachment.
        let frames = p.to_frames();
        prop_assert_eq!(frames.len(), 1 + wire.attachments.len());
        let Frame::Text(t) = &frames[0] else { panic!("first frame is text") };
        prop_assert_eq!(&t.as_str()[1..], wire.text.as_str());
        prop_assert!(t.starts_with('4'));
    }

    #[test]
    fn sio_packets_round_trip_through_the_msgpack_parser(p in packet()) {
        let frames = Parser::MsgPack.to_frames(&p);
        prop_assert_eq!(frames.len(), 1);
        let Frame::Binary(b) = &frames[0] else { panic!("one binary frame") };
        let back = Parser::MsgPack.decoder(0).decode_binary(b.clone()).unwrap().unwrap();
        // The same packet, down to the JSON text the application reads.
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(Parser::MsgPack.to_frames(&back), frames);
    }

    #[test]
    fn msgpack_decoder_never_panics(
        b in vec(any::<u8>(), 0..64),
        ty in 0u8..8, nsp in vec(any::<u8>(), 0..4), data in vec(any::<u8>(), 0..32),
    ) {
        let mut d = Parser::MsgPack.decoder(0);
        let _ = d.decode_binary(Bytes::from(b));
        // A packet-shaped map around arbitrary data and namespace bytes.
        let mut f = vec![0x83, 0xa4, b't', b'y', b'p', b'e', ty, 0xa3, b'n', b's', b'p'];
        f.extend(nsp);
        f.extend_from_slice(b"\xa4data");
        f.extend(data);
        if let Ok(Some(Packet { data: PacketData::Event(e), .. })) = d.decode_binary(Bytes::from(f)) {
            let _ = e.args();
        }
    }

    #[test]
    fn values_round_trip_through_payloads(v in value()) {
        let p = Payload::from_value(&v);
        let back = p.to_value().unwrap();
        prop_assert_eq!(canon(&back), canon(&v));
        // Through serde into Value and back (the typed path), binary included.
        let typed: Value = p.deserialize().unwrap();
        prop_assert_eq!(canon(&typed), canon(&v));
        let again = Payload::from_serialize(&v).unwrap();
        prop_assert_eq!(again.json(), p.json());
        prop_assert_eq!(again.attachments(), p.attachments());
    }

    #[test]
    fn attachments_are_numbered_depth_first(v in value()) {
        fn collect(v: &Value, out: &mut Vec<Bytes>) {
            match v {
                Value::Binary(b) => out.push(b.clone()),
                Value::Array(a) => a.iter().for_each(|v| collect(v, out)),
                Value::Object(m) => m.values().for_each(|v| collect(v, out)),
                _ => {}
            }
        }
        let mut expected = Vec::new();
        collect(&v, &mut expected);
        let p = Payload::from_value(&v);
        prop_assert_eq!(p.attachments(), &expected[..]);
    }

    #[test]
    fn polling_payloads_decode_the_same_in_any_chunks(
        packets in vec(eio_packet(), 1..12),
        cuts in vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let frames: Vec<Frame> = packets.iter().map(EioPacket::encode).collect();
        let mut body = Vec::new();
        engine::encode_payload(&frames, &mut body);
        prop_assert_eq!(body.len(), engine::payload::payload_len(&frames));
        let body = Bytes::from(body);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(body.len() + 1)).collect();
        points.sort_unstable();
        let mut d = PayloadDecoder::new(body.len());
        let mut last = 0;
        for p in points.into_iter().chain([body.len()]) {
            d.push(body.slice(last..p));
            last = p;
        }
        d.finish();
        let decoded: Vec<_> = std::iter::from_fn(|| d.next_packet()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(decoded, packets);
    }

    #[test]
    fn sio_decoder_never_panics_on_text(s in any::<String>()) {
        let _ = Decoder::default().decode_text(Str::from(s));
    }

    #[test]
    fn sio_decoder_never_panics_on_packet_like_text(
        ty in 0u8..7, n in 0u8..12, nsp in "(/[a-z,]{0,4})?", id in "[0-9]{0,3}",
        body in "[\\[\\]{}\",:0-9a-z_ ]{0,40}", bins in vec(vec(any::<u8>(), 0..4), 0..12),
    ) {
        let text = if ty >= 5 { format!("{ty}{n}-{nsp}{id}{body}") } else { format!("{ty}{nsp}{id}{body}") };
        let mut d = Decoder::default();
        if d.decode_text(Str::from(text)).is_ok() {
            for b in bins {
                if d.decode_binary(Bytes::from(b)).is_err() {
                    break;
                }
            }
        }
    }

    #[test]
    fn eio_decoder_never_panics(s in any::<String>(), b in vec(any::<u8>(), 0..64)) {
        let _ = EioPacket::decode_text(Str::from(s));
        let _: Vec<_> = PayloadDecoder::decode_all(Bytes::from(b), 1 << 16).collect();
    }
}

fn eio_packet() -> impl Strategy<Value = EioPacket> {
    // The reference's payload framing cannot carry the separator inside a text message.
    let text = "[^\u{1e}]{0,24}".prop_map(Str::from);
    prop_oneof![
        text.clone().prop_map(EioPacket::Open),
        Just(EioPacket::Close),
        text.clone().prop_map(EioPacket::Ping),
        text.clone().prop_map(EioPacket::Pong),
        text.prop_map(EioPacket::Message),
        vec(any::<u8>(), 0..48).prop_map(|b| EioPacket::Binary(b.into())),
        Just(EioPacket::Upgrade),
        Just(EioPacket::Noop),
    ]
}

#[test]
fn every_byte_split_of_a_sample_payload_decodes_the_same() {
    let sample: &[u8] =
        "4hello\u{1e}2\u{1e}bAQIDBA==\u{1e}42[\"chat\",\"héllo 😀\"]\u{1e}6".as_bytes();
    let expected: Vec<_> = PayloadDecoder::decode_all(Bytes::from_static(sample), 1000)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(expected.len(), 5);
    let body = Bytes::from_static(sample);
    for split in 0..=sample.len() {
        let mut d = PayloadDecoder::new(1000);
        d.push(body.slice(..split));
        d.push(body.slice(split..));
        d.finish();
        let got: Vec<_> = std::iter::from_fn(|| d.next_packet())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, expected, "split at {split}");
    }
    // And one byte at a time.
    let mut d = PayloadDecoder::new(1000);
    for i in 0..sample.len() {
        d.push(body.slice(i..i + 1));
    }
    d.finish();
    let got: Vec<_> = std::iter::from_fn(|| d.next_packet())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got, expected);
}

#[test]
fn every_byte_split_of_a_binary_packet_text_is_rejected_or_decodes() {
    // Truncations of a valid packet never panic and never yield a wrong packet.
    let full =
        r#"52-/admin,7["up",{"a":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#;
    for cut in 0..full.len() {
        let mut d = Decoder::default();
        if let Ok(r) = d.decode_text(Str::from(full[..cut].to_owned())) {
            assert!(r.is_none() || !full[..cut].starts_with('5'));
        }
    }
}

#[test]
fn ack_ids_up_to_u64_max_decode_and_larger_ones_are_refused() {
    let decode = |text: &str| Decoder::default().decode_text(Str::from(text.to_owned()));
    for (text, id) in [
        (r#"20["a"]"#, Some(0)),
        (r#"2["a"]"#, None),
        (r#"2/chat,1234567["a"]"#, Some(1_234_567)),
        (r#"218446744073709551615["a"]"#, Some(u64::MAX)),
    ] {
        match decode(text) {
            Ok(Some(Packet {
                data: PacketData::Event(e),
                ..
            })) => assert_eq!(e.ack_id(), id, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    for text in [
        r#"218446744073709551616["a"]"#,
        r#"399999999999999999999[]"#,
    ] {
        assert_eq!(
            decode(text),
            Err(sio_core::socket::DecodeError::InvalidAckId),
            "{text}"
        );
    }
}
