//! The Socket.IO server of the interop tests: the contract of
//! `tests/js/sio-reference-server.mjs` (the same server on npm `socket.io`), on sio, on the
//! driver named by `--driver`. Both drivers run the very same handlers ([`setup`] takes the
//! runtime-agnostic [`SocketIo`]).
//!
//! `sio-echo [--driver tokio|smol] [--port 0] [--ping-interval MS] [--ping-timeout MS]
//! [--parser json|msgpack] [--allow-eio3] [--per-message-deflate THRESHOLD]
//! [--no-context-takeover 1] [--http-compression THRESHOLD|off] [--cors 1]
//! [--webtransport CERT.pem KEY.pem]`; prints `listening <port>`. `--allow-eio3` lets
//! Socket.IO v2 clients in. permessage-deflate is off unless asked for (as the reference);
//! `--no-context-takeover 1` answers both `*_no_context_takeover` parameters. `--webtransport`
//! (tokio only) also serves WebTransport on the UDP port of the same number, with that
//! certificate.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use sio_core::api::socketio::{ConnectError, Message, Socket, SocketIo, SocketIoConfig};
use sio_core::compress::deflate::PerMessageDeflate;
use sio_core::compress::http::HttpCompression;
use sio_core::engine::server::{Cors, ServerConfig, TransportKind, Transports};
use sio_core::socket::server::RecoveryConfig;
use sio_core::socket::{Parser, Spread};
use sio_core::{Map, Value};

fn main() {
    let mut driver = "tokio".to_owned();
    let mut port = 0u16;
    let (mut interval, mut timeout) = (25_000u64, 20_000u64);
    let mut parser = Parser::Json;
    let mut allow_eio3 = false;
    let mut webtransport: Option<(String, String)> = None;
    let mut deflate: Option<PerMessageDeflate> = None;
    let mut no_takeover = false;
    let mut cors = None;
    let mut http = Some(HttpCompression::default());
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--allow-eio3" {
            allow_eio3 = true;
            continue;
        }
        if flag == "--webtransport" {
            let cert = it.next().expect("certificate file");
            let key = it.next().expect("key file");
            webtransport = Some((cert, key));
            continue;
        }
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--driver" => driver = value,
            "--port" => port = value.parse().expect("port"),
            "--ping-interval" => interval = value.parse().expect("ms"),
            "--ping-timeout" => timeout = value.parse().expect("ms"),
            "--parser" => {
                parser = match value.as_str() {
                    "json" => Parser::Json,
                    "msgpack" => Parser::MsgPack,
                    other => panic!("unknown parser {other}"),
                }
            }
            "--per-message-deflate" => {
                deflate = Some(PerMessageDeflate {
                    threshold: value.parse().expect("threshold"),
                    ..PerMessageDeflate::default()
                })
            }
            "--no-context-takeover" => no_takeover = value == "1",
            "--cors" => cors = (value == "1").then(Cors::default),
            "--http-compression" => {
                http = value.parse().ok().map(|threshold| HttpCompression {
                    threshold,
                    ..HttpCompression::default()
                })
            }
            other => panic!("unknown flag {other}"),
        }
    }
    let config = SocketIoConfig {
        engine: ServerConfig {
            ping_interval: Duration::from_millis(interval),
            ping_timeout: Duration::from_millis(timeout),
            path: "/socket.io/".into(),
            transports: if webtransport.is_some() {
                Transports::WITH_WEBTRANSPORT
            } else {
                Transports::ALL
            },
            per_message_deflate: deflate.map(|d| PerMessageDeflate {
                server_no_context_takeover: no_takeover,
                client_no_context_takeover: no_takeover,
                ..d
            }),
            http_compression: http,
            cors,
            ..ServerConfig::default()
        },
        recovery: Some(RecoveryConfig::default()),
        parser,
        allow_eio3,
        ..SocketIoConfig::default()
    };
    match driver.as_str() {
        "tokio" => tokio_main(config, port, webtransport),
        "smol" => smol_main(config, port),
        other => panic!("unknown driver {other}"),
    }
}

fn tokio_main(config: SocketIoConfig, port: u16, webtransport: Option<(String, String)>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let server = sio_tokio::SocketIoServer::new(config);
        setup(server.io());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        if let Some((cert, key)) = webtransport {
            // The UDP port of the TCP port's number: browsers' WebTransport goes there.
            let identity = sio_tokio::webtransport::Identity::load_pemfiles(cert, key)
                .await
                .expect("certificate and key");
            let udp = sio_tokio::webtransport::WebTransportListener::bind(addr, identity)
                .expect("bind udp");
            tokio::spawn(server.clone().serve_webtransport(udp));
        }
        println!("listening {}", addr.port());
        server.serve(listener).await.expect("serve");
    });
}

fn smol_main(config: SocketIoConfig, port: u16) {
    // The server's tasks and the handlers run on the application's executor, on two threads
    // (as the tokio runtime's two workers); `main` only waits.
    let ex = Arc::new(smol::Executor::new());
    for _ in 0..2 {
        let ex = ex.clone();
        std::thread::spawn(move || smol::block_on(ex.run(smol::future::pending::<()>())));
    }
    smol::block_on(async move {
        let server = sio_smol::SocketIoServer::with_executor(config, ex.clone());
        setup(server.io());
        let listener = smol::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        println!("listening {}", listener.local_addr().expect("addr").port());
        ex.spawn(server.serve(listener)).await.expect("serve");
    });
}

fn sorted_rooms(socket: &Socket) -> Vec<String> {
    let mut rooms: Vec<String> = socket.rooms().iter().map(|r| r.to_string()).collect();
    rooms.sort();
    rooms
}

fn nick(data: &Value) -> Value {
    data.get("nick").cloned().unwrap_or(Value::from("anon"))
}

/// The first argument of an ack's payload (what a Node `emitWithAck` resolves to).
fn first(p: &sio_core::socket::Payload) -> Value {
    p.deserialize::<Vec<Value>>()
        .ok()
        .and_then(|v| v.into_iter().next())
        .unwrap_or(Value::Null)
}

/// Calls of `ack-on-try` per key, across sockets (a retried event comes on the same socket,
/// or on its recovered successor).
static TRIES: std::sync::OnceLock<Mutex<std::collections::HashMap<String, u64>>> =
    std::sync::OnceLock::new();

/// The handlers of the reference server's contract, on any driver's server.
fn setup(server: &SocketIo) {
    let io = server.clone();
    let main = server.of("/");
    main.on_connection(move |socket: Socket| {
        let io = io.clone();
        async move {
            let hs = socket.handshake();
            let auth_nick = hs
                .as_ref()
                .and_then(|h| h.auth.as_ref())
                .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
                .and_then(|a| a.get("nick").cloned())
                .unwrap_or(json!("anon"));
            let _ = socket.set_data(&json!({ "nick": auth_nick }));
            let any_log = Arc::new(Mutex::new(Vec::<String>::new()));
            let log = any_log.clone();
            socket.on_any(move |_, msg: Message| {
                log.lock().unwrap().push(msg.name().to_owned());
                async {}
            });
            socket.on("echo", |socket: Socket, msg: Message| async move {
                let values = msg.values().unwrap_or_default();
                if msg.has_ack() {
                    let _ = msg.ack(&Spread(values));
                } else {
                    let _ = socket.emit("echo", &Spread(values));
                }
            });
            // The ack answered with the arguments as they came, without values
            // (`Message::ack_forward`): the reference answers `ack(...args)`.
            socket.on("echo-forward", |_, msg: Message| async move {
                let _ = msg.ack_forward();
            });
            socket.on("join", |socket: Socket, msg: Message| async move {
                if let Ok(room) = msg.arg::<String>(0) {
                    let _ = socket.join(room);
                }
                let _ = msg.ack(&sorted_rooms(&socket));
            });
            socket.on("leave", |socket: Socket, msg: Message| async move {
                if let Ok(room) = msg.arg::<String>(0) {
                    socket.leave(&room);
                }
                let _ = msg.ack(&sorted_rooms(&socket));
            });
            socket.on("to-room", |socket: Socket, msg: Message| async move {
                let room: String = msg.arg(0).unwrap_or_default();
                let payload: Value = msg.arg(1).unwrap_or_default();
                let id = socket.id().as_str().to_owned();
                let _ = socket.to(room).emit("room-msg", &(payload, id));
            });
            socket.on("broadcast", |socket: Socket, msg: Message| async move {
                let payload: Value = msg.arg(0).unwrap_or_default();
                let _ = socket.broadcast().emit("bcast", &payload);
            });
            let all_io = io.clone();
            socket.on("all", move |_, msg: Message| {
                let io = all_io.clone();
                async move {
                    let payload: Value = msg.arg(0).unwrap_or_default();
                    let _ = io.sockets().emit("all", &payload);
                }
            });
            socket.on("ask-client", |socket: Socket, msg: Message| async move {
                // An ordered map of our Value keeps a binary answer binary (serde_json's
                // Value would turn bytes into an array of numbers).
                let mut res = Map::new();
                match socket
                    .emit_with_ack_timeout("question", &42, Duration::from_secs(2))
                    .await
                {
                    Ok(p) => res.insert("answer", first(&p)),
                    Err(e) => res.insert("error", Value::from(e.to_string())),
                };
                let _ = msg.ack(&Value::Object(res));
            });
            let ask_io = io.clone();
            socket.on("broadcast-ask", move |_, msg: Message| {
                let io = ask_io.clone();
                async move {
                    let res = match io
                        .sockets()
                        .timeout(Duration::from_secs(1))
                        .emit_with_ack("poll", &"q")
                        .await
                    {
                        Ok(responses) => {
                            let mut answers: Vec<String> = responses
                                .iter()
                                .map(|(_, p)| match first(p) {
                                    Value::String(s) => s,
                                    other => format!("{other:?}"),
                                })
                                .collect();
                            answers.sort();
                            json!(answers)
                        }
                        Err(e) => json!({ "error": e.to_string() }),
                    };
                    let _ = msg.ack(&res);
                }
            });
            socket.on("header-of", |socket: Socket, msg: Message| async move {
                let name: String = msg.arg(0).unwrap_or_default();
                let value = socket
                    .handshake()
                    .and_then(|h| h.header(&name.to_ascii_lowercase()).map(str::to_owned));
                let _ = msg.ack(&value);
            });
            socket.on("whoami", |socket: Socket, msg: Message| async move {
                let data: Value = socket.data().unwrap_or_default();
                let query: serde_json::Map<String, serde_json::Value> = socket
                    .handshake()
                    .map(|h| {
                        h.conn
                            .query
                            .iter()
                            .map(|(k, v)| (k.clone(), json!(v)))
                            .collect()
                    })
                    .unwrap_or_default();
                let transport = match socket.transport() {
                    Some(t @ (TransportKind::WebSocket | TransportKind::WebTransport)) => t.name(),
                    _ => "polling",
                };
                let _ = msg.ack(&json!({
                    "id": socket.id().as_str(),
                    "nick": Value::from_serialize(&nick(&data)).ok(),
                    "rooms": sorted_rooms(&socket),
                    "recovered": socket.recovered(),
                    "transport": transport,
                    "handshakeQuery": query,
                }));
            });
            let fetch_io = io.clone();
            socket.on("fetch", move |_, msg: Message| {
                let io = fetch_io.clone();
                async move {
                    let room: String = msg.arg(0).unwrap_or_default();
                    let mut list: Vec<Value> = io
                        .sockets()
                        .to(room)
                        .fetch_sockets()
                        .into_iter()
                        .map(|s| {
                            let mut rooms: Vec<String> =
                                s.rooms.iter().map(|r| r.to_string()).collect();
                            rooms.sort();
                            // Keys in the reference's order.
                            let mut m = Map::new();
                            m.insert("id", Value::from(s.id.as_str()));
                            m.insert("rooms", Value::from_serialize(&rooms).unwrap_or_default());
                            m.insert("nick", nick(&s.data));
                            Value::Object(m)
                        })
                        .collect();
                    list.sort_by(|a, b| {
                        let id = |v: &Value| v.get("id").and_then(Value::as_str).map(str::to_owned);
                        id(a).cmp(&id(b))
                    });
                    let _ = msg.ack(&list);
                }
            });
            let kick_io = io.clone();
            socket.on("kick", move |_, msg: Message| {
                let io = kick_io.clone();
                async move {
                    let room: String = msg.arg(0).unwrap_or_default();
                    io.sockets().to(room).disconnect_sockets(false);
                }
            });
            socket.on("disconnect-me", |socket: Socket, msg: Message| async move {
                let close = msg.arg::<bool>(0).unwrap_or(false);
                socket.disconnect(close);
            });
            let count_io = io.clone();
            socket.on("count", move |_, msg: Message| {
                let io = count_io.clone();
                async move {
                    let _ = msg.ack(&io.sockets().socket_count());
                }
            });
            socket.on("volatile", |socket: Socket, msg: Message| async move {
                let n: u64 = msg.arg(0).unwrap_or(0);
                for i in 0..n {
                    let _ = socket.emit_volatile("v", &i);
                }
            });
            socket.on("emit-burst", |socket: Socket, msg: Message| async move {
                let n: u64 = msg.arg(0).unwrap_or(0);
                for i in 0..n {
                    let _ = socket.emit("burst", &i);
                }
            });
            let tries = TRIES.get_or_init(Default::default);
            socket.on("ack-on-try", move |_, msg: Message| {
                // Counts the calls per key; acks (with the count) only from the n-th on.
                let key: String = msg.arg(0).unwrap_or_default();
                let n: u64 = msg.arg(1).unwrap_or(1);
                let count = {
                    let mut t = tries.lock().unwrap();
                    let c = t.entry(key).or_insert(0);
                    *c += 1;
                    *c
                };
                async move {
                    if count >= n {
                        let _ = msg.ack(&count);
                    }
                }
            });
            socket.on("any-log", move |_, msg: Message| {
                let names = any_log.lock().unwrap().clone();
                async move {
                    let _ = msg.ack(&names);
                }
            });
        }
    });

    let admin = server.of("/admin");
    admin.use_middleware(|req| async move {
        let token = req
            .auth::<serde_json::Value>()
            .and_then(|a| a.get("token").and_then(|t| t.as_str().map(str::to_owned)));
        if token.as_deref() == Some("secret") {
            Ok(())
        } else {
            Err(ConnectError::new("not authorized").with_data(&json!({ "reason": "bad token" })))
        }
    });
    admin.on_connection(|socket: Socket| async move {
        let _ = socket.emit("hello-admin", socket.id().as_str());
    });

    server.dynamic_namespaces(|name| {
        name.strip_prefix("/dyn-").is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
    });
    server.on_dynamic_connection(|socket: Socket| async move {
        let nsp = socket.namespace().to_owned();
        let _ = socket.emit("hello-dyn", &nsp);
    });
}
