//! Parts of the Socket.IO server API that the npm reference server cannot act out (it has no
//! same-node `serverSideEmit`) or that the interop contract does not use: per-socket
//! middleware with `on_error`, outgoing listeners, `server_side_emit`, reserved names. Driven
//! over real HTTP long-polling with packets written by hand (the wire format itself is
//! covered by the golden and interop tests).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_tokio::{Message, Socket, SocketIoConfig, SocketIoServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn http(port: u16, method: &str, target: &str, body: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw))
        .await
        .expect("answer in time")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

/// A polling client that has joined `/`.
struct Client {
    port: u16,
    sid: String,
}

impl Client {
    async fn connect(port: u16) -> Client {
        let open = http(port, "GET", "/socket.io/?EIO=4&transport=polling", "").await;
        let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
        let c = Client {
            port,
            sid: v["sid"].as_str().unwrap().to_owned(),
        };
        c.send("0").await;
        let reply = c.poll().await;
        assert!(reply.starts_with("40{\"sid\":"), "{reply}");
        c
    }

    fn url(&self) -> String {
        format!("/socket.io/?EIO=4&transport=polling&sid={}", self.sid)
    }

    async fn send(&self, packet: &str) {
        assert_eq!(
            http(self.port, "POST", &self.url(), &format!("4{packet}")).await,
            "ok"
        );
    }

    async fn poll(&self) -> String {
        http(self.port, "GET", &self.url(), "").await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_middleware_outgoing_listeners_and_server_side_emit() {
    let io = SocketIoServer::new(SocketIoConfig::default());
    let outgoing = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = outgoing.clone();
    let app = io.io().clone();
    let handshake = Arc::new(Mutex::new(None));
    let hs = handshake.clone();
    io.of("/").on_connection(move |socket: Socket| {
        let (seen, app, hs) = (seen.clone(), app.clone(), hs.clone());
        async move {
            *hs.lock().unwrap() = socket.handshake();
            socket.on_any_outgoing(move |_, event| {
                seen.lock().unwrap().push(event.name().to_string());
            });
            socket.use_middleware(|_, msg: Message| async move {
                if msg.name() == "forbidden" {
                    Err("not allowed".to_owned())
                } else {
                    Ok(())
                }
            });
            socket.on_error(|socket: Socket, err: String| async move {
                let _ = socket.emit("mw-error", &err);
            });
            socket.on("forbidden", |socket: Socket, _| async move {
                let _ = socket.emit("should-not-happen", &());
            });
            socket.on("hello", |socket: Socket, msg: Message| async move {
                let who: String = msg.arg(0).unwrap();
                let _ = socket.emit("hello-back", &who);
            });
            socket.on("sse", move |_, msg: Message| {
                let app = app.clone();
                async move {
                    let n: u32 = msg.arg(0).unwrap();
                    app.server_side_emit("bump", &(n, "x")).unwrap();
                }
            });
            // Reserved names are refused before anything is sent.
            assert!(socket.emit("disconnect", &()).is_err());
        }
    });
    let bumped = Arc::new(Mutex::new(Vec::new()));
    let b = bumped.clone();
    io.io().on_server_event("bump", move |args| {
        b.lock().unwrap().push(args);
        async {}
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.clone().serve(listener));

    let c = Client::connect(port).await;
    // The handshake carries what the driver saw of the request.
    let h = handshake.lock().unwrap().clone().expect("handshake");
    assert!(
        h.conn.address.starts_with("127.0.0.1:"),
        "{:?}",
        h.conn.address
    );
    assert_eq!(h.header("host"), Some("x"));
    assert_eq!(h.query("transport"), Some("polling"));
    assert!(!h.xdomain);
    assert!(h.conn.issued > 1_600_000_000_000);
    c.send(r#"2["forbidden"]"#).await;
    c.send(r#"2["hello","ann"]"#).await;
    c.send(r#"2["sse",7]"#).await;
    let mut got = String::new();
    for _ in 0..10 {
        got.push_str(&c.poll().await);
        got.push('\u{1e}');
        if got.contains("hello-back") {
            break;
        }
    }
    // The middleware refused `forbidden`: its handler did not run, on_error did.
    assert!(got.contains(r#"42["mw-error","not allowed"]"#), "{got}");
    assert!(!got.contains("should-not-happen"), "{got}");
    assert!(got.contains(r#"42["hello-back","ann"]"#), "{got}");
    // Events pass the middleware in order, and outgoing listeners saw every emit.
    assert_eq!(*outgoing.lock().unwrap(), vec!["mw-error", "hello-back"]);
    for _ in 0..50 {
        if !bumped.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let bumped = bumped.lock().unwrap();
    assert_eq!(bumped.len(), 1);
    assert_eq!(bumped[0][0].as_u64(), Some(7));
    assert_eq!(bumped[0][1].as_str(), Some("x"));
}

/// A client sending malformed Socket.IO packets is disconnected; the others go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_packets_close_only_their_connection() {
    let io = SocketIoServer::new(SocketIoConfig::default());
    io.of("/").on_connection(|socket: Socket| async move {
        socket.on("echo", |socket: Socket, msg: Message| async move {
            let v: String = msg.arg(0).unwrap_or_default();
            let _ = socket.emit("echo", &v);
        });
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.clone().serve(listener));

    for bad in [
        r#"2{}"#,
        r#"2["connect"]"#,
        r#"51-["a",{"_placeholder":true,"num":3}]"#,
        "9",
        r#"2["a""#,
    ] {
        let good = Client::connect(port).await;
        let evil = Client::connect(port).await;
        assert_eq!(io.sockets().socket_count(), 2);
        evil.send(bad).await;
        // The offender's session is gone: its next poll is refused (unknown sid) or closes.
        let after = http(port, "GET", &evil.url(), "").await;
        assert!(
            after.contains("Session ID unknown") || after == "1",
            "{bad}: {after}"
        );
        good.send(r#"2["echo","still here"]"#).await;
        let got = good.poll().await;
        assert!(got.contains(r#"42["echo","still here"]"#), "{bad}: {got}");
        assert_eq!(io.sockets().socket_count(), 1, "{bad}");
        good.send("1").await; // leave the namespace
        let _ = http(port, "POST", &good.url(), "1").await; // and close the session
    }
}

/// The polling → WebSocket upgrade is reported to the socket (`on_upgrade`), and its
/// transport changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_is_reported_to_the_socket() {
    let io = SocketIoServer::new(SocketIoConfig::default());
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx = Arc::new(Mutex::new(tx));
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            socket.on_upgrade(move |socket: Socket| {
                let tx = tx.clone();
                async move {
                    let t = format!("{:?}", socket.transport());
                    let _ = tx.lock().unwrap().send(t);
                }
            });
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.clone().serve(listener));
    let c = Client::connect(port).await;
    let url = format!(
        "ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&sid={}",
        c.sid
    );
    let upgraded = tokio::task::spawn_blocking(move || {
        let (mut ws, _) = tungstenite::connect(url).expect("websocket");
        ws.send(tungstenite::Message::text("2probe")).unwrap();
        let pong = ws.read().unwrap();
        assert_eq!(pong.to_text().unwrap(), "3probe");
        ws.send(tungstenite::Message::text("5")).unwrap();
        rx.recv_timeout(Duration::from_secs(5))
            .expect("on_upgrade called")
    })
    .await
    .unwrap();
    assert_eq!(upgraded, "Some(WebSocket)");
}

/// Handlers run in the task that received their event: one that panics is dropped alone (the
/// connection and the socket's later events are unharmed, as with a panicking task), and one
/// that waits does not hold up the events after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_or_waiting_handler_holds_nothing_up() {
    let io = SocketIoServer::new(SocketIoConfig::default());
    io.of("/").on_connection(|socket: Socket| async move {
        socket.on("boom", |_, _| async move {
            panic!("handler panic (expected by the test)");
        });
        socket.on("slow", |socket: Socket, _| async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = socket.emit("slow-done", &());
        });
        socket.on("hello", |socket: Socket, msg: Message| async move {
            let who: String = msg.arg(0).unwrap();
            let _ = socket.emit("hello-back", &who);
        });
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.clone().serve(listener));

    let c = Client::connect(port).await;
    c.send(r#"2["boom"]"#).await;
    c.send(r#"2["slow"]"#).await;
    c.send(r#"2["hello","ann"]"#).await;
    let mut got = String::new();
    for _ in 0..10 {
        got.push_str(&c.poll().await);
        got.push('\u{1e}');
        if got.contains("slow-done") {
            break;
        }
    }
    let hello = got.find(r#"42["hello-back","ann"]"#).expect(&got);
    let slow = got.find(r#"42["slow-done"]"#).expect(&got);
    assert!(hello < slow, "{got}");
    // The connection is still served.
    c.send(r#"2["hello","bob"]"#).await;
    assert!(c.poll().await.contains(r#"42["hello-back","bob"]"#));
}

/// A handler of one server acting on another server of the same process: the other server's
/// handlers it triggers run at once (each server drains its own work, even from inside the
/// first one's handler).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_acting_on_another_server_runs_that_servers_handlers() {
    let x = SocketIoServer::new(SocketIoConfig::default());
    let y = SocketIoServer::new(SocketIoConfig::default());
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx = Arc::new(Mutex::new(tx));
    y.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        async move {
            socket.on_disconnect(move |_, reason| {
                let tx = tx.clone();
                async move {
                    let _ = tx.lock().unwrap().send(format!("{reason:?}"));
                }
            });
        }
    });
    let other = y.io().clone();
    x.of("/").on_connection(move |socket: Socket| {
        let other = other.clone();
        async move {
            socket.on("kick-the-others", move |_, _| {
                let other = other.clone();
                async move { other.sockets().disconnect_sockets(false) }
            });
        }
    });
    let mut ports = Vec::new();
    for server in [&x, &y] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        ports.push(listener.local_addr().unwrap().port());
        tokio::spawn(server.clone().serve(listener));
    }
    let cx = Client::connect(ports[0]).await;
    let _cy = Client::connect(ports[1]).await;
    cx.send(r#"2["kick-the-others"]"#).await;
    let reason = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(2)))
        .await
        .unwrap()
        .expect("the other server's disconnect handler ran");
    assert!(reason.contains("ServerNamespaceDisconnect"), "{reason}");
}

/// The forwarding emit sends the received arguments on as they came: an echo with
/// `Message::forward` (the sender's text, spacing and `1.50` included, unchanged), a relay to
/// the other sockets with `emit_event` of a renamed event, an ack answered with
/// `ack_forward`, a binary argument sent back with its attachment; outgoing listeners see
/// forwarded events like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_arguments_arrive_as_they_were_sent() {
    let io = SocketIoServer::new(SocketIoConfig::default());
    let outgoing = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = outgoing.clone();
    let all = io.io().clone();
    io.of("/").on_connection(move |socket: Socket| {
        let (seen, all) = (seen.clone(), all.clone());
        async move {
            socket.on_any_outgoing(move |_, event| {
                seen.lock().unwrap().push(event.args_text().to_owned());
            });
            socket.on("echo", |socket: Socket, msg: Message| async move {
                msg.forward(&socket, "echoed").unwrap();
                assert!(msg.forward(&socket, "disconnect").is_err());
            });
            socket.on("ask", |_, msg: Message| async move {
                assert!(msg.ack_forward());
                assert!(!msg.ack_forward(), "only the first answer is sent");
            });
            socket.on("relay", move |_, msg: Message| {
                let all = all.clone();
                async move {
                    all.of("/")
                        .emit_event(msg.event().renamed("relayed").unwrap());
                }
            });
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.clone().serve(listener));
    let a = Client::connect(port).await;
    let b = Client::connect(port).await;

    a.send(r#"2["echo", 1.50, {"k":["é",null,true]},"\"q\""]"#)
        .await;
    assert_eq!(
        a.poll().await,
        r#"42["echoed", 1.50, {"k":["é",null,true]},"\"q\""]"#
    );
    a.send(r#"2["echo"]"#).await;
    assert_eq!(a.poll().await, r#"42["echoed"]"#);

    a.send(r#"27["ask",{"n":1},2]"#).await;
    assert_eq!(a.poll().await, r#"437[{"n":1},2]"#);

    b.send(r#"2["relay","hi",3]"#).await;
    assert_eq!(a.poll().await, r#"42["relayed","hi",3]"#);
    assert_eq!(b.poll().await, r#"42["relayed","hi",3]"#);

    // A binary argument: the placeholder and the attachment go back as they came.
    let body = "451-[\"echo\",{\"_placeholder\":true,\"num\":0}]\u{1e}bAQID";
    assert_eq!(http(port, "POST", &a.url(), body).await, "ok");
    assert_eq!(
        a.poll().await,
        "451-[\"echoed\",{\"_placeholder\":true,\"num\":0}]\u{1e}bAQID"
    );

    let seen = outgoing.lock().unwrap().clone();
    assert!(
        seen.contains(&r#" 1.50, {"k":["é",null,true]},"\"q\"""#.to_owned()),
        "{seen:?}"
    );
}

/// The emits of handlers run together (one batch of events read at once) are carried out
/// together; that shows only in timing, never in what arrives: every packet, in order, and
/// what a handler reads of its connection's buffer counts what it emitted just before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_events_is_answered_in_order_and_counted_as_emitted() {
    let io = SocketIoServer::new(SocketIoConfig::default());
    io.of("/").on_connection(|socket: Socket| async move {
        socket.on("burst", |socket: Socket, msg: Message| async move {
            let n: u64 = msg.arg(0).unwrap();
            let before = socket.buffered_amount();
            for i in 0..3 {
                socket.emit("n", &(n, i)).unwrap();
            }
            let after = socket.buffered_amount();
            socket.emit("grew", &(n, after - before)).unwrap();
        });
        // More emits from one handler than a batch holds back.
        socket.on("flood", |socket: Socket, _: Message| async move {
            for i in 0..300 {
                socket.emit("f", &i).unwrap();
            }
        });
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.clone().serve(listener));
    let c = Client::connect(port).await;

    // 100 events in one request: the server reads them at once and runs their handlers in
    // one go.
    let body: Vec<String> = (0..100).map(|n| format!("42[\"burst\",{n}]")).collect();
    assert_eq!(
        http(port, "POST", &c.url(), &body.join("\u{1e}")).await,
        "ok"
    );
    let mut got = Vec::new();
    while got.len() < 400 {
        got.extend(c.poll().await.split('\u{1e}').map(str::to_owned));
    }
    let mut want = Vec::new();
    for n in 0..100 {
        for i in 0..3 {
            want.push(format!("42[\"n\",{n},{i}]"));
        }
        // A frame is counted as its Engine.IO packet's length plus the fixed overhead.
        let grew: usize = (0..3)
            .map(|i| format!("42[\"n\",{n},{i}]").len() + sio_core::engine::server::FRAME_OVERHEAD)
            .sum();
        want.push(format!("42[\"grew\",{n},{grew}]"));
    }
    assert_eq!(got, want);

    c.send("2[\"flood\"]").await;
    let mut got = Vec::new();
    while got.len() < 300 {
        got.extend(c.poll().await.split('\u{1e}').map(str::to_owned));
    }
    let want: Vec<String> = (0..300).map(|i| format!("42[\"f\",{i}]")).collect();
    assert_eq!(got, want);
}
