//! The two server machines wired as `api::socketio::layer` wires them, with the harness's
//! own record of everything they said, and the invariants checked against that record.
//!
//! The wiring mirrors `EngineIo::flush` and `Layer::pump`: Engine.IO transmits are routed,
//! then each Engine.IO event goes to the `SocketServer`, whose commands are carried out on the
//! Engine.IO server and whose events reach the "application" (this harness), until both are
//! quiet. Every output is checked as it comes out; the state-wide invariants after each step.

use std::time::Instant;

use hashbrown::{HashMap, HashSet};

use crate::engine::server::{
    parse_query, Event as EngineEvent, SendError, Server, Transmit, TransportId,
};
use crate::engine::{v3, Packet as EioPacket, PayloadDecoder, Protocol};
use crate::socket::server::{
    BroadcastAckId, ConnInfo, ConnectId, EngineCommand, SocketEvent, SocketId, SocketServer,
};
use crate::socket::Decoder;
use crate::Str;

mod invariants;
mod vec_map;

use vec_map::{Key, VecMap};

/// Every output counts against this many items per input byte read so far (plus
/// [`OUTPUT_SLACK`]) — see [`Harness::begin`] for why that bound is sound.
pub(super) const OUTPUTS_PER_BYTE: usize = 16;
/// See [`OUTPUTS_PER_BYTE`].
pub(super) const OUTPUT_SLACK: usize = 64;

/// What the harness knows of one transport id it handed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Io {
    /// An HTTP request not answered yet. `get`: its 200 body is a polling payload to check;
    /// `sid`: the session it names (a handshake learns it from the `open` packet).
    Http { get: bool, sid: Option<Str> },
    /// Answered (exactly once).
    Answered,
    /// The client went away before the answer.
    Aborted,
    /// A WebSocket upgrade request, not answered yet.
    Upgrade { sid: Option<Str> },
    /// The upgrade was refused.
    Refused,
    /// The upgrade was accepted; the WebSocket has not opened yet.
    Accepted { sid: Option<Str> },
    /// An open WebSocket (of session `sid`, once known).
    Open { sid: Option<Str> },
    /// Closed, by the server (`CloseWs`) or by the client (`handle_ws_closed`).
    Closed,
}

/// How deep one input went: counts of what happened, for tests that check the seeds still
/// reach the states they were written for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// Engine.IO sessions opened.
    pub sessions: usize,
    /// Sessions upgraded from polling to WebSocket.
    pub upgrades: usize,
    /// Sockets connected (recovered ones included).
    pub sockets: usize,
    /// Sockets recovered by connection state recovery.
    pub recovered: usize,
    /// Client events delivered to the application.
    pub events: usize,
    /// Acks received from clients for `emit_with_ack`.
    pub acks: usize,
    /// Acks that timed out.
    pub ack_timeouts: usize,
    /// Broadcasts with ack completed.
    pub broadcast_acks: usize,
    /// Sockets disconnected before the final shutdown.
    pub disconnects: usize,
    /// Sessions closed before the final shutdown.
    pub closes: usize,
    /// Responses with an error status (4xx, 5xx) and refused upgrades.
    pub refusals: usize,
}

/// A socket's recovery credentials, as its client saw them.
#[derive(Debug, Clone)]
pub(super) struct Recovery {
    pub(super) nsp: Str,
    pub(super) pid: Str,
    /// The offset of the latest event the client received in `nsp` (any socket's: close
    /// enough, and a wrong one is worth trying too).
    pub(super) offset: Option<Str>,
}

/// The machines and the harness's record of them.
pub(super) struct Harness {
    pub(super) now: Instant,
    pub(super) engine: Server,
    pub(super) sio: SocketServer,
    pub(super) recovery: bool,
    next_id: u64,
    pub(super) io: HashMap<TransportId, Io>,
    /// HTTP requests not answered yet, in arrival order (to abort the k-th).
    pub(super) pending_http: Vec<TransportId>,
    /// Accepted WebSockets not open yet, and open ones (to pick the k-th).
    pub(super) accepted_ws: Vec<TransportId>,
    pub(super) open_ws: Vec<TransportId>,
    /// What was handed to each open WebSocket and not reported written yet (`queued_size`
    /// units), for the `WRITTEN` operation.
    pub(super) unwritten: HashMap<TransportId, usize>,
    /// Every session ever opened, in order (closed ones stay: requests may name them).
    pub(super) sids: Vec<Str>,
    sid_keys: Vec<Key>,
    /// Sessions the Engine.IO server reported open and not yet closed.
    open_sids: VecMap<Key, ()>,
    /// Sessions the `SocketServer` was told of and has not forgotten (closed by Engine.IO, or
    /// by its own `Close` command).
    sio_conns: VecMap<Key, ()>,
    /// Connections forgotten since the last [`check`](Self::check).
    forgotten: Vec<Str>,
    /// The client side's Socket.IO decoder per session: what the server writes must decode.
    decoders: HashMap<Str, Decoder>,
    /// The protocol revision of each session ever opened.
    protocols: HashMap<Str, Protocol>,
    pub(super) pending_connects: Vec<ConnectId>,
    /// Connected sockets (`Connected` seen, `Disconnected` not yet), in selection order,
    /// with their namespace.
    pub(super) sockets: Vec<SocketId>,
    live: VecMap<Key, (SocketId, Str)>,
    /// Between `Disconnecting` and `Disconnected` (never across a step).
    disconnecting: VecMap<Key, ()>,
    /// Client events that asked for an ack, not answered yet.
    pub(super) client_acks: Vec<(SocketId, u64)>,
    /// `emit_with_ack`s without an outcome yet; `true` if they have a timeout.
    acks: HashMap<(Key, u64), bool>,
    broadcast_acks: HashSet<BroadcastAckId>,
    /// Namespaces that exist or that a client asked for (broadcast targets).
    pub(super) namespaces: Vec<Str>,
    /// Recovery credentials the clients received (connection state recovery only).
    pub(super) recoveries: Vec<Recovery>,
    pub(super) reach: Reach,
    /// Print every step and output to stderr (see `server_session_trace`).
    pub(super) tracing: bool,
    /// Set by [`finish`](Self::finish): the disconnects and closes that follow don't count.
    finishing: bool,
    /// Whether the current step called into a machine (else there is nothing to check).
    pub(super) touched: bool,
    /// Outputs of the current step and their bound (see [`begin`](Self::begin)).
    produced: usize,
    limit: usize,
}

impl Harness {
    pub(super) fn new(now: Instant, engine: Server, sio: SocketServer, recovery: bool) -> Self {
        Harness {
            now,
            engine,
            sio,
            recovery,
            next_id: 0,
            io: HashMap::new(),
            unwritten: HashMap::new(),
            pending_http: Vec::new(),
            accepted_ws: Vec::new(),
            open_ws: Vec::new(),
            sids: Vec::new(),
            sid_keys: Vec::new(),
            open_sids: VecMap::default(),
            sio_conns: VecMap::default(),
            forgotten: Vec::new(),
            decoders: HashMap::new(),
            protocols: HashMap::new(),
            pending_connects: Vec::new(),
            sockets: Vec::new(),
            live: VecMap::default(),
            disconnecting: VecMap::default(),
            client_acks: Vec::new(),
            acks: HashMap::new(),
            broadcast_acks: HashSet::new(),
            namespaces: vec![Str::from_static("/")],
            recoveries: Vec::new(),
            reach: Reach::default(),
            tracing: false,
            touched: false,
            finishing: false,
            produced: 0,
            limit: OUTPUT_SLACK,
        }
    }

    /// Starts a step, once `consumed` input bytes have been read.
    ///
    /// The bound on what one step may output: every piece of state the machines hold (a
    /// session, a socket, a held packet, a buffered frame, a pending ack) was created by at
    /// least one input byte, and one step outputs a bounded number of items (a few) per piece
    /// of state it touches and per byte of its own data (a POST body's packets, each at least
    /// two bytes). So `OUTPUT_SLACK + OUTPUTS_PER_BYTE * consumed` is generous for any correct
    /// machine; what exceeds it is an amplification (or an endless command/event loop, which
    /// this stops instead of hanging).
    pub(super) fn begin(&mut self, consumed: usize) {
        self.produced = 0;
        self.touched = false;
        self.limit = OUTPUT_SLACK + OUTPUTS_PER_BYTE * consumed;
    }

    pub(super) fn trace(&self, line: impl FnOnce() -> String) {
        if self.tracing {
            eprintln!("{}", line());
        }
    }

    fn count(&mut self) {
        self.produced += 1;
        assert!(
            self.produced <= self.limit,
            "one step produced more than {} outputs",
            self.limit
        );
    }

    /// A fresh transport id, recorded in state `io`.
    pub(super) fn new_id(&mut self, io: Io) -> TransportId {
        self.next_id += 1;
        let id = TransportId(self.next_id);
        match &io {
            Io::Http { .. } => self.pending_http.push(id),
            Io::Accepted { .. } => self.accepted_ws.push(id),
            Io::Open { .. } => self.open_ws.push(id),
            _ => {}
        }
        self.io.insert(id, io);
        id
    }

    /// Moves transport `id` to `to`, keeping the selection lists in step.
    pub(super) fn set_io(&mut self, id: TransportId, to: Io) {
        let from = self.io.insert(id, to.clone());
        let list = |io: &Option<Io>| match io {
            Some(Io::Http { .. }) => 0,
            Some(Io::Accepted { .. }) => 1,
            Some(Io::Open { .. }) => 2,
            _ => 3,
        };
        let (a, b) = (list(&from), list(&Some(to)));
        if a == b {
            return;
        }
        let lists = [
            &mut self.pending_http,
            &mut self.accepted_ws,
            &mut self.open_ws,
        ];
        if let Some(l) = lists.into_iter().nth(a) {
            l.retain(|x| *x != id);
        }
        match b {
            0 => self.pending_http.push(id),
            1 => self.accepted_ws.push(id),
            2 => self.open_ws.push(id),
            _ => {}
        }
    }

    pub(super) fn is_open(&self, sid: &Str) -> bool {
        self.open_sids.contains(&Key::of(sid))
    }

    pub(super) fn is_live(&self, socket: &SocketId) -> bool {
        self.live.contains(&Key::of(socket.as_str()))
    }

    pub(super) fn expect_ack(&mut self, socket: SocketId, id: u64, timeout: bool) {
        let key = (Key::of(socket.as_str()), id);
        let fresh = self.acks.insert(key, timeout).is_none();
        assert!(
            fresh,
            "emit_with_ack returned ack id {id} twice for a socket"
        );
    }

    pub(super) fn expect_broadcast_ack(&mut self, id: BroadcastAckId) {
        assert!(
            self.broadcast_acks.insert(id),
            "broadcast ack id {id:?} twice"
        );
    }

    // ---- the wiring --------------------------------------------------------------------------

    /// `EngineIo::flush`: route the transmits, hand each Engine.IO event to the layer above
    /// (which pumps the `SocketServer`), until the Engine.IO server is quiet.
    pub(super) fn flush(&mut self) {
        self.touched = true;
        loop {
            while let Some(t) = self.engine.poll_transmit() {
                self.count();
                self.trace(|| format!("  transmit {t:?}"));
                self.transmit(t);
            }
            let Some(e) = self.engine.poll_event() else {
                break;
            };
            self.count();
            self.trace(|| format!("  engine event {e:?}"));
            self.engine_event(e);
        }
    }

    /// An application command or a Socket.IO input happened: pump, then flush (as
    /// `SocketIo::with` and `EngineIo::with` do).
    pub(super) fn settle(&mut self) {
        self.pump();
        self.flush();
    }

    /// `EngineIo::handle_timeout`: both machines' timers, then everything they produced.
    pub(super) fn fire(&mut self) {
        let now = self.now;
        self.engine.handle_timeout(now);
        self.sio.handle_timeout(now);
        self.settle();
    }

    /// The earliest deadline of the two machines.
    pub(super) fn deadline(&mut self) -> Option<Instant> {
        match (self.engine.poll_timeout(), self.sio.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The caller contract's timer: a deadline already due is run at once; after
    /// `handle_timeout(now)` none may still be due, or a driver would spin.
    pub(super) fn run_due_timers(&mut self) {
        if self.deadline().is_some_and(|d| d <= self.now) {
            self.fire();
            self.assert_not_due();
        }
    }

    /// Right after `handle_timeout(now)` and its outputs, nothing is due any more.
    pub(super) fn assert_not_due(&mut self) {
        let d = self.deadline();
        assert!(
            d.is_none_or(|d| d > self.now),
            "poll_timeout is still due after handle_timeout(now): a driver would busy-loop"
        );
    }

    /// `Layer::pump`: carry out the `SocketServer`'s commands and route its events until it
    /// is quiet.
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(cmd) = self.sio.poll_engine_command() {
                progressed = true;
                self.count();
                self.trace(|| format!("  command {cmd:?}"));
                self.command(cmd);
            }
            while let Some(e) = self.sio.poll_event() {
                progressed = true;
                self.count();
                self.trace(|| format!("  socket event {e:?}"));
                self.socket_event(e);
            }
            if !progressed {
                break;
            }
        }
    }

    fn engine_event(&mut self, e: EngineEvent) {
        let now = self.now;
        match e {
            EngineEvent::SessionOpened {
                sid,
                query,
                origin,
                mut headers,
                remote_address,
                secure,
                protocol,
                ..
            } => {
                let key = Key::of(&sid);
                assert!(
                    !self.sid_keys.contains(&key),
                    "session id {sid:?} handed out twice"
                );
                self.protocols.insert(sid.clone(), protocol);
                self.sids.push(sid.clone());
                self.sid_keys.push(key);
                self.reach.sessions += 1;
                self.open_sids.insert(key, ());
                self.sio_conns.insert(key, ());
                // As `Layer::engine_event` builds it.
                let qs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if let (Some(o), false) = (origin, headers.iter().any(|(k, _)| k == "origin")) {
                    headers.push(("origin".to_owned(), o));
                }
                let info = ConnInfo {
                    url: format!("{}?{}", self.engine.config().path, qs.join("&")),
                    query,
                    headers,
                    address: remote_address.unwrap_or_default(),
                    secure,
                    issued: 0,
                    protocol,
                };
                let hint = self.engine.session_hint(&sid);
                self.sio.handle_engine_open(now, sid.clone(), info);
                self.sio.set_session_hint(&sid, hint);
            }
            EngineEvent::Message { sid, packet, .. } => {
                assert!(self.is_open(&sid), "message from closed session {sid:?}");
                self.sio.handle_engine_message(now, &sid, packet);
            }
            EngineEvent::Drained { sid } => {
                assert!(self.is_open(&sid), "closed session {sid:?} drained");
                // A write report handled with messages (`handle_ws_input`) reports the drain
                // before those messages are read, and one of them may close the session: its
                // close then follows among that call's events, and the engine has let it go
                // already.
                if let Some(queued) = self.engine.buffered(&sid) {
                    assert!(queued <= self.engine.config().high_water());
                }
            }
            EngineEvent::Upgraded { sid } => {
                self.reach.upgrades += 1;
                assert!(self.is_open(&sid), "closed session {sid:?} upgraded");
                for socket in self.sio.sockets_of_connection(&sid) {
                    assert!(self.is_live(&socket), "upgraded a socket not connected");
                }
            }
            EngineEvent::SessionClosed { sid, reason } => {
                assert!(
                    self.open_sids.remove(&Key::of(&sid)),
                    "session {sid:?} closed twice or never opened"
                );
                if self.sio_conns.remove(&Key::of(&sid)) {
                    self.forgotten.push(sid.clone());
                }
                self.reach.closes += usize::from(!self.finishing);
                self.sio.handle_engine_close(now, &sid, reason);
            }
        }
        self.pump();
    }

    fn command(&mut self, cmd: EngineCommand) {
        match cmd {
            EngineCommand::Send {
                sid,
                hint,
                frames,
                volatile,
            } => {
                let key = Key::of(&sid);
                assert!(
                    self.sid_keys.contains(&key),
                    "send to a session never opened"
                );
                if volatile {
                    let _ = self.engine.send_volatile(&sid, &frames);
                } else {
                    for frame in frames {
                        // By the hint, as the api layer sends (a stale one falls back to the
                        // id: the session may have closed and its place been reused).
                        let r = self.engine.send_frame_hinted(hint, &sid, frame);
                        assert_ne!(r, Err(SendError::NotAMessage), "not a message frame");
                    }
                }
            }
            EngineCommand::Close { sid } => {
                // The SocketServer forgets the connection as it asks: it must have known it.
                assert!(
                    self.sio_conns.remove(&Key::of(&sid)),
                    "Close for connection {sid:?} the SocketServer did not have"
                );
                self.forgotten.push(sid.clone());
                let _ = self.engine.close(self.now, &sid);
            }
        }
    }

    fn socket_event(&mut self, e: SocketEvent) {
        match e {
            SocketEvent::ConnectRequest { request, nsp, .. } => {
                self.pending_connects.push(request);
                self.note_namespace(nsp);
            }
            SocketEvent::Connected {
                socket,
                nsp,
                recovered,
            } => {
                assert!(!recovered || self.recovery, "recovered without recovery");
                assert!(!self.is_live(&socket), "{socket:?} connected twice");
                self.reach.sockets += 1;
                self.reach.recovered += usize::from(recovered);
                self.sockets.push(socket.clone());
                self.live
                    .insert(Key::of(socket.as_str()), (socket, nsp.clone()));
                self.note_namespace(nsp);
            }
            SocketEvent::Event { socket, event } => {
                assert!(
                    self.is_live(&socket),
                    "event from {socket:?}, not connected"
                );
                let key = Key::of(socket.as_str());
                assert!(!self.disconnecting.contains(&key), "event while leaving");
                self.reach.events += 1;
                if let Some(id) = event.ack_id() {
                    self.client_acks.push((socket, id));
                }
            }
            SocketEvent::AckReceived { socket, ack_id, .. } => {
                assert!(
                    self.acks
                        .remove(&(Key::of(socket.as_str()), ack_id))
                        .is_some(),
                    "ack {ack_id} received that was not awaited (or twice)"
                );
                self.reach.acks += 1;
            }
            SocketEvent::AckTimedOut { socket, ack_id } => {
                assert_eq!(
                    self.acks.remove(&(Key::of(socket.as_str()), ack_id)),
                    Some(true),
                    "ack {ack_id} timed out without a timeout, or after an outcome"
                );
                self.reach.ack_timeouts += 1;
            }
            SocketEvent::BroadcastAckDone {
                id,
                responses,
                timed_out,
            } => {
                assert!(self.broadcast_acks.remove(&id), "{id:?} done twice");
                self.reach.broadcast_acks += 1;
                let mut seen = HashSet::new();
                for s in responses.iter().map(|(s, _)| s).chain(&timed_out) {
                    assert!(seen.insert(s), "{s:?} counted twice in {id:?}");
                }
            }
            SocketEvent::Disconnecting { socket, .. } => {
                assert!(self.is_live(&socket), "{socket:?} leaves, not connected");
                assert!(
                    self.disconnecting.insert(Key::of(socket.as_str()), ()),
                    "Disconnecting reported twice"
                );
            }
            SocketEvent::Disconnected { socket, .. } => {
                let key = Key::of(socket.as_str());
                assert!(
                    self.disconnecting.remove(&key),
                    "Disconnected without Disconnecting"
                );
                self.live.remove(&key);
                self.reach.disconnects += usize::from(!self.finishing);
                self.sockets.retain(|s| Key::of(s.as_str()) != key);
                self.client_acks.retain(|(s, _)| Key::of(s.as_str()) != key);
                // Its acks without a timeout are forgotten; those with one still time out.
                self.acks.retain(|(s, _), timeout| *timeout || *s != key);
            }
        }
    }

    fn note_namespace(&mut self, nsp: Str) {
        if !self.namespaces.contains(&nsp) {
            self.namespaces.push(nsp);
        }
    }

    // ---- what the Engine.IO server sends -----------------------------------------------------

    fn transmit(&mut self, t: Transmit) {
        match t {
            Transmit::Response { to, response } => {
                let io = self.io.get(&to).cloned();
                let (get, sid) = match io {
                    Some(Io::Http { get, sid, .. }) => (get, sid),
                    // Not the Engine.IO path: 404 before anything else (drivers route other
                    // paths elsewhere and never hand them in).
                    Some(Io::Upgrade { .. }) if response.status == 404 => (false, None),
                    _ => panic!("response to {to:?}, which is {io:?}"),
                };
                self.set_io(to, Io::Answered);
                self.reach.refusals += usize::from(response.status >= 400);
                if get && response.status == 200 {
                    let binary =
                        response.header("content-type") == Some("application/octet-stream");
                    self.check_payload(sid, response.body, binary);
                }
            }
            Transmit::RefuseWebSocket { to, .. } => {
                let io = self.io.get(&to);
                assert!(
                    matches!(io, Some(Io::Upgrade { .. })),
                    "refused {to:?}, which is {io:?}"
                );
                self.set_io(to, Io::Refused);
                self.reach.refusals += 1;
            }
            Transmit::AcceptWebSocket { to, .. } => {
                let io = self.io.get(&to).cloned();
                let Some(Io::Upgrade { sid }) = io else {
                    panic!("accepted {to:?}, which is {io:?}");
                };
                self.set_io(to, Io::Accepted { sid });
            }
            Transmit::WsFrame { to, frame } => {
                let io = self.io.get(&to).cloned();
                let Some(Io::Open { sid }) = io else {
                    panic!("frame for {to:?}, which is {io:?}");
                };
                *self.unwritten.entry(to).or_default() +=
                    crate::engine::server::queued_size(&frame);
                let protocol = self.protocol_of(sid.as_ref());
                let packet = protocol.decode_frame(frame).expect("server frame decodes");
                let sid = self.client_receives(sid, packet);
                self.io.insert(to, Io::Open { sid });
            }
            Transmit::CloseWs { to } => {
                let io = self.io.get(&to);
                assert!(
                    matches!(io, Some(Io::Accepted { .. } | Io::Open { .. })),
                    "closed {to:?}, which is {io:?}"
                );
                self.set_io(to, Io::Closed);
                self.unwritten.remove(&to);
            }
            Transmit::AbortWs { to } => {
                // Right away (a client that stopped reading), or after a close that did not
                // finish in time.
                let io = self.io.get(&to);
                assert!(
                    matches!(io, Some(Io::Accepted { .. } | Io::Open { .. } | Io::Closed)),
                    "dropped {to:?}, which is {io:?}"
                );
                self.set_io(to, Io::Closed);
                self.unwritten.remove(&to);
            }
            Transmit::PauseRead { to } | Transmit::ResumeRead { to } => {
                let io = self.io.get(&to);
                assert!(
                    matches!(io, Some(Io::Open { .. })),
                    "pause or resume of {to:?}, which is {io:?}"
                );
            }
        }
    }

    /// The protocol revision of session `sid` (v4 until a session is named: an `open` packet
    /// reads the same in both).
    pub(super) fn protocol_of(&self, sid: Option<&Str>) -> Protocol {
        sid.and_then(|s| self.protocols.get(s).copied())
            .unwrap_or_default()
    }

    /// A polling answer's body: a payload that decodes, whose messages the client decodes.
    /// A handshake's answer (no sid yet) is v3 if it starts with a record length.
    fn check_payload(&mut self, mut sid: Option<Str>, body: bytes::Bytes, binary: bool) {
        let protocol = match &sid {
            Some(s) => self.protocol_of(Some(s)),
            None if body.starts_with(b"0{") => Protocol::V4,
            None => Protocol::V3,
        };
        let packets: Vec<_> = match (protocol, binary) {
            (Protocol::V4, _) => PayloadDecoder::decode_all(body, usize::MAX).collect(),
            (Protocol::V3, false) => v3::decode_text_payload(body).collect(),
            (Protocol::V3, true) => v3::decode_binary_payload(body).collect(),
        };
        assert!(
            !binary || protocol == Protocol::V3,
            "a binary payload to a v4 client"
        );
        for packet in packets {
            let packet = packet.expect("the server's polling payload decodes");
            sid = self.client_receives(sid, packet);
        }
    }

    /// The client of session `sid` receives `packet`; returns the session (an `open` packet
    /// names it).
    fn client_receives(&mut self, sid: Option<Str>, packet: EioPacket) -> Option<Str> {
        let decoded = match packet {
            EioPacket::Open(json) => {
                // The document is `Handshake::to_json`'s, sid first; reading the whole JSON
                // each time cost a tenth of the target's time.
                let sid = json.as_str().strip_prefix("{\"sid\":\"");
                let sid = sid.and_then(|s| s.split_once('"')).map(|(sid, _)| sid);
                let sid = sid.expect("the open packet starts with the sid");
                return Some(Str::from(sid.to_owned()));
            }
            EioPacket::Message(text) => {
                let sid = sid.as_ref().expect("a message before the open packet");
                self.decoders
                    .entry(sid.clone())
                    .or_default()
                    .decode_text(text)
            }
            EioPacket::Binary(data) => {
                let sid = sid.as_ref().expect("a message before the open packet");
                self.decoders
                    .entry(sid.clone())
                    .or_default()
                    .decode_binary(data)
            }
            _ => return sid,
        };
        match decoded {
            Err(e) => panic!("the server wrote a Socket.IO packet its client cannot decode: {e:?}"),
            Ok(Some(p)) if self.recovery => self.note_recovery(p),
            Ok(_) => {}
        }
        sid
    }

    /// Remembers what a client needs to recover its socket: the pid of a CONNECT reply and the
    /// offset (last argument) of the latest event in that namespace.
    fn note_recovery(&mut self, p: crate::socket::Packet) {
        use crate::socket::PacketData;
        let json = match &p.data {
            PacketData::Connect(Some(auth)) => auth.clone(),
            PacketData::Event(e) => e.payload().json().clone(),
            _ => return,
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(json.as_str()) else {
            return;
        };
        match &p.data {
            PacketData::Connect(_) => {
                if let Some(pid) = v.get("pid").and_then(|p| p.as_str()) {
                    let pid = Str::from(pid.to_owned());
                    self.recoveries.push(Recovery {
                        nsp: p.nsp,
                        pid,
                        offset: None,
                    });
                }
            }
            _ => {
                let last = v.as_array().and_then(|a| a.last()).and_then(|o| o.as_str());
                if let Some(offset) = last {
                    let offset = Str::from(offset.to_owned());
                    for r in self.recoveries.iter_mut().filter(|r| r.nsp == p.nsp) {
                        r.offset = Some(offset.clone());
                    }
                }
            }
        }
    }

    /// The query's `sid` and `transport`, as the server reads them (the first of each).
    pub(super) fn params(query: &str) -> (Option<Str>, Option<String>) {
        let pairs = parse_query(query);
        let param = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let sid = param("sid").map(|v| Str::from(v.clone()));
        (sid, param("transport").cloned())
    }
}
