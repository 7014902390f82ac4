//! A Socket.IO chat server mounted on an axum `Router`, beside a plain route.
//!
//! `cargo run -p sio-tokio --example axum`, then connect any Socket.IO client to
//! http://127.0.0.1:3000 (`PORT=0` picks a free port).
use axum::routing::get;
use sio_tokio::{Message, Socket, SocketIoConfig, SocketIoServer};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let io = SocketIoServer::new(SocketIoConfig::default()); // serves /socket.io/
    io.of("/").on_connection(|socket: Socket| async move {
        socket.on("chat", |socket: Socket, msg: Message| async move {
            let text: String = msg.arg(0).unwrap_or_default(); // typed arguments (serde)
            let _ = socket.broadcast().emit("chat", &text); // to everyone else
            let _ = msg.ack(&"received"); // answers the client's ack
        });
    });

    let app = axum::Router::new()
        .route("/", get(|| async { "Socket.IO is on /socket.io/" }))
        .layer(io.layer()); // sio answers its path, the router the rest

    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening {}", listener.local_addr()?.port());
    axum::serve(listener, app).await
}
