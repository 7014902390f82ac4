//! Standard base64 (RFC 4648 §4, with padding), as Engine.IO uses for binary records in
//! polling payloads.
//!
//! The decoder is strict about the alphabet but, like Node's `Buffer.from(s, "base64")`, does
//! not require the trailing padding.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const INVALID: u8 = 0xff;

const fn decode_table() -> [u8; 256] {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
}
static DECODE: [u8; 256] = decode_table();

/// Length of the base64 text for `n` bytes.
pub const fn encoded_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Appends the base64 text of `input` to `out`.
pub fn encode_into(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(encoded_len(input.len()));
    let mut chunks = input.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.extend_from_slice(&[
            ALPHABET[(n >> 18) as usize & 63],
            ALPHABET[(n >> 12) as usize & 63],
            ALPHABET[(n >> 6) as usize & 63],
            ALPHABET[n as usize & 63],
        ]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[
                ALPHABET[(n >> 18) as usize & 63],
                ALPHABET[(n >> 12) as usize & 63],
                b'=',
                b'=',
            ]);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend_from_slice(&[
                ALPHABET[(n >> 18) as usize & 63],
                ALPHABET[(n >> 12) as usize & 63],
                ALPHABET[(n >> 6) as usize & 63],
                b'=',
            ]);
        }
        _ => {}
    }
}

/// The base64 text of `input`.
pub fn encode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(encoded_len(input.len()));
    encode_into(input, &mut out);
    // Only ASCII was written.
    String::from_utf8(out).unwrap_or_default()
}

/// Error from [`decode`]: a character outside the alphabet, or a length that no encoding has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidBase64;

impl std::fmt::Display for InvalidBase64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid base64")
    }
}

impl std::error::Error for InvalidBase64 {}

/// Decodes base64 text; trailing `=` padding is optional.
pub fn decode(input: &[u8]) -> Result<Vec<u8>, InvalidBase64> {
    let trimmed = match input {
        [rest @ .., b'=', b'='] if input.len().is_multiple_of(4) => rest,
        [rest @ .., b'='] if input.len().is_multiple_of(4) => rest,
        _ => input,
    };
    if trimmed.len() % 4 == 1 {
        return Err(InvalidBase64);
    }
    let mut out = Vec::with_capacity(trimmed.len() / 4 * 3 + 2);
    let mut chunks = trimmed.chunks_exact(4);
    for c in &mut chunks {
        let n = sextet(c[0])? << 18 | sextet(c[1])? << 12 | sextet(c[2])? << 6 | sextet(c[3])?;
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    match *chunks.remainder() {
        [a, b] => {
            let n = sextet(a)? << 18 | sextet(b)? << 12;
            out.push((n >> 16) as u8);
        }
        [a, b, c] => {
            let n = sextet(a)? << 18 | sextet(b)? << 12 | sextet(c)? << 6;
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8]);
        }
        _ => {}
    }
    Ok(out)
}

fn sextet(c: u8) -> Result<u32, InvalidBase64> {
    match DECODE[c as usize] {
        INVALID => Err(InvalidBase64),
        v => Ok(u32::from(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors_round_trip() {
        for (raw, b64) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(raw.as_bytes()), b64);
            assert_eq!(decode(b64.as_bytes()).unwrap(), raw.as_bytes());
            assert_eq!(
                decode(b64.trim_end_matches('=').as_bytes()).unwrap(),
                raw.as_bytes()
            );
        }
    }

    #[test]
    fn rejects_bad_alphabet_and_length() {
        assert_eq!(decode(b"Zm9v!"), Err(InvalidBase64));
        assert_eq!(decode(b"Z"), Err(InvalidBase64));
        assert_eq!(decode(b"Zm=v"), Err(InvalidBase64));
    }
}
