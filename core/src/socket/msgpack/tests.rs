use bytes::Bytes;

use super::{decode, encode};
use crate::socket::{DecodeError, Event, Packet, PacketData};
use crate::Value;

fn frame(parts: &[&[u8]]) -> Bytes {
    Bytes::from(parts.concat())
}

#[test]
fn an_event_is_the_node_servers_map() {
    let p = Packet::event("/", Event::new("hi", &1).unwrap());
    assert_eq!(
        &encode(&p)[..],
        b"\x83\xa4type\x02\xa4data\x92\xa2hi\x01\xa3nsp\xa1/"
    );
    let p = Packet::event("/a", Event::new("hi", &()).unwrap().with_ack(7));
    assert_eq!(
        &encode(&p)[..],
        b"\x84\xa4type\x02\xa4data\x91\xa2hi\xa2id\x07\xa3nsp\xa2/a"
    );
}

#[test]
fn keys_in_any_order_and_unknown_keys_are_read() {
    // socket.io-client's EVENT: {type, data, options, id, nsp}.
    let f = frame(&[
        b"\x85\xa4type\x02\xa4data\x92\xa1e\xc4\x02\x01\x02",
        b"\xa7options\x81\xa8compress\xc3\xa2id\x05\xa3nsp\xa1/",
    ]);
    let p = decode(f).unwrap();
    let PacketData::Event(e) = &p.data else {
        panic!("{p:?}")
    };
    assert_eq!(e.name(), "e");
    assert_eq!(e.ack_id(), Some(5));
    assert_eq!(
        e.args().unwrap(),
        vec![Value::Binary(Bytes::from_static(&[1, 2]))]
    );
}

#[test]
fn notepack_types_read_as_the_default_parser_would_give_them() {
    // ["e", undefined, {a: undefined, b: 2.0}, Date(0), ArrayBuffer[7], ext 5, NaN, f32 1.5]
    let f = frame(&[
        b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x98\xa1e\xd4\x00\x00",
        b"\x82\xa1a\xd4\x00\x00\xa1b\xcb\x40\x00\x00\x00\x00\x00\x00\x00",
        b"\xd7\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        b"\xc7\x01\x00\x07",
        b"\xd4\x05\x09",
        b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00",
        b"\xca\x3f\xc0\x00\x00",
    ]);
    let p = decode(f).unwrap();
    let PacketData::Event(e) = &p.data else {
        panic!("{p:?}")
    };
    assert_eq!(
        e.payload().json().as_str(),
        r#"["e",null,{"b":2},"1970-01-01T00:00:00.000Z",{"_placeholder":true,"num":0},[5,{"_placeholder":true,"num":1}],null,1.5]"#
    );
    assert_eq!(e.payload().attachments(), [&[7u8][..], &[9u8][..]]);
    let (b,): (u32,) = e
        .deserialize_arg::<Value>(1)
        .map(|v| (v.as_object().unwrap().get("b").unwrap().as_u64().unwrap() as u32,))
        .unwrap();
    assert_eq!(b, 2);
}

#[test]
fn connect_data_may_be_absent_undefined_or_an_object() {
    let none = decode(frame(&[b"\x82\xa4type\x00\xa3nsp\xa1/"])).unwrap();
    assert_eq!(none, Packet::connect("/", None));
    let undefined = decode(frame(&[
        b"\x83\xa4type\x00\xa4data\xd4\x00\x00\xa3nsp\xa1/",
    ]))
    .unwrap();
    assert_eq!(undefined, Packet::connect("/", None));
    let auth = decode(frame(&[
        b"\x83\xa4type\x00\xa4data\x81\xa1t\xc4\x01\x09\xa3nsp\xa2/a",
    ]))
    .unwrap();
    // Binary in CONNECT data as Buffer#toJSON, as the default parser carries it.
    assert_eq!(
        auth,
        Packet::connect(
            "/a",
            Some(r#"{"t":{"type":"Buffer","data":[9]}}"#.to_owned().into())
        )
    );
    assert_eq!(decode(encode(&auth)).unwrap(), auth);
}

#[test]
fn what_the_reference_decoder_refuses_is_refused() {
    let cases: &[(&[u8], DecodeError)] = &[
        (b"\xc1", DecodeError::InvalidMsgPack),
        (b"\x82\xa4type\x02", DecodeError::InvalidMsgPack),
        (b"\x81\xa4type\x02\x00", DecodeError::InvalidMsgPack),
        (b"\x92\x02\x03", DecodeError::InvalidPacketType),
        (b"\xc0", DecodeError::InvalidPacketType),
        (
            b"\x82\xa4type\x05\xa3nsp\xa1/",
            DecodeError::InvalidPacketType,
        ),
        (
            b"\x82\xa4type\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xa3nsp\xa1/",
            DecodeError::InvalidPacketType,
        ),
        (b"\x81\xa4type\x01", DecodeError::InvalidNamespace),
        (
            b"\x82\xa4type\x01\xa3nsp\x01",
            DecodeError::InvalidNamespace,
        ),
        (
            b"\x83\xa4type\x00\xa4data\xc0\xa3nsp\xa1/",
            DecodeError::InvalidPayload,
        ),
        (
            b"\x83\xa4type\x00\xa4data\x90\xa3nsp\xa1/",
            DecodeError::InvalidPayload,
        ),
        (
            b"\x83\xa4type\x01\xa4data\xc0\xa3nsp\xa1/",
            DecodeError::InvalidPayload,
        ),
        (b"\x82\xa4type\x02\xa3nsp\xa1/", DecodeError::InvalidPayload),
        (
            b"\x83\xa4type\x02\xa4data\x81\xa1a\x01\xa3nsp\xa1/",
            DecodeError::InvalidPayload,
        ),
        (
            b"\x83\xa4type\x04\xa4data\x90\xa3nsp\xa1/",
            DecodeError::InvalidPayload,
        ),
        (
            b"\x84\xa4type\x02\xa4data\x91\xa1e\xa2id\xa1x\xa3nsp\xa1/",
            DecodeError::InvalidAckId,
        ),
        // Stricter than the reference, as sio's JSON path: no name, a reserved name, an ACK
        // without id, a negative id.
        (
            b"\x83\xa4type\x02\xa4data\x90\xa3nsp\xa1/",
            DecodeError::InvalidPayload,
        ),
        (
            b"\x83\xa4type\x02\xa4data\x91\xc0\xa3nsp\xa1/",
            DecodeError::InvalidPayload,
        ),
        (
            b"\x83\xa4type\x02\xa4data\x91\xaadisconnect\xa3nsp\xa1/",
            DecodeError::ReservedEventName,
        ),
        (
            b"\x83\xa4type\x03\xa4data\x90\xa3nsp\xa1/",
            DecodeError::InvalidPayload,
        ),
        (
            b"\x84\xa4type\x03\xa4data\x90\xa2id\xff\xa3nsp\xa1/",
            DecodeError::InvalidAckId,
        ),
    ];
    for (input, err) in cases {
        assert_eq!(
            decode(Bytes::copy_from_slice(input)),
            Err(*err),
            "{input:x?}"
        );
    }
}

#[test]
fn nesting_is_limited_as_on_the_json_path() {
    let nested = |depth: usize| {
        let mut f = b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa1e".to_vec();
        f.extend(std::iter::repeat_n(0x91, depth - 2));
        f.push(0xc0);
        Bytes::from(f)
    };
    // The data array is level 1, as `[` is on the JSON path.
    let ok = decode(nested(128)).unwrap();
    let PacketData::Event(e) = &ok.data else {
        panic!()
    };
    assert!(
        e.args().is_ok(),
        "the application can read what was accepted"
    );
    assert_eq!(decode(nested(129)), Err(DecodeError::InvalidMsgPack));
}

#[test]
fn ids_and_types_may_be_integral_floats() {
    let f = frame(&[
        b"\x84\xa4type\xcb\x40\x08\x00\x00\x00\x00\x00\x00\xa4data\x90",
        b"\xa2id\xcb\x40\x14\x00\x00\x00\x00\x00\x00\xa3nsp\xa1/",
    ]);
    let p = decode(f).unwrap();
    assert!(matches!(p.data, PacketData::Ack(ref a) if a.id == 5));
}

#[test]
fn decoded_packets_encode_back_to_the_same_bytes() {
    for input in [
        &b"\x83\xa4type\x02\xa4data\x93\xa5hello\xc4\x03abc\x81\xa1k\x92\xff\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xa3nsp\xa6/admin"[..],
        b"\x84\xa2id\x0c\xa4type\x03\xa4data\x91\xd9\x20aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xa3nsp\xa1/",
        b"\x83\xa4type\x04\xa4data\x81\xa7message\xa2no\xa3nsp\xa1/",
        b"\x83\xa4type\x04\xa4data\xa2no\xa3nsp\xa1/",
        b"\x82\xa4type\x01\xa3nsp\xa2/x",
    ] {
        let p = decode(Bytes::from_static(input)).unwrap();
        assert_eq!(&encode(&p)[..], input, "{p:?}");
    }
}

#[test]
fn unicode_names_and_escapes_survive() {
    let p = Packet::event("/ü", Event::new("é\"\n😀", &("\u{0}", "\\")).unwrap());
    let back = decode(encode(&p)).unwrap();
    assert_eq!(back, p);
    let PacketData::Event(e) = back.data else {
        panic!()
    };
    assert_eq!(e.name(), "é\"\n😀");
}
