//! What the server asks of the layers around it: [`EngineCommand`] toward the Engine.IO
//! server, [`SocketEvent`] toward the application, and [`DisconnectReason`].

use std::fmt;

use smallvec::SmallVec;

use super::handshake::Handshake;
use super::ids::{BroadcastAckId, ConnectId, SocketId};
use crate::engine::server::{CloseReason, SessionHint};
use crate::engine::Frame;
use crate::socket::{Event, Payload};
use crate::Str;

/// What the Engine.IO layer must do; drain with
/// [`poll_engine_command`](super::SocketServer::poll_engine_command) and carry out in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineCommand {
    /// Send these frames (one Socket.IO packet: its text message, then its attachments) on
    /// session `sid`. A broadcast hands every recipient clones of the same frames, which
    /// share their buffers.
    Send {
        /// The Engine.IO session.
        sid: Str,
        /// Where the Engine.IO server keeps it, as told by
        /// [`SocketServer::set_session_hint`](super::SocketServer::set_session_hint)
        /// ([`SessionHint::NONE`] if not): for
        /// [`Server::send_frame_hinted`](crate::engine::server::Server::send_frame_hinted),
        /// with `sid`, a handle to the very id buffer the hint was taken for.
        hint: SessionHint,
        /// The frames, in order.
        frames: SmallVec<[Frame; 1]>,
        /// A volatile event: send it only if the transport can write it now, else drop it.
        volatile: bool,
    },
    /// Close session `sid` once what was sent before is delivered. The server has already
    /// forgotten the connection; its later `SessionClosed` needs no report (reporting it is
    /// harmless).
    Close {
        /// The Engine.IO session.
        sid: Str,
    },
}

/// Why a socket left its namespace: the reference's reasons, see [`as_str`](Self::as_str).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// "transport close": the client closed the connection.
    TransportClose,
    /// "transport error": the connection failed.
    TransportError,
    /// "ping timeout": the client stopped answering heartbeats.
    PingTimeout,
    /// "parse error": the client sent an Engine.IO packet that does not decode.
    ParseError,
    /// "forced close": the Engine.IO connection was closed by the server, e.g. after a
    /// Socket.IO packet that does not decode (as the reference, which closes the connection
    /// and reports its engine's reason).
    ForcedClose,
    /// "server shutting down".
    ServerShuttingDown,
    /// "forced server close": the server closed the connection under sockets still on it.
    ForcedServerClose,
    /// "server namespace disconnect": [`disconnect`](super::SocketServer::disconnect).
    ServerNamespaceDisconnect,
    /// "client namespace disconnect": the client sent DISCONNECT.
    ClientNamespaceDisconnect,
    /// "send buffer full": the client fell too far behind (what was queued for it would pass
    /// the Engine.IO server's `max_buffered_bytes`) and its connection was dropped. Not a
    /// reason of the reference, which has no such limit. Recoverable: with connection state
    /// recovery, the client reconnects and gets what it missed.
    SendBufferFull,
}

impl DisconnectReason {
    /// The reference's reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::ForcedServerClose => "forced server close",
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::SendBufferFull => "send buffer full",
        }
    }

    /// Whether a socket that left for this reason is kept for connection state recovery
    /// (PROTOCOL.md 2.5: not after a deliberate namespace disconnect or a parse error).
    pub fn is_recoverable(self) -> bool {
        !matches!(
            self,
            DisconnectReason::ParseError
                | DisconnectReason::ServerNamespaceDisconnect
                | DisconnectReason::ClientNamespaceDisconnect
        )
    }
}

impl From<CloseReason> for DisconnectReason {
    fn from(r: CloseReason) -> Self {
        match r {
            CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::TransportError => DisconnectReason::TransportError,
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::ParseError => DisconnectReason::ParseError,
            CloseReason::ForcedClose => DisconnectReason::ForcedClose,
            CloseReason::ServerShuttingDown => DisconnectReason::ServerShuttingDown,
            CloseReason::SendBufferFull => DisconnectReason::SendBufferFull,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something the application must learn or decide; drain with
/// [`poll_event`](super::SocketServer::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketEvent {
    /// A client asks to join namespace `nsp`: run the middleware, then call
    /// [`accept_connect`](super::SocketServer::accept_connect) or
    /// [`reject_connect`](super::SocketServer::reject_connect). A packet the client sends to
    /// `nsp` meanwhile closes its connection, as the reference's "invalid state" (clients
    /// wait for the CONNECT reply before they emit).
    ConnectRequest {
        /// The request, to name in the decision.
        request: ConnectId,
        /// The namespace.
        nsp: Str,
        /// The CONNECT payload, a JSON object as text.
        auth: Option<Str>,
        /// The handshake the socket will have.
        handshake: Handshake,
    },
    /// A socket joined its namespace; its CONNECT reply is already queued, so whatever the
    /// application emits now follows it.
    Connected {
        /// The socket.
        socket: SocketId,
        /// Its namespace.
        nsp: Str,
        /// Whether it is a recovered socket (same id and rooms as before, missed events
        /// replayed).
        recovered: bool,
    },
    /// The client emitted an event. If it carries an ack id, answer with
    /// [`ack`](super::SocketServer::ack).
    Event {
        /// The socket.
        socket: SocketId,
        /// The event.
        event: Event,
    },
    /// The client answered an [`emit_with_ack`](super::SocketServer::emit_with_ack).
    AckReceived {
        /// The socket.
        socket: SocketId,
        /// The id returned by `emit_with_ack`.
        ack_id: u64,
        /// The ack's arguments.
        payload: Payload,
    },
    /// No answer to an [`emit_with_ack`](super::SocketServer::emit_with_ack) within its
    /// timeout; a late answer is ignored. Reported once.
    AckTimedOut {
        /// The socket.
        socket: SocketId,
        /// The id returned by `emit_with_ack`.
        ack_id: u64,
    },
    /// A [`broadcast_with_ack`](super::SocketServer::broadcast_with_ack) is complete: every
    /// recipient answered, or the timeout passed.
    BroadcastAckDone {
        /// The id returned by `broadcast_with_ack`.
        id: BroadcastAckId,
        /// The answers, in arrival order.
        responses: Vec<(SocketId, Payload)>,
        /// The recipients that did not answer in time (or left without answering).
        timed_out: Vec<SocketId>,
    },
    /// A socket is leaving: until the following [`Disconnected`](Self::Disconnected) is
    /// polled, its rooms and handshake are still readable through the getters; it receives
    /// nothing more.
    Disconnecting {
        /// The socket.
        socket: SocketId,
        /// Why.
        reason: DisconnectReason,
    },
    /// The socket is gone; polling this event releases its state.
    Disconnected {
        /// The socket.
        socket: SocketId,
        /// Why.
        reason: DisconnectReason,
    },
}

/// A socket as [`fetch_sockets`](super::SocketServer::fetch_sockets) reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct SocketInfo {
    /// Its id.
    pub id: SocketId,
    /// Its handshake.
    pub handshake: Handshake,
    /// Its rooms, its own id first.
    pub rooms: Vec<Str>,
    /// The application's data for it.
    pub data: crate::Value,
}
