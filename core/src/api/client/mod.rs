//! The Socket.IO client's async face: [`Client`] (the reference's `Manager`: one connection,
//! reconnection) and [`ClientSocket`] (one namespace over it).
//!
//! ```ignore
//! let client = ClientBuilder::new("http://localhost:3000", runtime, io).build()?;
//! let socket = client.socket("/");
//! socket.on("hello", |socket: ClientSocket, msg: Message| async move {
//!     let text: String = msg.arg(0).unwrap_or_default();
//!     socket.emit("reply", &text).ok();
//! });
//! socket.connect();
//! let answer = socket.emit_with_ack("question", &42).await?;
//! ```
//!
//! All protocol lives in [`crate::socket::client::Manager`]; this layer keeps it under one
//! lock, carries out what it asks with the driver's [`ClientIo`] (HTTP requests, WebSockets,
//! one timer task), and runs the application's handlers outside the lock, one task per socket
//! in arrival order (a handler's part before its first `.await` runs before the next event).

mod builder;
mod io;
mod message;
mod socket;
mod transport;
mod url;

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Poll, Waker};
use std::time::Instant;

use hashbrown::HashMap;

pub use builder::ClientBuilder;
pub use io::{
    BoxFut, ClientIo, Endpoint, HttpRequest, WsConnection, WsRequest, WtConnection, WtRequest,
};
pub use message::Message;
pub use socket::{ClientSocket, ConnectErrorInfo, EmitError};
pub use url::UrlError;

use super::runtime::{BoxFuture, Runtime};
use super::socketio::ack::AckSlot;
use super::socketio::AckError;
use crate::engine::client::{IoId, Transmit};
use crate::engine::server::TransportKind;
use crate::engine::Frame;
use crate::socket::client::{AckFailure, AckHandle, Event, Manager, SocketConfig};
use crate::socket::Payload;
use crate::Str;
use socket::{Item, SocketSlot};

pub use crate::socket::client::{Auth, DisconnectReason, ManagerConfig};

/// What happens to the connection as a whole (the reference `Manager`'s events).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The connection opened.
    Open,
    /// The connection closed.
    Close(DisconnectReason),
    /// A connection attempt failed, or the open connection failed (just before its
    /// `Close(TransportError)`).
    Error(String),
    /// The connection moved from polling to WebSocket.
    Upgrade,
    /// Reconnection attempt `n` starts.
    ReconnectAttempt(u32),
    /// Reconnected after `n` attempts.
    Reconnect(u32),
    /// A reconnection attempt failed.
    ReconnectError(String),
    /// Every reconnection attempt failed.
    ReconnectFailed,
}

type ClientHandler = Arc<dyn Fn(Client, ClientEvent) -> BoxFuture + Send + Sync>;

/// A WebSocket (or WebTransport session) the driver runs for the manager.
#[derive(Default)]
pub(crate) struct WsSlot {
    pub(crate) outbox: VecDeque<Frame>,
    pub(crate) close: bool,
    pub(crate) waker: Option<Waker>,
}

pub(crate) struct State {
    pub(crate) manager: Manager,
    pub(crate) sockets: HashMap<Str, SocketSlot>,
    pub(crate) acks: HashMap<AckHandle, AckSlot<Payload>>,
    pub(crate) ws: HashMap<IoId, WsSlot>,
    handlers: Vec<ClientHandler>,
    client_inbox: VecDeque<ClientEvent>,
    client_waker: Option<Waker>,
    /// The client task is running handlers of an event it took.
    client_busy: bool,
    /// The client task ended (closed, nothing left): no connection event is handled any more.
    client_done: bool,
    /// Socket tasks holding their items until the connection's events before them are handled
    /// (the reference emits `open` before any socket's `connect`, for one).
    pub(crate) after_client: Vec<Waker>,
    timer_waker: Option<Waker>,
    armed: Option<Instant>,
    closed: bool,
    /// Spawns waiting to run outside the lock.
    spawns: Vec<BoxFuture>,
}

/// Where and how the client connects.
pub(crate) struct Target {
    pub(crate) endpoint: Endpoint,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) default_namespace: String,
    /// Send `Accept-Encoding` with polling requests.
    pub(crate) http_compression: bool,
    /// Offer permessage-deflate on WebSockets.
    pub(crate) per_message_deflate: Option<crate::compress::deflate::PerMessageDeflate>,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) rt: Arc<dyn Runtime>,
    pub(crate) io: Arc<dyn ClientIo>,
    pub(crate) target: Target,
}

/// A Socket.IO client connection (the reference's `Manager`): one Engine.IO connection that
/// namespace sockets share, reconnected with backoff when lost. Cloning gives another handle.
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.shared.target.endpoint)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn start(
        rt: Arc<dyn Runtime>,
        io: Arc<dyn ClientIo>,
        target: Target,
        manager: Manager,
    ) -> Client {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                manager,
                sockets: HashMap::new(),
                acks: HashMap::new(),
                ws: HashMap::new(),
                handlers: Vec::new(),
                client_inbox: VecDeque::new(),
                client_waker: None,
                client_busy: false,
                client_done: false,
                after_client: Vec::new(),
                timer_waker: None,
                armed: None,
                closed: false,
                spawns: Vec::new(),
            }),
            rt,
            io,
            target,
        });
        let client = Client { shared };
        client
            .shared
            .rt
            .spawn(Box::pin(timer_task(Arc::downgrade(&client.shared))));
        client
            .shared
            .rt
            .spawn(Box::pin(client_task(client.clone())));
        client
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the state at the runtime's current time, then carries out what the manager
    /// asks (requests, WebSocket messages, events for the sockets).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State, Instant) -> R) -> R {
        let now = self.shared.rt.now();
        let (r, spawns) = {
            let mut st = self.lock();
            let r = f(&mut st, now);
            st.pump(&self.shared);
            (r, std::mem::take(&mut st.spawns))
        };
        for s in spawns {
            self.shared.rt.spawn(s);
        }
        r
    }

    /// The socket of the namespace this client's URL names (`/` if none).
    pub fn default_socket(&self) -> ClientSocket {
        let nsp = self.shared.target.default_namespace.clone();
        self.socket(&nsp)
    }

    /// The socket of namespace `nsp` (created on first use; later calls return the same
    /// socket). It connects when [`ClientSocket::connect`] is called.
    pub fn socket(&self, nsp: &str) -> ClientSocket {
        self.socket_with(nsp, None)
    }

    /// The socket of namespace `nsp` with its options (auth, ack timeout, retries); options
    /// given again replace the previous ones.
    pub fn socket_with_config(&self, nsp: &str, config: SocketConfig) -> ClientSocket {
        self.socket_with(nsp, Some(config))
    }

    fn socket_with(&self, nsp: &str, config: Option<SocketConfig>) -> ClientSocket {
        let nsp = if nsp.starts_with('/') {
            nsp.to_owned()
        } else {
            format!("/{nsp}")
        };
        let key = Str::from(nsp.clone());
        let spawn = self.with(|st, _| {
            let exists = st.sockets.contains_key(&key);
            if !exists || config.is_some() {
                st.manager.socket(&nsp, config.unwrap_or_default());
            }
            if exists {
                return false;
            }
            st.sockets.insert(key.clone(), SocketSlot::default());
            true
        });
        let socket = ClientSocket {
            client: self.clone(),
            nsp: key,
        };
        if spawn {
            self.shared
                .rt
                .spawn(Box::pin(socket::socket_task(socket.clone())));
        }
        socket
    }

    /// Calls `handler` for each event of the connection (open, close, reconnection…), in
    /// order.
    pub fn on_event<F, Fut>(&self, handler: F)
    where
        F: Fn(Client, ClientEvent) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let h: ClientHandler = Arc::new(move |c, e| Box::pin(handler(c, e)));
        self.with(|st, _| st.handlers.push(h));
    }

    /// Whether the connection is open.
    pub fn is_open(&self) -> bool {
        self.with(|st, _| st.manager.is_open())
    }

    /// The Engine.IO session id of the current connection.
    pub fn engine_id(&self) -> Option<String> {
        self.with(|st, _| st.manager.engine_id().map(|s| s.to_string()))
    }

    /// The transport of the current connection.
    pub fn transport(&self) -> Option<TransportKind> {
        self.with(|st, _| st.manager.transport())
    }

    /// Closes the connection and every socket ("forced close"); nothing reconnects.
    pub fn close(&self) {
        self.with(|st, now| {
            st.manager.close(now);
            st.closed = true;
        });
    }
}

impl State {
    /// Carries out the manager's transmits and dispatches its events. Called with the lock
    /// held after every change.
    fn pump(&mut self, shared: &Arc<Shared>) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.manager.poll_transmit() {
                progressed = true;
                self.transmit(shared, t);
            }
            while let Some(e) = self.manager.poll_event() {
                progressed = true;
                self.dispatch(e);
            }
            if !progressed {
                break;
            }
        }
        let deadline = self.manager.poll_timeout();
        if deadline != self.armed {
            self.armed = deadline;
            if let Some(w) = self.timer_waker.take() {
                w.wake();
            }
        }
    }

    fn transmit(&mut self, shared: &Arc<Shared>, t: Transmit) {
        match t {
            Transmit::Http {
                id,
                method,
                query,
                body,
            } => {
                let mut headers = shared.target.headers.clone();
                let asked = headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("accept-encoding"));
                if shared.target.http_compression && !asked {
                    headers.push(("accept-encoding".to_owned(), "gzip, deflate".to_owned()));
                }
                let req = HttpRequest {
                    endpoint: shared.target.endpoint.clone(),
                    method,
                    path_and_query: format!("{}?{}", shared.target.path, query),
                    headers,
                    body,
                };
                self.spawns.push(Box::pin(transport::http_task(
                    Arc::downgrade(shared),
                    id,
                    req,
                )));
            }
            Transmit::WsOpen { id, query } => {
                let req = WsRequest {
                    endpoint: shared.target.endpoint.clone(),
                    path_and_query: format!("{}?{}", shared.target.path, query),
                    headers: shared.target.headers.clone(),
                    per_message_deflate: shared.target.per_message_deflate,
                };
                self.ws.insert(id, WsSlot::default());
                self.spawns.push(Box::pin(transport::ws_task(
                    Arc::downgrade(shared),
                    id,
                    req,
                )));
            }
            Transmit::WtOpen { id, query } => {
                let req = WtRequest {
                    endpoint: shared.target.endpoint.clone(),
                    path_and_query: format!("{}?{}", shared.target.path, query),
                    headers: shared.target.headers.clone(),
                };
                self.ws.insert(id, WsSlot::default());
                self.spawns.push(Box::pin(transport::wt_task(
                    Arc::downgrade(shared),
                    id,
                    req,
                )));
            }
            Transmit::WsSend { id, frame } => {
                if let Some(slot) = self.ws.get_mut(&id) {
                    slot.outbox.push_back(frame);
                    if let Some(w) = slot.waker.take() {
                        w.wake();
                    }
                }
            }
            Transmit::WsClose { id } => {
                if let Some(slot) = self.ws.get_mut(&id) {
                    slot.close = true;
                    if let Some(w) = slot.waker.take() {
                        w.wake();
                    }
                }
            }
        }
    }

    fn deliver_to_socket(&mut self, nsp: &Str, item: Item) {
        if let Some(slot) = self.sockets.get_mut(nsp) {
            slot.inbox.push_back(item);
            if let Some(w) = slot.waker.take() {
                w.wake();
            }
        }
    }

    /// Whether connection events are queued or being handled.
    pub(crate) fn client_pending(&self) -> bool {
        !self.client_done && (self.client_busy || !self.client_inbox.is_empty())
    }

    fn deliver_to_client(&mut self, e: ClientEvent) {
        self.client_inbox.push_back(e);
        if let Some(w) = self.client_waker.take() {
            w.wake();
        }
    }

    fn dispatch(&mut self, e: Event) {
        match e {
            Event::Open => self.deliver_to_client(ClientEvent::Open),
            Event::Close(r) => self.deliver_to_client(ClientEvent::Close(r)),
            Event::Error(m) => self.deliver_to_client(ClientEvent::Error(m)),
            Event::Upgraded => self.deliver_to_client(ClientEvent::Upgrade),
            Event::Ping => {}
            Event::ReconnectAttempt(n) => self.deliver_to_client(ClientEvent::ReconnectAttempt(n)),
            Event::Reconnect(n) => self.deliver_to_client(ClientEvent::Reconnect(n)),
            Event::ReconnectError(m) => self.deliver_to_client(ClientEvent::ReconnectError(m)),
            Event::ReconnectFailed => self.deliver_to_client(ClientEvent::ReconnectFailed),
            Event::Connect { nsp, .. } => self.deliver_to_socket(&nsp, Item::Connect),
            Event::ConnectError { nsp, message, data } => {
                self.deliver_to_socket(&nsp, Item::ConnectError(message, data))
            }
            Event::Disconnect { nsp, reason } => {
                self.deliver_to_socket(&nsp, Item::Disconnect(reason))
            }
            Event::Message { nsp, event } => self.deliver_to_socket(&nsp, Item::Event(event)),
            Event::Ack { handle, result, .. } => {
                if let Some(slot) = self.acks.remove(&handle) {
                    slot.complete(result.map_err(|f| match f {
                        AckFailure::Timeout => AckError::Timeout,
                        AckFailure::Disconnected => AckError::Disconnected,
                    }));
                }
            }
        }
    }
}

/// Sleeps until the manager's deadline and runs it; ends when the client is gone.
async fn timer_task(shared: Weak<Shared>) {
    let mut sleep: Option<(Instant, BoxFut<()>)> = None;
    loop {
        let fire = poll_fn(|cx| {
            let Some(shared) = shared.upgrade() else {
                return Poll::Ready(None);
            };
            let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            if st.closed && st.armed.is_none() {
                return Poll::Ready(None);
            }
            st.timer_waker = Some(cx.waker().clone());
            let armed = st.armed;
            drop(st);
            match armed {
                None => {
                    sleep = None;
                    Poll::Pending
                }
                Some(d) => {
                    if sleep.as_ref().map(|(at, _)| *at) != Some(d) {
                        sleep = Some((d, shared.io.sleep_until(d)));
                    }
                    let (_, fut) = sleep.as_mut().expect("set above");
                    match fut.as_mut().poll(cx) {
                        Poll::Ready(()) => {
                            sleep = None;
                            Poll::Ready(Some(shared))
                        }
                        Poll::Pending => Poll::Pending,
                    }
                }
            }
        })
        .await;
        let Some(shared) = fire else { return };
        let client = Client { shared };
        client.with(|st, now| {
            st.armed = None;
            st.manager.handle_timeout(now);
        });
    }
}

/// Dispatches the connection's events to the application's handlers, in order.
async fn client_task(client: Client) {
    loop {
        let next = poll_fn(|cx| {
            let mut st = client.lock();
            match st.client_inbox.pop_front() {
                Some(e) => {
                    st.client_busy = true;
                    Poll::Ready(Some((e, st.handlers.clone())))
                }
                None if st.closed => {
                    st.client_done = true;
                    st.after_client.drain(..).for_each(Waker::wake);
                    Poll::Ready(None)
                }
                None => {
                    st.client_waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await;
        let Some((event, handlers)) = next else {
            return;
        };
        for h in handlers {
            socket::run(&client, h(client.clone(), event.clone()));
        }
        let waiting = client.with(|st, _| {
            st.client_busy = false;
            std::mem::take(&mut st.after_client)
        });
        waiting.into_iter().for_each(Waker::wake);
    }
}
