//! [`RedisAdapter`]: a [`SocketIoServer`] joins a cluster through Redis (the wire format of
//! `@socket.io/redis-adapter` 8.3, so Node.js servers and `@socket.io/redis-emitter` share it).
//!
//! The bytes move in `redis_io.rs` (shared by both drivers); this file starts and stops it.

use redis::{Client, RedisResult};
use sio_core::api::socketio::ClusterConfig;

use crate::SocketIoServer;

/// A server's membership in a Redis cluster. Dropping it leaves the adapter running; call
/// [`close`](Self::close) to stop it.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use sio_tokio::{RedisAdapter, SocketIoConfig, SocketIoServer};
///
/// let io = SocketIoServer::new(SocketIoConfig::default());
/// let adapter = RedisAdapter::connect(&io, "redis://127.0.0.1:6379/").await?;
/// io.sockets().emit("news", &"to every client of every server")?;
/// let sockets = io.sockets().fetch_cluster_sockets().await?;
/// println!("{} sockets in the cluster; this server is {}", sockets.len(), adapter.uid());
/// # Ok(()) }
/// ```
///
/// The adapter's task holds the server: it lives until [`close`](Self::close).
#[derive(Debug)]
pub struct RedisAdapter {
    task: tokio::task::JoinHandle<()>,
    uid: String,
}

impl RedisAdapter {
    /// Connects `server` to the Redis at `url` (`redis://host:port/`) with the default
    /// options (key `socket.io`, requests timeout 5 s). Fails if Redis cannot be reached now;
    /// later outages are survived.
    pub async fn connect(server: &SocketIoServer, url: &str) -> RedisResult<RedisAdapter> {
        Self::connect_with(server, url, ClusterConfig::default()).await
    }

    /// [`connect`](Self::connect) with the cluster's options.
    pub async fn connect_with(
        server: &SocketIoServer,
        url: &str,
        config: ClusterConfig,
    ) -> RedisResult<RedisAdapter> {
        let client = Client::open(url)?;
        let conns = sio_io::redis_io::connect(&client).await?;
        let link = server.io().join_cluster(config);
        let uid = link.uid();
        let task = tokio::spawn(sio_io::redis_io::run(
            link,
            client,
            conns,
            tokio::time::sleep,
        ));
        Ok(RedisAdapter { task, uid })
    }

    /// This server's uid in the cluster.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// Stops moving messages (the server stays a cluster member that reaches no one).
    pub fn close(self) {
        self.task.abort();
    }
}

/// A server's membership in a Redis Cluster through sharded pub/sub: the wire format of
/// `createShardedAdapter` of `@socket.io/redis-adapter` 8.3 (Redis 7), so Node.js servers with
/// that adapter share the cluster. Dropping it leaves the adapter running; call
/// [`close`](Self::close) to stop it.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use sio_tokio::{ShardedRedisAdapter, SocketIoConfig, SocketIoServer, SubscriptionMode};
///
/// let io = SocketIoServer::new(SocketIoConfig::default());
/// let nodes = ["redis://127.0.0.1:7000/", "redis://127.0.0.1:7001/"];
/// let _adapter = ShardedRedisAdapter::connect(&io, &nodes, SubscriptionMode::Dynamic).await?;
/// io.sockets().to("room1").emit("news", &"on room1's own channel")?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ShardedRedisAdapter {
    task: tokio::task::JoinHandle<()>,
    uid: String,
}

impl ShardedRedisAdapter {
    /// Connects `server` to the Redis Cluster that `nodes` belong to (one or more of its
    /// nodes, `redis://host:port/`), with subscription `mode` (the Node adapter's default is
    /// dynamic). Fails if the cluster cannot be reached now; a failover later is followed
    /// (see the README's cluster section for what is lost meanwhile).
    pub async fn connect(
        server: &SocketIoServer,
        nodes: &[&str],
        mode: sio_core::api::socketio::SubscriptionMode,
    ) -> RedisResult<ShardedRedisAdapter> {
        Self::connect_with(server, nodes, ClusterConfig::sharded(mode)).await
    }

    /// [`connect`](Self::connect) with the cluster's options (`config.adapter` must be
    /// [`AdapterKind::Sharded`](sio_core::api::socketio::AdapterKind::Sharded)).
    pub async fn connect_with(
        server: &SocketIoServer,
        nodes: &[&str],
        config: ClusterConfig,
    ) -> RedisResult<ShardedRedisAdapter> {
        let (conn, pushes) = sio_io::redis_sharded_io::connect(nodes).await?;
        let link = server.io().join_cluster(config);
        let uid = link.uid();
        let task = tokio::spawn(sio_io::redis_sharded_io::run(
            link,
            conn,
            pushes,
            tokio::time::sleep,
        ));
        Ok(ShardedRedisAdapter { task, uid })
    }

    /// This server's uid in the cluster.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// Stops moving messages (the server stays a cluster member that reaches no one).
    pub fn close(self) {
        self.task.abort();
    }
}

/// A server's membership in a cluster through one Redis stream: the wire format of
/// `@socket.io/redis-streams-adapter` 0.2, so Node.js servers with that adapter share it.
/// With connection state recovery on ([`SocketIoConfig`](crate::SocketIoConfig)'s
/// `recovery`), sessions and offsets live in Redis: a client that lost its connection
/// recovers its session and missed events on any server of the cluster. Dropping it leaves
/// the adapter running; call [`close`](Self::close) to stop it.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use sio_tokio::{RecoveryConfig, RedisStreamsAdapter, SocketIoConfig, SocketIoServer, StreamsConfig};
///
/// let mut config = SocketIoConfig::default();
/// config.recovery = Some(RecoveryConfig::default());
/// let io = SocketIoServer::new(config);
/// let url = "redis://127.0.0.1:6379/";
/// let _adapter = RedisStreamsAdapter::connect(&io, url, StreamsConfig::default()).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisStreamsAdapter {
    task: tokio::task::JoinHandle<()>,
    uid: String,
}

impl RedisStreamsAdapter {
    /// Connects `server` to the Redis at `url` with the streams adapter's options `streams`
    /// (stream name, `maxLen`, `readCount`, session key prefix, heartbeats). Fails if Redis
    /// cannot be reached now; later outages are survived, reading resumes after the last
    /// entry read.
    pub async fn connect(
        server: &SocketIoServer,
        url: &str,
        streams: sio_core::api::socketio::StreamsConfig,
    ) -> RedisResult<RedisStreamsAdapter> {
        Self::connect_with(server, url, ClusterConfig::streams(streams)).await
    }

    /// [`connect`](Self::connect) with the cluster's options (`config.adapter` must be
    /// [`AdapterKind::Streams`](sio_core::api::socketio::AdapterKind::Streams)).
    pub async fn connect_with(
        server: &SocketIoServer,
        url: &str,
        config: ClusterConfig,
    ) -> RedisResult<RedisStreamsAdapter> {
        let client = Client::open(url)?;
        let conns = sio_io::redis_streams_io::connect(&client).await?;
        let link = server.io().join_cluster(config);
        let uid = link.uid();
        let task = tokio::spawn(sio_io::redis_streams_io::run(
            link,
            client,
            conns,
            tokio::time::sleep,
        ));
        Ok(RedisStreamsAdapter { task, uid })
    }

    /// This server's uid in the cluster.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// Stops moving messages (the server stays a cluster member that reaches no one).
    pub fn close(self) {
        self.task.abort();
    }
}
