//! [`EngineMetrics`]: what the Engine.IO server counts for an operator (connections opened and
//! closed, upgrades, messages and bytes each way, limits hit).
//!
//! Plain integers kept by the state machine as it works, under whatever guards it (the async
//! layer's lock): no atomics, no allocation, a few additions per message. Gauges (connections
//! open by transport, bytes queued) are not kept but computed on demand by
//! [`Server::metrics`](super::Server::metrics), which walks the sessions.

use super::{CloseReason, TransportKind};
use crate::engine::Frame;

/// The Engine.IO server's counters since it started, and its gauges at the time of the
/// snapshot ([`Server::metrics`](super::Server::metrics)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineMetrics {
    /// Sessions opened, by the transport of their handshake: `[polling, websocket,
    /// webtransport]` (the order of [`TransportKind::ALL`]).
    pub opened: [u64; TransportKind::COUNT],
    /// Sessions moved from polling to WebSocket or WebTransport.
    pub upgrades: u64,
    /// Sessions closed, by reason (index: [`CloseReason::index`]).
    pub closed: [u64; CloseReason::COUNT],
    /// Messages received (Engine.IO `message` packets, text or binary).
    pub messages_in: u64,
    /// Bytes of those messages (their Engine.IO packets: a text message with its `4`).
    pub bytes_in: u64,
    /// Messages queued for clients (a broadcast counts once per recipient).
    pub messages_out: u64,
    /// Bytes of those messages.
    pub bytes_out: u64,
    /// Requests and WebSocket messages refused for their size (`max_payload`: a POST answered
    /// 413, a WebSocket closed with 1009).
    pub payload_too_large: u64,
    /// HTTP requests answered with an Engine.IO error (unknown sid or transport, bad
    /// handshake, refused upgrade, …).
    pub bad_requests: u64,
    /// Gauge: sessions open now, by transport: `[polling, websocket, webtransport]`.
    pub open: [u64; TransportKind::COUNT],
    /// Gauge: bytes queued for clients and not yet written, summed over the sessions (in
    /// [`queued_size`](super::queued_size) units).
    pub queued_bytes: u64,
}

impl EngineMetrics {
    /// Counts a message received.
    pub(crate) fn message_in(&mut self, len: usize) {
        self.messages_in += 1;
        self.bytes_in += len as u64;
    }

    /// Counts a frame queued for a client, if it carries a message (not a ping or a noop).
    pub(crate) fn frame_out(&mut self, frame: &Frame) {
        let message = match frame {
            Frame::Text(t) => t.as_bytes().first() == Some(&b'4'),
            Frame::Binary(_) => true,
        };
        if message {
            self.messages_out += 1;
            self.bytes_out += frame.len() as u64;
        }
    }

    /// The sessions closed for `reason`.
    pub fn closed_for(&self, reason: CloseReason) -> u64 {
        self.closed[reason.index()]
    }

    /// The sessions opened with `transport`.
    pub fn opened_with(&self, transport: TransportKind) -> u64 {
        self.opened[transport.index()]
    }

    /// The sessions open now on `transport`.
    pub fn open_on(&self, transport: TransportKind) -> u64 {
        self.open[transport.index()]
    }
}

impl TransportKind {
    /// How many transports there are.
    pub const COUNT: usize = 3;

    /// Every transport, in the order of the metrics' arrays.
    pub const ALL: [TransportKind; TransportKind::COUNT] = [
        TransportKind::Polling,
        TransportKind::WebSocket,
        TransportKind::WebTransport,
    ];

    /// Its index in [`TransportKind::ALL`].
    pub fn index(self) -> usize {
        match self {
            TransportKind::Polling => 0,
            TransportKind::WebSocket => 1,
            TransportKind::WebTransport => 2,
        }
    }
}

impl CloseReason {
    /// How many reasons there are.
    pub const COUNT: usize = 7;

    /// Every reason, in the order of [`EngineMetrics::closed`].
    pub const ALL: [CloseReason; CloseReason::COUNT] = [
        CloseReason::TransportClose,
        CloseReason::TransportError,
        CloseReason::PingTimeout,
        CloseReason::ParseError,
        CloseReason::ForcedClose,
        CloseReason::ServerShuttingDown,
        CloseReason::SendBufferFull,
    ];

    /// Its index in [`CloseReason::ALL`].
    pub fn index(self) -> usize {
        match self {
            CloseReason::TransportClose => 0,
            CloseReason::TransportError => 1,
            CloseReason::PingTimeout => 2,
            CloseReason::ParseError => 3,
            CloseReason::ForcedClose => 4,
            CloseReason::ServerShuttingDown => 5,
            CloseReason::SendBufferFull => 6,
        }
    }
}
