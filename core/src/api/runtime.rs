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
}
