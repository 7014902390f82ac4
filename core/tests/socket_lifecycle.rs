//! The Socket.IO server state machine, driven with Engine.IO-level inputs in virtual time:
//! leaving namespaces, connect timeouts, parse errors, disconnect reasons and connection state
//! recovery.

mod support;
use support::*;

#[test]
fn leaving_last_namespace_keeps_engine_session() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    h.text("E1", "1");
    assert!(h.out().is_empty(), "no reply, no close");
    assert_eq!(
        reasons(&h.events()),
        vec![
            (
                id.to_string(),
                "disconnecting",
                "client namespace disconnect"
            ),
            (
                id.to_string(),
                "disconnected",
                "client namespace disconnect"
            ),
        ]
    );
    assert_eq!(h.server.connection_count(), 1);
    assert!(!h.server.is_connected(&id));
    h.advance(Duration::from_secs(60));
    assert!(h.out().is_empty(), "the connect timeout is not re-armed");
    // The client can join again on the same session.
    h.text("E1", "0");
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::ConnectRequest { .. }]
    ));
}

#[test]
fn client_disconnect_of_one_namespace_keeps_the_others() {
    let mut h = Harness::new();
    h.server.add_namespace("/custom");
    let main = h.connect("E1", "/");
    h.text("E1", "0/custom,");
    let request = h.request();
    let custom = h.server.accept_connect(h.now, request).unwrap();
    h.commands();
    h.events();
    h.text("E1", "1/custom,");
    h.events();
    assert!(!h.server.is_connected(&custom));
    h.text("E1", r#"2["still"]"#);
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::Event { socket, .. }] if *socket == main
    ));
}

#[test]
fn connect_timeout_closes_idle_engine_connection() {
    let mut h = Harness::new();
    h.open("E1");
    let start = h.now;
    assert_eq!(
        h.server.poll_timeout(),
        Some(start + Duration::from_secs(45))
    );
    h.advance(Duration::from_millis(44_999));
    assert!(h.out().is_empty());
    h.advance(Duration::from_millis(1));
    assert_eq!(h.out(), vec![Out::Close("E1".into())]);
    assert_eq!(h.server.connection_count(), 0);
    assert_eq!(h.server.poll_timeout(), None);
}

#[test]
fn connect_timeout_spares_a_connection_that_joined() {
    let mut h = Harness::new();
    h.connect("E1", "/");
    assert_eq!(h.server.poll_timeout(), None);
    h.advance(Duration::from_secs(46));
    assert!(h.out().is_empty());
    assert_eq!(h.server.connection_count(), 1);
}

#[test]
fn parse_error_closes_connection_and_disconnects_its_sockets() {
    let mut h = Harness::new();
    h.server.add_namespace("/admin");
    let main = h.connect("E1", "/");
    h.text("E1", "0/admin,");
    let request = h.request();
    let admin = h.server.accept_connect(h.now, request).unwrap();
    h.commands();
    h.events();
    let other = h.connect("E2", "/");

    h.text("E1", "2{}"); // an EVENT whose payload is not an array (`42{}` on the wire)
    assert_eq!(h.out(), vec![Out::Close("E1".into())]);
    let mut got = reasons(&h.events());
    got.sort();
    let mut want = vec![
        (main.to_string(), "disconnecting", "forced close"),
        (main.to_string(), "disconnected", "forced close"),
        (admin.to_string(), "disconnecting", "forced close"),
        (admin.to_string(), "disconnected", "forced close"),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(h.server.connection_count(), 1);
    assert!(h.server.is_connected(&other));
    // The engine's later report of the close is harmless.
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::ForcedClose);
    assert!(h.events().is_empty());
}

#[test]
fn unexpected_binary_is_a_parse_error() {
    let mut h = Harness::new();
    h.connect("E1", "/");
    h.binary("E1", &[1]);
    assert_eq!(h.out(), vec![Out::Close("E1".into())]);
}

#[test]
fn disconnecting_sees_rooms_then_disconnected() {
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    h.server.join(&id, [Str::from("room")]).unwrap();
    h.server.disconnect(h.now, &id, false).unwrap();
    assert_eq!(h.wire(), vec!["41".to_owned()]);
    assert!(h.server.emit(&id, ev("too late")).is_err());

    let first = h.server.poll_event().unwrap();
    assert_eq!(
        first,
        SocketEvent::Disconnecting {
            socket: id.clone(),
            reason: DisconnectReason::ServerNamespaceDisconnect
        }
    );
    assert_eq!(
        h.server.rooms(&id).unwrap(),
        &[id.as_room().clone(), Str::from("room")]
    );
    assert_eq!(
        h.server.sockets_in("/", &[Str::from("room")]),
        vec![id.clone()]
    );

    let second = h.server.poll_event().unwrap();
    assert!(matches!(second, SocketEvent::Disconnected { .. }));
    assert_eq!(h.server.rooms(&id), None);
    assert!(h.server.sockets_in("/", &[Str::from("room")]).is_empty());
    assert_eq!(h.server.socket_count("/"), 0);
    assert_eq!(
        h.server.connection_count(),
        1,
        "the Engine.IO session stays"
    );
}

#[test]
fn disconnect_with_close_disconnects_every_namespace_then_closes() {
    let mut h = Harness::new();
    h.server.add_namespace("/admin");
    let main = h.connect("E1", "/");
    h.text("E1", "0/admin,");
    let request = h.request();
    let admin = h.server.accept_connect(h.now, request).unwrap();
    h.commands();
    h.events();
    h.server.disconnect(h.now, &main, true).unwrap();
    assert_eq!(
        h.wire(),
        vec![
            "41".to_owned(),
            "41/admin,".to_owned(),
            "close E1".to_owned()
        ]
    );
    let got = reasons(&h.events());
    assert_eq!(got.len(), 4);
    assert!(got
        .iter()
        .all(|(_, _, r)| *r == "server namespace disconnect"));
    assert!(got.iter().any(|(s, _, _)| *s == admin.to_string()));
    assert_eq!(h.server.connection_count(), 0);
}

#[test]
fn engine_close_reasons_reach_the_sockets() {
    for (reason, text) in [
        (CloseReason::TransportClose, "transport close"),
        (CloseReason::TransportError, "transport error"),
        (CloseReason::PingTimeout, "ping timeout"),
        (CloseReason::ParseError, "parse error"),
        (CloseReason::ForcedClose, "forced close"),
        (CloseReason::ServerShuttingDown, "server shutting down"),
    ] {
        let mut h = Harness::new();
        let id = h.connect("E1", "/");
        h.server.handle_engine_close(h.now, &sid("E1"), reason);
        assert!(h.out().is_empty());
        assert_eq!(
            reasons(&h.events()),
            vec![
                (id.to_string(), "disconnecting", text),
                (id.to_string(), "disconnected", text),
            ]
        );
        assert_eq!(h.server.connection_count(), 0);
    }
}

#[test]
fn pending_connect_is_forgotten_when_its_connection_closes() {
    let mut h = Harness::new();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::TransportClose);
    assert!(h.server.accept_connect(h.now, request).is_err());
    assert!(h.out().is_empty());
}

// ---- connection state recovery --------------------------------------------------------------

/// The `pid` of a CONNECT reply `40{"sid":…,"pid":…}`.
fn pid_of(reply: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&reply[2..]).unwrap();
    v["pid"].as_str().unwrap().to_owned()
}

#[test]
fn recovered_socket_gets_missed_events_before_connect_reply() {
    let mut h = Harness::recovering();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    let reply = h.wire().remove(0);
    let pid = pid_of(&reply);
    assert_eq!(reply, format!(r#"40{{"sid":"{id}","pid":"{pid}"}}"#));
    h.events();
    h.server.join(&id, [Str::from("room")]).unwrap();

    h.server.emit(&id, ev("hello")).unwrap();
    assert_eq!(h.wire(), vec![r#"42["hello","0"]"#.to_owned()]);
    h.server.emit_with_ack(h.now, &id, ev("q"), None).unwrap();
    h.server.emit_volatile(&id, ev("v")).unwrap();
    assert_eq!(
        h.wire(),
        vec![r#"420["q"]"#.to_owned(), r#"42["v"]"#.to_owned()],
        "acked and volatile emits carry no offset"
    );

    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::TransportClose);
    h.events();
    h.advance(Duration::from_secs(10));
    let other = Target::room("elsewhere");
    h.server
        .broadcast("/", &Target::room("room"), ev("missed"))
        .unwrap();
    h.server.broadcast("/", &other, ev("not for you")).unwrap();
    h.server.broadcast("/", &Target::all(), ev("all")).unwrap();

    h.open("E2");
    h.text("E2", &format!(r#"0{{"pid":"{pid}","offset":"0"}}"#));
    assert_eq!(
        h.wire(),
        vec![
            r#"42["missed","1"]"#.to_owned(),
            r#"42["all","3"]"#.to_owned(),
            format!(r#"40{{"sid":"{id}","pid":"{pid}"}}"#),
        ]
    );
    assert_eq!(
        h.events(),
        vec![SocketEvent::Connected {
            socket: id.clone(),
            nsp: Str::from("/"),
            recovered: true
        }],
        "skip_middlewares: no ConnectRequest"
    );
    assert_eq!(
        h.server.rooms(&id).unwrap(),
        &[id.as_room().clone(), Str::from("room")]
    );
}

#[test]
fn recovery_with_middlewares_asks_the_application_first() {
    let mut h = Harness::with(SocketServerConfig {
        id_seed: [3; 32],
        recovery: Some(RecoveryConfig {
            skip_middlewares: false,
            ..RecoveryConfig::default()
        }),
        ..SocketServerConfig::default()
    });
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    let pid = pid_of(&h.wire()[0]);
    h.events();
    h.server.emit(&id, ev("a")).unwrap();
    h.commands();
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::PingTimeout);
    h.events();
    h.open("E2");
    h.text("E2", &format!(r#"0{{"pid":"{pid}","offset":"0"}}"#));
    let request = h.request();
    assert!(h.commands().is_empty());
    let again = h.server.accept_connect(h.now, request).unwrap();
    assert_eq!(again, id);
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::Connected {
            recovered: true,
            ..
        }]
    ));
}

#[test]
fn unknown_offset_gives_a_fresh_session() {
    let mut h = Harness::recovering();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    let pid = pid_of(&h.wire()[0]);
    h.events();
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::TransportClose);
    h.events();
    h.open("E2");
    h.text("E2", &format!(r#"0{{"pid":"{pid}","offset":"zzz"}}"#));
    let request = h.request();
    let fresh = h.server.accept_connect(h.now, request).unwrap();
    assert_ne!(fresh, id);
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::Connected {
            recovered: false,
            ..
        }]
    ));
}

#[test]
fn deliberate_disconnect_is_not_kept_for_recovery() {
    let mut h = Harness::recovering();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    let pid = pid_of(&h.wire()[0]);
    h.events();
    h.server.emit(&id, ev("a")).unwrap();
    h.commands();
    h.text("E1", "1");
    h.events();
    h.text("E1", &format!(r#"0{{"pid":"{pid}","offset":"0"}}"#));
    let request = h.request();
    assert_ne!(h.server.accept_connect(h.now, request).unwrap(), id);
}

#[test]
fn kept_session_expires_after_the_window() {
    let mut h = Harness::recovering();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    let id = h.server.accept_connect(h.now, request).unwrap();
    let pid = pid_of(&h.wire()[0]);
    h.events();
    h.server.emit(&id, ev("a")).unwrap();
    h.commands();
    h.server
        .handle_engine_close(h.now, &sid("E1"), CloseReason::TransportError);
    h.events();
    assert_eq!(
        h.server.poll_timeout(),
        Some(h.now + Duration::from_secs(120))
    );
    h.advance(Duration::from_secs(121));
    h.open("E2");
    h.text("E2", &format!(r#"0{{"pid":"{pid}","offset":"0"}}"#));
    assert!(matches!(
        h.events().as_slice(),
        [SocketEvent::ConnectRequest { .. }]
    ));
}

#[test]
fn a_packet_before_the_connect_reply_closes_the_connection_as_the_reference() {
    let mut h = Harness::new();
    h.open("E1");
    h.text("E1", "0");
    let request = h.request();
    h.text("E1", r#"2["early"]"#);
    assert_eq!(h.wire(), ["close E1"]);
    assert!(h.events().is_empty());
    assert!(h.server.accept_connect(h.now, request).is_err());
    assert_eq!(h.server.connection_count(), 0);
}

#[test]
fn invalid_states_close_the_connection_with_the_reasons_of_the_reference() {
    // A second CONNECT to a namespace joined, on long-polling.
    let mut h = Harness::new();
    let id = h.connect("E1", "/");
    h.text("E1", "0");
    assert_eq!(h.wire(), ["close E1"]);
    assert_eq!(
        reasons(&h.events()),
        [
            (id.to_string(), "disconnecting", "forced server close"),
            (id.to_string(), "disconnected", "forced server close")
        ]
    );
    // A CONNECT_ERROR from the client, on a WebSocket: closed at once, "forced close".
    let id = h.connect("E2", "/");
    h.server.handle_engine_upgraded(h.now, &sid("E2"));
    h.text("E2", r#"4{"message":"x"}"#);
    assert_eq!(h.wire(), ["close E2"]);
    assert_eq!(
        reasons(&h.events())[0],
        (id.to_string(), "disconnecting", "forced close")
    );
    // A packet for a namespace not joined.
    h.connect("E3", "/");
    h.text("E3", r#"2/elsewhere,["x"]"#);
    assert_eq!(h.wire(), ["close E3"]);
}
