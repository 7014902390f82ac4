//! The Redis side of the streams adapter, shared by both drivers.
//!
//! It only moves bytes: one connection reads the stream where the core's [`ClusterLink`]
//! says (`XREAD BLOCK`, waiting up to 5 s for an entry), another carries out what it asks
//! (`XADD`, `SET` of a session, `GET`+`DEL` of a session with `XRANGE`) and reports the
//! answers. When Redis goes away each connection says so on stderr and tries again every
//! half second; meanwhile appends fail (a broadcast is then delivered locally without an
//! offset) and the reader waits. The read offset lives in the core, so once Redis is back
//! (with its data, if it persists them) reading resumes after the last entry seen.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisResult, Value};
use sio_core::api::socketio::{ClusterLink, ClusterTransmit, StreamEntry};

/// How long to wait between attempts to reach Redis again.
const RETRY: Duration = Duration::from_millis(500);

/// The command connection and the reading connection.
pub type Conns = (MultiplexedConnection, MultiplexedConnection);

/// Opens both connections (the reader's answers may take the whole `BLOCK`).
pub async fn connect(client: &Client) -> RedisResult<Conns> {
    let commands = commands(client).await?;
    let reader = reader(client).await?;
    Ok((commands, reader))
}

/// A slow answer (an `fsync` on every write, a busy host) fails that command only; it does
/// not count as a lost connection.
async fn commands(client: &Client) -> RedisResult<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(2)));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

async fn reader(client: &Client) -> RedisResult<MultiplexedConnection> {
    let config = AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(10)));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// Reads the stream and carries out the core's commands for as long as the server lives.
pub async fn run<S, F>(link: ClusterLink, client: Client, conns: Conns, sleep: S)
where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let (commands, read) = conns;
    futures_util::future::join(
        read_loop(&link, &client, read, &sleep),
        command_loop(&link, &client, commands, &sleep),
    )
    .await;
}

async fn read_loop<S, F>(
    link: &ClusterLink,
    client: &Client,
    conn: MultiplexedConnection,
    sleep: &S,
) where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut conn = Some(conn);
    let mut failures = 0u32;
    while let Some(r) = link.stream_read() {
        let Some(c) = conn.as_mut() else {
            sleep(RETRY).await;
            conn = reader(client).await.ok();
            continue;
        };
        let answer: RedisResult<Value> = redis::cmd("XREAD")
            .arg("BLOCK")
            .arg(r.block.as_millis() as u64)
            .arg("COUNT")
            .arg(r.count)
            .arg("STREAMS")
            .arg(&r.stream)
            .arg(&r.offset)
            .query_async(c)
            .await;
        match answer {
            Ok(v) => {
                if failures > 0 {
                    eprintln!(
                        "sio redis streams adapter: reading again after offset {}",
                        r.offset
                    );
                    failures = 0;
                }
                link.handle_stream_entries(xread_entries(&v));
            }
            Err(e) => {
                if failures == 0 {
                    eprintln!(
                        "sio redis streams adapter: reading the stream failed ({e}); retrying"
                    );
                }
                failures += 1;
                conn = None;
            }
        }
    }
}

async fn command_loop<S, F>(
    link: &ClusterLink,
    client: &Client,
    conn: MultiplexedConnection,
    sleep: &S,
) where
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let mut conn = conn;
    loop {
        let t = link.next_transmit().await;
        if carry_out(link, &mut conn, t).await {
            continue;
        }
        eprintln!("sio redis streams adapter: connection to Redis lost; reconnecting");
        let mut attempts = 0u32;
        conn = loop {
            // Meanwhile what is asked fails at once (broadcasts are delivered here without
            // an offset; sessions are neither kept nor found).
            while let Some(t) = link.next_transmit().now_or_never() {
                fail(link, t);
            }
            sleep(RETRY).await;
            attempts += 1;
            match commands(client).await {
                Ok(c) => {
                    eprintln!(
                        "sio redis streams adapter: reconnected to Redis after {attempts} attempt(s)"
                    );
                    break c;
                }
                Err(e) if attempts == 1 || attempts.is_multiple_of(20) => {
                    eprintln!("sio redis streams adapter: Redis unreachable ({e}); still trying");
                }
                Err(_) => {}
            }
        };
    }
}

/// Carries out one transmit and reports its answer; false if the connection failed.
async fn carry_out(
    link: &ClusterLink,
    conn: &mut MultiplexedConnection,
    t: ClusterTransmit,
) -> bool {
    match t {
        ClusterTransmit::XAdd {
            stream,
            max_len,
            fields,
            token,
        } => {
            let mut cmd = redis::cmd("XADD");
            cmd.arg(&stream)
                .arg("MAXLEN")
                .arg("~")
                .arg(max_len)
                .arg("*");
            for (k, v) in &fields {
                cmd.arg(*k).arg(v.as_ref());
            }
            let r: RedisResult<String> = cmd.query_async(conn).await;
            if let Some(token) = token {
                link.handle_stream_added(token, r.as_deref().ok());
            }
            ok_or_lost(&r)
        }
        ClusterTransmit::SetSession { key, value, ttl } => {
            let r: RedisResult<Value> = redis::cmd("SET")
                .arg(&key)
                .arg(value.as_ref())
                .arg("PX")
                .arg(ttl.as_millis() as u64)
                .query_async(conn)
                .await;
            ok_or_lost(&r)
        }
        ClusterTransmit::TakeSession {
            token,
            key,
            stream,
            offset,
            count,
        } => {
            // As the Node adapter: GET and DEL in one transaction, then the stream.
            let session: RedisResult<(Option<Vec<u8>>, i64)> = redis::pipe()
                .atomic()
                .cmd("GET")
                .arg(&key)
                .cmd("DEL")
                .arg(&key)
                .query_async(conn)
                .await;
            let entries = xrange(conn, &stream, &offset, count).await;
            let ok = ok_or_lost(&session) && ok_or_lost(&entries);
            let answer = match (session, entries) {
                (Ok((value, _)), Ok(entries)) => Some((value.map(Bytes::from), entries)),
                _ => None,
            };
            link.handle_session_taken(token, answer);
            ok
        }
        ClusterTransmit::ReadRange {
            token,
            stream,
            start,
            count,
        } => {
            let entries = xrange(conn, &stream, &start, count).await;
            let ok = ok_or_lost(&entries);
            link.handle_range(token, entries.ok());
            ok
        }
        // The classic and sharded adapters' kinds: not asked of this one.
        _ => true,
    }
}

/// What an unreachable Redis answers.
fn fail(link: &ClusterLink, t: ClusterTransmit) {
    match t {
        ClusterTransmit::XAdd {
            token: Some(token), ..
        } => link.handle_stream_added(token, None),
        ClusterTransmit::TakeSession { token, .. } => link.handle_session_taken(token, None),
        ClusterTransmit::ReadRange { token, .. } => link.handle_range(token, None),
        _ => {}
    }
}

/// Whether the connection still works after `r` (an error answer from Redis, or a slow one,
/// is not a lost connection).
fn ok_or_lost<T>(r: &RedisResult<T>) -> bool {
    match r {
        Ok(_) => true,
        Err(e) => e.is_timeout() || !(e.is_io_error() || e.is_connection_dropped()),
    }
}

async fn xrange(
    conn: &mut MultiplexedConnection,
    stream: &str,
    start: &str,
    count: usize,
) -> RedisResult<Vec<StreamEntry>> {
    let v: Value = redis::cmd("XRANGE")
        .arg(stream)
        .arg(start)
        .arg("+")
        .arg("COUNT")
        .arg(count)
        .query_async(conn)
        .await?;
    Ok(entries(&v))
}

fn bytes(v: &Value) -> Option<Bytes> {
    match v {
        Value::BulkString(b) => Some(Bytes::copy_from_slice(b)),
        Value::SimpleString(s) => Some(Bytes::copy_from_slice(s.as_bytes())),
        _ => None,
    }
}

fn items(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) | Value::Set(a) => a,
        _ => &[],
    }
}

/// The entries of an `XRANGE` answer: `[[id, [field, value, …]], …]`.
fn entries(v: &Value) -> Vec<StreamEntry> {
    items(v)
        .iter()
        .filter_map(|e| {
            let [id, fields] = items(e) else {
                return None;
            };
            let id = String::from_utf8(bytes(id)?.to_vec()).ok()?;
            let fields = items(fields)
                .chunks_exact(2)
                .filter_map(|kv| Some((bytes(&kv[0])?, bytes(&kv[1])?)))
                .collect();
            Some(StreamEntry { id, fields })
        })
        .collect()
}

/// The entries of an `XREAD` answer for one stream: `[[stream, entries]]` (or a map in
/// RESP3; nil when `BLOCK` ran out).
fn xread_entries(v: &Value) -> Vec<StreamEntry> {
    match v {
        Value::Array(streams) => streams
            .iter()
            .flat_map(|s| match items(s) {
                [_, list] => entries(list),
                _ => Vec::new(),
            })
            .collect(),
        Value::Map(m) => m.iter().flat_map(|(_, list)| entries(list)).collect(),
        _ => Vec::new(),
    }
}
