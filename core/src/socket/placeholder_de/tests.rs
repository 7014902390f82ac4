//! Placeholders as a peer may write them: which are read in one pass, and that every one reads
//! as through the tree. (`core/tests/placeholder_read.rs` compares both paths on generated data.)

use std::collections::BTreeMap;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::read;
use crate::socket::payload::Payload;
use crate::socket::value::{Map, Value};
use crate::Str;

fn att() -> Vec<Bytes> {
    vec![Bytes::from_static(b"zero"), Bytes::from_static(b"one")]
}

fn payload(json: &str) -> Payload {
    Payload::from_parts(Str::from(json.to_owned()), att())
}

/// The one-pass read alone: `None` when it leaves the data to the tree.
fn one_pass<T: DeserializeOwned>(json: &str) -> Option<T> {
    read(json, &att(), PhantomData)
}

/// The public read, checked against the tree path (error text included).
fn deserialize<T: DeserializeOwned + PartialEq + std::fmt::Debug>(
    json: &str,
) -> Result<T, serde_json::Error> {
    let p = payload(json);
    let got = p.deserialize::<T>();
    let tree = p.to_value().and_then(Value::deserialize_into::<T>);
    match (&got, &tree) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{json}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{json}"),
        _ => panic!("{json}: one pass {got:?}, tree {tree:?}"),
    }
    got
}

fn zero() -> Bytes {
    att()[0].clone()
}

#[derive(Debug, PartialEq, Deserialize)]
struct Upload {
    name: String,
    data: Bytes,
    thumbs: Vec<Bytes>,
    extra: Option<Bytes>,
}

#[derive(Debug, PartialEq, Deserialize)]
enum Tagged {
    A(Bytes),
    B { b: Option<Bytes> },
}

#[test]
fn the_usual_wire_form_is_read_in_one_pass_at_any_depth() {
    let json = concat!(
        r#"["up",{"name":"a","data":{"_placeholder":true,"num":0},"#,
        r#""thumbs":[{"_placeholder":true,"num":1}],"extra":null}]"#
    );
    let want = Upload {
        name: "a".into(),
        data: zero(),
        thumbs: vec![att()[1].clone()],
        extra: None,
    };
    assert_eq!(
        one_pass::<(String, Upload)>(json),
        Some(("up".into(), want))
    );
    let v = one_pass::<Value>(r#"[[{"x":{"_placeholder":true,"num":1}}]]"#).unwrap();
    assert_eq!(
        v,
        deserialize::<Value>(r#"[[{"x":{"_placeholder":true,"num":1}}]]"#).unwrap()
    );
    let tagged = r#"[{"A":{"_placeholder":true,"num":0}},{"B":{"b":null}}]"#;
    assert_eq!(
        one_pass::<Vec<Tagged>>(tagged),
        Some(vec![Tagged::A(zero()), Tagged::B { b: None }])
    );
}

#[test]
fn keys_in_the_other_order_make_a_placeholder_too() {
    let json = r#"[{"num":0,"_placeholder":true}]"#;
    assert_eq!(one_pass::<(Bytes,)>(json), Some((zero(),)));
    assert_eq!(deserialize::<(Bytes,)>(json).unwrap(), (zero(),));
    // Escaped keys are the same keys.
    let json = r#"[{"\u005fplaceholder":true,"n\u0075m":0}]"#;
    assert_eq!(one_pass::<(Bytes,)>(json), Some((zero(),)));
}

#[test]
fn extra_keys_do_not_unmake_a_placeholder() {
    let json = r#"[{"_placeholder":true,"num":0,"x":[1]}]"#;
    assert_eq!(one_pass::<(Bytes,)>(json), Some((zero(),)));
    assert_eq!(deserialize::<(Bytes,)>(json).unwrap(), (zero(),));
    // `_placeholder` after another key: streaming has handed `x` over already, so the tree
    // reads it.
    let late = r#"[{"x":1,"num":0,"_placeholder":true}]"#;
    assert_eq!(one_pass::<Value>(late), None);
    assert_eq!(
        deserialize::<Value>(late).unwrap(),
        Value::Array(vec![Value::Binary(zero())])
    );
    assert_eq!(deserialize::<(Bytes,)>(late).unwrap(), (zero(),));
}

#[test]
fn a_num_out_of_range_or_not_an_index_is_null() {
    for num in ["2", "1.0", "-1", "\"0\"", "null", "18446744073709551616"] {
        let json = format!(r#"[{{"_placeholder":true,"num":{num}}}]"#);
        assert_eq!(one_pass::<(Option<Bytes>,)>(&json), Some((None,)), "{json}");
        assert_eq!(deserialize::<(Option<Bytes>,)>(&json).unwrap(), (None,));
        assert_eq!(
            deserialize::<Value>(&json).unwrap(),
            Value::Array(vec![Value::Null])
        );
        assert!(deserialize::<(Bytes,)>(&json).is_err());
    }
    // No `num` at all.
    let json = r#"[{"_placeholder":true}]"#;
    assert_eq!(deserialize::<(Option<Bytes>,)>(json).unwrap(), (None,));
}

#[test]
fn an_object_whose_placeholder_is_not_true_is_an_object() {
    let json = r#"[{"_placeholder":false,"num":{"_placeholder":true,"num":1}}]"#;
    let want: Map = [
        ("_placeholder", Value::Bool(false)),
        ("num", Value::Binary(att()[1].clone())),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        deserialize::<Value>(json).unwrap(),
        Value::Array(vec![Value::Object(want)])
    );
    // The last of repeated `_placeholder` keys decides.
    let json = r#"[{"_placeholder":true,"num":0,"_placeholder":false}]"#;
    assert!(matches!(
        deserialize::<(Value,)>(json).unwrap().0,
        Value::Object(_)
    ));
    let json = r#"[{"_placeholder":false,"num":0,"_placeholder":true}]"#;
    assert_eq!(deserialize::<(Bytes,)>(json).unwrap(), (zero(),));
}

#[test]
fn repeated_keys_keep_their_last_value_as_in_the_tree() {
    let json = r#"[{"a":1,"b":2,"a":{"_placeholder":true,"num":0}}]"#;
    assert_eq!(one_pass::<(BTreeMap<String, Value>,)>(json), None);
    let (m,) = deserialize::<(BTreeMap<String, Value>,)>(json).unwrap();
    assert_eq!(m["a"], Value::Binary(zero()));
    #[derive(Debug, PartialEq, Deserialize)]
    struct A {
        a: Bytes,
    }
    // Streaming fails on `1` before it sees the repeat; the tree has only the last `a`.
    let (a,) = deserialize::<(A,)>(json).unwrap();
    assert_eq!(a.a, zero());
}

#[test]
fn a_type_mismatch_is_still_an_error() {
    for json in [
        r#"[{"_placeholder":true,"num":0}]"#,
        r#"[[{"_placeholder":true,"num":0}]]"#,
        r#"[{"x":{"_placeholder":true,"num":0}}]"#,
    ] {
        assert!(deserialize::<(u32,)>(json).is_err());
        assert!(deserialize::<(bool,)>(json).is_err());
        assert!(deserialize::<((),)>(json).is_err());
        assert!(deserialize::<(Tagged,)>(json).is_err());
    }
    assert!(
        deserialize::<(Upload,)>(r#"[{"name":"a","data":{"_placeholder":true,"num":0}}]"#).is_err()
    );
    // Elements left over by a tuple are an error, as in the tree.
    assert!(deserialize::<((u32,),)>(r#"[[1,{"_placeholder":true,"num":0}]]"#).is_err());
}

#[test]
fn deep_nesting_reads_within_the_recursion_limit() {
    let depth = 120;
    let json = format!(
        "{}{{\"_placeholder\":true,\"num\":0}}{}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let mut v = one_pass::<Value>(&json).unwrap();
    for _ in 0..depth {
        let Value::Array(mut a) = v else {
            panic!("not an array")
        };
        v = a.pop().unwrap();
    }
    assert_eq!(v, Value::Binary(zero()));
}
