//! # sio-core: the sans-IO heart of sio
//!
//! This crate holds everything of Engine.IO v4 and Socket.IO v5 (and of the Engine.IO v3 /
//! Socket.IO v4 pair that Socket.IO v2 clients speak) that is *protocol*: the wire codecs, the
//! state machines of the server and the client, the cluster protocols of the Node Redis
//! adapters, and a runtime-agnostic async API over them. It owns no socket, reads no clock and
//! spawns nothing. Drivers (`sio-tokio`, `sio-smol`, or your own event loop) feed it bytes and
//! time and carry out what it asks.
//!
//! ## Where to start
//!
//! - **An application** (a Socket.IO server or client) uses a driver, `sio-tokio` or
//!   `sio-smol`, and programs against [`api::socketio`] (server: namespaces, sockets, rooms,
//!   acks, middleware) and [`api::client`] (client), which the drivers re-export. The API is
//!   the same under every driver.
//! - **Your own event loop** (no async runtime, an embedded or game loop, another runtime)
//!   drives the bare state machines: [`engine::server::Server`] (Engine.IO: HTTP requests and
//!   WebSocket messages in, answers and frames out) and [`socket::server::SocketServer`] on top
//!   of it, following [the caller contract](#the-caller-contract). The repository's
//!   `core/examples/event_loop.rs` is a long-polling Engine.IO echo server on `std::net` alone
//!   (`cargo run -p sio-core --example event_loop`).
//! - **The codecs alone**: [`engine::Packet`] and [`socket::Packet`] with [`socket::Decoder`]
//!   (binary attachments, serde in and out through [`Value`]).
//!
//! ## Modules
//! - [`engine`]: Engine.IO v4 — packets, WebSocket frames, polling payloads
//!   ([`engine::payload`]), the handshake document and the HTTP error answers of the reference
//!   server; the server state machine ([`engine::server`]) and the client's
//!   ([`engine::client`]); the WebTransport stream framing ([`engine::webtransport`]); and
//!   Engine.IO v3 ([`engine::v3`]) for Socket.IO v2 clients, off unless `allow_eio3`.
//! - [`socket`]: Socket.IO v5 — packets with namespaces, ack ids and binary attachments, the
//!   incremental decoder, [`Value`] (the argument type that carries JSON and bytes together),
//!   forwarding a received event's arguments as they came ([`socket::Event::renamed`]),
//!   the server state machine [`socket::server::SocketServer`], the client manager
//!   ([`socket::client`]), the cluster protocols of the Node Redis adapters — classic and
//!   sharded `@socket.io/redis-adapter`, `@socket.io/redis-streams-adapter`
//!   ([`socket::cluster::Cluster`]) — and the choice of parser ([`socket::Parser`]: the
//!   default JSON one, or [`socket::msgpack`], the packets of `socket.io-msgpack-parser`).
//! - [`msgpack`]: MessagePack as `notepack.io` writes and reads it: the tokenizer and writers
//!   shared by the msgpack parser and the cluster adapters, and a [`Value`] tree codec.
//! - [`api`]: the runtime-agnostic async face the drivers plug into and applications program
//!   against: [`api::engine`] (the Engine.IO server shared by a driver's tasks),
//!   [`api::socketio`] (the Socket.IO server: namespaces, sockets, handlers, acks,
//!   backpressure; for operators its metrics, observers of every socket, and, with the
//!   `admin-ui` feature, the Socket.IO Admin UI's server side), [`api::client`] (the
//!   Socket.IO client), [`api::runtime`] (what a driver lends it), and [`api::WsOutbox`]
//!   (what one WebSocket's task does next).
//! - [`compress`]: HTTP compression of polling bodies ([`compress::http`]: gzip and deflate
//!   by `Accept-Encoding`) and the WebSocket permessage-deflate extension
//!   ([`compress::deflate`]: negotiation, the per-connection codec, and the frame scanner that
//!   carries compressed messages past a WebSocket library without extension support).
//! - [`Str`]: cheaply clonable UTF-8 text backed by [`bytes::Bytes`], used wherever the protocol
//!   carries text so that decoding can slice its input instead of copying it.
//! - `fuzzing` (feature `fuzzing`): the entry points of sio's fuzz targets; internal, not
//!   covered by semver.
//! - `id_hash` (private): the hasher of the tables keyed by session ids (the ids' random
//!   tails) and the comparison of ids (eight bytes at a time); `id_map` (private): such a
//!   table, which tries the position of its last hit first, or a position its caller kept
//!   (a hint, trusted only for the id's own buffer: how a broadcast reaches its recipients'
//!   records and sessions without hashing their ids).
//!
//! The state machines report through the `tracing` facade (no subscriber is installed here)
//! and count what an operator graphs ([`engine::server::EngineMetrics`],
//! [`socket::server::SocketMetrics`]).
//!
//! ## Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `admin-ui` | the server side of the Socket.IO Admin UI ([`api::socketio::admin`]); adds `bcrypt` to check the dashboard's password hash |
//! | `fuzzing` | `sio_core::fuzzing`, shared by the cargo-fuzz targets and the corpus-replay test (not a public API) |
//!
//! None is on by default.
//!
//! ## Stability
//!
//! The enums users match on (events, close and disconnect reasons, errors, [`socket::Parser`],
//! [`engine::server::TransportKind`], …) are `#[non_exhaustive]`: a new variant is not a
//! breaking change, so keep a `_` arm. The outputs a driver must carry out
//! ([`engine::server::Transmit`], [`socket::server::EngineCommand`], [`api::WsNext`], …) and
//! the enums fixed by the wire format (packet types, [`Value`]) are exhaustive on purpose: a
//! new one is a breaking release, and the compiler points every driver at it. Configs are
//! plain structs with public fields, built with `Config { field, ..Default::default() }`; a new
//! field comes in a new minor release of the 0.x series (see the CHANGELOG).
//!
//! The crates whose types appear in the API are re-exported: [`bytes`], [`serde`],
//! [`serde_json`], [`smallvec`].
//!
//! ## The caller contract
//! Every state machine in this crate follows one discipline (that of quinn-proto and str0m):
//! after every input (`handle_*`) or command, drain `poll_transmit` and `poll_event` until they
//! return `None`, then arm one timer for `poll_timeout()` and wait for whichever comes first:
//! network input, an application command, or that timer. `handle_timeout(now)` is safe to call
//! early. Never wait while output is queued.
//!
//! ```text
//! loop {
//!     while let Some(t) = machine.poll_transmit() { send(t) }
//!     while let Some(e) = machine.poll_event()    { deliver(e) }
//!     let deadline = machine.poll_timeout();
//!     match wait_for_input_or(deadline) {
//!         Input::Net(bytes) => machine.handle_input(now(), bytes),
//!         Input::App(cmd)   => machine.command(cmd),
//!         Input::Timer      => machine.handle_timeout(now()),
//!     }
//! }
//! ```
//!
//! Two duties come with bounded memory (see [`engine::server::Server`]'s docs on
//! backpressure): a driver reports what it wrote to each WebSocket
//! ([`handle_ws_written`](engine::server::Server::handle_ws_written), or with the next
//! messages it read: [`handle_ws_input`](engine::server::Server::handle_ws_input); until then
//! frames count as queued, and a client whose queue fills is dropped), and it carries out
//! [`AbortWs`](engine::server::Transmit::AbortWs) (drop the connection now, even mid-write) and
//! [`PauseRead`](engine::server::Transmit::PauseRead) / `ResumeRead` (stop reading a client the
//! application is behind on).
//!
//! One shortcut is optional: a caller driving both servers can tell the Socket.IO server
//! where the Engine.IO server keeps each session
//! ([`set_session_hint`](socket::server::SocketServer::set_session_hint) with
//! [`session_hint`](engine::server::Server::session_hint)) and carry out each
//! [`EngineCommand::Send`](socket::server::EngineCommand::Send) with its hint
//! ([`send_frames_hinted`](engine::server::Server::send_frames_hinted)): a broadcast's sends
//! then find their sessions without hashing their ids. The `api` layer does.
//!
//! Errors returned by this crate always mean bad input from the network or a misuse by the
//! caller; a panic is a bug. Nothing that arrives from the network can make this crate panic or
//! allocate beyond the configured limits.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod api;
pub mod compress;
pub mod engine;
mod id_hash;
mod id_map;
pub mod msgpack;
pub mod socket;
mod str;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;

pub use crate::socket::value::{Map, Value};
pub use crate::str::Str;

// The crates whose types appear in this crate's public API, re-exported so that a user names
// the very versions sio was built with (`sio_core::bytes::Bytes`, `sio_core::serde_json::Error`).
pub use bytes;
pub use serde;
pub use serde_json;
pub use smallvec;

/// The README's code blocks, compiled (and run, unless marked `no_run`) as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
