//! A namespace: its sockets, the room index, its ack id counter and (with recovery) the log
//! of what it emitted.

use std::collections::VecDeque;

use hashbrown::{HashMap, HashSet};

use super::ids::SocketId;
use super::recovery::Stored;
use crate::Str;

#[derive(Debug)]
pub(super) struct Namespace {
    pub(super) name: Str,
    pub(super) sockets: HashSet<SocketId>,
    /// Room name → members. Empty rooms are removed, as the reference adapter's `del`.
    pub(super) rooms: HashMap<Str, HashSet<SocketId>>,
    /// The reference allocates ack ids per namespace (`nsp._ids++`).
    pub(super) next_ack: u64,
    /// Emitted events with their offsets, oldest first (connection state recovery).
    pub(super) log: VecDeque<Stored>,
}

impl Namespace {
    pub(super) fn new(name: Str) -> Self {
        Namespace {
            name,
            sockets: HashSet::new(),
            rooms: HashMap::new(),
            next_ack: 0,
            log: VecDeque::new(),
        }
    }

    pub(super) fn next_ack_id(&mut self) -> u64 {
        let id = self.next_ack;
        self.next_ack += 1;
        id
    }

    pub(super) fn add_to_room(&mut self, room: &Str, socket: &SocketId) {
        self.rooms
            .entry(room.clone())
            .or_default()
            .insert(socket.clone());
    }

    pub(super) fn remove_from_room(&mut self, room: &Str, socket: &SocketId) {
        if let Some(members) = self.rooms.get_mut(room) {
            members.remove(socket);
            if members.is_empty() {
                self.rooms.remove(room);
            }
        }
    }
}
