//! # sio-io: the runtime-independent half of sio's drivers
//!
//! Everything a sio driver does that does not depend on its async runtime lives here, written
//! against hyper's and futures-io's traits, so that `sio-tokio` and `sio-smol` are only what
//! their runtime must supply (TCP listeners and connects, spawning, timers, the clock) and
//! cannot drift apart. It holds no protocol: that is [`sio_core`]'s, and this crate only moves
//! its bytes.
//!
//! Applications do not use this crate directly: they use `sio-tokio` or `sio-smol`. It is for
//! writing a driver for another runtime, which takes these pieces and adds its own:
//!
//! - [`accept`]: what a server's accept loop does when accepting fails (it goes on).
//! - [`http`]: a hyper request handed to the core's Engine.IO server and its answer turned back
//!   into a hyper response (long-polling, the WebSocket upgrade's 101, errors).
//! - [`ws_loop`]: one server WebSocket's life once upgraded ([`ws_loop::serve`]): frames in to
//!   the core, frames out from its [`WsOutbox`](sio_core::api::WsOutbox), batching, the close
//!   handshake, permessage-deflate when agreed.
//! - [`ws_deflate`]: permessage-deflate fitted around async-tungstenite (which has no extension
//!   support), over the core's codec.
//! - [`client_io`]: the client's HTTP requests (hyper's HTTP/1.1 client) and WebSockets over
//!   any stream the driver connects.
//! - [`client_tls`] (feature `tls`): the client's rustls settings.
//! - [`host`]: the machine's host name, for the Admin UI.
//! - [`redis_io`], [`redis_sharded_io`], [`redis_streams_io`] (feature `redis-tokio` or
//!   `redis-smol`): the Redis side of the three cluster adapters (classic, sharded, streams),
//!   with redis-rs on the driver's runtime.
//!
//! Time comes from the driver: every function that hands the core an input takes a
//! [`Clock`] (tokio's clock for `sio-tokio`, so paused-clock tests drive the protocol).
//!
//! ## Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `tls` | [`client_tls`]: the client's rustls settings (ring provider, webpki's roots) |
//! | `redis-tokio` | the Redis modules, with redis-rs on tokio (`tokio-comp`) |
//! | `redis-smol` | the Redis modules, with redis-rs on smol (`smol-comp`) |
//!
//! None is on by default.
//!
//! ## Re-exported crates
//!
//! The crates whose types appear in this crate's API: [`sio_core`], [`bytes`], [`hyper`] (and
//! the `http` crate as `hyper::http`), [`http_body`], [`http_body_util`],
//! [`async_tungstenite`], [`futures_util`], and with their features `rustls`, `redis` and
//! `futures_channel`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod accept;
pub mod client_io;
#[cfg(feature = "tls")]
pub mod client_tls;
pub mod host;
pub mod http;
#[cfg(any(feature = "redis-tokio", feature = "redis-smol"))]
pub mod redis_io;
#[cfg(any(feature = "redis-tokio", feature = "redis-smol"))]
pub mod redis_sharded_io;
#[cfg(any(feature = "redis-tokio", feature = "redis-smol"))]
pub mod redis_streams_io;
pub mod ws_deflate;
pub mod ws_loop;

// The crates whose types appear in this crate's public API, re-exported so that a driver names
// the very versions sio-io was built with (the `http` crate is `hyper::http`: this crate's
// `http` module holds the hyper glue).
#[cfg(any(feature = "redis-tokio", feature = "redis-smol"))]
pub use futures_channel;
#[cfg(any(feature = "redis-tokio", feature = "redis-smol"))]
pub use redis;
#[cfg(feature = "tls")]
pub use rustls;
pub use {async_tungstenite, bytes, futures_util, http_body, http_body_util, hyper, sio_core};
/// The driver's clock: the time every input to the core is stamped with.
pub type Clock = fn() -> std::time::Instant;
