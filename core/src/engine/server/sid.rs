//! Session ids: 20 characters of base64url, as the reference's `base64id`, from a
//! cryptographic generator (session ids authenticate every request of their session).

use crate::Str;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// ChaCha20 (RFC 8439) in counter mode over a 256-bit seed: unpredictable ids for anyone who
/// does not know the seed, however many ids they see; deterministic for a given seed (tests
/// replay exactly).
#[derive(Clone)]
pub(crate) struct SidGenerator {
    key: [u32; 8],
    counter: u64,
    block: [u8; 64],
    used: usize,
}

impl std::fmt::Debug for SidGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SidGenerator")
    }
}

impl SidGenerator {
    pub(crate) fn new(seed: [u8; 32]) -> Self {
        let mut key = [0u32; 8];
        for (k, chunk) in key.iter_mut().zip(seed.chunks_exact(4)) {
            *k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        SidGenerator {
            key,
            counter: 0,
            block: [0; 64],
            used: 64,
        }
    }

    fn refill(&mut self) {
        const C: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
        let mut init = [0u32; 16];
        init[..4].copy_from_slice(&C);
        init[4..12].copy_from_slice(&self.key);
        init[12] = self.counter as u32;
        init[13] = (self.counter >> 32) as u32;
        self.counter = self.counter.wrapping_add(1);
        let mut x = init;
        fn qr(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
            x[a] = x[a].wrapping_add(x[b]);
            x[d] = (x[d] ^ x[a]).rotate_left(16);
            x[c] = x[c].wrapping_add(x[d]);
            x[b] = (x[b] ^ x[c]).rotate_left(12);
            x[a] = x[a].wrapping_add(x[b]);
            x[d] = (x[d] ^ x[a]).rotate_left(8);
            x[c] = x[c].wrapping_add(x[d]);
            x[b] = (x[b] ^ x[c]).rotate_left(7);
        }
        for _ in 0..10 {
            qr(&mut x, 0, 4, 8, 12);
            qr(&mut x, 1, 5, 9, 13);
            qr(&mut x, 2, 6, 10, 14);
            qr(&mut x, 3, 7, 11, 15);
            qr(&mut x, 0, 5, 10, 15);
            qr(&mut x, 1, 6, 11, 12);
            qr(&mut x, 2, 7, 8, 13);
            qr(&mut x, 3, 4, 9, 14);
        }
        for (i, (w, s)) in x.iter().zip(init.iter()).enumerate() {
            self.block[i * 4..i * 4 + 4].copy_from_slice(&w.wrapping_add(*s).to_le_bytes());
        }
        self.used = 0;
    }

    fn next_byte(&mut self) -> u8 {
        if self.used == 64 {
            self.refill();
        }
        self.used += 1;
        self.block[self.used - 1]
    }

    /// 120 random bits as 20 base64url characters (the reference encodes 15 random bytes).
    pub(crate) fn next_sid(&mut self) -> Str {
        let mut out = String::with_capacity(20);
        for _ in 0..20 {
            out.push(char::from(ALPHABET[usize::from(self.next_byte() & 63)]));
        }
        Str::from(out)
    }
}

/// 256 bits from the operating system's randomness, through std (its hash keys are drawn from
/// the OS on first use; each `RandomState` after that differs, and SipHash under a secret key
/// is a PRF): no dependency, no I/O of our own.
pub(crate) fn os_seed() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut seed = [0u8; 32];
    for (i, chunk) in seed.chunks_exact_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    seed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_20_base64url_chars_and_distinct() {
        let mut g = SidGenerator::new([7; 32]);
        let a = g.next_sid();
        let b = g.next_sid();
        assert_eq!(a.len(), 20);
        assert!(a.bytes().iter().all(|c| ALPHABET.contains(c)));
        assert_ne!(a, b);
        assert_eq!(SidGenerator::new([7; 32]).next_sid(), a);
        assert_ne!(SidGenerator::new([8; 32]).next_sid(), a);
    }

    #[test]
    fn chacha20_block_matches_rfc8439() {
        // RFC 7539 appendix A.1, test vector #1: all-zero key, nonce and counter.
        let mut g = SidGenerator::new([0; 32]);
        g.refill();
        assert_eq!(
            &g.block[..16],
            &[
                0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86,
                0xbd, 0x28
            ]
        );
    }

    #[test]
    fn os_seeds_differ() {
        assert_ne!(os_seed(), os_seed());
    }
}
