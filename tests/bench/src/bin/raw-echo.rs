//! The ceiling: a bare async-tungstenite WebSocket server on one tokio thread that does no
//! Socket.IO work, with the WebSocket buffers of sio's drivers ([`sio_bench::wire::ws_config`]).
//! It echoes every frame back as it is; a text frame containing `"bcast"` is
//! instead written to every open connection (the raw broadcast write rate).
//!
//! `raw-echo [--port 0]`; prints `listening <port>`.

use std::cell::RefCell;
use std::rc::Rc;

use async_tungstenite::tokio::accept_async_with_config;
use async_tungstenite::tungstenite::Message;
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

type Peers = Rc<RefCell<Vec<mpsc::UnboundedSender<Message>>>>;

fn main() {
    let mut port = 0u16;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--port" => port = it.next().and_then(|v| v.parse().ok()).expect("port"),
            other => panic!("unknown flag {other}"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    tokio::task::LocalSet::new().block_on(&rt, async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        println!("listening {}", listener.local_addr().expect("addr").port());
        let peers: Peers = Rc::default();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            tokio::task::spawn_local(connection(tcp, peers.clone()));
        }
    });
}

fn is_broadcast(m: &Message) -> bool {
    matches!(m, Message::Text(t) if t.as_str().contains("\"bcast\""))
}

async fn connection(tcp: tokio::net::TcpStream, peers: Peers) {
    let Ok(ws) = accept_async_with_config(tcp, Some(sio_bench::wire::ws_config())).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    peers.borrow_mut().push(tx);
    let (mut sink, mut stream) = ws.split();
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(Ok(msg)) = msg else { break };
                // Answer everything already received, then flush once.
                let mut next = Some(msg);
                while let Some(msg) = next.take() {
                    if !handle(msg, &mut sink, &peers).await {
                        return;
                    }
                    if let Some(Some(Ok(m))) = stream.next().now_or_never() {
                        next = Some(m);
                    }
                }
                if sink.flush().await.is_err() {
                    break;
                }
            }
            out = rx.recv() => {
                let Some(out) = out else { break };
                let mut next = Some(out);
                while let Some(m) = next.take() {
                    if sink.feed(m).await.is_err() {
                        return;
                    }
                    next = rx.try_recv().ok();
                }
                if sink.flush().await.is_err() {
                    break;
                }
            }
        }
    }
    peers.borrow_mut().retain(|p| !p.is_closed());
}

/// Echoes `msg` (unflushed), or hands a broadcast to every peer. `false` when the sink failed.
async fn handle<S>(msg: Message, sink: &mut S, peers: &Peers) -> bool
where
    S: futures_util::Sink<Message> + Unpin,
{
    match msg {
        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => true,
        Message::Close(_) => false,
        m if is_broadcast(&m) => {
            for p in peers.borrow().iter() {
                let _ = p.send(m.clone());
            }
            true
        }
        m => sink.feed(m).await.is_ok(),
    }
}
