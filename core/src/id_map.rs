//! [`IdMap`]: a table keyed by session ids that remembers where its last lookup landed.
//!
//! A server looks a session up once per message, and the messages of one read all belong to
//! the same session: the table keeps its entries in a vector, indexed by a hash map from id to
//! position, and tries the position of the last hit first. A hit costs one comparison of two
//! ids (eight bytes at a time) instead of hashing one and probing; a miss (another session, or
//! the entry gone) falls back to the hash map. Freed positions are reused.

use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use hashbrown::{Equivalent, HashMap};

use crate::id_hash::{ids_equal, IdHash};

/// A table keyed by session ids ([`Bytes`]), looked up by any byte view of an id: hashed by
/// [`IdHash`], compared by [`ids_equal`] (see the module docs).
pub(crate) struct IdMap<V> {
    entries: Vec<Option<(Bytes, V)>>,
    free: Vec<u32>,
    positions: HashMap<Bytes, u32, IdHash>,
    /// The position of the last hit (possibly stale: the key there is compared first). An
    /// atomic only so that the table stays `Sync`; it is read and written with relaxed order.
    last: AtomicU32,
}

/// A lookup key: an id's bytes, hashed as the stored [`Bytes`] are.
struct IdRef<'a>(&'a [u8]);

impl std::hash::Hash for IdRef<'_> {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

impl Equivalent<Bytes> for IdRef<'_> {
    #[inline]
    fn equivalent(&self, key: &Bytes) -> bool {
        ids_equal(self.0, key)
    }
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            entries: Vec::new(),
            free: Vec::new(),
            positions: HashMap::default(),
            last: AtomicU32::new(0),
        }
    }
}

impl<V> IdMap<V> {
    /// The position of `id`: the last hit's when it is `id`'s, else through the hash map.
    #[inline]
    fn position(&self, id: &[u8]) -> Option<usize> {
        let last = self.last.load(Ordering::Relaxed) as usize;
        if let Some(Some((key, _))) = self.entries.get(last) {
            if ids_equal(key, id) {
                return Some(last);
            }
        }
        let at = *self.positions.get(&IdRef(id))?;
        self.last.store(at, Ordering::Relaxed);
        Some(at as usize)
    }

    /// The value of `id`.
    #[inline]
    pub(crate) fn get(&self, id: &(impl AsRef<[u8]> + ?Sized)) -> Option<&V> {
        let at = self.position(id.as_ref())?;
        self.entries[at].as_ref().map(|(_, v)| v)
    }

    /// The value of `id`, by the hash map alone: for a loop over many ids (a broadcast's
    /// recipients), where the last hit would only be tried and missed, and moved each time.
    #[inline]
    pub(crate) fn get_uncached(&self, id: &(impl AsRef<[u8]> + ?Sized)) -> Option<&V> {
        let at = *self.positions.get(&IdRef(id.as_ref()))?;
        self.entries[at as usize].as_ref().map(|(_, v)| v)
    }

    /// [`get_uncached`](Self::get_uncached), to change.
    #[inline]
    pub(crate) fn get_mut_uncached(&mut self, id: &(impl AsRef<[u8]> + ?Sized)) -> Option<&mut V> {
        let at = *self.positions.get(&IdRef(id.as_ref()))?;
        self.entries[at as usize].as_mut().map(|(_, v)| v)
    }

    /// The value of `id`, to change.
    #[inline]
    pub(crate) fn get_mut(&mut self, id: &(impl AsRef<[u8]> + ?Sized)) -> Option<&mut V> {
        let at = self.position(id.as_ref())?;
        self.entries[at].as_mut().map(|(_, v)| v)
    }

    /// The position of `id`'s entry: it stays the same until the entry is removed, and is then
    /// reused for another id (a caller keeping positions tells them apart itself).
    #[inline]
    pub(crate) fn index_of(&self, id: &(impl AsRef<[u8]> + ?Sized)) -> Option<u32> {
        self.position(id.as_ref()).map(|at| at as u32)
    }

    /// The value at position `at`, to change.
    #[inline]
    pub(crate) fn at_mut(&mut self, at: u32) -> Option<&mut V> {
        self.entries.get_mut(at as usize)?.as_mut().map(|(_, v)| v)
    }

    /// Takes the value at position `at` out.
    pub(crate) fn remove_at(&mut self, at: u32) -> Option<V> {
        let (key, value) = self.entries.get_mut(at as usize)?.take()?;
        self.positions.remove(&key);
        self.free.push(at);
        Some(value)
    }

    /// Takes the value of `id` out.
    pub(crate) fn remove(&mut self, id: &(impl AsRef<[u8]> + ?Sized)) -> Option<V> {
        let at = self.positions.remove(&IdRef(id.as_ref()))?;
        self.free.push(at);
        self.entries[at as usize].take().map(|(_, v)| v)
    }

    /// Whether `id` has a value.
    pub(crate) fn contains_key(&self, id: &(impl AsRef<[u8]> + ?Sized)) -> bool {
        self.position(id.as_ref()).is_some()
    }

    /// Sets the value of `id`, returning the one it replaces.
    pub(crate) fn insert(&mut self, id: Bytes, value: V) -> Option<V> {
        if let Some(&at) = self.positions.get(&IdRef(&id)) {
            let old = self.entries[at as usize].replace((id, value));
            return old.map(|(_, v)| v);
        }
        let at = match self.free.pop() {
            Some(at) => {
                self.entries[at as usize] = Some((id.clone(), value));
                at
            }
            None => {
                self.entries.push(Some((id.clone(), value)));
                u32::try_from(self.entries.len() - 1).expect("fewer than 2^32 sessions")
            }
        };
        self.positions.insert(id, at);
        None
    }

    /// How many ids have values.
    pub(crate) fn len(&self) -> usize {
        self.positions.len()
    }

    /// Every value.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().flatten().map(|(_, v)| v)
    }

    /// Takes every entry out.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (Bytes, V)> + '_ {
        self.positions.clear();
        self.free.clear();
        self.entries.drain(..).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_map_finds_by_any_view_of_the_id() {
        let mut m: IdMap<u32> = IdMap::default();
        m.insert(Bytes::from_static(b"AAAAAAAAAAAAAAAAAAAA"), 1);
        m.insert(Bytes::from_static(b"short"), 2);
        assert_eq!(m.get(b"AAAAAAAAAAAAAAAAAAAA"), Some(&1));
        assert_eq!(m.get_uncached("short"), Some(&2));
        assert_eq!(m.get_uncached("nobody"), None);
        *m.get_mut_uncached("short").unwrap() = 4;
        assert_eq!(m.get("short"), Some(&4));
        assert_eq!(m.get(&Bytes::from_static(b"short")), Some(&4));
        assert_eq!(m.get("AAAAAAAAAAAAAAAAAAAB"), None);
        *m.get_mut("short").unwrap() = 3;
        assert_eq!(m.get_uncached("short"), Some(&3));
        assert!(m.contains_key("short"));
        assert_eq!(m.remove("short"), Some(3));
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn the_last_hit_never_answers_for_another_id() {
        let mut m: IdMap<u32> = IdMap::default();
        let id = |i: u32| Bytes::from(format!("session-id-{i:09}"));
        for i in 0..50 {
            assert_eq!(m.insert(id(i), i), None);
        }
        // Alternating lookups, each a hit then a miss of the cached position.
        for i in 0..50 {
            assert_eq!(m.get(&id(i)), Some(&i));
            assert_eq!(m.get(&id(49 - i)), Some(&(49 - i)));
        }
        // The last hit removed: the position is free, then reused by another id.
        assert_eq!(m.get(&id(7)), Some(&7));
        assert_eq!(m.remove(&id(7)), Some(7));
        assert_eq!(m.get(&id(7)), None);
        assert!(!m.contains_key(&id(7)));
        assert_eq!(m.insert(id(100), 100), None);
        assert_eq!(m.get(&id(7)), None);
        assert_eq!(m.get(&id(100)), Some(&100));
        // Replacing keeps one entry.
        assert_eq!(m.insert(id(100), 101), Some(100));
        assert_eq!(m.len(), 50);
        let mut values: Vec<u32> = m.values().copied().collect();
        values.sort_unstable();
        assert_eq!(values.len(), 50);
        assert!(values.contains(&101) && !values.contains(&7));
        // Drained, nothing is left, and the table works again.
        assert_eq!(m.drain().count(), 50);
        assert_eq!((m.len(), m.get(&id(100))), (0, None));
        m.insert(id(1), 1);
        assert_eq!(m.get(&id(1)), Some(&1));
    }
}
