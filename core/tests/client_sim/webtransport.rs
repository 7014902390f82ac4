//! The client over WebTransport against the sans-IO server (both sides real, the stream's
//! bytes carried by the pair): first over WebTransport, by upgrade from polling, and only to
//! what the server offers.

use super::*;
use crate::support_client::pair::Pair;
use sio_core::socket::server::SocketServerConfig;

fn server_config() -> SocketServerConfig {
    SocketServerConfig {
        id_seed: [3; 32],
        ..SocketServerConfig::default()
    }
}

fn with_transports(transports: &[TransportKind]) -> ManagerConfig {
    let mut c = config();
    c.engine.upgrade = true;
    c.engine.transports = transports.to_vec();
    c
}

fn connected(p: &mut Pair) {
    p.client.socket("/", SocketConfig::default());
    p.client.connect(p.now, "/");
    p.step();
    assert!(p.client.is_connected("/"));
}

#[test]
fn connects_over_webtransport_first_and_talks_both_ways() {
    let mut p = Pair::new(
        with_transports(&[TransportKind::WebTransport]),
        server_config(),
    )
    .with_webtransport();
    connected(&mut p);
    assert_eq!(p.client.transport(), Some(TransportKind::WebTransport));
    let sid = p.client.engine_id().unwrap().clone();
    assert_eq!(
        p.engine.transport_of(&sid),
        Some(TransportKind::WebTransport)
    );
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
    // Heartbeats over the stream: nobody times out.
    p.advance(Duration::from_secs(120));
    assert!(p.client.is_connected("/"));
    assert!(p.sio.is_connected(&socket));
}

#[test]
fn upgrades_from_polling_to_webtransport_keeping_order() {
    let mut p = Pair::new(
        with_transports(&[TransportKind::Polling, TransportKind::WebTransport]),
        server_config(),
    )
    .with_webtransport();
    connected(&mut p);
    assert!(p.client_events.contains(&Event::Upgraded));
    assert_eq!(p.client.transport(), Some(TransportKind::WebTransport));
    let sid = p.client.engine_id().unwrap().clone();
    assert_eq!(
        p.engine.transport_of(&sid),
        Some(TransportKind::WebTransport)
    );
    let socket = p.server_socket();
    p.emit("after", &[1.into()]);
    p.sio.emit(&socket, ev("back", &[2.into()])).unwrap();
    p.step();
    assert_eq!(p.server_received(), [r#"["after",1]"#]);
    assert_eq!(p.client_received(), [r#"["back",2]"#]);
}

#[test]
fn probes_webtransport_only_when_the_server_offers_it() {
    // A server without WebTransport offers `websocket` only: a client preferring WebTransport
    // and then WebSocket upgrades to WebSocket.
    let mut p = Pair::new(
        with_transports(&[
            TransportKind::Polling,
            TransportKind::WebTransport,
            TransportKind::WebSocket,
        ]),
        server_config(),
    );
    connected(&mut p);
    assert_eq!(p.client.transport(), Some(TransportKind::WebSocket));
    // Both offered: the client's order of preference picks.
    let mut p = Pair::new(
        with_transports(&[
            TransportKind::Polling,
            TransportKind::WebTransport,
            TransportKind::WebSocket,
        ]),
        server_config(),
    )
    .with_webtransport();
    connected(&mut p);
    assert_eq!(p.client.transport(), Some(TransportKind::WebTransport));
}
