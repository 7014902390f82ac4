//! [`WsOutbox`]: the frames waiting for one WebSocket, shared by the server (which fills it
//! while it holds its lock) and the WebSocket's task (which empties it without that lock).

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::engine::Frame;

/// What the driver does next on a WebSocket, from [`WsOutbox::poll_take`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsOutgoing {
    /// Frames were moved into the caller's vector: write them, in order.
    Frames,
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
    frames: Vec<Frame>,
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

    /// Moves every queued frame into `frames` (appended) and returns
    /// [`WsOutgoing::Frames`], or returns [`WsOutgoing::Close`] once nothing is left and the
    /// server closed the WebSocket; otherwise `Pending` until either happens.
    ///
    /// Passing the same, emptied vector every time lets the two swap their buffers, so a
    /// busy WebSocket allocates nothing per message.
    pub fn poll_take(&self, cx: &mut Context<'_>, frames: &mut Vec<Frame>) -> Poll<WsOutgoing> {
        let mut q = self.lock();
        if !q.frames.is_empty() {
            if frames.is_empty() {
                std::mem::swap(&mut q.frames, frames);
            } else {
                frames.append(&mut q.frames);
            }
            return Poll::Ready(WsOutgoing::Frames);
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
