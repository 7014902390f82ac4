//! Decoding Socket.IO packets, text first and then their attachments.

use bytes::{Buf, Bytes};

use super::error::DecodeError;
use super::packet::{Ack, Event, Packet, PacketData, PacketType};
use super::parser::Parser;
use super::payload::Payload;
use super::validate::{check, check_event, Shape};
use crate::Str;

/// The reference's default `maxAttachments`.
pub const DEFAULT_MAX_ATTACHMENTS: usize = 10;

/// Decodes the packets of one connection, reassembling binary packets from their text and the
/// attachments that follow it.
///
/// Feed each Engine.IO text message to [`decode_text`](Self::decode_text) and each binary
/// message to [`decode_binary`](Self::decode_binary); each returns `Some(packet)` when one is
/// complete. Any error means the peer broke the protocol: close the connection ("parse
/// error"). The decoder then forgets any partial packet.
///
/// A decoder of the msgpack parser ([`Parser::decoder`]) takes each binary message as a whole
/// packet and refuses text messages.
#[derive(Debug)]
pub struct Decoder {
    max_attachments: usize,
    parser: Parser,
    partial: Option<Partial>,
}

#[derive(Debug)]
struct Partial {
    packet: Packet,
    expected: usize,
    received: Vec<Bytes>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DEFAULT_MAX_ATTACHMENTS)
    }
}

impl Decoder {
    /// A decoder that refuses binary packets announcing more than `max_attachments`
    /// attachments (the count is checked before anything is allocated for them).
    pub fn new(max_attachments: usize) -> Self {
        Decoder::with_parser(Parser::Json, max_attachments)
    }

    /// A decoder of `parser`'s packets (`max_attachments` as in [`new`](Self::new), for the
    /// JSON parser).
    pub fn with_parser(parser: Parser, max_attachments: usize) -> Self {
        Decoder {
            max_attachments,
            parser,
            partial: None,
        }
    }

    /// The parser this decoder reads.
    pub fn parser(&self) -> Parser {
        self.parser
    }

    /// Whether a binary packet is waiting for attachments.
    pub fn is_reassembling(&self) -> bool {
        self.partial.is_some()
    }

    /// Decodes a text message.
    pub fn decode_text(&mut self, text: Str) -> Result<Option<Packet>, DecodeError> {
        if self.parser == Parser::MsgPack {
            return Err(DecodeError::TextWithMsgPack);
        }
        if self.partial.take().is_some() {
            return Err(DecodeError::UnexpectedText);
        }
        let (packet, expected) = decode_header(text, self.max_attachments)?;
        if expected == 0 {
            return Ok(Some(packet));
        }
        self.partial = Some(Partial {
            packet,
            expected,
            received: Vec::with_capacity(expected),
        });
        Ok(None)
    }

    /// Decodes a binary message: the next attachment of the pending binary packet.
    pub fn decode_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError> {
        let Some(partial) = self.partial.as_mut() else {
            return match self.parser {
                Parser::MsgPack => super::msgpack::decode(data).map(Some),
                Parser::Json => Err(DecodeError::UnexpectedBinary),
            };
        };
        partial.received.push(data);
        if partial.received.len() < partial.expected {
            return Ok(None);
        }
        let Some(Partial {
            mut packet,
            received,
            ..
        }) = self.partial.take()
        else {
            return Err(DecodeError::UnexpectedBinary);
        };
        match &mut packet.data {
            PacketData::Event(e) => {
                let json = e.payload().json().clone();
                let name = e.name().clone();
                let ack = e.ack_id();
                *e = Event::from_parts(name, Payload::from_parts(json, received), ack);
            }
            PacketData::Ack(a) => {
                a.payload = Payload::from_parts(a.payload.json().clone(), received);
            }
            _ => {}
        }
        Ok(Some(packet))
    }
}

/// Decodes one packet's text; also returns how many attachments must follow.
///
/// For a packet without attachments this is the whole decoding.
pub fn decode_header(text: Str, max_attachments: usize) -> Result<(Packet, usize), DecodeError> {
    let b = text.as_bytes();
    let ty = *b.first().ok_or(DecodeError::Empty)?;
    let ty = PacketType::from_byte(ty).ok_or(DecodeError::UnknownType(ty))?;
    let mut i = 1;

    let mut attachments = 0;
    if ty.is_binary() {
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        // The reference wants a positive count: `5-` and `50-` are "Illegal attachments".
        if digits == 0 || b.get(i + digits) != Some(&b'-') {
            return Err(DecodeError::IllegalAttachments);
        }
        for &c in &b[i..i + digits] {
            attachments = attachments * 10 + usize::from(c - b'0');
            if attachments > max_attachments {
                return Err(DecodeError::TooManyAttachments {
                    max: max_attachments,
                });
            }
        }
        if attachments == 0 {
            return Err(DecodeError::IllegalAttachments);
        }
        i += digits + 1;
    }

    // Everything here is cut at ASCII bytes of valid UTF-8, so slices stay valid text.
    let cut = |range: std::ops::Range<usize>| Str::from_trusted(text.bytes().slice(range));
    let nsp = if b.get(i) == Some(&b'/') {
        let end = b[i..]
            .iter()
            .position(|&c| c == b',')
            .map_or(b.len(), |p| i + p);
        let nsp = cut(i..end);
        i = (end + 1).min(b.len());
        nsp
    } else {
        Str::from_static(super::packet::MAIN_NAMESPACE)
    };

    // The ack id, read in one pass.
    let id_start = i;
    let mut id: u64 = 0;
    while let Some(&c @ b'0'..=b'9') = b.get(i) {
        id = id
            .checked_mul(10)
            .and_then(|id| id.checked_add(u64::from(c - b'0')))
            .ok_or(DecodeError::InvalidAckId)?;
        i += 1;
    }
    let id = (i > id_start).then_some(id);

    // The rest is the JSON: the buffer moves there, cut at its start (no count of
    // references to raise and lower, as a slice would).
    let json = (i < b.len()).then(|| {
        let mut rest = text.into_bytes();
        rest.advance(i);
        Str::from_trusted(rest)
    });
    let bin = ty.is_binary().then_some(attachments);
    let data = match ty {
        PacketType::Connect => {
            if let Some(j) = &json {
                check(j.as_bytes(), Shape::Object, None)?;
            }
            PacketData::Connect(json)
        }
        PacketType::Disconnect => match json {
            None => PacketData::Disconnect,
            Some(_) => return Err(DecodeError::InvalidPayload),
        },
        PacketType::Event | PacketType::BinaryEvent => {
            let json = json.ok_or(DecodeError::InvalidPayload)?;
            let name = check_event(&json, bin)?;
            PacketData::Event(Event::from_parts(
                name,
                Payload::from_parts(json, Vec::new()),
                id,
            ))
        }
        PacketType::Ack | PacketType::BinaryAck => {
            let id = id.ok_or(DecodeError::InvalidPayload)?;
            let json = match json {
                Some(j) => {
                    check(j.as_bytes(), Shape::Array, bin)?;
                    j
                }
                // The reference accepts an ack without data: no arguments.
                None => Str::from_static("[]"),
            };
            PacketData::Ack(Ack {
                id,
                payload: Payload::from_parts(json, Vec::new()),
            })
        }
        PacketType::ConnectError => {
            let json = json.ok_or(DecodeError::InvalidPayload)?;
            check(json.as_bytes(), Shape::ObjectOrString, None)?;
            PacketData::ConnectError(json)
        }
    };
    Ok((Packet { nsp, data }, attachments))
}
