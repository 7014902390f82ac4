//! The sans-IO Socket.IO v5 client: a [`Manager`] multiplexing namespace sockets over one
//! Engine.IO connection.
//!
//! It follows `socket.io-client` 4.8: a socket connects by sending CONNECT (with its auth,
//! and the previous session's `pid` and `offset` for connection state recovery) whenever the
//! manager's connection opens; emits made while disconnected wait in a buffer (volatile ones
//! are dropped); events that arrive before the CONNECT reply are kept and delivered with it;
//! a lost connection is re-established with exponential backoff and jitter; acks have
//! optional timeouts, and with `retries` an event is sent again until the server acks it.
//!
//! The manager performs no I/O and reads no clock: feed it the driver's answers and the time,
//! then drain [`poll_transmit`](Manager::poll_transmit) and [`poll_event`](Manager::poll_event)
//! and wait until [`poll_timeout`](Manager::poll_timeout).

mod backoff;
mod config;
mod connection;
mod event;
mod incoming;
mod outgoing;
mod socket;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

pub use backoff::Backoff;
pub use config::{Auth, ManagerConfig, SocketConfig};
pub use event::{AckFailure, AckHandle, DisconnectReason, Event};

use crate::engine::client::{
    Client as EngineClient, CloseReason, Event as EngineEvent, HttpResult, IoId, Transmit,
};
use crate::engine::server::TransportKind;
use crate::engine::Frame;
use crate::socket::{Ack, Decoder, Event as EventPacket, Packet, PacketData, Payload};
use crate::{Map, Str, Value};
use socket::{AckOwner, PendingAck, Queued, SocketState};

/// The message of a CONNECT reply without a socket id (what a v2 server sends).
const V2_SERVER: &str = "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadyState {
    Closed,
    Opening,
    Open,
}

/// How an event is emitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmitOptions {
    /// Drop the event rather than buffer it when it cannot be written at once.
    pub volatile: bool,
    /// Ask the server for an ack ([`Event::Ack`] reports it).
    pub ack: bool,
    /// Give up waiting for the ack after this long (else the socket's `ack_timeout`).
    pub timeout: Option<Duration>,
}

/// Why an emit was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// No socket was created for this namespace.
    UnknownNamespace,
    /// The socket has `max_buffered_packets` events (or `max_buffered_bytes`) waiting to be
    /// sent already: the event is not taken.
    BufferFull,
    /// The socket waits for `max_pending_acks` acks already: the event is not taken.
    TooManyPendingAcks,
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EmitError::UnknownNamespace => "no socket for this namespace",
            EmitError::BufferFull => "too many events waiting to be sent",
            EmitError::TooManyPendingAcks => "too many acks outstanding",
        })
    }
}

impl std::error::Error for EmitError {}

/// The sans-IO Socket.IO client. See the [module docs](self).
#[derive(Debug)]
pub struct Manager {
    config: ManagerConfig,
    state: ReadyState,
    engine: Option<EngineClient>,
    /// An engine the manager closed while it still had packets to write (a last
    /// DISCONNECT behind an in-flight POST): it finishes writing and then tells the server
    /// (`1`), as the reference's `close()` does on drain, without reporting anything more.
    draining: Option<EngineClient>,
    decoder: Decoder,
    sockets: Vec<SocketState>,
    backoff: Backoff,
    reconnecting: bool,
    skip_reconnect: bool,
    /// The open in progress is a reconnection attempt.
    attempt: bool,
    reconnect_at: Option<Instant>,
    open_deadline: Option<Instant>,
    /// Ack deadlines (time, socket index, ack id), earliest first; entries of acks answered
    /// meanwhile are skipped when they come up.
    ack_deadlines: BinaryHeap<Reverse<(Instant, usize, u64)>>,
    prior_websocket_success: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    next_handle: u64,
    last_io_id: u64,
}

impl Manager {
    /// A manager that is not connected yet: create sockets with
    /// [`socket`](Self::socket), then [`connect`](Self::connect) them.
    pub fn new(config: ManagerConfig) -> Self {
        let backoff = Backoff::new(
            config.reconnection_delay,
            config.reconnection_delay_max,
            config.randomization_factor,
            config.seed,
        );
        Manager {
            decoder: config.parser.decoder(config.max_attachments),
            config,
            state: ReadyState::Closed,
            engine: None,
            draining: None,
            sockets: Vec::new(),
            backoff,
            reconnecting: false,
            skip_reconnect: false,
            attempt: false,
            reconnect_at: None,
            open_deadline: None,
            ack_deadlines: BinaryHeap::new(),
            prior_websocket_success: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            next_handle: 0,
            last_io_id: 0,
        }
    }

    // ----- getters

    /// The manager's options.
    pub fn config(&self) -> &ManagerConfig {
        &self.config
    }

    /// Whether the Engine.IO connection is open.
    pub fn is_open(&self) -> bool {
        self.state == ReadyState::Open
    }

    /// Whether the manager waits to reconnect.
    pub fn is_reconnecting(&self) -> bool {
        self.reconnecting
    }

    /// The Engine.IO session id of the current connection.
    pub fn engine_id(&self) -> Option<&Str> {
        self.engine.as_ref().and_then(|e| e.sid())
    }

    /// The transport of the current connection.
    pub fn transport(&self) -> Option<TransportKind> {
        self.engine
            .as_ref()
            .filter(|e| e.is_open())
            .map(EngineClient::transport)
    }

    /// Whether socket `nsp` is connected.
    pub fn is_connected(&self, nsp: &str) -> bool {
        self.find(nsp).is_some_and(|s| s.connected)
    }

    /// Whether socket `nsp` is active (it connects whenever the manager opens).
    pub fn is_active(&self, nsp: &str) -> bool {
        self.find(nsp).is_some_and(|s| s.active)
    }

    /// The id the server gave socket `nsp`, while connected.
    pub fn socket_id(&self, nsp: &str) -> Option<&Str> {
        self.find(nsp).and_then(|s| s.sid.as_ref())
    }

    /// Whether socket `nsp`'s last connection restored its previous session.
    pub fn recovered(&self, nsp: &str) -> bool {
        self.find(nsp).is_some_and(|s| s.recovered)
    }

    /// Events emitted on `nsp` that wait for a connection, plus those in its retry queue.
    pub fn buffered(&self, nsp: &str) -> usize {
        self.find(nsp)
            .map_or(0, |s| s.send_buffer.len() + s.queue.len())
    }

    // ----- outputs

    /// The next request or WebSocket action for the driver.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if let Some(t) = self.transmits.pop_front() {
            return Some(t);
        }
        if let Some(t) = self.engine.as_mut().and_then(EngineClient::poll_transmit) {
            return Some(t);
        }
        self.draining.as_mut().and_then(EngineClient::poll_transmit)
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.engine.as_ref().and_then(EngineClient::poll_timeout),
            self.reconnect_at,
            self.open_deadline,
            self.ack_deadlines.peek().map(|Reverse((d, _, _))| *d),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- commands

    /// Creates the socket of namespace `nsp` (or replaces the options of an existing one). It
    /// stays idle until [`connect`](Self::connect).
    pub fn socket(&mut self, nsp: &str, config: SocketConfig) {
        match self.find_mut(nsp) {
            Some(s) => s.config = config,
            None => self
                .sockets
                .push(SocketState::new(Str::from(nsp.to_owned()), config)),
        }
    }

    /// Connects socket `nsp` (opening the manager's connection if needed). Returns false if
    /// there is no such socket.
    pub fn connect(&mut self, now: Instant, nsp: &str) -> bool {
        let Some(i) = self.index(nsp) else {
            return false;
        };
        if self.sockets[i].connected {
            return true;
        }
        self.sockets[i].active = true;
        if !self.reconnecting {
            self.open(now);
        }
        if self.state == ReadyState::Open {
            self.send_connect(i);
        }
        true
    }

    /// Disconnects socket `nsp` ("io client disconnect"): the server is told, the socket stops
    /// reconnecting, and the connection closes if no other socket is active.
    pub fn disconnect(&mut self, now: Instant, nsp: &str) {
        let Some(i) = self.index(nsp) else { return };
        let was_connected = self.sockets[i].connected;
        if was_connected {
            let p = Packet::disconnect(self.sockets[i].nsp.clone());
            self.send_packet(p);
        }
        self.destroy(now, i);
        if was_connected {
            self.socket_closed(now, i, DisconnectReason::IoClientDisconnect);
        }
    }

    /// Closes the connection and every socket ("forced close"); no reconnection follows.
    pub fn close(&mut self, now: Instant) {
        self.skip_reconnect = true;
        self.reconnecting = false;
        self.reconnect_at = None;
        self.on_close(now, DisconnectReason::ForcedClose);
    }

    /// Emits `event` on socket `nsp`. Returns the handle its ack will come back with, if
    /// `options.ack` (or the socket has retries).
    pub fn emit(
        &mut self,
        now: Instant,
        nsp: &str,
        event: EventPacket,
        options: EmitOptions,
    ) -> Result<Option<AckHandle>, EmitError> {
        let i = self.index(nsp).ok_or(EmitError::UnknownNamespace)?;
        // As the reference's `_hasPingExpired()` check: nothing is written to a connection
        // whose heartbeat is overdue (the driver has not called handle_timeout yet); it
        // closes first, and the event waits in the buffer for the next one.
        let overdue = self.engine.as_ref().and_then(EngineClient::poll_timeout);
        if overdue.is_some_and(|d| d <= now) {
            self.handle_timeout(now);
        }
        self.check_limits(i, &event, options)?;
        let handle = options.ack.then(|| self.handle());
        let s = &mut self.sockets[i];
        if s.config.retries > 0 && !options.volatile {
            s.queue.push_back(Queued {
                event,
                handle,
                tries: 0,
                pending: false,
                timeout: options.timeout,
            });
            self.drain_queue(now, i, false);
            return Ok(handle);
        }
        let event = match handle {
            Some(h) => {
                let id = s.ack_id();
                let deadline = options.timeout.or(s.config.ack_timeout).map(|t| now + t);
                s.acks.insert(
                    id,
                    PendingAck {
                        owner: AckOwner::User(h),
                        deadline,
                    },
                );
                self.arm_ack(deadline, i, id);
                event.with_ack(id)
            }
            None => event,
        };
        self.send_event(i, event, options.volatile);
        Ok(handle)
    }

    /// Refuses an emit that would pass socket `i`'s limits (volatile ones never wait, so
    /// only acks limit them).
    fn check_limits(
        &self,
        i: usize,
        event: &EventPacket,
        options: EmitOptions,
    ) -> Result<(), EmitError> {
        let s = &self.sockets[i];
        let asks_ack = options.ack || (s.config.retries > 0 && !options.volatile);
        if asks_ack && s.acks.len() + s.queue.len() >= s.config.max_pending_acks {
            return Err(EmitError::TooManyPendingAcks);
        }
        if options.volatile {
            return Ok(());
        }
        let (mut count, mut bytes) = self
            .engine
            .as_ref()
            .map_or((0, 0), EngineClient::write_buffered);
        count += s.send_buffer.len() + s.queue.len();
        bytes += s
            .send_buffer
            .iter()
            .map(|(p, _)| p.payload_len())
            .sum::<usize>();
        bytes += s
            .queue
            .iter()
            .map(|q| q.event.payload().len())
            .sum::<usize>();
        let size = event.payload().len();
        if count >= s.config.max_buffered_packets
            || (count > 0 && bytes + size > s.config.max_buffered_bytes)
        {
            return Err(EmitError::BufferFull);
        }
        Ok(())
    }

    /// Answers ack `id` of an event the server emitted to socket `nsp`.
    pub fn ack(&mut self, nsp: &str, id: u64, payload: Payload) {
        if self.index(nsp).is_none() {
            return;
        }
        let p = Packet::ack(Str::from(nsp.to_owned()), Ack { id, payload });
        self.send_packet(p);
    }

    // ----- inputs

    /// Feeds the answer to HTTP request `id`.
    pub fn handle_http_response(&mut self, now: Instant, id: IoId, result: HttpResult) {
        if let Some(d) = &mut self.draining {
            d.handle_http_response(now, id, result.clone());
            self.drain_closing();
        }
        if let Some(e) = &mut self.engine {
            e.handle_http_response(now, id, result);
        }
        self.drive(now);
    }

    /// WebSocket `id` opened.
    pub fn handle_ws_open(&mut self, now: Instant, id: IoId) {
        if let Some(d) = &mut self.draining {
            d.handle_ws_open(now, id);
            self.drain_closing();
        }
        if let Some(e) = &mut self.engine {
            e.handle_ws_open(now, id);
        }
        self.drive(now);
    }

    /// A message came on WebSocket `id`.
    pub fn handle_ws_message(&mut self, now: Instant, id: IoId, frame: Frame) {
        if let Some(d) = &mut self.draining {
            d.handle_ws_message(now, id, frame.clone());
            self.drain_closing();
        }
        if let Some(e) = &mut self.engine {
            e.handle_ws_message(now, id, frame);
        }
        self.drive(now);
    }

    /// WebTransport session `id` is established and its stream open.
    pub fn handle_wt_open(&mut self, now: Instant, id: IoId) {
        if let Some(d) = &mut self.draining {
            d.handle_wt_open(now, id);
            self.drain_closing();
        }
        if let Some(e) = &mut self.engine {
            e.handle_wt_open(now, id);
        }
        self.drive(now);
    }

    /// Bytes came on WebTransport session `id`'s stream.
    pub fn handle_wt_data(&mut self, now: Instant, id: IoId, chunk: bytes::Bytes) {
        if let Some(d) = &mut self.draining {
            d.handle_wt_data(now, id, chunk.clone());
            self.drain_closing();
        }
        if let Some(e) = &mut self.engine {
            e.handle_wt_data(now, id, chunk);
        }
        self.drive(now);
    }

    /// WebSocket (or WebTransport session) `id` closed (with the error, if it failed).
    pub fn handle_ws_closed(&mut self, now: Instant, id: IoId, error: Option<String>) {
        if let Some(d) = &mut self.draining {
            d.handle_ws_closed(now, id, error.clone());
            self.drain_closing();
        }
        if let Some(e) = &mut self.engine {
            e.handle_ws_closed(now, id, error);
        }
        self.drive(now);
    }

    /// Runs what is due: the heartbeat watchdog, the connection timeout, the next
    /// reconnection attempt, ack timeouts. Safe to call early.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(d) = &mut self.draining {
            d.handle_timeout(now);
            self.drain_closing();
        }
        if let Some(e) = &mut self.engine {
            e.handle_timeout(now);
        }
        self.drive(now);
        if self.open_deadline.is_some_and(|d| d <= now) && self.state == ReadyState::Opening {
            self.open_deadline = None;
            if let Some(mut e) = self.engine.take() {
                e.close();
                self.take_transmits(&mut e);
            }
            self.open_failed(now, "timeout".to_owned());
        }
        if self.reconnect_at.is_some_and(|d| d <= now) {
            self.reconnect_at = None;
            if !self.skip_reconnect {
                self.events
                    .push_back(Event::ReconnectAttempt(self.backoff.attempts()));
                self.attempt = true;
                self.open(now);
            }
        }
        while let Some(&Reverse((d, i, id))) = self.ack_deadlines.peek() {
            if d > now {
                break;
            }
            self.ack_deadlines.pop();
            if !self.ack_is_due(d, i, id) {
                continue;
            }
            let Some(a) = self.sockets[i].acks.remove(&id) else {
                continue;
            };
            self.sockets[i]
                .send_buffer
                .retain(|(_, ack)| *ack != Some(id));
            self.ack_failed(now, i, a.owner, AckFailure::Timeout);
        }
        self.prune_ack_deadlines();
    }

    // ----- internals

    fn find(&self, nsp: &str) -> Option<&SocketState> {
        self.sockets.iter().find(|s| s.nsp == nsp)
    }

    fn find_mut(&mut self, nsp: &str) -> Option<&mut SocketState> {
        self.sockets.iter_mut().find(|s| s.nsp == nsp)
    }

    fn index(&self, nsp: &str) -> Option<usize> {
        self.sockets.iter().position(|s| s.nsp == nsp)
    }

    /// Remembers when ack `id` of socket `i` times out.
    fn arm_ack(&mut self, deadline: Option<Instant>, i: usize, id: u64) {
        if let Some(d) = deadline {
            self.ack_deadlines.push(Reverse((d, i, id)));
        }
    }

    /// Whether the heap entry `(d, i, id)` is still the deadline of a pending ack.
    fn ack_is_due(&self, d: Instant, i: usize, id: u64) -> bool {
        self.sockets[i]
            .acks
            .get(&id)
            .is_some_and(|a| a.deadline == Some(d))
    }

    /// Drops entries of acks no longer pending from the top of the deadline heap, so
    /// `poll_timeout` names a live deadline.
    fn prune_ack_deadlines(&mut self) {
        while let Some(&Reverse((d, i, id))) = self.ack_deadlines.peek() {
            if self.ack_is_due(d, i, id) {
                break;
            }
            self.ack_deadlines.pop();
        }
    }

    fn handle(&mut self) -> AckHandle {
        self.next_handle += 1;
        AckHandle(self.next_handle)
    }
}
