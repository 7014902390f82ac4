//! The client's HTTP requests and WebSockets over any stream: hyper's HTTP/1.1 client and
//! async-tungstenite. Runtime-independent, compiled by both drivers; each gives it its TCP
//! connect and its spawn.

use std::pin::Pin;
use std::task::{Context, Poll};

use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::{Message, Utf8Bytes};
use async_tungstenite::WebSocketStream;
use bytes::Bytes;
use futures_util::{AsyncRead, AsyncWrite, Sink, Stream};
use http_body_util::{BodyExt, Full};
use sio_core::api::client::{HttpRequest, WsConnection, WsRequest};
use sio_core::engine::client::{HttpMethod, HttpResult};
use sio_core::engine::Frame;
use sio_core::Str;

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
pub(crate) struct Pool(std::sync::Mutex<Vec<Sender>>);

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
    match response.into_body().collect().await {
        Ok(b) => {
            pool.put(sender);
            HttpResult::Response {
                status,
                body: b.to_bytes(),
            }
        }
        Err(e) => HttpResult::Failed(e.to_string()),
    }
}

/// Performs `req` on an idle connection of `pool`, or on a new one from `connect` (whose
/// task `spawn` runs); the connection goes back to the pool once the response is read.
pub(crate) async fn http_request<IO, C, F>(
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

/// Opens a client WebSocket over `stream`.
pub(crate) async fn websocket<S>(stream: S, req: WsRequest) -> Result<Box<dyn WsConnection>, String>
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
    let (ws, _) = async_tungstenite::client_async(request, stream)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Box::new(Ws(ws)))
}

struct Ws<S>(WebSocketStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> WsConnection for Ws<S> {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame, String>>> {
        loop {
            return match Pin::new(&mut self.0).poll_next(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(None) | Poll::Ready(Some(Ok(Message::Close(_)))) => Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.to_string()))),
                Poll::Ready(Some(Ok(Message::Text(t)))) => match Str::from_utf8(Bytes::from(t)) {
                    Ok(s) => Poll::Ready(Some(Ok(Frame::Text(s)))),
                    Err(_) => Poll::Ready(Some(Err("invalid UTF-8".into()))),
                },
                Poll::Ready(Some(Ok(Message::Binary(b)))) => {
                    Poll::Ready(Some(Ok(Frame::Binary(b))))
                }
                Poll::Ready(Some(Ok(_))) => continue,
            };
        }
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        Pin::new(&mut self.0)
            .poll_ready(cx)
            .map_err(|e| e.to_string())
    }

    fn start_send(&mut self, frame: Frame) -> Result<(), String> {
        let m = match frame {
            Frame::Text(t) => match Utf8Bytes::try_from(Bytes::from(t)) {
                Ok(u) => Message::Text(u),
                Err(_) => return Err("invalid UTF-8".into()),
            },
            Frame::Binary(b) => Message::Binary(b),
        };
        Pin::new(&mut self.0)
            .start_send(m)
            .map_err(|e| e.to_string())
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        Pin::new(&mut self.0)
            .poll_flush(cx)
            .map_err(|e| e.to_string())
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), String>> {
        Pin::new(&mut self.0)
            .poll_close(cx)
            .map_err(|e| e.to_string())
    }
}
