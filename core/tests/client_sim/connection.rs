//! Heartbeat, POST batching, disconnect reasons, namespaces, connection timeout.

use super::*;

#[test]
fn ping_missing_for_interval_plus_timeout_disconnects_then_reconnects() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let _get = s.handshake_and_connect();
    s.events();
    s.advance_to(44_999);
    assert!(s.events().is_empty());
    assert!(s.out.is_empty());
    s.advance_to(45_000);
    assert_eq!(
        s.events(),
        [
            Event::Close(DisconnectReason::PingTimeout),
            disconnect("/", DisconnectReason::PingTimeout),
        ]
    );
    // The polling transport tells the server with a `1`, as the reference does.
    assert_eq!(s.post().1, "1");
    assert_eq!(s.run_until_output(60_000), 46_000);
    assert_eq!(s.events(), [Event::ReconnectAttempt(1)]);
    let (_, query, _) = s.http(HttpMethod::Get);
    assert_eq!(query, "EIO=4&transport=polling");
}

#[test]
fn ping_is_answered_with_a_pong_post_and_pushes_the_watchdog_back() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.handshake_and_connect();
    s.advance_to(25_000);
    s.reply(get, "2");
    assert_eq!(s.post().1, "3");
    let _get = s.get();
    assert_eq!(s.events().last(), Some(&Event::Ping));
    s.advance_to(69_999);
    assert!(s.m.is_connected("/"));
    s.advance_to(70_000);
    assert!(!s.m.is_connected("/"));
    assert_eq!(
        s.events()[..2],
        [
            Event::Close(DisconnectReason::PingTimeout),
            disconnect("/", DisconnectReason::PingTimeout),
        ]
    );
}

#[test]
fn ping_over_websocket_is_answered_on_it() {
    let mut c = config();
    c.engine.transports = vec![TransportKind::WebSocket];
    let mut s = Sim::connected_root(c, SocketConfig::default());
    let (ws, _) = s.ws_open();
    s.ws_opened(ws);
    s.ws_message(ws, &hs_ws());
    s.take_out();
    s.advance_to(40_000);
    s.ws_message(ws, "2");
    assert_eq!(s.ws_send(), (ws, "3".to_owned()));
    s.advance_to(84_999);
    assert!(s.m.is_open());
    s.advance_to(85_000);
    assert!(!s.m.is_open());
    assert_eq!(s.take_out(), [Tx::WsClose { id: ws }]);
}

// ----- POST batching

#[test]
fn emits_made_while_a_post_is_in_flight_go_out_in_one_payload() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let _get = s.handshake_and_connect();
    s.emit("/", "a", &[], EmitOptions::default());
    let (post, _) = s.post();
    for name in ["b", "c", "d"] {
        s.emit("/", name, &[], EmitOptions::default());
    }
    assert!(s.out.is_empty(), "one POST at a time");
    s.reply(post, "ok");
    let (post, body) = s.post();
    assert_eq!(body, "42[\"b\"]\u{1e}42[\"c\"]\u{1e}42[\"d\"]");
    s.reply(post, "ok");
    assert!(s.out.is_empty());
}

#[test]
fn batches_are_split_at_the_servers_max_payload() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.get();
    // Each packet below is 19 bytes of data: two fit in 45 (1 + 19 + 2 + 19), three do not.
    s.reply(
        get,
        r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":45}"#,
    );
    let get = s.get();
    // The CONNECT's POST stays in flight while the socket connects and emits.
    let (post, _) = s.post();
    s.reply(get, r#"40{"sid":"s1"}"#);
    let _get = s.get();
    for i in 0..5 {
        s.emit(
            "/",
            "m",
            &[format!("xxxxxxxxx{i}").into()],
            EmitOptions::default(),
        );
    }
    let mut bodies = Vec::new();
    s.reply(post, "ok");
    while let Some(Tx::Http { id, body, .. }) = s.out.pop() {
        bodies.push(String::from_utf8(body.to_vec()).unwrap());
        s.reply(id, "ok");
    }
    let counts: Vec<usize> = bodies.iter().map(|b| b.split('\u{1e}').count()).collect();
    assert_eq!(counts, [2, 2, 1], "{bodies:?}");
    assert!(bodies.concat().contains("xxxxxxxxx4"));
    // Order is kept across the POSTs.
    let all: Vec<&str> = bodies.iter().flat_map(|b| b.split('\u{1e}')).collect();
    let expected: Vec<String> = (0..5)
        .map(|i| format!(r#"42["m","xxxxxxxxx{i}"]"#))
        .collect();
    assert_eq!(all, expected);
}

// ----- disconnect reasons

#[test]
fn server_disconnect_is_final() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.handshake_and_connect();
    s.events();
    s.reply(get, "41");
    // (The engine polls again before the manager handles the packet, as the reference.)
    let _get = s.get();
    assert_eq!(
        s.events(),
        [
            Event::Close(DisconnectReason::ForcedClose),
            disconnect("/", DisconnectReason::IoServerDisconnect),
        ]
    );
    assert!(!s.m.is_active("/"));
    // The manager closes its now unused connection and does not come back.
    assert_eq!(s.post().1, "1");
    assert_eq!(s.m.poll_timeout(), None);
    s.advance_to(600_000);
    assert!(s.out.is_empty());
}

#[test]
fn client_disconnect_sends_41_and_closes() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let _get = s.handshake_and_connect();
    s.events();
    s.m.disconnect(s.now, "/");
    s.drain();
    assert_eq!(
        s.events(),
        [
            Event::Close(DisconnectReason::ForcedClose),
            disconnect("/", DisconnectReason::IoClientDisconnect),
        ]
    );
    let (post, body) = s.post();
    assert_eq!(body, "41");
    s.reply(post, "ok");
    // Then the Engine.IO session is closed for the server too.
    assert_eq!(s.post().1, "1");
    assert_eq!(s.m.poll_timeout(), None);
}

#[test]
fn client_disconnect_behind_an_in_flight_post_is_still_sent() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let _get = s.handshake_and_connect();
    s.emit("/", "last", &[], EmitOptions::default());
    let (post, _) = s.post();
    s.m.disconnect(s.now, "/");
    s.drain();
    assert!(s.out.is_empty());
    s.reply(post, "ok");
    let (post, body) = s.post();
    assert_eq!(body, "41");
    s.reply(post, "ok");
    assert_eq!(s.post().1, "1");
}

#[test]
fn transport_close_disconnects_and_reconnects() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.handshake_and_connect();
    s.events();
    s.reply(get, "1");
    assert_eq!(
        s.events(),
        [
            Event::Close(DisconnectReason::TransportClose),
            disconnect("/", DisconnectReason::TransportClose),
        ]
    );
    assert!(s.m.is_active("/"));
    assert_eq!(s.run_until_output(60_000), 1000);
    s.handshake_and_connect();
}

#[test]
fn websocket_closed_by_the_server_is_a_transport_close() {
    let mut c = config();
    c.engine.transports = vec![TransportKind::WebSocket];
    let mut s = Sim::connected_root(c, SocketConfig::default());
    let (ws, _) = s.ws_open();
    s.ws_opened(ws);
    s.ws_message(ws, &hs_ws());
    s.ws_message(ws, r#"40{"sid":"s1"}"#);
    s.events();
    s.ws_closed(ws, None);
    assert_eq!(
        s.events(),
        [
            Event::Close(DisconnectReason::TransportClose),
            disconnect("/", DisconnectReason::TransportClose),
        ]
    );
    s.take_out();
    assert_eq!(s.run_until_output(60_000), 1000);
    assert!(matches!(s.next(), Tx::WsOpen { .. }));
}

#[test]
fn garbage_socket_io_packet_is_a_parse_error_and_reconnects() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.handshake_and_connect();
    s.events();
    s.reply(get, "4garbage");
    let _get = s.get();
    assert_eq!(
        s.events(),
        [
            Event::Close(DisconnectReason::ParseError),
            disconnect("/", DisconnectReason::ParseError),
        ]
    );
    assert_eq!(s.post().1, "1");
    assert_eq!(s.run_until_output(60_000), 1000);
    s.handshake_and_connect();
}

#[test]
fn namespaces_share_one_connection_and_each_sends_connect() {
    let mut s = Sim::new(config());
    s.m.socket("/", SocketConfig::default());
    s.m.socket("/admin", SocketConfig::default());
    s.m.connect(s.now, "/");
    s.m.connect(s.now, "/admin");
    s.drain();
    let get = s.get();
    assert!(s.out.is_empty(), "one connection: {:?}", s.out);
    s.reply(get, HS_NO_UPGRADE);
    let get = s.get();
    let (post, body) = s.post();
    assert_eq!(body, "40");
    s.reply(post, "ok");
    assert_eq!(s.post().1, "40/admin,");
    s.reply(get, "40/admin,{\"sid\":\"a1\"}\u{1e}40{\"sid\":\"s1\"}");
    assert!(s.m.is_connected("/") && s.m.is_connected("/admin"));
    // Leaving one namespace keeps the connection for the other.
    let _get = s.get();
    s.m.disconnect(s.now, "/admin");
    s.drain();
    assert!(s.m.is_open());
    assert_eq!(
        s.events().last(),
        Some(&disconnect("/admin", DisconnectReason::IoClientDisconnect))
    );
}

#[test]
fn connection_attempt_times_out_after_twenty_seconds_then_retries() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.get();
    s.advance_to(19_999);
    assert!(s.events().is_empty());
    s.advance_to(20_000);
    assert_eq!(
        s.events(),
        [Event::Error("timeout".into()), connect_error("timeout")]
    );
    // The late answer to the abandoned request changes nothing.
    s.reply(get, HS_NO_UPGRADE);
    assert!(s.events().is_empty() && s.out.is_empty());
    assert_eq!(s.run_until_output(60_000), 21_000);
    s.handshake_and_connect();
}

#[test]
fn emit_after_the_heartbeat_expired_is_buffered_for_the_next_connection() {
    // socket.io-client checks `engine._hasPingExpired()` in emit: a packet is not written to
    // a connection whose heartbeat is overdue (say the process was suspended and the timer
    // did not fire yet), it waits in the buffer while the connection closes.
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let _get = s.handshake_and_connect();
    s.events();
    s.now = s.t0 + Duration::from_millis(60_000);
    s.emit("/", "late", &[], EmitOptions::default());
    assert_eq!(
        s.events(),
        [
            Event::Close(DisconnectReason::PingTimeout),
            disconnect("/", DisconnectReason::PingTimeout),
        ]
    );
    assert_eq!(s.post().1, "1", "only the close, not the event");
    assert_eq!(s.m.buffered("/"), 1);
    assert_eq!(s.run_until_output(120_000), 61_000);
    s.handshake_and_connect_posting(&[r#"42["late"]"#]);
}

#[test]
fn binary_events_over_polling_are_base64_records_after_their_header() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.handshake_and_connect();
    let bytes = Value::Binary(Bytes::from_static(&[1, 2, 3]));
    s.emit("/", "bin", &[bytes], EmitOptions::default());
    // As the reference: the header is written (and flushed) first, the attachment follows
    // in the next POST.
    let (post, body) = s.post();
    assert_eq!(body, r#"451-["bin",{"_placeholder":true,"num":0}]"#);
    s.reply(post, "ok");
    assert_eq!(s.post().1, "bAQID");
    s.events();
    s.reply(
        get,
        "451-[\"back\",{\"_placeholder\":true,\"num\":0}]\u{1e}bBAU=",
    );
    let events = s.events();
    let [Event::Message { event, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(
        event.args().unwrap(),
        [Value::Binary(Bytes::from_static(&[4, 5]))]
    );
}
