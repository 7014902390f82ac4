//! Scenario tests of the Engine.IO server state machine in virtual time (see
//! `sio_tests::sim`): handshake, long-poll parking, heartbeat, upgrade, close reasons, every
//! error code, CORS.

use std::time::Duration;

use bytes::Bytes;
use sio_core::engine::server::*;
use sio_core::engine::Packet;
use sio_tests::sim::{msg, poll, ws, EngineSim as Harness};

const S: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

// ---- handshake -------------------------------------------------------------------------------

#[test]
fn polling_handshake_answers_the_open_packet() {
    let mut h = Harness::new();
    let id = h.get("/engine.io/?EIO=4&transport=polling&foo=bar");
    let r = h.response(id).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=UTF-8"));
    let body = String::from_utf8(r.body.to_vec()).unwrap();
    let sid = &body[9..29];
    assert_eq!(
        body,
        format!(
            r#"0{{"sid":"{sid}","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}}"#
        )
    );
    assert!(sid
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    match &h.events[0] {
        Event::SessionOpened {
            sid: s,
            transport,
            query,
            ..
        } => {
            assert_eq!(s, sid);
            assert_eq!(*transport, TransportKind::Polling);
            assert!(query.contains(&("foo".into(), "bar".into())));
        }
        e => panic!("unexpected {e:?}"),
    }
}

#[test]
fn websocket_handshake_sends_open_first_without_upgrades() {
    let mut h = Harness::new();
    let w = h.websocket("/engine.io/?EIO=4&transport=websocket");
    let frames = h.ws_frames(w);
    assert_eq!(frames.len(), 1);
    assert!(frames[0].starts_with(r#"0{"sid":""#));
    assert!(frames[0].contains(r#""upgrades":[]"#));
    let sid = frames[0][9..29].to_owned();
    assert_eq!(h.server.transport_of(&sid), Some(TransportKind::WebSocket));
    h.server.send(&sid, msg("hi")).unwrap();
    h.drain();
    assert_eq!(h.ws_frames(w), vec!["4hi"]);
}

#[test]
fn polling_only_server_offers_no_upgrade_and_refuses_websocket() {
    let mut h = Harness::with(ServerConfig {
        transports: Transports::POLLING_ONLY,
        ..ServerConfig::default()
    });
    let id = h.get("/engine.io/?EIO=4&transport=polling");
    assert!(h.body(id).contains(r#""upgrades":[]"#));
    let mut req = Request::new(Method::Get, "/engine.io/?EIO=4&transport=websocket");
    req.websocket_upgrade = true;
    let id = h.request(req);
    let r = h.response(id).unwrap();
    assert_eq!((r.status, &r.body[..]), (400, &b"Transport unknown"[..]));
}

// ---- long-polling ----------------------------------------------------------------------------

#[test]
fn parked_get_gets_all_queued_packets_in_one_payload() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let get = h.get(&poll(&sid));
    assert!(
        h.response(get).is_none(),
        "nothing to send: the GET is parked"
    );
    h.server.send(&sid, msg("a")).unwrap();
    h.drain();
    assert_eq!(h.body(get), "4a");
    // With no GET parked, packets queue up and the next GET takes them all.
    h.server.send(&sid, msg("b")).unwrap();
    h.server
        .send(&sid, Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])))
        .unwrap();
    h.server.send(&sid, msg("c")).unwrap();
    h.drain();
    let get = h.get(&poll(&sid));
    assert_eq!(h.body(get), "4b\x1ebAQIDBA==\x1e4c");
}

#[test]
fn post_delivers_messages_and_answers_ok() {
    let mut h = Harness::new();
    let sid = h.handshake();
    h.messages();
    let post = h.post(&poll(&sid), "4hello\x1ebAQIDBA==");
    let r = h.response(post).unwrap();
    assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(
        h.messages(),
        vec![
            msg("hello"),
            Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))
        ]
    );
}

#[test]
fn overlapping_get_is_refused_and_closes_the_session() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let first = h.get(&poll(&sid));
    let second = h.get(&poll(&sid));
    let r = h.response(second).unwrap();
    assert_eq!((r.status, r.body.len()), (400, 0));
    assert_eq!(h.body(first), "1");
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::TransportError));
    let next = h.get(&poll(&sid));
    assert_eq!(h.body(next), r#"{"code":1,"message":"Session ID unknown"}"#);
}

#[test]
fn oversized_post_gets_413() {
    let mut h = Harness::with(ServerConfig {
        max_payload: 10,
        ..ServerConfig::default()
    });
    let sid = h.handshake();
    let post = h.post(&poll(&sid), "4abcdefghij");
    assert_eq!(h.response(post).unwrap().status, 413);
    assert!(h.messages().is_empty());
    assert_eq!(h.server.session_count(), 1, "the session lives on");
    let post = h.post(&poll(&sid), "4abcdefghi");
    assert_eq!(h.body(post), "ok");
}

#[test]
fn malformed_post_closes_only_that_session() {
    let mut h = Harness::new();
    let bad = h.handshake();
    let good = h.handshake();
    h.messages();
    let get = h.get(&poll(&bad));
    let post = h.post(&poll(&bad), "4before\x1eabc\x1e4after");
    assert_eq!(h.body(post), "ok");
    assert_eq!(h.messages(), vec![msg("before")]);
    assert_eq!(h.body(get), "1");
    assert_eq!(h.closed_reason(&bad), Some(CloseReason::ParseError));
    assert_eq!(h.closed_reason(&good), None);
    let post = h.post(&poll(&good), "4still");
    assert_eq!(h.body(post), "ok");
    assert_eq!(h.messages(), vec![msg("still")]);
}

#[test]
fn binary_content_type_post_is_refused_and_closes_the_session() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let mut req = Request::new(Method::Post, &poll(&sid));
    req.content_type = Some("application/octet-stream".into());
    req.body = Bytes::from_static(b"4x");
    let id = h.request(req);
    let r = h.response(id).unwrap();
    assert_eq!((r.status, r.body.len()), (400, 0));
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::TransportError));
}

#[test]
fn client_close_releases_the_parked_get_with_noop() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let get = h.get(&poll(&sid));
    let post = h.post(&poll(&sid), "1");
    assert_eq!(h.body(post), "ok");
    assert_eq!(h.body(get), "6");
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::TransportClose));
    let post = h.post(&poll(&sid), "4late");
    assert_eq!(h.response(post).unwrap().status, 400);
}

#[test]
fn aborted_poll_closes_the_session() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let get = h.get(&poll(&sid));
    h.server.handle_request_aborted(h.now, get);
    h.drain();
    assert!(h.response(get).is_none());
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::TransportError));
    assert_eq!(h.server.session_count(), 0);
}

#[test]
fn other_methods_with_a_sid_get_500() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let id = h.request(Request::new(Method::Other, &poll(&sid)));
    assert_eq!(h.response(id).unwrap().status, 500);
}

// ---- heartbeat -------------------------------------------------------------------------------

#[test]
fn pong_missing_closes_after_ping_timeout() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let get = h.get(&poll(&sid));
    h.advance(25 * S - MS);
    assert!(h.response(get).is_none());
    h.advance(MS);
    assert_eq!(h.body(get), "2");
    h.advance(20 * S - MS);
    assert_eq!(h.closed_reason(&sid), None);
    let get = h.get(&poll(&sid));
    h.advance(MS);
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::PingTimeout));
    assert_eq!(h.body(get), "1");
    assert_eq!(h.server.poll_timeout(), None);
}

#[test]
fn idle_session_is_kept_alive_by_pongs() {
    let mut h = Harness::new();
    let w = h.websocket("/engine.io/?EIO=4&transport=websocket");
    h.ws_frames(w);
    for _ in 0..10 {
        h.advance(25 * S);
        assert_eq!(h.ws_frames(w), vec!["2"]);
        h.advance(19 * S);
        h.ws_send(w, "3");
    }
    assert_eq!(h.server.session_count(), 1);
    assert!(!h.ws_closed(w));
    // The next ping comes ping_interval after the pong.
    h.advance(25 * S - MS);
    assert!(h.ws_frames(w).is_empty());
    h.advance(MS);
    assert_eq!(h.ws_frames(w), vec!["2"]);
}

#[test]
fn ping_from_the_client_closes_the_session() {
    let mut h = Harness::new();
    let w = h.websocket("/engine.io/?EIO=4&transport=websocket");
    let sid = h.ws_frames(w)[0][9..29].to_owned();
    h.ws_send(w, "2");
    assert!(h.ws_closed(w));
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::TransportError));
}

#[test]
fn handle_timeout_early_is_harmless() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let at = h.server.poll_timeout().unwrap();
    h.server.handle_timeout(at - MS);
    h.drain();
    assert!(h.transmits.is_empty());
    assert_eq!(h.server.poll_timeout(), Some(at));
    assert_eq!(h.server.transport_of(&sid), Some(TransportKind::Polling));
}

// ---- upgrade ---------------------------------------------------------------------------------

#[test]
fn upgrade_flushes_buffer_in_order() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let get = h.get(&poll(&sid));
    let w = h.websocket(&ws(&sid));
    assert!(h.server.is_upgrading(&sid));
    h.ws_send(w, "2probe");
    assert_eq!(h.ws_frames(w), vec!["3probe"]);
    // The parked GET is released with a noop by the 100 ms check.
    h.advance(100 * MS);
    assert_eq!(h.body(get), "6");
    h.server.send(&sid, msg("one")).unwrap();
    h.server.send(&sid, msg("two")).unwrap();
    h.drain();
    h.ws_send(w, "5");
    assert_eq!(h.ws_frames(w), vec!["4one", "4two"]);
    assert!(h.events.contains(&Event::Upgraded {
        sid: sid.clone().into()
    }));
    assert_eq!(h.server.transport_of(&sid), Some(TransportKind::WebSocket));
    h.server.send(&sid, msg("three")).unwrap();
    h.drain();
    assert_eq!(h.ws_frames(w), vec!["4three"]);
    h.ws_send(w, "4up");
    assert_eq!(h.messages(), vec![msg("up")]);
}

#[test]
fn gets_during_a_pending_upgrade_are_answered_noop() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let w = h.websocket(&ws(&sid));
    h.ws_send(w, "2probe");
    let get = h.get(&poll(&sid));
    h.advance(100 * MS);
    assert_eq!(h.body(get), "6");
    let get = h.get(&poll(&sid));
    h.advance(100 * MS);
    assert_eq!(h.body(get), "6");
}

#[test]
fn upgrade_timeout_aborts_the_probe() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let w = h.websocket(&ws(&sid));
    h.ws_send(w, "2probe");
    h.advance(10 * S - MS);
    assert!(!h.ws_closed(w));
    h.advance(MS);
    assert!(h.ws_closed(w));
    assert!(!h.server.is_upgrading(&sid));
    assert_eq!(h.server.transport_of(&sid), Some(TransportKind::Polling));
    let get = h.get(&poll(&sid));
    h.server.send(&sid, msg("still polling")).unwrap();
    h.drain();
    assert_eq!(h.body(get), "4still polling");
}

#[test]
fn other_packet_during_probe_aborts_the_upgrade() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let w = h.websocket(&ws(&sid));
    h.ws_send(w, "2probe");
    h.ws_frames(w);
    h.ws_send(w, "4nope");
    assert!(h.ws_closed(w));
    assert!(h.messages().is_empty());
    assert_eq!(h.server.transport_of(&sid), Some(TransportKind::Polling));
}

#[test]
fn polling_after_upgrade_is_refused() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let w = h.websocket(&ws(&sid));
    h.ws_send(w, "2probe");
    h.ws_send(w, "5");
    let get = h.get(&poll(&sid));
    let r = h.response(get).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(&r.body[..], br#"{"code":3,"message":"Bad request"}"#);
    assert_eq!(r.header("content-type"), Some("application/json"));
    // A second WebSocket with that sid is accepted, then closed.
    let w2 = h.websocket(&ws(&sid));
    assert!(h.ws_closed(w2));
    assert_eq!(h.server.session_count(), 1);
}

#[test]
fn close_during_upgrade() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let get = h.get(&poll(&sid));
    let w = h.websocket(&ws(&sid));
    h.ws_send(w, "2probe");
    h.server.close(h.now, &sid).unwrap();
    h.drain();
    assert_eq!(h.body(get), "1");
    assert!(h.ws_closed(w));
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ForcedClose));
}

#[test]
fn probe_websocket_closing_leaves_the_session_on_polling() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let w = h.websocket(&ws(&sid));
    h.ws_send(w, "2probe");
    h.server.handle_ws_closed(h.now, w);
    h.drain();
    assert!(!h.server.is_upgrading(&sid));
    assert_eq!(h.closed_reason(&sid), None);
    h.advance(S);
    assert_eq!(h.server.transport_of(&sid), Some(TransportKind::Polling));
}

#[test]
fn upgrade_with_unknown_sid_is_refused() {
    let mut h = Harness::new();
    let mut req = Request::new(Method::Get, &ws("nope"));
    req.websocket_upgrade = true;
    let id = h.request(req);
    let r = h.response(id).unwrap();
    assert_eq!((r.status, &r.body[..]), (400, &b"Session ID unknown"[..]));
    assert_eq!(r.header("content-type"), Some("text/html"));
}

// ---- closing ---------------------------------------------------------------------------------

#[test]
fn forced_close_over_polling_drains_the_buffer_then_sends_close() {
    let mut h = Harness::new();
    let sid = h.handshake();
    h.server.send(&sid, msg("last")).unwrap();
    h.server.close(h.now, &sid).unwrap();
    h.drain();
    assert_eq!(h.closed_reason(&sid), None);
    // The buffer first; `close` on the next GET (socket.io-client dispatches packets on the
    // next tick, so a close in the same payload would overtake them).
    let get = h.get(&poll(&sid));
    assert_eq!(h.body(get), "4last");
    assert_eq!(h.closed_reason(&sid), None);
    let get = h.get(&poll(&sid));
    assert_eq!(h.body(get), "1");
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ForcedClose));
}

#[test]
fn forced_close_without_a_get_gives_up_after_the_close_timeout() {
    let mut h = Harness::new();
    let sid = h.handshake();
    h.server.send(&sid, msg("never read")).unwrap();
    h.server.close(h.now, &sid).unwrap();
    h.drain();
    h.advance(ServerConfig::CLOSE_TIMEOUT);
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ForcedClose));
    assert_eq!(h.server.session_count(), 0);
}

#[test]
fn websocket_closed_by_the_client_is_a_transport_close() {
    let mut h = Harness::new();
    let w = h.websocket("/engine.io/?EIO=4&transport=websocket");
    let sid = h.ws_frames(w)[0][9..29].to_owned();
    h.server.handle_ws_closed(h.now, w);
    h.drain();
    assert!(!h.ws_closed(w), "no close is sent on a closed WebSocket");
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::TransportClose));
}

#[test]
fn malformed_websocket_message_is_a_parse_error() {
    let mut h = Harness::new();
    let w = h.websocket("/engine.io/?EIO=4&transport=websocket");
    let sid = h.ws_frames(w)[0][9..29].to_owned();
    h.ws_send(w, "abc");
    assert!(h.ws_closed(w));
    assert_eq!(h.closed_reason(&sid), Some(CloseReason::ParseError));
}

#[test]
fn shutdown_closes_every_session() {
    let mut h = Harness::new();
    let a = h.handshake();
    let get = h.get(&poll(&a));
    let w = h.websocket("/engine.io/?EIO=4&transport=websocket");
    let b = h.ws_frames(w)[0][9..29].to_owned();
    h.server.shutdown();
    h.drain();
    assert_eq!(h.body(get), "1");
    assert!(h.ws_closed(w));
    assert_eq!(h.closed_reason(&a), Some(CloseReason::ServerShuttingDown));
    assert_eq!(h.closed_reason(&b), Some(CloseReason::ServerShuttingDown));
    // The only timer left: a WebSocket that does not finish closing is dropped in the end.
    assert_eq!(
        h.server.poll_timeout(),
        Some(h.now + ServerConfig::CLOSE_LINGER)
    );
    h.advance(ServerConfig::CLOSE_LINGER);
    assert!(h.ws_aborted(w));
    assert_eq!(h.server.poll_timeout(), None);
}

// ---- error answers ---------------------------------------------------------------------------

fn error_answer(h: &mut Harness, req: Request) -> (u16, String) {
    let id = h.request(req);
    let r = h.response(id).unwrap();
    assert_eq!(r.header("content-type"), Some("application/json"));
    (r.status, String::from_utf8(r.body.to_vec()).unwrap())
}

#[test]
fn error_0_transport_unknown() {
    let mut h = Harness::new();
    for pq in [
        "/engine.io/?EIO=4",
        "/engine.io/?EIO=4&transport=carrier-pigeon",
    ] {
        let got = error_answer(&mut h, Request::new(Method::Get, pq));
        assert_eq!(
            got,
            (400, r#"{"code":0,"message":"Transport unknown"}"#.into())
        );
    }
}

#[test]
fn error_1_session_id_unknown() {
    let mut h = Harness::new();
    let got = error_answer(&mut h, Request::new(Method::Get, &poll("nope")));
    assert_eq!(
        got,
        (400, r#"{"code":1,"message":"Session ID unknown"}"#.into())
    );
}

#[test]
fn error_2_bad_handshake_method() {
    let mut h = Harness::new();
    for m in [Method::Post, Method::Other, Method::Options] {
        let got = error_answer(
            &mut h,
            Request::new(m, "/engine.io/?EIO=4&transport=polling"),
        );
        assert_eq!(
            got,
            (400, r#"{"code":2,"message":"Bad handshake method"}"#.into())
        );
    }
}

#[test]
fn error_3_bad_request() {
    let mut h = Harness::new();
    let got = error_answer(
        &mut h,
        Request::new(Method::Get, "/engine.io/?EIO=4&transport=websocket"),
    );
    assert_eq!(got, (400, r#"{"code":3,"message":"Bad request"}"#.into()));
    let mut req = Request::new(Method::Get, "/engine.io/?EIO=4&transport=polling");
    req.origin = Some("https://a.example\n".into());
    let got = error_answer(&mut h, req);
    assert_eq!(got, (400, r#"{"code":3,"message":"Bad request"}"#.into()));
}

#[test]
fn error_4_forbidden() {
    let mut h = Harness::with(ServerConfig {
        allow_request: Some(Box::new(|req: &Request| {
            match req.query_pairs().iter().any(|(k, _)| k == "token") {
                true => Err(Some("bad token".into())),
                false => Err(None),
            }
        })),
        ..ServerConfig::default()
    });
    let got = error_answer(
        &mut h,
        Request::new(Method::Get, "/engine.io/?EIO=4&transport=polling"),
    );
    assert_eq!(got, (403, r#"{"code":4,"message":"Forbidden"}"#.into()));
    let got = error_answer(
        &mut h,
        Request::new(Method::Get, "/engine.io/?EIO=4&transport=polling&token=x"),
    );
    assert_eq!(got, (403, r#"{"code":4,"message":"bad token"}"#.into()));
    assert_eq!(h.server.session_count(), 0);
}

#[test]
fn error_5_unsupported_protocol_version() {
    let mut h = Harness::new();
    for pq in [
        "/engine.io/?transport=polling",
        "/engine.io/?EIO=abc&transport=polling",
        "/engine.io/?EIO=3&transport=polling",
    ] {
        let got = error_answer(&mut h, Request::new(Method::Get, pq));
        assert_eq!(
            got,
            (
                400,
                r#"{"code":5,"message":"Unsupported protocol version"}"#.into()
            )
        );
    }
}

#[test]
fn errors_are_checked_in_the_reference_order() {
    let mut h = Harness::new();
    // Transport before everything: a POST with an unknown sid and no EIO.
    let got = error_answer(&mut h, Request::new(Method::Post, "/engine.io/?sid=x"));
    assert!(got.1.contains(r#""code":0"#));
    // Sid before method.
    let got = error_answer(
        &mut h,
        Request::new(Method::Post, "/engine.io/?transport=polling&sid=x"),
    );
    assert!(got.1.contains(r#""code":1"#));
    // Method before protocol version.
    let got = error_answer(
        &mut h,
        Request::new(Method::Post, "/engine.io/?transport=polling"),
    );
    assert!(got.1.contains(r#""code":2"#));
}

// ---- CORS ------------------------------------------------------------------------------------

#[test]
fn options_preflight_gets_204_with_cors_headers() {
    let mut h = Harness::with(ServerConfig {
        cors: Some(Cors {
            origins: AllowedOrigins::List(vec!["https://app.example".into()]),
            credentials: true,
        }),
        ..ServerConfig::default()
    });
    let mut req = Request::new(Method::Options, "/engine.io/?EIO=4&transport=polling");
    req.origin = Some("https://app.example".into());
    req.access_control_request_headers = Some("content-type".into());
    let id = h.request(req);
    let r = h.response(id).unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("content-type")
    );
    assert_eq!(
        r.header("vary"),
        Some("Origin, Access-Control-Request-Headers")
    );
    // Ordinary answers carry the CORS headers too; foreign origins are not echoed.
    let mut req = Request::new(Method::Get, "/engine.io/?EIO=4&transport=polling");
    req.origin = Some("https://evil.example".into());
    let id = h.request(req);
    let r = h.response(id).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("vary"), Some("Origin"));
}

#[test]
fn other_paths_get_404() {
    let mut h = Harness::new();
    assert!(!h.server.handles_path("/engine.io"));
    let id = h.get("/engine.io?EIO=4&transport=polling");
    assert_eq!(h.response(id).unwrap().status, 404);
}

#[test]
fn volatile_frames_go_out_only_when_the_transport_can_write() {
    let mut h = Harness::new();
    let sid = h.handshake();
    let frame = |s: &'static str| msg(s).encode();
    // Polling without a parked GET: dropped, nothing queued.
    assert_eq!(h.server.send_volatile(&sid, &[frame("a")]), Ok(false));
    let get = h.get(&poll(&sid));
    assert!(
        h.response(get).is_none(),
        "the GET parks: nothing was queued"
    );
    // With the GET parked: sent at once.
    assert_eq!(h.server.send_volatile(&sid, &[frame("b")]), Ok(true));
    h.drain();
    assert_eq!(h.body(get), "4b");
    // After the upgrade, a WebSocket can always write.
    let w = h.websocket(&ws(&sid));
    h.ws_send(w, "2probe");
    h.ws_send(w, "5");
    h.ws_frames(w);
    assert_eq!(h.server.send_volatile(&sid, &[frame("c")]), Ok(true));
    h.drain();
    assert_eq!(h.ws_frames(w), vec!["4c".to_owned()]);
}

#[test]
fn a_plain_request_on_a_websocket_session_is_a_bad_request() {
    let mut h = Harness::new();
    let w = h.websocket("/engine.io/?EIO=4&transport=websocket");
    let sid = h.ws_frames(w)[0][9..29].to_owned();
    let (status, body) = error_answer(
        &mut h,
        Request::new(
            Method::Get,
            &format!("/engine.io/?EIO=4&transport=websocket&sid={sid}"),
        ),
    );
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"code":3,"message":"Bad request"}"#)
    );
    assert_eq!(h.closed_reason(&sid), None, "the session goes on");
}
