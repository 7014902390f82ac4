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
        let conns = crate::redis_io::connect(&client).await?;
        let link = server.io().join_cluster(config);
        let uid = link.uid();
        let sleep = |d| async move {
            smol::Timer::after(d).await;
        };
        let task = Some(smol::spawn(crate::redis_io::run(
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
