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

pub mod client;
mod client_io;
#[cfg(feature = "tls")]
mod client_tls;
mod engine;
mod http;
mod layer;
mod redis_adapter;
mod redis_io;
mod redis_sharded_io;
mod redis_streams_io;
mod socketio;
mod stall;
mod timer;
mod ws;
mod ws_deflate;
mod ws_loop;

pub use engine::EngineServer;
pub use layer::{EngineLayer, EngineService};
pub use redis_adapter::{RedisAdapter, RedisStreamsAdapter, ShardedRedisAdapter};
pub use sio_core::api::socketio::{
    AckError, BroadcastOperator, ConnectError, ConnectRequest, Message, Namespace, Socket,
    SocketIo, SocketIoConfig,
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
