//! [`Str`]: UTF-8 text in a refcounted buffer.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// Immutable UTF-8 text backed by [`Bytes`]: cloning and slicing share the buffer.
///
/// The codecs hand out `Str`s that point into the buffer they decoded (a namespace, an event
/// name, a text message), so decoding does not copy. Building one from a `String` or a
/// `&'static str` is free; building one from raw bytes validates them once.
#[derive(Clone, Default, Eq, PartialOrd, Ord)]
pub struct Str(Bytes);

/// The bytes' hash, as [`Bytes`] and `[u8]` hash them (so lookups by either agree).
impl std::hash::Hash for Str {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

/// Equal bytes, compared in place for short text (ids, names: see
/// `id_hash::ids_equal`).
impl PartialEq for Str {
    #[inline]
    fn eq(&self, other: &Str) -> bool {
        crate::id_hash::ids_equal(&self.0, &other.0)
    }
}

impl Str {
    /// Text from a static string, without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        Str(Bytes::from_static(s.as_bytes()))
    }

    /// Validates `bytes` as UTF-8 and wraps them without copying.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Str(bytes))
    }

    /// Wraps the buffer of an already validated text (a WebSocket library's text message),
    /// moved rather than shared: its `&str` view is the proof, and the buffer it turns into is
    /// trusted when it is that view's very bytes (same address and length); otherwise it is
    /// validated as [`from_utf8`](Self::from_utf8). It touches no reference count.
    pub fn from_text<T: AsRef<str> + Into<Bytes>>(text: T) -> Result<Self, std::str::Utf8Error> {
        let view = text.as_ref();
        let (at, len) = (view.as_ptr(), view.len());
        let bytes: Bytes = text.into();
        if bytes.as_ptr() == at && bytes.len() == len {
            return Ok(Str(bytes));
        }
        Self::from_utf8(bytes)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // The invariant is checked on construction; checking again is cheap and keeps the
        // crate free of `unsafe`. It cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The text as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying buffer.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// A borrowed view of the underlying buffer.
    pub fn bytes(&self) -> &Bytes {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A sub-slice sharing the buffer. `range` must fall on character boundaries.
    ///
    /// Returns `None` when the range is out of bounds or splits a character.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Option<Str> {
        self.as_str().get(range.clone())?;
        Some(Str(self.0.slice(range)))
    }

    /// Wraps bytes the crate has just validated or produced as UTF-8 (serde_json output, a
    /// slice cut at an ASCII delimiter of valid text).
    pub(crate) fn from_trusted(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Str(bytes)
    }
}

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Str {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<String> for Str {
    fn from(s: String) -> Self {
        Str(Bytes::from(s))
    }
}

impl From<&'static str> for Str {
    fn from(s: &'static str) -> Self {
        Str::from_static(s)
    }
}

impl From<Str> for Bytes {
    fn from(s: Str) -> Bytes {
        s.0
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text whose buffer is its view's bytes is wrapped as is; one whose conversion
    /// yields other bytes is validated.
    #[test]
    fn from_text_trusts_only_the_buffer_of_its_view() {
        struct Text(Bytes, &'static str);
        impl AsRef<str> for Text {
            fn as_ref(&self) -> &str {
                self.1
            }
        }
        impl From<Text> for Bytes {
            fn from(t: Text) -> Bytes {
                t.0
            }
        }
        let b = Bytes::from(String::from("héllo"));
        let own = Str::from_text(String::from("héllo")).unwrap();
        assert_eq!(own.as_str(), "héllo");
        // A view elsewhere: the buffer is validated, and invalid bytes are refused.
        assert_eq!(Str::from_text(Text(b, "héllo")).unwrap().as_str(), "héllo");
        assert!(Str::from_text(Text(Bytes::from_static(&[0xff]), "x")).is_err());
        let copy = Bytes::copy_from_slice(b"ok");
        assert_eq!(Str::from_text(Text(copy, "ok")).unwrap().as_str(), "ok");
    }
}
