//! # sio-tokio: sio on tokio
//!
//! The tokio driver of sio. It owns the sockets (tokio), HTTP/1.1 (hyper), WebSocket framing
//! (async-tungstenite) and the one timer, and drives [`sio_core`]'s state machines through the
//! runtime-agnostic [`sio_core::api`] layer. It knows nothing of the protocol.
//!
//! Today it serves **Engine.IO** ([`EngineServer`]): raw Engine.IO sessions over long-polling
//! and WebSocket, with the upgrade between them, standalone ([`EngineServer::serve`]) or mounted
//! beside your own routes as a tower [`Layer`](EngineLayer) (axum, hyper). The Socket.IO server
//! builds on it.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use sio_tokio::{EngineServer, ServerConfig};
//! use sio_core::engine::Packet;
//!
//! let server = EngineServer::new(ServerConfig::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! tokio::spawn(server.clone().serve(listener));
//! while let Some(session) = server.accept().await {
//!     tokio::spawn(async move {
//!         // An echo: every message goes back as it came.
//!         while let Some(message) = session.recv().await {
//!             let _ = session.send(message);
//!         }
//!     });
//! }
//! # Ok(()) }
//! ```
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
pub use layer::{EngineLayer, EngineService};
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

/// The current time, from tokio's clock (so tests with a paused clock drive the protocol).
pub(crate) fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}
