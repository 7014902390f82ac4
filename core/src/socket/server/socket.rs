//! The server's record of one socket and of one Engine.IO connection.

use std::collections::VecDeque;
use std::time::Instant;

use hashbrown::HashSet;

use super::handshake::{ConnInfo, Handshake};
use super::ids::{ConnectId, SocketId};
use crate::engine::server::SessionHint;
use crate::socket::Decoder;
use crate::Str;

#[derive(Debug)]
pub(super) struct SocketState {
    pub(super) nsp: Str,
    /// The Engine.IO session it writes to.
    pub(super) sid: Str,
    /// Its rooms in join order, its own id first.
    pub(super) rooms: Vec<Str>,
    pub(super) handshake: Handshake,
    /// The application's data for it (the reference's `socket.data`).
    pub(super) data: crate::Value,
    /// Its private session id (recovery only).
    pub(super) pid: Option<Str>,
    /// Ids of the client's events the application has not answered yet, oldest first; at
    /// most `max_pending_acks` (the oldest is forgotten beyond). Usually a handful: a scan is
    /// cheaper than hashing.
    pub(super) unanswered: VecDeque<u64>,
    /// Ids of the server's emits this socket has not answered yet.
    pub(super) awaiting: HashSet<u64>,
    /// Set when it starts leaving: it is then detached from its connection and receives
    /// nothing; its state goes when `Disconnected` is polled.
    pub(super) leaving: Option<Leaving>,
    /// Its connection speaks Engine.IO v3: attachments go in v3 binary frames.
    pub(super) v3: bool,
    /// Where the Engine.IO server keeps its session (its connection's hint).
    pub(super) hint: SessionHint,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Leaving {
    pub(super) at: Instant,
    pub(super) reason: super::DisconnectReason,
}

impl SocketState {
    pub(super) fn is_live(&self) -> bool {
        self.leaving.is_none()
    }

    pub(super) fn add_room(&mut self, room: &Str) -> bool {
        if self.rooms.contains(room) {
            return false;
        }
        self.rooms.push(room.clone());
        true
    }

    pub(super) fn remove_room(&mut self, room: &str) -> Option<Str> {
        let i = self.rooms.iter().position(|r| r.as_str() == room)?;
        Some(self.rooms.remove(i))
    }
}

/// One Engine.IO connection: its decoder and what it is in each namespace.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) info: std::sync::Arc<ConnInfo>,
    pub(super) decoder: Decoder,
    /// The WebSocket message a binary packet's header came in, until its attachments are in
    /// (see [`SocketServer::handle_engine_message_framed`](super::SocketServer::handle_engine_message_framed)).
    pub(super) header_frame: Option<Str>,
    /// Namespace → its state on this connection; few entries, so a vector.
    pub(super) nsps: Vec<(Str, Slot)>,
    /// The connect timeout, until a namespace is joined.
    pub(super) connect_deadline: Option<Instant>,
    /// It runs on a WebSocket (from the start or since its upgrade): a close the server makes
    /// takes effect at once there, which decides the reason its sockets get.
    pub(super) websocket: bool,
    /// Where the Engine.IO server keeps the session (see
    /// [`SocketServer::set_session_hint`](super::SocketServer::set_session_hint)).
    pub(super) hint: SessionHint,
}

#[derive(Debug)]
pub(super) enum Slot {
    /// The CONNECT awaits the application.
    Pending {
        request: ConnectId,
    },
    Connected(SocketId),
}

impl Conn {
    /// Whether the client speaks Engine.IO v3 (and Socket.IO's v4 protocol).
    pub(super) fn is_v3(&self) -> bool {
        self.info.protocol == crate::engine::Protocol::V3
    }

    pub(super) fn slot(&self, nsp: &Str) -> Option<&Slot> {
        self.nsps.iter().find(|(n, _)| n == nsp).map(|(_, s)| s)
    }

    pub(super) fn slot_mut(&mut self, nsp: &Str) -> Option<&mut Slot> {
        self.nsps.iter_mut().find(|(n, _)| n == nsp).map(|(_, s)| s)
    }

    /// Adds namespace `nsp`'s slot. Most connections join one namespace: no spare room is
    /// kept per connection.
    pub(super) fn add_slot(&mut self, nsp: Str, slot: Slot) {
        self.nsps.reserve_exact(1);
        self.nsps.push((nsp, slot));
    }

    pub(super) fn remove_slot(&mut self, nsp: &Str) -> Option<Slot> {
        let i = self.nsps.iter().position(|(n, _)| n == nsp)?;
        Some(self.nsps.remove(i).1)
    }

    pub(super) fn sockets(&self) -> Vec<SocketId> {
        let ids = self.nsps.iter().filter_map(|(_, s)| match s {
            Slot::Connected(id) => Some(id.clone()),
            Slot::Pending { .. } => None,
        });
        ids.collect()
    }

    pub(super) fn requests(&self) -> Vec<ConnectId> {
        let ids = self.nsps.iter().filter_map(|(_, s)| match s {
            Slot::Pending { request, .. } => Some(*request),
            Slot::Connected(_) => None,
        });
        ids.collect()
    }
}
