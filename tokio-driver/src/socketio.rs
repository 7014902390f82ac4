//! [`SocketIoServer`]: the Socket.IO server on tokio.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use sio_core::api::socketio::{Namespace, SocketIo, SocketIoConfig};
use sio_core::api::{BoxFuture, Runtime};
use tokio::net::TcpListener;

use crate::{EngineLayer, EngineServer};

/// tokio as the async layer's runtime.
pub(crate) struct Tokio;

impl Runtime for Tokio {
    fn spawn(&self, future: BoxFuture) {
        tokio::spawn(future);
    }
    fn now(&self) -> Instant {
        crate::now()
    }
    fn unix_millis(&self) -> u64 {
        std::time::SystemTime::UNIX_EPOCH
            .elapsed()
            .map_or(0, |d| d.as_millis() as u64)
    }
    fn spawn_blocking(&self, work: Box<dyn FnOnce() + Send>) {
        tokio::task::spawn_blocking(work);
    }
}

/// A Socket.IO server: namespaces, sockets, rooms and acks over Engine.IO on tokio.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use sio_tokio::{Message, Socket, SocketIoConfig, SocketIoServer};
///
/// let io = SocketIoServer::new(SocketIoConfig::default());
/// io.of("/").on_connection(|socket: Socket| async move {
///     socket.on("chat", |socket: Socket, msg: Message| async move {
///         let text: String = msg.arg(0).unwrap_or_default();
///         let _ = socket.broadcast().emit("chat", &text);
///     });
/// });
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// io.serve(listener).await
/// # }
/// ```
///
/// Create it inside a tokio runtime. Cloning shares the server.
#[derive(Clone, Debug)]
pub struct SocketIoServer {
    io: SocketIo,
    engine: EngineServer,
}

impl SocketIoServer {
    /// A server with `config` (path `/socket.io/` by default).
    pub fn new(config: SocketIoConfig) -> Self {
        let io = SocketIo::new(config, Arc::new(Tokio));
        let engine = EngineServer::from_io(io.engine().clone());
        SocketIoServer { io, engine }
    }

    /// The runtime-agnostic server (the whole application API).
    pub fn io(&self) -> &SocketIo {
        &self.io
    }

    /// Namespace `name`.
    pub fn of(&self, name: &str) -> Namespace {
        self.io.of(name)
    }

    /// Serves the Socket.IO Admin UI's namespace (`@socket.io/admin-ui` 0.5) on this server;
    /// see [`sio_core::api::socketio::admin`]. An empty `config.hostname` is filled with the
    /// machine's.
    #[cfg(feature = "admin-ui")]
    pub fn instrument_admin(
        &self,
        mut config: sio_core::api::socketio::admin::AdminConfig,
    ) -> Result<Namespace, sio_core::api::socketio::admin::InvalidHash> {
        if config.hostname.is_empty() {
            config.hostname = sio_io::host::hostname();
        }
        sio_core::api::socketio::admin::instrument(&self.io, config)
    }

    /// The main namespace `/`.
    pub fn sockets(&self) -> Namespace {
        self.io.sockets()
    }

    /// Serves HTTP/1.1 on `listener` until [`shutdown`](Self::shutdown).
    ///
    /// Returns `Ok` once shut down; a failed accept does not end it (see
    /// [`EngineServer::serve`]).
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        self.engine.clone().serve(listener).await
    }

    /// Serves WebTransport sessions from `listener` until [`shutdown`](Self::shutdown) (see
    /// [`EngineServer::serve_webtransport`]; the config must enable
    /// [`Transports::webtransport`](crate::Transports::webtransport)).
    #[cfg(feature = "webtransport")]
    pub async fn serve_webtransport(
        self,
        listener: crate::webtransport::WebTransportListener,
    ) -> std::io::Result<()> {
        self.engine.clone().serve_webtransport(listener).await
    }

    /// A tower layer mounting the server beside other routes (axum, hyper).
    pub fn layer(&self) -> EngineLayer {
        EngineLayer::new(self.engine.clone())
    }

    /// Answers one HTTP request on the server's path.
    pub async fn handle<B>(&self, req: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body + Unpin,
        B::Data: Into<Bytes>,
    {
        self.engine.handle(req).await
    }

    /// Disconnects every socket ("server shutting down") and stops serving.
    pub fn shutdown(&self) {
        self.engine.shutdown();
    }
}
