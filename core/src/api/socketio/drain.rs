//! Waiting for slow clients: what is queued for a socket ([`Socket::buffered_amount`]) and
//! futures that resolve once it has drained ([`Socket::drain`], the `emit_drained` variants).
//!
//! The Engine.IO server counts what is queued for each connection and not yet written (see
//! [`Server`](crate::engine::server::Server)'s docs on backpressure); it reports a connection
//! coming back to its high-water mark (half of `max_buffered_bytes`) with
//! [`Event::Drained`](crate::engine::server::Event::Drained), which wakes the futures here.
//! A producer that awaits them never queues more than the high-water mark plus one packet for
//! a client, so it is never the one that fills the client's queue.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use smallvec::SmallVec;

use super::layer::Layer;
use super::SocketIo;
use crate::engine::server::Server;
use crate::socket::server::UnknownSocket;
use crate::Str;

impl Layer {
    /// Connection `sid` drained or closed: wakes whoever waits for it.
    pub(crate) fn wake_drained(&mut self, sid: &Str) {
        if let Some(wakers) = self.drains.remove(sid) {
            for w in wakers {
                w.wake();
            }
        }
    }

    fn wait_drained(&mut self, sid: &Str, waker: &Waker) {
        let wakers = self.drains.entry(sid.clone()).or_default();
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

/// Whether connection `sid` is open and above its high-water mark.
pub(crate) fn congested(engine: &Server, sid: &Str) -> bool {
    engine
        .buffered(sid)
        .is_some_and(|b| b > engine.config().high_water())
}

/// The waiters of one connection (usually one producer).
pub(crate) type Waiters = SmallVec<[Waker; 1]>;

/// Resolves once each of its connections is at or below its high-water mark, or closed: with
/// `Ok` if the socket it was made for is still connected (for a broadcast, always `Ok`).
#[must_use = "a future does nothing unless awaited"]
pub struct Drain {
    io: SocketIo,
    /// The connections still above their mark at the last poll.
    sids: Vec<Str>,
    /// The socket whose connection this waits for (`None` for a broadcast).
    socket: Option<crate::socket::server::SocketId>,
}

impl std::fmt::Debug for Drain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drain")
            .field("waiting_for", &self.sids.len())
            .finish_non_exhaustive()
    }
}

impl Drain {
    pub(crate) fn new(
        io: SocketIo,
        sids: Vec<Str>,
        socket: Option<crate::socket::server::SocketId>,
    ) -> Self {
        Drain { io, sids, socket }
    }
}

impl Future for Drain {
    type Output = Result<(), UnknownSocket>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut sids = std::mem::take(&mut this.sids);
        let socket = this.socket.clone();
        let (sids, connected) = this.io.with_untimed(|l, engine| {
            sids.retain(|sid| {
                let wait = congested(engine, sid);
                if wait {
                    l.wait_drained(sid, cx.waker());
                }
                wait
            });
            let connected = socket.as_ref().is_none_or(|s| l.server.is_connected(s));
            (sids, connected)
        });
        if !connected {
            return Poll::Ready(Err(UnknownSocket));
        }
        if sids.is_empty() {
            return Poll::Ready(Ok(()));
        }
        this.sids = sids;
        Poll::Pending
    }
}
