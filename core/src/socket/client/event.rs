//! What the Socket.IO client manager reports.

use std::fmt;

use crate::socket::{Event as EventPacket, Payload};
use crate::{Str, Value};

/// Names an emit whose ack the application waits for; [`Event::Ack`] carries it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AckHandle(pub u64);

/// Why a socket of the client disconnected: the reference client's reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The server disconnected the socket (`socket.disconnect()` on the server).
    IoServerDisconnect,
    /// The application disconnected the socket.
    IoClientDisconnect,
    /// The server stopped sending pings.
    PingTimeout,
    /// The connection was closed.
    TransportClose,
    /// The connection failed.
    TransportError,
    /// The server sent a packet that does not decode.
    ParseError,
    /// The application closed the whole manager.
    ForcedClose,
}

impl DisconnectReason {
    /// The reason as the reference names it.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::IoServerDisconnect => "io server disconnect",
            DisconnectReason::IoClientDisconnect => "io client disconnect",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
        }
    }

    /// Whether the client reconnects by itself after this reason (the server's and the
    /// application's own disconnects are final).
    pub fn will_reconnect(self) -> bool {
        !matches!(
            self,
            DisconnectReason::IoServerDisconnect
                | DisconnectReason::IoClientDisconnect
                | DisconnectReason::ForcedClose
        )
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an ack did not come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AckFailure {
    /// The timeout passed ("operation has timed out").
    Timeout,
    /// The socket disconnected first ("socket has been disconnected").
    Disconnected,
}

impl fmt::Display for AckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AckFailure::Timeout => "operation has timed out",
            AckFailure::Disconnected => "socket has been disconnected",
        })
    }
}

/// An event of the [`Manager`](super::Manager), taken with
/// [`poll_event`](super::Manager::poll_event).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The Engine.IO connection opened.
    Open,
    /// The Engine.IO connection closed.
    Close(DisconnectReason),
    /// A connection attempt failed, or the open connection failed just before its
    /// [`Close`](Event::Close) with [`DisconnectReason::TransportError`] (the description:
    /// `timeout`, `xhr poll error`, …).
    Error(String),
    /// The connection moved from polling to WebSocket.
    Upgraded,
    /// A ping came from the server.
    Ping,
    /// Reconnection attempt `n` starts.
    ReconnectAttempt(u32),
    /// Reconnected after `n` attempts.
    Reconnect(u32),
    /// A reconnection attempt failed.
    ReconnectError(String),
    /// Every reconnection attempt failed; the manager stays closed.
    ReconnectFailed,
    /// Socket `nsp` connected (`recovered`: its session was restored, missed events replayed).
    Connect {
        /// The namespace.
        nsp: Str,
        /// The socket id the server gave.
        sid: Str,
        /// Whether connection state recovery restored the previous session.
        recovered: bool,
    },
    /// Socket `nsp` could not connect.
    ConnectError {
        /// The namespace.
        nsp: Str,
        /// The message (`Invalid namespace`, a middleware's error, a connection error).
        message: String,
        /// The data the server attached, if any.
        data: Option<Value>,
    },
    /// Socket `nsp` disconnected.
    Disconnect {
        /// The namespace.
        nsp: Str,
        /// Why.
        reason: DisconnectReason,
    },
    /// The server emitted an event to socket `nsp` (answer its ack with
    /// [`Manager::ack`](super::Manager::ack) when it has an id).
    Message {
        /// The namespace.
        nsp: Str,
        /// The event.
        event: EventPacket,
    },
    /// The server answered an emit (or the ack failed).
    Ack {
        /// The namespace.
        nsp: Str,
        /// The emit's handle.
        handle: AckHandle,
        /// The ack's arguments, or why none came.
        result: Result<Payload, AckFailure>,
    },
}
