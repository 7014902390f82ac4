//! A Socket.IO server on smol: a chat with acks and disconnect reasons, on a `TcpListener`.
//!
//! `cargo run -p sio-smol --example smol_standalone`, then connect any Socket.IO client to
//! http://127.0.0.1:3000 (`PORT=0` picks a free port). Clients emit `chat` with a text and an
//! ack (answered `"received"`); every other client gets the text.
use sio_smol::{Message, Socket, SocketIoConfig, SocketIoServer};

fn main() -> std::io::Result<()> {
    // The server's tasks run on smol's global executor: `block_on` in main is enough.
    smol::block_on(async {
        let io = SocketIoServer::new(SocketIoConfig::default()); // serves /socket.io/
        io.of("/").on_connection(|socket: Socket| async move {
            println!("{} connected", socket.id());
            socket.on("chat", |socket: Socket, msg: Message| async move {
                let text: String = msg.arg(0).unwrap_or_default(); // typed arguments (serde)
                let _ = socket.broadcast().emit("chat", &text); // to everyone else
                let _ = msg.ack(&"received"); // answers the client's ack
            });
            socket.on_disconnect(|socket: Socket, reason| async move {
                println!("{} left: {reason}", socket.id());
            });
        });

        let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
        let listener = smol::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
        println!("listening {}", listener.local_addr()?.port());
        io.serve(listener).await
    })
}
