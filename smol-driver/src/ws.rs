//! One task per WebSocket: completes the upgrade, takes the TCP stream back from hyper, and
//! runs the shared loop ([`sio_io::ws_loop::serve`]).

use hyper::upgrade::OnUpgrade;
use sio_core::api::EngineIo;
use sio_core::compress::deflate::Agreed;
use sio_core::engine::server::TransportId;
use sio_io::ws_loop::serve;
use smol::net::TcpStream;
use smol_hyper::rt::FuturesIo;

use crate::io::HyperIo;
use crate::stall::StallGuard;

/// Completes the upgrade and runs the WebSocket until it closes.
pub(crate) async fn run(
    io: EngineIo,
    id: TransportId,
    on_upgrade: OnUpgrade,
    deflate: Option<Agreed>,
) {
    let Ok(upgraded) = on_upgrade.await else {
        io.ws_closed(crate::now(), id);
        return;
    };
    // Take the TCP stream back from hyper so no HTTP buffer lives on with the connection.
    match upgraded.downcast::<FuturesIo<StallGuard<TcpStream>>>() {
        Ok(parts) => {
            let stream = parts.io.into_inner();
            serve(io, id, stream, parts.read_buf, deflate, crate::now).await;
        }
        Err(upgraded) => {
            // Served by another hyper stack (another I/O type): keep hyper's wrapper.
            serve(
                io,
                id,
                HyperIo(upgraded),
                bytes::Bytes::new(),
                deflate,
                crate::now,
            )
            .await;
        }
    }
}
