//! What the server tells the application: [`Event`] and [`CloseReason`].

use std::fmt;

use crate::engine::{Packet, Protocol};
use crate::Str;

/// The transport a session runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
    /// WebTransport (HTTP/3): one bidirectional stream of length-prefixed packets (see
    /// [`crate::engine::webtransport`]).
    WebTransport,
}

impl TransportKind {
    /// The name used in the `transport` query parameter.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Polling => "polling",
            TransportKind::WebSocket => "websocket",
            TransportKind::WebTransport => "webtransport",
        }
    }
}

/// Why a session closed: the reference's reason strings, see [`CloseReason::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// "transport close": the client closed (polling `close` packet, WebSocket closed).
    TransportClose,
    /// "transport error": the transport failed (aborted long-poll, overlapping requests,
    /// a ping from the client, an oversized WebSocket message, a binary POST).
    TransportError,
    /// "ping timeout": no pong within `ping_timeout` of a ping.
    PingTimeout,
    /// "parse error": the client sent a packet that does not decode.
    ParseError,
    /// "forced close": the application closed the session.
    ForcedClose,
    /// "server shutting down": [`Server::shutdown`](super::Server::shutdown). (The reference
    /// engine reports "forced close" here; Socket.IO reports "server shutting down" to its
    /// sockets, which is what the layer above needs.)
    ServerShuttingDown,
    /// "send buffer full": the client fell so far behind that what is queued for it would pass
    /// [`max_buffered_bytes`](super::ServerConfig::max_buffered_bytes). Not a reason of the
    /// reference, which has no limit and queues without end; its connection is dropped.
    SendBufferFull,
}

impl CloseReason {
    /// The reference's reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ParseError => "parse error",
            CloseReason::ForcedClose => "forced close",
            CloseReason::ServerShuttingDown => "server shutting down",
            CloseReason::SendBufferFull => "send buffer full",
        }
    }

    /// Whether the client's connection is dropped rather than closed: it stopped reading, so
    /// it would never take what a close would still write.
    pub fn drops_transport(self) -> bool {
        matches!(self, CloseReason::PingTimeout | CloseReason::SendBufferFull)
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happened to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A handshake succeeded; the `open` packet is already queued.
    SessionOpened {
        /// The new session's id.
        sid: Str,
        /// The transport of the handshake.
        transport: TransportKind,
        /// The protocol revision the session speaks (v3 only with
        /// [`allow_eio3`](super::ServerConfig::allow_eio3)).
        protocol: Protocol,
        /// The handshake request's query pairs (including `EIO` and `transport`).
        query: Vec<(String, String)>,
        /// The handshake request's `Origin` header.
        origin: Option<String>,
        /// The handshake request's headers (as the driver passed them).
        headers: Vec<(String, String)>,
        /// The peer's address, if the driver knows it.
        remote_address: Option<String>,
        /// Whether the connection is TLS.
        secure: bool,
    },
    /// The client sent a message: a [`Packet::Message`] or a [`Packet::Binary`].
    Message {
        /// The session.
        sid: Str,
        /// The message.
        packet: Packet,
        /// The WebSocket message it came in, as received (`4` and the text), for a text
        /// message on a WebSocket: a layer above may send it on unchanged (an echo) without
        /// building it again. `None` for binary messages and for messages of a polling request.
        frame: Option<Str>,
    },
    /// The session moved from polling to WebSocket or WebTransport
    /// ([`Server::transport_of`](super::Server::transport_of) tells which).
    Upgraded {
        /// The session.
        sid: Str,
    },
    /// What is queued for the session's client fell back to half of
    /// [`max_buffered_bytes`](super::ServerConfig::max_buffered_bytes) or below, after being
    /// above (see [`Server::buffered`](super::Server::buffered)).
    Drained {
        /// The session.
        sid: Str,
    },
    /// The session is closed; its id is unknown from now on.
    SessionClosed {
        /// The session.
        sid: Str,
        /// Why.
        reason: CloseReason,
    },
}
