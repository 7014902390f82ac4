//! socketioxide (the Rust peer) under benchmark, on one tokio thread behind axum, with the
//! handlers of the benchmark contract (see `sio-server`).
//!
//! `sioxide-server [--port 0] [--threads 1]`; prints `listening <port>`. With `--threads N`
//! above 1, tokio's multi-threaded runtime with N workers.

use axum::serve::ListenerExt;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::SocketIo;

/// The binary echo's argument (a `Bytes` field is a binary attachment).
#[derive(Serialize, Deserialize)]
struct BinMsg {
    seq: u64,
    b: Bytes,
}

fn main() {
    let mut port = 0u16;
    let mut threads = 1usize;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--port" => port = it.next().and_then(|v| v.parse().ok()).expect("port"),
            "--threads" => threads = it.next().and_then(|v| v.parse().ok()).expect("threads"),
            other => panic!("unknown flag {other}"),
        }
    }
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
        let (layer, io) = SocketIo::new_layer();
        io.ns("/", async move |s: SocketRef| {
            s.on("echo", async |s: SocketRef, Data::<Value>(data)| {
                let _ = s.emit("echo", &data);
            });
            s.on("ack", async |Data::<Value>(data), ack: AckSender| {
                let _ = ack.send(&data);
            });
            s.on("binecho", async |s: SocketRef, Data::<BinMsg>(data)| {
                let _ = s.emit("binecho", &data);
            });
            s.on("bcast", async |io: SocketIo, Data::<Value>(data)| {
                let _ = io.emit("bcast", &data).await;
            });
        });
        let app = axum::Router::new().layer(layer);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        println!("listening {}", listener.local_addr().expect("addr").port());
        // TCP_NODELAY as sio, the raw server and Node.js set it (axum leaves Nagle on by
        // default): the servers are compared on the same TCP behaviour.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app).await.expect("serve");
    });
}
