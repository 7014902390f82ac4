//! The Engine.IO server's WebTransport sessions in virtual time (see `sio_tests::sim`), as
//! engine.io 6.6's `onWebTransportSession` takes them: the handshake on the stream, the
//! upgrade from polling, framing in any chunks, the reference's refusals, heartbeat and close
//! reasons. The driver's part (QUIC, HTTP/3) is played by the test: it hands the stream's
//! bytes in and reads the frames out.

use std::time::Duration;

use bytes::Bytes;
use sio_core::engine::server::*;
use sio_core::engine::webtransport;
use sio_core::engine::{Frame, Packet};
use sio_core::Str;
use sio_tests::sim::{msg, poll, ws, EngineSim as Harness};

const S: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

fn with_webtransport() -> Harness {
    Harness::with(ServerConfig {
        transports: Transports::WITH_WEBTRANSPORT,
        ..ServerConfig::default()
    })
}

/// A WebTransport session established on `path_and_query` (its stream about to be read).
fn wt_open(h: &mut Harness, path_and_query: &str) -> TransportId {
    let id = h.id();
    let mut req = Request::new(Method::Other, path_and_query);
    req.origin = Some("http://127.0.0.1:3000".into());
    req.secure = true;
    h.server.handle_wt_open(h.now, id, req);
    h.drain();
    id
}

/// The stream bytes of these text packets.
fn stream(packets: &[&'static str]) -> Bytes {
    let mut out = Vec::new();
    for p in packets {
        webtransport::encode(&Frame::Text(Str::from_static(p)), &mut out);
    }
    Bytes::from(out)
}

fn wt_data(h: &mut Harness, id: TransportId, bytes: Bytes) {
    h.server.handle_wt_data(h.now, id, bytes);
    h.drain();
}

/// A session opened over WebTransport: its stream id and sid.
fn wt_session(h: &mut Harness) -> (TransportId, String) {
    let id = wt_open(h, "/engine.io/?EIO=4&transport=webtransport");
    wt_data(h, id, stream(&["0"]));
    let frames = h.ws_frames(id);
    let sid = frames[0][9..29].to_owned();
    (id, sid)
}

#[test]
fn an_open_packet_without_data_opens_a_session_answered_on_the_stream() {
    let mut h = with_webtransport();
    let id = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport&foo=bar");
    assert!(h.transmits.is_empty(), "nothing until the client's open");
    wt_data(&mut h, id, stream(&["0"]));
    let frames = h.ws_frames(id);
    assert_eq!(frames.len(), 1);
    let sid = frames[0][9..29].to_owned();
    assert_eq!(
        frames[0],
        format!(
            r#"0{{"sid":"{sid}","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}}"#
        )
    );
    assert_eq!(
        h.server.transport_of(&sid),
        Some(TransportKind::WebTransport)
    );
    match &h.events[0] {
        Event::SessionOpened {
            transport,
            query,
            secure,
            origin,
            ..
        } => {
            assert_eq!(*transport, TransportKind::WebTransport);
            assert!(query.contains(&("foo".into(), "bar".into())));
            assert!(*secure);
            assert_eq!(origin.as_deref(), Some("http://127.0.0.1:3000"));
        }
        e => panic!("unexpected {e:?}"),
    }
    // Messages both ways, text and binary.
    wt_data(&mut h, id, stream(&["4hello"]));
    let mut bin = Vec::new();
    webtransport::encode(&Frame::Binary(Bytes::from_static(&[1, 2, 3])), &mut bin);
    wt_data(&mut h, id, Bytes::from(bin));
    assert_eq!(
        h.messages(),
        [msg("hello"), Packet::Binary(Bytes::from_static(&[1, 2, 3]))]
    );
    h.server.send(&sid, msg("back")).unwrap();
    h.drain();
    assert_eq!(h.ws_frames(id), ["4back"]);
}

#[test]
fn polling_handshakes_offer_webtransport_after_websocket_when_enabled() {
    let mut h = with_webtransport();
    let id = h.get("/engine.io/?EIO=4&transport=polling");
    assert!(h
        .body(id)
        .contains(r#""upgrades":["websocket","webtransport"]"#));
    let mut h = Harness::with(ServerConfig {
        transports: Transports {
            websocket: false,
            ..Transports::WITH_WEBTRANSPORT
        },
        ..ServerConfig::default()
    });
    let id = h.get("/engine.io/?EIO=4&transport=polling");
    assert!(h.body(id).contains(r#""upgrades":["webtransport"]"#));
}

#[test]
fn webtransport_sessions_are_closed_unless_enabled_and_on_the_path() {
    let mut h = Harness::new();
    let id = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport");
    assert!(h.ws_closed(id), "off by default, as in the reference");
    let mut h = with_webtransport();
    let id = wt_open(&mut h, "/elsewhere/");
    assert!(h.ws_closed(id));
    // Over HTTP, `transport=webtransport` is an unknown transport (code 0), as the reference.
    let id = h.get("/engine.io/?EIO=4&transport=webtransport");
    let r = h.response(id).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(&r.body[..], br#"{"code":0,"message":"Transport unknown"}"#);
}

#[test]
fn allow_request_sees_the_connect_request_and_can_refuse_it() {
    let mut h = Harness::with(ServerConfig {
        transports: Transports::WITH_WEBTRANSPORT,
        allow_request: Some(Box::new(|req: &Request| {
            if req.query.contains("token=ok") {
                Ok(())
            } else {
                Err(None)
            }
        })),
        ..ServerConfig::default()
    });
    let refused = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport");
    assert!(h.ws_closed(refused));
    let allowed = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport&token=ok");
    wt_data(&mut h, allowed, stream(&["0"]));
    assert_eq!(h.server.session_count(), 1);
}

#[test]
fn a_first_packet_other_than_open_closes_the_session() {
    let mut h = with_webtransport();
    let id = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport");
    wt_data(&mut h, id, stream(&["4hello"]));
    assert!(h.ws_closed(id));
    assert_eq!(h.server.session_count(), 0);
    // An open packet whose data is not `{"sid": <string>}`.
    for data in ["0nope", r#"0{"sid":12}"#, "0null"] {
        let id = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport");
        let mut out = Vec::new();
        webtransport::encode(&Frame::Text(Str::from(data.to_owned())), &mut out);
        wt_data(&mut h, id, Bytes::from(out));
        assert!(h.ws_closed(id), "{data}");
    }
    assert!(h.events.is_empty());
}

#[test]
fn no_open_packet_within_upgrade_timeout_closes_the_session() {
    let mut h = with_webtransport();
    let id = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport");
    wt_data(&mut h, id, stream(&["0"]).slice(..1)); // A header, no packet.
    h.advance(10 * S - MS);
    assert!(!h.ws_closed(id));
    h.advance(MS);
    assert!(h.ws_closed(id));
    wt_data(&mut h, id, stream(&["0"]).slice(1..));
    assert_eq!(h.server.session_count(), 0, "too late");
}

#[test]
fn packets_cut_anywhere_in_the_stream_arrive_whole_and_in_order() {
    let mut h = with_webtransport();
    let id = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport");
    let bytes = stream(&["0", "4one", "4two", "4three"]);
    for i in 0..bytes.len() {
        wt_data(&mut h, id, bytes.slice(i..i + 1));
    }
    assert_eq!(h.ws_frames(id).len(), 1, "the handshake");
    assert_eq!(h.messages(), [msg("one"), msg("two"), msg("three")]);
}

#[test]
fn a_polling_session_upgrades_to_webtransport_with_the_probe() {
    let mut h = with_webtransport();
    let sid = h.handshake();
    h.server.send(&sid, msg("before")).unwrap();
    let get = h.get(&poll(&sid));
    assert_eq!(h.body(get), "4before");
    let parked = h.get(&poll(&sid));
    let id = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport");
    // The client's `open` with the sid and its probe, in one chunk.
    let open = format!(r#"0{{"sid":"{sid}"}}"#);
    let mut bytes = Vec::new();
    webtransport::encode(&Frame::Text(Str::from(open)), &mut bytes);
    webtransport::encode(&Frame::Text(Str::from_static("2probe")), &mut bytes);
    wt_data(&mut h, id, Bytes::from(bytes));
    assert_eq!(h.ws_frames(id), ["3probe"]);
    assert!(h.server.is_upgrading(&sid));
    h.advance(100 * MS);
    assert_eq!(h.body(parked), "6", "the parked GET is released with noop");
    h.server.send(&sid, msg("during")).unwrap();
    wt_data(&mut h, id, stream(&["5"]));
    assert_eq!(
        h.server.transport_of(&sid),
        Some(TransportKind::WebTransport)
    );
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, Event::Upgraded { sid: s } if s.as_str() == sid)));
    assert_eq!(h.ws_frames(id), ["4during"]);
    wt_data(&mut h, id, stream(&["4after"]));
    assert_eq!(h.messages(), [msg("after")]);
    // Polling is over for this session.
    let late = h.get(&poll(&sid));
    assert_eq!(h.response(late).unwrap().status, 400);
}

#[test]
fn upgrades_for_unknown_upgrading_or_upgraded_sessions_are_closed() {
    let mut h = with_webtransport();
    let open_with = |h: &mut Harness, sid: &str| {
        let id = wt_open(h, "/engine.io/?EIO=4&transport=webtransport");
        let mut bytes = Vec::new();
        let open = format!(r#"0{{"sid":"{sid}"}}"#);
        webtransport::encode(&Frame::Text(Str::from(open)), &mut bytes);
        wt_data(h, id, Bytes::from(bytes));
        id
    };
    let unknown = open_with(&mut h, "AAAAAAAAAAAAAAAAAAAA");
    assert!(h.ws_closed(unknown));
    // A WebSocket is probing: the WebTransport comes second and is closed.
    let sid = h.handshake();
    let w = h.websocket(&ws(&sid));
    h.ws_send(w, "2probe");
    let second = open_with(&mut h, &sid);
    assert!(h.ws_closed(second));
    h.ws_send(w, "5");
    assert_eq!(h.server.transport_of(&sid), Some(TransportKind::WebSocket));
    let late = open_with(&mut h, &sid);
    assert!(h.ws_closed(late), "already upgraded");
}

#[test]
fn a_probe_sending_anything_but_the_probe_is_abandoned_and_polling_goes_on() {
    let mut h = with_webtransport();
    let sid = h.handshake();
    let id = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport");
    let open: &'static str = Box::leak(format!(r#"0{{"sid":"{sid}"}}"#).into_boxed_str());
    wt_data(&mut h, id, stream(&[open, "4x"]));
    assert!(h.ws_closed(id));
    assert!(!h.server.is_upgrading(&sid));
    assert_eq!(h.server.transport_of(&sid), Some(TransportKind::Polling));
}

#[test]
fn a_bad_frame_header_closes_with_parse_error() {
    let mut h = with_webtransport();
    let (id, sid) = wt_session(&mut h);
    wt_data(&mut h, id, Bytes::from_static(&[0x00]));
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ParseError));
    assert!(h.ws_closed(id));
}

#[test]
fn a_frame_longer_than_max_payload_closes_from_its_header() {
    let mut h = Harness::with(ServerConfig {
        transports: Transports::WITH_WEBTRANSPORT,
        max_payload: 1000,
        ..ServerConfig::default()
    });
    let (id, sid) = wt_session(&mut h);
    // 1001 announced: refused before any of it is sent.
    wt_data(&mut h, id, Bytes::from_static(&[126, 0x03, 0xe9]));
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ParseError));
}

#[test]
fn an_unknown_packet_type_closes_with_parse_error() {
    let mut h = with_webtransport();
    let (id, sid) = wt_session(&mut h);
    wt_data(&mut h, id, stream(&["9bad"]));
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ParseError));
}

#[test]
fn the_server_pings_over_webtransport_and_drops_a_silent_client() {
    let mut h = with_webtransport();
    let (id, sid) = wt_session(&mut h);
    h.advance(25 * S);
    assert_eq!(h.ws_frames(id), ["2"]);
    wt_data(&mut h, id, stream(&["3"]));
    h.advance(25 * S);
    assert_eq!(h.ws_frames(id), ["2"]);
    h.advance(20 * S);
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::PingTimeout));
    assert!(h.ws_aborted(id), "a client that stopped reading is dropped");
}

#[test]
fn the_client_closing_its_session_is_a_transport_close() {
    let mut h = with_webtransport();
    let (id, sid) = wt_session(&mut h);
    h.server.handle_ws_closed(h.now, id);
    h.drain();
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::TransportClose));
    // A session closed before its first packet leaves nothing behind.
    let pending = wt_open(&mut h, "/engine.io/?EIO=4&transport=webtransport");
    h.server.handle_ws_closed(h.now, pending);
    h.drain();
    h.advance(20 * S);
    assert!(!h.ws_closed(pending));
}

#[test]
fn the_application_closing_the_session_closes_the_webtransport_session() {
    let mut h = with_webtransport();
    let (id, sid) = wt_session(&mut h);
    h.server.send(&sid, msg("bye")).unwrap();
    h.server.close(h.now, &sid).unwrap();
    h.drain();
    assert_eq!(h.ws_frames(id), ["4bye"]);
    assert!(h.ws_closed(id));
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ForcedClose));
}
