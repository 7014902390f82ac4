//! The Engine.IO server, sans-IO: [`Server`] routes HTTP requests and WebSocket messages to
//! sessions by sid and tells the driver what to send, when to wake it, and what happened.
//!
//! It follows engine.io 6.6 (the Node.js reference) on the wire: handshake documents, long-poll
//! parking, error codes and their check order, the upgrade probe, heartbeats and close reasons;
//! with [`ServerConfig::allow_eio3`], Engine.IO v3 sessions too (see [`crate::engine::v3`]).
//! See [`Server`] for the methods and the caller contract.

mod config;
mod cookie;
mod cors;
mod event;
mod hint;
mod metrics;
mod request;
mod routing;
mod send;
mod session;
pub(crate) mod sid;
mod timer;
mod webtransport;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::time::Instant;

use bytes::Bytes;
use hashbrown::HashMap;

pub use config::{AllowRequest, AllowedOrigins, Cors, ServerConfig, Transports};
pub use cookie::{Cookie, SameSite};
pub use event::{CloseReason, Event, TransportKind};
pub use hint::SessionHint;
pub use metrics::EngineMetrics;
pub use request::{parse_query, Headers, Method, Request, Response, Transmit, TransportId};
pub use session::{queued_size, FRAME_OVERHEAD};

use super::{ErrorCode, Frame, Protocol};
use crate::compress::deflate;
use crate::Str;
use session::{bare, Outbox, Session};
use sid::SidGenerator;

/// A WebSocket the driver was told to accept and that has not opened yet.
#[derive(Debug)]
/// What a session's handshake request tells of the peer.
struct Peer {
    origin: Option<String>,
    headers: Vec<(String, String)>,
    remote_address: Option<String>,
    secure: bool,
}

struct PendingWs {
    /// The session it upgrades, or `None` for a WebSocket handshake.
    sid: Option<Str>,
    /// The revision its request asked for (checked against the session's for an upgrade).
    protocol: Protocol,
    /// v3: binary frames, not base64 (no `b64` in its request).
    binary: bool,
    query: Vec<(String, String)>,
    origin: Option<String>,
    headers: Vec<(String, String)>,
    remote_address: Option<String>,
    secure: bool,
    /// Accepted only to be closed once open (the reference's order of checks).
    refuse: bool,
}

/// The Engine.IO server endpoint: every session of one path.
///
/// Its methods come in four kinds (as quinn-proto's `Connection`):
///
/// - **getters** (`&self`): [`config`](Self::config), [`session_count`](Self::session_count),
///   [`transport_of`](Self::transport_of), [`is_upgrading`](Self::is_upgrading),
///   [`buffered`](Self::buffered), [`is_paused`](Self::is_paused),
///   [`handles_path`](Self::handles_path), [`session_hint`](Self::session_hint);
/// - **inputs**, named for what the driver saw, each taking the time `now`:
///   [`handle_request`](Self::handle_request), [`handle_ws_open`](Self::handle_ws_open),
///   [`handle_ws_message`](Self::handle_ws_message),
///   [`handle_ws_closed`](Self::handle_ws_closed), [`handle_ws_error`](Self::handle_ws_error),
///   [`handle_ws_written`](Self::handle_ws_written),
///   [`handle_request_aborted`](Self::handle_request_aborted),
///   [`handle_timeout`](Self::handle_timeout);
/// - **commands** from the application: [`send`](Self::send),
///   [`send_frame`](Self::send_frame), [`send_frames`](Self::send_frames),
///   [`send_packets`](Self::send_packets), [`send_frame_hinted`](Self::send_frame_hinted),
///   [`send_frames_hinted`](Self::send_frames_hinted), [`send_volatile`](Self::send_volatile),
///   [`pause_reading`](Self::pause_reading), [`resume_reading`](Self::resume_reading),
///   [`close`](Self::close), [`shutdown`](Self::shutdown);
/// - **outputs**, to drain after every input or command: [`poll_transmit`](Self::poll_transmit)
///   (and, to take the frames queued for one WebSocket in a row together,
///   [`poll_ws_frame_to`](Self::poll_ws_frame_to)) and [`poll_event`](Self::poll_event) until
///   `None`, then arm one timer for [`poll_timeout`](Self::poll_timeout).
///
/// ## Backpressure
///
/// Each session counts what is queued for its client and not yet written: the polling buffer,
/// and the frames handed to its WebSocket until the driver reports them written with
/// [`handle_ws_written`](Self::handle_ws_written) (each frame counted as
/// [`queued_size`]). A client that falls behind is handled in three steps:
///
/// - above half of [`ServerConfig::max_buffered_bytes`], volatile packets are dropped
///   ([`send_volatile`](Self::send_volatile) returns `false`);
/// - a packet that would take the queue past the limit, for a client whose queue is more than
///   half full already, closes the session with [`CloseReason::SendBufferFull`] and drops its
///   connection ([`Transmit::AbortWs`]): its packets can no longer be delivered in order, and
///   holding more would make memory grow with the slowest client. (A client whose queue is at
///   most half full takes any packet, even one larger than the limit, which then stretches by
///   that packet's size until the queue is back to half: one large message always reaches a
///   client that keeps up, what follows it still fits, and a stalled client holds at most the
///   limit plus one packet. This also leaves room for drivers that report writes in batches.)
/// - a client that stops reading altogether misses its heartbeat: "ping timeout", and its
///   connection is dropped too.
///
/// Coming back to half the limit is reported ([`Event::Drained`]), so an application can wait
/// for a slow client ([`buffered`](Self::buffered) tells the level). The other direction:
/// [`pause_reading`](Self::pause_reading) stops reading a client whose messages the
/// application is behind on (a paused WebSocket is told [`Transmit::PauseRead`], a POST is
/// answered only on [`resume_reading`](Self::resume_reading)), so the client's own buffers and
/// TCP hold what it sends meanwhile.
///
/// Timers: each session has a fixed table (ping interval, ping timeout, upgrade timeout, the
/// 100 ms upgrade `noop`, the polling close timeout). The server keeps a binary heap of
/// `(deadline, sid)` with lazy invalidation: a session pushes an entry only when its earliest
/// deadline changes, and entries that no longer match are dropped when they reach the top. So
/// `poll_timeout` is O(1) amortized and a pong (which moves a deadline) costs O(log n), where a
/// scan would cost O(sessions) on every wake-up.
pub struct Server {
    config: ServerConfig,
    /// Boxed: the table stays small (about 40 bytes a bucket) at low load after it grows.
    sessions: crate::id_map::IdMap<Box<Session>>,
    pending_ws: HashMap<TransportId, PendingWs>,
    /// WebTransport sessions waiting for their first packet (see `webtransport.rs`).
    pending_wt: HashMap<TransportId, webtransport::PendingWt>,
    /// Their deadlines, in order (`now + upgrade_timeout` for a `now` that never goes back).
    wt_deadlines: std::collections::VecDeque<(Instant, TransportId)>,
    out: Outbox,
    timers: BinaryHeap<Reverse<(Instant, Str)>>,
    /// The earliest live deadline of `timers`, once known: `poll_timeout` runs after every
    /// input (a lookup of the top entry's session each time), while the heap and the
    /// sessions' armed deadlines change far more rarely. Forgotten wherever they change.
    next_deadline: Option<Option<Instant>>,
    sids: SidGenerator,
    /// [`ServerConfig::cookie`], checked once.
    cookie: Option<cookie::CheckedCookie>,
}

/// The application named a session that does not exist (any more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownSession;

impl fmt::Display for UnknownSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no such Engine.IO session")
    }
}

impl std::error::Error for UnknownSession {}

/// Why [`Server::send`] refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// No such session (it closed).
    UnknownSession,
    /// Only messages (text or binary) can be sent by the application.
    NotAMessage,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::UnknownSession => f.write_str("no such Engine.IO session"),
            SendError::NotAMessage => f.write_str("only message packets can be sent"),
        }
    }
}

impl std::error::Error for SendError {}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .field("sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server with `config` and no session.
    ///
    /// # Panics
    ///
    /// If [`ServerConfig::cookie`] is one the reference refuses too (an invalid name, path
    /// or domain; see [`Cookie::header_value`]).
    pub fn new(config: ServerConfig) -> Self {
        let sids = SidGenerator::new(config.sid_seed);
        let cookie = config.cookie.as_ref().map(|c| {
            c.checked()
                .unwrap_or_else(|why| panic!("ServerConfig::cookie: {why}"))
        });
        let http_compression = config.http_compression;
        Server {
            config,
            sessions: Default::default(),
            pending_ws: HashMap::new(),
            pending_wt: HashMap::new(),
            wt_deadlines: std::collections::VecDeque::new(),
            out: Outbox {
                http_compression,
                ..Outbox::default()
            },
            timers: BinaryHeap::new(),
            next_deadline: None,
            sids,
            cookie,
        }
    }

    // ---- getters -----------------------------------------------------------------------------

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The number of open sessions.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// The transport session `sid` runs on, if it is open.
    pub fn transport_of(&self, sid: &str) -> Option<TransportKind> {
        self.sessions.get(sid.as_bytes()).map(|s| s.transport())
    }

    /// The counters since the server started, with the gauges (sessions open by transport,
    /// bytes queued) computed now by walking the sessions: O(sessions), for an operator's
    /// scrape, not for every message.
    pub fn metrics(&self) -> EngineMetrics {
        let mut m = self.out.metrics.clone();
        for s in self.sessions.values() {
            m.open[s.transport().index()] += 1;
            m.queued_bytes += s.buffered() as u64;
        }
        m
    }

    /// Whether session `sid` has a WebSocket probing for an upgrade.
    pub fn is_upgrading(&self, sid: &str) -> bool {
        self.sessions
            .get(sid.as_bytes())
            .is_some_and(|s| s.is_upgrading())
    }

    /// What is queued for session `sid`'s client and not yet written, in [`queued_size`] units
    /// (see the docs on backpressure above).
    pub fn buffered(&self, sid: &(impl AsRef<[u8]> + ?Sized)) -> Option<usize> {
        self.sessions.get(sid.as_ref()).map(|s| s.buffered())
    }

    /// Whether reading session `sid`'s client is paused ([`pause_reading`](Self::pause_reading)).
    pub fn is_paused(&self, sid: &str) -> bool {
        self.sessions
            .get(sid.as_bytes())
            .is_some_and(|s| s.is_paused())
    }

    /// The protocol revision session `sid` speaks, if it is open: frames handed to
    /// [`send_frame`](Self::send_frame) and its siblings must be in its wire format.
    pub fn protocol_of(&self, sid: &(impl AsRef<[u8]> + ?Sized)) -> Option<Protocol> {
        self.sessions.get(sid.as_ref()).map(|s| s.protocol())
    }

    /// Whether requests to `path` are for this server (its path is a prefix, slash included).
    /// Drivers route other paths elsewhere; [`handle_request`](Self::handle_request) answers
    /// them 404.
    pub fn handles_path(&self, path: &str) -> bool {
        path.starts_with(self.config.path.as_str())
    }

    // ---- inputs (HTTP requests: routing.rs) ----------------------------------------------

    /// The WebSocket accepted by [`Transmit::AcceptWebSocket`] for request `id` is open.
    ///
    /// A WebSocket handshake gets its `open` packet as the first frame; an upgrade starts
    /// probing (`2probe` → `3probe`, then `5`).
    pub fn handle_ws_open(&mut self, now: Instant, id: TransportId) {
        self.out.now = Some(now);
        let Some(pending) = self.pending_ws.remove(&id) else {
            return;
        };
        if pending.refuse {
            self.out.transmits.push_back(Transmit::CloseWs { to: id });
            return;
        }
        match pending.sid {
            Some(sid) => {
                let key = sid.into_bytes();
                match self.sessions.get_mut(&key) {
                    Some(s) => {
                        s.handle_probe_open(now, id, pending.binary, &self.config, &mut self.out)
                    }
                    None => self.out.transmits.push_back(Transmit::CloseWs { to: id }),
                }
                self.settle(&key);
            }
            None => {
                let sid = self.new_sid();
                let transport = session::Transport {
                    protocol: pending.protocol,
                    binary: pending.binary,
                };
                let session = Session::open_websocket(
                    now,
                    sid.clone(),
                    id,
                    transport,
                    &self.config,
                    &mut self.out,
                );
                self.opened(
                    sid,
                    session,
                    TransportKind::WebSocket,
                    pending.protocol,
                    pending.query,
                    Peer {
                        origin: pending.origin,
                        headers: pending.headers,
                        remote_address: pending.remote_address,
                        secure: pending.secure,
                    },
                );
            }
        }
    }

    /// A whole message arrived on WebSocket `id`.
    pub fn handle_ws_message(&mut self, now: Instant, id: TransportId, frame: Frame) {
        self.handle_ws_messages(now, id, [frame]);
    }

    /// Several whole messages that arrived on WebSocket `id`, in order: as many
    /// [`handle_ws_message`](Self::handle_ws_message) calls, with one lookup of the session
    /// for all of them. Messages after one that closed the session are ignored.
    pub fn handle_ws_messages(
        &mut self,
        now: Instant,
        id: TransportId,
        frames: impl IntoIterator<Item = Frame>,
    ) {
        self.handle_ws_input(now, id, 0, frames);
    }

    /// [`handle_ws_written`](Self::handle_ws_written) of `written` bytes (none when 0), then
    /// [`handle_ws_messages`](Self::handle_ws_messages), with one lookup of the session and
    /// one settling for both: what a driver that batches its write reports passes along with
    /// the next messages it read.
    pub fn handle_ws_input(
        &mut self,
        now: Instant,
        id: TransportId,
        written: usize,
        frames: impl IntoIterator<Item = Frame>,
    ) {
        self.out.now = Some(now);
        let Some(key) = self.out.bindings.get(&id).map(|s| s.bytes().clone()) else {
            return;
        };
        // One lookup for the write report, the messages and the settling after them (the
        // hot path).
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        if written > 0 {
            s.handle_written(id, written, &mut self.out);
        }
        for frame in frames {
            if s.is_closed() {
                break;
            }
            s.handle_ws_frame(now, id, frame, &self.config, &mut self.out);
        }
        if rearm(s, &key, &mut self.timers, &mut self.next_deadline) {
            self.sessions.remove(&key);
        }
    }

    /// The driver wrote `bytes` (in [`queued_size`] units: each frame's length plus
    /// [`FRAME_OVERHEAD`]) of the frames it was given for WebSocket `id`. Drivers report every
    /// write, or batch the reports; until reported, written frames still count as queued
    /// against [`ServerConfig::max_buffered_bytes`].
    pub fn handle_ws_written(&mut self, now: Instant, id: TransportId, bytes: usize) {
        self.handle_ws_input(now, id, bytes, std::iter::empty());
    }

    /// WebSocket `id` closed or failed (not after a [`Transmit::CloseWs`], which needs no
    /// report). The session on it closes with "transport close"; a probe is abandoned.
    pub fn handle_ws_closed(&mut self, now: Instant, id: TransportId) {
        self.ws_gone(now, id, CloseReason::TransportClose);
    }

    /// WebSocket `id` broke the protocol (a message over `max_payload`, invalid UTF-8, a
    /// malformed frame: the driver answered with the WebSocket close code): its session closes
    /// with "transport error", as the reference's does; a probe is abandoned.
    pub fn handle_ws_error(&mut self, now: Instant, id: TransportId) {
        self.ws_gone(now, id, CloseReason::TransportError);
    }

    fn ws_gone(&mut self, now: Instant, id: TransportId, reason: CloseReason) {
        self.out.now = Some(now);
        if self.pending_ws.remove(&id).is_some() || self.pending_wt.remove(&id).is_some() {
            return;
        }
        let Some(key) = self.out.bindings.get(&id).map(|s| s.bytes().clone()) else {
            return;
        };
        if let Some(s) = self.sessions.get_mut(&key) {
            s.handle_ws_closed(id, reason, &mut self.out);
        }
        self.out.bindings.remove(&id);
        self.settle(&key);
    }

    /// The client of HTTP request `id` went away before it was answered. A parked long-poll
    /// closes its session ("transport error", as the reference's "poll connection closed
    /// prematurely"); any other request is forgotten.
    pub fn handle_request_aborted(&mut self, now: Instant, id: TransportId) {
        self.out.now = Some(now);
        let Some(key) = self.out.bindings.get(&id).map(|s| s.bytes().clone()) else {
            return;
        };
        if let Some(s) = self.sessions.get_mut(&key) {
            s.handle_get_aborted(id, &mut self.out);
        }
        self.out.bindings.remove(&id);
        self.settle(&key);
    }

    /// Fires the timers that expired at `now`. Safe to call early: nothing happens.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.out.now = Some(now);
        while let Some(&(at, to)) = self.out.lingering.front() {
            if at > now {
                break;
            }
            self.out.lingering.pop_front();
            self.out.transmits.push_back(Transmit::AbortWs { to });
        }
        self.expire_pending_wt(now);
        let mut due = Vec::new();
        self.next_deadline = None;
        while let Some(Reverse((at, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            if let Some(Reverse(entry)) = self.timers.pop() {
                due.push(entry);
            }
        }
        for (at, sid) in due {
            let key = sid.into_bytes();
            let Some(s) = self.sessions.get_mut(&key) else {
                continue;
            };
            if s.armed != Some(at) {
                continue; // A stale entry.
            }
            s.armed = None;
            s.handle_timeout(now, &self.config, &mut self.out);
            self.settle(&key);
        }
    }

    // ---- commands ----------------------------------------------------------------------------
    // (The sends are in `send.rs`.)

    /// Stops reading session `sid`'s client until [`resume_reading`](Self::resume_reading):
    /// the application is behind on its messages. A WebSocket is told
    /// [`Transmit::PauseRead`]; a POST waits for its answer (its packets are taken on resume);
    /// the pong deadline is suspended, since the client cannot be heard meanwhile.
    pub fn pause_reading(&mut self, sid: &str) -> Result<(), UnknownSession> {
        let s = self
            .sessions
            .get_mut(sid.as_bytes())
            .ok_or(UnknownSession)?;
        s.pause(&mut self.out);
        let key = Bytes::copy_from_slice(sid.as_bytes());
        self.settle(&key);
        Ok(())
    }

    /// Reads session `sid`'s client again: a paused WebSocket resumes, a waiting POST is
    /// taken and answered, and a pending pong is awaited again for a whole `ping_timeout`.
    pub fn resume_reading(&mut self, now: Instant, sid: &str) -> Result<(), UnknownSession> {
        self.out.now = Some(now);
        let s = self
            .sessions
            .get_mut(sid.as_bytes())
            .ok_or(UnknownSession)?;
        s.resume(now, &self.config, &mut self.out);
        let key = Bytes::copy_from_slice(sid.as_bytes());
        self.settle(&key);
        Ok(())
    }

    /// Closes session `sid` ("forced close") once what is queued for it is delivered.
    pub fn close(&mut self, now: Instant, sid: &str) -> Result<(), UnknownSession> {
        self.out.now = Some(now);
        let key = Bytes::copy_from_slice(sid.as_bytes());
        let s = self.sessions.get_mut(&key).ok_or(UnknownSession)?;
        s.force_close(now, &mut self.out);
        self.settle(&key);
        Ok(())
    }

    /// Closes every session now ("server shutting down") and every WebSocket not yet open.
    pub fn shutdown(&mut self) {
        for (_, mut s) in self.sessions.drain() {
            s.shutdown(&mut self.out);
        }
        for (id, _) in self.pending_ws.drain() {
            self.out.transmits.push_back(Transmit::CloseWs { to: id });
        }
        for (id, _) in self.pending_wt.drain() {
            self.out.transmits.push_back(Transmit::CloseWs { to: id });
        }
        self.wt_deadlines.clear();
        self.timers.clear();
        self.next_deadline = None;
    }

    // ---- outputs -----------------------------------------------------------------------------

    /// Whether transmits or events wait to be polled.
    pub(crate) fn has_output(&self) -> bool {
        !self.out.transmits.is_empty() || !self.out.events.is_empty()
    }

    /// The next thing to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// The next thing to send if it is a [`Transmit::WsFrame`] on WebSocket `to` (its frame):
    /// a caller routing a frame takes those that follow it to the same WebSocket with it (a
    /// batch's answers), handing them over together.
    #[must_use]
    #[inline(always)]
    pub fn poll_ws_frame_to(&mut self, to: TransportId) -> Option<Frame> {
        match self.out.transmits.front() {
            Some(Transmit::WsFrame { to: next, .. }) if *next == to => {}
            _ => return None,
        }
        match self.out.transmits.pop_front() {
            Some(Transmit::WsFrame { frame, .. }) => Some(frame),
            _ => None,
        }
    }

    /// The next thing that happened.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.out.events.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next, if any timer is armed.
    #[must_use]
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let pending_wt = self.next_pending_wt();
        let linger = match (self.out.lingering.front(), pending_wt) {
            (Some((a, _)), Some(b)) => Some((*a).min(b)),
            (a, b) => a.map(|(at, _)| *at).or(b),
        };
        let next = match self.next_deadline {
            Some(known) => known,
            None => {
                let next = self.live_deadline();
                self.next_deadline = Some(next);
                next
            }
        };
        match (next, linger) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The earliest deadline of `timers` whose session still has it armed (stale entries on
    /// top are dropped).
    fn live_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, sid))) = self.timers.peek() {
            let live = self
                .sessions
                .get(sid.as_bytes())
                .is_some_and(|s| s.armed == Some(*at));
            if live {
                return Some(*at);
            }
            self.timers.pop();
        }
        None
    }

    // ---- internals ---------------------------------------------------------------------------

    /// After a session changed: drop it if closed, else push its next deadline if it moved.
    fn settle(&mut self, key: &Bytes) {
        let Some(s) = self.sessions.get_mut(key) else {
            return;
        };
        if rearm(s, key, &mut self.timers, &mut self.next_deadline) {
            self.sessions.remove(key);
        }
    }
}

/// [`Server::settle`] on a session already at hand: pushes its next deadline if it moved;
/// returns whether it closed (the caller removes it).
fn rearm(
    s: &mut Session,
    key: &Bytes,
    timers: &mut BinaryHeap<Reverse<(Instant, Str)>>,
    next_deadline: &mut Option<Option<Instant>>,
) -> bool {
    if s.is_closed() {
        *next_deadline = None;
        return true;
    }
    let next = s.next_timeout();
    if next != s.armed {
        s.armed = next;
        *next_deadline = None;
        if let Some(at) = next {
            let sid = Str::from_utf8(key.clone()).unwrap_or_default();
            timers.push(Reverse((at, sid)));
        }
    }
    false
}
