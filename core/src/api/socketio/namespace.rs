//! [`Namespace`]: connection handlers, middleware, and operations on groups of sockets
//! ([`BroadcastOperator`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::ack::{AckError, BroadcastAckFuture};
use super::socket::Socket;
use super::SocketIo;
use crate::api::runtime::BoxFuture;
use crate::socket::server::{ConnectId, Handshake, SocketInfo, Target};
use crate::socket::Event;
use crate::{Str, Value};

pub(crate) type ConnectionHandler = Arc<dyn Fn(Socket) -> BoxFuture + Send + Sync>;
pub(crate) type Middleware = Arc<
    dyn Fn(ConnectRequest) -> Pin<Box<dyn Future<Output = Result<(), ConnectError>> + Send>>
        + Send
        + Sync,
>;

/// What the application set on a namespace.
#[derive(Default, Clone)]
pub(crate) struct Handlers {
    pub(crate) connection: Option<ConnectionHandler>,
    pub(crate) middlewares: Vec<Middleware>,
}

/// A client's request to join a namespace, as middleware sees it.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    nsp: Str,
    auth: Option<Str>,
    handshake: Handshake,
}

impl ConnectRequest {
    /// The namespace asked for.
    pub fn namespace(&self) -> &str {
        &self.nsp
    }

    /// The CONNECT payload (`auth` of the client) read as a `T`; `None` if there is none or it
    /// does not fit.
    pub fn auth<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_str(self.auth.as_ref()?.as_str()).ok()
    }

    /// The handshake (query, headers, time) of the connection.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }
}

/// A middleware's refusal: the client gets `connect_error` with this message and data.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    message: String,
    data: Option<Value>,
}

impl ConnectError {
    /// A refusal with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// Adds the `data` the client receives with the error.
    pub fn with_data<T: Serialize>(mut self, data: &T) -> Self {
        self.data = Value::from_serialize(data).ok();
        self
    }
}

/// Runs a namespace's middleware for one CONNECT, then accepts or refuses it.
pub(crate) async fn connect_task(
    io: SocketIo,
    request: ConnectId,
    nsp: Str,
    auth: Option<Str>,
    handshake: Handshake,
    middlewares: Vec<Middleware>,
) {
    let req = ConnectRequest {
        nsp,
        auth,
        handshake,
    };
    for m in middlewares {
        if let Err(e) = m(req.clone()).await {
            io.with(|l, _| l.server.reject_connect(request, &e.message, e.data))
                .ok();
            return;
        }
    }
    let now = io.rt().now();
    io.with(|l, _| l.server.accept_connect(now, request)).ok();
}

/// A namespace of a [`SocketIo`] server.
#[derive(Clone, Debug)]
pub struct Namespace {
    pub(crate) io: SocketIo,
    pub(crate) name: Str,
}

impl Namespace {
    /// The namespace's name (`/`, `/admin`, …).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `handler` for each socket that joins: register the socket's event handlers there.
    /// What the handler does before its first `.await` happens before the socket's first event
    /// is dispatched.
    pub fn on_connection<F, Fut>(&self, handler: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: ConnectionHandler = Arc::new(move |s| Box::pin(handler(s)));
        let name = self.name.clone();
        self.io.with(|l, _| {
            l.namespaces.entry(name).or_default().connection = Some(h);
        });
    }

    /// Adds a middleware: every CONNECT to this namespace goes through the middlewares in the
    /// order they were added; the first refusal sends `connect_error` to the client.
    pub fn use_middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(ConnectRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        let m: Middleware = Arc::new(move |r| Box::pin(middleware(r)));
        let name = self.name.clone();
        self.io.with(|l, _| {
            l.namespaces.entry(name).or_default().middlewares.push(m);
        });
    }

    pub(crate) fn operator(&self) -> BroadcastOperator {
        BroadcastOperator {
            io: self.io.clone(),
            nsp: self.name.clone(),
            target: Target::all(),
            volatile: false,
            local: false,
            timeout: None,
        }
    }

    /// The sockets in `room` (chain more `to`/`except` calls to refine).
    pub fn to(&self, room: impl Into<Str>) -> BroadcastOperator {
        self.operator().to(room)
    }

    /// Every socket but those in `room`.
    pub fn except(&self, room: impl Into<Str>) -> BroadcastOperator {
        self.operator().except(room)
    }

    /// Every socket, for an `emit_with_ack` that waits at most `timeout`.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.operator().timeout(timeout)
    }

    /// Every socket, volatile emit (may be dropped).
    pub fn volatile(&self) -> BroadcastOperator {
        self.operator().volatile()
    }

    /// Sends an event to every socket of the namespace (arguments spread as
    /// [`Payload::event`](crate::socket::Payload::event)).
    pub fn emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), serde_json::Error> {
        self.operator().emit(event, args)
    }

    /// Sends a ready event to every socket of the namespace (see
    /// [`BroadcastOperator::emit_event`]).
    pub fn emit_event(&self, event: Event) {
        self.operator().emit_event(event)
    }

    /// The number of sockets connected to the namespace.
    pub fn socket_count(&self) -> usize {
        let name = self.name.clone();
        self.io.with(|l, _| l.server.socket_count(&name))
    }

    /// Every socket's id, handshake and rooms.
    pub fn fetch_sockets(&self) -> Vec<SocketInfo> {
        self.operator().fetch_sockets()
    }

    /// Disconnects every socket (closing their connections too when `close`).
    pub fn disconnect_sockets(&self, close: bool) {
        self.operator().disconnect_sockets(close)
    }
}

/// A group of sockets of one namespace, chosen by rooms: `to`, `except`, then an operation.
#[derive(Clone, Debug)]
pub struct BroadcastOperator {
    pub(crate) io: SocketIo,
    pub(crate) nsp: Str,
    pub(crate) target: Target,
    pub(crate) volatile: bool,
    /// Only this server's sockets, not the cluster's.
    pub(crate) local: bool,
    pub(crate) timeout: Option<Duration>,
}

impl BroadcastOperator {
    /// Also the sockets in `room`.
    pub fn to(mut self, room: impl Into<Str>) -> Self {
        self.target = self.target.to(room);
        self
    }

    /// Same as [`to`](Self::to).
    pub fn in_room(self, room: impl Into<Str>) -> Self {
        self.to(room)
    }

    /// Without the sockets in `room`.
    pub fn except(mut self, room: impl Into<Str>) -> Self {
        self.target = self.target.except(room);
        self
    }

    /// Volatile: the event may be dropped (it takes no recovery offset and is never replayed).
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Only this server's sockets: the operation is not sent to the rest of the cluster
    /// (without a cluster every socket is local and this changes nothing).
    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    /// Accepted for code written for the reference and ignored: with permessage-deflate or
    /// HTTP compression on, every message is compressed as the configuration says
    /// (`compress(false)` does not exempt one).
    pub fn compress(self, _compress: bool) -> Self {
        self
    }

    /// `emit_with_ack` waits at most `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends an event to every socket in the group, encoded once.
    pub fn emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), serde_json::Error> {
        self.emit_event(Event::new(event, args)?);
        Ok(())
    }

    /// Sends a ready event to every socket in the group, encoded once: e.g. one received and
    /// [`renamed`](crate::socket::Event::renamed), to relay its arguments as they came
    /// without building values. Any ack id on it is dropped.
    pub fn emit_event(&self, event: Event) {
        let (nsp, target, volatile) = (self.nsp.clone(), self.target.clone(), self.volatile);
        self.io.with(|l, _| {
            if self.publish_broadcast(l, &event) {
                return; // The cluster delivers it here once the stream gave its offset.
            }
            let _ = if volatile {
                l.server.broadcast_volatile(&nsp, &target, event)
            } else {
                l.server.broadcast(&nsp, &target, event)
            };
        });
    }

    /// [`emit`](Self::emit), then a future that resolves once every recipient that kept up
    /// (its queue at most half full before this emit) has drained back to that mark, or left.
    /// Recipients already behind are not waited for: a slow member never slows the others;
    /// it catches up, or its queue fills and it is closed ("send buffer full"). Only this
    /// server's recipients are waited for.
    pub fn emit_drained<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<super::Drain, serde_json::Error> {
        let event = Event::new(event, args)?;
        let (nsp, target, volatile) = (self.nsp.clone(), self.target.clone(), self.volatile);
        let sids = self.io.with(|l, engine| {
            let mut sids = l.server.connections_of(&nsp, &target).unwrap_or_default();
            sids.retain(|sid| !super::drain::congested(engine, sid));
            if self.publish_broadcast(l, &event) {
                return sids;
            }
            let _ = if volatile {
                l.server.broadcast_volatile(&nsp, &target, event)
            } else {
                l.server.broadcast(&nsp, &target, event)
            };
            sids
        });
        Ok(super::Drain::new(self.io.clone(), sids, None))
    }

    /// Sends an event to every socket in the group and waits for all their acks (one per
    /// socket, with its id); fails with [`AckError::Timeout`] if some did not answer in time.
    pub fn emit_with_ack<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> BroadcastAckFuture {
        let Ok(event) = Event::new(event, args) else {
            return BroadcastAckFuture::failed(AckError::NotSent);
        };
        let (nsp, target, timeout) = (self.nsp.clone(), self.target.clone(), self.timeout);
        let now = self.io.rt().now();
        let (slot, fut) = BroadcastAckFuture::pair();
        self.io.with(move |l, _| {
            let Some(slot) = self.cluster_emit_with_ack(l, now, event.clone(), slot) else {
                return;
            };
            match l
                .server
                .broadcast_with_ack(now, &nsp, &target, event, timeout)
            {
                Ok(id) => {
                    l.broadcast_acks.insert(id, slot);
                }
                Err(_) => slot.complete(Err(AckError::NotSent)),
            }
        });
        fut
    }

    /// The id, handshake and rooms of every socket in the group on this server (see
    /// [`fetch_cluster_sockets`](Self::fetch_cluster_sockets) for the whole cluster's).
    pub fn fetch_sockets(&self) -> Vec<SocketInfo> {
        let (nsp, target) = (self.nsp.clone(), self.target.clone());
        self.io
            .with(|l, _| l.server.fetch_sockets(&nsp, &target))
            .unwrap_or_default()
    }

    /// Makes every socket in the group join `rooms`.
    pub fn sockets_join(&self, rooms: &[&str]) {
        let rooms: Vec<Str> = rooms.iter().map(|r| Str::from((*r).to_owned())).collect();
        let (nsp, target) = (self.nsp.clone(), self.target.clone());
        self.io
            .with(|l, _| {
                self.publish_rooms(l, true, &rooms);
                l.server.sockets_join(&nsp, &target, &rooms)
            })
            .ok();
    }

    /// Makes every socket in the group leave `room`.
    pub fn sockets_leave(&self, room: &str) {
        let (nsp, target) = (self.nsp.clone(), self.target.clone());
        self.io
            .with(|l, _| {
                self.publish_rooms(l, false, &[Str::from(room.to_owned())]);
                l.server.sockets_leave(&nsp, &target, room)
            })
            .ok();
    }

    /// Disconnects every socket in the group (closing their connections too when `close`).
    pub fn disconnect_sockets(&self, close: bool) {
        let (nsp, target) = (self.nsp.clone(), self.target.clone());
        let now = self.io.rt().now();
        self.io
            .with(|l, _| {
                self.publish_disconnect(l, close);
                l.server.disconnect_sockets(now, &nsp, &target, close)
            })
            .ok();
    }
}
