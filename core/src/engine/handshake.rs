//! The handshake document carried by the `open` packet.

use std::fmt;

use crate::Str;

/// The data of the `open` packet: `{"sid":…,"upgrades":[…],"pingInterval":…,"pingTimeout":…,
/// "maxPayload":…}`, keys in the reference's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The session id (sensitive: it authenticates every later request of the session).
    pub sid: Str,
    /// Transports the client may upgrade to: `["websocket"]` over polling, `[]` over WebSocket.
    pub upgrades: Vec<Str>,
    /// Milliseconds between two pings from the server.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong.
    pub ping_timeout: u64,
    /// The largest payload the server accepts, in bytes (polling clients batch up to it).
    pub max_payload: u64,
}

/// Why a handshake document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeError(pub(crate) &'static str);

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid handshake: {}", self.0)
    }
}

impl std::error::Error for HandshakeError {}

impl Handshake {
    /// The JSON document, compact, keys in the reference's order.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128);
        out.push_str("{\"sid\":");
        push_json_str(&mut out, &self.sid);
        out.push_str(",\"upgrades\":[");
        for (i, u) in self.upgrades.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_str(&mut out, u);
        }
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "],\"pingInterval\":{},\"pingTimeout\":{},\"maxPayload\":{}}}",
            self.ping_interval, self.ping_timeout, self.max_payload
        );
        out
    }

    /// Reads the document a server sent. `maxPayload` may be absent (older servers); it then
    /// reads as 0, meaning "no batching limit known".
    pub fn from_json(json: &[u8]) -> Result<Self, HandshakeError> {
        let v: serde_json::Value =
            serde_json::from_slice(json).map_err(|_| HandshakeError("not JSON"))?;
        let obj = v.as_object().ok_or(HandshakeError("not an object"))?;
        let sid = obj
            .get("sid")
            .and_then(|s| s.as_str())
            .ok_or(HandshakeError("missing sid"))?;
        let upgrades = match obj.get("upgrades") {
            None => Vec::new(),
            Some(u) => u
                .as_array()
                .ok_or(HandshakeError("upgrades is not an array"))?
                .iter()
                .map(|u| u.as_str().map(|s| Str::from(s.to_owned())))
                .collect::<Option<Vec<_>>>()
                .ok_or(HandshakeError("upgrades holds a non-string"))?,
        };
        let num = |key: &str, required: bool| match obj.get(key) {
            None if !required => Ok(0),
            v => v
                .and_then(|v| v.as_u64())
                .ok_or(HandshakeError("missing or invalid timing")),
        };
        Ok(Handshake {
            sid: Str::from(sid.to_owned()),
            upgrades,
            ping_interval: num("pingInterval", true)?,
            ping_timeout: num("pingTimeout", true)?,
            max_payload: num("maxPayload", false)?,
        })
    }
}

fn push_json_str(out: &mut String, s: &str) {
    // A &str always serializes.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_reference_document() {
        let h = Handshake {
            sid: Str::from_static("lv_VI97HAXpY6yYWAAAC"),
            upgrades: vec![Str::from_static("websocket")],
            ping_interval: 25000,
            ping_timeout: 20000,
            max_payload: 1_000_000,
        };
        let json = h.to_json();
        assert_eq!(
            json,
            r#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        );
        assert_eq!(Handshake::from_json(json.as_bytes()).unwrap(), h);
    }

    #[test]
    fn refuses_bad_documents() {
        assert!(Handshake::from_json(b"[]").is_err());
        assert!(Handshake::from_json(b"{\"sid\":1}").is_err());
        assert!(Handshake::from_json(b"{\"sid\":\"a\",\"pingInterval\":1}").is_err());
        let h = Handshake::from_json(b"{\"sid\":\"a\",\"pingInterval\":1,\"pingTimeout\":2}");
        assert_eq!(h.unwrap().max_payload, 0);
    }
}
