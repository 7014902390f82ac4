//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the corpus-replay test.
//!
//! Each takes arbitrary bytes and must return without panicking; every decoded value is
//! re-encoded and decoded again to check the codec agrees with itself. The session targets
//! (`client_session`, `server_session`) replay operation sequences against the state machines
//! and assert their invariants.

mod compression;
mod server_session;

use bytes::Bytes;

use crate::engine::{self, Packet as EioPacket, PayloadDecoder};
use crate::socket::{self, Decoder};
use crate::Str;

pub use compression::compression;
pub use server_session::{server_session, server_session_reach, server_session_trace, Reach};

/// One Engine.IO packet from text.
pub fn eio_packet(data: &[u8]) {
    let Ok(text) = Str::from_utf8(Bytes::copy_from_slice(data)) else {
        return;
    };
    if let Ok(p) = EioPacket::decode_text(text) {
        // Data after close/upgrade/noop is dropped on decode, so the re-encoding is canonical.
        let again = EioPacket::decode_frame(p.encode()).expect("re-encoded packet decodes");
        assert_eq!(again, p);
    }
}

/// A WebTransport stream: the first byte picks the chunk size (its low 6 bits, at least 1)
/// and the maximum payload (its top 2 bits: 1, 126, 65 536 or 1 MB), the rest is the stream.
/// Frames decode the same however the stream is cut, at most one error ends it, and every
/// frame re-encodes to a stream that decodes back to it.
pub fn webtransport_stream(data: &[u8]) {
    use crate::engine::webtransport::{self, StreamDecoder};
    let Some((&config, stream)) = data.split_first() else {
        return;
    };
    let step = usize::from(config & 0x3f).max(1);
    let max = [1, 126, 65_536, 1_000_000][usize::from(config >> 6)];
    let decode = |chunk_len: usize| {
        let mut d = StreamDecoder::new(max);
        let mut out = Vec::new();
        for chunk in stream.chunks(chunk_len) {
            d.push(Bytes::copy_from_slice(chunk));
            while let Some(frame) = d.next_frame() {
                out.push(frame);
            }
            assert!(d.buffered() <= stream.len());
        }
        out
    };
    let whole = decode(stream.len().max(1));
    assert_eq!(decode(step), whole, "chunking changed the frames");
    assert!(whole.iter().filter(|f| f.is_err()).count() <= 1);
    for frame in whole.into_iter().flatten() {
        let mut wire = Vec::new();
        webtransport::encode(&frame, &mut wire);
        let mut d = StreamDecoder::new(usize::MAX);
        d.push(Bytes::from(wire));
        assert_eq!(d.next_frame(), Some(Ok(frame)), "re-encoded frame decodes");
        assert_eq!(d.next_frame(), None);
    }
}

/// A polling payload, split into chunks where the first byte says.
pub fn eio_payload(data: &[u8]) {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    let body = Bytes::copy_from_slice(body);
    eio3_payloads(&body);
    let whole: Vec<_> = PayloadDecoder::decode_all(body.clone(), 1 << 20).collect();
    let step = usize::from(split).max(1);
    let mut d = PayloadDecoder::new(1 << 20);
    let mut i = 0;
    while i < body.len() {
        let end = (i + step).min(body.len());
        d.push(body.slice(i..end));
        i = end;
    }
    d.finish();
    let chunked: Vec<_> = std::iter::from_fn(|| d.next_packet()).collect();
    assert_eq!(whole, chunked, "chunking changed the result");
    let packets: Vec<_> = whole.into_iter().map_while(Result::ok).collect();
    let frames: Vec<_> = packets.iter().map(EioPacket::encode).collect();
    if frames.is_empty() {
        return;
    }
    let mut out = Vec::new();
    engine::encode_payload(&frames, &mut out);
    let again: Result<Vec<_>, _> = PayloadDecoder::decode_all(out.into(), usize::MAX).collect();
    let again = again.expect("re-encoded payload decodes");
    // Text messages containing the separator cannot round-trip (nor in the reference).
    if packets
        .iter()
        .all(|p| !matches!(p, EioPacket::Message(m) if m.contains('\u{1e}')))
    {
        assert_eq!(again, packets);
    }
}

/// The same bytes as Engine.IO v3 payloads, text and binary (XHR2): the packets before the
/// first error re-encode, in both formats, to payloads that decode to them.
fn eio3_payloads(body: &Bytes) {
    use crate::engine::v3;
    let text: Vec<_> = v3::decode_text_payload(body.clone()).collect();
    let binary: Vec<_> = v3::decode_binary_payload(body.clone()).collect();
    for results in [text, binary] {
        assert!(
            results.iter().rev().skip(1).all(Result::is_ok),
            "decoding went on after an error"
        );
        let packets: Vec<_> = results.into_iter().map_while(Result::ok).collect();
        let frames: Vec<_> = packets.iter().map(v3::encode_packet).collect();
        if frames.is_empty() {
            continue;
        }
        let mut out = Vec::new();
        v3::encode_text_payload(&frames, &mut out);
        let again: Result<Vec<_>, _> = v3::decode_text_payload(out.into()).collect();
        assert_eq!(again.expect("re-encoded text payload decodes"), packets);
        let mut out = Vec::new();
        v3::encode_binary_payload(&frames, &mut out);
        let again: Result<Vec<_>, _> = v3::decode_binary_payload(out.into()).collect();
        assert_eq!(again.expect("re-encoded binary payload decodes"), packets);
    }
}

/// One Socket.IO packet from text (binary packets wait for attachments that never come).
pub fn sio_packet(data: &[u8]) {
    let Ok(text) = Str::from_utf8(Bytes::copy_from_slice(data)) else {
        return;
    };
    // The two JSON checks (one loop for text packets, the recursive parser for binary ones)
    // accept the same texts.
    assert!(crate::socket::validate::checks_agree(text.as_bytes()));
    let mut decoder = Decoder::default();
    if let Ok(Some(p)) = decoder.decode_text(text) {
        round_trip(&p);
    }
}

/// A Socket.IO text packet followed by binary attachments: the first byte gives the number of
/// attachments fed, the rest is split at the first `0xff` byte into text and attachment data.
pub fn sio_binary(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (text, bin) = match rest.iter().position(|&b| b == 0xff) {
        Some(p) => (&rest[..p], &rest[p + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(text) = Str::from_utf8(Bytes::copy_from_slice(text)) else {
        return;
    };
    let mut decoder = Decoder::default();
    let mut done = match decoder.decode_text(text) {
        Ok(p) => p,
        Err(_) => return,
    };
    let bin = Bytes::copy_from_slice(bin);
    for i in 0..usize::from(n % 16) {
        let chunk = bin.slice(bin.len() * i / 16..bin.len() * (i + 1) / 16);
        match decoder.decode_binary(chunk) {
            Ok(Some(p)) => done = Some(p),
            Ok(None) => {}
            Err(_) => return,
        }
    }
    if let Some(p) = done {
        round_trip(&p);
        if let socket::PacketData::Event(e) = &p.data {
            let _ = e.args();
        }
    }
}

/// One binary message for the msgpack parser: a decoded packet re-encodes to bytes that decode
/// to the same packet, its arguments read, and (where the JSON parser can carry it) it is a
/// valid packet of the JSON parser too: what the msgpack side hands on is well-formed JSON.
pub fn sio_msgpack(data: &[u8]) {
    use crate::engine::Frame;
    use crate::socket::Parser;
    let mut decoder = Parser::MsgPack.decoder(0);
    let Ok(Some(p)) = decoder.decode_binary(Bytes::copy_from_slice(data)) else {
        return;
    };
    if let socket::PacketData::Event(e) = &p.data {
        let _ = e.args();
    }
    let frames = Parser::MsgPack.to_frames(&p);
    let [Frame::Binary(wire)] = frames.as_slice() else {
        panic!("one binary frame per packet");
    };
    let again = Parser::MsgPack
        .decoder(0)
        .decode_binary(wire.clone())
        .expect("re-encoded packet decodes")
        .expect("a whole packet");
    assert_eq!(again.data, p.data);
    // An empty namespace is written as the main one.
    let main = |n: &Str| {
        if n.is_empty() {
            Str::from_static("/")
        } else {
            n.clone()
        }
    };
    assert_eq!(main(&again.nsp), main(&p.nsp));
    assert_eq!(
        Parser::MsgPack.to_frames(&again),
        frames,
        "encoding is stable"
    );
    let attachments = match &p.data {
        socket::PacketData::Event(e) => e.payload().attachments().len(),
        socket::PacketData::Ack(a) => a.payload.attachments().len(),
        _ => 0,
    };
    let json_nsp = p.nsp.starts_with('/') && !p.nsp.contains(',');
    if json_nsp && attachments <= socket::DEFAULT_MAX_ATTACHMENTS {
        round_trip(&p);
    }
}

fn round_trip(p: &socket::Packet) {
    let encoded = p.encode();
    let mut decoder = Decoder::default();
    let mut again = decoder
        .decode_text(encoded.text.clone())
        .expect("re-encoded text decodes");
    for a in &encoded.attachments {
        again = decoder
            .decode_binary(a.clone())
            .expect("re-encoded attachment decodes");
    }
    let again = again.expect("re-encoded packet completes");
    assert_eq!(again.nsp, p.nsp);
    assert_eq!(again.packet_type(), p.packet_type());
    // JSON text may differ (whitespace), the values may not.
    match (&again.data, &p.data) {
        (socket::PacketData::Event(a), socket::PacketData::Event(b)) => {
            assert_eq!(a.name(), b.name());
            assert_eq!(a.ack_id(), b.ack_id());
            assert_eq!(a.payload().to_value().ok(), b.payload().to_value().ok());
        }
        (socket::PacketData::Ack(a), socket::PacketData::Ack(b)) => {
            assert_eq!(a.id, b.id);
            assert_eq!(a.payload.to_value().ok(), b.payload.to_value().ok());
        }
        _ => {}
    }
}

/// One message from Redis to a cluster member that has a socket in room `r1`: the first byte
/// picks the adapter (classic, sharded, streams) and the channel (classic: broadcast,
/// one-room broadcast, request, response; sharded: the namespace's, a room's, this server's
/// answers) or the entry's type (streams), the rest is the message. Also checks that msgpack re-encoding is stable. `now` comes from the caller (the
/// core reads no clock).
pub fn cluster_message(now: std::time::Instant, data: &[u8]) {
    use crate::msgpack;
    use crate::socket::cluster::{Cluster, ClusterConfig};
    use crate::socket::server::{SocketEvent, SocketServer, SocketServerConfig};

    let Some((&which, body)) = data.split_first() else {
        return;
    };
    if let Ok(v) = msgpack::decode(body) {
        let once = msgpack::encode(&v);
        let again = msgpack::decode(&once).expect("re-encoded msgpack decodes");
        assert_eq!(
            msgpack::encode(&again),
            once,
            "msgpack re-encoding is stable"
        );
    }
    let mut server = SocketServer::new(SocketServerConfig {
        id_seed: [1; 32],
        ..SocketServerConfig::default()
    });
    let sid = Str::from("fuzz-session");
    server.handle_engine_open(now, sid.clone(), Default::default());
    server.handle_engine_message(now, &sid, EioPacket::Message(Str::from("0")));
    while let Some(e) = server.poll_event() {
        if let SocketEvent::ConnectRequest { request, .. } = e {
            if let Ok(id) = server.accept_connect(now, request) {
                let _ = server.join(&id, [Str::from("r1")]);
            }
        }
    }
    // `which / 4 % 3` picks the adapter: classic, sharded or streams (for the streams
    // adapter the body is the `data` field of an entry of type `which % 13 + 1`).
    let adapter = match which / 4 % 3 {
        0 => crate::socket::cluster::AdapterKind::Classic,
        1 => crate::socket::cluster::AdapterKind::Sharded(Default::default()),
        _ => crate::socket::cluster::AdapterKind::Streams(Default::default()),
    };
    let mut cluster = Cluster::new(ClusterConfig {
        seed: [2; 32],
        adapter,
        ..ClusterConfig::default()
    });
    cluster.add_namespace(now, "/");
    if cluster.stream_read().is_some() {
        use bytes::Bytes;
        let fields = vec![
            (Bytes::from_static(b"uid"), Bytes::from_static(b"other")),
            (Bytes::from_static(b"nsp"), Bytes::from_static(b"/")),
            (
                Bytes::from_static(b"type"),
                Bytes::from((which % 13 + 1).to_string()),
            ),
            (Bytes::from_static(b"data"), Bytes::copy_from_slice(body)),
        ];
        let entry = crate::socket::cluster::StreamEntry {
            id: "1-1".to_owned(),
            fields,
        };
        cluster.handle_stream_entries(now, &mut server, vec![entry]);
    } else {
        let uid = cluster.uid().to_owned();
        let response = format!("socket.io#/#{uid}#");
        let channel = match (which / 4 % 3, which % 4) {
            (0, 0) => "socket.io#/#",
            (0, 1) => "socket.io#/#r1#",
            (0, 2) => "socket.io-request#/#",
            (0, _) => "socket.io-response#/#",
            (_, 0 | 1) => "socket.io#/#",
            (_, 2) => "socket.io#/#r1#",
            _ => response.as_str(),
        };
        cluster.handle_message(now, &mut server, channel.as_bytes(), body);
    }
    cluster.handle_timeout(now + std::time::Duration::from_secs(60));
    while cluster.poll_transmit().is_some() {}
    while cluster.poll_event().is_some() {}
    while server.poll_engine_command().is_some() {}
    while server.poll_event().is_some() {}
}

/// A Socket.IO client session driven by arbitrary input: each step's first byte picks what
/// happens next — the server answers the oldest HTTP request (a body, another status, or a
/// failure), a WebSocket opens, gets a message or closes, time passes, or the application
/// emits, acks, connects or disconnects. Whatever the server sends, the client must not
/// panic. `now` comes from the caller (the core reads no clock).
pub fn client_session(now: std::time::Instant, data: &[u8]) {
    use std::collections::VecDeque;
    use std::time::Duration;

    use crate::engine::client::{HttpResult, IoId, Transmit};
    use crate::engine::Frame;
    use crate::socket::client::{EmitOptions, Manager, ManagerConfig, SocketConfig};
    use crate::socket::{Event, Payload};

    let mut config = ManagerConfig {
        seed: 7,
        ..ManagerConfig::default()
    };
    config.engine.max_payload = 1 << 16;
    let mut m = Manager::new(config);
    m.socket("/", SocketConfig::default());
    m.socket(
        "/admin",
        SocketConfig {
            retries: 1,
            ack_timeout: Some(Duration::from_millis(500)),
            ..SocketConfig::default()
        },
    );
    let mut t = now;
    m.connect(t, "/");
    let mut http: VecDeque<IoId> = VecDeque::new();
    let mut ws: Vec<IoId> = Vec::new();
    let drain = |m: &mut Manager, http: &mut VecDeque<IoId>, ws: &mut Vec<IoId>| {
        while let Some(tx) = m.poll_transmit() {
            match tx {
                Transmit::Http { id, .. } => http.push_back(id),
                Transmit::WsOpen { id, .. } | Transmit::WtOpen { id, .. } => ws.push(id),
                Transmit::WsClose { id } => ws.retain(|w| *w != id),
                Transmit::WsSend { .. } => {}
            }
        }
        while m.poll_event().is_some() {}
    };
    drain(&mut m, &mut http, &mut ws);
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        let (&len, tail) = tail.split_first().unwrap_or((&0, &[]));
        let n = usize::from(len).min(tail.len());
        let (chunk, tail) = tail.split_at(n);
        rest = tail;
        let body = Bytes::copy_from_slice(chunk);
        match op % 9 {
            0 => {
                if let Some(id) = http.pop_front() {
                    let r = HttpResult::Response {
                        status: 200,
                        body,
                        content_encoding: None,
                    };
                    m.handle_http_response(t, id, r);
                }
            }
            1 => {
                if let Some(id) = http.pop_front() {
                    let status = u16::from(len) + 100;
                    m.handle_http_response(
                        t,
                        id,
                        HttpResult::Response {
                            status,
                            body,
                            content_encoding: None,
                        },
                    );
                }
            }
            2 => {
                if let Some(id) = http.pop_front() {
                    m.handle_http_response(t, id, HttpResult::Failed("cut".into()));
                }
            }
            3 => {
                if let Some(&id) = ws.last() {
                    m.handle_ws_open(t, id);
                }
            }
            4 => {
                if let Some(&id) = ws.last() {
                    let frame = match Str::from_utf8(body.clone()) {
                        Ok(s) if len % 2 == 0 => Frame::Text(s),
                        _ => Frame::Binary(body),
                    };
                    m.handle_ws_message(t, id, frame);
                }
            }
            5 => {
                if let Some(id) = ws.pop() {
                    m.handle_ws_closed(t, id, (len % 2 == 1).then(|| "reset".into()));
                }
            }
            6 => {
                t += Duration::from_millis(u64::from(len) * 250);
                m.handle_timeout(t);
            }
            7 => {
                let nsp = if len % 2 == 0 { "/" } else { "/admin" };
                if let Ok(e) = Event::new("e", &(len, body.clone())) {
                    let options = EmitOptions {
                        volatile: len % 3 == 0,
                        ack: len % 5 != 0,
                        timeout: (len % 7 == 0).then(|| Duration::from_millis(300)),
                    };
                    let _ = m.emit(t, nsp, e, options);
                }
                m.ack(
                    nsp,
                    u64::from(len),
                    Payload::from_value(&crate::Value::Null),
                );
            }
            _ => match len % 4 {
                0 => {
                    m.connect(t, "/admin");
                }
                1 => m.disconnect(t, "/admin"),
                2 => {
                    m.connect(t, "/");
                }
                _ => m.close(t),
            },
        }
        drain(&mut m, &mut http, &mut ws);
        if let Some(d) = m.poll_timeout() {
            // A deadline in the past is run at once by any caller; it must then move on.
            if d <= t {
                m.handle_timeout(t);
                drain(&mut m, &mut http, &mut ws);
            }
        }
    }
}
