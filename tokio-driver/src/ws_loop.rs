//! The WebSocket loop both drivers run (compiled by each through `#[path]`): frames in to
//! the core, frames out from the core. Runtime-independent: it only polls.

use std::future::poll_fn;
use std::task::Poll;

use async_tungstenite::tungstenite::{Error, Message, Utf8Bytes};
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_util::{AsyncRead, AsyncWrite, SinkExt, StreamExt};
use sio_core::api::{EngineIo, WsOutgoing};
use sio_core::engine::server::TransportId;
use sio_core::engine::Frame;
use sio_core::Str;

/// What the WebSocket task does next.
enum Step {
    /// A message (or the end) from the client.
    Incoming(Option<Result<Message, Error>>),
    /// What the core wants written.
    Outgoing(WsOutgoing),
}

/// Runs WebSocket `id` until it closes.
pub(crate) async fn drive<S>(io: EngineIo, id: TransportId, ws: WebSocketStream<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    io.ws_open(crate::now(), id);
    let (mut sink, mut stream) = ws.split();
    // Alternate which side is looked at first, so neither starves the other.
    let mut outgoing_first = false;
    loop {
        outgoing_first = !outgoing_first;
        let step = poll_fn(|cx| {
            if outgoing_first {
                if let Poll::Ready(out) = io.poll_ws_outgoing(id, cx) {
                    return Poll::Ready(Step::Outgoing(out));
                }
            }
            if let Poll::Ready(incoming) = stream.poll_next_unpin(cx) {
                return Poll::Ready(Step::Incoming(incoming));
            }
            if !outgoing_first {
                if let Poll::Ready(out) = io.poll_ws_outgoing(id, cx) {
                    return Poll::Ready(Step::Outgoing(out));
                }
            }
            Poll::Pending
        })
        .await;
        match step {
            Step::Incoming(incoming) => {
                let frame = match incoming {
                    // tungstenite validated the text: a view of the same buffer skips
                    // validating it twice.
                    Some(Ok(Message::Text(t))) => {
                        match Str::from_utf8_viewed(Bytes::from(t.clone()), t.as_str()) {
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
            Step::Outgoing(WsOutgoing::Frames(frames)) => {
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
            Step::Outgoing(WsOutgoing::Close) => {
                let _ = SinkExt::close(&mut sink).await;
                return;
            }
        }
    }
    io.ws_closed(crate::now(), id);
}
