//! What the Engine.IO client asks its driver to do, and how the driver reports back.

use bytes::Bytes;

use crate::engine::Frame;

/// Names one HTTP request or one WebSocket the client asked for; answers carry it back so a
/// late answer for an abandoned transport is recognised and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IoId(pub u64);

/// The HTTP method of a polling request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// A long-poll: receive.
    Get,
    /// Send a payload.
    Post,
}

/// One thing for the driver to do, taken with
/// [`Client::poll_transmit`](super::Client::poll_transmit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Perform an HTTP request to the server's path with this query, and answer with
    /// [`Client::handle_http_response`](super::Client::handle_http_response).
    Http {
        /// The request's id.
        id: IoId,
        /// GET or POST.
        method: HttpMethod,
        /// The query string (without `?`), already encoded.
        query: String,
        /// The POST body (`text/plain;charset=UTF-8`), empty for a GET.
        body: Bytes,
    },
    /// Open a WebSocket to the server's path with this query; report with
    /// [`handle_ws_open`](super::Client::handle_ws_open),
    /// [`handle_ws_message`](super::Client::handle_ws_message) and
    /// [`handle_ws_closed`](super::Client::handle_ws_closed).
    WsOpen {
        /// The WebSocket's id.
        id: IoId,
        /// The query string (without `?`), already encoded.
        query: String,
    },
    /// Open a WebTransport session to `https://host:port`, the server's path, `?` and this
    /// query, then its bidirectional stream; report with
    /// [`handle_wt_open`](super::Client::handle_wt_open) once the stream is open, hand the
    /// stream's bytes to [`handle_wt_data`](super::Client::handle_wt_data), and its end to
    /// [`handle_ws_closed`](super::Client::handle_ws_closed). From then on the id is used as a
    /// WebSocket's: [`WsSend`](Self::WsSend) frames are written on the stream as
    /// [`webtransport::chunks`](crate::engine::webtransport::chunks), and
    /// [`WsClose`](Self::WsClose) closes the session.
    WtOpen {
        /// The WebTransport session's id.
        id: IoId,
        /// The query string (without `?`), already encoded.
        query: String,
    },
    /// Send one message on WebSocket `id`.
    WsSend {
        /// The WebSocket.
        id: IoId,
        /// The message.
        frame: Frame,
    },
    /// Close WebSocket `id`; nothing more is read from or written to it.
    WsClose {
        /// The WebSocket.
        id: IoId,
    },
}

/// The answer to an HTTP request, as the driver received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpResult {
    /// A response: its status and its whole body.
    Response {
        /// The HTTP status code.
        status: u16,
        /// The body, as it came (still encoded if `content_encoding` says so).
        body: Bytes,
        /// The response's `Content-Encoding` header, if any: the client decodes `gzip` and
        /// `deflate` (it asked for them), and fails the request on any other.
        content_encoding: Option<String>,
    },
    /// No response: the connection failed or broke (the description is for logs).
    Failed(String),
}

/// Percent-encodes `s` as JavaScript's `encodeURIComponent` does.
pub(crate) fn encode_component(s: &str, out: &mut String) {
    for &b in s.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            );
        if keep {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_like_encode_uri_component() {
        let mut out = String::new();
        super::encode_component("a b&c=d/é~*'()!", &mut out);
        assert_eq!(out, "a%20b%26c%3Dd%2F%C3%A9~*'()!");
    }
}
