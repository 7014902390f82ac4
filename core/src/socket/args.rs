//! Event arguments from a serializable value: a tuple is spread into several arguments,
//! `()` means none, anything else is one argument.
//!
//! This is a thin wrapper over serde_json's serializer: it only decides, at the top level,
//! where the separators between arguments go; everything below the top level is serde_json's
//! own code path (through [`JsFormatter`](super::json::JsFormatter)).

use std::cell::Cell;
use std::io::Write;

use serde::ser::{Serialize, SerializeTuple, Serializer};
use serde_json::ser::{Compound, Formatter};

type JsonSer<W, F> = serde_json::Serializer<W, F>;

pub(crate) struct Spreader<'s, W, F> {
    pub(crate) ser: &'s mut JsonSer<W, F>,
    pub(crate) sep: &'s Cell<bool>,
}

pub(crate) struct SpreadTuple<'s, W, F> {
    ser: &'s mut JsonSer<W, F>,
    sep: &'s Cell<bool>,
}

macro_rules! one_argument {
    ($($name:ident($($arg:ident: $t:ty),*) -> $ret:ty;)*) => {$(
        fn $name(self, $($arg: $t),*) -> Result<$ret, serde_json::Error> {
            self.sep.set(true);
            self.ser.$name($($arg),*)
        }
    )*};
}

impl<'s, W: Write, F: Formatter> Serializer for Spreader<'s, W, F> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Compound<'s, W, F>;
    type SerializeTuple = SpreadTuple<'s, W, F>;
    type SerializeTupleStruct = Compound<'s, W, F>;
    type SerializeTupleVariant = Compound<'s, W, F>;
    type SerializeMap = Compound<'s, W, F>;
    type SerializeStruct = Compound<'s, W, F>;
    type SerializeStructVariant = Compound<'s, W, F>;

    one_argument! {
        serialize_bool(v: bool) -> ();
        serialize_i8(v: i8) -> ();
        serialize_i16(v: i16) -> ();
        serialize_i32(v: i32) -> ();
        serialize_i64(v: i64) -> ();
        serialize_i128(v: i128) -> ();
        serialize_u8(v: u8) -> ();
        serialize_u16(v: u16) -> ();
        serialize_u32(v: u32) -> ();
        serialize_u64(v: u64) -> ();
        serialize_u128(v: u128) -> ();
        serialize_f32(v: f32) -> ();
        serialize_f64(v: f64) -> ();
        serialize_char(v: char) -> ();
        serialize_str(v: &str) -> ();
        serialize_bytes(v: &[u8]) -> ();
        serialize_none() -> ();
        serialize_unit_struct(name: &'static str) -> ();
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> ();
        serialize_seq(len: Option<usize>) -> Self::SerializeSeq;
        serialize_tuple_struct(name: &'static str, len: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Self::SerializeTupleVariant;
        serialize_map(len: Option<usize>) -> Self::SerializeMap;
        serialize_struct(name: &'static str, len: usize) -> Self::SerializeStruct;
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), serde_json::Error> {
        self.sep.set(true);
        self.ser.serialize_some(v)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), serde_json::Error> {
        self.sep.set(true);
        self.ser.serialize_newtype_variant(name, index, variant, v)
    }

    /// A newtype is transparent: `Args((a, b))` spreads like `(a, b)`.
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        v: &T,
    ) -> Result<(), serde_json::Error> {
        v.serialize(self)
    }

    /// `()`: no argument at all.
    fn serialize_unit(self) -> Result<(), serde_json::Error> {
        Ok(())
    }

    /// A tuple: each element is one argument.
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, serde_json::Error> {
        Ok(SpreadTuple {
            ser: self.ser,
            sep: self.sep,
        })
    }
}

impl<W: Write, F: Formatter> SerializeTuple for SpreadTuple<'_, W, F> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Self::Error> {
        self.sep.set(true);
        v.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A list of values sent as that many event (or ack) arguments: it serializes as a tuple, so
/// `emit("e", &Spread(vec![a, b]))` sends two arguments where a `Vec` would send one array.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread<T>(pub Vec<T>);

impl<T: Serialize> Serialize for Spread<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(self.0.len())?;
        for v in &self.0 {
            t.serialize_element(v)?;
        }
        t.end()
    }
}
