//! [`IdHash`]: the hasher of the tables keyed by Engine.IO session ids.
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
}
