//! Both sides real: the client against the sans-IO engine `Server` and `SocketServer`.

use super::*;
use crate::support_client::pair::Pair;
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

/// A seeded generator for the chaos below (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[test]
fn retries_deliver_every_event_at_least_once_in_order_through_a_flapping_network() {
    for seed in 1..=8 {
        let mut client = upgrading();
        client.seed = seed;
        client.randomization_factor = 0.5;
        let mut p = Pair::new(client, server_config());
        p.client.socket(
            "/",
            SocketConfig {
                retries: u32::MAX,
                ack_timeout: Some(Duration::from_secs(3)),
                ..SocketConfig::default()
            },
        );
        p.client.connect(p.now, "/");
        p.step();
        let mut rng = Rng(seed);
        let mut sent = 0u64;
        // Ten virtual minutes: an emit most seconds, the link dropping and coming back.
        for _ in 0..600 {
            if rng.chance(60) {
                p.emit("n", &[sent.into()]);
                sent += 1;
            }
            if rng.chance(if p.link_up { 2 } else { 10 }) {
                p.link_up = !p.link_up;
            }
            p.advance(Duration::from_secs(1));
        }
        // Then the network holds long enough for everything to get through.
        p.link_up = true;
        p.advance(Duration::from_secs(180));
        assert!(p.client.is_connected("/"), "seed {seed}");
        assert_eq!(p.client.buffered("/"), 0, "seed {seed}: all acked");
        let mut firsts = Vec::new();
        for json in p.server_received() {
            let v: Vec<Value> = serde_json::from_str(&json).unwrap();
            let n = v[1].as_u64().unwrap();
            if !firsts.contains(&n) {
                firsts.push(n);
            }
        }
        assert_eq!(firsts, (0..sent).collect::<Vec<_>>(), "seed {seed}");
        let reconnects = p
            .client_events
            .iter()
            .filter(|e| matches!(e, Event::Reconnect(_)))
            .count();
        assert!(reconnects > 0, "seed {seed}: the network never failed");
    }
}

#[test]
fn binary_events_cross_both_transports() {
    for config in [config(), upgrading()] {
        let mut p = connected(config, server_config());
        let socket = p.server_socket();
        let up = Value::Binary(Bytes::from_static(&[0, 1, 255]));
        let down = Value::Binary(Bytes::from_static(&[9; 300]));
        p.emit("up", &[1.into(), up.clone()]);
        p.sio
            .emit(&socket, ev("down", std::slice::from_ref(&down)))
            .unwrap();
        p.step();
        let got: Vec<Vec<Value>> = p
            .server_events
            .iter()
            .filter_map(|e| match e {
                SocketEvent::Event { event, .. } => Some(event.args().unwrap()),
                _ => None,
            })
            .collect();
        assert_eq!(got, [vec![1.into(), up]]);
        let got: Vec<Vec<Value>> = p
            .client_events
            .iter()
            .filter_map(|e| match e {
                Event::Message { event, .. } => Some(event.args().unwrap()),
                _ => None,
            })
            .collect();
        assert_eq!(got, [vec![down]]);
    }
}
