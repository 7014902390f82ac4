//! [`WsOutbox`]: the frames waiting for one WebSocket, shared by the server (which fills it
//! while it holds its lock) and the WebSocket's task (which empties it without that lock).

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use smallvec::SmallVec;

use crate::engine::Frame;

/// What the driver does next on a WebSocket, from [`WsOutbox::poll_take`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsOutgoing {
    /// Frames to write, in order. One frame (a broadcast's usual share) is held inline:
    /// taking it touches no other buffer.
    Frames(SmallVec<[Frame; 1]>),
    /// Close the WebSocket (every frame queued before the order was taken already).
    Close,
}

/// The outgoing side of one open WebSocket, returned by
/// [`EngineIo::ws_open`](super::EngineIo::ws_open). Its task waits on
/// [`poll_take`](Self::poll_take); a broadcast to many WebSockets therefore wakes each task
/// without making each take the server's lock again.
#[derive(Debug, Clone, Default)]
pub struct WsOutbox {
    inner: Arc<Mutex<Queue>>,
}

#[derive(Debug, Default)]
struct Queue {
    frames: SmallVec<[Frame; 1]>,
    close: bool,
    waker: Option<Waker>,
}

impl WsOutbox {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing in here can be left half-updated by a panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a frame and wakes the task.
    pub(crate) fn push(&self, frame: Frame) {
        let mut q = self.lock();
        q.frames.push(frame);
        if let Some(w) = q.waker.take() {
            w.wake();
        }
    }

    /// Orders the task to close the WebSocket once the queued frames are written.
    pub(crate) fn close(&self) {
        let mut q = self.lock();
        q.close = true;
        if let Some(w) = q.waker.take() {
            w.wake();
        }
    }

    /// The task is running and will call [`poll_take`](Self::poll_take) before it waits
    /// again: frames queued meanwhile (the answers its own handlers send) need not wake it,
    /// which would only cost it an empty poll.
    pub fn awake(&self) {
        self.lock().waker = None;
    }

    /// Takes every queued frame ([`WsOutgoing::Frames`]), or returns [`WsOutgoing::Close`]
    /// once nothing is left and the server closed the WebSocket; otherwise `Pending` until
    /// either happens.
    pub fn poll_take(&self, cx: &mut Context<'_>) -> Poll<WsOutgoing> {
        let mut q = self.lock();
        if !q.frames.is_empty() {
            return Poll::Ready(WsOutgoing::Frames(std::mem::take(&mut q.frames)));
        }
        if q.close {
            return Poll::Ready(WsOutgoing::Close);
        }
        match &q.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => q.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
