//! The server's timers: one heap of deadlines with lazy invalidation.
//!
//! A timer is armed by pushing `(deadline, what)`; the record it concerns (a connection, an
//! ack wait, a kept session) stores its deadline too. An entry whose record is gone or whose
//! deadline moved is stale and is dropped when it reaches the top, so disarming costs nothing.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::ids::SocketId;
use crate::Str;

/// What a deadline is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Timer {
    /// The Engine.IO connection `sid` joined no namespace in time.
    ConnectTimeout(Str),
    /// Socket `.0` did not answer ack `.1` in time.
    Ack(SocketId, u64),
    /// A broadcast with ack is over.
    BroadcastAck(u64),
    /// The kept session of this pid expires.
    Session(Str),
}

#[derive(Debug, Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, Timer)>>,
}

impl Timers {
    pub(super) fn arm(&mut self, at: Instant, timer: Timer) {
        self.heap.push(Reverse((at, timer)));
    }

    pub(super) fn peek(&self) -> Option<&(Instant, Timer)> {
        self.heap.peek().map(|Reverse(e)| e)
    }

    pub(super) fn pop(&mut self) -> Option<(Instant, Timer)> {
        self.heap.pop().map(|Reverse(e)| e)
    }
}
