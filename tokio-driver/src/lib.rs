//! # sio-tokio: Socket.IO for Rust on tokio
//!
//! A [Socket.IO](https://socket.io) server and client on tokio that speak what the Node.js
//! reference (`socket.io` 4.8 / `socket.io-client` 4.8) speaks: the official JavaScript client
//! in a browser talks to this server, and this client talks to a Node server. The protocol
//! lives in the runtime-agnostic [`sio_core`]; this crate owns the sockets (tokio), HTTP/1.1
//! (hyper), WebSocket framing (async-tungstenite) and the one timer.
//!
//! ## A server on axum
//!
//! [`SocketIoServer::layer`] is a tower layer: mounted on an axum `Router`, it answers
//! `/socket.io/` and passes every other request to your routes.
//!
//! ```no_run
//! use axum::routing::get;
//! use sio_tokio::{Message, Socket, SocketIoConfig, SocketIoServer};
//!
//! # async fn run() -> std::io::Result<()> {
//! let io = SocketIoServer::new(SocketIoConfig::default());
//! io.of("/").on_connection(|socket: Socket| async move {
//!     socket.on("chat", |socket: Socket, msg: Message| async move {
//!         let text: String = msg.arg(0).unwrap_or_default(); // typed arguments (serde)
//!         let _ = socket.broadcast().emit("chat", &text); // to everyone else
//!         let _ = msg.ack(&"received"); // answers the client's ack
//!     });
//! });
//! let app = axum::Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .layer(io.layer());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! Without a web framework, [`SocketIoServer::serve`] takes a `TcpListener`; from your own
//! hyper service, [`SocketIoServer::handle`] answers one request. The application API
//! ([`Namespace`], [`Socket`], [`Message`], [`BroadcastOperator`], middleware, rooms, acks,
//! connection state recovery) is `sio_core`'s [`api::socketio`](sio_core::api::socketio), the
//! same under every driver.
//!
//! ## A client
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use sio_tokio::client::{ClientSocket, Message};
//!
//! let client = sio_tokio::client::client("http://127.0.0.1:3000").build()?;
//! let socket = client.socket("/");
//! socket.on("chat", |_socket: ClientSocket, msg: Message| async move {
//!     println!("chat: {:?}", msg.arg::<String>(0));
//! });
//! socket.connect(); // register handlers first; it reconnects by itself
//! let answer = socket
//!     .emit_with_ack_timeout("chat", &"hello", Duration::from_secs(5))
//!     .await?;
//! println!("the server answered {}", answer.json());
//! # Ok(()) }
//! ```
//!
//! ## Engine.IO, the layer beneath
//!
//! [`EngineServer`] serves raw Engine.IO sessions ([`EngineSession`]: text and binary messages
//! in and out) over long-polling and WebSocket with the upgrade between them, standalone or as a
//! tower layer ([`EngineLayer`]), for an application that wants the transport without
//! Socket.IO's namespaces and acks (npm `engine.io-client` is its peer).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use sio_tokio::{EngineServer, ServerConfig};
//!
//! let server = EngineServer::new(ServerConfig::default()); // path /engine.io/
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! tokio::spawn(server.clone().serve(listener));
//! while let Some(session) = server.accept().await {
//!     tokio::spawn(async move {
//!         while let Some(message) = session.recv().await {
//!             let _ = session.send(message); // an echo
//!         }
//!     });
//! }
//! # Ok(()) }
//! ```
//!
//! ## Clusters
//!
//! Several servers share rooms and broadcasts through Redis with the adapters of the Node
//! ecosystem, wire-compatible with them (Node and Rust servers in one cluster):
//! [`RedisAdapter`] (`@socket.io/redis-adapter`), [`ShardedRedisAdapter`] (its sharded
//! Pub/Sub mode, on a Redis Cluster) and [`RedisStreamsAdapter`]
//! (`@socket.io/redis-streams-adapter`, with connection state recovery across servers).
//!
//! ## Examples
//!
//! `cargo run -p sio-tokio --example NAME` in the repository: `axum` (the server above beside
//! a route), `standalone` (on a `TcpListener`), `client` (connects to a URL, emits, prints
//! events and an ack's answer), `cluster` (a server on a Redis URL with [`RedisAdapter`]).
//!
//! ## Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `tls` | `https`/`wss` for the client: rustls with the ring provider and webpki's roots ([`client::client_with_tls`] for other roots) |
//! | `admin-ui` | the Socket.IO Admin UI's server side ([`SocketIoServer::instrument_admin`], [`admin`]); adds bcrypt |
//! | `webtransport` | WebTransport (HTTP/3) for the server and the client ([`webtransport`]), through wtransport on quinn |
//!
//! None is on by default. The Redis adapters are always built (redis-rs with `tokio-comp`).
//!
//! ## Modules and items
//!
//! - The crate root: the servers ([`SocketIoServer`], [`EngineServer`]), the tower layer
//!   ([`EngineLayer`], [`EngineService`]), the Redis adapters, and the application types of
//!   [`sio_core`] re-exported ([`Socket`], [`Namespace`], [`Message`], the configs and
//!   reasons).
//! - [`client`]: the Socket.IO client on tokio.
//! - [`webtransport`] (feature `webtransport`): the UDP listener, a development certificate,
//!   and the client's WebTransport options.
//! - [`admin`] (feature `admin-ui`): the Admin UI's configuration.
//!
//! Configs are plain structs with public fields: build them with
//! `SocketIoConfig { .., ..Default::default() }` or assign fields of a default one.
//!
//! ## Re-exported crates
//!
//! The crates whose types appear in this crate's API are re-exported, so you can name the
//! versions it was built with: [`sio_core`] (the whole protocol and application API),
//! [`bytes`], [`http`], [`http_body`], [`http_body_util`], [`tower_layer`], [`tower_service`],
//! [`redis`], [`tokio`], and `rustls` (in [`client`], with `tls`) and `wtransport` (with
//! `webtransport`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
mod engine;
mod layer;
mod redis_adapter;
mod socketio;
mod stall;
mod timer;
#[cfg(feature = "webtransport")]
pub mod webtransport;
mod ws;
#[cfg(feature = "webtransport")]
mod wt_client;
#[cfg(feature = "webtransport")]
mod wt_loop;

pub use engine::EngineServer;
pub use layer::{BoxError, EngineLayer, EngineService};
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

#[cfg(feature = "webtransport")]
pub use wtransport;
pub use {
    bytes, http, http_body, http_body_util, redis, sio_core, tokio, tower_layer, tower_service,
};

/// The current time, from tokio's clock (so tests with a paused clock drive the protocol).
pub(crate) fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// The README's code blocks, compiled (and run, unless marked `no_run`) as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
