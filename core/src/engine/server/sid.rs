//! Session ids: 20 characters of base64url, as the reference's `base64id`.

use crate::Str;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A splitmix64 generator: small, fast, deterministic for a seed (tests replay exactly).
///
/// Not a cryptographic generator: seed it from the OS's randomness in production (see
/// [`ServerConfig::sid_seed`](super::ServerConfig::sid_seed)).
#[derive(Debug, Clone)]
pub(crate) struct SidGenerator {
    state: u64,
}

impl SidGenerator {
    pub(crate) fn new(seed: u64) -> Self {
        SidGenerator { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 120 random bits as 20 base64url characters (the reference encodes 15 random bytes).
    pub(crate) fn next_sid(&mut self) -> Str {
        let (a, b) = (self.next_u64(), self.next_u64());
        let mut out = String::with_capacity(20);
        for i in 0..20 {
            // 10 sextets from each word (60 of its 64 bits).
            let word = if i < 10 { a } else { b };
            let sextet = (word >> ((i % 10) * 6)) & 63;
            out.push(char::from(ALPHABET[sextet as usize]));
        }
        Str::from(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_20_base64url_chars_and_distinct() {
        let mut g = SidGenerator::new(7);
        let a = g.next_sid();
        let b = g.next_sid();
        assert_eq!(a.len(), 20);
        assert!(a.bytes().iter().all(|c| ALPHABET.contains(c)));
        assert_ne!(a, b);
        assert_eq!(SidGenerator::new(7).next_sid(), a);
    }
}
