//! [`Target`]: which sockets of a namespace a broadcast or a server-side operation reaches.

use hashbrown::HashSet;

use super::ids::SocketId;
use super::namespace::{Member, Namespace};
use crate::Str;

/// A selection of a namespace's sockets, as the reference's `to(…)`, `except(…)` and
/// `broadcast` flag build it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The rooms to reach; empty means every socket of the namespace.
    pub rooms: Vec<Str>,
    /// Sockets in any of these rooms are left out.
    pub except_rooms: Vec<Str>,
    /// This socket is left out (the `broadcast` flag of a socket: everyone but the sender).
    pub except_socket: Option<SocketId>,
}

impl Target {
    /// Every socket of the namespace.
    pub fn all() -> Self {
        Target::default()
    }

    /// The sockets in `room` (a socket id names the socket's own room).
    pub fn room(room: impl Into<Str>) -> Self {
        Target {
            rooms: vec![room.into()],
            ..Target::default()
        }
    }

    /// Adds a room to reach.
    pub fn to(mut self, room: impl Into<Str>) -> Self {
        self.rooms.push(room.into());
        self
    }

    /// Leaves out the sockets in `room`.
    pub fn except(mut self, room: impl Into<Str>) -> Self {
        self.except_rooms.push(room.into());
        self
    }

    /// Leaves out `socket` (the sender of a `socket.broadcast`).
    pub fn excluding(mut self, socket: SocketId) -> Self {
        self.except_socket = Some(socket);
        self
    }

    /// The rooms to leave out, the excluded socket's own room included.
    pub(super) fn all_except_rooms(&self) -> Vec<Str> {
        let mut out = self.except_rooms.clone();
        out.extend(self.except_socket.iter().map(|s| s.as_room().clone()));
        out
    }

    /// The reference adapter's `apply`: each matching socket once, whatever rooms it is in.
    pub(super) fn select(&self, nsp: &Namespace) -> Vec<SocketId> {
        let mut out = Vec::new();
        self.for_each(nsp, |s| out.push(s.id.clone()));
        out
    }

    /// [`select`](Self::select) without collecting: calls `f` with each matching socket once
    /// (its id, and the position of its record as a hint).
    pub(super) fn for_each(&self, nsp: &Namespace, mut f: impl FnMut(&Member)) {
        if self.rooms.is_empty() && self.except_rooms.is_empty() {
            // `emit` to a whole namespace (perhaps but the sender): no set to build.
            let skip = self.except_socket.as_ref();
            nsp.sockets
                .iter()
                .filter(|s| Some(&s.id) != skip)
                .for_each(f);
            return;
        }
        let mut except: HashSet<&SocketId> = HashSet::new();
        for room in &self.except_rooms {
            if let Some(members) = nsp.rooms.get(room) {
                except.extend(members.iter().map(|m| &m.id));
            }
        }
        except.extend(self.except_socket.iter());
        if self.rooms.is_empty() {
            nsp.sockets
                .iter()
                .filter(|s| !except.contains(&s.id))
                .for_each(f);
            return;
        }
        let mut seen: HashSet<&SocketId> = HashSet::new();
        for room in &self.rooms {
            let Some(members) = nsp.rooms.get(room) else {
                continue;
            };
            for s in members {
                if !except.contains(&s.id) && seen.insert(&s.id) {
                    f(s);
                }
            }
        }
    }
}
