//! A MessagePack tokenizer: one header (and its bytes) at a time, over a borrowed buffer.
//!
//! Containers come as their header ([`Token::Array`], [`Token::Map`]) followed by their
//! elements; a length that the remaining input cannot hold (every element takes at least one
//! byte) is refused before the caller allocates anything for it.

use super::MsgPackError;

/// One MessagePack item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token<'a> {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer ≥ 0 (from any integer format).
    UInt(u64),
    /// An integer < 0.
    NegInt(i64),
    /// A float 32.
    F32(f32),
    /// A float 64.
    F64(f64),
    /// A string's bytes (not checked to be UTF-8: notepack decodes them lossily).
    Str(&'a [u8]),
    /// Binary data.
    Bin(&'a [u8]),
    /// An array of this many values, which follow.
    Array(usize),
    /// A map of this many key/value pairs, which follow.
    Map(usize),
    /// An extension: its type and data. notepack's own: type 0 in fixext 1 is `undefined`,
    /// in fixext 8 a `Date` (milliseconds, big-endian), in ext 8/16/32 an `ArrayBuffer`.
    Ext {
        /// The header byte (`0xd4`–`0xd8` fixext, `0xc7`–`0xc9` ext).
        format: u8,
        /// The extension type.
        kind: i8,
        /// The data.
        data: &'a [u8],
    },
}

/// Reads tokens from a buffer.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Where the next token starts.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos` (a position this reader returned before).
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    /// Whether the whole input was read.
    pub(crate) fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }

    /// Whether the next token is notepack's `undefined` (fixext 1 of type 0).
    pub(crate) fn peek_undefined(&self) -> bool {
        self.buf
            .get(self.pos..self.pos + 3)
            .is_some_and(|b| b[0] == 0xd4 && b[1] == 0)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], MsgPackError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.buf.len())
            .ok_or(MsgPackError("truncated"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, MsgPackError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn len(&mut self, n: usize) -> Result<usize, MsgPackError> {
        usize::try_from(self.be(n)?).map_err(|_| MsgPackError("truncated"))
    }

    fn signed(v: i64) -> Token<'a> {
        if v >= 0 {
            Token::UInt(v as u64)
        } else {
            Token::NegInt(v)
        }
    }

    fn container(&self, n: usize, per: usize) -> Result<usize, MsgPackError> {
        // Every element takes at least one byte: a length beyond the input is a lie.
        if n.checked_mul(per)
            .is_none_or(|need| need > self.buf.len() - self.pos)
        {
            return Err(MsgPackError("truncated"));
        }
        Ok(n)
    }

    fn ext(&mut self, format: u8, n: usize) -> Result<Token<'a>, MsgPackError> {
        let kind = self.take(1)?[0] as i8;
        let data = self.take(n)?;
        Ok(Token::Ext { format, kind, data })
    }

    /// The next token.
    pub(crate) fn next(&mut self) -> Result<Token<'a>, MsgPackError> {
        let b = self.take(1)?[0];
        Ok(match b {
            0x00..=0x7f => Token::UInt(u64::from(b)),
            0x80..=0x8f => Token::Map(self.container(usize::from(b & 0x0f), 2)?),
            0x90..=0x9f => Token::Array(self.container(usize::from(b & 0x0f), 1)?),
            0xa0..=0xbf => Token::Str(self.take(usize::from(b & 0x1f))?),
            0xc0 => Token::Nil,
            0xc1 => return Err(MsgPackError("reserved byte 0xc1")),
            0xc2 => Token::Bool(false),
            0xc3 => Token::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(1 << (b - 0xc4))?;
                Token::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.len(1 << (b - 0xc7))?;
                self.ext(b, n)?
            }
            0xca => Token::F32(f32::from_bits(self.be(4)? as u32)),
            0xcb => Token::F64(f64::from_bits(self.be(8)?)),
            0xcc..=0xcf => Token::UInt(self.be(1 << (b - 0xcc))?),
            0xd0 => Self::signed(i64::from(self.be(1)? as u8 as i8)),
            0xd1 => Self::signed(i64::from(self.be(2)? as u16 as i16)),
            0xd2 => Self::signed(i64::from(self.be(4)? as u32 as i32)),
            0xd3 => Self::signed(self.be(8)? as i64),
            0xd4..=0xd8 => self.ext(b, 1 << (b - 0xd4))?,
            0xd9..=0xdb => {
                let n = self.len(1 << (b - 0xd9))?;
                Token::Str(self.take(n)?)
            }
            0xdc | 0xdd => {
                let n = self.len(2 << (b - 0xdc))?;
                Token::Array(self.container(n, 1)?)
            }
            0xde | 0xdf => {
                let n = self.len(2 << (b - 0xde))?;
                Token::Map(self.container(n, 2)?)
            }
            0xe0..=0xff => Token::NegInt(i64::from(b as i8)),
        })
    }

    /// Skips one whole value, checking that it is well-formed (without recursion: any depth).
    pub(crate) fn skip(&mut self) -> Result<(), MsgPackError> {
        let mut pending: usize = 1;
        while pending > 0 {
            pending -= 1;
            match self.next()? {
                // Bounded by the input's length (checked by `container`).
                Token::Array(n) => pending += n,
                Token::Map(n) => pending += 2 * n,
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_formats_holding_non_negative_values_read_as_unsigned() {
        assert_eq!(Reader::new(&[0xd0, 0x05]).next(), Ok(Token::UInt(5)));
        assert_eq!(Reader::new(&[0xd0, 0xfb]).next(), Ok(Token::NegInt(-5)));
        assert_eq!(Reader::new(&[0xff]).next(), Ok(Token::NegInt(-1)));
    }

    #[test]
    fn container_lengths_beyond_the_input_are_refused() {
        assert!(Reader::new(&[0xdd, 0xff, 0xff, 0xff, 0xff]).next().is_err());
        assert!(Reader::new(&[0xdf, 0x00, 0x00, 0x00, 0x01, 0xc0])
            .next()
            .is_err());
        assert!(Reader::new(&[0x91]).next().is_err());
        assert_eq!(Reader::new(&[0x91, 0xc0]).next(), Ok(Token::Array(1)));
    }

    #[test]
    fn skip_walks_nested_values_of_any_depth() {
        let mut deep = vec![0x91; 100_000];
        deep.push(0xc0);
        deep.push(0x07);
        let mut r = Reader::new(&deep);
        r.skip().unwrap();
        assert_eq!(r.next(), Ok(Token::UInt(7)));
        assert!(r.at_end());
    }
}
