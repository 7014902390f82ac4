//! [`WsOutbox`]: the frames waiting for one WebSocket, shared by the server (which fills it
//! while it holds its lock) and the WebSocket's task (which empties it without that lock),
//! and the task's note of whether its reader has anything new.

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

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
///
/// The task polls its WebSocket reader with [`read_waker`](Self::read_waker) and only after
/// [`take_read_ready`](Self::take_read_ready) says so: a task woken only to write then
/// leaves the reader alone (polling it costs a WebSocket library a buffer fill and a waker
/// registration each time).
#[derive(Debug, Clone)]
pub struct WsOutbox {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared(Mutex<Queue>);

#[derive(Debug)]
struct Queue {
    frames: SmallVec<[Frame; 1]>,
    close: bool,
    /// The reader may make progress: not polled since its last wake-up.
    read_ready: bool,
    /// The task, while it waits.
    waker: Option<Waker>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing in here can be left half-updated by a panic.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The reader's waker: notes the reader is ready, then wakes the task.
impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut q = self.lock();
        q.read_ready = true;
        if let Some(w) = q.waker.take() {
            w.wake();
        }
    }
}

impl Default for WsOutbox {
    fn default() -> Self {
        WsOutbox {
            inner: Arc::new(Shared(Mutex::new(Queue {
                frames: SmallVec::new(),
                close: false,
                read_ready: true,
                waker: None,
            }))),
        }
    }
}

impl WsOutbox {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.inner.lock()
    }

    /// The waker to poll the WebSocket's reader with.
    pub fn read_waker(&self) -> Waker {
        Waker::from(self.inner.clone())
    }

    /// Whether the reader has been woken since this last returned `true` (it starts `true`);
    /// clears the note. The task polls its reader only then, until the reader is pending.
    /// Called after a pending [`poll_take`](Self::poll_take) too: a wake-up that came while
    /// the task was running is seen there, not lost.
    pub fn take_read_ready(&self) -> bool {
        std::mem::take(&mut self.lock().read_ready)
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

    /// The task is running and will call [`poll_take`](Self::poll_take) (and
    /// [`take_read_ready`](Self::take_read_ready)) before it waits again: what happens
    /// meanwhile (the answers its own handlers send) need not wake it, which would only cost
    /// it an empty poll.
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use super::{WsOutbox, WsOutgoing};
    use crate::engine::Frame;
    use crate::Str;

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn text(s: &'static str) -> Frame {
        Frame::Text(Str::from_static(s))
    }

    #[test]
    fn frames_wake_a_waiting_task_and_come_out_in_order_then_the_close() {
        let outbox = WsOutbox::default();
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        assert_eq!(outbox.poll_take(&mut cx), Poll::Pending);
        outbox.push(text("4a"));
        outbox.push(text("4b"));
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "one wake-up for the waiting task"
        );
        match outbox.poll_take(&mut cx) {
            Poll::Ready(WsOutgoing::Frames(f)) => assert_eq!(f.to_vec(), [text("4a"), text("4b")]),
            other => panic!("expected frames, got {other:?}"),
        }
        outbox.push(text("4c"));
        outbox.close();
        // The frames queued before the close still leave first.
        assert!(matches!(
            outbox.poll_take(&mut cx),
            Poll::Ready(WsOutgoing::Frames(_))
        ));
        assert_eq!(outbox.poll_take(&mut cx), Poll::Ready(WsOutgoing::Close));
    }

    #[test]
    fn a_running_task_is_not_woken_by_its_own_frames() {
        let outbox = WsOutbox::default();
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        assert_eq!(outbox.poll_take(&mut cx), Poll::Pending);
        outbox.awake();
        outbox.push(text("4a"));
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        assert!(matches!(
            outbox.poll_take(&mut cx),
            Poll::Ready(WsOutgoing::Frames(_))
        ));
    }

    #[test]
    fn the_reader_wake_up_is_noted_even_while_the_task_runs() {
        let outbox = WsOutbox::default();
        assert!(outbox.take_read_ready(), "a new connection reads first");
        assert!(!outbox.take_read_ready(), "taking the note clears it");
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        // Running: no task waker stored; the note alone is kept.
        outbox.read_waker().wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        assert_eq!(outbox.poll_take(&mut cx), Poll::Pending);
        assert!(outbox.take_read_ready(), "seen after registering, not lost");
        // Waiting: the reader's wake-up wakes the task.
        outbox.read_waker().wake_by_ref();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(outbox.take_read_ready());
    }
}
