//! A member of the Redis cluster of the cluster tests: the contract of
//! `tests/js/cluster-node.mjs` (the same node on npm `socket.io` with
//! `@socket.io/redis-adapter`), on sio, on the driver named by `--driver`.
//!
//! `sio-cluster-node --driver tokio|smol --name NODE --redis redis://127.0.0.1:PORT/
//! [--adapter classic|sharded|streams]`; prints `listening <port>`. The sharded adapter takes
//! the cluster's node URLs comma-separated in `--redis`; the streams adapter turns connection
//! state recovery on. Clients connect with `?name=<label>[&room=<room>]`; every operation
//! is asked for by a client event and answered by its ack (see the handlers).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_core::api::socketio::{
    Message, Socket, SocketIo, SocketIoConfig, StreamsConfig, SubscriptionMode,
};
use sio_core::socket::server::RecoveryConfig;
use sio_core::socket::Spread;
use sio_core::{Map, Value};

fn main() {
    let (mut driver, mut name, mut redis) = (String::new(), String::new(), String::new());
    let mut adapter = "classic".to_owned();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--driver" => driver = value,
            "--name" => name = value,
            "--redis" => redis = value,
            "--adapter" => adapter = value,
            other => panic!("unknown flag {other}"),
        }
    }
    let name: &'static str = Box::leak(name.into_boxed_str());
    let mut config = SocketIoConfig::default();
    if adapter == "streams" {
        // Sessions and offsets in Redis: a client recovers on any server.
        config.recovery = Some(RecoveryConfig::default());
    }
    let redis: &'static str = Box::leak(redis.into_boxed_str());
    let nodes: Vec<&'static str> = redis.split(',').collect();
    match driver.as_str() {
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let server = sio_tokio::SocketIoServer::new(config);
                setup(server.io(), name);
                let adapter: Box<dyn std::any::Any> = match adapter.as_str() {
                    "classic" => Box::new(
                        sio_tokio::RedisAdapter::connect(&server, redis)
                            .await
                            .expect("redis"),
                    ),
                    "sharded" => Box::new(
                        sio_tokio::ShardedRedisAdapter::connect(
                            &server,
                            &nodes,
                            SubscriptionMode::Dynamic,
                        )
                        .await
                        .expect("redis cluster"),
                    ),
                    "streams" => Box::new(
                        sio_tokio::RedisStreamsAdapter::connect(
                            &server,
                            redis,
                            StreamsConfig::default(),
                        )
                        .await
                        .expect("redis"),
                    ),
                    other => panic!("unknown adapter {other}"),
                };
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                    .await
                    .expect("bind");
                println!("listening {}", listener.local_addr().expect("addr").port());
                server.serve(listener).await.expect("serve");
                drop(adapter);
            });
        }
        "smol" => smol::block_on(async move {
            let server = sio_smol::SocketIoServer::new(config);
            setup(server.io(), name);
            let adapter: Box<dyn std::any::Any> = match adapter.as_str() {
                "classic" => Box::new(
                    sio_smol::RedisAdapter::connect(&server, redis)
                        .await
                        .expect("redis"),
                ),
                "sharded" => Box::new(
                    sio_smol::ShardedRedisAdapter::connect(
                        &server,
                        &nodes,
                        SubscriptionMode::Dynamic,
                    )
                    .await
                    .expect("redis cluster"),
                ),
                "streams" => Box::new(
                    sio_smol::RedisStreamsAdapter::connect(
                        &server,
                        redis,
                        StreamsConfig::default(),
                    )
                    .await
                    .expect("redis"),
                ),
                other => panic!("unknown adapter {other}"),
            };
            let listener = smol::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .expect("bind");
            println!("listening {}", listener.local_addr().expect("addr").port());
            server.serve(listener).await.expect("serve");
            drop(adapter);
        }),
        other => panic!("unknown driver {other}"),
    }
}

/// The argument `i` as text, or `None` for null/missing.
fn text(msg: &Message, i: usize) -> Option<String> {
    msg.arg::<Option<String>>(i).ok().flatten()
}

fn setup(io: &SocketIo, node: &'static str) {
    let heard: Arc<Mutex<Vec<Value>>> = Arc::default();
    let h = heard.clone();
    io.on_server_event("hello", move |args: Vec<Value>| {
        let h = h.clone();
        async move {
            h.lock().unwrap().push(Value::Array(args));
        }
    });
    io.on_server_event_with_ack("question", move |_args: Vec<Value>| async move {
        Value::from(node)
    });
    // A second namespace: its own cluster channels (`socket.io#/admin#`, …).
    io.of("/admin")
        .on_connection(|_socket: Socket| async move {});
    let io2 = io.clone();
    io.of("/").on_connection(move |socket: Socket| {
        let (io, heard) = (io2.clone(), heard.clone());
        async move {
            let hs = socket.handshake();
            let q = |k: &str| hs.as_ref().and_then(|h| h.query(k)).map(str::to_owned);
            let mut data = Map::new();
            data.insert("name", Value::from(q("name").unwrap_or_default()));
            let _ = socket.set_data(&Value::Object(data));
            if let Some(room) = q("room") {
                let _ = socket.join(room);
            }
            handlers(&io, &socket, node, heard);
        }
    });
}

fn handlers(io: &SocketIo, socket: &Socket, node: &'static str, heard: Arc<Mutex<Vec<Value>>>) {
    let i = io.clone();
    socket.on("broadcast", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let payload: Value = msg.arg(0).unwrap_or_default();
            let _ = i.sockets().emit("bcast", &(payload, node));
            let _ = msg.ack(&("ok",));
        }
    });
    let i = io.clone();
    socket.on("local-broadcast", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let payload: Value = msg.arg(0).unwrap_or_default();
            let _ = i.sockets().local().emit("bcast", &(payload, node));
            let _ = msg.ack(&("ok",));
        }
    });
    socket.on("others", move |s: Socket, msg: Message| async move {
        let payload: Value = msg.arg(0).unwrap_or_default();
        let _ = s.broadcast().emit("bcast", &(payload, node));
        let _ = msg.ack(&("ok",));
    });
    let i = io.clone();
    socket.on("admin-broadcast", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let payload: Value = msg.arg(0).unwrap_or_default();
            let _ = i.of("/admin").emit("admin-msg", &(payload, node));
            let _ = msg.ack(&("ok",));
        }
    });
    let i = io.clone();
    socket.on("room-emit", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let room = text(&msg, 0).unwrap_or_default();
            let payload: Value = msg.arg(1).unwrap_or_default();
            let _ = i.sockets().to(room).emit("room-msg", &(payload, node));
            let _ = msg.ack(&("ok",));
        }
    });
    let i = io.clone();
    socket.on("fetch", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let fetched = match text(&msg, 0) {
                Some(room) => i.sockets().to(room).fetch_cluster_sockets().await,
                None => i.sockets().fetch_cluster_sockets().await,
            };
            let list = match fetched {
                Ok(sockets) => sockets
                    .into_iter()
                    .map(|s| {
                        let mut m = Map::new();
                        m.insert("id", Value::from(s.id.as_str()));
                        m.insert("name", s.data.get("name").cloned().unwrap_or_default());
                        let rooms = s.rooms.iter().map(|r| Value::from(r.as_str())).collect();
                        m.insert("rooms", Value::Array(rooms));
                        Value::Object(m)
                    })
                    .collect(),
                Err(e) => vec![Value::from(format!("error: {e}"))],
            };
            let _ = msg.ack(&(Value::Array(list),));
        }
    });
    let i = io.clone();
    socket.on("join-all", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let room = text(&msg, 0).unwrap_or_default();
            match text(&msg, 1) {
                Some(sel) => i.sockets().to(sel).sockets_join(&[&room]),
                None => i.sockets().sockets_join(&[&room]),
            }
            let _ = msg.ack(&("ok",));
        }
    });
    let i = io.clone();
    socket.on("leave-all", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let room = text(&msg, 0).unwrap_or_default();
            i.sockets().sockets_leave(&room);
            let _ = msg.ack(&("ok",));
        }
    });
    let i = io.clone();
    socket.on("kick", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let room = text(&msg, 0).unwrap_or_default();
            i.sockets().to(room).disconnect_sockets(false);
            let _ = msg.ack(&("ok",));
        }
    });
    let i = io.clone();
    socket.on("sse", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let payload: Value = msg.arg(0).unwrap_or_default();
            let _ = i.server_side_emit("hello", &(payload, node));
            let _ = msg.ack(&("ok",));
        }
    });
    let i = io.clone();
    socket.on("sse-ack", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let answer = match i.server_side_emit_with_ack("question", &(node,)).await {
                Ok(mut r) => {
                    r.sort_by_key(|v| v.as_str().map(str::to_owned));
                    Value::Array(r)
                }
                Err(e) => Value::from(format!("error: {e}")),
            };
            let _ = msg.ack(&(answer,));
        }
    });
    let i = io.clone();
    socket.on("bcast-ack", move |_s: Socket, msg: Message| {
        let i = i.clone();
        async move {
            let room = text(&msg, 0).unwrap_or_default();
            let op = i.sockets().to(room).timeout(Duration::from_secs(3));
            let answer = match op.emit_with_ack("q", &(node,)).await {
                Ok(responses) => {
                    let mut names: Vec<String> = responses
                        .iter()
                        .filter_map(|(_, p)| p.deserialize::<(String,)>().ok())
                        .map(|(n,)| n)
                        .collect();
                    names.sort();
                    Value::Array(names.into_iter().map(Value::from).collect())
                }
                Err(e) => Value::from(format!("error: {e}")),
            };
            let _ = msg.ack(&(answer,));
        }
    });
    socket.on("echo-me", move |s: Socket, msg: Message| async move {
        let payload: Value = msg.arg(0).unwrap_or_default();
        let _ = s.emit("echoed", &(payload,));
        let _ = msg.ack(&("ok",));
    });
    socket.on("whoami", move |s: Socket, msg: Message| async move {
        let mut m = Map::new();
        m.insert("node", Value::from(node));
        m.insert("id", Value::from(s.id().as_str()));
        m.insert("recovered", Value::Bool(s.recovered()));
        let _ = msg.ack(&(Value::Object(m),));
    });
    socket.on("server-events", move |_s: Socket, msg: Message| {
        let heard = heard.clone();
        async move {
            let list = std::mem::take(&mut *heard.lock().unwrap());
            let _ = msg.ack(&Spread(vec![Value::Array(list)]));
        }
    });
}
