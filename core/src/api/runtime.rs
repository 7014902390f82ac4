//! [`Runtime`]: the little a driver's async runtime lends the async layer.

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
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let poll =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)));
    match poll {
        Ok(std::task::Poll::Pending) => Some(fut),
        _ => None,
    }
}
