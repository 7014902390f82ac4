//! [`Runtime`]: the little a driver's async runtime lends the async layer; and how a handler's
//! future is started at once, in place, before it gets a task of its own (if it waits).

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// A boxed, sendable future with no result.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What the async layer needs from the runtime a driver runs on: spawning, and the clock.
/// Each driver implements it in a few lines (`tokio::spawn`, `smol::spawn`, …).
pub trait Runtime: Send + Sync + 'static {
    /// Runs `future` to completion in the background.
    fn spawn(&self, future: BoxFuture);
    /// The current time, from the runtime's clock (tokio's, so paused-clock tests work).
    fn now(&self) -> Instant;
    /// Milliseconds since the Unix epoch (a socket's `handshake.issued`).
    fn unix_millis(&self) -> u64;
    /// Runs `work`, which computes for a while without waiting (checking a password hash),
    /// where it does not hold up the tasks (tokio's `spawn_blocking`, smol's `unblock`). By
    /// default it runs at once, on the caller's thread.
    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send>) {
        work();
    }
}

/// Polls a handler's future once now; only if it waits does it get a task of its own. So the
/// part of a handler before its first `.await` runs before the next event is dispatched (a
/// Node.js handler's synchronous part), without a task per message. A handler that panics is
/// dropped there, as a spawned task's panic ends only that task: whoever runs it (a
/// connection's task, a socket's task) and the later events are unharmed.
pub(crate) fn run_inline(rt: &dyn Runtime, fut: BoxFuture) {
    if let Some(fut) = poll_inline(fut) {
        rt.spawn(fut);
    }
}

/// Polls `fut` once now, as [`run_inline`]; returns it if it waits (for the caller to spawn),
/// `None` if it is done (or panicked).
pub(crate) fn poll_inline(mut fut: BoxFuture) -> Option<BoxFuture> {
    waits_after_one_poll(fut.as_mut()).then_some(fut)
}

/// Polls `fut` once (no waker: whoever runs it on polls it again); whether it waits. A panic
/// counts as done.
fn waits_after_one_poll<F: Future<Output = ()> + ?Sized>(fut: Pin<&mut F>) -> bool {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let poll = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.poll(&mut cx)));
    matches!(poll, Ok(std::task::Poll::Pending))
}

/// Starts the futures of one handler (all of type `F`) as [`poll_inline`] does, in a box kept
/// from one call to the next: a handler that does not wait costs no allocation per call. The
/// box is boxed again as a [`BoxFuture`] only for a future that waits (its task).
pub(crate) struct InlineStarter<F> {
    /// The box of the last future that finished at once, empty; `None` while another call
    /// (another thread) has it.
    spare: std::sync::Mutex<Option<Pin<Box<Option<F>>>>>,
}

impl<F: Future<Output = ()> + Send + 'static> InlineStarter<F> {
    pub(crate) fn new() -> Self {
        InlineStarter {
            spare: std::sync::Mutex::new(None),
        }
    }

    /// Polls `fut` once now; returns it if it waits (for the caller to spawn), `None` if it
    /// is done (or panicked).
    pub(crate) fn start(&self, fut: F) -> Option<BoxFuture> {
        // Held through the poll, so that the box goes back without a second lock: a call
        // meanwhile (another thread, or this handler started again from inside its own
        // future) finds the spare taken and allocates, as it would have anyway. The poll
        // cannot unwind through the guard (a panic is caught there).
        let mut guard = self.spare.try_lock().ok();
        let spare = guard.as_mut().and_then(|s| s.take());
        let mut slot = spare.unwrap_or_else(|| Box::pin(None));
        slot.set(Some(fut));
        let waits = slot.as_mut().as_pin_mut().is_some_and(waits_after_one_poll);
        if waits {
            return Some(Box::pin(Started(slot)));
        }
        // Done (or panicked): the future is dropped here and its box kept.
        slot.set(None);
        if let Some(s) = guard.as_mut() {
            **s = Some(slot);
        }
        None
    }
}

/// A future started by [`InlineStarter::start`] that waited, run on by its task.
struct Started<F>(Pin<Box<Option<F>>>);

impl<F: Future<Output = ()>> Future for Started<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        match self.get_mut().0.as_mut().as_pin_mut() {
            Some(f) => f.poll(cx),
            None => std::task::Poll::Ready(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A future that waits `waits` times (waking itself), then counts its end in `done`.
    async fn job(waits: usize, done: Arc<AtomicUsize>) {
        for _ in 0..waits {
            let mut first = true;
            std::future::poll_fn(|cx| {
                if std::mem::take(&mut first) {
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                } else {
                    std::task::Poll::Ready(())
                }
            })
            .await;
        }
        done.fetch_add(1, Ordering::SeqCst);
    }

    fn run_to_end(mut fut: BoxFuture) {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        while fut.as_mut().poll(&mut cx).is_pending() {}
    }

    #[test]
    fn a_future_that_does_not_wait_ends_at_once_and_one_that_waits_is_handed_back() {
        let done = Arc::new(AtomicUsize::new(0));
        let starter = InlineStarter::new();
        assert!(starter.start(job(0, done.clone())).is_none());
        assert_eq!(done.load(Ordering::SeqCst), 1);
        // Its box is kept for the next call, and then the next.
        let kept_box =
            |s: &InlineStarter<_>| s.spare.lock().unwrap().as_ref().map(|b| &**b as *const _);
        let kept = kept_box(&starter);
        assert!(kept.is_some());
        assert!(starter.start(job(0, done.clone())).is_none());
        assert_eq!(kept_box(&starter), kept);
        assert_eq!(done.load(Ordering::SeqCst), 2);

        // One that waits comes back unfinished (taking the kept box with it), and ends when
        // run on; meanwhile another call gets a box of its own.
        let waiting = starter.start(job(2, done.clone())).expect("it waits");
        assert_eq!(done.load(Ordering::SeqCst), 2);
        assert!(starter.spare.lock().unwrap().is_none());
        assert!(starter.start(job(0, done.clone())).is_none());
        assert_eq!(done.load(Ordering::SeqCst), 3);
        run_to_end(waiting);
        assert_eq!(done.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_panicking_future_is_dropped_and_the_next_one_runs() {
        let done = Arc::new(AtomicUsize::new(0));
        let starter = InlineStarter::new();
        let fail = Arc::new(AtomicUsize::new(1));
        let make = |done: Arc<AtomicUsize>, fail: Arc<AtomicUsize>| async move {
            if fail.swap(0, Ordering::SeqCst) == 1 {
                panic!("handler fails");
            }
            done.fetch_add(1, Ordering::SeqCst);
        };
        assert!(starter.start(make(done.clone(), fail.clone())).is_none());
        assert_eq!(done.load(Ordering::SeqCst), 0);
        assert!(starter.start(make(done.clone(), fail.clone())).is_none());
        assert_eq!(done.load(Ordering::SeqCst), 1);
    }
}
