//! [`ClientConfig`]: how an Engine.IO client connects.

use crate::compress::deflate::PerMessageDeflate;
use crate::engine::server::TransportKind;

/// The options of an Engine.IO client, with the reference client's defaults
/// (`engine.io-client` 6.6).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The path the server listens on, with its trailing slash (default `/engine.io/`; a
    /// Socket.IO client uses `/socket.io/`).
    pub path: String,
    /// Extra query pairs sent with every request (the reference's `query`), raw: they are
    /// percent-encoded here.
    pub query: Vec<(String, String)>,
    /// Transports in order of preference: the first opens the connection (default polling,
    /// then WebSocket).
    pub transports: Vec<TransportKind>,
    /// Whether to try moving from polling to WebSocket after the handshake (default true).
    pub upgrade: bool,
    /// Whether to open directly over WebSocket when an earlier connection of the same client
    /// upgraded successfully (the reference's `rememberUpgrade`, default false).
    pub remember_upgrade: bool,
    /// The largest payload this client accepts in one poll response, in bytes (default
    /// 100 MB): a server sending more is a transport error, never an unbounded allocation.
    pub max_payload: usize,
    /// Ask for compressed poll responses (`Accept-Encoding: gzip, deflate`, as browsers do)
    /// and decode them (default true; the reference's Node client sends no
    /// `Accept-Encoding`). Decoded bodies are held to `max_payload` while inflating.
    pub http_compression: bool,
    /// Offer permessage-deflate on WebSockets (the reference Node client's
    /// `perMessageDeflate`, on by default with a threshold of 1024 bytes; `None` offers
    /// nothing). See [`client_offer`](crate::compress::deflate::client_offer).
    pub per_message_deflate: Option<PerMessageDeflate>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            path: "/engine.io/".to_owned(),
            query: Vec::new(),
            transports: vec![TransportKind::Polling, TransportKind::WebSocket],
            upgrade: true,
            remember_upgrade: false,
            max_payload: 100_000_000,
            http_compression: true,
            per_message_deflate: Some(PerMessageDeflate::default()),
        }
    }
}
