//! [`WsOutbox`]: what one WebSocket's task does next. The server fills it while it holds its
//! own lock (frames to write, the order to close or drop the connection, to pause reading);
//! the connection's reader marks it when it may have something to read; the task takes the
//! next step without the server's lock.
//!
//! It also keeps the count of what the task wrote, so the server learns it (its backpressure
//! accounting, [`Server::handle_ws_written`](crate::engine::server::Server::handle_ws_written))
//! without a lock per write: the count is handed over with the connection's next incoming
//! batch, or on its own once it grows past a few KiB, or at once while the connection is
//! congested (more than half its limit outstanding), when the server needs it to be exact.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use smallvec::SmallVec;

use super::engine::wake;
use crate::engine::server::queued_size;
use crate::engine::Frame;

/// Frames for one WebSocket, in order. One frame (a broadcast's usual share) is held inline:
/// taking it touches no other buffer.
pub type WsFrames = SmallVec<[Frame; 1]>;

/// The largest frame buffer [`WsOutbox::recycle`] keeps.
const KEPT_FRAMES: usize = 32;

/// What a WebSocket's task does next, from [`WsOutbox::poll_next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsNext {
    /// Read: the reader was woken (or the connection is new). Read until the reader is
    /// pending, then hand what came to [`EngineIo::ws_messages`](super::EngineIo::ws_messages).
    Read,
    /// Write these frames, in order.
    Write(WsFrames),
    /// Close the WebSocket (every frame queued before the order was taken already).
    Close,
    /// Drop the connection now, without a close frame and without writing what is left.
    Abort,
}

/// Written bytes are reported to the server once this many have gathered (or the server's
/// high-water mark halved, if smaller), unless the connection's incoming batch or its
/// congestion hands them over first.
const REPORT_EVERY: usize = 8 * 1024;

/// The shared state of one open WebSocket, returned by
/// [`EngineIo::ws_open`](super::EngineIo::ws_open). Its task waits on
/// [`poll_next`](Self::poll_next) and polls its WebSocket reader with
/// [`read_waker`](Self::read_waker). So a broadcast wakes each task without making each take the
/// server's lock again, and a task woken to write leaves its reader alone (polling a reader
/// costs a WebSocket library a buffer fill and a waker registration each time).
#[derive(Debug, Clone)]
pub struct WsOutbox {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    queue: Mutex<Queue>,
    /// Set (once) by [`WsOutbox::abort`]; read without the lock by a task between writes.
    aborted: AtomicBool,
    /// Written (flushed) and not yet reported to the server, in `queued_size` units; taken
    /// without the lock by the connection's incoming batch.
    unreported: AtomicUsize,
}

#[derive(Debug)]
struct Queue {
    frames: WsFrames,
    close: bool,
    abort: bool,
    /// Reading is paused (the application is behind): no [`WsNext::Read`] until resumed.
    paused: bool,
    /// The reader may make progress: woken since the task last took [`WsNext::Read`].
    read_ready: bool,
    /// The task, while it waits. Cleared when it takes a step: until it polls again it is
    /// running, and what happens meanwhile (its own handlers' answers) need not wake it.
    waker: Option<Waker>,
    /// The task while it writes, to wake on [`abort`](WsOutbox::abort) only.
    abort_waker: Option<Waker>,
    /// [`queued_size`] of `frames`.
    pending: usize,
    /// [`queued_size`] of the frames of the last [`WsNext::Write`], until flushed.
    taken: usize,
    /// The server's high-water mark: above it, the count is reported after every write.
    high_water: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing in here can be left half-updated by a panic.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
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
        wake(&mut q.waker);
    }
}

impl Default for WsOutbox {
    fn default() -> Self {
        Self::new(usize::MAX)
    }
}

impl Queue {
    fn take_write(&mut self) -> Option<WsNext> {
        if !self.frames.is_empty() {
            self.taken += std::mem::take(&mut self.pending);
            Some(WsNext::Write(std::mem::take(&mut self.frames)))
        } else if self.close {
            Some(WsNext::Close)
        } else {
            None
        }
    }
}

impl WsOutbox {
    /// An outbox for a server whose high-water mark (half its `max_buffered_bytes`) is
    /// `high_water`.
    pub(crate) fn new(high_water: usize) -> Self {
        WsOutbox {
            inner: Arc::new(Shared {
                aborted: AtomicBool::new(false),
                unreported: AtomicUsize::new(0),
                queue: Mutex::new(Queue {
                    frames: WsFrames::new(),
                    close: false,
                    abort: false,
                    paused: false,
                    read_ready: true,
                    waker: None,
                    abort_waker: None,
                    pending: 0,
                    taken: 0,
                    high_water,
                }),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.inner.lock()
    }

    /// The waker to poll the WebSocket's reader with. Waking it by hand (after stopping a
    /// read early) makes the next step a [`WsNext::Read`] again.
    pub fn read_waker(&self) -> Waker {
        Waker::from(self.inner.clone())
    }

    /// Queues a frame and wakes the task.
    #[inline]
    pub(crate) fn push(&self, frame: Frame) {
        let mut q = self.lock();
        q.pending += queued_size(&frame);
        q.frames.push(frame);
        wake(&mut q.waker);
    }

    /// Queues frames, in order, and wakes the task once.
    pub(crate) fn push_all(&self, frames: impl IntoIterator<Item = Frame>) {
        let mut q = self.lock();
        for frame in frames {
            q.pending += queued_size(&frame);
            q.frames.push(frame);
        }
        wake(&mut q.waker);
    }

    /// Gives back the buffer of a [`WsNext::Write`] the task is done with (its frames
    /// written), for the frames queued next: a connection that gets several frames at a time
    /// (the answers to a batch of messages) then allocates no buffer for each batch. Only a
    /// spilled buffer of at most 32 frames is kept (and only while no frame is queued), so an
    /// idle connection holds little.
    pub fn recycle(&self, mut frames: WsFrames) {
        if !frames.spilled() || frames.capacity() > KEPT_FRAMES {
            return;
        }
        frames.clear();
        let mut q = self.lock();
        if q.frames.is_empty() && !q.frames.spilled() {
            q.frames = frames;
        }
    }

    /// Orders the task to close the WebSocket once the queued frames are written.
    pub(crate) fn close(&self) {
        let mut q = self.lock();
        q.close = true;
        wake(&mut q.waker);
    }

    /// Orders the task to drop the connection now, even in the middle of a write.
    pub(crate) fn abort(&self) {
        self.inner.aborted.store(true, Ordering::Release);
        let mut q = self.lock();
        q.abort = true;
        q.frames.clear();
        wake(&mut q.waker);
        wake(&mut q.abort_waker);
    }

    /// Pauses or resumes reading (the task goes on writing).
    pub(crate) fn set_paused(&self, paused: bool) {
        let mut q = self.lock();
        q.paused = paused;
        if !paused && q.read_ready {
            wake(&mut q.waker);
        }
    }

    /// Whether the task was told to [`WsNext::Abort`] (no lock: cheap between writes).
    pub fn is_aborted(&self) -> bool {
        self.inner.aborted.load(Ordering::Acquire)
    }

    /// Whether the task was told to [`WsNext::Abort`]; while not, registers `cx` to be woken
    /// when it is. A task calls this before it waits on a write that may never complete (a
    /// peer that stopped reading).
    pub fn poll_aborted(&self, cx: &mut Context<'_>) -> bool {
        let mut q = self.lock();
        if q.abort {
            return true;
        }
        match &q.abort_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => q.abort_waker = Some(cx.waker().clone()),
        }
        false
    }

    /// The frames of the last [`WsNext::Write`] are written and flushed. Returns whether the
    /// server should be told now ([`EngineIo::ws_flushed`](super::EngineIo::ws_flushed) does
    /// it); otherwise the count waits for the connection's next incoming batch.
    pub(crate) fn flushed(&self) -> bool {
        let mut q = self.lock();
        let taken = std::mem::take(&mut q.taken);
        let unreported = self.inner.unreported.fetch_add(taken, Ordering::AcqRel) + taken;
        let outstanding = q.pending + unreported;
        outstanding > q.high_water || unreported >= REPORT_EVERY.min(q.high_water / 2)
    }

    /// Takes the written bytes not yet reported to the server.
    pub(crate) fn take_unreported(&self) -> usize {
        self.inner.unreported.swap(0, Ordering::AcqRel)
    }

    /// The task's next step; `Pending` (the task registered) until there is one. With both a
    /// read and a write to do, `write_first` picks (a task that just read writes the answers
    /// first; one that just wrote reads first).
    ///
    /// After writing and flushing the frames of a [`WsNext::Write`], the task reports it with
    /// [`EngineIo::ws_flushed`](super::EngineIo::ws_flushed).
    pub fn poll_next(&self, cx: &mut Context<'_>, write_first: bool) -> Poll<WsNext> {
        let mut q = self.lock();
        if q.abort {
            q.waker = None;
            return Poll::Ready(WsNext::Abort);
        }
        let readable = q.read_ready && !q.paused;
        let write = if write_first || !readable {
            q.take_write()
        } else {
            None
        };
        let next = write
            .or_else(|| {
                let read = q.read_ready && !q.paused;
                if read {
                    q.read_ready = false;
                }
                read.then_some(WsNext::Read)
            })
            .or_else(|| q.take_write());
        match next {
            Some(step) => {
                q.waker = None;
                Poll::Ready(step)
            }
            None => {
                match &q.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => q.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use super::{WsNext, WsOutbox};
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

    /// An outbox past its first read, with a waker counting wake-ups.
    fn waiting() -> (WsOutbox, Arc<Count>, Waker) {
        let outbox = WsOutbox::default();
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        assert_eq!(
            outbox.poll_next(&mut cx, false),
            Poll::Ready(WsNext::Read),
            "a new connection reads first"
        );
        assert_eq!(outbox.poll_next(&mut cx, false), Poll::Pending);
        (outbox, count, waker)
    }

    fn woken(count: &Count) -> usize {
        count.0.load(Ordering::SeqCst)
    }

    #[test]
    fn frames_wake_a_waiting_task_and_come_out_in_order_then_the_close() {
        let (outbox, count, waker) = waiting();
        let mut cx = Context::from_waker(&waker);
        outbox.push(text("4a"));
        outbox.push_all([text("4b"), text("4c")]);
        assert_eq!(woken(&count), 1, "one wake-up for the waiting task");
        match outbox.poll_next(&mut cx, false) {
            Poll::Ready(WsNext::Write(f)) => {
                assert_eq!(f.to_vec(), [text("4a"), text("4b"), text("4c")])
            }
            other => panic!("expected frames, got {other:?}"),
        }
        outbox.push_all([text("4d")]);
        outbox.close();
        // The frames queued before the close still leave first.
        assert!(matches!(
            outbox.poll_next(&mut cx, false),
            Poll::Ready(WsNext::Write(_))
        ));
        assert_eq!(outbox.poll_next(&mut cx, false), Poll::Ready(WsNext::Close));
    }

    #[test]
    fn a_running_task_is_not_woken_by_its_own_frames() {
        let (outbox, count, waker) = waiting();
        let mut cx = Context::from_waker(&waker);
        outbox.read_waker().wake();
        assert_eq!(woken(&count), 1);
        // Running from here: the answers it queues wake no one.
        assert_eq!(outbox.poll_next(&mut cx, false), Poll::Ready(WsNext::Read));
        outbox.push_all([text("4a")]);
        assert_eq!(woken(&count), 1);
        assert!(matches!(
            outbox.poll_next(&mut cx, true),
            Poll::Ready(WsNext::Write(_))
        ));
    }

    #[test]
    fn a_reader_wake_up_while_the_task_runs_is_kept_for_its_next_poll() {
        let (outbox, count, waker) = waiting();
        let mut cx = Context::from_waker(&waker);
        outbox.push_all([text("4a")]);
        assert!(matches!(
            outbox.poll_next(&mut cx, false),
            Poll::Ready(WsNext::Write(_))
        ));
        // Running (writing): the reader's wake-up is noted, not lost.
        outbox.read_waker().wake_by_ref();
        assert_eq!(woken(&count), 1, "only the frame's wake-up");
        assert_eq!(outbox.poll_next(&mut cx, false), Poll::Ready(WsNext::Read));
        assert_eq!(outbox.poll_next(&mut cx, false), Poll::Pending);
    }

    #[test]
    fn write_first_picks_between_a_read_and_a_write() {
        let (outbox, _count, waker) = waiting();
        let mut cx = Context::from_waker(&waker);
        outbox.push_all([text("4a")]);
        outbox.read_waker().wake_by_ref();
        assert_eq!(outbox.poll_next(&mut cx, false), Poll::Ready(WsNext::Read));
        outbox.read_waker().wake_by_ref();
        assert!(matches!(
            outbox.poll_next(&mut cx, true),
            Poll::Ready(WsNext::Write(_))
        ));
        assert_eq!(outbox.poll_next(&mut cx, true), Poll::Ready(WsNext::Read));
    }
}
