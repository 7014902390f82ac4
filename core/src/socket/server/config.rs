//! [`SocketServerConfig`] and [`RecoveryConfig`].

use std::fmt;
use std::time::Duration;

use crate::socket::{Parser, DEFAULT_MAX_ATTACHMENTS};

/// Settings of a [`SocketServer`](super::SocketServer).
#[derive(Clone)]
pub struct SocketServerConfig {
    /// The Socket.IO parser every connection speaks (default [`Parser::Json`]; the
    /// reference's `parser` option). Clients must use the same one.
    pub parser: Parser,
    /// How long an Engine.IO connection may stay without joining any namespace before the
    /// server closes it (reference `connectTimeout`, 45 s).
    pub connect_timeout: Duration,
    /// The most attachments a binary packet may announce (reference `maxAttachments`, 10).
    pub max_attachments: usize,
    /// Connection state recovery (reference `connectionStateRecovery`); `None` disables it.
    pub recovery: Option<RecoveryConfig>,
    /// Most namespaces one connection may be in (or asking for) at once (default 100); a
    /// CONNECT beyond gets CONNECT_ERROR "Too many namespaces". The reference has no limit.
    pub max_namespaces_per_connection: usize,
    /// Whether a namespace created on demand (by a dynamic filter) is removed once it has no
    /// socket left, no CONNECT pending and no session kept for recovery (reference
    /// `cleanupEmptyChildNamespaces`). On by default here, unlike the reference: otherwise
    /// every name a client tries that the filter accepts stays in memory for good.
    pub cleanup_empty_child_namespaces: bool,
    /// Most rooms a socket may be in, its own room included (default 1 000): a
    /// [`join`](super::SocketServer::join) beyond fails with
    /// [`JoinError::TooManyRooms`](super::JoinError::TooManyRooms). The reference has no
    /// limit; applications often join rooms a client names.
    pub max_rooms_per_socket: usize,
    /// Most acks outstanding per socket in each direction (default 1 000): an
    /// [`emit_with_ack`](super::SocketServer::emit_with_ack) beyond fails with
    /// [`EmitAckError::TooManyPending`](super::EmitAckError::TooManyPending) (a broadcast with
    /// ack skips such a socket and counts it as not answering), and of the client's events
    /// waiting for the application's answer only the latest this many can still be answered.
    /// The reference has no limit.
    pub max_pending_acks: usize,
    /// Seed of the generator of socket ids and private session ids (ChaCha20). The default
    /// draws it from the operating system; fix it only in tests.
    pub id_seed: [u8; 32],
}

impl Default for SocketServerConfig {
    fn default() -> Self {
        SocketServerConfig {
            parser: Parser::Json,
            connect_timeout: Duration::from_millis(45_000),
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
            recovery: None,
            max_namespaces_per_connection: 100,
            cleanup_empty_child_namespaces: true,
            max_rooms_per_socket: 1_000,
            max_pending_acks: 1_000,
            id_seed: crate::engine::server::sid::os_seed(),
        }
    }
}

impl fmt::Debug for SocketServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketServerConfig")
            .field("parser", &self.parser)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_attachments", &self.max_attachments)
            .field("recovery", &self.recovery)
            .field(
                "max_namespaces_per_connection",
                &self.max_namespaces_per_connection,
            )
            .field(
                "cleanup_empty_child_namespaces",
                &self.cleanup_empty_child_namespaces,
            )
            .field("max_rooms_per_socket", &self.max_rooms_per_socket)
            .field("max_pending_acks", &self.max_pending_acks)
            .finish_non_exhaustive()
    }
}

/// Connection state recovery: sockets that lost their connection keep their id, rooms and
/// missed events for a while, and get them back when the client reconnects in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// How long a disconnected socket's session is kept (reference 2 min).
    pub max_disconnection_duration: Duration,
    /// Whether a recovered socket skips the connect middleware, i.e. gets no
    /// [`ConnectRequest`](super::SocketEvent::ConnectRequest) (reference true).
    pub skip_middlewares: bool,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
        }
    }
}
