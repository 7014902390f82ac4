//! Waiting for acks: a one-shot slot the layer completes and a future the application awaits.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::socket::server::SocketId;
use crate::socket::Payload;

/// Why an ack did not come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AckError {
    /// The timeout passed first (the reference's "operation has timed out").
    Timeout,
    /// The socket disconnected (or the server shut down) before answering.
    Disconnected,
    /// The event could not be sent (unknown socket or namespace, arguments that do not
    /// serialize).
    NotSent,
    /// Not sent: the socket has `max_pending_acks` acks outstanding already.
    TooManyPending,
    /// Not sent: the client socket has too many events waiting to be sent already
    /// (`max_buffered_packets` / `max_buffered_bytes`).
    BufferFull,
}

impl fmt::Display for AckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AckError::Timeout => "operation has timed out",
            AckError::Disconnected => "socket disconnected",
            AckError::NotSent => "event not sent",
            AckError::TooManyPending => "too many acks outstanding for this socket",
            AckError::BufferFull => "too many events waiting to be sent",
        })
    }
}

impl std::error::Error for AckError {}

struct Inner<T> {
    value: Option<Result<T, AckError>>,
    waker: Option<Waker>,
}

/// The layer's end of an ack: completing it wakes the future. Dropped uncompleted, it
/// completes with [`AckError::Disconnected`].
pub(crate) struct AckSlot<T>(Option<Arc<Mutex<Inner<T>>>>);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T> AckSlot<T> {
    pub(crate) fn complete(mut self, value: Result<T, AckError>) {
        self.fill(value);
    }

    fn fill(&mut self, value: Result<T, AckError>) {
        if let Some(inner) = self.0.take() {
            let mut g = lock(&inner);
            g.value = Some(value);
            if let Some(w) = g.waker.take() {
                w.wake();
            }
        }
    }
}

impl<T> Drop for AckSlot<T> {
    fn drop(&mut self) {
        self.fill(Err(AckError::Disconnected));
    }
}

/// A one-shot pair: the slot for the layer, the shared state for the future.
fn pair<T>() -> (AckSlot<T>, Arc<Mutex<Inner<T>>>) {
    let inner = Arc::new(Mutex::new(Inner {
        value: None,
        waker: None,
    }));
    (AckSlot(Some(inner.clone())), inner)
}

fn poll_inner<T>(inner: &Mutex<Inner<T>>, cx: &mut Context<'_>) -> Poll<Result<T, AckError>> {
    let mut g = lock(inner);
    match g.value.take() {
        Some(v) => Poll::Ready(v),
        None => {
            g.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// The answer of one socket to an event sent with `emit_with_ack`: the ack's arguments.
#[must_use = "futures do nothing unless awaited"]
pub struct AckFuture(Arc<Mutex<Inner<Payload>>>);

impl AckFuture {
    pub(crate) fn pair() -> (AckSlot<Payload>, AckFuture) {
        let (slot, inner) = pair();
        (slot, AckFuture(inner))
    }

    pub(crate) fn failed(e: AckError) -> AckFuture {
        let (slot, fut) = Self::pair();
        slot.complete(Err(e));
        fut
    }
}

impl Future for AckFuture {
    type Output = Result<Payload, AckError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_inner(&self.0, cx)
    }
}

/// Each answering socket with its ack's arguments.
pub type Responses = Vec<(SocketId, Payload)>;

/// The answers of every targeted socket to a broadcast sent with `emit_with_ack`.
#[must_use = "futures do nothing unless awaited"]
pub struct BroadcastAckFuture(Arc<Mutex<Inner<Responses>>>);

impl BroadcastAckFuture {
    pub(crate) fn pair() -> (AckSlot<Responses>, BroadcastAckFuture) {
        let (slot, inner) = pair();
        (slot, BroadcastAckFuture(inner))
    }

    pub(crate) fn failed(e: AckError) -> BroadcastAckFuture {
        let (slot, fut) = Self::pair();
        slot.complete(Err(e));
        fut
    }
}

impl Future for BroadcastAckFuture {
    type Output = Result<Responses, AckError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_inner(&self.0, cx)
    }
}

/// The outcome of a cluster-wide request (`fetch_cluster_sockets`,
/// `server_side_emit_with_ack`): ready once every server answered, or
/// [`AckError::Timeout`] after the cluster's requests timeout.
#[must_use = "futures do nothing unless awaited"]
pub struct ClusterFuture<T>(Arc<Mutex<Inner<T>>>);

impl<T> ClusterFuture<T> {
    pub(crate) fn pair() -> (AckSlot<T>, ClusterFuture<T>) {
        let (slot, inner) = pair();
        (slot, ClusterFuture(inner))
    }

    pub(crate) fn ready(value: Result<T, AckError>) -> ClusterFuture<T> {
        let (slot, fut) = Self::pair();
        slot.complete(value);
        fut
    }
}

impl<T> Future for ClusterFuture<T> {
    type Output = Result<T, AckError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_inner(&self.0, cx)
    }
}
