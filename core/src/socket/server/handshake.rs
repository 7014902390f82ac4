//! What the server knows of a client: [`ConnInfo`] from the Engine.IO layer, [`Handshake`]
//! per socket.

use std::sync::Arc;

use crate::engine::Protocol;
use crate::Str;

/// The Engine.IO connection's handshake request, as the driver saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnInfo {
    /// The query pairs of the handshake request (including `EIO` and `transport`).
    pub query: Vec<(String, String)>,
    /// The request headers the application may want (`origin`, `user-agent`, `cookie`, …),
    /// names in lower case.
    pub headers: Vec<(String, String)>,
    /// The peer's address, as the driver formats it.
    pub address: String,
    /// Whether the connection is TLS.
    pub secure: bool,
    /// The request URL (path and query).
    pub url: String,
    /// When the handshake happened, in milliseconds since the Unix epoch (given by the driver:
    /// the core reads no clock).
    pub issued: u64,
    /// The Engine.IO revision of the connection: v3 clients (Socket.IO v2) speak the
    /// Socket.IO v4 protocol (see the `legacy` rules in [`SocketServer`](super::SocketServer)).
    pub protocol: Protocol,
}

/// A socket's handshake: its Engine.IO connection's request and the CONNECT's auth, as the
/// reference's `socket.handshake`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The Engine.IO handshake request (shared by the connection's sockets).
    pub conn: Arc<ConnInfo>,
    /// Whether the request came from another origin (an `origin` header is present).
    pub xdomain: bool,
    /// The CONNECT payload (a JSON object as text), if any.
    pub auth: Option<Str>,
}

impl Handshake {
    pub(super) fn new(conn: &Arc<ConnInfo>, auth: Option<Str>) -> Self {
        Handshake {
            xdomain: conn.headers.iter().any(|(k, _)| k == "origin"),
            conn: conn.clone(),
            auth,
        }
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        let mut q = self.conn.query.iter();
        q.find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut h = self.conn.headers.iter();
        h.find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}
