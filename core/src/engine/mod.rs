//! Engine.IO v4: the transport layer under Socket.IO.
//!
//! - [`Packet`] and [`Frame`]: one Engine.IO packet, decoded or as it travels in one WebSocket
//!   message (text `<type><data>`, or raw bytes for a binary message).
//! - [`payload`]: HTTP long-polling bodies, records joined by `\x1e`, binary records as
//!   `b<base64>`; [`PayloadDecoder`] takes a body in arbitrary chunks.
//! - [`Handshake`]: the JSON document of the `open` packet.
//! - [`ErrorCode`]: the reference server's HTTP error answers (`{"code":N,"message":"…"}`).
//! - [`server`]: the sans-IO server state machine (sessions over polling and WebSocket).
//! - [`client`]: the sans-IO client state machine (handshake, polling loop, upgrade, heartbeat).
//!
//! All decoding returns a typed [`DecodeError`] on bad input and never panics.

pub mod base64;
pub mod client;
mod error;
mod handshake;
mod packet;
pub mod payload;
pub mod server;

pub use error::{DecodeError, ErrorCode};
pub use handshake::{Handshake, HandshakeError};
pub use packet::{Frame, Packet, PacketType, PROBE};
pub use payload::{encode_payload, PayloadDecoder};

/// The record separator between packets of a polling payload.
pub const RECORD_SEPARATOR: u8 = 0x1e;
