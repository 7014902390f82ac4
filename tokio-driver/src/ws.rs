//! One task per WebSocket: frames in to the core, frames out from the core.

use std::future::poll_fn;

use async_tungstenite::tokio::TokioAdapter;
use async_tungstenite::tungstenite::protocol::Role;
use async_tungstenite::tungstenite::{Message, Utf8Bytes};
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use sio_core::api::{EngineIo, WsOutgoing};
use sio_core::engine::server::TransportId;
use sio_core::engine::Frame;
use sio_core::Str;
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
            let ws = if parts.read_buf.is_empty() {
                WebSocketStream::from_raw_socket(stream, Role::Server, config).await
            } else {
                let part = parts.read_buf.to_vec();
                WebSocketStream::from_partially_read(stream, part, Role::Server, config).await
            };
            drive(io, id, ws).await;
        }
        Err(upgraded) => {
            // Mounted behind another server stack (e.g. axum): keep hyper's wrapper.
            let stream = TokioAdapter::new(TokioIo::new(upgraded));
            let ws = WebSocketStream::from_raw_socket(stream, Role::Server, config).await;
            drive(io, id, ws).await;
        }
    }
}

async fn drive<S>(io: EngineIo, id: TransportId, ws: WebSocketStream<S>)
where
    S: futures_util::AsyncRead + futures_util::AsyncWrite + Unpin,
{
    io.ws_open(crate::now(), id);
    let (mut sink, mut stream) = ws.split();
    loop {
        tokio::select! {
            incoming = stream.next() => {
                let frame = match incoming {
                    Some(Ok(Message::Text(t))) => {
                        match Str::from_utf8(Bytes::from(t)) {
                            Ok(s) => Frame::Text(s),
                            Err(_) => break,
                        }
                    }
                    Some(Ok(Message::Binary(b))) => Frame::Binary(b),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                };
                io.ws_message(crate::now(), id, frame);
            }
            outgoing = poll_fn(|cx| io.poll_ws_outgoing(id, cx)) => match outgoing {
                WsOutgoing::Frames(frames) => {
                    let mut failed = false;
                    for frame in frames {
                        let msg = match frame {
                            Frame::Text(t) => match Utf8Bytes::try_from(t.into_bytes()) {
                                Ok(u) => Message::Text(u),
                                Err(_) => continue,
                            },
                            Frame::Binary(b) => Message::Binary(b),
                        };
                        if sink.feed(msg).await.is_err() {
                            failed = true;
                            break;
                        }
                    }
                    if failed || sink.flush().await.is_err() {
                        break;
                    }
                }
                WsOutgoing::Close => {
                    let _ = SinkExt::close(&mut sink).await;
                    return;
                }
            },
        }
    }
    io.ws_closed(crate::now(), id);
}
