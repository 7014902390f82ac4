//! The fixed table of a session's timers.

use std::time::Instant;

/// A session's timers. Each is armed at most once at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Send the next ping.
    PingInterval = 0,
    /// The pong is overdue: close with "ping timeout".
    PingTimeout = 1,
    /// The probing WebSocket did not complete the upgrade in time.
    UpgradeTimeout = 2,
    /// While an upgrade is pending, release the parked GET with a `noop` (every 100 ms).
    UpgradeCheck = 3,
    /// A forced close over polling gave up waiting for a GET to deliver `close`.
    Close = 4,
}

impl Timer {
    pub(crate) const ALL: [Timer; 5] = [
        Timer::PingInterval,
        Timer::PingTimeout,
        Timer::UpgradeTimeout,
        Timer::UpgradeCheck,
        Timer::Close,
    ];
}

/// Deadlines of a session's timers, indexed by [`Timer`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; 5],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.data[timer as usize] = None;
    }

    /// The earliest armed deadline.
    pub(crate) fn next_timeout(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }

    /// Disarms and returns `timer` if it expired at `now`.
    pub(crate) fn take_expired(&mut self, timer: Timer, now: Instant) -> bool {
        match self.data[timer as usize] {
            Some(at) if at <= now => {
                self.data[timer as usize] = None;
                true
            }
            _ => false,
        }
    }
}
