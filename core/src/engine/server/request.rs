//! What drivers hand in ([`Request`]) and what they carry out ([`Transmit`], [`Response`]).

use bytes::Bytes;

use crate::compress::deflate::Agreed;
use crate::compress::http::BodyEncoding;
use crate::engine::Frame;
use crate::Str;

/// The driver's id for one HTTP request or one WebSocket connection.
///
/// Drivers pick the ids (a counter is enough); an id must not be reused while the core may
/// still address it (until its response is transmitted, or its WebSocket is closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransportId(pub u64);

/// The HTTP method of a [`Request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`: a long-poll, a handshake, or a WebSocket upgrade request.
    Get,
    /// `POST`: packets from a polling client.
    Post,
    /// `OPTIONS`: a CORS preflight.
    Options,
    /// Any other method (refused as the reference does).
    Other,
}

/// An HTTP request on the Engine.IO path, as the driver saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path, without the query string (`/engine.io/`).
    pub path: String,
    /// The raw query string, without `?` (`EIO=4&transport=polling&sid=…`).
    pub query: String,
    /// The `Origin` header, if any.
    pub origin: Option<String>,
    /// Whether this is a WebSocket upgrade request (`Upgrade: websocket`, `Connection:
    /// upgrade`): the driver can complete it if the core answers
    /// [`Transmit::AcceptWebSocket`].
    pub websocket_upgrade: bool,
    /// Why an upgrade request cannot be completed (a missing or malformed
    /// `Sec-WebSocket-Key`, a version other than 8 or 13): the message of the reference's
    /// `ws` library, which the core answers with once the Engine.IO checks pass.
    pub websocket_refusal: Option<&'static str>,
    /// The `Sec-WebSocket-Extensions` header of an upgrade request, if any (read only when
    /// [`ServerConfig::per_message_deflate`](super::ServerConfig::per_message_deflate) is on).
    pub websocket_extensions: Option<String>,
    /// The `Accept-Encoding` header, if any (a long-poll GET's answer is compressed by it).
    pub accept_encoding: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Access-Control-Request-Headers` header of a preflight, if any.
    pub access_control_request_headers: Option<String>,
    /// The request headers the application may want to see (names in lower case); the
    /// protocol itself only reads the ones above.
    pub headers: Vec<(String, String)>,
    /// The peer's address, as the driver formats it (`127.0.0.1:53012`), if known.
    pub remote_address: Option<String>,
    /// Whether the connection is TLS.
    pub secure: bool,
    /// The whole body. Drivers read at most `max_payload + 1` bytes of it, so that the core
    /// can tell an oversized body (413) without the driver buffering it.
    pub body: Bytes,
}

impl Request {
    /// A bodyless request with no headers, for `method` and `path?query`.
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Request {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            origin: None,
            websocket_upgrade: false,
            websocket_refusal: None,
            websocket_extensions: None,
            accept_encoding: None,
            content_type: None,
            access_control_request_headers: None,
            headers: Vec::new(),
            remote_address: None,
            secure: false,
            body: Bytes::new(),
        }
    }

    /// A request from the parts of an HTTP request as a driver's HTTP library gives them:
    /// the method name, the path, the raw query, a header lookup (case-insensitive names) and
    /// the body. Detects a WebSocket upgrade request (`Upgrade: websocket`, `Connection:
    /// upgrade`) and checks its key and version as the reference's `ws` library does.
    pub fn from_parts<'h>(
        method: &str,
        path: &str,
        query: Option<&str>,
        header: impl Fn(&str) -> Option<&'h str>,
        body: Bytes,
    ) -> Self {
        let method = match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        };
        let has_token = |name: &str, token: &str| {
            header(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        };
        let websocket_upgrade = method == Method::Get
            && has_token("upgrade", "websocket")
            && has_token("connection", "upgrade");
        let websocket_refusal = if !websocket_upgrade {
            None
        } else if !header("sec-websocket-key").is_some_and(|k| valid_key(k.trim())) {
            Some("Missing or invalid Sec-WebSocket-Key header")
        } else if !matches!(
            header("sec-websocket-version").map(str::trim),
            Some("8" | "13")
        ) {
            Some("Missing or invalid Sec-WebSocket-Version header")
        } else {
            None
        };
        Request {
            method,
            path: path.to_owned(),
            query: query.unwrap_or("").to_owned(),
            origin: header("origin").map(str::to_owned),
            websocket_upgrade,
            websocket_refusal,
            websocket_extensions: header("sec-websocket-extensions")
                .filter(|_| websocket_upgrade)
                .map(str::to_owned),
            accept_encoding: header("accept-encoding").map(str::to_owned),
            content_type: header("content-type").map(str::to_owned),
            access_control_request_headers: header("access-control-request-headers")
                .map(str::to_owned),
            headers: Vec::new(),
            remote_address: None,
            secure: false,
            body,
        }
    }

    /// The query string's pairs, decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_query(&self.query)
    }
}

/// A `Sec-WebSocket-Key` as `ws` accepts it: base64 of 16 bytes (`/^[+/0-9A-Za-z]{22}==$/`).
fn valid_key(key: &str) -> bool {
    let b = key.as_bytes();
    b.len() == 24
        && b[22..] == *b"=="
        && b[..22]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

/// Splits and decodes a query string as Node's `querystring` does: `&`-separated pairs,
/// `+` as space, `%XX` escapes (invalid escapes are kept as they are).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Response headers: name (lower case) and value.
pub type Headers = Vec<(&'static str, Str)>;

/// An HTTP response for the driver to write. The driver adds `Content-Length` from the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, including `content-type` and CORS headers.
    pub headers: Headers,
    /// The body.
    pub body: Bytes,
    /// A long-poll answer to compress (HTTP compression): `body` is still plain and no
    /// `content-encoding` header is set yet; [`encoded`](Self::encoded) compresses it. Left to
    /// the caller so it can compress outside whatever lock it holds the server under (a 1 MB
    /// body takes ~30 ms at level 6); a driver that skips it writes a valid, uncompressed
    /// answer.
    pub encode_with: Option<BodyEncoding>,
}

impl Response {
    /// The response to write: its body compressed as [`encode_with`](Self::encode_with)
    /// says (with `content-encoding` added), or unchanged. Call it just before writing,
    /// outside any lock.
    pub fn encoded(mut self) -> Response {
        if let Some(e) = self.encode_with.take() {
            self.body = e.encode(&self.body);
            self.headers
                .push(("content-encoding", Str::from_static(e.encoding.as_str())));
        }
        self
    }

    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Something for the driver to carry out on a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Answer the HTTP request `to` (possibly a long-poll parked earlier).
    Response {
        /// The request answered.
        to: TransportId,
        /// The answer.
        response: Response,
    },
    /// Refuse the WebSocket upgrade request `to`: write `response` as a raw HTTP/1.1 answer
    /// with `Connection: close`, then close the connection (the reference's `abortUpgrade`).
    RefuseWebSocket {
        /// The upgrade request refused.
        to: TransportId,
        /// The answer (always 400, the message as a `text/html` body).
        response: Response,
    },
    /// Complete the WebSocket upgrade of request `to` (101), then call
    /// [`Server::handle_ws_open`](super::Server::handle_ws_open) with the same id.
    AcceptWebSocket {
        /// The upgrade request accepted; from now on the id names the WebSocket.
        to: TransportId,
        /// permessage-deflate, when agreed: answer `Sec-WebSocket-Extensions:
        /// {deflate.header()}` in the 101 and run the WebSocket with a
        /// [`Codec`](crate::compress::deflate::Codec) (see [`crate::compress::deflate`]).
        deflate: Option<Agreed>,
    },
    /// Send one message on the WebSocket `to`.
    WsFrame {
        /// The WebSocket.
        to: TransportId,
        /// The message: text or binary.
        frame: Frame,
    },
    /// Close the WebSocket `to` once the frames sent on it before are written. The core
    /// forgets it; no `handle_ws_closed` is needed. If it is not closed within
    /// [`ServerConfig::CLOSE_LINGER`](super::ServerConfig::CLOSE_LINGER) (a peer that stopped
    /// reading never takes the close frame), an [`AbortWs`](Self::AbortWs) follows.
    CloseWs {
        /// The WebSocket.
        to: TransportId,
    },
    /// Drop the connection of WebSocket `to` now, without a close frame and without writing
    /// what is still queued for it: its peer stopped reading (its queue filled, or its pong
    /// never came), or a [`CloseWs`](Self::CloseWs) did not complete in time. Ignore it for a
    /// WebSocket that is already gone.
    AbortWs {
        /// The WebSocket.
        to: TransportId,
    },
    /// Stop reading WebSocket `to` (keep writing): the application is behind, and the
    /// client's further messages should wait in its own buffers (TCP backpressure).
    PauseRead {
        /// The WebSocket.
        to: TransportId,
    },
    /// Read WebSocket `to` again after a [`PauseRead`](Self::PauseRead).
    ResumeRead {
        /// The WebSocket.
        to: TransportId,
    },
}

/// Logs a request the server refused: a stale session id is routine (a client that outlived
/// its session, a restarted server), anything else is bad input.
pub(super) fn refused(req: &Request, code: crate::engine::ErrorCode, message: &str) {
    let peer = req.remote_address.as_deref().unwrap_or("-");
    if code == crate::engine::ErrorCode::UnknownSid {
        tracing::debug!(
            peer,
            path = req.path.as_str(),
            "request for an unknown session"
        );
    } else {
        tracing::warn!(
            peer,
            code = code.code(),
            message,
            path = req.path.as_str(),
            "Engine.IO request refused"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_queries_as_node() {
        assert_eq!(
            parse_query("EIO=4&transport=polling&t=N8&&x=a+b%20c%zz&flag"),
            vec![
                ("EIO".into(), "4".into()),
                ("transport".into(), "polling".into()),
                ("t".into(), "N8".into()),
                ("x".into(), "a b c%zz".into()),
                ("flag".into(), "".into()),
            ]
        );
        assert_eq!(parse_query("a=%4"), vec![("a".into(), "%4".into())]);
        assert_eq!(parse_query("a=%ff"), vec![("a".into(), "\u{fffd}".into())]);
    }
}
