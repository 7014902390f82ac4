//! A Socket.IO client on smol: connects to the server at the URL given (default
//! http://127.0.0.1:3000), prints the events it gets, emits `chat` with an ack and prints the
//! server's answer, then leaves.
//!
//! `cargo run -p sio-smol --example smol_client -- http://127.0.0.1:3000` against the
//! `smol_standalone` example, or any Socket.IO server (Node's included).
use std::time::Duration;

use sio_smol::client::{ClientSocket, Message};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    smol::block_on(async {
        let client = sio_smol::client::client(&url).build()?;
        let socket = client.socket("/");
        // Register handlers before connecting: nothing is missed.
        socket.on_any(|_socket: ClientSocket, msg: Message| async move {
            println!("event {}: {:?}", msg.name(), msg.values());
        });
        socket.on_connect(|socket: ClientSocket| async move {
            println!("connected as {}", socket.id().unwrap_or_default());
        });
        socket.on_disconnect(|_socket: ClientSocket, reason| async move {
            println!("disconnected: {reason}"); // it reconnects by itself, unless we left
        });
        socket.connect();

        // Emits wait in a buffer until the connection is up.
        let answer = socket
            .emit_with_ack_timeout("chat", &"hello from sio", Duration::from_secs(5))
            .await?;
        println!("ack: {}", answer.json());

        smol::Timer::after(Duration::from_millis(200)).await; // let events come in
        socket.disconnect();
        client.close();
        Ok(())
    })
}
