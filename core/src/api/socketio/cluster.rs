//! A [`SocketIo`] server as a member of a cluster: the [`ClusterLink`] a driver's Redis
//! adapter moves bytes through, and the cluster-wide operations of the async API.
//!
//! The protocol is [`crate::socket::cluster::Cluster`]'s; this layer keeps it under the same
//! lock as the Socket.IO server, wakes the driver when there is something to publish, and
//! completes the futures of cluster-wide requests.

use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use hashbrown::HashMap;
use serde::Serialize;

use super::ack::{AckError, AckSlot, ClusterFuture, Responses};
use super::layer::Layer;
use super::namespace::{BroadcastOperator, Namespace};
use super::SocketIo;
use crate::socket::cluster::{
    Cluster, ClusterConfig, ClusterEvent, ClusterTransmit, RequestId, StreamEntry, StreamRead,
};
use crate::socket::server::{SocketId, SocketInfo, Target};
use crate::socket::Event;
use crate::{Str, Value};

pub(crate) type ServerRequestHandler = Arc<
    dyn Fn(Vec<Value>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Value> + Send>>
        + Send
        + Sync,
>;

/// The cluster state under the server's lock.
pub(crate) struct ClusterState {
    pub(crate) machine: Cluster,
    waker: Option<Waker>,
    fetches: HashMap<RequestId, AckSlot<Vec<SocketInfo>>>,
    emits: HashMap<RequestId, AckSlot<Vec<Value>>>,
    acks: HashMap<RequestId, AckSlot<Responses>>,
}

impl Layer {
    /// Joins namespace `nsp` to the cluster, if there is one.
    pub(crate) fn cluster_add_namespace(&mut self, nsp: &str) {
        let now = self.rt.now();
        if let Some(c) = &mut self.cluster {
            c.machine.add_namespace(now, nsp);
        }
    }

    /// Routes the cluster's events (and the server's room changes and session requests to
    /// the cluster); wakes the driver if there is something to send. Returns whether
    /// anything happened.
    pub(crate) fn pump_cluster(&mut self) -> bool {
        let Some(c) = &mut self.cluster else {
            return false;
        };
        let mut progressed = false;
        while let Some(change) = self.server.poll_room_lifecycle() {
            c.machine.handle_room_lifecycle(&change);
        }
        let mut now = None;
        while let Some(io) = self.server.poll_session_io() {
            let now = *now.get_or_insert_with(|| self.rt.now());
            c.machine.handle_session_io(now, &mut self.server, io);
            progressed = true;
        }
        let mut events = Vec::new();
        while let Some(e) = c.machine.poll_event() {
            events.push(e);
        }
        progressed |= !events.is_empty();
        for e in events {
            self.cluster_event(e);
        }
        if let Some(c) = &mut self.cluster {
            if c.machine.has_transmit() {
                if let Some(w) = c.waker.take() {
                    w.wake();
                }
            }
        }
        progressed
    }

    fn cluster_event(&mut self, event: ClusterEvent) {
        let Some(c) = &mut self.cluster else { return };
        match event {
            ClusterEvent::FetchDone {
                request,
                sockets,
                complete,
            } => {
                if let Some(slot) = c.fetches.remove(&request) {
                    slot.complete(if complete {
                        Ok(sockets)
                    } else {
                        Err(AckError::Timeout)
                    });
                }
            }
            ClusterEvent::ServerSideEmitDone {
                request,
                responses,
                complete,
            } => {
                if let Some(slot) = c.emits.remove(&request) {
                    slot.complete(if complete {
                        Ok(responses)
                    } else {
                        Err(AckError::Timeout)
                    });
                }
            }
            ClusterEvent::BroadcastAckDone {
                request,
                responses,
                complete,
            } => {
                if let Some(slot) = c.acks.remove(&request) {
                    slot.complete(if complete {
                        Ok(responses)
                    } else {
                        Err(AckError::Timeout)
                    });
                }
            }
            ClusterEvent::ServerSideEmit { nsp, args, reply } => {
                // Server-side events live on the main namespace, as the reference's
                // `io.serverSideEmit`.
                if nsp.as_str() != crate::socket::MAIN_NAMESPACE {
                    return;
                }
                let Some(name) = args.first().and_then(Value::as_str).map(str::to_owned) else {
                    return;
                };
                let rest = args[1..].to_vec();
                for h in self.server_events.get(&name).cloned().unwrap_or_default() {
                    self.rt.spawn(h(rest.clone()));
                }
                let answering = self.server_requests.get(&name).cloned();
                match (answering, reply) {
                    (Some(h), Some(to)) => {
                        let io = self.handle();
                        let fut = h(rest);
                        self.rt.spawn(Box::pin(async move {
                            let answer = fut.await;
                            if let Some(io) = io {
                                io.with(|l, _| {
                                    if let Some(c) = &mut l.cluster {
                                        c.machine.reply(to, answer);
                                    }
                                });
                            }
                        }));
                    }
                    (Some(h), None) => {
                        let fut = h(rest);
                        self.rt.spawn(Box::pin(async move {
                            fut.await;
                        }));
                    }
                    (None, _) => {}
                }
            }
        }
    }
}

/// A driver's end of the cluster: what to do with Redis ([`next_transmit`](Self::next_transmit))
/// and what came from it ([`handle_message`](Self::handle_message),
/// [`handle_server_count`](Self::handle_server_count)). The driver knows nothing of the
/// protocol: it subscribes, publishes and counts as told.
#[derive(Clone, Debug)]
pub struct ClusterLink {
    io: SocketIo,
}

impl ClusterLink {
    /// The next thing to do with Redis; waits until there is one.
    pub async fn next_transmit(&self) -> ClusterTransmit {
        poll_fn(|cx| self.poll_transmit(cx)).await
    }

    /// [`next_transmit`](Self::next_transmit) as a poll function.
    pub fn poll_transmit(&self, cx: &mut Context<'_>) -> Poll<ClusterTransmit> {
        self.io.with(|l, _| {
            let Some(c) = &mut l.cluster else {
                return Poll::Pending;
            };
            match c.machine.poll_transmit() {
                Some(t) => Poll::Ready(t),
                None => {
                    c.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }

    /// A message received on `channel` (a subscribed channel, or one matching a subscribed
    /// pattern).
    pub fn handle_message(&self, channel: &[u8], payload: &[u8]) {
        let now = self.io.rt().now();
        self.io.with(|l, _| {
            if let Some(c) = &mut l.cluster {
                c.machine
                    .handle_message(now, &mut l.server, channel, payload);
            }
        });
    }

    /// The answer to [`ClusterTransmit::CountServers`] or
    /// [`ClusterTransmit::CountShardSubscribers`] (`None` if Redis could not answer).
    pub fn handle_server_count(&self, token: u64, count: Option<usize>) {
        let now = self.io.rt().now();
        self.io.with(|l, _| {
            if let Some(c) = &mut l.cluster {
                c.machine.handle_server_count(now, token, count);
            }
        });
    }

    /// The connection to a Redis node was lost (sharded adapter: a failover or a restart);
    /// every channel is subscribed again through the next transmits.
    pub fn handle_connection_lost(&self) {
        self.io.with(|l, _| {
            if let Some(c) = &mut l.cluster {
                c.machine.handle_connection_lost();
            }
        });
    }

    /// Redis ended the subscription to `channel` itself (sharded adapter: its slot moved).
    pub fn handle_unsubscribed(&self, channel: &str) {
        self.io.with(|l, _| {
            if let Some(c) = &mut l.cluster {
                c.machine.handle_unsubscribed(channel);
            }
        });
    }

    /// Where to read the stream next (streams adapter; `None` otherwise).
    pub fn stream_read(&self) -> Option<StreamRead> {
        self.io
            .with(|l, _| l.cluster.as_ref().and_then(|c| c.machine.stream_read()))
    }

    /// Entries read from the stream (possibly none: `BLOCK` ran out).
    pub fn handle_stream_entries(&self, entries: Vec<StreamEntry>) {
        let now = self.io.rt().now();
        self.io.with(|l, _| {
            if let Some(c) = &mut l.cluster {
                c.machine.handle_stream_entries(now, &mut l.server, entries);
            }
        });
    }

    /// The answer to [`ClusterTransmit::XAdd`] with a token: the entry id, or `None`.
    pub fn handle_stream_added(&self, token: u64, id: Option<&str>) {
        let now = self.io.rt().now();
        self.io.with(|l, _| {
            if let Some(c) = &mut l.cluster {
                c.machine.handle_stream_added(now, &mut l.server, token, id);
            }
        });
    }

    /// The answer to [`ClusterTransmit::TakeSession`]: the session's value and the entries
    /// from the offset on, or `None` if Redis failed.
    pub fn handle_session_taken(
        &self,
        token: u64,
        answer: Option<(Option<bytes::Bytes>, Vec<StreamEntry>)>,
    ) {
        let now = self.io.rt().now();
        self.io.with(|l, _| {
            if let Some(c) = &mut l.cluster {
                c.machine
                    .handle_session_taken(now, &mut l.server, token, answer);
            }
        });
    }

    /// The answer to [`ClusterTransmit::ReadRange`], or `None` if Redis failed.
    pub fn handle_range(&self, token: u64, entries: Option<Vec<StreamEntry>>) {
        let now = self.io.rt().now();
        self.io.with(|l, _| {
            if let Some(c) = &mut l.cluster {
                c.machine.handle_range(now, &mut l.server, token, entries);
            }
        });
    }

    /// Every subscription the server needs, to make again after reconnecting to Redis.
    pub fn subscriptions(&self) -> ClusterTransmit {
        self.io.with(|l, _| match &l.cluster {
            Some(c) => c.machine.subscriptions(),
            None => ClusterTransmit::Subscribe {
                channels: Vec::new(),
                patterns: Vec::new(),
            },
        })
    }

    /// This server's uid in the cluster.
    pub fn uid(&self) -> String {
        self.io.with(|l, _| {
            l.cluster
                .as_ref()
                .map(|c| c.machine.uid().to_owned())
                .unwrap_or_default()
        })
    }
}

impl SocketIo {
    /// Makes this server a cluster member: from now on broadcasts, room operations,
    /// `fetch_cluster_sockets`, server-side emits and broadcast acks reach the other servers
    /// through the returned link, which a driver's adapter connects to Redis. Calling it
    /// again returns a link to the same cluster state.
    pub fn join_cluster(&self, config: ClusterConfig) -> ClusterLink {
        let now = self.rt().now();
        self.with(|l, _| {
            if l.cluster.is_none() {
                let mut machine = Cluster::new(config);
                machine.add_namespace(now, crate::socket::MAIN_NAMESPACE);
                for nsp in l.namespaces.keys() {
                    machine.add_namespace(now, nsp);
                }
                if machine.wants_room_lifecycle() {
                    l.server.watch_rooms(true);
                }
                if machine.stream_read().is_some() && l.server.config().recovery.is_some() {
                    // Sessions and offsets in Redis: a client recovers on any server.
                    l.server.set_external_sessions(true);
                    machine.set_sessions(true);
                }
                l.cluster = Some(ClusterState {
                    machine,
                    waker: None,
                    fetches: HashMap::new(),
                    emits: HashMap::new(),
                    acks: HashMap::new(),
                });
            }
        });
        ClusterLink { io: self.clone() }
    }

    /// Sends an event to the other servers of the cluster and waits for one answer from each
    /// (their [`on_server_event_with_ack`](Self::on_server_event_with_ack) listeners); fails
    /// with [`AckError::Timeout`] when some did not answer within the requests timeout. Without
    /// a cluster, answers at once with no responses.
    pub fn server_side_emit_with_ack<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> ClusterFuture<Vec<Value>> {
        let Some(values) = event_values(event, args) else {
            return ClusterFuture::ready(Err(AckError::NotSent));
        };
        let now = self.rt().now();
        let (slot, fut) = ClusterFuture::pair();
        self.with(|l, _| match &mut l.cluster {
            Some(c) => {
                let nsp = crate::socket::MAIN_NAMESPACE;
                if let Some(id) = c.machine.server_side_emit(now, nsp, values, true) {
                    c.emits.insert(id, slot);
                }
            }
            None => slot.complete(Ok(Vec::new())),
        });
        fut
    }

    /// Listens to server-side `event`s that may ask for an answer: `handler`'s result is the
    /// answer to a [`server_side_emit_with_ack`](Self::server_side_emit_with_ack) of another
    /// server (dropped for emits without ack).
    pub fn on_server_event_with_ack<F, Fut>(&self, event: &str, handler: F)
    where
        F: Fn(Vec<Value>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Value> + Send + 'static,
    {
        let h: ServerRequestHandler = Arc::new(move |args| Box::pin(handler(args)));
        let event = event.to_owned();
        self.with(|l, _| {
            l.server_requests.insert(event, h);
        });
    }

    /// Publishes a server-side emit to the cluster; returns false without a cluster.
    pub(crate) fn cluster_server_side_emit(&self, values: Vec<Value>) -> bool {
        let now = self.rt().now();
        self.with(|l, _| match &mut l.cluster {
            Some(c) => {
                let _ =
                    c.machine
                        .server_side_emit(now, crate::socket::MAIN_NAMESPACE, values, false);
                true
            }
            None => false,
        })
    }
}

impl Layer {
    /// A single socket's emit: through the cluster when it gives offsets (see
    /// [`cluster_emit_to`](Self::cluster_emit_to)), else straight to the socket.
    pub(crate) fn emit_to(&mut self, socket: &SocketId, event: Event) {
        if !self.cluster_emit_to(socket, &event) {
            let _ = self.server.emit(socket, event);
        }
    }

    /// Sends a single socket's emit through the cluster when the cluster gives offsets (the
    /// streams adapter with recovery: the reference then broadcasts to the socket's room so
    /// that the event is in the stream for a recovery elsewhere). Returns whether it did.
    pub(crate) fn cluster_emit_to(&mut self, socket: &SocketId, event: &Event) -> bool {
        let Some(c) = self.cluster.as_mut().filter(|c| c.machine.defers_local()) else {
            return false;
        };
        let Some(nsp) = self.server.namespace_of(socket).cloned() else {
            return false;
        };
        if !self.server.is_connected(socket) {
            return false;
        }
        let target = Target::room(socket.as_room().clone());
        c.machine.broadcast(&nsp, &target, event, false)
    }
}

/// `[event, ...args]` as values.
pub(crate) fn event_values<T: Serialize + ?Sized>(event: &str, args: &T) -> Option<Vec<Value>> {
    let mut values = vec![Value::from(event)];
    values.extend(Event::new(event, args).ok()?.args().ok()?);
    Some(values)
}

impl BroadcastOperator {
    fn cluster_wide(&self) -> bool {
        !self.local
    }

    /// Publishes a broadcast to the cluster (unless `local`). Returns whether the cluster
    /// also makes the local part (the streams adapter, once the stream gave the offset).
    pub(crate) fn publish_broadcast(&self, l: &mut Layer, event: &Event) -> bool {
        if let (true, Some(c)) = (self.cluster_wide(), &mut l.cluster) {
            return c
                .machine
                .broadcast(&self.nsp, &self.target, event, self.volatile);
        }
        false
    }

    /// Publishes a room operation to the cluster (unless `local`).
    pub(crate) fn publish_rooms(&self, l: &mut Layer, join: bool, rooms: &[Str]) {
        if let (true, Some(c)) = (self.cluster_wide(), &mut l.cluster) {
            if join {
                c.machine.sockets_join(&self.nsp, &self.target, rooms);
            } else {
                c.machine.sockets_leave(&self.nsp, &self.target, rooms);
            }
        }
    }

    /// Publishes a disconnect to the cluster (unless `local`).
    pub(crate) fn publish_disconnect(&self, l: &mut Layer, close: bool) {
        if let (true, Some(c)) = (self.cluster_wide(), &mut l.cluster) {
            c.machine.disconnect_sockets(&self.nsp, &self.target, close);
        }
    }

    /// Starts a cluster-wide broadcast with ack; `None` without a cluster (or when `local`).
    pub(crate) fn cluster_emit_with_ack(
        &self,
        l: &mut Layer,
        now: std::time::Instant,
        event: Event,
        slot: AckSlot<Responses>,
    ) -> Option<AckSlot<Responses>> {
        let Some(c) = l.cluster.as_mut().filter(|_| self.cluster_wide()) else {
            return Some(slot);
        };
        let timeout = self.timeout.unwrap_or_else(|| c.machine.requests_timeout());
        let count = l
            .server
            .fetch_sockets(&self.nsp, &self.target)
            .map_or(0, |s| s.len());
        let Ok(local) =
            l.server
                .broadcast_with_ack(now, &self.nsp, &self.target, event.clone(), Some(timeout))
        else {
            slot.complete(Err(AckError::NotSent));
            return None;
        };
        let id = c.machine.broadcast_with_ack(
            now,
            &self.nsp,
            &self.target,
            &event,
            timeout,
            local,
            count,
        );
        c.acks.insert(id, slot);
        None
    }

    /// The sockets of the group on every server of the cluster (this server's alone without a
    /// cluster, or when `local`). Fails with [`AckError::Timeout`] when some server did not
    /// answer within the requests timeout.
    pub fn fetch_cluster_sockets(&self) -> ClusterFuture<Vec<SocketInfo>> {
        let now = self.io.rt().now();
        let (slot, fut) = ClusterFuture::pair();
        self.io.with(|l, _| {
            let Some(c) = l.cluster.as_mut().filter(|_| self.cluster_wide()) else {
                slot.complete(Ok(l
                    .server
                    .fetch_sockets(&self.nsp, &self.target)
                    .unwrap_or_default()));
                return;
            };
            let id = c
                .machine
                .fetch_sockets(now, &l.server, &self.nsp, &self.target);
            c.fetches.insert(id, slot);
        });
        fut
    }
}

impl Namespace {
    /// This server's sockets of the namespace only: what follows is not sent to the rest of
    /// the cluster (the reference's `io.local`).
    pub fn local(&self) -> BroadcastOperator {
        self.operator().local()
    }

    /// Every socket of the namespace on every server of the cluster; see
    /// [`BroadcastOperator::fetch_cluster_sockets`].
    pub fn fetch_cluster_sockets(&self) -> ClusterFuture<Vec<SocketInfo>> {
        self.operator().fetch_cluster_sockets()
    }

    /// Makes every socket of the namespace, on every server of the cluster, join `rooms`.
    pub fn sockets_join(&self, rooms: &[&str]) {
        self.operator().sockets_join(rooms)
    }

    /// Makes every socket of the namespace, on every server of the cluster, leave `room`.
    pub fn sockets_leave(&self, room: &str) {
        self.operator().sockets_leave(room)
    }
}
