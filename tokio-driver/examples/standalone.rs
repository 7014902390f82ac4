//! A Socket.IO server on a `TcpListener`, no web framework: a chat with rooms, acks, a
//! connection middleware and disconnect reasons.
//!
//! `cargo run -p sio-tokio --example standalone` (`PORT=0` picks a free port). Clients emit
//! `chat` with a text and an ack (answered `"received"`), and `join` with a room name; the
//! server broadcasts each chat to everyone else in the sender's rooms.
use std::time::Duration;

use sio_tokio::sio_core::serde_json::Value; // the crates of sio's API are re-exported
use sio_tokio::{ConnectError, ConnectRequest, Message, Socket, SocketIoConfig, SocketIoServer};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Configs are plain structs: set what differs from the reference's defaults.
    let mut config = SocketIoConfig::default();
    config.engine.ping_interval = Duration::from_secs(10);
    let io = SocketIoServer::new(config);

    let chat = io.of("/");
    // Runs before a client joins the namespace; an error refuses it (`connect_error`).
    chat.use_middleware(|request: ConnectRequest| async move {
        match request.auth::<Value>() {
            Some(auth) if auth["banned"] == true => Err(ConnectError::new("not welcome")),
            _ => Ok(()),
        }
    });
    chat.on_connection(|socket: Socket| async move {
        println!("{} connected", socket.id());
        let _ = socket.join("lobby");
        socket.on("join", |socket: Socket, msg: Message| async move {
            if let Ok(room) = msg.arg::<String>(0) {
                let _ = socket.join(room);
            }
        });
        socket.on("chat", |socket: Socket, msg: Message| async move {
            let text: String = msg.arg(0).unwrap_or_default();
            let mut others = socket.broadcast(); // never the sender
            for room in socket.rooms() {
                others = others.to(room); // anyone in any of its rooms
            }
            let _ = others.emit("chat", &text);
            let _ = msg.ack(&"received");
        });
        socket.on_disconnect(|socket: Socket, reason| async move {
            println!("{} left: {reason}", socket.id());
        });
    });

    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening {}", listener.local_addr()?.port());
    io.serve(listener).await
}
