//! The identifiers the server hands out, and the errors for identifiers it does not know.

use std::fmt;

use crate::Str;

/// A socket's public id: 20 characters, distinct from the Engine.IO session id (which
/// authenticates requests and is never shown to other clients). Every socket is a member of
/// the room named by its id.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SocketId(Str);

/// Hashes the id's last eight bytes (and its length) instead of all of it: ids are keys of the
/// tables every event passes through, and their tails are random (the server's ids are 20
/// random characters; a v2 client's `nsp#sid` ends with one), so eight bytes tell them apart
/// as well as twenty, for a third of the hashing.
impl std::hash::Hash for SocketId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let b = self.0.as_bytes();
        match b.len().checked_sub(8) {
            Some(start) => {
                let mut tail = [0u8; 8];
                tail.copy_from_slice(&b[start..]);
                state.write_u64(u64::from_le_bytes(tail) ^ b.len() as u64);
            }
            None => state.write(b),
        }
    }
}

impl SocketId {
    /// Wraps an id (e.g. one the application stored or received from another node).
    pub fn new(id: Str) -> Self {
        SocketId(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The id as a [`Str`] (the name of the socket's own room).
    pub fn as_room(&self) -> &Str {
        &self.0
    }
}

/// The id's bytes (as tables keyed by ids look them up).
impl AsRef<[u8]> for SocketId {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// A CONNECT waiting for the application's decision
/// ([`accept_connect`](super::SocketServer::accept_connect) or
/// [`reject_connect`](super::SocketServer::reject_connect)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectId(pub(super) u64);

/// A broadcast waiting for acks, reported by
/// [`BroadcastAckDone`](super::SocketEvent::BroadcastAckDone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BroadcastAckId(pub(super) u64);

/// The application named a socket that is not connected (any more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownSocket;

impl fmt::Display for UnknownSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no such connected socket")
    }
}

impl std::error::Error for UnknownSocket {}

/// The application named a connect request that is decided already or whose Engine.IO
/// connection closed meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownConnect;

impl fmt::Display for UnknownConnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no such pending connect request")
    }
}

impl std::error::Error for UnknownConnect {}

/// The application named a namespace that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownNamespace;

impl fmt::Display for UnknownNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no such namespace")
    }
}

impl std::error::Error for UnknownNamespace {}

/// Why [`join`](super::SocketServer::join) did not add every room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    /// No such connected socket.
    UnknownSocket,
    /// The socket is in `max_rooms_per_socket` rooms already; the rooms before the one that
    /// did not fit were joined.
    TooManyRooms,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JoinError::UnknownSocket => "no such connected socket",
            JoinError::TooManyRooms => "too many rooms for one socket",
        })
    }
}

impl std::error::Error for JoinError {}

impl From<UnknownSocket> for JoinError {
    fn from(_: UnknownSocket) -> Self {
        JoinError::UnknownSocket
    }
}

/// Why [`emit_with_ack`](super::SocketServer::emit_with_ack) did not send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitAckError {
    /// No such connected socket.
    UnknownSocket,
    /// The socket has `max_pending_acks` acks outstanding already.
    TooManyPending,
}

impl fmt::Display for EmitAckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EmitAckError::UnknownSocket => "no such connected socket",
            EmitAckError::TooManyPending => "too many acks outstanding for one socket",
        })
    }
}

impl std::error::Error for EmitAckError {}

impl From<UnknownSocket> for EmitAckError {
    fn from(_: UnknownSocket) -> Self {
        EmitAckError::UnknownSocket
    }
}
