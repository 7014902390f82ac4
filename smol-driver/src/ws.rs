//! One task per WebSocket: completes the upgrade, then runs the shared loop (`ws_loop`).

use hyper::upgrade::OnUpgrade;
use sio_core::api::EngineIo;
use sio_core::engine::server::TransportId;
use smol::net::TcpStream;
use smol_hyper::rt::FuturesIo;

use crate::io::HyperIo;
use crate::stall::StallGuard;

/// Completes the upgrade and runs the WebSocket until it closes.
pub(crate) async fn run(io: EngineIo, id: TransportId, on_upgrade: OnUpgrade) {
    let Ok(upgraded) = on_upgrade.await else {
        io.ws_closed(crate::now(), id);
        return;
    };
    let max_payload = io.max_payload();
    // Take the TCP stream back from hyper so no HTTP buffer lives on with the connection.
    match upgraded.downcast::<FuturesIo<StallGuard<TcpStream>>>() {
        Ok(parts) => {
            let stream = parts.io.into_inner();
            let ws = crate::ws_loop::open(stream, parts.read_buf, max_payload).await;
            crate::ws_loop::drive(io, id, ws).await;
        }
        Err(upgraded) => {
            // Served by another hyper stack (another I/O type): keep hyper's wrapper.
            let stream = HyperIo(upgraded);
            let ws = crate::ws_loop::open(stream, bytes::Bytes::new(), max_payload).await;
            crate::ws_loop::drive(io, id, ws).await;
        }
    }
}
