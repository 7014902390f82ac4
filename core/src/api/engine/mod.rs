//! [`EngineIo`]: an Engine.IO [`Server`] shared between a driver's tasks, with wakers.
//!
//! Drivers call the `handle`-like methods from their connection tasks (each a short critical
//! section: feed the state machine, route its output to per-transport outboxes and per-session
//! inboxes, wake whoever waits) and wait on the `poll_*` methods. Applications accept
//! [`EngineSession`]s (module `session`) and send and receive Engine.IO messages on them.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use hashbrown::HashMap;

mod session;

pub use session::EngineSession;

use super::runtime::Runtime;
use super::ws_outbox::WsOutbox;
use crate::engine::server::{
    CloseReason, Event, Request, Response, Server, ServerConfig, Transmit, TransportId,
    TransportKind,
};
use crate::engine::{Frame, Packet};
use crate::Str;

/// How the driver answers an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpAnswer {
    /// Write this response.
    Response(Response),
    /// Complete the WebSocket upgrade (101), then call [`EngineIo::ws_open`] with the request's
    /// id and run the WebSocket; with `deflate`, answer its
    /// [`header`](crate::compress::deflate::Agreed::header) in `Sec-WebSocket-Extensions` and
    /// run it with a permessage-deflate [`Codec`](crate::compress::deflate::Codec).
    AcceptWebSocket {
        /// permessage-deflate, when agreed.
        deflate: Option<crate::compress::deflate::Agreed>,
    },
    /// Refuse the WebSocket upgrade: write this response and close the connection.
    RefuseWebSocket(Response),
}

/// An Engine.IO server shared by a driver's tasks. Cloning shares it.
#[derive(Clone)]
pub struct EngineIo {
    inner: Arc<Shared>,
}

/// What the handles of one server share: its state behind the lock, and the runtime of the
/// Socket.IO server on top (when there is one), kept here so that a
/// [`SocketIo`](crate::api::socketio::SocketIo) handle is one reference to count, not two.
pub(crate) struct Shared {
    state: Mutex<State>,
    runtime: Option<Arc<dyn Runtime>>,
}

impl std::fmt::Debug for EngineIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineIo").finish_non_exhaustive()
    }
}

/// A protocol layer above Engine.IO (Socket.IO) that lives under the same lock: it receives the
/// Engine.IO events instead of the per-session inboxes, and commands the Engine.IO server.
pub(crate) trait Upper: Send + 'static {
    /// One Engine.IO event; what it leads to may wait for [`settle`](Self::settle).
    fn engine_event(&mut self, now: Option<Instant>, event: Event, engine: &mut Server);
    /// Carries out what the events given since the last call left queued (called once the
    /// Engine.IO server has no event left: a batch of messages is carried out together).
    fn settle(&mut self, engine: &mut Server);
    /// Fires the layer's expired timers.
    fn handle_timeout(&mut self, now: Instant, engine: &mut Server);
    /// The layer's next deadline.
    fn poll_timeout(&mut self) -> Option<Instant>;
    /// The layer itself, to downcast in commands.
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any;
    /// Whether the layer has work to do outside the lock (handlers to run): then the hook set
    /// with [`EngineIo::set_after_unlock`] is called once the lock is released.
    fn wants_dispatch(&self) -> bool {
        false
    }
}

/// What runs after the lock is released when the layer above [wants it](Upper::wants_dispatch).
pub(crate) type AfterUnlock = Arc<dyn Fn() + Send + Sync>;

pub(crate) struct State {
    server: Server,
    upper: Option<Box<dyn Upper>>,
    next_id: u64,
    /// The latest time a driver passed in; used where no time is given (a dropped request).
    last_now: Option<Instant>,
    http: HashMap<TransportId, Slot<HttpAnswer>>,
    ws: HashMap<TransportId, WsOutbox>,
    /// WebSockets the server closed and whose tasks are still closing them: an
    /// [`Transmit::AbortWs`] may still come for them (a peer that does not take the close).
    closing: HashMap<TransportId, WsOutbox>,
    sessions: HashMap<Str, SessionSlot>,
    accept: VecDeque<Str>,
    accept_waker: Option<Waker>,
    deadline: Option<Instant>,
    timer_waker: Option<Waker>,
    shut_down: bool,
    after_unlock: Option<AfterUnlock>,
}

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

struct SessionSlot {
    inbox: VecDeque<Packet>,
    closed: Option<CloseReason>,
    transport: TransportKind,
    query: Vec<(String, String)>,
    waker: Option<Waker>,
    /// The application holds an [`EngineSession`] for it (or may still accept it).
    held: bool,
}

/// Wakes the waiting task, if one waits.
pub(super) fn wake(w: &mut Option<Waker>) {
    if let Some(w) = w.take() {
        w.wake();
    }
}

impl State {
    /// Routes everything the state machine produced; wakes whoever waits for it. Events may
    /// make the layer above send more, so this loops until the machines are quiet.
    fn flush(&mut self) {
        loop {
            self.route_transmits();
            if let Some(e) = self.server.poll_event() {
                match self.upper.as_mut() {
                    Some(upper) => upper.engine_event(self.last_now, e, &mut self.server),
                    None => self.raw_event(e),
                }
                continue;
            }
            // Every event is in: the layer above carries out what they queued, which may
            // give the Engine.IO server more to route.
            let Some(upper) = self.upper.as_mut() else {
                break;
            };
            upper.settle(&mut self.server);
            if !self.server.has_output() {
                break;
            }
        }
        let mut deadline = self.server.poll_timeout();
        if let Some(upper) = self.upper.as_mut() {
            deadline = match (deadline, upper.poll_timeout()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if deadline != self.deadline {
            self.deadline = deadline;
            wake(&mut self.timer_waker);
        }
    }

    /// The hook to call once unlocked, if the layer above has work for it.
    fn after_unlock(&self) -> Option<AfterUnlock> {
        match &self.upper {
            Some(u) if u.wants_dispatch() => self.after_unlock.clone(),
            _ => None,
        }
    }

    fn route_transmits(&mut self) {
        /// Hands `first` and the frames for WebSocket `to` that follow them to its outbox.
        /// Apart: the loop around stays small for the frames that go alone.
        #[inline(never)]
        fn push_batch(
            server: &mut Server,
            ws: Option<&WsOutbox>,
            to: TransportId,
            first: [Frame; 2],
        ) {
            let more = std::iter::from_fn(|| server.poll_ws_frame_to(to));
            match ws {
                Some(ws) => ws.push_all(first.into_iter().chain(more)),
                None => more.for_each(drop),
            }
        }

        while let Some(t) = self.server.poll_transmit() {
            match t {
                Transmit::Response { to, response } => {
                    self.answer(to, HttpAnswer::Response(response))
                }
                Transmit::AcceptWebSocket { to, deflate } => {
                    self.answer(to, HttpAnswer::AcceptWebSocket { deflate })
                }
                Transmit::RefuseWebSocket { to, response } => {
                    self.answer(to, HttpAnswer::RefuseWebSocket(response))
                }
                Transmit::WsFrame { to, frame } => {
                    // With the frames for the same WebSocket that follow (a batch's answers):
                    // one lock of its outbox and one wake for them all. A frame alone (a
                    // broadcast's delivery) goes without gathering.
                    let ws = self.ws.get(&to);
                    let Some(second) = self.server.poll_ws_frame_to(to) else {
                        if let Some(ws) = ws {
                            ws.push(frame);
                        }
                        continue;
                    };
                    push_batch(&mut self.server, ws, to, [frame, second]);
                }
                Transmit::CloseWs { to } => {
                    // Closed by the server: its `ws_closed` only ends the linger.
                    if let Some(ws) = self.ws.remove(&to) {
                        ws.close();
                        self.closing.insert(to, ws);
                    }
                }
                Transmit::AbortWs { to } => {
                    if let Some(ws) = self.ws.remove(&to).or_else(|| self.closing.remove(&to)) {
                        ws.abort();
                    }
                }
                Transmit::PauseRead { to } => {
                    if let Some(ws) = self.ws.get(&to) {
                        ws.set_paused(true);
                    }
                }
                Transmit::ResumeRead { to } => {
                    if let Some(ws) = self.ws.get(&to) {
                        ws.set_paused(false);
                    }
                }
            }
        }
    }

    /// Raw Engine.IO mode: events go to the per-session inboxes of [`EngineSession`]s.
    fn raw_event(&mut self, e: Event) {
        {
            match e {
                Event::SessionOpened {
                    sid,
                    transport,
                    query,
                    ..
                } => {
                    self.sessions.insert(
                        sid.clone(),
                        SessionSlot {
                            inbox: VecDeque::new(),
                            closed: None,
                            transport,
                            query,
                            waker: None,
                            held: true,
                        },
                    );
                    self.accept.push_back(sid);
                    wake(&mut self.accept_waker);
                }
                Event::Message { sid, packet, .. } => {
                    if let Some(s) = self.sessions.get_mut(&sid) {
                        s.inbox.push_back(packet);
                        wake(&mut s.waker);
                    }
                }
                Event::Upgraded { sid } => {
                    let now_on = self.server.transport_of(&sid);
                    if let Some(s) = self.sessions.get_mut(&sid) {
                        s.transport = now_on.unwrap_or(TransportKind::WebSocket);
                    }
                }
                // The raw sessions' senders read `buffered` themselves.
                Event::Drained { .. } => {}
                Event::SessionClosed { sid, reason } => {
                    if let Some(s) = self.sessions.get_mut(&sid) {
                        s.closed = Some(reason);
                        wake(&mut s.waker);
                        if !s.held {
                            self.sessions.remove(&sid);
                        }
                    }
                }
            }
        }
    }

    fn answer(&mut self, to: TransportId, answer: HttpAnswer) {
        if let Some(slot) = self.http.get_mut(&to) {
            slot.value = Some(answer);
            wake(&mut slot.waker);
        }
    }
}

impl EngineIo {
    /// A server with `config`.
    pub fn new(config: ServerConfig) -> Self {
        Self::build(config, None, None)
    }

    /// A server whose Engine.IO events go to `upper` (the Socket.IO layer).
    /// `runtime` is the one the layer's tasks run on ([`runtime`](Self::runtime)).
    pub(crate) fn with_upper(
        config: ServerConfig,
        upper: Box<dyn Upper>,
        runtime: Arc<dyn Runtime>,
    ) -> Self {
        Self::build(config, Some(upper), Some(runtime))
    }

    fn build(
        config: ServerConfig,
        upper: Option<Box<dyn Upper>>,
        runtime: Option<Arc<dyn Runtime>>,
    ) -> Self {
        EngineIo {
            inner: Arc::new(Shared {
                runtime,
                state: Mutex::new(State {
                    server: Server::new(config),
                    upper,
                    next_id: 0,
                    last_now: None,
                    http: HashMap::new(),
                    ws: HashMap::new(),
                    closing: HashMap::new(),
                    sessions: HashMap::new(),
                    accept: VecDeque::new(),
                    accept_waker: None,
                    deadline: None,
                    timer_waker: None,
                    shut_down: false,
                    after_unlock: None,
                }),
            }),
        }
    }

    /// A handle that does not keep the server alive (for the layer above, which the server
    /// owns: a strong handle there would be a reference cycle).
    pub(crate) fn downgrade(&self) -> std::sync::Weak<Shared> {
        Arc::downgrade(&self.inner)
    }

    /// The server behind a [`downgrade`](Self::downgrade)d handle, if it still exists.
    pub(crate) fn upgrade(weak: &std::sync::Weak<Shared>) -> Option<EngineIo> {
        weak.upgrade().map(|inner| EngineIo { inner })
    }

    /// The runtime of the Socket.IO server on top, if there is one.
    #[inline]
    pub(crate) fn runtime(&self) -> Option<&Arc<dyn Runtime>> {
        self.inner.runtime.as_ref()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock is a bug in the state machine; the data is still
        // consistent enough to keep serving the other sessions.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with<R>(&self, now: Option<Instant>, f: impl FnOnce(&mut State) -> R) -> R {
        let (r, after) = {
            let mut st = self.lock();
            if now.is_some() {
                st.last_now = now;
            }
            let r = f(&mut st);
            st.flush();
            (r, st.after_unlock())
        };
        if let Some(after) = after {
            after();
        }
        r
    }

    /// Tells this server from others (the address of its shared state).
    pub(crate) fn key(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    /// Sets what runs after the lock is released when the layer above has work outside it.
    pub(crate) fn set_after_unlock(&self, hook: AfterUnlock) {
        self.lock().after_unlock = Some(hook);
    }

    // ---- for drivers -------------------------------------------------------------------------

    /// Whether requests to `path` are for this server.
    pub fn handles_path(&self, path: &str) -> bool {
        self.lock().server.handles_path(path)
    }

    /// How long a write to a client may make no progress before the driver drops the
    /// connection ([`ServerConfig::write_timeout`]).
    pub fn write_timeout(&self) -> std::time::Duration {
        self.lock().server.config().write_timeout
    }

    /// The largest body the server accepts; drivers read at most one byte more.
    pub fn max_payload(&self) -> usize {
        self.lock().server.config().max_payload
    }

    /// The server's permessage-deflate options (its threshold and level, for the
    /// [`Codec`](crate::compress::deflate::Codec) of a WebSocket accepted with the extension).
    pub fn per_message_deflate(&self) -> Option<crate::compress::deflate::PerMessageDeflate> {
        self.lock().server.config().per_message_deflate
    }

    /// A fresh id for an HTTP request or a WebSocket.
    pub fn next_transport_id(&self) -> TransportId {
        let mut st = self.lock();
        st.next_id += 1;
        TransportId(st.next_id)
    }

    /// Hands an HTTP request to the server; the future resolves to the answer (a long-poll
    /// resolves when there is something to send). Dropping the future before it resolves means
    /// the client went away.
    pub fn request(&self, now: Instant, req: Request) -> PendingRequest {
        let id = self.next_transport_id();
        self.with(Some(now), |st| {
            st.http.insert(
                id,
                Slot {
                    value: None,
                    waker: None,
                },
            );
            st.server.handle_request(now, id, req);
        });
        PendingRequest {
            io: self.clone(),
            id,
            done: false,
        }
    }

    /// The WebSocket of an accepted upgrade request is open. The WebSocket's task writes what
    /// the returned outbox gives it (see [`WsOutbox::poll_next`]) until it says to close.
    pub fn ws_open(&self, now: Instant, id: TransportId) -> WsOutbox {
        self.with(Some(now), |st| {
            let outbox = WsOutbox::new(st.server.config().high_water());
            st.ws.insert(id, outbox.clone());
            st.server.handle_ws_open(now, id);
            outbox
        })
    }

    /// A WebTransport session was established by the CONNECT request `req` (path, query,
    /// origin, headers, peer) and the driver reads its first bidirectional stream under `id`
    /// (from [`next_transport_id`](Self::next_transport_id)). The session's task then runs as
    /// a WebSocket's, with the returned outbox: it hands the stream's bytes to
    /// [`wt_data`](Self::wt_data), writes each frame of a [`WsNext::Write`](super::WsNext)
    /// as [`webtransport::chunks`](crate::engine::webtransport::chunks), reports writes with
    /// [`ws_flushed`](Self::ws_flushed) and the end with [`ws_closed`](Self::ws_closed).
    /// See [`Server::handle_wt_open`].
    pub fn wt_open(&self, now: Instant, id: TransportId, req: Request) -> WsOutbox {
        self.with(Some(now), |st| {
            let outbox = WsOutbox::new(st.server.config().high_water());
            st.ws.insert(id, outbox.clone());
            st.server.handle_wt_open(now, id, req);
            outbox
        })
    }

    /// Bytes read from WebTransport session `id`'s stream, in order, under one lock (what the
    /// driver read in one go; the core finds the packets in them).
    pub fn wt_data(&self, now: Instant, id: TransportId, chunks: impl IntoIterator<Item = Bytes>) {
        self.with(Some(now), |st| {
            if let Some(written) = st.ws.get(&id).map(WsOutbox::take_unreported) {
                if written > 0 {
                    st.server.handle_ws_written(now, id, written);
                }
            }
            for chunk in chunks {
                st.server.handle_wt_data(now, id, chunk);
            }
        });
    }

    /// The task of WebSocket `id` wrote and flushed the frames of its last
    /// [`WsNext::Write`](super::WsNext::Write): the server learns it (now, or with the
    /// connection's next incoming batch; see [`WsOutbox`]).
    pub fn ws_flushed(&self, now: Instant, id: TransportId, outbox: &WsOutbox) {
        if outbox.flushed() {
            self.with(Some(now), |st| {
                let written = outbox.take_unreported();
                st.server.handle_ws_written(now, id, written);
            });
        }
    }

    /// A whole WebSocket message arrived.
    pub fn ws_message(&self, now: Instant, id: TransportId, frame: Frame) {
        self.ws_messages(now, id, [frame]);
    }

    /// Several messages received on WebSocket `id`, in order, under one lock (what a driver
    /// read in one go): the handlers they trigger run after all of them are in, so their
    /// answers can leave in one write.
    pub fn ws_messages(
        &self,
        now: Instant,
        id: TransportId,
        frames: impl IntoIterator<Item = Frame>,
    ) {
        self.with(Some(now), |st| {
            // What the task wrote since it last told the server comes first.
            let written = st.ws.get(&id).map_or(0, WsOutbox::take_unreported);
            st.server.handle_ws_input(now, id, written, frames);
        });
    }

    /// The client broke the WebSocket protocol (the driver answered with its close code): the
    /// session on it closes with "transport error".
    pub fn ws_failed(&self, now: Instant, id: TransportId) {
        self.ws_gone(now, id, Server::handle_ws_error);
    }

    /// The WebSocket's task is done with it: it closed or failed, or the task carried out a
    /// [`WsNext::Close`](super::WsNext::Close) or [`WsNext::Abort`](super::WsNext::Abort).
    pub fn ws_closed(&self, now: Instant, id: TransportId) {
        self.ws_gone(now, id, Server::handle_ws_closed);
    }

    /// WebSocket `id`'s task ended: the server learns it through `report`, unless it closed
    /// the WebSocket itself (then only the linger ends).
    fn ws_gone(
        &self,
        now: Instant,
        id: TransportId,
        report: fn(&mut Server, Instant, TransportId),
    ) {
        self.with(Some(now), |st| {
            if st.closing.remove(&id).is_some() {
                return;
            }
            if st.ws.remove(&id).is_some() {
                report(&mut st.server, now, id);
            }
        });
    }

    /// Fires expired timers.
    pub fn handle_timeout(&self, now: Instant) {
        self.with(Some(now), |st| {
            st.server.handle_timeout(now);
            if let Some(upper) = st.upper.as_mut() {
                upper.handle_timeout(now, &mut st.server);
            }
        });
    }

    /// Runs `f` on the layer above (of type `T`) and the Engine.IO server, then routes what
    /// they produced. `None` if there is no such layer.
    pub(crate) fn with_upper_mut<T: 'static, R>(
        &self,
        now: Option<Instant>,
        f: impl FnOnce(&mut T, &mut Server) -> R,
    ) -> Option<R> {
        self.with(now, |st| {
            let upper = st.upper.as_mut()?.as_any_mut().downcast_mut::<T>()?;
            Some(f(upper, &mut st.server))
        })
    }

    /// [`with_upper_mut`](Self::with_upper_mut) for work on the layer above that may leave
    /// both machines as they were (taking the next item of a socket's inbox): `f` returns
    /// whether it did, i.e. left the layer nothing to carry out on the Engine.IO server and
    /// armed or fired no timer. Then, unless the Engine.IO server has output waiting, the
    /// lock is released without the flush, which would route nothing and find the same
    /// deadline.
    pub(crate) fn with_upper_settled<T: 'static, R>(
        &self,
        f: impl FnOnce(&mut T, &mut Server) -> (R, bool),
    ) -> Option<R> {
        let (r, after) = {
            let mut guard = self.lock();
            let st = &mut *guard;
            let upper = st.upper.as_mut()?.as_any_mut().downcast_mut::<T>()?;
            let (r, settled) = f(upper, &mut st.server);
            if !settled || st.server.has_output() {
                st.flush();
            }
            (r, st.after_unlock())
        };
        if let Some(after) = after {
            after();
        }
        Some(r)
    }

    /// Resolves when the server's next deadline differs from `armed` (the one the driver's
    /// timer is set to), with the new deadline.
    pub fn poll_deadline(
        &self,
        armed: Option<Instant>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Instant>> {
        let mut st = self.lock();
        if st.deadline != armed {
            return Poll::Ready(st.deadline);
        }
        st.timer_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Closes every session ("server shutting down") and ends [`accept`](Self::accept).
    pub fn shutdown(&self) {
        self.with(None, |st| {
            st.server.shutdown();
            st.shut_down = true;
            wake(&mut st.accept_waker);
        });
    }

    // ---- for applications --------------------------------------------------------------------

    /// The next new session; `None` once the server is shut down.
    pub fn accept(&self) -> impl Future<Output = Option<EngineSession>> + '_ {
        poll_fn(move |cx| {
            let mut st = self.lock();
            if let Some(sid) = st.accept.pop_front() {
                return Poll::Ready(Some(EngineSession {
                    io: self.clone(),
                    sid,
                }));
            }
            if st.shut_down {
                return Poll::Ready(None);
            }
            st.accept_waker = Some(cx.waker().clone());
            Poll::Pending
        })
    }

    /// The number of open sessions.
    pub fn session_count(&self) -> usize {
        self.lock().server.session_count()
    }
}

/// An HTTP request handed to the server, waiting for its answer.
#[must_use = "the request is answered through this future"]
pub struct PendingRequest {
    io: EngineIo,
    id: TransportId,
    done: bool,
}

impl PendingRequest {
    /// The id the request got (a WebSocket accepted from it keeps this id).
    pub fn id(&self) -> TransportId {
        self.id
    }
}

impl Future for PendingRequest {
    type Output = HttpAnswer;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<HttpAnswer> {
        let id = self.id;
        let mut st = self.io.lock();
        let Some(slot) = st.http.get_mut(&id) else {
            drop(st);
            self.done = true;
            return Poll::Ready(HttpAnswer::Response(Response {
                status: 500,
                headers: Vec::new(),
                body: Bytes::new(),
                encode_with: None,
            }));
        };
        match slot.value.take() {
            Some(answer) => {
                st.http.remove(&id);
                drop(st);
                self.done = true;
                // A long-poll answer is compressed here, outside the lock (see
                // `Response::encoded`).
                Poll::Ready(match answer {
                    HttpAnswer::Response(r) => HttpAnswer::Response(r.encoded()),
                    other => other,
                })
            }
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for PendingRequest {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let id = self.id;
        let after = {
            let mut st = self.io.lock();
            if st.http.remove(&id).is_some() {
                if let Some(now) = st.last_now {
                    st.server.handle_request_aborted(now, id);
                    st.flush();
                }
            }
            st.after_unlock()
        };
        if let Some(after) = after {
            after();
        }
    }
}
