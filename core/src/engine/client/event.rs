//! What the Engine.IO client reports to the layer above.

use std::fmt;

use bytes::Bytes;

use crate::engine::Handshake;
use crate::Str;

/// An event of the Engine.IO client, taken with [`Client::poll_event`](super::Client::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed: the session is open.
    Open(Handshake),
    /// A text message from the server.
    Message(Str),
    /// A binary message from the server.
    Binary(Bytes),
    /// A ping from the server (already answered).
    Ping,
    /// The connection moved from polling to WebSocket.
    Upgraded,
    /// An upgrade attempt failed; the connection goes on over polling.
    UpgradeError(String),
    /// The session ended. Nothing more comes from this client.
    Closed(CloseReason),
}

/// Why an Engine.IO client session ended: the reference client's reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The transport was closed (by the server, or the connection dropped cleanly).
    TransportClose,
    /// The transport failed; the description says how (`xhr poll error`, `websocket error`…).
    TransportError(String),
    /// No ping came from the server within `pingInterval + pingTimeout`.
    PingTimeout,
    /// The application closed the session.
    ForcedClose,
    /// The server sent something that is not Engine.IO.
    ParseError,
}

impl CloseReason {
    /// The reason as the reference client names it.
    pub fn as_str(&self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError(_) => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ForcedClose => "forced close",
            CloseReason::ParseError => "parse error",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::TransportError(d) => write!(f, "transport error ({d})"),
            other => f.write_str(other.as_str()),
        }
    }
}
