//! [`SocketMetrics`]: what the Socket.IO server counts for an operator, and [`RoomChange`],
//! the optional report of every socket joining or leaving a room (what the reference's adapter
//! emits as `join-room` / `leave-room`, and the Admin UI shows).
//!
//! The counters are plain integers kept as the state machine works (no atomics: whatever
//! guards the machine guards them). Room changes are queued only once asked for
//! ([`SocketServer::report_room_changes`]), so a server nobody watches pays a flag test.

use super::{DisconnectReason, SocketId, SocketServer};
use crate::Str;

/// The Socket.IO server's counters since it started, and its gauges at the time of the
/// snapshot ([`SocketServer::metrics`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocketMetrics {
    /// Sockets that joined a namespace (recovered ones included).
    pub connected: u64,
    /// CONNECTs refused by the application's middleware (`connect_error`).
    pub connect_refused: u64,
    /// Sockets that left, by reason (index: [`DisconnectReason::index`]).
    pub disconnected: [u64; DisconnectReason::COUNT],
    /// Events received from clients.
    pub events_in: u64,
    /// Events sent to one socket (`emit`, `emit_with_ack`, volatile ones).
    pub emits: u64,
    /// Broadcasts (each encoded once, whatever the number of recipients).
    pub broadcasts: u64,
    /// Deliveries of those broadcasts (one per recipient).
    pub broadcast_deliveries: u64,
    /// Acks the server waited for in vain: single emits past their timeout, and recipients of
    /// a broadcast with ack that did not answer in time.
    pub acks_timed_out: u64,
    /// Gauge: sockets connected now, per namespace (every namespace, empty ones included).
    pub sockets: Vec<(Str, u64)>,
}

impl SocketMetrics {
    /// The sockets that left for `reason`.
    pub fn disconnected_for(&self, reason: DisconnectReason) -> u64 {
        self.disconnected[reason.index()]
    }

    /// The sockets connected now to namespace `nsp` (0 for an unknown one).
    pub fn sockets_in(&self, nsp: &str) -> u64 {
        let mut all = self.sockets.iter();
        all.find(|(n, _)| n.as_str() == nsp).map_or(0, |(_, c)| *c)
    }
}

impl DisconnectReason {
    /// How many reasons there are.
    pub const COUNT: usize = 10;

    /// Every reason, in the order of [`SocketMetrics::disconnected`].
    pub const ALL: [DisconnectReason; DisconnectReason::COUNT] = [
        DisconnectReason::TransportClose,
        DisconnectReason::TransportError,
        DisconnectReason::PingTimeout,
        DisconnectReason::ParseError,
        DisconnectReason::ForcedClose,
        DisconnectReason::ServerShuttingDown,
        DisconnectReason::ForcedServerClose,
        DisconnectReason::ServerNamespaceDisconnect,
        DisconnectReason::ClientNamespaceDisconnect,
        DisconnectReason::SendBufferFull,
    ];

    /// Its index in [`DisconnectReason::ALL`].
    pub fn index(self) -> usize {
        match self {
            DisconnectReason::TransportClose => 0,
            DisconnectReason::TransportError => 1,
            DisconnectReason::PingTimeout => 2,
            DisconnectReason::ParseError => 3,
            DisconnectReason::ForcedClose => 4,
            DisconnectReason::ServerShuttingDown => 5,
            DisconnectReason::ForcedServerClose => 6,
            DisconnectReason::ServerNamespaceDisconnect => 7,
            DisconnectReason::ClientNamespaceDisconnect => 8,
            DisconnectReason::SendBufferFull => 9,
        }
    }
}

/// A socket joined or left a room (see [`SocketServer::report_room_changes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomChange {
    /// The socket.
    pub socket: SocketId,
    /// Its namespace.
    pub nsp: Str,
    /// The room.
    pub room: Str,
    /// Joined (else left).
    pub joined: bool,
}

impl SocketServer {
    /// The counters since the server started, with the sockets per namespace counted now.
    pub fn metrics(&self) -> SocketMetrics {
        let mut m = self.metrics.clone();
        m.sockets = self
            .namespaces
            .values()
            .map(|n| (n.name.clone(), n.sockets.len() as u64))
            .collect();
        m.sockets.sort();
        m
    }

    /// From now on (`true`), every socket joining or leaving a room is queued for
    /// [`poll_room_change`](Self::poll_room_change): its own room on connecting, the rooms it
    /// joins and leaves, and every room it was in when it goes (reported once its
    /// `Disconnected` is polled). Off by default.
    pub fn report_room_changes(&mut self, on: bool) {
        match (on, &self.room_changes) {
            (true, None) => self.room_changes = Some(Default::default()),
            (false, _) => self.room_changes = None,
            (true, Some(_)) => {}
        }
    }

    /// The next room change, when they are reported ([`report_room_changes`](
    /// Self::report_room_changes)); drain it with the other outputs.
    #[must_use]
    pub fn poll_room_change(&mut self) -> Option<RoomChange> {
        self.room_changes.as_mut()?.pop_front()
    }

    /// Queues a room change if they are reported.
    pub(super) fn room_changed(&mut self, socket: &SocketId, nsp: &Str, room: &Str, joined: bool) {
        if let Some(q) = &mut self.room_changes {
            q.push_back(RoomChange {
                socket: socket.clone(),
                nsp: nsp.clone(),
                room: room.clone(),
                joined,
            });
        }
    }
}
