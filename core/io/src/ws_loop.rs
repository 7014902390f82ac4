//! The WebSocket loop both drivers run: frames in to the core, frames out from the core.
//! Runtime-independent: it only polls (the stream is any futures-io stream, the clock the
//! driver's [`Clock`]).

use std::future::poll_fn;
use std::task::{ready, Context, Poll};

use async_tungstenite::tungstenite::error::ProtocolError;
use async_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use async_tungstenite::tungstenite::protocol::frame::CloseFrame;
use async_tungstenite::tungstenite::protocol::Role;
use async_tungstenite::tungstenite::{Error, Message};
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_util::future::{Either, FutureExt};
use futures_util::{AsyncRead, AsyncWrite, SinkExt, StreamExt};
use sio_core::api::{EngineIo, WsFrames, WsNext, WsOutbox};
use sio_core::compress::deflate::{Agreed, Codec, Role as DeflateRole};
use sio_core::engine::server::TransportId;
use sio_core::engine::Frame;
use sio_core::Str;

use crate::ws_deflate::{Deflate, Ext, Plain, Scanned, SharedScanner};
use crate::Clock;

/// What the WebSocket task does next.
enum Step {
    /// Messages from the client were read (into the batch), or the stream ended.
    Incoming,
    /// Frames the core wants written.
    Write(WsFrames),
    /// The core closed the WebSocket.
    Close,
    /// The core dropped the connection (its peer stopped reading).
    Abort,
}

/// Most messages read before the core gets them (and the answers are written).
const MAX_BATCH: usize = 64;
/// The largest batch buffer a connection keeps between batches.
const KEPT_BATCH: usize = 32;
/// Most bytes of messages read before the core gets them: a client sending large messages
/// cannot make one batch hold many of them.
const MAX_BATCH_BYTES: usize = 64 * 1024;

/// The server side of an upgraded connection, `leftover` being what the HTTP server read past
/// the request (usually nothing), which goes through `scanner` first when the connection has
/// permessage-deflate (the rest of the stream does through [`Scanned`]).
///
/// Built in a box of its own, dropped once built: awaited inline, this future (the stream, the
/// config and the WebSocket it returns) would size the connection's task for its whole life.
/// `leftover` is copied out, as it may share the HTTP server's whole read buffer (hyper's
/// 8 KiB), which would otherwise live as long as the connection.
pub fn open<S>(
    stream: S,
    leftover: Bytes,
    max_payload: usize,
    scanner: Option<SharedScanner>,
) -> std::pin::Pin<Box<impl std::future::Future<Output = WebSocketStream<S>>>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    Box::pin(async move {
        let config = Some(crate::http::ws_config(max_payload));
        if leftover.is_empty() {
            drop(leftover);
            WebSocketStream::from_raw_socket(stream, Role::Server, config).await
        } else {
            let mut part = leftover.to_vec();
            drop(leftover);
            if let Some(scanner) = scanner {
                scanner
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .scan(&mut part);
            }
            WebSocketStream::from_partially_read(stream, part, Role::Server, config).await
        }
    })
}

/// How the client's side of a WebSocket ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// It closed (a close frame, or the connection went away).
    Closed,
    /// It broke the protocol: answered with this close code (as the reference's `ws`: 1009
    /// for a message over the limit, 1007 for invalid UTF-8, 1002 otherwise), reported to
    /// the core as a transport error.
    Failed(CloseCode),
}

/// A received message as a frame for the core: `Ok(None)` for control frames, `Err` when the
/// WebSocket ended or failed.
fn to_frame(incoming: Option<Result<Message, Error>>) -> Result<Option<Frame>, End> {
    match incoming {
        // tungstenite validated the text: its buffer, moved, is not validated twice.
        Some(Ok(Message::Text(t))) => match Str::from_text(t) {
            Ok(s) => Ok(Some(Frame::Text(s))),
            Err(_) => Err(End::Failed(CloseCode::Invalid)),
        },
        Some(Ok(Message::Binary(b))) => Ok(Some(Frame::Binary(b))),
        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Ok(None),
        Some(Err(Error::Capacity(_))) => Err(End::Failed(CloseCode::Size)),
        Some(Err(Error::Utf8(_))) => Err(End::Failed(CloseCode::Invalid)),
        Some(Err(Error::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => Err(End::Closed),
        Some(Err(Error::Protocol(_) | Error::AttackAttempt)) => {
            Err(End::Failed(CloseCode::Protocol))
        }
        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Err(End::Closed),
    }
}

/// Runs WebSocket `id` until it closes.
///
/// Every message already received is read before the core gets them, all under one lock; the
/// handlers they trigger run then, and their answers are written together with one flush
/// (16 requests in flight cost one write, not 16) on the task's next turn, once the other ready
/// connections have had theirs.
///
/// `ext` is what is done to the messages: nothing ([`Plain`], a zero-sized type, so this is
/// the same loop as without extensions) or permessage-deflate. `now` is the driver's clock.
pub fn drive<S, E>(
    io: EngineIo,
    id: TransportId,
    ws: WebSocketStream<S>,
    ext: E,
    now: Clock,
) -> impl std::future::Future<Output = ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
    E: Ext,
{
    // Boxed before the loop's future exists: an `async fn` keeps its arguments inline for as
    // long as it lives, and the WebSocket would otherwise size every connection's task (about
    // 400 bytes each). Not split: the one task both reads and writes, and each call on a
    // split half takes the lock the halves share (six atomic operations per echo).
    run(io, id, Box::new(ws), ext, now)
}

/// [`drive`] once the WebSocket is boxed.
async fn run<S, E>(
    io: EngineIo,
    id: TransportId,
    mut ws: Box<WebSocketStream<S>>,
    mut ext: E,
    now: Clock,
) where
    S: AsyncRead + AsyncWrite + Unpin,
    E: Ext,
{
    let outbox = io.ws_open(now(), id);
    let read_waker = outbox.read_waker();
    let mut batch: Vec<Frame> = Vec::new();
    let mut ended: Option<End> = None;
    // After reading, write first (the answers); after writing, read first.
    let mut write_first = false;
    // Set after handing messages to the core: the answers are written on the task's next
    // turn, after the other ready connections have read theirs. Writes made back to back wake
    // a sleeping peer once instead of once each (on a 2-vCPU VM that cut the server's
    // cross-CPU wake-ups from one per write to one per 30, and its CPU per echo by 5-10 %).
    let mut yield_first = false;
    loop {
        let step = poll_fn(|cx| loop {
            if std::mem::take(&mut yield_first) {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            match outbox.poll_next(cx, write_first) {
                Poll::Ready(WsNext::Read) => {
                    let mut read_cx = Context::from_waker(&read_waker);
                    let mut bytes = 0;
                    while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES && ended.is_none() {
                        match ws.poll_next_unpin(&mut read_cx) {
                            Poll::Ready(incoming) => match to_frame(incoming) {
                                Ok(Some(frame)) => match ext.inbound(frame) {
                                    Ok(frame) => {
                                        bytes += frame.len();
                                        batch.push(frame);
                                    }
                                    Err(code) => ended = Some(End::Failed(code)),
                                },
                                Ok(None) => {}
                                Err(end) => ended = Some(end),
                            },
                            Poll::Pending => break,
                        }
                    }
                    if batch.len() == MAX_BATCH || bytes >= MAX_BATCH_BYTES {
                        // Stopped early: the next step reads again.
                        read_waker.wake_by_ref();
                    }
                    if !batch.is_empty() || ended.is_some() {
                        return Poll::Ready(Step::Incoming);
                    }
                }
                Poll::Ready(WsNext::Write(frames)) => return Poll::Ready(Step::Write(frames)),
                Poll::Ready(WsNext::Close) => return Poll::Ready(Step::Close),
                Poll::Ready(WsNext::Abort) => return Poll::Ready(Step::Abort),
                Poll::Pending => return Poll::Pending,
            }
        })
        .await;
        match step {
            Step::Incoming => {
                if !batch.is_empty() {
                    let n = batch.len();
                    io.ws_messages(now(), id, batch.drain(..));
                    if n < 2 || batch.capacity() > KEPT_BATCH {
                        // The buffer is kept only by a connection whose messages come several
                        // at a time (its batches then allocate nothing), and only a small one:
                        // a connection that gets one message at a time, or is idle, keeps none.
                        batch = Vec::new();
                    }
                    yield_first = true;
                }
                match ended {
                    Some(End::Closed) => break,
                    Some(End::Failed(code)) => {
                        // The reference's `ws` answers with the code, then reports an error.
                        let mut close = Some(Message::Close(Some(CloseFrame {
                            code,
                            reason: "".into(),
                        })));
                        let _ = poll_fn(|cx| {
                            if outbox.poll_aborted(cx) {
                                return Poll::Ready(Ok(()));
                            }
                            if let Some(msg) = close.take() {
                                if let Err(e) = ready!(ws.poll_ready_unpin(cx)) {
                                    return Poll::Ready(Err(e));
                                }
                                ws.start_send_unpin(msg)?;
                            }
                            ws.poll_close_unpin(cx)
                        })
                        .await;
                        io.ws_failed(now(), id);
                        return;
                    }
                    None => write_first = true,
                }
            }
            Step::Write(mut frames) => {
                if write(&outbox, &mut ws, &mut frames, &mut ext)
                    .await
                    .is_err()
                {
                    break;
                }
                // Its buffer serves the next frames queued (kept only if small).
                outbox.recycle(frames);
                io.ws_flushed(now(), id, &outbox);
                write_first = false;
            }
            Step::Close => {
                // Bounded by the core: a close that does not complete in time (a peer that
                // does not read) is aborted.
                let _ = poll_fn(|cx| {
                    if outbox.poll_aborted(cx) {
                        return Poll::Ready(Ok(()));
                    }
                    ws.poll_close_unpin(cx)
                })
                .await;
                break;
            }
            Step::Abort => break,
        }
    }
    io.ws_closed(now(), id);
}

/// Writes `frames` and flushes them; `Err` when the WebSocket failed or the core dropped the
/// connection meanwhile (a write to a peer that stopped reading never completes on its own).
async fn write<S, E>(
    outbox: &WsOutbox,
    sink: &mut WebSocketStream<S>,
    frames: &mut WsFrames,
    ext: &mut E,
) -> Result<(), ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
    E: Ext,
{
    let mut frames = frames.drain(..);
    let mut next: Option<Message> = None;
    poll_fn(|cx| {
        if outbox.is_aborted() {
            return Poll::Ready(Err(()));
        }
        // Before waiting on the socket, be woken by an abort too (a lock only on this path).
        let wait = |cx: &mut Context<'_>| match outbox.poll_aborted(cx) {
            true => Poll::Ready(Err(())),
            false => Poll::Pending,
        };
        loop {
            if let Some(msg) = next.take() {
                match sink.poll_ready_unpin(cx) {
                    Poll::Ready(Ok(())) => sink.start_send_unpin(msg).map_err(|_| ())?,
                    Poll::Ready(Err(_)) => return Poll::Ready(Err(())),
                    Poll::Pending => {
                        next = Some(msg);
                        return wait(cx);
                    }
                }
            }
            match frames.next() {
                Some(frame) => next = Some(ext.outbound(frame)),
                None => break,
            }
        }
        match sink.poll_flush_unpin(cx) {
            Poll::Ready(r) => Poll::Ready(r.map_err(|_| ())),
            Poll::Pending => wait(cx),
        }
    })
    .await
}

/// Runs a server WebSocket whose upgrade is done: `stream` is the connection (any futures-io
/// stream; `leftover` what hyper had read past the upgrade request), `deflate` the
/// permessage-deflate parameters agreed in the 101, if any. Returns when it closes.
///
/// Not an `async fn`: one would keep its arguments (the stream, the leftover bytes, the
/// parameters: about 130 bytes) inline in every connection's task for as long as it lives.
/// The future returned holds the opening handshake's box and what the loop needs, then the
/// loop alone.
pub fn serve<S>(
    io: EngineIo,
    id: TransportId,
    stream: S,
    leftover: Bytes,
    deflate: Option<Agreed>,
    now: Clock,
) -> impl std::future::Future<Output = ()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match deflate {
        None => Either::Left(
            open(stream, leftover, io.max_payload(), None)
                .then(move |ws| drive(io, id, ws, Plain, now)),
        ),
        Some(agreed) => Either::Right(deflated(io, id, stream, leftover, agreed, now)),
    }
}

/// Waits for hyper to hand over an upgraded connection, then runs `serve_upgraded` on it (the
/// driver takes its stream back from hyper's wrapper and calls [`serve`]). A failed upgrade
/// reports the WebSocket closed.
///
/// Not an `async fn`, which would keep its arguments inline in the connection's task for as
/// long as it lives: the future returned holds the upgrade and `serve_upgraded`, then what
/// that returns alone.
pub fn after_upgrade<F, Fut>(
    io: EngineIo,
    id: TransportId,
    on_upgrade: hyper::upgrade::OnUpgrade,
    now: Clock,
    serve_upgraded: F,
) -> impl std::future::Future<Output = ()>
where
    F: FnOnce(EngineIo, hyper::upgrade::Upgraded) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    on_upgrade.then(move |upgraded| match upgraded {
        Ok(upgraded) => Either::Left(serve_upgraded(io, upgraded)),
        Err(_) => {
            io.ws_closed(now(), id);
            Either::Right(std::future::ready(()))
        }
    })
}

/// Runs the WebSocket over `stream` with permessage-deflate.
///
/// Boxed: its state (the codec, the scanner, a loop over a wrapped stream) would otherwise
/// size every connection's task, with the extension or without.
fn deflated<S>(
    io: EngineIo,
    id: TransportId,
    stream: S,
    leftover: Bytes,
    agreed: Agreed,
    now: Clock,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    Box::pin(async move {
        let max_payload = io.max_payload();
        let config = io.per_message_deflate().unwrap_or_default();
        let codec = Codec::new(DeflateRole::Server, &agreed, &config);
        let scanner = SharedScanner::default();
        let stream = Scanned::new(stream, scanner.clone());
        let ws = open(stream, leftover, max_payload, Some(scanner.clone())).await;
        let ext = Deflate::new(Some(codec), scanner, max_payload);
        drive(io, id, ws, ext, now).await;
    })
}
