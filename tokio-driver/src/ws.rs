//! One task per WebSocket: completes the upgrade, then runs the shared loop (`ws_loop`).

use async_tungstenite::tokio::TokioAdapter;
use async_tungstenite::tungstenite::protocol::Role;
use async_tungstenite::WebSocketStream;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use sio_core::api::EngineIo;
use sio_core::engine::server::TransportId;
use tokio::net::TcpStream;

/// Completes the upgrade and runs the WebSocket until it closes.
pub(crate) async fn run(io: EngineIo, id: TransportId, on_upgrade: OnUpgrade) {
    let Ok(upgraded) = on_upgrade.await else {
        io.ws_closed(crate::now(), id);
        return;
    };
    let config = Some(crate::http::ws_config(io.max_payload()));
    // Take the TCP stream back from hyper so no HTTP buffer lives on with the connection.
    match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => {
            let stream = TokioAdapter::new(parts.io.into_inner());
            // `read_buf`, even empty, shares hyper's whole read buffer (8 KiB): copy out what
            // it holds and drop it here, or every connection keeps it for its lifetime.
            let read_buf = parts.read_buf;
            // Built in a box of its own, dropped once built: awaited inline, this future (the
            // stream, the config and the WebSocket it returns) would size every connection's
            // task for the whole life of the connection.
            let ws = Box::pin(async move {
                if read_buf.is_empty() {
                    drop(read_buf);
                    WebSocketStream::from_raw_socket(stream, Role::Server, config).await
                } else {
                    let part = read_buf.to_vec();
                    drop(read_buf);
                    WebSocketStream::from_partially_read(stream, part, Role::Server, config).await
                }
            })
            .await;
            crate::ws_loop::drive(io, id, ws).await;
        }
        Err(upgraded) => {
            // Mounted behind another server stack (e.g. axum): keep hyper's wrapper.
            let stream = TokioAdapter::new(TokioIo::new(upgraded));
            let ws = Box::pin(WebSocketStream::from_raw_socket(
                stream,
                Role::Server,
                config,
            ))
            .await;
            crate::ws_loop::drive(io, id, ws).await;
        }
    }
}
