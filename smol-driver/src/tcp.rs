//! [`TcpConn`]: an accepted connection that does not read again only to be told "would block".
//!
//! async-net's `TcpStream` tries every read first and waits for readiness only when the kernel
//! answers `EAGAIN`. A read that did not fill the buffer has taken all the kernel had, so the
//! next try is almost always that wasted system call, followed by async-io's re-arming of the
//! socket anyway. After such a short read, [`TcpConn`] waits for readiness first (tokio's
//! readiness cache does the same): one `recvfrom` per message instead of two. Nothing is
//! lost: async-io arms the socket with a oneshot `epoll_ctl`, which reports data that came in
//! before it was armed.

use std::io;
use std::net::TcpStream;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use smol::io::{AsyncRead, AsyncWrite};
use smol::Async;

/// An accepted TCP connection (see the module's docs).
#[derive(Debug)]
pub(crate) struct TcpConn {
    io: Arc<Async<TcpStream>>,
    /// The last read returned less than asked: wait for readiness before the next.
    drained: bool,
}

impl From<smol::net::TcpStream> for TcpConn {
    fn from(stream: smol::net::TcpStream) -> Self {
        TcpConn {
            io: stream.into(),
            drained: false,
        }
    }
}

impl AsyncRead for TcpConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.drained && !buf.is_empty() {
            ready!(self.io.poll_readable(cx))?;
            self.drained = false;
        }
        let n = ready!(Pin::new(&mut &*self.io).poll_read(cx, buf))?;
        self.drained = n > 0 && n < buf.len();
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for TcpConn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.io).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.io).poll_close(cx)
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
                let mut s = smol::net::TcpStream::connect(addr).await.unwrap();
                for i in 0..50u8 {
                    s.write_all(&[i; 7]).await.unwrap();
                    if i % 5 == 0 {
                        smol::Timer::after(std::time::Duration::from_millis(2)).await;
                    }
                }
            });
            let (stream, _) = listener.accept().await.unwrap();
            let mut conn = TcpConn::from(stream);
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            loop {
                let n = conn.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            writer.await;
            let want: Vec<u8> = (0..50u8).flat_map(|i| [i; 7]).collect();
            assert_eq!(got, want);
        });
    }
}
