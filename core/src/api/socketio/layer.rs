//! The Socket.IO layer under the [`EngineIo`](crate::api::engine::EngineIo) lock: feeds the
//! Engine.IO events to the [`SocketServer`], carries out its commands on the Engine.IO server,
//! and routes its events to per-socket inboxes, ack slots and new tasks.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use hashbrown::HashMap;
use smallvec::SmallVec;

use super::ack::AckSlot;
use super::dispatch::Item;
use super::namespace::{connect_task, ConnectionHandler, Handlers, Middleware};
use super::SocketIo;
use crate::api::engine::Upper;
use crate::api::runtime::Runtime;
use crate::engine::server::{Event as EngineEvent, Server};
use crate::engine::Frame;
use crate::socket::server::{
    BroadcastAckId, ConnInfo, EngineCommand, SocketEvent, SocketId, SocketServer,
};
use crate::socket::Payload;
use crate::Str;

/// Most engine commands a drain leaves queued between its handlers (see
/// [`SocketIo::with_batched`]): bounds the memory a handler's emits take before the
/// Engine.IO server's buffer limit sees them, and the delay of the first.
pub(crate) const BATCH: usize = 64;

pub(crate) struct Layer {
    pub(crate) server: SocketServer,
    pub(crate) rt: Arc<dyn Runtime>,
    /// The server the spawned tasks use, held weakly: the server owns this layer, so a strong
    /// handle would keep it alive forever (set right after construction).
    io: Option<std::sync::Weak<crate::api::engine::Shared>>,
    pub(crate) namespaces: HashMap<Str, Handlers>,
    pub(crate) dynamic_handler: Option<ConnectionHandler>,
    /// Listeners of `server_side_emit`, by event name.
    pub(crate) server_events: HashMap<String, Vec<super::ServerEventHandler>>,
    pub(crate) sockets: super::slots::SocketSlots,
    /// Sockets with queued items, in the order they got them (see [`super::dispatch`]): their
    /// index in `sockets` and generation.
    pub(crate) ready: VecDeque<(u32, u64)>,
    /// The generation of the latest socket added (see [`super::dispatch`]).
    pub(crate) generation: u64,
    pub(crate) acks: HashMap<(SocketId, u64), AckSlot<Payload>>,
    pub(crate) broadcast_acks: HashMap<BroadcastAckId, AckSlot<super::ack::Responses>>,
    /// Listeners of server-side events that answer acks, by event name.
    pub(crate) server_requests: HashMap<String, super::cluster::ServerRequestHandler>,
    /// The cluster this server is a member of, if any.
    pub(crate) cluster: Option<super::cluster::ClusterState>,
    /// Who waits for a connection to drain (see [`super::drain`]), by Engine.IO session.
    pub(crate) drains: HashMap<Str, super::drain::Waiters>,
    /// The inbound limits and which connections are paused (see [`super::backlog`]).
    pub(crate) backlog: super::backlog::Backlog,
    /// Some socket has had an outgoing listener (`on_any_outgoing`): until then an emit
    /// looks no socket up for listeners.
    pub(crate) any_outgoing: bool,
    /// Who observes every socket's activity (see [`super::observe`]).
    pub(crate) observers: Vec<super::observe::Observer>,
    /// Activities not yet shown to the observers.
    pub(crate) activities: VecDeque<super::observe::Queued>,
    /// Periodic work of the layer's users (see [`super::interval`]).
    pub(crate) intervals: super::interval::Intervals,
}

impl Layer {
    pub(crate) fn new(
        server: SocketServer,
        rt: Arc<dyn Runtime>,
        backlog: super::backlog::Backlog,
    ) -> Self {
        Layer {
            server,
            rt,
            io: None,
            namespaces: HashMap::new(),
            dynamic_handler: None,
            server_events: HashMap::new(),
            sockets: super::slots::SocketSlots::default(),
            ready: VecDeque::new(),
            generation: 0,
            acks: HashMap::new(),
            broadcast_acks: HashMap::new(),
            server_requests: HashMap::new(),
            cluster: None,
            drains: HashMap::new(),
            backlog,
            any_outgoing: false,
            observers: Vec::new(),
            activities: VecDeque::new(),
            intervals: Default::default(),
        }
    }

    /// Gives the layer the (weak) handle its tasks use.
    pub(crate) fn bind(&mut self, io: &SocketIo) {
        self.io = Some(io.io.downgrade());
    }

    /// The server's [`EngineIo::key`](crate::api::engine::EngineIo::key) (0 before `bind`).
    fn key(&self) -> usize {
        self.io.as_ref().map_or(0, |w| w.as_ptr() as usize)
    }

    /// A strong handle for a task, while the server exists.
    pub(crate) fn handle(&self) -> Option<SocketIo> {
        let io = crate::api::engine::EngineIo::upgrade(self.io.as_ref()?)?;
        Some(SocketIo { io })
    }

    fn now(&self, now: Option<Instant>) -> Instant {
        now.unwrap_or_else(|| self.rt.now())
    }

    /// Whether [`pump`](Self::pump) would find nothing to do: no commands or events of the
    /// Socket.IO server, no room changes to note (nobody observes), no cluster, no backlog
    /// change to apply.
    #[inline]
    pub(crate) fn settled(&self) -> bool {
        !self.server.has_output()
            && !self.observed()
            && self.cluster.is_none()
            && !self.backlog.has_changes()
    }

    /// Whether the commands queued by sends that a drain batches may wait for its next lock:
    /// fewer than [`BATCH`] queued, and no cluster (whose machine may have work of its own
    /// to carry out at once).
    #[inline]
    pub(crate) fn holds_batch(&self) -> bool {
        self.cluster.is_none() && self.server.queued_commands() < BATCH
    }

    /// Carries out the Socket.IO server's commands and routes its events.
    #[inline]
    pub(crate) fn pump(&mut self, engine: &mut Server) {
        if !self.settled() {
            self.pump_queued(engine);
        }
    }

    /// [`pump`](Self::pump) when something is queued.
    fn pump_queued(&mut self, engine: &mut Server) {
        loop {
            let mut progressed = false;
            while let Some(cmd) = self.server.poll_engine_command() {
                progressed = true;
                match cmd {
                    EngineCommand::Send {
                        sid,
                        hint,
                        mut frames,
                        volatile: false,
                    } if !self.server.next_sends_to(&sid) => {
                        // Alone (a broadcast's deliveries are each to another session): the
                        // session is found by its hint, without hashing its id.
                        let _ = if frames.len() == 1 {
                            let frame = frames.pop().expect("one frame");
                            engine.send_frame_hinted(hint, &sid, frame)
                        } else {
                            engine.send_frames_hinted(hint, &sid, &frames)
                        };
                    }
                    EngineCommand::Send {
                        sid,
                        frames,
                        volatile: false,
                        ..
                    } => self.send_run(engine, &sid, frames),
                    EngineCommand::Send {
                        sid,
                        frames,
                        volatile: true,
                        ..
                    } => {
                        let _ = engine.send_volatile(&sid, &frames);
                    }
                    EngineCommand::Close { sid } => {
                        let now = self.rt.now();
                        let _ = engine.close(now, &sid);
                    }
                }
            }
            // Room changes first: a socket's own room is joined before it is connected (as
            // the reference's adapter reports them). Only queued when observed.
            let observed = self.observed();
            if observed {
                self.note_room_changes();
            }
            while let Some(event) = self.server.poll_event() {
                progressed = true;
                self.route(event);
            }
            if observed {
                self.note_room_changes();
            }
            progressed |= self.pump_cluster();
            // Another round finds nothing once nothing is queued (without observers or a
            // cluster, which it would poll again): no need to poll the empty queues again.
            if !progressed || self.settled() {
                break;
            }
        }
        self.apply_backlog(engine);
    }

    /// Queues `frames` for session `sid` with the sends to it that follow in the server's
    /// queue (an echo's answers to one client's batch): one visit of the session.
    #[inline(never)]
    fn send_run(&mut self, engine: &mut Server, sid: &Str, frames: SmallVec<[Frame; 1]>) {
        let server = &mut self.server;
        let more = std::iter::from_fn(|| server.poll_send_to(sid));
        let _ = engine.send_packets(sid, std::iter::once(frames).chain(more));
    }

    fn route(&mut self, event: SocketEvent) {
        match event {
            SocketEvent::ConnectRequest {
                request,
                nsp,
                auth,
                handshake,
            } => {
                let middlewares: Vec<Middleware> = self
                    .namespaces
                    .get(&nsp)
                    .map(|h| h.middlewares.clone())
                    .unwrap_or_default();
                if let Some(io) = self.handle() {
                    let task = connect_task(io, request, nsp, auth, handshake, middlewares);
                    self.rt.spawn(Box::pin(task));
                }
            }
            SocketEvent::Connected {
                socket,
                nsp,
                recovered,
            } => {
                self.cluster_add_namespace(&nsp);
                let handler = self
                    .namespaces
                    .get(&nsp)
                    .and_then(|h| h.connection.clone())
                    .or_else(|| self.dynamic_handler.clone());
                let conn = self.server.engine_sid(&socket).cloned().unwrap_or_default();
                self.note(&socket, &nsp, || super::Activity::Connected);
                self.add_socket(socket, nsp, conn, recovered, handler);
            }
            SocketEvent::Event { socket, event } => {
                if self.observed() {
                    if let Some(nsp) = self.server.namespace_of(&socket).cloned() {
                        let e = event.clone();
                        self.note(&socket, &nsp, || super::Activity::EventReceived(e));
                    }
                }
                self.deliver_event(socket, event)
            }
            SocketEvent::AckReceived {
                socket,
                ack_id,
                payload,
            } => {
                if let Some(slot) = self.acks.remove(&(socket, ack_id)) {
                    slot.complete(Ok(payload));
                }
            }
            SocketEvent::AckTimedOut { socket, ack_id } => {
                if let Some(slot) = self.acks.remove(&(socket, ack_id)) {
                    slot.complete(Err(super::AckError::Timeout));
                }
            }
            SocketEvent::BroadcastAckDone {
                id,
                responses,
                timed_out,
            } => {
                if let Some(c) = &mut self.cluster {
                    let now = self.rt.now();
                    if c.machine.handle_local_ack_done(now, id, &responses) {
                        return;
                    }
                }
                if let Some(slot) = self.broadcast_acks.remove(&id) {
                    slot.complete(if timed_out.is_empty() {
                        Ok(responses)
                    } else {
                        Err(super::AckError::Timeout)
                    });
                }
            }
            SocketEvent::Disconnecting { socket, reason } => {
                // Its handlers still to run (a connection handler that has not run yet among
                // them) read it after the server has let the socket go.
                let handshake = self.server.handshake(&socket).cloned();
                if let Some(slot) = self.sockets.get_mut(&socket) {
                    slot.left_with = handshake.map(Box::new);
                }
                self.deliver(&socket, Item::Disconnecting(reason))
            }
            SocketEvent::Disconnected { socket, reason } => {
                // Acks the socket can no longer answer fail now.
                let gone: Vec<_> = self
                    .acks
                    .keys()
                    .filter(|(s, _)| *s == socket)
                    .cloned()
                    .collect();
                for key in gone {
                    if let Some(slot) = self.acks.remove(&key) {
                        slot.complete(Err(super::AckError::Disconnected));
                    }
                }
                if let Some(nsp) = self.sockets.get(&socket).map(|s| s.nsp.clone()) {
                    self.note(&socket, &nsp, || super::Activity::Disconnected(reason));
                }
                self.deliver(&socket, Item::Disconnected(reason))
            }
        }
    }
}

impl Upper for Layer {
    fn engine_event(&mut self, now: Option<Instant>, event: EngineEvent, engine: &mut Server) {
        let now = self.now(now);
        match event {
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
                let qs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if let (Some(o), false) = (origin, headers.iter().any(|(k, _)| k == "origin")) {
                    headers.push(("origin".to_owned(), o));
                }
                let info = ConnInfo {
                    url: format!("{}?{}", engine.config().path, qs.join("&")),
                    query,
                    headers,
                    address: remote_address.unwrap_or_default(),
                    secure,
                    issued: self.rt.unix_millis(),
                    protocol,
                };
                let hint = engine.session_hint(&sid);
                self.server.handle_engine_open(now, sid.clone(), info);
                self.server.set_session_hint(&sid, hint);
            }
            EngineEvent::Message { sid, packet, frame } => self
                .server
                .handle_engine_message_framed(now, &sid, packet, frame),
            EngineEvent::Upgraded { sid } => {
                self.server.handle_engine_upgraded(now, &sid);
                for socket in self.server.sockets_of_connection(&sid) {
                    if let Some(nsp) = self.server.namespace_of(&socket).cloned() {
                        self.note(&socket, &nsp, || super::Activity::Upgraded);
                    }
                    self.deliver(&socket, Item::Upgraded);
                }
            }
            EngineEvent::Drained { sid } => self.wake_drained(&sid),
            EngineEvent::SessionClosed { sid, reason } => {
                self.wake_drained(&sid);
                self.backlog.forget(&sid);
                self.server.handle_engine_close(now, &sid, reason)
            }
        }
    }

    fn settle(&mut self, engine: &mut Server) {
        self.pump(engine);
    }

    fn handle_timeout(&mut self, now: Instant, engine: &mut Server) {
        self.intervals.handle_timeout(now);
        self.server.handle_timeout(now);
        if let Some(c) = &mut self.cluster {
            c.machine.handle_timeout(now);
        }
        self.pump(engine);
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        let server = self.server.poll_timeout();
        let cluster = self.cluster.as_ref().and_then(|c| c.machine.poll_timeout());
        let next = match (server, cluster) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (next, self.intervals.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }

    /// Work for a drain, unless this thread runs the server's drain already (a handler's
    /// call): that drain takes it, without calling the hook again.
    fn wants_dispatch(&self) -> bool {
        (self.has_ready() || !self.activities.is_empty() || self.intervals.has_due())
            && !super::dispatch::draining_here(self.key())
    }
}
