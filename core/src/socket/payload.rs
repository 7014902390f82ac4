//! [`Payload`]: the data of a packet as it travels, JSON text plus binary attachments.

use std::cell::Cell;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::args::Spreader;
use super::json::{write_str, write_value, JsFormatter};
use super::placeholder_de;
use super::value::Value;
use crate::Str;

/// The first buffer size of an encoded payload.
const INITIAL_CAPACITY: usize = 128;

/// Packet data in wire form: compact JSON text in which every binary value is a placeholder
/// `{"_placeholder":true,"num":N}`, and the attachments those placeholders point to.
///
/// A payload is built once and then shared (cloning is two refcount bumps), which is how a
/// broadcast is encoded once for all its recipients. Decoding keeps the received text and
/// validates it without building a tree; [`deserialize`](Self::deserialize) reads it into your
/// type only when asked.
#[derive(Debug, Default)]
pub struct Payload {
    json: Str,
    /// A boxed slice rather than a vector: one word less in every payload (an ack's is moved
    /// by value; an [`Event`](super::Event)'s parts, 128 bytes with it, are behind a pointer).
    attachments: Box<[Bytes]>,
    /// For payloads built by [`Payload::event`]: the whole buffer `42<json>`, which is already
    /// the Engine.IO frame of this event in the main namespace without an ack id, so encoding
    /// that (most common) packet copies nothing.
    framed: Option<Str>,
}

impl Clone for Payload {
    fn clone(&self) -> Payload {
        Payload {
            json: self.json.clone(),
            // Without attachments (the usual payload) nothing is allocated, and the call that
            // would find that out is skipped.
            attachments: if self.attachments.is_empty() {
                Box::default()
            } else {
                self.attachments.clone()
            },
            framed: self.framed.clone(),
        }
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json && self.attachments == other.attachments
    }
}

impl Eq for Payload {}

impl Payload {
    /// The payload of one serializable value (e.g. a CONNECT auth object or an ack's array).
    ///
    /// Byte buffers (`bytes::Bytes`, `serde_bytes`, `Value::Binary`) become attachments.
    pub fn from_serialize<T: Serialize + ?Sized>(data: &T) -> Result<Payload, serde_json::Error> {
        let mut out = Vec::with_capacity(INITIAL_CAPACITY);
        let mut attachments = Vec::new();
        let mut ser =
            serde_json::Serializer::with_formatter(&mut out, JsFormatter::new(&mut attachments));
        data.serialize(&mut ser)?;
        Ok(Payload::from_parts(
            Str::from_trusted(out.into()),
            attachments,
        ))
    }

    /// The payload of an event: the array `[name, ...args]`.
    ///
    /// `args` is spread: a tuple gives one argument per element, `()` gives none, and any other
    /// value (a struct, a string, a vector…) is one argument. So `("a", 1)` sends two
    /// arguments, and `vec![1, 2]` sends one array.
    pub fn event<T: Serialize + ?Sized>(
        name: &str,
        args: &T,
    ) -> Result<Payload, serde_json::Error> {
        // Room for a small message without growing: one allocation, no copy (profiles of an
        // echo server showed a reallocation per event at 64 bytes).
        let mut out = Vec::with_capacity(INITIAL_CAPACITY + name.len());
        // Room for the Engine.IO and Socket.IO type digits (see `framed`).
        out.extend_from_slice(b"42[");
        write_str(&mut out, name);
        let mut p = Self::spread(out, args, true)?;
        let framed = p.json.clone();
        p.json = Str::from_trusted(framed.bytes().slice(2..));
        if p.attachments.is_empty() {
            p.framed = Some(framed);
        }
        Ok(p)
    }

    /// The payload of an event whose frame `42[...]` is ready (see [`event`](Self::event));
    /// the frame is kept only when there are no attachments (then the packet is an EVENT).
    pub(crate) fn framed_event(framed: Str, attachments: Vec<Bytes>) -> Payload {
        let json = Str::from_trusted(framed.bytes().slice(2..));
        Payload {
            json,
            framed: attachments.is_empty().then_some(framed),
            attachments: boxed(attachments),
        }
    }

    /// Keeps `frame` as the ready frame if it is this payload's JSON after the prefix of an
    /// event in `/` without ack id (`42`, or `45<n>-` with `n` the number of attachments),
    /// in the same buffer: the frame the JSON was read from.
    #[inline]
    pub(crate) fn adopt_frame(&mut self, frame: Str) {
        if self.framed.is_some() {
            return;
        }
        let (f, json) = (frame.as_bytes(), self.json.as_bytes());
        let Some(start) = f.len().checked_sub(json.len()) else {
            return;
        };
        if f.as_ptr() as usize + start != json.as_ptr() as usize {
            return;
        }
        let adopt = if self.attachments.is_empty() {
            f[..start] == *b"42"
        } else {
            is_binary_event_prefix(&f[..start], self.attachments.len())
        };
        if adopt {
            self.framed = Some(frame);
        }
    }

    /// The ready frame, taken out of the payload (for one without attachments).
    pub(crate) fn into_framed(self) -> Option<Str> {
        self.framed
    }

    /// The attachments, taken out of the payload.
    pub(crate) fn into_attachments(self) -> Vec<Bytes> {
        self.attachments.into_vec()
    }

    /// The ready Engine.IO frame of this payload as an event in `/` without ack id (`42<json>`,
    /// or `45<n>-<json>` followed by the attachments' frames), when it was built or received
    /// as one.
    pub(crate) fn framed(&self) -> Option<&Str> {
        self.framed
            .as_ref()
            .filter(|f| matches!(f.as_bytes().get(1), Some(b'2' | b'5')))
    }

    /// The ready Engine.IO frame `43<id><json>`, when this payload was built for the ack
    /// with this id (see [`framed_ack`](Self::framed_ack)).
    pub(crate) fn ack_framed(&self, id: u64) -> Option<&Str> {
        let f = self.framed.as_ref()?;
        let b = f.as_bytes();
        if b.get(1) != Some(&b'3') {
            return None;
        }
        // The digits between `43` and the JSON, read back (cheaper than writing `id`'s).
        let digits = b.get(2..b.len().checked_sub(self.json.len())?)?;
        let read = match digits {
            [] | [b'0', _, ..] => None,
            _ => digits.iter().try_fold(0u64, |n, &d| {
                let d = d.checked_sub(b'0').filter(|d| *d < 10)?;
                n.checked_mul(10)?.checked_add(u64::from(d))
            }),
        };
        (read == Some(id)).then_some(f)
    }

    /// The payload of the ack `id` carrying the argument text `args` (comma-separated
    /// elements, valid JSON as a whole once bracketed) and `attachments`: built as its
    /// Engine.IO frame in the main namespace, `43<id>[args]`, so that sending it copies
    /// nothing more (the frame is kept only without attachments: then it is an ACK).
    pub(crate) fn framed_ack(id: u64, args: &[u8], attachments: Vec<Bytes>) -> Payload {
        let out = ack_frame(b"", id, args);
        // The JSON is the bracketed arguments at the end of the frame.
        let json_at = out.len() - args.len() - 2;
        let framed = Str::from_trusted(Bytes::from(out));
        Payload {
            json: Str::from_trusted(framed.bytes().slice(json_at..)),
            framed: attachments.is_empty().then_some(framed),
            attachments: boxed(attachments),
        }
    }

    /// The payload of an ack: the array of `args`, spread as in [`event`](Self::event).
    pub fn ack<T: Serialize + ?Sized>(args: &T) -> Result<Payload, serde_json::Error> {
        let mut out = Vec::with_capacity(32);
        out.push(b'[');
        Self::spread(out, args, false)
    }

    fn spread<T: Serialize + ?Sized>(
        mut out: Vec<u8>,
        args: &T,
        need_comma: bool,
    ) -> Result<Payload, serde_json::Error> {
        let mut attachments = Vec::new();
        let sep = Cell::new(false);
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            JsFormatter {
                attachments: &mut attachments,
                separator: Some(&sep),
                need_comma,
            },
        );
        args.serialize(Spreader {
            ser: &mut ser,
            sep: &sep,
        })?;
        out.push(b']');
        Ok(Payload::from_parts(
            Str::from_trusted(out.into()),
            attachments,
        ))
    }

    /// The payload of a [`Value`]; binary values become attachments (sharing their buffers).
    pub fn from_value(value: &Value) -> Payload {
        let mut out = Vec::with_capacity(INITIAL_CAPACITY);
        let mut attachments = Vec::new();
        write_value(&mut out, value, &mut attachments);
        Payload::from_parts(Str::from_trusted(out.into()), attachments)
    }

    /// The JSON text, with placeholders where binary values were.
    pub fn json(&self) -> &Str {
        &self.json
    }

    /// The attachments, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// Whether the payload carries binary attachments (and so travels as a BINARY packet).
    pub fn has_attachments(&self) -> bool {
        !self.attachments.is_empty()
    }

    /// The data as a [`Value`] tree, placeholders replaced by their attachments.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        let mut v: Value = serde_json::from_str(self.json.as_str())?;
        if !self.attachments.is_empty() {
            resolve_placeholders(&mut v, &self.attachments);
        }
        Ok(v)
    }

    /// Reads the data into any deserializable type; placeholders feed byte buffers
    /// (a `bytes::Bytes` field receives its attachment).
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        if self.attachments.is_empty() {
            serde_json::from_str(self.json.as_str())
        } else {
            // One pass, as if through `to_value`; through the tree when that fails or cannot be
            // done faithfully.
            match placeholder_de::read(self.json.as_str(), &self.attachments, PhantomData) {
                Some(v) => Ok(v),
                None => self.to_value().and_then(T::deserialize),
            }
        }
    }

    /// The array's elements from index `skip` on as values, placeholders replaced by their
    /// attachments: one pass over the text, no tree for the skipped elements.
    pub(crate) fn values_from(&self, skip: usize) -> Result<Vec<Value>, serde_json::Error> {
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_str(self.json.as_str());
        let mut values: Vec<Value> =
            super::args_de::Rest::<Vec<Value>>::new(skip, false).deserialize(&mut de)?;
        de.end()?;
        if !self.attachments.is_empty() {
            for v in &mut values {
                resolve_placeholders(v, &self.attachments);
            }
        }
        Ok(values)
    }

    /// Reads the array's elements from index `skip` on: as one `T` (a tuple or a sequence type)
    /// when `one` is false, or only the element at `skip` when `one` is true.
    pub(crate) fn deserialize_rest<T: DeserializeOwned>(
        &self,
        skip: usize,
        one: bool,
    ) -> Result<T, serde_json::Error> {
        use serde::de::DeserializeSeed;
        let seed = super::args_de::Rest::<T>::new(skip, one);
        if self.attachments.is_empty() {
            let mut de = serde_json::Deserializer::from_str(self.json.as_str());
            let v = seed.deserialize(&mut de)?;
            de.end()?;
            Ok(v)
        } else {
            match placeholder_de::read(self.json.as_str(), &self.attachments, seed) {
                Some(v) => Ok(v),
                None => super::args_de::Rest::<T>::new(skip, one).deserialize(self.to_value()?),
            }
        }
    }

    /// Wraps parts whose JSON is valid and whose placeholders point at `attachments`.
    pub(crate) fn from_parts(json: Str, attachments: Vec<Bytes>) -> Payload {
        Payload {
            json,
            attachments: boxed(attachments),
            framed: None,
        }
    }

    /// Total size: JSON plus attachments, in bytes.
    pub fn len(&self) -> usize {
        self.json.len() + self.attachments.iter().map(Bytes::len).sum::<usize>()
    }

    /// Whether there is no data at all (no JSON text).
    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }
}

/// Whether a received Engine.IO text frame can become its event's own frame, re-sent as it
/// came: a Socket.IO EVENT, or a BINARY_EVENT's header, in the main
/// namespace and without ack id (`42[…`, `451-[…`). The filter the Socket.IO layer gives the
/// Engine.IO server ([`ServerConfig::keep_text_frame`](crate::engine::server::ServerConfig::keep_text_frame)):
/// the other frames are not kept beside their decoded text.
pub fn resendable_frame(frame: &[u8]) -> bool {
    let rest = match frame {
        [b'4', b'2', rest @ ..] => rest,
        [b'4', b'5', rest @ ..] => {
            let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            match rest.get(digits) {
                Some(b'-') if digits > 0 => &rest[digits + 1..],
                _ => return false,
            }
        }
        _ => return false,
    };
    // A digit starts an ack id, a slash a namespace.
    !matches!(rest.first(), Some(b'0'..=b'9' | b'/'))
}

/// Whether `prefix` starts the Engine.IO frame of an event in `/` without ack id and with
/// `attachments` attachments: `45<attachments>-`.
#[cold]
fn is_binary_event_prefix(prefix: &[u8], attachments: usize) -> bool {
    let mut buf = [0; 20];
    let digits = super::json::u64_digits(attachments as u64, &mut buf);
    match prefix
        .strip_prefix(b"45")
        .and_then(|p| p.strip_suffix(b"-"))
    {
        Some(count) => count == digits,
        None => false,
    }
}

/// The Engine.IO frame of the ack `id` in namespace `nsp` (`/` or empty for the main one)
/// carrying the argument text `args`: `43[/nsp,]<id>[args]`, in a buffer of its exact length.
pub(crate) fn ack_frame(nsp: &[u8], id: u64, args: &[u8]) -> Vec<u8> {
    let mut buf = [0; 20];
    let digits = super::json::u64_digits(id, &mut buf);
    let main = nsp.is_empty() || nsp == super::packet::MAIN_NAMESPACE.as_bytes();
    let nsp_len = if main { 0 } else { nsp.len() + 1 };
    let mut out = Vec::with_capacity(4 + nsp_len + digits.len() + args.len());
    out.extend_from_slice(b"43");
    if !main {
        out.extend_from_slice(nsp);
        out.push(b',');
    }
    out.extend_from_slice(digits);
    out.push(b'[');
    out.extend_from_slice(args);
    out.push(b']');
    out
}

/// `attachments` as a boxed slice. A vector with spare room (built by pushing) is copied
/// into an exact allocation rather than shrunk in place: a shrinking `realloc` splits the
/// block, which leaves the allocator's per-size caches unable to serve the next payload's.
#[inline]
fn boxed(attachments: Vec<Bytes>) -> Box<[Bytes]> {
    if attachments.capacity() == 0 {
        // The usual payload, without attachments: nothing to convert.
        return Box::default();
    }
    if attachments.len() == attachments.capacity() {
        attachments.into_boxed_slice()
    } else {
        Box::from(attachments.as_slice())
    }
}

/// Replaces every `{"_placeholder":true,"num":N}` by attachment N, as the reference's
/// `reconstructPacket` does. Indices were checked when the packet was decoded; one out of
/// range (only possible for hand-built payloads) becomes `null`.
///
/// `placeholder_de` reads data with the same result without building the tree.
pub(super) fn resolve_placeholders(v: &mut Value, attachments: &[Bytes]) {
    match v {
        Value::Array(a) => a
            .iter_mut()
            .for_each(|v| resolve_placeholders(v, attachments)),
        Value::Object(m) => {
            if m.get("_placeholder") == Some(&Value::Bool(true)) {
                *v = m
                    .get("num")
                    .and_then(Value::as_u64)
                    .and_then(|n| attachments.get(usize::try_from(n).ok()?))
                    .map_or(Value::Null, |b| Value::Binary(b.clone()));
            } else {
                m.values_mut()
                    .for_each(|v| resolve_placeholders(v, attachments));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::Payload;

    /// The frames kept for re-sending are exactly those an event can adopt: every frame a
    /// decoded event takes as its own passes the filter, and the filter refuses acks, events
    /// with an ack id, other namespaces and the other packet types.
    #[test]
    fn resendable_frames_are_the_ones_an_event_adopts() {
        use crate::socket::{Decoder, PacketData};
        use crate::Str;
        let cases = [
            (r#"42["a",1]"#, true),
            (r#"42 ["a"]"#, true),
            (r#"42["a",{"b":[1,2]}]"#, true),
            (r#"421["a"]"#, false),
            (r#"42/chat,["a"]"#, false),
            (r#"43["a"]"#, false),
            (r#"431["a"]"#, false),
            (r#"40"#, false),
            (r#"2probe"#, false),
        ];
        let mut adopted = 0;
        for (frame, want) in cases {
            assert_eq!(super::resendable_frame(frame.as_bytes()), want, "{frame}");
            // Decoded from a view of the frame's own buffer (as the Engine.IO layer hands
            // it up), an event adopts the frame exactly when the filter keeps it.
            let whole = Str::from(frame.to_owned());
            let view = whole.slice(1..whole.len()).expect("ASCII");
            if let Ok(Some(p)) = Decoder::default().decode_text(view) {
                if let PacketData::Event(mut e) = p.data {
                    e.adopt_frame(whole.clone());
                    assert_eq!(e.has_main_frame(), want, "{frame}");
                    adopted += usize::from(want);
                }
            }
        }
        assert_eq!(adopted, 3);
        // Binary events' headers, in the main namespace without ack id.
        assert!(super::resendable_frame(
            br#"451-["a",{"_placeholder":true,"num":0}]"#
        ));
        assert!(super::resendable_frame(br#"4512-["a"]"#));
        assert!(!super::resendable_frame(br#"451-1["a"]"#));
        assert!(!super::resendable_frame(br#"451-/chat,["a"]"#));
        assert!(!super::resendable_frame(br#"45-["a"]"#));
        assert!(!super::resendable_frame(br#"461-["a"]"#));
    }

    #[test]
    fn an_ack_frame_is_ready_for_its_own_id_only() {
        for id in [0, 7, 123, 10, u64::MAX] {
            let p = Payload::framed_ack(id, b"1,\"a\"", Vec::new());
            let frame = p.ack_framed(id).map(|f| f.as_str().to_owned());
            assert_eq!(frame, Some(format!("43{id}[1,\"a\"]")));
            assert_eq!(p.json(), "[1,\"a\"]");
            for other in [id.wrapping_add(1), id / 10, id.saturating_mul(10), 1] {
                if other != id {
                    assert!(p.ack_framed(other).is_none(), "{id} {other}");
                }
            }
        }
        // An event's frame is not an ack's.
        let e = Payload::event("e", &1).unwrap();
        assert!(e.ack_framed(2).is_none());
    }
}
