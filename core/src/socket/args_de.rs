//! Reading event arguments into the application's types: the whole argument list as a tuple or
//! sequence, or one argument, skipping the event name — in one pass over the JSON.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::SeqAccessDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, SeqAccess, Visitor};

/// Reads `[skip..., rest...]`: skips `skip` leading elements, then reads `rest` as one `T`
/// (`Whole`) or reads only the next element (`One`), ignoring what follows.
pub(crate) struct Rest<T> {
    pub(crate) skip: usize,
    pub(crate) one: bool,
    pub(crate) _t: PhantomData<T>,
}

impl<T> Rest<T> {
    pub(crate) fn new(skip: usize, one: bool) -> Self {
        Rest {
            skip,
            one,
            _t: PhantomData,
        }
    }
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Rest<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Rest<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of arguments")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        for _ in 0..self.skip {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(serde::de::Error::custom("missing argument"));
            }
        }
        let value = if self.one {
            seq.next_element::<T>()?
                .ok_or_else(|| serde::de::Error::custom("missing argument"))?
        } else {
            T::deserialize(SeqAccessDeserializer::new(&mut seq))?
        };
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}
