//! The cluster protocol of `@socket.io/redis-adapter` 8.3, sans-IO: how one server shares
//! broadcasts, room operations, `fetch_sockets`, server-side emits and broadcast acks with the
//! other servers of a cluster (sio or Node.js) over Redis pub/sub.
//!
//! [`Cluster`] sits beside a [`SocketServer`]: the application's cluster-wide operations go
//! through it (it does the local part on the server and publishes the rest), and the messages
//! the driver receives from Redis go into it (it applies them to the server and answers
//! requests). It owns no connection: it asks the driver to subscribe, publish and count
//! subscribers ([`ClusterTransmit`]), and reports what the application must learn
//! ([`ClusterEvent`]).
//!
//! The wire format is the Node adapter's, channel names included (with the default key
//! `socket.io` and namespace `/`):
//!
//! | channel | what | encoding |
//! |---|---|---|
//! | `socket.io#/#` (or `socket.io#/#room#` for a one-room target) | broadcasts: `[uid, packet, opts]` | msgpack (notepack) |
//! | `socket.io-request#/#` | requests (`type`, `uid`, `requestId`, `opts`, …) | JSON; msgpack for `BROADCAST` |
//! | `socket.io-response#/#`, `socket.io-response#/#<uid>#` | responses (`requestId`, …) | JSON; msgpack for `BROADCAST_ACK` |
//!
//! The number of servers is the number of subscribers of the request channel
//! (`PUBSUB NUMSUB`), asked for each request that waits for answers.
//!
//! Methods, as every machine of this crate: getters ([`uid`](Cluster::uid),
//! [`subscriptions`](Cluster::subscriptions)); inputs
//! ([`handle_message`](Cluster::handle_message),
//! [`handle_server_count`](Cluster::handle_server_count),
//! [`handle_local_ack_done`](Cluster::handle_local_ack_done),
//! [`handle_timeout`](Cluster::handle_timeout)); commands (`add_namespace`, `broadcast`,
//! `broadcast_with_ack`, `sockets_join`, `sockets_leave`, `disconnect_sockets`,
//! `fetch_sockets`, `server_side_emit`, `reply`); outputs ([`poll_transmit`](Cluster::poll_transmit),
//! [`poll_event`](Cluster::poll_event), [`poll_timeout`](Cluster::poll_timeout)).

mod message;
pub mod notepack;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hashbrown::{HashMap, HashSet};

use crate::engine::server::sid::SidGenerator;
use crate::socket::server::{BroadcastAckId, SocketInfo, SocketServer, Target};
use crate::socket::{Event, Payload, Value};
use crate::{Map, Str};
use message::Kind;

/// The cluster's settings (the Node adapter's options of the same names).
#[derive(Clone)]
pub struct ClusterConfig {
    /// The prefix of every channel (`key`, default `socket.io`).
    pub key: String,
    /// How long a request waits for every server's answer (`requestsTimeout`, 5 s).
    pub requests_timeout: Duration,
    /// Seed of this server's uid and request ids; the default draws it from the operating
    /// system (two servers must not share one).
    pub seed: [u8; 32],
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            key: "socket.io".to_owned(),
            requests_timeout: Duration::from_millis(5000),
            seed: crate::engine::server::sid::os_seed(),
        }
    }
}

impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("key", &self.key)
            .field("requests_timeout", &self.requests_timeout)
            .finish_non_exhaustive()
    }
}

/// What the driver must do with Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterTransmit {
    /// Subscribe to these channels (`SUBSCRIBE`) and patterns (`PSUBSCRIBE`); keep them, and
    /// subscribe again after reconnecting ([`Cluster::subscriptions`] lists them all).
    Subscribe {
        /// Exact channel names.
        channels: Vec<String>,
        /// Glob patterns.
        patterns: Vec<String>,
    },
    /// `PUBLISH channel payload`. Lost if Redis is unreachable (as with the Node adapter).
    Publish {
        /// The channel.
        channel: String,
        /// The message.
        payload: Bytes,
    },
    /// `PUBSUB NUMSUB channel`; answer with [`Cluster::handle_server_count`] and `token`.
    CountServers {
        /// The request channel whose subscribers are the servers.
        channel: String,
        /// Names the question in the answer.
        token: u64,
    },
}

/// A cluster-wide request of this server, named in its [`ClusterEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

/// Answers another server's `server_side_emit` with ack: pass to [`Cluster::reply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTo {
    nsp: Str,
    request: String,
}

/// What the application must learn.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterEvent {
    /// Another server (or an emitter) sent a server-side event: `args[0]` is its name. With
    /// `reply`, the sender waits for one answer ([`Cluster::reply`]).
    ServerSideEmit {
        /// The namespace.
        nsp: Str,
        /// The event name and arguments.
        args: Vec<Value>,
        /// Where the answer goes, if one is awaited.
        reply: Option<ReplyTo>,
    },
    /// A [`fetch_sockets`](Cluster::fetch_sockets) is over: this server's sockets and those
    /// of every other server that answered; `complete` is false after the timeout.
    FetchDone {
        /// The request.
        request: RequestId,
        /// The sockets found.
        sockets: Vec<SocketInfo>,
        /// Whether every server answered.
        complete: bool,
    },
    /// A [`server_side_emit`](Cluster::server_side_emit) with ack is over: one answer per
    /// other server (fewer when `complete` is false, after the timeout).
    ServerSideEmitDone {
        /// The request.
        request: RequestId,
        /// The answers.
        responses: Vec<Value>,
        /// Whether every other server answered.
        complete: bool,
    },
    /// A [`broadcast_with_ack`](Cluster::broadcast_with_ack) is over: each client's first ack
    /// argument, this server's clients (with their ids) and the others' (their ids are not on
    /// the wire: empty).
    BroadcastAckDone {
        /// The request.
        request: RequestId,
        /// The answers.
        responses: Vec<(crate::socket::server::SocketId, Payload)>,
        /// Whether every client of every server answered in time.
        complete: bool,
    },
}

enum Pending {
    Fetch {
        sockets: Vec<SocketInfo>,
        expected: Option<usize>,
        received: usize,
    },
    Emit {
        expected: Option<usize>,
        responses: Vec<Value>,
    },
    BroadcastAck {
        local: BroadcastAckId,
        local_done: bool,
        expected_servers: Option<usize>,
        servers: usize,
        expected_clients: usize,
        responses: Vec<(crate::socket::server::SocketId, Payload)>,
    },
}

struct Request {
    wire_id: String,
    deadline: Instant,
    /// Published once the server count is known (requests that wait for answers).
    message: Option<(String, Bytes)>,
    pending: Pending,
}

/// The cluster state of one server. See the [module docs](self).
pub struct Cluster {
    config: ClusterConfig,
    uid: String,
    ids: SidGenerator,
    namespaces: HashSet<String>,
    next_request: u64,
    requests: HashMap<u64, Request>,
    by_wire: HashMap<String, u64>,
    /// Broadcasts with ack other servers asked this one to make: local id → their request.
    remote_acks: HashMap<BroadcastAckId, (Str, String)>,
    transmits: VecDeque<ClusterTransmit>,
    events: VecDeque<ClusterEvent>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("uid", &self.uid)
            .field("namespaces", &self.namespaces.len())
            .field("requests", &self.requests.len())
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// A cluster member with `config`; add its namespaces with
    /// [`add_namespace`](Self::add_namespace).
    pub fn new(config: ClusterConfig) -> Self {
        let mut ids = SidGenerator::new(config.seed);
        let uid = ids.next_sid().as_str()[..6].to_owned();
        Cluster {
            config,
            uid,
            ids,
            namespaces: HashSet::new(),
            next_request: 0,
            requests: HashMap::new(),
            by_wire: HashMap::new(),
            remote_acks: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    // ---- getters -----------------------------------------------------------------------------

    /// This server's uid in the cluster (6 characters; its own messages carry it).
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// Every subscription this server needs: what to subscribe again after reconnecting.
    pub fn subscriptions(&self) -> ClusterTransmit {
        let mut channels = Vec::new();
        let mut patterns = Vec::new();
        for nsp in &self.namespaces {
            let (c, p) = self.channels_of(nsp);
            channels.extend(c);
            patterns.extend(p);
        }
        ClusterTransmit::Subscribe { channels, patterns }
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has something.
    pub fn has_transmit(&self) -> bool {
        !self.transmits.is_empty()
    }

    /// How long a request waits for answers.
    pub fn requests_timeout(&self) -> Duration {
        self.config.requests_timeout
    }

    // ---- outputs -----------------------------------------------------------------------------

    /// The next thing the driver must do with Redis.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<ClusterTransmit> {
        self.transmits.pop_front()
    }

    /// The next thing the application must learn.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClusterEvent> {
        self.events.pop_front()
    }

    /// The earliest request deadline.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.requests.values().map(|r| r.deadline).min()
    }

    // ---- commands ----------------------------------------------------------------------------

    /// Joins namespace `nsp` to the cluster (asks the driver to subscribe to its channels).
    /// Adding one twice does nothing.
    pub fn add_namespace(&mut self, nsp: &str) {
        if self.namespaces.insert(nsp.to_owned()) {
            let (channels, patterns) = self.channels_of(nsp);
            self.transmits
                .push_back(ClusterTransmit::Subscribe { channels, patterns });
        }
    }

    /// Publishes a broadcast the server made locally to the other servers (they apply the
    /// same `target` to their sockets).
    pub fn broadcast(&mut self, nsp: &str, target: &Target, event: &Event, volatile: bool) {
        let Some(packet) = message::packet(nsp, event) else {
            return;
        };
        let mut flags = Map::new();
        if volatile {
            flags.insert("volatile", Value::Bool(true));
        }
        let opts = message::opts(target, Some(flags));
        let msg = Value::Array(vec![
            Value::from(self.uid.as_str()),
            packet,
            Value::Object(opts),
        ]);
        let mut channel = format!("{}#{}#", self.config.key, nsp);
        if let [room] = target.rooms.as_slice() {
            channel.push_str(room);
            channel.push('#');
        }
        self.publish(channel, notepack::encode(&msg));
    }

    /// Asks every other server to make `target`'s sockets join `rooms` (do the local part on
    /// the server yourself).
    pub fn sockets_join(&mut self, nsp: &str, target: &Target, rooms: &[Str]) {
        self.room_request(nsp, Kind::RemoteJoin, target, rooms);
    }

    /// Asks every other server to make `target`'s sockets leave `rooms`.
    pub fn sockets_leave(&mut self, nsp: &str, target: &Target, rooms: &[Str]) {
        self.room_request(nsp, Kind::RemoteLeave, target, rooms);
    }

    /// Asks every other server to disconnect `target`'s sockets (closing their connections
    /// when `close`).
    pub fn disconnect_sockets(&mut self, nsp: &str, target: &Target, close: bool) {
        let mut m = self.request_head(Kind::RemoteDisconnect);
        m.insert("opts", Value::Object(message::opts(target, None)));
        m.insert("close", Value::Bool(close));
        let channel = self.request_channel(nsp);
        self.publish(channel, message::json(&Value::Object(m)));
    }

    /// Gathers `target`'s sockets from every server: this server's now, the others' as they
    /// answer; ends with [`ClusterEvent::FetchDone`].
    pub fn fetch_sockets(
        &mut self,
        now: Instant,
        server: &SocketServer,
        nsp: &str,
        target: &Target,
    ) -> RequestId {
        let local = server.fetch_sockets(nsp, target).unwrap_or_default();
        let (id, wire_id) = self.new_request();
        let mut m = self.request_head(Kind::RemoteFetch);
        m.insert("requestId", Value::from(wire_id.as_str()));
        m.insert("opts", Value::Object(message::opts(target, None)));
        let msg = (
            self.request_channel(nsp),
            Bytes::from(message::json(&Value::Object(m))),
        );
        self.start(
            now,
            nsp,
            id,
            wire_id,
            Some(msg),
            Pending::Fetch {
                sockets: local,
                expected: None,
                received: 1,
            },
        )
    }

    /// Sends a server-side event (`args[0]` is its name) to every other server of namespace
    /// `nsp`. With `ack`, each answers once: [`ClusterEvent::ServerSideEmitDone`] reports the
    /// answers (returns `None` without `ack`).
    pub fn server_side_emit(
        &mut self,
        now: Instant,
        nsp: &str,
        args: Vec<Value>,
        ack: bool,
    ) -> Option<RequestId> {
        let mut m = self.request_head(Kind::ServerSideEmit);
        let channel = self.request_channel(nsp);
        if !ack {
            m.insert("data", Value::Array(args));
            self.publish(channel, message::json(&Value::Object(m)));
            return None;
        }
        let (id, wire_id) = self.new_request();
        m.insert("requestId", Value::from(wire_id.as_str()));
        m.insert("data", Value::Array(args));
        let msg = (channel, Bytes::from(message::json(&Value::Object(m))));
        let pending = Pending::Emit {
            expected: None,
            responses: Vec::new(),
        };
        Some(self.start(now, nsp, id, wire_id, Some(msg), pending))
    }

    /// Broadcasts `event` with an ack to every server's sockets of `target`. Make the local
    /// broadcast first ([`SocketServer::broadcast_with_ack`], its id is `local`, reaching
    /// `local_count` sockets) and give its [`BroadcastAckDone`](crate::socket::server::SocketEvent::BroadcastAckDone)
    /// to [`handle_local_ack_done`](Self::handle_local_ack_done).
    #[allow(clippy::too_many_arguments)]
    pub fn broadcast_with_ack(
        &mut self,
        now: Instant,
        nsp: &str,
        target: &Target,
        event: &Event,
        timeout: Duration,
        local: BroadcastAckId,
        local_count: usize,
    ) -> RequestId {
        let (id, wire_id) = self.new_request();
        let mut flags = Map::new();
        flags.insert("timeout", Value::from(timeout.as_millis() as u64));
        let mut m = self.request_head(Kind::Broadcast);
        m.insert("requestId", Value::from(wire_id.as_str()));
        m.insert("packet", message::packet(nsp, event).unwrap_or(Value::Null));
        m.insert("opts", Value::Object(message::opts(target, Some(flags))));
        let channel = self.request_channel(nsp);
        self.publish(channel.clone(), notepack::encode(&Value::Object(m)));
        let token = id.0;
        self.requests.insert(
            id.0,
            Request {
                wire_id: wire_id.clone(),
                deadline: now + timeout,
                message: None,
                pending: Pending::BroadcastAck {
                    local,
                    local_done: false,
                    expected_servers: None,
                    servers: 1,
                    expected_clients: local_count,
                    responses: Vec::new(),
                },
            },
        );
        self.by_wire.insert(wire_id, id.0);
        self.transmits
            .push_back(ClusterTransmit::CountServers { channel, token });
        id
    }

    /// Answers another server's server-side emit with ack (only the first answer counts, as
    /// the reference).
    pub fn reply(&mut self, to: ReplyTo, arg: Value) {
        let mut m = Map::new();
        m.insert("type", Value::from(Kind::ServerSideEmit as u8));
        m.insert("requestId", Value::from(to.request.as_str()));
        m.insert("data", arg);
        let channel = self.response_channel(&to.nsp);
        self.publish(channel, message::json(&Value::Object(m)));
    }

    // ---- inputs ------------------------------------------------------------------------------

    /// The number of subscribers of a request channel, asked by
    /// [`ClusterTransmit::CountServers`]; `None` if Redis could not tell (counts as this
    /// server alone).
    pub fn handle_server_count(&mut self, now: Instant, token: u64, count: Option<usize>) {
        let count = count.unwrap_or(1).max(1);
        let Some(r) = self.requests.get_mut(&token) else {
            return;
        };
        match &mut r.pending {
            Pending::Fetch { expected, .. } => *expected = Some(count),
            Pending::Emit { expected, .. } => *expected = Some(count - 1),
            Pending::BroadcastAck {
                expected_servers, ..
            } => *expected_servers = Some(count),
        }
        let wait = match &r.pending {
            Pending::Fetch { .. } => count > 1,
            Pending::Emit { .. } => count > 1,
            Pending::BroadcastAck { .. } => true,
        };
        if wait {
            if let Some((channel, payload)) = r.message.take() {
                self.transmits
                    .push_back(ClusterTransmit::Publish { channel, payload });
            }
        }
        self.check(now, token);
    }

    /// A local broadcast with ack is over (the server's
    /// [`BroadcastAckDone`](crate::socket::server::SocketEvent::BroadcastAckDone)). Returns
    /// whether it was one of the cluster's (then the application must not see it).
    pub fn handle_local_ack_done(
        &mut self,
        now: Instant,
        id: BroadcastAckId,
        responses: &[(crate::socket::server::SocketId, Payload)],
    ) -> bool {
        if let Some((nsp, request)) = self.remote_acks.remove(&id) {
            for (_, payload) in responses {
                let first = first_arg(payload);
                let mut m = Map::new();
                m.insert("type", Value::from(Kind::BroadcastAck as u8));
                m.insert("requestId", Value::from(request.as_str()));
                m.insert("packet", first);
                let channel = self.response_channel(&nsp);
                self.publish(channel, notepack::encode(&Value::Object(m)));
            }
            return true;
        }
        let found = self
            .requests
            .iter_mut()
            .find_map(|(k, r)| match &mut r.pending {
                Pending::BroadcastAck {
                    local,
                    local_done,
                    responses: all,
                    ..
                } if *local == id => {
                    *local_done = true;
                    all.extend(responses.iter().cloned());
                    Some(*k)
                }
                _ => None,
            });
        match found {
            Some(k) => {
                self.check(now, k);
                true
            }
            None => false,
        }
    }

    /// Ends the requests whose deadline passed (incomplete). Safe to call early.
    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| r.deadline <= now)
            .map(|(k, _)| *k)
            .collect();
        for k in expired {
            self.finish(k, false);
        }
    }

    /// A message from Redis on `channel` (one of the subscriptions). Broadcasts and requests
    /// of other servers are applied to `server`; answers to this server's requests advance
    /// them. Malformed messages, and this server's own, are ignored.
    pub fn handle_message(
        &mut self,
        now: Instant,
        server: &mut SocketServer,
        channel: &[u8],
        payload: &[u8],
    ) {
        let Ok(channel) = std::str::from_utf8(channel) else {
            return;
        };
        let key = &self.config.key;
        if let Some(rest) = channel.strip_prefix(&format!("{key}-request#")) {
            let nsp = rest.strip_suffix('#').unwrap_or(rest).to_owned();
            self.on_request(now, server, &nsp, payload);
        } else if channel.starts_with(&format!("{key}-response#")) {
            self.on_response(now, payload);
        } else if channel.starts_with(&format!("{key}#")) {
            self.on_broadcast(server, channel, payload);
        }
    }

    // ---- internals ---------------------------------------------------------------------------

    fn channels_of(&self, nsp: &str) -> (Vec<String>, Vec<String>) {
        let key = &self.config.key;
        (
            vec![
                self.request_channel(nsp),
                self.response_channel(nsp),
                format!("{key}-response#{nsp}#{}#", self.uid),
            ],
            vec![format!("{key}#{nsp}#*")],
        )
    }

    fn request_channel(&self, nsp: &str) -> String {
        format!("{}-request#{}#", self.config.key, nsp)
    }

    fn response_channel(&self, nsp: &str) -> String {
        format!("{}-response#{}#", self.config.key, nsp)
    }

    fn publish(&mut self, channel: String, payload: Vec<u8>) {
        self.transmits.push_back(ClusterTransmit::Publish {
            channel,
            payload: Bytes::from(payload),
        });
    }

    fn request_head(&self, kind: Kind) -> Map {
        let mut m = Map::new();
        m.insert("uid", Value::from(self.uid.as_str()));
        m.insert("type", Value::from(kind as u8));
        m
    }

    fn room_request(&mut self, nsp: &str, kind: Kind, target: &Target, rooms: &[Str]) {
        let mut m = self.request_head(kind);
        m.insert("opts", Value::Object(message::opts(target, None)));
        m.insert(
            "rooms",
            Value::Array(rooms.iter().map(|r| Value::from(r.as_str())).collect()),
        );
        let channel = self.request_channel(nsp);
        self.publish(channel, message::json(&Value::Object(m)));
    }

    fn new_request(&mut self) -> (RequestId, String) {
        let id = self.next_request;
        self.next_request += 1;
        let wire = self.ids.next_sid().as_str()[..6].to_owned();
        (RequestId(id), wire)
    }

    fn start(
        &mut self,
        now: Instant,
        nsp: &str,
        id: RequestId,
        wire_id: String,
        message: Option<(String, Bytes)>,
        pending: Pending,
    ) -> RequestId {
        self.requests.insert(
            id.0,
            Request {
                wire_id: wire_id.clone(),
                deadline: now + self.config.requests_timeout,
                message,
                pending,
            },
        );
        self.by_wire.insert(wire_id, id.0);
        self.transmits.push_back(ClusterTransmit::CountServers {
            channel: self.request_channel(nsp),
            token: id.0,
        });
        id
    }

    /// Ends request `k` if it has all it waits for.
    fn check(&mut self, _now: Instant, k: u64) {
        let Some(r) = self.requests.get(&k) else {
            return;
        };
        let done = match &r.pending {
            Pending::Fetch {
                expected, received, ..
            } => expected.is_some_and(|e| *received >= e),
            Pending::Emit {
                expected,
                responses,
            } => expected.is_some_and(|e| responses.len() >= e),
            Pending::BroadcastAck {
                local_done,
                expected_servers,
                servers,
                expected_clients,
                responses,
                ..
            } => {
                *local_done
                    && expected_servers.is_some_and(|e| *servers >= e)
                    && responses.len() >= *expected_clients
            }
        };
        if done {
            self.finish(k, true);
        }
    }

    fn finish(&mut self, k: u64, complete: bool) {
        let Some(r) = self.requests.remove(&k) else {
            return;
        };
        self.by_wire.remove(&r.wire_id);
        let request = RequestId(k);
        self.events.push_back(match r.pending {
            Pending::Fetch { sockets, .. } => ClusterEvent::FetchDone {
                request,
                sockets,
                complete,
            },
            Pending::Emit { responses, .. } => ClusterEvent::ServerSideEmitDone {
                request,
                responses,
                complete,
            },
            Pending::BroadcastAck { responses, .. } => ClusterEvent::BroadcastAckDone {
                request,
                responses,
                complete,
            },
        });
    }

    fn on_broadcast(&mut self, server: &mut SocketServer, channel: &str, payload: &[u8]) {
        let Ok(Value::Array(msg)) = notepack::decode(payload) else {
            return;
        };
        let [uid, packet, opts, ..] = msg.as_slice() else {
            return;
        };
        if uid.as_str() == Some(self.uid.as_str()) {
            return;
        }
        let Some((nsp, event)) = message::packet_event(packet) else {
            return;
        };
        if !channel.starts_with(&format!("{}#{}#", self.config.key, nsp))
            || !self.namespaces.contains(nsp.as_str())
        {
            return;
        }
        let target = message::target(Some(opts));
        let volatile = opts
            .get("flags")
            .and_then(|f| f.get("volatile"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let _ = if volatile {
            server.broadcast_volatile(&nsp, &target, event)
        } else {
            server.broadcast(&nsp, &target, event)
        };
    }

    fn on_request(&mut self, now: Instant, server: &mut SocketServer, nsp: &str, body: &[u8]) {
        if !self.namespaces.contains(nsp) {
            return;
        }
        let Some(req) = message::decode_body(body) else {
            return;
        };
        let Some(kind) = Kind::from_value(req.get("type")) else {
            return;
        };
        let own = req.get("uid").and_then(Value::as_str) == Some(self.uid.as_str());
        let request_id = req
            .get("requestId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mine = request_id
            .as_ref()
            .is_some_and(|r| self.by_wire.contains_key(r));
        if own || mine {
            return; // This server did its part when it sent the request.
        }
        let target = message::target(req.get("opts"));
        let respond = |this: &mut Self, mut m: Map| {
            if let Some(r) = &request_id {
                m.insert("requestId", Value::from(r.as_str()));
                let channel = this.response_channel(nsp);
                this.publish(channel, message::json(&Value::Object(m)));
            }
        };
        match kind {
            Kind::RemoteJoin | Kind::RemoteLeave => {
                let join = kind == Kind::RemoteJoin;
                if req.get("opts").is_some() {
                    let rooms = message::rooms(req.get("rooms"));
                    if join {
                        let _ = server.sockets_join(nsp, &target, &rooms);
                    } else {
                        for room in &rooms {
                            let _ = server.sockets_leave(nsp, &target, room);
                        }
                    }
                    return;
                }
                // The older per-socket form: `{sid, room}`, answered.
                let (Some(sid), Some(room)) = (
                    req.get("sid").and_then(Value::as_str),
                    req.get("room").and_then(message::room),
                ) else {
                    return;
                };
                let socket = crate::socket::server::SocketId::new(Str::from(sid.to_owned()));
                let ok = if join {
                    server.join(&socket, [room]).is_ok()
                } else {
                    server.leave(&socket, &room).is_ok()
                };
                if ok {
                    respond(self, Map::new());
                }
            }
            Kind::RemoteDisconnect => {
                let close = req.get("close").and_then(Value::as_bool).unwrap_or(false);
                if req.get("opts").is_some() {
                    let _ = server.disconnect_sockets(now, nsp, &target, close);
                    return;
                }
                let Some(sid) = req.get("sid").and_then(Value::as_str) else {
                    return;
                };
                let socket = crate::socket::server::SocketId::new(Str::from(sid.to_owned()));
                if server.disconnect(now, &socket, close).is_ok() {
                    respond(self, Map::new());
                }
            }
            Kind::RemoteFetch => {
                let sockets = server.fetch_sockets(nsp, &target).unwrap_or_default();
                let list = sockets.iter().map(message::socket_to_value).collect();
                let mut m = Map::new();
                m.insert("sockets", Value::Array(list));
                respond(self, m);
            }
            Kind::Sockets => {
                let target = Target {
                    rooms: message::rooms(req.get("rooms")),
                    ..Target::default()
                };
                let sockets = server.fetch_sockets(nsp, &target).unwrap_or_default();
                let ids = sockets.iter().map(|s| Value::from(s.id.as_str())).collect();
                let mut m = Map::new();
                m.insert("sockets", Value::Array(ids));
                respond(self, m);
            }
            Kind::AllRooms => {
                let sockets = server
                    .fetch_sockets(nsp, &Target::all())
                    .unwrap_or_default();
                let mut seen = HashSet::new();
                let mut rooms = Vec::new();
                for r in sockets.iter().flat_map(|s| s.rooms.iter()) {
                    if seen.insert(r.clone()) {
                        rooms.push(Value::from(r.as_str()));
                    }
                }
                let mut m = Map::new();
                m.insert("rooms", Value::Array(rooms));
                respond(self, m);
            }
            Kind::ServerSideEmit => {
                let Some(args) = req.get("data").and_then(Value::as_array) else {
                    return;
                };
                let reply = request_id.map(|request| ReplyTo {
                    nsp: Str::from(nsp.to_owned()),
                    request,
                });
                self.events.push_back(ClusterEvent::ServerSideEmit {
                    nsp: Str::from(nsp.to_owned()),
                    args: args.clone(),
                    reply,
                });
            }
            Kind::Broadcast => {
                let Some(request) = request_id else { return };
                let Some((pnsp, event)) = req.get("packet").and_then(message::packet_event) else {
                    return;
                };
                if pnsp != nsp {
                    return;
                }
                let timeout = req
                    .get("opts")
                    .and_then(|o| o.get("flags"))
                    .and_then(|f| f.get("timeout"))
                    .and_then(Value::as_u64)
                    .map_or(self.config.requests_timeout, Duration::from_millis);
                let count = server.fetch_sockets(nsp, &target).map_or(0, |s| s.len());
                let Ok(local) = server.broadcast_with_ack(now, nsp, &target, event, Some(timeout))
                else {
                    return;
                };
                let mut m = Map::new();
                m.insert("type", Value::from(Kind::BroadcastClientCount as u8));
                m.insert("requestId", Value::from(request.as_str()));
                m.insert("clientCount", Value::from(count));
                let channel = self.response_channel(nsp);
                self.publish(channel, message::json(&Value::Object(m)));
                self.remote_acks
                    .insert(local, (Str::from(nsp.to_owned()), request));
            }
            Kind::BroadcastClientCount | Kind::BroadcastAck => {}
        }
    }

    fn on_response(&mut self, now: Instant, body: &[u8]) {
        let Some(res) = message::decode_body(body) else {
            return;
        };
        let Some(k) = res
            .get("requestId")
            .and_then(Value::as_str)
            .and_then(|r| self.by_wire.get(r).copied())
        else {
            return;
        };
        let Some(r) = self.requests.get_mut(&k) else {
            return;
        };
        match &mut r.pending {
            Pending::Fetch {
                sockets, received, ..
            } => {
                let Some(list) = res.get("sockets").and_then(Value::as_array) else {
                    return;
                };
                *received += 1;
                sockets.extend(list.iter().filter_map(message::socket_from_value));
            }
            Pending::Emit { responses, .. } => {
                responses.push(res.get("data").cloned().unwrap_or(Value::Null));
            }
            Pending::BroadcastAck {
                servers,
                expected_clients,
                responses,
                ..
            } => match Kind::from_value(res.get("type")) {
                Some(Kind::BroadcastClientCount) => {
                    *servers += 1;
                    *expected_clients +=
                        res.get("clientCount").and_then(Value::as_u64).unwrap_or(0) as usize;
                }
                Some(Kind::BroadcastAck) => {
                    let arg = res.get("packet").cloned().unwrap_or(Value::Null);
                    responses.push((
                        crate::socket::server::SocketId::new(Str::from(String::new())),
                        Payload::from_value(&Value::Array(vec![arg])),
                    ));
                }
                _ => return,
            },
        }
        self.check(now, k);
    }
}

/// The first argument of an ack (what the Node adapter forwards to the requesting server).
fn first_arg(payload: &Payload) -> Value {
    match payload.to_value() {
        Ok(Value::Array(mut a)) if !a.is_empty() => a.swap_remove(0),
        _ => Value::Null,
    }
}
