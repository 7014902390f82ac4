//! The server's output queues, which sessions write to and the [`Server`](super::super::Server)
//! drains: transmits, events, the transport-id bindings and the WebSockets closing.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use hashbrown::HashMap;

use super::super::{Event, Response, ServerConfig, Transmit, TransportId};
use crate::compress::http::{BodyEncoding, HttpCompression};
use crate::Str;

/// The server's output queues and its map from transport ids to sessions.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<Event>,
    /// Parked GETs and POSTs, active and probing WebSockets, by id.
    pub(crate) bindings: HashMap<TransportId, Str>,
    /// WebSockets closed gracefully, with the time after which they are aborted if the driver
    /// is still at it (a peer that stopped reading never takes the close frame). Deadlines
    /// are `now + CLOSE_LINGER` for a `now` that never goes back, so this is in order.
    pub(crate) lingering: VecDeque<(Instant, TransportId)>,
    /// The latest time an input passed in (closes made by commands, which take no time, use
    /// it for their linger deadline).
    pub(crate) now: Option<Instant>,
    /// The server's HTTP compression of long-poll answers, if on.
    pub(crate) http_compression: Option<HttpCompression>,
    /// The counters for an operator.
    pub(crate) metrics: super::super::EngineMetrics,
}

impl Outbox {
    pub(crate) fn respond(&mut self, to: TransportId, response: Response) {
        self.bindings.remove(&to);
        self.transmits
            .push_back(Transmit::Response { to, response });
    }

    /// Answers a polling request with 200 and `body` (the session's GET or POST answers): the
    /// given headers, then `cache-control: no-store`, as the reference.
    pub(crate) fn respond_ok(
        &mut self,
        to: TransportId,
        mut headers: Vec<(&'static str, Str)>,
        body: Bytes,
        encode_with: Option<BodyEncoding>,
    ) {
        headers.push(("cache-control", Str::from_static("no-store")));
        self.respond(
            to,
            Response {
                status: 200,
                headers,
                body,
                encode_with,
            },
        );
    }

    /// Closes WebSocket `to` after what was queued on it, within
    /// [`ServerConfig::CLOSE_LINGER`].
    pub(crate) fn close_ws(&mut self, to: TransportId) {
        self.bindings.remove(&to);
        self.transmits.push_back(Transmit::CloseWs { to });
        if let Some(now) = self.now {
            self.lingering
                .push_back((now + ServerConfig::CLOSE_LINGER, to));
        }
    }

    /// Drops WebSocket `to` now, whatever is still queued on it.
    pub(super) fn abort_ws(&mut self, to: TransportId) {
        self.bindings.remove(&to);
        self.transmits.push_back(Transmit::AbortWs { to });
    }
}
