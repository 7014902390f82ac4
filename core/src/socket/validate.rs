//! One pass over a packet's JSON that checks what the reference decoder checks, without
//! building a tree: the JSON parses, the top-level shape fits the packet type, an event's name
//! is allowed (and is extracted, sliced from the input when it has no escapes), and every
//! placeholder of a binary packet points at an attachment.
//!
//! Nesting depth is bounded by serde_json's recursion limit, so hostile input cannot exhaust
//! the stack.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::error::DecodeError;
use super::json::{write_js_number, JsNumber};
use super::packet::RESERVED_EVENTS;
use crate::Str;

/// What the top level of the JSON must be.
#[derive(Clone, Copy)]
pub(crate) enum Shape {
    /// CONNECT: an object.
    Object,
    /// CONNECT_ERROR: an object or a string.
    ObjectOrString,
    /// ACK: an array.
    Array,
}

/// Checks JSON of the given top-level shape; `attachments` is the attachment count of a binary
/// packet (placeholders are checked only then).
pub(crate) fn check(
    json: &[u8],
    shape: Shape,
    attachments: Option<usize>,
) -> Result<(), DecodeError> {
    let first = json
        .iter()
        .find(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        .copied();
    let fits = match shape {
        Shape::Object => first == Some(b'{'),
        Shape::ObjectOrString => matches!(first, Some(b'{' | b'"')),
        Shape::Array => first == Some(b'['),
    };
    let mut de = serde_json::Deserializer::from_slice(json);
    Walk { attachments }
        .deserialize(&mut de)
        .and_then(|_| de.end())
        .map_err(classify)?;
    if fits {
        Ok(())
    } else {
        Err(DecodeError::InvalidPayload)
    }
}

/// Checks an EVENT's JSON and returns its name.
pub(crate) fn check_event(json: &Str, attachments: Option<usize>) -> Result<Str, DecodeError> {
    let bytes = json.as_bytes();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let name = EventSeed {
        base: bytes,
        attachments,
    }
    .deserialize(&mut de)
    .and_then(|name| de.end().map(|()| name))
    .map_err(classify)?;
    let name = match name {
        // serde_json handed out this range as a `&str` of the input: valid UTF-8 text.
        Name::Slice(start, len) => Str::from_trusted(json.bytes().slice(start..start + len)),
        Name::Owned(s) => Str::from(s),
    };
    if RESERVED_EVENTS
        .iter()
        .any(|r| r.as_bytes() == name.as_bytes())
    {
        return Err(DecodeError::ReservedEventName);
    }
    Ok(name)
}

/// Our own errors travel through serde_json as custom messages; map them back.
const SHAPE: &str = "\u{0}shape";
const PLACEHOLDER: &str = "\u{0}placeholder";

fn classify(e: serde_json::Error) -> DecodeError {
    let msg = e.to_string();
    if msg.starts_with(PLACEHOLDER) {
        DecodeError::IllegalPlaceholder
    } else if msg.starts_with(SHAPE) || e.is_data() {
        DecodeError::InvalidPayload
    } else {
        DecodeError::InvalidJson
    }
}

enum Name {
    Slice(usize, usize),
    Owned(String),
}

struct EventSeed<'a> {
    base: &'a [u8],
    attachments: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_> {
    type Value = Name;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Name, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_> {
    type Value = Name;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Name, A::Error> {
        let name = seq
            .next_element_seed(NameSeed { base: self.base })?
            .ok_or_else(|| de::Error::custom(SHAPE))?;
        rest(seq, self.attachments)?;
        Ok(name)
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Name, A::Error> {
        Err(de::Error::custom(SHAPE))
    }
}

fn rest<'de, A: SeqAccess<'de>>(mut seq: A, attachments: Option<usize>) -> Result<(), A::Error> {
    while seq.next_element_seed(Walk { attachments })?.is_some() {}
    Ok(())
}

struct NameSeed<'a> {
    base: &'a [u8],
}

impl<'de> DeserializeSeed<'de> for NameSeed<'_> {
    type Value = Name;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Name, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NameSeed<'_> {
    type Value = Name;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event name (string or number)")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Name, E> {
        // A borrowed string lies inside the input: slice the input instead of copying.
        let start = (s.as_ptr() as usize).wrapping_sub(self.base.as_ptr() as usize);
        if start <= self.base.len() && s.len() <= self.base.len() - start {
            Ok(Name::Slice(start, s.len()))
        } else {
            Ok(Name::Owned(s.to_owned()))
        }
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Name, E> {
        Ok(Name::Owned(s.to_owned()))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Name, E> {
        Ok(Name::Owned(s))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Name, E> {
        Ok(Name::Owned(n.to_string()))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Name, E> {
        Ok(Name::Owned(n.to_string()))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Name, E> {
        // JavaScript keys listeners by the number's string form.
        let mut out = Vec::new();
        let _ = write_js_number(&mut out, JsNumber::F64(n));
        Ok(Name::Owned(String::from_utf8(out).unwrap_or_default()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Name, E> {
        Err(E::custom(SHAPE))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Name, E> {
        Err(E::custom(SHAPE))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Name, A::Error> {
        Err(de::Error::custom(SHAPE))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Name, A::Error> {
        Err(de::Error::custom(SHAPE))
    }
}

/// What a walked value was, as far as placeholders care.
enum Seen {
    True,
    Index(u64),
    Other,
}

/// Walks any JSON value, checking the placeholders inside against the attachment count of a
/// binary packet (`None`: not a binary packet, placeholders are plain objects).
///
/// Numbers are parsed, not skipped: `1e400` is refused here rather than later, when the
/// application reads the data.
#[derive(Clone, Copy)]
struct Walk {
    attachments: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = Seen;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Seen, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = Seen;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Seen, E> {
        Ok(if b { Seen::True } else { Seen::Other })
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Seen, E> {
        Ok(Seen::Index(n))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Seen, E> {
        Ok(u64::try_from(n).map_or(Seen::Other, Seen::Index))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Seen, E> {
        // `1.0` is as good an index as `1` in JavaScript.
        Ok(if n >= 0.0 && n.fract() == 0.0 && n < 9.0e15 {
            Seen::Index(n as u64)
        } else {
            Seen::Other
        })
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Seen, E> {
        Ok(Seen::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(Seen::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        let mut placeholder = false;
        let mut num = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let seen = map.next_value_seed(self)?;
            match key {
                Key::Placeholder => placeholder = matches!(seen, Seen::True),
                Key::Num => num = Some(seen),
                Key::Other => {}
            }
        }
        if let (true, Some(count)) = (placeholder, self.attachments) {
            match num {
                Some(Seen::Index(n)) if n < count as u64 => {}
                _ => return Err(de::Error::custom(PLACEHOLDER)),
            }
        }
        Ok(Seen::Other)
    }
}

enum Key {
    Placeholder,
    Num,
    Other,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E: de::Error>(self, k: &str) -> Result<Key, E> {
        Ok(match k {
            "_placeholder" => Key::Placeholder,
            "num" => Key::Num,
            _ => Key::Other,
        })
    }
}
