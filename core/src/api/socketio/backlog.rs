//! The inbound limit: a client whose events the application is behind on is not read until
//! it catches up, so a flooding client cannot grow the server's memory.
//!
//! An event counts from the moment it is queued for its socket until every handler it ran
//! has finished (a handler that waits keeps counting while it waits; so does an event queued
//! behind a `socket.use` middleware). When a socket's count passes
//! [`max_pending_events`](super::SocketIoConfig::max_pending_events) events or
//! [`max_pending_bytes`](super::SocketIoConfig::max_pending_bytes) of arguments, its
//! connection's reading is paused
//! ([`Server::pause_reading`](crate::engine::server::Server::pause_reading): a WebSocket is not
//! read, a POST is not answered, so the client's own buffers and TCP hold what it sends); it
//! resumes once the count is back to half of both. Nothing is dropped and nothing is closed:
//! the client only slows down to the application's pace.

use hashbrown::HashMap;

use super::layer::Layer;
use super::SocketIo;
use crate::engine::server::Server;
use crate::Str;

/// The limits, and which connections are paused.
pub(crate) struct Backlog {
    max_events: u32,
    max_bytes: usize,
    /// Paused connections, with how many of their sockets want them paused.
    paused: HashMap<Str, u32>,
    /// What to tell the Engine.IO server: pause (`true`) or resume this connection.
    changes: Vec<(Str, bool)>,
    /// Times a socket went over a limit and asked for its connection to be paused.
    pub(crate) pauses: u64,
}

/// One socket's share of its connection's backlog.
#[derive(Debug, Default)]
pub(crate) struct Load {
    events: u32,
    bytes: usize,
    /// This socket asked for its connection to be paused.
    pausing: bool,
}

impl Backlog {
    pub(crate) fn new(max_events: usize, max_bytes: usize) -> Self {
        Backlog {
            max_events: u32::try_from(max_events).unwrap_or(u32::MAX).max(1),
            max_bytes: max_bytes.max(1),
            paused: HashMap::new(),
            changes: Vec::new(),
            pauses: 0,
        }
    }

    /// An event of `bytes` was queued for the socket of `load`, on connection `conn`.
    pub(crate) fn charge(&mut self, load: &mut Load, conn: &Str, bytes: usize) {
        load.events += 1;
        load.bytes += bytes;
        if !load.pausing && (load.events > self.max_events || load.bytes > self.max_bytes) {
            load.pausing = true;
            self.pauses += 1;
            self.changes.push((conn.clone(), true));
        }
    }

    /// An event of `bytes` of the socket of `load` is done with.
    pub(crate) fn release(&mut self, load: &mut Load, conn: &Str, bytes: usize) {
        load.events = load.events.saturating_sub(1);
        load.bytes = load.bytes.saturating_sub(bytes);
        if load.pausing && load.events <= self.max_events / 2 && load.bytes <= self.max_bytes / 2 {
            load.pausing = false;
            self.changes.push((conn.clone(), false));
        }
    }

    /// The socket of `load` is gone: it no longer holds its connection paused.
    pub(crate) fn socket_gone(&mut self, load: &Load, conn: &Str) {
        if load.pausing {
            self.changes.push((conn.clone(), false));
        }
    }

    /// Whether pauses or resumes wait to be told to the Engine.IO server.
    pub(crate) fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    /// The connections paused now.
    pub(crate) fn paused_count(&self) -> usize {
        self.paused.len()
    }

    /// Connection `conn` closed.
    pub(crate) fn forget(&mut self, conn: &Str) {
        self.paused.remove(conn);
        self.changes.retain(|(c, _)| c != conn);
    }
}

impl Layer {
    /// Carries out the pauses and resumes decided since the last call.
    pub(crate) fn apply_backlog(&mut self, engine: &mut Server) {
        if self.backlog.changes.is_empty() {
            return;
        }
        for (conn, pause) in std::mem::take(&mut self.backlog.changes) {
            let count = self.backlog.paused.entry(conn.clone()).or_default();
            if pause {
                *count += 1;
                if *count == 1 {
                    tracing::warn!(
                        sid = conn.as_str(),
                        "the application is behind on this connection's events \
                         (max_pending_events/max_pending_bytes): not read until it catches up"
                    );
                    let _ = engine.pause_reading(&conn);
                }
            } else {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.backlog.paused.remove(&conn);
                    let _ = engine.resume_reading(self.rt.now(), &conn);
                }
            }
        }
    }

    /// An event of `socket` (of dispatch generation `generation`) whose handlers ran in tasks
    /// of their own is done with.
    fn release_waited(&mut self, index: u32, generation: u64, bytes: usize) {
        if let Some(slot) = self.sockets.at_mut(index, generation) {
            self.backlog.release(&mut slot.load, &slot.conn, bytes);
        }
    }
}

/// Held by the tasks of an event's waiting handlers: the event stops counting when the last
/// of them is done (or dropped).
pub(crate) struct Waited {
    pub(crate) io: SocketIo,
    /// The socket's slot: its index in the layer's table and its generation.
    pub(crate) index: u32,
    pub(crate) generation: u64,
    pub(crate) bytes: usize,
}

impl Drop for Waited {
    fn drop(&mut self) {
        let (index, generation, bytes) = (self.index, self.generation, self.bytes);
        self.io
            .with_untimed(|l, _| l.release_waited(index, generation, bytes));
    }
}
