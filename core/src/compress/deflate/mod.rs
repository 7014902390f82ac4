//! The WebSocket permessage-deflate extension (RFC 7692), sans-IO: negotiation
//! ([`server_accept`], [`client_offer`], [`client_accept`]), the per-connection [`Codec`]
//! (each message compressed or inflated, with or without context takeover), and the
//! [`FrameScanner`] that lets a WebSocket library without extension support carry the
//! compressed messages.
//!
//! ## How compressed frames get past tungstenite
//!
//! tungstenite 0.30 has no extensions and fails a connection on any frame with RSV1 set. The
//! drivers keep it for everything else (framing, masking, fragments, ping/pong, the close
//! handshake, size limits, UTF-8) and fit the extension around it:
//!
//! - **Out**: a compressed message is handed to tungstenite as a ready frame
//!   (`Message::Frame`) with RSV1 set, which it writes as it is.
//! - **In**: the [`FrameScanner`] reads the bytes on their way from the socket to tungstenite
//!   and, on the first frame of each message that has RSV1, clears RSV1 and makes a text
//!   opcode binary (tungstenite would check UTF-8 on compressed bytes), noting the message
//!   as compressed. The driver then takes each whole message tungstenite yields with the
//!   scanner's next note ([`FrameScanner::next_message`]) and inflates the compressed ones
//!   with [`Codec::decompress`] (limit: `max_payload`, enforced while inflating; UTF-8 of a
//!   text message checked after). A compressed message's continuation frames, control frames
//!   and RSV2/RSV3 are left as they are, so tungstenite still fails what RFC 7692 forbids
//!   (RSV1 on a continuation or control frame) with 1002.
//!
//! Only one byte per message changes, only when the extension was negotiated: a connection
//! without it has no scanner and no codec, and runs exactly as before.

mod codec;
mod negotiate;
mod scan;

pub use codec::{Codec, Role};
pub use negotiate::{
    client_accept, client_offer, server_accept, ExtensionError, EXTENSION, INVALID_HEADER,
};
pub use scan::{FrameScanner, Incoming};

/// permessage-deflate options (the reference's `perMessageDeflate`, off by default on the
/// server: `ServerConfig::per_message_deflate` is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerMessageDeflate {
    /// Messages shorter than this (in bytes) are sent uncompressed (reference: 1024). As the
    /// reference: a client applies it to every message (engine.io-client); a server only
    /// when it does not keep its context (`server_no_context_takeover`), since `ws`
    /// compresses every message when it does.
    pub threshold: usize,
    /// The deflate level, 0–9 (reference: zlib's default, 6).
    pub level: u32,
    /// Server: always answer `server_no_context_takeover` (each message the server sends is
    /// compressed on its own, and the server keeps no compressor between messages). Client:
    /// ask the server for it. (An offer asking for it is always accepted, as `ws` does.)
    pub server_no_context_takeover: bool,
    /// Server: answer `client_no_context_takeover` (the client compresses each message on its
    /// own, and the server keeps no inflater between messages). Client: offer it.
    pub client_no_context_takeover: bool,
    /// Server only: ask clients to compress with a window of at most this many bits (8–15);
    /// offers without the parameter are then refused, as `ws` does. `None` (default): the
    /// client's choice. (The server can inflate any window; `miniz_oxide` always allocates
    /// 32 KiB for it, so a smaller one saves the client's memory, not the server's.)
    pub client_max_window_bits: Option<u8>,
}

impl Default for PerMessageDeflate {
    fn default() -> Self {
        PerMessageDeflate {
            threshold: 1024,
            level: 6,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            client_max_window_bits: None,
        }
    }
}

/// The parameters both ends agreed on, as the server answers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Agreed {
    /// The server compresses each message on its own.
    pub server_no_context_takeover: bool,
    /// The client compresses each message on its own.
    pub client_no_context_takeover: bool,
    /// The server's window (only 15 is ever agreed: see [`server_accept`]).
    pub server_max_window_bits: Option<u8>,
    /// The client's window.
    pub client_max_window_bits: Option<u8>,
}

impl Agreed {
    /// The `Sec-WebSocket-Extensions` value of the server's 101 answer.
    pub fn header(&self) -> String {
        let mut h = String::from(EXTENSION);
        if self.server_no_context_takeover {
            h.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            h.push_str("; client_no_context_takeover");
        }
        if let Some(b) = self.server_max_window_bits {
            h.push_str(&format!("; server_max_window_bits={b}"));
        }
        if let Some(b) = self.client_max_window_bits {
            h.push_str(&format!("; client_max_window_bits={b}"));
        }
        h
    }
}
