//! Received MessagePack data → the JSON text with placeholders and the attachments a
//! [`Payload`](crate::socket::Payload) holds, in one pass and without a tree.
//!
//! What a Node application would see of the same data under the default parser is what comes
//! out: binary becomes an attachment (sharing the received buffer), numbers are written as
//! JavaScript writes them (a float 64 `2.0` is `2`, NaN is `null`), notepack's `undefined`
//! is `null` in arrays and drops its key in objects (as `JSON.stringify`), its `Date` is the
//! ISO text `Date#toJSON` gives, and strings that are not UTF-8 are read lossily, as Node's
//! `Buffer#toString` reads them.

use std::borrow::Cow;

use bytes::Bytes;

use crate::msgpack::read::{Reader, Token};
use crate::msgpack::MAX_DEPTH;
use crate::socket::json::{write_js_number, write_placeholder, write_str, JsNumber};
use crate::socket::packet::push_u64;
use crate::socket::DecodeError;

/// Writes MessagePack values read from `input` as JSON.
pub(super) struct ToJson<'a> {
    pub(super) r: Reader<'a>,
    input: &'a Bytes,
    pub(super) out: Vec<u8>,
    pub(super) attachments: Vec<Bytes>,
    /// Binary as Node's `Buffer#toJSON` (`{"type":"Buffer","data":[…]}`) instead of
    /// attachments: for CONNECT and CONNECT_ERROR, which have none under the default parser.
    buffers_as_json: bool,
}

fn bad<T>(_: T) -> DecodeError {
    DecodeError::InvalidMsgPack
}

impl<'a> ToJson<'a> {
    pub(super) fn new(input: &'a Bytes, at: usize, buffers_as_json: bool) -> Self {
        let mut r = Reader::new(input);
        r.seek(at);
        ToJson {
            r,
            input,
            out: Vec::with_capacity(input.len() + 16),
            attachments: Vec::new(),
            buffers_as_json,
        }
    }

    /// Writes the value at the reader's position, at nesting `depth` (the packet's data is 1).
    pub(super) fn value(&mut self, depth: usize) -> Result<(), DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::InvalidMsgPack);
        }
        match self.r.next().map_err(bad)? {
            Token::Nil => self.out.extend_from_slice(b"null"),
            Token::Bool(true) => self.out.extend_from_slice(b"true"),
            Token::Bool(false) => self.out.extend_from_slice(b"false"),
            Token::UInt(u) => push_u64(&mut self.out, u),
            Token::NegInt(i) => {
                self.out.push(b'-');
                push_u64(&mut self.out, i.unsigned_abs());
            }
            // Node reads a float 32 into a double: its text is that double's.
            Token::F32(f) => self.number(f64::from(f)),
            Token::F64(f) => self.number(f),
            Token::Str(s) => write_str(&mut self.out, &String::from_utf8_lossy(s)),
            Token::Bin(b) => self.binary(b),
            Token::Array(n) => {
                self.out.push(b'[');
                for i in 0..n {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.value(depth + 1)?;
                }
                self.out.push(b']');
            }
            Token::Map(n) => {
                self.out.push(b'{');
                let mut first = true;
                for _ in 0..n {
                    let key = self.key()?;
                    if self.r.peek_undefined() {
                        self.r.skip().map_err(bad)?;
                        continue;
                    }
                    if !std::mem::replace(&mut first, false) {
                        self.out.push(b',');
                    }
                    write_str(&mut self.out, &key);
                    self.out.push(b':');
                    self.value(depth + 1)?;
                }
                self.out.push(b'}');
            }
            Token::Ext { format, kind, data } => self.ext(format, kind, data, depth)?,
        }
        Ok(())
    }

    fn number(&mut self, f: f64) {
        // Writing to a Vec cannot fail.
        let _ = write_js_number(&mut self.out, JsNumber::F64(f));
    }

    fn binary(&mut self, b: &[u8]) {
        if self.buffers_as_json {
            self.out
                .extend_from_slice(b"{\"type\":\"Buffer\",\"data\":[");
            for (i, x) in b.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                push_u64(&mut self.out, u64::from(*x));
            }
            self.out.extend_from_slice(b"]}");
            return;
        }
        // `b` was just read: it ends at the reader's position. Share the received buffer.
        let end = self.r.pos();
        let _ = write_placeholder(&mut self.out, self.attachments.len());
        self.attachments.push(self.input.slice(end - b.len()..end));
    }

    /// notepack's extensions: `undefined`, `Date`, `ArrayBuffer`; any other reads as the
    /// array `[type, data]`, as notepack 2.2 gives it.
    fn ext(&mut self, format: u8, kind: i8, data: &[u8], depth: usize) -> Result<(), DecodeError> {
        match (format, kind) {
            (0xd4, 0) => self.out.extend_from_slice(b"null"),
            (0xd7, 0) => {
                let ms = i64::from_be_bytes(data.try_into().map_err(bad)?);
                match iso_date(ms) {
                    Some(text) => write_str(&mut self.out, &text),
                    None => self.out.extend_from_slice(b"null"),
                }
            }
            (0xc7..=0xc9, 0) => self.binary(data),
            _ => {
                if depth + 1 > MAX_DEPTH {
                    return Err(DecodeError::InvalidMsgPack);
                }
                self.out.push(b'[');
                if kind < 0 {
                    self.out.push(b'-');
                }
                push_u64(&mut self.out, u64::from(kind.unsigned_abs()));
                self.out.push(b',');
                self.binary(data);
                self.out.push(b']');
            }
        }
        Ok(())
    }

    /// A map key as JavaScript makes it a property name. Keys that are arrays, maps or
    /// extensions other than `undefined` (which no notepack encoder writes) are refused.
    fn key(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        Ok(match self.r.next().map_err(bad)? {
            Token::Str(s) | Token::Bin(s) => String::from_utf8_lossy(s),
            Token::UInt(u) => Cow::Owned(u.to_string()),
            Token::NegInt(i) => Cow::Owned(i.to_string()),
            Token::F32(f) => Cow::Owned(js_key(f64::from(f))),
            Token::F64(f) => Cow::Owned(js_key(f)),
            Token::Nil => Cow::Borrowed("null"),
            Token::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Token::Ext {
                format: 0xd4,
                kind: 0,
                ..
            } => Cow::Borrowed("undefined"),
            _ => return Err(DecodeError::InvalidPayload),
        })
    }
}

/// `String(v)` of a number.
fn js_key(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        let mut out = Vec::new();
        let _ = write_js_number(&mut out, JsNumber::F64(v));
        String::from_utf8(out).unwrap_or_default()
    }
}

/// `Date#toJSON` of a time in milliseconds since 1970: `None` (JSON `null`) outside the range
/// of a JavaScript `Date` (±8.64e15 ms).
pub(super) fn iso_date(ms: i64) -> Option<String> {
    if ms.unsigned_abs() > 8_640_000_000_000_000 {
        return None;
    }
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (h, m, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    let year = if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else if y < 0 {
        format!("-{:06}", -y)
    } else {
        format!("+{y:06}")
    };
    Some(format!(
        "{year}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_date_to_json_writes_them() {
        assert_eq!(iso_date(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso_date(1_577_836_800_123).unwrap(),
            "2020-01-01T00:00:00.123Z"
        );
        assert_eq!(iso_date(-1).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            iso_date(951_782_400_000).unwrap(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            iso_date(8_640_000_000_000_000).unwrap(),
            "+275760-09-13T00:00:00.000Z"
        );
        assert_eq!(
            iso_date(-8_640_000_000_000_000).unwrap(),
            "-271821-04-20T00:00:00.000Z"
        );
        assert_eq!(
            iso_date(-62_198_755_200_000).unwrap(),
            "-000001-01-01T00:00:00.000Z"
        );
        assert_eq!(iso_date(8_640_000_000_000_001), None);
    }

    #[test]
    fn number_keys_are_named_as_javascript_names_them() {
        assert_eq!(js_key(1.5), "1.5");
        assert_eq!(js_key(f64::NAN), "NaN");
        assert_eq!(js_key(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(js_key(1e21), "1e+21");
    }
}
