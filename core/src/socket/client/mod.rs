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
mod event;
mod socket;

use std::collections::VecDeque;
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
pub enum EmitError {
    /// No socket was created for this namespace.
    UnknownNamespace,
}

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
            decoder: Decoder::new(config.max_attachments),
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
        let acks = self
            .sockets
            .iter()
            .flat_map(|s| s.acks.values().filter_map(|a| a.deadline));
        [
            self.engine.as_ref().and_then(EngineClient::poll_timeout),
            self.draining.as_ref().and_then(EngineClient::poll_timeout),
            self.reconnect_at,
            self.open_deadline,
        ]
        .into_iter()
        .flatten()
        .chain(acks)
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
                let timeout = options.timeout.or(s.config.ack_timeout);
                s.acks.insert(
                    id,
                    PendingAck {
                        owner: AckOwner::User(h),
                        deadline: timeout.map(|t| now + t),
                    },
                );
                event.with_ack(id)
            }
            None => event,
        };
        self.send_event(i, event, options.volatile);
        Ok(handle)
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

    /// WebSocket `id` closed (with the error, if it failed).
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
        for i in 0..self.sockets.len() {
            let expired: Vec<u64> = self.sockets[i]
                .acks
                .iter()
                .filter(|(_, a)| a.deadline.is_some_and(|d| d <= now))
                .map(|(id, _)| *id)
                .collect();
            for id in expired {
                let Some(a) = self.sockets[i].acks.remove(&id) else {
                    continue;
                };
                self.sockets[i]
                    .send_buffer
                    .retain(|(_, ack)| *ack != Some(id));
                self.ack_failed(now, i, a.owner, AckFailure::Timeout);
            }
        }
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

    fn handle(&mut self) -> AckHandle {
        self.next_handle += 1;
        AckHandle(self.next_handle)
    }

    /// Opens the Engine.IO connection unless it is open or opening.
    fn open(&mut self, now: Instant) {
        if self.state != ReadyState::Closed {
            return;
        }
        self.skip_reconnect = false;
        self.state = ReadyState::Opening;
        // A closing engine still numbering requests would collide with the new one's ids:
        // it is abandoned (what it had left to write is lost, as with a dropped connection).
        if let Some(mut d) = self.draining.take() {
            self.take_transmits(&mut d);
        }
        let engine = EngineClient::new_with_id_base(
            self.config.engine.clone(),
            self.prior_websocket_success,
            now,
            self.last_io_id,
        );
        self.engine = Some(engine);
        self.open_deadline = (!self.config.timeout.is_zero()).then(|| now + self.config.timeout);
        self.drive(now);
    }

    /// Moves the draining engine's transmits to the manager's queue, dropping its events, and
    /// forgets it once it has closed.
    fn drain_closing(&mut self) {
        let Some(mut d) = self.draining.take() else {
            return;
        };
        while d.poll_event().is_some() {}
        self.take_transmits(&mut d);
        if !d.is_closed() {
            self.draining = Some(d);
        }
    }

    /// Moves a finished engine's last transmits (its closes) to the manager's queue.
    fn take_transmits(&mut self, e: &mut EngineClient) {
        self.last_io_id = self.last_io_id.max(e.last_id());
        while let Some(t) = e.poll_transmit() {
            self.transmits.push_back(t);
        }
    }

    /// Handles what the engine reported.
    fn drive(&mut self, now: Instant) {
        loop {
            let Some(e) = &mut self.engine else { return };
            self.last_io_id = self.last_io_id.max(e.last_id());
            let Some(ev) = e.poll_event() else { return };
            match ev {
                EngineEvent::Open(_) => {
                    // As engine.io-client's priorWebsocketSuccess: true only while the last
                    // connection opened over (or upgraded to) WebSocket without error since.
                    self.prior_websocket_success = e.transport() == TransportKind::WebSocket;
                    self.on_open(now)
                }
                EngineEvent::Message(text) => {
                    let r = self.decoder.decode_text(text);
                    self.on_decoded(now, r);
                }
                EngineEvent::Binary(b) => {
                    let r = self.decoder.decode_binary(b);
                    self.on_decoded(now, r);
                }
                EngineEvent::Ping => self.events.push_back(Event::Ping),
                EngineEvent::Upgraded => {
                    self.prior_websocket_success = true;
                    self.events.push_back(Event::Upgraded);
                }
                EngineEvent::UpgradeError(_) => {}
                EngineEvent::Closed(reason) => {
                    if matches!(reason, CloseReason::TransportError(_)) {
                        self.prior_websocket_success = false;
                    }
                    if let Some(mut e) = self.engine.take() {
                        self.take_transmits(&mut e);
                    }
                    if self.state == ReadyState::Opening {
                        let why = match reason {
                            CloseReason::TransportError(d) => d,
                            other => other.as_str().to_owned(),
                        };
                        self.open_failed(now, why);
                    } else {
                        let reason = match reason {
                            CloseReason::TransportClose => DisconnectReason::TransportClose,
                            CloseReason::TransportError(d) => {
                                // The reference's engine emits `error` before `close`, and
                                // the manager passes it on.
                                self.events.push_back(Event::Error(d));
                                DisconnectReason::TransportError
                            }
                            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
                            CloseReason::ForcedClose => DisconnectReason::ForcedClose,
                            CloseReason::ParseError => DisconnectReason::ParseError,
                        };
                        self.on_close(now, reason);
                    }
                }
            }
        }
    }

    fn on_open(&mut self, _now: Instant) {
        self.state = ReadyState::Open;
        self.open_deadline = None;
        self.decoder = Decoder::new(self.config.max_attachments);
        self.events.push_back(Event::Open);
        for i in 0..self.sockets.len() {
            if self.sockets[i].active {
                self.send_connect(i);
            }
        }
        if std::mem::take(&mut self.attempt) {
            let attempts = self.backoff.attempts();
            self.reconnecting = false;
            self.backoff.reset();
            self.events.push_back(Event::Reconnect(attempts));
        }
    }

    /// A connection attempt failed before opening.
    fn open_failed(&mut self, now: Instant, why: String) {
        self.state = ReadyState::Closed;
        self.open_deadline = None;
        self.events.push_back(Event::Error(why.clone()));
        for s in &self.sockets {
            if s.active && !s.connected {
                self.events.push_back(Event::ConnectError {
                    nsp: s.nsp.clone(),
                    message: why.clone(),
                    data: None,
                });
            }
        }
        if std::mem::take(&mut self.attempt) {
            self.reconnecting = false;
            self.reconnect(now);
            self.events.push_back(Event::ReconnectError(why));
        } else if !self.reconnecting && self.config.reconnection && self.backoff.attempts() == 0 {
            self.reconnect(now);
        }
    }

    /// The connection closed: every active socket disconnects, then reconnection starts.
    fn on_close(&mut self, now: Instant, reason: DisconnectReason) {
        if let Some(mut e) = self.engine.take() {
            e.close();
            self.take_transmits(&mut e);
            while e.poll_event().is_some() {}
            if !e.is_closed() {
                self.draining = Some(e);
            }
        }
        self.attempt = false;
        self.open_deadline = None;
        self.backoff.reset();
        let was = self.state;
        self.state = ReadyState::Closed;
        if was != ReadyState::Closed {
            self.events.push_back(Event::Close(reason));
        }
        for i in 0..self.sockets.len() {
            if self.sockets[i].active {
                self.socket_closed(now, i, reason);
            }
        }
        if self.config.reconnection && !self.skip_reconnect {
            self.reconnect(now);
        }
    }

    fn reconnect(&mut self, now: Instant) {
        if self.reconnecting || self.skip_reconnect {
            return;
        }
        if self.backoff.attempts() >= self.config.reconnection_attempts {
            self.backoff.reset();
            self.reconnecting = false;
            self.events.push_back(Event::ReconnectFailed);
        } else {
            let delay = self.backoff.duration();
            self.reconnecting = true;
            self.reconnect_at = Some(now + delay);
        }
    }

    fn on_decoded(&mut self, now: Instant, r: Result<Option<Packet>, crate::socket::DecodeError>) {
        match r {
            Ok(Some(p)) => self.on_packet(now, p),
            Ok(None) => {}
            Err(_) => self.on_close(now, DisconnectReason::ParseError),
        }
    }

    fn on_packet(&mut self, now: Instant, packet: Packet) {
        let nsp = if packet.nsp.is_empty() {
            "/"
        } else {
            packet.nsp.as_str()
        };
        let Some(i) = self.index(nsp).filter(|&i| self.sockets[i].active) else {
            return;
        };
        match packet.data {
            PacketData::Connect(data) => {
                let obj = data.and_then(|d| serde_json::from_slice::<Value>(d.as_bytes()).ok());
                let field = |k: &str| {
                    obj.as_ref()
                        .and_then(|o| o.get(k))
                        .and_then(Value::as_str)
                        .map(|s| Str::from(s.to_owned()))
                };
                match field("sid") {
                    Some(sid) => self.on_connect(now, i, sid, field("pid")),
                    None => self.events.push_back(Event::ConnectError {
                        nsp: self.sockets[i].nsp.clone(),
                        message: V2_SERVER.to_owned(),
                        data: None,
                    }),
                }
            }
            PacketData::Event(e) => {
                if self.sockets[i].connected {
                    self.deliver(i, e);
                } else {
                    self.sockets[i].receive_buffer.push_back(e);
                }
            }
            PacketData::Ack(a) => {
                if let Some(pending) = self.sockets[i].acks.remove(&a.id) {
                    match pending.owner {
                        AckOwner::User(handle) => self.events.push_back(Event::Ack {
                            nsp: self.sockets[i].nsp.clone(),
                            handle,
                            result: Ok(a.payload),
                        }),
                        AckOwner::Queue => {
                            let done = self.sockets[i].queue.pop_front();
                            if let Some(h) = done.and_then(|q| q.handle) {
                                self.events.push_back(Event::Ack {
                                    nsp: self.sockets[i].nsp.clone(),
                                    handle: h,
                                    result: Ok(a.payload),
                                });
                            }
                            self.drain_queue(now, i, false);
                        }
                    }
                }
            }
            PacketData::Disconnect => {
                self.destroy(now, i);
                self.socket_closed(now, i, DisconnectReason::IoServerDisconnect);
            }
            PacketData::ConnectError(json) => {
                self.destroy(now, i);
                let v = serde_json::from_slice::<Value>(json.as_bytes()).ok();
                let (message, data) = match v {
                    Some(Value::String(s)) => (s, None),
                    Some(Value::Object(mut o)) => {
                        let message = o
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        (message, o.remove("data"))
                    }
                    _ => (String::new(), None),
                };
                self.events.push_back(Event::ConnectError {
                    nsp: self.sockets[i].nsp.clone(),
                    message,
                    data,
                });
            }
        }
    }

    fn on_connect(&mut self, now: Instant, i: usize, sid: Str, pid: Option<Str>) {
        let s = &mut self.sockets[i];
        s.recovered = pid.is_some() && s.pid == pid;
        s.pid = pid;
        s.sid = Some(sid.clone());
        s.connected = true;
        // The reference's emitBuffered: what came before the reply, then what waited to go.
        while let Some(e) = self.sockets[i].receive_buffer.pop_front() {
            self.deliver(i, e);
        }
        while let Some((p, _)) = self.sockets[i].send_buffer.pop_front() {
            self.send_packet(p);
        }
        let s = &self.sockets[i];
        self.events.push_back(Event::Connect {
            nsp: s.nsp.clone(),
            sid,
            recovered: s.recovered,
        });
        self.drain_queue(now, i, true);
    }

    /// Hands an event to the application, noting its offset for recovery.
    fn deliver(&mut self, i: usize, e: EventPacket) {
        let s = &mut self.sockets[i];
        // The server appends an offset only to events without an ack id (the reference's
        // last argument is then the ack callback, never a string).
        if s.pid.is_some() && e.ack_id().is_none() {
            if let Ok(args) = e.args() {
                if let Some(Value::String(offset)) = args.last() {
                    s.last_offset = Some(offset.clone());
                }
            }
        }
        self.events.push_back(Event::Message {
            nsp: s.nsp.clone(),
            event: e,
        });
    }

    fn send_connect(&mut self, i: usize) {
        let s = &self.sockets[i];
        let auth = s.config.auth.value();
        let data = match (&s.pid, auth) {
            (Some(pid), auth) => {
                let mut m = Map::new();
                m.insert("pid", Value::String(pid.to_string()));
                // The reference's `offset: undefined` is left out of the JSON.
                if let Some(offset) = &s.last_offset {
                    m.insert("offset", Value::String(offset.clone()));
                }
                if let Some(Value::Object(a)) = auth {
                    for (k, v) in a.iter() {
                        m.insert(k.clone(), v.clone());
                    }
                }
                Some(Value::Object(m))
            }
            (None, auth) => auth,
        };
        let json = data.map(|d| Payload::from_value(&d).json().clone());
        let p = Packet::connect(s.nsp.clone(), json);
        self.send_packet(p);
    }

    fn send_packet(&mut self, p: Packet) {
        if let Some(e) = &mut self.engine {
            for f in p.into_frames() {
                e.send(f);
            }
        }
    }

    fn send_event(&mut self, i: usize, event: EventPacket, volatile: bool) {
        let writable = self.engine.as_ref().is_some_and(EngineClient::is_writable);
        let s = &mut self.sockets[i];
        let ack = event.ack_id();
        let p = Packet::event(s.nsp.clone(), event);
        if volatile && !writable {
            // Dropped, as the reference does when the transport is busy.
        } else if s.connected {
            self.send_packet(p);
        } else {
            s.send_buffer.push_back((p, ack));
        }
    }

    /// Sends the head of the retry queue if nothing of it is in flight.
    fn drain_queue(&mut self, now: Instant, i: usize, force: bool) {
        let s = &mut self.sockets[i];
        if !s.connected {
            return;
        }
        let default_timeout = s.config.ack_timeout;
        // The id is taken only when the event goes out, as the reference numbers its acks.
        let next_id = s.next_ack_id;
        let Some(q) = s.queue.front_mut() else { return };
        if q.pending && !force {
            return;
        }
        let id = next_id;
        s.next_ack_id += 1;
        let q = s.queue.front_mut().expect("checked above");
        q.pending = true;
        q.tries += 1;
        let deadline = q.timeout.or(default_timeout).map(|t| now + t);
        let event = q.event.clone().with_ack(id);
        // A previous try of this event no longer counts.
        s.acks.retain(|_, a| a.owner != AckOwner::Queue);
        s.acks.insert(
            id,
            PendingAck {
                owner: AckOwner::Queue,
                deadline,
            },
        );
        self.send_event(i, event, false);
    }

    fn ack_failed(&mut self, now: Instant, i: usize, owner: AckOwner, why: AckFailure) {
        let nsp = self.sockets[i].nsp.clone();
        match owner {
            AckOwner::User(handle) => self.events.push_back(Event::Ack {
                nsp,
                handle,
                result: Err(why),
            }),
            AckOwner::Queue => {
                let retries = self.sockets[i].config.retries;
                let Some(q) = self.sockets[i].queue.front_mut() else {
                    return;
                };
                q.pending = false;
                if q.tries > retries {
                    let q = self.sockets[i].queue.pop_front();
                    if let Some(handle) = q.and_then(|q| q.handle) {
                        self.events.push_back(Event::Ack {
                            nsp,
                            handle,
                            result: Err(why),
                        });
                    }
                }
                self.drain_queue(now, i, false);
            }
        }
    }

    /// The socket stops following the manager; the connection closes when none is active.
    fn destroy(&mut self, now: Instant, i: usize) {
        self.sockets[i].active = false;
        if self.sockets.iter().any(|s| s.active) {
            return;
        }
        self.skip_reconnect = true;
        self.reconnecting = false;
        self.reconnect_at = None;
        self.on_close(now, DisconnectReason::ForcedClose);
    }

    /// Socket `i` lost its connection: it reports it and fails its acks.
    fn socket_closed(&mut self, now: Instant, i: usize, reason: DisconnectReason) {
        let s = &mut self.sockets[i];
        s.connected = false;
        s.sid = None;
        self.events.push_back(Event::Disconnect {
            nsp: s.nsp.clone(),
            reason,
        });
        let s = &mut self.sockets[i];
        let buffered: Vec<u64> = s.send_buffer.iter().filter_map(|(_, a)| *a).collect();
        let failed: Vec<u64> = s
            .acks
            .keys()
            .copied()
            .filter(|id| !buffered.contains(id))
            .collect();
        let mut owners = Vec::with_capacity(failed.len());
        for id in failed {
            if let Some(a) = s.acks.remove(&id) {
                owners.push((id, a.owner));
            }
        }
        owners.sort_by_key(|(id, _)| *id);
        for (_, owner) in owners {
            // Not connected: a queued event is not sent again until the next connect.
            self.ack_failed(now, i, owner, AckFailure::Disconnected);
        }
    }
}
