//! [`ClientSocket`]: one namespace of a client — handlers, emits, connect and disconnect —
//! and the task that dispatches its events in order.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Duration;

use hashbrown::HashMap;
use serde::Serialize;

use super::message::Message;
use super::Client;
use crate::api::runtime::BoxFuture;
use crate::api::socketio::{AckError, AckFuture};
use crate::socket::client::EmitError as ManagerEmitError;
use crate::socket::client::{DisconnectReason, EmitOptions};
use crate::socket::Event;
use crate::{Str, Value};

type EventHandler = Arc<dyn Fn(ClientSocket, Message) -> BoxFuture + Send + Sync>;
type ConnectHandler = Arc<dyn Fn(ClientSocket) -> BoxFuture + Send + Sync>;
type ConnectErrorHandler = Arc<dyn Fn(ClientSocket, ConnectErrorInfo) -> BoxFuture + Send + Sync>;
type DisconnectHandler = Arc<dyn Fn(ClientSocket, DisconnectReason) -> BoxFuture + Send + Sync>;
type OutgoingListener = Arc<dyn Fn(&ClientSocket, &Event) + Send + Sync>;

/// Why a socket could not connect: the server's refusal (`Invalid namespace`, a
/// middleware's error with its data) or a connection error (`timeout`, `xhr poll error …`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectErrorInfo {
    /// The message.
    pub message: String,
    /// The data a middleware attached to its error.
    pub data: Option<Value>,
}

/// What the manager delivered to a socket, in order.
pub(crate) enum Item {
    Connect,
    ConnectError(String, Option<Value>),
    Disconnect(DisconnectReason),
    Event(Event),
}

#[derive(Default)]
struct Handlers {
    events: HashMap<String, Vec<EventHandler>>,
    any: Vec<EventHandler>,
    connect: Vec<ConnectHandler>,
    connect_error: Vec<ConnectErrorHandler>,
    disconnect: Vec<DisconnectHandler>,
    outgoing: Vec<OutgoingListener>,
}

/// The API layer's part of a socket: its handlers and its inbox.
#[derive(Default)]
pub(crate) struct SocketSlot {
    handlers: Handlers,
    pub(crate) inbox: VecDeque<Item>,
    pub(crate) waker: Option<Waker>,
}

enum Next {
    Event(Event, Vec<EventHandler>),
    Connect(Vec<ConnectHandler>),
    ConnectError(ConnectErrorInfo, Vec<ConnectErrorHandler>),
    Disconnect(DisconnectReason, Vec<DisconnectHandler>),
    Done,
}

pub(crate) fn run(client: &Client, fut: BoxFuture) {
    crate::api::runtime::run_inline(&*client.shared.rt, fut);
}

/// The task of one socket: every item of its inbox in arrival order.
pub(crate) async fn socket_task(socket: ClientSocket) {
    let client = socket.client.clone();
    loop {
        let next = poll_fn(|cx| {
            let mut st = client.lock();
            if st.client_pending() {
                // The connection's earlier events (its `open`) reach their handlers first.
                st.after_client.push(cx.waker().clone());
                return Poll::Pending;
            }
            let closed = st.closed;
            let Some(slot) = st.sockets.get_mut(&socket.nsp) else {
                return Poll::Ready(Next::Done);
            };
            let Some(item) = slot.inbox.pop_front() else {
                if closed {
                    return Poll::Ready(Next::Done);
                }
                slot.waker = Some(cx.waker().clone());
                return Poll::Pending;
            };
            let h = &slot.handlers;
            Poll::Ready(match item {
                Item::Event(e) => {
                    let mut hs = h.any.clone();
                    if let Some(named) = h.events.get(e.name().as_str()) {
                        hs.extend(named.iter().cloned());
                    }
                    Next::Event(e, hs)
                }
                Item::Connect => Next::Connect(h.connect.clone()),
                Item::ConnectError(message, data) => {
                    Next::ConnectError(ConnectErrorInfo { message, data }, h.connect_error.clone())
                }
                Item::Disconnect(r) => Next::Disconnect(r, h.disconnect.clone()),
            })
        })
        .await;
        match next {
            Next::Event(event, handlers) => {
                for h in handlers {
                    let msg = Message {
                        client: client.clone(),
                        nsp: socket.nsp.clone(),
                        event: event.clone(),
                    };
                    run(&client, h(socket.clone(), msg));
                }
            }
            Next::Connect(hs) => {
                for h in hs {
                    run(&client, h(socket.clone()));
                }
            }
            Next::ConnectError(info, hs) => {
                for h in hs {
                    run(&client, h(socket.clone(), info.clone()));
                }
            }
            Next::Disconnect(r, hs) => {
                for h in hs {
                    run(&client, h(socket.clone(), r));
                }
            }
            Next::Done => return,
        }
    }
}

/// One namespace of a [`Client`]. Cloning gives another handle to the same socket.
#[derive(Clone, Debug)]
pub struct ClientSocket {
    pub(crate) client: Client,
    pub(crate) nsp: Str,
}

impl ClientSocket {
    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.nsp
    }

    /// The client (connection) this socket belongs to.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The id the server gave this socket, while connected.
    pub fn id(&self) -> Option<String> {
        let nsp = self.nsp.clone();
        self.client
            .with(|st, _| st.manager.socket_id(&nsp).map(|s| s.to_string()))
    }

    /// Whether the socket is connected.
    pub fn connected(&self) -> bool {
        let nsp = self.nsp.clone();
        self.client.with(|st, _| st.manager.is_connected(&nsp))
    }

    /// Whether the socket reconnects by itself (connected, or trying to).
    pub fn active(&self) -> bool {
        let nsp = self.nsp.clone();
        self.client.with(|st, _| st.manager.is_active(&nsp))
    }

    /// Whether the last connection restored the previous session (connection state
    /// recovery): same id, rooms, and the missed events delivered.
    pub fn recovered(&self) -> bool {
        let nsp = self.nsp.clone();
        self.client.with(|st, _| st.manager.recovered(&nsp))
    }

    /// Events waiting for a connection (emitted while disconnected, or in the retry queue).
    pub fn buffered(&self) -> usize {
        let nsp = self.nsp.clone();
        self.client.with(|st, _| st.manager.buffered(&nsp))
    }

    fn handlers(&self, f: impl FnOnce(&mut Handlers)) {
        let nsp = self.nsp.clone();
        self.client.with(|st, _| {
            if let Some(s) = st.sockets.get_mut(&nsp) {
                f(&mut s.handlers);
            }
        });
    }

    /// Calls `handler` for each `event` the server emits (several handlers run in the order
    /// added).
    pub fn on<F, Fut>(&self, event: &str, handler: F)
    where
        F: Fn(ClientSocket, Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: EventHandler = Arc::new(move |s, m| Box::pin(handler(s, m)));
        let event = event.to_owned();
        self.handlers(|hs| hs.events.entry(event).or_default().push(h));
    }

    /// Calls `handler` for every event the server emits, before the event's own handlers.
    pub fn on_any<F, Fut>(&self, handler: F)
    where
        F: Fn(ClientSocket, Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: EventHandler = Arc::new(move |s, m| Box::pin(handler(s, m)));
        self.handlers(|hs| hs.any.push(h));
    }

    /// Calls `listener` with every event this socket sends, as it goes out.
    pub fn on_any_outgoing(
        &self,
        listener: impl Fn(&ClientSocket, &Event) + Send + Sync + 'static,
    ) {
        let l: OutgoingListener = Arc::new(listener);
        self.handlers(|hs| hs.outgoing.push(l));
    }

    /// Calls `handler` each time the socket connects (again after each reconnection).
    pub fn on_connect<F, Fut>(&self, handler: F)
    where
        F: Fn(ClientSocket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: ConnectHandler = Arc::new(move |s| Box::pin(handler(s)));
        self.handlers(|hs| hs.connect.push(h));
    }

    /// Calls `handler` when connecting fails: refused by the server (the socket then stays
    /// disconnected until [`connect`](Self::connect)), or the connection could not be made
    /// (the client retries by itself).
    pub fn on_connect_error<F, Fut>(&self, handler: F)
    where
        F: Fn(ClientSocket, ConnectErrorInfo) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: ConnectErrorHandler = Arc::new(move |s, e| Box::pin(handler(s, e)));
        self.handlers(|hs| hs.connect_error.push(h));
    }

    /// Calls `handler` when the socket disconnects, with the reason.
    pub fn on_disconnect<F, Fut>(&self, handler: F)
    where
        F: Fn(ClientSocket, DisconnectReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let h: DisconnectHandler = Arc::new(move |s, r| Box::pin(handler(s, r)));
        self.handlers(|hs| hs.disconnect.push(h));
    }

    /// Connects (opening the client's connection if needed). Register handlers first.
    pub fn connect(&self) {
        let nsp = self.nsp.clone();
        self.client.with(|st, now| {
            st.manager.connect(now, &nsp);
        });
    }

    /// Disconnects ("io client disconnect"); the socket does not reconnect by itself, and the
    /// connection closes when no socket is left on it.
    pub fn disconnect(&self) {
        let nsp = self.nsp.clone();
        self.client.with(|st, now| st.manager.disconnect(now, &nsp));
    }

    fn send(
        &self,
        event: &str,
        args: &(impl Serialize + ?Sized),
        options: EmitOptions,
    ) -> Result<Option<AckFuture>, EmitError> {
        let event = Event::new(event, args)?;
        let nsp = self.nsp.clone();
        let this = self.clone();
        self.client.with(|st, now| {
            if let Some(slot) = st.sockets.get(&nsp) {
                for l in &slot.handlers.outgoing {
                    l(&this, &event);
                }
            }
            match st.manager.emit(now, &nsp, event, options) {
                Ok(Some(handle)) => {
                    let (slot, fut) = AckFuture::pair();
                    st.acks.insert(handle, slot);
                    Ok(Some(fut))
                }
                Ok(None) => Ok(None),
                Err(e) => Err(EmitError::Refused(e)),
            }
        })
    }

    /// Emits `event` with `args` (a tuple spreads into several arguments; `bytes::Bytes`
    /// fields travel as binary attachments). While disconnected it waits in a buffer and is
    /// sent on connect.
    ///
    /// Fails if the arguments do not serialize, or if the socket has too many events waiting
    /// to be sent already ([`SocketConfig`](crate::socket::client::SocketConfig)'s
    /// `max_buffered_packets` and `max_buffered_bytes`): then the event is not taken.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        self.send(event, args, EmitOptions::default()).map(drop)
    }

    /// Emits `event` unless it cannot be written at once (then it is dropped, not buffered).
    pub fn emit_volatile<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
    ) -> Result<(), EmitError> {
        let options = EmitOptions {
            volatile: true,
            ..EmitOptions::default()
        };
        self.send(event, args, options).map(drop)
    }

    /// Emits `event` and waits for the server's ack (its arguments as a [`Payload`](crate::socket::Payload)). Without
    /// a timeout (see [`emit_with_ack_timeout`](Self::emit_with_ack_timeout) and the socket's
    /// `ack_timeout`) it fails only if the socket disconnects after sending.
    pub fn emit_with_ack<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> AckFuture {
        self.emit_ack(event, args, None)
    }

    /// Emits `event` and waits at most `timeout` for the server's ack.
    pub fn emit_with_ack_timeout<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
        timeout: Duration,
    ) -> AckFuture {
        self.emit_ack(event, args, Some(timeout))
    }

    fn emit_ack<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
        timeout: Option<Duration>,
    ) -> AckFuture {
        let options = EmitOptions {
            ack: true,
            timeout,
            ..EmitOptions::default()
        };
        match self.send(event, args, options) {
            Ok(Some(f)) => f,
            Err(EmitError::Refused(ManagerEmitError::TooManyPendingAcks)) => {
                AckFuture::failed(AckError::TooManyPending)
            }
            Err(EmitError::Refused(ManagerEmitError::BufferFull)) => {
                AckFuture::failed(AckError::BufferFull)
            }
            Ok(None) | Err(_) => AckFuture::failed(AckError::NotSent),
        }
    }
}

/// Why a client emit was not taken.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmitError {
    /// The arguments do not serialize.
    Encode(serde_json::Error),
    /// The socket's limits refused it (too many events waiting, or acks outstanding).
    Refused(ManagerEmitError),
}

impl std::fmt::Display for EmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmitError::Encode(e) => write!(f, "arguments do not serialize: {e}"),
            EmitError::Refused(e) => write!(f, "emit refused: {e}"),
        }
    }
}

impl std::error::Error for EmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmitError::Encode(e) => Some(e),
            EmitError::Refused(e) => Some(e),
        }
    }
}

impl From<serde_json::Error> for EmitError {
    fn from(e: serde_json::Error) -> Self {
        EmitError::Encode(e)
    }
}
