//! The Redis Cluster side of the sharded adapter, shared by both drivers: redis-rs's async cluster client, which routes each command to the
//! master owning its slot and delivers sharded messages as RESP3 pushes.
//!
//! It only moves bytes: it subscribes (`SSUBSCRIBE`, one command per channel: each channel
//! lives on its own slot's master), publishes (`SPUBLISH`) and counts (`PUBSUB SHARDNUMSUB` on
//! the channel's master) as the core's [`ClusterLink`] asks, and hands it what arrives.
//!
//! redis-rs does subscribe again by itself after a reconnection, but with every sharded
//! channel in one `SSUBSCRIBE`, which Redis refuses when they hash to different slots
//! (`CROSSSLOT`); and it does not follow a channel whose slot moved to a new master (a
//! failover). So the driver reports a lost connection (the `Disconnection` push) and a
//! subscription Redis ended (`sunsubscribe` pushed when a slot moves) to the core, which asks
//! for the subscriptions again, one channel at a time.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{PushInfo, PushKind, RedisResult, Value};
use sio_core::api::socketio::{ClusterLink, ClusterTransmit};

/// How long to wait before subscribing again after Redis refused.
const RETRY: Duration = Duration::from_millis(500);

/// The pushes of the cluster connection (sharded messages, subscription changes, lost
/// connections).
pub type Pushes = futures_channel::mpsc::UnboundedReceiver<PushInfo>;

/// Connects to the Redis Cluster that `nodes` (`redis://host:port/`, one or more of its
/// nodes) belong to, speaking RESP3 so that sharded messages arrive as pushes.
pub async fn connect(nodes: &[&str]) -> RedisResult<(ClusterConnection, Pushes)> {
    let (tx, rx) = futures_channel::mpsc::unbounded();
    let client = ClusterClientBuilder::new(nodes.to_vec())
        .use_protocol(redis::ProtocolVersion::RESP3)
        .push_sender(move |p: PushInfo| tx.unbounded_send(p))
        .build()?;
    let conn = client.get_async_connection().await?;
    Ok((conn, rx))
}

/// Moves messages between `link` and the cluster for as long as the server lives.
pub async fn run<S, F>(link: ClusterLink, mut conn: ClusterConnection, pushes: Pushes, sleep: S)
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut pushes = pushes;
    let mut pushes_first = true;
    loop {
        // Both are cancel-safe; whichever went first last time goes second now.
        pushes_first = !pushes_first;
        let push = pin!(pushes.next());
        let transmit = pin!(link.next_transmit());
        let wake = if pushes_first {
            match select(push, transmit).await {
                Either::Left((p, _)) => Either::Left(p),
                Either::Right((t, _)) => Either::Right(t),
            }
        } else {
            match select(transmit, push).await {
                Either::Left((t, _)) => Either::Right(t),
                Either::Right((p, _)) => Either::Left(p),
            }
        };
        match wake {
            Either::Left(Some(p)) => on_push(&link, p),
            Either::Left(None) => return, // The connection is gone for good.
            Either::Right(t) => {
                if !transmit_one(&link, &mut conn, t).await {
                    sleep(RETRY).await;
                    link.handle_connection_lost();
                }
            }
        }
    }
}

fn on_push(link: &ClusterLink, p: PushInfo) {
    let bytes = |v: &Value| match v {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.clone().into_bytes()),
        _ => None,
    };
    match p.kind {
        PushKind::SMessage | PushKind::Message => {
            if let (Some(channel), Some(payload)) = (
                p.data.first().and_then(bytes),
                p.data.get(1).and_then(bytes),
            ) {
                link.handle_message(&channel, &payload);
            }
        }
        PushKind::Disconnection => {
            eprintln!("sio sharded redis adapter: a connection to the cluster was lost; subscribing again");
            link.handle_connection_lost();
        }
        PushKind::SUnsubscribe => {
            if let Some(channel) = p.data.first().and_then(bytes) {
                link.handle_unsubscribed(&String::from_utf8_lossy(&channel));
            }
        }
        _ => {}
    }
}

/// Carries out one transmit; false if a subscription failed (it is then asked for again).
async fn transmit_one(
    link: &ClusterLink,
    conn: &mut ClusterConnection,
    t: ClusterTransmit,
) -> bool {
    match t {
        ClusterTransmit::SSubscribe { channels } => {
            for channel in channels {
                if let Err(e) = conn.ssubscribe(&channel).await {
                    eprintln!("sio sharded redis adapter: SSUBSCRIBE {channel} failed ({e})");
                    return false;
                }
            }
            true
        }
        ClusterTransmit::SUnsubscribe { channels } => {
            for channel in channels {
                let _ = conn.sunsubscribe(&channel).await;
            }
            true
        }
        ClusterTransmit::SPublish { channel, payload } => {
            // Lost if the cluster cannot take it (redis-rs retries through a failover first).
            let r: RedisResult<Value> = redis::cmd("SPUBLISH")
                .arg(&channel)
                .arg(payload.as_ref())
                .query_async(conn)
                .await;
            if let Err(e) = r {
                eprintln!("sio sharded redis adapter: SPUBLISH {channel} failed ({e})");
            }
            true
        }
        ClusterTransmit::CountShardSubscribers { channel, token } => {
            // Only the master owning the channel's slot counts its sharded subscribers.
            let mut cmd = redis::cmd("PUBSUB");
            cmd.arg("SHARDNUMSUB").arg(&channel);
            let route = Route::with_key(channel.as_bytes(), SlotAddr::Master);
            let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route));
            let count = conn
                .route_command(cmd, routing)
                .await
                .ok()
                .and_then(|v| numsub(&v));
            link.handle_server_count(token, count);
            true
        }
        // The classic and streams adapters' kinds: not asked of this one.
        _ => true,
    }
}

/// The count in a `PUBSUB SHARDNUMSUB` answer (`[channel, n]`, or a map in RESP3).
fn numsub(v: &Value) -> Option<usize> {
    let n = match v {
        Value::Array(a) => a.get(1)?,
        Value::Map(m) => &m.first()?.1,
        _ => return None,
    };
    match n {
        Value::Int(n) => usize::try_from(*n).ok(),
        _ => None,
    }
}
