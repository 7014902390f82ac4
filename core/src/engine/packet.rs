//! One Engine.IO packet, and the WebSocket frame it travels in.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::{base64, DecodeError};
use crate::Str;

/// The seven Engine.IO v4 packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`: server → client, the handshake document.
    Open = 0,
    /// `1`: either side asks to close the session.
    Close = 1,
    /// `2`: heartbeat from the server (and `2probe` from a client probing a WebSocket).
    Ping = 2,
    /// `3`: heartbeat answer (and `3probe` from the server to a probe).
    Pong = 3,
    /// `4`: a message for the layer above.
    Message = 4,
    /// `5`: client → server, completes a transport upgrade.
    Upgrade = 5,
    /// `6`: server → client, releases a pending long-poll.
    Noop = 6,
}

impl PacketType {
    /// The ASCII digit of this type on the wire.
    pub fn as_byte(self) -> u8 {
        b'0' + self as u8
    }

    /// The type for an ASCII digit.
    pub fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            b'0' => PacketType::Open,
            b'1' => PacketType::Close,
            b'2' => PacketType::Ping,
            b'3' => PacketType::Pong,
            b'4' => PacketType::Message,
            b'5' => PacketType::Upgrade,
            b'6' => PacketType::Noop,
            _ => return None,
        })
    }
}

/// A decoded Engine.IO packet.
///
/// Text data slices the buffer it was decoded from. The reference decoder accepts data after
/// any type digit; for `close`, `upgrade` and `noop` that data has no meaning and is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// The handshake document (JSON, see [`super::Handshake`]).
    Open(Str),
    /// Close the session.
    Close,
    /// Heartbeat; the data is empty except for the upgrade probe (`probe`).
    Ping(Str),
    /// Heartbeat answer; the data echoes the ping's (`probe` during an upgrade).
    Pong(Str),
    /// A text message.
    Message(Str),
    /// A binary message.
    Binary(Bytes),
    /// Completes the upgrade to WebSocket.
    Upgrade,
    /// Does nothing; releases a long-poll.
    Noop,
}

/// The `probe` data of the upgrade handshake.
pub const PROBE: &str = "probe";

impl Packet {
    /// The packet's type; a binary message is a [`PacketType::Message`].
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Open(_) => PacketType::Open,
            Packet::Close => PacketType::Close,
            Packet::Ping(_) => PacketType::Ping,
            Packet::Pong(_) => PacketType::Pong,
            Packet::Message(_) | Packet::Binary(_) => PacketType::Message,
            Packet::Upgrade => PacketType::Upgrade,
            Packet::Noop => PacketType::Noop,
        }
    }

    /// A ping without data.
    pub fn ping() -> Self {
        Packet::Ping(Str::default())
    }

    /// A pong without data.
    pub fn pong() -> Self {
        Packet::Pong(Str::default())
    }

    /// Encodes the packet as the frame it travels in over WebSocket (and, as text, in a
    /// polling payload).
    pub fn encode(&self) -> Frame {
        let (ty, data) = match self {
            Packet::Binary(b) => return Frame::Binary(b.clone()),
            Packet::Open(d) | Packet::Ping(d) | Packet::Pong(d) | Packet::Message(d) => {
                (self.packet_type(), d.as_bytes())
            }
            Packet::Close | Packet::Upgrade | Packet::Noop => (self.packet_type(), &[][..]),
        };
        if data.is_empty() {
            return Frame::Text(Str::from_static(TYPE_DIGITS[ty as usize]));
        }
        let mut buf = BytesMut::with_capacity(1 + data.len());
        buf.put_u8(ty.as_byte());
        buf.put_slice(data);
        Frame::Text(Str::from_trusted(buf.freeze()))
    }

    /// Decodes a text packet: a type digit and its data, or `b` and base64 for binary.
    pub fn decode_text(text: Str) -> Result<Packet, DecodeError> {
        let first = *text.as_bytes().first().ok_or(DecodeError::Empty)?;
        // The first byte is ASCII, so index 1 is a character boundary. The buffer moves (no
        // count of references to raise and lower, as a slice would).
        let data = |text: Str| {
            let mut rest = text.into_bytes();
            rest.advance(1);
            Str::from_trusted(rest)
        };
        Ok(match first {
            b'b' => Packet::Binary(
                base64::decode(&text.as_bytes()[1..])
                    .map_err(|_| DecodeError::InvalidBase64)?
                    .into(),
            ),
            _ => match PacketType::from_byte(first).ok_or(DecodeError::UnknownType(first))? {
                PacketType::Open => Packet::Open(data(text)),
                PacketType::Close => Packet::Close,
                PacketType::Ping => Packet::Ping(data(text)),
                PacketType::Pong => Packet::Pong(data(text)),
                PacketType::Message => Packet::Message(data(text)),
                PacketType::Upgrade => Packet::Upgrade,
                PacketType::Noop => Packet::Noop,
            },
        })
    }

    /// Decodes a WebSocket message.
    pub fn decode_frame(frame: Frame) -> Result<Packet, DecodeError> {
        match frame {
            Frame::Text(t) => Packet::decode_text(t),
            Frame::Binary(b) => Ok(Packet::Binary(b)),
        }
    }
}

const TYPE_DIGITS: [&str; 7] = ["0", "1", "2", "3", "4", "5", "6"];

/// An encoded Engine.IO packet: exactly what one WebSocket message carries.
///
/// Text frames hold the type digit and the data (`4hello`); binary frames hold the message's raw
/// bytes (v4 has no type byte). In a polling payload a text frame is written as is and a binary
/// frame as `b<base64>`. Frames are cheap to clone, so one encoded broadcast is shared by every
/// recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text WebSocket message.
    Text(Str),
    /// A binary WebSocket message.
    Binary(Bytes),
}

impl Frame {
    /// The size of the frame's content in bytes.
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) => b.len(),
        }
    }

    /// Whether the frame is empty (never the case for a valid Engine.IO frame but an empty
    /// binary message).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of this frame as a record of a polling payload (binary grows to `b` + base64).
    pub fn payload_len(&self) -> usize {
        match self {
            Frame::Text(t) => t.len(),
            Frame::Binary(b) => 1 + base64::encoded_len(b.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &'static str) -> Str {
        Str::from_static(s)
    }

    #[test]
    fn encodes_every_type() {
        let cases = [
            (Packet::Open(text("{}")), "0{}"),
            (Packet::Close, "1"),
            (Packet::ping(), "2"),
            (Packet::Ping(text("probe")), "2probe"),
            (Packet::pong(), "3"),
            (Packet::Pong(text("probe")), "3probe"),
            (Packet::Message(text("hé€😀")), "4hé€😀"),
            (Packet::Upgrade, "5"),
            (Packet::Noop, "6"),
        ];
        for (packet, wire) in cases {
            assert_eq!(packet.encode(), Frame::Text(text(wire)));
            assert_eq!(Packet::decode_text(text(wire)).unwrap(), packet);
        }
        let bin = Packet::Binary(Bytes::from_static(&[1, 2, 3]));
        assert_eq!(bin.encode(), Frame::Binary(Bytes::from_static(&[1, 2, 3])));
        assert_eq!(Packet::decode_frame(bin.encode()).unwrap(), bin);
    }

    #[test]
    fn decodes_base64_text_as_binary() {
        assert_eq!(
            Packet::decode_text(text("bAQIDBA==")).unwrap(),
            Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))
        );
        assert_eq!(
            Packet::decode_text(text("b!!")),
            Err(DecodeError::InvalidBase64)
        );
    }

    #[test]
    fn rejects_unknown_types() {
        assert_eq!(Packet::decode_text(text("")), Err(DecodeError::Empty));
        assert_eq!(
            Packet::decode_text(text("abc")),
            Err(DecodeError::UnknownType(b'a'))
        );
        assert_eq!(
            Packet::decode_text(text("7")),
            Err(DecodeError::UnknownType(b'7'))
        );
    }

    #[test]
    fn message_data_slices_the_input() {
        let wire = text("4hello");
        let Packet::Message(m) = Packet::decode_text(wire.clone()).unwrap() else {
            panic!("not a message")
        };
        assert_eq!(m, "hello");
        assert_eq!(m.as_bytes().as_ptr(), wire.as_bytes()[1..].as_ptr());
    }
}
