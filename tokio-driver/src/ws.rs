//! One task per WebSocket: completes the upgrade, then runs the shared loop (`ws_loop`).

use async_tungstenite::tokio::TokioAdapter;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use sio_core::api::EngineIo;
use sio_core::engine::server::TransportId;
use tokio::net::TcpStream;

use crate::stall::StallGuard;

/// Completes the upgrade and runs the WebSocket until it closes.
pub(crate) async fn run(io: EngineIo, id: TransportId, on_upgrade: OnUpgrade) {
    let Ok(upgraded) = on_upgrade.await else {
        io.ws_closed(crate::now(), id);
        return;
    };
    let max_payload = io.max_payload();
    // Take the TCP stream back from hyper so no HTTP buffer lives on with the connection.
    match upgraded.downcast::<TokioIo<StallGuard<TcpStream>>>() {
        Ok(parts) => {
            let stream = TokioAdapter::new(parts.io.into_inner());
            let ws = crate::ws_loop::open(stream, parts.read_buf, max_payload).await;
            crate::ws_loop::drive(io, id, ws).await;
        }
        Err(upgraded) => {
            // Mounted behind another server stack (e.g. axum): keep hyper's wrapper.
            let stream = TokioAdapter::new(TokioIo::new(upgraded));
            let ws = crate::ws_loop::open(stream, bytes::Bytes::new(), max_payload).await;
            crate::ws_loop::drive(io, id, ws).await;
        }
    }
}
