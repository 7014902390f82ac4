//! [`StallGuard`]: fails a write that has waited too long for a peer that does not read.
//!
//! hyper has no write timeout: a long-poll response to a client that stopped reading (or a
//! half-open connection the kernel still retries) would hold its connection task forever
//! after the core has closed the session. The guard bounds every write by a deadline the core
//! sets ([`EngineIo::write_timeout`](sio_core::api::EngineIo::write_timeout): the time by
//! which the heartbeat would have given up on the client). It costs an idle connection one
//! pointer: the timer exists only while a write waits.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use smol::io::{AsyncRead, AsyncWrite};
use smol::Timer;

/// A stream whose writes fail with [`io::ErrorKind::TimedOut`] after waiting `limit`.
#[derive(Debug)]
pub(crate) struct StallGuard<S> {
    inner: S,
    limit: Duration,
    /// Armed when a write first waits; cleared when one makes progress.
    /// Boxed: an idle connection pays a pointer, not the timer.
    timer: Option<Box<Timer>>,
}

impl<S> StallGuard<S> {
    pub(crate) fn new(inner: S, limit: Duration) -> Self {
        StallGuard {
            inner,
            limit,
            timer: None,
        }
    }

    /// `poll` is what the inner stream answered a write: progress disarms the timer, waiting
    /// arms it (once) and fails past the limit.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.timer = None;
            return poll;
        }
        let limit = self.limit;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::new(Timer::after(limit)));
        ready!(Pin::new(&mut **timer).poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the peer took nothing written for too long",
        )))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for StallGuard<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for StallGuard<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_close(cx);
        self.watch(cx, poll)
    }
}
