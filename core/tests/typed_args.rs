//! Users send and receive their own types: serde in, serde out, bytes as attachments.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sio_core::socket::{Ack, Decoder, Event, Packet, PacketData, Payload};
use sio_core::{Str, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Upload {
    name: String,
    size: u32,
    data: Bytes,
    thumbnails: Vec<Bytes>,
    tags: Option<Vec<String>>,
}

fn upload() -> Upload {
    Upload {
        name: "a.bin".into(),
        size: 3,
        data: Bytes::from_static(&[1, 2, 3]),
        thumbnails: vec![Bytes::from_static(&[9]), Bytes::new()],
        tags: None,
    }
}

#[test]
fn a_struct_with_bytes_fields_travels_as_a_binary_event() {
    let event = Event::new("upload", &upload()).unwrap();
    let packet = Packet::event("/files", event.with_ack(7));
    let wire = packet.encode();
    assert_eq!(
        wire.text,
        concat!(
            r#"53-/files,7["upload",{"name":"a.bin","size":3,"#,
            r#""data":{"_placeholder":true,"num":0},"#,
            r#""thumbnails":[{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}],"#,
            r#""tags":null}]"#
        )
    );
    assert_eq!(
        wire.attachments,
        vec![
            Bytes::from_static(&[1, 2, 3]),
            Bytes::from_static(&[9]),
            Bytes::new()
        ]
    );

    let mut d = Decoder::default();
    assert_eq!(d.decode_text(wire.text.clone()).unwrap(), None);
    assert_eq!(d.decode_binary(wire.attachments[0].clone()).unwrap(), None);
    assert_eq!(d.decode_binary(wire.attachments[1].clone()).unwrap(), None);
    let back = d
        .decode_binary(wire.attachments[2].clone())
        .unwrap()
        .unwrap();
    let PacketData::Event(e) = &back.data else {
        panic!("not an event")
    };
    assert_eq!(e.name(), "upload");
    assert_eq!(e.ack_id(), Some(7));
    let (name, got): (String, Upload) = e.payload().deserialize().unwrap();
    assert_eq!(name, "upload");
    assert_eq!(got, upload());
}

#[test]
fn tuples_spread_into_arguments_and_other_values_are_one_argument() {
    let json = |p: Payload| p.json().to_string();
    assert_eq!(json(Payload::event("e", &()).unwrap()), r#"["e"]"#);
    assert_eq!(
        json(Payload::event("e", &("a", 1, true)).unwrap()),
        r#"["e","a",1,true]"#
    );
    assert_eq!(json(Payload::event("e", &"a").unwrap()), r#"["e","a"]"#);
    assert_eq!(
        json(Payload::event("e", &vec![1, 2]).unwrap()),
        r#"["e",[1,2]]"#
    );
    assert_eq!(
        json(Payload::event("e", &(vec![1],)).unwrap()),
        r#"["e",[1]]"#
    );
    assert_eq!(json(Payload::event("e", &Some(2)).unwrap()), r#"["e",2]"#);
    assert_eq!(
        json(Payload::event("e", &None::<u8>).unwrap()),
        r#"["e",null]"#
    );
    assert_eq!(
        json(Payload::event("e", &serde_json::json!({"k": [1, {}]})).unwrap()),
        r#"["e",{"k":[1,{}]}]"#
    );
    // Acks spread the same way, without a name.
    assert_eq!(json(Payload::ack(&()).unwrap()), "[]");
    assert_eq!(json(Payload::ack(&("ok", 2)).unwrap()), r#"["ok",2]"#);
    assert_eq!(json(Payload::ack(&"ok").unwrap()), r#"["ok"]"#);
    let bin = Payload::ack(&(Bytes::from_static(b"x"), 1)).unwrap();
    assert_eq!(json(bin.clone()), r#"[{"_placeholder":true,"num":0},1]"#);
    assert_eq!(bin.attachments(), &[Bytes::from_static(b"x")]);
    let ack = Packet::ack("/", Ack::new(4, &(Bytes::from_static(b"x"), 1)).unwrap());
    assert_eq!(
        ack.encode().text,
        r#"61-4[{"_placeholder":true,"num":0},1]"#
    );
}

#[test]
fn floats_are_written_as_javascript_writes_them() {
    let p = Payload::event("f", &(100.0f64, 1e21f64, 0.1f64, -0.0f64, f64::NAN)).unwrap();
    assert_eq!(p.json(), r#"["f",100,1e+21,0.1,0,null]"#);
}

#[test]
fn values_carry_json_and_binary_together() {
    let mut m = sio_core::Map::new();
    m.insert("z", Value::from(1));
    m.insert("bin", Value::from(Bytes::from_static(b"\x00\xff")));
    m.insert("a", Value::from("x"));
    let event = Event::from_values("v", &[Value::Object(m.clone()), Value::Null]);
    let wire = Packet::event("/", event).encode();
    assert_eq!(
        wire.text,
        r#"51-["v",{"z":1,"bin":{"_placeholder":true,"num":0},"a":"x"},null]"#
    );
    let mut d = Decoder::default();
    d.decode_text(wire.text).unwrap();
    let back = d
        .decode_binary(wire.attachments[0].clone())
        .unwrap()
        .unwrap();
    let PacketData::Event(e) = back.data else {
        panic!()
    };
    assert_eq!(e.args().unwrap(), vec![Value::Object(m), Value::Null]);
}

#[test]
fn typed_reads_fail_cleanly_on_mismatched_data() {
    let p = Payload::event("e", &("not a number",)).unwrap();
    assert!(p.deserialize::<(String, u32)>().is_err());
    let p = Payload::event("e", &(Bytes::from_static(b"x"),)).unwrap();
    assert!(p.deserialize::<(String, u32)>().is_err());
}

#[test]
fn connect_error_matches_the_reference_shape() {
    let p = Packet::connect_error("/admin", "Not authorized", Some(&Value::from("later")));
    assert_eq!(
        p.encode().text,
        r#"4/admin,{"message":"Not authorized","data":"later"}"#
    );
    // Binary in CONNECT_ERROR data is written as Node's Buffer#toJSON.
    let p = Packet::connect_error("/", "x", Some(&Value::from(Bytes::from_static(&[1, 2]))));
    assert_eq!(
        p.encode().text,
        r#"4{"message":"x","data":{"type":"Buffer","data":[1,2]}}"#
    );
}

#[test]
fn decoded_text_is_sliced_not_copied() {
    let text = Str::from(r#"2/chat,5["message","hello"]"#.to_owned());
    let p = Decoder::default()
        .decode_text(text.clone())
        .unwrap()
        .unwrap();
    let base = text.as_bytes().as_ptr() as usize;
    let inside = |s: &Str| {
        let p = s.as_bytes().as_ptr() as usize;
        p >= base && p + s.len() <= base + text.len()
    };
    assert!(inside(&p.nsp));
    let PacketData::Event(e) = &p.data else {
        panic!()
    };
    assert!(inside(e.name()));
    assert!(inside(e.payload().json()));
}

#[test]
fn attachment_count_is_checked_before_allocating() {
    let mut d = Decoder::new(2);
    let err = d
        .decode_text(Str::from_static(r#"599999999999999999999999-["a"]"#))
        .unwrap_err();
    assert_eq!(
        err,
        sio_core::socket::DecodeError::TooManyAttachments { max: 2 }
    );
    assert!(!d.is_reassembling());
}

#[test]
fn the_prebuilt_event_frame_equals_the_general_encoding() {
    use sio_core::engine::Frame;
    for (nsp, ack, args) in [
        ("/", None, Value::from("x")),
        ("/", Some(3), Value::from("x")),
        ("/chat", None, Value::from("x")),
        ("/", None, Value::from(Bytes::from_static(b"b"))),
    ] {
        let e = Event::new("ev", &args).unwrap();
        let e = match ack {
            Some(id) => e.with_ack(id),
            None => e,
        };
        let p = Packet::event(nsp, e);
        let frames = p.to_frames();
        let wire = p.encode();
        let Frame::Text(t) = &frames[0] else { panic!() };
        assert_eq!(t.as_str(), format!("4{}", wire.text), "{nsp} {ack:?}");
        assert_eq!(frames.len(), 1 + wire.attachments.len());
    }
}

/// The README's quick start, kept compiling and passing.
#[test]
fn readme_quick_start() -> Result<(), Box<dyn std::error::Error>> {
    #[derive(Serialize, Deserialize)]
    struct Upload {
        name: String,
        data: Bytes,
    }
    let packet = Packet::event(
        "/files",
        Event::new(
            "upload",
            &Upload {
                name: "a.bin".into(),
                data: Bytes::from_static(&[1, 2, 3]),
            },
        )?,
    );
    let wire = packet.encode();
    assert_eq!(
        wire.text,
        r#"51-/files,["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]"#
    );
    let mut decoder = Decoder::default();
    assert!(decoder.decode_text(wire.text)?.is_none());
    let back = decoder.decode_binary(wire.attachments[0].clone())?.unwrap();
    let PacketData::Event(e) = back.data else {
        panic!("not an event")
    };
    let (_name, up): (String, Upload) = e.payload().deserialize()?;
    assert_eq!(&up.data[..], &[1, 2, 3]);
    Ok(())
}

#[test]
fn into_frames_equals_to_frames() {
    for (nsp, args) in [
        ("/", Value::from("x")),
        ("/chat", Value::from("x")),
        ("/", Value::from(Bytes::from_static(b"b"))),
    ] {
        let p = Packet::event(nsp, Event::new("ev", &args).unwrap());
        assert_eq!(p.clone().into_frames(), p.to_frames(), "{nsp}");
    }
    let ack = Packet::ack("/", Ack::new(1, &(Bytes::from_static(b"z"),)).unwrap());
    assert_eq!(ack.clone().into_frames(), ack.to_frames());
}

#[test]
fn arguments_are_read_without_the_event_name() {
    let e = Event::new("upload", &("a.bin", 3u32, Bytes::from_static(b"xyz"))).unwrap();
    let (name, size): (String, u32) = e.deserialize_args().unwrap();
    assert_eq!((name.as_str(), size), ("a.bin", 3));
    let data: Bytes = e.deserialize_arg(2).unwrap();
    assert_eq!(&data[..], b"xyz");
    let all: Vec<Value> = e.deserialize_args().unwrap();
    assert_eq!(all.len(), 3);
    assert!(e.deserialize_arg::<u32>(5).is_err());
    let plain = Event::new("m", &("hi", 1)).unwrap();
    assert_eq!(plain.deserialize_arg::<String>(0).unwrap(), "hi");
    assert_eq!(plain.deserialize_args::<(String,)>().unwrap().0, "hi");
}

#[test]
fn spread_sends_a_list_as_several_arguments() {
    let p = Payload::event(
        "e",
        &sio_core::socket::Spread(vec![Value::from(1), Value::from("a")]),
    )
    .unwrap();
    assert_eq!(p.json(), r#"["e",1,"a"]"#);
    let p = Payload::ack(&sio_core::socket::Spread(Vec::<Value>::new())).unwrap();
    assert_eq!(p.json(), "[]");
}

#[test]
fn reserved_event_names_cannot_be_emitted() {
    for name in sio_core::socket::RESERVED_EVENTS {
        assert!(Event::new(name, &()).is_err(), "{name}");
    }
    assert!(Event::new("connection", &()).is_ok());
}
