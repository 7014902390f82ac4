//! Scenarios for sio's Socket.IO client against a server of the reference contract
//! (`tests/js/sio-reference-server.mjs`: npm `socket.io` under Node, or `sio-echo` on either
//! driver). Each scenario builds its clients with the driver given (`sio_tokio::client::client`
//! or `sio_smol::client::client`) and the transports given, and panics with what it saw when
//! the server or the client misbehaves.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value as Json};
use sio_core::api::client::{Auth, ClientEvent, Message};
use sio_core::socket::client::SocketConfig;
use sio_core::Value;

mod context;
pub use context::{ask, sleep, to_json, within, Ctx, Log, Maker, Seen};
use context::{auth, settled};

/// Connect with auth and query, whoami, echo with and without ack, JSON and binary both
/// ways, the server's acks answered (binary included), broadcast acks, a 300-event burst in
/// order, catch-all both ways, and the client's own disconnect.
pub async fn basics(ctx: Ctx) {
    let mut log = Log::default();
    let client = ctx
        .builder(&format!("{}/?tag=t1", ctx.url))
        .extra_header("X-Sio-Test", "yes")
        .build()
        .expect("client");
    log.watch_client(&client);
    let s = client.socket_with_config("/", auth(json!({ "nick": "rusty" })));
    log.watch(&s);
    s.on("question", |_, m: Message| async move {
        let n: u64 = m.arg(0).unwrap_or(0);
        m.ack(&(n + 1, Bytes::from_static(&[9, 8, 7])))
            .expect("ack");
    });
    s.on("poll", |_, m: Message| async move {
        m.ack(&"pong").expect("ack");
    });
    s.connect();
    let c = log.next("connect").await;
    assert_eq!(c[0], json!(s.id().expect("id")), "connect: {c:?}");
    assert_eq!(c[1], json!(false));
    assert_eq!(log.count("open"), 1);
    settled(&ctx, &mut log, &client).await;

    let who = ask(&s, "whoami", &()).await;
    let w = &who[0];
    assert_eq!(w["nick"], "rusty", "{w}");
    assert_eq!(w["id"], json!(s.id().expect("id")), "{w}");
    assert_eq!(w["recovered"], false, "{w}");
    assert_eq!(w["transport"], ctx.final_transport(), "{w}");
    assert_eq!(w["handshakeQuery"]["tag"], "t1", "{w}");
    assert_eq!(w["handshakeQuery"]["EIO"], "4", "{w}");
    let h = ask(&s, "header-of", &"x-sio-test").await;
    assert_eq!(h[0], json!("yes"), "extra header: {h:?}");

    // Echo with ack: JSON and binary at depth come back as sent.
    let sent = json!({"x": [1, 2.5, "é"], "y": null});
    let back = ask(&s, "echo", &("a", 1, &sent)).await;
    assert_eq!(back, vec![json!("a"), json!(1), sent.clone()]);
    #[derive(serde::Serialize)]
    struct WithBin {
        data: Bytes,
        nested: Vec<Bytes>,
    }
    let bin = WithBin {
        data: Bytes::from_static(&[1, 2, 3]),
        nested: vec![Bytes::from_static(&[]), Bytes::from_static(&[255; 40])],
    };
    let back = ask(&s, "echo", &("bin", &bin)).await;
    assert_eq!(back[0], json!("bin"));
    assert_eq!(back[1]["data"], json!({"bin": [1, 2, 3]}));
    assert_eq!(back[1]["nested"][0], json!({"bin": []}));
    assert_eq!(back[1]["nested"][1], json!({"bin": vec![255; 40]}));

    // Echo without ack: the server emits it back (with the recovery offset appended).
    s.emit("echo", &("plain", Bytes::from_static(&[4, 5])))
        .expect("emit");
    let e = log.next("echo").await;
    assert_eq!(e[0], json!("plain"), "{e:?}");
    assert_eq!(e[1], json!({"bin": [4, 5]}), "{e:?}");
    assert!(e.len() == 3 && e[2].is_string(), "offset expected: {e:?}");

    // The server's emitWithAck, answered with JSON and binary.
    let r = ask(&s, "ask-client", &()).await;
    assert_eq!(r[0]["answer"], json!(43), "{r:?}");
    assert!(log.count("question") == 1);
    // A broadcast with acks reaches this client, which answers.
    let r = ask(&s, "broadcast-ask", &()).await;
    assert_eq!(r[0], json!(["pong"]), "{r:?}");

    // Order: 300 events in a burst arrive in order.
    s.emit("emit-burst", &300).expect("emit");
    for i in 0..300 {
        let b = log.next("burst").await;
        assert_eq!(b[0], json!(i), "burst out of order");
    }

    // Catch-all on the server saw what we sent.
    let names = ask(&s, "any-log", &()).await;
    for n in [
        "whoami",
        "echo",
        "ask-client",
        "broadcast-ask",
        "emit-burst",
    ] {
        assert!(
            names[0].as_array().unwrap().contains(&json!(n)),
            "{names:?}"
        );
    }

    s.disconnect();
    let d = log.next("disconnect").await;
    assert_eq!(d[0], "io client disconnect");
    assert!(!s.active() && !s.connected());
    sleep(100).await;
    assert!(
        !client.is_open(),
        "the last socket gone, the connection closes"
    );
    client.close();
}

/// Several namespaces on one connection: static, with an accepting and a refusing
/// middleware (message and data), dynamic, unknown.
pub async fn namespaces(ctx: Ctx) {
    let log = Log::default();
    let client = ctx.builder(&ctx.url).build().expect("client");
    log.watch_client(&client);
    let main = client.socket("/");
    let admin = client.socket_with_config("/admin", auth(json!({"token": "secret"})));
    let dyn_ = client.socket("/dyn-abc");
    let nope = client.socket("/nope");
    let mut logs: Vec<Log> = (0..4).map(|_| Log::default()).collect();
    for (l, s) in logs.iter().zip([&main, &admin, &dyn_, &nope]) {
        l.watch(s);
        s.connect();
    }
    logs[0].next("connect").await;
    logs[1].next("connect").await;
    let hello = logs[1].next("hello-admin").await;
    assert_eq!(hello[0], json!(admin.id().expect("admin id")));
    logs[2].next("connect").await;
    assert_eq!(logs[2].next("hello-dyn").await[0], json!("/dyn-abc"));
    let err = logs[3].next("connect_error").await;
    assert_eq!(err[0], json!("Invalid namespace"), "{err:?}");
    assert!(!nope.active());
    assert_ne!(main.id(), admin.id());
    assert_eq!(
        log.count("open"),
        1,
        "one engine connection for every namespace"
    );
    let engine = client.engine_id().expect("engine id");
    assert_eq!(engine.len(), 20);

    // A refused middleware: message and data; the socket is not retried.
    let other = ctx.builder(&ctx.url).build().expect("client");
    let bad = other.socket_with_config("/admin", auth(json!({"token": "nope"})));
    let mut bl = Log::default();
    bl.watch(&bad);
    bad.connect();
    let err = bl.next("connect_error").await;
    assert_eq!(err[0], json!("not authorized"));
    assert_eq!(err[1], json!({"reason": "bad token"}));
    assert!(!bad.active());
    // The same socket connects once given the right token.
    let bad = other.socket_with_config("/admin", auth(json!({"token": "secret"})));
    bad.connect();
    bl.next("connect").await;
    other.close();

    // Leaving one namespace keeps the others.
    dyn_.disconnect();
    assert_eq!(logs[2].next("disconnect").await[0], "io client disconnect");
    let who = ask(&main, "whoami", &()).await;
    assert_eq!(who[0]["id"], json!(main.id().unwrap()));
    assert_eq!(client.engine_id().as_deref(), Some(engine.as_str()));
    client.close();
    assert_eq!(logs[0].next("disconnect").await[0], "forced close");
}

/// Rooms and broadcasts between two clients; the server kicks one ("io server disconnect",
/// no reconnection), then lets the other go with `disconnect(true)`.
pub async fn rooms(ctx: Ctx) {
    let (mut la, mut lb) = (Log::default(), Log::default());
    let ca = ctx.builder(&ctx.url).build().expect("client");
    let cb = ctx.builder(&ctx.url).build().expect("client");
    let a = ca.socket_with_config("/", auth(json!({"nick": "a"})));
    let b = cb.socket_with_config("/", auth(json!({"nick": "b"})));
    la.watch(&a);
    lb.watch(&b);
    a.connect();
    b.connect();
    la.next("connect").await;
    lb.next("connect").await;
    let rooms = ask(&b, "join", &"r").await;
    let bid = b.id().unwrap();
    let mut want = vec![bid.clone(), "r".to_owned()];
    want.sort();
    assert_eq!(rooms[0], json!(want));
    a.emit("to-room", &("r", "hi")).expect("emit");
    let m = lb.next("room-msg").await;
    assert_eq!(&m[..2], &[json!("hi"), json!(a.id().unwrap())]);
    a.emit("broadcast", &"b1").expect("emit");
    assert_eq!(lb.next("bcast").await[0], json!("b1"));
    a.emit("all", &"everyone").expect("emit");
    assert_eq!(la.next("all").await[0], json!("everyone"));
    assert_eq!(lb.next("all").await[0], json!("everyone"));
    assert_eq!(la.count("bcast"), 0, "a broadcast skips its sender");
    let fetched = ask(&a, "fetch", &"r").await;
    assert_eq!(fetched[0], json!([{"id": bid, "rooms": want, "nick": "b"}]));

    a.emit("kick", &"r").expect("emit");
    assert_eq!(lb.next("disconnect").await[0], "io server disconnect");
    sleep(300).await;
    assert!(
        !b.active() && !b.connected(),
        "no reconnection after the server's disconnect"
    );
    // Connecting again is the application's choice.
    b.connect();
    lb.next("connect").await;
    assert_ne!(b.id(), Some(bid));

    a.emit("disconnect-me", &true).expect("emit");
    assert_eq!(la.next("disconnect").await[0], "io server disconnect");
    ca.close();
    cb.close();
}

/// At-least-once delivery: with `retries` and `ack_timeout`, an event the server does not ack
/// is sent again until it does.
pub async fn retries(ctx: Ctx, key: &str) {
    let mut log = Log::default();
    let client = ctx.builder(&ctx.url).build().expect("client");
    let s = client.socket_with_config(
        "/",
        SocketConfig {
            retries: 4,
            ack_timeout: Some(Duration::from_millis(250)),
            ..SocketConfig::default()
        },
    );
    log.watch(&s);
    s.connect();
    log.next("connect").await;
    let fut = s.emit_with_ack("ack-on-try", &(key, 3));
    let r = within("retries", Duration::from_secs(10), fut)
        .await
        .expect("ack within 10 s")
        .expect("acked");
    let count: u64 = r.deserialize::<(u64,)>().expect("count").0;
    assert_eq!(count, 3, "acked on the third try");
    // Exhausted retries fail the emit.
    let s2 = client.socket_with_config(
        "/",
        SocketConfig {
            retries: 1,
            ack_timeout: Some(Duration::from_millis(150)),
            ..SocketConfig::default()
        },
    );
    let r = s2
        .emit_with_ack("ack-on-try", &(format!("{key}-never"), 100))
        .await;
    assert!(r.is_err(), "{r:?}");
    client.close();
}

/// The connection is cut under the client (TCP closed by a proxy); the client reconnects
/// by itself, recovers its session (same id, rooms) and gets the events it missed, in
/// order, before the connect. `cut` cuts the connection; `direct` is the server's URL.
pub async fn recovery(ctx: Ctx, direct: &str, cut: impl Fn()) {
    let (mut la, mut lb) = (Log::default(), Log::default());
    // The server must notice the lost connection (and store the session) before the client
    // is back: a reconnection sooner than that starts afresh, with the reference too.
    let ca = ctx
        .builder(&ctx.url)
        .reconnection_delay(Duration::from_millis(1000))
        .reconnection_delay_max(Duration::from_millis(1000))
        .randomization_factor(0.0)
        .build()
        .expect("client");
    la.watch_client(&ca);
    let a = ca.socket("/");
    la.watch(&a);
    a.connect();
    la.next("connect").await;
    settled(&ctx, &mut la, &ca).await;
    ask(&a, "join", &"rr").await;
    let id = a.id().unwrap();
    let cb = (ctx.mk)(direct).build().expect("client");
    let b = cb.socket("/");
    lb.watch(&b);
    b.connect();
    lb.next("connect").await;
    // One event before the cut, so the client knows an offset.
    b.emit("to-room", &("rr", "before")).expect("emit");
    assert_eq!(la.next("room-msg").await[0], json!("before"));

    cut();
    let d = la.next("disconnect").await;
    assert!(
        d[0] == "transport close" || d[0] == "transport error",
        "disconnect after a cut: {d:?}"
    );
    // Missed while away. Emits of the cut client wait in its buffer.
    b.emit("to-room", &("rr", "missed-1")).expect("emit");
    b.emit("to-room", &("rr", "missed-2")).expect("emit");
    a.emit("echo", &"from-buffer").expect("emit");
    a.emit_volatile("echo", &"volatile-dropped").expect("emit");
    assert!(a.buffered() >= 1);
    let c = la.next("connect").await;
    assert_eq!(
        c,
        vec![json!(id), json!(true)],
        "recovered with the same id"
    );
    la.next("reconnect").await;
    assert!(la.count("reconnect_attempt") >= 1);
    let m1 = la.next("room-msg").await;
    let m2 = la.next("room-msg").await;
    assert_eq!((&m1[0], &m2[0]), (&json!("missed-1"), &json!("missed-2")));
    // The replayed events came before the connect, as the reference client orders them.
    let order: Vec<String> = la
        .seen()
        .into_iter()
        .filter(|s| s.name == "room-msg" || s.name == "connect")
        .map(|s| {
            format!(
                "{}:{}",
                s.name,
                s.args.first().map_or(Json::Null, Clone::clone)
            )
        })
        .collect();
    let pos = |x: &str| order.iter().position(|o| o == x).unwrap_or(usize::MAX);
    assert!(
        pos("room-msg:\"missed-2\"")
            < order
                .iter()
                .rposition(|o| o.starts_with("connect"))
                .unwrap(),
        "{order:?}"
    );
    assert_eq!(la.next("echo").await[0], json!("from-buffer"));
    let who = ask(&a, "whoami", &()).await;
    assert_eq!(who[0]["recovered"], true);
    let rooms = who[0]["rooms"].as_array().unwrap().clone();
    assert!(rooms.contains(&json!("rr")), "{rooms:?}");
    sleep(200).await;
    assert!(
        !la.seen()
            .iter()
            .any(|s| s.name == "echo" && s.args.first() == Some(&json!("volatile-dropped"))),
        "a volatile emit made offline is dropped"
    );
    ca.close();
    cb.close();
}

/// The server goes away and comes back on the same port: the client reconnects with backoff
/// and sends what was emitted meanwhile. `restart` stops the server, waits, starts it again.
pub async fn restart(ctx: Ctx, restart: impl FnOnce() + Send + 'static) {
    let mut log = Log::default();
    let client = ctx.builder(&ctx.url).build().expect("client");
    log.watch_client(&client);
    // Auth computed anew at each connection.
    let n = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let auth = Auth::Computed(Arc::new(move || {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        Value::from_serialize(&json!({ "nick": format!("n{i}") })).expect("auth")
    }));
    let s = client.socket_with_config(
        "/",
        SocketConfig {
            auth,
            ..SocketConfig::default()
        },
    );
    log.watch(&s);
    s.connect();
    log.next("connect").await;
    assert_eq!(ask(&s, "whoami", &()).await[0]["nick"], "n1");
    let first = s.id().unwrap();
    let t = std::thread::spawn(restart);
    let d = log.next("disconnect").await;
    // A WebTransport client learns nothing from a killed server (UDP has no reset): the
    // heartbeat tells it.
    let quiet = ctx.final_transport() == "webtransport" && d[0] == "ping timeout";
    assert!(
        d[0] == "transport close" || d[0] == "transport error" || quiet,
        "disconnect when the server stops: {d:?}"
    );
    s.emit("echo", &"while-down").expect("emit");
    log.next("reconnect_attempt").await;
    log.next("reconnect").await;
    t.join().expect("restart thread");
    let c = log.next("connect").await;
    assert_ne!(
        c[0],
        json!(first),
        "a new server knows nothing of the old session"
    );
    assert_eq!(c[1], json!(false));
    assert_eq!(log.next("echo").await[0], json!("while-down"));
    // Over WebTransport an attempt made while the server is down does not fail: QUIC resends
    // its first packet until the new server answers it.
    assert!(
        log.count("reconnect_error") >= 1 || ctx.final_transport() == "webtransport",
        "attempts failed while the server was down"
    );
    client.close();
}

/// Against python-socketio: connect with auth, echo with an ack (JSON and binary), an
/// emitted echo, and the server's `call` answered.
pub async fn python(ctx: Ctx) {
    let mut log = Log::default();
    let client = ctx.builder(&ctx.url).build().expect("client");
    log.watch_client(&client);
    let s = client.socket_with_config("/", auth(json!({ "token": "py" })));
    log.watch(&s);
    s.on("question", |_, m: Message| async move {
        let n: u64 = m.arg(0).unwrap_or(0);
        m.ack(&(n + 1, Bytes::from_static(&[9, 8, 7])))
            .expect("ack");
    });
    s.connect();
    log.next("connect").await;
    settled(&ctx, &mut log, &client).await;
    let who = ask(&s, "whoami", &()).await;
    assert_eq!(who[0]["auth"], json!({"token": "py"}), "{who:?}");
    assert_eq!(who[0]["transport"], ctx.final_transport(), "{who:?}");
    let back = ask(&s, "echo", &("a", 1, json!({"x": [true, null]}))).await;
    assert_eq!(back, vec![json!("a"), json!(1), json!({"x": [true, null]})]);
    let back = ask(&s, "echo", &("bin", Bytes::from_static(&[0, 1, 2, 255]))).await;
    assert_eq!(back, vec![json!("bin"), json!({"bin": [0, 1, 2, 255]})]);
    s.emit("echo-emit", &("pushed", Bytes::from_static(&[7])))
        .expect("emit");
    let e = log.next("echo").await;
    assert_eq!(e, vec![json!("pushed"), json!({"bin": [7]})]);
    let r = ask(&s, "ask-client", &()).await;
    assert_eq!(r[0]["answer"], json!([43, {"bin": [9, 8, 7]}]), "{r:?}");
    s.disconnect();
    assert_eq!(log.next("disconnect").await[0], "io client disconnect");
    client.close();
}

/// Many polling requests over few connections: the client keeps its HTTP/1.1 connections
/// alive and reuses them. `connections` says how many the server side saw so far.
pub async fn keep_alive(ctx: Ctx, connections: impl Fn() -> usize) {
    let mut log = Log::default();
    let client = ctx.builder(&ctx.url).build().expect("client");
    let s = client.socket("/");
    log.watch(&s);
    s.connect();
    log.next("connect").await;
    for i in 0..30 {
        let back = ask(&s, "echo", &i).await;
        assert_eq!(back, vec![json!(i)]);
    }
    // 30 acks are at least 60 requests (a POST and a GET each).
    let n = connections();
    assert!(n <= 4, "{n} connections for 60+ requests");
    client.close();
}

/// The connection's `open` reaches its handlers before any socket's `connect`, as the
/// reference emits them, even when the `open` handler is slow and the runtime has other
/// threads free to run the socket's task.
pub async fn open_before_connect(ctx: Ctx) {
    let mut log = Log::default();
    let client = ctx.builder(&ctx.url).build().expect("client");
    let (tx, all) = log.sink();
    client.on_event(move |_, e: ClientEvent| {
        if matches!(e, ClientEvent::Open) {
            // Long enough for the server's CONNECT answer to arrive meanwhile.
            std::thread::sleep(Duration::from_millis(300));
            Log::push(&tx, &all, "open", vec![]);
        }
        async {}
    });
    let s = client.socket("/");
    log.watch(&s);
    s.connect();
    log.next("connect").await;
    assert_eq!(log.count("open"), 1, "connect before open");
    client.close();
}

/// Compressible text of `n` characters (numbers in a scrambled order).
pub fn compressible_text(n: usize) -> String {
    let mut s = String::new();
    let mut i = 0u64;
    while s.len() < n {
        s.push_str(&format!("{},", (i * 7919) % 10007));
        i += 1;
    }
    s.truncate(n);
    s
}

/// Compression against a server that agrees permessage-deflate and compresses long-poll
/// answers (npm `socket.io` with `perMessageDeflate: true`, or `sio-echo
/// --per-message-deflate`): echoes of a 200 KB text, a 100 KB binary, unicode and 30 mixed
/// messages in a row come back as sent. With `stats` (the Node server's `stats` event), the
/// server confirms it: on WebSocket the extension was agreed and it read far fewer bytes
/// than were sent (the client compressed), on polling some answers went out compressed.
pub async fn compression(ctx: Ctx, stats: bool) {
    let mut log = Log::default();
    let client = ctx.builder(&ctx.url).build().expect("client");
    log.watch_client(&client);
    let s = client.socket("/");
    log.watch(&s);
    s.connect();
    log.next("connect").await;
    settled(&ctx, &mut log, &client).await;
    let before = if stats {
        Some(ask(&s, "stats", &()).await[0].clone())
    } else {
        None
    };
    // What the client saw, for the failure message (a lost connection shows its reason).
    let all = log.all.clone();
    let dump = move || {
        format!(
            "{:?}",
            all.lock().map(|a| a
                .iter()
                .map(|x| (x.name.clone(), x.args.clone()))
                .collect::<Vec<_>>())
        )
    };
    let text = compressible_text(200_000);
    let back = s
        .emit_with_ack_timeout("echo", &text, Duration::from_secs(5))
        .await;
    assert!(
        back.is_ok(),
        "200 KB echo: {:?}; seen {}",
        back.err(),
        dump()
    );
    let bin: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 97) as u8).collect();
    let back = ask(&s, "echo", &Bytes::from(bin.clone())).await;
    assert_eq!(
        back,
        vec![json!({ "bin": bin })],
        "100 KB binary echo differs"
    );
    let u = "héllo wörld ✓ 🎉 ".repeat(200);
    assert_eq!(ask(&s, "echo", &u).await, vec![json!(u)]);
    for i in 0..30usize {
        let m = match i % 3 {
            0 => json!(compressible_text(50 + i * 997)),
            1 => json!(format!("m{i}")),
            _ => json!({ "n": i, "t": compressible_text(i * 100) }),
        };
        assert_eq!(ask(&s, "echo", &m).await, vec![m.clone()], "message {i}");
    }
    if let Some(before) = before {
        let after = ask(&s, "stats", &()).await[0].clone();
        match ctx.final_transport() {
            "websocket" => {
                assert_eq!(after["extensions"], json!("permessage-deflate"), "{after}");
                let read = after["wsBytesRead"].as_u64().unwrap_or(0)
                    - before["wsBytesRead"].as_u64().unwrap_or(0);
                assert!(
                    read < 200_000,
                    "the server read {read} bytes for 300 KB sent"
                );
                let written = after["wsBytesWritten"].as_u64().unwrap_or(0)
                    - before["wsBytesWritten"].as_u64().unwrap_or(0);
                assert!(
                    written < 200_000,
                    "the server wrote {written} bytes for 300 KB"
                );
            }
            _ => {
                let n = after["compressedPolls"].as_u64().unwrap_or(0);
                assert!(n >= 1, "no long-poll answer was compressed: {after}");
            }
        }
    }
    s.disconnect();
    client.close();
}
