//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the corpus-replay test.
//!
//! Each takes arbitrary bytes and must return without panicking; every decoded value is
//! re-encoded and decoded again to check the codec agrees with itself.

use bytes::Bytes;

use crate::engine::{self, Packet as EioPacket, PayloadDecoder};
use crate::socket::{self, Decoder};
use crate::Str;

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

/// A polling payload, split into chunks where the first byte says.
pub fn eio_payload(data: &[u8]) {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    let body = Bytes::copy_from_slice(body);
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

/// One Socket.IO packet from text (binary packets wait for attachments that never come).
pub fn sio_packet(data: &[u8]) {
    let Ok(text) = Str::from_utf8(Bytes::copy_from_slice(data)) else {
        return;
    };
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
/// picks the channel (broadcast, one-room broadcast, request, response), the rest is the
/// message. Also checks that msgpack re-encoding is stable. `now` comes from the caller (the
/// core reads no clock).
pub fn cluster_message(now: std::time::Instant, data: &[u8]) {
    use crate::socket::cluster::{notepack, Cluster, ClusterConfig};
    use crate::socket::server::{SocketEvent, SocketServer, SocketServerConfig};

    let Some((&which, body)) = data.split_first() else {
        return;
    };
    if let Ok(v) = notepack::decode(body) {
        let once = notepack::encode(&v);
        let again = notepack::decode(&once).expect("re-encoded msgpack decodes");
        assert_eq!(
            notepack::encode(&again),
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
    let mut cluster = Cluster::new(ClusterConfig {
        seed: [2; 32],
        ..ClusterConfig::default()
    });
    cluster.add_namespace("/");
    let channel = match which % 4 {
        0 => "socket.io#/#",
        1 => "socket.io#/#r1#",
        2 => "socket.io-request#/#",
        _ => "socket.io-response#/#",
    };
    cluster.handle_message(now, &mut server, channel.as_bytes(), body);
    cluster.handle_timeout(now + std::time::Duration::from_secs(60));
    while cluster.poll_transmit().is_some() {}
    while cluster.poll_event().is_some() {}
    while server.poll_engine_command().is_some() {}
    while server.poll_event().is_some() {}
}
