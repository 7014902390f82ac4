//! The harness's small collections: ids as fixed-size keys and a map in a vector (both for
//! speed under libFuzzer's instrumentation).

/// A session or socket id as a fixed-size value: comparing two is a few integer compares,
/// where comparing `Str`s calls `bcmp`, which libFuzzer intercepts and hashes on every call
/// (a fifth of the target's time went there). Ids are 20 characters (`SidGenerator`), but a
/// v2 client's socket outside `/` is `<nsp>#<sid>`: a longer id keeps its first 31 bytes and
/// a 64-bit hash of the whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Key([u8; 40]);

impl Key {
    pub(super) fn of(id: &str) -> Key {
        let b = id.as_bytes();
        let mut k = [0; 40];
        k[0] = b.len().min(255) as u8;
        let n = b.len().min(31);
        k[1..=n].copy_from_slice(&b[..n]);
        if b.len() > 31 {
            // FNV-1a.
            let h = b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &c| {
                (h ^ u64::from(c)).wrapping_mul(0x100_0000_01b3)
            });
            k[32..].copy_from_slice(&h.to_le_bytes());
        }
        Key(k)
    }
}

/// A map in a vector: the harness's sets hold a handful of ids, where a linear scan beats
/// hashing (the hashing showed in profiles, under coverage instrumentation).
#[derive(Debug)]
pub(super) struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap(Vec::new())
    }
}

impl<K: PartialEq, V> VecMap<K, V> {
    /// Inserts `k` unless present; returns whether it was new.
    pub(super) fn insert(&mut self, k: K, v: V) -> bool {
        if self.contains(&k) {
            return false;
        }
        self.0.push((k, v));
        true
    }

    pub(super) fn remove(&mut self, k: &K) -> bool {
        let before = self.0.len();
        self.0.retain(|(x, _)| x != k);
        self.0.len() != before
    }

    pub(super) fn contains(&self, k: &K) -> bool {
        self.0.iter().any(|(x, _)| x == k)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
