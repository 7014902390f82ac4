//! MessagePack as `notepack.io` 3.0 (the codec of `@socket.io/redis-adapter` and
//! `@socket.io/redis-emitter`) writes and reads it, over [`Value`].
//!
//! The writer makes notepack's choices, so a Node peer and sio produce the same bytes:
//! integral numbers take the smallest integer format (`1.0` is the fixint `0x01`), other
//! numbers are float 64 (notepack never writes float 32), strings take fixstr/str 8/16/32,
//! binary takes bin 8/16/32, arrays and maps their fix/16/32 forms. JavaScript's `undefined`
//! (which notepack writes as nil, and drops from objects) has no [`Value`]: it reads as `Null`.
//! The reader accepts all of MessagePack; extension types (notepack's `Date` timestamps and
//! `undefined` as `fixext 1`) read as `Null`, map keys that are not strings read as their text.

use bytes::Bytes;

use crate::socket::Value;
use crate::Map;

/// Nesting deeper than this is refused on reading (a hostile peer cannot exhaust the stack).
const MAX_DEPTH: usize = 128;

/// Why bytes are not one MessagePack value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotepackError(&'static str);

impl std::fmt::Display for NotepackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid msgpack: {}", self.0)
    }
}

impl std::error::Error for NotepackError {}

/// Encodes `value` as notepack does.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write(&mut out, value);
    out
}

/// Decodes one MessagePack value that fills `input` exactly.
pub fn decode(input: &[u8]) -> Result<Value, NotepackError> {
    let mut r = Reader { buf: input, pos: 0 };
    let v = r.value(0)?;
    if r.pos != input.len() {
        return Err(NotepackError("trailing bytes"));
    }
    Ok(v)
}

fn write(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                write_uint(out, u);
            } else if let Some(i) = n.as_i64() {
                write_int(out, i);
            } else {
                write_f64(out, n.as_f64().unwrap_or(0.0));
            }
        }
        Value::String(s) => {
            let len = s.len();
            if len < 0x20 {
                out.push(0xa0 | len as u8);
            } else if len < 0x100 {
                out.extend_from_slice(&[0xd9, len as u8]);
            } else if len < 0x10000 {
                out.push(0xda);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            } else {
                out.push(0xdb);
                out.extend_from_slice(&(len as u32).to_be_bytes());
            }
            out.extend_from_slice(s.as_bytes());
        }
        Value::Binary(b) => {
            let len = b.len();
            if len < 0x100 {
                out.extend_from_slice(&[0xc4, len as u8]);
            } else if len < 0x10000 {
                out.push(0xc5);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            } else {
                out.push(0xc6);
                out.extend_from_slice(&(len as u32).to_be_bytes());
            }
            out.extend_from_slice(b);
        }
        Value::Array(a) => {
            write_len(out, a.len(), 0x90, 0xdc, 0xdd);
            for v in a {
                write(out, v);
            }
        }
        Value::Object(m) => {
            write_len(out, m.len(), 0x80, 0xde, 0xdf);
            for (k, v) in m.iter() {
                write(out, &Value::String(k.clone()));
                write(out, v);
            }
        }
    }
}

fn write_len(out: &mut Vec<u8>, len: usize, fix: u8, b16: u8, b32: u8) {
    if len < 0x10 {
        out.push(fix | len as u8);
    } else if len < 0x10000 {
        out.push(b16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn write_uint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v < 0x100 {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v < 0x10000 {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v < 0x1_0000_0000 {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn write_int(out: &mut Vec<u8>, v: i64) {
    if v >= 0 {
        write_uint(out, v as u64);
    } else if v >= -0x20 {
        out.push(v as u8);
    } else if v >= -0x80 {
        out.extend_from_slice(&[0xd0, v as u8]);
    } else if v >= -0x8000 {
        out.push(0xd1);
        out.extend_from_slice(&(v as i16).to_be_bytes());
    } else if v >= -0x8000_0000 {
        out.push(0xd2);
        out.extend_from_slice(&(v as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn write_f64(out: &mut Vec<u8>, v: f64) {
    // notepack: `Math.floor(v) === v` takes the integer path (so 2.0 and -0 are integers).
    if v.is_finite() && v.floor() == v && v.abs() < 9_007_199_254_740_992.0 {
        if v >= 0.0 {
            write_uint(out, v as u64);
        } else {
            write_int(out, v as i64);
        }
        return;
    }
    out.push(0xcb);
    out.extend_from_slice(&v.to_be_bytes());
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], NotepackError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or(NotepackError("truncated"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, NotepackError> {
        Ok(self.take(1)?[0])
    }

    fn be(&mut self, n: usize) -> Result<u64, NotepackError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn value(&mut self, depth: usize) -> Result<Value, NotepackError> {
        if depth > MAX_DEPTH {
            return Err(NotepackError("nested too deeply"));
        }
        let b = self.u8()?;
        Ok(match b {
            0x00..=0x7f => Value::from(b),
            0x80..=0x8f => self.map(usize::from(b & 0x0f), depth)?,
            0x90..=0x9f => self.array(usize::from(b & 0x0f), depth)?,
            0xa0..=0xbf => self.str(usize::from(b & 0x1f))?,
            0xc0 => Value::Null,
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4..=0xc6 => {
                let n = self.be(1 << (b - 0xc4))? as usize;
                Value::Binary(Bytes::copy_from_slice(self.take(n)?))
            }
            0xc7..=0xc9 => {
                let n = self.be(1 << (b - 0xc7))? as usize;
                self.take(n + 1)?;
                Value::Null
            }
            0xca => Value::from(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => Value::from(f64::from_bits(self.be(8)?)),
            0xcc..=0xcf => Value::from(self.be(1 << (b - 0xcc))?),
            0xd0 => Value::from(self.be(1)? as u8 as i8),
            0xd1 => Value::from(self.be(2)? as u16 as i16),
            0xd2 => Value::from(self.be(4)? as u32 as i32),
            0xd3 => Value::from(self.be(8)? as i64),
            0xd4..=0xd8 => {
                self.take(1 + (1 << (b - 0xd4)))?;
                Value::Null
            }
            0xd9..=0xdb => {
                let n = self.be(1 << (b - 0xd9))? as usize;
                self.str(n)?
            }
            0xdc | 0xdd => {
                let n = self.be(2 << (b - 0xdc))? as usize;
                self.array(n, depth)?
            }
            0xde | 0xdf => {
                let n = self.be(2 << (b - 0xde))? as usize;
                self.map(n, depth)?
            }
            0xe0..=0xff => Value::from(b as i8),
            0xc1 => return Err(NotepackError("reserved byte 0xc1")),
        })
    }

    fn str(&mut self, n: usize) -> Result<Value, NotepackError> {
        let s = std::str::from_utf8(self.take(n)?).map_err(|_| NotepackError("bad utf-8"))?;
        Ok(Value::String(s.to_owned()))
    }

    fn array(&mut self, n: usize, depth: usize) -> Result<Value, NotepackError> {
        // Every element takes at least one byte: a length beyond the input is a lie.
        if n > self.buf.len() - self.pos {
            return Err(NotepackError("truncated"));
        }
        let mut a = Vec::with_capacity(n);
        for _ in 0..n {
            a.push(self.value(depth + 1)?);
        }
        Ok(Value::Array(a))
    }

    fn map(&mut self, n: usize, depth: usize) -> Result<Value, NotepackError> {
        if n > (self.buf.len() - self.pos) / 2 {
            return Err(NotepackError("truncated"));
        }
        let mut m = Map::with_capacity(n);
        for _ in 0..n {
            let key = match self.value(depth + 1)? {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => "null".to_owned(),
            };
            let v = self.value(depth + 1)?;
            m.insert(key, v);
        }
        Ok(Value::Object(m))
    }
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
