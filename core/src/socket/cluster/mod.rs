//! The cluster protocol of `@socket.io/redis-adapter` 8.3, sans-IO: how one server shares
//! broadcasts, room operations, `fetch_sockets`, server-side emits and broadcast acks with the
//! other servers of a cluster (sio or Node.js) over Redis pub/sub.
//!
//! [`Cluster`] sits beside a [`SocketServer`]: the application's cluster-wide operations go
//! through it (the caller does the local part on the server, the cluster publishes the rest
//! and gathers the answers), and the messages
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

mod incoming;
mod message;
mod requests;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hashbrown::{HashMap, HashSet};

use crate::engine::server::sid::SidGenerator;
use crate::socket::server::{BroadcastAckId, SocketInfo, SocketServer, Target};
use crate::socket::{Event, Payload, Value};
use crate::{Map, Str};
use message::Kind;
use requests::Request;

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
        self.publish(channel, crate::msgpack::encode(&msg));
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
}
