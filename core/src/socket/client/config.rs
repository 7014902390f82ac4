//! The options of a Socket.IO client: the manager's (connection, reconnection) and each
//! namespace socket's (auth, acks, retries).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::client::ClientConfig;
use crate::socket::{Parser, DEFAULT_MAX_ATTACHMENTS};
use crate::Value;

/// The options of a [`Manager`](super::Manager), with the defaults of `socket.io-client` 4.8.
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// The Engine.IO options; the path defaults to `/socket.io/`.
    pub engine: ClientConfig,
    /// The Socket.IO parser (default [`Parser::Json`]; the reference's `parser` option). It
    /// must be the server's.
    pub parser: Parser,
    /// Whether to reconnect after losing the connection (default true).
    pub reconnection: bool,
    /// How many reconnection attempts before giving up (default unlimited: `u32::MAX`).
    pub reconnection_attempts: u32,
    /// The first delay before reconnecting (default 1 s), doubled at each attempt.
    pub reconnection_delay: Duration,
    /// The largest delay between attempts (default 5 s).
    pub reconnection_delay_max: Duration,
    /// How much each delay varies at random, 0 to 1 (default 0.5).
    pub randomization_factor: f64,
    /// How long a connection attempt may take before it counts as failed (default 20 s).
    pub timeout: Duration,
    /// The most attachments a binary packet from the server may announce (default 10).
    pub max_attachments: usize,
    /// Seeds the randomization of the reconnection delays (tests set it; the default comes
    /// from the operating system's hasher seed).
    pub seed: u64,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        ManagerConfig {
            engine: ClientConfig {
                path: "/socket.io/".to_owned(),
                ..ClientConfig::default()
            },
            parser: Parser::Json,
            reconnection: true,
            reconnection_attempts: u32::MAX,
            reconnection_delay: Duration::from_millis(1000),
            reconnection_delay_max: Duration::from_millis(5000),
            randomization_factor: 0.5,
            timeout: Duration::from_millis(20_000),
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
            seed: os_seed(),
        }
    }
}

fn os_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x5eed);
    h.finish()
}

/// What a socket sends as auth in its CONNECT packet.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Auth {
    /// Nothing.
    #[default]
    None,
    /// The same object at every connection.
    Static(Value),
    /// An object computed anew at each connection (a fresh token after a reconnection).
    Computed(Arc<dyn Fn() -> Value + Send + Sync>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Static(v) => f.debug_tuple("Static").field(v).finish(),
            Auth::Computed(_) => f.write_str("Computed(..)"),
        }
    }
}

impl Auth {
    pub(crate) fn value(&self) -> Option<Value> {
        match self {
            Auth::None => None,
            Auth::Static(v) => Some(v.clone()),
            Auth::Computed(f) => Some(f()),
        }
    }
}

/// The options of one namespace socket.
#[derive(Debug, Clone)]
pub struct SocketConfig {
    /// The auth object of the CONNECT packet.
    pub auth: Auth,
    /// The default ack timeout of this socket's emits (the reference's `ackTimeout`; none by
    /// default).
    pub ack_timeout: Option<Duration>,
    /// How many times an unacknowledged event is sent again (the reference's `retries`,
    /// default 0). With retries, every non-volatile emit asks the server for an ack, one
    /// event is in flight at a time, and an event counts as delivered only once acked: at
    /// least once delivery.
    pub retries: u32,
    /// Most events waiting to be sent (emitted while disconnected, in the retry queue, or
    /// behind a write in flight) before an emit is refused with
    /// [`EmitError::BufferFull`](super::EmitError::BufferFull) (default 1 000). Volatile
    /// events never wait: they are dropped when they cannot be written at once. The
    /// reference buffers without limit.
    pub max_buffered_packets: usize,
    /// Most bytes of arguments of those events (default 1 MiB); one event larger than that is
    /// still taken when nothing waits.
    pub max_buffered_bytes: usize,
    /// Most acks this socket may wait for at once (default 1 000): an emit with ack beyond is
    /// refused with [`EmitError::TooManyPendingAcks`](super::EmitError::TooManyPendingAcks).
    pub max_pending_acks: usize,
}

impl Default for SocketConfig {
    fn default() -> Self {
        SocketConfig {
            auth: Auth::None,
            ack_timeout: None,
            retries: 0,
            max_buffered_packets: 1_000,
            max_buffered_bytes: 1 << 20,
            max_pending_acks: 1_000,
        }
    }
}
