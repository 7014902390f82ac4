//! Engine.IO v4 (and v3, for Socket.IO v2 clients): the transport layer under Socket.IO.
//!
//! - [`Packet`] and [`Frame`]: one Engine.IO packet, decoded or as it travels in one WebSocket
//!   message (text `<type><data>`, or raw bytes for a binary message).
//! - [`payload`]: HTTP long-polling bodies, records joined by `\x1e`, binary records as
//!   `b<base64>`; [`PayloadDecoder`] takes a body in arbitrary chunks.
//! - [`Handshake`]: the JSON document of the `open` packet.
//! - [`ErrorCode`]: the reference server's HTTP error answers (`{"code":N,"message":"…"}`).
//! - [`v3`]: the Engine.IO v3 codec (binary packets with their type byte, length-prefixed
//!   polling payloads, the XHR2 binary payload) for servers with
//!   [`allow_eio3`](server::ServerConfig::allow_eio3); [`Protocol`] tells the revisions apart.
//! - [`server`]: the sans-IO server state machine (sessions over polling and WebSocket).
//! - [`client`]: the sans-IO client state machine (handshake, polling loop, upgrade, heartbeat).
//! - [`webtransport`]: the framing of packets on a WebTransport stream (a length header, then
//!   the packet), with [`webtransport::StreamDecoder`] fed the stream's bytes.
//!
//! All decoding returns a typed [`DecodeError`] on bad input and never panics.

pub mod base64;
pub mod client;
mod error;
mod handshake;
mod packet;
pub mod payload;
pub mod server;
pub mod v3;
pub mod webtransport;

pub use error::{DecodeError, ErrorCode};
pub use handshake::{Handshake, HandshakeError};
pub use packet::{Frame, Packet, PacketType, PROBE};
pub use payload::{encode_payload, PayloadDecoder};

/// The record separator between packets of a polling payload.
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// The Engine.IO protocol revision a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// Revision 3: Socket.IO v2 clients (see [`v3`]).
    V3,
    /// Revision 4: Socket.IO v3 and v4 clients.
    #[default]
    V4,
}

impl Protocol {
    /// The revision a request asks for by its `EIO` query parameter: 4 for `"4"`, 3 for
    /// anything else or nothing, as the reference decides.
    pub fn from_query(eio: Option<&str>) -> Protocol {
        if eio == Some("4") {
            Protocol::V4
        } else {
            Protocol::V3
        }
    }

    /// Encodes a packet as the WebSocket frame (and polling record) this revision sends.
    pub fn encode(self, packet: &Packet) -> Frame {
        match self {
            Protocol::V3 => v3::encode_packet(packet),
            Protocol::V4 => packet.encode(),
        }
    }

    /// Decodes a WebSocket message of this revision.
    pub fn decode_frame(self, frame: Frame) -> Result<Packet, DecodeError> {
        match self {
            Protocol::V3 => v3::decode_frame(frame),
            Protocol::V4 => Packet::decode_frame(frame),
        }
    }
}
