//! Data with attachments is read in one pass over the JSON text; the result must be that of
//! the tree path (parse into a `Value`, resolve the placeholders, read the type out of the
//! tree), which these tests keep as the reference.

use std::collections::BTreeMap;
use std::fmt::Debug;

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde::de::value::{SeqAccessDeserializer, SeqDeserializer};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::ser::{SerializeMap, SerializeSeq, SerializeTuple};
use serde::{Deserialize, Serialize, Serializer};
use sio_core::socket::{Event, Payload};
use sio_core::{Map, Value};

mod strategies;
use strategies::value;

#[derive(Debug, PartialEq, Deserialize)]
struct Rec {
    a: Bytes,
    #[serde(default)]
    b: Option<Bytes>,
    #[serde(default)]
    c: Vec<Bytes>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    a: Bytes,
    b: Option<u32>,
}

#[derive(Debug, PartialEq, Deserialize)]
enum Tagged {
    A(Bytes),
    B { a: Bytes },
    C,
    D(Vec<Bytes>, u32),
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
enum Untagged {
    Bin(Bytes),
    Rec(Rec),
    List(Vec<Untagged>),
}

#[derive(Debug, PartialEq, Deserialize)]
struct Newtype(Option<Bytes>);

/// The tree path: what `Payload::deserialize` did before reading in one pass.
fn tree<T: DeserializeOwned>(p: &Payload) -> Result<T, serde_json::Error> {
    p.to_value().and_then(Value::deserialize_into)
}

/// The tree path of `Event::deserialize_args` (`one` false) and `deserialize_arg` (`one` true).
fn tree_rest<T: DeserializeOwned>(
    p: &Payload,
    skip: usize,
    one: bool,
) -> Result<T, serde_json::Error> {
    let Value::Array(all) = p.to_value()? else {
        panic!("an event payload is an array")
    };
    let rest: Vec<Value> = all.into_iter().skip(skip).collect();
    if one {
        let first = rest.into_iter().next();
        first
            .ok_or_else(|| serde::de::Error::custom("missing argument"))?
            .deserialize_into()
    } else {
        let mut seq = SeqDeserializer::<_, serde_json::Error>::new(rest.into_iter());
        T::deserialize(SeqAccessDeserializer::new(&mut seq))
    }
}

fn same<T: DeserializeOwned + PartialEq + Debug>(
    what: &str,
    got: Result<T, serde_json::Error>,
    want: Result<T, serde_json::Error>,
) {
    match (got, want) {
        (Ok(got), Ok(want)) => assert_eq!(got, want, "{what}"),
        (Err(got), Err(want)) => assert_eq!(got.to_string(), want.to_string(), "{what}"),
        (got, want) => panic!("{what}: one pass gave {got:?}, the tree {want:?}"),
    }
}

/// Reads the event as `T` every way there is, through both paths.
fn check<T: DeserializeOwned + PartialEq + Debug>(e: &Event, args: usize) {
    let p = e.payload();
    let ty = std::any::type_name::<T>();
    same(&format!("payload as {ty}"), p.deserialize::<T>(), tree(p));
    same(
        &format!("args as {ty}"),
        e.deserialize_args::<T>(),
        tree_rest(p, 1, false),
    );
    for i in 0..=args {
        same(
            &format!("arg {i} as {ty}"),
            e.deserialize_arg::<T>(i),
            tree_rest(p, 1 + i, true),
        );
    }
}

fn check_all(e: &Event, args: usize) {
    check::<Value>(e, args);
    check::<Vec<Value>>(e, args);
    check::<Rec>(e, args);
    check::<Strict>(e, args);
    check::<Tagged>(e, args);
    check::<Untagged>(e, args);
    check::<Newtype>(e, args);
    check::<Vec<Bytes>>(e, args);
    check::<Option<Bytes>>(e, args);
    check::<Vec<Option<Bytes>>>(e, args);
    check::<(Bytes, Option<Bytes>)>(e, args);
    check::<(IgnoredAny, Rec)>(e, args);
    check::<(String, Vec<Bytes>, IgnoredAny)>(e, args);
    check::<BTreeMap<String, Bytes>>(e, args);
    check::<Option<Rec>>(e, args);
    check::<Bytes>(e, args);
    check::<Vec<u32>>(e, args);
    check::<()>(e, args);
}

/// JSON as a peer may write it: objects with repeated keys and placeholder-like keys in any
/// order and with any values; [`Value`] cannot hold repeated keys.
#[derive(Debug, Clone)]
enum Wire {
    Leaf(Value),
    Array(Vec<Wire>),
    Object(Vec<(&'static str, Wire)>),
}

impl Serialize for Wire {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Wire::Leaf(v) => v.serialize(s),
            Wire::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                a.iter().try_for_each(|v| seq.serialize_element(v))?;
                seq.end()
            }
            Wire::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                m.iter().try_for_each(|(k, v)| map.serialize_entry(k, v))?;
                map.end()
            }
        }
    }
}

/// Event arguments, spread.
struct Args<'a, T>(&'a [T]);

impl<T: Serialize> Serialize for Args<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(self.0.len())?;
        self.0.iter().try_for_each(|v| t.serialize_element(v))?;
        t.end()
    }
}

fn binary() -> impl Strategy<Value = Value> {
    vec(any::<u8>(), 0..8).prop_map(|b| Value::Binary(Bytes::from(b)))
}

fn wire() -> impl Strategy<Value = Wire> {
    let leaf = prop_oneof![
        3 => binary(),
        1 => Just(Value::Null),
        2 => any::<bool>().prop_map(Value::Bool),
        2 => (0u64..4).prop_map(Value::from),
        1 => Just(Value::from(-1)),
        1 => Just(Value::from(1.0)),
        1 => "[a-z]{0,2}".prop_map(Value::from),
    ]
    .prop_map(Wire::Leaf);
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Wire::Array),
            vec(
                (select(&["_placeholder", "num", "a", "b", "c"][..]), inner),
                0..4
            )
            .prop_map(Wire::Object),
        ]
    })
}

/// Values shaped like the typed targets, so that reads succeed as well as fail.
fn shaped() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        4 => binary(),
        1 => Just(Value::Null),
        1 => (0u32..3).prop_map(Value::from),
        1 => "[a-z]{0,3}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((select(&["a", "b", "c", "x"][..]), inner.clone()), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            (select(&["A", "B", "C", "D"][..]), inner)
                .prop_map(|(k, v)| Value::Object(Map::from_iter([(k, v)]))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    // Each case ends with a binary argument: without attachments, nothing goes through the
    // placeholder reader.

    #[test]
    fn any_value_reads_as_through_the_tree(mut args in vec(value(), 0..4), b in binary()) {
        args.push(b);
        check_all(&Event::from_values("ev", &args), args.len());
    }

    #[test]
    fn typed_shapes_read_as_through_the_tree(mut args in vec(shaped(), 0..4), b in binary()) {
        args.push(b);
        check_all(&Event::from_values("ev", &args), args.len());
    }

    #[test]
    fn odd_placeholders_read_as_through_the_tree(mut args in vec(wire(), 0..4), b in binary()) {
        args.push(Wire::Leaf(b));
        check_all(&Event::new("ev", &Args(&args)).unwrap(), args.len());
    }
}
