//! MessagePack as `notepack.io` writes and reads it: the codec of `@socket.io/redis-adapter`
//! (notepack 3) and of `socket.io-msgpack-parser` (notepack 2.2).
//!
//! One tokenizer (`read`) and one set of writers (`write`) serve two users: the tree codec
//! over [`Value`](crate::Value) ([`encode`], [`decode`]; the cluster adapter's broadcasts and
//! requests), and the Socket.IO msgpack packet codec
//! ([`socket::msgpack`](crate::socket::msgpack)), which streams between MessagePack and the
//! JSON-with-attachments form every other part of sio works with, without building a tree.
//!
//! The writers make notepack's choices, so a Node peer and sio produce the same bytes:
//! integral numbers take the smallest integer format (`1.0` is the fixint `0x01`), other
//! numbers are float 64 (notepack never writes float 32), strings take fixstr/str 8/16/32,
//! binary takes bin 8/16/32, arrays and maps their fix/16/32 forms.

pub(crate) mod read;
mod value;
pub(crate) mod write;

pub use value::{decode, encode};

/// Nesting deeper than this is refused on reading (a hostile peer cannot exhaust the stack);
/// the same limit as the JSON path's.
pub(crate) const MAX_DEPTH: usize = 128;

/// Why bytes are not one MessagePack value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgPackError(pub(crate) &'static str);

impl std::fmt::Display for MsgPackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid msgpack: {}", self.0)
    }
}

impl std::error::Error for MsgPackError {}
