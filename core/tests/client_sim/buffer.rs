//! The offline buffers, acks and their timeouts, retries, connection state recovery.

use super::*;

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
