//! The Socket.IO v5 server, sans-IO: namespaces, sockets, rooms, acks and connection state
//! recovery above the Engine.IO server.
//!
//! [`SocketServer`] does not own the Engine.IO [`Server`](crate::engine::server::Server): the
//! layer that drives both reports each Engine.IO session's opening, messages and closing to it
//! and carries out the [`EngineCommand`]s it returns (send frames, close a session). Toward the
//! application it reports [`SocketEvent`]s and takes commands (`emit`, `join`, `disconnect`, …).
//! It follows socket.io 4.8 (the Node.js reference): packets, their order, ack ids, reasons;
//! clients on Engine.IO v3 (Socket.IO v2) get the Socket.IO v4 protocol as the reference
//! speaks it to them (implicit `/`, CONNECT without payload, ERROR as a plain string; see
//! `legacy.rs`).

mod config;
mod connect;
mod disconnect;
mod emit;
mod event;
mod handshake;
mod ids;
mod incoming;
mod legacy;
mod metrics;
mod namespace;
mod recovery;
mod rooms;
mod socket;
mod store;
mod target;
mod timer;

use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

use bytes::Bytes;
use hashbrown::HashMap;
use smallvec::SmallVec;

pub use config::{RecoveryConfig, SocketServerConfig};
pub use event::{DisconnectReason, EngineCommand, SocketEvent, SocketInfo};
pub use handshake::{ConnInfo, Handshake};
pub use ids::{
    BroadcastAckId, ConnectId, EmitAckError, JoinError, SocketId, UnknownConnect, UnknownNamespace,
    UnknownSocket,
};
pub use metrics::{RoomChange, SocketMetrics};
pub use store::{FoundSession, KeptSession, RoomLifecycle, SessionIo};
pub use target::Target;

use crate::engine::server::sid::SidGenerator;
use crate::engine::server::SessionHint;
use crate::engine::Frame;
use crate::socket::{Packet, Payload, MAIN_NAMESPACE};
use crate::Str;
use connect::PendingConnect;
use emit::{AckWait, BroadcastWait};
use namespace::Namespace;
use recovery::Kept;
use socket::{Conn, SocketState};
use timer::{Timer, Timers};

/// Decides whether a namespace that does not exist yet may be created on a client's CONNECT.
pub type NamespaceFilter = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// The Socket.IO server: every namespace and socket above one Engine.IO server.
///
/// Its methods come in four kinds (as quinn-proto's `Connection`):
///
/// - **getters** (`&self`): [`config`](Self::config), [`has_namespace`](Self::has_namespace),
///   [`socket_count`](Self::socket_count), [`rooms`](Self::rooms),
///   [`sockets_in`](Self::sockets_in), [`namespace_of`](Self::namespace_of),
///   [`handshake`](Self::handshake), [`is_connected`](Self::is_connected),
///   [`connection_count`](Self::connection_count);
/// - **inputs** from the Engine.IO layer, each taking the time `now`:
///   [`handle_engine_open`](Self::handle_engine_open) (and, optionally,
///   [`set_session_hint`](Self::set_session_hint)),
///   [`handle_engine_message`](Self::handle_engine_message),
///   [`handle_engine_close`](Self::handle_engine_close),
///   [`handle_timeout`](Self::handle_timeout), and from an external session store
///   [`handle_session_found`](Self::handle_session_found);
/// - **commands** from the application: namespaces ([`add_namespace`](Self::add_namespace),
///   [`add_dynamic_namespaces`](Self::add_dynamic_namespaces)), connecting
///   ([`accept_connect`](Self::accept_connect), [`reject_connect`](Self::reject_connect)),
///   emitting ([`emit`](Self::emit), [`emit_volatile`](Self::emit_volatile),
///   [`emit_with_ack`](Self::emit_with_ack), [`ack`](Self::ack),
///   [`broadcast`](Self::broadcast), [`broadcast_volatile`](Self::broadcast_volatile),
///   [`broadcast_with_ack`](Self::broadcast_with_ack)), rooms ([`join`](Self::join),
///   [`leave`](Self::leave), [`sockets_join`](Self::sockets_join),
///   [`sockets_leave`](Self::sockets_leave), [`fetch_sockets`](Self::fetch_sockets)) and
///   leaving ([`disconnect`](Self::disconnect),
///   [`disconnect_sockets`](Self::disconnect_sockets)); for a cluster adapter
///   ([`set_external_sessions`](Self::set_external_sessions),
///   [`watch_rooms`](Self::watch_rooms), [`broadcast_at_offset`](Self::broadcast_at_offset));
/// - **outputs**, to drain after every input or command:
///   [`poll_engine_command`](Self::poll_engine_command) and [`poll_event`](Self::poll_event)
///   (and [`poll_room_change`](Self::poll_room_change), if asked for; for a cluster adapter,
///   [`poll_session_io`](Self::poll_session_io) and
///   [`poll_room_lifecycle`](Self::poll_room_lifecycle)) until `None`, then arm one timer for
///   [`poll_timeout`](Self::poll_timeout).
///
/// For an operator: [`metrics`](Self::metrics) (counters and gauges) and
/// [`report_room_changes`](Self::report_room_changes).
///
/// Timers (connect timeout per connection, ack deadlines, broadcast-ack deadlines, kept
/// recovery sessions) share one binary heap with lazy invalidation: each record stores its
/// deadline, and heap entries that no longer match are dropped when they reach the top.
///
/// Volatile emits take no recovery offset, are never replayed, and their
/// [`EngineCommand::Send`] is marked `volatile`: the Engine.IO layer sends them only if the
/// transport can write at once ([`Server::send_volatile`](crate::engine::server::Server::send_volatile)).
pub struct SocketServer {
    config: SocketServerConfig,
    ids: SidGenerator,
    namespaces: HashMap<Bytes, Namespace>,
    dynamic: Vec<NamespaceFilter>,
    /// Values boxed: the tables stay small (about 40 bytes a bucket) at low load after they
    /// grow, and a rehash moves pointers.
    conns: crate::id_map::IdMap<Box<Conn>>,
    sockets: crate::id_map::IdMap<Box<SocketState>>,
    pending: HashMap<ConnectId, PendingConnect>,
    next_connect: u64,
    acks: HashMap<(SocketId, u64), AckWait>,
    broadcast_acks: HashMap<u64, BroadcastWait>,
    next_broadcast_ack: u64,
    sessions: HashMap<Str, Kept>,
    next_offset: u64,
    timers: Timers,
    commands: VecDeque<EngineCommand>,
    events: VecDeque<SocketEvent>,
    /// The latest time passed in, for commands that take none (`emit` stores the time of an
    /// event in the recovery log).
    last_now: Option<Instant>,
    /// Sessions and offsets live in an external store (a cluster adapter): see `store`.
    external_sessions: bool,
    session_io: VecDeque<SessionIo>,
    /// Rooms created and deleted are reported (for a sharded cluster's channels per room).
    watch_rooms: bool,
    room_lifecycle: VecDeque<RoomLifecycle>,
    /// The counters for an operator.
    metrics: SocketMetrics,
    /// Room changes not yet polled, when reported (see [`Self::report_room_changes`]).
    room_changes: Option<VecDeque<RoomChange>>,
}

impl fmt::Debug for SocketServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketServer")
            .field("config", &self.config)
            .field("namespaces", &self.namespaces.len())
            .field("connections", &self.conns.len())
            .field("sockets", &self.sockets.len())
            .finish_non_exhaustive()
    }
}

impl SocketServer {
    /// A server with `config` and the main namespace `/`.
    pub fn new(config: SocketServerConfig) -> Self {
        let ids = SidGenerator::new(config.id_seed);
        let mut server = SocketServer {
            config,
            ids,
            namespaces: HashMap::new(),
            dynamic: Vec::new(),
            conns: Default::default(),
            sockets: Default::default(),
            pending: HashMap::new(),
            next_connect: 0,
            acks: HashMap::new(),
            broadcast_acks: HashMap::new(),
            next_broadcast_ack: 0,
            sessions: HashMap::new(),
            next_offset: 0,
            timers: Timers::default(),
            commands: VecDeque::new(),
            events: VecDeque::new(),
            last_now: None,
            external_sessions: false,
            session_io: VecDeque::new(),
            watch_rooms: false,
            room_lifecycle: VecDeque::new(),
            metrics: SocketMetrics::default(),
            room_changes: None,
        };
        server.add_namespace(MAIN_NAMESPACE);
        server
    }

    // ---- getters -----------------------------------------------------------------------------

    /// The configuration.
    pub fn config(&self) -> &SocketServerConfig {
        &self.config
    }

    /// Whether namespace `name` exists (statically added or created on demand).
    pub fn has_namespace(&self, name: &str) -> bool {
        self.namespaces.contains_key(name.as_bytes())
    }

    /// The number of sockets in namespace `nsp` (0 for an unknown one).
    pub fn socket_count(&self, nsp: &str) -> usize {
        self.namespaces
            .get(nsp.as_bytes())
            .map_or(0, |n| n.sockets.len())
    }

    /// The rooms of `socket`, its own id first; `None` once it is gone.
    pub fn rooms(&self, socket: &SocketId) -> Option<&[Str]> {
        self.sockets.get(socket).map(|s| s.rooms.as_slice())
    }

    /// The sockets of namespace `nsp` in any of `rooms` (every socket when `rooms` is empty).
    pub fn sockets_in(&self, nsp: &str, rooms: &[Str]) -> Vec<SocketId> {
        let Some(n) = self.namespaces.get(nsp.as_bytes()) else {
            return Vec::new();
        };
        let target = Target {
            rooms: rooms.to_vec(),
            ..Target::default()
        };
        target.select(n)
    }

    /// The namespace of `socket`.
    pub fn namespace_of(&self, socket: &SocketId) -> Option<&Str> {
        self.sockets.get(socket).map(|s| &s.nsp)
    }

    /// The handshake of `socket`.
    pub fn handshake(&self, socket: &SocketId) -> Option<&Handshake> {
        self.sockets.get(socket).map(|s| &s.handshake)
    }

    /// Whether `socket` is connected (known and not leaving).
    pub fn is_connected(&self, socket: &SocketId) -> bool {
        self.sockets.get(socket).is_some_and(|s| s.is_live())
    }

    /// The number of Engine.IO connections the server knows.
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    // ---- commands: namespaces ----------------------------------------------------------------

    /// Creates namespace `name` (`/` exists from the start). Adding an existing one does
    /// nothing.
    pub fn add_namespace(&mut self, name: impl Into<Str>) {
        let name = name.into();
        // Named by the application: it stays, even if a client created it first.
        self.namespaces
            .entry(name.bytes().clone())
            .or_insert_with(|| Namespace::new(name))
            .dynamic = false;
    }

    /// Lets clients create namespaces on demand: a CONNECT to an unknown namespace whose name
    /// `filter` accepts creates it (as the reference's parent namespaces); it then stays.
    pub fn add_dynamic_namespaces(&mut self, filter: NamespaceFilter) {
        self.dynamic.push(filter);
    }

    // ---- outputs -----------------------------------------------------------------------------

    /// The next thing the Engine.IO layer must do.
    #[must_use]
    pub fn poll_engine_command(&mut self) -> Option<EngineCommand> {
        self.commands.pop_front()
    }

    /// The next engine command if it is a non-volatile [`EngineCommand::Send`] to session
    /// `sid` (its frames): a caller carrying out a send takes those that follow it to the same
    /// session with it, in one visit of the session.
    pub(crate) fn poll_send_to(&mut self, sid: &Str) -> Option<SmallVec<[Frame; 1]>> {
        if !self.next_sends_to(sid) {
            return None;
        }
        match self.commands.pop_front() {
            Some(EngineCommand::Send { frames, .. }) => Some(frames),
            _ => None,
        }
    }

    /// Whether the next engine command is a non-volatile send to session `sid`, named by the
    /// same buffer (as every send to one socket's session is: a clone of its `sid`). A copy
    /// of the id elsewhere reads false: the send then simply goes alone.
    #[inline]
    pub(crate) fn next_sends_to(&self, sid: &Str) -> bool {
        matches!(
            self.commands.front(),
            Some(EngineCommand::Send { sid: next, volatile: false, .. })
                if next.as_bytes().as_ptr() == sid.as_bytes().as_ptr() && next.len() == sid.len()
        )
    }

    /// How many engine commands wait to be polled.
    pub(crate) fn queued_commands(&self) -> usize {
        self.commands.len()
    }

    /// Whether engine commands or events wait to be polled: when not, the layer above has
    /// nothing of this machine's to carry out.
    pub(crate) fn has_output(&self) -> bool {
        !self.commands.is_empty() || !self.events.is_empty()
    }

    /// The next thing the application must learn. Polling a
    /// [`SocketEvent::Disconnected`] releases that socket's state.
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<SocketEvent> {
        // Polled until empty after every command: the empty queue answers without a call.
        if self.events.is_empty() {
            return None;
        }
        self.next_event()
    }

    fn next_event(&mut self) -> Option<SocketEvent> {
        let event = self.events.pop_front()?;
        if let SocketEvent::Disconnected { socket, .. } = &event {
            self.finalize(socket);
        }
        Some(event)
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next, if any timer is armed.
    #[must_use]
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some((at, timer)) = self.timers.peek() {
            if self.timer_is_live(*at, timer) {
                return Some(*at);
            }
            self.timers.pop();
        }
        None
    }

    /// Fires the timers that expired at `now`. Safe to call early: nothing happens.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.touch(now);
        while let Some((at, _)) = self.timers.peek() {
            if *at > now {
                break;
            }
            let Some((at, timer)) = self.timers.pop() else {
                break;
            };
            if !self.timer_is_live(at, &timer) {
                continue;
            }
            match timer {
                Timer::ConnectTimeout(sid) => self.connect_timed_out(&sid),
                Timer::Ack(socket, id) => self.ack_timed_out(socket, id),
                Timer::BroadcastAck(id) => self.finish_broadcast_ack(id),
                Timer::Session(pid) => self.drop_kept(&pid),
            }
        }
    }

    // ---- internals ---------------------------------------------------------------------------

    fn touch(&mut self, now: Instant) {
        if self.last_now.is_none_or(|t| t < now) {
            self.last_now = Some(now);
        }
    }

    fn timer_is_live(&self, at: Instant, timer: &Timer) -> bool {
        match timer {
            Timer::ConnectTimeout(sid) => self
                .conns
                .get(sid.as_bytes())
                .is_some_and(|c| c.connect_deadline == Some(at)),
            Timer::Ack(socket, id) => self
                .acks
                .get(&(socket.clone(), *id))
                .is_some_and(|w| w.deadline == Some(at)),
            Timer::BroadcastAck(id) => self
                .broadcast_acks
                .get(id)
                .is_some_and(|w| w.deadline == Some(at)),
            Timer::Session(pid) => self.sessions.get(pid).is_some_and(|k| k.expires == at),
        }
    }

    fn send_frames(&mut self, sid: &Str, frames: SmallVec<[Frame; 1]>) {
        self.send_frames_hinted(sid.clone(), SessionHint::NONE, frames);
    }

    /// [`send_frames`](Self::send_frames) with the session's hint (a socket's record has it).
    /// Takes `sid` by value: it moves into the command.
    fn send_frames_hinted(&mut self, sid: Str, hint: SessionHint, frames: SmallVec<[Frame; 1]>) {
        // Attachments to a v3 client travel in v3 binary frames.
        let v3 = legacy::has_binary(&frames)
            && self.conns.get(sid.as_bytes()).is_some_and(|c| c.is_v3());
        let frames = if v3 {
            crate::engine::v3::wire_frames(&frames)
        } else {
            frames
        };
        self.commands.push_back(EngineCommand::Send {
            sid,
            hint,
            frames,
            volatile: false,
        });
    }

    /// Sends `packet` to Engine.IO session `sid`, its buffers moved into the frames (an
    /// answer's ready frame is sent as built, never copied or shared).
    fn send_packet(&mut self, sid: &Str, packet: Packet) {
        self.send_frames(sid, self.config.parser.into_frames(packet));
    }

    fn new_id(&mut self) -> SocketId {
        loop {
            let id = SocketId::new(self.ids.next_sid());
            if !self.sockets.contains_key(&id) {
                return id;
            }
        }
    }
}

/// An answer to the client: an ack with `payload` for event `id` in `nsp`.
fn ack_packet(nsp: &Str, id: u64, payload: Payload) -> Packet {
    Packet::ack(nsp.clone(), crate::socket::Ack { id, payload })
}
