//! The Redis side of the cluster, shared by both drivers:
//! redis-rs runs on either runtime, so only sleeping is lent by the driver.
//!
//! It only moves bytes: it subscribes, publishes and counts subscribers as the core's
//! [`ClusterLink`] asks, and hands it what Redis delivers. When the connection to Redis is
//! lost it says so on stderr, retries every half second, and once back subscribes again to
//! everything; what was published meanwhile is lost (as with the Node adapter).

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use redis::{AsyncCommands, Client, RedisResult};
use sio_core::api::socketio::{ClusterLink, ClusterTransmit};

/// How long to wait between attempts to reach Redis again.
const RETRY: Duration = Duration::from_millis(500);

/// A connection to publish and count on, and a subscriber connection split in two.
pub type Conns = (MultiplexedConnection, PubSubSink, PubSubStream);

/// Opens both connections.
pub async fn connect(client: &Client) -> RedisResult<Conns> {
    let publisher = client.get_multiplexed_async_connection().await?;
    let (sink, stream) = client.get_async_pubsub().await?.split();
    Ok((publisher, sink, stream))
}

/// Moves messages between `link` and Redis for ever, reconnecting when Redis goes away.
pub async fn run<S, F>(link: ClusterLink, client: Client, conns: Conns, sleep: S)
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut conns = Some(conns);
    let mut messages_first = true;
    loop {
        let (mut publisher, mut sink, mut stream) = match conns.take() {
            Some(c) => c,
            None => reconnect(&link, &client, &sleep).await,
        };
        if let Err(e) = subscribe(&mut sink, link.subscriptions()).await {
            eprintln!("sio redis adapter: subscribing failed ({e}); reconnecting");
            continue;
        }
        loop {
            // Both are cancel-safe; whichever went first last time goes second now, so a
            // flood of messages cannot starve the publishes (nor the reverse).
            messages_first = !messages_first;
            let message = pin!(stream.next());
            let transmit = pin!(link.next_transmit());
            let wake = if messages_first {
                match select(message, transmit).await {
                    Either::Left((m, _)) => Either::Left(m),
                    Either::Right((t, _)) => Either::Right(t),
                }
            } else {
                match select(transmit, message).await {
                    Either::Left((t, _)) => Either::Right(t),
                    Either::Right((m, _)) => Either::Left(m),
                }
            };
            let ok = match wake {
                Either::Left(Some(m)) => {
                    link.handle_message(m.get_channel_name().as_bytes(), m.get_payload_bytes());
                    true
                }
                Either::Left(None) => false,
                Either::Right(t) => transmit_one(&link, &mut publisher, &mut sink, t).await,
            };
            if !ok {
                eprintln!("sio redis adapter: connection to Redis lost; reconnecting");
                break;
            }
        }
    }
}

/// Carries out one transmit; false if the connection failed.
async fn transmit_one(
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
        // The sharded and streams adapters' kinds: not asked of this one.
        _ => true,
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
async fn reconnect<S, F>(link: &ClusterLink, client: &Client, sleep: &S) -> Conns
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut attempts = 0u32;
    loop {
        while let Some(t) = futures_util::FutureExt::now_or_never(link.next_transmit()) {
            if let ClusterTransmit::CountServers { token, .. } = t {
                link.handle_server_count(token, None);
            }
        }
        sleep(RETRY).await;
        attempts += 1;
        match connect(client).await {
            Ok(c) => {
                eprintln!(
                    "sio redis adapter: reconnected to Redis after {attempts} attempt(s); \
                     subscribing again (messages published meanwhile are lost)"
                );
                return c;
            }
            Err(e) if attempts == 1 || attempts.is_multiple_of(20) => {
                eprintln!("sio redis adapter: Redis unreachable ({e}); still trying");
            }
            Err(_) => {}
        }
    }
}
