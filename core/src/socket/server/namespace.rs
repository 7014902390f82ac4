//! A namespace: its sockets, the room index, its ack id counter and (with recovery) the log
//! of what it emitted.

use std::collections::VecDeque;

use hashbrown::{HashMap, HashSet};

use super::ids::SocketId;
use super::recovery::Stored;
use super::SocketServer;
use crate::Str;

/// A socket as a namespace's sets hold it: its id (their key: a member is found, hashed and
/// compared by id alone) and the position of its record in the server's socket table, so a
/// broadcast reaches each recipient's record without hashing its id. The position is only a
/// hint, checked against the id (see `IdMap::get_hinted`): a record is found by its id
/// whatever the position says.
#[derive(Debug, Clone)]
pub(super) struct Member {
    pub(super) id: SocketId,
    pub(super) at: u32,
}

impl Member {
    pub(super) fn new(id: SocketId, at: u32) -> Self {
        Member { id, at }
    }
}

impl PartialEq for Member {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Member {}

/// As the id's: a set of members is looked up by a [`SocketId`].
impl std::hash::Hash for Member {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl std::borrow::Borrow<SocketId> for Member {
    fn borrow(&self) -> &SocketId {
        &self.id
    }
}

#[derive(Debug)]
pub(super) struct Namespace {
    pub(super) name: Str,
    pub(super) sockets: HashSet<Member>,
    /// Room name → members. Empty rooms are removed, as the reference adapter's `del`.
    pub(super) rooms: HashMap<Str, HashSet<Member>>,
    /// The reference allocates ack ids per namespace (`nsp._ids++`).
    pub(super) next_ack: u64,
    /// Emitted events with their offsets, oldest first (connection state recovery).
    pub(super) log: VecDeque<Stored>,
    /// Created on demand by a dynamic filter (not by the application): removed once unused
    /// if `cleanup_empty_child_namespaces`.
    pub(super) dynamic: bool,
    /// CONNECTs to it awaiting the application's decision.
    pub(super) pending: usize,
    /// Sessions of its sockets kept for recovery.
    pub(super) kept: usize,
}

impl Namespace {
    pub(super) fn new(name: Str) -> Self {
        Namespace {
            name,
            sockets: HashSet::new(),
            rooms: HashMap::new(),
            next_ack: 0,
            log: VecDeque::new(),
            dynamic: false,
            pending: 0,
            kept: 0,
        }
    }

    /// Nothing refers to it any more.
    fn unused(&self) -> bool {
        self.sockets.is_empty() && self.pending == 0 && self.kept == 0
    }

    pub(super) fn next_ack_id(&mut self) -> u64 {
        let id = self.next_ack;
        self.next_ack += 1;
        id
    }

    /// Returns whether the room was created (this is its first member).
    pub(super) fn add_to_room(&mut self, room: &Str, socket: &Member) -> bool {
        let members = self.rooms.entry(room.clone()).or_default();
        members.insert(socket.clone());
        members.len() == 1
    }

    /// Returns whether the room was deleted (this was its last member).
    pub(super) fn remove_from_room(&mut self, room: &Str, socket: &SocketId) -> bool {
        if let Some(members) = self.rooms.get_mut(room) {
            members.remove(socket);
            if members.is_empty() {
                self.rooms.remove(room);
                return true;
            }
        }
        false
    }
}

impl SocketServer {
    /// Namespace `name` lost a socket, a pending CONNECT or a kept session: a namespace
    /// created on demand goes once unused (with `cleanup_empty_child_namespaces`).
    pub(super) fn release_namespace(&mut self, name: &Str) {
        if !self.config.cleanup_empty_child_namespaces {
            return;
        }
        let key = name.as_bytes();
        if self
            .namespaces
            .get(key)
            .is_some_and(|n| n.dynamic && n.unused())
        {
            self.namespaces.remove(key);
        }
    }

    /// The names of the namespaces, sorted.
    pub fn namespace_names(&self) -> Vec<Str> {
        let mut names: Vec<Str> = self.namespaces.values().map(|n| n.name.clone()).collect();
        names.sort();
        names
    }

    /// The number of namespaces (the main one, those added, those created on demand and not
    /// cleaned up).
    pub fn namespace_count(&self) -> usize {
        self.namespaces.len()
    }
}
