//! The Socket.IO v4 protocol, spoken to clients on Engine.IO v3 (Socket.IO v2 clients), as
//! socket.io 4.8 speaks it to a `conn.protocol === 3` client:
//!
//! - the client is connected to `/` without asking: the server runs `/`'s middlewares as soon
//!   as the connection opens and sends `40` on success;
//! - CONNECT carries no payload either way: the reply is `40` / `40/nsp,`, and the client's
//!   auth is the query string of the namespace it names (`0/admin?token=1,`, read as
//!   `{"token":"1"}`); every packet's namespace is read as a URL path (query and fragment
//!   dropped);
//! - a socket's id is the Engine.IO session id in `/` and `<nsp>#<sid>` elsewhere;
//! - a middleware's refusal is an ERROR packet (type 4) carrying the error's data, or its
//!   message as a plain JSON string;
//! - events, acks and binary attachments are encoded as in v5 (the v2 client's
//!   `socket.io-parser` 3.x uses the same placeholders); only the Engine.IO frames of the
//!   attachments differ (see [`crate::engine::v3`]).
//!
//! One deviation: the reference reads the namespace with the WHATWG URL parser, which also
//! resolves dot segments (`/a/../b`) and percent-encodes some characters; here the path is
//! taken as it is, up to the first `?` or `#`.

use bytes::Bytes;
use hashbrown::HashMap;

use super::SocketId;
use crate::engine::server::parse_query;
use crate::engine::Frame;
use crate::socket::{Packet, PacketData, Value, MAIN_NAMESPACE};
use crate::Str;

/// A packet from a v3 client as the server reads it: the namespace without its query string,
/// and a CONNECT's auth taken from that query string (`None` without one; any JSON payload a
/// v3 CONNECT carries is ignored, as the reference ignores it).
pub(super) fn incoming(mut packet: Packet) -> Packet {
    let end = packet.nsp.as_str().find(['?', '#']);
    let auth = end.and_then(|i| {
        let rest = &packet.nsp.as_str()[i..];
        let query = rest.strip_prefix('?')?;
        Some(query_object(query.split('#').next().unwrap_or("")))
    });
    if let Some(i) = end {
        // `i` is the index of an ASCII character: a character boundary.
        packet.nsp = packet.nsp.slice(0..i).unwrap_or_default();
    }
    if let PacketData::Connect(payload) = &mut packet.data {
        *payload = auth;
    }
    packet
}

/// A query string as the JSON object the reference makes of it
/// (`Object.fromEntries(url.searchParams)`: values are strings, a repeated key keeps its
/// first position and its last value). Linear in the query's length.
fn query_object(query: &str) -> Str {
    let pairs = parse_query(query);
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut entries: Vec<(&str, &str)> = Vec::new();
    for (k, v) in &pairs {
        match index.get(k.as_str()) {
            Some(&i) => entries[i].1 = v,
            None => {
                index.insert(k, entries.len());
                entries.push((k, v));
            }
        }
    }
    let mut out = Vec::with_capacity(2 + query.len() + 6 * entries.len());
    out.push(b'{');
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        crate::socket::json::write_str(&mut out, k);
        out.push(b':');
        crate::socket::json::write_str(&mut out, v);
    }
    out.push(b'}');
    Str::from_trusted(Bytes::from(out))
}

/// The id of a v3 client's socket in namespace `nsp` on Engine.IO session `sid`.
pub(super) fn socket_id(nsp: &Str, sid: &Str) -> SocketId {
    if nsp.as_bytes() == MAIN_NAMESPACE.as_bytes() {
        return SocketId::new(sid.clone());
    }
    let mut id = String::with_capacity(nsp.len() + 1 + sid.len());
    id.push_str(nsp);
    id.push('#');
    id.push_str(sid);
    SocketId::new(Str::from(id))
}

/// The ERROR packet refusing a v3 client: the error's `data` if any, else its message as a
/// JSON string (the reference's `socket._error(err.data || err.message)`).
pub(super) fn error_packet(nsp: Str, message: &str, data: Option<&Value>) -> Packet {
    let json = match data.filter(|d| !falsy(d)) {
        Some(d) => {
            // Like the v5 CONNECT_ERROR, without attachments (`Buffer#toJSON` form).
            let mut p = Packet::connect_error(nsp.clone(), "", Some(d));
            match &mut p.data {
                PacketData::ConnectError(text) => data_member(text),
                _ => Str::default(),
            }
        }
        None => {
            let mut out = Vec::with_capacity(2 + message.len());
            crate::socket::json::write_str(&mut out, message);
            Str::from_trusted(Bytes::from(out))
        }
    };
    Packet::new(nsp, PacketData::ConnectError(json))
}

/// Whether JavaScript reads `v` as false (`err.data || …` then takes the message).
fn falsy(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The `data` member of `{"message":"","data":…}`.
fn data_member(text: &Str) -> Str {
    const HEAD: &str = "{\"message\":\"\",\"data\":";
    text.slice(HEAD.len()..text.len() - 1).unwrap_or_default()
}

/// Whether `frames` hold an attachment (the only frames v3 encodes otherwise).
pub(super) fn has_binary(frames: &[Frame]) -> bool {
    frames.iter().any(|f| matches!(f, Frame::Binary(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(nsp: &'static str, data: PacketData) -> Packet {
        Packet::new(Str::from_static(nsp), data)
    }

    #[test]
    fn connect_auth_comes_from_the_namespace_query() {
        let p = incoming(packet(
            "/admin?token=a%20b&x=1&token=2#f",
            PacketData::Connect(None),
        ));
        assert_eq!(p.nsp, "/admin");
        let PacketData::Connect(Some(auth)) = p.data else {
            panic!("no auth")
        };
        assert_eq!(auth, r#"{"token":"2","x":"1"}"#);
        let p = incoming(packet(
            "/admin",
            PacketData::Connect(Some(Str::from_static("{}"))),
        ));
        assert_eq!(p.data, PacketData::Connect(None));
        let p = incoming(packet("/a?q=1", PacketData::Disconnect));
        assert_eq!((p.nsp.as_str(), p.data), ("/a", PacketData::Disconnect));
    }

    #[test]
    fn socket_ids_follow_the_engine_session() {
        let sid = Str::from_static("abc");
        assert_eq!(socket_id(&Str::from_static("/"), &sid).as_str(), "abc");
        assert_eq!(socket_id(&Str::from_static("/x"), &sid).as_str(), "/x#abc");
    }

    #[test]
    fn refusals_carry_the_data_or_the_message_as_a_string() {
        let nsp = Str::from_static("/");
        let p = error_packet(nsp.clone(), "no \"way\"", None);
        assert_eq!(
            p.data,
            PacketData::ConnectError(Str::from_static(r#""no \"way\"""#))
        );
        let data = Value::from("details");
        let p = error_packet(nsp, "no", Some(&data));
        assert_eq!(
            p.data,
            PacketData::ConnectError(Str::from_static(r#""details""#))
        );
    }
}
