//! Engine.IO v3 over raw HTTP, on both drivers' Socket.IO servers: the refusal without
//! `allow_eio3`, and with it the length-prefixed text payloads, the implicit `40`, a POST
//! in the XHR2 binary format (`application/octet-stream`) answered with a binary payload,
//! the client's ping answered `3`, and the handshake of a `b64=1` client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sio_core::api::socketio::{Message, Socket, SocketIo, SocketIoConfig};
use sio_core::socket::Spread;

struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a text body")
    }
}

/// One raw HTTP/1.1 request (`Connection: close`), the whole answer read.
fn http(port: u16, method: &str, target: &str, content_type: &str, body: &[u8]) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if !content_type.is_empty() {
        req.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("an answer in time");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    Answer {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    }
}

/// A v3 text payload record: its length in UTF-16 code units, `:`, the packet.
fn record(packet: &str) -> String {
    format!("{}:{packet}", packet.encode_utf16().count())
}

fn get(port: u16, target: &str) -> Answer {
    http(port, "GET", target, "", b"")
}

fn setup(io: &SocketIo) {
    io.of("/").on_connection(|socket: Socket| async move {
        socket.on("echo", |socket: Socket, msg: Message| async move {
            let _ = socket.emit("echo", &Spread(msg.values().unwrap_or_default()));
        });
    });
}

/// Starts a Socket.IO server on `driver` in a thread of its own; returns its port.
fn start(driver: &str, allow_eio3: bool) -> u16 {
    let config = SocketIoConfig {
        allow_eio3,
        ..SocketIoConfig::default()
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    match driver {
        "tokio" => {
            std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async move {
                    let server = sio_tokio::SocketIoServer::new(config);
                    setup(server.io());
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    server.serve(listener).await.unwrap();
                });
            });
        }
        _ => {
            std::thread::spawn(move || {
                smol::block_on(async move {
                    let server = sio_smol::SocketIoServer::new(config);
                    setup(server.io());
                    let listener = smol::net::TcpListener::try_from(listener).unwrap();
                    server.serve(listener).await.unwrap();
                });
            });
        }
    }
    port
}

fn refused_without_allow_eio3(driver: &str) {
    let port = start(driver, false);
    for target in [
        "/socket.io/?EIO=3&transport=polling",
        "/socket.io/?transport=polling",
    ] {
        let a = get(port, target);
        assert_eq!(a.status, 400, "{target}");
        assert_eq!(a.header("content-type"), Some("application/json"));
        assert_eq!(
            a.text(),
            r#"{"code":5,"message":"Unsupported protocol version"}"#
        );
    }
    assert_eq!(get(port, "/socket.io/?EIO=4&transport=polling").status, 200);
}

fn v3_payloads_over_http(driver: &str) {
    let port = start(driver, true);
    let a = get(port, "/socket.io/?EIO=3&transport=polling&t=1");
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("text/plain; charset=UTF-8"));
    let text = a.text();
    let (len, open) = text.split_once(':').unwrap();
    assert_eq!(len.parse::<usize>().unwrap(), open.len(), "{text}");
    assert!(open.starts_with(r#"0{"sid":""#) && open.contains(r#""maxPayload":1000000"#));
    let sid = &open[9..29];
    let poll = format!("/socket.io/?EIO=3&transport=polling&sid={sid}");

    // Connected to `/` without asking.
    assert_eq!(get(port, &poll).text(), "2:40");

    // Text: lengths in UTF-16 units (`😀` is two), a ping answered with a pong.
    let event = record("42[\"echo\",\"é😀\"]");
    assert!(event.starts_with("16:"), "15 characters, 16 UTF-16 units");
    let body = format!("{event}{}", record("2"));
    let a = http(
        port,
        "POST",
        &poll,
        "text/plain;charset=UTF-8",
        body.as_bytes(),
    );
    assert_eq!((a.status, a.text()), (200, "ok"));
    let mut got = String::new();
    for _ in 0..3 {
        let a = get(port, &poll);
        assert_eq!(a.status, 200, "{}", a.text());
        got.push_str(a.text());
        if got.contains("42[") {
            break;
        }
    }
    assert_eq!(got, format!("{}{event}", record("3")));

    // Binary (XHR2) POST: an event with one attachment, answered with a binary payload.
    let header = br#"451-["echo",{"_placeholder":true,"num":0}]"#;
    // `0` (text), the length's digits as bytes (42: 4, 2), 0xFF, the packet; then `1`
    // (binary), 4, 0xFF, the type byte 4 and the attachment.
    assert_eq!(header.len(), 42);
    let mut post = vec![0u8, 4, 2, 0xff];
    post.extend_from_slice(header);
    post.extend_from_slice(&[1, 4, 0xff, 4, 1, 2, 3]);
    let a = http(port, "POST", &poll, "application/octet-stream", &post);
    assert_eq!((a.status, a.text()), (200, "ok"));
    let a = get(port, &poll);
    assert_eq!(a.header("content-type"), Some("application/octet-stream"));
    assert_eq!(a.body, post, "the echo comes back in the same format");

    // A client that asked for base64 gets `b4` records in text payloads instead.
    let a = get(port, "/socket.io/?EIO=3&transport=polling&b64=1");
    let text = a.text().to_owned();
    let sid = &text[text.find(':').unwrap() + 10..][..20];
    let poll = format!("/socket.io/?EIO=3&transport=polling&b64=1&sid={sid}");
    assert_eq!(get(port, &poll).text(), "2:40");
    let body = format!(
        "{}{}",
        record(r#"451-["echo",{"_placeholder":true,"num":0}]"#),
        record("b4AQID")
    );
    let a = http(
        port,
        "POST",
        &poll,
        "text/plain;charset=UTF-8",
        body.as_bytes(),
    );
    assert_eq!((a.status, a.text()), (200, "ok"));
    let a = get(port, &poll);
    assert_eq!(a.header("content-type"), Some("text/plain; charset=UTF-8"));
    assert_eq!(a.text(), body);

    // The wrong revision on a session: 400 "Bad request".
    let a = get(
        port,
        &format!("/socket.io/?EIO=4&transport=polling&sid={sid}"),
    );
    assert_eq!(a.status, 400);
    assert_eq!(a.text(), r#"{"code":3,"message":"Bad request"}"#);
}

#[test]
fn v3_is_refused_without_allow_eio3_on_tokio() {
    refused_without_allow_eio3("tokio");
}

#[test]
fn v3_is_refused_without_allow_eio3_on_smol() {
    refused_without_allow_eio3("smol");
}

#[test]
fn v3_payloads_over_raw_http_on_tokio() {
    v3_payloads_over_http("tokio");
}

#[test]
fn v3_payloads_over_raw_http_on_smol() {
    v3_payloads_over_http("smol");
}
