//! A packet's JSON text with placeholders, and its attachments → MessagePack, in one pass.
//!
//! The text is sio's own (written by its serializer) or was validated on decoding, so it is
//! JSON; should it not be, the value is written as `nil` rather than failing the emit.
//! Numbers follow notepack (integral ones take integer formats), strings are unescaped,
//! placeholders become `bin` with their attachment's bytes (notepack writes a `Buffer` so).

use bytes::Bytes;

use crate::msgpack::write;

const PLACEHOLDER: &[u8] = b"{\"_placeholder\":true,\"num\":";

/// Appends `json` as MessagePack, placeholders replaced by `attachments`.
pub(super) fn write_json(out: &mut Vec<u8>, json: &[u8], attachments: &[Bytes]) {
    let start = out.len();
    let mut t = FromJson {
        b: json,
        i: 0,
        attachments,
        scratch: Vec::new(),
    };
    if t.value(out).and_then(|()| t.end()).is_err() {
        out.truncate(start);
        write::nil(out);
    }
}

/// Not JSON (never expected: see the module docs).
struct NotJson;

struct FromJson<'a> {
    b: &'a [u8],
    i: usize,
    attachments: &'a [Bytes],
    scratch: Vec<u8>,
}

impl FromJson<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn end(&mut self) -> Result<(), NotJson> {
        self.ws();
        if self.i == self.b.len() {
            Ok(())
        } else {
            Err(NotJson)
        }
    }

    fn next_byte(&mut self) -> Result<u8, NotJson> {
        let c = *self.b.get(self.i).ok_or(NotJson)?;
        self.i += 1;
        Ok(c)
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), NotJson> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(NotJson)
        }
    }

    fn value(&mut self, out: &mut Vec<u8>) -> Result<(), NotJson> {
        self.ws();
        match *self.b.get(self.i).ok_or(NotJson)? {
            b'{' => match self.placeholder() {
                Some(n) => match self.attachments.get(n) {
                    Some(a) => write::bin(out, a),
                    None => write::nil(out),
                },
                None => self.object(out)?,
            },
            b'[' => self.array(out)?,
            b'"' => self.string(out)?,
            b't' => {
                self.literal(b"true")?;
                write::bool(out, true);
            }
            b'f' => {
                self.literal(b"false")?;
                write::bool(out, false);
            }
            b'n' => {
                self.literal(b"null")?;
                write::nil(out);
            }
            _ => self.number(out)?,
        }
        Ok(())
    }

    /// The attachment index of a placeholder starting here (as sio and the reference write
    /// it), consumed; `None` for any other object.
    fn placeholder(&mut self) -> Option<usize> {
        let rest = self.b[self.i..].strip_prefix(PLACEHOLDER)?;
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 || rest.get(digits) != Some(&b'}') {
            return None;
        }
        let n = rest[..digits]
            .iter()
            .fold(0usize, |n, c| n * 10 + usize::from(c - b'0'));
        self.i += PLACEHOLDER.len() + digits + 1;
        Some(n)
    }

    fn array(&mut self, out: &mut Vec<u8>) -> Result<(), NotJson> {
        self.i += 1;
        let header = out.len();
        out.push(0);
        let mut n = 0;
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
        } else {
            loop {
                self.value(out)?;
                n += 1;
                self.ws();
                match self.next_byte()? {
                    b',' => {}
                    b']' => break,
                    _ => return Err(NotJson),
                }
            }
        }
        patch_header(out, header, n, 0x90, write::array_len);
        Ok(())
    }

    fn object(&mut self, out: &mut Vec<u8>) -> Result<(), NotJson> {
        self.i += 1;
        let header = out.len();
        out.push(0);
        let mut n = 0;
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.b.get(self.i) != Some(&b'"') {
                    return Err(NotJson);
                }
                self.string(out)?;
                self.ws();
                if self.next_byte()? != b':' {
                    return Err(NotJson);
                }
                self.value(out)?;
                n += 1;
                self.ws();
                match self.next_byte()? {
                    b',' => {}
                    b'}' => break,
                    _ => return Err(NotJson),
                }
            }
        }
        patch_header(out, header, n, 0x80, write::map_len);
        Ok(())
    }

    fn string(&mut self, out: &mut Vec<u8>) -> Result<(), NotJson> {
        self.i += 1;
        let start = self.i;
        let rest = &self.b[start..];
        let plain = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\')
            .ok_or(NotJson)?;
        if rest[plain] == b'"' {
            // No escapes (the usual case): the bytes as they are.
            write::str(out, &rest[..plain]);
            self.i = start + plain + 1;
            return Ok(());
        }
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        s.extend_from_slice(&rest[..plain]);
        self.i = start + plain;
        loop {
            match self.next_byte()? {
                b'"' => break,
                b'\\' => match self.next_byte()? {
                    b'"' => s.push(b'"'),
                    b'\\' => s.push(b'\\'),
                    b'/' => s.push(b'/'),
                    b'b' => s.push(0x08),
                    b'f' => s.push(0x0c),
                    b'n' => s.push(b'\n'),
                    b'r' => s.push(b'\r'),
                    b't' => s.push(b'\t'),
                    b'u' => {
                        let c = self.unicode_escape()?;
                        let mut buf = [0; 4];
                        s.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => return Err(NotJson),
                },
                c => s.push(c),
            }
        }
        write::str(out, &s);
        self.scratch = s;
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, NotJson> {
        let digits = self.b.get(self.i..self.i + 4).ok_or(NotJson)?;
        let text = std::str::from_utf8(digits).map_err(|_| NotJson)?;
        let v = u32::from_str_radix(text, 16).map_err(|_| NotJson)?;
        self.i += 4;
        Ok(v)
    }

    /// The character of a `\uXXXX` escape (a surrogate pair takes two); a lone surrogate,
    /// which UTF-8 cannot hold, becomes U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, NotJson> {
        let hi = self.hex4()?;
        if (0xd800..0xdc00).contains(&hi) && self.b[self.i..].starts_with(b"\\u") {
            let save = self.i;
            self.i += 2;
            let lo = self.hex4()?;
            if (0xdc00..0xe000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
            }
            self.i = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{fffd}'))
    }

    fn number(&mut self, out: &mut Vec<u8>) -> Result<(), NotJson> {
        let start = self.i;
        let mut integral = true;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => integral = false,
                _ => break,
            }
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).map_err(|_| NotJson)?;
        if text.is_empty() {
            return Err(NotJson);
        }
        if integral {
            if let Ok(u) = text.parse::<u64>() {
                write::uint(out, u);
                return Ok(());
            }
            if let Ok(i) = text.parse::<i64>() {
                write::int(out, i);
                return Ok(());
            }
        }
        let f: f64 = text.parse().map_err(|_| NotJson)?;
        write::f64(out, f);
        Ok(())
    }
}

/// Replaces the one byte reserved at `at` by the header of a container of `n` elements: a fix
/// header (`fix | n`) fits in it; the rare longer ones move the elements up.
fn patch_header(out: &mut Vec<u8>, at: usize, n: usize, fix: u8, header: fn(&mut Vec<u8>, usize)) {
    if n < 0x10 {
        out[at] = fix | n as u8;
    } else {
        let mut h = Vec::with_capacity(5);
        header(&mut h, n);
        out.splice(at..at + 1, h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp(json: &str, attachments: &[Bytes]) -> Vec<u8> {
        let mut out = Vec::new();
        write_json(&mut out, json.as_bytes(), attachments);
        out
    }

    #[test]
    fn json_values_become_notepack_values() {
        assert_eq!(mp("[]", &[]), [0x90]);
        assert_eq!(mp(r#"{"a":1}"#, &[]), [0x81, 0xa1, b'a', 0x01]);
        assert_eq!(mp("[true,false,null]", &[]), [0x93, 0xc3, 0xc2, 0xc0]);
        assert_eq!(mp("-1", &[]), [0xff]);
        assert_eq!(mp("2.0", &[]), [0x02]);
        assert_eq!(mp("1e2", &[]), [0x64]);
        assert_eq!(mp("18446744073709551615", &[])[0], 0xcf);
        assert_eq!(mp("18446744073709551616", &[])[0], 0xcb);
        assert_eq!(
            mp(r#"" a\n\u00e9\ud83d\ude00\ud800 ""#, &[]),
            [&[0xad][..], " a\né😀\u{fffd} ".as_bytes()].concat()
        );
    }

    #[test]
    fn long_containers_get_longer_headers() {
        let json = format!("[{}]", vec!["0"; 16].join(","));
        let out = mp(&json, &[]);
        assert_eq!(&out[..3], [0xdc, 0, 16]);
        assert_eq!(out.len(), 3 + 16);
    }

    #[test]
    fn placeholders_become_binary() {
        let a = [Bytes::from_static(&[1, 2])];
        assert_eq!(
            mp(
                r#"["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
                &a
            ),
            [0x93, 0xa1, b'x', 0xc4, 2, 1, 2, 0xc0]
        );
        // Anything else is an object.
        assert_eq!(mp(r#"{"_placeholder":true}"#, &a)[0], 0x81);
    }

    #[test]
    fn text_that_is_not_json_is_written_as_nil() {
        assert_eq!(mp("[1,", &[]), [0xc0]);
        assert_eq!(mp("[1] x", &[]), [0xc0]);
        assert_eq!(mp("", &[]), [0xc0]);
    }
}
