//! [`ClientIo`]: what a driver lends the client — HTTP requests, WebSockets and a timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;

use crate::engine::client::{HttpMethod, HttpResult};
use crate::engine::Frame;

/// A boxed, sendable future.
pub type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https`/`wss` rather than `http`/`ws`.
    pub secure: bool,
    /// The host name or address.
    pub host: String,
    /// The port.
    pub port: u16,
}

/// One polling request for the driver to perform.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// The server.
    pub endpoint: Endpoint,
    /// GET or POST.
    pub method: HttpMethod,
    /// Path and query, e.g. `/socket.io/?EIO=4&transport=polling`.
    pub path_and_query: String,
    /// Headers to send besides `Host` (the application's extra headers, and
    /// `Accept-Encoding` with HTTP compression on). Report the response's `Content-Encoding`
    /// in [`HttpResult::Response`]; the client decodes the body.
    pub headers: Vec<(String, String)>,
    /// The body of a POST (send it as `text/plain;charset=UTF-8`).
    pub body: Bytes,
}

/// One WebSocket for the driver to open.
#[derive(Debug, Clone)]
pub struct WsRequest {
    /// The server.
    pub endpoint: Endpoint,
    /// Path and query, e.g. `/socket.io/?EIO=4&transport=websocket&sid=…`.
    pub path_and_query: String,
    /// Headers to send with the handshake (the application's extra headers).
    pub headers: Vec<(String, String)>,
    /// Offer permessage-deflate with these options: send
    /// [`client_offer`](crate::compress::deflate::client_offer) as `Sec-WebSocket-Extensions`,
    /// check the answer with [`client_accept`](crate::compress::deflate::client_accept), and
    /// run the connection with a [`Codec`](crate::compress::deflate::Codec) when agreed.
    pub per_message_deflate: Option<crate::compress::deflate::PerMessageDeflate>,
}

/// An open client WebSocket, as a poll-based sink and stream of whole messages. Control
/// frames (ping, pong, close) are the driver's business.
pub trait WsConnection: Send + 'static {
    /// The next message; `None` once the connection closed cleanly.
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame, String>>>;
    /// Ready to take a message with [`start_send`](Self::start_send).
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>>;
    /// Queues a message.
    fn start_send(&mut self, frame: Frame) -> Result<(), String>;
    /// Writes what is queued.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>>;
    /// Closes the connection (close handshake).
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>>;
}

/// One WebTransport session for the driver to open (over HTTP/3, always `https`).
#[derive(Debug, Clone)]
pub struct WtRequest {
    /// The server (its UDP port is the HTTP server's port number).
    pub endpoint: Endpoint,
    /// Path and query, e.g. `/socket.io/?EIO=4&transport=webtransport`.
    pub path_and_query: String,
    /// Headers to send with the CONNECT request (the application's extra headers).
    pub headers: Vec<(String, String)>,
}

/// The bidirectional stream of an open client WebTransport session, as poll-based reads and
/// writes of bytes. The framing of packets on it is the core's
/// ([`crate::engine::webtransport`]).
pub trait WtConnection: Send + 'static {
    /// The next bytes of the stream; `None` once the server ended it or closed the session
    /// cleanly.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, String>>>;
    /// Writes some of `data`; returns how many bytes were taken (at least one).
    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, String>>;
    /// Ends the stream and closes the session.
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>>;
}

/// What a driver provides the client with.
pub trait ClientIo: Send + Sync + 'static {
    /// Performs an HTTP request and reads the whole response.
    fn http(&self, request: HttpRequest) -> BoxFut<HttpResult>;
    /// Opens a WebSocket.
    fn websocket(&self, request: WsRequest) -> BoxFut<Result<Box<dyn WsConnection>, String>>;
    /// Opens a WebTransport session and its bidirectional stream. Drivers without
    /// WebTransport keep this default, which fails (the client then reports a transport
    /// error, or a failed probe when upgrading).
    fn webtransport(&self, request: WtRequest) -> BoxFut<Result<Box<dyn WtConnection>, String>> {
        let _ = request;
        Box::pin(async { Err("WebTransport is not supported by this driver".to_owned()) })
    }
    /// Completes at `deadline`.
    fn sleep_until(&self, deadline: Instant) -> BoxFut<()>;
}
