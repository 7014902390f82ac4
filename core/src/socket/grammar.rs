//! The JSON grammar alone, checked in one loop: whether a text is exactly one JSON value
//! (RFC 8259, as `JSON.parse` accepts it), nested at most [`MAX_DEPTH`] deep.
//!
//! This is the check of every packet without attachments (nearly all of them), so it is
//! written for speed: no recursion and no result per value, the open arrays and objects kept
//! as one bit each in a 128-bit word, string contents skipped eight bytes at a time. What the
//! packet types add (the top-level shape, an event's name, placeholders) is
//! [`super::validate`]'s, which also checks binary packets with its recursive parser.

use super::validate::MAX_DEPTH;

/// Whether `b` is one JSON value, with optional whitespace around it.
pub(crate) fn is_json(b: &[u8]) -> bool {
    // Bit `d` is set when the container open at depth `d` is an object; `object` is the
    // innermost one's bit.
    let mut objects: u128 = 0;
    let mut depth: u32 = 0;
    let mut object = false;
    let mut i = skip_ws(b, 0);
    'value: loop {
        // A value starts at `i`.
        let Some(&c) = b.get(i) else {
            return false;
        };
        match c {
            b'"' => match string_end(b, i + 1) {
                Some((end, _)) => i = end,
                None => return false,
            },
            b'{' | b'[' => {
                // An empty one counts too, as in the recursive parser.
                if depth == MAX_DEPTH {
                    return false;
                }
                let opens_object = c == b'{';
                let close = if opens_object { b'}' } else { b']' };
                i = skip_ws(b, i + 1);
                if b.get(i) == Some(&close) {
                    i += 1;
                } else {
                    if object {
                        objects |= 1 << depth;
                    } else {
                        objects &= !(1 << depth);
                    }
                    depth += 1;
                    object = opens_object;
                    if object {
                        match key(b, i) {
                            Some(next) => i = next,
                            None => return false,
                        }
                    }
                    continue 'value;
                }
            }
            b't' => match literal(b, i, b"true") {
                Some(end) => i = end,
                None => return false,
            },
            b'f' => match literal(b, i, b"false") {
                Some(end) => i = end,
                None => return false,
            },
            b'n' => match literal(b, i, b"null") {
                Some(end) => i = end,
                None => return false,
            },
            b'-' | b'0'..=b'9' => match number_end(b, i) {
                Some(end) => i = end,
                None => return false,
            },
            _ => return false,
        }
        // After a value: a separator, or the end of one or more containers.
        loop {
            i = skip_ws(b, i);
            if depth == 0 {
                return i == b.len();
            }
            match b.get(i) {
                Some(b',') => {
                    i = skip_ws(b, i + 1);
                    if object {
                        match key(b, i) {
                            Some(next) => i = next,
                            None => return false,
                        }
                    }
                    continue 'value;
                }
                Some(b'}') if object => {}
                Some(b']') if !object => {}
                _ => return false,
            }
            i += 1;
            depth -= 1;
            // The enclosing container's kind was kept when this one opened.
            object = depth > 0 && (objects >> depth) & 1 == 1;
        }
    }
}

/// The index of the first byte at or after `i` that is not JSON whitespace.
#[inline]
pub(crate) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// An object key and its colon, from `i` (on the key's opening quote): where its value
/// starts (whitespace skipped).
#[inline(always)]
fn key(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let (end, _) = string_end(b, i + 1)?;
    let colon = skip_ws(b, end);
    (b.get(colon) == Some(&b':')).then(|| skip_ws(b, colon + 1))
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
        i += plain_run(b.get(i..)?);
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
/// (not `"`, `\\` or a control character), eight bytes at a time.
#[inline(always)]
pub(crate) fn plain_run(b: &[u8]) -> usize {
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
