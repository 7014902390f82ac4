//! The msgpack parser: Socket.IO packets as `socket.io-msgpack-parser` 3.0 (notepack.io 2.2)
//! encodes them, one binary Engine.IO message per packet, binary data inline as `bin`, no
//! attachments.
//!
//! A packet is a MessagePack map `{type, data, id, nsp}` (type 0–4: CONNECT, DISCONNECT,
//! EVENT, ACK, CONNECT_ERROR; no BINARY_* types). sio writes the keys in the order the Node
//! server builds its packets (`{type, data, [id], nsp}`, an ACK `{id, type, data, nsp}`), so
//! its bytes equal a Node server's; every key order is read.
//!
//! Inside sio a msgpack packet is the same [`Packet`] as a JSON one: its data is transcoded to
//! and from the JSON-with-attachments form of [`Payload`] at this
//! boundary, so every other part of sio (acks, broadcasts encoded once, recovery offsets,
//! typed arguments, [`Value`](crate::Value)) works unchanged, and an application sees exactly
//! what it would see under the default parser (see `to_json` for how notepack's own types
//! read).
//!
//! Decoding checks what the reference decoder checks (`type` an integer 0–4, `nsp` a string,
//! CONNECT data absent or an object, DISCONNECT without data, CONNECT_ERROR data a string or
//! an object, EVENT and ACK data an array, `id` absent or an integer) and, as sio's JSON path,
//! a little more: an EVENT's first element is a name (a string or a number) that is not
//! reserved, an ACK has an id, an id is not negative. Nesting is limited to 128 levels, map
//! keys must be scalars.

mod from_json;
mod to_json;

use bytes::Bytes;

use self::to_json::ToJson;
use crate::msgpack::read::{Reader, Token};
use crate::msgpack::{write, MsgPackError};
use crate::socket::packet::{Ack, Event, Packet, PacketData, MAIN_NAMESPACE, RESERVED_EVENTS};
use crate::socket::payload::Payload;
use crate::socket::DecodeError;
use crate::Str;

const TYPE: &[u8] = b"\xa4type";
const DATA: &[u8] = b"\xa4data";
const NSP: &[u8] = b"\xa3nsp";
const ID: &[u8] = b"\xa2id";

/// Encodes `packet` as the one binary message that carries it.
pub fn encode(packet: &Packet) -> Bytes {
    let mut out = Vec::with_capacity(24 + packet.nsp.len() + packet.payload_len());
    let data = |out: &mut Vec<u8>, payload: &Payload| {
        out.extend_from_slice(DATA);
        from_json::write_json(out, payload.json().as_bytes(), payload.attachments());
    };
    match &packet.data {
        PacketData::Event(e) => {
            write::map_len(&mut out, if e.ack_id().is_some() { 4 } else { 3 });
            out.extend_from_slice(TYPE);
            write::uint(&mut out, 2);
            data(&mut out, e.payload());
            if let Some(id) = e.ack_id() {
                out.extend_from_slice(ID);
                write::uint(&mut out, id);
            }
        }
        PacketData::Ack(a) => {
            write::map_len(&mut out, 4);
            out.extend_from_slice(ID);
            write::uint(&mut out, a.id);
            out.extend_from_slice(TYPE);
            write::uint(&mut out, 3);
            data(&mut out, &a.payload);
        }
        PacketData::Connect(json) => {
            write::map_len(&mut out, if json.is_some() { 3 } else { 2 });
            out.extend_from_slice(TYPE);
            write::uint(&mut out, 0);
            if let Some(json) = json {
                out.extend_from_slice(DATA);
                from_json::write_json(&mut out, json.as_bytes(), &[]);
            }
        }
        PacketData::Disconnect => {
            write::map_len(&mut out, 2);
            out.extend_from_slice(TYPE);
            write::uint(&mut out, 1);
        }
        PacketData::ConnectError(json) => {
            write::map_len(&mut out, 3);
            out.extend_from_slice(TYPE);
            write::uint(&mut out, 4);
            out.extend_from_slice(DATA);
            from_json::write_json(&mut out, json.as_bytes(), &[]);
        }
    }
    out.extend_from_slice(NSP);
    let nsp = if packet.nsp.is_empty() {
        MAIN_NAMESPACE.as_bytes()
    } else {
        packet.nsp.as_bytes()
    };
    write::str(&mut out, nsp);
    out.into()
}

fn bad(_: MsgPackError) -> DecodeError {
    DecodeError::InvalidMsgPack
}

/// Where the values of the keys that matter start (the last one wins, as in JavaScript).
#[derive(Default)]
struct Fields {
    ty: Option<usize>,
    data: Option<usize>,
    nsp: Option<usize>,
    id: Option<usize>,
}

/// Decodes one binary message into a packet.
pub fn decode(frame: Bytes) -> Result<Packet, DecodeError> {
    let mut r = Reader::new(&frame);
    let n = match r.next().map_err(bad)? {
        Token::Map(n) => n,
        // The reference reads `type` of a non-object (undefined, or a TypeError for null).
        _ => {
            r.seek(0);
            r.skip().map_err(bad)?;
            return Err(DecodeError::InvalidPacketType);
        }
    };
    let mut f = Fields::default();
    for _ in 0..n {
        let key_at = r.pos();
        let key = match r.next().map_err(bad)? {
            Token::Str(k) | Token::Bin(k) => Some(k),
            _ => {
                r.seek(key_at);
                r.skip().map_err(bad)?;
                None
            }
        };
        let at = r.pos();
        r.skip().map_err(bad)?;
        match key {
            Some(b"type") => f.ty = Some(at),
            Some(b"data") => f.data = Some(at),
            Some(b"nsp") => f.nsp = Some(at),
            Some(b"id") => f.id = Some(at),
            _ => {}
        }
    }
    if !r.at_end() {
        return Err(DecodeError::InvalidMsgPack);
    }
    let token = |at: usize| {
        let mut r = Reader::new(&frame);
        r.seek(at);
        r.next().map_err(bad)
    };

    let ty = match f.ty.map(token).transpose()? {
        Some(t) => integer(t).filter(|t| (0.0..=4.0).contains(t)),
        None => None,
    }
    .ok_or(DecodeError::InvalidPacketType)? as u8;

    let nsp = match f.nsp.map(token).transpose()? {
        Some(Token::Str(s)) => text(&frame, s),
        _ => return Err(DecodeError::InvalidNamespace),
    };

    // notepack's `undefined` is no data.
    let data_at = f.data.filter(|at| {
        !matches!(
            token(*at),
            Ok(Token::Ext {
                format: 0xd4,
                kind: 0,
                ..
            })
        )
    });
    let data_token = data_at.map(token).transpose()?;

    let id = match f.id.map(token).transpose()? {
        None
        | Some(Token::Ext {
            format: 0xd4,
            kind: 0,
            ..
        }) => None,
        Some(Token::UInt(u)) => Some(u),
        Some(t) => {
            let v = integer(t).ok_or(DecodeError::InvalidAckId)?;
            if !(0.0..18_446_744_073_709_551_616.0).contains(&v) {
                return Err(DecodeError::InvalidAckId);
            }
            Some(v as u64)
        }
    };

    let data = match (ty, data_token) {
        (0, None) => PacketData::Connect(None),
        (0, Some(Token::Map(_))) => PacketData::Connect(Some(json(&frame, data_at, true)?.0)),
        (1, None) => PacketData::Disconnect,
        (4, Some(Token::Map(_) | Token::Str(_))) => {
            PacketData::ConnectError(json(&frame, data_at, true)?.0)
        }
        (2, Some(Token::Array(n))) if n > 0 => {
            let (json, attachments, name) = event(&frame, data_at)?;
            let payload = Payload::from_parts(json, attachments);
            PacketData::Event(Event::from_parts(name, payload, id))
        }
        (3, Some(Token::Array(_))) => {
            let id = id.ok_or(DecodeError::InvalidPayload)?;
            let (json, attachments) = json(&frame, data_at, false)?;
            PacketData::Ack(Ack {
                id,
                payload: Payload::from_parts(json, attachments),
            })
        }
        _ => return Err(DecodeError::InvalidPayload),
    };
    Ok(Packet { nsp, data })
}

/// The value of an integral number token (`2.0` is 2, as `Number.isInteger` says).
fn integer(t: Token<'_>) -> Option<f64> {
    let v = match t {
        Token::UInt(u) => u as f64,
        Token::NegInt(i) => i as f64,
        Token::F32(f) => f64::from(f),
        Token::F64(f) => f,
        _ => return None,
    };
    (v.is_finite() && v.floor() == v).then_some(v)
}

/// A string token of `frame` as text: shared with the frame when it is UTF-8, read lossily
/// (as Node does) when not.
fn text(frame: &Bytes, s: &[u8]) -> Str {
    let start = s.as_ptr() as usize - frame.as_ptr() as usize;
    match Str::from_utf8(frame.slice(start..start + s.len())) {
        Ok(t) => t,
        Err(_) => Str::from(String::from_utf8_lossy(s).into_owned()),
    }
}

/// The value at `at` as JSON text and attachments.
fn json(
    frame: &Bytes,
    at: Option<usize>,
    buffers_as_json: bool,
) -> Result<(Str, Vec<Bytes>), DecodeError> {
    let mut t = ToJson::new(frame, at.unwrap_or(0), buffers_as_json);
    t.value(1)?;
    Ok((Str::from_trusted(t.out.into()), t.attachments))
}

/// An EVENT's data array at `at`: its JSON text, attachments and event name (a string, or the
/// text of a number, as the JSON path names it).
fn event(frame: &Bytes, at: Option<usize>) -> Result<(Str, Vec<Bytes>, Str), DecodeError> {
    let mut t = ToJson::new(frame, at.unwrap_or(0), false);
    let name_at = {
        let mut r = Reader::new(frame);
        r.seek(at.unwrap_or(0));
        r.next().map_err(bad)?;
        r.pos()
    };
    let mut r = Reader::new(frame);
    r.seek(name_at);
    let name_token = r.next().map_err(bad)?;
    t.value(1)?;
    let json = Str::from_trusted(t.out.into());
    let name = match name_token {
        Token::Str(s) => {
            let s = String::from_utf8_lossy(s);
            if RESERVED_EVENTS.contains(&s.as_ref()) {
                return Err(DecodeError::ReservedEventName);
            }
            // Written without escapes right after `["`: share it with the JSON text.
            match json.as_bytes().get(2..2 + s.len()) {
                Some(w) if w == s.as_bytes() && json.as_bytes().get(2 + s.len()) == Some(&b'"') => {
                    Str::from_trusted(json.bytes().slice(2..2 + s.len()))
                }
                _ => Str::from(s.into_owned()),
            }
        }
        Token::UInt(_) | Token::NegInt(_) | Token::F32(_) | Token::F64(_) => {
            // The number's name as the JSON path gives it (`String(number)`: `1.5`, and
            // `4609434218613702700` for the integer 4609434218613702656, beyond 2^53).
            let b = json.as_bytes();
            let end = b
                .iter()
                .position(|&c| c == b',' || c == b']')
                .unwrap_or(b.len());
            let written = &b[1..end];
            if written == b"null" {
                // NaN or an infinity: JSON has no such number, and no event is named so.
                return Err(DecodeError::InvalidPayload);
            }
            crate::socket::validate::number_name(written)?
        }
        _ => return Err(DecodeError::InvalidPayload),
    };
    Ok((json, t.attachments, name))
}

#[cfg(test)]
mod tests;
