//! A Socket.IO server in a cluster: every server started on the same Redis shares rooms and
//! broadcasts with the others (the wire format of `@socket.io/redis-adapter`, so Node.js
//! servers can be members too).
//!
//! `cargo run -p sio-tokio --example cluster -- redis://127.0.0.1:6379/` (or `REDIS_URL`);
//! start two on different ports (`PORT=3001`, `PORT=3002`): a `chat` sent to one reaches the
//! clients of both.
use sio_tokio::{Message, RedisAdapter, Socket, SocketIoConfig, SocketIoServer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let redis_url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("REDIS_URL").ok())
        .unwrap_or_else(|| "redis://127.0.0.1:6379/".into());

    let io = SocketIoServer::new(SocketIoConfig::default());
    let adapter = RedisAdapter::connect(&io, &redis_url).await?;
    let everyone = io.of("/");
    io.of("/").on_connection(move |socket: Socket| {
        let everyone = everyone.clone();
        async move {
            socket.on("chat", |socket: Socket, msg: Message| async move {
                let text: String = msg.arg(0).unwrap_or_default();
                let _ = socket.broadcast().emit("chat", &text); // every server's clients
                let _ = msg.ack(&"received");
            });
            // A question to the whole cluster: every server answers with its sockets.
            socket.on("count", move |_socket: Socket, msg: Message| {
                let everyone = everyone.clone();
                async move {
                    let sockets = everyone.fetch_cluster_sockets().await;
                    let _ = msg.ack(&sockets.map_or(0, |s| s.len()));
                }
            });
        }
    });

    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening {}", listener.local_addr()?.port());
    println!("cluster member {} on {redis_url}", adapter.uid());
    io.serve(listener).await?;
    Ok(())
}
