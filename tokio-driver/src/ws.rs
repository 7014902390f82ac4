//! One task per WebSocket: completes the upgrade, then runs the shared loop (`ws_loop`).

use async_tungstenite::tokio::TokioAdapter;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use sio_core::api::EngineIo;
use sio_core::compress::deflate::{Agreed, Codec, Role};
use sio_core::engine::server::TransportId;
use tokio::net::TcpStream;

use crate::stall::StallGuard;
use crate::ws_deflate::{Deflate, Plain, Scanned, SharedScanner};

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
    let max_payload = io.max_payload();
    // Take the TCP stream back from hyper so no HTTP buffer lives on with the connection.
    match upgraded.downcast::<TokioIo<StallGuard<TcpStream>>>() {
        Ok(parts) => {
            let stream = TokioAdapter::new(parts.io.into_inner());
            match deflate {
                None => {
                    let ws = crate::ws_loop::open(stream, parts.read_buf, max_payload, None).await;
                    crate::ws_loop::drive(io, id, ws, Plain).await;
                }
                Some(agreed) => deflated(io, id, stream, parts.read_buf, agreed).await,
            }
        }
        Err(upgraded) => {
            // Mounted behind another server stack (e.g. axum): keep hyper's wrapper.
            let stream = TokioAdapter::new(TokioIo::new(upgraded));
            let leftover = bytes::Bytes::new();
            match deflate {
                None => {
                    let ws = crate::ws_loop::open(stream, leftover, max_payload, None).await;
                    crate::ws_loop::drive(io, id, ws, Plain).await;
                }
                Some(agreed) => deflated(io, id, stream, leftover, agreed).await,
            }
        }
    }
}

/// Runs the WebSocket over `stream` with permessage-deflate.
///
/// Boxed: its state (the codec, the scanner, a loop over a wrapped stream) would otherwise
/// size every connection's task, with the extension or without.
fn deflated<S>(
    io: EngineIo,
    id: TransportId,
    stream: S,
    leftover: bytes::Bytes,
    agreed: Agreed,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
where
    S: futures_util::AsyncRead + futures_util::AsyncWrite + Unpin + Send + 'static,
{
    Box::pin(async move {
        let max_payload = io.max_payload();
        let config = io.per_message_deflate().unwrap_or_default();
        let codec = Codec::new(Role::Server, &agreed, &config);
        let scanner = SharedScanner::default();
        let stream = Scanned::new(stream, scanner.clone());
        let ws = crate::ws_loop::open(stream, leftover, max_payload, Some(scanner.clone())).await;
        let ext = Deflate::new(Some(codec), scanner, max_payload);
        crate::ws_loop::drive(io, id, ws, ext).await;
    })
}
