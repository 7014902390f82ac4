//! [`RedisAdapter`]: a [`SocketIoServer`] joins a cluster through Redis (the wire format of
//! `@socket.io/redis-adapter` 8.3, so Node.js servers and `@socket.io/redis-emitter` share it).
//!
//! The bytes move in `redis_io.rs` (shared by both drivers); this file starts and stops it.

use redis::{Client, RedisResult};
use sio_core::api::socketio::ClusterConfig;

use crate::SocketIoServer;

/// A server's membership in a Redis cluster; its task runs on smol's global executor.
/// Dropping it leaves the adapter running; call [`close`](Self::close) to stop it.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use sio_smol::{RedisAdapter, SocketIoConfig, SocketIoServer};
///
/// smol::block_on(async {
///     let io = SocketIoServer::new(SocketIoConfig::default());
///     let adapter = RedisAdapter::connect(&io, "redis://127.0.0.1:6379/").await?;
///     io.sockets().emit("news", &"to every client of every server")?;
///     let sockets = io.sockets().fetch_cluster_sockets().await?;
///     println!("{} sockets in the cluster; this server is {}", sockets.len(), adapter.uid());
///     Ok(())
/// })
/// # }
/// ```
///
/// The adapter's task holds the server: it lives until [`close`](Self::close).
#[derive(Debug)]
pub struct RedisAdapter {
    task: Option<smol::Task<()>>,
    uid: String,
}

impl Drop for RedisAdapter {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.detach();
        }
    }
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
        let sleep = |d| async move {
            smol::Timer::after(d).await;
        };
        let task = Some(smol::spawn(sio_io::redis_io::run(
            link, client, conns, sleep,
        )));
        Ok(RedisAdapter { task, uid })
    }

    /// This server's uid in the cluster.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// Stops moving messages (the server stays a cluster member that reaches no one).
    pub fn close(mut self) {
        drop(self.task.take());
    }
}

/// A server's membership in a Redis Cluster through sharded pub/sub: the wire format of
/// `createShardedAdapter` of `@socket.io/redis-adapter` 8.3 (Redis 7), so Node.js servers with
/// that adapter share the cluster. Its task runs on smol's global executor; dropping it
/// leaves the adapter running; call [`close`](Self::close) to stop it.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use sio_smol::{ShardedRedisAdapter, SocketIoConfig, SocketIoServer, SubscriptionMode};
///
/// smol::block_on(async {
///     let io = SocketIoServer::new(SocketIoConfig::default());
///     let nodes = ["redis://127.0.0.1:7000/"];
///     let _adapter = ShardedRedisAdapter::connect(&io, &nodes, SubscriptionMode::Dynamic).await?;
///     io.sockets().to("room1").emit("news", &"on room1's own channel")?;
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct ShardedRedisAdapter {
    task: Option<smol::Task<()>>,
    uid: String,
}

impl Drop for ShardedRedisAdapter {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.detach();
        }
    }
}

impl ShardedRedisAdapter {
    /// Connects `server` to the Redis Cluster that `nodes` belong to (one or more of its
    /// nodes, `redis://host:port/`), with subscription `mode`. Fails if the cluster cannot
    /// be reached now; a failover later is followed.
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
        let sleep = |d| async move {
            smol::Timer::after(d).await;
        };
        let task = Some(smol::spawn(sio_io::redis_sharded_io::run(
            link, conn, pushes, sleep,
        )));
        Ok(ShardedRedisAdapter { task, uid })
    }

    /// This server's uid in the cluster.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// Stops moving messages (the server stays a cluster member that reaches no one).
    pub fn close(mut self) {
        drop(self.task.take());
    }
}

/// A server's membership in a cluster through one Redis stream: the wire format of
/// `@socket.io/redis-streams-adapter` 0.2. With connection state recovery on, sessions and
/// offsets live in Redis, so a client recovers on any server. Its task runs on smol's global
/// executor; call [`close`](Self::close) to stop it.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use sio_smol::{RedisStreamsAdapter, SocketIoConfig, SocketIoServer, StreamsConfig};
///
/// smol::block_on(async {
///     let io = SocketIoServer::new(SocketIoConfig::default());
///     let url = "redis://127.0.0.1:6379/";
///     let _adapter = RedisStreamsAdapter::connect(&io, url, StreamsConfig::default()).await?;
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct RedisStreamsAdapter {
    task: Option<smol::Task<()>>,
    uid: String,
}

impl Drop for RedisStreamsAdapter {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.detach();
        }
    }
}

impl RedisStreamsAdapter {
    /// Connects `server` to the Redis at `url` with the streams adapter's options. Fails if
    /// Redis cannot be reached now; later outages are survived, reading resumes after the
    /// last entry read.
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
        let sleep = |d| async move {
            smol::Timer::after(d).await;
        };
        let task = Some(smol::spawn(sio_io::redis_streams_io::run(
            link, client, conns, sleep,
        )));
        Ok(RedisStreamsAdapter { task, uid })
    }

    /// This server's uid in the cluster.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// Stops moving messages (the server stays a cluster member that reaches no one).
    pub fn close(mut self) {
        drop(self.task.take());
    }
}
