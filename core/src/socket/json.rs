//! JSON output as JavaScript writes it, with binary values split out as attachments.
//!
//! Two things differ from plain serde_json output: numbers follow `Number.prototype.toString`
//! (`1e+21`, `100`, `0.000001`), so that text we write equals what the Node reference writes for
//! the same values; and byte buffers become `{"_placeholder":true,"num":N}` while the bytes go
//! to the attachment list, depth-first, as the reference's `deconstructPacket` does.

use std::cell::Cell;
use std::io::{self, Write};

use bytes::Bytes;
use serde_json::ser::{CompactFormatter, Formatter};

use super::value::Value;

/// A serde_json formatter that writes numbers as JavaScript does and turns byte arrays into
/// placeholders.
///
/// `separator`, when set, marks the start of a top-level argument: the argument-spreading
/// serializer sets it before each one (see `args.rs`), and the formatter writes a `,` there
/// unless it is the first element of the array (`need_comma` false).
pub(crate) struct JsFormatter<'a> {
    pub(crate) attachments: &'a mut Vec<Bytes>,
    pub(crate) separator: Option<&'a Cell<bool>>,
    pub(crate) need_comma: bool,
}

impl<'a> JsFormatter<'a> {
    pub(crate) fn new(attachments: &'a mut Vec<Bytes>) -> Self {
        JsFormatter {
            attachments,
            separator: None,
            need_comma: false,
        }
    }

    #[inline]
    fn sep<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        match self.separator {
            Some(s) if s.replace(false) => {
                if std::mem::replace(&mut self.need_comma, true) {
                    w.write_all(b",")?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

macro_rules! value_start {
    ($($name:ident($t:ty)),* $(,)?) => {$(
        #[inline]
        fn $name<W: ?Sized + Write>(&mut self, w: &mut W, v: $t) -> io::Result<()> {
            self.sep(w)?;
            CompactFormatter.$name(w, v)
        }
    )*};
}

impl Formatter for JsFormatter<'_> {
    value_start!(
        write_bool(bool),
        write_i8(i8),
        write_i16(i16),
        write_i32(i32),
        write_i64(i64),
        write_i128(i128),
        write_u8(u8),
        write_u16(u16),
        write_u32(u32),
        write_u64(u64),
        write_u128(u128),
        write_number_str(&str),
        write_raw_fragment(&str),
    );

    #[inline]
    fn write_null<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.sep(w)?;
        w.write_all(b"null")
    }

    fn write_f32<W: ?Sized + Write>(&mut self, w: &mut W, v: f32) -> io::Result<()> {
        self.sep(w)?;
        write_js_number(w, JsNumber::F32(v))
    }

    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, v: f64) -> io::Result<()> {
        self.sep(w)?;
        write_js_number(w, JsNumber::F64(v))
    }

    #[inline]
    fn begin_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.sep(w)?;
        w.write_all(b"\"")
    }

    #[inline]
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.sep(w)?;
        w.write_all(b"[")
    }

    #[inline]
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.sep(w)?;
        w.write_all(b"{")
    }

    fn write_byte_array<W: ?Sized + Write>(&mut self, w: &mut W, v: &[u8]) -> io::Result<()> {
        self.sep(w)?;
        write_placeholder(w, self.attachments.len())?;
        push_attachment(self.attachments, Bytes::copy_from_slice(v));
        Ok(())
    }
}

/// Adds an attachment; the first gets a buffer of exactly one, so that a payload with one
/// attachment (the usual) keeps its buffer as it is (see `Payload`'s boxed attachments).
fn push_attachment(attachments: &mut Vec<Bytes>, b: Bytes) {
    if attachments.capacity() == 0 {
        attachments.reserve_exact(1);
    }
    attachments.push(b);
}

/// Writes the placeholder that stands for attachment `num`.
pub(crate) fn write_placeholder<W: ?Sized + Write>(w: &mut W, num: usize) -> io::Result<()> {
    write!(w, "{{\"_placeholder\":true,\"num\":{num}}}")
}

/// A float to print as JavaScript prints it.
#[derive(Clone, Copy)]
pub(crate) enum JsNumber {
    F32(f32),
    F64(f64),
}

/// Writes a float the way `Number.prototype.toString` (and so `JSON.stringify`) does: the
/// shortest digits that read back to the same value, plain notation from 1e-6 up to 1e21,
/// exponent notation with an explicit sign outside it, and no `.0` on integral values.
pub(crate) fn write_js_number<W: ?Sized + Write>(w: &mut W, v: JsNumber) -> io::Result<()> {
    let (finite, zero) = match v {
        JsNumber::F32(f) => (f.is_finite(), f == 0.0),
        JsNumber::F64(f) => (f.is_finite(), f == 0.0),
    };
    if !finite {
        return w.write_all(b"null");
    }
    if zero {
        // Also -0, which JavaScript prints as 0.
        return w.write_all(b"0");
    }
    if let JsNumber::F64(f) = v {
        let a = f.abs();
        if a < 1e15 && f.fract() == 0.0 {
            // An integral value: its integer digits, exactly (|f| < 2^53).
            if f < 0.0 {
                w.write_all(b"-")?;
            }
            return w.write_all(u64_digits(a as u64, &mut [0; 20]));
        }
        if (1e-5..1e15).contains(&a) {
            // serde_json writes this range in plain notation, which is JavaScript's too.
            return CompactFormatter.write_f64(w, f);
        }
    }
    // serde_json's float writer (ryu) gives the shortest round-tripping digits, in a notation
    // of its own ("1.25", "1e20", "1.2345e-7"); re-read them and lay them out as JavaScript.
    let mut stack = StackBuf {
        buf: [0; 40],
        len: 0,
    };
    match v {
        JsNumber::F32(f) => CompactFormatter.write_f32(&mut stack, f)?,
        JsNumber::F64(f) => CompactFormatter.write_f64(&mut stack, f)?,
    }
    let text = &stack.buf[..stack.len];
    // Plain notation ("1.25", "100.0") is already JavaScript's but for a trailing ".0".
    if !text.contains(&b'e') {
        return w.write_all(text.strip_suffix(b".0").unwrap_or(text));
    }
    let (negative, text) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    let e_pos = text.iter().position(|&c| c == b'e').unwrap_or(text.len());
    let exp: i32 = std::str::from_utf8(&text[(e_pos + 1).min(text.len())..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // Significant digits, and where the decimal point falls relative to them.
    let mantissa = &text[..e_pos];
    let mut point = mantissa
        .iter()
        .position(|&c| c == b'.')
        .unwrap_or(mantissa.len()) as i32;
    let mut digits = [0u8; 40];
    let mut k = 0;
    for &c in mantissa.iter().filter(|c| c.is_ascii_digit()) {
        if k == 0 && c == b'0' {
            point -= 1;
            continue;
        }
        digits[k] = c;
        k += 1;
    }
    while k > 1 && digits[k - 1] == b'0' {
        k -= 1;
    }
    let digits = &digits[..k];
    let k = k as i32;
    let n = point + exp;
    if negative {
        w.write_all(b"-")?;
    }
    if k <= n && n <= 21 {
        w.write_all(digits)?;
        for _ in 0..n - k {
            w.write_all(b"0")?;
        }
    } else if 0 < n && n <= 21 {
        w.write_all(&digits[..n as usize])?;
        w.write_all(b".")?;
        w.write_all(&digits[n as usize..])?;
    } else if -6 < n && n <= 0 {
        w.write_all(b"0.")?;
        for _ in 0..-n {
            w.write_all(b"0")?;
        }
        w.write_all(digits)?;
    } else {
        w.write_all(&digits[..1])?;
        if k > 1 {
            w.write_all(b".")?;
            w.write_all(&digits[1..])?;
        }
        let e = n - 1;
        write!(w, "e{}{}", if e >= 0 { "+" } else { "-" }, e.abs())?;
    }
    Ok(())
}

/// The decimal digits of `n`, written at the end of `buf` (what `write!` does, without the
/// formatting machinery on the hot path).
pub(crate) fn u64_digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    // Two digits per division, from a table of the pairs "00" to "99".
    const PAIRS: [u8; 200] = {
        let mut t = [0u8; 200];
        let mut i = 0;
        while i < 100 {
            t[2 * i] = b'0' + (i / 10) as u8;
            t[2 * i + 1] = b'0' + (i % 10) as u8;
            i += 1;
        }
        t
    };
    let mut i = buf.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    &buf[i..]
}

/// A small stack buffer for one number's text (no float needs more than 24 bytes).
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl Write for StackBuf {
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let end = self.len + data.len();
        let dst = self
            .buf
            .get_mut(self.len..end)
            .ok_or(io::ErrorKind::WriteZero)?;
        dst.copy_from_slice(data);
        self.len = end;
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write(data).map(|_| ())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes `value` as compact JSON, binary values as placeholders; their bytes are appended to
/// `attachments` (sharing the buffers, not copying them).
pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value, attachments: &mut Vec<Bytes>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Binary(b) => {
            // Writing to a Vec cannot fail.
            let _ = write_placeholder(out, attachments.len());
            push_attachment(attachments, b.clone());
        }
        Value::Array(a) => {
            out.push(b'[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, v, attachments);
            }
            out.push(b']');
        }
        Value::Object(m) => {
            out.push(b'{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, v, attachments);
            }
            out.push(b'}');
        }
    }
}

/// Writes a JSON string literal, escaped as `JSON.stringify` escapes it.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    // Event names are short and plain: copied as they are when nothing needs escaping.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // serde_json escapes exactly the characters JSON.stringify escapes (quote, backslash and
    // C0 controls, with the same short forms and lowercase \u00XX); a &str always serializes.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_number(out: &mut Vec<u8>, n: &serde_json::Number) {
    if let Some(u) = n.as_u64() {
        super::packet::push_u64(out, u);
    } else if let Some(i) = n.as_i64() {
        out.push(b'-');
        super::packet::push_u64(out, i.unsigned_abs());
    } else if let Some(f) = n.as_f64() {
        let _ = write_js_number(out, JsNumber::F64(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(v: f64) -> String {
        let mut out = Vec::new();
        write_js_number(&mut out, JsNumber::F64(v)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        for (v, s) in [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (100.0, "100"),
            (1.5, "1.5"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1e-6, "0.000001"),
            (1.2345e-7, "1.2345e-7"),
            (123456.789, "123456.789"),
            (2f64.powi(60), "1152921504606847000"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::NAN, "null"),
        ] {
            assert_eq!(js(v), s, "{v:e}");
        }
    }

    #[test]
    fn u64_digits_are_the_decimal_form() {
        let mut cases: Vec<u64> = (0..1000).collect();
        for p in 1..20 {
            let t = 10u64.pow(p);
            cases.extend([t - 1, t, t + 1, t / 10 * 9 + 5]);
        }
        cases.extend([u64::MAX, u64::MAX - 1, 1 << 53]);
        for n in cases {
            let mut buf = [0; 20];
            assert_eq!(
                super::u64_digits(n, &mut buf),
                n.to_string().as_bytes(),
                "{n}"
            );
        }
    }

    #[test]
    fn f32_uses_its_own_shortest_digits() {
        let mut out = Vec::new();
        write_js_number(&mut out, JsNumber::F32(1.1)).unwrap();
        assert_eq!(out, b"1.1");
    }
}
