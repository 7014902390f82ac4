//! [`SocketIoServer`]: the Socket.IO server on smol.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use sio_core::api::socketio::{Namespace, SocketIo, SocketIoConfig};
use sio_core::api::{BoxFuture, Runtime};
use smol::net::TcpListener;
use smol::Executor;

use crate::engine::Spawner;
use crate::EngineServer;

/// smol as the async layer's runtime: the application's handlers run where the server's own
/// tasks do (the global executor or the application's).
pub(crate) struct Smol {
    pub(crate) spawner: Spawner,
}

impl Runtime for Smol {
    fn spawn(&self, future: BoxFuture) {
        self.spawner.spawn(future).detach();
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
        smol::unblock(work).detach();
    }
}

/// A Socket.IO server: namespaces, sockets, rooms and acks over Engine.IO on smol.
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// use sio_smol::{Message, Socket, SocketIoConfig, SocketIoServer};
///
/// smol::block_on(async {
///     let io = SocketIoServer::new(SocketIoConfig::default());
///     io.of("/").on_connection(|socket: Socket| async move {
///         socket.on("chat", |socket: Socket, msg: Message| async move {
///             let text: String = msg.arg(0).unwrap_or_default();
///             let _ = socket.broadcast().emit("chat", &text);
///         });
///     });
///     let listener = smol::net::TcpListener::bind("127.0.0.1:3000").await?;
///     io.serve(listener).await
/// })
/// # }
/// ```
///
/// Its tasks — the timer, one per connection, one per WebSocket, and one per handler that waits
/// (handlers run in the task that received their event until they wait) — run on smol's global
/// executor ([`new`](Self::new)) or on the executor you give it
/// ([`with_executor`](Self::with_executor)). Cloning shares the server; dropping the last clone
/// stops the timer (heartbeats and timeouts).
#[derive(Clone, Debug)]
pub struct SocketIoServer {
    io: SocketIo,
    engine: EngineServer,
}

impl SocketIoServer {
    /// A server with `config` (path `/socket.io/` by default), its tasks on smol's global
    /// executor ([`smol::spawn`]).
    pub fn new(config: SocketIoConfig) -> Self {
        Self::build(config, Spawner::Global)
    }

    /// A server with `config`, its tasks on `executor` (which the application runs).
    pub fn with_executor(config: SocketIoConfig, executor: Arc<Executor<'static>>) -> Self {
        Self::build(config, Spawner::Executor(executor))
    }

    fn build(config: SocketIoConfig, spawner: Spawner) -> Self {
        let runtime = Arc::new(Smol {
            spawner: spawner.clone(),
        });
        let io = SocketIo::new(config, runtime);
        let engine = EngineServer::from_io(io.engine().clone(), spawner);
        SocketIoServer { io, engine }
    }

    /// The runtime-agnostic server (the whole application API).
    pub fn io(&self) -> &SocketIo {
        &self.io
    }

    /// Namespace `name` (created if it does not exist).
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

    /// Serves HTTP/1.1 on `listener` until [`shutdown`](Self::shutdown); other paths get 404.
    ///
    /// Returns `Ok` once shut down; a failed accept does not end it (see
    /// [`EngineServer::serve`](crate::EngineServer::serve)).
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        self.engine.clone().serve(listener).await
    }

    /// Answers one HTTP request on the server's path (any body type), from your own hyper
    /// service; see [`EngineServer::handle`].
    pub async fn handle<B>(&self, req: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body + Unpin,
        B::Data: Into<Bytes>,
    {
        self.engine.handle(req).await
    }

    /// Disconnects every socket ("server shutting down") and stops [`serve`](Self::serve).
    pub fn shutdown(&self) {
        self.engine.shutdown();
    }
}
