//! The tree codec: a [`Value`] as MessagePack and back, as `notepack.io` 3.0 (the codec of
//! `@socket.io/redis-adapter` and `@socket.io/redis-emitter`) writes and reads it.
//!
//! JavaScript's `undefined` (which notepack 3 writes as nil, and drops from objects) has no
//! [`Value`]: it reads as `Null`. The reader accepts all of MessagePack; extension types
//! (notepack's `Date` timestamps and `undefined` as `fixext 1`) read as `Null`, map keys that
//! are not strings read as their text.

use bytes::Bytes;

use super::read::{Reader, Token};
use super::{write, MsgPackError, MAX_DEPTH};
use crate::socket::Value;
use crate::Map;

/// Encodes `value` as notepack does.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_value(&mut out, value);
    out
}

/// Decodes one MessagePack value that fills `input` exactly.
pub fn decode(input: &[u8]) -> Result<Value, MsgPackError> {
    let mut r = Reader::new(input);
    let v = read_value(&mut r, 0)?;
    if !r.at_end() {
        return Err(MsgPackError("trailing bytes"));
    }
    Ok(v)
}

fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => write::nil(out),
        Value::Bool(b) => write::bool(out, *b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                write::uint(out, u);
            } else if let Some(i) = n.as_i64() {
                write::int(out, i);
            } else {
                write::f64(out, n.as_f64().unwrap_or(0.0));
            }
        }
        Value::String(s) => write::str(out, s.as_bytes()),
        Value::Binary(b) => write::bin(out, b),
        Value::Array(a) => {
            write::array_len(out, a.len());
            for v in a {
                write_value(out, v);
            }
        }
        Value::Object(m) => {
            write::map_len(out, m.len());
            for (k, v) in m.iter() {
                write::str(out, k.as_bytes());
                write_value(out, v);
            }
        }
    }
}

fn read_value(r: &mut Reader<'_>, depth: usize) -> Result<Value, MsgPackError> {
    if depth > MAX_DEPTH {
        return Err(MsgPackError("nested too deeply"));
    }
    Ok(match r.next()? {
        Token::Nil | Token::Ext { .. } => Value::Null,
        Token::Bool(b) => Value::Bool(b),
        Token::UInt(u) => Value::from(u),
        Token::NegInt(i) => Value::from(i),
        Token::F32(f) => Value::from(f64::from(f)),
        Token::F64(f) => Value::from(f),
        Token::Str(s) => Value::String(utf8(s)?),
        Token::Bin(b) => Value::Binary(Bytes::copy_from_slice(b)),
        Token::Array(n) => {
            let mut a = Vec::with_capacity(n);
            for _ in 0..n {
                a.push(read_value(r, depth + 1)?);
            }
            Value::Array(a)
        }
        Token::Map(n) => {
            let mut m = Map::with_capacity(n);
            for _ in 0..n {
                let key = match read_value(r, depth + 1)? {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => "null".to_owned(),
                };
                let v = read_value(r, depth + 1)?;
                m.insert(key, v);
            }
            Value::Object(m)
        }
    })
}

fn utf8(s: &[u8]) -> Result<String, MsgPackError> {
    std::str::from_utf8(s)
        .map(str::to_owned)
        .map_err(|_| MsgPackError("bad utf-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(v: Value) -> Value {
        decode(&encode(&v)).unwrap()
    }

    #[test]
    fn integral_floats_are_written_as_integers() {
        assert_eq!(encode(&Value::from(2.0)), vec![0x02]);
        assert_eq!(encode(&Value::from(-1.0)), vec![0xff]);
        assert_eq!(encode(&Value::from(300u32)), vec![0xcd, 0x01, 0x2c]);
        assert_eq!(encode(&Value::from(-200)), vec![0xd1, 0xff, 0x38]);
        let mut f = vec![0xcb];
        f.extend_from_slice(&1.5f64.to_be_bytes());
        assert_eq!(encode(&Value::from(1.5)), f);
    }

    #[test]
    fn values_round_trip() {
        let v = Value::Array(vec![
            Value::from("abc"),
            Value::from("x".repeat(40)),
            Value::Binary(Bytes::from_static(&[1, 2, 3])),
            Value::Null,
            Value::Bool(true),
            Value::from(u64::MAX),
            Value::from(i64::MIN),
            Value::Object(Map::from_iter([("k", Value::from(1u8))])),
        ]);
        assert_eq!(rt(v.clone()), v);
    }

    #[test]
    fn lies_about_lengths_are_errors() {
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0xc6, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0x91]).is_err());
        assert!(decode(&[0x01, 0x02]).is_err());
        let deep = vec![0x91; 1000];
        assert!(decode(&deep).is_err());
    }
}
