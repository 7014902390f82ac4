//! Codec benchmarks: sio-core against socketioxide's parsers on the same inputs, same run.
//!
//! Run with `cargo bench -p sio-core --bench codec`. Each group measures one operation on one
//! input for both implementations (`sio` and `socketioxide`), so the ratio between the two lines
//! of a group is the figure that matters; absolute times depend on the machine.
//!
//! What "decode" means differs between the two parsers, so both are measured:
//! - `decode`: what each parser does when a packet arrives. socketioxide only splits the header
//!   off and keeps the JSON unchecked; sio also validates it as strictly as the reference
//!   (JSON syntax, event shape, reserved names, placeholders) and extracts the event name.
//! - `decode_read`: decode, then read the event name and the arguments into the application's
//!   type — the whole work a server does per incoming event.
//!
//! `msgpack/…` measures sio's msgpack parser on the same events (encode; decode_read).
//!
//! `forward/…` measures the answer of an echo handler to a decoded event, as frames: `values`
//! reads the arguments into `Value`s and emits them (the value round trip), `renamed` forwards
//! the received argument text (`Event::renamed`, what `Message::forward` does).

use std::collections::VecDeque;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use serde::{Deserialize, Serialize};
use sio_core::engine::{self, Frame, Packet as EioPacket, PayloadDecoder};
use sio_core::socket::{Decoder, Event, Packet, PacketData, Parser};
use sio_core::Str;
use socketioxide_core::packet::{Packet as XPacket, PacketData as XData};
use socketioxide_core::parser::{Parse, ParseConfig, ParseError, ParserState};
use socketioxide_core::{Str as XStr, Value as XValue};
use socketioxide_parser_common::CommonParser;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    id: u64,
    name: String,
    email: String,
    admin: bool,
}

/// An event of about 1 KB of JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Message {
    id: u64,
    room: String,
    user: User,
    text: String,
    tags: Vec<String>,
    scores: Vec<f64>,
    reply_to: Option<u64>,
}

fn message() -> Message {
    Message {
        id: 123_456_789,
        room: "general".into(),
        user: User {
            id: 42,
            name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            admin: false,
        },
        text: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(10),
        tags: (0..10).map(|i| format!("tag-{i}")).collect(),
        scores: (0..20).map(|i| f64::from(i) * 1.25 + 0.1).collect(),
        reply_to: Some(7),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Upload {
    name: String,
    head: Bytes,
    body: Bytes,
}

fn upload() -> Upload {
    Upload {
        name: "photo.jpg".into(),
        head: Bytes::from(vec![7u8; 64]),
        body: Bytes::from(vec![9u8; 1024]),
    }
}

fn ours_event<T: Serialize>(name: &str, data: &T) -> Packet {
    Packet::event("/", Event::new(name, data).unwrap())
}

fn theirs_event<T: Serialize>(name: &str, data: &T) -> XPacket {
    XPacket::event("/", CommonParser.encode_value(data, Some(name)).unwrap())
}

fn theirs_parts(v: XValue) -> (String, Vec<Bytes>) {
    match v {
        XValue::Str(s, bins) => (
            s.as_str().to_owned(),
            bins.map(Vec::from).unwrap_or_default(),
        ),
        XValue::Bytes(_) => unreachable!(),
    }
}

/// Decode an event packet (text then attachments) with socketioxide.
fn theirs_decode(text: &str, bins: &[Bytes]) -> XPacket {
    let config = ParseConfig::default();
    let state = ParserState::default();
    match CommonParser.decode_str(&config, &state, XStr::from(text.to_owned())) {
        Ok(p) => p,
        Err(ParseError::NeedsMoreBinaryData) => {
            let mut out = None;
            for b in bins {
                match CommonParser.decode_bin(&config, &state, b.clone()) {
                    Ok(p) => out = Some(p),
                    Err(ParseError::NeedsMoreBinaryData) => {}
                    Err(e) => panic!("{e:?}"),
                }
            }
            out.expect("complete")
        }
        Err(e) => panic!("{e:?}"),
    }
}

fn ours_decode(text: &Str, bins: &[Bytes]) -> Packet {
    let mut d = Decoder::default();
    let mut out = d.decode_text(text.clone()).unwrap();
    for b in bins {
        out = d.decode_binary(b.clone()).unwrap();
    }
    out.unwrap()
}

fn sio_case<T>(c: &mut Criterion, case: &str, name: &str, data: T)
where
    T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
{
    // The wire form must be identical for the comparison to be fair.
    let ours_wire = ours_event(name, &data).encode();
    let (their_text, their_bins) = theirs_parts(CommonParser.encode(theirs_event(name, &data)));
    assert_eq!(ours_wire.text.as_str(), their_text, "{case}: same bytes");
    assert_eq!(
        ours_wire.attachments, their_bins,
        "{case}: same attachments"
    );

    let mut g = c.benchmark_group(format!("sio/encode/{case}"));
    g.bench_function("sio", |b| {
        b.iter(|| black_box(ours_event(name, black_box(&data)).into_frames()))
    });
    g.bench_function("socketioxide", |b| {
        b.iter(|| black_box(CommonParser.encode(theirs_event(name, black_box(&data)))))
    });
    g.finish();

    let text = ours_wire.text.clone();
    let bins = ours_wire.attachments.clone();
    let mut g = c.benchmark_group(format!("sio/decode/{case}"));
    g.bench_function("sio", |b| {
        b.iter_batched(
            || Str::from(text.as_str().to_owned()),
            |t| black_box(ours_decode(&t, &bins)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("socketioxide", |b| {
        b.iter_batched(
            || text.as_str().to_owned(),
            |t| black_box(theirs_decode(&t, &bins)),
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // Check both read back the same data before timing it.
    let read_ours = |t: &Str| -> T {
        let p = ours_decode(t, &bins);
        let PacketData::Event(e) = p.data else {
            unreachable!()
        };
        assert_eq!(e.name(), name);
        let (_, data): (serde::de::IgnoredAny, T) = e.payload().deserialize().unwrap();
        data
    };
    let read_theirs = |t: &str| -> T {
        let p = theirs_decode(t, &bins);
        let (XData::Event(mut v, _) | XData::BinaryEvent(mut v, _)) = p.inner else {
            unreachable!()
        };
        assert_eq!(CommonParser.read_event(&v).unwrap(), name);
        CommonParser.decode_value::<T>(&mut v, true).unwrap()
    };
    assert_eq!(read_ours(&text), data);
    assert_eq!(read_theirs(text.as_str()), data);
    let mut g = c.benchmark_group(format!("sio/decode_read/{case}"));
    g.bench_function("sio", |b| {
        b.iter_batched(
            || Str::from(text.as_str().to_owned()),
            |t| black_box(read_ours(&t)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("socketioxide", |b| {
        b.iter_batched(
            || text.as_str().to_owned(),
            |t| black_box(read_theirs(&t)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// The msgpack parser on the same events: encode (serde to the packet's frames, through the
/// JSON payload and its transcoding), and decode then read into the application's type. The
/// JSON parser's `sio` lines of the same case are the yardstick.
fn msgpack_case<T>(c: &mut Criterion, case: &str, name: &str, data: T)
where
    T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
{
    let frames = Parser::MsgPack.to_frames(&ours_event(name, &data));
    let [Frame::Binary(wire)] = frames.as_slice() else {
        unreachable!()
    };
    let wire = wire.clone();
    let read = |b: Bytes| -> T {
        let p = Parser::MsgPack
            .decoder(0)
            .decode_binary(b)
            .unwrap()
            .unwrap();
        let PacketData::Event(e) = p.data else {
            unreachable!()
        };
        let (_, data): (serde::de::IgnoredAny, T) = e.payload().deserialize().unwrap();
        data
    };
    assert_eq!(read(wire.clone()), data);
    let mut g = c.benchmark_group(format!("msgpack/{case}"));
    g.bench_function("encode", |b| {
        b.iter(|| black_box(Parser::MsgPack.into_frames(ours_event(name, black_box(&data)))))
    });
    g.bench_function("decode_read", |b| {
        b.iter_batched(
            || Bytes::copy_from_slice(&wire),
            |w| black_box(read(w)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn sio_benches(c: &mut Criterion) {
    sio_case(c, "hello_world", "hello", "world".to_owned());
    sio_case(c, "json_1kb", "message", message());
    sio_case(c, "binary_2_attachments", "upload", upload());
}

fn msgpack_benches(c: &mut Criterion) {
    msgpack_case(c, "hello_world", "hello", "world".to_owned());
    msgpack_case(c, "json_1kb", "message", message());
    msgpack_case(c, "binary_2_attachments", "upload", upload());
}

/// Ten packets of a polling payload: the Socket.IO messages a chatty client batches.
fn payload_packets() -> Vec<EioPacket> {
    (0..10)
        .map(|i| match i {
            3 => EioPacket::Binary(Bytes::from(vec![i as u8; 48])),
            7 => EioPacket::Ping(Str::default()),
            _ => EioPacket::Message(Str::from(format!(
                "2[\"chat\",{{\"seq\":{i},\"text\":\"message number {i} of ten\"}}]"
            ))),
        })
        .collect()
}

fn theirs_packet(p: &EioPacket) -> engineioxide_core::Packet {
    use engineioxide_core::Packet as E;
    match p {
        EioPacket::Message(m) => E::Message(m.as_str().to_owned().into()),
        EioPacket::Binary(b) => E::Binary(b.clone()),
        EioPacket::Ping(_) => E::Ping,
        _ => unreachable!(),
    }
}

/// engineioxide's v4 payload encoding: each packet to its string, joined by the separator
/// (the loop of its `v4_encoder`, without the channel polling around it).
fn theirs_encode_payload(packets: Vec<engineioxide_core::Packet>) -> String {
    let mut data = String::new();
    for p in packets {
        let s: String = p.into();
        if !data.is_empty() {
            data.push('\u{1e}');
        }
        data.push_str(&s);
    }
    data
}

fn theirs_decode_payload(body: Bytes) -> Vec<engineioxide_core::Packet> {
    use futures_util::StreamExt;
    let stream = engineioxide_core::payload::decoder(
        http_body_util::Full::new(body),
        None,
        engineioxide_core::ProtocolVersion::V4,
        1_000_000,
    );
    futures_executor::block_on(stream.map(|r| r.unwrap()).collect::<Vec<_>>())
}

fn eio_benches(c: &mut Criterion) {
    let packets = payload_packets();
    let frames: Vec<Frame> = packets.iter().map(EioPacket::encode).collect();
    let mut body = Vec::new();
    engine::encode_payload(&frames, &mut body);
    let theirs: Vec<_> = packets.iter().map(theirs_packet).collect();
    assert_eq!(theirs_encode_payload(theirs.clone()).as_bytes(), &body[..]);
    let body = Bytes::from(body);
    assert_eq!(theirs_decode_payload(body.clone()).len(), 10);

    let mut g = c.benchmark_group("eio/encode/payload_10");
    g.bench_function("sio", |b| {
        b.iter_batched(
            || packets.clone(),
            |packets| {
                let frames: VecDeque<Frame> = packets.iter().map(EioPacket::encode).collect();
                let mut out = Vec::with_capacity(engine::payload::payload_len(&frames));
                engine::encode_payload(&frames, &mut out);
                black_box(out)
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("socketioxide", |b| {
        b.iter_batched(
            || theirs.clone(),
            |p| black_box(theirs_encode_payload(p)),
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("eio/decode/payload_10");
    g.bench_function("sio", |b| {
        b.iter_batched(
            || Bytes::from(body.to_vec()),
            |body| {
                let v: Vec<_> = PayloadDecoder::decode_all(body, 1_000_000)
                    .map(Result::unwrap)
                    .collect();
                black_box(v)
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("socketioxide", |b| {
        b.iter_batched(
            || Bytes::from(body.to_vec()),
            |body| black_box(theirs_decode_payload(body)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// The echo's answer to a decoded event: through values, or forwarded as received.
fn forward_case<T: Serialize>(c: &mut Criterion, case: &str, name: &str, data: T) {
    let text = ours_event(name, &data).encode().text;
    let event = match ours_decode(&text, &[]).data {
        PacketData::Event(e) => e,
        _ => unreachable!("an event"),
    };
    let mut g = c.benchmark_group(format!("forward/{case}"));
    g.bench_function("values", |b| {
        b.iter(|| {
            let values = black_box(&event).args().unwrap();
            let answer = Event::new(name, &sio_core::socket::Spread(values)).unwrap();
            Packet::event("/", answer).into_frames()
        })
    });
    g.bench_function("renamed", |b| {
        b.iter(|| {
            let answer = black_box(&event).renamed(name).unwrap();
            Packet::event("/", answer).into_frames()
        })
    });
    g.finish();
}

fn forward_benches(c: &mut Criterion) {
    forward_case(c, "hello_world", "hello", "world".to_owned());
    forward_case(c, "json_1kb", "message", message());
}

criterion_group!(
    benches,
    sio_benches,
    msgpack_benches,
    eio_benches,
    forward_benches
);
criterion_main!(benches);
