//! The cluster's settings: which Node adapter's wire format it speaks, and that adapter's
//! options (under the Node adapters' names).

use std::time::Duration;

/// The cluster's settings (the Node adapter's options of the same names).
#[derive(Clone)]
pub struct ClusterConfig {
    /// The prefix of every channel (`key` of the classic adapter, `channelPrefix` of the
    /// sharded one; default `socket.io`). The streams adapter names its stream in
    /// [`StreamsConfig::stream_name`] instead.
    pub key: String,
    /// How long a request waits for every server's answer (`requestsTimeout`, 5 s).
    pub requests_timeout: Duration,
    /// Seed of this server's uid and request ids; the default draws it from the operating
    /// system (two servers must not share one).
    pub seed: [u8; 32],
    /// Which adapter's wire format the cluster speaks (default: the classic one).
    pub adapter: AdapterKind,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            key: "socket.io".to_owned(),
            requests_timeout: Duration::from_millis(5000),
            seed: crate::engine::server::sid::os_seed(),
            adapter: AdapterKind::Classic,
        }
    }
}

impl ClusterConfig {
    /// The settings of the sharded adapter (`createShardedAdapter`) with `mode`.
    pub fn sharded(mode: SubscriptionMode) -> Self {
        ClusterConfig {
            adapter: AdapterKind::Sharded(ShardedConfig {
                subscription_mode: mode,
            }),
            ..ClusterConfig::default()
        }
    }

    /// The settings of the streams adapter (`@socket.io/redis-streams-adapter`).
    pub fn streams(config: StreamsConfig) -> Self {
        ClusterConfig {
            adapter: AdapterKind::Streams(config),
            ..ClusterConfig::default()
        }
    }
}

impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("key", &self.key)
            .field("requests_timeout", &self.requests_timeout)
            .field("adapter", &self.adapter)
            .finish_non_exhaustive()
    }
}

/// The Node adapter whose wire format a cluster speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdapterKind {
    /// `createAdapter` of `@socket.io/redis-adapter` 8.3: classic pub/sub (`PUBLISH`,
    /// `PSUBSCRIBE`), broadcasts in notepack msgpack, requests in JSON.
    Classic,
    /// `createShardedAdapter` of `@socket.io/redis-adapter` 8.3: sharded pub/sub of Redis 7
    /// (`SPUBLISH`, `SSUBSCRIBE`), the messages of socket.io-adapter's `ClusterAdapter`.
    Sharded(ShardedConfig),
    /// `@socket.io/redis-streams-adapter` 0.2: every message appended to one Redis stream
    /// (`XADD`, read with `XREAD`), servers known by their heartbeats, and the sessions of
    /// connection state recovery kept in Redis so a client recovers on any server.
    Streams(StreamsConfig),
}

/// The sharded adapter's options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShardedConfig {
    /// Which rooms get a channel of their own (`subscriptionMode`, default dynamic).
    pub subscription_mode: SubscriptionMode,
}

/// The sharded adapter's `subscriptionMode`: which broadcasts travel on a channel of their
/// own, so only the servers that have the room receive them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SubscriptionMode {
    /// One channel per namespace: every server receives every broadcast.
    Static,
    /// A channel per public room (`socket.io#/#room#`) for broadcasts to that one room;
    /// rooms named by a socket id (20 characters) stay on the namespace's channel.
    #[default]
    Dynamic,
    /// As dynamic, private rooms (a socket's own room) included.
    DynamicPrivate,
}

/// The streams adapter's options (`createAdapter(redisClient, opts)` of
/// `@socket.io/redis-streams-adapter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamsConfig {
    /// The stream's key (`streamName`, default `socket.io`).
    pub stream_name: String,
    /// The stream is trimmed to about this many entries (`maxLen`, 10,000); a client
    /// disconnected for longer than the stream reaches back cannot recover.
    pub max_len: usize,
    /// How many entries one read takes (`readCount`, 100).
    pub read_count: usize,
    /// The prefix of the keys of kept sessions (`sessionKeyPrefix`, `sio:session:`).
    pub session_key_prefix: String,
    /// How often this server says it is alive (`heartbeatInterval`, 5 s).
    pub heartbeat_interval: Duration,
    /// A server not heard from for this long no longer counts (`heartbeatTimeout`, 10 s).
    pub heartbeat_timeout: Duration,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        StreamsConfig {
            stream_name: "socket.io".to_owned(),
            max_len: 10_000,
            read_count: 100,
            session_key_prefix: "sio:session:".to_owned(),
            heartbeat_interval: Duration::from_millis(5000),
            heartbeat_timeout: Duration::from_millis(10_000),
        }
    }
}
