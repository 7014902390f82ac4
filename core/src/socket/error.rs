//! Why a Socket.IO packet could not be decoded.

use std::fmt;

/// A Socket.IO decoding failure. Each one means the peer broke the protocol; the reference
/// server closes the connection (its sockets leave with "forced close"), the reference client
/// closes with "parse error".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The text is empty.
    Empty,
    /// The first character is not a packet type `0`–`6` (reference: "unknown packet type").
    UnknownType(u8),
    /// The attachment count of a binary packet is not digits followed by `-`
    /// (reference: "Illegal attachments").
    IllegalAttachments,
    /// More attachments than allowed (reference: "too many attachments").
    TooManyAttachments {
        /// The configured maximum.
        max: usize,
    },
    /// The ack id does not fit in 64 bits; with the msgpack parser, `id` is not an integer
    /// from 0 to 2^64 - 1 (reference: "invalid packet id", which lets negative ids through).
    InvalidAckId,
    /// The JSON does not parse (reference: "invalid payload").
    InvalidJson,
    /// The JSON parses but is not what the packet type requires (reference: "invalid payload"):
    /// CONNECT not an object, DISCONNECT with data, EVENT not a non-empty array starting with
    /// a string or number, ACK not an array, CONNECT_ERROR neither object nor string.
    InvalidPayload,
    /// An EVENT named with a reserved name (reference: "invalid payload").
    ReservedEventName,
    /// A placeholder that points at no attachment (reference: "illegal attachments").
    IllegalPlaceholder,
    /// A text packet while attachments were still expected (reference: "got plaintext data
    /// when reconstructing a packet").
    UnexpectedText,
    /// A binary message while no attachment was expected (reference: "got binary data when
    /// not reconstructing a packet").
    UnexpectedBinary,
    /// With the msgpack parser: the message is not one MessagePack value (reference: notepack's
    /// decoding error), or nests deeper than 128 levels.
    InvalidMsgPack,
    /// With the msgpack parser: `type` is not an integer from 0 to 4 (reference: "invalid
    /// packet type").
    InvalidPacketType,
    /// With the msgpack parser: `nsp` is missing or not a string (reference: "invalid
    /// namespace").
    InvalidNamespace,
    /// With the msgpack parser: a text message (the parser takes binary messages only; the
    /// reference fails to decode a string as MessagePack).
    TextWithMsgPack,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => f.write_str("empty packet"),
            DecodeError::UnknownType(t) => write!(f, "unknown packet type {:?}", char::from(*t)),
            DecodeError::IllegalAttachments => f.write_str("Illegal attachments"),
            DecodeError::TooManyAttachments { max } => {
                write!(f, "too many attachments (at most {max})")
            }
            DecodeError::InvalidAckId => f.write_str("invalid ack id"),
            DecodeError::InvalidJson => f.write_str("invalid payload: not JSON"),
            DecodeError::InvalidPayload => f.write_str("invalid payload"),
            DecodeError::ReservedEventName => f.write_str("invalid payload: reserved event name"),
            DecodeError::IllegalPlaceholder => f.write_str("illegal attachments"),
            DecodeError::UnexpectedText => {
                f.write_str("got plaintext data when reconstructing a packet")
            }
            DecodeError::UnexpectedBinary => {
                f.write_str("got binary data when not reconstructing a packet")
            }
            DecodeError::InvalidMsgPack => f.write_str("invalid msgpack"),
            DecodeError::InvalidPacketType => f.write_str("invalid packet type"),
            DecodeError::InvalidNamespace => f.write_str("invalid namespace"),
            DecodeError::TextWithMsgPack => {
                f.write_str("a text message, where the msgpack parser takes binary only")
            }
        }
    }
}

impl std::error::Error for DecodeError {}
