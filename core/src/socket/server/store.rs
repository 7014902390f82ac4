//! What a cluster adapter needs from the server beyond broadcasts: sessions kept elsewhere
//! (the Redis streams adapter keeps connection state recovery's sessions and offsets in
//! Redis, so a client recovers on any server), and the rooms being created and deleted (the
//! sharded adapter subscribes to a channel per room).
//!
//! With [`set_external_sessions`](SocketServer::set_external_sessions) on, a socket that
//! leaves for a recoverable reason is handed out as [`SessionIo::Persist`] instead of being
//! kept here; a CONNECT whose auth names a pid and an offset waits for
//! [`handle_session_found`](SocketServer::handle_session_found) after a
//! [`SessionIo::Lookup`]; and events take the offsets the adapter gives them
//! ([`broadcast_at_offset`](SocketServer::broadcast_at_offset)) instead of logged ones.

use std::time::{Duration, Instant};

use super::recovery::Restored;
use super::socket::SocketState;
use super::{ConnectId, SocketEvent, SocketId, SocketServer, Target, UnknownNamespace};
use crate::socket::{Event, Packet};
use crate::{Str, Value};

/// A session an external store keeps for connection state recovery.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptSession {
    /// The socket's id (a recovered socket gets it back).
    pub id: SocketId,
    /// The private session id the client names when it comes back.
    pub pid: Str,
    /// Its rooms, its own id first.
    pub rooms: Vec<Str>,
    /// The application's data for it.
    pub data: Value,
}

/// A session an external store found, with the events the socket missed.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundSession {
    /// The session.
    pub session: KeptSession,
    /// The events it missed, oldest first, each with its offset as the last argument.
    pub missed: Vec<Event>,
}

/// What the server asks of an external session store.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionIo {
    /// Keep `session` for `ttl` (the recovery window).
    Persist {
        /// The session.
        session: KeptSession,
        /// How long to keep it.
        ttl: Duration,
    },
    /// A client asks to recover session `pid` of namespace `nsp` after `offset`: find it
    /// (and take it out of the store), then answer with
    /// [`handle_session_found`](SocketServer::handle_session_found).
    Lookup {
        /// The CONNECT waiting for the answer.
        request: ConnectId,
        /// The namespace.
        nsp: Str,
        /// The private session id from the CONNECT's auth.
        pid: Str,
        /// The offset of the last event the client received.
        offset: Str,
    },
}

/// A room created (its first socket joined) or deleted (its last socket left), for a cluster
/// adapter that keeps a channel per room (see [`SocketServer::watch_rooms`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomLifecycle {
    /// The namespace.
    pub nsp: Str,
    /// The room.
    pub room: Str,
    /// Created, or deleted.
    pub created: bool,
    /// Whether it is a socket's own room (named by its id).
    pub private: bool,
}

impl SocketServer {
    /// Hands connection state recovery's sessions and offsets to an external store (a
    /// cluster adapter) instead of keeping them here. Only with recovery configured.
    pub fn set_external_sessions(&mut self, on: bool) {
        self.external_sessions = on;
    }

    /// Whether sessions go to an external store.
    pub fn external_sessions(&self) -> bool {
        self.external_sessions && self.config.recovery.is_some()
    }

    /// Reports rooms as they are created and deleted ([`poll_room_lifecycle`](Self::poll_room_lifecycle));
    /// turning it on reports every existing room as created.
    pub fn watch_rooms(&mut self, on: bool) {
        self.watch_rooms = on;
        self.room_lifecycle.clear();
        if !on {
            return;
        }
        for n in self.namespaces.values() {
            for room in n.rooms.keys() {
                let private = self.sockets.contains_key(&SocketId::new(room.clone()));
                self.room_lifecycle.push_back(RoomLifecycle {
                    nsp: n.name.clone(),
                    room: room.clone(),
                    created: true,
                    private,
                });
            }
        }
    }

    /// The next request for the external session store.
    #[must_use]
    pub fn poll_session_io(&mut self) -> Option<SessionIo> {
        self.session_io.pop_front()
    }

    /// The next room created or deleted (with [`watch_rooms`](Self::watch_rooms) on).
    #[must_use]
    pub fn poll_room_lifecycle(&mut self) -> Option<RoomLifecycle> {
        self.room_lifecycle.pop_front()
    }

    /// The answer to [`SessionIo::Lookup`]: the session and what it missed, or `None` (the
    /// client then gets a new socket). Unknown or abandoned requests are ignored.
    pub fn handle_session_found(
        &mut self,
        now: Instant,
        request: ConnectId,
        found: Option<FoundSession>,
    ) {
        self.touch(now);
        let Some(p) = self.pending.get(&request).filter(|p| p.restoring) else {
            return;
        };
        let nsp = p.nsp.clone();
        let restored = found
            .filter(|f| !self.sockets.contains_key(&f.session.id))
            .map(|f| Restored {
                id: f.session.id,
                pid: f.session.pid,
                rooms: f.session.rooms,
                data: f.session.data,
                missed: f
                    .missed
                    .into_iter()
                    .map(|e| Packet::event(nsp.clone(), e).to_frames())
                    .collect(),
            });
        let skip = self.config.recovery.is_some_and(|r| r.skip_middlewares);
        if restored.is_some() && skip {
            if let Some(p) = self.take_pending(request) {
                self.establish(&p.sid, &p.nsp, p.handshake, restored);
            }
            return;
        }
        let Some(p) = self.pending.get_mut(&request) else {
            return;
        };
        p.restoring = false;
        p.restored = restored;
        let (auth, handshake) = (p.handshake.auth.clone(), p.handshake.clone());
        self.events.push_back(SocketEvent::ConnectRequest {
            request,
            nsp,
            auth,
            handshake,
        });
    }

    /// [`broadcast`](Self::broadcast) with `offset` (from the external store) as the event's
    /// last argument; nothing is logged here.
    pub fn broadcast_at_offset(
        &mut self,
        nsp: &str,
        target: &Target,
        event: Event,
        offset: &str,
    ) -> Result<usize, UnknownNamespace> {
        self.broadcast_to(nsp, target, event, false, Some(offset))
    }

    /// With external sessions: the pid and offset a CONNECT's auth names, if both are text.
    pub(super) fn recovery_auth(&self, auth: Option<&Str>) -> Option<(Str, Str)> {
        if !self.external_sessions() {
            return None;
        }
        let auth: serde_json::Value = serde_json::from_str(auth?.as_str()).ok()?;
        let pid = auth.get("pid")?.as_str()?;
        let offset = auth.get("offset")?.as_str()?;
        Some((Str::from(pid.to_owned()), Str::from(offset.to_owned())))
    }

    /// With external sessions: hands a departed socket's session to the store. Returns
    /// whether it did.
    pub(super) fn persist_session(&mut self, id: &SocketId, s: &mut SocketState) -> bool {
        if !self.external_sessions() {
            return false;
        }
        let (Some(rc), Some(pid)) = (self.config.recovery, s.pid.take()) else {
            return true;
        };
        self.session_io.push_back(SessionIo::Persist {
            session: KeptSession {
                id: id.clone(),
                pid,
                rooms: std::mem::take(&mut s.rooms),
                data: std::mem::take(&mut s.data),
            },
            ttl: rc.max_disconnection_duration,
        });
        true
    }

    /// Notes a room created or deleted, if rooms are watched.
    pub(super) fn room_lifecycle_changed(
        &mut self,
        nsp: &Str,
        room: &Str,
        created: bool,
        private: bool,
    ) {
        if self.watch_rooms {
            self.room_lifecycle.push_back(RoomLifecycle {
                nsp: nsp.clone(),
                room: room.clone(),
                created,
                private,
            });
        }
    }
}
