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
use super::grammar::{is_json, number_end, skip_ws, string_end};
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
    if attachments.is_none() {
        // No placeholders to look at: the grammar alone, then the first byte.
        if !is_json(json) {
            return Err(DecodeError::InvalidJson);
        }
        let first = json.get(skip_ws(json, 0)).copied();
        let fits = match shape {
            Shape::Object => first == Some(b'{'),
            Shape::ObjectOrString => matches!(first, Some(b'{' | b'"')),
            Shape::Array => first == Some(b'['),
        };
        return if fits {
            Ok(())
        } else {
            Err(DecodeError::InvalidPayload)
        };
    }
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
    if attachments.is_some() {
        return check_binary_event(json, attachments);
    }
    let b = json.as_bytes();
    if !is_json(b) {
        return Err(DecodeError::InvalidJson);
    }
    // Valid JSON: its shape and name.
    let i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return Err(DecodeError::InvalidPayload);
    }
    let start = skip_ws(b, i + 1);
    let name = match b.get(start) {
        Some(b'"') => {
            let (end, escaped) = string_end(b, start + 1).ok_or(DecodeError::InvalidJson)?;
            name_of(json, start, end, escaped)?
        }
        Some(b'-' | b'0'..=b'9') => {
            let end = number_end(b, start).ok_or(DecodeError::InvalidJson)?;
            number_name(&b[start..end])?
        }
        // No name (`[]`), or one of another type.
        _ => return Err(DecodeError::InvalidPayload),
    };
    if is_reserved(name.as_bytes()) {
        return Err(DecodeError::ReservedEventName);
    }
    Ok(name)
}

/// The event name that is the string `json[start..end]` (quotes included): sliced from the
/// input when it has no escapes.
fn name_of(json: &Str, start: usize, end: usize, escaped: bool) -> Result<Str, DecodeError> {
    if !escaped {
        return Ok(Str::from_trusted(json.bytes().slice(start + 1..end - 1)));
    }
    let s: String = serde_json::from_slice(&json.as_bytes()[start..end])
        .map_err(|_| DecodeError::InvalidPayload)?;
    Ok(Str::from(s))
}

/// [`check_event`] for a binary packet: in the same pass, every placeholder must point at
/// one of its `attachments`.
fn check_binary_event(json: &Str, attachments: Option<usize>) -> Result<Str, DecodeError> {
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
        Kind::Str { escaped } => name_of(json, start, p.i, escaped)?,
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

/// Whether the one-loop grammar check ([`is_json`]) and the recursive parser of binary
/// packets agree on `b` (for the fuzz targets).
#[cfg(feature = "fuzzing")]
pub(crate) fn checks_agree(b: &[u8]) -> bool {
    is_json(b) == parses(b)
}

/// The recursive parser's verdict on the grammar of `b`.
#[cfg(any(test, feature = "fuzzing"))]
fn parses(b: &[u8]) -> bool {
    let mut p = Parser::new(b, None);
    p.ws();
    p.value().and_then(|_| p.end()).is_ok()
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
        self.i = skip_ws(self.b, self.i);
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
        let (end, escaped) = string_end(self.b, self.i + 1).ok_or(DecodeError::InvalidJson)?;
        self.i = end;
        Ok(Kind::Str { escaped })
    }

    fn number(&mut self) -> Result<Kind, DecodeError> {
        self.i = number_end(self.b, self.i).ok_or(DecodeError::InvalidJson)?;
        Ok(Kind::Number)
    }
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
    fn the_grammar_loop_stops_at_the_same_depth() {
        for depth in [127, 128, 129] {
            for (open, inner, close) in [
                ("[", "1", "]"),
                ("{\"k\":", "1", "}"),
                ("[", "[]", "]"),
                ("{\"k\":", "{}", "}"),
            ] {
                // An empty innermost container is a level too.
                let levels = if inner == "1" { depth } else { depth - 1 };
                let text = open.repeat(levels) + inner + &close.repeat(levels);
                let text = text.as_bytes();
                assert_eq!(is_json(text), parses(text), "{depth} {inner}");
                assert_eq!(is_json(text), depth <= 128, "{depth} {inner}");
            }
        }
    }

    use proptest::prelude::*;

    /// JSON texts: valid ones (serialized values, with whitespace), and their neighbours
    /// with one token inserted or removed.
    fn texts() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e6f64..1e6).prop_map(serde_json::Value::from),
            "[a-z\\\"\u{e9}\n\u{1}]{0,12}".prop_map(serde_json::Value::from),
        ];
        let value = leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[a-z_]{0,5}", inner, 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        let tokens = prop::sample::select(vec![
            "[", "]", "{", "}", ",", ":", "\"", "\\", "\\u00e9", "\\u12", "1", "-", "0", ".", "e",
            "+", "tru", "null", " ", "\n", "x", "\u{1}", "01", "1.", "\"k\":",
        ]);
        (
            value,
            any::<bool>(),
            any::<prop::sample::Index>(),
            tokens,
            0..3u8,
        )
            .prop_map(|(v, pretty, at, token, edit)| {
                let mut text = if pretty {
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                } else {
                    serde_json::to_string(&v).unwrap_or_default()
                };
                let boundaries: Vec<usize> = (0..=text.len())
                    .filter(|&i| text.is_char_boundary(i))
                    .collect();
                let i = boundaries[at.index(boundaries.len())];
                match edit {
                    0 => {}
                    1 => text.insert_str(i, token),
                    _ => {
                        if let Some(c) = text[i..].chars().next() {
                            text.replace_range(i..i + c.len_utf8(), "");
                        }
                    }
                }
                text
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn the_grammar_loop_agrees_with_the_parser(text in texts()) {
            prop_assert_eq!(is_json(text.as_bytes()), parses(text.as_bytes()), "{:?}", text);
            // And with serde_json where both read the same grammar (no `\u` escapes, whose
            // lone surrogates `JSON.parse` accepts).
            if !text.contains("\\u") {
                let serde = serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok();
                prop_assert_eq!(is_json(text.as_bytes()), serde, "{:?}", text);
            }
        }

        #[test]
        fn an_event_name_is_the_same_either_way(text in texts()) {
            let json = Str::from(format!("[{text},1]"));
            let fast = check_event(&json, None);
            // The binary path with no placeholder in sight reads the same text.
            let slow = check_binary_event(&json, Some(0));
            prop_assert_eq!(fast, slow, "{:?}", text);
        }
    }
}
