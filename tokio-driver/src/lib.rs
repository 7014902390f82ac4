//! The tokio driver of sio (skeleton).
//!
//! It will own sockets, HTTP (hyper), WebSocket framing (async-tungstenite), timers and tasks,
//! and drive [`sio_core`]'s state machines. Nothing of the protocol lives here. The Engine.IO
//! server lands with issue 3; until then this crate only re-exports the core.
#![forbid(unsafe_code)]

pub use sio_core as core;
