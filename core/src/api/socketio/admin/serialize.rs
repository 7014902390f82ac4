//! What the Admin UI is sent about sockets, in the shapes `@socket.io/admin-ui` 0.5's
//! `serialize` and `new Date()` give: a socket as `{id, clientId, transport, nsp, data,
//! handshake: {address, headers, query, issued, secure, time, url, xdomain}, rooms}`, times as
//! JavaScript's `Date#toISOString` and `Date#toString` write them.

use serde_json::{json, Map, Value as Json};

use crate::socket::server::{Handshake, SocketInfo};
use crate::Value;

/// The key of socket data the instrumentation keeps for itself (the reference's `_admin`:
/// the client id and transport, which travel with the data to other servers of a cluster).
pub(super) const ADMIN_KEY: &str = "_admin";

/// A socket as the UI wants it. `client_id` and `transport` come from the socket's own
/// server when it is local; for a socket of another server, from its data's `_admin`.
pub(super) fn socket(
    info: &SocketInfo,
    nsp: &str,
    client_id: Option<&str>,
    transport: Option<&str>,
) -> Json {
    let data = to_json(&info.data);
    let admin = data.get(ADMIN_KEY);
    let field = |name: &str| admin.and_then(|a| a.get(name)).cloned();
    let client_id = client_id.map(Json::from).or_else(|| field("clientId"));
    let transport = transport.map(Json::from).or_else(|| field("transport"));
    let mut out = Map::new();
    out.insert("id".into(), Json::from(info.id.as_str()));
    if let Some(c) = client_id {
        out.insert("clientId".into(), c);
    }
    if let Some(t) = transport {
        out.insert("transport".into(), t);
    }
    out.insert("nsp".into(), Json::from(nsp));
    out.insert("data".into(), without_admin(data));
    out.insert("handshake".into(), handshake(&info.handshake));
    let rooms = info.rooms.iter().map(|r| Json::from(r.as_str()));
    out.insert("rooms".into(), Json::Array(rooms.collect()));
    Json::Object(out)
}

fn without_admin(data: Json) -> Json {
    match data {
        Json::Object(mut m) => {
            m.remove(ADMIN_KEY);
            Json::Object(m)
        }
        Json::Null => Json::Object(Map::new()),
        other => other,
    }
}

fn to_json(value: &Value) -> Json {
    value.clone().deserialize_into().unwrap_or(Json::Null)
}

fn handshake(h: &Handshake) -> Json {
    let header = |name: &str| h.header(name).map(str::to_owned);
    let address = header("cf-connecting-ip")
        .or_else(|| header("x-forwarded-for"))
        .unwrap_or_else(|| h.conn.address.clone());
    let headers: Map<String, Json> = h
        .conn
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
        .collect();
    let query: Map<String, Json> = h
        .conn
        .query
        .iter()
        .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
        .collect();
    json!({
        "address": address,
        "headers": headers,
        "query": query,
        "issued": h.conn.issued,
        "secure": h.conn.secure,
        "time": date_string(h.conn.issued),
        "url": h.conn.url,
        "xdomain": h.xdomain,
    })
}

/// Days since 1970-01-01 → (year, month 1–12, day 1–31) (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    weekday: usize,
    h: u64,
    min: u64,
    s: u64,
    ms: u64,
}

fn parts(millis: u64) -> Parts {
    let days = (millis / 86_400_000) as i64;
    let (year, month, day) = civil(days);
    let rem = millis % 86_400_000;
    Parts {
        year,
        month,
        day,
        // 1970-01-01 was a Thursday.
        weekday: ((days + 4) % 7) as usize,
        h: rem / 3_600_000,
        min: rem / 60_000 % 60,
        s: rem / 1000 % 60,
        ms: rem % 1000,
    }
}

/// `new Date(millis).toISOString()`: `2025-01-02T03:04:05.678Z`.
pub(super) fn iso_date(millis: u64) -> String {
    let p = parts(millis);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        p.year, p.month, p.day, p.h, p.min, p.s, p.ms
    )
}

/// `new Date(millis).toString()` in UTC: `Thu Jan 02 2025 03:04:05 GMT+0000 (Coordinated
/// Universal Time)` (the server knows no time zone; the reference writes its own).
pub(super) fn date_string(millis: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p = parts(millis);
    format!(
        "{} {} {:02} {:04} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        DAYS[p.weekday],
        MONTHS[(p.month - 1) as usize],
        p.day,
        p.year,
        p.h,
        p.min,
        p.s
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_javascript_writes_them() {
        // new Date(1764000000123): 2025-11-24T16:00:00.123Z, a Monday.
        assert_eq!(iso_date(1_764_000_000_123), "2025-11-24T16:00:00.123Z");
        assert_eq!(
            date_string(1_764_000_000_123),
            "Mon Nov 24 2025 16:00:00 GMT+0000 (Coordinated Universal Time)"
        );
        assert_eq!(iso_date(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_date(0), "1970-01-01T00:00:00.000Z");
    }
}
