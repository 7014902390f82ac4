//! The TCP side of the smol driver: [`TcpConn`], a connection (accepted by the server or made
//! by the client), and [`Acceptor`], the listening socket. Both call the kernel only when
//! async-io has reported readiness (or first thing), never again just to hear "would block".
//!
//! async-net's types try every read (and accept) first and wait for readiness only when the
//! kernel answers `EAGAIN`. Two costs follow on a busy server, measured with `perf trace` on
//! the echo benchmark (50 clients, one event in flight each):
//!
//! - A read that did not fill the buffer has taken all the kernel had, so the next try is
//!   almost always that wasted system call, followed by async-io's re-arming of the socket
//!   anyway. After such a short read [`TcpConn`] waits for readiness first (tokio's
//!   readiness cache does the same): one `recvfrom` per message instead of two. It also waits
//!   first after its own read was told "would block": async-io then remembers the reactor turn
//!   of that wait, and a connection that next read without asking async-io first would, at its
//!   next wait, be told "ready" on the strength of that old turn, try a read, hear `EAGAIN`
//!   and re-arm: a wasted `recvfrom` per message for the rest of the connection's life.
//! - The task that awaits `serve` is polled every time anything wakes it (on smol's
//!   executor, `Executor::run` polls its future at each turn of the reactor), and async-net's
//!   `accept` then calls `accept4` again and re-arms the listener: two system calls per turn.
//!   [`Acceptor`] answers such polls from async-io's readiness state (no system call).
//!
//! Nothing is lost: async-io arms a socket with a oneshot `epoll_ctl`, which reports data (or
//! a connection) that came in before it was armed.
//!
//! On Linux a server's accepted connections are not registered with async-io at all: they
//! wait on the server's edge-triggered registry ([`crate::edge`]), which also spares the
//! `epoll_ctl` that async-io makes at every wait. The client's connections, and every
//! connection elsewhere, are on async-io as above.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use smol::io::{AsyncRead, AsyncWrite};
use smol::Async;

/// A TCP connection (see the module's docs): on async-io, or (the server's, on Linux) on an
/// edge-triggered registry ([`crate::edge`]).
#[derive(Debug)]
pub(crate) struct TcpConn {
    conn: Conn,
}

#[derive(Debug)]
enum Conn {
    Async {
        io: Arc<Async<TcpStream>>,
        /// The kernel has nothing more to read (the last read came up short or would have
        /// blocked): wait for async-io to report readiness before the next.
        drained: bool,
    },
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Edge(crate::edge::EdgeSource),
}

impl From<Async<TcpStream>> for TcpConn {
    fn from(io: Async<TcpStream>) -> Self {
        TcpConn {
            conn: Conn::Async {
                io: Arc::new(io),
                drained: false,
            },
        }
    }
}

impl From<smol::net::TcpStream> for TcpConn {
    fn from(stream: smol::net::TcpStream) -> Self {
        TcpConn {
            conn: Conn::Async {
                io: stream.into(),
                drained: false,
            },
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl From<crate::edge::EdgeSource> for TcpConn {
    fn from(source: crate::edge::EdgeSource) -> Self {
        TcpConn {
            conn: Conn::Edge(source),
        }
    }
}

impl AsyncRead for TcpConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let (io, drained) = match &mut self.conn {
            Conn::Async { io, drained } => (io, drained),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Conn::Edge(source) => return Pin::new(source).poll_read(cx, buf),
        };
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            if *drained {
                ready!(io.poll_readable(cx))?;
                *drained = false;
            }
            match io.get_ref().read(buf) {
                Ok(n) => {
                    *drained = n > 0 && n < buf.len();
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => *drained = true,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for TcpConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.conn {
            Conn::Async { io, .. } => Pin::new(&mut &**io).poll_write(cx, buf),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Conn::Edge(source) => Pin::new(source).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.conn {
            Conn::Async { io, .. } => Pin::new(&mut &**io).poll_write_vectored(cx, bufs),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Conn::Edge(source) => Pin::new(source).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.conn {
            Conn::Async { io, .. } => Pin::new(&mut &**io).poll_flush(cx),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Conn::Edge(source) => Pin::new(source).poll_flush(cx),
        }
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.conn {
            Conn::Async { io, .. } => Pin::new(&mut &**io).poll_close(cx),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Conn::Edge(source) => Pin::new(source).poll_close(cx),
        }
    }
}

/// Where a server's accepted connections wait for readiness: its edge-triggered registry on
/// Linux ([`crate::edge`]), async-io elsewhere, or if the registry could not be made.
pub(crate) struct Conns {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    edge: Option<crate::edge::Edge>,
}

impl Conns {
    /// The registry of a server whose tasks run on `spawner` (its pump among them).
    pub(crate) fn new(spawner: &crate::engine::Spawner) -> Self {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let spawner = spawner.clone();
            let edge = crate::edge::Edge::new(|pump| spawner.spawn(pump.run()).detach())
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "sio-smol: no epoll of its own; connections on async-io")
                })
                .ok();
            Conns { edge }
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = spawner;
            Conns {}
        }
    }

    /// An accepted connection (set non-blocking here), registered for readiness.
    pub(crate) fn set_up(&self, stream: TcpStream) -> io::Result<TcpConn> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(edge) = &self.edge {
            return edge.register(stream).map(Into::into);
        }
        Async::new(stream).map(Into::into)
    }
}

/// A listening socket whose accepts wait for readiness once told "would block" (see the
/// module's docs).
#[derive(Debug)]
pub(crate) struct Acceptor {
    io: Arc<Async<TcpListener>>,
    /// The last accept would have blocked: wait for readiness before the next.
    drained: bool,
}

impl From<smol::net::TcpListener> for Acceptor {
    fn from(listener: smol::net::TcpListener) -> Self {
        Acceptor {
            io: listener.into(),
            drained: false,
        }
    }
}

impl Acceptor {
    /// The next connection, with its peer's address (still blocking: the caller sets it up
    /// for async-io or an edge registry).
    pub(crate) fn poll_accept(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        loop {
            if self.drained {
                ready!(self.io.poll_readable(cx))?;
                self.drained = false;
            }
            match self.io.get_ref().accept() {
                Ok(accepted) => return Poll::Ready(Ok(accepted)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.drained = true,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smol::io::{AsyncReadExt, AsyncWriteExt};

    /// Messages written in pieces, with pauses (so reads come up short and then wait), all
    /// arrive in order; the end of the stream is seen.
    #[test]
    fn short_reads_then_waits_lose_nothing() {
        smol::block_on(async {
            let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let writer = smol::spawn(async move {
                let s = smol::net::TcpStream::connect(addr).await.unwrap();
                crate::test_io::write_in_pieces(s, 50).await;
            });
            let mut acceptor = Acceptor::from(listener);
            let (stream, _) = std::future::poll_fn(|cx| acceptor.poll_accept(cx))
                .await
                .unwrap();
            let mut conn = TcpConn::from(Async::new(stream).unwrap());
            let got = crate::test_io::read_all_in_small_reads(&mut conn).await;
            writer.await;
            let want = crate::test_io::pieces(50);
            assert_eq!(got, want);
        });
    }

    /// Connections that come one by one, with the accept loop polled again in between for no
    /// reason (as `Executor::run` does to the future it runs): each is accepted once, in
    /// order, and a poll with nothing waiting finds nothing.
    #[test]
    fn accepts_each_connection_once_across_spurious_polls() {
        smol::block_on(async {
            let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut acceptor = Acceptor::from(listener);
            let waker = std::task::Waker::noop();
            let mut cx = Context::from_waker(waker);
            assert!(acceptor.poll_accept(&mut cx).is_pending());
            assert!(acceptor.poll_accept(&mut cx).is_pending());
            for i in 0..5u8 {
                let mut client = smol::net::TcpStream::connect(addr).await.unwrap();
                client.write_all(&[i]).await.unwrap();
                let (stream, peer) = std::future::poll_fn(|cx| acceptor.poll_accept(cx))
                    .await
                    .unwrap();
                assert_eq!(peer, client.local_addr().unwrap());
                let mut conn = TcpConn::from(Async::new(stream).unwrap());
                let mut byte = [0u8; 1];
                conn.read_exact(&mut byte).await.unwrap();
                assert_eq!(byte[0], i);
                // Spurious polls: nothing more is waiting.
                assert!(acceptor.poll_accept(&mut cx).is_pending());
                assert!(acceptor.poll_accept(&mut cx).is_pending());
            }
        });
    }

    /// A read told "would block" waits for readiness next time, and the data that comes then
    /// is read whole, however the reads before it ended (short, or told to wait).
    #[test]
    fn a_read_after_would_block_gets_the_next_data() {
        smol::block_on(async {
            let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = smol::net::TcpStream::connect(addr).await.unwrap();
            let mut acceptor = Acceptor::from(listener);
            let (stream, _) = std::future::poll_fn(|cx| acceptor.poll_accept(cx))
                .await
                .unwrap();
            let mut conn = TcpConn::from(Async::new(stream).unwrap());
            crate::test_io::waits_then_reads_each_round(&mut conn, client).await;
        });
    }
}
