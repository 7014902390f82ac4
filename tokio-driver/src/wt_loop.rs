//! One task per WebTransport session: accepts its CONNECT request and its first bidirectional
//! stream, then moves bytes: what it reads goes to the core as it came (the core finds the
//! packets), the core's frames go out with their length headers
//! ([`webtransport::chunks`]). The steps come from the session's [`WsOutbox`], as a
//! WebSocket's do (`ws_loop`), so backpressure, pausing, closing and aborting are the same.

use std::future::poll_fn;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use sio_core::api::{EngineIo, WsFrames, WsNext, WsOutbox};
use sio_core::engine::server::{Method, Request, TransportId};
use sio_core::engine::webtransport;
use wtransport::endpoint::IncomingSession;
use wtransport::quinn;
use wtransport::Connection;

/// Most bytes read before the core gets them.
const MAX_BATCH_BYTES: usize = 64 * 1024;
/// Frames up to this size are copied behind their header into one buffer (one write for many
/// small frames); larger ones are written as they are, after their header.
const COALESCE_BELOW: usize = 4 * 1024;

/// What the session's task does next.
enum Step {
    /// Bytes were read (into the batch), or the stream ended.
    Incoming,
    /// Frames the core wants written.
    Write(WsFrames),
    /// The core closed the session.
    Close,
    /// The core dropped the session (its peer stopped reading).
    Abort,
}

/// Runs one incoming WebTransport session until it ends.
pub(crate) async fn run(io: EngineIo, incoming: IncomingSession) {
    let Ok(request) = incoming.await else {
        return;
    };
    let path_and_query = request.path().to_owned();
    let path = path_and_query.split('?').next().unwrap_or("");
    if !io.handles_path(path) {
        request.not_found().await;
        return;
    }
    let mut req = Request::new(Method::Other, &path_and_query);
    req.origin = request.origin().map(str::to_owned);
    req.headers = request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    req.remote_address = Some(request.remote_address().to_string());
    req.secure = true;
    let Ok(conn) = request.accept().await else {
        return;
    };
    let id = io.next_transport_id();
    let outbox = io.wt_open(crate::now(), id, req);
    // The first bidirectional stream, unless the core gives up on it first (its
    // `upgrade_timeout`, or a refusal).
    let stream = tokio::select! {
        s = conn.accept_bi() => s.ok(),
        () = closed_by_core(&outbox) => None,
    };
    match stream {
        Some((send, recv)) => drive(&io, id, &conn, send, recv, &outbox).await,
        None => conn.close(0u32.into(), b""),
    }
    io.ws_closed(crate::now(), id);
}

/// Resolves when the core closes or drops the session (before its stream is open nothing is
/// written and nothing read).
async fn closed_by_core(outbox: &WsOutbox) {
    poll_fn(|cx| loop {
        match outbox.poll_next(cx, false) {
            Poll::Ready(WsNext::Close | WsNext::Abort) => return Poll::Ready(()),
            Poll::Ready(WsNext::Read | WsNext::Write(_)) => continue,
            Poll::Pending => return Poll::Pending,
        }
    })
    .await
}

/// Moves the stream's bytes until either side ends the session.
async fn drive(
    io: &EngineIo,
    id: TransportId,
    conn: &Connection,
    mut send: wtransport::SendStream,
    mut recv: wtransport::RecvStream,
    outbox: &WsOutbox,
) {
    let read_waker = outbox.read_waker();
    // The reader may have data already: read first.
    read_waker.wake_by_ref();
    let mut batch: Vec<Bytes> = Vec::new();
    let mut ended = false;
    let mut write_first = false;
    // As the WebSocket loop: answers are written on the task's next turn, after the other
    // ready sessions have read theirs.
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
                    while bytes < MAX_BATCH_BYTES && !ended {
                        let mut buf = [0u8; 8 * 1024];
                        match recv.quic_stream_mut().poll_read(&mut read_cx, &mut buf) {
                            Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => ended = true,
                            Poll::Ready(Ok(n)) => {
                                bytes += n;
                                batch.push(Bytes::copy_from_slice(&buf[..n]));
                            }
                            Poll::Pending => break,
                        }
                    }
                    if bytes >= MAX_BATCH_BYTES {
                        // Stopped early: the next step reads again.
                        read_waker.wake_by_ref();
                    }
                    if !batch.is_empty() || ended {
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
                    io.wt_data(crate::now(), id, std::mem::take(&mut batch));
                    yield_first = true;
                }
                if ended {
                    // The client ended its stream or closed the session.
                    return;
                }
                write_first = true;
            }
            Step::Write(frames) => {
                if write(outbox, send.quic_stream_mut(), frames).await.is_err() {
                    return;
                }
                io.ws_flushed(crate::now(), id, outbox);
                write_first = false;
            }
            Step::Close => {
                // What was written is delivered before the session closes: the stream is
                // finished and acknowledged, or the core's linger aborts the wait (a peer that
                // does not read).
                let quic = send.quic_stream_mut();
                let _ = quic.finish();
                tokio::select! {
                    _ = quic.stopped() => {}
                    () = aborted(outbox) => {}
                }
                conn.close(0u32.into(), b"");
                return;
            }
            Step::Abort => {
                conn.close(1u32.into(), b"");
                return;
            }
        }
    }
}

/// Resolves once the core orders the session dropped.
async fn aborted(outbox: &WsOutbox) {
    poll_fn(|cx| match outbox.poll_aborted(cx) {
        true => Poll::Ready(()),
        false => Poll::Pending,
    })
    .await
}

/// Writes `frames` with their headers; `Err` when the stream failed or the core dropped the
/// session meanwhile (a write to a peer that stopped reading never completes on its own).
async fn write(
    outbox: &WsOutbox,
    send: &mut quinn::SendStream,
    frames: WsFrames,
) -> Result<(), ()> {
    let mut chunks: Vec<Bytes> = Vec::with_capacity(2);
    let mut small = BytesMut::new();
    for frame in &frames {
        let [header, body] = webtransport::chunks(frame);
        if body.len() < COALESCE_BELOW {
            small.extend_from_slice(&header);
            small.extend_from_slice(&body);
        } else {
            if !small.is_empty() {
                chunks.push(small.split().freeze());
            }
            chunks.push(header);
            chunks.push(body);
        }
    }
    if !small.is_empty() {
        chunks.push(small.freeze());
    }
    tokio::select! {
        r = send.write_all_chunks(&mut chunks) => r.map_err(|_| ()),
        () = aborted(outbox) => Err(()),
    }
}
