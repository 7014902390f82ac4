//! What a [`Cluster`](super::Cluster) asks of its driver ([`ClusterTransmit`]), what the
//! driver hands it back from Redis ([`StreamEntry`]), and what the application learns
//! ([`ClusterEvent`]).

use std::time::Duration;

use bytes::Bytes;

use crate::socket::server::{SocketId, SocketInfo};
use crate::socket::{Payload, Value};
use crate::Str;

/// What the driver must do with Redis. Each adapter uses its own kinds: the classic one
/// `Subscribe`, `Publish` and `CountServers`; the sharded one `SSubscribe`, `SUnsubscribe`,
/// `SPublish` and `CountShardSubscribers`; the streams one `XAdd`, `SetSession`, `TakeSession`
/// and `ReadRange` (and it reads the stream where [`Cluster::stream_read`](super::Cluster::stream_read)
/// says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterTransmit {
    /// Subscribe to these channels (`SUBSCRIBE`) and patterns (`PSUBSCRIBE`); keep them, and
    /// subscribe again after reconnecting ([`Cluster::subscriptions`](super::Cluster::subscriptions)
    /// lists them all).
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
    /// `PUBSUB NUMSUB channel`; answer with [`Cluster::handle_server_count`](super::Cluster::handle_server_count)
    /// and `token`.
    CountServers {
        /// The request channel whose subscribers are the servers.
        channel: String,
        /// Names the question in the answer.
        token: u64,
    },
    /// `SSUBSCRIBE` to each channel, one command per channel (they hash to different slots,
    /// so each goes to the master that owns its slot).
    SSubscribe {
        /// Sharded channel names.
        channels: Vec<String>,
    },
    /// `SUNSUBSCRIBE` from each channel, one command per channel.
    SUnsubscribe {
        /// Sharded channel names.
        channels: Vec<String>,
    },
    /// `SPUBLISH channel payload`.
    SPublish {
        /// The sharded channel.
        channel: String,
        /// The message.
        payload: Bytes,
    },
    /// `PUBSUB SHARDNUMSUB channel` on the master owning the channel's slot (the only node
    /// that counts its subscribers); answer with [`Cluster::handle_server_count`](super::Cluster::handle_server_count).
    CountShardSubscribers {
        /// The namespace's main channel, to which every server subscribes.
        channel: String,
        /// Names the question in the answer.
        token: u64,
    },
    /// `XADD stream MAXLEN ~ max_len * field value …`. With a `token`, answer with
    /// [`handle_stream_added`](super::Cluster::handle_stream_added) (the entry id, or `None`
    /// if it failed): a local broadcast waits for it.
    XAdd {
        /// The stream's key.
        stream: String,
        /// The approximate trim length.
        max_len: usize,
        /// The fields, in order.
        fields: Vec<(&'static str, Bytes)>,
        /// Names the question in the answer, if one is awaited.
        token: Option<u64>,
    },
    /// `SET key value PX ttl`: a session kept for connection state recovery.
    SetSession {
        /// The session's key.
        key: String,
        /// Its encoding (base64 of msgpack, as the Node adapter's).
        value: Bytes,
        /// How long Redis keeps it.
        ttl: Duration,
    },
    /// Take the session at `key` (`GET` and `DEL` in one `MULTI`) and read the stream from
    /// `offset` on (`XRANGE stream offset + COUNT count`); answer with
    /// [`handle_session_taken`](super::Cluster::handle_session_taken).
    TakeSession {
        /// Names the question in the answer.
        token: u64,
        /// The session's key.
        key: String,
        /// The stream's key.
        stream: String,
        /// The client's last offset (the first entry must be that one).
        offset: String,
        /// At most this many entries.
        count: usize,
    },
    /// `XRANGE stream start + COUNT count`, to go on reading after a `TakeSession`; answer
    /// with [`handle_range`](super::Cluster::handle_range).
    ReadRange {
        /// Names the question in the answer.
        token: u64,
        /// The stream's key.
        stream: String,
        /// The first id to read.
        start: String,
        /// At most this many entries.
        count: usize,
    },
}

/// Where the driver reads the stream next: `XREAD BLOCK block COUNT count STREAMS stream offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRead {
    /// The stream's key.
    pub stream: String,
    /// The id after which to read (`$` at first: only what is added from now on).
    pub offset: String,
    /// At most this many entries (`readCount`).
    pub count: usize,
    /// How long Redis may wait for one.
    pub block: Duration,
}

/// One entry of the stream, as Redis returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    /// Its id (`<ms>-<seq>`).
    pub id: String,
    /// Its fields and values, in order.
    pub fields: Vec<(Bytes, Bytes)>,
}

/// A cluster-wide request of this server, named in its [`ClusterEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub(super) u64);

/// Answers another server's `server_side_emit` with ack: pass to
/// [`Cluster::reply`](super::Cluster::reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTo {
    pub(super) nsp: Str,
    pub(super) request: String,
    /// The asking server's uid (the sharded adapter answers on its own channel).
    pub(super) requester: String,
}

/// What the application must learn.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClusterEvent {
    /// Another server (or an emitter) sent a server-side event: `args[0]` is its name. With
    /// `reply`, the sender waits for one answer ([`Cluster::reply`](super::Cluster::reply)).
    ServerSideEmit {
        /// The namespace.
        nsp: Str,
        /// The event name and arguments.
        args: Vec<Value>,
        /// Where the answer goes, if one is awaited.
        reply: Option<ReplyTo>,
    },
    /// A [`fetch_sockets`](super::Cluster::fetch_sockets) is over: this server's sockets and
    /// those of every other server that answered; `complete` is false after the timeout.
    FetchDone {
        /// The request.
        request: RequestId,
        /// The sockets found.
        sockets: Vec<SocketInfo>,
        /// Whether every server answered.
        complete: bool,
    },
    /// A [`server_side_emit`](super::Cluster::server_side_emit) with ack is over: one answer
    /// per other server (fewer when `complete` is false, after the timeout).
    ServerSideEmitDone {
        /// The request.
        request: RequestId,
        /// The answers.
        responses: Vec<Value>,
        /// Whether every other server answered.
        complete: bool,
    },
    /// A [`broadcast_with_ack`](super::Cluster::broadcast_with_ack) is over: each client's
    /// first ack argument, this server's clients (with their ids) and the others' (their ids
    /// are not on the wire: empty).
    BroadcastAckDone {
        /// The request.
        request: RequestId,
        /// The answers.
        responses: Vec<(SocketId, Payload)>,
        /// Whether every client of every server answered in time.
        complete: bool,
    },
}
