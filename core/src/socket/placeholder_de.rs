//! Reading data with attachments into the application's type in one pass over the JSON text: a
//! deserializer adapter over serde_json's that hands each placeholder's attachment to the
//! visitor as bytes.
//!
//! The result is that of the tree path it replaces: parse into a [`Value`], resolve the
//! placeholders, read the type out of the tree (`value_de.rs`). Scalars, and objects whose first
//! key is `_placeholder` or `num` (a placeholder, in either order of its keys), go through the
//! `Value` deserializer itself, as does an object read as an enum; other arrays and objects are
//! streamed with the behaviour of its `SeqDeserializer` and `MapDeserializer`. Streaming cannot
//! match the tree for two kinds of streamed object: one with a repeated key (the tree keeps the
//! last value, as JavaScript does) and one with a later `_placeholder` key (it stands for an
//! attachment, but its first entries were handed over already). On meeting either, the
//! reader gives up and the caller reads through the tree; so it does on any error, which
//! streaming may meet before what the tree would have replaced. The wire form written by every
//! Socket.IO implementation, `{"_placeholder":true,"num":N}`, never needs the tree.
//!
//! Deliberate differences, all what serde_json does for data without attachments: a string read
//! with no particular hint reaches the visitor as `visit_borrowed_str` (or `visit_str`) rather
//! than `visit_string`, and so do object keys; a value read as `IgnoredAny` is skipped by
//! serde_json without being looked at (the tree, parsed whole, failed on one nested deeper than
//! serde_json's recursion limit, which only a payload built locally can hold).

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;
use smallvec::SmallVec;

use super::payload::resolve_placeholders;
use super::value::{Map, Value};

mod stream;
#[cfg(test)]
mod tests;

use stream::{MapDe, SeqDe};

const PLACEHOLDER: &str = "_placeholder";
const NUM: &str = "num";

/// Reads `seed` from `json`, whose placeholders point at `attachments`, in one pass. `None` when
/// that fails, or when the text holds an object that cannot be streamed faithfully (see the
/// module documentation): the caller then reads through the tree, whose result (error included)
/// is the reference. An error must be left to the tree: streaming may fail on an entry the tree
/// would have replaced (by a repeated key's last value, or by the attachment the object stands
/// for) before seeing what replaces it.
pub(crate) fn read<'de, S: DeserializeSeed<'de>>(
    json: &'de str,
    attachments: &[Bytes],
    seed: S,
) -> Option<S::Value> {
    let cx = Cx {
        attachments,
        gave_up: Cell::new(false),
    };
    let mut de = serde_json::Deserializer::from_str(json);
    let out = seed.deserialize(De {
        inner: &mut de,
        cx: &cx,
    });
    let out = out.and_then(|v| de.end().map(|()| v)).ok()?;
    // Checked even after a success: a visitor may have swallowed the error that gave up.
    (!cx.gave_up.get()).then_some(out)
}

/// What one read shares: the attachments, and whether it gave up.
struct Cx<'a> {
    attachments: &'a [Bytes],
    gave_up: Cell<bool>,
}

impl Cx<'_> {
    fn give_up<E: de::Error>(&self) -> E {
        self.gave_up.set(true);
        E::custom("an object the one-pass reader cannot stream")
    }
}

/// The hints under which the `Value` deserializer behaves differently; it forwards every other
/// one to `deserialize_any` (`deserialize_bytes` included: a binary value is visited as bytes
/// under any hint).
#[derive(Clone, Copy)]
enum Hint {
    Any,
    Option,
    Newtype(&'static str),
    Enum(&'static str, &'static [&'static str]),
    Unit,
}

impl Hint {
    fn apply<'de, D: Deserializer<'de>, V: Visitor<'de>>(
        self,
        d: D,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        match self {
            Hint::Any => d.deserialize_any(visitor),
            Hint::Option => d.deserialize_option(visitor),
            Hint::Newtype(name) => d.deserialize_newtype_struct(name, visitor),
            Hint::Enum(name, variants) => d.deserialize_enum(name, variants, visitor),
            Hint::Unit => d.deserialize_unit(visitor),
        }
    }

    /// Through the `Value` deserializer, its error carried over.
    fn apply_value<'de, V: Visitor<'de>, E: de::Error>(
        self,
        value: Value,
        visitor: V,
    ) -> Result<V::Value, E> {
        self.apply(value, visitor).map_err(E::custom)
    }
}

/// One JSON value of the text, read as the `Value` deserializer reads its resolved tree.
struct De<'c, D> {
    inner: D,
    cx: &'c Cx<'c>,
}

impl<'de, D: Deserializer<'de>> De<'_, D> {
    fn read<V: Visitor<'de>>(self, hint: Hint, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(Dispatch {
            hint,
            visitor,
            cx: self.cx,
        })
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for De<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.read(Hint::Any, visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.read(Hint::Option, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.read(Hint::Newtype(name), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.read(Hint::Enum(name, variants), visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.read(Hint::Unit, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        // Skipped by serde_json's fast path: whatever the value is, it is ignored.
        self.inner.deserialize_ignored_any(visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// Seeds the values of a streamed array or object through [`De`].
struct Seed<'c, S> {
    seed: S,
    cx: &'c Cx<'c>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(De {
            inner: d,
            cx: self.cx,
        })
    }
}

/// Receives what serde_json found and hands it to the real visitor under the hint it asked
/// with.
struct Dispatch<'c, V> {
    hint: Hint,
    visitor: V,
    cx: &'c Cx<'c>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Dispatch<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.hint.apply_value(Value::Null, self.visitor)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<V::Value, E> {
        self.hint.apply_value(Value::Bool(v), self.visitor)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.hint.apply_value(Value::from(v), self.visitor)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.hint.apply_value(Value::from(v), self.visitor)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.hint.apply_value(Value::from(v), self.visitor)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        match self.hint {
            Hint::Any => self.visitor.visit_borrowed_str(v),
            hint => hint.apply_value(Value::String(v.to_owned()), self.visitor),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        match self.hint {
            Hint::Any => self.visitor.visit_str(v),
            hint => hint.apply_value(Value::String(v.to_owned()), self.visitor),
        }
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        match self.hint {
            Hint::Any => self.visitor.visit_string(v),
            hint => hint.apply_value(Value::String(v), self.visitor),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.hint.apply(SeqDe::new(seq, self.cx), self.visitor)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
        match map.next_key_seed(KeySeed)? {
            // A placeholder, in either order of its keys (or an object that starts like one).
            Some(first) if first == PLACEHOLDER || first == NUM => {
                let value = read_object(map, first, self.cx)?;
                self.hint.apply_value(value, self.visitor)
            }
            first => self
                .hint
                .apply(MapDe::new(map, first, self.cx), self.visitor),
        }
    }
}

/// An object read whole (its first key, `first`, read already) and resolved as
/// `resolve_placeholders` resolves it in the tree: attachment `num` (`null` when out of range)
/// if the last `_placeholder` is `true`, else the object with its own placeholders resolved.
fn read_object<'de, A: MapAccess<'de>>(
    mut map: A,
    first: Cow<'de, str>,
    cx: &Cx<'_>,
) -> Result<Value, A::Error> {
    let mut entries: SmallVec<[(Cow<'de, str>, Value); 2]> = SmallVec::new();
    entries.push((first, map.next_value()?));
    while let Some(key) = map.next_key_seed(KeySeed)? {
        let value = map.next_value()?;
        entries.push((key, value));
    }
    let last = |name: &str| {
        entries
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    };
    if last(PLACEHOLDER) == Some(&Value::Bool(true)) {
        return Ok(last(NUM)
            .and_then(Value::as_u64)
            .and_then(|n| cx.attachments.get(usize::try_from(n).ok()?))
            .map_or(Value::Null, |b| Value::Binary(b.clone())));
    }
    let entries = entries.into_iter().map(|(k, v)| (k.into_owned(), v));
    let mut object = Value::Object(Map::from_decoded(entries.collect()));
    resolve_placeholders(&mut object, cx.attachments);
    Ok(object)
}

/// Reads an object key as text, borrowed from the JSON when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}
