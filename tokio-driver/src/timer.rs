//! The one timer of a server: sleeps until the core's next deadline, then fires it.

use std::future::poll_fn;

use sio_core::api::EngineIo;
use tokio::time::{sleep_until, Instant};

/// Runs until the task is aborted.
pub(crate) async fn run(io: EngineIo) {
    let mut armed = None;
    let far = || Instant::now() + std::time::Duration::from_secs(86_400 * 365);
    let sleep = sleep_until(far());
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            deadline = poll_fn(|cx| io.poll_deadline(armed, cx)) => {
                armed = deadline;
                let at = deadline.map_or_else(far, Instant::from_std);
                sleep.as_mut().reset(at);
            }
            () = &mut sleep, if armed.is_some() => {
                io.handle_timeout(crate::now());
            }
        }
    }
}
