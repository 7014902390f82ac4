//! The state of one namespace socket of the client.

use std::collections::VecDeque;
use std::time::Instant;

use hashbrown::HashMap;

use super::config::SocketConfig;
use super::event::AckHandle;
use crate::socket::{Event as EventPacket, Packet};
use crate::Str;

/// Whose ack an ack id is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AckOwner {
    /// The application waits for it.
    User(AckHandle),
    /// The head of the retry queue.
    Queue,
}

#[derive(Debug)]
pub(super) struct PendingAck {
    pub(super) owner: AckOwner,
    pub(super) deadline: Option<Instant>,
}

/// An emit of a socket with retries: sent once at a time until acked.
#[derive(Debug)]
pub(super) struct Queued {
    pub(super) event: EventPacket,
    pub(super) handle: Option<AckHandle>,
    pub(super) tries: u32,
    pub(super) pending: bool,
    pub(super) timeout: Option<std::time::Duration>,
}

#[derive(Debug)]
pub(super) struct SocketState {
    pub(super) nsp: Str,
    pub(super) config: SocketConfig,
    /// Subscribed to the manager: it connects whenever the manager opens.
    pub(super) active: bool,
    pub(super) connected: bool,
    pub(super) sid: Option<Str>,
    pub(super) pid: Option<Str>,
    pub(super) last_offset: Option<String>,
    pub(super) recovered: bool,
    pub(super) next_ack_id: u64,
    pub(super) acks: HashMap<u64, PendingAck>,
    /// Emits made while disconnected, sent on connect (with their ack ids).
    pub(super) send_buffer: VecDeque<(Packet, Option<u64>)>,
    /// Events that came before the CONNECT reply (a recovery's replay).
    pub(super) receive_buffer: VecDeque<EventPacket>,
    pub(super) queue: VecDeque<Queued>,
}

impl SocketState {
    pub(super) fn new(nsp: Str, config: SocketConfig) -> Self {
        SocketState {
            nsp,
            config,
            active: false,
            connected: false,
            sid: None,
            pid: None,
            last_offset: None,
            recovered: false,
            next_ack_id: 0,
            acks: HashMap::new(),
            send_buffer: VecDeque::new(),
            receive_buffer: VecDeque::new(),
            queue: VecDeque::new(),
        }
    }

    pub(super) fn ack_id(&mut self) -> u64 {
        let id = self.next_ack_id;
        self.next_ack_id += 1;
        id
    }
}
