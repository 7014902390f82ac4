//! [`IdHash`]: the hasher of the tables keyed by Engine.IO session ids (see
//! [`crate::id_map::IdMap`]); [`ids_equal`], the comparison of ids.
//!
//! Every message looks its session up two or three times (the Engine.IO session, the
//! Socket.IO connection), by a 20-character id whose characters are random (ChaCha20 output,
//! base64url). Hashing the id's last eight bytes instead of all of them tells ids apart as
//! well and costs a third: the table's own seeded hasher still mixes them, so the tables keep
//! their resistance to chosen keys as far as the ids are the server's.

use std::hash::{BuildHasher, Hasher};

use hashbrown::DefaultHashBuilder;

/// Builds [`IdHasher`]s over hashbrown's default (seeded) hasher.
#[derive(Clone, Default)]
pub(crate) struct IdHash(DefaultHashBuilder);

impl BuildHasher for IdHash {
    type Hasher = IdHasher<<DefaultHashBuilder as BuildHasher>::Hasher>;

    fn build_hasher(&self) -> Self::Hasher {
        IdHasher(self.0.build_hasher())
    }
}

/// Feeds the inner hasher the last eight bytes of a byte string (and what else it is given,
/// such as the length prefix, unchanged). Keys hashed as `Bytes` and lookups hashed as
/// `[u8]` write the same calls, so they still agree.
pub(crate) struct IdHasher<H>(H);

impl<H: Hasher> Hasher for IdHasher<H> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        match bytes.len().checked_sub(8) {
            Some(start) => {
                let mut tail = [0u8; 8];
                tail.copy_from_slice(&bytes[start..]);
                self.0.write_u64(u64::from_le_bytes(tail));
            }
            None => self.0.write(bytes),
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.0.write_u8(n)
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0.write_u64(n)
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0.write_usize(n)
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

/// Whether two ids are the same bytes, compared eight at a time in place: ids are short
/// (20 bytes), and a call to `memcmp` for each comparison costs more than the comparison.
#[inline]
pub(crate) fn ids_equal(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    if n > 32 {
        return a == b;
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(w)
    };
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    // The last eight bytes (overlapping the previous word when `n` is not a multiple).
    word(a, n - 8) == word(b, n - 8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use hashbrown::HashMap;

    #[test]
    fn keys_and_byte_lookups_agree() {
        let mut m: HashMap<Bytes, u32, IdHash> = HashMap::default();
        let ids = ["AAAAAAAAAAAAAAAAAAAA", "BAAAAAAAAAAAAAAAAAAA", "short", ""];
        for (i, id) in ids.iter().enumerate() {
            m.insert(Bytes::from_static(id.as_bytes()), i as u32);
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(m.get(id.as_bytes()), Some(&(i as u32)), "{id}");
        }
        assert_eq!(m.get(&b"AAAAAAAAAAAAAAAAAAAB"[..]), None);
    }

    #[test]
    fn ids_equal_is_byte_equality_at_every_length_and_position() {
        let base: Vec<u8> = (0..40u8).map(|i| b'A' + i).collect();
        for n in 0..=40 {
            let a = &base[..n];
            let copy = a.to_vec();
            assert!(ids_equal(a, &copy), "{n}");
            for at in 0..n {
                let mut b = a.to_vec();
                b[at] ^= 1;
                assert!(!ids_equal(a, &b), "length {n}, differing at {at}");
            }
            if n > 0 {
                assert!(!ids_equal(a, &base[..n - 1]), "{n}");
            }
        }
    }
}
