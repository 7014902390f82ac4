//! The polling → WebSocket upgrade: probe, pause, hold-back and flush; failed probes;
//! WebSocket-only; `upgrade` off; `remember_upgrade`.

use super::*;

/// Handshake over polling with the upgrade offered, socket `/` connected over polling, the
/// probe WebSocket opened and `2probe` sent. Returns the parked GET and the probe's id.
fn polling_with_probe(s: &mut Sim) -> (IoId, IoId) {
    let get = s.get();
    s.reply(get, HS);
    // The probe opens beside polling, on the session's sid.
    let (probe, query) = s.ws_open();
    assert_eq!(query, "EIO=4&transport=websocket&sid=abc");
    let get = s.get();
    let (post, body) = s.post();
    assert_eq!(body, "40");
    s.reply(post, "ok");
    s.reply(get, r#"40{"sid":"s1"}"#);
    let get = s.get();
    assert!(s.m.is_connected("/"));
    s.ws_opened(probe);
    assert_eq!(s.ws_send(), (probe, "2probe".to_owned()));
    assert!(s.out.is_empty(), "{:?}", s.out);
    (get, probe)
}

#[test]
fn upgrade_holds_writes_until_the_poll_returns_then_flushes_them_in_order_over_websocket() {
    let mut s = Sim::connected_root(upgrading(), SocketConfig::default());
    let (get, probe) = polling_with_probe(&mut s);
    s.events();
    s.ws_message(probe, "3probe");
    // Polling pauses: no new request while the GET is in flight, and writes wait.
    assert!(s.out.is_empty(), "{:?}", s.out);
    s.emit("/", "a", &[1.into()], EmitOptions::default());
    s.emit("/", "b", &[2.into()], EmitOptions::default());
    assert!(s.out.is_empty(), "held back: {:?}", s.out);
    assert_eq!(s.m.transport(), Some(TransportKind::Polling));
    // The server releases the GET with a noop: `5`, then what was held, over the WebSocket.
    s.reply(get, "6");
    assert_eq!(
        s.take_out(),
        [
            Tx::WsSend {
                id: probe,
                frame: Frame::Text("5".into())
            },
            Tx::WsSend {
                id: probe,
                frame: Frame::Text(r#"42["a",1]"#.into())
            },
            Tx::WsSend {
                id: probe,
                frame: Frame::Text(r#"42["b",2]"#.into())
            },
        ]
    );
    assert_eq!(s.events(), [Event::Upgraded]);
    assert_eq!(s.m.transport(), Some(TransportKind::WebSocket));
    // From now on only the WebSocket: pings are answered on it, emits go on it.
    s.ws_message(probe, "2");
    assert_eq!(s.ws_send(), (probe, "3".to_owned()));
    s.emit("/", "c", &[], EmitOptions::default());
    assert_eq!(s.ws_send(), (probe, r#"42["c"]"#.to_owned()));
    s.ws_message(probe, r#"42["hi"]"#);
    assert!(matches!(
        &s.events()[..],
        [Event::Ping, Event::Message { .. }]
    ));
    s.advance(Duration::from_secs(20));
    assert!(s.out.is_empty(), "no HTTP after the upgrade: {:?}", s.out);
}

#[test]
fn upgrade_waits_for_the_in_flight_post_too() {
    let mut s = Sim::connected_root(upgrading(), SocketConfig::default());
    let (get, probe) = polling_with_probe(&mut s);
    s.emit("/", "first", &[], EmitOptions::default());
    let (post, body) = s.post();
    assert_eq!(body, r#"42["first"]"#);
    s.ws_message(probe, "3probe");
    s.emit("/", "second", &[], EmitOptions::default());
    s.reply(get, "6");
    assert!(s.out.is_empty(), "the POST is still in flight: {:?}", s.out);
    s.reply(post, "ok");
    assert_eq!(s.ws_send(), (probe, "5".to_owned()));
    assert_eq!(s.ws_send(), (probe, r#"42["second"]"#.to_owned()));
    assert!(s.out.is_empty());
}

#[test]
fn probe_closed_before_its_answer_keeps_polling() {
    let mut s = Sim::connected_root(upgrading(), SocketConfig::default());
    let (get, probe) = polling_with_probe(&mut s);
    s.ws_closed(probe, Some("refused"));
    assert_eq!(s.take_out(), [Tx::WsClose { id: probe }]);
    // Polling goes on as if nothing happened.
    s.emit("/", "a", &[], EmitOptions::default());
    let (post, body) = s.post();
    assert_eq!(body, r#"42["a"]"#);
    s.reply(post, "ok");
    s.reply(get, "2");
    let (_, body) = s.post();
    assert_eq!(body, "3");
    let _get = s.get();
    assert!(s.m.is_connected("/"));
    assert_eq!(s.m.transport(), Some(TransportKind::Polling));
    assert!(!s.events().contains(&Event::Upgraded));
}

#[test]
fn wrong_probe_answer_closes_the_probe_and_keeps_polling() {
    let mut s = Sim::connected_root(upgrading(), SocketConfig::default());
    let (get, probe) = polling_with_probe(&mut s);
    s.ws_message(probe, "3nope");
    assert_eq!(s.take_out(), [Tx::WsClose { id: probe }]);
    s.reply(get, r#"42["x"]"#);
    let _get = s.get();
    s.emit("/", "a", &[], EmitOptions::default());
    assert_eq!(s.post().1, r#"42["a"]"#);
    assert_eq!(s.m.transport(), Some(TransportKind::Polling));
}

#[test]
fn probe_lost_while_pausing_resumes_polling_and_flushes_held_writes() {
    let mut s = Sim::connected_root(upgrading(), SocketConfig::default());
    let (get, probe) = polling_with_probe(&mut s);
    s.ws_message(probe, "3probe");
    s.emit("/", "held", &[], EmitOptions::default());
    assert!(s.out.is_empty());
    s.ws_closed(probe, None);
    // The held write goes over polling; the in-flight GET is followed by a new one.
    assert_eq!(s.take_out().len(), 2, "WsClose then the POST");
    s.reply(get, "6");
    let _get = s.get();
    assert!(s.m.is_connected("/"));
    assert_eq!(s.m.transport(), Some(TransportKind::Polling));
}

#[test]
fn websocket_only_transport_never_polls() {
    let mut c = upgrading();
    c.engine.transports = vec![TransportKind::WebSocket];
    let mut s = Sim::connected_root(c, SocketConfig::default());
    let (ws, query) = s.ws_open();
    assert_eq!(query, "EIO=4&transport=websocket");
    s.ws_opened(ws);
    assert!(s.out.is_empty());
    s.ws_message(ws, &hs_ws());
    assert_eq!(s.ws_send(), (ws, "40".to_owned()));
    s.ws_message(ws, r#"40{"sid":"s1"}"#);
    assert!(s.m.is_connected("/"));
    assert_eq!(s.m.transport(), Some(TransportKind::WebSocket));
    assert!(s.out.is_empty());
}

#[test]
fn upgrade_disabled_stays_on_polling() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.get();
    s.reply(get, HS);
    assert!(s.take_out().iter().all(|t| matches!(t, Tx::Http { .. })));
}

/// Upgrades the first connection, then loses it; returns the sim at the reconnection attempt.
fn upgraded_then_lost(config: ManagerConfig) -> (Sim, IoId) {
    let mut s = Sim::connected_root(config, SocketConfig::default());
    let (get, probe) = polling_with_probe(&mut s);
    s.ws_message(probe, "3probe");
    s.reply(get, "6");
    assert_eq!(s.ws_send(), (probe, "5".to_owned()));
    s.ws_closed(probe, None);
    s.take_out();
    assert_eq!(s.run_until_output(60_000), 1000);
    (s, probe)
}

#[test]
fn remember_upgrade_reconnects_straight_over_websocket() {
    let mut c = upgrading();
    c.engine.remember_upgrade = true;
    let (mut s, _) = upgraded_then_lost(c);
    let (ws, query) = s.ws_open();
    assert_eq!(query, "EIO=4&transport=websocket");
    s.ws_opened(ws);
    s.ws_message(ws, &hs_ws());
    assert_eq!(s.ws_send(), (ws, "40".to_owned()));
}

#[test]
fn without_remember_upgrade_reconnects_over_polling() {
    let (mut s, _) = upgraded_then_lost(upgrading());
    let (_, query, _) = s.http(HttpMethod::Get);
    assert_eq!(query, "EIO=4&transport=polling");
}

#[test]
fn remember_upgrade_falls_back_to_polling_after_a_websocket_error() {
    // engine.io-client clears priorWebsocketSuccess on every transport error: a WebSocket
    // that fails once is not tried first again.
    let mut c = upgrading();
    c.engine.remember_upgrade = true;
    let (mut s, _) = upgraded_then_lost(c);
    let (ws, _) = s.ws_open();
    s.ws_closed(ws, Some("blocked by proxy"));
    s.take_out();
    assert_eq!(s.run_until_output(60_000), 3000);
    let (_, query, _) = s.http(HttpMethod::Get);
    assert_eq!(query, "EIO=4&transport=polling");
}
