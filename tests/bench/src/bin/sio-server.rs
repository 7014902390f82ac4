//! sio under benchmark, on one thread of the driver named by `--driver`: the handlers of the
//! benchmark contract (`echo` answered by an `echo` event, `ack` by an ack, `binecho` echoed,
//! `bcast` emitted to every socket), on the runtime-agnostic [`SocketIo`].
//!
//! `sio-server [--driver tokio|smol] [--port 0] [--parser json|msgpack] [--deflate
//! off|takeover|no-takeover] [--adapter classic|sharded|streams --redis URL[,URL…]]
//! [--recovery] [--webtransport]`; prints `listening <port>`. `--webtransport` (tokio) also
//! serves WebTransport on the UDP port of the same number with a development certificate,
//! whose SHA-256 hash it prints first (`wt-hash <hex>`). With an adapter the server is a member of a Redis
//! cluster (`bcast` then reaches the sockets of every server); the sharded adapter takes the
//! Redis Cluster's node URLs; `--recovery` turns connection state recovery on (with the
//! streams adapter, broadcasts then wait for their stream offset).
//!
//! `--threads N` (default 1): above 1, tokio's multi-threaded runtime (N workers) or N smol
//! executor threads. `--handlers forward|values`: `forward` (the default) is what an
//! application echoing or relaying arguments would write, sio's forwarding emit
//! (`Message::forward`, `Message::ack_forward`, `emit_event` of a renamed event: the received
//! argument text is sent again, no values built); `values` reads the arguments into values and
//! writes them back, as the socketioxide server (which has no forwarding emit) does with
//! `Data<serde_json::Value>`.

use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sio_core::api::socketio::{Message, Socket, SocketIo, SocketIoConfig};
use sio_core::compress::deflate::PerMessageDeflate;
use sio_core::socket::{Parser, Spread};

/// The binary echo's argument, read as a typed struct as the socketioxide server does (a
/// `Bytes` field is a binary attachment).
#[derive(Serialize, Deserialize)]
struct BinMsg {
    seq: u64,
    b: Bytes,
}

fn main() {
    let mut driver = "tokio".to_owned();
    let mut port = 0u16;
    let mut parser = Parser::Json;
    let (mut adapter, mut redis, mut recovery) = (String::new(), String::new(), false);
    let mut forward = true;
    let mut threads = 1usize;
    let mut deflate = "off".to_owned();
    let mut webtransport = false;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--recovery" {
            recovery = true;
            continue;
        }
        if flag == "--webtransport" {
            webtransport = true;
            continue;
        }
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--driver" => driver = value,
            "--port" => port = value.parse().expect("port"),
            "--parser" => {
                parser = match value.as_str() {
                    "json" => Parser::Json,
                    "msgpack" => Parser::MsgPack,
                    other => panic!("unknown parser {other}"),
                }
            }
            "--adapter" => adapter = value,
            "--deflate" => deflate = value,
            "--redis" => redis = value,
            "--handlers" => {
                forward = match value.as_str() {
                    "forward" => true,
                    "values" => false,
                    other => panic!("unknown handlers {other}"),
                }
            }
            "--threads" => threads = value.parse().expect("threads"),
            other => panic!("unknown flag {other}"),
        }
    }
    let mut config = SocketIoConfig {
        parser,
        ..SocketIoConfig::default()
    };
    if recovery {
        config.recovery = Some(sio_core::socket::server::RecoveryConfig::default());
    }
    if webtransport {
        config.engine.transports = sio_tokio::Transports::WITH_WEBTRANSPORT;
    }
    let nodes: Vec<String> = redis.split(',').map(str::to_owned).collect();
    // permessage-deflate (off by default, as the reference): `takeover` keeps each
    // connection's deflate state, `no-takeover` agrees `server_no_context_takeover` and
    // `client_no_context_takeover` (`tests/bench/deflate-memory.py` compares the three).
    config.engine.per_message_deflate = match deflate.as_str() {
        "off" => None,
        "takeover" => Some(PerMessageDeflate::default()),
        "no-takeover" => Some(PerMessageDeflate {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..PerMessageDeflate::default()
        }),
        other => panic!("unknown --deflate {other}"),
    };
    match driver.as_str() {
        "tokio" => {
            let rt = if threads > 1 {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(threads)
                    .enable_all()
                    .build()
            } else {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
            }
            .expect("runtime");
            rt.block_on(async move {
                let server = sio_tokio::SocketIoServer::new(config);
                setup(server.io(), forward);
                let _adapter = join_tokio(&server, &adapter, &nodes).await;
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .expect("bind");
                let addr = listener.local_addr().expect("addr");
                if webtransport {
                    use sio_tokio::webtransport::{DevCertificate, WebTransportListener};
                    let cert = DevCertificate::generate(&["127.0.0.1"]).expect("certificate");
                    let hex: String = cert
                        .hash_bytes()
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect();
                    println!("wt-hash {hex}");
                    let udp = WebTransportListener::bind(addr, cert.identity()).expect("udp");
                    tokio::spawn(server.clone().serve_webtransport(udp));
                }
                println!("listening {}", addr.port());
                server.serve(listener).await.expect("serve");
            });
        }
        "smol" => {
            // `main` runs the executor, with `threads - 1` more threads.
            let ex = Arc::new(smol::Executor::new());
            for _ in 1..threads {
                let ex = ex.clone();
                std::thread::spawn(move || smol::block_on(ex.run(std::future::pending::<()>())));
            }
            smol::block_on(ex.run(async {
                let server = sio_smol::SocketIoServer::with_executor(config, ex.clone());
                setup(server.io(), forward);
                let _adapter = join_smol(&server, &adapter, &nodes).await;
                let listener = smol::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .expect("bind");
                println!("listening {}", listener.local_addr().expect("addr").port());
                server.serve(listener).await.expect("serve");
            }));
        }
        other => panic!("unknown driver {other}"),
    }
}

/// Joins the Redis cluster of `adapter` (none if empty).
async fn join_tokio(
    server: &sio_tokio::SocketIoServer,
    adapter: &str,
    nodes: &[String],
) -> Option<Box<dyn std::any::Any>> {
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    Some(match adapter {
        "" => return None,
        "classic" => Box::new(
            sio_tokio::RedisAdapter::connect(server, nodes[0])
                .await
                .expect("redis"),
        ),
        "sharded" => Box::new(
            sio_tokio::ShardedRedisAdapter::connect(server, &nodes, Default::default())
                .await
                .expect("redis cluster"),
        ),
        "streams" => Box::new(
            sio_tokio::RedisStreamsAdapter::connect(server, nodes[0], Default::default())
                .await
                .expect("redis"),
        ),
        other => panic!("unknown adapter {other}"),
    })
}

/// [`join_tokio`] on smol.
async fn join_smol(
    server: &sio_smol::SocketIoServer,
    adapter: &str,
    nodes: &[String],
) -> Option<Box<dyn std::any::Any>> {
    let nodes: Vec<&str> = nodes.iter().map(String::as_str).collect();
    Some(match adapter {
        "" => return None,
        "classic" => Box::new(
            sio_smol::RedisAdapter::connect(server, nodes[0])
                .await
                .expect("redis"),
        ),
        "sharded" => Box::new(
            sio_smol::ShardedRedisAdapter::connect(server, &nodes, Default::default())
                .await
                .expect("redis cluster"),
        ),
        "streams" => Box::new(
            sio_smol::RedisStreamsAdapter::connect(server, nodes[0], Default::default())
                .await
                .expect("redis"),
        ),
        other => panic!("unknown adapter {other}"),
    })
}

/// The benchmark's handlers.
fn setup(io: &SocketIo, forward: bool) {
    let all = io.clone();
    io.of("/").on_connection(move |socket: Socket| {
        let all = all.clone();
        async move {
            if forward {
                forward_handlers(&socket, all);
            } else {
                value_handlers(&socket, all);
            }
        }
    });
}

/// The handlers with the forwarding emit: the arguments are sent back as they came.
fn forward_handlers(socket: &Socket, all: SocketIo) {
    socket.on("echo", |socket: Socket, msg: Message| async move {
        let _ = msg.forward(&socket, "echo");
    });
    socket.on("ack", |_, msg: Message| async move {
        msg.ack_forward();
    });
    socket.on("binecho", |socket: Socket, msg: Message| async move {
        let _ = msg.forward(&socket, "binecho");
    });
    socket.on("bcast", move |_, msg: Message| {
        let all = all.clone();
        async move {
            if let Ok(event) = msg.event().renamed("bcast") {
                all.sockets().emit_event(event);
            }
        }
    });
}

/// The handlers reading the arguments into values (the binary echo into a typed struct) and
/// writing them back, as socketioxide's do.
fn value_handlers(socket: &Socket, all: SocketIo) {
    socket.on("echo", |socket: Socket, msg: Message| async move {
        let values = msg.values().unwrap_or_default();
        let _ = socket.emit("echo", &Spread(values));
    });
    socket.on("ack", |_, msg: Message| async move {
        let values = msg.values().unwrap_or_default();
        let _ = msg.ack(&Spread(values));
    });
    socket.on("binecho", |socket: Socket, msg: Message| async move {
        if let Ok(m) = msg.arg::<BinMsg>(0) {
            let _ = socket.emit("binecho", &m);
        }
    });
    socket.on("bcast", move |_, msg: Message| {
        let all = all.clone();
        async move {
            let values = msg.values().unwrap_or_default();
            let _ = all.sockets().emit("bcast", &Spread(values));
        }
    });
}
