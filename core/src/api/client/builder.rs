//! [`ClientBuilder`]: the options of a client, then [`build`](ClientBuilder::build).

use std::sync::Arc;
use std::time::Duration;

use super::io::ClientIo;
use super::url::{ServerUrl, UrlError};
use super::{Client, Target};
use crate::api::runtime::Runtime;
use crate::engine::server::TransportKind;
use crate::socket::client::{Manager, ManagerConfig};
use crate::socket::Parser;

/// Builds a [`Client`]. Drivers hand one out with their runtime and I/O filled in
/// (`sio_tokio::client(url)`, `sio_smol::client(url)`); the defaults are the reference
/// client's.
pub struct ClientBuilder {
    url: String,
    config: ManagerConfig,
    headers: Vec<(String, String)>,
    runtime: Arc<dyn Runtime>,
    io: Arc<dyn ClientIo>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("url", &self.url)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A client of the server at `url` (`http://host:port`, optionally with the default
    /// socket's namespace as path and query pairs), on `runtime` with the driver's `io`.
    pub fn new(url: &str, runtime: Arc<dyn Runtime>, io: Arc<dyn ClientIo>) -> Self {
        ClientBuilder {
            url: url.to_owned(),
            config: ManagerConfig::default(),
            headers: Vec::new(),
            runtime,
            io,
        }
    }

    /// The server's path (default `/socket.io/`).
    pub fn path(mut self, path: &str) -> Self {
        let mut p = String::from(path);
        if !p.starts_with('/') {
            p.insert(0, '/');
        }
        if !p.ends_with('/') {
            p.push('/');
        }
        self.config.engine.path = p;
        self
    }

    /// Transports in order of preference (default polling, then WebSocket).
    pub fn transports(mut self, transports: &[TransportKind]) -> Self {
        self.config.engine.transports = transports.to_vec();
        self
    }

    /// Whether to move from polling to WebSocket (default true).
    pub fn upgrade(mut self, upgrade: bool) -> Self {
        self.config.engine.upgrade = upgrade;
        self
    }

    /// Whether to open directly over WebSocket after a connection of this client upgraded
    /// (default false).
    pub fn remember_upgrade(mut self, remember: bool) -> Self {
        self.config.engine.remember_upgrade = remember;
        self
    }

    /// Adds a query pair to every request.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.config
            .engine
            .query
            .push((key.to_owned(), value.to_owned()));
        self
    }

    /// Adds a header to every request and WebSocket handshake (the reference's
    /// `extraHeaders`).
    pub fn extra_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The Socket.IO parser (default [`Parser::Json`]); it must be the server's
    /// ([`Parser::MsgPack`] for a server using `socket.io-msgpack-parser`).
    pub fn parser(mut self, parser: Parser) -> Self {
        self.config.parser = parser;
        self
    }

    /// Whether to reconnect after losing the connection (default true).
    pub fn reconnection(mut self, on: bool) -> Self {
        self.config.reconnection = on;
        self
    }

    /// Reconnection attempts before giving up (default unlimited).
    pub fn reconnection_attempts(mut self, n: u32) -> Self {
        self.config.reconnection_attempts = n;
        self
    }

    /// The first reconnection delay (default 1 s).
    pub fn reconnection_delay(mut self, d: Duration) -> Self {
        self.config.reconnection_delay = d;
        self
    }

    /// The largest reconnection delay (default 5 s).
    pub fn reconnection_delay_max(mut self, d: Duration) -> Self {
        self.config.reconnection_delay_max = d;
        self
    }

    /// How much delays vary at random, 0 to 1 (default 0.5).
    pub fn randomization_factor(mut self, f: f64) -> Self {
        self.config.randomization_factor = f;
        self
    }

    /// How long a connection attempt may take (default 20 s).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.config.timeout = d;
        self
    }

    /// Whether to ask for compressed polling responses (`Accept-Encoding: gzip, deflate`) and
    /// decode them (default true, as browsers; the reference's Node client does not ask).
    pub fn http_compression(mut self, on: bool) -> Self {
        self.config.engine.http_compression = on;
        self
    }

    /// permessage-deflate on WebSockets: the options to offer it with, or `None` not to
    /// offer it (default: offered, threshold 1024 bytes, as the reference's Node client).
    pub fn per_message_deflate(
        mut self,
        options: Option<crate::compress::deflate::PerMessageDeflate>,
    ) -> Self {
        self.config.engine.per_message_deflate = options;
        self
    }

    /// Every option at once.
    pub fn config(mut self, config: ManagerConfig) -> Self {
        self.config = config;
        self
    }

    /// Builds the client. Nothing connects until a socket does.
    pub fn build(self) -> Result<Client, UrlError> {
        let url = ServerUrl::parse(&self.url)?;
        let mut config = self.config;
        let mut query = url.query;
        query.append(&mut config.engine.query);
        config.engine.query = query;
        let target = Target {
            endpoint: url.endpoint,
            path: config.engine.path.clone(),
            headers: self.headers,
            default_namespace: url.namespace,
            http_compression: config.engine.http_compression,
            per_message_deflate: config.engine.per_message_deflate,
        };
        Ok(Client::start(
            self.runtime,
            self.io,
            target,
            Manager::new(config),
        ))
    }
}
