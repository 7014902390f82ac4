//! A long-poll response to a client that stopped reading, on both drivers: once handed to the
//! HTTP library it is beyond the core's reach, so the drivers' write-stall guard drops the
//! connection when a write makes no progress for `write_timeout` (here 1 s), instead of
//! holding its task and buffers for as long as the peer keeps the connection open.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sio_core::api::socketio::{Socket, SocketIo, SocketIoConfig};

/// The event the client asks for: larger than what the kernel's socket buffers take.
const BIG: usize = 16 << 20;

fn config() -> SocketIoConfig {
    let mut config = SocketIoConfig::default();
    config.engine.write_timeout = Duration::from_secs(1);
    config.engine.max_buffered_bytes = 64 << 20;
    config
}

fn setup(io: &SocketIo) {
    io.of("/").on_connection(|socket: Socket| async move {
        socket.on("big", |socket: Socket, _| async move {
            let _ = socket.emit("big", &Bytes::from(vec![7u8; BIG]));
        });
    });
}

fn server(driver: &str) -> u16 {
    sio_tests::servers::start_one(driver, config(), Box::new(setup))
}

/// One request on a fresh connection; the whole answer's body.
fn http(port: u16, method: &str, target: &str, body: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

fn a_stalled_long_poll_is_dropped(driver: &str) {
    let port = server(driver);
    let open = http(port, "GET", "/socket.io/?EIO=4&transport=polling", "");
    let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    let url = format!(
        "/socket.io/?EIO=4&transport=polling&sid={}",
        v["sid"].as_str().unwrap()
    );
    assert_eq!(http(port, "POST", &url, "40"), "ok");
    http(port, "GET", &url, ""); // the CONNECT reply
    assert_eq!(http(port, "POST", &url, r#"42["big"]"#), "ok");
    // The poll that carries the big event (about 21 MiB of base64): read its first bytes,
    // then stop reading.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let req = format!("GET {url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut first = [0u8; 1024];
    s.read_exact(&mut first).unwrap();
    std::thread::sleep(Duration::from_secs(4));
    // What the kernel held, then the end: the server gave up on the write.
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut total = first.len();
    let mut buf = vec![0u8; 1 << 16];
    let ended = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    assert!(ended, "{driver}: the connection is still open");
    assert!(
        total < BIG,
        "{driver}: the whole response came ({total} bytes): nothing was stalled"
    );
    println!(
        "{driver}: dropped after {total} of ~{} bytes (drained in {:.1?})",
        BIG * 4 / 3,
        started.elapsed()
    );
}

#[test]
fn a_stalled_long_poll_response_is_dropped_tokio() {
    a_stalled_long_poll_is_dropped("tokio");
}

#[test]
fn a_stalled_long_poll_response_is_dropped_smol() {
    a_stalled_long_poll_is_dropped("smol");
}
