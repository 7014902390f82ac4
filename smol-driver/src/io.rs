//! The I/O adapters between hyper and futures-io: [`FuturesIo`] serves a futures-io stream to
//! hyper, [`HyperIo`] a hyper I/O object to async-tungstenite.
//!
//! `FuturesIo` is ours rather than smol-hyper's: hyper hands its reads an uninitialized
//! buffer, and futures-io reads need an initialized one. smol-hyper zeroes all of hyper's free
//! buffer (8 KiB and more) before every read, the reads that find nothing included: about
//! 2,600 instructions per long-polling round trip (callgrind, the mixed benchmark: a quarter
//! of the smol driver's work there). `FuturesIo` reads into a buffer of the thread's, zeroed
//! once, and copies what came in, without `unsafe`.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use hyper::rt::ReadBufCursor;
use smol::io::{AsyncRead, AsyncWrite};

/// Most bytes one read of a [`FuturesIo`] takes (hyper reads again for more).
const SCRATCH: usize = 16 * 1024;

thread_local! {
    /// Where [`FuturesIo`] reads before copying into hyper's buffer.
    static SCRATCH_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH].into_boxed_slice());
}

/// A futures-io stream as hyper's I/O (see the module's docs).
#[derive(Debug)]
pub(crate) struct FuturesIo<T> {
    inner: T,
    /// Whether `inner` writes several buffers in one call (hyper then writes a response's
    /// head and body together instead of copying the body behind the head).
    vectored: bool,
}

impl<T> FuturesIo<T> {
    /// `inner` for hyper, writing one buffer at a time (a TLS stream).
    #[cfg(feature = "tls")]
    pub(crate) fn new(inner: T) -> Self {
        FuturesIo {
            inner,
            vectored: false,
        }
    }

    /// `inner` for hyper, writing several buffers in one call (a TCP connection).
    pub(crate) fn vectored(inner: T) -> Self {
        FuturesIo {
            inner,
            vectored: true,
        }
    }

    /// The stream.
    pub(crate) fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for FuturesIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let want = buf.remaining().min(SCRATCH);
        if want == 0 {
            return Poll::Ready(Ok(()));
        }
        let inner = Pin::new(&mut self.inner);
        SCRATCH_BUF.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => read_into(inner, cx, &mut scratch[..want], &mut buf),
            // Not expected (a read does not read another connection), but safe.
            Err(_) => read_into(inner, cx, &mut vec![0; want], &mut buf),
        })
    }
}

/// Reads into `scratch`, then copies what came into `buf`.
fn read_into<T: AsyncRead>(
    inner: Pin<&mut T>,
    cx: &mut Context<'_>,
    scratch: &mut [u8],
    buf: &mut ReadBufCursor<'_>,
) -> Poll<io::Result<()>> {
    let n = ready!(inner.poll_read(cx, scratch))?;
    buf.put_slice(&scratch[..n]);
    Poll::Ready(Ok(()))
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for FuturesIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// A hyper I/O object (here: an [`Upgraded`](hyper::upgrade::Upgraded) connection that could
/// not be taken back as a TCP stream) as a futures-io stream, for async-tungstenite.
#[derive(Debug)]
pub(crate) struct HyperIo<T>(pub(crate) T);

impl<T: hyper::rt::Read + Unpin> AsyncRead for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut read = hyper::rt::ReadBuf::new(buf);
        ready!(Pin::new(&mut self.0).poll_read(cx, read.unfilled()))?;
        Poll::Ready(Ok(read.filled().len()))
    }
}

impl<T: hyper::rt::Write + Unpin> AsyncWrite for HyperIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    use hyper::{Request, Response};
    use smol::io::{AsyncReadExt, AsyncWriteExt};

    /// hyper reads through [`FuturesIo`] requests whose bodies are larger than one read takes
    /// (the scratch buffer) and writes its answers through vectored writes: every byte of
    /// every request on a kept-alive connection arrives, in order.
    #[test]
    fn hyper_reads_large_bodies_and_writes_answers() {
        smol::block_on(async {
            let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = smol::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let service =
                    hyper::service::service_fn(|req: Request<hyper::body::Incoming>| async move {
                        let body = req.into_body().collect().await?.to_bytes();
                        let sum: u64 = body.iter().map(|&b| u64::from(b)).sum();
                        let answer = format!("{} {}", body.len(), sum);
                        Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from(answer))))
                    });
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(FuturesIo::vectored(stream), service)
                    .await
                    .unwrap();
            });
            let mut client = smol::net::TcpStream::connect(addr).await.unwrap();
            for len in [0usize, 10, SCRATCH - 1, SCRATCH + 1, 3 * SCRATCH + 7] {
                let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
                let head = format!("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {len}\r\n\r\n");
                client.write_all(head.as_bytes()).await.unwrap();
                client.write_all(&body).await.unwrap();
                let want = format!(
                    "{} {}",
                    len,
                    body.iter().map(|&b| u64::from(b)).sum::<u64>()
                );
                let mut got = Vec::new();
                let mut buf = [0u8; 512];
                while !got.ends_with(want.as_bytes()) {
                    let n = client.read(&mut buf).await.unwrap();
                    assert!(
                        n > 0,
                        "connection closed; got {:?}",
                        String::from_utf8_lossy(&got)
                    );
                    got.extend_from_slice(&buf[..n]);
                }
                assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
            }
            drop(client);
            server.await;
        });
    }
}
