//! sio's `tracing` output as an operator reads it: a handshake at info, bad input at warn
//! with the peer's address, a socket's connection and its disconnect reason at info, and an
//! event handler's log inside the `socket` and `handler` spans (with the connection's
//! `sio_connection{peer}` span around them), on both drivers, over real loopback sockets.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sio_core::api::socketio::{Message, Socket, SocketIo, SocketIoConfig};
use sio_tests::servers;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

async fn http(port: u16, request: String) -> String {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn eventually(log: &Captured, what: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = log.text();
        if text.lines().any(|l| what.iter().all(|w| l.contains(w))) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no line with {what:?} in:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn operator_sees(driver: &str, log: &Captured) {
    let port = servers::start_one(
        driver,
        SocketIoConfig::default(),
        Box::new(|io: &SocketIo| {
            io.sockets().on_connection(|socket: Socket| async move {
                socket.on("hello", |_s: Socket, _msg: Message| async move {
                    tracing::info!("handler says hello");
                });
            });
        }),
    );
    // A handshake, then a bad packet on its session.
    let open = http(
        port,
        "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            .to_owned(),
    )
    .await;
    let sid = open
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("sid")
        .to_owned();
    eventually(
        log,
        &["INFO", "Engine.IO handshake", &sid, "peer=\"127.0.0.1:"],
    )
    .await;
    let post = |body: &str| {
        format!(
            "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\
             Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let _ = http(port, post("40")).await;
    eventually(log, &["INFO", "socket connected", &sid]).await;
    let _ = http(port, post("42[\"hello\"]")).await;
    eventually(
        log,
        &[
            "handler says hello",
            "sio_connection{peer=127.0.0.1:",
            "socket{id=",
            "handler{event=\"hello\"}",
        ],
    )
    .await;
    let _ = http(port, post("4garbage")).await;
    eventually(
        log,
        &["WARN", "bad Socket.IO packet", "peer=\"127.0.0.1:", &sid],
    )
    .await;
    eventually(
        log,
        &["INFO", "socket disconnected", "reason=\"forced close\""],
    )
    .await;
    // Bad input before any session: refused at warn, with the peer.
    let _ = http(
        port,
        "GET /socket.io/?EIO=3&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            .to_owned(),
    )
    .await;
    eventually(
        log,
        &[
            "WARN",
            "Engine.IO request refused",
            "code=5",
            "peer=\"127.0.0.1:",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_bad_input_sockets_and_handlers_are_traced_on_both_drivers() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    operator_sees("tokio", &log).await;
    operator_sees("smol", &log).await;
}
