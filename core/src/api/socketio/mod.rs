//! The Socket.IO server's async face: [`SocketIo`], [`Namespace`], [`Socket`], [`Message`].
//!
//! ```ignore
//! let io = SocketIo::new(config, runtime);
//! io.of("/").on_connection(|socket: Socket| async move {
//!     socket.on("chat", |socket: Socket, msg: Message| async move {
//!         let text: String = msg.arg(0).unwrap_or_default();
//!         socket.broadcast().emit("chat", &text).ok();
//!         msg.ack(&"ok").ok();
//!     });
//! });
//! ```
//!
//! Events of one socket are dispatched in arrival order, by the task that fed them to the
//! server (no task per socket): a handler is called and its future polled once right away, so
//! everything it does before its first `.await` happens before the next event is dispatched
//! (as a Node.js handler's synchronous part); only a handler that then waits is moved to a
//! task of its own.
//!
//! Everything protocol lives in [`crate::socket::server::SocketServer`]; this layer shares it
//! with the Engine.IO server under one lock ([`EngineIo`]) and runs the application's handlers
//! outside that lock.
//!
//! For operators: [`SocketIo::metrics`] ([`Metrics`], with a Prometheus rendering),
//! [`SocketIo::observe`] (every socket's [`Activity`]), and with the `admin-ui` feature the
//! `admin` module (the Socket.IO Admin UI's server side).
//!
//! Modules: `ack` (ack futures), `admin` (the Admin UI), `backlog` (inbound limits),
//! `cluster` (cluster-wide operations), `dispatch` (running handlers in order), `drain`
//! (waiting for a slow client), `handlers`, `interval` (periodic work on the server's timer),
//! `layer` (the Socket.IO layer under the lock), `message`, `metrics`, `namespace`,
//! `observe` (observers), `slots` (the layer's table of sockets, by id and by index),
//! `socket`.

pub(crate) mod ack;
#[cfg(feature = "admin-ui")]
pub mod admin;
mod backlog;
mod cluster;
mod dispatch;
mod drain;
mod handlers;
mod interval;
mod layer;
mod message;
mod metrics;
mod namespace;
mod observe;
mod slots;
mod socket;

use std::sync::Arc;
use std::time::Duration;

pub use crate::socket::cluster::{
    AdapterKind, ClusterConfig, ClusterTransmit, StreamEntry, StreamRead, StreamsConfig,
    SubscriptionMode,
};
pub use ack::{AckError, AckFuture, BroadcastAckFuture, ClusterFuture, Responses};
pub use cluster::ClusterLink;
pub use drain::Drain;
pub use message::Message;
pub use metrics::Metrics;
pub use namespace::{BroadcastOperator, ConnectError, ConnectRequest, Namespace};
pub use observe::Activity;
pub use socket::Socket;

use super::engine::EngineIo;
use super::runtime::Runtime;
use crate::engine::server::ServerConfig;
use crate::socket::server::{RecoveryConfig, SocketServer, SocketServerConfig};
use crate::socket::Parser;
use layer::Layer;

/// The options of a Socket.IO server: the Engine.IO options under it and its own.
#[derive(Debug)]
pub struct SocketIoConfig {
    /// The Engine.IO server's options; `path` defaults to `/socket.io/` here.
    pub engine: ServerConfig,
    /// The Socket.IO parser (default [`Parser::Json`]; [`Parser::MsgPack`] speaks to clients
    /// using `socket.io-msgpack-parser`). Every client of this server must use the same one.
    pub parser: Parser,
    /// Time an Engine.IO connection has to join a namespace (reference 45 s).
    pub connect_timeout: Duration,
    /// Most binary attachments a packet may announce (reference 10).
    pub max_attachments: usize,
    /// Connection state recovery (off by default, as the reference).
    pub recovery: Option<RecoveryConfig>,
    /// Most events of one socket the application may be behind on (queued, or with a handler
    /// still running) before its connection is no longer read, until it is back to half
    /// (default 128; see [`Socket`]'s docs on limits). Not an option of the reference, which
    /// reads without limit.
    pub max_pending_events: usize,
    /// Most bytes of arguments of those events (default 1 MiB), likewise.
    pub max_pending_bytes: usize,
    /// Most namespaces one connection may be in at once (default 100; CONNECT_ERROR "Too many
    /// namespaces" beyond).
    pub max_namespaces_per_connection: usize,
    /// Whether namespaces created on demand ([`SocketIo::dynamic_namespaces`]) go once
    /// unused (default true; the reference's `cleanupEmptyChildNamespaces`, which is false
    /// there).
    pub cleanup_empty_child_namespaces: bool,
    /// Most rooms a socket may be in, its own included (default 1 000; [`Socket::join`]
    /// fails beyond).
    pub max_rooms_per_socket: usize,
    /// Most acks outstanding per socket, each way (default 1 000; an emit with ack beyond
    /// fails with [`AckError::TooManyPending`]).
    pub max_pending_acks: usize,
    /// Whether Socket.IO v2 clients (`socket.io-client` 2.x, Engine.IO v3) may connect
    /// (reference `allowEIO3`, false). The same switch as `engine.allow_eio3`: either turns it
    /// on. Such clients are in `/` from the start, learn no socket id (theirs is the Engine.IO
    /// session id in `/`, `<nsp>#<sid>` elsewhere), send their namespace auth as a query
    /// string (`io("/admin?token=1")`, read by [`ConnectRequest::auth`] as
    /// `{"token":"1"}`), and receive refusals as a plain string (the error's `data` if any,
    /// else its message); emits, acks, rooms and broadcasts reach them as they reach the
    /// others.
    pub allow_eio3: bool,
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        let socket = SocketServerConfig::default();
        SocketIoConfig {
            engine: ServerConfig {
                path: "/socket.io/".to_owned(),
                ..ServerConfig::default()
            },
            parser: socket.parser,
            connect_timeout: socket.connect_timeout,
            max_attachments: socket.max_attachments,
            recovery: None,
            max_pending_events: 128,
            max_pending_bytes: 1 << 20,
            max_namespaces_per_connection: socket.max_namespaces_per_connection,
            cleanup_empty_child_namespaces: socket.cleanup_empty_child_namespaces,
            max_rooms_per_socket: socket.max_rooms_per_socket,
            max_pending_acks: socket.max_pending_acks,
            allow_eio3: false,
        }
    }
}

pub(crate) type ServerEventHandler =
    Arc<dyn Fn(Vec<crate::Value>) -> crate::api::runtime::BoxFuture + Send + Sync>;

/// A Socket.IO server. Cloning shares it.
#[derive(Clone)]
pub struct SocketIo {
    /// The Engine.IO server, which also holds the runtime ([`rt`](Self::rt)): one
    /// reference to count per handle (every socket and message of a handler holds one).
    pub(crate) io: EngineIo,
}

impl std::fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIo").finish_non_exhaustive()
    }
}

impl SocketIo {
    /// A server with `config`, running its tasks on `runtime` (drivers provide one).
    pub fn new(config: SocketIoConfig, runtime: Arc<dyn Runtime>) -> Self {
        let socket = SocketServerConfig {
            parser: config.parser,
            connect_timeout: config.connect_timeout,
            max_attachments: config.max_attachments,
            recovery: config.recovery,
            max_namespaces_per_connection: config.max_namespaces_per_connection,
            cleanup_empty_child_namespaces: config.cleanup_empty_child_namespaces,
            max_rooms_per_socket: config.max_rooms_per_socket,
            max_pending_acks: config.max_pending_acks,
            ..SocketServerConfig::default()
        };
        let backlog = backlog::Backlog::new(config.max_pending_events, config.max_pending_bytes);
        let layer = Layer::new(SocketServer::new(socket), runtime.clone(), backlog);
        let mut engine = config.engine;
        engine.allow_eio3 |= config.allow_eio3;
        engine.keep_text_frame = Some(crate::socket::resendable_frame);
        let io = EngineIo::with_upper(engine, Box::new(layer), runtime);
        let this = SocketIo { io };
        this.with(|l, _| l.bind(&this));
        // Handlers run once the lock is released, by whoever queued them.
        let weak = this.io.downgrade();
        this.io.set_after_unlock(Arc::new(move || {
            if let Some(io) = EngineIo::upgrade(&weak) {
                dispatch::drain(&SocketIo { io });
            }
        }));
        this
    }

    /// The runtime its tasks run on (the driver's).
    #[inline]
    pub(crate) fn rt(&self) -> &Arc<dyn Runtime> {
        self.io
            .runtime()
            .unwrap_or_else(|| unreachable!("a SocketIo's engine always has its runtime"))
    }

    /// The Engine.IO plumbing drivers serve (HTTP requests, WebSockets, the timer).
    pub fn engine(&self) -> &EngineIo {
        &self.io
    }

    /// Namespace `name` (created if it does not exist; `/` always does).
    pub fn of(&self, name: &str) -> Namespace {
        let name = crate::Str::from(name.to_owned());
        self.with(|l, _| {
            l.server.add_namespace(name.clone());
            l.cluster_add_namespace(&name);
        });
        Namespace {
            io: self.clone(),
            name,
        }
    }

    /// Lets clients create namespaces whose names `accept` says yes to; each is created on its
    /// first CONNECT and then served by the handlers set with [`of`](Self::of)`(name)` or
    /// [`on_dynamic_connection`](Self::on_dynamic_connection).
    pub fn dynamic_namespaces(&self, accept: impl Fn(&str) -> bool + Send + Sync + 'static) {
        self.with(|l, _| l.server.add_dynamic_namespaces(Box::new(accept)));
    }

    /// The connection handler of dynamically created namespaces (those without their own).
    pub fn on_dynamic_connection<F, Fut>(&self, handler: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let h: namespace::ConnectionHandler = Arc::new(move |s| Box::pin(handler(s)));
        self.with(|l, _| l.dynamic_handler = Some(h));
    }

    /// Listens to `event` sent with [`server_side_emit`](Self::server_side_emit) by the other
    /// servers of the cluster (or an emitter). Without a cluster, the server's own emits
    /// reach these listeners.
    pub fn on_server_event<F, Fut>(&self, event: &str, handler: F)
    where
        F: Fn(Vec<crate::Value>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let h: ServerEventHandler = Arc::new(move |args| Box::pin(handler(args)));
        let event = event.to_owned();
        self.with(|l, _| l.server_events.entry(event).or_default().push(h));
    }

    /// Sends an event to the other servers of the cluster (arguments spread as for emits), as
    /// the reference's `io.serverSideEmit`. Without a cluster it reaches this server's own
    /// [`on_server_event`](Self::on_server_event) listeners instead.
    pub fn server_side_emit<T: serde::Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), serde_json::Error> {
        let args: Vec<crate::Value> = crate::socket::Event::new(event, args)?.args()?;
        let mut values = vec![crate::Value::from(event)];
        values.extend(args.iter().cloned());
        if self.cluster_server_side_emit(values) {
            return Ok(());
        }
        let name = event.to_owned();
        let handlers = self.with(|l, _| l.server_events.get(&name).cloned().unwrap_or_default());
        for h in handlers {
            self.rt().spawn(h(args.clone()));
        }
        Ok(())
    }

    /// Every namespace that exists now (the main one, those added, those created on demand).
    pub fn namespaces(&self) -> Vec<Namespace> {
        let names = self.with_untimed(|l, _| l.server.namespace_names());
        let io = self.clone();
        let ns = names.into_iter().map(move |name| Namespace {
            io: io.clone(),
            name,
        });
        ns.collect()
    }

    /// The main namespace `/`.
    pub fn sockets(&self) -> Namespace {
        self.of(crate::socket::MAIN_NAMESPACE)
    }

    /// Closes every connection ("server shutting down").
    pub fn shutdown(&self) {
        self.io.shutdown();
    }

    pub(crate) fn with<R>(
        &self,
        f: impl FnOnce(&mut Layer, &mut crate::engine::server::Server) -> R,
    ) -> R {
        self.with_at(Some(self.rt().now()), f)
    }

    /// [`with`](Self::with) without reading the clock, for work that starts no timer (taking
    /// an item from a socket's inbox): the clock is read per call, several times per event.
    pub(crate) fn with_untimed<R>(
        &self,
        f: impl FnOnce(&mut Layer, &mut crate::engine::server::Server) -> R,
    ) -> R {
        self.with_at(None, f)
    }

    /// [`with_untimed`](Self::with_untimed) for work that only rearranges the layer (taking
    /// the next item of a socket's inbox): `f` returns whether it also left the timers alone.
    /// When it did and the layer has nothing queued for the machines, the lock is released
    /// without pumping and flushing them, which would find nothing to do (see
    /// [`EngineIo::with_upper_settled`](crate::api::engine::EngineIo::with_upper_settled)).
    ///
    /// `f` also says whether the drain goes on with another item (`more`): then sends batched
    /// by [`with_batched`](Self::with_batched) stay queued for the next lock (up to
    /// [`layer::BATCH`] of them), so a batch of events is carried out with one pump and one
    /// flush.
    pub(crate) fn with_settled<R>(&self, f: impl FnOnce(&mut Layer) -> (R, bool, bool)) -> R {
        self.io
            .with_upper_settled::<Layer, R>(|l, e| {
                let (r, timers_untouched, more) = f(l);
                if timers_untouched && (l.settled() || more && l.holds_batch()) {
                    return (r, true);
                }
                l.pump(e);
                (r, false)
            })
            .unwrap_or_else(|| unreachable!("a SocketIo always has its layer"))
    }

    /// [`with_untimed`](Self::with_untimed) for a send that arms no timer (an emit without
    /// ack, an ack's answer). While this thread runs this server's handlers
    /// ([`dispatch::drain`]) the packet is only queued in the Socket.IO server: the drain's
    /// next lock carries out what its handlers queued, together (see
    /// [`with_settled`](Self::with_settled)). Elsewhere, and once [`layer::BATCH`] packets
    /// are queued, it is [`with_untimed`](Self::with_untimed).
    pub(crate) fn with_batched<R>(&self, f: impl FnOnce(&mut Layer) -> R) -> R {
        if !dispatch::draining_here(self.io.key()) {
            return self.with_untimed(|l, _| f(l));
        }
        // No timer touched, and the drain's next lock comes: the batch may wait for it.
        self.with_settled(|l| (f(l), true, true))
    }

    fn with_at<R>(
        &self,
        now: Option<std::time::Instant>,
        f: impl FnOnce(&mut Layer, &mut crate::engine::server::Server) -> R,
    ) -> R {
        self.io
            .with_upper_mut::<Layer, R>(now, |l, e| {
                // A batch held by a drain goes first: `f` may act on the Engine.IO server
                // directly (closing a session, reading what is buffered).
                l.pump(e);
                let r = f(l, e);
                l.pump(e);
                r
            })
            .unwrap_or_else(|| unreachable!("a SocketIo always has its layer"))
    }
}
