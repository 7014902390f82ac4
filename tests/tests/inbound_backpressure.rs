//! A client that floods a server whose handlers wait, over real sockets on both drivers: its
//! connection stops being read while the application is behind (at most
//! `max_pending_events` events held, plus one read batch), the client's own writes block
//! (TCP backpressure), nothing is dropped or closed, and everything is handled once the
//! handlers move again. Over long-polling, a POST waits for its answer meanwhile.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sio_core::api::socketio::{Message, Socket, SocketIo, SocketIoConfig};
use tungstenite::Message as WsMessage;

/// Events the flooding client sends (1 KiB each: more than the kernel's socket buffers hold).
const FLOOD: usize = 20_000;
/// The limit set on the server.
const MAX_PENDING: usize = 64;

/// A gate the handlers wait at, opened by the test (closing the semaphore lets every waiter
/// through; it works under any runtime).
struct Gate {
    waiting: tokio::sync::Semaphore,
    started: AtomicUsize,
    done: AtomicUsize,
}

impl Gate {
    fn open(&self) {
        self.waiting.close();
    }
}

fn setup(io: &SocketIo, gate: Arc<Gate>) {
    io.of("/").on_connection(move |socket: Socket| {
        let gate = gate.clone();
        async move {
            socket.on("work", move |_, _msg: Message| {
                let gate = gate.clone();
                async move {
                    gate.started.fetch_add(1, Ordering::SeqCst);
                    // Waits (on its own task) until the test opens the gate.
                    let _ = gate.waiting.acquire().await;
                    gate.done.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
}

fn config() -> SocketIoConfig {
    SocketIoConfig {
        max_pending_events: MAX_PENDING,
        ..SocketIoConfig::default()
    }
}

/// Starts a server on `driver` with the gate's handlers; its port.
fn server(driver: &str, gate: Arc<Gate>) -> u16 {
    sio_tests::servers::start_one(driver, config(), Box::new(move |io| setup(io, gate)))
}

fn gate() -> Arc<Gate> {
    Arc::new(Gate {
        waiting: tokio::sync::Semaphore::new(0),
        started: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
    })
}

fn wait_for(what: &str, deadline: Duration, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn websocket_flood_is_paused(driver: &str) {
    let gate = gate();
    let port = server(driver, gate.clone());
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tungstenite::client(url, tcp).unwrap();
    ws.read().unwrap(); // open
    ws.send(WsMessage::text("40")).unwrap();
    ws.read().unwrap(); // CONNECT reply
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let body = "x".repeat(1000);
    let writer = std::thread::spawn(move || {
        for _ in 0..FLOOD {
            let frame = format!(r#"42["work","{body}"]"#);
            if ws.send(WsMessage::text(frame)).is_err() {
                return Err(counter.load(Ordering::SeqCst));
            }
            counter.fetch_add(1, Ordering::SeqCst);
        }
        Ok(ws)
    });
    wait_for("the first handlers", Duration::from_secs(10), || {
        gate.started.load(Ordering::SeqCst) >= MAX_PENDING
    });
    std::thread::sleep(Duration::from_millis(1500));
    let started = gate.started.load(Ordering::SeqCst);
    let written = sent.load(Ordering::SeqCst);
    // One read batch (64 messages) may come in beside the limit before the pause takes.
    assert!(
        started <= MAX_PENDING + 1 + 64,
        "{driver}: {started} handlers running; the connection should be paused"
    );
    assert!(
        written < FLOOD,
        "{driver}: the client wrote all {FLOOD} events: no backpressure"
    );
    gate.open();
    let mut ws = writer
        .join()
        .unwrap()
        .expect("the client's writes all went through");
    wait_for("every event handled", Duration::from_secs(60), || {
        gate.done.load(Ordering::SeqCst) == FLOOD
    });
    // Still connected: it answers a ping-less round trip with the server (a second CONNECT
    // to `/` is ignored; a bad packet would close it, so ask for an unknown namespace).
    ws.send(WsMessage::text("40/none,")).unwrap();
    let reply = loop {
        match ws.read().unwrap() {
            WsMessage::Text(t) if t.as_str() == "2" => ws.send(WsMessage::text("3")).unwrap(),
            WsMessage::Text(t) => break t.to_string(),
            _ => {}
        }
    };
    assert_eq!(
        reply, r#"44/none,{"message":"Invalid namespace"}"#,
        "{driver}"
    );
    println!("{driver}: paused at {started} handlers with {written} of {FLOOD} events written");
}

/// One HTTP/1.1 request; the answer's body, or `None` if none came within `wait`.
fn http(port: u16, method: &str, target: &str, body: &str, wait: Duration) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
}

fn polling_posts_wait_while_paused(driver: &str) {
    let gate = gate();
    let port = server(driver, gate.clone());
    let long = Duration::from_secs(10);
    let open = http(port, "GET", "/socket.io/?EIO=4&transport=polling", "", long).unwrap();
    let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    let url = format!(
        "/socket.io/?EIO=4&transport=polling&sid={}",
        v["sid"].as_str().unwrap()
    );
    assert_eq!(http(port, "POST", &url, "40", long).as_deref(), Some("ok"));
    http(port, "GET", &url, "", long).unwrap(); // the CONNECT reply
    let batch: Vec<String> = (0..MAX_PENDING * 2)
        .map(|i| format!(r#"42["work",{i}]"#))
        .collect();
    let batch = batch.join("\u{1e}");
    // Taken whole (the pause comes after its events are in), answered at once.
    assert_eq!(
        http(port, "POST", &url, &batch, long).as_deref(),
        Some("ok")
    );
    wait_for("the handlers", Duration::from_secs(10), || {
        gate.started.load(Ordering::SeqCst) == MAX_PENDING * 2
    });
    // The next POST is held: the application is behind.
    let (tx, rx) = std::sync::mpsc::channel();
    let held = url.clone();
    std::thread::spawn(move || {
        let answer = http(
            port,
            "POST",
            &held,
            r#"42["work",-1]"#,
            Duration::from_secs(30),
        );
        tx.send(answer).unwrap();
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(1500)).is_err(),
        "{driver}: a POST is answered while the application is behind"
    );
    gate.open();
    let answer = rx.recv_timeout(Duration::from_secs(10)).expect("answered");
    assert_eq!(answer.as_deref(), Some("ok"), "{driver}");
    wait_for("every event handled", Duration::from_secs(10), || {
        gate.done.load(Ordering::SeqCst) == MAX_PENDING * 2 + 1
    });
}

#[test]
fn a_flooding_websocket_client_is_paused_not_dropped_tokio() {
    websocket_flood_is_paused("tokio");
}

#[test]
fn a_flooding_websocket_client_is_paused_not_dropped_smol() {
    websocket_flood_is_paused("smol");
}

#[test]
fn polling_posts_wait_while_the_application_is_behind_tokio() {
    polling_posts_wait_while_paused("tokio");
}

#[test]
fn polling_posts_wait_while_the_application_is_behind_smol() {
    polling_posts_wait_while_paused("smol");
}
