//! Running the application's handlers, in order per socket, without a task per socket.
//!
//! The layer queues what each socket must handle ([`Item`]s in its inbox) and lists the sockets
//! that have something queued. Whoever released the server's lock after queuing (the driver's
//! connection task that fed the message, the timer task, a handler calling the API) then runs
//! the queued handlers itself, outside the lock: [`drain`]. A handler's future is polled once
//! right there; only one that then waits gets a task of its own. So everything a handler does
//! before its first `.await` happens before the socket's next event is dispatched (a Node.js
//! handler's synchronous part), and an echo costs no task wake-up and no task per socket.
//!
//! A socket being dispatched is marked busy, so two threads (a multi-threaded runtime) never
//! run one socket's items out of order. A socket with middlewares (`socket.use`), which are
//! awaited before its handlers, is dispatched by a task of its own for that event, busy until
//! it is done.
//!
//! Each event counts against its connection's inbound limit ([`super::backlog`]) from the
//! moment it is queued until its handlers are done, waiting ones included.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::Arc;

use smallvec::SmallVec;
use tracing::Instrument;

use super::backlog::{Load, Waited};
use super::handlers::{
    DisconnectHandler, ErrorHandler, EventHandler, SocketHandlers, SocketMiddleware,
};
use super::layer::Layer;
use super::message::Message;
use super::namespace::ConnectionHandler;
use super::socket::Socket;
use super::SocketIo;
use crate::api::runtime::BoxFuture;
use crate::socket::server::{DisconnectReason, SocketId};
use crate::socket::Event;
use crate::Str;

/// What a socket handles, in order (its connection handler comes first, kept apart: most
/// sockets are idle once connected and then hold no inbox buffer at all).
pub(crate) enum Item {
    /// An event, with the id of its socket as the Socket.IO server queued it (moved on to
    /// the handlers' [`Socket`], where a copy of the slot's would count a reference more).
    Event(Event, SocketId),
    Upgraded,
    Disconnecting(DisconnectReason),
    Disconnected(DisconnectReason),
}

/// Where a socket is in its dispatch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Turn {
    /// Nothing queued.
    Idle,
    /// In the layer's ready list.
    Queued,
    /// Being dispatched.
    Busy,
}

/// A connected socket, as the layer sees it.
pub(crate) struct SocketSlot {
    pub(crate) id: SocketId,
    pub(crate) nsp: Str,
    /// The Engine.IO session it is on.
    pub(crate) conn: Str,
    pub(crate) recovered: bool,
    turn: Turn,
    /// Tells this socket from an earlier one with the same id (recovery reuses ids): a late
    /// end of the earlier one's dispatch must not touch this one.
    pub(crate) generation: u64,
    /// Its events not done with yet (see [`super::backlog`]).
    pub(crate) load: Load,
    /// Its handshake, kept from the moment it leaves for the handlers still to run.
    pub(crate) left_with: Option<Box<crate::socket::server::Handshake>>,
    /// The namespace's connection handler, until it has run (before any item).
    connect: Option<ConnectionHandler>,
    inbox: VecDeque<Item>,
    pub(crate) handlers: SocketHandlers,
}

impl SocketSlot {
    fn has_work(&self) -> bool {
        self.connect.is_some() || !self.inbox.is_empty()
    }

    /// A slot with nothing queued, for tests of the table.
    #[cfg(test)]
    pub(crate) fn idle(id: &str, generation: u64) -> Self {
        SocketSlot {
            id: SocketId::new(Str::from(id.to_owned())),
            nsp: Str::from_static("/"),
            conn: Str::from_static("conn"),
            recovered: false,
            turn: Turn::Idle,
            generation,
            load: Load::default(),
            left_with: None,
            connect: None,
            inbox: VecDeque::new(),
            handlers: SocketHandlers::default(),
        }
    }
}

/// An item with the handlers to run for it (cloned under the lock, run outside it).
enum Next {
    Connected(ConnectionHandler),
    Upgraded(Vec<ConnectionHandler>),
    Event(
        Event,
        // Usually one handler: no allocation per event for the list.
        SmallVec<[EventHandler; 2]>,
        Vec<SocketMiddleware>,
        Vec<ErrorHandler>,
    ),
    Leaving(DisconnectReason, Vec<DisconnectHandler>),
}

impl Layer {
    /// Adds a socket that just joined; its connection handler (if any) is its first work.
    pub(crate) fn add_socket(
        &mut self,
        id: SocketId,
        nsp: Str,
        conn: Str,
        recovered: bool,
        connect: Option<ConnectionHandler>,
    ) {
        let turn = if connect.is_some() {
            Turn::Queued
        } else {
            Turn::Idle
        };
        self.generation += 1;
        let generation = self.generation;
        let slot = SocketSlot {
            id,
            nsp,
            conn,
            recovered,
            turn,
            generation,
            load: Load::default(),
            left_with: None,
            connect,
            inbox: VecDeque::new(),
            handlers: SocketHandlers::default(),
        };
        let index = self.sockets.insert(Box::new(slot));
        if turn == Turn::Queued {
            self.ready.push_back((index, generation));
        }
    }

    /// Queues `item` for `socket`.
    pub(crate) fn deliver(&mut self, socket: &SocketId, item: Item) {
        if let Some(index) = self.sockets.index_of(socket) {
            self.deliver_at(index, item);
        }
    }

    /// Queues `event` for `socket`, which it carries on.
    pub(crate) fn deliver_event(&mut self, socket: SocketId, event: Event) {
        if let Some(index) = self.sockets.index_of(&socket) {
            self.deliver_at(index, Item::Event(event, socket));
        }
    }

    /// Queues `item` for the socket at `index` in the table.
    fn deliver_at(&mut self, index: u32, item: Item) {
        if let Some(slot) = self.sockets.at(index) {
            if let Item::Event(e, _) = &item {
                self.backlog
                    .charge(&mut slot.load, &slot.conn, e.payload().len());
            }
            slot.inbox.push_back(item);
            if slot.turn == Turn::Idle {
                slot.turn = Turn::Queued;
                self.ready.push_back((index, slot.generation));
            }
        }
    }

    /// Whether handlers wait to be run.
    pub(crate) fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Ends the dispatch of `done` (releasing its event's `bytes`, if its handlers are done
    /// with it); then takes the next item of a ready socket, marking that socket busy.
    fn finish_and_next(&mut self, done: Option<(Done, Released)>) -> Option<(Turned, Next)> {
        if let Some((done, released)) = done {
            if let Some(next) = self.finish_or_go_on(done, released) {
                return Some(next);
            }
        }
        while let Some((index, generation)) = self.ready.pop_front() {
            // Not the socket now at the index: a late entry of one gone.
            let Some(slot) = self.sockets.at_mut(index, generation) else {
                continue;
            };
            if let Some(next) = take_next(slot, index) {
                return Some(next);
            }
        }
        None
    }

    /// [`finish`](Self::finish), except that a socket with more queued when no other socket
    /// is ready goes on at once with its next item (what the ready list would give next)
    /// rather than through the list and a second lookup.
    fn finish_or_go_on(&mut self, done: Done, released: Released) -> Option<(Turned, Next)> {
        if done.last || !self.ready.is_empty() {
            self.finish(done, released);
            return None;
        }
        let slot = self.sockets.at_mut(done.index, done.generation)?;
        if let Released::Now(bytes) = released {
            self.backlog.release(&mut slot.load, &slot.conn, bytes);
        }
        if !slot.has_work() {
            slot.turn = Turn::Idle;
            return None;
        }
        take_next(slot, done.index)
    }

    /// Ends a dispatch: the socket goes (after its last item), or back to the ready list if
    /// more is queued.
    fn finish(&mut self, done: Done, released: Released) {
        let Some(slot) = self.sockets.at_mut(done.index, done.generation) else {
            return;
        };
        if let Released::Now(bytes) = released {
            self.backlog.release(&mut slot.load, &slot.conn, bytes);
        }
        if done.last {
            self.backlog.socket_gone(&slot.load, &slot.conn);
            self.sockets.remove_at(done.index, done.generation);
        } else if slot.has_work() {
            slot.turn = Turn::Queued;
            self.ready.push_back((done.index, done.generation));
        } else {
            slot.turn = Turn::Idle;
        }
    }
}

/// Takes the next item of `slot` (at `index`) with its handlers, marking the socket busy;
/// `None` (the socket idle) when it has none.
fn take_next(slot: &mut SocketSlot, index: u32) -> Option<(Turned, Next)> {
    let mut last = false;
    // The socket's id as its event carries it, if it is one (else a copy of the slot's).
    let mut id = None;
    let next = if let Some(handler) = slot.connect.take() {
        Next::Connected(handler)
    } else {
        let Some(item) = slot.inbox.pop_front() else {
            slot.turn = Turn::Idle;
            return None;
        };
        let h = &slot.handlers;
        let rare = h.rare();
        match item {
            Item::Event(e, socket) => {
                let hs = h.for_event(e.name().as_bytes());
                let (m, errs) = rare
                    .map(|r| (r.middlewares.clone(), r.errors.clone()))
                    .unwrap_or_default();
                id = Some(socket);
                Next::Event(e, hs, m, errs)
            }
            Item::Upgraded => Next::Upgraded(rare.map(|r| r.upgrade.clone()).unwrap_or_default()),
            Item::Disconnecting(r) => {
                let hs = rare.map(|x| x.disconnecting.clone());
                Next::Leaving(r, hs.unwrap_or_default())
            }
            Item::Disconnected(r) => {
                last = true;
                let hs = rare.map(|x| x.disconnect.clone());
                Next::Leaving(r, hs.unwrap_or_default())
            }
        }
    };
    slot.turn = Turn::Busy;
    let turned = Turned {
        id: id.unwrap_or_else(|| slot.id.clone()),
        nsp: slot.nsp.clone(),
        done: Done {
            index,
            generation: slot.generation,
            last,
            bytes: match &next {
                Next::Event(e, ..) => Some(e.payload().len()),
                _ => None,
            },
        },
    };
    Some((turned, next))
}

/// The socket whose item is being dispatched: its id and namespace (which become the
/// handlers' [`Socket`]) and what ends its turn.
struct Turned {
    id: SocketId,
    nsp: Str,
    done: Done,
}

/// What ends a socket's turn: where its slot is, and what the item was.
#[derive(Clone, Copy)]
struct Done {
    /// The slot's index in the layer's table, and its generation.
    index: u32,
    generation: u64,
    /// The item is its `Disconnected`: its slot goes when done.
    last: bool,
    /// The item is an event with arguments of this size (it counts in the backlog).
    bytes: Option<usize>,
}

/// Whether an item's end releases its event from the backlog.
#[derive(Clone, Copy, Debug)]
enum Released {
    /// Not an event, or its waiting handlers' tasks release it when done.
    Later,
    /// An event of this many bytes, whose handlers are done.
    Now(usize),
}

std::thread_local! {
    /// The servers this thread is draining (usually none or one): a handler calling its
    /// server's API leaves the new work to the loop already running instead of nesting
    /// another; a handler calling another server's API drains that one.
    static DRAINING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    /// The server whose drain this thread runs innermost (0: none): read on every lock a
    /// handler takes, so one word rather than the list.
    static INNERMOST: Cell<usize> = const { Cell::new(0) };
}

/// Whether the drain this thread runs innermost is `server`'s (its [`EngineIo::key`]): then
/// the work a handler queues on that server is left to that drain (see
/// [`SocketIo::with_batched`] and the layer's `wants_dispatch`). A handler of another server
/// nested inside reads false and gets the usual treatment.
///
/// [`EngineIo::key`]: crate::api::engine::EngineIo::key
#[inline]
pub(crate) fn draining_here(server: usize) -> bool {
    server != 0 && INNERMOST.with(|c| c.get() == server)
}

/// Takes `server` off [`DRAINING`] (and restores [`INNERMOST`]) when its drain ends, even by
/// a handler's panic.
struct DrainGuard {
    server: usize,
    outer: usize,
}

impl Drop for DrainGuard {
    fn drop(&mut self) {
        DRAINING.with(|d| d.borrow_mut().retain(|s| *s != self.server));
        INNERMOST.with(|c| c.set(self.outer));
    }
}

/// Runs every queued item of every ready socket (see the module docs).
pub(crate) fn drain(io: &SocketIo) {
    let server = io.io.key();
    let nested = DRAINING.with(|d| {
        let mut d = d.borrow_mut();
        let nested = d.contains(&server);
        if !nested {
            d.push(server);
        }
        nested
    });
    if nested {
        return;
    }
    let _guard = DrainGuard {
        server,
        outer: INNERMOST.with(|c| c.replace(server)),
    };
    let mut done = None;
    // The handlers first; observers and periodic work once none is ready (taken under the
    // same lock as the last item, so a hot path without observers pays nothing more). The
    // next item is written into `slot` under the lock rather than returned through the
    // lock's layers: the item (the event, its handlers) is a few hundred bytes, and each
    // layer would move it again.
    let mut side: Option<Side> = None;
    let mut slot = None;
    loop {
        loop {
            // Usually this touches neither machine nor any timer (ending a dispatch, taking
            // the next item): then the lock is released without pumping and flushing them.
            io.with_settled(|l| {
                slot = l.finish_and_next(done.take());
                if slot.is_none() {
                    side = l.take_side_work();
                }
                ((), side.is_none(), slot.is_some())
            });
            let Some((
                Turned {
                    id,
                    nsp,
                    done: turned,
                },
                next,
            )) = slot.take()
            else {
                break;
            };
            let socket = Socket {
                io: io.clone(),
                id,
                nsp,
            };
            if let Some(released) = dispatch(io, socket, next, turned) {
                done = Some((turned, released));
            }
        }
        let Some((observed, ticks)) = side.take() else {
            break;
        };
        if let Some(observed) = observed {
            super::observe::run_observers(io, observed);
        }
        if !ticks.is_empty() {
            io.run_ticks(ticks);
        }
        // What they did may have queued more.
    }
}

/// Work besides handlers: activities for the observers, periodic ticks.
type Side = (Option<super::observe::Observed>, Vec<super::interval::Tick>);

impl Layer {
    /// The work besides handlers waiting to run, if any.
    #[inline]
    fn take_side_work(&mut self) -> Option<Side> {
        if self.activities.is_empty() && !self.intervals.has_due() {
            return None;
        }
        match (self.take_activities(), self.intervals.take_due()) {
            (None, ticks) if ticks.is_empty() => None,
            side => Some(side),
        }
    }
}

fn run(io: &SocketIo, fut: BoxFuture) {
    crate::api::runtime::run_inline(&**io.rt(), fut);
}

/// Runs the handlers of one item. `None` when a task took the item over (it finishes the
/// socket's turn itself).
fn dispatch(io: &SocketIo, socket: Socket, next: Next, turned: Done) -> Option<Released> {
    // Whatever the handlers log is in the socket's span (nothing is built without a
    // subscriber that wants it).
    let span = tracing::debug_span!("socket", id = socket.id.as_str(), nsp = socket.nsp.as_str());
    let _entered = span.enter();
    match next {
        Next::Connected(handler) => run(io, handler(socket)),
        Next::Upgraded(handlers) => {
            for h in handlers {
                run(io, h(socket.clone()));
            }
        }
        Next::Leaving(reason, handlers) => {
            for h in handlers {
                run(io, h(socket.clone(), reason));
            }
        }
        Next::Event(event, handlers, middlewares, errors) => {
            let span = tracing::debug_span!("handler", event = event.name().as_str());
            let _entered = span.enter();
            if !middlewares.is_empty() {
                let rt = io.rt().clone();
                let io = io.clone();
                let task = async move {
                    let released =
                        guarded(&io, socket, event, handlers, middlewares, errors, turned).await;
                    io.with_untimed(|l, _| l.finish(turned, released));
                };
                rt.spawn(Box::pin(task.in_current_span()));
                return None;
            }
            return Some(run_handlers(io, socket, event, handlers, turned));
        }
    }
    Some(Released::Later)
}

/// The message one handler of `event` receives.
fn message(io: &SocketIo, socket: &Socket, event: Event) -> Message {
    Message {
        io: io.clone(),
        socket: socket.id.clone(),
        event,
    }
}

/// Runs the event's handlers, in order. Handlers that wait get tasks of their own, which
/// release the event from the backlog when the last is done; otherwise the caller does. The
/// last handler (usually the only one) is given the socket and the event themselves, the
/// others copies.
fn run_handlers(
    io: &SocketIo,
    socket: Socket,
    event: Event,
    handlers: SmallVec<[EventHandler; 2]>,
    turned: Done,
) -> Released {
    let bytes = turned.bytes.unwrap_or_default();
    let mut waited: Option<Arc<Waited>> = None;
    let mut handlers = handlers.into_iter();
    let mut next = handlers.next();
    while let Some(h) = next.take() {
        next = handlers.next();
        if next.is_some() {
            let fut = h(socket.clone(), message(io, &socket, event.clone()));
            start(io, fut, &mut waited, turned);
        } else {
            // The last one (usually the only one) gets the socket and the event themselves.
            let message = message(io, &socket, event);
            start(io, h(socket, message), &mut waited, turned);
            break;
        }
    }
    match waited {
        Some(_) => Released::Later,
        None => Released::Now(bytes),
    }
}

/// Gives a handler's future that waited (its call polled it once) a task of its own, which
/// holds the event in the backlog (`waited`, shared by the event's waiting handlers) until it
/// is done.
fn start(io: &SocketIo, fut: Option<BoxFuture>, waited: &mut Option<Arc<Waited>>, turned: Done) {
    let Some(fut) = fut else {
        return;
    };
    let guard = waited
        .get_or_insert_with(|| {
            Arc::new(Waited {
                io: io.clone(),
                index: turned.index,
                generation: turned.generation,
                bytes: turned.bytes.unwrap_or_default(),
            })
        })
        .clone();
    let task = async move {
        fut.await;
        drop(guard);
    };
    io.rt().spawn(Box::pin(task.in_current_span()));
}

/// An event behind per-socket middleware (the reference's `socket.use`): a refusal skips the
/// handlers and raises `error` on the server socket.
async fn guarded(
    io: &SocketIo,
    socket: Socket,
    event: Event,
    handlers: SmallVec<[EventHandler; 2]>,
    middlewares: Vec<SocketMiddleware>,
    errors: Vec<ErrorHandler>,
    turned: Done,
) -> Released {
    for m in middlewares {
        if let Err(e) = m(socket.clone(), message(io, &socket, event.clone())).await {
            for h in &errors {
                run(io, h(socket.clone(), e.clone()));
            }
            return Released::Now(turned.bytes.unwrap_or_default());
        }
    }
    run_handlers(io, socket, event, handlers, turned)
}
