//! The one timer of a server: sleeps until the core's next deadline, then fires it.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use sio_core::api::EngineIo;
use smol::Timer;

/// What woke the timer task.
enum Wake {
    /// The core's next deadline changed (to this).
    Deadline(Option<std::time::Instant>),
    /// The armed deadline passed.
    Fired,
}

/// Runs until its task is dropped. One [`Timer`], re-armed in place (`set_at`).
pub(crate) async fn run(io: EngineIo) {
    let mut timer = Timer::never();
    let mut armed = None;
    loop {
        let wake = poll_fn(|cx| {
            if let Poll::Ready(deadline) = io.poll_deadline(armed, cx) {
                return Poll::Ready(Wake::Deadline(deadline));
            }
            if armed.is_some() && Pin::new(&mut timer).poll(cx).is_ready() {
                return Poll::Ready(Wake::Fired);
            }
            Poll::Pending
        })
        .await;
        match wake {
            Wake::Deadline(deadline) => {
                armed = deadline;
                match deadline {
                    Some(at) => timer.set_at(at),
                    None => timer.clear(),
                }
            }
            Wake::Fired => {
                // The timer is spent: re-arm it from whatever deadline the core has next.
                armed = None;
                io.handle_timeout(crate::now());
            }
        }
    }
}
