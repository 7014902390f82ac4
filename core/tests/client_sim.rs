//! Simulation tests of the sans-IO client (`engine::client::Client` under
//! `socket::client::Manager`) in virtual time: the test plays the server, answering each HTTP
//! request and WebSocket by hand, and moves the clock itself. Covers the reconnection backoff
//! schedule, the polling → WebSocket upgrade sequence, the offline buffers, acks and retries,
//! the heartbeat, POST batching and the disconnect reasons, against the behaviour of
//! `socket.io-client` 4.8 / `engine.io-client` 6.6.

mod support_client;

use support_client::*;

fn nsp(s: &str) -> Str {
    Str::from(s.to_owned())
}

fn connect_error(why: &str) -> Event {
    Event::ConnectError {
        nsp: nsp("/"),
        message: why.to_owned(),
        data: None,
    }
}

const REFUSED: &str = "xhr poll error (ECONNREFUSED)";

// ----- backoff schedule

/// Fails every connection attempt; returns the virtual times of the attempts (the GETs) after
/// the first, and every event.
fn unreachable_schedule(config: ManagerConfig, attempts: usize) -> (Vec<u64>, Vec<Event>) {
    let mut s = Sim::connected_root(config, SocketConfig::default());
    let get = s.get();
    s.fail(get);
    let mut times = Vec::new();
    for _ in 0..attempts {
        let at = s.run_until_output(60_000);
        times.push(at);
        let get = s.get();
        s.fail(get);
    }
    (times, s.events())
}

#[test]
fn reconnect_attempts_double_from_one_second_up_to_five_without_jitter() {
    let (times, events) = unreachable_schedule(config(), 5);
    let gaps: Vec<u64> = std::iter::once(times[0])
        .chain(times.windows(2).map(|w| w[1] - w[0]))
        .collect();
    assert_eq!(gaps, [1000, 2000, 4000, 5000, 5000]);
    // The first failure is a connection error, each later one a reconnection error, in the
    // reference's order.
    let mut expected = vec![Event::Error(REFUSED.into()), connect_error(REFUSED)];
    for n in 1..=5 {
        expected.extend([
            Event::ReconnectAttempt(n),
            Event::Error(REFUSED.into()),
            connect_error(REFUSED),
            Event::ReconnectError(REFUSED.into()),
        ]);
    }
    assert_eq!(events, expected);
}

#[test]
fn reconnect_delays_stay_in_the_jitter_band_and_follow_the_seed() {
    let jittered = |seed| {
        let config = ManagerConfig {
            randomization_factor: 0.5,
            seed,
            ..config()
        };
        let (times, _) = unreachable_schedule(config, 6);
        std::iter::once(times[0])
            .chain(times.windows(2).map(|w| w[1] - w[0]))
            .collect::<Vec<u64>>()
    };
    let a = jittered(1);
    for (n, gap) in a.iter().enumerate() {
        let base = 1000u64 << n;
        let (lo, hi) = (base / 2, (base * 3 / 2).min(5000));
        assert!((lo.min(5000)..=hi).contains(gap), "attempt {n}: {gap} ms");
    }
    // Seeded: the same seed gives the same schedule, another seed another one.
    assert_eq!(jittered(1), a);
    assert_ne!(jittered(2), a);
}

#[test]
fn reconnection_gives_up_after_the_configured_attempts() {
    let config = ManagerConfig {
        reconnection_attempts: 3,
        ..config()
    };
    let mut s = Sim::connected_root(config, SocketConfig::default());
    let get = s.get();
    s.fail(get);
    for at in [1000, 3000, 7000] {
        assert_eq!(s.run_until_output(60_000), at);
        let get = s.get();
        s.fail(get);
    }
    let events = s.events();
    // As the reference: reconnect() reports the failure before the attempt's own error.
    assert_eq!(
        events[events.len() - 2..],
        [
            Event::ReconnectFailed,
            Event::ReconnectError(REFUSED.into())
        ]
    );
    let attempts: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, Event::ReconnectAttempt(_)))
        .collect();
    assert_eq!(attempts.len(), 3);
    assert!(!s.m.is_reconnecting());
    assert_eq!(s.m.poll_timeout(), None, "no further attempt is scheduled");
    s.advance_to(600_000);
    assert!(s.out.is_empty());
}

#[test]
fn successful_reconnect_reports_the_attempts_resets_backoff_and_reconnects_sockets() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.handshake_and_connect();
    s.events();
    // The server goes away: the parked GET breaks.
    s.fail(get);
    assert_eq!(
        s.events(),
        [
            Event::Error(REFUSED.into()),
            Event::Close(DisconnectReason::TransportError),
            disconnect("/", DisconnectReason::TransportError)
        ]
    );
    assert_eq!(s.run_until_output(60_000), 1000);
    let get = s.get();
    s.fail(get);
    assert_eq!(s.run_until_output(60_000), 3000);
    s.events();
    // Attempt 2 reaches the server: the socket sends CONNECT again.
    let get = s.get();
    s.reply(get, HS_NO_UPGRADE);
    assert_eq!(s.events(), [Event::Open, Event::Reconnect(2)]);
    let _get = s.get();
    let (post, body) = s.post();
    assert_eq!(body, "40");
    s.reply(post, "ok");
    // The backoff starts over: the next loss waits 1 s again.
    s.fail(_get);
    s.events();
    assert_eq!(s.run_until_output(60_000), 4000);
    assert_eq!(s.events(), [Event::ReconnectAttempt(1)]);
}

// ----- upgrade sequence

fn upgrading() -> ManagerConfig {
    let mut c = config();
    c.engine.upgrade = true;
    c
}

fn hs_ws() -> String {
    r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        .to_owned()
}

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

// ----- offline buffer, acks, retries, recovery

fn ack() -> EmitOptions {
    EmitOptions {
        ack: true,
        ..EmitOptions::default()
    }
}

fn ack_within(ms: u64) -> EmitOptions {
    EmitOptions {
        ack: true,
        timeout: Some(Duration::from_millis(ms)),
        ..EmitOptions::default()
    }
}

fn volatile() -> EmitOptions {
    EmitOptions {
        volatile: true,
        ..EmitOptions::default()
    }
}

fn acked(h: AckHandle, result: Result<Payload, AckFailure>) -> Event {
    Event::Ack {
        nsp: nsp("/"),
        handle: h,
        result,
    }
}

#[test]
fn emits_before_the_connect_reply_go_out_after_it_in_order_and_volatile_ones_are_dropped() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    s.emit("/", "a", &[], EmitOptions::default());
    s.emit("/", "gone", &[], volatile());
    s.emit("/", "b", &[], EmitOptions::default());
    assert_eq!(s.m.buffered("/"), 2);
    let get = s.get();
    assert!(s.out.is_empty());
    s.reply(get, HS_NO_UPGRADE);
    let get = s.get();
    // Only the CONNECT until the server answers it.
    let (post, body) = s.post();
    assert_eq!(body, "40");
    s.reply(post, "ok");
    assert!(s.out.is_empty());
    s.reply(get, r#"40{"sid":"s1"}"#);
    let _get = s.get();
    let (post, body) = s.post();
    assert_eq!(body, r#"42["a"]"#);
    s.reply(post, "ok");
    assert_eq!(s.post().1, r#"42["b"]"#);
    assert_eq!(s.m.buffered("/"), 0);
}

#[test]
fn emits_while_reconnecting_wait_for_the_new_connect() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.handshake_and_connect();
    s.reply(get, "1");
    assert!(!s.m.is_connected("/"));
    s.take_out();
    s.emit("/", "x", &[1.into()], EmitOptions::default());
    s.emit("/", "lost", &[], volatile());
    s.emit("/", "y", &[2.into()], EmitOptions::default());
    assert!(s.out.is_empty());
    assert_eq!(s.run_until_output(60_000), 1000);
    s.handshake_and_connect_posting(&[r#"42["x",1]"#, r#"42["y",2]"#]);
}

#[test]
fn ack_timeout_fires_at_its_virtual_time() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let _get = s.handshake_and_connect();
    s.advance_to(100);
    s.events();
    let h = s.emit("/", "q", &[], ack_within(2500)).unwrap();
    let (post, body) = s.post();
    assert_eq!(body, r#"420["q"]"#);
    s.reply(post, "ok");
    s.advance_to(2599);
    assert!(s.events().is_empty());
    s.advance_to(2600);
    assert_eq!(s.events(), [acked(h, Err(AckFailure::Timeout))]);
    // A late ack is ignored.
    s.reply(_get, "430[]");
    assert!(s.events().is_empty());
}

#[test]
fn socket_ack_timeout_applies_to_buffered_emits_which_are_then_never_sent() {
    let socket = SocketConfig {
        ack_timeout: Some(Duration::from_millis(500)),
        ..SocketConfig::default()
    };
    let mut s = Sim::connected_root(config(), socket);
    let h = s.emit("/", "q", &[], ack()).unwrap();
    s.advance_to(499);
    assert!(s.events().is_empty());
    s.advance_to(500);
    assert_eq!(s.events(), [acked(h, Err(AckFailure::Timeout))]);
    assert_eq!(s.m.buffered("/"), 0);
    s.handshake_and_connect();
}

#[test]
fn acks_pending_on_disconnect_fail_but_buffered_ones_wait() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.handshake_and_connect();
    let sent = s.emit("/", "sent", &[], ack()).unwrap();
    let (post, _) = s.post();
    s.reply(post, "ok");
    s.events();
    s.reply(get, "1");
    assert_eq!(
        s.events(),
        [
            Event::Close(DisconnectReason::TransportClose),
            disconnect("/", DisconnectReason::TransportClose),
            acked(sent, Err(AckFailure::Disconnected)),
        ]
    );
    // An emit made while disconnected keeps its ack across a second loss before CONNECT.
    let waiting = s.emit("/", "waiting", &[], ack()).unwrap();
    s.take_out();
    assert_eq!(s.run_until_output(60_000), 1000);
    let get = s.get();
    s.reply(get, HS_NO_UPGRADE);
    let get = s.get();
    s.take_out();
    s.reply(get, "1");
    assert!(!s.events().iter().any(|e| matches!(e, Event::Ack { .. })));
    s.take_out();
    s.run_until_output(60_000);
    s.handshake_and_connect_posting(&[r#"421["waiting"]"#]);
    s.reply(s.last_get(), r#"431["ok"]"#);
    assert_eq!(
        s.events().last(),
        Some(&acked(waiting, Ok(Payload::ack(&("ok",)).unwrap())))
    );
}

#[test]
fn retries_resend_one_event_at_a_time_until_acked_or_out_of_tries() {
    let socket = SocketConfig {
        ack_timeout: Some(Duration::from_millis(1000)),
        retries: 2,
        ..SocketConfig::default()
    };
    let mut s = Sim::connected_root(config(), socket);
    let get = s.handshake_and_connect();
    s.events();
    let first = s.emit("/", "first", &[], ack()).unwrap();
    let second = s.emit("/", "second", &[], ack()).unwrap();
    // One in flight: only `first` goes out, with an ack id.
    let (post, body) = s.post();
    assert_eq!(body, r#"420["first"]"#);
    s.reply(post, "ok");
    assert!(s.out.is_empty());
    // Each ack timeout sends it again, with a new id, up to 1 + retries tries.
    assert_eq!(s.run_until_output(10_000), 1000);
    let (post, body) = s.post();
    assert_eq!(body, r#"421["first"]"#);
    s.reply(post, "ok");
    assert_eq!(s.run_until_output(10_000), 2000);
    let (post, body) = s.post();
    assert_eq!(body, r#"422["first"]"#);
    s.reply(post, "ok");
    assert!(s.events().is_empty());
    // The third timeout fails it; the next event goes out.
    assert_eq!(s.run_until_output(10_000), 3000);
    assert_eq!(s.events(), [acked(first, Err(AckFailure::Timeout))]);
    let (post, body) = s.post();
    assert_eq!(body, r#"423["second"]"#);
    s.reply(post, "ok");
    s.reply(get, r#"433["fine"]"#);
    assert_eq!(
        s.events(),
        [acked(second, Ok(Payload::ack(&("fine",)).unwrap()))]
    );
    assert_eq!(s.m.buffered("/"), 0);
}

#[test]
fn retry_queue_numbers_acks_like_the_reference() {
    // socket.io-client takes an ack id only when it sends: the queue waiting does not use ids.
    let socket = SocketConfig {
        retries: 1,
        ..SocketConfig::default()
    };
    let mut s = Sim::connected_root(config(), socket);
    let get = s.handshake_and_connect();
    s.emit("/", "a", &[], EmitOptions::default());
    s.emit("/", "b", &[], EmitOptions::default());
    s.emit("/", "c", &[], EmitOptions::default());
    let (post, body) = s.post();
    assert_eq!(body, r#"420["a"]"#);
    s.reply(post, "ok");
    s.reply(get, "430[]");
    let get = s.get();
    let (post, body) = s.post();
    assert_eq!(body, r#"421["b"]"#);
    s.reply(post, "ok");
    s.reply(get, "431[]");
    let _get = s.get();
    assert_eq!(s.post().1, r#"422["c"]"#);
}

#[test]
fn recovery_replay_before_the_connect_reply_is_delivered_after_it_and_marked_recovered() {
    let socket = SocketConfig {
        auth: Auth::Static(serde_json::from_str(r#"{"token":"t"}"#).unwrap()),
        ..SocketConfig::default()
    };
    let mut s = Sim::connected_root(config(), socket);
    let get = s.get();
    s.reply(get, HS_NO_UPGRADE);
    let get = s.get();
    let (post, body) = s.post();
    // No pid yet: the auth alone.
    assert_eq!(body, r#"40{"token":"t"}"#);
    s.reply(post, "ok");
    s.reply(get, r#"40{"sid":"s1","pid":"p1"}"#);
    let get = s.get();
    s.reply(get, "42[\"news\",1,\"o1\"]\u{1e}42[\"news\",2,\"o2\"]");
    s.events();
    let get = s.get();
    s.reply(get, "1");
    s.take_out();
    assert_eq!(s.run_until_output(60_000), 1000);
    let get = s.get();
    s.reply(get, HS_NO_UPGRADE);
    let get = s.get();
    let (post, body) = s.post();
    // The pid and the last offset, merged with the auth.
    assert_eq!(body, r#"40{"pid":"p1","offset":"o2","token":"t"}"#);
    s.reply(post, "ok");
    s.events();
    // The server replays what was missed before its CONNECT reply.
    s.reply(
        get,
        "42[\"news\",3,\"o3\"]\u{1e}40{\"sid\":\"s1\",\"pid\":\"p1\"}",
    );
    let events = s.events();
    let [Event::Message { event, .. }, Event::Connect { sid, recovered, .. }] = &events[..] else {
        panic!("{events:?}");
    };
    assert_eq!(event.payload().json().as_str(), r#"["news",3,"o3"]"#);
    assert_eq!(sid.as_str(), "s1");
    assert!(*recovered);
    assert!(s.m.recovered("/"));
    // Another pid: a new session, not recovered; the offset is the replayed one.
    let get = s.get();
    s.reply(get, "1");
    s.take_out();
    s.run_until_output(60_000);
    let get = s.get();
    s.reply(get, HS_NO_UPGRADE);
    let get = s.get();
    assert_eq!(s.post().1, r#"40{"pid":"p1","offset":"o3","token":"t"}"#);
    s.reply(get, r#"40{"sid":"s2","pid":"p2"}"#);
    assert!(s.events().iter().any(|e| matches!(
        e,
        Event::Connect {
            recovered: false,
            ..
        }
    )));
}

#[test]
fn recovery_connect_without_a_received_event_omits_the_offset() {
    // socket.io-client writes `{pid, offset: undefined}`: JSON drops the undefined offset.
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.get();
    s.reply(get, HS_NO_UPGRADE);
    let get = s.get();
    s.take_out();
    s.reply(get, r#"40{"sid":"s1","pid":"p1"}"#);
    let get = s.get();
    s.reply(get, "1");
    s.take_out();
    s.run_until_output(60_000);
    let get = s.get();
    s.reply(get, HS_NO_UPGRADE);
    let _get = s.get();
    assert_eq!(s.post().1, r#"40{"pid":"p1"}"#);
}

#[test]
fn an_event_asking_for_an_ack_does_not_move_the_recovery_offset() {
    // The server adds offsets only to events without an ack id; in socket.io-client the last
    // argument of such an event is the ack callback, so its string arguments are never taken
    // for an offset.
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let get = s.get();
    s.reply(get, HS_NO_UPGRADE);
    let get = s.get();
    s.take_out();
    s.reply(get, r#"40{"sid":"s1","pid":"p1"}"#);
    let get = s.get();
    s.reply(
        get,
        "42[\"news\",\"o1\"]\u{1e}427[\"ask\",\"just a string\"]",
    );
    let get = s.get();
    s.reply(get, "1");
    s.take_out();
    s.run_until_output(60_000);
    let get = s.get();
    s.reply(get, HS_NO_UPGRADE);
    let _get = s.get();
    assert_eq!(s.post().1, r#"40{"pid":"p1","offset":"o1"}"#);
}

#[test]
fn volatile_emit_is_dropped_while_a_post_is_in_flight() {
    let mut s = Sim::connected_root(config(), SocketConfig::default());
    let _get = s.handshake_and_connect();
    s.emit("/", "a", &[], EmitOptions::default());
    let (post, _) = s.post();
    s.emit("/", "gone", &[], volatile());
    s.emit("/", "b", &[], EmitOptions::default());
    s.reply(post, "ok");
    let (post, body) = s.post();
    assert_eq!(body, r#"42["b"]"#);
    s.reply(post, "ok");
    // Writable again: a volatile emit goes out.
    s.emit("/", "v", &[], volatile());
    assert_eq!(s.post().1, r#"42["v"]"#);
}

// ----- heartbeat

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

// ----- both sides real: the client against the sans-IO server

mod end_to_end {
    use super::support_client::pair::Pair;
    use super::*;
    use sio_core::socket::server::{
        DisconnectReason as ServerReason, RecoveryConfig, SocketEvent, SocketServerConfig,
    };

    fn server_config() -> SocketServerConfig {
        SocketServerConfig {
            id_seed: [3; 32],
            ..SocketServerConfig::default()
        }
    }

    fn connected(client: ManagerConfig, server: SocketServerConfig) -> Pair {
        let mut p = Pair::new(client, server);
        p.client.socket("/", SocketConfig::default());
        p.client.connect(p.now, "/");
        p.step();
        assert!(p.client.is_connected("/"));
        p
    }

    #[test]
    fn upgrades_to_websocket_and_survives_minutes_of_heartbeats() {
        let mut p = connected(upgrading(), server_config());
        assert_eq!(p.client.transport(), Some(TransportKind::WebSocket));
        let sid = p.client.engine_id().unwrap().clone();
        assert_eq!(p.engine.transport_of(&sid), Some(TransportKind::WebSocket));
        assert!(p.client_events.contains(&Event::Upgraded));
        let socket = p.server_socket();
        for i in 0..5 {
            p.emit("up", &[i.into()]);
            p.sio.emit(&socket, ev("down", &[i.into()])).unwrap();
        }
        p.step();
        let expected =
            |name: &str| -> Vec<String> { (0..5).map(|i| format!(r#"["{name}",{i}]"#)).collect() };
        assert_eq!(p.server_received(), expected("up"));
        assert_eq!(p.client_received(), expected("down"));
        // Ten minutes of pings and pongs: nobody times out.
        p.advance(Duration::from_secs(600));
        assert!(p.client.is_connected("/"));
        assert!(p.sio.is_connected(&socket));
        let pings = p
            .client_events
            .iter()
            .filter(|e| **e == Event::Ping)
            .count();
        assert_eq!(pings, 24, "one every 25 s");
    }

    #[test]
    fn polling_only_session_works_both_ways() {
        let mut p = connected(config(), server_config());
        assert_eq!(p.client.transport(), Some(TransportKind::Polling));
        let socket = p.server_socket();
        p.emit("up", &[1.into()]);
        p.sio.emit(&socket, ev("down", &[2.into()])).unwrap();
        p.step();
        assert_eq!(p.server_received(), [r#"["up",1]"#]);
        assert_eq!(p.client_received(), [r#"["down",2]"#]);
        p.advance(Duration::from_secs(120));
        assert!(p.client.is_connected("/") && p.sio.is_connected(&socket));
    }

    #[test]
    fn client_disconnect_over_polling_reaches_the_server_and_ends_the_session() {
        let mut p = connected(config(), server_config());
        let socket = p.server_socket();
        // A POST is in flight (the driver has not delivered it yet) when the app disconnects.
        p.client
            .emit(p.now, "/", ev("bye", &[]), EmitOptions::default())
            .unwrap();
        let post = p.client.poll_transmit().unwrap();
        p.client.disconnect(p.now, "/");
        // Now the network delivers the POST and everything after it.
        p.client_to_server(post);
        p.step();
        assert!(!p.sio.is_connected(&socket));
        assert!(p.server_events.iter().any(|e| matches!(
            e,
            SocketEvent::Disconnected {
                reason: ServerReason::ClientNamespaceDisconnect,
                ..
            }
        )));
        assert_eq!(p.engine.session_count(), 0, "the client's `1` closed it");
    }

    #[test]
    fn connection_state_recovery_replays_what_was_missed_during_an_outage() {
        let server = SocketServerConfig {
            recovery: Some(RecoveryConfig::default()),
            ..server_config()
        };
        let mut p = connected(upgrading(), server);
        let socket = p.server_socket();
        p.sio.emit(&socket, ev("before", &[])).unwrap();
        p.step();
        assert_eq!(p.client_received().len(), 1);
        // The network goes down; the server goes on emitting into the void.
        p.advance(Duration::from_secs(1));
        p.link_up = false;
        p.sio.emit(&socket, ev("missed", &[1.into()])).unwrap();
        p.sio.emit(&socket, ev("missed", &[2.into()])).unwrap();
        p.step();
        p.client_events.clear();
        // Both sides notice at 45 s (the last ping was the handshake's; the server's ping at
        // 25 s is lost), the client backs off 1 s; the link is back by then.
        p.advance_to(45_000);
        assert!(!p.client.is_connected("/"));
        assert!(!p.sio.is_connected(&socket));
        p.advance_to(45_500);
        p.link_up = true;
        p.advance_to(46_000);
        assert!(p.client.is_connected("/"));
        assert!(p.client.recovered("/"));
        assert_eq!(
            p.client.socket_id("/").map(|s| s.to_string()),
            Some(socket.to_string())
        );
        let got = p.client_received();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with(r#"["missed",1,"#) && got[1].starts_with(r#"["missed",2,"#));
        assert!(p.client_events.iter().any(|e| matches!(
            e,
            Event::Connect {
                recovered: true,
                ..
            }
        )));
    }
}
