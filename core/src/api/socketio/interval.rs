//! Periodic work on the server's own timer (the Admin UI's stats every 2 s): deadlines in the
//! layer's [`poll_timeout`](crate::api::engine::EngineIo::poll_deadline), so the driver's one
//! timer serves them and the core needs no sleep from the runtime. The work runs outside the
//! lock, in the drain that runs handlers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::SocketIo;

/// Periodic work: returns whether it goes on.
pub(crate) type Tick = Arc<dyn Fn(&SocketIo) -> bool + Send + Sync>;

struct Interval {
    next: Instant,
    period: Duration,
    tick: Tick,
}

/// The layer's periodic work, and the ticks due to run.
#[derive(Default)]
pub(crate) struct Intervals {
    list: Vec<Interval>,
    due: Vec<Tick>,
}

impl Intervals {
    /// Marks what is due at `now` and sets its next deadline.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        for it in &mut self.list {
            if it.next <= now {
                it.next = now + it.period;
                self.due.push(it.tick.clone());
            }
        }
    }

    #[inline]
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.list.is_empty() {
            return None;
        }
        self.list.iter().map(|i| i.next).min()
    }

    pub(crate) fn has_due(&self) -> bool {
        !self.due.is_empty()
    }

    pub(crate) fn take_due(&mut self) -> Vec<Tick> {
        std::mem::take(&mut self.due)
    }

    /// Removes the intervals whose tick said stop (by identity: indexes may have moved).
    fn stop(&mut self, stopped: &[Tick]) {
        self.list
            .retain(|i| !stopped.iter().any(|s| Arc::ptr_eq(s, &i.tick)));
    }
}

impl SocketIo {
    /// Runs `tick` now and then every `period` on the server's timer, outside its lock, until
    /// it returns false.
    #[cfg_attr(not(feature = "admin-ui"), allow(dead_code))]
    pub(crate) fn every(
        &self,
        period: Duration,
        tick: impl Fn(&SocketIo) -> bool + Send + Sync + 'static,
    ) {
        let now = self.rt().now();
        let tick: Tick = Arc::new(tick);
        self.with(|l, _| {
            l.intervals.list.push(Interval {
                next: now,
                period,
                tick,
            });
            l.intervals.handle_timeout(now);
        });
    }

    /// Runs the ticks that were due (called by the drain, outside the lock).
    pub(crate) fn run_ticks(&self, due: Vec<Tick>) {
        let stopped: Vec<Tick> = due.into_iter().filter(|t| !t(self)).collect();
        if !stopped.is_empty() {
            self.with_untimed(|l, _| l.intervals.stop(&stopped));
        }
    }
}
