//! [`IdMap`]: a table keyed by session ids that remembers where its recent lookups landed.
//!
//! A server looks a session up several times per message (the Engine.IO session, the
//! Socket.IO connection, the socket, the api layer's slot), nearly always by a handle to the
//! very buffer the table keeps as the key (the id is cloned from layer to layer, never
//! copied). The table keeps its entries in a vector, indexed by a hash table of their
//! positions, and remembers the position of the last hit of each of [`RECENT`] buffer
//! addresses: a lookup first tries the position remembered for its id's address, which
//! answers only if the entry there holds that very buffer (same address and length: the same
//! bytes, nothing read or hashed). So the lookups of the few clients that are busy at a time
//! cost a few instructions each, whether one client's messages come in a row or fifty
//! clients' messages alternate; a miss (a copy of the id, a forgotten address, the entry
//! gone) falls back to the hash table. Freed positions are reused.
//!
//! The hash table holds positions only (4 bytes a bucket), each id living once, in its entry:
//! a map from id to position would keep a second handle of every id (32 bytes more a bucket),
//! and a connection has its id in four of these tables.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use hashbrown::HashTable;

use crate::id_hash::{ids_equal, IdHash};

/// How many buffer addresses a table remembers the position of (a power of two; 1 KiB).
const RECENT: usize = 256;

/// Where the position for a lookup of `id` is remembered: its buffer's address, hashed (heap
/// buffers are 16-byte aligned, so the low bits are dropped and higher ones mixed in).
#[inline(always)]
fn recent_slot(id: &[u8]) -> usize {
    let p = id.as_ptr() as usize;
    ((p >> 4) ^ (p >> 13)) & (RECENT - 1)
}

/// Whether `key` is the very buffer `id` views: same address, same length.
#[inline(always)]
fn same_buffer(key: &Bytes, id: &[u8]) -> bool {
    std::ptr::eq(key.as_ptr(), id.as_ptr()) && key.len() == id.len()
}

/// A table keyed by session ids ([`Bytes`]), looked up by any byte view of an id: hashed by
/// [`IdHash`], compared by [`ids_equal`] (see the module docs).
pub(crate) struct IdMap<V> {
    entries: Vec<Option<(Bytes, V)>>,
    free: Vec<u32>,
    /// The positions of the entries, hashed by their ids.
    positions: HashTable<u32>,
    hasher: IdHash,
    /// The position of the last hit by each of [`RECENT`] buffer addresses (see
    /// [`recent_slot`]; possibly stale: the key there is checked first). Atomics only so
    /// that the table stays `Sync`; they are read and written with relaxed order.
    recent: Box<[AtomicU32; RECENT]>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            entries: Vec::new(),
            free: Vec::new(),
            positions: HashTable::new(),
            hasher: IdHash::default(),
            recent: Box::new(std::array::from_fn(|_| AtomicU32::new(u32::MAX))),
        }
    }
}

/// Whether the entry at `at` has the id `id`.
#[inline]
fn holds<V>(entries: &[Option<(Bytes, V)>], at: u32, id: &[u8]) -> bool {
    matches!(&entries[at as usize], Some((key, _)) if ids_equal(key, id))
}

impl<V> IdMap<V> {
    #[inline]
    fn hash(&self, id: &[u8]) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The position of `id` by the hash table alone. Not inlined: the lookups that miss the
    /// remembered positions are the rarer ones, and the hit's path inlined stays small.
    #[inline(never)]
    fn find(&self, id: &[u8]) -> Option<u32> {
        self.find_hashed(self.hash(id), id)
    }

    /// [`find`](Self::find) with `id`'s hash already at hand.
    #[inline]
    fn find_hashed(&self, hash: u64, id: &[u8]) -> Option<u32> {
        let entries = &self.entries;
        self.positions
            .find(hash, |&at| holds(entries, at, id))
            .copied()
    }

    /// The position of `id`: the one remembered for its buffer's address when the entry
    /// there holds that very buffer, else through the hash table (and then remembered).
    #[inline(always)]
    fn position(&self, id: &[u8]) -> Option<usize> {
        let recent = &self.recent[recent_slot(id)];
        let at = recent.load(Ordering::Relaxed) as usize;
        if let Some(Some((key, _))) = self.entries.get(at) {
            if same_buffer(key, id) {
                return Some(at);
            }
        }
        let at = self.find(id)?;
        recent.store(at, Ordering::Relaxed);
        Some(at as usize)
    }

    /// The value of `id`.
    #[inline]
    pub(crate) fn get(&self, id: &(impl AsRef<[u8]> + ?Sized)) -> Option<&V> {
        let at = self.position(id.as_ref())?;
        self.entries[at].as_ref().map(|(_, v)| v)
    }

    /// The position of `id`, trying `hint` first: a position the caller kept from an earlier
    /// lookup ([`index_of`](Self::index_of)). The entry there answers only if its id is the
    /// very buffer `id` views (same address, same length: the same bytes, without reading
    /// them), so a stale or wrong hint, or another copy of the id, just falls back to the
    /// hash table.
    #[inline(always)]
    fn position_hinted(&self, hint: u32, id: &[u8]) -> Option<usize> {
        if let Some(Some((key, _))) = self.entries.get(hint as usize) {
            if same_buffer(key, id) {
                return Some(hint as usize);
            }
        }
        self.find(id).map(|at| at as usize)
    }

    /// The value of `id`, tried at position `hint` first (see
    /// [`position_hinted`](Self::position_hinted)): for a loop over many ids whose positions
    /// were kept (a broadcast's recipients), without hashing them.
    #[inline]
    pub(crate) fn get_hinted(&self, hint: u32, id: &[u8]) -> Option<&V> {
        let at = self.position_hinted(hint, id)?;
        self.entries[at].as_ref().map(|(_, v)| v)
    }

    /// [`get_hinted`](Self::get_hinted), to change; also returns the position found.
    #[inline]
    pub(crate) fn get_mut_hinted(&mut self, hint: u32, id: &[u8]) -> Option<(u32, &mut V)> {
        let at = self.position_hinted(hint, id)?;
        self.entries[at].as_mut().map(|(_, v)| (at as u32, v))
    }

    /// The value of `id`, by the hash table alone: for a loop over many ids once each, where
    /// the remembered positions would only be tried, missed and overwritten.
    #[inline]
    pub(crate) fn get_uncached(&self, id: &(impl AsRef<[u8]> + ?Sized)) -> Option<&V> {
        let at = self.find(id.as_ref())?;
        self.entries[at as usize].as_ref().map(|(_, v)| v)
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

    /// The id of the entry at position `at` (the buffer the table holds).
    #[inline]
    pub(crate) fn key_at(&self, at: u32) -> Option<&Bytes> {
        self.entries.get(at as usize)?.as_ref().map(|(k, _)| k)
    }

    /// The value at position `at`.
    #[inline]
    pub(crate) fn at(&self, at: u32) -> Option<&V> {
        self.entries.get(at as usize)?.as_ref().map(|(_, v)| v)
    }

    /// The value at position `at`, to change.
    #[inline]
    pub(crate) fn at_mut(&mut self, at: u32) -> Option<&mut V> {
        self.entries.get_mut(at as usize)?.as_mut().map(|(_, v)| v)
    }

    /// Takes the value at position `at` out.
    pub(crate) fn remove_at(&mut self, at: u32) -> Option<V> {
        let hash = match self.entries.get(at as usize)? {
            Some((key, _)) => self.hash(key),
            None => return None,
        };
        if let Ok(found) = self.positions.find_entry(hash, |&p| p == at) {
            found.remove();
        }
        self.free.push(at);
        self.entries[at as usize].take().map(|(_, v)| v)
    }

    /// Takes the value of `id` out.
    pub(crate) fn remove(&mut self, id: &(impl AsRef<[u8]> + ?Sized)) -> Option<V> {
        let id = id.as_ref();
        let hash = self.hash(id);
        let entries = &self.entries;
        let (at, _) = self
            .positions
            .find_entry(hash, |&at| holds(entries, at, id))
            .ok()?
            .remove();
        self.free.push(at);
        self.entries[at as usize].take().map(|(_, v)| v)
    }

    /// Whether `id` has a value.
    pub(crate) fn contains_key(&self, id: &(impl AsRef<[u8]> + ?Sized)) -> bool {
        self.position(id.as_ref()).is_some()
    }

    /// Sets the value of `id`, returning the one it replaces.
    pub(crate) fn insert(&mut self, id: Bytes, value: V) -> Option<V> {
        self.insert_at(id, value).1
    }

    /// [`insert`](Self::insert), also returning the entry's position.
    pub(crate) fn insert_at(&mut self, id: Bytes, value: V) -> (u32, Option<V>) {
        // One hash of the id, for the lookup and for the insertion.
        let hash = self.hash(&id);
        if let Some(at) = self.find_hashed(hash, &id) {
            let old = self.entries[at as usize].replace((id, value));
            return (at, old.map(|(_, v)| v));
        }
        let at = match self.free.pop() {
            Some(at) => {
                self.entries[at as usize] = Some((id, value));
                at
            }
            None => {
                self.entries.push(Some((id, value)));
                u32::try_from(self.entries.len() - 1).expect("fewer than 2^32 sessions")
            }
        };
        // The entry is in place, so growing the table can rehash every position by its id.
        let (entries, hasher) = (&self.entries, &self.hasher);
        self.positions
            .insert_unique(hash, at, |&p| match &entries[p as usize] {
                Some((key, _)) => hasher.hash_one(&key[..]),
                None => 0,
            });
        (at, None)
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
        *m.get_mut_hinted(u32::MAX, b"short").unwrap().1 = 4;
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
    fn a_remembered_position_never_answers_for_another_id() {
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
        // A hit removed: its position is free, then reused by another id.
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

    /// Lookups by the table's own id buffers (as the layers pass them on) for many ids in
    /// turn: every one finds its own entry, removed ones nothing, also once their positions
    /// are reused; and a copy of an id (another buffer) finds the same entry.
    #[test]
    fn lookups_by_the_keys_own_buffers_alternate_between_many_ids() {
        let mut m: IdMap<u32> = IdMap::default();
        let keys: Vec<Bytes> = (0..600)
            .map(|i| Bytes::from(format!("session-id-{i:09}")))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            m.insert(k.clone(), i as u32);
        }
        for round in 0..3 {
            for (i, k) in keys.iter().enumerate().rev() {
                let want = (i % 7 != 3 || round == 0).then_some(i as u32);
                assert_eq!(m.get(k).copied(), want, "round {round}, id {i}");
                assert_eq!(m.get(&k.to_vec()).copied(), want, "a copy of id {i}");
            }
            if round == 0 {
                // Some go; as many others come, in the freed positions.
                for (i, k) in keys.iter().enumerate() {
                    if i % 7 == 3 {
                        assert_eq!(m.remove(k), Some(i as u32));
                        m.insert(Bytes::from(format!("other-id-{i:09}xx")), 9_999);
                    }
                }
            }
        }
        assert_eq!(m.len(), 600);
        let other = Bytes::from(format!("other-id-{:09}xx", 3));
        assert_eq!(m.get(&other), Some(&9_999));
    }

    /// A hint answers only for the very buffer of the id at that position: a copy of the id,
    /// a wrong position, a stale one (its entry removed, or reused by another id) and no hint
    /// at all fall back to the id, and never reach another entry.
    #[test]
    fn a_hinted_lookup_trusts_only_the_ids_own_buffer() {
        let mut m: IdMap<u32> = IdMap::default();
        let a = Bytes::from(b"AAAAAAAAAAAAAAAAAAAA".to_vec());
        let b = Bytes::from(b"BBBBBBBBBBBBBBBBBBBB".to_vec());
        let (at_a, _) = m.insert_at(a.clone(), 1);
        let (at_b, _) = m.insert_at(b.clone(), 2);
        assert_eq!(m.get_hinted(at_a, &a), Some(&1));
        assert_eq!(m.key_at(at_a).map(|k| k.as_ptr()), Some(a.as_ptr()));
        // A copy of `a` (another buffer), given `a`'s position: found by its id.
        let copy = a.to_vec();
        assert_eq!(m.get_hinted(at_a, &copy), Some(&1));
        // `b` given `a`'s position, or no position: found by its id.
        assert_eq!(m.get_hinted(at_a, &b), Some(&2));
        assert_eq!(
            m.get_mut_hinted(u32::MAX, &b).map(|(at, v)| (at, *v)),
            Some((at_b, 2))
        );
        // A view of part of `a`'s buffer at its position is another id.
        assert_eq!(m.get_hinted(at_a, &a[..10]), None);
        // `a` gone: its position is free, then reused by `c`; `a`'s hint finds nothing, and
        // `c` is found by its own.
        assert_eq!(m.remove(&a), Some(1));
        assert_eq!(m.get_hinted(at_a, &a), None);
        let c = Bytes::from(b"CCCCCCCCCCCCCCCCCCCC".to_vec());
        let (at_c, _) = m.insert_at(c.clone(), 3);
        assert_eq!(at_c, at_a);
        assert_eq!(m.get_hinted(at_a, &a), None);
        assert_eq!(
            m.get_mut_hinted(at_c, &c).map(|(at, v)| (at, *v)),
            Some((at_c, 3))
        );
        assert_eq!(m.at(at_c), Some(&3));
    }

    /// Many inserts, removals (by id and by position), replacements and lookups in a
    /// pseudo-random order, the table growing and reusing positions: it always agrees with a
    /// plain map, and a position found for an id leads back to that id's value.
    #[test]
    fn an_id_map_agrees_with_a_plain_map_through_growth_and_reuse() {
        let mut m: IdMap<u64> = IdMap::default();
        let mut model: std::collections::HashMap<Vec<u8>, u64> = Default::default();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for step in 0..20_000u64 {
            let r = next();
            // Ids of several lengths (short ones too), from a pool of 600.
            let id = format!("{:0width$}", r % 600, width = 3 + (r % 23) as usize % 20);
            let id = id.into_bytes();
            match (r >> 32) % 6 {
                0 | 1 => assert_eq!(
                    m.insert(Bytes::from(id.clone()), step),
                    model.insert(id, step)
                ),
                2 => assert_eq!(m.remove(&id), model.remove(&id)),
                3 => {
                    let at = m.index_of(&id);
                    assert_eq!(at.is_some(), model.contains_key(&id));
                    if let Some(at) = at {
                        if step % 2 == 0 {
                            assert_eq!(m.remove_at(at), model.remove(&id));
                        } else {
                            assert_eq!(m.at_mut(at).copied(), model.get(&id).copied());
                        }
                    }
                }
                4 => assert_eq!(m.get_uncached(&id), model.get(&id)),
                _ => assert_eq!(m.get(&id), model.get(&id)),
            }
            assert_eq!(m.len(), model.len());
        }
        for (id, v) in &model {
            assert_eq!(m.get(id), Some(v));
        }
    }
}
