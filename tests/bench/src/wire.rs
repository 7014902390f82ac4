//! The frames the load generator sends and how it reads the sequence number back.
//!
//! Every scenario sends one argument, an object carrying a sequence number `seq`, so that all
//! servers (sio, Node, socketioxide — which reorders object keys) answer with something the
//! generator can match: it looks for `"seq":` in the answer. The raw ceiling echoes frames as
//! they are, which parses the same way.
//!
//! | scenario  | client sends                                              | server answers |
//! |-----------|-----------------------------------------------------------|----------------|
//! | echo      | `42["echo",{"seq":N,"p":"…"}]`                            | the same event |
//! | ack       | `42N["ack",{"seq":N,"p":"…"}]`                            | `43N[{…}]`     |
//! | binary    | `451-["binecho",{"seq":N,"b":{placeholder 0}}]` + binary  | the same event |
//! | broadcast | `42["bcast",{"seq":N,"p":"…"}]`                           | `bcast` to all |
//!
//! With `--proto sio-msgpack` (the msgpack parser, echo only) the same event travels as one
//! binary frame, `{type: 2, data: ["echo", {seq: N, p: "…"}], nsp: "/"}` in MessagePack, and
//! the answer's `seq` is read after the key `seq` of the answer's binary frame.

use async_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The WebSocket buffers of the generator and of the raw ceiling: those of sio's drivers (a
/// 2 KiB read buffer, writes batched up to 16 KiB until flushed). tungstenite's default read
/// buffer (128 KiB) is zeroed on every read, which profiles showed costing 90% of a raw echo
/// server's instructions: with it the "ceiling" would be lower than the servers it bounds.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(2048)
        .write_buffer_size(16 * 1024)
}

/// Which protocol the server under test speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// Engine.IO v4 + Socket.IO v5 over WebSocket, main namespace.
    Sio,
    /// A bare WebSocket echo server (the ceiling): no handshake, frames echoed.
    Raw,
    /// Socket.IO with the msgpack parser (`socket.io-msgpack-parser`).
    SioMsgPack,
}

/// The WebSocket URL of the server at `addr` for `proto`.
pub fn url(addr: &str, proto: Proto) -> String {
    match proto {
        Proto::Sio | Proto::SioMsgPack => {
            format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")
        }
        Proto::Raw => format!("ws://{addr}/"),
    }
}

/// An echo event, `42["echo",{"seq":N,"p":"…"}]`.
pub fn echo(seq: u64, payload: &str) -> String {
    format!(r#"42["echo",{{"seq":{seq},"p":"{payload}"}}]"#)
}

/// An `ack` event asking for an ack with id `seq`, which the server answers with its argument.
pub fn ack(seq: u64, payload: &str) -> String {
    format!(r#"42{seq}["ack",{{"seq":{seq},"p":"{payload}"}}]"#)
}

/// The text header of a binary echo; its one attachment follows as a binary frame.
pub fn binary_header(seq: u64) -> String {
    format!(r#"451-["binecho",{{"seq":{seq},"b":{{"_placeholder":true,"num":0}}}}]"#)
}

/// A broadcast request: the server emits `bcast` with this argument to every socket.
pub fn broadcast(seq: u64, payload: &str) -> String {
    format!(r#"42["bcast",{{"seq":{seq},"p":"{payload}"}}]"#)
}

/// The msgpack parser's CONNECT to `/`.
pub const CONNECT_MSGPACK: &[u8] = b"\x82\xa4type\x00\xa3nsp\xa1/";

fn msgpack_uint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v < 0x1_0000_0000 {
        out.push(0xce);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// An echo event for the msgpack parser (as notepack writes it, but for the integer format
/// of `seq`, which any decoder reads).
pub fn echo_msgpack(seq: u64, payload: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + payload.len());
    out.extend_from_slice(b"\x83\xa4type\x02\xa4data\x92\xa4echo\x82\xa3seq");
    msgpack_uint(&mut out, seq);
    out.extend_from_slice(b"\xa1p");
    assert!(payload.len() < 256, "payload fits a str 8");
    if payload.len() < 32 {
        out.push(0xa0 | payload.len() as u8);
    } else {
        out.extend_from_slice(&[0xd9, payload.len() as u8]);
    }
    out.extend_from_slice(payload.as_bytes());
    out.extend_from_slice(b"\xa3nsp\xa1/");
    out
}

/// The sequence number of a msgpack answer: the integer after the key `seq`.
pub fn parse_msgpack(b: &[u8]) -> Option<u64> {
    let at = b.windows(4).position(|w| w == b"\xa3seq")? + 4;
    let be = |n: usize| {
        b.get(at + 1..at + 1 + n)
            .map(|d| d.iter().fold(0u64, |a, x| (a << 8) | u64::from(*x)))
    };
    match *b.get(at)? {
        v @ 0..=0x7f => Some(u64::from(v)),
        0xcc => be(1),
        0xcd => be(2),
        0xce => be(4),
        0xcf => be(8),
        _ => None,
    }
}

/// What a text frame from the server is.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// An Engine.IO ping: answer `3`.
    Ping,
    /// An answer carrying sequence number `seq`; `attachments` binary frames follow.
    Answer {
        /// The sequence number.
        seq: u64,
        /// How many binary frames complete it.
        attachments: u32,
    },
    /// Anything else (handshake, connect, noise).
    Other,
}

/// Classifies a text frame.
pub fn parse(text: &str) -> Incoming {
    if text == "2" {
        return Incoming::Ping;
    }
    let Some(at) = text.find("\"seq\":") else {
        return Incoming::Other;
    };
    let digits: &str = &text[at + 6..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let Ok(seq) = digits[..end].parse() else {
        return Incoming::Other;
    };
    let attachments = match text.as_bytes().get(1) {
        Some(b'5' | b'6') => text[2..]
            .split('-')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        _ => 0,
    };
    Incoming::Answer { seq, attachments }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_of_every_server_parse() {
        let a = |seq, attachments| Incoming::Answer { seq, attachments };
        assert_eq!(parse(&echo(7, "xx")), a(7, 0));
        assert_eq!(parse(r#"4312[{"p":"xx","seq":12}]"#), a(12, 0));
        assert_eq!(parse(&binary_header(3)), a(3, 1));
        assert_eq!(parse("2"), Incoming::Ping);
        assert_eq!(parse(r#"40{"sid":"abc"}"#), Incoming::Other);
        for seq in [0, 127, 128, 70_000, 1 << 40] {
            assert_eq!(parse_msgpack(&echo_msgpack(seq, "xx")), Some(seq));
        }
        assert_eq!(parse_msgpack(CONNECT_MSGPACK), None);
    }
}
