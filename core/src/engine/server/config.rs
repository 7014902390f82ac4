//! [`ServerConfig`]: the options of the Engine.IO server, with the reference's defaults.

use std::fmt;
use std::time::Duration;

use super::{Cookie, Request};
use crate::compress::deflate::PerMessageDeflate;
use crate::compress::http::HttpCompression;

/// The application's hook to refuse a handshake: `Err(None)` answers 403 `{"code":4,
/// "message":"Forbidden"}`, `Err(Some(msg))` puts `msg` in place of `Forbidden`.
///
/// Called only for requests that would open a new session (no `sid`), after the transport,
/// origin and method checks, as the reference's `allowRequest`.
pub type AllowRequest = Box<dyn Fn(&Request) -> Result<(), Option<String>> + Send + Sync>;

/// Which transports the server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transports {
    /// HTTP long-polling.
    pub polling: bool,
    /// WebSocket (handshake over WebSocket, and upgrades from polling when both are on).
    pub websocket: bool,
    /// WebTransport over HTTP/3 (handshake over WebTransport, and upgrades from polling when
    /// both are on). Off by default, as in the reference; the driver must also serve it on a
    /// UDP port (sio-tokio's `webtransport` feature).
    pub webtransport: bool,
}

impl Transports {
    /// Polling and WebSocket (the reference's default; WebTransport is opt-in).
    pub const ALL: Transports = Transports {
        polling: true,
        websocket: true,
        webtransport: false,
    };
    /// Polling, WebSocket and WebTransport (the reference's
    /// `transports: ["polling", "websocket", "webtransport"]`).
    pub const WITH_WEBTRANSPORT: Transports = Transports {
        polling: true,
        websocket: true,
        webtransport: true,
    };
    /// Long-polling only.
    pub const POLLING_ONLY: Transports = Transports {
        polling: true,
        websocket: false,
        webtransport: false,
    };
    /// WebSocket only.
    pub const WEBSOCKET_ONLY: Transports = Transports {
        polling: false,
        websocket: true,
        webtransport: false,
    };

    /// Whether an HTTP request may name transport `name`: WebTransport sessions never come
    /// as HTTP/1.1 requests (the reference refuses `transport=webtransport` there too).
    pub(crate) fn allows(self, name: &str) -> bool {
        match name {
            "polling" => self.polling,
            "websocket" => self.websocket,
            _ => false,
        }
    }
}

impl Default for Transports {
    fn default() -> Self {
        Transports::ALL
    }
}

/// Which origins CORS answers allow (the `origin` option of the `cors` package).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllowedOrigins {
    /// `Access-Control-Allow-Origin: *` (the `cors` package's default).
    Any,
    /// Echo the request's `Origin` (`origin: true`), with `Vary: Origin`.
    Reflect,
    /// Echo the request's `Origin` when it is one of these, with `Vary: Origin`.
    List(Vec<String>),
}

/// CORS options, applied to every request on the Engine.IO path as the `cors` middleware the
/// reference mounts when its `cors` option is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// Allowed origins.
    pub origins: AllowedOrigins,
    /// Send `Access-Control-Allow-Credentials: true`.
    pub credentials: bool,
}

impl Default for Cors {
    fn default() -> Self {
        Cors {
            origins: AllowedOrigins::Any,
            credentials: false,
        }
    }
}

/// The options of an Engine.IO [`Server`](super::Server).
pub struct ServerConfig {
    /// Time between two pings from the server (reference `pingInterval`, 25 s).
    pub ping_interval: Duration,
    /// Time the server waits for a pong after a ping (reference `pingTimeout`, 20 s).
    pub ping_timeout: Duration,
    /// Time a probing WebSocket has to complete the upgrade (reference `upgradeTimeout`, 10 s).
    pub upgrade_timeout: Duration,
    /// Largest POST body or WebSocket message accepted, in bytes (reference
    /// `maxHttpBufferSize`, 1 000 000). Also advertised as `maxPayload` in the handshake.
    pub max_payload: usize,
    /// Most bytes queued for one client before its session is closed with "send buffer full"
    /// (default 64 KiB). Each queued frame counts as its length plus
    /// [`FRAME_OVERHEAD`](super::FRAME_OVERHEAD), so many small frames are bounded like few large
    /// ones; a packet larger than what is left still goes to a client whose queue is at most
    /// half full (so one large message always reaches a client that keeps up).
    /// "Queued" is what the server holds and the driver has not written to the socket yet
    /// (the polling buffer, WebSocket frames not reported written): the kernel's socket buffers
    /// come on top. Above half of it volatile packets are dropped. Not an option of the
    /// reference, which queues without end. See [`Server`](super::Server)'s docs on
    /// backpressure.
    pub max_buffered_bytes: usize,
    /// How long a driver lets a write to a client make no progress before it drops the
    /// connection (default 45 s, the default heartbeat's `ping_interval + ping_timeout`, by
    /// when it gives up on a client that takes nothing). It frees what the core cannot reach
    /// once handed over: a long-poll response the HTTP library is still writing to a client
    /// that stopped reading, a half-open connection the kernel keeps retrying. Not an option
    /// of the reference, which waits for the operating system.
    pub write_timeout: Duration,
    /// The path prefix served, with its trailing slash (`/engine.io/`; Socket.IO uses
    /// `/socket.io/`).
    pub path: String,
    /// Enabled transports.
    pub transports: Transports,
    /// Whether polling sessions are offered the upgrade to WebSocket (reference
    /// `allowUpgrades`, true).
    pub allow_upgrades: bool,
    /// CORS answers; `None` sends no CORS header and lets `OPTIONS` fall through to the
    /// ordinary checks, as the reference without its `cors` option.
    pub cors: Option<Cors>,
    /// The application's handshake filter.
    pub allow_request: Option<AllowRequest>,
    /// Whether clients of Engine.IO v3 (Socket.IO v2 clients: any `EIO` but `4`) may open
    /// sessions (reference `allowEIO3`, false). When false they are refused with 400
    /// `{"code":5,"message":"Unsupported protocol version"}`. See [`crate::engine::v3`] for
    /// what such sessions speak.
    pub allow_eio3: bool,
    /// Which received WebSocket text messages an [`Event::Message`](super::Event::Message)
    /// carries whole (its `frame`), for a layer above that re-sends a message as it came:
    /// `None` (the default) keeps every one. The Socket.IO server's layer sets
    /// [`crate::socket::resendable_frame`], so that the messages it cannot re-send that way
    /// (an ack's answer, an event asking for one) do not hold a second handle on their buffer.
    pub keep_text_frame: Option<fn(&[u8]) -> bool>,
    /// WebSocket permessage-deflate (RFC 7692), `None` (off) by default as the reference's
    /// `perMessageDeflate: false`; with it on, offers are negotiated as `ws` 8 does (see
    /// [`server_accept`](crate::compress::deflate::server_accept)). As the reference (`ws`):
    /// with context takeover (the default) every message is compressed and the connection
    /// keeps a compressor (~300 KiB) from its first message on, and an inflater (~43 KiB)
    /// once it has received a compressed message; with `server_no_context_takeover` only
    /// messages of at least `threshold` (1024) bytes are compressed and
    /// no compressor is kept (nor an inflater with `client_no_context_takeover`): see the
    /// README's memory figures.
    pub per_message_deflate: Option<PerMessageDeflate>,
    /// Compression of long-polling responses, as the reference's `httpCompression` (on by
    /// default, threshold 1024 bytes): a GET answer of at least `threshold` bytes goes out
    /// gzip- or deflate-encoded, by the request's `Accept-Encoding`. `None` turns it off.
    pub http_compression: Option<HttpCompression>,
    /// The reference's `cookie`: a cookie holding the session id, set on the answer to a
    /// polling handshake, for load balancers that route by cookie. None by default (as the
    /// reference); `Some(Cookie::default())` is the reference's `cookie: true`. An invalid
    /// one (see [`Cookie::header_value`]) makes [`Server::new`](super::Server::new) panic.
    pub cookie: Option<Cookie>,
    /// The reference's `initialPacket`: a message every session gets right after its `open`
    /// packet (on polling, in the handshake's answer). A
    /// [`Packet::Message`](crate::engine::Packet::Message) or a
    /// [`Packet::Binary`](crate::engine::Packet::Binary); a packet of another type is not
    /// sent. None by default.
    pub initial_packet: Option<crate::engine::Packet>,
    /// Seed of the session-id generator (ChaCha20). The default draws it from the operating
    /// system's randomness; set a fixed one only in tests, since session ids authenticate
    /// requests and a known seed makes them predictable.
    pub sid_seed: [u8; 32],
}

impl ServerConfig {
    /// How long a forced close over polling waits for the next GET to deliver the `close`
    /// packet before giving up (the reference polling transport's `closeTimeout`).
    pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);
    /// How often a pending upgrade releases the parked GET with a `noop` (reference: 100 ms).
    pub const UPGRADE_CHECK_INTERVAL: Duration = Duration::from_millis(100);
    /// How long a WebSocket closed by the server may take to write what was queued and its
    /// close frame before it is dropped ([`Transmit::AbortWs`](super::Transmit::AbortWs)); the
    /// reference's `ws` library gives a closing socket 30 s.
    pub const CLOSE_LINGER: Duration = Duration::from_secs(30);
    /// The default [`max_buffered_bytes`](Self::max_buffered_bytes): 64 KiB.
    pub const DEFAULT_MAX_BUFFERED_BYTES: usize = 64 * 1024;

    /// Half of [`max_buffered_bytes`](Self::max_buffered_bytes): above it a session drops
    /// volatile packets, and coming back to it is reported
    /// ([`Event::Drained`](super::Event::Drained)).
    pub fn high_water(&self) -> usize {
        self.max_buffered_bytes / 2
    }

    /// The names of the transports a polling session may upgrade to, in the reference's
    /// order (`websocket`, then `webtransport`).
    pub(crate) fn upgrades(&self) -> Vec<crate::Str> {
        let mut upgrades = Vec::new();
        if self.allow_upgrades && self.transports.websocket {
            upgrades.push(crate::Str::from_static("websocket"));
        }
        if self.allow_upgrades && self.transports.webtransport {
            upgrades.push(crate::Str::from_static("webtransport"));
        }
        upgrades
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_payload: 1_000_000,
            max_buffered_bytes: Self::DEFAULT_MAX_BUFFERED_BYTES,
            write_timeout: Duration::from_secs(45),
            path: "/engine.io/".to_owned(),
            transports: Transports::ALL,
            allow_upgrades: true,
            cors: None,
            allow_request: None,
            allow_eio3: false,
            keep_text_frame: None,
            per_message_deflate: None,
            http_compression: Some(HttpCompression::default()),
            cookie: None,
            initial_packet: None,
            sid_seed: super::sid::os_seed(),
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("ping_interval", &self.ping_interval)
            .field("ping_timeout", &self.ping_timeout)
            .field("upgrade_timeout", &self.upgrade_timeout)
            .field("max_payload", &self.max_payload)
            .field("max_buffered_bytes", &self.max_buffered_bytes)
            .field("write_timeout", &self.write_timeout)
            .field("path", &self.path)
            .field("transports", &self.transports)
            .field("allow_upgrades", &self.allow_upgrades)
            .field("cors", &self.cors)
            .field(
                "allow_request",
                &self.allow_request.as_ref().map(|_| "<fn>"),
            )
            .field("allow_eio3", &self.allow_eio3)
            .field("keep_text_frame", &self.keep_text_frame.is_some())
            .field("per_message_deflate", &self.per_message_deflate)
            .field("http_compression", &self.http_compression)
            .field("cookie", &self.cookie)
            .field("initial_packet", &self.initial_packet)
            .finish_non_exhaustive()
    }
}
