//! Arrays and objects streamed with the behaviour the `Value` deserializer has for
//! `Value::Array` and `Value::Object` (those of serde's `SeqDeserializer` and `MapDeserializer`).

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, Expected, IgnoredAny, MapAccess, SeqAccess, Unexpected,
    Visitor,
};
use serde::forward_to_deserialize_any;
use smallvec::SmallVec;

use super::{Cx, Hint, KeySeed, Seed, PLACEHOLDER};
use crate::socket::payload::resolve_placeholders;
use crate::socket::value::{Map, Value};
use crate::socket::value_de::ENUM_EXPECTED;

/// A streamed array, with the behaviour of the `Value` deserializer's for `Value::Array`.
pub(super) struct SeqDe<'c, A> {
    seq: A,
    /// Elements handed over so far.
    count: usize,
    cx: &'c Cx<'c>,
}

impl<'c, 'de, A: SeqAccess<'de>> SeqDe<'c, A> {
    pub(super) fn new(seq: A, cx: &'c Cx<'c>) -> Self {
        SeqDe { seq, count: 0, cx }
    }

    /// As `SeqDeserializer::end`: elements left unread are an error.
    fn end(mut self) -> Result<(), A::Error> {
        let mut remaining = 0;
        while self.seq.next_element::<IgnoredAny>()?.is_some() {
            remaining += 1;
        }
        match remaining {
            0 => Ok(()),
            n => Err(de::Error::invalid_length(
                self.count + n,
                &InContainer(self.count, "sequence"),
            )),
        }
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for SeqDe<'_, A> {
    type Error = A::Error;
    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let cx = self.cx;
        let v = self.seq.next_element_seed(Seed { seed, cx })?;
        self.count += usize::from(v.is_some());
        Ok(v)
    }
}

impl<'de, A: SeqAccess<'de>> Deserializer<'de> for SeqDe<'_, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, A::Error> {
        let v = visitor.visit_seq(&mut self)?;
        self.end()?;
        Ok(v)
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_some(self)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_newtype_struct(self)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, A::Error> {
        Err(de::Error::invalid_type(Unexpected::Seq, &ENUM_EXPECTED))
    }
    fn deserialize_unit<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, A::Error> {
        Err(de::Error::invalid_type(Unexpected::Seq, &"null"))
    }
    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// A streamed object (not a placeholder: its first key is neither `_placeholder` nor `num`),
/// with the behaviour of the `Value` deserializer's for `Value::Object`.
pub(super) struct MapDe<'c, 'de, A> {
    map: A,
    /// The first key, read to tell a placeholder, not handed over yet.
    first: Option<Cow<'de, str>>,
    seen: Seen<'de>,
    /// Entries handed over so far.
    count: usize,
    cx: &'c Cx<'c>,
}

impl<'c, 'de, A: MapAccess<'de>> MapDe<'c, 'de, A> {
    /// `first` is the first key, read already (`None` for an empty object).
    pub(super) fn new(map: A, first: Option<Cow<'de, str>>, cx: &'c Cx<'c>) -> Self {
        let mut seen = Seen::default();
        if let Some(key) = &first {
            seen.insert(key.clone());
        }
        MapDe {
            map,
            first,
            seen,
            count: 0,
            cx,
        }
    }

    /// The next key; a repeated one or a late `_placeholder` make the reader give up.
    fn key(&mut self) -> Result<Option<Cow<'de, str>>, A::Error> {
        if let Some(key) = self.first.take() {
            return Ok(Some(key));
        }
        match self.map.next_key_seed(KeySeed)? {
            Some(key) if key == PLACEHOLDER || !self.seen.insert(key.clone()) => {
                Err(self.cx.give_up())
            }
            key => Ok(key),
        }
    }

    /// As `MapDeserializer::end`: entries left unread are an error.
    fn end(mut self) -> Result<(), A::Error> {
        let mut remaining = 0;
        while self.key()?.is_some() {
            self.map.next_value::<IgnoredAny>()?;
            remaining += 1;
        }
        match remaining {
            0 => Ok(()),
            n => Err(de::Error::invalid_length(
                self.count + n,
                &InContainer(self.count, "map"),
            )),
        }
    }

    /// The whole object (none of it handed over yet) as its resolved tree.
    fn into_value(mut self) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        if let Some(key) = self.first.take() {
            entries.push((key.into_owned(), self.map.next_value()?));
        }
        while let Some(key) = self.map.next_key_seed(KeySeed)? {
            entries.push((key.into_owned(), self.map.next_value()?));
        }
        let mut object = Value::Object(Map::from_decoded(entries));
        resolve_placeholders(&mut object, self.cx.attachments);
        Ok(object)
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for MapDe<'_, 'de, A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.key()? else {
            return Ok(None);
        };
        self.count += 1;
        match key {
            Cow::Borrowed(k) => seed.deserialize(BorrowedStrDeserializer::new(k)),
            Cow::Owned(k) => seed.deserialize(StringDeserializer::new(k)),
        }
        .map(Some)
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let cx = self.cx;
        self.map.next_value_seed(Seed { seed, cx })
    }
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for MapDe<'_, 'de, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, A::Error> {
        let v = visitor.visit_map(&mut self)?;
        self.end()?;
        Ok(v)
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_some(self)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_newtype_struct(self)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        // Whether the object has one key is known only at its end: read it whole.
        Hint::Enum(name, variants).apply_value(self.into_value()?, visitor)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, A::Error> {
        Err(de::Error::invalid_type(Unexpected::Map, &"null"))
    }
    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// The keys of one object so far, to notice a repeated one.
#[derive(Default)]
struct Seen<'de> {
    keys: SmallVec<[Cow<'de, str>; 8]>,
    /// Replaces `keys` once the object is large, so that a peer cannot make this quadratic.
    set: Option<hashbrown::HashSet<Cow<'de, str>>>,
}

impl<'de> Seen<'de> {
    /// Records `key`; false if it was there already.
    fn insert(&mut self, key: Cow<'de, str>) -> bool {
        if let Some(set) = &mut self.set {
            return set.insert(key);
        }
        if self.keys.contains(&key) {
            return false;
        }
        self.keys.push(key);
        if self.keys.len() > 16 {
            self.set = Some(self.keys.drain(..).collect());
        }
        true
    }
}

/// The expectation of serde's `SeqDeserializer`/`MapDeserializer` when entries are left over.
struct InContainer(usize, &'static str);

impl Expected for InContainer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => write!(f, "1 element in {}", self.1),
            n => write!(f, "{n} elements in {}", self.1),
        }
    }
}
