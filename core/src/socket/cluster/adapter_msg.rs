//! The messages of socket.io-adapter 2.5's `ClusterAdapter`, which both the sharded adapter
//! of `@socket.io/redis-adapter` 8.3 and `@socket.io/redis-streams-adapter` 0.2 speak:
//! `{type, data, uid, nsp}`, in two encodings.
//!
//! - Sharded: the whole message as JSON, or as notepack msgpack when its kind may carry
//!   binary and its data does (`JSON.stringify` / `notepack.encode`); read as JSON when it
//!   starts with `{`.
//! - Streams: one stream entry with the fields `uid`, `nsp`, `type` (the number as text) and
//!   `data` (JSON, or base64 of `@msgpack/msgpack` when it carries binary).

use bytes::Bytes;

use crate::engine::base64;
use crate::msgpack;
use crate::socket::Value;
use crate::Map;

/// `MessageType` of socket.io-adapter's cluster adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum MsgType {
    InitialHeartbeat = 1,
    Heartbeat = 2,
    Broadcast = 3,
    SocketsJoin = 4,
    SocketsLeave = 5,
    DisconnectSockets = 6,
    FetchSockets = 7,
    FetchSocketsResponse = 8,
    ServerSideEmit = 9,
    ServerSideEmitResponse = 10,
    BroadcastClientCount = 11,
    BroadcastAck = 12,
    AdapterClose = 13,
}

impl MsgType {
    fn from_u64(n: u64) -> Option<MsgType> {
        use MsgType::*;
        Some(match n {
            1 => InitialHeartbeat,
            2 => Heartbeat,
            3 => Broadcast,
            4 => SocketsJoin,
            5 => SocketsLeave,
            6 => DisconnectSockets,
            7 => FetchSockets,
            8 => FetchSocketsResponse,
            9 => ServerSideEmit,
            10 => ServerSideEmitResponse,
            11 => BroadcastClientCount,
            12 => BroadcastAck,
            13 => AdapterClose,
            _ => return None,
        })
    }

    /// The kinds the Node adapters encode as msgpack when their data holds binary.
    fn may_contain_binary(self) -> bool {
        matches!(
            self,
            MsgType::Broadcast
                | MsgType::BroadcastAck
                | MsgType::FetchSocketsResponse
                | MsgType::ServerSideEmit
                | MsgType::ServerSideEmitResponse
        )
    }
}

/// A decoded message. `data` is empty for the kinds without one (heartbeats).
#[derive(Debug)]
pub(super) struct Msg {
    pub(super) uid: String,
    pub(super) nsp: String,
    pub(super) kind: MsgType,
    pub(super) data: Map,
}

impl Msg {
    /// `data.requestId`, if a string.
    pub(super) fn request_id(&self) -> Option<&str> {
        self.data.get("requestId").and_then(Value::as_str)
    }
}

/// Whether `v` holds binary anywhere (the adapters' `hasBinary`).
pub(super) fn has_binary(v: &Value) -> bool {
    match v {
        Value::Binary(_) => true,
        Value::Array(a) => a.iter().any(has_binary),
        Value::Object(m) => m.iter().any(|(_, v)| has_binary(v)),
        _ => false,
    }
}

fn binary_data(kind: MsgType, data: Option<&Map>) -> bool {
    kind.may_contain_binary() && data.is_some_and(|d| d.iter().any(|(_, v)| has_binary(v)))
}

/// A message as the sharded adapter publishes it.
pub(super) fn encode_sharded(uid: &str, nsp: &str, kind: MsgType, data: Option<&Map>) -> Vec<u8> {
    let mut m = Map::new();
    m.insert("type", Value::from(kind as u8));
    if let Some(d) = data {
        m.insert("data", Value::Object(d.clone()));
    }
    m.insert("uid", Value::from(uid));
    m.insert("nsp", Value::from(nsp));
    let v = Value::Object(m);
    if binary_data(kind, data) {
        msgpack::encode(&v)
    } else {
        super::message::json(&v)
    }
}

/// A message the sharded adapter published; `None` if it is not one.
pub(super) fn decode_sharded(body: &[u8]) -> Option<Msg> {
    let v = if body.first() == Some(&b'{') {
        serde_json::from_slice::<Value>(body).ok()?
    } else {
        msgpack::decode(body).ok()?
    };
    let Value::Object(mut m) = v else {
        return None;
    };
    let kind = MsgType::from_u64(m.get("type")?.as_u64()?)?;
    let uid = m
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let nsp = m.get("nsp")?.as_str()?.to_owned();
    let data = match m.remove("data") {
        Some(Value::Object(d)) => d,
        _ => Map::new(),
    };
    Some(Msg {
        uid,
        nsp,
        kind,
        data,
    })
}

/// The fields of a stream entry, as the streams adapter appends them.
pub(super) fn encode_stream(
    uid: &str,
    nsp: &str,
    kind: MsgType,
    data: Option<&Map>,
) -> Vec<(&'static str, Bytes)> {
    let mut fields = vec![
        ("uid", Bytes::from(uid.to_owned())),
        ("nsp", Bytes::from(nsp.to_owned())),
        ("type", Bytes::from((kind as u8).to_string())),
    ];
    if let Some(d) = data {
        let v = Value::Object(d.clone());
        let text = if binary_data(kind, data) {
            base64::encode(&msgpack::encode(&v)).into_bytes()
        } else {
            super::message::json(&v)
        };
        fields.push(("data", Bytes::from(text)));
    }
    fields
}

/// The raw fields of a stream entry.
pub(super) fn field<'a>(fields: &'a [(Bytes, Bytes)], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|(k, _)| k.as_ref() == name.as_bytes())
        .map(|(_, v)| v.as_ref())
}

/// A message from a stream entry's fields; `None` if it is not one.
pub(super) fn decode_stream(fields: &[(Bytes, Bytes)]) -> Option<Msg> {
    let text = |name: &str| {
        field(fields, name)
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(str::to_owned)
    };
    let uid = text("uid").unwrap_or_default();
    let nsp = text("nsp")?;
    let kind = MsgType::from_u64(text("type")?.parse().ok()?)?;
    let data = match field(fields, "data").filter(|d| !d.is_empty()) {
        None => Map::new(),
        Some(d) => match decode_stream_data(d)? {
            Value::Object(m) => m,
            _ => return None,
        },
    };
    Some(Msg {
        uid,
        nsp,
        kind,
        data,
    })
}

/// A `data` field: JSON if it starts with `{`, base64 of msgpack otherwise.
pub(super) fn decode_stream_data(d: &[u8]) -> Option<Value> {
    if d.first() == Some(&b'{') {
        serde_json::from_slice::<Value>(d).ok()
    } else {
        msgpack::decode(&base64::decode(d).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sharded_message_is_json_unless_it_carries_binary() {
        let mut d = Map::new();
        d.insert("requestId", Value::from("abc"));
        let json = encode_sharded("u1", "/", MsgType::FetchSockets, Some(&d));
        let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"type": 7, "data": {"requestId": "abc"}, "uid": "u1", "nsp": "/"})
        );
        d.insert("packet", Value::Binary(Bytes::from_static(&[1])));
        let bin = encode_sharded("u1", "/", MsgType::Broadcast, Some(&d));
        assert_ne!(bin[0], b'{');
        let back = decode_sharded(&bin).unwrap();
        assert_eq!(back.kind, MsgType::Broadcast);
        assert_eq!(back.uid, "u1");
        assert_eq!(back.data, d);
    }

    #[test]
    fn a_stream_entry_has_the_node_fields() {
        let fields = encode_stream("u1", "/", MsgType::Heartbeat, None);
        let names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, ["uid", "nsp", "type"]);
        assert_eq!(fields[2].1.as_ref(), b"2");
        let mut d = Map::new();
        d.insert("x", Value::Binary(Bytes::from_static(&[1, 2])));
        let fields = encode_stream("u1", "/a", MsgType::ServerSideEmit, Some(&d));
        let raw: Vec<(Bytes, Bytes)> = fields
            .into_iter()
            .map(|(k, v)| (Bytes::from_static(k.as_bytes()), v))
            .collect();
        let back = decode_stream(&raw).unwrap();
        assert_eq!(
            (back.nsp.as_str(), back.kind, back.data),
            ("/a", MsgType::ServerSideEmit, d)
        );
    }
}
