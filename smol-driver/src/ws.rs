//! One task per WebSocket: completes the upgrade, takes the TCP stream back from hyper, and
//! runs the shared loop ([`sio_io::ws_loop::serve`]).

use std::future::Future;

use bytes::Bytes;
use futures_util::future::Either;
use hyper::upgrade::OnUpgrade;
use sio_core::api::EngineIo;
use sio_core::compress::deflate::Agreed;
use sio_core::engine::server::TransportId;
use sio_io::ws_loop::{after_upgrade, serve};

use crate::io::{FuturesIo, HyperIo};
use crate::stall::StallGuard;
use crate::tcp::TcpConn;

/// Completes the upgrade and runs the WebSocket until it closes (see
/// [`after_upgrade`]).
pub(crate) fn run(
    io: EngineIo,
    id: TransportId,
    on_upgrade: OnUpgrade,
    deflate: Option<Agreed>,
) -> impl Future<Output = ()> {
    after_upgrade(io, id, on_upgrade, crate::now, move |io, upgraded| {
        // Take the TCP stream back from hyper so no HTTP buffer lives on with the connection.
        match upgraded.downcast::<FuturesIo<StallGuard<TcpConn>>>() {
            Ok(parts) => {
                let stream = parts.io.into_inner();
                Either::Left(serve(io, id, stream, parts.read_buf, deflate, crate::now))
            }
            Err(upgraded) => {
                // Served by another hyper stack (another I/O type): keep hyper's wrapper.
                let stream = HyperIo(upgraded);
                Either::Right(serve(io, id, stream, Bytes::new(), deflate, crate::now))
            }
        }
    })
}
