//! # sio-smol: sio on smol
//!
//! The smol driver of sio. It owns the sockets (async-io, async-net), HTTP/1.1 (hyper, through
//! smol-hyper's I/O adapter), WebSocket framing (async-tungstenite) and the one timer (a reused
//! [`smol::Timer`]), and drives [`sio_core`]'s state machines through the runtime-agnostic
//! [`sio_core::api`] layer. It knows nothing of the protocol.
//!
//! It serves **Socket.IO** ([`SocketIoServer`]: namespaces, sockets, rooms, acks, middleware,
//! connection state recovery — the application API is [`sio_core::api::socketio`], the same
//! under every driver) and, beneath it, raw **Engine.IO** ([`EngineServer`]): sessions over
//! long-polling and WebSocket, with the upgrade between them. Both serve standalone (`serve`)
//! or from your own hyper service (`handle`).
//!
//! ## Tasks
//!
//! A server spawns its tasks (the timer, one per connection, one per WebSocket, and for
//! Socket.IO the application's handlers) on smol's global executor ([`smol::spawn`]) when built
//! with `new`, or on your own [`smol::Executor`] with `with_executor`. The global executor runs
//! on its own background thread(s) (`SMOL_THREADS`, default 1), so `smol::block_on` in `main`
//! is enough; your own executor must be run (e.g. `executor.run(…)` on one or more threads).
//!
//! Time is read from [`std::time::Instant::now`] (smol has no virtual clock).
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use sio_smol::{EngineServer, ServerConfig};
//!
//! smol::block_on(async {
//!     let server = EngineServer::new(ServerConfig::default());
//!     let listener = smol::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     smol::spawn(server.clone().serve(listener)).detach();
//!     while let Some(session) = server.accept().await {
//!         smol::spawn(async move {
//!             // An echo: every message goes back as it came.
//!             while let Some(message) = session.recv().await {
//!                 let _ = session.send(message);
//!             }
//!         })
//!         .detach();
//!     }
//!     Ok(())
//! })
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
mod engine;
mod io;
mod redis_adapter;
mod socketio;
mod stall;
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

/// The current time (smol has no clock of its own to pause).
pub(crate) fn now() -> std::time::Instant {
    std::time::Instant::now()
}
