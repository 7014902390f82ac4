//! One pass over a packet's JSON that checks what the reference decoder checks, without
//! building a tree or decoding a string: the JSON is well-formed, the top-level shape fits the
//! packet type, an event's name is allowed (and is extracted, sliced from the input when it has
//! no escapes), and every placeholder of a binary packet points at an attachment.
//!
//! It accepts exactly the JSON grammar (RFC 8259), as `JSON.parse` does; like `JSON.parse` it
//! does not judge what the grammar allows (a number too large for a double, an escaped lone
//! surrogate): reading such data into a Rust type later reports it. Nesting is limited to
//! [`MAX_DEPTH`] so hostile input cannot exhaust the stack.

use super::error::DecodeError;
use super::json::{write_js_number, JsNumber};
use super::packet::is_reserved;
use crate::Str;

/// Deepest nesting of arrays and objects accepted (serde_json's own limit).
pub(crate) const MAX_DEPTH: u32 = 128;

/// What the top level of the JSON must be.
#[derive(Clone, Copy)]
pub(crate) enum Shape {
    /// CONNECT: an object.
    Object,
    /// CONNECT_ERROR: an object or a string.
    ObjectOrString,
    /// ACK: an array.
    Array,
}

/// Checks JSON of the given top-level shape; `attachments` is the attachment count of a binary
/// packet (placeholders are checked only then).
pub(crate) fn check(
    json: &[u8],
    shape: Shape,
    attachments: Option<usize>,
) -> Result<(), DecodeError> {
    let mut p = Parser::new(json, attachments);
    p.ws();
    let first = p.peek();
    let fits = match shape {
        Shape::Object => first == Some(b'{'),
        Shape::ObjectOrString => matches!(first, Some(b'{' | b'"')),
        Shape::Array => first == Some(b'['),
    };
    p.value()?;
    p.end()?;
    if fits {
        Ok(())
    } else {
        Err(DecodeError::InvalidPayload)
    }
}

/// Checks an EVENT's JSON (`[name, ...args]`) and returns its name.
pub(crate) fn check_event(json: &Str, attachments: Option<usize>) -> Result<Str, DecodeError> {
    let b = json.as_bytes();
    let mut p = Parser::new(b, attachments);
    p.ws();
    if p.peek() != Some(b'[') {
        // Still tell bad JSON from a wrong shape, as the reference reports both.
        p.value()?;
        p.end()?;
        return Err(DecodeError::InvalidPayload);
    }
    p.i += 1;
    p.ws();
    if p.peek() == Some(b']') {
        p.i += 1;
        p.end()?;
        return Err(DecodeError::InvalidPayload);
    }
    let start = p.i;
    let name = match p.value()? {
        Kind::Str { escaped: false } => Str::from_trusted(json.bytes().slice(start + 1..p.i - 1)),
        Kind::Str { escaped: true } => {
            let s: String =
                serde_json::from_slice(&b[start..p.i]).map_err(|_| DecodeError::InvalidPayload)?;
            Str::from(s)
        }
        Kind::Number => number_name(&b[start..p.i])?,
        _ => {
            // Any other first element is the wrong shape (if the rest is JSON at all).
            p.elements(false)?;
            p.end()?;
            return Err(DecodeError::InvalidPayload);
        }
    };
    p.elements(false)?;
    p.end()?;
    if is_reserved(name.as_bytes()) {
        return Err(DecodeError::ReservedEventName);
    }
    Ok(name)
}

/// The name JavaScript gives a numeric event name: the number's string form (`1.50` → `1.5`).
pub(crate) fn number_name(raw: &[u8]) -> Result<Str, DecodeError> {
    let text = std::str::from_utf8(raw).map_err(|_| DecodeError::InvalidJson)?;
    let v: f64 = text.parse().map_err(|_| DecodeError::InvalidJson)?;
    let mut out = Vec::with_capacity(raw.len());
    // Writing to a Vec cannot fail.
    let _ = write_js_number(&mut out, JsNumber::F64(v));
    Ok(Str::from(String::from_utf8(out).unwrap_or_default()))
}

/// What a value was, as far as the checks above care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str { escaped: bool },
    Number,
    True,
    Other,
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: u32,
    attachments: Option<usize>,
}

impl<'a> Parser<'a> {
    fn new(b: &'a [u8], attachments: Option<usize>) -> Self {
        Parser {
            b,
            i: 0,
            depth: 0,
            attachments,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn end(&mut self) -> Result<(), DecodeError> {
        self.ws();
        if self.i == self.b.len() {
            Ok(())
        } else {
            Err(DecodeError::InvalidJson)
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), DecodeError> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(DecodeError::InvalidJson)
        }
    }

    /// One value; the cursor is on its first byte (whitespace skipped by the caller) and ends
    /// right after it.
    fn value(&mut self) -> Result<Kind, DecodeError> {
        match self.peek().ok_or(DecodeError::InvalidJson)? {
            b'"' => self.string(),
            b'{' => self.nested(Self::object),
            b'[' => self.nested(|p| {
                p.i += 1;
                p.elements(true)
            }),
            b't' => self.literal(b"true").map(|()| Kind::True),
            b'f' => self.literal(b"false").map(|()| Kind::Other),
            b'n' => self.literal(b"null").map(|()| Kind::Other),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(DecodeError::InvalidJson),
        }
    }

    fn nested(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<(), DecodeError>,
    ) -> Result<Kind, DecodeError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(DecodeError::InvalidJson);
        }
        f(self)?;
        self.depth -= 1;
        Ok(Kind::Other)
    }

    /// The elements of an array up to and including `]`: from right after `[` (`first`), or
    /// from right after an element.
    fn elements(&mut self, first: bool) -> Result<(), DecodeError> {
        self.ws();
        if first {
            if self.peek() == Some(b']') {
                self.i += 1;
                return Ok(());
            }
            self.value()?;
            self.ws();
        }
        loop {
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(DecodeError::InvalidJson),
            }
            self.ws();
            self.value()?;
            self.ws();
        }
    }

    fn object(&mut self) -> Result<(), DecodeError> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        let mut placeholder = false;
        let mut num: Option<(usize, usize, Kind)> = None;
        loop {
            if self.peek() != Some(b'"') {
                return Err(DecodeError::InvalidJson);
            }
            let key_start = self.i;
            let key_kind = self.string()?;
            // Placeholders only count in a binary packet: elsewhere no key is looked at.
            let key = match self.attachments {
                Some(_) => Key::of(&self.b[key_start..self.i], key_kind),
                None => Key::Other,
            };
            self.ws();
            if self.peek() != Some(b':') {
                return Err(DecodeError::InvalidJson);
            }
            self.i += 1;
            self.ws();
            let start = self.i;
            let kind = self.value()?;
            match key {
                Key::Placeholder => placeholder = kind == Kind::True,
                Key::Num => num = Some((start, self.i, kind)),
                Key::Other => {}
            }
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    self.ws();
                }
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                _ => return Err(DecodeError::InvalidJson),
            }
        }
        if let (true, Some(count)) = (placeholder, self.attachments) {
            let index = num.and_then(|(s, e, kind)| {
                if kind != Kind::Number {
                    return None;
                }
                let raw = &self.b[s..e];
                if raw.len() <= 15 && raw.iter().all(u8::is_ascii_digit) {
                    // The usual `"num":0`: an integer, read without a float parse.
                    let n = raw.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
                    return (n < count as u64).then_some(());
                }
                let v: f64 = std::str::from_utf8(raw).ok()?.parse().ok()?;
                (v >= 0.0 && v.fract() == 0.0 && v < count as f64).then_some(())
            });
            index.ok_or(DecodeError::IllegalPlaceholder)?;
        }
        Ok(())
    }

    fn string(&mut self) -> Result<Kind, DecodeError> {
        self.i += 1;
        let mut escaped = false;
        loop {
            // Skip ordinary bytes quickly; the input is valid UTF-8 already.
            self.i += plain_run(&self.b[self.i..]);
            if self.i >= self.b.len() {
                return Err(DecodeError::InvalidJson);
            }
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Ok(Kind::Str { escaped });
                }
                b'\\' => {
                    escaped = true;
                    match self.b.get(self.i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 2..self.i + 6);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(DecodeError::InvalidJson);
                            }
                            self.i += 6;
                        }
                        _ => return Err(DecodeError::InvalidJson),
                    }
                }
                // A raw control character inside a string.
                _ => return Err(DecodeError::InvalidJson),
            }
        }
    }

    fn number(&mut self) -> Result<Kind, DecodeError> {
        let digits = |p: &mut Self| {
            let n = p.b[p.i..].iter().take_while(|c| c.is_ascii_digit()).count();
            p.i += n;
            n
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(DecodeError::InvalidJson),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(DecodeError::InvalidJson);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(DecodeError::InvalidJson);
            }
        }
        Ok(Kind::Number)
    }
}

/// The length of the run of bytes at the start of `b` that need no attention inside a string
/// (not `"`, `\\` or a control character), eight bytes at a time.
fn plain_run(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let special = |c: u8| c == b'"' || c == b'\\' || c < 0x20;
    let mut chunks = b.chunks_exact(8);
    let mut i = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let quote = x ^ (ONES * u64::from(b'"'));
        let slash = x ^ (ONES * u64::from(b'\\'));
        // A byte is zero in `quote`/`slash`, or below 0x20 in `x`: the classic SWAR tests.
        // Their lowest flagged byte is exact (false flags only appear above a true one), so
        // it is the first special byte.
        let found = ((quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGH;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let rest = chunks.remainder();
    i + rest.iter().position(|&c| special(c)).unwrap_or(rest.len())
}

/// The object keys placeholders are made of.
enum Key {
    Placeholder,
    Num,
    Other,
}

impl Key {
    /// `raw` is the key with its quotes.
    fn of(raw: &[u8], kind: Kind) -> Key {
        let name: std::borrow::Cow<'_, [u8]> = match kind {
            Kind::Str { escaped: true } => match serde_json::from_slice::<String>(raw) {
                Ok(s) => s.into_bytes().into(),
                Err(_) => return Key::Other,
            },
            _ => raw[1..raw.len() - 1].into(),
        };
        match &*name {
            b"_placeholder" => Key::Placeholder,
            b"num" => Key::Num,
            _ => Key::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(s: &str) -> bool {
        check(s.as_bytes(), Shape::Array, None).is_ok()
            || check(s.as_bytes(), Shape::Object, None).is_ok()
            || check(s.as_bytes(), Shape::ObjectOrString, None).is_ok()
    }

    #[test]
    fn agrees_with_serde_json_on_the_grammar() {
        for s in [
            "[]",
            "[1]",
            " [ 1 , 2 ] ",
            "{}",
            "{\"a\":1}",
            "[\"\\u00e9\\n\"]",
            "[-0.5e+3]",
            "[true,false,null]",
            "[[[]]]",
            "[{\"a\":[{}]}]",
            "\"x\"",
            "[1e400]",
            "[\"\\ud800\"]",
        ] {
            assert!(valid(s), "{s}");
        }
        for s in [
            "",
            "[",
            "]",
            "[1,]",
            "[,1]",
            "[01]",
            "[1.]",
            "[.1]",
            "[1e]",
            "[+1]",
            "[tru]",
            "[\"a]",
            "[\"\\x\"]",
            "[\"\\u12\"]",
            "{\"a\"}",
            "{\"a\":}",
            "{a:1}",
            "{\"a\":1,}",
            "[1] x",
            "[\"\u{1}\"]",
            "['a']",
            "[NaN]",
            "[-]",
        ] {
            assert!(!valid(s), "{s:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(s).is_err(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(
            check(deep.as_bytes(), Shape::Array, None),
            Err(DecodeError::InvalidJson)
        );
        let ok = "[".repeat(100) + &"]".repeat(100);
        assert!(check(ok.as_bytes(), Shape::Array, None).is_ok());
    }

    #[test]
    fn event_names_are_extracted() {
        let name = |s: &'static str| check_event(&Str::from_static(s), None);
        assert_eq!(name(r#"["hello","x"]"#).unwrap(), "hello");
        assert_eq!(name(r#" [ "h\u00e9" ]"#).unwrap(), "hé");
        assert_eq!(name("[1.50,2]").unwrap(), "1.5");
        assert_eq!(name("[42]").unwrap(), "42");
        assert_eq!(name("[]"), Err(DecodeError::InvalidPayload));
        assert_eq!(name("[null]"), Err(DecodeError::InvalidPayload));
        assert_eq!(name("{}"), Err(DecodeError::InvalidPayload));
        assert_eq!(name("[\"connect\"]"), Err(DecodeError::ReservedEventName));
        assert_eq!(name("[\"a\""), Err(DecodeError::InvalidJson));
    }

    #[test]
    fn placeholders_must_point_at_attachments() {
        let ev = |s: &'static str, n| check_event(&Str::from_static(s), Some(n));
        assert!(ev(r#"["a",{"_placeholder":true,"num":0}]"#, 1).is_ok());
        assert!(ev(r#"["a",{"_placeholder":true,"num":1.0}]"#, 2).is_ok());
        assert!(ev(r#"["a",{"\u005fplaceholder":true,"num":0}]"#, 1).is_ok());
        for bad in [
            r#"["a",{"_placeholder":true,"num":1}]"#,
            r#"["a",{"_placeholder":true,"num":-1}]"#,
            r#"["a",{"_placeholder":true,"num":"0"}]"#,
            r#"["a",{"_placeholder":true}]"#,
            r#"["a",[{"x":{"_placeholder":true,"num":0.5}}]]"#,
        ] {
            assert_eq!(ev(bad, 1), Err(DecodeError::IllegalPlaceholder), "{bad}");
        }
        // Not a placeholder: `_placeholder` is not `true`, or the packet is not binary.
        assert!(ev(r#"["a",{"_placeholder":false,"num":9}]"#, 1).is_ok());
        assert!(check_event(
            &Str::from_static(r#"["a",{"_placeholder":true,"num":9}]"#),
            None
        )
        .is_ok());
    }

    #[test]
    fn plain_run_stops_at_the_first_special_byte() {
        let naive = |b: &[u8]| {
            b.iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(b.len())
        };
        // Every special byte at every position of runs of several lengths, after plain ASCII,
        // multi-byte UTF-8 and other specials.
        let fillers: [&[u8]; 3] = [
            b"abcdefghijklmnopqrstuvwxyz",
            "\u{e9}\u{20ac}xyz\u{1f600}".as_bytes(),
            b"\x7f\x20~",
        ];
        for filler in fillers {
            for len in 0..24 {
                let base: Vec<u8> = filler.iter().copied().cycle().take(len).collect();
                assert_eq!(super::plain_run(&base), naive(&base));
                for at in 0..len {
                    for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                        let mut b = base.clone();
                        b[at] = special;
                        if at + 1 < len {
                            b[at + 1] = 0x01; // a second one right after
                        }
                        assert_eq!(super::plain_run(&b), naive(&b), "{b:?}");
                    }
                }
            }
        }
    }
}
