//! permessage-deflate around async-tungstenite, for the server's and the client's WebSockets
//! (runtime-independent).
//!
//! tungstenite 0.30 has no extension support and fails any frame with RSV1 set, so the
//! extension is fitted around it (see `sio_core::compress::deflate` for the whole story):
//! [`Scanned`] sits between the socket and tungstenite and lets the core's
//! [`FrameScanner`] clear RSV1 on the first frame of compressed messages (noting them);
//! [`Deflate`] inflates those messages once tungstenite has put them together, and compresses
//! outgoing messages into ready frames with RSV1 set. Everything else (fragments, masking,
//! ping/pong, the close handshake, size limits, UTF-8) stays tungstenite's.
//!
//! A WebSocket without the extension uses [`Plain`] and the bare stream: no scanner, no
//! codec, the same code as before (the loop is generic over [`Ext`]).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use async_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use async_tungstenite::tungstenite::Message;
use bytes::Bytes;
use futures_util::{AsyncRead, AsyncWrite};
use sio_core::compress::deflate::{Codec, FrameScanner, Incoming};
use sio_core::compress::DecodeError;
use sio_core::engine::Frame;
use sio_core::Str;

/// The scanner a [`Scanned`] stream and its [`Deflate`] share (the stream notes message
/// starts as tungstenite reads them; the loop takes the notes as tungstenite yields them; one
/// task does both, so the lock is never contended).
pub type SharedScanner = Arc<Mutex<FrameScanner>>;

fn lock(s: &SharedScanner) -> std::sync::MutexGuard<'_, FrameScanner> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// A stream whose incoming bytes pass through a [`FrameScanner`] on their way to
/// tungstenite; writes pass through untouched.
pub struct Scanned<S> {
    inner: S,
    scanner: SharedScanner,
}

impl<S> Scanned<S> {
    /// `inner`, scanned by `scanner`.
    pub fn new(inner: S, scanner: SharedScanner) -> Self {
        Scanned { inner, scanner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Scanned<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        let n = std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        lock(&this.scanner).scan(&mut buf[..n]);
        Poll::Ready(Ok(n))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Scanned<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// Why a message could not be taken: the close code to answer with (as `ws`: 1009 for a
/// message that inflates past the limit, 1007 for bad deflate data or UTF-8, 1002 for a
/// compressed message without the extension).
pub type Refusal = CloseCode;

/// What a WebSocket does to its messages: nothing ([`Plain`]) or permessage-deflate
/// ([`Deflate`]).
pub trait Ext: Send + Unpin {
    /// A text or binary message as tungstenite yielded it, as the core's frame.
    fn inbound(&mut self, frame: Frame) -> Result<Frame, Refusal>;
    /// The message to hand tungstenite for a frame of the core.
    fn outbound(&mut self, frame: Frame) -> Message;
}

/// No extension.
pub struct Plain;

impl Ext for Plain {
    #[inline]
    fn inbound(&mut self, frame: Frame) -> Result<Frame, Refusal> {
        Ok(frame)
    }

    #[inline]
    fn outbound(&mut self, frame: Frame) -> Message {
        plain_message(frame)
    }
}

/// The message for a frame of the core, uncompressed.
pub fn plain_message(frame: Frame) -> Message {
    match frame {
        // The same frame tungstenite makes of a `Message::Text`, without checking the UTF-8 a
        // `Str` already guarantees (per recipient of a broadcast).
        Frame::Text(t) => Message::Frame(WsFrame::message(
            t.into_bytes(),
            OpCode::Data(Data::Text),
            true,
        )),
        Frame::Binary(b) => Message::Binary(b),
    }
}

/// permessage-deflate: the connection's codec and the scanner of its [`Scanned`] stream.
pub struct Deflate {
    /// `None`: the extension was offered but not agreed (a client's), so a compressed
    /// message is a protocol error.
    codec: Option<Codec>,
    scanner: SharedScanner,
    /// The most bytes a message may inflate to.
    limit: usize,
}

impl Deflate {
    /// The extension with `codec` (or, `None`, only the scanner's check), inflating at most
    /// `limit` bytes per message.
    pub fn new(codec: Option<Codec>, scanner: SharedScanner, limit: usize) -> Self {
        Deflate {
            codec,
            scanner,
            limit,
        }
    }
}

impl Ext for Deflate {
    fn inbound(&mut self, frame: Frame) -> Result<Frame, Refusal> {
        let note = lock(&self.scanner).next_message();
        let Some(Incoming::Deflated { text }) = note else {
            return Ok(frame);
        };
        let (Frame::Binary(payload), Some(codec)) = (&frame, self.codec.as_mut()) else {
            return Err(CloseCode::Protocol);
        };
        let data = codec.decompress(payload, self.limit).map_err(|e| match e {
            DecodeError::TooLong => CloseCode::Size,
            _ => CloseCode::Invalid,
        })?;
        if text {
            Str::from_utf8(data)
                .map(Frame::Text)
                .map_err(|_| CloseCode::Invalid)
        } else {
            Ok(Frame::Binary(data))
        }
    }

    fn outbound(&mut self, frame: Frame) -> Message {
        let Some(codec) = self.codec.as_mut() else {
            return plain_message(frame);
        };
        let (bytes, opcode): (Bytes, Data) = match &frame {
            Frame::Text(t) => (t.bytes().clone(), Data::Text),
            Frame::Binary(b) => (b.clone(), Data::Binary),
        };
        match codec.compress(&bytes) {
            None => plain_message(frame),
            Some(z) => {
                let mut f = WsFrame::message(z, OpCode::Data(opcode), true);
                f.header_mut().rsv1 = true;
                Message::Frame(f)
            }
        }
    }
}
