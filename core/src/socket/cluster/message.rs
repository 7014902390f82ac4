//! The messages of `@socket.io/redis-adapter` 8.3: broadcasts (msgpack arrays on the
//! broadcast channels) and requests and responses (JSON objects, or msgpack for the two kinds
//! that may carry binary) on the request and response channels.

use crate::socket::server::{Handshake, SocketId, SocketInfo, Target};
use crate::socket::{Event, Value};
use crate::{Map, Str};

/// The adapter's request types (`RequestType` in the Node adapter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Kind {
    Sockets = 0,
    AllRooms = 1,
    RemoteJoin = 2,
    RemoteLeave = 3,
    RemoteDisconnect = 4,
    RemoteFetch = 5,
    ServerSideEmit = 6,
    Broadcast = 7,
    BroadcastClientCount = 8,
    BroadcastAck = 9,
}

impl Kind {
    pub(super) fn from_value(v: Option<&Value>) -> Option<Kind> {
        Some(match v?.as_u64()? {
            0 => Kind::Sockets,
            1 => Kind::AllRooms,
            2 => Kind::RemoteJoin,
            3 => Kind::RemoteLeave,
            4 => Kind::RemoteDisconnect,
            5 => Kind::RemoteFetch,
            6 => Kind::ServerSideEmit,
            7 => Kind::Broadcast,
            8 => Kind::BroadcastClientCount,
            9 => Kind::BroadcastAck,
            _ => return None,
        })
    }
}

/// Reads a request or response body: JSON if it starts with `{` (as the Node adapter
/// decides), msgpack otherwise. Anything else than an object is refused.
pub(super) fn decode_body(body: &[u8]) -> Option<Map> {
    let v = if body.first() == Some(&b'{') {
        serde_json::from_slice::<Value>(body).ok()?
    } else {
        crate::msgpack::decode(body).ok()?
    };
    match v {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A room name as the Node adapter may send it: a string, or a number (JavaScript rooms can
/// be numbers; they match the room of the same text here).
pub(super) fn room(v: &Value) -> Option<Str> {
    match v {
        Value::String(s) => Some(Str::from(s.clone())),
        Value::Number(n) => Some(Str::from(n.to_string())),
        _ => None,
    }
}

pub(super) fn rooms(v: Option<&Value>) -> Vec<Str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(room).collect())
        .unwrap_or_default()
}

/// `{rooms, except}` of a request or a broadcast as a [`Target`].
pub(super) fn target(opts: Option<&Value>) -> Target {
    Target {
        rooms: rooms(opts.and_then(|o| o.get("rooms"))),
        except_rooms: rooms(opts.and_then(|o| o.get("except"))),
        except_socket: None,
    }
}

/// The rooms of a [`Target`] as the wire's `opts` (`except` holds the excluded socket's own
/// room too, as the reference's `socket.broadcast`).
pub(super) fn opts(target: &Target, flags: Option<Map>) -> Map {
    let list = |r: &[Str]| Value::Array(r.iter().map(|s| Value::from(s.as_str())).collect());
    let mut except = target.except_rooms.clone();
    except.extend(target.except_socket.iter().map(|s| s.as_room().clone()));
    let mut m = Map::new();
    m.insert("rooms", list(&target.rooms));
    m.insert("except", list(&except));
    if let Some(f) = flags {
        m.insert("flags", Value::Object(f));
    }
    m
}

/// The packet object of a broadcast: `{type: 2, data: [name, ...args], nsp}`.
pub(super) fn packet(nsp: &str, event: &Event) -> Option<Value> {
    let mut data = vec![Value::from(event.name().as_str())];
    data.extend(event.args().ok()?);
    let mut p = Map::new();
    p.insert("type", Value::from(2u8));
    p.insert("data", Value::Array(data));
    p.insert("nsp", Value::from(nsp));
    Some(Value::Object(p))
}

/// The namespace and event of a packet object; `None` unless it is an EVENT (or
/// BINARY_EVENT) with a name.
pub(super) fn packet_event(packet: &Value) -> Option<(String, Event)> {
    let t = packet.get("type")?.as_u64()?;
    if t != 2 && t != 5 {
        return None;
    }
    let nsp = packet.get("nsp").and_then(Value::as_str).unwrap_or("/");
    let data = packet.get("data")?.as_array()?;
    let name = data.first()?.as_str()?;
    if crate::socket::RESERVED_EVENTS.contains(&name) {
        return None;
    }
    Some((nsp.to_owned(), Event::from_values(name, &data[1..])))
}

/// A value as `JSON.stringify` writes it: binary as a Node `Buffer`'s JSON.
pub(super) fn json(v: &Value) -> Vec<u8> {
    fn conv(v: &Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::Number(n.clone()),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Binary(b) => serde_json::json!({"type": "Buffer", "data": b.to_vec()}),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(conv).collect()),
            Value::Object(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), conv(v))).collect())
            }
        }
    }
    serde_json::to_vec(&conv(v)).unwrap_or_default()
}

/// A socket as the Node adapter's `FETCH_SOCKETS` response lists it.
pub(super) fn socket_to_value(s: &SocketInfo) -> Value {
    let h = &s.handshake;
    let pairs = |p: &[(String, String)]| {
        Value::Object(
            p.iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect(),
        )
    };
    let auth = h
        .auth
        .as_ref()
        .and_then(|a| serde_json::from_str::<Value>(a.as_str()).ok())
        .unwrap_or_else(|| Value::Object(Map::new()));
    let mut hs = Map::new();
    hs.insert("headers", pairs(&h.conn.headers));
    hs.insert("time", Value::from(js_date(h.conn.issued)));
    hs.insert("address", Value::from(h.conn.address.as_str()));
    hs.insert("xdomain", Value::Bool(h.xdomain));
    hs.insert("secure", Value::Bool(h.conn.secure));
    hs.insert("issued", Value::from(h.conn.issued));
    hs.insert("url", Value::from(h.conn.url.as_str()));
    hs.insert("query", pairs(&h.conn.query));
    hs.insert("auth", auth);
    let mut m = Map::new();
    m.insert("id", Value::from(s.id.as_str()));
    m.insert("handshake", Value::Object(hs));
    m.insert(
        "rooms",
        Value::Array(s.rooms.iter().map(|r| Value::from(r.as_str())).collect()),
    );
    m.insert("data", s.data.clone());
    Value::Object(m)
}

/// A socket of another node, from its `FETCH_SOCKETS` response entry.
pub(super) fn socket_from_value(v: &Value) -> Option<SocketInfo> {
    let id = SocketId::new(Str::from(v.get("id")?.as_str()?.to_owned()));
    let h = v.get("handshake");
    let text = |k: &str| {
        h.and_then(|h| h.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let pairs = |k: &str| -> Vec<(String, String)> {
        h.and_then(|h| h.get(k))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) => s.clone(),
                            other => String::from_utf8(json(other)).unwrap_or_default(),
                        };
                        (k.clone(), v)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let flag = |k: &str| h.and_then(|h| h.get(k)).and_then(Value::as_bool);
    let auth = h
        .and_then(|h| h.get("auth"))
        .map(|a| Str::from(String::from_utf8(json(a)).unwrap_or_default()));
    let query = pairs("query");
    let eio = query
        .iter()
        .find(|(k, _)| k == "EIO")
        .map(|(_, v)| v.as_str());
    let conn = crate::socket::server::ConnInfo {
        protocol: crate::engine::Protocol::from_query(eio),
        query,
        headers: pairs("headers"),
        address: text("address"),
        secure: flag("secure").unwrap_or(false),
        url: text("url"),
        issued: h
            .and_then(|h| h.get("issued"))
            .and_then(Value::as_u64)
            .unwrap_or(0),
    };
    let handshake = Handshake {
        xdomain: flag("xdomain").unwrap_or(false),
        conn: conn.into(),
        auth,
    };
    Some(SocketInfo {
        id,
        handshake,
        rooms: rooms(v.get("rooms")),
        data: v.get("data").cloned().unwrap_or(Value::Null),
    })
}

/// `new Date(ms).toString()` in UTC, as a Node server in UTC writes `handshake.time`.
fn js_date(ms: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{} {} {:02} {} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        d,
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_node_writes_them() {
        assert_eq!(
            js_date(1_700_000_000_000),
            "Tue Nov 14 2023 22:13:20 GMT+0000 (Coordinated Universal Time)"
        );
    }
}
