//! The client's HTTP requests and WebSockets over any stream: hyper's HTTP/1.1 client and
//! async-tungstenite. Runtime-independent: each driver gives it its TCP connect
//! and its spawn.

use std::pin::Pin;
use std::task::{Context, Poll};

use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::Message;
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_util::{AsyncRead, AsyncWrite, Sink, Stream};
use http_body_util::{BodyExt, Full};
use sio_core::api::client::{HttpRequest, WsConnection, WsRequest};
use sio_core::compress::deflate::{self, Codec, FrameScanner, Role};
use sio_core::engine::client::{HttpMethod, HttpResult};
use sio_core::engine::Frame;
use sio_core::Str;

use crate::ws_deflate::{Deflate, Ext, Plain, Scanned, SharedScanner};

fn host_header(req_host: &str, port: u16, secure: bool) -> String {
    let host = if req_host.contains(':') {
        format!("[{req_host}]")
    } else {
        req_host.to_owned()
    };
    if port == if secure { 443 } else { 80 } {
        host
    } else {
        format!("{host}:{port}")
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// The idle HTTP/1.1 connections of one client, reused by its next requests (keep-alive):
/// a long-poll GET and a POST are in flight at most, so a few suffice.
#[derive(Default)]
pub struct Pool(std::sync::Mutex<Vec<Sender>>);

impl Pool {
    fn take(&self) -> Option<Sender> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    fn put(&self, sender: Sender) {
        let mut idle = self.0.lock().unwrap_or_else(|e| e.into_inner());
        idle.retain(|s| !s.is_closed());
        if idle.len() < 4 && !sender.is_closed() {
            idle.push(sender);
        }
    }
}

fn build(req: HttpRequest) -> Result<http::Request<Full<Bytes>>, String> {
    let e = &req.endpoint;
    let mut builder = http::Request::builder()
        .method(match req.method {
            HttpMethod::Get => http::Method::GET,
            HttpMethod::Post => http::Method::POST,
        })
        .uri(&req.path_and_query)
        .header(http::header::HOST, host_header(&e.host, e.port, e.secure));
    if req.method == HttpMethod::Post {
        builder = builder.header(http::header::CONTENT_TYPE, "text/plain;charset=UTF-8");
    }
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder.body(Full::new(req.body)).map_err(|e| e.to_string())
}

/// Reads the whole response, then gives the connection back to the pool.
async fn finish(
    pool: &Pool,
    sender: Sender,
    response: http::Response<hyper::body::Incoming>,
) -> HttpResult {
    let status = response.status().as_u16();
    let content_encoding = response
        .headers()
        .get(http::header::CONTENT_ENCODING)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    match response.into_body().collect().await {
        Ok(b) => {
            pool.put(sender);
            HttpResult::Response {
                status,
                body: b.to_bytes(),
                content_encoding,
            }
        }
        Err(e) => HttpResult::Failed(e.to_string()),
    }
}

/// Performs `req` on an idle connection of `pool`, or on a new one from `connect` (whose
/// task `spawn` runs); the connection goes back to the pool once the response is read.
pub async fn http_request<IO, C, F>(
    pool: &Pool,
    connect: C,
    spawn: impl FnOnce(Pin<Box<dyn std::future::Future<Output = ()> + Send>>),
    req: HttpRequest,
) -> HttpResult
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    C: FnOnce() -> F,
    F: std::future::Future<Output = Result<IO, String>>,
{
    let mut request = match build(req) {
        Ok(r) => r,
        Err(e) => return HttpResult::Failed(e),
    };
    while let Some(mut sender) = pool.take() {
        if sender.is_closed() || sender.ready().await.is_err() {
            continue;
        }
        match sender.try_send_request(request).await {
            Ok(response) => return finish(pool, sender, response).await,
            Err(mut e) => match e.take_message() {
                // Not sent (the server had closed the idle connection): try another one.
                Some(r) => request = r,
                None => return HttpResult::Failed(e.into_error().to_string()),
            },
        }
    }
    let io = match connect().await {
        Ok(io) => io,
        Err(e) => return HttpResult::Failed(e),
    };
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(io).await {
        Ok(x) => x,
        Err(e) => return HttpResult::Failed(e.to_string()),
    };
    spawn(Box::pin(async move {
        let _ = conn.await;
    }));
    match sender.send_request(request).await {
        Ok(response) => finish(pool, sender, response).await,
        Err(e) => HttpResult::Failed(e.to_string()),
    }
}

/// Opens a client WebSocket over `stream`, offering permessage-deflate when the request says
/// so (the stream then goes through a [`Scanned`] from the first byte, since frames may come
/// in the same read as the 101 answer).
pub async fn websocket<S>(stream: S, req: WsRequest) -> Result<Box<dyn WsConnection>, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let e = &req.endpoint;
    let url = format!(
        "{}://{}{}",
        if e.secure { "wss" } else { "ws" },
        host_header(&e.host, e.port, e.secure),
        req.path_and_query
    );
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    for (k, v) in &req.headers {
        let name = http::HeaderName::from_bytes(k.as_bytes()).map_err(|e| e.to_string())?;
        let value = http::HeaderValue::from_str(v).map_err(|e| e.to_string())?;
        request.headers_mut().append(name, value);
    }
    let Some(options) = req.per_message_deflate else {
        let (ws, _) = async_tungstenite::client_async(request, stream)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(Box::new(Ws { ws, ext: Plain }));
    };
    let offer = deflate::client_offer(&options);
    let offer = http::HeaderValue::from_str(&offer).map_err(|e| e.to_string())?;
    request
        .headers_mut()
        .insert(http::header::SEC_WEBSOCKET_EXTENSIONS, offer);
    let scanner = SharedScanner::new(std::sync::Mutex::new(FrameScanner::after_http_head()));
    let stream = Scanned::new(stream, scanner.clone());
    let (ws, response) = async_tungstenite::client_async(request, stream)
        .await
        .map_err(|e| e.to_string())?;
    let answer = response
        .headers()
        .get(http::header::SEC_WEBSOCKET_EXTENSIONS)
        // A value that is not text is no answer `client_accept` takes: it fails the connection.
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let codec = match deflate::client_accept(&options, answer) {
        Ok(agreed) => agreed.map(|a| Codec::new(Role::Client, &a, &options)),
        Err(e) => return Err(format!("Sec-WebSocket-Extensions: {e}")),
    };
    let ext = Deflate::new(codec, scanner, CLIENT_MAX_MESSAGE);
    Ok(Box::new(Ws { ws, ext }))
}

/// The most a compressed message may inflate to on the client: tungstenite's own default
/// limit on a message (64 MiB), which holds uncompressed messages.
const CLIENT_MAX_MESSAGE: usize = 64 << 20;

struct Ws<S, E> {
    ws: WebSocketStream<S>,
    ext: E,
}

impl<S, E> WsConnection for Ws<S, E>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    E: Ext + 'static,
{
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame, String>>> {
        loop {
            let frame = match Pin::new(&mut self.ws).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) | Poll::Ready(Some(Ok(Message::Close(_)))) => {
                    return Poll::Ready(None)
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.to_string()))),
                Poll::Ready(Some(Ok(Message::Text(t)))) => match Str::from_utf8(Bytes::from(t)) {
                    Ok(s) => Frame::Text(s),
                    Err(_) => return Poll::Ready(Some(Err("invalid UTF-8".into()))),
                },
                Poll::Ready(Some(Ok(Message::Binary(b)))) => Frame::Binary(b),
                Poll::Ready(Some(Ok(_))) => continue,
            };
            return Poll::Ready(Some(
                self.ext
                    .inbound(frame)
                    .map_err(|code| format!("permessage-deflate: close code {code}")),
            ));
        }
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        Pin::new(&mut self.ws)
            .poll_ready(cx)
            .map_err(|e| e.to_string())
    }

    fn start_send(&mut self, frame: Frame) -> Result<(), String> {
        let m = self.ext.outbound(frame);
        Pin::new(&mut self.ws)
            .start_send(m)
            .map_err(|e| e.to_string())
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        Pin::new(&mut self.ws)
            .poll_flush(cx)
            .map_err(|e| e.to_string())
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        Pin::new(&mut self.ws)
            .poll_close(cx)
            .map_err(|e| e.to_string())
    }
}
