//! Translation between hyper's HTTP types and the core's request/response descriptors.
//!
//! Runtime-independent: the smol driver compiles this same file (`#[path]`), so the two
//! drivers cannot drift apart.

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use sio_core::engine::server;

/// Reads at most `limit` bytes of `body` (the core answers 413 when it gets `limit` bytes of a
/// body whose limit is `limit - 1`); the rest is not read.
pub(crate) async fn read_limited<B: Body + Unpin>(mut body: B, limit: usize) -> Bytes
where
    B::Data: Into<Bytes>,
{
    let mut out = BytesMut::new();
    while out.len() < limit {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    let data: Bytes = data.into();
                    let room = limit - out.len();
                    out.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            _ => break,
        }
    }
    out.freeze()
}

/// The core's request for an HTTP request's head and body.
pub(crate) fn core_request<B>(req: &Request<B>, body: Bytes) -> server::Request {
    let headers = req.headers();
    server::Request::from_parts(
        req.method().as_str(),
        req.uri().path(),
        req.uri().query(),
        |name| headers.get(name).and_then(|v| v.to_str().ok()),
        body,
    )
}

/// A hyper response for a core response (adds `Content-Length`).
pub(crate) fn response(r: server::Response) -> Response<Full<Bytes>> {
    let mut out = Response::new(Full::new(r.body));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    for (name, value) in r.headers {
        if let Ok(v) = HeaderValue::from_bytes(value.as_bytes()) {
            headers.append(name, v);
        }
    }
    out
}

/// The 101 answer completing a WebSocket handshake.
pub(crate) fn switching_protocols<B>(req: &Request<B>) -> Response<Full<Bytes>> {
    let key = req
        .headers()
        .get("sec-websocket-key")
        .map(|k| k.as_bytes())
        .unwrap_or_default();
    let accept = async_tungstenite::tungstenite::handshake::derive_accept_key(key);
    let mut out = Response::new(Full::new(Bytes::new()));
    *out.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = out.headers_mut();
    h.insert("upgrade", HeaderValue::from_static("websocket"));
    h.insert("connection", HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert("sec-websocket-accept", v);
    }
    out
}
