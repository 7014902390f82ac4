//! [`Parser`]: which Socket.IO packet encoding a server or client speaks.

use smallvec::SmallVec;

use super::decode::Decoder;
use super::packet::Packet;
use crate::engine::Frame;

/// The Socket.IO parser of a server or a client: both sides of a connection must use the same
/// one (as with the reference's `parser` option).
///
/// An enum and not a trait: the set is closed (the two parsers the Node ecosystem uses), a
/// `Copy` value travels in the configs without making every type above it generic, and the
/// JSON path stays as it was: encoding and decoding match on it once per packet, a branch
/// that always goes the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Parser {
    /// The default parser (`socket.io-parser`): JSON text, binary data as attachments that
    /// follow the text as binary messages.
    #[default]
    Json,
    /// `socket.io-msgpack-parser` 3.0: each packet is one binary message of MessagePack, binary
    /// data inline (see [`socket::msgpack`](super::msgpack)).
    MsgPack,
}

impl Parser {
    /// The Engine.IO frames that carry `packet`.
    #[inline]
    pub fn to_frames(self, packet: &Packet) -> SmallVec<[Frame; 1]> {
        match self {
            Parser::Json => packet.to_frames(),
            Parser::MsgPack => msgpack_frame(packet),
        }
    }

    /// Like [`to_frames`](Self::to_frames), consuming the packet (its buffers move into the
    /// frames where the encoding allows).
    #[inline]
    pub fn into_frames(self, packet: Packet) -> SmallVec<[Frame; 1]> {
        match self {
            Parser::Json => packet.into_frames(),
            Parser::MsgPack => msgpack_frame(&packet),
        }
    }

    /// A decoder of this parser's packets; `max_attachments` bounds the JSON parser's binary
    /// packets (the msgpack parser has no attachments: its messages are bounded by the
    /// Engine.IO `max_payload`).
    pub fn decoder(self, max_attachments: usize) -> Decoder {
        Decoder::with_parser(self, max_attachments)
    }
}

fn msgpack_frame(packet: &Packet) -> SmallVec<[Frame; 1]> {
    let mut frames = SmallVec::new();
    frames.push(Frame::Binary(super::msgpack::encode(packet)));
    frames
}
