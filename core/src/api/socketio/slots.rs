//! [`SocketSlots`]: the layer's table of its connected sockets ([`SocketSlot`]s).
//!
//! The application names a socket by its id (a hash lookup); the dispatch path, which visits
//! a socket several times per event (queuing it, taking its next item, ending its turn),
//! carries the socket's index in the table instead and reaches it without hashing. An index
//! is reused once its socket is gone, so it is always paired with the slot's `generation`
//! (unique per socket added), which tells a late visit from a visit to the socket now there.

use super::dispatch::SocketSlot;
use crate::id_map::IdMap;
use crate::socket::server::SocketId;

/// The connected sockets, by id and by index (see the module docs): an [`IdMap`], whose
/// positions are the indexes.
#[derive(Default)]
pub(crate) struct SocketSlots(IdMap<Box<SocketSlot>>);

impl SocketSlots {
    /// Adds `slot` (whose id is `slot.id`), replacing the socket with the same id if there is
    /// one; returns its index.
    pub(crate) fn insert(&mut self, slot: Box<SocketSlot>) -> u32 {
        let id = slot.id.as_room().bytes().clone();
        self.0.insert_at(id, slot).0
    }

    /// The socket `id`.
    pub(crate) fn get(&self, id: &SocketId) -> Option<&SocketSlot> {
        self.0.get(id).map(|s| &**s)
    }

    /// The socket `id`, to change.
    pub(crate) fn get_mut(&mut self, id: &SocketId) -> Option<&mut SocketSlot> {
        self.0.get_mut(id).map(|s| &mut **s)
    }

    /// The index of socket `id` (the last one found is tried first: a read's events are
    /// usually one socket's).
    #[inline]
    pub(crate) fn index_of(&mut self, id: &SocketId) -> Option<u32> {
        self.0.index_of(id)
    }

    /// The socket at `index` (found by [`index_of`](Self::index_of) just before).
    #[inline]
    pub(crate) fn at(&mut self, index: u32) -> Option<&mut SocketSlot> {
        self.0.at_mut(index).map(|s| &mut **s)
    }

    /// The socket at `index` if it is still the one of `generation`.
    #[inline]
    pub(crate) fn at_mut(&mut self, index: u32, generation: u64) -> Option<&mut SocketSlot> {
        self.at(index).filter(|s| s.generation == generation)
    }

    /// Removes the socket at `index` (if it is still the one of `generation`).
    pub(crate) fn remove_at(&mut self, index: u32, generation: u64) {
        if self.at_mut(index, generation).is_some() {
            self.0.remove_at(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> SocketId {
        SocketId::new(crate::Str::from(s.to_owned()))
    }

    fn slot(id: &str, generation: u64) -> Box<SocketSlot> {
        Box::new(SocketSlot::idle(id, generation))
    }

    #[test]
    fn a_socket_is_found_by_id_and_by_index_with_its_generation() {
        let mut t = SocketSlots::default();
        let a = t.insert(slot("a", 1));
        let b = t.insert(slot("b", 2));
        assert_ne!(a, b);
        assert_eq!(t.index_of(&id("b")), Some(b));
        assert_eq!(t.get(&id("a")).map(|s| s.generation), Some(1));
        assert!(t.at_mut(a, 1).is_some());
        // Another generation at the same index is another socket.
        assert!(t.at_mut(a, 2).is_none());

        // The same id again (a recovered socket): it takes the place of the old one.
        assert_eq!(t.insert(slot("a", 3)), a);
        assert!(t.at_mut(a, 1).is_none());
        assert_eq!(t.get_mut(&id("a")).map(|s| s.generation), Some(3));
        // A late removal of the old one leaves the new one alone.
        t.remove_at(a, 1);
        assert_eq!(t.index_of(&id("a")), Some(a));

        // Removed, its index serves the next socket, which the old generation does not reach.
        t.remove_at(a, 3);
        assert!(t.get(&id("a")).is_none());
        assert_eq!(t.insert(slot("c", 4)), a);
        assert!(t.at_mut(a, 3).is_none());
        assert_eq!(
            t.at_mut(a, 4).map(|s| s.id.as_str().to_owned()),
            Some("c".into())
        );
        assert!(t.at_mut(99, 4).is_none());
        // The index found last is not taken for another id, nor for one gone.
        assert_eq!(t.index_of(&id("c")), Some(a));
        assert_eq!(t.index_of(&id("b")), Some(b));
        assert_eq!(t.index_of(&id("c")), Some(a));
        t.remove_at(a, 4);
        assert_eq!(t.index_of(&id("c")), None);
    }
}
