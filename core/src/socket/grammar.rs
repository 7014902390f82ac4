//! The JSON grammar alone, checked in one loop: whether a text is exactly one JSON value
//! (RFC 8259, as `JSON.parse` accepts it), nested at most [`MAX_DEPTH`] deep.
//!
//! This is the check of every packet without attachments (nearly all of them), so it is
//! written for speed: no recursion and no result per value, the open arrays and objects kept
//! as one bit each in a 128-bit word, string contents skipped sixteen bytes at a time. What the
//! packet types add (the top-level shape, an event's name, placeholders) is
//! [`super::validate`]'s, which also checks binary packets with its recursive parser.

use super::validate::MAX_DEPTH;

/// Whether `b` is one JSON value, with optional whitespace around it.
pub(crate) fn is_json(b: &[u8]) -> bool {
    one_value(b).is_some()
}

/// [`is_json`] with `?` for the early exits. The open containers are a stack of bits, one
/// per level, the innermost in bit 0 (set for an object): opening shifts it left, closing
/// shifts it right, so the kind of the container around a value is always `stack & 1`.
// Inlined into `is_json`: one function, whose registers hold `b`, `i` and the stack.
#[inline(always)]
fn one_value(b: &[u8]) -> Option<()> {
    let mut stack: u128 = 0;
    let mut depth: u32 = 0;
    let mut i = 0;
    'value: loop {
        // A value starts at `i`, after optional whitespace.
        let mut c = *b.get(i)?;
        if c <= b' ' {
            i = skip_ws(b, i);
            c = *b.get(i)?;
        }
        match c {
            b'"' => i = string_end(b, i + 1)?.0,
            b'{' | b'[' => {
                // An empty one counts too, as in the recursive parser.
                if depth == MAX_DEPTH {
                    return None;
                }
                let object = c == b'{';
                i = skip_ws(b, i + 1);
                let next = *b.get(i)?;
                if next == c + 2 {
                    // `}` and `]` are two after `{` and `[`: empty.
                    i += 1;
                } else {
                    stack = (stack << 1) | u128::from(object);
                    depth += 1;
                    if object {
                        i = key(b, i)?;
                    }
                    continue 'value;
                }
            }
            b't' => i = literal(b, i, b"true")?,
            b'f' => i = literal(b, i, b"false")?,
            b'n' => i = literal(b, i, b"null")?,
            b'-' | b'0'..=b'9' => i = number_end(b, i)?,
            _ => return None,
        }
        // After a value: a separator, or the end of one or more containers.
        loop {
            if depth == 0 {
                return (skip_ws(b, i) == b.len()).then_some(());
            }
            let mut c = *b.get(i)?;
            if c <= b' ' {
                i = skip_ws(b, i);
                c = *b.get(i)?;
            }
            let object = stack & 1 == 1;
            i += 1;
            match c {
                b',' => {
                    if object {
                        i = key(b, i)?;
                    }
                    continue 'value;
                }
                b'}' if object => {}
                b']' if !object => {}
                _ => return None,
            }
            depth -= 1;
            stack >>= 1;
        }
    }
}

/// The index of the first byte at or after `i` that is not JSON whitespace.
#[inline]
pub(crate) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    // Any byte above the space ends it with one comparison (nearly always the first byte).
    while let Some(&c) = b.get(i) {
        if c > b' ' || !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        i += 1;
    }
    i
}

/// An object key and its colon, from `i` (whitespace allowed before the key): where its
/// value starts (right after the colon).
#[inline(always)]
fn key(b: &[u8], i: usize) -> Option<usize> {
    let i = skip_ws(b, i);
    if *b.get(i)? != b'"' {
        return None;
    }
    let (end, _) = string_end(b, i + 1)?;
    let colon = skip_ws(b, end);
    (*b.get(colon)? == b':').then_some(colon + 1)
}

#[inline]
fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    b.get(i..)?.starts_with(word).then_some(i + word.len())
}

/// The end of a string's content from `i` (right after its opening quote): the index right
/// after the closing quote, and whether the string has escapes. `None` when the string is
/// not valid (unclosed, a bad escape, a raw control character). The input is UTF-8 already.
// Inlined into the loop: its constants and registers are set up once per text, not per
// string.
#[inline(always)]
pub(crate) fn string_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        i = plain_from(b, i);
        match *b.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                match *b.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let hex = b.get(i + 2..i + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        i += 6;
                    }
                    _ => return None,
                }
            }
            // A raw control character.
            _ => return None,
        }
    }
}

/// The end of a number starting at `i`: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
#[inline]
pub(crate) fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        while let Some(b'0'..=b'9') = b.get(i) {
            i += 1;
        }
        i
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// The length of the run of bytes at the start of `b` that need no attention inside a string
/// (not `"`, `\\` or a control character).
#[cfg(test)]
pub(crate) fn plain_run(b: &[u8]) -> usize {
    plain_from(b, 0)
}

/// The index of the first byte at or after `i` that needs attention inside a string (`"`,
/// `\\` or a control character), or `b.len()`: sixteen bytes at a time.
// Written so that the compiler vectorizes the test of sixteen bytes (SSE2 compares, no
// `unsafe`): per byte a flag of all ones or zero, computed without a branch (`|`, not `||`),
// then the flags as one 128-bit number whose lowest set bit marks the first special byte.
// Inlined into the one loop of `is_json`, which calls it for every string: a call per string
// cost more than setting up its constants there.
#[inline(always)]
fn plain_from(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 16) {
        let mut flags = [0u8; 16];
        for (flag, &c) in flags.iter_mut().zip(chunk) {
            *flag = u8::from((c == b'"') | (c == b'\\') | (c < 0x20)).wrapping_neg();
        }
        let found = u128::from_le_bytes(flags);
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 16;
    }
    while let Some(&c) = b.get(i) {
        if (c == b'"') | (c == b'\\') | (c < 0x20) {
            break;
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
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
