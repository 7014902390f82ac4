//! The reconnection delays: exponential, capped, randomized as the reference's `backo2`.

use std::time::Duration;

/// Exponential backoff with jitter: attempt `n` waits `min · 2ⁿ`, moved up or down by up to
/// `jitter` of itself at random, capped at `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    min_ms: f64,
    max_ms: f64,
    jitter: f64,
    attempts: u32,
    rng: u64,
}

impl Backoff {
    /// A backoff starting at `min`, capped at `max`, randomized by `jitter` (0 to 1), drawing
    /// its randomness from `seed`.
    pub fn new(min: Duration, max: Duration, jitter: f64, seed: u64) -> Self {
        Backoff {
            min_ms: min.as_millis() as f64,
            max_ms: max.as_millis() as f64,
            jitter: jitter.clamp(0.0, 1.0),
            attempts: 0,
            rng: seed,
        }
    }

    /// Attempts made since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Starts over from the first delay.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }

    /// The delay before the next attempt (and counts the attempt).
    pub fn duration(&mut self) -> Duration {
        let mut ms = self.min_ms * 2f64.powi(self.attempts.min(64) as i32);
        self.attempts = self.attempts.saturating_add(1);
        if self.jitter > 0.0 {
            let rand = self.random();
            let deviation = (rand * self.jitter * ms).floor();
            // The reference picks the direction from the same draw.
            ms = if ((rand * 10.0).floor() as u64) & 1 == 0 {
                ms - deviation
            } else {
                ms + deviation
            };
        }
        Duration::from_millis(ms.min(self.max_ms).max(0.0) as u64)
    }

    /// A number in [0, 1) (splitmix64).
    fn random(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_jitter_doubles_up_to_the_cap() {
        let mut b = Backoff::new(
            Duration::from_millis(1000),
            Duration::from_millis(5000),
            0.0,
            1,
        );
        let ds: Vec<u64> = (0..5).map(|_| b.duration().as_millis() as u64).collect();
        assert_eq!(ds, [1000, 2000, 4000, 5000, 5000]);
        assert_eq!(b.attempts(), 5);
        b.reset();
        assert_eq!(b.duration(), Duration::from_millis(1000));
    }

    #[test]
    fn jitter_stays_within_its_band() {
        let mut b = Backoff::new(
            Duration::from_millis(1000),
            Duration::from_millis(5000),
            0.5,
            42,
        );
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..200 {
            b.reset();
            let d = b.duration().as_millis() as u64;
            assert!((500..=1500).contains(&d), "{d}");
            seen_low |= d < 1000;
            seen_high |= d > 1000;
        }
        assert!(seen_low && seen_high);
    }
}
