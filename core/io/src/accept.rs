//! What a server's accept loop does when accepting a connection fails: the same in both
//! drivers.
//!
//! A failed accept never ends a driver's `serve`. An error that belongs to one connection (it
//! was reset or aborted while it waited in the listen queue) is passed over at once. Any other,
//! chiefly running out of file descriptors (`EMFILE`, `ENFILE`) or of memory, is logged and
//! the loop tries again after [`RETRY_AFTER`]: the connection that could not be taken stays
//! in the listen queue, so trying again at once would spin on it, while the sessions already
//! open go on. Node's `net` server keeps listening through the same errors, and hyper's and
//! axum's serve loops wait the same second.

use std::io;
use std::time::Duration;

/// How long the accept loop waits after an error that is not one connection's.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How long to wait before accepting again after `error`: nothing when it was one connection's
/// error, [`RETRY_AFTER`] (logged as a warning) otherwise.
pub fn retry_delay(error: &io::Error) -> Option<Duration> {
    use io::ErrorKind::*;
    match error.kind() {
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock => None,
        _ => {
            tracing::warn!(%error, "accepting a connection failed; trying again in 1 s");
            Some(RETRY_AFTER)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_connections_errors_are_passed_over_and_others_wait() {
        for kind in [
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::ConnectionRefused,
            io::ErrorKind::Interrupted,
        ] {
            assert_eq!(retry_delay(&io::Error::from(kind)), None, "{kind:?}");
        }
        // EMFILE: too many open files.
        let emfile = io::Error::from_raw_os_error(24);
        assert_eq!(retry_delay(&emfile), Some(RETRY_AFTER));
        assert_eq!(
            retry_delay(&io::Error::from(io::ErrorKind::OutOfMemory)),
            Some(RETRY_AFTER)
        );
    }
}
