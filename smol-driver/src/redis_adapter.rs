//! [`RedisAdapter`]: a [`SocketIoServer`] joins a cluster through Redis (the wire format of
//! `@socket.io/redis-adapter` 8.3, so Node.js servers and `@socket.io/redis-emitter` share it).
//!
//! This file only moves bytes: it subscribes, publishes and counts subscribers as the core's
//! [`ClusterLink`] asks, and hands it what Redis delivers. When the connection to Redis is
//! lost it says so on stderr, retries every half second, and once back subscribes again to
//! everything; what was published meanwhile is lost (as with the Node adapter).

use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use redis::{AsyncCommands, Client, RedisResult};
use sio_core::api::socketio::{ClusterConfig, ClusterLink, ClusterTransmit};

use crate::SocketIoServer;

/// How long to wait between attempts to reach Redis again.
const RETRY: Duration = Duration::from_millis(500);

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
        let conns = connect(&client).await?;
        let link = server.io().join_cluster(config);
        let uid = link.uid();
        let task = Some(smol::spawn(run(link, client, conns)));
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

type Conns = (MultiplexedConnection, PubSubSink, PubSubStream);

async fn connect(client: &Client) -> RedisResult<Conns> {
    let publisher = client.get_multiplexed_async_connection().await?;
    let (sink, stream) = client.get_async_pubsub().await?.split();
    Ok((publisher, sink, stream))
}

enum Wake {
    Message(Option<redis::Msg>),
    Transmit(ClusterTransmit),
}

async fn run(link: ClusterLink, client: Client, conns: Conns) {
    let mut conns = Some(conns);
    loop {
        let (mut publisher, mut sink, mut stream) = match conns.take() {
            Some(c) => c,
            None => reconnect(&link, &client).await,
        };
        if let Err(e) = subscribe(&mut sink, link.subscriptions()).await {
            eprintln!("sio redis adapter: subscribing failed ({e}); reconnecting");
            continue;
        }
        loop {
            // `race` picks at random when both are ready: a flood of messages cannot starve
            // the publishes (both futures are cancel-safe).
            let wake = smol::future::race(async { Wake::Message(stream.next().await) }, async {
                Wake::Transmit(link.next_transmit().await)
            })
            .await;
            let ok = match wake {
                Wake::Message(Some(m)) => {
                    link.handle_message(m.get_channel_name().as_bytes(), m.get_payload_bytes());
                    true
                }
                Wake::Message(None) => false,
                Wake::Transmit(t) => transmit(&link, &mut publisher, &mut sink, t).await,
            };
            if !ok {
                eprintln!("sio redis adapter: connection to Redis lost; reconnecting");
                break;
            }
        }
    }
}

/// Carries out one transmit; false if the connection failed.
async fn transmit(
    link: &ClusterLink,
    publisher: &mut MultiplexedConnection,
    sink: &mut PubSubSink,
    t: ClusterTransmit,
) -> bool {
    match t {
        ClusterTransmit::Subscribe { .. } => subscribe(sink, t).await.is_ok(),
        ClusterTransmit::Publish { channel, payload } => publisher
            .publish::<_, _, ()>(channel, payload.as_ref())
            .await
            .is_ok(),
        ClusterTransmit::CountServers { channel, token } => {
            let r: RedisResult<(String, usize)> = redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg(channel)
                .query_async(publisher)
                .await;
            link.handle_server_count(token, r.as_ref().ok().map(|(_, n)| *n));
            r.is_ok()
        }
    }
}

async fn subscribe(sink: &mut PubSubSink, t: ClusterTransmit) -> RedisResult<()> {
    if let ClusterTransmit::Subscribe { channels, patterns } = t {
        if !channels.is_empty() {
            sink.subscribe(channels).await?;
        }
        if !patterns.is_empty() {
            sink.psubscribe(patterns).await?;
        }
    }
    Ok(())
}

/// Tries until Redis answers; meanwhile publishes are dropped and server counts answered
/// "unknown" (the core then counts this server alone).
async fn reconnect(link: &ClusterLink, client: &Client) -> Conns {
    let mut attempts = 0u32;
    loop {
        while let Some(t) = futures_util::FutureExt::now_or_never(link.next_transmit()) {
            if let ClusterTransmit::CountServers { token, .. } = t {
                link.handle_server_count(token, None);
            }
        }
        smol::Timer::after(RETRY).await;
        attempts += 1;
        match connect(client).await {
            Ok(c) => {
                eprintln!(
                    "sio redis adapter: reconnected to Redis after {attempts} attempt(s); \
                     subscribing again (messages published meanwhile are lost)"
                );
                return c;
            }
            Err(e) if attempts == 1 || attempts % 20 == 0 => {
                eprintln!("sio redis adapter: Redis unreachable ({e}); still trying");
            }
            Err(_) => {}
        }
    }
}
