//! The cluster protocols of the Node.js Redis adapters, sans-IO: how one server shares
//! broadcasts, room operations, `fetch_sockets`, server-side emits and broadcast acks with the
//! other servers of a cluster (sio or Node.js) through Redis. Three wire formats
//! ([`AdapterKind`]):
//!
//! - **classic** (`createAdapter` of `@socket.io/redis-adapter` 8.3): pub/sub channels;
//! - **sharded** (`createShardedAdapter` of the same package): sharded pub/sub of a Redis 7
//!   cluster, with the messages of socket.io-adapter's `ClusterAdapter`;
//! - **streams** (`@socket.io/redis-streams-adapter` 0.2): the same messages appended to one
//!   Redis stream, servers counted by their heartbeats, and connection state recovery's
//!   sessions kept in Redis so that a client recovers on another server.
//!
//! [`Cluster`] sits beside a [`SocketServer`]: the application's cluster-wide operations go
//! through it (the caller does the local part on the server, the cluster publishes the rest
//! and gathers the answers), and what the driver receives from Redis goes into it (it
//! applies it to the server and answers requests). It owns no connection: it asks the driver
//! to subscribe, publish, append, read and count ([`ClusterTransmit`], [`Cluster::stream_read`]),
//! and reports what the application must learn ([`ClusterEvent`]).
//!
//! The classic wire format, channel names included (with the default key `socket.io` and
//! namespace `/`):
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
//! The sharded wire format: every message `{type, data, uid, nsp}` on `socket.io#/#` (one
//! channel per namespace), broadcasts to one public room on `socket.io#/#room#` (dynamic
//! mode), answers on the asking server's `socket.io#/#<uid>#`; JSON, or notepack msgpack
//! when the data holds binary. The number of servers is `PUBSUB SHARDNUMSUB socket.io#/#`.
//! See [`sharded`](self#sharded) below.
//!
//! The streams wire format: one stream entry per message with the fields `uid`, `nsp`,
//! `type`, `data` (JSON, or base64 of msgpack with binary); a broadcast's entry id is the
//! offset its recipients receive as a last argument (with connection state recovery), so the
//! local delivery waits for the `XADD`; sessions are `SET sio:session:<pid>` (base64 of
//! msgpack `{sid, pid, rooms, data}`, expiring after the recovery window), and a client
//! that comes back gets the session and every broadcast of the stream after its offset that
//! matches its rooms.
//!
//! Methods, as every machine of this crate: getters ([`uid`](Cluster::uid),
//! [`subscriptions`](Cluster::subscriptions), [`stream_read`](Cluster::stream_read),
//! [`defers_local`](Cluster::defers_local)); inputs
//! ([`handle_message`](Cluster::handle_message),
//! [`handle_server_count`](Cluster::handle_server_count),
//! [`handle_local_ack_done`](Cluster::handle_local_ack_done),
//! [`handle_room_lifecycle`](Cluster::handle_room_lifecycle),
//! [`handle_connection_lost`](Cluster::handle_connection_lost),
//! [`handle_unsubscribed`](Cluster::handle_unsubscribed),
//! [`handle_stream_entries`](Cluster::handle_stream_entries),
//! [`handle_stream_added`](Cluster::handle_stream_added),
//! [`handle_session_io`](Cluster::handle_session_io),
//! [`handle_session_taken`](Cluster::handle_session_taken),
//! [`handle_range`](Cluster::handle_range),
//! [`handle_timeout`](Cluster::handle_timeout)); commands (`add_namespace`, `broadcast`,
//! `broadcast_with_ack`, `sockets_join`, `sockets_leave`, `disconnect_sockets`,
//! `fetch_sockets`, `server_side_emit`, `reply`); outputs ([`poll_transmit`](Cluster::poll_transmit),
//! [`poll_event`](Cluster::poll_event), [`poll_timeout`](Cluster::poll_timeout)).

mod adapter_in;
mod adapter_msg;
mod config;
mod incoming;
mod io;
mod message;
mod requests;
mod sharded;
mod streams;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hashbrown::{HashMap, HashSet};

pub use config::{AdapterKind, ClusterConfig, ShardedConfig, StreamsConfig, SubscriptionMode};
pub use io::{ClusterEvent, ClusterTransmit, ReplyTo, RequestId, StreamEntry, StreamRead};

use crate::engine::server::sid::SidGenerator;
use crate::socket::server::{BroadcastAckId, SocketServer, Target};
use crate::socket::{Event, Value};
use crate::{Map, Str};
use adapter_msg::MsgType;
use message::Kind;
use requests::Request;

/// A broadcast with ack another server asked this one to make.
#[derive(Debug)]
struct RemoteAck {
    nsp: Str,
    request: String,
    /// The asking server (answers of the sharded adapter go to its channel).
    requester: String,
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
    remote_acks: HashMap<BroadcastAckId, RemoteAck>,
    transmits: VecDeque<ClusterTransmit>,
    events: VecDeque<ClusterEvent>,
    /// The sharded adapter's state (its channels).
    sharded: Option<sharded::Sharded>,
    /// The streams adapter's state (offset, servers, heartbeats, waiting broadcasts and
    /// session lookups).
    streams: Option<Box<streams::Streams>>,
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
        let ids = SidGenerator::new(config.seed);
        let sharded = match &config.adapter {
            AdapterKind::Sharded(c) => Some(sharded::Sharded::new(c.subscription_mode)),
            _ => None,
        };
        let streams = match &config.adapter {
            AdapterKind::Streams(c) => Some(Box::new(streams::Streams::new(c.clone()))),
            _ => None,
        };
        let mut cluster = Cluster {
            config,
            uid: String::new(),
            ids,
            namespaces: HashSet::new(),
            next_request: 0,
            requests: HashMap::new(),
            by_wire: HashMap::new(),
            remote_acks: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            sharded,
            streams,
        };
        // The classic adapter's uids have 6 characters, the `ClusterAdapter`'s 16 hex digits.
        cluster.uid = if cluster.is_classic() {
            cluster.ids.next_sid().as_str()[..6].to_owned()
        } else {
            cluster.hex_id()
        };
        cluster
    }

    // ---- getters -----------------------------------------------------------------------------

    /// This server's uid in the cluster (its own messages carry it).
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// Which adapter's wire format this cluster speaks.
    pub fn adapter(&self) -> &AdapterKind {
        &self.config.adapter
    }

    /// Every subscription this server needs: what to subscribe again after reconnecting
    /// (`Subscribe` for the classic adapter, `SSubscribe` for the sharded one; the streams
    /// adapter subscribes to nothing).
    pub fn subscriptions(&self) -> ClusterTransmit {
        if let Some(sh) = &self.sharded {
            return ClusterTransmit::SSubscribe {
                channels: sh.channels().cloned().collect(),
            };
        }
        let mut channels = Vec::new();
        let mut patterns = Vec::new();
        if self.streams.is_none() {
            for nsp in &self.namespaces {
                let (c, p) = self.channels_of(nsp);
                channels.extend(c);
                patterns.extend(p);
            }
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

    /// The earliest request deadline (and, for the streams adapter, the next heartbeat or
    /// the moment a silent server stops counting).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let requests = self.requests_deadline();
        let streams = self.streams_deadline();
        match (requests, streams) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- commands ----------------------------------------------------------------------------

    /// Joins namespace `nsp` to the cluster (asks the driver to subscribe to its channels;
    /// the streams adapter says hello to the other servers). Adding one twice does nothing.
    pub fn add_namespace(&mut self, now: Instant, nsp: &str) {
        if !self.namespaces.insert(nsp.to_owned()) {
            return;
        }
        if self.streams.is_some() {
            self.streams_add_namespace(now, nsp);
        } else if self.sharded.is_some() {
            self.sharded_add_namespace(nsp);
        } else {
            let (channels, patterns) = self.channels_of(nsp);
            self.transmits
                .push_back(ClusterTransmit::Subscribe { channels, patterns });
        }
    }

    /// Publishes a broadcast to the other servers (they apply the same `target` to their
    /// sockets). Returns whether the cluster also makes the local part (then the caller must
    /// not): the streams adapter with connection state recovery delivers it once the stream
    /// has given it its offset ([`defers_local`](Self::defers_local)); otherwise the caller
    /// broadcasts on the server itself.
    pub fn broadcast(&mut self, nsp: &str, target: &Target, event: &Event, volatile: bool) -> bool {
        let Some(packet) = message::packet(nsp, event) else {
            return false;
        };
        let mut flags = Map::new();
        if volatile {
            flags.insert("volatile", Value::Bool(true));
        }
        let opts = message::opts(target, Some(flags));
        if !self.is_classic() {
            let mut d = Map::new();
            d.insert("packet", packet);
            d.insert("opts", Value::Object(opts));
            if self.defers_local() && !volatile {
                let token = self.defer_local(nsp, target, event);
                let t = self.adapter_transmit(nsp, MsgType::Broadcast, Some(d), Some(token));
                self.transmits.push_back(t);
                return true;
            }
            self.adapter_publish(nsp, MsgType::Broadcast, Some(d));
            return false;
        }
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
        false
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
        if !self.is_classic() {
            let mut d = Map::new();
            d.insert("opts", Value::Object(message::opts(target, None)));
            d.insert("close", Value::Bool(close));
            self.adapter_publish(nsp, MsgType::DisconnectSockets, Some(d));
            return;
        }
        let mut m = self.request_head(Kind::RemoteDisconnect);
        m.insert("opts", Value::Object(message::opts(target, None)));
        m.insert("close", Value::Bool(close));
        let channel = self.request_channel(nsp);
        self.publish(channel, message::json(&Value::Object(m)));
    }

    /// Answers another server's server-side emit with ack (only the first answer counts, as
    /// the reference).
    pub fn reply(&mut self, to: ReplyTo, arg: Value) {
        if !self.is_classic() {
            let mut d = Map::new();
            d.insert("requestId", Value::from(to.request.as_str()));
            d.insert("packet", arg);
            self.adapter_respond(&to.requester, &to.nsp, MsgType::ServerSideEmitResponse, d);
            return;
        }
        let mut m = Map::new();
        m.insert("type", Value::from(Kind::ServerSideEmit as u8));
        m.insert("requestId", Value::from(to.request.as_str()));
        m.insert("data", arg);
        let channel = self.response_channel(&to.nsp);
        self.publish(channel, message::json(&Value::Object(m)));
    }

    // ---- inputs ------------------------------------------------------------------------------

    /// A message from Redis on `channel` (one of the subscriptions, classic or sharded).
    /// Broadcasts and requests of other servers are applied to `server`; answers to this
    /// server's requests advance them. Malformed messages, and this server's own, are
    /// ignored.
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
        if self.sharded.is_some() {
            self.sharded_message(now, server, channel, payload);
            return;
        }
        if self.streams.is_some() {
            return;
        }
        let key = &self.config.key;
        if let Some(rest) = channel.strip_prefix(&format!("{key}-request#")) {
            let nsp = rest.strip_suffix('#').unwrap_or(rest).to_owned();
            self.on_request(now, server, &nsp, payload);
        } else if channel.starts_with(&format!("{key}-response#")) {
            self.on_response(payload);
        } else if channel.starts_with(&format!("{key}#")) {
            self.on_broadcast(server, channel, payload);
        }
    }

    // ---- internals ---------------------------------------------------------------------------

    fn is_classic(&self) -> bool {
        self.sharded.is_none() && self.streams.is_none()
    }

    /// 16 hexadecimal digits, as socket.io-adapter's `randomId()`.
    fn hex_id(&mut self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let sid = self.ids.next_sid();
        // Base64url digits are evenly spread over 64 values, hence over 16.
        sid.as_bytes()[..16]
            .iter()
            .map(|b| HEX[usize::from(*b) % 16] as char)
            .collect()
    }

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
        if !self.is_classic() {
            let kind = match kind {
                Kind::RemoteJoin => MsgType::SocketsJoin,
                _ => MsgType::SocketsLeave,
            };
            let mut d = Map::new();
            d.insert("opts", Value::Object(message::opts(target, None)));
            let list = rooms.iter().map(|r| Value::from(r.as_str())).collect();
            d.insert("rooms", Value::Array(list));
            self.adapter_publish(nsp, kind, Some(d));
            return;
        }
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
