//! Handshake options against the Node reference (engine.io 6.6), on both drivers: `cookie`
//! (which answers carry `Set-Cookie`, and its exact text, over raw HTTP) and `initialPacket`
//! (the message after `open`, on polling and on WebSocket).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sio_core::engine::server::{Cookie, ServerConfig};
use sio_core::engine::Packet;
use sio_core::Str;
use sio_tests::peers::{js_dir, ServerProcess};

/// One raw HTTP/1.1 exchange (`Connection: close`, unless an upgrade): the head, and the body when `whole`
/// (else the head alone, for a 101 that leaves the connection open).
fn exchange(
    port: u16,
    method: &str,
    target: &str,
    extra: &str,
    body: &str,
    whole: bool,
) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // An upgrade request carries its own `Connection: Upgrade`.
    let close = if extra.contains("Connection:") {
        ""
    } else {
        "Connection: close\r\n"
    };
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\n{close}{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).expect("an answer in time");
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw);
        if n == 0 || (!whole && text.contains("\r\n\r\n")) {
            break;
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_owned(), body.to_owned())
}

fn set_cookies(head: &str) -> Vec<String> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

/// The session id in an `open` packet's text.
fn sid_in(text: &str) -> String {
    text.split("\"sid\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no sid in {text:?}"))
        .to_owned()
}

/// A WebSocket upgrade request to `target`: the head of its `101` answer.
fn upgrade(port: u16, target: &str) -> String {
    let (head, _) = exchange(port, "GET", target, WS, "", false);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    head
}

const WS: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

/// What a server sets: on the polling handshake (the sid written `<sid>`), on a POST of that
/// session, on its WebSocket upgrade, and on a WebSocket opened without polling.
#[derive(Debug, PartialEq)]
struct Seen {
    handshake: Vec<String>,
    post: Vec<String>,
    upgrade: Vec<String>,
    websocket_only: Vec<String>,
}

fn observe(port: u16) -> Seen {
    let p = "/engine.io/?EIO=4";
    let (head, body) = exchange(port, "GET", &format!("{p}&transport=polling"), "", "", true);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let sid = sid_in(&body);
    let handshake = set_cookies(&head)
        .into_iter()
        .map(|c| c.replace(&sid, "<sid>"))
        .collect();
    let (head, body) = exchange(
        port,
        "POST",
        &format!("{p}&transport=polling&sid={sid}"),
        "Content-Type: text/plain\r\n",
        "4hello",
        true,
    );
    assert_eq!(body, "ok", "{head}");
    let post = set_cookies(&head);
    let upgraded = upgrade(port, &format!("{p}&transport=websocket&sid={sid}"));
    let websocket_only = upgrade(port, &format!("{p}&transport=websocket"));
    Seen {
        handshake,
        post,
        upgrade: set_cookies(&upgraded),
        websocket_only: set_cookies(&websocket_only),
    }
}

fn config(cookie: Option<Cookie>) -> ServerConfig {
    ServerConfig {
        cookie,
        ..Default::default()
    }
}

/// Serves `config` with sio on `driver` in a thread of its own; returns the port.
fn sio(driver: &str, config: ServerConfig) -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    match driver {
        "tokio" => std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(l.local_addr().unwrap().port()).unwrap();
                let _ = sio_tokio::EngineServer::new(config).serve(l).await;
            });
        }),
        _ => std::thread::spawn(move || {
            smol::block_on(async move {
                let l = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(l.local_addr().unwrap().port()).unwrap();
                let _ = sio_smol::EngineServer::new(config).serve(l).await;
            });
        }),
    };
    rx.recv().expect("a port")
}

#[test]
fn the_session_cookie_is_set_where_and_as_the_reference_sets_it() {
    let script = js_dir().join("eio-echo-server.mjs");
    let node = ServerProcess::start("node", &[script.to_str().unwrap(), "--cookie"]);
    let reference = observe(node.port);
    // What the reference does, spelled out: the handshake's answer only.
    assert_eq!(
        reference,
        Seen {
            handshake: vec!["io=<sid>; Path=/; HttpOnly; SameSite=Lax".to_owned()],
            post: vec![],
            upgrade: vec![],
            websocket_only: vec![],
        }
    );
    for driver in ["tokio", "smol"] {
        let port = sio(driver, config(Some(Cookie::default())));
        assert_eq!(observe(port), reference, "sio on {driver}");
    }
}

#[test]
fn no_cookie_by_default_and_a_configured_one_as_configured() {
    let node = ServerProcess::start(
        "node",
        &[js_dir().join("eio-echo-server.mjs").to_str().unwrap()],
    );
    let reference = observe(node.port);
    assert!(reference.handshake.is_empty(), "{reference:?}");
    for driver in ["tokio", "smol"] {
        assert_eq!(
            observe(sio(driver, config(None))),
            reference,
            "sio on {driver}"
        );
    }
    let custom = Cookie {
        name: "sticky".to_owned(),
        max_age: Some(60),
        secure: true,
        ..Cookie::default()
    };
    let seen = observe(sio("tokio", config(Some(custom))));
    assert_eq!(
        seen.handshake,
        ["sticky=<sid>; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax"]
    );
}

#[test]
#[should_panic(expected = "ServerConfig::cookie: option path is invalid")]
fn an_invalid_cookie_is_refused_when_the_server_is_made() {
    let bad = Cookie {
        path: Some("/a;b".to_owned()),
        ..Cookie::default()
    };
    let _ = sio_core::engine::server::Server::new(config(Some(bad)));
}

/// The handshake's answer on polling, and the first two WebSocket messages of a session
/// opened on WebSocket, with the sid written `<sid>`.
fn first_packets(port: u16) -> (String, Vec<String>) {
    let p = "/engine.io/?EIO=4";
    let (head, body) = exchange(port, "GET", &format!("{p}&transport=polling"), "", "", true);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let polling = body.replace(&sid_in(&body), "<sid>");
    let url = format!("ws://127.0.0.1:{port}{p}&transport=websocket");
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (mut ws, _) = tungstenite::client::client(url.as_str(), stream).expect("WebSocket");
    let mut messages = Vec::new();
    while messages.len() < 2 {
        match ws.read().expect("a message") {
            tungstenite::Message::Text(t) => messages.push(t.to_string()),
            tungstenite::Message::Binary(b) => messages.push(format!("binary {:?}", &b[..])),
            _ => {}
        }
    }
    let sid = sid_in(&messages[0]);
    let messages = messages.iter().map(|m| m.replace(&sid, "<sid>")).collect();
    (polling, messages)
}

#[test]
fn the_initial_packet_follows_open_as_in_the_reference() {
    let script = js_dir().join("eio-echo-server.mjs");
    let node = ServerProcess::start(
        "node",
        &[script.to_str().unwrap(), "--initial-packet", "welcome é"],
    );
    let reference = first_packets(node.port);
    assert!(reference.0.ends_with("\u{1e}4welcome é"), "{reference:?}");
    assert_eq!(reference.1[1], "4welcome é");
    for driver in ["tokio", "smol"] {
        let cfg = ServerConfig {
            initial_packet: Some(Packet::Message(Str::from("welcome é"))),
            ..Default::default()
        };
        assert_eq!(
            first_packets(sio(driver, cfg)),
            reference,
            "sio on {driver}"
        );
    }
}
