//! Engine.IO v3 sessions (Socket.IO v2 clients) in the server state machine, in virtual time
//! (see `sio_tests::sim`): the refusal without `allow_eio3`, length-prefixed polling payloads,
//! XHR2 binary payloads both ways, the reversed heartbeat, type-byte WebSocket frames, the
//! upgrade, and requests that change `EIO` mid-session.

use std::time::Duration;

use bytes::Bytes;
use sio_core::engine::server::*;
use sio_core::engine::{Frame, Handshake, Packet, Protocol};
use sio_core::Str;
use sio_tests::sim::{msg, EngineSim as Harness};

const S: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

fn allowed() -> Harness {
    Harness::with(ServerConfig {
        allow_eio3: true,
        sid_seed: [1; 32],
        ..ServerConfig::default()
    })
}

fn poll3(sid: &str) -> String {
    format!("/engine.io/?EIO=3&transport=polling&sid={sid}")
}

fn ws3(sid: &str) -> String {
    format!("/engine.io/?EIO=3&transport=websocket&sid={sid}")
}

/// Opens a v3 polling session (`extra` appended to the query); returns its sid.
fn handshake3(h: &mut Harness, extra: &str) -> String {
    let id = h.get(&format!("/engine.io/?EIO=3&transport=polling{extra}"));
    let body = h.body(id);
    let (len, open) = body.split_once(':').expect("a v3 payload");
    assert_eq!(len.parse::<usize>().unwrap(), open.len());
    let hs = Handshake::from_json(open.strip_prefix('0').unwrap().as_bytes()).unwrap();
    hs.sid.to_string()
}

fn post_bytes(h: &mut Harness, pq: &str, body: &[u8], content_type: &str) -> TransportId {
    let mut req = Request::new(Method::Post, pq);
    req.body = Bytes::copy_from_slice(body);
    req.content_type = Some(content_type.to_owned());
    h.request(req)
}

#[test]
fn v3_handshakes_are_refused_unless_allowed() {
    let mut h = Harness::new();
    for pq in [
        "/engine.io/?EIO=3&transport=polling",
        "/engine.io/?transport=polling",
    ] {
        let r = {
            let id = h.get(pq);
            h.response(id)
        }
        .unwrap();
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body,
            Bytes::from_static(br#"{"code":5,"message":"Unsupported protocol version"}"#)
        );
    }
    let mut req = Request::new(Method::Get, "/engine.io/?EIO=3&transport=websocket");
    req.websocket_upgrade = true;
    let id = h.request(req);
    let r = h.response(id).expect("refused");
    assert_eq!(r.status, 400);
    assert_eq!(r.body, Bytes::from_static(b"Unsupported protocol version"));
    assert_eq!(h.server.session_count(), 0);
}

#[test]
fn v3_polling_handshake_answers_a_length_prefixed_open_packet_with_max_payload() {
    let mut h = allowed();
    // Without `EIO` at all, the reference speaks v3 too.
    let id = h.get("/engine.io/?transport=polling");
    let r = h.response(id).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    let body = String::from_utf8(r.body.to_vec()).unwrap();
    let sid = &body[13..33];
    assert_eq!(
        body,
        format!(
            r#"118:0{{"sid":"{sid}","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}}"#
        )
    );
    assert!(matches!(
        &h.events[0],
        Event::SessionOpened {
            protocol: Protocol::V3,
            ..
        }
    ));
    assert_eq!(h.server.protocol_of(sid), Some(Protocol::V3));
}

#[test]
fn v3_client_pings_and_the_server_answers_pong() {
    let mut h = allowed();
    let sid = handshake3(&mut h, "");
    let post = h.post(&poll3(&sid), "1:21:2");
    assert_eq!(h.body(post), "ok");
    let get = h.get(&poll3(&sid));
    assert_eq!(h.body(get), "1:31:3");
}

#[test]
fn v3_session_closes_after_interval_plus_timeout_without_a_ping() {
    let mut h = allowed();
    let sid = handshake3(&mut h, "");
    // The server never pings a v3 client.
    let get = h.get(&poll3(&sid));
    h.advance(40 * S);
    assert!(h.response(get).is_none());
    // A ping restarts the wait.
    let post = h.post(&poll3(&sid), "1:2");
    assert_eq!(h.body(post), "ok");
    assert_eq!(h.body(get), "1:3");
    let get = h.get(&poll3(&sid));
    h.advance(45 * S - MS);
    assert_eq!(h.closed_reason(&sid), None);
    h.advance(MS);
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::PingTimeout));
    assert_eq!(h.body(get), "1:1");
    assert_eq!(h.server.poll_timeout(), None);
}

#[test]
fn v3_pong_from_the_client_is_a_transport_error() {
    let mut h = allowed();
    let sid = handshake3(&mut h, "");
    let post = h.post(&poll3(&sid), "1:3");
    assert_eq!(h.body(post), "ok");
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::TransportError));
}

#[test]
fn v3_binary_goes_in_an_xhr2_payload_unless_the_client_asked_for_base64() {
    let mut h = allowed();
    let sid = handshake3(&mut h, "");
    h.server.send(&sid, msg("hé")).unwrap();
    h.server
        .send(&sid, Packet::Binary(Bytes::from_static(&[1, 2, 3])))
        .unwrap();
    let r = {
        let id = h.get(&poll3(&sid));
        h.response(id)
    }
    .unwrap();
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        &r.body[..],
        &[0, 4, 0xff, b'4', b'h', 0xc3, 0xa9, 1, 4, 0xff, 4, 1, 2, 3][..]
    );
    // Text alone stays a text payload.
    h.server.send(&sid, msg("x")).unwrap();
    let get = h.get(&poll3(&sid));
    assert_eq!(h.body(get), "2:4x");

    let b64 = handshake3(&mut h, "&b64=1");
    h.server
        .send(&b64, Packet::Binary(Bytes::from_static(&[1, 2, 3])))
        .unwrap();
    let r = {
        let id = h.get(&poll3(&b64));
        h.response(id)
    }
    .unwrap();
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    assert_eq!(r.body, Bytes::from_static(b"6:b4AQID"));
}

#[test]
fn v3_posts_are_read_as_text_or_binary_payloads_by_content_type() {
    let mut h = allowed();
    let sid = handshake3(&mut h, "");
    let post = post_bytes(
        &mut h,
        &poll3(&sid),
        "6:b4AQID2:4€".as_bytes(),
        "text/plain;charset=UTF-8",
    );
    assert_eq!(h.body(post), "ok");
    let body = [&[1u8, 3, 0xff, 4, 9, 9][..], &[0, 2, 0xff, b'4', b'z']].concat();
    let post = post_bytes(&mut h, &poll3(&sid), &body, "application/octet-stream");
    assert_eq!(h.body(post), "ok");
    assert_eq!(
        h.messages(),
        vec![
            Packet::Binary(Bytes::from_static(&[1, 2, 3])),
            msg("€"),
            Packet::Binary(Bytes::from_static(&[9, 9])),
            msg("z"),
        ]
    );
    // A record that lies about its length: the packets before it count, then "parse error".
    let post = h.post(&poll3(&sid), "2:4a9:4b");
    assert_eq!(h.body(post), "ok");
    assert_eq!(h.messages(), vec![msg("a")]);
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ParseError));
}

#[test]
fn v3_post_over_max_payload_is_413_before_decoding() {
    let mut h = Harness::with(ServerConfig {
        allow_eio3: true,
        max_payload: 10,
        ..ServerConfig::default()
    });
    let sid = handshake3(&mut h, "");
    let post = post_bytes(&mut h, &poll3(&sid), &[1; 11], "application/octet-stream");
    assert_eq!(h.response(post).unwrap().status, 413);
    assert_eq!(h.server.session_count(), 1);
}

#[test]
fn v3_websocket_binary_frames_carry_the_type_byte() {
    let mut h = allowed();
    let w = h.websocket("/engine.io/?EIO=3&transport=websocket");
    let open = h.ws_frames(w);
    assert!(open[0].starts_with(r#"0{"sid":""#) && open[0].contains("maxPayload"));
    let sid = open[0][9..29].to_owned();
    h.server
        .send(&sid, Packet::Binary(Bytes::from_static(&[7, 8])))
        .unwrap();
    h.drain();
    let sent: Vec<Frame> = h
        .transmits
        .drain(..)
        .filter_map(|t| match t {
            Transmit::WsFrame { frame, .. } => Some(frame),
            _ => None,
        })
        .collect();
    assert_eq!(sent, vec![Frame::Binary(Bytes::from_static(&[4, 7, 8]))]);
    h.server
        .handle_ws_message(h.now, w, Frame::Binary(Bytes::from_static(&[4, 1])));
    h.drain();
    assert_eq!(h.messages(), vec![Packet::Binary(Bytes::from_static(&[1]))]);
    // Pings over WebSocket too.
    h.ws_send(w, "2");
    assert_eq!(h.ws_frames(w), vec!["3"]);
    // A binary frame that is not a message: "parse error".
    h.server
        .handle_ws_message(h.now, w, Frame::Binary(Bytes::from_static(&[2])));
    h.drain();
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ParseError));
}

#[test]
fn v3_websocket_with_b64_gets_base64_text_frames() {
    let mut h = allowed();
    let w = h.websocket("/engine.io/?EIO=3&transport=websocket&b64=1");
    let sid = h.ws_frames(w)[0][9..29].to_owned();
    h.server
        .send(&sid, Packet::Binary(Bytes::from_static(&[1, 2, 3])))
        .unwrap();
    h.drain();
    assert_eq!(h.ws_frames(w), vec!["b4AQID"]);
    h.ws_send(w, "b4AQID");
    assert_eq!(
        h.messages(),
        vec![Packet::Binary(Bytes::from_static(&[1, 2, 3]))]
    );
}

#[test]
fn v3_upgrade_probes_switches_and_keeps_the_heartbeat() {
    let mut h = allowed();
    let sid = handshake3(&mut h, "&b64=1");
    let get = h.get(&poll3(&sid));
    let w = h.websocket(&ws3(&sid));
    h.ws_send(w, "2probe");
    assert_eq!(h.ws_frames(w), vec!["3probe"]);
    h.advance(100 * MS);
    assert_eq!(h.body(get), "1:6");
    h.server.send(&sid, msg("queued")).unwrap();
    h.server
        .send(&sid, Packet::Binary(Bytes::from_static(&[5])))
        .unwrap();
    h.ws_send(w, "5");
    assert_eq!(h.server.transport_of(&sid), Some(TransportKind::WebSocket));
    // The WebSocket asked for binary (no `b64` on it): binary frames now.
    let sent: Vec<Frame> = h
        .transmits
        .drain(..)
        .filter_map(|t| match t {
            Transmit::WsFrame { frame, .. } => Some(frame),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent,
        vec![
            Frame::Text(Str::from_static("4queued")),
            Frame::Binary(Bytes::from_static(&[4, 5]))
        ]
    );
    // Unlike the reference (whose upgrade drops the v3 timer), a client that stops pinging
    // after the upgrade is still dropped.
    h.advance(45 * S);
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::PingTimeout));
    assert!(h.ws_aborted(w));
}

#[test]
fn changing_eio_within_a_session_is_a_bad_request() {
    let mut h = allowed();
    let v3 = handshake3(&mut h, "");
    let v4 = h.handshake();
    let bad = r#"{"code":3,"message":"Bad request"}"#;
    for pq in [
        format!("/engine.io/?EIO=4&transport=polling&sid={v3}"),
        format!("/engine.io/?transport=polling&sid={v4}"),
        format!("/engine.io/?EIO=3&transport=polling&sid={v4}"),
    ] {
        let id = h.get(&pq);
        assert_eq!(h.body(id), bad, "{pq}");
    }
    let mut req = Request::new(
        Method::Get,
        &format!("/engine.io/?EIO=4&transport=websocket&sid={v3}"),
    );
    req.websocket_upgrade = true;
    let id = h.request(req);
    assert_eq!(
        h.response(id).unwrap().body,
        Bytes::from_static(b"Bad request")
    );
    assert_eq!(h.server.session_count(), 2);
}

#[test]
fn v3_jsonp_polling_is_refused_as_not_built() {
    let mut h = allowed();
    let id = h.get("/engine.io/?EIO=3&transport=polling&j=0");
    let r = h.response(id).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        Bytes::from_static(br#"{"code":3,"message":"Bad request"}"#)
    );
}

#[test]
fn v3_paused_session_waits_a_whole_period_after_resuming() {
    let mut h = allowed();
    let sid = handshake3(&mut h, "");
    h.advance(40 * S);
    h.server.pause_reading(&sid).unwrap();
    h.advance(60 * S);
    assert_eq!(h.closed_reason(&sid), None);
    h.server.resume_reading(h.now, &sid).unwrap();
    h.drain();
    h.advance(45 * S - MS);
    assert_eq!(h.closed_reason(&sid), None);
    h.advance(MS);
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::PingTimeout));
}
