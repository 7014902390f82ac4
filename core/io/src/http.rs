//! Translation between hyper's HTTP types and the core's request/response descriptors.
//!
//! Runtime-independent: both drivers serve HTTP through these functions, so they cannot drift
//! apart.

use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use hyper::upgrade::OnUpgrade;
use sio_core::api::{EngineIo, HttpAnswer};
use sio_core::engine::server::{self, TransportId};

/// An HTTP request handed to the core, and what the driver needs to carry out the answer.
pub struct Dispatched {
    /// The core's answer.
    pub answer: HttpAnswer,
    /// The request's transport id (the WebSocket's, if the upgrade is accepted).
    pub id: TransportId,
    /// The request head (the 101 answer needs its key).
    pub head: Request<()>,
    /// Where the upgraded connection will come from.
    pub on_upgrade: OnUpgrade,
}

/// Reads the body (at most `max_payload + 1` bytes, only for POST), hands the request to the
/// core and waits for its answer (a long-poll waits here until there is something to send).
pub async fn dispatch<B>(io: &EngineIo, mut req: Request<B>, now: crate::Clock) -> Dispatched
where
    B: Body + Unpin,
    B::Data: Into<Bytes>,
{
    let on_upgrade = hyper::upgrade::on(&mut req);
    let limit = io.max_payload().saturating_add(1);
    let (parts, body) = req.into_parts();
    let head = Request::from_parts(parts, ());
    let body = if head.method() == http::Method::POST {
        read_limited(body, limit).await
    } else {
        Bytes::new()
    };
    let pending = io.request(now(), core_request(&head, body));
    let id = pending.id();
    Dispatched {
        answer: pending.await,
        id,
        head,
        on_upgrade,
    }
}

/// The read buffer of a WebSocket, allocated when it opens and kept for its life: the largest
/// item of an idle connection's memory (heaptrack: 4 KiB of ~13 KiB at 4096). Reads of bigger
/// messages take more calls; 2 KiB still holds a burst of ~20 small events.
pub const WS_READ_BUFFER: usize = 2048;

/// The most bytes of frames held before they are written (see [`ws_config`]).
pub const WS_WRITE_BATCH: usize = 16 * 1024;

/// WebSocket buffers kept small: most connections are idle most of the time (memory per
/// connection matters more than throughput per connection).
///
/// Frames are written into a buffer of up to [`WS_WRITE_BATCH`] bytes and reach the socket on
/// flush: the WebSocket loop feeds every queued frame, then flushes once, so a burst of replies
/// costs one `send` instead of one per frame (with a write buffer of 0, tungstenite writes each
/// frame eagerly: the benchmarks measured ~0.9 `send` per echoed message against ~0.15 for a
/// batching server). The buffer grows only while frames are queued.
pub fn ws_config(max_payload: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(WS_WRITE_BATCH)
        .max_message_size(Some(max_payload))
        .max_frame_size(Some(max_payload))
}

/// Reads at most `limit` bytes of `body` (the core answers 413 when it gets `limit` bytes of a
/// body whose limit is `limit - 1`); the rest is not read.
pub async fn read_limited<B: Body + Unpin>(mut body: B, limit: usize) -> Bytes
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

/// The peer's address, put in a request's extensions by the drivers' `serve`.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub std::net::SocketAddr);

/// The core's request for an HTTP request's head and body (all headers kept, for the
/// application's handshake).
pub fn core_request<B>(req: &Request<B>, body: Bytes) -> server::Request {
    let headers = req.headers();
    let mut r = server::Request::from_parts(
        req.method().as_str(),
        req.uri().path(),
        req.uri().query(),
        |name| headers.get(name).and_then(|v| v.to_str().ok()),
        body,
    );
    r.headers = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    r.remote_address = req.extensions().get::<PeerAddr>().map(|a| a.0.to_string());
    r
}

/// A hyper response for a core response (adds `Content-Length`).
pub fn response(r: server::Response) -> Response<Full<Bytes>> {
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

/// The 101 answer completing a WebSocket handshake (with the agreed permessage-deflate
/// parameters, if any).
pub fn switching_protocols<B>(
    req: &Request<B>,
    deflate: Option<&sio_core::compress::deflate::Agreed>,
) -> Response<Full<Bytes>> {
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
    if let Some(agreed) = deflate {
        if let Ok(v) = HeaderValue::from_str(&agreed.header()) {
            h.insert("sec-websocket-extensions", v);
        }
    }
    out
}
