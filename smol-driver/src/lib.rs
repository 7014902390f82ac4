//! # sio-smol: Socket.IO for Rust on smol
//!
//! A [Socket.IO](https://socket.io) server and client on smol that speak what the Node.js
//! reference (`socket.io` 4.8 / `socket.io-client` 4.8) speaks. The protocol lives in the
//! runtime-agnostic [`sio_core`], the runtime-independent I/O in `sio-io`; this crate owns the
//! sockets (async-io, async-net; on Linux the server's connections wait on an edge-triggered
//! epoll of their own, whose descriptor async-io watches), HTTP/1.1 (hyper, through its own I/O adapter), WebSocket
//! framing (async-tungstenite) and the one timer (a reused [`smol::Timer`]). It offers what
//! `sio-tokio` offers, less the tower layer and WebTransport (wtransport is tokio-only).
//!
//! ## A server
//!
//! ```no_run
//! use sio_smol::{Message, Socket, SocketIoConfig, SocketIoServer};
//!
//! # fn main() -> std::io::Result<()> {
//! smol::block_on(async {
//!     let io = SocketIoServer::new(SocketIoConfig::default()); // path /socket.io/
//!     io.of("/").on_connection(|socket: Socket| async move {
//!         socket.on("chat", |socket: Socket, msg: Message| async move {
//!             let text: String = msg.arg(0).unwrap_or_default();
//!             let _ = socket.broadcast().emit("chat", &text); // to everyone else
//!             let _ = msg.ack(&"received"); // answers the client's ack
//!         });
//!     });
//!     let listener = smol::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     io.serve(listener).await
//! })
//! # }
//! ```
//!
//! [`SocketIoServer::handle`] answers one request from your own hyper service instead. The
//! application API ([`Namespace`], [`Socket`], [`Message`], [`BroadcastOperator`], middleware,
//! rooms, acks, connection state recovery) is `sio_core`'s
//! [`api::socketio`](sio_core::api::socketio), the same under every driver.
//!
//! ## A client
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sio_smol::client::{ClientSocket, Message};
//!
//! smol::block_on(async {
//!     let client = sio_smol::client::client("http://127.0.0.1:3000").build()?;
//!     let socket = client.socket("/");
//!     socket.on("chat", |_socket: ClientSocket, msg: Message| async move {
//!         println!("chat: {:?}", msg.arg::<String>(0));
//!     });
//!     socket.connect(); // register handlers first; it reconnects by itself
//!     let answer = socket.emit_with_ack("chat", &"hello").await?;
//!     println!("the server answered {}", answer.json());
//!     Ok(())
//! })
//! # }
//! ```
//!
//! ## Engine.IO, the layer beneath
//!
//! [`EngineServer`] serves raw Engine.IO sessions ([`EngineSession`]: text and binary messages
//! in and out) over long-polling and WebSocket, with the upgrade between them.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use sio_smol::{EngineServer, ServerConfig};
//!
//! smol::block_on(async {
//!     let server = EngineServer::new(ServerConfig::default()); // path /engine.io/
//!     let listener = smol::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     smol::spawn(server.clone().serve(listener)).detach();
//!     while let Some(session) = server.accept().await {
//!         smol::spawn(async move {
//!             while let Some(message) = session.recv().await {
//!                 let _ = session.send(message); // an echo
//!             }
//!         })
//!         .detach();
//!     }
//!     Ok(())
//! })
//! # }
//! ```
//!
//! ## Tasks
//!
//! A server spawns its tasks (the timer, one per connection, one per WebSocket, and for
//! Socket.IO the application's handlers) on smol's global executor ([`smol::spawn`]) when built
//! with `new`, or on your own [`smol::Executor`] with `with_executor` (the client: `client_on`).
//! The global executor runs on its own background thread(s) (`SMOL_THREADS`, default 1), so
//! `smol::block_on` in `main` is enough; your own executor must be run (e.g. `executor.run(…)`
//! on one or more threads). Time is read from [`std::time::Instant::now`] (smol has no virtual
//! clock).
//!
//! ## Clusters
//!
//! [`RedisAdapter`] (`@socket.io/redis-adapter`), [`ShardedRedisAdapter`] (its sharded
//! Pub/Sub mode, on a Redis Cluster) and [`RedisStreamsAdapter`]
//! (`@socket.io/redis-streams-adapter`) share rooms and broadcasts between servers through
//! Redis, wire-compatible with the Node adapters.
//!
//! ## Examples
//!
//! `cargo run -p sio-smol --example NAME` in the repository: `smol_standalone` (a server on a
//! `TcpListener`) and `smol_client` (connects to a URL, emits, prints events and an ack's
//! answer); their names differ from sio-tokio's because cargo builds every example of a
//! workspace into one folder.
//!
//! ## Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `tls` | `https`/`wss` for the client: rustls with the ring provider and webpki's roots ([`client::client_with_tls`] for other roots) |
//! | `admin-ui` | the Socket.IO Admin UI's server side ([`SocketIoServer::instrument_admin`], [`admin`]); adds bcrypt |
//!
//! None is on by default. The Redis adapters are always built (redis-rs with `smol-comp`).
//!
//! ## Modules and items
//!
//! - The crate root: the servers ([`SocketIoServer`], [`EngineServer`]), the Redis adapters,
//!   and the application types of [`sio_core`] re-exported ([`Socket`], [`Namespace`],
//!   [`Message`], the configs and reasons).
//! - [`client`]: the Socket.IO client on smol.
//! - [`admin`] (feature `admin-ui`): the Admin UI's configuration.
//!
//! Configs are plain structs with public fields: build them with
//! `SocketIoConfig { .., ..Default::default() }` or assign fields of a default one.
//!
//! ## Re-exported crates
//!
//! The crates whose types appear in this crate's API are re-exported, so you can name the
//! versions it was built with: [`sio_core`] (the whole protocol and application API),
//! [`bytes`], [`http`], [`http_body`], [`http_body_util`], [`redis`], [`smol`], and `rustls`
//! (in [`client`], with `tls`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod edge;
mod engine;
mod io;
mod redis_adapter;
mod socketio;
mod stall;
mod tcp;
#[cfg(test)]
mod test_io;
mod timer;
mod ws;

pub use engine::EngineServer;
pub use redis_adapter::{RedisAdapter, RedisStreamsAdapter, ShardedRedisAdapter};
/// The Socket.IO Admin UI's server side (`admin-ui` feature): [`admin::AdminConfig`] for
/// `SocketIoServer::instrument_admin`.
#[cfg(feature = "admin-ui")]
pub use sio_core::api::socketio::admin;
pub use sio_core::api::socketio::{
    AckError, Activity, BroadcastOperator, ConnectError, ConnectRequest, Message, Metrics,
    Namespace, Socket, SocketIo, SocketIoConfig,
};
pub use sio_core::api::socketio::{
    AdapterKind, ClusterConfig, ClusterFuture, StreamsConfig, SubscriptionMode,
};
pub use sio_core::api::EngineSession;
pub use sio_core::engine::server::{CloseReason, ServerConfig, TransportKind, Transports};
pub use sio_core::socket::server::{DisconnectReason, RecoveryConfig};
pub use sio_core::socket::Parser;
pub use socketio::SocketIoServer;

pub use {bytes, http, http_body, http_body_util, redis, sio_core, smol};

/// The current time (smol has no clock of its own to pause).
pub(crate) fn now() -> std::time::Instant {
    std::time::Instant::now()
}

/// The README's code blocks, compiled (and run, unless marked `no_run`) as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
