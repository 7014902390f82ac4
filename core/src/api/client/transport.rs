//! The tasks that carry out the manager's requests, WebSockets and WebTransport sessions with
//! the driver's I/O.

use std::future::poll_fn;
use std::sync::Weak;
use std::task::Poll;

use std::collections::VecDeque;

use bytes::Bytes;

use super::io::{HttpRequest, WsRequest, WtRequest};
use super::{Client, Shared};
use crate::engine::client::IoId;
use crate::engine::webtransport;

fn client(shared: &Weak<Shared>) -> Option<Client> {
    shared.upgrade().map(|shared| Client { shared })
}

/// Performs one polling request and feeds its answer back.
pub(super) async fn http_task(shared: Weak<Shared>, id: IoId, req: HttpRequest) {
    let Some(io) = shared.upgrade().map(|s| s.io.clone()) else {
        return;
    };
    let result = io.http(req).await;
    if let Some(c) = client(&shared) {
        c.with(|st, now| st.manager.handle_http_response(now, id, result));
    }
}

/// Opens one WebSocket, then moves messages both ways until either side closes it.
pub(super) async fn ws_task(shared: Weak<Shared>, id: IoId, req: WsRequest) {
    let Some(io) = shared.upgrade().map(|s| s.io.clone()) else {
        return;
    };
    let mut conn = match io.websocket(req).await {
        Ok(c) => c,
        Err(e) => return finish(&shared, id, Some(e)),
    };
    let Some(c) = client(&shared) else { return };
    c.with(|st, now| st.manager.handle_ws_open(now, id));
    drop(c);
    // Reads first (up to a batch per wake-up), then writes what the manager queued.
    let mut batch = Vec::new();
    let end: Option<String> = poll_fn(|cx| {
        let Some(c) = client(&shared) else {
            return Poll::Ready(None);
        };
        // Everything already received is handed to the manager under one lock.
        let end = read_batch(cx, &mut batch, |cx| conn.poll_recv(cx));
        if !batch.is_empty() {
            c.with(|st, now| {
                for frame in batch.drain(..) {
                    st.manager.handle_ws_message(now, id, frame);
                }
            });
        }
        if end.is_some() {
            return Poll::Ready(end);
        }
        let mut st = c.lock();
        let Some(slot) = st.ws.get_mut(&id) else {
            return Poll::Ready(None);
        };
        while !slot.outbox.is_empty() {
            match conn.poll_ready(cx) {
                Poll::Ready(Ok(())) => {
                    let Some(f) = slot.outbox.pop_front() else {
                        break;
                    };
                    if let Err(e) = conn.start_send(f) {
                        return Poll::Ready(Some(e));
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Some(e)),
                Poll::Pending => break,
            }
        }
        if let Poll::Ready(Err(e)) = conn.poll_flush(cx) {
            return Poll::Ready(Some(e));
        }
        if slot.close && slot.outbox.is_empty() {
            return Poll::Ready(None);
        }
        slot.waker = Some(cx.waker().clone());
        Poll::Pending
    })
    .await;
    if end.is_none() {
        // The manager closed it: close politely.
        let _ = poll_fn(|cx| conn.poll_close(cx)).await;
    }
    finish(&shared, id, end);
}

/// Opens one WebTransport session, then moves its stream's bytes both ways until either side
/// closes it: what it reads goes to the manager as it came (the core finds the packets), the
/// manager's frames go out with their length headers.
pub(super) async fn wt_task(shared: Weak<Shared>, id: IoId, req: WtRequest) {
    let Some(io) = shared.upgrade().map(|s| s.io.clone()) else {
        return;
    };
    let mut conn = match io.webtransport(req).await {
        Ok(c) => c,
        Err(e) => return finish(&shared, id, Some(e)),
    };
    let Some(c) = client(&shared) else { return };
    c.with(|st, now| st.manager.handle_wt_open(now, id));
    drop(c);
    // Header and payload chunks not yet written (the payload shared, not copied).
    let mut pending: VecDeque<Bytes> = VecDeque::new();
    let mut batch: Vec<Bytes> = Vec::new();
    let end: Option<String> = poll_fn(|cx| {
        let Some(c) = client(&shared) else {
            return Poll::Ready(None);
        };
        let end = read_batch(cx, &mut batch, |cx| conn.poll_read(cx));
        if !batch.is_empty() {
            c.with(|st, now| {
                for chunk in batch.drain(..) {
                    st.manager.handle_wt_data(now, id, chunk);
                }
            });
        }
        if end.is_some() {
            return Poll::Ready(end);
        }
        let mut st = c.lock();
        let Some(slot) = st.ws.get_mut(&id) else {
            return Poll::Ready(None);
        };
        for frame in slot.outbox.drain(..) {
            pending.extend(webtransport::chunks(&frame));
        }
        while let Some(front) = pending.front_mut() {
            if front.is_empty() {
                pending.pop_front();
                continue;
            }
            match conn.poll_write(cx, front) {
                Poll::Ready(Ok(n)) => {
                    let _ = front.split_to(n.min(front.len()));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Some(e)),
                Poll::Pending => break,
            }
        }
        if slot.close && pending.is_empty() {
            return Poll::Ready(None);
        }
        slot.waker = Some(cx.waker().clone());
        Poll::Pending
    })
    .await;
    if end.is_none() {
        let _ = poll_fn(|cx| conn.poll_close(cx)).await;
    }
    finish(&shared, id, end);
}

/// Polls `recv` for up to a batch (64) of frames or chunks into `batch`, and says how the
/// connection ended if it did: `Some("")` when the peer closed it, `Some(error)` when it failed.
/// A full batch asks to be polled again (more may be buffered) after the caller's writes.
fn read_batch<T>(
    cx: &mut std::task::Context<'_>,
    batch: &mut Vec<T>,
    mut recv: impl FnMut(&mut std::task::Context<'_>) -> Poll<Option<Result<T, String>>>,
) -> Option<String> {
    for _ in 0..64 {
        match recv(cx) {
            Poll::Ready(Some(Ok(item))) => batch.push(item),
            Poll::Ready(Some(Err(e))) => return Some(e),
            Poll::Ready(None) => return Some(String::new()),
            Poll::Pending => return None,
        }
    }
    // Not hogging the thread: come back after the writes.
    cx.waker().wake_by_ref();
    None
}

/// Forgets a WebSocket or WebTransport connection that has ended, telling the manager how
/// unless the manager closed it itself (`None`): `Some("")`, closed by the peer; `Some(error)`,
/// it failed (or could not open).
fn finish(shared: &Weak<Shared>, id: IoId, end: Option<String>) {
    let Some(c) = client(shared) else { return };
    match end {
        None => c.with(|st, _| {
            st.ws.remove(&id);
        }),
        Some(e) => {
            let error = (!e.is_empty()).then_some(e);
            c.with(|st, now| {
                st.ws.remove(&id);
                st.manager.handle_ws_closed(now, id, error);
            });
        }
    }
}
