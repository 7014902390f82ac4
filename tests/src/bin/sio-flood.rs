//! The server of the stalled-reader test (`tests/tests/stalled_reader.rs`): it broadcasts a
//! large volume to a room as fast as its members take it, and reports its own memory.
//!
//! `sio-flood [--driver tokio|smol] [--max-buffered BYTES]`; prints `listening <port>`.
//!
//! - `join` (no arguments): the socket joins room `flood`.
//! - `start` `{count, size, patience_ms, each}` with an ack: broadcasts `count` events
//!   `["m", seq, <size bytes>]` to room `flood` (one encode each), awaiting each one's
//!   [`emit_drained`](sio_core::api::socketio::BroadcastOperator::emit_drained) for at most
//!   `patience_ms` (a member that cannot take a message in that time is no longer waited for:
//!   it catches up, or its queue fills and it is closed). Then answers
//!   `{sent, rss_before_kib, rss_peak_kib, disconnects: [[id, reason], …]}`, the peak being
//!   the process's high-water resident memory (`VmHWM`). With `each`, it emits the events to
//!   every member on its own instead, without waiting (one buffer per member: the worst case
//!   for memory, measured by `tests/bench/stalled-memory.py`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;
use sio_core::api::socketio::{Message, Socket, SocketIo, SocketIoConfig};
use sio_core::engine::server::ServerConfig;

#[derive(Deserialize)]
struct Start {
    count: u64,
    size: usize,
    patience_ms: u64,
    /// Emit to each member on its own (one encode and one buffer per member, the worst case
    /// for memory) instead of one broadcast, without waiting.
    #[serde(default)]
    each: bool,
}

fn main() {
    let mut driver = "tokio".to_owned();
    let mut max_buffered = ServerConfig::DEFAULT_MAX_BUFFERED_BYTES;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--driver" => driver = value,
            "--max-buffered" => max_buffered = value.parse().expect("bytes"),
            other => panic!("unknown flag {other}"),
        }
    }
    let mut config = SocketIoConfig::default();
    config.engine.max_buffered_bytes = max_buffered;
    match driver.as_str() {
        "tokio" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let server = sio_tokio::SocketIoServer::new(config);
                setup(server.io(), |d| Box::pin(tokio::time::sleep(d)));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                println!("listening {}", listener.local_addr().expect("addr").port());
                server.serve(listener).await.expect("serve");
            });
        }
        "smol" => smol::block_on(async move {
            let server = sio_smol::SocketIoServer::new(config);
            setup(server.io(), |d| {
                Box::pin(async move {
                    smol::Timer::after(d).await;
                })
            });
            let listener = smol::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            println!("listening {}", listener.local_addr().expect("addr").port());
            server.serve(listener).await.expect("serve");
        }),
        other => panic!("unknown driver {other}"),
    }
}

/// A runtime's sleep.
type Sleep = fn(Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

fn setup(io: &SocketIo, sleep: Sleep) {
    let disconnects = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let app = io.clone();
    io.of("/").on_connection(move |socket: Socket| {
        let (app, disconnects) = (app.clone(), disconnects.clone());
        async move {
            let gone = disconnects.clone();
            socket.on_disconnect(move |s: Socket, reason| {
                gone.lock()
                    .unwrap()
                    .push((s.id().to_string(), reason.to_string()));
                async {}
            });
            socket.on("join", |socket: Socket, msg: Message| async move {
                let _ = socket.join("flood");
                let _ = msg.ack(&socket.id().to_string());
            });
            socket.on("start", move |_, msg: Message| {
                let (app, disconnects) = (app.clone(), disconnects.clone());
                async move {
                    let Ok(start) = msg.arg::<Start>(0) else {
                        return;
                    };
                    let before = status_kib("VmRSS:");
                    let data = vec![0x5a_u8; start.size];
                    let patience = Duration::from_millis(start.patience_ms);
                    if start.each {
                        let members: Vec<String> = app
                            .sockets()
                            .to("flood")
                            .fetch_sockets()
                            .into_iter()
                            .map(|s| s.id.to_string())
                            .collect();
                        for seq in 0..start.count {
                            for id in &members {
                                let payload = Bytes::from(data.clone());
                                let _ = app.sockets().to(id.clone()).emit("m", &(seq, payload));
                            }
                        }
                        // The disconnect handlers of the clients closed meanwhile run now.
                        sleep(Duration::from_millis(500)).await;
                    }
                    for seq in 0..start.count * u64::from(!start.each) {
                        let payload = Bytes::from(data.clone());
                        let room = app.sockets().to("flood");
                        let Ok(drained) = room.emit_drained("m", &(seq, payload)) else {
                            return;
                        };
                        // Whichever first: every member that kept up took it, or patience.
                        let _ = race(drained, sleep(patience)).await;
                    }
                    let peak = status_kib("VmHWM:");
                    let gone = disconnects.lock().unwrap().clone();
                    let _ = msg.ack(&json!({
                        "sent": start.count,
                        "rss_before_kib": before,
                        "rss_peak_kib": peak,
                        "disconnects": gone,
                    }));
                }
            });
        }
    });
}

/// Resolves with the first of two futures.
async fn race<A: std::future::Future, B: std::future::Future<Output = ()>>(a: A, b: B) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() || b.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(());
        }
        std::task::Poll::Pending
    })
    .await
}

/// A line of `/proc/self/status`, in KiB.
fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
