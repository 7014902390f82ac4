//! The metrics an operator graphs move as they should (`SocketIo::metrics`, its Prometheus
//! text), and an observer (`SocketIo::observe`) sees every socket's activity: two sio clients
//! over real loopback sockets connect, send acked events, and leave — one by itself, one
//! disconnected by the server — on both drivers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sio_core::api::socketio::{Activity, Message, Socket, SocketIo, SocketIoConfig};
use sio_core::engine::server::{CloseReason, TransportKind};
use sio_core::socket::server::DisconnectReason;
use sio_tests::servers;

const EVENTS: usize = 10;

/// Polls `check` until it holds (the server works on other threads), for at most 5 s.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn counters_move_as_clients_come_send_and_go(driver: &str) {
    let server: Arc<Mutex<Option<SocketIo>>> = Arc::default();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let (s, log) = (server.clone(), seen.clone());
    let port = servers::start_one(
        driver,
        SocketIoConfig::default(),
        Box::new(move |io: &SocketIo| {
            *s.lock().unwrap() = Some(io.clone());
            io.observe(move |socket: &Socket, activity: &Activity| {
                let what = match activity {
                    Activity::Connected => "connected".to_owned(),
                    Activity::Disconnected(r) => format!("disconnected {r}"),
                    Activity::RoomJoined(room) if room == socket.id().as_room() => {
                        "joined own room".to_owned()
                    }
                    Activity::RoomJoined(room) => format!("joined {room}"),
                    Activity::RoomLeft(room) if room == socket.id().as_room() => {
                        "left own room".to_owned()
                    }
                    Activity::RoomLeft(room) => format!("left {room}"),
                    Activity::EventReceived(e) => format!("received {}", e.name()),
                    Activity::EventSent(e) => format!("sent {}", e.name()),
                    Activity::Upgraded => "upgraded".to_owned(),
                    other => format!("{other:?}"),
                };
                log.lock().unwrap().push(what);
            });
            io.sockets().on_connection(|socket: Socket| async move {
                let _ = socket.join("lobby");
                socket.on("echo", |_s: Socket, msg: Message| async move {
                    let n: u64 = msg.arg(0).unwrap_or_default();
                    let _ = msg.ack(&n);
                });
                socket.on("kick me", |s: Socket, _msg: Message| async move {
                    s.disconnect(false);
                });
            });
        }),
    );
    let io = server.lock().unwrap().clone().expect("server set up");
    let url = format!("http://127.0.0.1:{port}");

    let mut sockets = Vec::new();
    for _ in 0..2 {
        let client = sio_tokio::client::client(&url).build().expect("client");
        let socket = client.socket("/");
        socket.connect();
        sockets.push((client, socket));
    }
    eventually("both sockets connected", || {
        io.metrics().sockets.sockets_in("/") == 2
    })
    .await;
    for (_, socket) in &sockets {
        for n in 0..EVENTS {
            let answer = socket
                .emit_with_ack_timeout("echo", &n, Duration::from_secs(5))
                .await
                .expect("acked");
            assert_eq!(answer.deserialize::<(u64,)>().unwrap().0, n as u64);
        }
    }
    let m = io.metrics();
    assert_eq!(m.sockets.sockets_in("/"), 2);
    assert_eq!(m.sockets.connected, 2);
    assert_eq!(m.sockets.events_in, 2 * EVENTS as u64);
    // Each way: the two CONNECTs (and their replies), then one message per event (and ack).
    assert_eq!(m.engine.messages_in, 2 + 2 * EVENTS as u64);
    assert_eq!(m.engine.messages_out, 2 + 2 * EVENTS as u64);
    assert!(m.engine.bytes_in > 2 * EVENTS as u64 * 10, "{m:?}");
    assert!(m.engine.bytes_out > 2 * EVENTS as u64 * 5, "{m:?}");
    assert_eq!(m.engine.opened_with(TransportKind::Polling), 2);
    let open: u64 = m.engine.open.iter().sum();
    assert_eq!(open, 2);

    // One leaves by itself, the other is disconnected by the server.
    sockets[0].1.disconnect();
    let _ = sockets[1].1.emit("kick me", &());
    eventually("both sockets gone", || {
        io.metrics().sockets.sockets_in("/") == 0
    })
    .await;
    let m = io.metrics();
    let reasons = |r| m.sockets.disconnected_for(r);
    assert_eq!(reasons(DisconnectReason::ClientNamespaceDisconnect), 1);
    assert_eq!(reasons(DisconnectReason::ServerNamespaceDisconnect), 1);
    let text = m.to_prometheus();
    assert!(text.contains("sio_sockets{namespace=\"/\"} 0\n"), "{text}");
    assert!(
        text.contains("sio_socket_disconnects_total{reason=\"client namespace disconnect\"} 1\n")
    );
    assert!(text.contains(&format!("sio_events_received_total {}\n", 2 * EVENTS + 1)));

    // The clients close their connections: "transport close" at the Engine.IO level.
    for (client, _) in &sockets {
        client.close();
    }
    eventually("connections closed", || {
        let e = io.metrics().engine;
        e.closed_for(CloseReason::TransportClose) == 2 && e.open == [0, 0, 0]
    })
    .await;

    // What an observer saw, for the first socket: its own room and the lobby joined before
    // it connected (its handler ran after), its events, its departure, its rooms left.
    let seen = seen.lock().unwrap().clone();
    let count = |what: &str| seen.iter().filter(|s| *s == what).count();
    assert_eq!(count("joined own room"), 2, "{seen:?}");
    assert_eq!(count("connected"), 2, "{seen:?}");
    assert_eq!(count("joined lobby"), 2, "{seen:?}");
    assert_eq!(count("received echo"), 2 * EVENTS, "{seen:?}");
    assert_eq!(count("received kick me"), 1, "{seen:?}");
    assert_eq!(count("disconnected client namespace disconnect"), 1);
    assert_eq!(count("disconnected server namespace disconnect"), 1);
    assert_eq!(count("left lobby"), 2, "{seen:?}");
    assert_eq!(count("left own room"), 2, "{seen:?}");
    let first = |what: &str| seen.iter().position(|s| s == what).unwrap();
    assert!(first("joined own room") < first("connected"), "{seen:?}");
    assert!(first("connected") < first("joined lobby"), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_observers_follow_the_clients_on_tokio() {
    counters_move_as_clients_come_send_and_go("tokio").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_observers_follow_the_clients_on_smol() {
    counters_move_as_clients_come_send_and_go("smol").await;
}
